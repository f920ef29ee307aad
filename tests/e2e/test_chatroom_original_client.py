"""The original ChatRoom client, unchanged, against Parley's ChatRoom listener (issue 11), with the
original server of the same commit run side by side.

The client and the server are ChatRoom's Python package at commit 9512c29 (eri24816/Topicsync,
January 2023, the commit whose README is the ChatRoom seed), in ../shared/clients/topicsync-9512c29
next to the repository ($CHATROOM_ORIGINAL_DIR overrides). That repository has no licence, so it
is not part of Parley: without it these tests are skipped.

Every scenario runs twice with the client's own objects (ChatroomClient, StringTopic): on a fresh
Parley, whose ChatRoom listener ([chatroom] listen) the client reaches at ws://HOST:PORT with no
path and no query, and on a fresh original ChatroomServer. A scenario returns what its clients end
with (values, what their set listeners saw, responses, which client threads died). Then:
- the Parley run meets the scenario's expectations, written out in each test;
- no client thread died on Parley (threading.excepthook records every thread that dies);
- every frame Parley sent to a client has a shape that client takes (the client logs each frame it
  receives, "<prefix> [DEBUG] > <json>", before handling it; the log is captured here);
- where the two runs differ, the difference is one named in DIFFERENCES, no more and no fewer
  (docs/protocols/chatroom.md, "Differences from the original server", explains each).

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_chatroom_original_client.py
(needs PARLEY_BIN; Debian's python3-websockets 10.4, which that client requires).
"""

import asyncio
import json
import logging
import os
import socket
import sys
import tempfile
import threading
import time
import unittest

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from parley_server import ParleyServer  # noqa: E402

ROOT = os.environ.get("PARLEY_ROOT") or os.path.dirname(os.path.dirname(HERE))
ORIGINAL_DIR = os.environ.get("CHATROOM_ORIGINAL_DIR") or os.path.normpath(
    os.path.join(ROOT, "..", "shared", "clients", "topicsync-9512c29"))

ChatroomClient = None
if os.path.isdir(os.path.join(ORIGINAL_DIR, "chatroom")):
    sys.path.insert(0, ORIGINAL_DIR)
    import py311_compat  # noqa: E402,F401  first: the loop= arguments this code passes
    from chatroom import ChatroomClient, ChatroomServer  # noqa: E402
    from chatroom.client.topic import StringTopic, Topic  # noqa: E402

    class UListTopic(Topic):
        """A topic class as the code of the same month named them: its type name is "u_list"
        (camel_to_snake of "UList"; renamed "set" in February 2023). 9512c29's changes are sets,
        so it changes its value with Set(list) alone."""

        def __init__(self, name, client):
            super().__init__(name, client)
            self._value = []

        def _NotifyListeners(self, change):
            for listener in self._set_listeners:
                listener(change.value)

WAIT_S = 5.0
# How long a run on the original server waits for something that may never come (the original
# answers some requests never). Only the original's runs wait like this; Parley's wait for what
# they expect.
ORIGINAL_SILENCE_S = 1.0
VALIDATOR = "_chatroom/validate_change/"

CONFIG = """
[chatroom]
listen = "127.0.0.1:0"
"""

