"""A ChatRoom client speaking the seed README's protocol, for the end-to-end tests.

Envelope {"type": T, "content": {...}} (or "args" with envelope="args"). It keeps a local copy
of every subscribed topic and changes it only by applying the server's `update`s in the order
they arrive, as the original clients do; for a string topic it also keeps the version (the id of
a set, else the result_topic_version of an insert or delete), so its edits name the version they
were made against.

    c = await ChatroomClient.connect("ws://127.0.0.1:4000/chatroom")   # waits for hello
    await c.subscribe("doc", "string")       # the initial update applied
    await c.send("update", topic_name="doc", change={...})
    frame = await c.wait_for(lambda f: f["type"] == "reject_update", "a rejection")
    c.serve("add", lambda args: args["a"] + args["b"])   # answers requests for "add"
"""

import json

import websockets

import ws_client
from ws_client import WAIT_S, WsClient


class ChatroomClient(WsClient):
    def __init__(self, connection, envelope="content"):
        self.envelope = envelope
        self.topics = {}          # name -> {"type", "value", "version", "updates"}
        self.services = {}        # name -> fn(args) -> response, answered automatically
        self.id = None
        super().__init__(connection)

    @classmethod
    async def connect(cls, url, envelope="content", **kwargs):
        client = cls(await websockets.connect(url, **kwargs), envelope)
        hello = await client.wait_for(lambda f: f["type"] == "hello", "hello")
        client.id = hello[client.envelope]["id"]
        return client

    # ----- receiving -----

    async def on_frame(self, frame):
        body = frame.get(self.envelope, {})
        if frame["type"] == "update":
            self._apply(body["topic_name"], body["change"])
        elif frame["type"] == "request" and body["service_name"] in self.services:
            response = self.services[body["service_name"]](body["args"])
            await self.send("response", response=response, request_id=body["request_id"])

    def _apply(self, name, change):
        """Applies one change as the original clients do (positions count code points)."""
        t = self.topics.setdefault(name, {"type": change["topic_type"], "value": None,
                                          "version": None, "updates": 0})
        kind = change["type"]
        v = t["value"]
        if kind == "set":
            t["value"] = change["value"]
            if t["type"] == "string":
                t["version"] = change["id"]
        elif kind == "add":
            if t["type"] == "dict":
                v[change["key"]] = change["value"]
            else:
                t["value"] = v + change["value"]
        elif kind == "insert" and t["type"] == "string":
            p = change["position"]
            t["value"] = v[:p] + change["insertion"] + v[p:]
            t["version"] = change["result_topic_version"]
        elif kind == "delete":
            p = change["position"]
            assert v[p:p + len(change["deletion"])] == change["deletion"], (v, change)
            t["value"] = v[:p] + v[p + len(change["deletion"]):]
            t["version"] = change["result_topic_version"]
        elif kind == "append":
            v.append(change["item"])
        elif kind == "remove":
            v.remove(change["item"])
        elif kind == "insert":
            v.insert(change["position"], change["item"])
        elif kind == "pop":
            if t["type"] == "dict":
                del v[change["key"]]
            else:
                v.pop(change["position"])
        elif kind == "change_value":
            v[change["key"]] = change["value"]
        t["updates"] += 1

    async def wait_until(self, cond, what, timeout=WAIT_S):
        await ws_client.wait_until(cond, what, timeout)

    def body(self, frame):
        return frame[self.envelope]

    # ----- sending -----

    async def send(self, type_, **content):
        await self.connection.send(json.dumps({"type": type_, self.envelope: content}))

    async def subscribe(self, name, type_=None):
        """Subscribes; returns the initial update's change (None for an event topic)."""
        mark = len(self.frames)
        content = {"topic_name": name}
        if type_ is not None:
            content["type"] = type_
        await self.send("subscribe", **content)
        if type_ == "event":
            return None
        frame = await self.wait_for(
            lambda f: f["type"] in ("update", "reject_update")
            and self.body(f)["topic_name"] == name, "the initial value of %s" % name, start=mark)
        if frame["type"] == "reject_update":
            raise AssertionError("subscribe %s refused: %s" % (name, self.body(frame)["reason"]))
        return self.body(frame)["change"]

    async def request(self, service, args, request_id):
        mark = len(self.frames)
        await self.send("request", service_name=service, args=args, request_id=request_id)
        frame = await self.wait_for(
            lambda f: f["type"] == "response" and self.body(f)["request_id"] == request_id,
            "the response to %s" % request_id, start=mark)
        return self.body(frame)

    def serve(self, name, fn):
        self.services[name] = fn

    def value(self, name):
        return self.topics[name]["value"]
