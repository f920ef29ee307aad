"""ERT Concierge end to end, the protocol itself: subprotocol, every close code, every error
payload, seq, routing, an owner's disconnect, the heartbeat, and bad input that must leave
everyone else served.

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_concierge_protocol.py
(needs PARLEY_BIN; Debian's python3-websockets 10.4).
"""

import asyncio
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from concierge_helpers import Client  # noqa: E402
from ws_client import RawWs, write_config  # noqa: E402
from parley_server import ParleyServer  # noqa: E402

NIL = "00000000-0000-4000-8000-000000000000"


def identify(name, version="0.2.0", **extra):
    return dict({"type": "IDENTIFY", "name": name, "version": version}, **extra)


def message(target, data):
    return {"type": "MESSAGE", "target": target, "data": data}


class ServerCase(unittest.IsolatedAsyncioTestCase):
    toml = None

    def setUp(self):
        args = []
        if self.toml:
            self.dir = tempfile.mkdtemp(prefix="parley-concierge-")
            args = ["--config", write_config(self.dir, self.toml)]
        self.server = ParleyServer(args=args).start()
        self.addCleanup(self.server.close)
        self.addCleanup(self.server.stop)
        self.url = self.server.ws_url + "/ws"

    async def closed_with(self, first_payload, code, reason):
        c = await Client.open(self.url)
        await c.send(first_payload)
        closed = await c.wait_closed()
        self.assertEqual(closed, (code, reason), "after %r" % (first_payload,))
        self.assertEqual(c.frames, [])