# Where the two runs of a scenario differ, and why. A key is one entry of a scenario's outcome.
DIFFERENCES = {
    "string_topic": {},
    "u_list_alias": {
        "a.value": "the original knew only 'string' topics: subscribing with 'u_list' crashed its "
                   "handler, closing the connection (1011); Parley takes 'u_list' as 'set'",
        "b.value": "same: no u_list topic on the original",
        "b.seen": "same; on Parley b also rolled back its set with a duplicate item, which a set "
                  "topic refuses",
        "dead": "the original's 1011 close kills the client's thread (ConnectionClosedError)",
    },
    "services": {
        "missing": "the original crashed the caller's handler on a request for a service nobody "
                   "provides (KeyError), closing its connection with 1011; Parley answers "
                   "{'error': ...} as the response",
        "dead": "the original's 1011 close kills the caller's thread",
        "disconnected": "the original never answered a request whose provider left (and stopped "
                        "reading that caller's messages); Parley answers {'error': ...}",
    },
    "validation": {},
    "special_topics": {
        "status.seen": "the special topics are Parley's (the README's): 9512c29's server had "
                       "none, so there '_chatroom/server_status' was a plain topic",
        "status.value": "same: on Parley the status topic is written by the server only, and "
                        "the client's set is rejected and rolled back",
        "messages.value": "same for '_chatroom/client_message/<id>': on Parley it carries why a "
                          "change was rejected and unknown message types",
        "messages.seen": "same",
    },
    "bad_input": {
        "not_json": "the original's handler crashed on it (close 1011); Parley closes with 1007",
        "not_an_object": "the same",
        "unknown_type": "the original only logged it; Parley tells it on the client's message "
                        "topic",
        "no_args": "the original crashed (KeyError 'args', 1011); Parley tells why the subscribe "
                   "was refused on the message topic (the original protocol has no answer to a "
                   "subscribe)",
        "subscribe_bad_name": "the original created a topic named 5, silently; Parley refuses "
                              "it, told on the message topic",
        "subscribe_bad_type": "the original crashed (unknown topic type, 1011); Parley refuses "
                              "it, told on the message topic",
        "update_not_a_change": "the original crashed applying it (1011); Parley answers "
                               "reject_update, and tells it on the message topic",
        "update_without_value": "the same",
        "request_bad_name": "the original crashed (unhashable name, 1011); Parley answers an "
                            "error response",
    },
}


# ---- what the clients print, and which of their threads die ----------------------------------

class Output:
    """sys.stdout while these tests run: the log lines of the clients and of the original server,
    kept whole (a line is recorded when its newline comes, per thread)."""

    def __init__(self):
        self.lines = []
        self._lock = threading.Lock()
        self._partial = threading.local()

    def write(self, text):
        pending = getattr(self._partial, "text", "") + text
        *done, rest = pending.split("\n")
        self._partial.text = rest
        if done:
            with self._lock:
                self.lines.extend(done)
        return len(text)

    def flush(self):
        pass

    def since(self, mark):
        with self._lock:
            return self.lines[mark:]

    def mark(self):
        with self._lock:
            return len(self.lines)


OUTPUT = Output()
KEEP = []       # every client, kept: a ChatroomClient collected calls Stop(), which joins forever
DEAD = []       # (owner, "ExceptionType: message") for every thread that died
OWNERS = {}     # client thread -> its log prefix
_saved = {}


def _record_dead_thread(args):
    owner = OWNERS.get(args.thread, args.thread.name if args.thread else "?")
    DEAD.append((owner, "%s: %s" % (args.exc_type.__name__, args.exc_value)))


def setUpModule():
    _saved["stdout"], _saved["hook"] = sys.stdout, threading.excepthook
    sys.stdout = OUTPUT
    threading.excepthook = _record_dead_thread
    # The original server logs each handler crash with a traceback; the outcome records them.
    logging.getLogger("websockets").setLevel(logging.CRITICAL)


def tearDownModule():
    sys.stdout, threading.excepthook = _saved["stdout"], _saved["hook"]
    late = [d for d in DEAD if d[0].startswith("parley/")]
    if late:
        raise AssertionError("client threads died on Parley: %s" % late)


def wait_until(cond, what, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting until %s (client threads dead so far: %s)"
                                 "\n--- log:\n%s" % (what, DEAD, "\n".join(OUTPUT.since(-60))))
        time.sleep(0.01)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen(topic):
    """Every value topic's set listener is called with, in order."""
    seen = []
    topic.AddSetListener(seen.append)
    return seen


def register(client, cls, name):
    """client.RegisterTopic(cls, name) with a set listener on the topic before any update can
    reach it (the client's event loop is held meanwhile). Returns (topic, what the listener saw)."""
    held, release = threading.Event(), threading.Event()
    client._event_loop.call_soon_threadsafe(lambda: held.set() or release.wait(WAIT_S))
    held.wait(WAIT_S)
    try:
        topic = client.RegisterTopic(cls, name)
        return topic, listen(topic)
    finally:
        release.set()


