// Hub end to end with raw frames: bad input, limits, protocol edge cases, idle timeout, SIGTERM.
// Clients are the `ws` package and, below the WebSocket layer, raw TCP sockets.
// Run: node --test tests/e2e/hub_bad_input.test.mjs (PARLEY_BIN, PARLEY_ROOT).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { configArgs, startServer, withServerLog } from './lib/server.mjs';
import { clientFrame, rawWebSocket } from './lib/raw_ws.mjs';
import { WAIT_MS, waitFor } from './lib/wait.mjs';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const WebSocket = require('ws');

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/** A `ws` client on /socket/websocket that records every frame and the close. */
class Client {
  static async open(server, query = '') {
    const c = new Client(new WebSocket(`${server.wsUrl}/socket/websocket${query}`));
    await withTimeout(new Promise((resolve, reject) => {
      c.ws.once('open', resolve);
      c.ws.once('error', reject);
    }), WAIT_MS, 'the WebSocket to open');
    return c;
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.errors = [];
    this.close = null; // {code, reason} once closed
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.close = { code, reason: reason.toString() };
        resolve(this.close);
      });
    });
    ws.on('error', (err) => { this.errors.push(err.message); });
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      let parsed;
      try { parsed = JSON.parse(text); } catch { parsed = { unparsable: text, isBinary }; }
      this.frames.push(parsed);
    });
    this.nextRef = 1;
  }

  get isOpen() { return this.ws.readyState === WebSocket.OPEN; }

  send(obj) { this.ws.send(JSON.stringify(obj)); }

  /** Sends a v1 frame with a fresh ref and returns that ref. */
  push(topic, event, payload) {
    const ref = String(this.nextRef++);
    this.send({ topic, event, payload, ref });
    return ref;
  }

  async waitFor(pred, what, ms = WAIT_MS) {
    try {
      return await waitFor(() => this.frames.find(pred), what, ms);
    } catch (err) {
      err.message += `; frames seen: ${JSON.stringify(this.frames).slice(0, 2000)}; close: ${JSON.stringify(this.close)}`;
      throw err;
    }
  }

  /** Waits for the v1 reply to `ref` and returns its payload ({status, response}). */
  async reply(ref, what = `the reply to ref ${ref}`) {
    const f = await this.waitFor((m) => m.event === 'phx_reply' && m.ref === ref, what);
    return f.payload;
  }

  async join(room, username) {
    const ref = this.push(`room:${room}`, 'phx_join', { username });
    const r = await this.reply(ref, `the join reply for room:${room}`);
    assert.deepEqual(r, { status: 'ok', response: {} }, `join room:${room} as ${username}`);
  }

  async heartbeat() {
    const ref = this.push('phoenix', 'heartbeat', {});
    assert.deepEqual(await this.reply(ref, 'the heartbeat reply'), { status: 'ok', response: {} });
  }

  async closedWith(what) {
    return withTimeout(this.closed, WAIT_MS, what);
  }

  terminate() { this.ws.terminate(); }
}

// ----- raw TCP below the WebSocket layer -----

/** Opens a TCP connection and performs the WebSocket upgrade by hand. */
async function rawUpgrade(port) {
  const { sock, response, key } = await withTimeout(rawWebSocket(port, '/socket/websocket'),
    WAIT_MS, 'the 101 response');
  assert.match(response, /^HTTP\/1\.1 101 /, response);
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  assert.match(response, new RegExp(`^sec-websocket-accept: *${accept.replace(/[+/=]/g, '\\$&')}\\s*$`, 'im'));
  return sock;
}

// ----- the shared server and its witnesses -----

let server;
let w1;
let w2;
let witnessSeq = 0;

before(async () => {
  server = await startServer();
  w1 = await Client.open(server);
  w2 = await Client.open(server);
  await w1.join('witness', 'w1');
  await w2.join('witness', 'w2');
});

after(async () => {
  for (const c of [w1, w2]) if (c) c.terminate();
  if (server) await server.stop();
});

