"""MQTT end to end with Mosquitto's command-line clients (Debian's mosquitto-clients), and one
message seen by two systems: what the SSE demo publishes (curl POST /chat/publish/<uuid>/<user>, the
page's call)
reaches `mosquitto_sub -t 'affinitas_chat/one_to_one/+'` in the original's shape, and what
`mosquitto_pub -q 2` publishes there reaches `curl -N /chat/receive/<uuid>`.

mosquitto_sub writes to a pipe through stdio's full buffering (it flushes after a message, not
after its -d lines): it runs under `stdbuf -oL`, so "received SUBACK" is seen when it happens.

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_mqtt_mosquitto.py   (needs PARLEY_BIN)
"""

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from parley_server import ParleyServer  # noqa: E402

WAIT_S = 10.0


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


class Lines:
    """The lines a process writes on stdout, in a queue (read by a thread)."""

    def __init__(self, stream):
        self.queue = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for raw in iter(stream.readline, b""):
            self.queue.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
        self.queue.put(None)

    def until(self, predicate):
        """Lines up to the first one predicate accepts (returned); fails at EOF or timeout."""
        while True:
            try:
                line = self.queue.get(timeout=WAIT_S)
            except queue.Empty:
                raise AssertionError("no matching line within %.0f s" % WAIT_S) from None
            if line is None:
                raise AssertionError("the stream ended before a matching line")
            if predicate(line):
                return line


class MqttMosquittoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ParleyServer(args=["--threads", "2"]).start()
        cls.port = cls.server.listener_port("mqtt")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.close()

    def setUp(self):
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()

    def sub(self, *args):
        """mosquitto_sub with -d, once its SUBACK arrived; returns (process, Lines)."""
        p = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p",
                              str(self.port), "-d", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.procs.append(p)
        lines = Lines(p.stdout)
        lines.until(lambda line: "received SUBACK" in line)
        return p, lines

    def pub(self, *args):
        done = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), *args],
                              capture_output=True, timeout=WAIT_S)
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_qos_2_publish_and_subscribe(self):
        topic = unique("mosq") + "/t"
        p, lines = self.sub("-t", topic, "-q", "2", "-C", "1", "-F", "%t|%q|%r|%p")
        self.pub("-t", topic, "-q", "2", "-m", "hello, mosquitto")
        self.assertEqual(lines.until(lambda line: "|" in line), topic + "|2|0|hello, mosquitto")
        self.assertEqual(p.wait(WAIT_S), 0)

    def test_retained_message(self):
        topic = unique("mosq-r")
        self.pub("-t", topic, "-q", "1", "-r", "-m", "kept")
        p, lines = self.sub("-t", topic, "-C", "1", "-F", "%r|%p")
        self.assertEqual(lines.until(lambda line: "|" in line), "1|kept")
        self.assertEqual(p.wait(WAIT_S), 0)

    def test_sse_publish_reaches_mosquitto_sub(self):
        channel, user = str(uuid.uuid4()), str(uuid.uuid4())
        p, lines = self.sub("-t", "affinitas_chat/one_to_one/+", "-q", "2", "-F", "%t|%q|%p")
        sent = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                               "-H", "Content-Type: text/plain", "--data-binary",
                               "hello from the page", "http://127.0.0.1:%d/chat/publish/%s/%s"
                               % (self.server.port, channel, user)],
                              capture_output=True, timeout=WAIT_S)
        self.assertEqual(sent.stdout, b"200", sent.stderr)
        topic = "affinitas_chat/one_to_one/" + channel
        line = lines.until(lambda line: line.startswith(topic + "|"))
        _, qos, payload = line.split("|", 2)
        self.assertEqual(qos, "2")
        message = json.loads(payload)
        self.assertEqual(list(message), ["id", "userId", "message"])
        self.assertEqual((message["userId"], message["message"]), (user, "hello from the page"))

    def test_mosquitto_pub_reaches_the_sse_stream(self):
        channel = str(uuid.uuid4())
        curl = subprocess.Popen(["curl", "-sSN", "-H", "Accept: text/event-stream",
                                 "http://127.0.0.1:%d/chat/receive/%s" % (self.server.port, channel)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.procs.append(curl)
        stream = Lines(curl.stdout)
        stream.until(lambda line: line.startswith("retry:"))  # subscribed
        payload = json.dumps({"id": str(uuid.uuid4()), "userId": str(uuid.uuid4()),
                              "message": "hi from mosquitto_pub"}, separators=(",", ":"))
        self.pub("-q", "2", "-t", "affinitas_chat/one_to_one/" + channel, "-m", payload)
        self.assertEqual(stream.until(lambda line: line.startswith("data: ")), "data: " + payload)

    def test_busy_port_stops_start_up_naming_the_key(self):
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        server = ParleyServer(args=["--mqtt", "127.0.0.1:%d" % busy])
        try:
            with self.assertRaises(RuntimeError):
                server.start()
            self.assertEqual(server.proc.wait(WAIT_S), 1)
            self.assertIn("mqtt.listen", server.log)
        finally:
            server.close()
            holder.close()


if __name__ == "__main__":
    unittest.main()
