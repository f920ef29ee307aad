"""The message store under load and damage, with real clients: HTTP publishers (http.client, as
curl or a browser's fetch would), a Phoenix WebSocket client (websockets), sqlite3 reading the
file after a crash.

- Acknowledged means committed: kill -9 right after the last 200 of a burst of publishes loses
  none of the acknowledged messages, and the restarted server goes on at the next offset.
- The store's queue is bounded ([storage] max_pending_bytes): HTTP publishers then get 503 with
  Retry-After (and the CORS headers), a WebSocket publisher is not read until it has room
  again, and loses nothing.
- HTTP publishing is rate-limited per address ([limits] max_messages_per_second): 429 with
  Retry-After.
- A store that cannot be read stops start-up with a clear message and a non-zero exit.

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_store_durability.py (PARLEY_BIN).
"""

import asyncio
import http.client
import json
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import unittest
import uuid

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from parley_server import ParleyServer  # noqa: E402


def config(directory, text):
    path = os.path.join(directory, "parley.toml")
    with open(path, "w") as f:
        f.write(text)
    return ["--config", path]


def publish(port, channel, user, body):
    """One POST on a connection of its own; returns (status, headers lower-cased)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/chat/publish/%s/%s" % (channel, user), body=body.encode(),
                     headers={"Content-Type": "text/plain"})
        res = conn.getresponse()
        res.read()
        return res.status, {k.lower(): v for k, v in res.getheaders()}
    finally:
        conn.close()


def publish_many(port, channel, bodies, threads, stop_after=None, on_stop=None):
    """Publishes `bodies` from `threads` threads. Once `stop_after` are acknowledged (200),
    calls on_stop() at once, from the thread that got that 200, and publishes nothing more.
    Returns {body: (status, headers)} of the answers received."""
    answers = {}
    lock = threading.Lock()
    pending = list(reversed(bodies))
    acked = [0]
    stopped = threading.Event()
    user = str(uuid.uuid4())

    def worker():
        while not stopped.is_set():
            with lock:
                if not pending:
                    return
                body = pending.pop()
            try:
                answer = publish(port, channel, user, body)
            except OSError:  # the server was killed under us
                return
            with lock:
                answers[body] = answer
                if answer[0] == 200:
                    acked[0] += 1
                    if stop_after is not None and acked[0] == stop_after and not stopped.is_set():
                        stopped.set()
                        on_stop()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    return answers


def stored_bodies(db_file, channel):
    """The channel's messages in the file, {body: offset}, as any SQLite reader sees them."""
    db = sqlite3.connect(db_file)
    try:
        return {body: offset for body, offset in
                db.execute("SELECT body, offset FROM messages WHERE channel = ?", (channel,))}
    finally:
        db.close()


