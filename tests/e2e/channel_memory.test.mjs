// Channels an anonymous client makes are bounded (issue 13, item 4): reads make none, idle ones
// are evicted (history stays in the store, offsets continue), and past [limits] max_channels a
// new one is refused with the client's own error. Real clients: phoenix.js, ws (Heavenland),
// EventSource, fetch. Loopback, a few thousand requests, every wait bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { configArgs, startServer, withServerLog } from './lib/server.mjs';
import { waitFor } from './lib/wait.mjs';
import {
  abandon, heavenlandChat, hs256, probeHeavenland, probeHubPages, probeJoinLeave, rssKiB,
} from './lib/channel_probes.mjs';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const { Socket } = require('phoenix');
const WebSocket = require('ws');
const { EventSource } = require('eventsource');

const SECRET = 's3cret';
const MAX_CHANNELS = 20;
const CHURN = 300; // of each kind: many times max_channels
const WINDOW = 8; // in flight at once: fewer than max_channels - idle_channels
// A channel left is freed once the server ran the leave's presence diff, a moment later: joins
// meanwhile may be refused, and are retried (channel_probes.mjs, `patient`). A channel that is
// never freed makes them fail after 10 s.
const CHURN_OPTIONS = { window: WINDOW, patient: true };
const TOKEN = hs256({ sub: 'HL1', nickname: 'Prober', exp: Math.floor(Date.now() / 1000) + 3600 },
  SECRET);

const config = `
[limits]
max_channels = ${MAX_CHANNELS}
max_messages_per_second = 0

[storage]
idle_channels = 5

[auth]
jwt_secret = "${SECRET}"
`;

let server;
before(async () => { server = await startServer({ args: configArgs(config) }); });
after(async () => { if (server) assert.equal(await server.stop(), 0, 'the server exits 0'); });

async function openSocket() {
  const socket = new Socket(`${server.wsUrl}/socket`, {
    transport: WebSocket,
    reconnectAfterMs: () => 60_000,
    rejoinAfterMs: () => 60_000,
  });
  await new Promise((resolve, reject) => {
    socket.onOpen(resolve);
    socket.onError(reject);
    socket.connect();
  });
  return socket;
}

/** 'ok' with the response, or 'error' with the reason; rejects on timeout. */
function outcome(push) {
  return new Promise((resolve, reject) => {
    push.receive('ok', (r) => resolve({ status: 'ok', r }))
      .receive('error', (r) => resolve({ status: 'error', r }))
      .receive('timeout', () => reject(new Error('no reply (timeout)')));
  });
}

/** Joins room:<room>, again while refused as one too many (10 s at most); the channel. */
async function joinPatiently(socket, room) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const channel = socket.channel(`room:${room}`, { username: 'holder' });
    const r = await outcome(channel.join());
    if (r.status === 'ok') return channel;
    abandon(socket, channel);
    assert.deepEqual(r.r, { reason: 'too many channels' }, `join room:${room}`);
    assert.ok(Date.now() < deadline, `room:${room} still refused after 10 s`);
    await sleep(20);
  }
}

/** Opens an SSE stream and returns {events, source}; events collects {id, data}. */
function receive(channel, since) {
  const url = `${server.url}/chat/receive/${channel}${since === undefined ? '' : `?since=${since}`}`;
  const source = new EventSource(url);
  const events = [];
  source.onmessage = (e) => events.push({ id: Number(e.lastEventId), data: JSON.parse(e.data) });
  return { source, events };
}

const publish = (channel, body) => fetch(
  `${server.url}/chat/publish/${channel}/${randomUUID()}`, { method: 'POST', body });

