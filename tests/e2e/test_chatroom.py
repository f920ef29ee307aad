"""ChatRoom end to end: the real binary, driven by Python `websockets` clients that speak
Parley's extended protocol with the seed README's envelope (tests/e2e/chatroom_client.py,
connected with ?envelope=content&protocol=extended), and by plain ones speaking the default, the
original client's protocol. The original client itself: test_chatroom_original_client.py.

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_chatroom.py
(needs PARLEY_BIN; Debian's python3-websockets 10.4).
"""

import asyncio
import json
import os
import random
import sys
import tempfile
import unittest
import urllib.request

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from chatroom_client import ChatroomClient  # noqa: E402
from parley_server import ParleyServer  # noqa: E402

CONFIG = """
[chatroom]
listen = "127.0.0.1:0"
request_timeout = "1s"
"""
EXTENDED = "?envelope=content&protocol=extended"


def write_config(text):
    fd, path = tempfile.mkstemp(prefix="parley-chatroom-", suffix=".toml")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


class ChatroomTest(unittest.IsolatedAsyncioTestCase):
    config = CONFIG

    def setUp(self):
        path = write_config(self.config)
        self.addCleanup(os.remove, path)
        self.server = ParleyServer(args=["--config", path, "--threads", "2"]).start()
        self.addCleanup(self.server.close)
        self.addCleanup(self.server.stop)
        self.url = self.server.ws_url + "/chatroom" + EXTENDED
        self.clients = []

    async def asyncTearDown(self):
        for c in self.clients:
            try:
                await asyncio.wait_for(c.close(), 2)
            except Exception:
                pass

    async def client(self, url=None, envelope="content"):
        c = await ChatroomClient.connect(url or self.url, envelope)
        self.clients.append(c)
        return c

    def assertServerAlive(self):
        self.assertIsNone(self.server.proc.poll(), self.server.log_tail())


