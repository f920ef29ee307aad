"""WebSocket clients and small helpers shared by the Python end-to-end tests (Debian's
python3-websockets 10.4).

    WsClient     a websockets connection that collects every JSON frame it receives, in order:
                 c = await WsClient.open(url, **connect_kwargs)
                 await c.send({...})                   dict -> JSON text; str and bytes as given
                 await c.next(pred, what)              next frame not returned yet that matches
                 await c.wait_for(pred, what, start=i)  first match at index >= i (not consumed)
                 await c.quiet(seconds)                what arrived meanwhile and was not returned
                 c.frames, c.closed ((code, reason) once closed), wait_closed(), close()
                 a subclass acts on each frame in on_frame(frame), once it is in frames
    RawWs        a WebSocket client over a bare socket: sends any frame, never answers pings
    poll, wait_until  polling with a deadline (WAIT_S by default)
    wait_output  waits until a seed client, run as a task, printed something
    free_port    a TCP port free right now on 127.0.0.1
    write_config writes a TOML configuration file into a directory, returns its path
"""

import asyncio
import base64
import json
import os
import socket
import struct

import websockets

WAIT_S = 5.0
POLL_S = 0.01


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(directory, text):
    path = os.path.join(directory, "parley.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


async def poll(check, timeout, timed_out):
    """Calls check() every POLL_S seconds until it returns something other than None, and
    returns that. check() may raise to give up; after `timeout` seconds, AssertionError with
    the text timed_out() returns."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        if loop.time() > deadline:
            raise AssertionError(timed_out())
        await asyncio.sleep(POLL_S)


async def wait_until(cond, what, timeout=WAIT_S):
    """Waits until cond() holds."""
    await poll(lambda: True if cond() else None, timeout,
               lambda: "timed out waiting until %s" % what)


async def wait_output(out, task, found, what):
    """Waits until found(text) holds for the text `task` (a seed client) printed so far into
    the captured stdout `out`. AssertionError with that text if the task ends first."""
    def check():
        if found(out.getvalue()):
            return True
        if task.done():
            exc = task.exception() if not task.cancelled() else None
            raise AssertionError("the seed client ended (%r) before printing %s; output so far:\n%s"
                                 % (exc, what, out.getvalue()))
        return None
    await poll(check, WAIT_S, lambda: "the seed client did not print %s within %.0f s; output "
               "so far:\n%s" % (what, WAIT_S, out.getvalue()))


class WsClient:
    def __init__(self, connection):
        self.connection = connection
        self.frames = []     # every frame received, decoded
        self.seen = 0        # frames[:seen] were returned by next() or quiet()
        self.closed = None   # (code, reason) once the connection is closed
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, url, **connect_kwargs):
        return cls(await websockets.connect(url, **connect_kwargs))

    # ----- receiving -----

    async def on_frame(self, frame):
        """Called for each frame once it is in self.frames."""

    async def _read(self):
        try:
            async for data in self.connection:
                frame = json.loads(data)
                self.frames.append(frame)
                await self.on_frame(frame)
        except websockets.ConnectionClosed:
            pass
        except Exception as e:  # noqa: BLE001 - recorded for the test to see
            self.frames.append({"type": "__reader_error__", "error": repr(e)})
        self.closed = (self.connection.close_code, self.connection.close_reason)

    def _describe(self):
        return "frames: %s" % json.dumps(self.frames)[-2000:]

    async def _find(self, pred, what, timeout, start):
        """The index of the first frame at index >= start for which pred(frame) holds."""
        scanned = start

        def check():
            nonlocal scanned
            while scanned < len(self.frames):
                scanned += 1
                if pred(self.frames[scanned - 1]):
                    return scanned - 1
            if self.closed is not None:
                raise AssertionError("connection closed %r while waiting for %s; %s"
                                     % (self.closed, what, self._describe()))
            return None
        return await poll(check, timeout,
                          lambda: "timed out waiting for %s; %s" % (what, self._describe()))

    async def wait_for(self, pred, what, timeout=WAIT_S, start=0):
        """The first frame at index >= start for which pred(frame) holds. AssertionError when
        the connection closed without one, or after `timeout` seconds."""
        return self.frames[await self._find(pred, what, timeout, start)]

    async def next(self, pred=None, what="a frame"):
        """The next frame not returned yet for which pred(frame) holds (any frame without pred);
        the ones before it that do not match are skipped."""
        i = await self._find(pred or (lambda f: True), what, WAIT_S, self.seen)
        self.seen = i + 1
        return self.frames[i]

    async def quiet(self, seconds=0.3):
        """The frames that arrived in the next `seconds` and were not returned yet."""
        await asyncio.sleep(seconds)
        out = self.frames[self.seen:]
        self.seen = len(self.frames)
        return out

    # ----- sending and closing -----

    async def send(self, obj):
        await self.connection.send(obj if isinstance(obj, (str, bytes)) else json.dumps(obj))

    async def wait_closed(self, timeout=WAIT_S):
        """(code, reason) once the server closed the connection."""
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.closed

    async def close(self):
        await self.connection.close()
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), WAIT_S)
        except asyncio.TimeoutError:
            pass


class RawWs:
    """A WebSocket client on a bare socket (blocking, with timeouts): it can send frames no
    library would, and it never answers pings. Use from a thread or with short timeouts.
    `response` is the server's handshake response head; anything but 101 raises."""

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
