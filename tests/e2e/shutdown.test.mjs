// SIGTERM with every kind of connection open, including a client that never reads again (so it
// never answers the close handshake): the process still exits 0, within a few seconds, and the
// connections are closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer } from './lib/server.mjs';
import { clientFrame, rawWebSocket } from './lib/raw_ws.mjs';

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

  const ac = new AbortController();
  const stream = await fetch(`${server.url}/chat/receive/lobby`, {
    headers: { Accept: 'text/event-stream' }, signal: ac.signal });
  assert.equal(stream.status, 200);
  const streamEnded = (async () => {
    const reader = stream.body.getReader();
    try { while (!(await reader.read()).done); } catch { /* aborted */ }
    return true;
  })();

  const started = Date.now();
  const code = await server.stop('SIGTERM');
  const took = Date.now() - started;
  assert.equal(code, 0, `exit code 0\n${server.logTail()}`);
  assert.ok(took < 10_000, `stopped in ${took} ms`);
  assert.equal(await liveClose, 1001, 'the live client got 1001');
  assert.equal(await streamEnded, true, 'the SSE stream ended');
  mute.resume();
  for (let i = 0; i < 50 && !muteClosed; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(muteClosed, 'the mute client was disconnected');
  ac.abort();
});