class SeedFlow(ChatroomTest):
    async def test_three_clients_topics_services_and_unsubscribe(self):
        a, b, c = await self.client(), await self.client(), await self.client()
        self.assertEqual([a.id, b.id, c.id], [1, 2, 3])

        # subscribe creates the topic and sends its value as an update with a set change.
        first = await a.subscribe("counter", "int")
        self.assertEqual(first, {"topic_name": "counter", "topic_type": "int", "type": "set",
                                 "value": 0, "old_value": None, "id": first["id"]})
        await b.subscribe("counter", "int")

        # b's change reaches every subscriber, b included, in the serialized form.
        await b.send("update", topic_name="counter",
                     change={"topic_name": "counter", "topic_type": "int", "type": "add",
                             "value": 5, "id": "2_1"})
        for x in (a, b):
            await x.wait_until(lambda x=x: x.value("counter") == 5, "counter is 5 at %d" % x.id)
        update = await a.wait_for(lambda f: f["type"] == "update"
                                  and f["content"]["change"]["type"] == "add", "a's update")
        self.assertEqual(update["content"], {"topic_name": "counter", "change": {
            "topic_name": "counter", "topic_type": "int", "type": "add", "value": 5, "id": "2_1"}})

        # c provides a service; a calls it through the server.
        requests = []

        def double(args):
            requests.append(args)
            return args["x"] * 2
        c.serve("double", double)
        await c.send("register_service", service_name="double")
        await asyncio.sleep(0.05)
        response = await a.request("double", {"x": 21}, "q1")
        self.assertEqual(response, {"response": 42, "request_id": "q1"})
        self.assertEqual(requests, [{"x": 21}])
        relayed = await c.wait_for(lambda f: f["type"] == "request", "the relayed request")
        self.assertNotEqual(relayed["content"]["request_id"], "q1")  # a fresh id

        # c joins the topic late and gets its current value; a leaves it.
        late = await c.subscribe("counter", "int")
        self.assertEqual(late["value"], 5)
        await a.send("unsubscribe", topic_name="counter")
        await asyncio.sleep(0.05)
        mark = len(a.frames)
        await b.send("update", topic_name="counter", change={"type": "set", "value": 7,
                                                             "old_value": 5})
        for x in (b, c):
            await x.wait_until(lambda x=x: x.value("counter") == 7, "counter is 7")
        await asyncio.sleep(0.1)
        self.assertFalse([f for f in a.frames[mark:] if f["type"] == "update"])

        # An invalid change is rejected to its sender only.
        mark_b = len(b.frames)
        await c.send("update", topic_name="counter", change={"type": "add", "value": "one"})
        reject = await c.wait_for(lambda f: f["type"] == "reject_update", "c's rejection")
        self.assertEqual(reject["content"]["topic_name"], "counter")
        self.assertEqual(reject["content"]["change"], {"type": "add", "value": "one"})
        self.assertIn("must be an integer", reject["content"]["reason"])
        await asyncio.sleep(0.1)
        self.assertEqual(b.frames[mark_b:], [])  # no update, no rejection: c's alone
        self.assertEqual(b.value("counter"), 7)

        # The service goes away: a request is answered with an error.
        await c.send("unregister_service", service_name="double")
        await asyncio.sleep(0.05)
        gone = await a.request("double", {"x": 1}, "q2")
        self.assertEqual(gone["request_id"], "q2")
        self.assertEqual(gone["error"], "service 'double' is not registered")
        self.assertEqual(gone["response"], {"error": "service 'double' is not registered"})

    async def test_every_topic_type(self):
        a, b = await self.client(), await self.client()
        changes = {
            "generic": [{"type": "set", "value": {"any": ["thing", 1]}}],
            "string": None,  # tested below, it needs versions
            "int": [{"type": "set", "value": 3}, {"type": "add", "value": -1}],
            "float": [{"type": "set", "value": 1.5}, {"type": "add", "value": 0.25}],
            "set": [{"type": "append", "item": "x"}, {"type": "append", "item": "y"},
                    {"type": "remove", "item": "x"}],
            "list": [{"type": "insert", "item": 1, "position": 0},
                     {"type": "insert", "item": 2, "position": -1},
                     {"type": "insert", "item": 0, "position": 0},
                     {"type": "pop", "position": -1}],
            "dict": [{"type": "add", "key": "k", "value": 1},
                     {"type": "change_value", "key": "k", "value": 2, "old_value": 1},
                     {"type": "add", "key": "z", "value": None}, {"type": "pop", "key": "z"}],
        }
        expected = {"generic": {"any": ["thing", 1]}, "int": 2, "float": 1.75, "set": ["y"],
                    "list": [0, 1], "dict": {"k": 2}}
        for type_, seq in changes.items():
            if seq is None:
                continue
            name = "t_" + type_
            await a.subscribe(name, type_)
            await b.subscribe(name, type_)
            for change in seq:
                await a.send("update", topic_name=name, change=change)
            await b.wait_until(lambda n=name, s=seq: b.topics[n]["updates"] == len(s) + 1,
                               "every %s change at b" % type_)
            self.assertEqual(b.value(name), expected[type_], type_)
            self.assertEqual(a.value(name), expected[type_], type_)

        # string: set, insert, delete, each naming the version it was made against.
        await a.subscribe("t_string", "string")
        await b.subscribe("t_string", "string")
        await a.send("update", topic_name="t_string",
                     change={"type": "set", "value": "hello", "old_value": ""})
        await a.wait_until(lambda: a.value("t_string") == "hello", "hello")
        v = a.topics["t_string"]["version"]
        await a.send("update", topic_name="t_string",
                     change={"type": "insert", "topic_version": v, "position": 5,
                             "insertion": " world", "result_topic_version": "a_2"})
        await a.wait_until(lambda: a.topics["t_string"]["version"] == "a_2", "version a_2")
        await a.send("update", topic_name="t_string",
                     change={"type": "delete", "topic_version": "a_2", "position": 0,
                             "deletion": "hello ", "result_topic_version": "a_3"})
        await b.wait_until(lambda: b.value("t_string") == "world", "world at b")

        # event: emit reaches subscribers, and nothing is stored.
        await a.subscribe("t_event", "event")
        await b.subscribe("t_event", "event")
        await asyncio.sleep(0.05)
        await a.send("update", topic_name="t_event", change={"type": "emit", "args": {"n": 1}})
        emitted = await b.wait_for(lambda f: f["type"] == "update"
                                   and f["content"]["change"]["type"] == "emit", "the emit")
        self.assertEqual(emitted["content"]["change"]["args"], {"n": 1})
        self.assertEqual(emitted["content"]["change"]["forward_info"], {})

    async def test_rejections(self):
        a = await self.client()
        await a.subscribe("tags", "set")
        await a.subscribe("l", "list")
        await a.subscribe("d", "dict")
        await a.subscribe("s", "string")
        cases = [
            ("tags", {"type": "append", "item": 1}, None),
            ("tags", {"type": "append", "item": 1}, "would create a duplicate"),
            ("tags", {"type": "remove", "item": 2}, "Cannot remove 2"),
            ("l", {"type": "pop", "position": 0}, "out of range"),
            ("l", {"type": "insert", "item": 1}, "needs \"position\""),
            ("d", {"type": "pop", "key": "k"}, "is not in 'd'"),
            ("d", {"type": "change_value", "key": "k", "value": 1}, "is not in 'd'"),
            ("s", {"type": "insert", "topic_version": "nope", "position": 0, "insertion": "x"},
             "Invalid base topic version: nope"),
            ("s", {"type": "append", "item": 1}, "'append' is not a change of a string topic"),
            ("l", {"type": "set", "value": 5}, "is not a valid value of list topic"),
            ("missing", {"type": "set", "value": 1}, "does not exist"),
            ("_chatroom/server_status", {"type": "set", "value": "x"}, "by the server only"),
        ]
        for topic, change, reason in cases:
            mark = len(a.frames)
            await a.send("update", topic_name=topic, change=change)
            frame = await a.wait_for(lambda f: f["type"] in ("update", "reject_update")
                                     and f["content"]["topic_name"] == topic,
                                     "the answer to %s" % change, start=mark)
            if reason is None:
                self.assertEqual(frame["type"], "update")
            else:
                self.assertEqual(frame["type"], "reject_update", change)
                self.assertIn(reason, frame["content"]["reason"])
                self.assertEqual(frame["content"]["change"], change)
        self.assertEqual(a.value("tags"), [1])
        self.assertEqual(a.value("l"), [])


