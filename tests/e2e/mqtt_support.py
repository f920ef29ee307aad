"""Helpers for the MQTT end-to-end tests: a Paho (Debian's python3-paho-mqtt 1.6) client with
queues instead of callbacks, and a raw-socket client that writes packets by hand (for what a
library will not send: wills cut off mid-session, bad protocol levels, malformed packets).
"""

import queue
import socket
import struct
import threading

import paho.mqtt.client as paho

WAIT_S = 5.0


class Paho:
    """One Paho client. connect() returns (session_present, rc); messages arrive in .messages."""

    def __init__(self, port, client_id, clean=True, transport="tcp", keepalive=60, will=None,
                 user=None, password=None):
        self.port = port
        self.messages = queue.Queue()
        self._connacks = queue.Queue()
        self._subacks = {}
        self._unsubacks = {}
        self._cond = threading.Condition()
        self.disconnected = threading.Event()
        self.keepalive = keepalive
        self.client = paho.Client(client_id=client_id, clean_session=clean,
                                  protocol=paho.MQTTv311, transport=transport,
                                  reconnect_on_failure=False)
        if transport == "websockets":
            self.client.ws_set_options(path="/mqtt")
        if will:
            self.client.will_set(*will)
        if user is not None:
            self.client.username_pw_set(user, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_unsubscribe
        self.client.on_disconnect = lambda c, u, rc: self.disconnected.set()

    def _on_connect(self, client, userdata, flags, rc):
        self._connacks.put((bool(flags.get("session present")), rc))

    def _on_subscribe(self, client, userdata, mid, granted):
        with self._cond:
            self._subacks[mid] = list(granted)
            self._cond.notify_all()

    def _on_unsubscribe(self, client, userdata, mid):
        with self._cond:
            self._unsubacks[mid] = True
            self._cond.notify_all()

    def connect(self):
        self.client.connect("127.0.0.1", self.port, keepalive=self.keepalive)
        self.client.loop_start()
        return self._connacks.get(timeout=WAIT_S)

    def subscribe(self, topics):
        """topics: [(filter, qos)]; returns the granted codes (128: refused)."""
        rc, mid = self.client.subscribe(topics)
        assert rc == paho.MQTT_ERR_SUCCESS, rc
        with self._cond:
            assert self._cond.wait_for(lambda: mid in self._subacks, WAIT_S), "no SUBACK"
            return self._subacks[mid]

    def unsubscribe(self, topic):
        rc, mid = self.client.unsubscribe(topic)
        assert rc == paho.MQTT_ERR_SUCCESS, rc
        with self._cond:
            assert self._cond.wait_for(lambda: mid in self._unsubacks, WAIT_S), "no UNSUBACK"

    def publish(self, topic, payload, qos=0, retain=False):
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(WAIT_S)
        assert info.is_published(), "not acknowledged: %s %r" % (topic, payload)

    def expect(self, timeout=WAIT_S):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no message within %.0f s" % timeout) from None

    def expect_until(self, topic, payload):
        """The messages received up to and including (topic, payload), that one last."""
        out = []
        while True:
            m = self.expect()
            out.append(m)
            if m.topic == topic and m.payload == payload:
                return out

    def disconnect(self):
        self.client.disconnect()
        self.client.loop_stop()

    def stop(self):
        """Stops the network loop without DISCONNECT (the socket is closed)."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock:
            sock.close()


# ----- raw packets -----

def _remaining(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(data):
    if isinstance(data, str):
        data = data.encode()
    return struct.pack("!H", len(data)) + data


def packet(first, body):
    return bytes([first]) + _remaining(len(body)) + body


def connect_packet(client_id, clean=True, keepalive=0, will=None, user=None, password=None,
                   name="MQTT", level=4):
    flags = 0x02 if clean else 0
    payload = _field(client_id)
    if will:
        topic, message, qos, retain = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += _field(topic) + _field(message)
    if user is not None:
        flags |= 0x80
        payload += _field(user)
    if password is not None:
        flags |= 0x40
        payload += _field(password)
    body = _field(name) + bytes([level, flags]) + struct.pack("!H", keepalive) + payload
    return packet(0x10, body)


def publish_packet(topic, payload, qos=0, packet_id=1, retain=False):
    if isinstance(payload, str):
        payload = payload.encode()
    body = _field(topic) + (struct.pack("!H", packet_id) if qos else b"") + payload
    return packet(0x30 | (qos << 1) | (1 if retain else 0), body)


DISCONNECT = bytes([0xE0, 0])
PINGREQ = bytes([0xC0, 0])


class Raw:
    """A TCP connection speaking MQTT bytes directly."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def read(self):
        """The next packet as (type, flags, body), or None when the server closed."""
        if not self._fill(2):
            return None
        length, mult, i = 0, 1, 1
        while True:
            if not self._fill(i + 1):
                return None
            b = self.buf[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        if not self._fill(i + length):
            return None
        first, body = self.buf[0], self.buf[i:i + length]
        self.buf = self.buf[i + length:]
        return first >> 4, first & 0x0F, body

    def closed_by_server(self):
        """True once the server closed the connection (after any packets it sent); False when
        it is still open after WAIT_S."""
        while True:
            try:
                if self.read() is None:
                    return True
            except ConnectionResetError:
                return True
            except socket.timeout:
                return False

    def close(self):
        self.sock.close()
