"""A ChatRoom client speaking Parley's extended protocol (typed changes in the later serialized
forms: connect with ?protocol=extended), for the end-to-end tests.

Envelope {"type": T, "content": {...}} as the seed README documents it (connect with
?envelope=content), or "args" with envelope="args" (the default on the server). It keeps a local
copy of every subscribed topic and changes it only by applying the server's `update`s in the order
they arrive, as the original clients do; for a string topic it also keeps the version (the id of
a set, else the result_topic_version of an insert or delete), so its edits name the version they
were made against.

    c = await ChatroomClient.connect(
        "ws://127.0.0.1:4000/chatroom?envelope=content&protocol=extended")  # waits for hello
    await c.subscribe("doc", "string")       # the initial update applied
    await c.send("update", topic_name="doc", change={...})
    frame = await c.wait_for(lambda f: f["type"] == "reject_update", "a rejection")
    c.serve("add", lambda args: args["a"] + args["b"])   # answers requests for "add"
"""

import asyncio
import json

import websockets

WAIT_S = 5.0


class ChatroomClient:
    def __init__(self, connection, envelope="content"):
        self.connection = connection
        self.envelope = envelope
        self.frames = []          # every message received, decoded
        self.topics = {}          # name -> {"type", "value", "version", "updates"}
        self.services = {}        # name -> fn(args) -> response, answered automatically
        self.id = None
        self.closed = None        # (code, reason) once closed
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, url, envelope="content", **kwargs):
        client = cls(await websockets.connect(url, **kwargs), envelope)
        hello = await client.wait_for(lambda f: f["type"] == "hello", "hello")
        client.id = hello[client.envelope]["id"]
        return client

    # ----- receiving -----

    async def _read(self):
        try:
            async for data in self.connection:
                frame = json.loads(data)
                self.frames.append(frame)
                body = frame.get(self.envelope, {})
                if frame["type"] == "update":
                    self._apply(body["topic_name"], body["change"])
                elif frame["type"] == "request" and body["service_name"] in self.services:
                    response = self.services[body["service_name"]](body["args"])
                    await self.send("response", response=response, request_id=body["request_id"])
        except websockets.ConnectionClosed:
            pass
        self.closed = (self.connection.close_code, self.connection.close_reason)

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

    async def wait_for(self, pred, what, timeout=WAIT_S, start=0):
        """The first frame at index >= start for which pred(frame) holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        seen = start
        while True:
            while seen < len(self.frames):
                frame = self.frames[seen]
                seen += 1
                if pred(frame):
                    return frame
            if self.closed is not None and seen >= len(self.frames):
                raise AssertionError("connection closed %r while waiting for %s; frames: %s"
                                     % (self.closed, what, json.dumps(self.frames)[-2000:]))
            if loop.time() > deadline:
                raise AssertionError("timed out waiting for %s; frames: %s"
                                     % (what, json.dumps(self.frames)[-2000:]))
            await asyncio.sleep(0.01)

    async def wait_until(self, cond, what, timeout=WAIT_S):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not cond():
            if loop.time() > deadline:
                raise AssertionError("timed out waiting until %s" % what)
            await asyncio.sleep(0.01)

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

    async def close(self):
        await self.connection.close()
        await self._reader