class ConcurrentStrings(ChatroomTest):
    async def edit_concurrently(self, a, b, c, rounds, deletes):
        """a and b edit "doc" at random places at the same time, each against the version it
        has; c watches. Returns the tokens inserted."""
        rng = random.Random(1234)
        tokens = []
        sent = {"n": 0}

        async def editor(client, tag):
            for i in range(rounds):
                t = client.topics["doc"]
                text, version = t["value"], t["version"]
                if deletes and text and rng.random() < 0.3:
                    pos = rng.randrange(len(text))
                    n = 1 + rng.randrange(min(3, len(text) - pos))
                    change = {"type": "delete", "topic_version": version, "position": pos,
                              "deletion": text[pos:pos + n],
                              "result_topic_version": "%s_%d" % (tag, i)}
                else:
                    token = "<%s%d>" % (tag, i)
                    tokens.append(token)
                    # Between two tokens (or anywhere once deletes cut them): so that a token
                    # is never split by another and stays findable.
                    places = ([0] + [j + 1 for j, ch in enumerate(text) if ch == ">"]
                              if not deletes else range(len(text) + 1))
                    change = {"type": "insert", "topic_version": version,
                              "position": rng.choice(list(places)), "insertion": token,
                              "result_topic_version": "%s_%d" % (tag, i), "id": "%s_c%d" % (tag, i)}
                await client.send("update", topic_name="doc", change=change)
                sent["n"] += 1
                await asyncio.sleep(rng.random() * 0.004)

        await asyncio.gather(editor(a, "A"), editor(b, "B"))
        total = sent["n"] + 1  # and the initial value
        for x in (a, b, c):
            await x.wait_until(lambda x=x: x.topics["doc"]["updates"] == total,
                               "client %d has all %d updates (has %d)"
                               % (x.id, total, x.topics["doc"]["updates"]), timeout=10)
        rejects = [f for x in (a, b) for f in x.frames if f["type"] == "reject_update"]
        self.assertEqual(rejects, [])
        return tokens

    async def test_two_editors_converge(self):
        a, b, c = await self.client(), await self.client(), await self.client()
        for x in (a, b, c):
            await x.subscribe("doc", "string")
        tokens = await self.edit_concurrently(a, b, c, rounds=40, deletes=False)
        final = a.value("doc")
        self.assertEqual(b.value("doc"), final)
        self.assertEqual(c.value("doc"), final)
        self.assertEqual(a.topics["doc"]["version"], c.topics["doc"]["version"])
        for token in tokens:  # no insert lost, none applied twice
            self.assertEqual(final.count(token), 1, token)
        self.assertEqual(len(final), sum(len(t) for t in tokens))
        # Some edits really were concurrent: the server rebased them.
        adjusted = [f for f in c.frames if f["type"] == "update"
                    and f["content"]["change"]["id"].endswith("_adjust")]
        self.assertTrue(adjusted, "no edit was made against a stale version")
        # A newcomer sees the same text and version.
        d = await self.client()
        snapshot = await d.subscribe("doc")
        self.assertEqual(snapshot["value"], final)
        self.assertEqual(snapshot["id"], a.topics["doc"]["version"])

    async def test_inserts_and_deletes_converge(self):
        a, b, c = await self.client(), await self.client(), await self.client()
        for x in (a, b, c):
            await x.subscribe("doc", "string")
        await a.send("update", topic_name="doc",
                     change={"type": "set", "value": "The quick brown fox jumps over the lazy dog"})
        for x in (a, b, c):
            await x.wait_until(lambda x=x: x.topics["doc"]["updates"] == 2, "the set")
            x.topics["doc"]["updates"] = 1  # count from here as edit_concurrently expects
        await self.edit_concurrently(a, b, c, rounds=40, deletes=True)
        self.assertEqual(a.value("doc"), b.value("doc"))
        self.assertEqual(a.value("doc"), c.value("doc"))


