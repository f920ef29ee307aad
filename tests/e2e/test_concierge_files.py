"""ERT Concierge's file store with curl: every route and status code, the size limit, names
that try to leave their folder, and files going with their owner.

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_concierge_files.py
(needs PARLEY_BIN and curl; Debian's python3-websockets 10.4).
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from concierge_helpers import Client  # noqa: E402
from ws_client import write_config  # noqa: E402
from parley_server import ParleyServer  # noqa: E402

NIL = "00000000-0000-4000-8000-000000000000"
# Uploads may be up to 1 MiB although other HTTP bodies stop at 64 KiB.
TOML = '[concierge]\nmax_file_bytes = "1MiB"\n[limits]\nmax_http_body_bytes = "64KiB"\n'


class Curl:
    def __init__(self, base, workdir):
        self.base = base
        self.workdir = workdir
        self.count = 0

    def file(self, content, name="f.bin"):
        self.count += 1
        path = os.path.join(self.workdir, "%d-%s" % (self.count, name))
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        return path

    def __call__(self, method, path, key=None, forms=(), data=None, headers=()):
        """Runs curl; returns (status, body bytes, response headers lower-cased)."""
        self.count += 1
        body_out = os.path.join(self.workdir, "out-%d" % self.count)
        head_out = os.path.join(self.workdir, "head-%d" % self.count)
        argv = ["curl", "-sS", "--max-time", "20", "-X", method, "-o", body_out, "-D", head_out,
                "-w", "%{http_code}"]
        if key is not None:
            argv += ["-H", "x-fs-key: " + key]
        for h in headers:
            argv += ["-H", h]
        for form in forms:
            argv += ["-F", form]
        if data is not None:
            argv += ["--data-binary", "@" + self.file(data)]
        argv.append(self.base + path)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        status = int(done.stdout.strip() or 0)
        body = b""
        if os.path.exists(body_out):
            with open(body_out, "rb") as f:
                body = f.read()
        headers = {}
        if os.path.exists(head_out):
            with open(head_out, "r", errors="replace") as f:
                head = f.read()
            for line in head.splitlines():
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
        return status, body, headers


class FileStore(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="parley-concierge-files-")
        self.data = os.path.join(self.dir, "data")
        # Left over from an "earlier run": start-up clears it.
        os.makedirs(os.path.join(self.data, "concierge-files", "stale-owner"))
        open(os.path.join(self.data, "concierge-files", "stale-owner", "old.txt"), "w").close()
        self.server = ParleyServer(args=["--config", write_config(self.dir, TOML)],
                                   data_dir=self.data).start()
        self.addCleanup(self.server.close)
        self.addCleanup(self.server.stop)
        self.url = self.server.ws_url + "/ws"
        self.root = os.path.join(self.data, "concierge-files")
        self.curl_sync = Curl(self.server.url, self.dir)

    async def curl(self, *args, **kwargs):
        return await asyncio.to_thread(self.curl_sync, *args, **kwargs)

    async def expect(self, status, text, *args, **kwargs):
        got, body, headers = await self.curl(*args, **kwargs)
        self.assertEqual((got, body.decode(errors="replace").strip()), (status, text),
                         "%r %r\n%s" % (args, kwargs, self.server.log_tail(20)))
        return headers

    async def test_every_route_and_status(self):
        alice = await Client.identified(self.url, "alice")
        bob = await Client.identified(self.url, "bob")
        # Served, so installed: what an earlier run left is gone.
        self.assertFalse(os.path.exists(os.path.join(self.root, "stale-owner")))
        f = self.curl_sync.file
        hello = f("hello, concierge\n", "hello.txt")

        # POST /fs/{client}/{file}: one file -> 201; stored under the owner's uuid.
        await self.expect(201, "", "POST", "/fs/alice/greeting.txt", alice.uuid,
                          forms=["file=@" + hello])
        on_disk = os.path.join(self.root, alice.uuid, "greeting.txt")
        with open(on_disk) as stored:
            self.assertEqual(stored.read(), "hello, concierge\n")
        # GET with any connected client's key -> 200, as an attachment.
        status, body, headers = await self.curl("GET", "/fs/alice/greeting.txt", bob.uuid)
        self.assertEqual((status, body), (200, b"hello, concierge\n"))
        self.assertEqual(headers.get("content-disposition"), "attachment")
        self.assertEqual(headers.get("access-control-allow-origin"), "*")
        # Several parts of one filename are appended; two filenames on this route -> 412.
        await self.expect(201, "", "POST", "/fs/alice/joined.txt", alice.uuid,
                          forms=["a=@%s;filename=same" % f("one,"), "b=@%s;filename=same" % f("two")])
        with open(os.path.join(self.root, alice.uuid, "joined.txt")) as stored:
            self.assertEqual(stored.read(), "one,two")
        await self.expect(412, "Attempted to upload multi-file to single-file multipart route",
                          "POST", "/fs/alice/two.txt", alice.uuid,
                          forms=["a=@%s;filename=x" % hello, "b=@%s;filename=y" % hello])

        # POST /fs/{client}/: several files, each by its filename -> 201.
        await self.expect(201, "", "POST", "/fs/alice/", alice.uuid,
                          forms=["a=@%s;filename=first.txt" % f("1st"),
                                 "b=@%s;filename=second.txt" % f("2nd")])
        for name, content in (("first.txt", b"1st"), ("second.txt", b"2nd")):
            status, body, _ = await self.curl("GET", "/fs/alice/" + name, alice.uuid)
            self.assertEqual((status, body), (200, content))
        await self.expect(428, "Content disposition exist but file name field does not",
                          "POST", "/fs/alice/", alice.uuid, forms=["field=just a value"])
        no_disposition = ("--b\r\nContent-Type: text/plain\r\n\r\ndata\r\n--b--\r\n")
        await self.expect(428, "Content disposition missing", "POST", "/fs/alice/", alice.uuid,
                          data=no_disposition,
                          headers=["Content-Type: multipart/form-data; boundary=b"])
        await self.expect(428, "Content disposition missing", "POST", "/fs/alice/x", alice.uuid,
                          data=no_disposition,
                          headers=["Content-Type: multipart/form-data; boundary=b"])
        await self.expect(400, "Expected a multipart/form-data body", "POST", "/fs/alice/x",
                          alice.uuid, data="plain", headers=["Content-Type: text/plain"])

        # The key: missing 428, not a uuid 417, nobody's 401, someone else's 403.
        for method in ("GET", "POST", "DELETE"):
            path = "/fs/alice/greeting.txt"
            await self.expect(428, "Missing x-fs-key header", method, path)
            await self.expect(417, "Encoding error", method, path, "not-a-uuid")
            await self.expect(401, "Bad authorization", method, path, NIL)
        await self.expect(403, "Insufficient permission", "POST", "/fs/alice/mine.txt", bob.uuid,
                          forms=["file=@" + hello])
        await self.expect(403, "Insufficient permission", "POST", "/fs/alice/", bob.uuid,
                          forms=["file=@" + hello])
        await self.expect(403, "Insufficient permission", "DELETE", "/fs/alice/greeting.txt",
                          bob.uuid)

        # DELETE by the owner -> 200; then 404 for GET and DELETE.
        await self.expect(200, "", "DELETE", "/fs/alice/greeting.txt", alice.uuid)
        self.assertFalse(os.path.exists(on_disk))
        await self.expect(404, "Not found", "GET", "/fs/alice/greeting.txt", bob.uuid)
        await self.expect(404, "Not found", "DELETE", "/fs/alice/greeting.txt", alice.uuid)
        await self.expect(404, "Not found", "GET", "/fs/nobody/greeting.txt", bob.uuid)

        # CORS preflight.
        status, _, headers = await self.curl("OPTIONS", "/fs/alice/x")
        self.assertEqual(status, 204)
        self.assertEqual(headers.get("access-control-allow-methods"), "GET, POST, DELETE")
        self.assertIn("x-fs-key", headers.get("access-control-allow-headers"))
        await alice.close()
        await bob.close()

    async def test_size_limit_is_the_concierges(self):
        alice = await Client.identified(self.url, "alice")
        # 512 KiB: over [limits] max_http_body_bytes (64 KiB), under max_file_bytes (1 MiB).
        half = os.urandom(512 * 1024)
        await self.expect(201, "", "POST", "/fs/alice/half.bin", alice.uuid,
                          forms=["file=@" + self.curl_sync.file(half)])
        status, body, _ = await self.curl("GET", "/fs/alice/half.bin", alice.uuid)
        self.assertEqual((status, body == half), (200, True))
        # One byte over max_file_bytes: 413 (the body itself fits the route's limit).
        over = self.curl_sync.file(b"x" * (1024 * 1024 + 1))
        await self.expect(413, "File over 1048576 bytes", "POST", "/fs/alice/over.bin",
                          alice.uuid, forms=["file=@" + over])
        await self.expect(413, "File over 1048576 bytes", "POST", "/fs/alice/", alice.uuid,
                          forms=["file=@" + over])
        # A body well over the route's limit is refused from its Content-Length.
        huge = self.curl_sync.file(b"y" * (3 * 1024 * 1024))
        status, _, _ = await self.curl("POST", "/fs/alice/huge.bin", alice.uuid,
                                       forms=["file=@" + huge])
        self.assertEqual(status, 413)
        self.assertFalse(os.path.exists(os.path.join(self.root, alice.uuid, "over.bin")))
        self.assertFalse(os.path.exists(os.path.join(self.root, alice.uuid, "huge.bin")))
        # Other routes keep [limits] max_http_body_bytes.
        status, _, _ = await self.curl("POST", "/metrics", data=b"z" * (100 * 1024))
        self.assertEqual(status, 413)
        await alice.close()

    async def test_names_never_leave_their_folder(self):
        alice = await Client.identified(self.url, "alice")
        hello = self.curl_sync.file("x")
        # A multipart filename with a path: only its characters survive, inside the folder.
        await self.expect(201, "", "POST", "/fs/alice/", alice.uuid,
                          forms=["f=@%s;filename=../../escape.txt" % hello,
                                 "g=@%s;filename=/etc/passwd" % hello])
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, alice.uuid))),
                         ["....escape.txt", "etcpasswd"])
        self.assertFalse(os.path.exists(os.path.join(self.data, "escape.txt")))
        self.assertFalse(os.path.exists(os.path.join(self.root, "escape.txt")))
        # ".." and "." as the URL's file name: nothing usable, 400.
        for bad in ("%2E%2E", "%2e", ".%2E"):
            await self.expect(400, "Bad file name", "GET", "/fs/alice/" + bad, alice.uuid)
            await self.expect(400, "Bad file name", "POST", "/fs/alice/" + bad, alice.uuid,
                              forms=["f=@" + hello])
        # An encoded slash is a separator once decoded: no such route.
        status, _, _ = await self.curl("GET", "/fs/alice/..%2F..%2Fparley.db", alice.uuid)
        self.assertEqual(status, 404)
        # NUL and control characters are dropped.
        await self.expect(201, "", "POST", "/fs/alice/a%00b%0Ac", alice.uuid,
                          forms=["f=@" + hello])
        self.assertIn("abc", os.listdir(os.path.join(self.root, alice.uuid)))
        status, body, _ = await self.curl("GET", "/fs/alice/abc", alice.uuid)
        self.assertEqual((status, body), (200, b"x"))
        # The client name in the path is never a path: other clients' names only.
        await self.expect(403, "Insufficient permission", "POST", "/fs/%2E%2E/x", alice.uuid,
                          forms=["f=@" + hello])
        await alice.close()

    async def test_files_go_with_their_owner(self):
        alice = await Client.identified(self.url, "alice")
        bob = await Client.identified(self.url, "bob")
        await self.expect(201, "", "POST", "/fs/alice/keep.txt", alice.uuid,
                          forms=["f=@" + self.curl_sync.file("k")])
        folder = os.path.join(self.root, alice.uuid)
        self.assertTrue(os.path.isdir(folder))
        old_key = alice.uuid
        await alice.close()
        for _ in range(100):
            if not os.path.exists(folder):
                break
            await asyncio.sleep(0.05)
        self.assertFalse(os.path.exists(folder))
        await self.expect(404, "Not found", "GET", "/fs/alice/keep.txt", bob.uuid)
        await self.expect(401, "Bad authorization", "GET", "/fs/bob/x", old_key)
        # A new alice starts with an empty folder of her own.
        alice2 = await Client.identified(self.url, "alice")
        await self.expect(404, "Not found", "GET", "/fs/alice/keep.txt", alice2.uuid)
        await alice2.close()
        await bob.close()


if __name__ == "__main__":
    unittest.main()
