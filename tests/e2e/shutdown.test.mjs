// SIGTERM with every kind of connection open, including a client that never reads again (so it
// never answers the close handshake): the process still exits 0, within a few seconds, and the
// connections are closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer } from './lib/server.mjs';
import { clientFrame, rawWebSocket } from './lib/raw_ws.mjs';
import { CurlStream } from './lib/chat_sse.mjs';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const WebSocket = require('ws');

async function rawJoin(port) {
  const { sock } = await rawWebSocket(port, '/socket/websocket?vsn=2.0.0');
  sock.write(clientFrame(0x1, Buffer.from(JSON.stringify(['1', '1', 'room:bye', 'phx_join', { username: 'mute' }]))));
  await new Promise((r) => setTimeout(r, 200));
  sock.pause();
  return sock;
}

test('SIGTERM with a mute client, a live client and an SSE stream: exit 0', { timeout: 30_000 }, async () => {
  const server = await startServer();
  const mute = await rawJoin(server.port);
  let muteClosed = false;
  mute.on('close', () => { muteClosed = true; });

  const live = new WebSocket(`${server.wsUrl}/socket/websocket?vsn=2.0.0`);
  await new Promise((resolve, reject) => { live.once('open', resolve); live.once('error', reject); });
  const liveClose = new Promise((resolve) => live.once('close', (code) => resolve(code)));

  // curl as the SSE client: its exit status says how the stream ended (0: the server closed
  // it, 56: it was reset, as a server that drops what it queued would).
  const stream = new CurlStream(`${server.url}/chat/receive/lobby`, { Accept: 'text/event-stream' });
  await stream.until((raw) => raw.includes('retry:'), 'the stream to open');

  const started = Date.now();
  const code = await server.stop('SIGTERM');
  const took = Date.now() - started;
  assert.equal(code, 0, `exit code 0\n${server.logTail()}`);
  assert.ok(took < 10_000, `stopped in ${took} ms`);
  assert.equal(await liveClose, 1001, 'the live client got 1001');
  const bounded = (promise, what) => Promise.race([promise, new Promise((resolve) =>
    setTimeout(() => resolve(`${what} still open 5 s after the exit`), 5000).unref())]);
  assert.equal(await bounded(stream.exited, 'the stream'), 0, 'the SSE stream ended cleanly (curl exit status)');
  mute.resume();
  for (let i = 0; i < 50 && !muteClosed; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(muteClosed, 'the mute client was disconnected');
});