# ---- the two servers --------------------------------------------------------------------------

class Backend:
    """One server for one scenario, and the original clients connected to it."""

    name = None

    def __init__(self, scenario):
        self.scenario = scenario
        self.clients = {}        # label -> ChatroomClient
        self.abandoned = set()   # labels of clients whose loop a scenario blocked for good
        self._syncs = {}
        self.port = None

    @property
    def parley(self):
        return self.name == "parley"

    def prefix(self, label):
        return "%s/%s/%s" % (self.name, self.scenario, label)

    def client(self, label):
        """A ChatroomClient connected to this server, once it got its hello."""
        c = ChatroomClient(host="127.0.0.1", port=self.port, start=True,
                           log_prefix=self.prefix(label))
        OWNERS[c.thread] = self.prefix(label)
        KEEP.append(c)
        self.clients[label] = c
        wait_until(lambda: c.GetID() is not None, "%s gets its hello" % label)
        return c

    def dead(self):
        """The labels of this run's clients whose thread died."""
        head = "%s/%s/" % (self.name, self.scenario)
        return sorted(owner[len(head):] for owner, _ in DEAD if owner.startswith(head))

    def died(self, label):
        return label in self.dead()

    def settled(self, topic, what=None):
        """Waits until the server confirmed or rejected every change topic's client made."""
        wait_until(lambda: not topic._preview_path,
                   what or "the server answers every change to %s" % topic.GetName())

    def sync(self, label):
        """Returns once the server has handled everything client `label` sent so far: a set of a
        topic of its own comes back (both servers handle one client's messages in order)."""
        n = self._syncs[label] = self._syncs.get(label, 0) + 1
        topic = self.clients[label].RegisterTopic(StringTopic, "sync/%s" % label)
        topic.Set(str(n))
        wait_until(lambda: not topic._preview_path and topic.GetValue() == str(n),
                   "%s's sync %d comes back" % (label, n))

    def frames(self):
        """Every frame this run's clients received: [(label, frame)]."""
        head = "%s/%s/" % (self.name, self.scenario)
        out = []
        for line in OUTPUT.since(0):
            if line.startswith(head) and " [DEBUG] > " in line:
                label, _, text = line[len(head):].partition(" [DEBUG] > ")
                out.append((label, json.loads(text)))
        return out

    async def raw(self, frames, expect=()):
        """Sends each frame (text) on a fresh plain WebSocket connection subscribed to its message
        topic, then a subscribe to "probe" (a topic that exists: both servers answer it with an
        update). Returns what came back until that answer, sorted: frame types, "message" for a
        message on the message topic, "close <code>" if the connection closed. Some answers
        travel apart from the others (Parley's messages and the rejections its core decides):
        those in `expect` are waited for past the probe's answer too."""
        async with websockets.connect("ws://127.0.0.1:%d" % self.port) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
            mine = "_chatroom/client_message/%d" % hello["args"]["id"]
            got = []
            try:
                await ws.send(json.dumps({"type": "subscribe",
                                          "args": {"topic_name": mine, "type": "string"}}))
                for frame in frames:
                    await ws.send(frame)
                await ws.send(json.dumps({"type": "subscribe",
                                          "args": {"topic_name": "probe", "type": "string"}}))
                probed = False
                while not probed or any(got.count(k) < list(expect).count(k) for k in expect):
                    frame = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
                    topic = frame["args"].get("topic_name") if frame["type"] == "update" else None
                    if topic == "probe":
                        probed = True
                    else:
                        got.append("message" if topic == mine else frame["type"])
            except websockets.ConnectionClosed:
                got.append("close %s" % ws.close_code)
            except asyncio.TimeoutError:
                got.append("nothing more within %s s" % WAIT_S)
            return sorted(got)