class Services(ChatroomTest):
    async def test_provider_disconnect_answers_pending_requests(self):
        provider, caller = await self.client(), await self.client()
        await provider.send("register_service", service_name="slow")
        await asyncio.sleep(0.05)
        await caller.send("request", service_name="slow", args={}, request_id="p1")
        await provider.wait_for(lambda f: f["type"] == "request", "the request")
        await provider.close()
        self.clients.remove(provider)
        frame = await caller.wait_for(lambda f: f["type"] == "response", "the error response")
        self.assertEqual(frame["content"]["request_id"], "p1")
        self.assertEqual(frame["content"]["error"],
                         "the provider of 'slow' disconnected before responding")

    async def test_abrupt_provider_loss(self):
        provider, caller = await self.client(), await self.client()
        await provider.send("register_service", service_name="fragile")
        await asyncio.sleep(0.05)
        await caller.send("request", service_name="fragile", args={}, request_id=9)
        await provider.wait_for(lambda f: f["type"] == "request", "the request")
        provider.connection.transport.abort()  # no close frame
        self.clients.remove(provider)
        frame = await caller.wait_for(lambda f: f["type"] == "response", "the error response")
        self.assertEqual(frame["content"]["request_id"], 9)
        self.assertIn("disconnected", frame["content"]["error"])
        self.assertServerAlive()

    async def test_timeout(self):
        provider, caller = await self.client(), await self.client()
        await provider.send("register_service", service_name="mute")
        await asyncio.sleep(0.05)
        started = asyncio.get_running_loop().time()
        response = await caller.request("mute", {"q": 1}, "t1")
        waited = asyncio.get_running_loop().time() - started
        self.assertEqual(response["error"], "request to 'mute' timed out after 1000 ms")
        self.assertGreaterEqual(waited, 0.9)
        # The provider answering late changes nothing for the caller.
        req = await provider.wait_for(lambda f: f["type"] == "request", "the request")
        mark = len(caller.frames)
        await provider.send("response", response=1, request_id=req["content"]["request_id"])
        await asyncio.sleep(0.2)
        self.assertEqual(caller.frames[mark:], [])

    async def test_validator_rejects_a_change(self):
        validator, writer, watcher = await self.client(), await self.client(), await self.client()
        asked = []

        def validate(args):
            asked.append(args)
            if args["new_value"] > 10:
                return {"valid": False, "reason": "score must stay at most 10"}
            return {"valid": True}
        validator.serve("_chatroom/validate_change/score", validate)
        await validator.send("register_service", service_name="_chatroom/validate_change/score")
        await writer.subscribe("score", "int")
        await watcher.subscribe("score", "int")
        await asyncio.sleep(0.05)

        await writer.send("update", topic_name="score", change={"type": "add", "value": 7})
        await watcher.wait_until(lambda: watcher.value("score") == 7, "score 7")
        await writer.send("update", topic_name="score", change={"type": "add", "value": 7})
        reject = await writer.wait_for(lambda f: f["type"] == "reject_update", "the rejection")
        self.assertEqual(reject["content"]["reason"], "score must stay at most 10")
        self.assertEqual(reject["content"]["change"], {"type": "add", "value": 7})
        await writer.send("update", topic_name="score", change={"type": "add", "value": 3})
        await watcher.wait_until(lambda: watcher.value("score") == 10, "score 10")
        self.assertEqual(watcher.topics["score"]["updates"], 3)  # the rejected one never came
        self.assertEqual([a["new_value"] for a in asked], [7, 14, 10])
        self.assertEqual(asked[0]["topic_name"], "score")
        self.assertEqual(asked[0]["old_value"], 0)
        self.assertEqual(asked[0]["sender"], writer.id)