class Protocol(ServerCase):
    async def test_subprotocol_is_selected_when_offered(self):
        offered = await Client.open(self.url, ["other", "ert-concierge"])
        self.assertEqual(offered.connection.subprotocol, "ert-concierge")
        # The original (actix) served clients that offered none, or others: so does Parley.
        for protocols in ([], ["other"]):
            c = await Client.open(self.url, protocols)
            self.assertIsNone(c.connection.subprotocol)
            await c.send(identify("p%d" % len(protocols)))
            self.assertEqual((await c.next())["type"], "HELLO")
            await c.close()
        await offered.close()

    async def test_identification_close_codes(self):
        await Client.identified(self.url, "taken")
        await self.closed_with("{not json", 4000, "Unknown reason")
        await self.closed_with({"type": "IDENTIFY", "name": "x"}, 4000, "Unknown reason")
        await self.closed_with({"type": "SELF_FETCH"}, 4003, "No identification payload sent")
        await self.closed_with(message({"type": "ALL"}, 1), 4003,
                               "No identification payload sent")
        await self.closed_with(identify("taken"), 4005, "Duplicate name in namespace")
        await self.closed_with(identify("x", "0.3.0"), 4007, "Version mismatch")
        await self.closed_with(identify("x", "0.1.0"), 4007, "Version mismatch")
        # Unparsable: the original panicked; Parley closes with 4007.
        await self.closed_with(identify("x", "two point oh"), 4007, "Version mismatch")
        await self.closed_with(identify("no spaces"), 4008, "Name must be alphanumeric")
        await self.closed_with(identify("dash-ed"), 4008, "Name must be alphanumeric")
        binary = await Client.open(self.url)
        await binary.connection.send(b"\x00\x01")
        self.assertEqual(await binary.wait_closed(), (4003, "No identification payload sent"))
        # The server logged each one with the peer, and is still serving.
        self.assertIn("Version mismatch", self.server.log)
        again = await Client.identified(self.url, "still_here")
        await again.close()

    async def test_no_identify_within_five_seconds_closes_4004(self):
        c = await Client.open(self.url)
        started = asyncio.get_running_loop().time()
        self.assertEqual(await c.wait_closed(timeout=8), (4004, "Authorization failed"))
        elapsed = asyncio.get_running_loop().time() - started
        self.assertGreater(elapsed, 4.0)
        self.assertLess(elapsed, 7.0)

    async def test_seq_and_every_error_payload(self):
        a = await Client.identified(self.url, "alice")
        b = await Client.identified(self.url, "bob")
        await a.next("CLIENT_JOINED")
        await a.send("not json")
        err = await a.next()
        self.assertEqual(err["type"], "ERROR_PROTOCOL")
        self.assertEqual(err["seq"], 0)
        self.assertIsInstance(err["desc"], str)
        await a.send({"type": "SELF_SUBSCRIBE"})
        self.assertEqual(await a.next(), {"type": "ERROR_PROTOCOL", "seq": 1,
                                          "desc": "missing field `service`"})
        await a.send({"type": "SERVICE_CREATE", "service": 5})
        self.assertEqual(await a.next(), {"type": "ERROR_PROTOCOL", "seq": 2,
                                          "desc": "invalid type: integer `5`, expected a string"})
        await a.send({"type": "TELEPORT"})
        self.assertTrue((await a.next())["desc"].startswith("unknown variant `TELEPORT`"))
        await a.send(identify("alice"))
        self.assertEqual(await a.next(), {"type": "ERROR_UNSUPPORTED", "seq": 4})
        await a.send(message({"type": "NAME", "name": "carol"}, 1))
        self.assertEqual(await a.next(), {"type": "INVALID_NAME", "seq": 5, "name": "carol"})
        await a.send(message({"type": "UUID", "uuid": NIL}, 1))
        self.assertEqual(await a.next(), {"type": "INVALID_UUID", "seq": 6, "uuid": NIL})
        await a.send({"type": "CLIENT_FETCH", "uuid": NIL})  # the original: no answer at all
        self.assertEqual(await a.next(), {"type": "INVALID_UUID", "seq": 7, "uuid": NIL})
        await a.send(message({"type": "SERVICE", "service": "nope"}, 1))
        self.assertEqual(await a.next(), {"type": "INVALID_SERVICE", "seq": 8, "service": "nope"})
        await b.send({"type": "SERVICE_CREATE", "service": "bobs"})
        await b.next("SERVICE_CREATE_RESULT", lambda f: "seq" in f)
        await a.send(message({"type": "SERVICE", "service": "bobs"}, 1))  # not subscribed
        self.assertEqual(await a.next("BAD"), {"type": "BAD", "seq": 9})
        await a.send(message({"type": "SERVICE_CLIENT_UUID", "service": "bobs",
                              "uuid": b.uuid}, 1))  # not the owner
        self.assertEqual(await a.next("BAD"), {"type": "BAD", "seq": 10})
        await a.send({"type": "SERVICE_DELETE", "service": "bobs"})  # not the owner: no seq
        self.assertEqual(await a.next("BAD"), {"type": "BAD"})
        await a.send({"type": "SELF_SET_SEQ", "seq": 100})
        self.assertEqual(await a.next("OK"), {"type": "OK", "seq": 100})
        await a.send({"type": "SERVICE_FETCH_ALL"})
        self.assertEqual((await a.next("SERVICE_FETCH_ALL_RESULT"))["seq"], 101)
        # Binary frames after IDENTIFY are ignored and not counted.
        await a.connection.send(b"\x01")
        await a.send({"type": "SELF_FETCH"})
        fetched = await a.next("SELF_FETCH_RESULT")
        self.assertEqual(fetched["seq"], 102)
        self.assertEqual(fetched["client"], {"name": "alice", "nickname": None, "uuid": a.uuid,
                                             "tags": []})
        self.assertIsNone(a.closed)
        await a.close()
        await b.close()

    async def test_routing_over_the_wire(self):
        owner = await Client.identified(self.url, "owner", nickname="The Owner", tags=["svc"])
        sub = await Client.identified(self.url, "sub")
        other = await Client.identified(self.url, "other")
        joined = await owner.next("CLIENT_JOINED")
        self.assertEqual(joined["client"], {"name": "sub", "nickname": None, "uuid": sub.uuid,
                                            "tags": []})
        await owner.send({"type": "SERVICE_CREATE", "service": "svc", "nickname": "Svc"})
        created = await owner.next("SERVICE_CREATE_RESULT")
        self.assertNotIn("seq", created)
        self.assertEqual((await owner.next("SERVICE_CREATE_RESULT"))["seq"], 0)
        self.assertEqual((await other.next("SERVICE_CREATE_RESULT"))["service"]["name"], "svc")
        await sub.send({"type": "SELF_SUBSCRIBE", "service": "svc"})
        self.assertTrue((await sub.next("SELF_SUBSCRIBE_RESULT"))["successful"])
        await sub.next("SERVICE_CLIENT_SUBSCRIBED")

        # Owner -> subscribers, no echo; subscriber -> owner only; ALL -> everyone.
        await owner.send(message({"type": "SERVICE", "service": "svc"}, {"n": 1}))
        got = await sub.next("MESSAGE")
        self.assertEqual(got["origin"]["name"], "owner")
        self.assertEqual(got["origin"]["nickname"], "The Owner")
        self.assertEqual(got["origin"]["tags"], ["svc"])
        self.assertEqual(got["origin"]["service"]["subscribers"], [sub.uuid])
        self.assertEqual(got["data"], {"n": 1})
        await sub.send(message({"type": "SERVICE", "service": "svc"}, "up"))
        up = await owner.next("MESSAGE")
        self.assertEqual((up["origin"]["uuid"], up["data"]), (sub.uuid, "up"))
        await other.send(message({"type": "ALL"}, "all"))
        for c in (owner, sub, other):
            self.assertEqual((await c.next("MESSAGE", lambda m: m["data"] == "all"))
                             ["origin"]["service"], None)
        await owner.send(message({"type": "SERVICE_CLIENT_UUID", "service": "svc",
                                  "uuid": other.uuid}, "psst"))
        psst = await other.next("MESSAGE", lambda m: m["data"] == "psst")
        self.assertEqual(psst["origin"]["service"]["name"], "svc")
        await sub.send(message({"type": "NAME", "name": "other"}, [1, 2]))
        self.assertEqual((await other.next("MESSAGE", lambda m: m["data"] == [1, 2]))
                         ["target"], {"type": "NAME", "name": "other"})
        for frame in await owner.quiet(0.3) + await sub.quiet(0.0):
            self.assertNotIn(frame.get("data"), ("psst", [1, 2]), frame)
        for frame in owner.frames:
            if frame["type"] == "MESSAGE":
                self.assertNotEqual(frame["origin"]["uuid"], owner.uuid, "an echo: %s" % frame)
        for c in (owner, sub, other):
            await c.close()

    async def test_owner_disconnect_deletes_its_services(self):
        owner = await Client.identified(self.url, "owner")
        sub = await Client.identified(self.url, "sub")
        for name in ("one", "two"):
            await owner.send({"type": "SERVICE_CREATE", "service": name})
            await sub.next("SERVICE_CREATE_RESULT", lambda f, n=name: f["service"]["name"] == n)
        await sub.send({"type": "SERVICE_CREATE", "service": "subs"})
        # Another connection, maybe another thread: the service must exist before owner asks.
        await owner.next("SERVICE_CREATE_RESULT", lambda f: f["service"]["name"] == "subs")
        await owner.send({"type": "SELF_SUBSCRIBE", "service": "subs"})
        # Processed before the abort below: a TCP reset discards what the server has not read.
        await owner.next("SELF_SUBSCRIBE_RESULT", lambda f: f["service"]["name"] == "subs")
        await sub.send({"type": "SELF_SUBSCRIBE", "service": "subs"})
        await sub.send({"type": "SELF_SUBSCRIBE", "service": "one"})
        await sub.next("SELF_SUBSCRIBE_RESULT", lambda f: f["service"]["name"] == "one")
        sub.seen = len(sub.frames)
        # Abruptly: the TCP connection drops, no close frame.
        owner.connection.transport.abort()
        deleted = {(await sub.next("SERVICE_DELETE_RESULT"))["service"]["name"] for _ in range(2)}
        self.assertEqual(deleted, {"one", "two"})
        unsub = await sub.next("SERVICE_CLIENT_UNSUBSCRIBED")
        self.assertEqual(unsub["service"]["name"], "subs")
        self.assertEqual(unsub["client"]["uuid"], owner.uuid)
        left = await sub.next("CLIENT_LEFT")
        self.assertEqual(left["client"]["name"], "owner")
        await sub.send({"type": "SERVICE_FETCH_ALL"})
        services = (await sub.next("SERVICE_FETCH_ALL_RESULT"))["services"]
        self.assertEqual([s["name"] for s in services], ["subs"])
        self.assertEqual(services[0]["subscribers"], [sub.uuid])
        # The name is free again.
        again = await Client.identified(self.url, "owner")
        await again.close()
        await sub.close()

    async def test_bad_input_leaves_everyone_else_served(self):
        bystander = await Client.identified(self.url, "bystander")
        # A message over [limits] max_frame_bytes (64 KiB): 1009.
        big = await Client.identified(self.url, "big")
        await big.send(json.dumps(message({"type": "ALL"}, "x" * 70000)))
        self.assertEqual((await big.wait_closed())[0], 1009)
        # Invalid UTF-8 in a text frame: 1007.
        raw = await asyncio.to_thread(RawWs, self.server.port)
        await asyncio.to_thread(raw.send_frame, 0x1, b'{"type":"\xff"}')
        code, _, _ = await asyncio.to_thread(raw.read_until_close, 5)
        self.assertEqual(code, 1007)
        raw.close()
        # A flood: every payload answered, in order.
        flood = await Client.identified(self.url, "flood")
        for i in range(500):
            await flood.send({"type": "SERVICE_FETCH", "service": "none%d" % i})
        for i in range(500):
            answer = await flood.next()
            self.assertEqual(answer, {"type": "INVALID_SERVICE", "seq": i,
                                      "service": "none%d" % i})
        # Wrong types everywhere: protocol errors, the connection stays.
        for bad in ([1, 2], "\"str\"", "null", "{}", '{"type":null}',
                    '{"type":"MESSAGE","target":{"type":"UUID","uuid":"nope"},"data":1}',
                    '{"type":"MESSAGE","target":{"type":"ALL"}}'):
            await flood.send(bad if isinstance(bad, str) else json.dumps(bad))
            self.assertEqual((await flood.next())["type"], "ERROR_PROTOCOL", bad)
        self.assertIsNone(flood.closed)
        # Abrupt disconnects of identified and unidentified clients.
        half = await Client.open(self.url)
        half.connection.transport.abort()
        flood.connection.transport.abort()
        self.assertEqual((await bystander.next("CLIENT_LEFT", lambda f: f["client"]["name"] ==
                                               "flood"))["client"]["name"], "flood")
        await bystander.send({"type": "CLIENT_FETCH_ALL"})
        names = [c["name"] for c in (await bystander.next("CLIENT_FETCH_ALL_RESULT"))["clients"]]
        self.assertEqual(names, ["bystander"])
        self.assertIsNone(bystander.closed)
        await bystander.close()