class ParleyBackend(Backend):
    name = "parley"

    def start(self):
        fd, self.config = tempfile.mkstemp(prefix="parley-chatroom-", suffix=".toml")
        with os.fdopen(fd, "w") as f:
            f.write(CONFIG)
        self.server = ParleyServer(args=["--config", self.config, "--threads", "2"]).start()
        self.port = self.server.listener_port("chatroom")
        if self.port is None:
            raise AssertionError("no ChatRoom listener\n" + self.server.log_tail())
        return self

    def stop(self):
        try:
            self.server.stop()  # SIGTERM: every WebSocket is closed with 1001
            live = [c for label, c in self.clients.items()
                    if label not in self.abandoned and not self.died(label)]
            wait_until(lambda: all(c._ws.closed for c in live), "every client sees the close")
            # A receiving loop ends quietly on 1000/1001 (ConnectionClosedOK), and raises, killing
            # the client's thread, on any other code.
            codes = {label: c._ws.close_code for label, c in self.clients.items() if c in live}
            bad = {label: code for label, code in codes.items() if code not in (1000, 1001)}
            if bad:
                raise AssertionError("clients closed with %s\n%s" % (bad, self.server.log_tail()))
        finally:
            self.server.close()
            os.remove(self.config)


class OriginalBackend(Backend):
    name = "original"

    def start(self):
        self.port = free_port()
        self.server = ChatroomServer(port=self.port, start_thread=True,
                                     log_prefix="original/%s/server" % self.scenario)
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self):
        # Nothing to do: its thread runs forever (its Stop() joins it), a daemon that ends with
        # the process, as do the clients' threads.
        pass


class ExtendedClient:
    """A plain client of Parley's extended protocol (ws://HOST:PORT/?protocol=extended: typed
    changes), on an event loop of its own: send() and wait_for() from the test's thread."""

    def __init__(self, port):
        self.frames = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.ws = self._run(self._connect("ws://127.0.0.1:%d/?protocol=extended" % port))
        asyncio.run_coroutine_threadsafe(self._read(), self.loop)

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(WAIT_S)

    @staticmethod
    async def _connect(url):
        return await websockets.connect(url)

    async def _read(self):
        try:
            async for text in self.ws:
                self.frames.append(json.loads(text))
        except websockets.ConnectionClosed:
            pass

    def send(self, type_, **args):
        self._run(self.ws.send(json.dumps({"type": type_, "args": args})))

    def wait_for(self, pred, what):
        wait_until(lambda: any(pred(f) for f in list(self.frames)), what)
        return next(f for f in list(self.frames) if pred(f))


# ---- what Parley sends must be what that client takes -----------------------------------------

def shape_problems(label, frame):
    """What in one frame the original client would not take (its handlers are called as
    handler(**args); a change is rebuilt as ChangeSet(**change) without its "type")."""
    fields = {"hello": {"id"}, "update": {"topic_name", "change"},
              "reject_update": {"topic_name", "change", "reason"},
              "request": {"service_name", "args", "request_id"},
              "response": {"response", "request_id"}}
    problems = []
    if set(frame) != {"type", "args"} or frame["type"] not in fields:
        return ["%s: not a message that client handles: %s" % (label, frame)]
    args = frame["args"]
    if set(args) != fields[frame["type"]]:
        problems.append("%s: %s with fields %s" % (label, frame["type"], sorted(args)))
    if frame["type"] == "update":
        change = args.get("change")
        if (not isinstance(change, dict) or change.get("type") != "set" or "value" not in change
                or not set(change) <= {"type", "value", "old_value", "id"}):
            problems.append("%s: a change that is not a ChangeSet: %s" % (label, change))
    if frame["type"] == "reject_update" and not (isinstance(args.get("change"), dict)
                                                 and "id" in args["change"]):
        problems.append("%s: a rejected change without id: %s" % (label, args.get("change")))
    if frame["type"] == "request" and args.get("service_name", "").startswith(VALIDATOR):
        if set(args.get("args") or {}) != {"change"}:
            problems.append("%s: a validation request with args %s" % (label, args.get("args")))
    return problems


# ---- the scenarios ----------------------------------------------------------------------------

