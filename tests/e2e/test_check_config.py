"""`parley check-config FILE`: exit 0 on a valid file, 2 with a message naming the key otherwise.

Run: PARLEY_BIN=build/parley python3 -m unittest tests/e2e/test_check_config.py
"""

import os
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check(path):
    return subprocess.run([os.environ["PARLEY_BIN"], "check-config", path], capture_output=True,
                          text=True, timeout=10)


class CheckConfigTest(unittest.TestCase):
    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
        f.write(text)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_good_files(self):
        for path in (os.path.join(ROOT, "parley.example.toml"),
                     os.path.join(ROOT, "deploy", "parley.toml"),
                     self.write(""),
                     self.write('[admin]\ntoken = "0123456789abcdef0123"\n')):
            run = check(path)
            self.assertEqual(run.returncode, 0, f"{path}: {run.stderr}")
            self.assertEqual(run.stdout, f"{path}: ok\n")

    def test_bad_files_name_the_key(self):
        cases = [
            ("[hub]\nlisen = \"127.0.0.1:1\"\n", "hub.lisen: unknown key"),
            ("[limits]\nmax_frame_bytes = -1\n", "limits.max_frame_bytes: expected a positive"),
            ("[admin]\nlisten = \"0.0.0.0:4001\"\n", "admin.listen: expected a loopback address"),
            ("[admin]\ntoken = \"short\"\n", "admin.token: expected at least 16 characters"),
            ("log_format = \"xml\"\n", "log_format: expected one of"),
            ("[bogus]\n", "bogus: unknown section"),
            ("[hub\n", ":1:"),  # TOML syntax: file:line:column
        ]
        for text, expected in cases:
            path = self.write(text)
            run = check(path)
            self.assertEqual(run.returncode, 2, f"{text!r}: {run.stdout} {run.stderr}")
            self.assertIn(f"parley: configuration error: {path}", run.stderr)
            self.assertIn(expected, run.stderr, text)
            self.assertEqual(run.stdout, "")

    def test_missing_file(self):
        run = check("/nonexistent/parley.toml")
        self.assertEqual(run.returncode, 2)
        self.assertIn("/nonexistent/parley.toml: cannot open", run.stderr)


if __name__ == "__main__":
    unittest.main()