class StoreDurability(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="parley-store-")
        self.data = os.path.join(self.dir, "data")
        self.db = os.path.join(self.data, "parley.db")

    def server(self, toml):
        server = ParleyServer(args=config(self.dir, toml), data_dir=self.data)
        self.addCleanup(server.close)
        return server.start()

    def test_kill_9_after_acknowledged_publishes_loses_none(self):
        # Large messages from many publishers: the store's writer falls behind the HTTP
        # answers unless each answer waits for its commit.
        server = self.server('[limits]\nmax_messages_per_second = 0\n'
                             '[storage]\nring_size = 10\n')
        channel = str(uuid.uuid4())
        count, size = 600, 128 * 1024
        bodies = ["%d:%s" % (i, "x" * size) for i in range(count)]
        killed = []
        answers = publish_many(
            server.port, channel, bodies, threads=16, stop_after=count // 2,
            on_stop=lambda: killed.append(server.proc.send_signal(signal.SIGKILL)))
        self.assertTrue(killed, "the server was killed after %d acknowledgements" % (count // 2))
        self.assertEqual(server.stop(), -signal.SIGKILL)
        acked = [b for b, (status, _) in answers.items() if status == 200]
        self.assertGreaterEqual(len(acked), count // 2)
        stored = stored_bodies(self.db, channel)
        lost = [b.split(":")[0] for b in acked if b not in stored]
        self.assertEqual(lost, [], "%d of %d acknowledged messages lost" % (len(lost), len(acked)))

        # The restarted server reads the file and goes on at the next offset.
        server.start()
        status, _ = publish(server.port, channel, str(uuid.uuid4()), "after the crash")
        self.assertEqual(status, 200)
        self.assertEqual(server.stop(), 0)
        after = stored_bodies(self.db, channel)
        self.assertEqual(after["after the crash"], max(stored.values()) + 1)

    def test_a_full_store_queue_answers_503_with_retry_after(self):
        # A bound of one byte: the queue is full as long as one message waits.
        server = self.server('[limits]\nmax_messages_per_second = 0\n'
                             '[storage]\nmax_pending_bytes = 1\nring_size = 10\n')
        channel = str(uuid.uuid4())
        bodies = ["%d:%s" % (i, "y" * 64 * 1024) for i in range(400)]
        answers = publish_many(server.port, channel, bodies, threads=16)
        statuses = sorted({status for status, _ in answers.values()})
        busy = [h for status, h in answers.values() if status == 503]
        self.assertTrue(busy, "no 503 among %d answers (%s)" % (len(answers), statuses))
        self.assertEqual(statuses, [200, 503])
        for headers in busy:
            self.assertEqual(headers.get("retry-after"), "1")
            self.assertEqual(headers.get("access-control-allow-origin"), "*")
        self.assertIn("503 the message store is busy", server.log)
        self.assertEqual(server.stop(), 0)
        stored = stored_bodies(self.db, channel)
        for body, (status, _) in answers.items():
            self.assertEqual(body in stored, status == 200, "%s: %d" % (body[:8], status))

    def test_http_publishing_is_rate_limited_per_address(self):
        server = self.server("[limits]\nmax_messages_per_second = 2\n")
        channel = str(uuid.uuid4())
        answers = publish_many(server.port, channel, ["m%d" % i for i in range(30)], threads=10)
        statuses = [status for status, _ in answers.values()]
        self.assertIn(429, statuses)
        self.assertIn(200, statuses)
        for status, headers in answers.values():
            if status == 429:
                self.assertEqual(headers.get("retry-after"), "1")
                self.assertEqual(headers.get("access-control-allow-origin"), "*")
        self.assertEqual(server.stop(), 0)
        self.assertEqual(len(stored_bodies(self.db, channel)), statuses.count(200))

    def test_a_websocket_publisher_is_paused_while_the_store_is_full(self):
        server = self.server('[limits]\nmax_messages_per_second = 0\n'
                             '[storage]\nmax_pending_bytes = 1\n')
        count = 2000

        async def flood():
            async with websockets.connect(server.ws_url + "/socket/websocket?vsn=2.0.0",
                                          max_size=None) as ws:
                await ws.send(json.dumps(["1", "1", "room:flood", "phx_join",
                                          {"username": "flooder"}]))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
                self.assertEqual(reply[4]["status"], "ok")
                for n in range(count):
                    await ws.send(json.dumps([None, None, "room:flood", "shout",
                                              {"n": n, "body": "z" * 2048, "name": "flooder"}]))
                got = []
                while len(got) < count:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    if frame[3] == "shout":
                        got.append(frame[4]["n"])
                return got

        got = asyncio.run(flood())
        self.assertEqual(got, list(range(count)), "every message, in order")
        self.assertIn("store queue full, reading paused", server.log)
        self.assertIn("reading resumed", server.log)
        self.assertEqual(server.stop(), 0)

    def test_a_store_that_cannot_be_read_stops_start_up(self):
        server = self.server("")
        channel = str(uuid.uuid4())
        for i in range(100):
            self.assertEqual(publish(server.port, channel, str(uuid.uuid4()), "m%d " % i + "x" * 1000)[0], 200)
        self.assertEqual(server.stop(), 0)
        # Every page but the first (header and schema) damaged: the file opens, its tables
        # cannot be read.
        size = os.path.getsize(self.db)
        self.assertGreater(size, 8192)
        with open(self.db, "r+b") as f:
            f.seek(4096)
            f.write(b"\xa5" * (size - 4096))
        with self.assertRaises(RuntimeError) as refused:
            server.start()
        self.assertIn("code=1", str(refused.exception))
        # SQLite's reason, then the refusal naming the file.
        self.assertRegex(server.log, r"error sqlite: reading .*parley\.db failed: database disk "
                                     r"image is malformed")
        self.assertRegex(server.log, r"critical storage: cannot read .*parley\.db; not starting")


if __name__ == "__main__":
    unittest.main()
