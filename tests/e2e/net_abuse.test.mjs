// Abuse of the transport, end to end, each bounded in time and traffic (loopback only):
// - a client that pings and never reads cannot grow the server's memory (pongs are queued under
//   the same byte limit as data, checked when they are queued);
// - a burst to a subscriber that never reads is cut at the queue limit, not past it;
// - endless empty continuation frames on one connection do not stall its I/O thread;
// - bytes sent up an SSE stream are not read forever.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { startServer } from './lib/server.mjs';
import { metric } from './lib/metrics.mjs';

const servers = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function start(config, args = []) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-abuse-'));
  const file = join(dir, 'parley.toml');
  writeFileSync(file, config);
  const server = await startServer({ args: ['--config', file, ...args] });
  servers.push(server);
  return server;
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

// A client-to-server frame: FIN as given, masked, with payload.
function frame(opcode, payload = Buffer.alloc(0), fin = true) {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
    : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i % 4];
  return Buffer.concat([head, mask, body]);
}

// A raw WebSocket: the upgrade is written and its answer read; then the socket is the test's.
function rawWebSocket(port, path) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let head = '';
    sock.once('error', reject);
    sock.on('data', function onData(chunk) {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${head}`));
      resolve(sock);
    });
    sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
      'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`);
  });
}

// Writes chunks made by next() for up to `ms`, respecting backpressure; stops early when the
// server closes the connection. Resolves {sent, closed}.
function flood(sock, next, ms) {
  return new Promise((resolve) => {
    let sent = 0;
    let closed = false;
    const deadline = Date.now() + ms;
    const finish = () => resolve({ sent, closed });
    sock.once('close', () => { closed = true; });
    sock.on('error', () => { closed = true; });
    const pump = () => {
      while (!closed && Date.now() < deadline) {
        const chunk = next();
        sent += chunk.length;
        if (!sock.write(chunk)) {
          const timer = setTimeout(() => { sock.off('drain', pump); finish(); }, deadline - Date.now());
          sock.once('drain', () => { clearTimeout(timer); pump(); });
          return;
        }
      }
      finish();
    };
    pump();
  });
}


test('a client that pings and never reads is cut at the queue limit, memory stays bounded', async () => {
  // No inbound rate limit: the queue limit alone must hold.
  const server = await start('[limits]\nmax_messages_per_second = 0\n');
  const sock = await rawWebSocket(server.port, '/socket/websocket?vsn=2.0.0');
  sock.pause();  // never reads: the pongs stay in the server
  const before = rssKiB(server.proc.pid);
  const pings = Buffer.concat(Array.from({ length: 512 }, () => frame(0x9, randomBytes(125))));
  const { sent, closed } = await flood(sock, () => pings, 8000);
  const grown = rssKiB(server.proc.pid) - before;
  sock.destroy();
  assert.ok(closed, `the server closed the connection (sent ${sent} bytes of pings)`);
  const m = /slow consumer, (\d+) bytes queued/.exec(server.log);
  assert.ok(m, 'the disconnect is logged');
  assert.ok(Number(m[1]) <= 4 * 1024 * 1024, `queued ${m[1]} bytes, limit 4 MiB`);
  assert.ok(grown < 32 * 1024, `RSS grew by ${grown} KiB`);
  assert.ok(await metric(server, 'parley_slow_consumer_disconnects_total') >= 1);
});

test('a burst to a subscriber that never reads is cut at the limit, not past it', async () => {
  const server = await start('[limits]\nmax_queue_bytes = "64KiB"\nmax_messages_per_second = 0\n');
  // A Phoenix subscriber that never reads, and a publisher.
  const sub = await rawWebSocket(server.port, '/socket/websocket?vsn=2.0.0');
  sub.write(frame(0x1, Buffer.from(JSON.stringify(['1', '1', 'room:burst', 'phx_join', { username: 'sub' }]))));
  await new Promise((r) => sub.once('data', r));  // the join reply
  sub.pause();
  const pub = await rawWebSocket(server.port, '/socket/websocket?vsn=2.0.0');
  pub.write(frame(0x1, Buffer.from(JSON.stringify(['1', '1', 'room:burst', 'phx_join', { username: 'pub' }]))));
  const body = 'x'.repeat(30000);
  const shouts = Buffer.concat(Array.from({ length: 200 }, (_, i) =>
    frame(0x1, Buffer.from(JSON.stringify(['1', String(i + 2), 'room:burst', 'shout', { name: 'pub', body }])))));
  pub.write(shouts);
  const deadline = Date.now() + 20000;
  while (!/slow consumer, \d+ bytes queued/.test(server.log) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  const m = /slow consumer, (\d+) bytes queued/.exec(server.log);
  assert.ok(m, 'the subscriber is disconnected as a slow consumer');
  assert.ok(Number(m[1]) <= 64 * 1024, `queued ${m[1]} bytes against a 64 KiB limit`);
  sub.destroy();
  pub.destroy();
});

test('endless empty continuation frames do not stall the I/O thread', async () => {
  const server = await start('', ['--threads', '1']);
  const sock = await rawWebSocket(server.port, '/socket/websocket?vsn=2.0.0');
  sock.resume();
  sock.write(frame(0x1, Buffer.from('['), false));  // a text message that never ends
  const empties = Buffer.concat(Array.from({ length: 4096 }, () => frame(0x0, Buffer.alloc(0), false)));
  const flooding = flood(sock, () => empties, 6000);
  // Meanwhile the same (only) I/O thread answers HTTP, each request well within 3 s.
  const slow = [];
  const began = Date.now();
  while (Date.now() - began < 5000) {
    const t0 = Date.now();
    const res = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(3000) })
      .catch((e) => ({ status: `failed: ${e.name}` }));
    if (res.status !== 200) slow.push(`${res.status} after ${Date.now() - t0} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await flooding;
  sock.destroy();
  assert.deepEqual(slow, [], 'every request was answered in time');
  assert.ok(await metric(server, 'parley_throttled_total') >= 1, 'the flooder was throttled');
});

test('bytes sent up an SSE stream are not read forever: the stream is closed', async () => {
  const server = await start('');
  const sock = net.connect(server.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.resume();
  sock.write(`GET /chat/receive/${randomUUID()} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    'Accept: text/event-stream\r\n\r\n');
  const junk = randomBytes(64 * 1024);
  const { sent, closed } = await flood(sock, () => junk, 8000);
  sock.destroy();
  assert.ok(closed, `the server closed the stream (sent ${sent} bytes)`);
  assert.ok(sent < 64 * 1024 * 1024, `closed after ${sent} bytes`);
});