class SpecialTopics(ChatroomTest):
    async def test_server_status_and_client_messages(self):
        a = await self.client()
        status = await a.subscribe("_chatroom/server_status", "string")
        self.assertEqual(status["value"], "client 1 connected")
        b = await self.client()
        await a.wait_until(lambda: a.value("_chatroom/server_status") == "client 2 connected",
                           "status: client 2 connected")
        await b.subscribe("things", "list")
        await a.wait_until(lambda: a.value("_chatroom/server_status")
                           == "topic 'things' created (list)", "status: topic created")

        await b.subscribe("_chatroom/client_message/%d" % b.id, "string")
        await b.send("update", topic_name="things", change={"type": "pop", "position": 0})
        name = "_chatroom/client_message/%d" % b.id
        await b.wait_until(lambda: "rejected" in (b.value(name) or ""), "b's message")
        self.assertIn("out of range", b.value(name))
        await b.send("bogus_type")
        await b.wait_until(lambda: b.value(name) == "unknown message type 'bogus_type'",
                           "unknown type message")
        await b.close()
        self.clients.remove(b)
        await a.wait_until(lambda: a.value("_chatroom/server_status") == "client 2 disconnected",
                           "status: client 2 disconnected")


class Listeners(ChatroomTest):
    async def test_own_listener_speaks_the_original_protocol_at_any_path(self):
        port = self.server.listener_port("chatroom")
        self.assertIsNotNone(port, self.server.log_tail())
        # The original client's URL: no path, no query. It gets "args" and set changes only.
        async with websockets.connect("ws://127.0.0.1:%d" % port) as orig:
            hello = json.loads(await orig.recv())
            self.assertEqual(hello, {"type": "hello", "args": {"id": hello["args"]["id"]}})
            ext = await self.client("ws://127.0.0.1:%d/any/path?protocol=extended" % port,
                                    envelope="args")
            self.assertEqual(ext.frames[0], {"type": "hello", "args": {"id": ext.id}})
            readme = await self.client("ws://127.0.0.1:%d/x%s" % (port, EXTENDED))
            for c in (ext, readme):
                await c.subscribe("x", "int")
            await orig.send(json.dumps({"type": "subscribe",
                                        "args": {"topic_name": "x", "type": "int"}}))
            initial = json.loads(await orig.recv())
            self.assertEqual(initial["args"]["change"], {
                "type": "set", "value": 0, "old_value": None, "id": initial["args"]["change"]["id"]})
            # "content" accepted on input whatever the envelope out.
            await ext.connection.send(json.dumps({"type": "update", "content": {
                "topic_name": "x", "change": {"type": "add", "value": 2, "id": "e1"}}}))
            frame = await ext.wait_for(lambda f: f["type"] == "update"
                                       and f["args"]["change"]["type"] == "add", "the add in args")
            self.assertEqual(frame["args"]["change"]["topic_type"], "int")
            await readme.wait_until(lambda: readme.value("x") == 2, "the add in content")
            self.assertEqual(json.loads(await orig.recv()), {"type": "update", "args": {
                "topic_name": "x",
                "change": {"type": "set", "value": 2, "old_value": None, "id": "e1"}}})

    async def test_bad_envelope_or_protocol_parameter_is_refused(self):
        for query in ("?envelope=xml", "?protocol=latest"):
            with self.assertRaises(websockets.InvalidStatusCode) as err:
                await websockets.connect(self.server.ws_url + "/chatroom" + query)
            self.assertEqual(err.exception.status_code, 400, query)

    async def test_plain_get_is_426(self):
        def get():
            try:
                urllib.request.urlopen(self.server.url + "/chatroom", timeout=5)
            except urllib.error.HTTPError as e:
                return e.code
            return 200
        self.assertEqual(await asyncio.get_running_loop().run_in_executor(None, get), 426)