class Scenarios:
    """Each takes a started Backend, drives original clients on it and returns its outcome."""

    @staticmethod
    def string_topic(b):
        a = b.client("a")
        ta, seen_a = register(a, StringTopic, "doc")
        ta.Set("hello")
        b.settled(ta)

        # A second client subscribing to an existing topic gets its value.
        bb = b.client("b")
        tb, seen_b = register(bb, StringTopic, "doc")
        wait_until(lambda: tb.GetValue() == "hello", "b gets the value")
        tb.Set("world")
        b.settled(tb)
        wait_until(lambda: ta.GetValue() == "world", "a gets b's set")
        ta.Set("x")  # two changes in a row: each confirmed in order
        ta.Set("y")
        b.settled(ta)
        wait_until(lambda: tb.GetValue() == "y", "b gets a's two sets")
        c = b.client("c")
        tc, seen_c = register(c, StringTopic, "doc")
        wait_until(lambda: tc.GetValue() == "y", "a late subscriber gets the value")
        outcome = {"ids": [a.GetID(), bb.GetID(), c.GetID()],
                   "a.seen": list(seen_a), "b.seen": list(seen_b), "c.seen": list(seen_c)}

        # Two clients set at once, each against the value it has: they end with the same value.
        ta.Set("from a")
        tb.Set("from b")
        for t in (ta, tb):
            b.settled(t)
        wait_until(lambda: ta.GetValue() == tb.GetValue() == tc.GetValue(), "convergence")
        outcome["converged"] = tc.GetValue() in ("from a", "from b")
        outcome["dead"] = b.dead()
        return outcome

    @staticmethod
    def u_list_alias(b):
        a = b.client("a")
        ta = a.RegisterTopic(UListTopic, "tags")
        if not b.parley:
            wait_until(lambda: b.died("a"), "the original drops a u_list subscriber")
            return {"a.value": None, "b.value": None, "b.seen": None, "dead": b.dead()}
        ta.Set(["x", "y"])
        b.settled(ta)
        bb = b.client("b")
        tb, seen_b = register(bb, UListTopic, "tags")
        wait_until(lambda: tb.GetValue() == ["x", "y"], "b gets the set's value")
        tb.Set(["y", "y"])  # a set topic's items are unique: rejected, and b rolls back
        b.settled(tb)
        return {"a.value": ta.GetValue(), "b.value": tb.GetValue(), "b.seen": list(seen_b),
                "dead": b.dead()}

    @staticmethod
    def services(b):
        provider, caller = b.client("provider"), b.client("caller")
        provider.RegisterService("add", lambda x, y: x + y)
        b.sync("provider")
        got = {}
        caller.MakeRequest("add", {"x": 1, "y": 2}, lambda r: got.__setitem__("add", r))
        wait_until(lambda: "add" in got, "the response")

        # Unregistered (the client has no method for it: its own send), then asked for.
        provider._SendToServer("unregister_service", service_name="add")
        b.sync("provider")
        asker = b.client("asker")
        asker.MakeRequest("add", {"x": 1, "y": 2}, lambda r: got.__setitem__("missing", r))
        if b.parley:
            wait_until(lambda: "missing" in got, "the answer for a missing service")
        else:
            wait_until(lambda: b.died("asker"), "the original drops the caller")

        # The provider leaves while it computes: its service blocks, and its socket is shut
        # under it (its event loop is the one blocked, so nothing else of it runs again).
        slow = b.client("slow")
        entered = threading.Event()
        slow.RegisterService("slow", lambda: entered.set() or threading.Event().wait())
        b.sync("slow")
        caller.MakeRequest("slow", {}, lambda r: got.__setitem__("disconnected", r))
        wait_until(entered.is_set, "the provider got the request")
        b.abandoned.add("slow")
        slow._ws.transport.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
        if b.parley:
            wait_until(lambda: "disconnected" in got, "the answer after the provider left")
        else:
            time.sleep(ORIGINAL_SILENCE_S)
        return {"add": got.get("add"), "missing": got.get("missing"),
                "disconnected": got.get("disconnected"), "dead": b.dead()}

    @staticmethod
    def validation(b):
        asked = []

        def validate(change):
            asked.append({k: change.get(k) for k in ("type", "value", "old_value")})
            if change["value"] == "cheat":
                return {"valid": False, "reason": "no cheating"}
            return {"valid": True}

        validator, writer, watcher = b.client("validator"), b.client("writer"), b.client("watcher")
        validator.RegisterService(VALIDATOR + "score", validate)
        b.sync("validator")
        tw, seen_w = register(writer, StringTopic, "score")
        b.sync("writer")  # the writer's subscribe creates the topic: the watcher's finds it
        tx, seen_x = register(watcher, StringTopic, "score")
        b.sync("watcher")

        tw.Set("ten")
        b.settled(tw)
        tw.Set("cheat")  # rejected: the writer rolls its own change back
        b.settled(tw)
        tw.Set("eleven")
        b.settled(tw)
        wait_until(lambda: tx.GetValue() == "eleven", "the watcher gets the last set")
        return {"writer.value": tw.GetValue(), "writer.seen": list(seen_w),
                "watcher.seen": list(seen_x), "asked": asked, "dead": b.dead()}

    @staticmethod
    def special_topics(b):
        a = b.client("a")
        status, seen_status = register(a, StringTopic, "_chatroom/server_status")
        if b.parley:
            wait_until(lambda: status.GetValue() == "client 1 connected", "the status")
        c = b.client("c")
        if b.parley:
            wait_until(lambda: status.GetValue() == "client 2 connected", "the next status")
        mine, seen_messages = register(c, StringTopic, "_chatroom/client_message/%d" % c.GetID())
        c.DeleteTopic("doc")  # "delete_topic": a message type neither server has
        if b.parley:
            wait_until(lambda: mine.GetValue() == "unknown message type 'delete_topic'",
                       "the message about it")
        else:
            b.sync("c")
        mine.Set("written by the client")
        b.settled(mine)
        status.Set("written by a")
        b.settled(status)
        if b.parley:
            wait_until(lambda: "written by the server only" in mine.GetValue(),
                       "the message about the rejected set")
        return {"status.seen": list(seen_status), "status.value": status.GetValue(),
                "messages.seen": list(seen_messages), "messages.value": mine.GetValue(),
                "dead": b.dead()}

    @staticmethod
    def bad_input(b):
        a = b.client("a")
        probe = a.RegisterTopic(StringTopic, "probe")
        probe.Set("here")
        b.settled(probe)
        # The bad updates go to another topic: the probe's answer (an update of "probe") would
        # tell a 9512c29 client to undo its changes to "probe", and Parley would then not send it
        # their rejection (that client would die of it).
        target = a.RegisterTopic(StringTopic, "target")
        target.Set("here")
        b.settled(target)
        cases = {
            "not_json": ["this is not json"],
            "not_an_object": ["[1, 2]"],
            "unknown_type": [json.dumps({"type": "bogus", "args": {}})],
            "no_args": [json.dumps({"type": "subscribe"})],
            "subscribe_bad_name": [json.dumps({"type": "subscribe",
                                               "args": {"topic_name": 5, "type": "string"}})],
            "subscribe_bad_type": [json.dumps({"type": "subscribe",
                                               "args": {"topic_name": "x", "type": "nope"}})],
            "update_not_a_change": [json.dumps({"type": "update",
                                                "args": {"topic_name": "target", "change": [1]}})],
            "update_without_value": [json.dumps({"type": "update", "args": {
                "topic_name": "target", "change": {"type": "set", "id": "1"}}})],
            "request_bad_name": [json.dumps({"type": "request", "args": {
                "service_name": ["x"], "args": {}, "request_id": "z"}})],
        }
        # What Parley answers apart from the probe's answer (the original had no message topic).
        told, rejected = ["message"], ["message", "reject_update"]
        late = {"unknown_type": told, "no_args": told, "subscribe_bad_name": told,
                "subscribe_bad_type": told, "update_not_a_change": rejected,
                "update_without_value": rejected} if b.parley else {}
        outcome = {name: asyncio.run(b.raw(frames, late.get(name, ())))
                   for name, frames in cases.items()}
        # The server is still up, and the original client still served.
        probe.Set("still here")
        b.settled(probe)
        outcome["after"] = probe.GetValue()
        outcome["dead"] = b.dead()
        return outcome