test('reads, joins and publishes by one client never use up max_channels; past it, the dialect\'s error',
  { timeout: 120_000 }, async () => {
    await withServerLog(server, async () => {
      // Many times max_channels of each kind, one after another: reads make no channel, the
      // others are evicted once idle.
      await probeHubPages(server, CHURN, CHURN_OPTIONS);
      await probeJoinLeave(server, CHURN, CHURN_OPTIONS);
      await probeHeavenland(server, CHURN, TOKEN, { ...CHURN_OPTIONS, window: 1 });
      for (let i = 0; i < CHURN / 10; i++) { // SSE receive before any publish, then gone
        const { source } = receive(randomUUID());
        await new Promise((resolve) => { source.onopen = resolve; });
        source.close();
      }

      // Room is left for max_channels rooms in use at once...
      const socket = await openSocket();
      const rooms = [];
      for (let i = 0; i < MAX_CHANNELS; i++) rooms.push(await joinPatiently(socket, `held-${i}`));
      // ...and not one more, in each dialect's own terms.
      const extra = socket.channel('room:one-too-many', { username: 'late' });
      const refused = await outcome(extra.join());
      assert.deepEqual(refused, { status: 'error', r: { reason: 'too many channels' } });
      abandon(socket, extra);

      const chat = await heavenlandChat(server, TOKEN);
      chat.send({ action: 'message', message: 'hi', channel: 'one-too-many' });
      assert.deepEqual(await chat.next((f) => f.error || f.channel === 'one-too-many'),
        { error: 'too many channels, please try again later' });

      const res = await publish(randomUUID(), 'hello');
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '1');
      assert.equal(await res.text(), 'too many channels\n');

      // A room in use still works; one left makes room for another.
      chat.send({ action: 'message', message: 'in a held room', channel: 'held-0' });
      assert.equal((await chat.next((f) => f.error || f.channel === 'held-0')).message,
        'in a held room');
      assert.equal((await outcome(rooms.pop().leave())).status, 'ok');
      await joinPatiently(socket, 'one-too-many'); // a left room made room

      chat.ws.close();
      socket.disconnect();
    });
  });

test('an evicted channel keeps its offsets and history, across a restart too', { timeout: 60_000 },
  async () => {
    await withServerLog(server, async () => {
      const channel = randomUUID();
      for (const body of ['one', 'two', 'three']) assert.equal((await publish(channel, body)).status, 200);
      // Others push it out of memory (idle_channels = 5).
      await probeHeavenland(server, 50, TOKEN, { window: 1, patient: true });

      let stream = receive(channel, 0);
      await waitFor(() => stream.events.length === 3, 'the replay of three messages', 10_000);
      assert.deepEqual(stream.events.map((e) => [e.id, e.data.message]),
        [[1, 'one'], [2, 'two'], [3, 'three']]);
      assert.equal((await publish(channel, 'four')).status, 200);
      await waitFor(() => stream.events.length === 4, 'the live fourth', 10_000);
      assert.equal(stream.events[3].id, 4, 'the offset continues after the reload');
      stream.source.close();

      await server.restart();
      assert.equal((await publish(channel, 'five')).status, 200);
      stream = receive(channel, 3);
      await waitFor(() => stream.events.length === 2, 'the replay after a restart', 10_000);
      assert.deepEqual(stream.events.map((e) => e.id), [4, 5]);
      stream.source.close();
      // The Hub page reads the same history.
      const page = await (await fetch(`${server.url}/c/${channel}`)).text();
      for (const body of ['one', 'two', 'three', 'four', 'five']) assert.ok(page.includes(`"${body}"`), body);
    });
  });

test('probes: the process does not grow with the channels one client makes', { timeout: 150_000 },
  async () => {
    // The issue's probes at a fifth of their size: on the code before the fix, 20,000 channels
    // of each kind grew the server by about 24, 26 and 37 MiB (1.2-1.9 KiB per channel, kept).
    const N = 20_000;
    const probe = await startServer({
      args: configArgs(`[limits]\nmax_messages_per_second = 0\n[auth]\njwt_secret = "${SECRET}"\n`),
    });
    try {
      await withServerLog(probe, async () => {
        // Warm-up: buffers, thread caches and SQLite's page cache reach their size first.
        await probeHubPages(probe, 2000);
        await probeJoinLeave(probe, 2000);
        await probeHeavenland(probe, 2000, TOKEN);
        for (const [name, run] of [['GET /c/<random>', () => probeHubPages(probe, N)],
          ['Phoenix join+leave', () => probeJoinLeave(probe, N)],
          ['Heavenland publish', () => probeHeavenland(probe, N, TOKEN)]]) {
          const before = rssKiB(probe.proc.pid);
          await run();
          const grown = rssKiB(probe.proc.pid) - before;
          console.log(`${name} x${N}: RSS ${before} KiB -> +${grown} KiB`);
          assert.ok(grown < 8 * 1024, `${name} x${N} grew the server by ${grown} KiB`);
        }
      });
    } finally {
      assert.equal(await probe.stop(), 0);
    }
  });