class ConfiguredDefaults(ChatroomTest):
    config = CONFIG + 'envelope = "content"\nprotocol = "extended"\n'

    async def test_the_config_sets_what_a_client_gets_unless_it_asks(self):
        readme = await self.client(self.server.ws_url + "/chatroom")  # no query
        first = await readme.subscribe("n", "int")
        self.assertEqual(first["topic_type"], "int")  # extended, in "content"
        async with websockets.connect(self.server.ws_url
                                      + "/chatroom?envelope=args&protocol=original") as orig:
            self.assertIn("args", json.loads(await orig.recv()))
            await orig.send(json.dumps({"type": "subscribe", "args": {"topic_name": "n"}}))
            self.assertEqual(set(json.loads(await orig.recv())["args"]["change"]),
                             {"type", "value", "old_value", "id"})


class BadInput(ChatroomTest):
    async def test_garbage_oversize_and_wrong_types(self):
        good = await self.client()
        await good.subscribe("n", "int")

        bad = await self.client()
        await bad.connection.send("this is not json")
        await bad.wait_until(lambda: bad.closed is not None, "the close")
        self.assertEqual(bad.closed[0], 1007)

        huge = await self.client()
        await huge.connection.send(json.dumps({"type": "update", "content": {
            "topic_name": "n", "change": {"type": "set", "value": "x" * 70000}}}))
        await huge.wait_until(lambda: huge.closed is not None, "the close")
        self.assertEqual(huge.closed[0], 1009)

        odd = await self.client()
        for frame in ([1, 2], {"type": 5}, {"type": "update", "content": []}):
            c = await self.client()
            await c.connection.send(json.dumps(frame))
            await c.wait_until(lambda c=c: c.closed is not None, "close after %s" % frame)
            self.assertEqual(c.closed[0], 1007)
        await odd.send("subscribe", topic_name=5, type="int")
        r = await odd.wait_for(lambda f: f["type"] == "reject_update", "subscribe rejection")
        self.assertIn("topic_name", r["content"]["reason"])
        await odd.send("update", topic_name="n", change=[1])
        r = await odd.wait_for(lambda f: f["type"] == "reject_update"
                               and "change" in f["content"]["reason"], "update rejection")
        await odd.send("request", service_name=["x"], request_id="z")
        r = await odd.wait_for(lambda f: f["type"] == "response", "request error")
        self.assertEqual(r["content"]["request_id"], "z")
        await odd.send("unsubscribe")
        await odd.send("response", request_id={"x": 1})
        await odd.send("register_service", service_name="")

        # Everyone else is still served.
        await good.send("update", topic_name="n", change={"type": "add", "value": 1})
        await good.wait_until(lambda: good.value("n") == 1, "n is 1")
        self.assertIsNone(odd.closed)
        self.assertServerAlive()
        self.assertIn("not JSON", self.server.log)

    async def test_flood_of_subscriptions(self):
        a = await self.client()
        for i in range(150):  # past max_channels_per_connection (100)
            await a.send("subscribe", topic_name="flood%d" % i, type="int")
        last = await a.wait_for(lambda f: f["type"] == "reject_update"
                                and "too many subscriptions" in f["content"]["reason"],
                                "the subscription limit")
        self.assertEqual(last["content"]["topic_name"], "flood100")
        b = await self.client()
        await b.subscribe("flood0", "int")
        self.assertServerAlive()


