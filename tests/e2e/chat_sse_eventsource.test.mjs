// Chat Broadcast SSE end to end with the npm `eventsource` client: concurrent publishers received
// in order with no loss and no duplicates, EventSource's own resume (Last-Event-ID) across a
// backlog longer than one connection may queue, and a slow reader disconnected while the others
// keep receiving.
// Run: node --test tests/e2e/chat_sse_eventsource.test.mjs (PARLEY_BIN, PARLEY_ROOT).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import net from 'node:net';
import { configArgs, metric, startServer, withServerLog } from './lib/server.mjs';
import { publish, uuid } from './lib/chat_sse.mjs';
import { waitFor } from './lib/wait.mjs';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const { EventSource } = require('eventsource');

const servers = [];
const sources = [];
after(async () => {
  for (const s of sources) s.close();
  for (const server of servers) assert.equal(await server.stop(), 0, 'parley exits 0 on SIGTERM');
});

async function start(toml = '') {
  const server = await startServer({ args: configArgs(toml) });
  servers.push(server);
  return server;
}

/** An EventSource recording every message event as {id, data}; resolves once open. */
async function listen(url) {
  const es = new EventSource(url);
  sources.push(es);
  const got = [];
  const errors = [];
  es.onmessage = (e) => got.push({ id: Number(e.lastEventId), data: JSON.parse(e.data) });
  es.onerror = (e) => errors.push(e);
  await new Promise((resolve, reject) => {
    es.onopen = resolve;
    setTimeout(() => reject(new Error(`EventSource ${url} did not open`)), 5000);
  });
  return { es, got, errors, opens: () => es.readyState };
}

test('three concurrent publishers: every EventSource gets everything, in order, once', async () => {
  const server = await start();
  await withServerLog(server, async () => {
    const channel = uuid();
    const readers = [await listen(`${server.url}/chat/receive/${channel}`),
      await listen(`${server.url}/chat/receive/${channel}`)];
    const other = await listen(`${server.url}/chat/receive/${uuid()}`);

    const PER_PUBLISHER = 100;
    const publishers = [uuid(), uuid(), uuid()];
    await Promise.all(publishers.map(async (user, p) => {
      for (let i = 0; i < PER_PUBLISHER; i++) {
        const res = await publish(server.url, channel, user, `p${p}-${i}`);
        assert.equal(res.status, 200);
      }
    }));
    const total = PER_PUBLISHER * publishers.length;
    for (const r of readers) await waitFor(() => r.got.length >= total, `${total} events`, 10000);
    await new Promise((resolve) => setTimeout(resolve, 200)); // anything extra would show now

    for (const r of readers) {
      assert.equal(r.got.length, total, 'no loss, no duplicates');
      // Ids are the channel's offsets: 1..total, gap-free and increasing.
      assert.deepEqual(r.got.map((e) => e.id), Array.from({ length: total }, (_, i) => i + 1));
      assert.equal(new Set(r.got.map((e) => e.data.id)).size, total, 'message ids are unique');
      // Each publisher's messages arrive in the order it sent them.
      publishers.forEach((user, p) => {
        const mine = r.got.filter((e) => e.data.userId === user).map((e) => e.data.message);
        assert.deepEqual(mine, Array.from({ length: PER_PUBLISHER }, (_, i) => `p${p}-${i}`));
      });
      assert.deepEqual(r.errors, []);
    }
    assert.deepEqual(readers[0].got, readers[1].got, 'every reader sees the same sequence');
    assert.equal(other.got.length, 0, 'another channel gets nothing');
  });
});

test('EventSource resumes with Last-Event-ID: a long backlog arrives in parts, complete', async () => {
  // max_queue_bytes 16 KiB: a replay part is at most 8 KiB, so 60 events of ~1 KiB need several
  // connections; retry 50 ms keeps EventSource's reconnections quick.
  const server = await start(`
[limits]
max_queue_bytes = "16KiB"

[chat_sse]
retry = "50ms"
`);
  await withServerLog(server, async () => {
    const channel = uuid();
    const user = uuid();
    const N = 60;
    for (let i = 1; i <= N; i++) {
      assert.equal((await publish(server.url, channel, user, `${i}:${'x'.repeat(1000)}`)).status, 200);
    }
    const r = await listen(`${server.url}/chat/receive/${channel}?since=0`);
    await waitFor(() => r.got.length >= N, `${N} replayed events`, 10000);
    // Live after the backlog.
    await publish(server.url, channel, user, 'live');
    await waitFor(() => r.got.length >= N + 1, 'the live event');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(r.got.map((e) => e.id), Array.from({ length: N + 1 }, (_, i) => i + 1));
    assert.equal(r.got.at(-1).data.message, 'live');
    const parts = (server.log.match(/replay continues on the next connection/g) ?? []).length;
    assert.ok(parts >= 3, `the backlog took ${parts + 1} connections`);
  });
});

test('a reader that never reads is disconnected; the others keep receiving', async () => {
  // 256 KiB: room for the bursts below (10 messages of 8 KiB fanned out in one loop turn) for a
  // reader that keeps up, and soon full for one that does not.
  const server = await start(`
[limits]
max_queue_bytes = "256KiB"
`);
  await withServerLog(server, async () => {
    const channel = uuid();
    const user = uuid();
    const good = await listen(`${server.url}/chat/receive/${channel}`);

    // A raw client that sends the request and then never reads.
    const slow = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => slow.once('connect', resolve));
    slow.pause();
    let slowClosed = false;
    slow.on('close', () => { slowClosed = true; });
    slow.on('error', () => {});
    slow.write(`GET /chat/receive/${channel} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    await waitFor(async () => (await metric(server, 'streams_open')) === 2, 'two open streams');

    const before = await metric(server, 'slow_consumer_disconnects_total');
    const chunk = 'y'.repeat(8 * 1024);
    let sent = 0;
    // The kernel's socket buffers take a few MB first; publish until the server gives up.
    while ((await metric(server, 'slow_consumer_disconnects_total')) === before) {
      assert.ok(sent < 5000, 'the slow reader was never disconnected');
      await Promise.all(Array.from({ length: 10 }, (_, i) => publish(server.url, channel, user, `${sent + i}:${chunk}`)));
      sent += 10;
      // The good reader keeps up (it is never more than a burst behind); the slow one does not.
      await waitFor(() => good.got.length >= sent, `the good reader's ${sent} events`, 15000);
    }
    await publish(server.url, channel, user, 'after');
    sent += 1;
    await waitFor(() => good.got.length >= sent, `the good reader's ${sent} events`, 15000);
    assert.deepEqual(good.got.map((e) => e.id), Array.from({ length: sent }, (_, i) => i + 1));
    assert.equal(good.got.at(-1).data.message, 'after');
    assert.deepEqual(good.errors, [], 'the good reader was never disconnected');
    assert.match(server.log, /stream session=\d+ peer=127\.0\.0\.1:\d+: slow consumer, \d+ bytes queued; disconnecting/);

    // Once it reads again, the slow client finds its connection closed.
    slow.resume();
    await waitFor(() => slowClosed, 'the slow connection to be closed', 15000);
    assert.equal(await metric(server, 'streams_open'), 1);
  });
});
