// Backpressure, end to end: a subscriber that stops reading is disconnected once its queue passes
// [limits] max_queue_bytes (logged and counted), while a reading subscriber keeps receiving every
// message, in order, from a publisher that floods the room.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { configArgs, metric, startServer } from './lib/server.mjs';
import { clientFrame, rawWebSocket } from './lib/raw_ws.mjs';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const WebSocket = require('ws');

const MESSAGES = 3000;
const BODY = 'x'.repeat(8000);  // 24 MB in all: more than loopback's socket buffers absorb

let server;

before(async () => {
  server = await startServer({ args: configArgs('[limits]\nmax_queue_bytes = "64KiB"\n') });
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'the server exits 0');
});

function open(path = '/socket/websocket?vsn=2.0.0') {
  const ws = new WebSocket(`${server.wsUrl}${path}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function joinRoom(ws, username) {
  const replied = new Promise((resolve) => {
    ws.on('message', function onMessage(data) {
      const [, ref, , event, payload] = JSON.parse(data);
      if (ref === '1' && event === 'phx_reply') {
        ws.off('message', onMessage);
        resolve(payload);
      }
    });
  });
  ws.send(JSON.stringify(['1', '1', 'room:flood', 'phx_join', { username }]));
  assert.equal((await replied).status, 'ok');
}

// A reader that joins over a raw socket, then never reads again.
async function stalledReader() {
  const { sock } = await rawWebSocket(server.port, '/socket/websocket?vsn=2.0.0');
  sock.write(clientFrame(0x1, Buffer.from(JSON.stringify(['1', '1', 'room:flood', 'phx_join', { username: 'stalled' }]))));
  await new Promise((r) => setTimeout(r, 200));
  sock.pause();
  return sock;
}

test('a stalled reader is disconnected; a reading one gets everything in order', { timeout: 120_000 }, async () => {
  const stalled = await stalledReader();
  let stalledClosed = false;
  stalled.on('close', () => { stalledClosed = true; });

  const reader = await open();
  await joinRoom(reader, 'reader');
  const received = [];
  let progress = () => {};
  const all = new Promise((resolve) => {
    reader.on('message', (data) => {
      const [, , , event, payload] = JSON.parse(data);
      if (event === 'shout') {
        received.push(payload.n);
        progress();
        if (received.length === MESSAGES) resolve();
      }
    });
  });

  const publisher = await open();
  await joinRoom(publisher, 'publisher');
  const before = await metric(server, 'slow_consumer_disconnects_total');
  // The publisher stays at most WINDOW messages ahead of the reader, so that the reader (in this
  // same process) is never the slow one; the stalled reader gets all 24 MB queued.
  const WINDOW = 64;
  for (let n = 0; n < MESSAGES; n++) {
    while (n - received.length >= WINDOW) await new Promise((r) => { progress = r; });
    publisher.send(JSON.stringify([null, null, 'room:flood', 'shout', { n, body: BODY, name: 'publisher' }]));
  }
  await all;
  assert.deepEqual(received, Array.from({ length: MESSAGES }, (_, i) => i), 'nothing lost, nothing reordered');

  const after = await metric(server, 'slow_consumer_disconnects_total');
  assert.ok(after >= before + 1, `the stalled reader was counted (${before} -> ${after})`);
  assert.match(server.log, /slow consumer, \d+ bytes queued; disconnecting/);
  stalled.resume();  // now let it see the connection is gone
  for (let i = 0; i < 50 && !stalledClosed; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(stalledClosed, 'the stalled socket was closed by the server');
  reader.close();
  publisher.close();
});
