"""MQTT end to end with Python Paho (Debian's python3-paho-mqtt) and hand-written packets: QoS 0/1/2
both ways, retained messages, persistent sessions (also across a restart), wills, keep-alive,
takeover, refused subscriptions, the CONNACK return codes, user names, MQTT over WebSocket.

Absence is shown by order, never by waiting: a message that must not arrive would arrive before
a marker published after it, and the marker is what the test waits for.

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_mqtt_paho.py   (needs PARLEY_BIN)
"""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from parley_server import ParleyServer  # noqa: E402
from ws_client import write_config  # noqa: E402
import mqtt_support as m  # noqa: E402

CONFIG = """
[mqtt]
deny_subscribe = ["test/nosubscribe"]
"""


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


class MqttPahoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="parley-mqtt-")
        cls.server = ParleyServer(args=["--config", write_config(cls.tmp, CONFIG),
                                        "--threads", "2"]).start()
        cls.port = cls.server.listener_port("mqtt")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.disconnect()
            except Exception:
                pass

    def client(self, client_id=None, **kw):
        c = m.Paho(kw.pop("port", self.port), client_id or unique("c"), **kw)
        self.clients.append(c)
        return c

    def connected(self, client_id=None, **kw):
        c = self.client(client_id, **kw)
        present, rc = c.connect()
        self.assertEqual(rc, 0)
        return c

    # ----- QoS -----

    def test_qos_0_1_2_both_ways_in_order(self):
        topic = unique("qos") + "/t"
        sub = self.connected()
        self.assertEqual(sub.subscribe([(topic, 2)]), [2])
        pub = self.connected()
        for qos in (0, 1, 2):
            pub.publish(topic, b"qos %d" % qos, qos=qos)
        got = [sub.expect() for _ in range(3)]
        self.assertEqual([g.payload for g in got], [b"qos 0", b"qos 1", b"qos 2"])
        self.assertEqual([g.qos for g in got], [0, 1, 2])
        self.assertFalse(any(g.retain for g in got))

    def test_delivered_at_the_lower_qos_and_wildcards(self):
        root = unique("wild")
        sub = self.connected()
        self.assertEqual(sub.subscribe([(root + "/+/x", 1), (root + "/#", 0)]), [1, 0])
        pub = self.connected()
        pub.publish(root + "/a/x", b"both", qos=2)
        pub.publish(root + "/a/y", b"hash only", qos=2)
        got = [sub.expect() for _ in range(2)]
        # One copy per message, at the highest granted QoS of its matching filters.
        self.assertEqual([(g.topic, g.qos) for g in got],
                         [(root + "/a/x", 1), (root + "/a/y", 0)])

    def test_dollar_topics_are_not_matched_by_leading_wildcards(self):
        sub = self.connected()
        sub.subscribe([("#", 0)])
        pub = self.connected()
        marker = unique("marker")
        pub.publish("$" + unique("x") + "/B", b"hidden", qos=1)
        pub.publish(marker, b"end", qos=1)
        got = sub.expect_until(marker, b"end")
        self.assertFalse([g for g in got if g.topic.startswith("$")])

    # ----- retained -----

    def test_retained_set_replaced_and_cleared(self):
        topic = unique("ret") + "/t"
        pub = self.connected()
        pub.publish(topic, b"first", qos=1, retain=True)
        pub.publish(topic, b"second", qos=2, retain=True)
        late = self.connected()
        late.subscribe([(topic.rsplit("/", 1)[0] + "/+", 2)])
        got = late.expect()
        self.assertEqual((got.topic, got.payload, got.retain, got.qos), (topic, b"second", True, 2))
        pub.publish(topic, b"", qos=0, retain=True)  # clears it
        self.assertEqual(late.expect().payload, b"")  # delivered as any message
        later = self.connected()
        marker = topic.rsplit("/", 1)[0] + "/marker"
        later.subscribe([(topic.rsplit("/", 1)[0] + "/+", 1)])
        pub.publish(marker, b"end", qos=1)
        got = later.expect_until(marker, b"end")
        self.assertEqual(len(got), 1, [g.payload for g in got])

    # ----- sessions -----

    def test_persistent_session_keeps_subscriptions_and_queues(self):
        cid, topic = unique("persistent"), unique("ps") + "/t"
        first = self.client(cid, clean=False)
        self.assertEqual(first.connect(), (False, 0))
        first.subscribe([(topic, 2)])
        first.disconnect()
        pub = self.connected()
        pub.publish(topic, b"away 0", qos=0)
        pub.publish(topic, b"away 1", qos=1)
        pub.publish(topic, b"away 2", qos=2)
        back = self.client(cid, clean=False)
        self.assertEqual(back.connect(), (True, 0))
        got = [back.expect(), back.expect()]
        self.assertEqual([(g.payload, g.qos) for g in got], [(b"away 1", 1), (b"away 2", 2)])
        # A clean session discards it.
        back.disconnect()
        clean = self.client(cid, clean=True)
        self.assertEqual(clean.connect(), (False, 0))
        clean.disconnect()
        again = self.client(cid, clean=False)
        self.assertEqual(again.connect(), (False, 0))

    def test_takeover_by_the_same_client_id(self):
        cid = unique("twin")
        first = self.connected(cid)
        second = self.connected(cid)
        self.assertTrue(first.disconnected.wait(m.WAIT_S))
        topic = unique("tk")
        second.subscribe([(topic, 1)])
        self.connected().publish(topic, b"to the second", qos=1)
        self.assertEqual(second.expect().payload, b"to the second")

    def test_zero_length_client_id(self):
        anonymous = self.client("")
        self.assertEqual(anonymous.connect(), (False, 0))
        raw = m.Raw(self.port)
        raw.send(m.connect_packet("", clean=False))
        self.assertEqual(raw.read(), (2, 0, bytes([0, 2])))  # identifier rejected
        self.assertTrue(raw.closed_by_server())

    # ----- wills and keep-alive -----

    def test_will_on_abnormal_disconnect_not_on_disconnect(self):
        topic = unique("will")
        watcher = self.connected()
        watcher.subscribe([(topic + "/#", 1)])
        polite = m.Raw(self.port)
        polite.send(m.connect_packet(unique("polite"), will=(topic + "/polite", "bye", 1, False)))
        self.assertEqual(polite.read()[0], 2)
        polite.send(m.DISCONNECT)
        self.assertTrue(polite.closed_by_server())
        rude = m.Raw(self.port)
        rude.send(m.connect_packet(unique("rude"), will=(topic + "/rude", "gone", 1, False)))
        self.assertEqual(rude.read()[0], 2)
        rude.close()  # no DISCONNECT
        got = watcher.expect()
        self.assertEqual((got.topic, got.payload, got.qos), (topic + "/rude", b"gone", 1))
        marker = topic + "/marker"
        self.connected().publish(marker, b"end", qos=1)
        self.assertEqual([g.topic for g in watcher.expect_until(marker, b"end")], [marker])

    def test_keep_alive_expiry_publishes_the_will(self):
        topic = unique("ka")
        watcher = self.connected()
        watcher.subscribe([(topic, 1)])
        silent = m.Raw(self.port)
        silent.send(m.connect_packet(unique("silent"), keepalive=1, will=(topic, "expired", 1, False)))
        self.assertEqual(silent.read()[0], 2)
        # Nothing more is sent: after 1.5 s the server closes and publishes the will.
        self.assertEqual(watcher.expect().payload, b"expired")
        self.assertTrue(silent.closed_by_server())

    # ----- refused -----

    def test_denied_filter_gets_0x80_and_others_are_granted(self):
        sub = self.connected()
        self.assertEqual(sub.subscribe([("test/nosubscribe", 2), (unique("ok"), 1)]), [128, 1])

    def test_connack_codes_and_closed_connections(self):
        cases = [
            # MQTT 5's CONNECT: 0x01, then closed.
            (m.packet(0x10, b"\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x01x"), (2, 0, b"\x00\x01")),
            # Not CONNECT first: closed without an answer.
            (m.PINGREQ, None),
            # An unknown protocol name: closed.
            (m.packet(0x10, b"\x00\x02hj\x04\x02\x00\x00\x00\x01x"), None),
            # A Remaining Length of five bytes: closed.
            (b"\x10\xff\xff\xff\xff\x01", None),
        ]
        for data, answer in cases:
            with self.subTest(data=data):
                raw = m.Raw(self.port)
                raw.send(data)
                if answer:
                    self.assertEqual(raw.read(), answer)
                self.assertTrue(raw.closed_by_server())
        # After CONNECT: a wildcard in a PUBLISH topic, invalid UTF-8, a second CONNECT.
        for bad in (m.publish_packet("a/+", "x"), m.publish_packet(b"\xc3\x28", "x"),
                    m.connect_packet("again")):
            with self.subTest(bad=bad):
                raw = m.Raw(self.port)
                raw.send(m.connect_packet(unique("bad")))
                self.assertEqual(raw.read()[0], 2)
                raw.send(bad)
                self.assertTrue(raw.closed_by_server())

    # ----- MQTT over WebSocket -----

    def test_websocket_and_tcp_clients_share_topics(self):
        topic = unique("ws") + "/t"
        ws = self.client(transport="websockets", port=self.server.port)
        self.assertEqual(ws.connect(), (False, 0))
        self.assertEqual(ws.subscribe([(topic, 2)]), [2])
        tcp = self.connected()
        tcp.subscribe([(topic, 2)])
        tcp.publish(topic, b"from tcp", qos=2)
        ws.publish(topic, b"from ws", qos=1)
        self.assertEqual(sorted([ws.expect().payload, ws.expect().payload]),
                         [b"from tcp", b"from ws"])
        self.assertEqual(sorted([tcp.expect().payload, tcp.expect().payload]),
                         [b"from tcp", b"from ws"])


