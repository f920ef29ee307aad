// Launcher for end-to-end tests: runs the real Parley binary on a free port.
//
//   const server = await startServer({args, dataDir});
//   server.port / server.url (http://127.0.0.1:PORT) / server.wsUrl (ws://127.0.0.1:PORT, no path)
//   server.dataDir, server.proc (the ChildProcess), server.log (stdout+stderr text so far)
//   await server.stop(signal = 'SIGTERM')  -> exit code (null if the process died of a signal)
//   await server.restart()                 -> same object, same data dir, new port and proc
//   configArgs(toml)                       -> ['--config', <a file holding toml>], for args
//   await listenerPort(server, name)       -> the port of the listener logged with (name)
//   await metric(server, name, labels)     -> parley_<name> from /metrics, its series summed (NaN: none)
//
// The binary is $PARLEY_BIN, started as
//   $PARLEY_BIN --http 127.0.0.1:0 --mqtt 127.0.0.1:0 --data-dir <dir> --log-level debug ...args
// (an --mqtt in args wins: the last one counts; the MQTT TCP port is listenerPort(server, 'mqtt'))
// and considered ready when its output contains "listening on 127.0.0.1:<port>" (10 s limit).
// A data dir made here (mkdtemp) is removed when the test process exits; a given one is kept.
// Every process still running at exit is killed, so a failing test never leaks a server.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.mjs';
import { parseMetrics, sumOf } from './metrics.mjs';

const READY_RE = /listening on 127\.0\.0\.1:(\d+)/;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

const live = new Set();
const tempDirs = new Set();
process.on('exit', () => {
  for (const proc of live) {
    try { proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const dir of tempDirs) {
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
});

function binary() {
  const bin = process.env.PARLEY_BIN;
  if (!bin) throw new Error('PARLEY_BIN is not set (ctest sets it to the built parley binary)');
  return bin;
}

class ParleyServer {
  constructor(args, dataDir) {
    this.args = args;
    this.dataDir = dataDir;
    this.proc = null;
    this.port = null;
    this.url = null;
    this.wsUrl = null;
    this.logChunks = [];
    this.exited = null; // promise of {code, signal} for the current proc
  }

  /** Everything the server wrote on stdout and stderr, across restarts. */
  get log() {
    return this.logChunks.join('');
  }

  /** The last `lines` lines of the log, for error messages. */
  logTail(lines = 80) {
    return this.log.split('\n').slice(-lines).join('\n');
  }

  async start() {
    const argv = ['--http', '127.0.0.1:0', '--mqtt', '127.0.0.1:0', '--data-dir', this.dataDir,
      '--log-level', 'debug', ...this.args];
    const proc = spawn(binary(), argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    live.add(proc);
    this.logChunks.push(`--- start: ${binary()} ${argv.join(' ')}\n`);
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        live.delete(proc);
        this.logChunks.push(`--- exited: code=${code} signal=${signal}\n`);
        resolve({ code, signal });
      });
    });

    const port = await new Promise((resolve, reject) => {
      let pending = '';
      let done = false;
      const finish = (fn, value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        fn(value);
      };
      const onData = (chunk) => {
        const text = chunk.toString('utf8');
        this.logChunks.push(text);
        if (done) return;
        pending += text;
        const m = READY_RE.exec(pending);
        if (m) finish(resolve, Number(m[1]));
        else pending = pending.slice(-200); // a line split across chunks still matches
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.on('error', (err) => finish(reject, new Error(`cannot run ${binary()}: ${err.message}`)));
      this.exited.then(({ code, signal }) => finish(reject, new Error(
        `parley exited before listening (code=${code} signal=${signal})\n${this.logTail()}`)));
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        finish(reject, new Error(
          `parley did not print "listening on 127.0.0.1:<port>" within ${START_TIMEOUT_MS} ms\n${this.logTail()}`));
      }, START_TIMEOUT_MS);
    });

    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}`;
    return this;
  }

  /** Sends `signal` and waits for the exit; returns the exit code (null if killed by a signal). */
  async stop(signal = 'SIGTERM') {
    const proc = this.proc;
    if (!proc) return null;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill(signal);
      const timer = setTimeout(() => {
        this.logChunks.push(`--- did not exit within ${STOP_TIMEOUT_MS} ms of ${signal}; SIGKILL\n`);
        proc.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    } else {
      await this.exited;
    }
    return proc.exitCode;
  }

  /** Stops (SIGTERM) and starts again on the same data dir; returns this with the new port. */
  async restart() {
    await this.stop();
    return this.start();
  }
}

export async function startServer({ args = [], dataDir } = {}) {
  let dir = dataDir;
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
    tempDirs.add(dir);
  }
  const server = new ParleyServer(args, dir);
  return server.start();
}

/**
 * Runs `fn`; if it throws, the server's log tail is appended to the error message, so a failing
 * test shows what the server did.
 */
export async function withServerLog(server, fn) {
  try {
    return await fn();
  } catch (err) {
    if (err && typeof err === 'object' && !err.__parleyLog) {
      err.__parleyLog = true;
      const tail = `\n--- server log (tail) ---\n${server.logTail()}`;
      err.message = `${err.message}${tail}`;
      if (typeof err.stack === 'string') err.stack = `${err.stack}${tail}`;
    }
    throw err;
  }
}

/** Writes `toml` to a temporary file; returns ['--config', path] for startServer's args. */
export function configArgs(toml) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-e2e-cfg-'));
  tempDirs.add(dir);
  const path = join(dir, 'parley.toml');
  writeFileSync(path, toml);
  return ['--config', path];
}

/**
 * The port of the listener named `name`, from the server's log ("listening on ...:P (name)").
 * Waits for the line: startServer returns at the first listener's.
 */
export async function listenerPort(server, name) {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`listening on 127\\.0\\.0\\.1:(\\d+) \\(${escaped}\\)`);
  const m = await waitFor(() => re.exec(server.log), `the listener "${name}" in the log`);
  return Number(m[1]);
}

/**
 * The value of the counter or gauge `parley_<name>` on the server's /metrics: the sum of its
 * series whose labels include `labels` (e.g. {system: 'hub'}); NaN when there is none.
 */
export async function metric(server, name, labels = {}) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return sumOf(parseMetrics(text), name, labels);
}
