"""ERT Concierge end to end with the seed README's own code (tests/e2e/concierge_seed_client.py:
the tutorial's snippets, unchanged but for the URL) serving two users.

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_concierge_seed.py
(needs PARLEY_BIN; Debian's python3-websockets 10.4).

The README connects with `subprotocols="ert-concierge"`, a str. The websockets of 2020 took
it and offered each of its characters as a subprotocol; websockets 10 refuses a str. So the seed
client runs against `Websockets2020`, which passes a str on as its characters, as the old
library did: the README's line runs unchanged, and the server sees what it saw in 2020 (an offer
without ert-concierge, which the original served, answering no subprotocol).
"""

import asyncio
import contextlib
import importlib
import io
import os
import sys
import unittest

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from concierge_helpers import Client  # noqa: E402
from ws_client import wait_output  # noqa: E402
from parley_server import ParleyServer  # noqa: E402


class Websockets2020:
    """websockets as the seed's authors had it: a str `subprotocols` is iterated."""

    offered = []

    def __getattr__(self, attr):
        return getattr(websockets, attr)

    def connect(self, uri, subprotocols=None, **kwargs):
        if isinstance(subprotocols, str):
            subprotocols = list(subprotocols)
        Websockets2020.offered = subprotocols
        return websockets.connect(uri, subprotocols=subprotocols, **kwargs)


class SeedChatService(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.server = ParleyServer().start()
        self.addCleanup(self.server.close)
        self.addCleanup(self.server.stop)
        import concierge_seed_client
        self.seed = importlib.reload(concierge_seed_client)
        self.seed.websockets = Websockets2020()
        self.seed.uri = self.server.ws_url + "/ws"  # the only change: the URL

    async def wait_output(self, out, task, fragment):
        try:
            await wait_output(out, task, lambda text: fragment in text, repr(fragment))
        except AssertionError as e:
            self.fail("%s\n%s" % (e, self.server.log_tail()))

    async def test_seed_service_relays_chat_and_answers_about_privately(self):
        out = io.StringIO()
        url = self.seed.uri
        with contextlib.redirect_stdout(out):
            task = asyncio.get_running_loop().create_task(self.seed.main())
            try:
                await self.wait_output(out, task, "The server version is 0.2.0.")
                self.assertRegex(out.getvalue(),
                                 r"My uuid is [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}"
                                 r"-[0-9a-f]{12}\. The server version is 0\.2\.0\.")
                self.assertIn("e", Websockets2020.offered)  # what the 2020 library offered

                alice = await Client.identified(url, "alice", nickname="Alice")
                bob = await Client.identified(url, "bob")
                for user in (alice, bob):
                    await user.send({"type": "SELF_SUBSCRIBE", "service": "chat_service"})
                    result = await user.next("SELF_SUBSCRIBE_RESULT")
                    self.assertTrue(result["successful"])
                    self.assertEqual(result["service"]["owner_uuid"], self.seed.uuid)
                    self.assertEqual(result["service"]["nickname"], "Chat Service")

                await alice.send({"type": "MESSAGE",
                                  "target": {"type": "SERVICE", "service": "chat_service"},
                                  "data": {"type": "INPUT", "text": "hello bob"}})
                self.assertEqual((await alice.next("OK"))["seq"], 1)
                for user in (alice, bob):
                    text = await user.next("MESSAGE", lambda m: m["data"].get("type") == "TEXT")
                    self.assertEqual(text["data"], {"type": "TEXT", "author": "Alice",
                                                    "author_uuid": alice.uuid,
                                                    "text": "hello bob"})
                    self.assertEqual(text["origin"]["name"], "chat_service")
                    self.assertEqual(text["origin"]["uuid"], self.seed.uuid)
                    self.assertEqual(text["origin"]["service"]["name"], "chat_service")
                    self.assertEqual(text["target"], {"type": "SERVICE",
                                                      "service": "chat_service"})

                await bob.send({"type": "MESSAGE",
                                "target": {"type": "SERVICE", "service": "chat_service"},
                                "data": {"type": "INPUT", "text": "/about"}})
                about = await bob.next("MESSAGE", lambda m: m["data"].get("author") ==
                                       "System Message")
                self.assertEqual(about["data"]["text"],
                                 "(Only you can see this!)\nERT Chat Service\nVersion: 0.1")
                self.assertEqual(about["target"], {"type": "SERVICE_CLIENT_UUID",
                                                   "service": "chat_service", "uuid": bob.uuid})
                # Alice never sees it.
                for frame in await alice.quiet(0.5):
                    self.assertNotEqual(frame.get("data", {}).get("author"), "System Message")
                await alice.close()
                await bob.close()
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self.assertNotIn("Uncaught exception", out.getvalue())


if __name__ == "__main__":
    unittest.main()