/** The server still serves others: the witnesses chat, a new client connects, nothing exited. */
async function assertStillServing(label) {
  assert.equal(server.proc.exitCode, null, `${label}: the server process is still running`);
  assert.ok(w1.isOpen && w2.isOpen, `${label}: the witness connections are still open`);
  const body = `witness check ${++witnessSeq} after ${label}`;
  w1.push('room:witness', 'shout', { body, channel: 'witness', name: 'w1' });
  for (const w of [w1, w2]) {
    const f = await w.waitFor((m) => m.event === 'shout' && m.payload.body === body, `${label}: the witness shout`);
    assert.deepEqual(f.payload, { body, channel: 'witness', name: 'w1' });
  }
  const fresh = await Client.open(server);
  try {
    await fresh.heartbeat();
  } finally {
    fresh.terminate();
  }
}

function checked(name, fn, opts = { timeout: 30_000 }) {
  test(name, opts, () => withServerLog(server, fn));
}

// ----- bad frames -----

checked('non-JSON text closes with 1007', async () => {
  const c = await Client.open(server);
  c.ws.send('this is not json {');
  const { code } = await c.closedWith('the close after non-JSON text');
  assert.equal(code, 1007);
  await assertStillServing('non-JSON text');
});

checked('a binary frame closes with 1003', async () => {
  const c = await Client.open(server);
  await c.join('lobby', 'binary-sender');
  c.ws.send(Buffer.from([0x00, 0x01, 0x02, 0xff]), { binary: true });
  const { code } = await c.closedWith('the close after a binary frame');
  assert.equal(code, 1003);
  await assertStillServing('binary frame');
});

checked('invalid UTF-8 in a text frame closes with 1007', async () => {
  const c = await Client.open(server);
  // `ws` sends a Buffer as-is in a text frame when binary is false.
  c.ws.send(Buffer.from('{"topic":"phoenix","event":"heartbeat","payload":{"x":"\xff\xfe"},"ref":"1"}', 'latin1'),
    { binary: false });
  const { code } = await c.closedWith('the close after invalid UTF-8');
  assert.equal(code, 1007);
  assert.ok(!c.frames.some((f) => f.ref === '1'), 'the invalid frame was not processed');
  await assertStillServing('invalid UTF-8');
});

checked('invalid UTF-8 split across continuation frames closes with 1007', async () => {
  const sock = await rawUpgrade(server.port);
  const received = [];
  sock.on('data', (d) => received.push(d));
  const closed = new Promise((resolve) => sock.once('close', resolve));
  // A 2-byte sequence cut in half, then continued with a byte that is not a continuation byte.
  sock.write(clientFrame(0x1, Buffer.from([0x22, 0xc3]), { fin: false }));
  sock.write(clientFrame(0x0, Buffer.from([0x28, 0x22]), { fin: true }));
  await withTimeout(closed, WAIT_MS, 'the server to close the connection');
  const all = Buffer.concat(received);
  assert.ok(all.length >= 4 && (all[0] & 0x0f) === 0x8, `a close frame came back: ${all.toString('hex')}`);
  assert.equal(all.readUInt16BE(2), 1007);
  await assertStillServing('invalid UTF-8 in fragments');
});

checked('a frame over 64 KiB closes with 1009; one under it is accepted', async () => {
  const ok = await Client.open(server);
  await ok.join('big', 'big-ok');
  const body = 'x'.repeat(60_000);
  ok.push('room:big', 'shout', { body, channel: 'big', name: 'big-ok' });
  const echo = await ok.waitFor((m) => m.event === 'shout', 'the 60 kB shout to be echoed');
  assert.equal(echo.payload.body.length, 60_000);
  ok.terminate();

  const c = await Client.open(server);
  await c.join('big', 'big-sender');
  c.push('room:big', 'shout', { body: 'y'.repeat(70_000), channel: 'big', name: 'big-sender' });
  const { code } = await c.closedWith('the close after a 70 kB frame');
  assert.equal(code, 1009);
  assert.ok(!c.frames.some((f) => f.event === 'shout'), 'the oversize shout was not broadcast');
  await assertStillServing('oversize frame');
});