class MqttRestartTest(unittest.TestCase):
    """Persistent sessions, their queued messages and retained messages outlive the process: a
    SIGTERM keeps all of them; a kill -9 keeps what the session store had written, which is
    every change once its batch is written (a few tens of milliseconds): the test waits until
    the records are on disk (never on a timer), then kills."""

    def records(self, server, prefix):
        """The keys of mqtt.db starting with prefix (read-only, as another process may)."""
        path = os.path.join(server.data_dir, "mqtt.db")
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
        try:
            return [k for (k,) in db.execute("SELECT key FROM state WHERE substr(key, 1, ?) = ?",
                                             (len(prefix), prefix))]
        except sqlite3.OperationalError:
            return []  # not created yet
        finally:
            db.close()

    def until_written(self, server, prefix, count):
        deadline = time.monotonic() + m.WAIT_S
        while len(self.records(server, prefix)) < count:
            self.assertLess(time.monotonic(), deadline, "no %d records %s*" % (count, prefix))
            time.sleep(0.02)

    def restart_keeps_the_session(self, sig):
        server = ParleyServer(args=["--threads", "2"]).start()
        try:
            port = server.listener_port("mqtt")
            cid, topic = unique("survivor"), unique("restart") + "/t"
            sub = m.Paho(port, cid, clean=False)
            self.assertEqual(sub.connect(), (False, 0))
            sub.subscribe([(topic, 1), (topic + "/two", 2)])
            sub.disconnect()
            pub = m.Paho(port, unique("pub"))
            pub.connect()
            # Each acknowledged once committed to the message store.
            pub.publish(topic, b"queued", qos=1)
            pub.publish(topic + "/two", b"queued at 2", qos=2)
            pub.publish(topic + "/r", b"retained", qos=1, retain=True)
            pub.disconnect()
            if sig == signal.SIGKILL:
                self.until_written(server, "m/%s/" % cid, 2)
                self.until_written(server, "r/%s/r" % topic, 1)
            self.assertEqual(server.stop(sig), 0 if sig == signal.SIGTERM else -signal.SIGKILL)

            server.start()
            port = server.listener_port("mqtt")
            back = m.Paho(port, cid, clean=False)
            self.assertEqual(back.connect(), (True, 0))
            got = sorted((g.topic, g.payload, g.qos) for g in (back.expect(), back.expect()))
            self.assertEqual(got, [(topic, b"queued", 1), (topic + "/two", b"queued at 2", 2)])
            late = m.Paho(port, unique("late"))
            late.connect()
            late.subscribe([(topic + "/+", 0)])
            got = late.expect()
            self.assertEqual((got.payload, got.retain), (b"retained", True))
            back.disconnect()
            late.disconnect()
            # Acknowledged: the records are gone (written as they change).
            self.assertEqual(server.stop(), 0)
            self.assertEqual(self.records(server, "m/%s/" % cid), [])
        finally:
            server.stop()
            server.close()

    def test_sessions_and_retained_across_a_restart(self):
        self.restart_keeps_the_session(signal.SIGTERM)

    def test_sessions_and_retained_across_a_kill_9(self):
        self.restart_keeps_the_session(signal.SIGKILL)