@unittest.skipIf(ChatroomClient is None, "the original ChatRoom package is not at %s (set "
                 "CHATROOM_ORIGINAL_DIR)" % ORIGINAL_DIR)
class OriginalClient(unittest.TestCase):
    def run_both(self, scenario):
        """Runs the scenario on Parley, then on the original server; checks Parley's run and
        that the runs differ exactly where DIFFERENCES says. Returns Parley's outcome."""
        outcomes = {}
        for backend in (ParleyBackend(scenario), OriginalBackend(scenario)):
            mark = OUTPUT.mark()
            backend.start()
            try:
                outcomes[backend.name] = getattr(Scenarios, scenario)(backend)
            except BaseException:
                print("\n".join(OUTPUT.since(mark)[-80:]), file=sys.__stderr__)
                raise
            finally:
                backend.stop()
            if backend.parley:
                parley = backend
        self.assertEqual(parley.dead(), [], "client threads died on Parley: %s" % DEAD)
        problems = [p for label, frame in parley.frames() for p in shape_problems(label, frame)]
        self.assertEqual(problems, [], "frames the original client cannot take")

        ours, theirs = outcomes["parley"], outcomes["original"]
        differ = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
        detail = "\n".join("  %s: parley %r, original %r" % (k, ours.get(k), theirs.get(k))
                           for k in differ)
        self.assertEqual(differ, sorted(DIFFERENCES[scenario]),
                         "the runs differ where DIFFERENCES does not say so, or the reverse:\n"
                         + detail)
        return ours

    def test_string_topic_subscribe_set_and_propagation(self):
        out = self.run_both("string_topic")
        self.assertEqual(out["ids"], [1, 2, 3])
        self.assertEqual(out["a.seen"], ["hello", "world", "x", "y"])
        self.assertEqual(out["b.seen"], ["hello", "world", "x", "y"])
        self.assertEqual(out["c.seen"], ["y"])
        self.assertTrue(out["converged"])

    def test_u_list_is_an_alias_of_set(self):
        out = self.run_both("u_list_alias")
        self.assertEqual(out["a.value"], ["x", "y"])
        self.assertEqual(out["b.value"], ["x", "y"])
        self.assertEqual(out["b.seen"], [["x", "y"], ["y", "y"], ["x", "y"]])

    def test_services(self):
        out = self.run_both("services")
        self.assertEqual(out["add"], 3)
        self.assertEqual(out["missing"], {"error": "service 'add' is not registered"})
        self.assertEqual(out["disconnected"],
                         {"error": "the provider of 'slow' disconnected before responding"})

    def test_validation_accepts_and_rejects(self):
        out = self.run_both("validation")
        self.assertEqual(out["writer.value"], "eleven")
        self.assertEqual(out["writer.seen"], ["ten", "cheat", "ten", "eleven"])
        self.assertEqual(out["watcher.seen"], ["", "ten", "eleven"])
        self.assertEqual(out["asked"], [
            {"type": "set", "value": "ten", "old_value": ""},
            {"type": "set", "value": "cheat", "old_value": "ten"},
            {"type": "set", "value": "eleven", "old_value": "ten"}])

    def test_special_topics(self):
        out = self.run_both("special_topics")
        self.assertEqual(out["status.seen"], ["client 1 connected", "client 2 connected",
                                              "written by a", "client 2 connected"])
        self.assertEqual(out["status.value"], "client 2 connected")
        self.assertIn("unknown message type 'delete_topic'", out["messages.seen"])
        self.assertIn("'_chatroom/client_message/2' is written by the server only",
                      out["messages.value"])

    def test_bad_input_is_answered_in_kind(self):
        out = self.run_both("bad_input")
        self.assertEqual(out["not_json"], ["close 1007"])
        self.assertEqual(out["not_an_object"], ["close 1007"])
        for case in ("unknown_type", "no_args", "subscribe_bad_name", "subscribe_bad_type"):
            self.assertEqual(out[case], ["message"], case)
        for case in ("update_not_a_change", "update_without_value"):
            self.assertEqual(out[case], ["message", "reject_update"], case)
        self.assertEqual(out["request_bad_name"], ["response"])
        self.assertEqual(out["after"], "still here")