class WithSecretAndShortHeartbeat(ServerCase):
    toml = ('[concierge]\nsecret = "s3cret"\nidle_timeout = "3s"\n'
            '[limits]\nmax_channels_per_connection = 2\n')

    async def test_secret(self):
        await self.closed_with(identify("a", secret="wrong"), 4006, "Secret mismatch")
        await self.closed_with(identify("a"), 4006, "Secret mismatch")
        ok = await Client.identified(self.url, "a", secret="s3cret")
        await ok.close()

    async def test_silent_client_is_closed_4009_and_a_live_one_is_not(self):
        live = await Client.identified(self.url, "live", secret="s3cret")
        raw = await asyncio.to_thread(RawWs, self.server.port)
        await asyncio.to_thread(raw.send_text, json.dumps(identify("silent", secret="s3cret")))
        started = asyncio.get_running_loop().time()
        code, reason, frames = await asyncio.to_thread(raw.read_until_close, 12)
        elapsed = asyncio.get_running_loop().time() - started
        raw.close()
        self.assertEqual((code, reason), (4009, "Heartbeat failed"))
        self.assertGreater(elapsed, 2.9)
        self.assertLess(elapsed, 10.0)  # generous: CI machines are busy
        opcodes = [op for op, _ in frames]
        self.assertEqual(opcodes[0], 0x1)  # HELLO
        self.assertGreaterEqual(opcodes.count(0x9), 1)  # pinged before giving up
        left = await live.next("CLIENT_LEFT")
        self.assertEqual(left["client"]["name"], "silent")
        # websockets answers pings: still connected, well past the timeout.
        await asyncio.sleep(1.5)
        self.assertIsNone(live.closed)
        await live.send({"type": "SELF_FETCH"})
        self.assertEqual((await live.next("SELF_FETCH_RESULT"))["seq"], 0)
        await live.close()

    async def test_limits_answer_error_internal(self):
        a = await Client.identified(self.url, "a", secret="s3cret")
        for name in ("s1", "s2"):
            await a.send({"type": "SERVICE_CREATE", "service": name})
            await a.next("SERVICE_CREATE_RESULT", lambda f: "seq" in f)
        await a.send({"type": "SERVICE_CREATE", "service": "s3"})
        err = await a.next("ERROR_INTERNAL")
        self.assertEqual(err["seq"], 2)
        self.assertIn("limit", err["desc"])
        for name in ("s1", "s2"):
            await a.send({"type": "SELF_SUBSCRIBE", "service": name})
            self.assertTrue((await a.next("SELF_SUBSCRIBE_RESULT"))["successful"])
        b = await Client.identified(self.url, "b", secret="s3cret")
        await b.send({"type": "SERVICE_CREATE", "service": "b1"})
        await a.next("SERVICE_CREATE_RESULT", lambda f: f["service"]["name"] == "b1")
        await a.send({"type": "SELF_SUBSCRIBE", "service": "b1"})
        self.assertEqual((await a.next("ERROR_INTERNAL"))["seq"], 5)
        await a.close()
        await b.close()


if __name__ == "__main__":
    unittest.main()
