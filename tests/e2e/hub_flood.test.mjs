// A client that floods: past [limits] max_messages_per_second its socket is read more slowly
// (TCP pushes back on it), nothing it sent is dropped, and others keep being served meanwhile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { configArgs, metric, startServer } from './lib/server.mjs';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const WebSocket = require('ws');

const RATE = 400;
const MESSAGES = 1200;

let server;

before(async () => {
  server = await startServer({ args: configArgs(`[limits]\nmax_messages_per_second = ${RATE}\n`) });
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'the server exits 0');
});

async function client(username, room) {
  const ws = new WebSocket(`${server.wsUrl}/socket/websocket?vsn=2.0.0`);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const shouts = [];
  const waiters = [];
  ws.on('message', (data) => {
    const [, ref, , event, payload] = JSON.parse(data);
    if (event === 'shout') shouts.push(payload);
    for (const w of [...waiters]) if (w.match(ref, event, payload)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(payload); }
  });
  const until = (match) => new Promise((resolve) => waiters.push({ match, resolve }));
  const joined = until((ref, event) => ref === 'j' && event === 'phx_reply');
  ws.send(JSON.stringify(['j', 'j', `room:${room}`, 'phx_join', { username }]));
  assert.equal((await joined).status, 'ok');
  return { ws, shouts, until };
}

test('a flooding client is slowed down, loses nothing, and others are served meanwhile', { timeout: 60_000 }, async () => {
  const flooder = await client('flooder', 'flood');
  const quiet = await client('quiet', 'calm');
  const before = await metric(server, 'throttled_total');
  const framesBefore = await metric(server, 'frames_out_total');
  for (let n = 0; n < MESSAGES; n++) {
    flooder.ws.send(JSON.stringify([null, null, 'room:flood', 'shout', { n, name: 'flooder', body: 'spam' }]));
  }
  // While the flood is being read, another client's heartbeat is answered.
  const hb = quiet.until((ref, event) => ref === 'hb' && event === 'phx_reply');
  quiet.ws.send(JSON.stringify([null, 'hb', 'phoenix', 'heartbeat', {}]));
  assert.equal((await hb).status, 'ok');

  while (flooder.shouts.length < MESSAGES) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(flooder.shouts.map((p) => p.n), Array.from({ length: MESSAGES }, (_, i) => i),
    'every message arrives, in order');
  assert.ok(await metric(server, 'throttled_total') > before, 'the flooder was throttled');
  const written = (await metric(server, 'frames_out_total')) - framesBefore;
  assert.ok(written >= MESSAGES, `every shout the flooder got was counted as written (${written})`);
  flooder.ws.close();
  quiet.ws.close();
});