@unittest.skipIf(ChatroomClient is None, "the original ChatRoom package is not at %s (set "
                 "CHATROOM_ORIGINAL_DIR)" % ORIGINAL_DIR)
class ParleyAdditions(unittest.TestCase):
    """Parley only: what clients of its extended protocol do reaches the original client in a
    shape it takes (the original server had none of it)."""

    def test_typed_changes_reach_it_as_sets_and_emits_not_at_all(self):
        b = ParleyBackend("additions").start()
        try:
            self.check(b)
        finally:
            b.stop()
        self.assertEqual(b.dead(), [], "client threads died on Parley: %s" % DEAD)
        problems = [p for label, frame in b.frames() for p in shape_problems(label, frame)]
        self.assertEqual(problems, [], "frames the original client cannot take")

    def check(self, b):
        ext = ExtendedClient(b.port)
        for name, type_ in (("doc", "string"), ("counter", "int"), ("ev", "event")):
            ext.send("subscribe", topic_name=name, type=type_)
        init = ext.wait_for(lambda f: f["type"] == "update" and f["args"]["topic_name"] == "doc",
                            "doc's value")
        validator, a = b.client("validator"), b.client("a")
        asked = []
        validator.RegisterService(VALIDATOR + "doc",
                                  lambda change: asked.append(change) or {"valid": True})
        b.sync("validator")
        doc, seen_doc = register(a, StringTopic, "doc")
        counter, seen_counter = register(a, StringTopic, "counter")  # an int topic: a value is a value
        ev, seen_ev = register(a, StringTopic, "ev")
        b.sync("a")

        ext.send("update", topic_name="doc", change={
            "type": "insert", "topic_version": init["args"]["change"]["id"], "position": 0,
            "insertion": "hello", "result_topic_version": "e1", "id": "e1"})
        ext.send("update", topic_name="counter", change={"type": "add", "value": 5, "id": "e2"})
        ext.send("update", topic_name="ev", change={"type": "emit", "args": {"n": 1}})
        ext.send("update", topic_name="doc", change={
            "type": "delete", "topic_version": "e1", "position": 0, "deletion": "h",
            "result_topic_version": "e3", "id": "e3"})
        wait_until(lambda: doc.GetValue() == "ello" and counter.GetValue() == 5, "the edits")
        doc.Set("mine")
        b.settled(doc)
        # Made against a version from before a's set: rebased onto it (a set since: position 0).
        ext.send("update", topic_name="doc", change={
            "type": "insert", "topic_version": "e3", "position": 4, "insertion": "!",
            "id": "e4"})
        wait_until(lambda: doc.GetValue() == "!mine", "the rebased insert")
        b.sync("a")

        self.assertEqual(seen_doc, ["", "hello", "ello", "mine", "!mine"])
        self.assertEqual(seen_counter, [0, 5])
        self.assertEqual(seen_ev, [])
        self.assertEqual([{k: c.get(k) for k in ("type", "value", "old_value")} for c in asked], [
            {"type": "set", "value": "hello", "old_value": None},
            {"type": "set", "value": "ello", "old_value": None},
            {"type": "set", "value": "mine", "old_value": "ello"},
            {"type": "set", "value": "!mine", "old_value": None}])
        self.assertEqual([c["id"] for c in asked][:2], ["e1", "e3"])
        self.assertEqual(asked[3]["id"], "e4_adjust")


if __name__ == "__main__":
    unittest.main()
