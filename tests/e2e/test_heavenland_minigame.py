"""Heavenland's HTTP api (curl) and the /minigame harness end to end, and the own listener.

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_heavenland_minigame.py   (needs PARLEY_BIN)
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from parley_server import ParleyServer  # noqa: E402
from heavenland_support import Client, claims, hs256  # noqa: E402
from ws_client import free_port, write_config  # noqa: E402

CONFIG = """
[auth]
jwt_secret = "s3cret"

[heavenland]
env = "LOCAL DEV"
"""


def curl(url):
    """(status, headers dict lower-cased, body) of a GET by the curl command."""
    out = subprocess.run(["curl", "-s", "-i", "--max-time", "5", url], capture_output=True,
                         timeout=10, check=True).stdout.decode()
    head, _, body = out.partition("\r\n\r\n")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


async def acurl(url):
    return await asyncio.to_thread(curl, url)


class HeavenlandServer(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parley-hl-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.own_port = free_port()
        cfg = write_config(self.tmp, CONFIG + 'listen = "127.0.0.1:%d"\n' % self.own_port)
        self.server = ParleyServer(args=["--config", cfg, "--threads", "2"]).start()
        self.addCleanup(self.server.close)
        self.addCleanup(self.server.stop)

    async def open(self, path, base=None):
        c = await Client.open((base or self.server.ws_url) + path)
        self.addAsyncCleanup(c.close)
        return c


class Api(HeavenlandServer):
    async def test_api_and_version_with_curl(self):
        for base in (self.server.url, "http://127.0.0.1:%d" % self.own_port):
            status, headers, body = await acurl(base + "/api")
            self.assertEqual((status, body), (200, ""))
            self.assertEqual(headers.get("access-control-allow-origin"), "*")
            status, headers, body = await acurl(base + "/api/version")
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("content-type"), "application/json")
            version = json.loads(body)
            self.assertEqual(list(version.keys()), ["api", "env", "desc"])
            self.assertEqual(version["env"], "LOCAL DEV")
            parley = (await asyncio.to_thread(subprocess.run, [os.environ["PARLEY_BIN"], "--version"],
                                                capture_output=True, text=True)).stdout.split()[-1]
            self.assertEqual(version["api"], "v" + parley)
            self.assertIsInstance(version["desc"], str)
            self.assertEqual((await acurl(base + "/api/"))[0], 200)
            self.assertEqual((await acurl(base + "/api/nothing"))[0], 404)
            self.assertEqual((await acurl(base + "/chat"))[0], 426)  # a WebSocket endpoint

    async def test_own_listener_serves_the_chat(self):
        own = "ws://127.0.0.1:%d" % self.own_port
        a = await self.open("/chat", own)
        b = await self.open("/chat")  # the shared listener: the same chat
        await a.login(hs256(claims("HL1", "One")))
        await b.login(hs256(claims("HL2", "Two")))
        await a.send({"action": "message", "message": "across listeners"})
        self.assertEqual((await b.next())["message"], "across listeners")
        self.assertEqual((await a.next())["message"], "across listeners")


class Minigame(HeavenlandServer):
    async def players(self, *ids):
        for i in ids:
            c = await self.open("/chat")
            await c.login(hs256(claims(i, "nick " + i)))

    @staticmethod
    async def next_not_update(c):
        """The next frame that is not a scheduler tick's {"info":"update"}."""
        while True:
            got = await c.next()
            if got != {"info": "update"}:
                return got

    async def test_scheduler_and_game_end_with_the_prize_split(self):
        await self.players("HL1", "HL2", "HL3")
        ue, other = await self.open("/minigame"), await self.open("/minigame")

        # Before any scheduler.
        self.assertEqual(await ue.ask({"action": "game_end", "id": "HLG-1",
                                       "leaderboard": [{"id": "HL1", "position": 1}]}),
                         {"error": "scheduler not running"})
        await ue.send({"action": "scheduler_info"})
        for c in (ue, other):
            self.assertEqual(await c.next(), {"info": "scheduler is not running"})
        online = await ue.ask({"action": "online_players"})
        self.assertEqual(online, {"online_players": [{"id": "HL1", "nickname": "nick HL1"},
                                                     {"id": "HL2", "nickname": "nick HL2"},
                                                     {"id": "HL3", "nickname": "nick HL3"}]})
        self.assertEqual(await other.quiet(0.2), [])

        await ue.send({"action": "scheduler_start", "period": 1, "offset": 30})
        for c in (ue, other):
            self.assertEqual(await c.next(), {"info": "update"})
            self.assertEqual(await c.next(), {"info": "scheduler is running"})
        # The mock events endpoint describes the game just set up.
        _, _, body = await acurl(self.server.url + "/api/gaming/events")
        events = json.loads(body)
        self.assertEqual(events[0]["id"], "HLG-1")
        self.assertEqual(events[0]["miniGame"], "boomer")
        self.assertEqual([p["id"] for p in events[0]["players"]], ["HL1", "HL2", "HL3"])
        params = events[0]["parameters"][0]
        self.assertEqual(params["startsAt"] - params["registrationStartsAt"], 30)

        await ue.send({"action": "scheduler_info"})
        info = {"info": "scheduler is running", "period": 1, "offset": 30}
        self.assertEqual(await self.next_not_update(other), info)
        self.assertEqual(await self.next_not_update(ue), info)
        # Every period, the next game is announced.
        self.assertEqual(await other.next(), {"info": "update"})
        _, _, body = await acurl(self.server.url + "/api/gaming/events")
        game = json.loads(body)[0]
        self.assertIn((game["id"], game["miniGame"]),
                      [("HLG-2", "speedspinner"), ("HLG-3", "boomer")])

        board = [{"id": "HL2", "position": 1}, {"id": "HL1", "position": 2},
                 {"id": "HL3", "position": 3}]
        await ue.send({"action": "game_end", "id": "HLG-1", "leaderboard": board})
        expected = {"action": "balance_update", "data": [
            {"id": "HL2", "won": 468, "balance": 468},   # pool 1000 + 3 x 100 = 1300, 36 %
            {"id": "HL1", "won": 338, "balance": 338},   # 26 %
            {"id": "HL3", "won": 234, "balance": 234}]}  # 18 %
        for c in (ue, other):
            self.assertEqual(await self.next_not_update(c), expected)

        await ue.send({"action": "scheduler_stop"})
        for c in (ue, other):
            self.assertEqual(await self.next_not_update(c), {"info": "scheduler is stopped"})
        await asyncio.sleep(1.5)  # no more updates once stopped
        self.assertEqual(await other.quiet(0.1), [])

    async def test_game_end_error_strings(self):
        await self.players("HL1", "HL2")
        ue = await self.open("/minigame")
        await ue.send({"action": "scheduler_start", "period": 3600})
        await ue.next()
        await ue.next()

        async def end(body):
            return await ue.ask(dict({"action": "game_end"}, **body))

        self.assertEqual(await end({"id": "HLG-9", "leaderboard": [{"id": "HL1", "position": 1}]}),
                         {"error": "game with id HLG-9 not found in list of running games"})
        self.assertEqual(await end({"leaderboard": []}),
                         {"error": "game with id None not found in list of running games"})
        self.assertEqual(await end({"id": "HLG-1", "leaderboard": []}),
                         {"error": "leaderboard is empty"})
        self.assertEqual(await end({"id": "HLG-1"}), {"error": "leaderboard is empty"})
        self.assertEqual(await end({"id": "HLG-1", "leaderboard": [{"id": "HL1"}]}),
                         {"error": "position not found for player id HL1"})
        self.assertEqual(await end({"id": "HLG-1", "leaderboard": [{"id": "HL1", "position": 1},
                                                                   {"id": "ghost", "position": 2}]}),
                         {"error": "player id ghost not found in the pool of existing players"})
        self.assertEqual(await end({"id": "HLG-1", "leaderboard": "HL1"}),
                         {"error": "leaderboard has to be a list of objects"})
        self.assertEqual(await ue.ask({"action": "scheduler_start", "period": 0}),
                         {"error": "period has to be an integer from 1 to 2147483647"})
        self.assertEqual(await ue.ask({"action": "scheduler_start", "offset": "soon"}),
                         {"error": "offset has to be an integer from 0 to 2147483647"})
        self.assertEqual(await ue.ask("not json"), {"error": "the message is not valid JSON"})
        self.assertEqual(await ue.ask("[]"), {"error": "the message has to be a JSON object"})
        await ue.send({"action": "unknown"})
        self.assertEqual(await ue.quiet(), [])
        # The refused requests paid nothing: the game still ends once.
        ok = await end({"id": "HLG-1", "leaderboard": [{"id": "HL1", "position": 1}]})
        self.assertEqual(ok, {"action": "balance_update",
                              "data": [{"id": "HL1", "won": 396, "balance": 396}]})
        self.assertEqual(await end({"id": "HLG-1", "leaderboard": [{"id": "HL1", "position": 1}]}),
                         {"error": "game with id HLG-1 not found in list of running games"})

    async def test_webhook_announces_an_update(self):
        a, b = await self.open("/minigame"), await self.open("/minigame")
        status, _, _ = await acurl(self.server.url + "/api/webhook/minigame")
        self.assertEqual(status, 200)
        self.assertEqual(await a.next(), {"info": "update"})
        self.assertEqual(await b.next(), {"info": "update"})
        # Chat sockets never see the harness's broadcasts.
        chat = await self.open("/chat")
        await chat.login(hs256(claims("HL1")))
        await acurl(self.server.url + "/api/webhook/minigame")
        await a.next()
        self.assertEqual(await chat.quiet(0.2), [])


if __name__ == "__main__":
    unittest.main()
