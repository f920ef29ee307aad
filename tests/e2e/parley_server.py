"""Launcher for Python end-to-end tests: runs the real Parley binary on a free port.

    server = ParleyServer(args=[...], data_dir=None).start()
    server.port, server.url ("http://127.0.0.1:PORT"), server.ws_url ("ws://127.0.0.1:PORT", no path)
    server.data_dir, server.proc (subprocess.Popen), server.log (stdout+stderr text so far)
    server.stop(sig=signal.SIGTERM) -> exit code (negative signal number if killed by a signal)
    server.restart()                -> same object, same data dir, new port and process
    server.listener_port(name)      -> the port of the listener `name` ("chatroom", "mqtt", ...) from
                                       this run's log, or None

The binary is $PARLEY_BIN, started as
    $PARLEY_BIN --http 127.0.0.1:0 --mqtt 127.0.0.1:0 --data-dir <dir> --log-level debug ...args
(an --mqtt in args wins: the last one counts) and considered ready when its output contains
"listening on 127.0.0.1:<port>" (10 s limit); the MQTT TCP port is listener_port("mqtt").

A data dir made here (mkdtemp) is removed by stop() of the last run (close()) or at exit;
a given one is kept. Also usable as a context manager.
"""

import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

READY_RE = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0

_live = set()


@atexit.register
def _kill_leftovers():
    for server in list(_live):
        server.close()


class ParleyServer:
    def __init__(self, args=(), data_dir=None, binary=None):
        self.args = list(args)
        self.binary = binary  # None: $PARLEY_BIN
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="parley-e2e-")
        self.proc = None
        self.port = None
        self.url = None
        self.ws_url = None
        self._chunks = []
        self._lock = threading.Lock()
        self._readers = []

    # ----- log -----

    @property
    def log(self):
        with self._lock:
            return "".join(self._chunks)

    def log_tail(self, lines=80):
        return "\n".join(self.log.splitlines()[-lines:])

    def listener_port(self, name, wait_s=3.0):
        """The port of the listener `name` ("listening on 127.0.0.1:P (name)" in the log; the line
        may come a little after the shared listener's, which start() waits for); None if it never
        shows within wait_s. Only this run's lines count (a restart logs a new port)."""
        pattern = re.compile(r"listening on 127\.0\.0\.1:(\d+) \(%s\)" % re.escape(name))
        deadline = time.monotonic() + wait_s
        while True:
            log = self.log
            m = pattern.search(log, log.rfind("--- start:") + 1)
            if m:
                return int(m.group(1))
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    def _append(self, text):
        with self._lock:
            self._chunks.append(text)

    # ----- lifecycle -----

    def start(self):
        binary = self.binary or os.environ.get("PARLEY_BIN")
        if not binary:
            raise RuntimeError("PARLEY_BIN is not set (ctest sets it to the built parley binary)")
        argv = [binary, "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0",
                "--data-dir", self.data_dir, "--log-level", "debug", *self.args]
        self._append("--- start: %s\n" % " ".join(argv))
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        _live.add(self)
        ready = threading.Event()
        found = {}

        def reader(stream):
            pending = ""
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace")
                self._append(line)
                if not ready.is_set():
                    pending = (pending + line)[-400:]
                    m = READY_RE.search(pending)
                    if m:
                        found["port"] = int(m.group(1))
                        ready.set()
            stream.close()

        self._readers = [threading.Thread(target=reader, args=(s,), daemon=True)
                         for s in (self.proc.stdout, self.proc.stderr)]
        for t in self._readers:
            t.start()

        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready.wait(0.05):
            if self.proc.poll() is not None:
                for t in self._readers:
                    t.join(1)
                raise RuntimeError("parley exited before listening (code=%s)\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            if time.monotonic() > deadline:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError('parley did not print "listening on 127.0.0.1:<port>" '
                                   "within %.0f s\n%s" % (START_TIMEOUT_S, self.log_tail()))
        self.port = found["port"]
        self.url = "http://127.0.0.1:%d" % self.port
        self.ws_url = "ws://127.0.0.1:%d" % self.port
        return self

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig`, waits for the exit and returns the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._append("--- did not exit within %.0f s of %s; SIGKILL\n"
                             % (STOP_TIMEOUT_S, sig))
                proc.kill()
                proc.wait()
        for t in self._readers:
            t.join(2)
        self._append("--- exited: code=%s\n" % proc.returncode)
        _live.discard(self)
        return proc.returncode

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        """Stops the server (SIGKILL if it is still running) and removes a temporary data dir."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        _live.discard(self)
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.stop()
        self.close()
        return False