checked('a v1 object without "payload" gets an error reply; the socket stays open', async () => {
  const c = await Client.open(server);
  try {
    await c.join('lobby', 'no-payload');
    c.send({ topic: 'room:lobby', event: 'shout', ref: '77' });
    const f = await c.waitFor((m) => m.ref === '77', 'the reply to the frame without payload');
    assert.equal(f.event, 'phx_reply');
    assert.equal(f.topic, 'room:lobby');
    assert.equal(f.payload.status, 'error');
    assert.equal(typeof f.payload.response, 'object');
    await c.heartbeat();
    assert.equal(c.close, null);
  } finally {
    c.terminate();
  }
  await assertStillServing('missing payload');
});

checked('more than 100 channels on one socket: error "too many channels joined"', async () => {
  const c = await Client.open(server);
  try {
    const refs = [];
    for (let i = 0; i < 100; i++) refs.push(c.push(`room:many-${i}`, 'phx_join', { username: 'greedy' }));
    for (let i = 0; i < 100; i++) {
      assert.deepEqual(await c.reply(refs[i], `join #${i + 1}`), { status: 'ok', response: {} }, `join #${i + 1}`);
    }
    const r = await c.reply(c.push('room:many-100', 'phx_join', { username: 'greedy' }), 'join #101');
    assert.deepEqual(r, { status: 'error', response: { reason: 'too many channels joined' } });
    // The 100 joined channels still work, and the socket is open.
    c.push('room:many-99', 'shout', { body: 'still joined', channel: 'many-99', name: 'greedy' });
    await c.waitFor((m) => m.event === 'shout' && m.topic === 'room:many-99', 'the shout on channel #100');
    const r2 = await c.reply(c.push('room:many-100', 'shout', { body: 'x', channel: 'many-100', name: 'greedy' }),
      'a push to the refused topic');
    assert.deepEqual(r2, { status: 'error', response: { reason: 'unmatched topic' } });
    assert.equal(c.close, null);
  } finally {
    c.terminate();
  }
  await assertStillServing('too many channels');
});

checked('abrupt TCP disconnects mid-frame and mid-handshake do not disturb others', async () => {
  // Half a frame: the header announces 1000 bytes, 10 arrive, then the connection is destroyed.
  const a = await rawUpgrade(server.port);
  const full = clientFrame(0x1, Buffer.from(JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: { pad: 'p'.repeat(950) }, ref: '1' })));
  a.write(full.subarray(0, 18));
  await sleep(50);
  a.destroy();
  await assertStillServing('half a frame');

  // Only the first header byte.
  const b = await rawUpgrade(server.port);
  b.write(full.subarray(0, 1));
  await sleep(50);
  b.destroy();
  await assertStillServing('one header byte');

  // Joined, then half a frame and a reset: the others see the leave.
  const c = await rawUpgrade(server.port);
  c.write(clientFrame(0x1, Buffer.from(JSON.stringify({ topic: 'room:witness', event: 'phx_join', payload: { username: 'abrupt' }, ref: '1' }))));
  await w1.waitFor((m) => m.event === 'presence_diff' && m.payload.joins.abrupt, 'w1 to see abrupt join');
  c.write(full.subarray(0, 30));
  await sleep(50);
  c.resetAndDestroy();
  await w1.waitFor((m) => m.event === 'presence_diff' && m.payload.leaves.abrupt, 'w1 to see abrupt leave');
  await assertStillServing('reset while joined');

  // Half a handshake.
  const d = net.connect(server.port, '127.0.0.1');
  d.on('error', () => {});
  await new Promise((resolve) => d.once('connect', resolve));
  d.write('GET /socket/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webso');
  await sleep(50);
  d.destroy();
  await assertStillServing('half a handshake');
});

// ----- protocol edge cases on raw frames -----

checked('v1: unmatched topics, events on topics not joined, unknown events', async () => {
  const c = await Client.open(server);
  try {
    assert.deepEqual(await c.reply(c.push('lobby', 'phx_join', { username: 'x' })),
      { status: 'error', response: { reason: 'unmatched topic' } });
    assert.deepEqual(await c.reply(c.push('room:never-joined', 'shout', { body: 'b', channel: 'c', name: 'n' })),
      { status: 'error', response: { reason: 'unmatched topic' } });
    const bad = await c.reply(c.push('room:lobby', 'phx_join', { username: ['not', 'a', 'string'] }));
    assert.equal(bad.status, 'error');
    assert.equal(typeof bad.response.reason, 'string');
    const none = await c.reply(c.push('room:lobby', 'phx_join', {}));
    assert.equal(none.status, 'error');
    assert.equal(typeof none.response.reason, 'string');
    await c.join('lobby', 'edgy');
    assert.deepEqual(await c.reply(c.push('room:lobby', 'nonsense', {})),
      { status: 'error', response: { reason: 'unhandled event' } });
    // Still joined: a shout is broadcast back.
    c.push('room:lobby', 'shout', { body: 'after nonsense', channel: 'lobby', name: 'edgy' });
    await c.waitFor((m) => m.event === 'shout' && m.payload.body === 'after nonsense', 'the shout after the unknown event');
    assert.ok(c.frames.every((f) => !('join_ref' in f)), 'v1 frames never carry join_ref');
    assert.equal(c.close, null);
  } finally {
    c.terminate();
  }
});

