// Abuse of the transport, end to end, each bounded in time and traffic (loopback only):
// - a client that pings and never reads cannot grow the server's memory (pongs are queued under
//   the same byte limit as data, checked when they are queued);
// - a burst to a subscriber that never reads is cut at the queue limit, not past it;
// - endless empty continuation frames on one connection do not stall its I/O thread;
// - bytes sent up an SSE stream are not read forever.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { configArgs, metric, startServer } from './lib/server.mjs';
import { clientFrame, rawWebSocket } from './lib/raw_ws.mjs';

const servers = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function start(config, args = []) {
  const server = await startServer({ args: [...configArgs(config), ...args] });
  servers.push(server);
  return server;
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
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
  const { sock } = await rawWebSocket(server.port, '/socket/websocket?vsn=2.0.0');
  sock.pause();  // never reads: the pongs stay in the server
  const before = rssKiB(server.proc.pid);
  const pings = Buffer.concat(Array.from({ length: 512 }, () => clientFrame(0x9, randomBytes(125))));
  const { sent, closed } = await flood(sock, () => pings, 8000);
  const grown = rssKiB(server.proc.pid) - before;
  sock.destroy();
  assert.ok(closed, `the server closed the connection (sent ${sent} bytes of pings)`);
  const m = /slow consumer, (\d+) bytes queued/.exec(server.log);
  assert.ok(m, 'the disconnect is logged');
  assert.ok(Number(m[1]) <= 4 * 1024 * 1024, `queued ${m[1]} bytes, limit 4 MiB`);
  assert.ok(grown < 32 * 1024, `RSS grew by ${grown} KiB`);
  assert.ok(await metric(server, 'slow_consumer_disconnects_total') >= 1);
});

test('a burst to a subscriber that never reads is cut at the limit, not past it', async () => {
  const server = await start('[limits]\nmax_queue_bytes = "64KiB"\nmax_messages_per_second = 0\n');
  // A Phoenix subscriber that never reads, and a publisher.
  const { sock: sub } = await rawWebSocket(server.port, '/socket/websocket?vsn=2.0.0');
  sub.write(clientFrame(0x1, Buffer.from(JSON.stringify(['1', '1', 'room:burst', 'phx_join', { username: 'sub' }]))));
  await new Promise((r) => sub.once('data', r));  // the join reply
  sub.pause();
  const { sock: pub } = await rawWebSocket(server.port, '/socket/websocket?vsn=2.0.0');
  pub.write(clientFrame(0x1, Buffer.from(JSON.stringify(['1', '1', 'room:burst', 'phx_join', { username: 'pub' }]))));
  const body = 'x'.repeat(30000);
  const shouts = Buffer.concat(Array.from({ length: 200 }, (_, i) =>
    clientFrame(0x1, Buffer.from(JSON.stringify(['1', String(i + 2), 'room:burst', 'shout', { name: 'pub', body }])))));
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
  const { sock } = await rawWebSocket(server.port, '/socket/websocket?vsn=2.0.0');
  sock.resume();
  sock.write(clientFrame(0x1, Buffer.from('['), { fin: false }));  // a text message that never ends
  const empties = Buffer.concat(Array.from({ length: 4096 }, () => clientFrame(0x0, Buffer.alloc(0), { fin: false })));
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
  assert.ok(await metric(server, 'throttled_total') >= 1, 'the flooder was throttled');
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