class Restart(ChatroomTest):
    async def test_restart_keeps_every_topic(self):
        a = await self.client()
        await a.subscribe("doc", "string")
        await a.subscribe("n", "int")
        await a.subscribe("m", "dict")
        await a.subscribe("s", "set")
        v0 = a.topics["doc"]["version"]
        await a.send("update", topic_name="doc", change={
            "type": "insert", "topic_version": v0, "position": 0, "insertion": "hello",
            "result_topic_version": "v1"})
        await a.send("update", topic_name="doc", change={
            "type": "insert", "topic_version": "v1", "position": 5, "insertion": " world",
            "result_topic_version": "v2"})
        await a.send("update", topic_name="n", change={"type": "add", "value": 41})
        await a.send("update", topic_name="n", change={"type": "add", "value": 1})
        await a.send("update", topic_name="m", change={"type": "add", "key": "k", "value": [1]})
        await a.send("update", topic_name="s", change={"type": "append", "item": "x"})
        await a.wait_until(lambda: a.value("s") == ["x"] and a.value("doc") == "hello world",
                           "every change")
        await a.close()
        self.clients.remove(a)

        self.server.restart()
        self.url = self.server.ws_url + "/chatroom" + EXTENDED
        b = await self.client()
        doc = await b.subscribe("doc")  # no type: it must exist already
        self.assertEqual(doc["value"], "hello world")
        self.assertEqual(doc["id"], "v2")  # the version survived
        self.assertEqual((await b.subscribe("n"))["value"], 42)
        self.assertEqual((await b.subscribe("m"))["value"], {"k": [1]})
        self.assertEqual((await b.subscribe("s"))["value"], ["x"])
        # An edit made before the restart against v1 still rebases onto v2.
        await b.send("update", topic_name="doc", change={
            "type": "insert", "topic_version": "v1", "position": 5, "insertion": ",",
            "result_topic_version": "v3"})
        await b.wait_until(lambda: b.value("doc") == "hello, world", "the rebased edit")
        self.assertIn("chatroom: 4 topics restored", self.server.log)


class Debugger(unittest.IsolatedAsyncioTestCase):
    async def test_debug_env_opens_the_debugger_listener(self):
        path = write_config('[chatroom]\ndebug_listen = "127.0.0.1:0"\n')
        self.addCleanup(os.remove, path)
        os.environ["DEBUG"] = "true"
        try:
            server = ParleyServer(args=["--config", path]).start()
        finally:
            del os.environ["DEBUG"]
        self.addCleanup(server.close)
        self.addCleanup(server.stop)
        port = server.listener_port("chatroom-debug")
        self.assertIsNotNone(port, server.log_tail())
        c = await ChatroomClient.connect(server.ws_url + "/chatroom" + EXTENDED)
        await c.subscribe("watched", "int")
        await c.send("update", topic_name="watched", change={"type": "add", "value": 3})
        await c.wait_until(lambda: c.value("watched") == 3, "the add")

        def get(path):
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
                return r.status, r.headers.get("Content-Type"), r.read().decode()
        loop = asyncio.get_running_loop()
        status, ctype, body = await loop.run_in_executor(None, get, "/state")
        self.assertEqual(status, 200)
        state = json.loads(body)
        topics = {t["name"]: t for t in state["topics"]}
        self.assertEqual(topics["watched"]["value"], 3)
        self.assertEqual(topics["watched"]["revision"], 1)
        self.assertEqual([x["id"] for x in state["clients"]], [c.id])
        self.assertTrue(any(e["kind"] == "topic_changed" and e["topic"] == "watched"
                            for e in state["log"]))
        status, ctype, body = await loop.run_in_executor(None, get, "/")
        self.assertIn("ChatRoom debugger", body)
        self.assertTrue(ctype.startswith("text/html"))
        await c.close()

    async def test_no_debugger_by_default(self):
        os.environ.pop("DEBUG", None)
        server = ParleyServer().start()
        self.addCleanup(server.close)
        self.addCleanup(server.stop)
        self.assertIsNotNone(server.listener_port("http"))
        self.assertIsNone(server.listener_port("chatroom-debug", wait_s=0.5))


if __name__ == "__main__":
    unittest.main()