class MqttUsersTest(unittest.TestCase):
    """allow_anonymous = false: user names and passwords against `parley users`."""

    def test_user_names_and_passwords(self):
        tmp = tempfile.mkdtemp(prefix="parley-mqtt-users-")
        data = os.path.join(tmp, "data")
        add = subprocess.run([os.environ["PARLEY_BIN"], "users", "add", "alice", "--data-dir", data],
                             input=b"wonderland\n", capture_output=True, timeout=30)
        self.assertEqual(add.returncode, 0, add.stderr)
        # An hour's window: no attempt comes back during the test, however slow the machine.
        config = write_config(tmp, "[mqtt]\nallow_anonymous = false\n"
                              "login_attempts_per_account = 2\nlogin_window = \"1h\"\n")
        server = ParleyServer(args=["--config", config], data_dir=data).start()
        try:
            port = server.listener_port("mqtt")
            # alice's third CONNECT is past login_attempts_per_account: 3, not checked.
            cases = [((None, None), 5), (("alice", "wrong"), 4), (("mallory", "x"), 4),
                     (("alice", "wonderland"), 0), (("alice", "wonderland"), 3)]
            for (user, password), rc in cases:
                with self.subTest(user=user, password=password):
                    c = m.Paho(port, unique("u"), user=user, password=password)
                    self.assertEqual(c.connect()[1], rc)
                    c.disconnect()
        finally:
            server.stop()
            server.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