checked('v2: duplicate join closes the old join; phx_leave replies then closes', async () => {
  const c = await Client.open(server, '?vsn=2.0.0');
  const other = await Client.open(server);
  try {
    await other.join('dup', 'observer');
    const topic = 'room:dup';
    c.send(['1', '1', topic, 'phx_join', { username: 'twice' }]);
    await c.waitFor((m) => Array.isArray(m) && m[1] === '1' && m[3] === 'phx_reply', 'the first join reply');
    assert.deepEqual(c.frames.find((m) => m[1] === '1'), ['1', '1', topic, 'phx_reply', { status: 'ok', response: {} }]);
    await c.waitFor((m) => m[3] === 'presence_state', 'presence_state after the first join');

    c.send(['2', '2', topic, 'phx_join', { username: 'twice' }]);
    const reply2 = await c.waitFor((m) => m[1] === '2' && m[3] === 'phx_reply', 'the second join reply');
    const closeIdx = c.frames.findIndex((m) => m[3] === 'phx_close');
    assert.ok(closeIdx >= 0, `phx_close for the old join: ${JSON.stringify(c.frames)}`);
    assert.deepEqual(c.frames[closeIdx], ['1', '1', topic, 'phx_close', {}]);
    assert.ok(closeIdx < c.frames.indexOf(reply2), 'phx_close comes before the new join reply');
    assert.deepEqual(reply2, ['2', '2', topic, 'phx_reply', { status: 'ok', response: {} }]);

    // Broadcasts reach the new join once.
    other.push(topic, 'shout', { body: 'to the rejoined', channel: 'dup', name: 'observer' });
    await c.waitFor((m) => m[3] === 'shout' && m[4].body === 'to the rejoined', 'the shout on the new join');
    await sleep(200);
    assert.equal(c.frames.filter((m) => m[3] === 'shout').length, 1, 'one copy of the shout');

    // Leave: ok reply to the leave ref, then phx_close; the observer sees the leave.
    c.send(['2', '3', topic, 'phx_leave', {}]);
    const leaveReply = await c.waitFor((m) => m[1] === '3', 'the leave reply');
    assert.deepEqual(leaveReply, ['2', '3', topic, 'phx_reply', { status: 'ok', response: {} }]);
    const close2 = await c.waitFor((m) => m[3] === 'phx_close' && m[0] === '2', 'phx_close after the leave');
    assert.ok(c.frames.indexOf(close2) > c.frames.indexOf(leaveReply), 'phx_close after the leave reply');
    await other.waitFor((m) => m.event === 'presence_diff' && m.payload.leaves.twice
      && Object.keys(m.payload.joins).length === 0, 'the observer to see twice leave');

    // After leaving, a push to the topic is unmatched.
    c.send(['2', '4', topic, 'shout', { body: 'gone', channel: 'dup', name: 'twice' }]);
    const r4 = await c.waitFor((m) => m[1] === '4', 'the reply to a push after leave');
    assert.deepEqual(r4[4], { status: 'error', response: { reason: 'unmatched topic' } });

    // Heartbeat in v2.
    c.send([null, '5', 'phoenix', 'heartbeat', {}]);
    assert.deepEqual(await c.waitFor((m) => m[1] === '5', 'the v2 heartbeat reply'),
      [null, '5', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
  } finally {
    c.terminate();
    other.terminate();
  }
});

checked('disconnect: others see a presence_diff leave', async () => {
  const c = await Client.open(server);
  const watcher = await Client.open(server);
  try {
    await watcher.join('bye', 'watcher');
    await c.join('bye', 'leaver');
    await watcher.waitFor((m) => m.event === 'presence_diff' && m.payload.joins.leaver, 'the join diff');
    c.ws.close(1000);
    const f = await watcher.waitFor((m) => m.event === 'presence_diff' && m.payload.leaves.leaver, 'the leave diff');
    assert.deepEqual(f.payload.joins, {});
    assert.equal(f.payload.leaves.leaver.metas.length, 1);
    assert.equal(f.payload.leaves.leaver.metas[0].username, 'leaver');
  } finally {
    c.terminate();
    watcher.terminate();
  }
});

// ----- servers of their own: idle timeout, SIGTERM -----

test('idle timeout from the config file: a silent socket is closed, a heartbeating one stays', { timeout: 30_000 }, async () => {
  const idle = await startServer({ args: configArgs('[hub]\nidle_timeout = "2s"\n') });
  try {
    await withServerLog(idle, async () => {
      const silent = await Client.open(idle);
      const chatty = await Client.open(idle);
      await silent.join('idle', 'silent');
      await chatty.join('idle', 'chatty');
      const t0 = Date.now();
      const timer = setInterval(() => chatty.push('phoenix', 'heartbeat', {}), 500);
      try {
        await withTimeout(silent.closed, 8000, 'the silent socket to be closed');
        const elapsed = Date.now() - t0;
        assert.ok(elapsed >= 1500 && elapsed <= 5000, `closed after ${elapsed} ms of silence (want ~2000)`);
        await sleep(2500); // longer than the timeout again
        assert.equal(chatty.close, null, 'the heartbeating socket is still open');
        await chatty.heartbeat();
        await chatty.waitFor((m) => m.event === 'presence_diff' && m.payload.leaves.silent, 'chatty to see silent leave');
      } finally {
        clearInterval(timer);
        silent.terminate();
        chatty.terminate();
      }
    });
  } finally {
    await idle.stop();
  }
});

test('SIGTERM: clients get close 1001 and the process exits 0', { timeout: 30_000 }, async () => {
  const s = await startServer();
  try {
    await withServerLog(s, async () => {
      const v1 = await Client.open(s);
      const v2 = await Client.open(s, '?vsn=2.0.0');
      const bare = await Client.open(s);
      await v1.join('term', 'v1');
      v2.send(['1', '1', 'room:term', 'phx_join', { username: 'v2' }]);
      await v2.waitFor((m) => m[1] === '1' && m[4].status === 'ok', 'the v2 join');
      const t0 = Date.now();
      const [code, c1, c2, c3] = await Promise.all([
        s.stop('SIGTERM'),
        withTimeout(v1.closed, 10_000, 'v1 close'),
        withTimeout(v2.closed, 10_000, 'v2 close'),
        withTimeout(bare.closed, 10_000, 'bare close'),
      ]);
      const elapsed = Date.now() - t0;
      assert.equal(c1.code, 1001, 'v1 client close code');
      assert.equal(c2.code, 1001, 'v2 client close code');
      assert.equal(c3.code, 1001, 'unjoined client close code');
      assert.equal(code, 0, 'exit code');
      assert.ok(elapsed < 5000, `exited within 5 s (took ${elapsed} ms)`);
    });
  } finally {
    await s.stop('SIGKILL');
  }
});

test('SIGTERM right after the "listening on" line still exits 0', { timeout: 60_000 }, async () => {
  // The ready line tells a supervisor the server is up; a SIGTERM from then on is a clean stop.
  // (A server that logs it before installing its signal handler dies of the signal instead:
  // the window is short, hence 20 tries.)
  const results = [];
  for (let i = 0; i < 20; i++) {
    const s = await startServer();
    const code = await s.stop('SIGTERM');
    results.push({ code, signal: s.proc.signalCode, log: s.logTail(6) });
  }
  const bad = results.filter((r) => r.code !== 0);
  assert.equal(bad.length, 0, `${bad.length} of 20 runs did not exit 0 on an early SIGTERM: `
    + bad.slice(0, 2).map((r) => `code=${r.code} signal=${r.signal}\n${r.log}`).join('\n---\n'));
});
