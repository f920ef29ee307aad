"""The Debian package: built with CPack from the build directory of the binary under test,
unpacked into a scratch root with `dpkg -x` (no maintainer scripts, no root needed), and the
server run from there with the packaged configuration.

Run: PARLEY_BIN=build/parley python3 -m unittest tests/e2e/test_package.py
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from parley_server import ParleyServer  # noqa: E402


def build_dir():
    return os.path.dirname(os.path.abspath(os.environ["PARLEY_BIN"]))


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="parley-pkg-")
        out = os.path.join(cls.tmp, "out")
        # -B: the package and CPack's staging area in the scratch directory, not the build's.
        run = subprocess.run(["cpack", "-G", "DEB", "-B", out], cwd=build_dir(),
                             capture_output=True, text=True, timeout=240)
        if run.returncode != 0:
            raise AssertionError(f"cpack failed:\n{run.stdout}\n{run.stderr}")
        debs = glob.glob(os.path.join(out, "parley_*.deb"))
        if len(debs) != 1:
            raise AssertionError(f"expected one .deb in {out}: {os.listdir(out)}")
        cls.deb = debs[0]
        cls.root = os.path.join(cls.tmp, "root")
        subprocess.run(["dpkg", "-x", cls.deb, cls.root], check=True, timeout=60)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return subprocess.run(["dpkg-deb", "-f", self.deb, name], capture_output=True, text=True,
                              check=True).stdout.strip()

    def test_control_fields_and_conffiles(self):
        self.assertEqual(self.field("Package"), "parley")
        self.assertRegex(self.field("Version"), r"^\d+\.\d+\.\d+")
        depends = self.field("Depends")
        for lib in ("libsqlite3", "libssl", "libsodium"):
            self.assertIn(lib, depends, "dependencies come from the binary's libraries")
        ctrl = os.path.join(self.tmp, "control")
        subprocess.run(["dpkg-deb", "-e", self.deb, ctrl], check=True)
        with open(os.path.join(ctrl, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/parley/parley.toml"])
        for script in ("postinst", "prerm", "postrm"):
            self.assertTrue(os.access(os.path.join(ctrl, script), os.X_OK), script)

    def test_files_in_place(self):
        binary = os.path.join(self.root, "usr/bin/parley")
        self.assertTrue(os.access(binary, os.X_OK))
        self.assertTrue(os.path.isfile(os.path.join(self.root, "etc/parley/parley.toml")))
        self.assertTrue(os.path.isfile(os.path.join(self.root, "usr/share/doc/parley/README.md")))
        self.assertTrue(os.path.isfile(
            os.path.join(self.root, "usr/share/doc/parley/grafana-dashboard.json")))
        with open(os.path.join(self.root, "lib/systemd/system/parley.service")) as f:
            unit = f.read().splitlines()
        for line in ("DynamicUser=yes", "StateDirectory=parley", "ProtectSystem=strict",
                     "ExecStart=/usr/bin/parley --config /etc/parley/parley.toml "
                     "--data-dir /var/lib/parley",
                     "ExecStartPre=/usr/bin/parley check-config /etc/parley/parley.toml"):
            self.assertIn(line, unit)

    def test_the_packaged_binary_runs_with_the_packaged_configuration(self):
        binary = os.path.join(self.root, "usr/bin/parley")
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
        self.assertEqual(version.returncode, 0)
        self.assertRegex(version.stdout, r"^parley \d+\.\d+\.\d+")
        config = os.path.join(self.root, "etc/parley/parley.toml")
        check = subprocess.run([binary, "check-config", config], capture_output=True, text=True,
                               timeout=10)
        self.assertEqual(check.returncode, 0, check.stderr)
        # The packaged file as it is, but with free ports (the test must not collide).
        with open(config) as f:
            text = f.read()
        self.assertIn('listen = "127.0.0.1:4001"', text)
        local = os.path.join(self.tmp, "parley.toml")
        with open(local, "w") as f:
            f.write(text.replace("127.0.0.1:4001", "127.0.0.1:0"))
        server = ParleyServer(args=["--config", local], binary=binary).start()
        try:
            with urllib.request.urlopen(server.url + "/metrics", timeout=5) as res:
                self.assertIn("# TYPE parley_connections_open gauge", res.read().decode())
            with urllib.request.urlopen(server.url + "/", timeout=5) as res:
                self.assertIn("<title>Parley</title>", res.read().decode())
            self.assertRegex(server.log, r"listening on 127\.0\.0\.1:\d+ \(admin\)")
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
