"""Parley's own ERT chat service (`parley concierge-chat URL`) with two users, on the Concierge's
own listener (the original's port, here a free one), across a server restart.

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_concierge_chat.py
(needs PARLEY_BIN; Debian's python3-websockets 10.4).
"""

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from concierge_helpers import Client  # noqa: E402
from ws_client import free_port, write_config  # noqa: E402
from parley_server import ParleyServer  # noqa: E402

SERVICE = {"type": "SERVICE", "service": "chat_service"}


class ChatServiceProcess:
    def __init__(self, url):
        self.proc = subprocess.Popen([os.environ["PARLEY_BIN"], "concierge-chat", url],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace"))

    @property
    def log(self):
        return "".join(self.lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(2)
        self.proc.stdout.close()


async def wait_for_service(url, timeout=15.0):
    """Waits until service chat_service exists (the chat service is up); returns its info."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:  # the listener may be a moment behind the server's first "listening on"
        try:
            probe = await Client.identified(url, "probe")
            break
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)
    try:
        while True:
            await probe.send({"type": "SERVICE_FETCH", "service": "chat_service"})
            answer = await probe.next(pred=lambda f: "seq" in f)
            if answer["type"] == "SERVICE_FETCH_RESULT":
                # Its own subscription comes right after the creation.
                if answer["service"]["owner_uuid"] in answer["service"]["subscribers"]:
                    return answer["service"]
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("chat_service did not appear: %s" % answer)
            await asyncio.sleep(0.1)
    finally:
        await probe.close()


def is_text(author=None):
    return lambda f: (f.get("type") == "MESSAGE" and f["data"].get("type") == "TEXT"
                      and (author is None or f["data"].get("author") == author))


def is_status(text):
    return lambda f: f.get("type") == "MESSAGE" and f["data"] == {"type": "STATUS", "text": text}


class ParleyChatService(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="parley-concierge-chat-")
        self.port = free_port()
        cfg = write_config(self.dir, '[concierge]\nlisten = "127.0.0.1:%d"\n' % self.port)
        self.server = ParleyServer(args=["--config", cfg]).start()
        self.addCleanup(self.server.close)
        self.addCleanup(self.server.stop)
        self.own_url = "ws://127.0.0.1:%d/ws" % self.port
        self.chat = ChatServiceProcess(self.own_url)
        self.addCleanup(self.chat.stop)

    def context(self):
        return "\n--- chat service ---\n%s\n--- server (tail) ---\n%s" % (
            self.chat.log, self.server.log_tail(40))

    async def test_banner_two_users_about_and_restart(self):
        try:
            await self._run()
        except AssertionError as e:
            raise AssertionError(str(e) + self.context()) from None

    async def _run(self):
        # The shared listener is announced first; the Concierge's own follows it.
        for _ in range(100):
            if "listening on 127.0.0.1:%d (concierge)" % self.port in self.server.log:
                break
            await asyncio.sleep(0.05)
        self.assertIn("listening on 127.0.0.1:%d (concierge)" % self.port, self.server.log)
        banner = await asyncio.to_thread(
            lambda: urllib.request.urlopen("http://127.0.0.1:%d/" % self.port, timeout=5).read())
        self.assertEqual(banner.decode(), "ERT Concierge 2020\nPort: %d\n Version: 0.2.0\n"
                                                  " Minimum Version:^0.2.0" % self.port)

        service = await wait_for_service(self.own_url)
        self.assertEqual(service["nickname"], "Chat Service")
        shared = self.server.ws_url + "/ws"  # same registry on both listeners

        alice = await Client.identified(shared, "alice", nickname="Alice")
        await alice.send({"type": "SELF_SUBSCRIBE", "service": "chat_service"})
        await alice.next("MESSAGE", is_status("Alice joined the chat."))
        bob = await Client.identified(self.own_url, "bob")
        await bob.send({"type": "SELF_SUBSCRIBE", "service": "chat_service"})
        for user in (alice, bob):
            await user.next("MESSAGE", is_status("bob joined the chat."))

        await alice.send({"type": "MESSAGE", "target": SERVICE,
                          "data": {"type": "INPUT", "text": "hi bob"}})
        for user in (alice, bob):
            text = await user.next("MESSAGE", is_text("Alice"))
            self.assertEqual(text["data"], {"type": "TEXT", "author": "Alice",
                                            "author_uuid": alice.uuid, "text": "hi bob"})
            self.assertEqual(text["origin"]["name"], "chat_service")
            self.assertEqual(text["origin"]["nickname"], "Chat Service Client")
            self.assertEqual(text["origin"]["tags"], ["service", "chat"])
        await bob.send({"type": "MESSAGE", "target": SERVICE,
                        "data": {"type": "INPUT", "text": "hey alice"}})
        for user in (alice, bob):
            text = await user.next("MESSAGE", is_text("bob"))
            self.assertEqual(text["data"]["author_uuid"], bob.uuid)

        await bob.send({"type": "MESSAGE", "target": SERVICE,
                        "data": {"type": "INPUT", "text": "/about"}})
        about = await bob.next("MESSAGE", is_text("System Message"))
        self.assertEqual(about["data"], {"type": "TEXT", "author": "System Message",
                                         "author_uuid": "0",
                                         "text": "(Only you can see this!)\nERT Chat Service\n"
                                                 "Version: 0.1"})
        self.assertEqual(about["target"]["type"], "SERVICE_CLIENT_UUID")
        for frame in await alice.quiet(0.5):
            self.assertFalse(is_text("System Message")(frame), frame)

        await alice.send({"type": "SELF_UNSUBSCRIBE", "service": "chat_service"})
        await bob.next("MESSAGE", is_status("Alice left the chat."))
        await alice.close()
        await bob.close()

        # The server restarts: the chat service comes back by itself.
        await asyncio.to_thread(self.server.restart)
        await wait_for_service(self.own_url, timeout=20)
        carol = await Client.identified(self.own_url, "carol")
        await carol.send({"type": "SELF_SUBSCRIBE", "service": "chat_service"})
        await carol.next("MESSAGE", is_status("carol joined the chat."))
        await carol.send({"type": "MESSAGE", "target": SERVICE,
                          "data": {"type": "INPUT", "text": "anyone?"}})
        text = await carol.next("MESSAGE", is_text("carol"))
        self.assertEqual(text["data"]["text"], "anyone?")
        await carol.close()
        self.assertIn("reconnecting", self.chat.log)
        self.assertIsNone(self.chat.proc.poll())


if __name__ == "__main__":
    unittest.main()
