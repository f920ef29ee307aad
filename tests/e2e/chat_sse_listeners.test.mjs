// Chat SSE: the system's own listener (`listen`: publish, receive and the page on one port),
// `enabled = false`, one core with Hub (a channel is shared), abrupt and noisy stream clients,
// and SIGTERM with streams open.
// Run: node --test tests/e2e/chat_sse_listeners.test.mjs (PARLEY_BIN, PARLEY_ROOT).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import net from 'node:net';
import { configArgs, listenerPort, startServer, withServerLog } from './lib/server.mjs';
import { curl, CurlStream, events, publish, uuid } from './lib/chat_sse.mjs';
import { waitFor } from './lib/wait.mjs';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const WebSocket = require('ws');

test('[chat_sse] listen: publish, receive and the page on one listener of its own', async () => {
  const server = await startServer({ args: configArgs('[chat_sse]\nlisten = "127.0.0.1:0"\n') });
  const streams = [];
  try {
    await withServerLog(server, async () => {
      const own = `http://127.0.0.1:${await listenerPort(server, 'chat_sse')}`;
      const channel = uuid();
      const s = new CurlStream(`${own}/chat/receive/${channel}`, { Accept: 'text/event-stream' });
      streams.push(s);
      await s.until((raw) => raw.includes('retry:'), 'the stream to open');
      // Published on the shared listener or the own one: one channel.
      assert.equal((await publish(own, channel, uuid(), 'via own')).status, 200);
      assert.equal((await publish(server.url, channel, uuid(), 'via shared')).status, 200);
      await s.until((raw, body) => events(body).length === 2, 'two events');
      assert.deepEqual(events(s.body).map((e) => e.data.message), ['via own', 'via shared']);

      const html = await (await fetch(`${own}/?c=${channel}`)).text();
      assert.match(html, /"publishPort":null,"receivePort":null/, 'same origin on its own listener');
      assert.equal((await fetch(`${own}/assets/sse_chat.js`)).status, 200);
      const fresh = await fetch(`${own}/`, { redirect: 'manual' });
      assert.equal(fresh.status, 302);
      // Other systems are not on it.
      assert.equal((await fetch(`${own}/c/lobby`)).status, 404);
      // The shared listener's GET / is still the landing page.
      const landing = await (await fetch(`${server.url}/`)).text();
      assert.match(landing, /<title>Parley<\/title>/);
    });
  } finally {
    for (const s of streams) await s.stop();
    assert.equal(await server.stop(), 0);
  }
});

test('[chat_sse] enabled = false: no routes; the landing page stays', async () => {
  const server = await startServer({ args: configArgs('[chat_sse]\nenabled = false\n') });
  try {
    await withServerLog(server, async () => {
      assert.equal((await publish(server.url, uuid(), uuid(), 'x')).status, 404);
      const res = await curl(`${server.url}/chat/receive/${uuid()}`, ['-H', 'Accept: text/event-stream']);
      assert.equal(res.status, 404);
      const landing = await fetch(`${server.url}/?c=${uuid()}`);
      assert.equal(landing.status, 200);
      assert.match(await landing.text(), /<title>Parley<\/title>/);
    });
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('noisy and vanishing stream clients; SIGTERM ends open streams and exits 0', async () => {
  const server = await startServer();
  const streams = [];
  try {
    await withServerLog(server, async () => {
      const channel = uuid();
      const user = uuid();
      const good = new CurlStream(`${server.url}/chat/receive/${channel}`, { Accept: 'text/event-stream' });
      streams.push(good);
      await good.until((raw) => raw.includes('retry:'), 'the stream to open');

      // A client that keeps writing garbage after its request: ignored.
      const noisy = net.connect(server.port, '127.0.0.1');
      noisy.on('error', () => {});
      let noisyData = '';
      noisy.on('data', (c) => { noisyData += c.toString('latin1'); });
      noisy.write(`GET /chat/receive/${channel} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
      await waitFor(() => noisyData.includes('retry:'), 'the noisy stream to open');
      noisy.write(Buffer.alloc(256 * 1024, 0xff));
      // Clients that vanish mid-stream, with and without a reset.
      for (const how of ['end', 'destroy']) {
        const gone = net.connect(server.port, '127.0.0.1');
        gone.on('error', () => {});
        gone.write(`GET /chat/receive/${channel} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
        await new Promise((resolve) => gone.once('data', resolve));
        if (how === 'end') gone.end(); else gone.resetAndDestroy();
      }
      // A request that stops half-way through its head.
      const half = net.connect(server.port, '127.0.0.1');
      half.on('error', () => {});
      half.write(`GET /chat/receive/${channel} HTTP/1.1\r\nAccept: text/ev`);
      half.destroy();

      assert.equal((await publish(server.url, channel, user, 'still serving')).status, 200);
      await good.until((raw, body) => events(body).length === 1, 'the event on the good stream');
      await waitFor(() => noisyData.includes('still serving'), 'the event on the noisy stream');
      await waitFor(() => /gone session=\d+ peer=[^:]+:\d+: peer closed the connection/.test(server.log), 'the vanished streams logged');

      const started = Date.now();
      const code = await server.stop();
      assert.equal(code, 0, 'exit 0 on SIGTERM with streams open');
      assert.ok(Date.now() - started < 5000, 'streams do not hold the shutdown');
      await good.exited;
      noisy.destroy();
    });
  } finally {
    for (const s of streams) await s.stop();
    await server.stop();
  }
});

test('one core: Hub room <uuid> and the SSE channel <uuid> are the same channel', async () => {
  const server = await startServer();
  const streams = [];
  let ws;
  try {
    await withServerLog(server, async () => {
      const channel = uuid();
      ws = new WebSocket(`${server.wsUrl}/socket/websocket`);
      const frames = [];
      ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      ws.send(JSON.stringify({ topic: `room:${channel}`, event: 'phx_join', payload: { username: 'alice' }, ref: '1' }));
      await waitFor(() => frames.some((f) => f.event === 'phx_reply' && f.ref === '1'), 'the Hub join reply');

      const s = new CurlStream(`${server.url}/chat/receive/${channel}`, { Accept: 'text/event-stream' });
      streams.push(s);
      await s.until((raw) => raw.includes('retry:'), 'the stream to open');

      const user = uuid();
      assert.equal((await publish(server.url, channel, user, 'from sse')).status, 200);
      const shout = await waitFor(() => frames.find((f) => f.event === 'shout'), 'the shout on Hub');
      assert.deepEqual(shout.payload, { body: 'from sse', channel, name: user });

      ws.send(JSON.stringify({ topic: `room:${channel}`, event: 'shout', payload: { name: 'alice', body: 'from hub' }, ref: '2' }));
      await s.until((raw, body) => events(body).length === 2, 'both messages on the stream');
      const [first, second] = events(s.body);
      assert.deepEqual([first.id, first.data.userId, first.data.message], [1, user, 'from sse']);
      assert.deepEqual([second.id, second.data.userId, second.data.message], [2, 'alice', 'from hub']);
      assert.match(second.data.id, /^[0-9a-f-]{36}$/);
    });
  } finally {
    ws?.close();
    for (const s of streams) await s.stop();
    assert.equal(await server.stop(), 0);
  }
});
