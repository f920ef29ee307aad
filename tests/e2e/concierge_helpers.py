"""Helpers for the ERT Concierge end-to-end tests (Debian's python3-websockets 10.4).

    Client     a websockets connection that collects every payload it receives
    RawWs      a WebSocket client over a bare socket: sends any frame, never answers pings
    free_port  a TCP port free right now on 127.0.0.1
    config     writes a TOML configuration file into a directory, returns its path
"""

import asyncio
import json
import os
import socket
import struct
import base64

import websockets

WAIT_S = 5.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config(directory, text):
    path = os.path.join(directory, "concierge-test.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


class Client:
    """A Concierge client: send payloads (dicts), wait for the ones it received."""

    def __init__(self, connection):
        self.connection = connection
        self.frames = []
        self.seen = 0
        self.closed = None
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, url, subprotocols=("ert-concierge",)):
        return cls(await websockets.connect(url, subprotocols=list(subprotocols)))

    @classmethod
    async def identified(cls, url, name, nickname=None, tags=None, secret=None):
        c = await cls.open(url)
        payload = {"type": "IDENTIFY", "name": name, "version": "0.2.0"}
        if nickname is not None:
            payload["nickname"] = nickname
        if tags is not None:
            payload["tags"] = tags
        if secret is not None:
            payload["secret"] = secret
        await c.send(payload)
        hello = await c.next("HELLO")
        c.uuid = hello["uuid"]
        c.name = name
        return c

    async def _read(self):
        try:
            async for data in self.connection:
                self.frames.append(json.loads(data))
        except websockets.ConnectionClosed:
            pass
        except Exception as e:  # noqa: BLE001 - recorded for the test to see
            self.frames.append({"type": "__reader_error__", "error": repr(e)})
        self.closed = (self.connection.close_code, self.connection.close_reason)

    async def send(self, payload):
        await self.connection.send(payload if isinstance(payload, str) else json.dumps(payload))

    async def next(self, type_=None, pred=None, what=None):
        """The next payload not yet returned (of `type_`, matching `pred`); earlier ones that
        do not match are skipped."""
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while True:
            while self.seen < len(self.frames):
                frame = self.frames[self.seen]
                self.seen += 1
                if (type_ is None or frame.get("type") == type_) and (pred is None or pred(frame)):
                    return frame
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("timed out waiting for %s; frames: %s"
                                     % (what or type_, json.dumps(self.frames, indent=1)))
            await asyncio.sleep(0.01)

    async def quiet(self, seconds=0.3):
        """The payloads that arrived in the next `seconds` and were not returned yet."""
        await asyncio.sleep(seconds)
        out = self.frames[self.seen:]
        self.seen = len(self.frames)
        return out

    async def wait_closed(self, timeout=WAIT_S):
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.closed

    async def close(self):
        await self.connection.close()
        with_timeout = asyncio.wait_for(asyncio.shield(self._reader), WAIT_S)
        try:
            await with_timeout
        except asyncio.TimeoutError:
            pass


class RawWs:
    """A WebSocket client on a bare socket (blocking, with timeouts): it can send frames no
    library would, and it never answers pings. Use from a thread or with short timeouts."""

    def __init__(self, port, path="/ws", protocol="ert-concierge"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        key = base64.b64encode(os.urandom(16)).decode()
        request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                   % (path, port, key))
        if protocol:
            request += "Sec-WebSocket-Protocol: %s\r\n" % protocol
        self.sock.sendall((request + "\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("connection closed during the handshake")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.response = head.decode()
        if not self.response.startswith("HTTP/1.1 101"):
            raise AssertionError("handshake refused: " + self.response)

    def send_frame(self, opcode, payload, fin=True):
        if isinstance(payload, str):
            payload = payload.encode()
        header = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self.send_frame(0x1, text)

    def _read_exact(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def read_frame(self):
        """(opcode, payload bytes) of the next frame from the server."""
        b0, b1 = self._read_exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read_exact(8))[0]
        return b0 & 0x0F, self._read_exact(n)

    def read_until_close(self, timeout):
        """Reads frames until a close frame; returns (close code, reason, [(opcode, payload)])."""
        self.sock.settimeout(timeout)
        frames = []
        while True:
            op, payload = self.read_frame()
            if op == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                return code, payload[2:].decode(), frames
            frames.append((op, payload))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
