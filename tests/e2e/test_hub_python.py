"""Hub end to end with the seed README's own Python client (v1 object frames, no vsn).

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_hub_python.py
(needs PARLEY_BIN; Debian's python3-websockets 10.4).

robin is the README's client (tests/e2e/hub_seed_client.py, unchanged but for the URL), run as a
task with its stdout captured; robin2 is a plain websockets connection speaking the frames the
README documents.
"""

import asyncio
import contextlib
import importlib
import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from parley_server import ParleyServer  # noqa: E402
from ws_client import WsClient, wait_output  # noqa: E402


class SeedClientFlow(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.server = ParleyServer().start()
        self.addCleanup(self.server.close)
        self.addCleanup(self.server.stop)
        import hub_seed_client
        self.client = importlib.reload(hub_seed_client)  # fresh online_users per test
        self.client.URL = self.server.ws_url + "/socket/websocket"

    def fail_with_log(self, msg):
        self.fail("%s\n--- server log (tail) ---\n%s" % (msg, self.server.log_tail()))

    async def wait_output(self, out, task, line):
        """Waits until the captured stdout of the seed client contains `line` as a full line."""
        try:
            await wait_output(out, task, lambda text: line in text.splitlines(), repr(line))
        except AssertionError as e:
            self.fail_with_log(str(e))

    async def test_seed_client_sees_join_shout_typing_and_leave(self):
        out = io.StringIO()
        ws_url = self.client.URL
        with contextlib.redirect_stdout(out):
            connection = await self.client.connect()
            task = asyncio.get_running_loop().create_task(self.client.recv(connection))
            try:
                await self.wait_output(out, task, "< connected")
                # robin's own join arrives as a presence_diff: the README client then lists users.
                await self.wait_output(out, task, "Online users: ['robin']")

                robin2 = await WsClient.open(ws_url)
                await robin2.send({"topic": "room:lobby", "event": "phx_join",
                                   "payload": {"username": "robin2"}, "ref": "1"})
                reply = await robin2.wait_for(lambda f: f.get("event") == "phx_reply",
                                              "robin2's join reply")
                self.assertEqual(reply, {"topic": "room:lobby", "event": "phx_reply",
                                         "payload": {"status": "ok", "response": {}}, "ref": "1"})
                state = await robin2.wait_for(lambda f: f.get("event") == "presence_state",
                                              "robin2's presence_state")
                self.assertIn("robin", state["payload"])
                metas = state["payload"]["robin"]["metas"]
                self.assertEqual(len(metas), 1)
                self.assertEqual(metas[0]["username"], "robin")
                self.assertIs(metas[0]["typing"], False)
                self.assertIsInstance(metas[0]["phx_ref"], str)

                await self.wait_output(out, task, "robin2 has joined")
                await self.wait_output(out, task, "Online users: ['robin', 'robin2']")

                shout = {"body": "hello world", "channel": "lobby", "name": "robin2"}
                await robin2.send({"topic": "room:lobby", "event": "shout", "payload": shout,
                                   "ref": None})
                await self.wait_output(out, task, "< robin2 says : hello world")
                echo = await robin2.wait_for(lambda f: f.get("event") == "shout",
                                             "robin2's own shout broadcast")
                self.assertEqual(echo["payload"], shout)
                self.assertEqual(echo["topic"], "room:lobby")

                await robin2.send({"topic": "room:lobby", "event": "user:typing",
                                   "payload": {"username": "robin2", "typing": True}, "ref": "2"})
                typing_reply = await robin2.wait_for(
                    lambda f: f.get("event") == "phx_reply" and f.get("ref") == "2",
                    "reply to user:typing")
                self.assertEqual(typing_reply["payload"], {"status": "ok", "response": {}})
                await self.wait_output(out, task, "robin2 is typing")

                await robin2.send({"topic": "room:lobby", "event": "user:typing",
                                   "payload": {"username": "robin2", "typing": False}, "ref": "3"})
                await self.wait_output(out, task, "robin2 has stopped typing")

                await robin2.close()
                await self.wait_output(out, task, "robin2 has left")
                self.assertEqual(self.client.online_users, ["robin"])
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                await connection.close()

        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0], "< connected", lines)
        start = lines.index("robin2 has joined")
        self.assertEqual(lines[start:], [
            "robin2 has joined",
            "Online users: ['robin', 'robin2']",
            "< robin2 says : hello world",
            "robin2 is typing",
            "robin2 has stopped typing",
            "robin2 has left",
        ])
        # The original server pushes presence_state before tracking the joiner, so the README
        # client learns of robin from robin's own presence_diff.
        self.assertEqual(lines[:start], ["< connected", "robin has joined",
                                         "Online users: ['robin']"])

    async def test_v1_frames_heartbeat_and_join_error(self):
        url = self.server.ws_url + "/socket/websocket"
        c = await WsClient.open(url)
        try:
            await c.send({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "7"})
            hb = await c.wait_for(lambda f: f.get("ref") == "7", "heartbeat reply")
            self.assertEqual(hb, {"topic": "phoenix", "event": "phx_reply",
                                  "payload": {"status": "ok", "response": {}}, "ref": "7"})

            # join_ref is accepted on input but never sent back in v1.
            await c.send({"topic": "room:py", "event": "phx_join", "payload": {},
                          "ref": "8", "join_ref": "8"})
            err = await c.wait_for(lambda f: f.get("ref") == "8", "join error reply")
            self.assertEqual(err["event"], "phx_reply")
            self.assertEqual(err["topic"], "room:py")
            self.assertEqual(err["payload"]["status"], "error")
            self.assertIsInstance(err["payload"]["response"].get("reason"), str)
            self.assertNotIn("join_ref", err)

            await c.send({"topic": "room:py", "event": "phx_join",
                          "payload": {"username": "py"}, "ref": "9", "join_ref": "9"})
            ok = await c.wait_for(lambda f: f.get("ref") == "9", "join ok reply")
            self.assertEqual(ok["payload"], {"status": "ok", "response": {}})
            self.assertNotIn("join_ref", ok)
            self.assertIsNone(c.closed)
        finally:
            await c.close()


if __name__ == "__main__":
    unittest.main()
