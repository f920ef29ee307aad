// The channel-memory probes of issue 13 (item 4), with real clients, loopback only: each makes
// `n` channels that nobody keeps using, the way an anonymous client can. Used by the
// end-to-end test (a few thousand) and by bench/channel_memory.mjs (the 100,000).
//
//   await probeHubPages(server, n)        GET /c/<random> (the Hub chat page: a history read)
//   await probeJoinLeave(server, n)       phoenix.js: join room:<random>, then leave it
//   await probeHeavenland(server, n, t)   Heavenland /chat: one message to each of n channels
// Each keeps `window` (64) requests in flight. Against a small max_channels, `patient` retries a
// channel refused as one too many (every 20 ms, 10 s at most): a channel just left is freed
// once the server has run what the leave posted (its presence diff), a moment later.
//   rssKiB(pid)                           the process's resident set (VmRSS), in KiB
//   hs256(claims, secret)                 a Heavenland login token

import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const { Socket } = require('phoenix');
const WebSocket = require('ws');

const WINDOW = 64; // requests in flight at once, by default
const PATIENCE_MS = 10_000;

/** Runs attempt() until it returns true, or until PATIENCE_MS (then attempt's last error). */
async function patiently(patient, attempt) {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!patient || !/too many channels/.test(err.message) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

export function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
}

export function hs256(claims, secret) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const data = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${data}.${createHmac('sha256', secret).update(data).digest('base64url')}`;
}

/** Runs task(i) for i in [0, n), at most `window` at once. */
async function windowed(n, window, task) {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, n) }, worker));
}

export async function probeHubPages(server, n, { window = WINDOW } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: WINDOW });
  const get = (path) => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: server.port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
  await windowed(n, window, async () => {
    const status = await get(`/c/${randomUUID()}`);
    if (status !== 200) throw new Error(`GET /c/<random>: ${status}`);
  });
  agent.destroy();
}

/** Forgets a channel whose join was refused (and phoenix.js's timer to rejoin it). */
export function abandon(socket, channel) {
  channel.leave();
  socket.remove(channel);
}

export async function probeJoinLeave(server, n, { window = WINDOW, patient = false } = {}) {
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
  const settle = (push, what) => new Promise((resolve, reject) => {
    push.receive('ok', resolve)
      .receive('error', (r) => reject(new Error(`${what}: ${JSON.stringify(r)}`)))
      .receive('timeout', () => reject(new Error(`${what}: timeout`)));
  });
  await windowed(n, window, async () => {
    const room = `room:${randomUUID()}`;
    await patiently(patient, async () => {
      const channel = socket.channel(room, { username: 'prober' });
      try {
        await settle(channel.join(), 'join');
      } catch (err) {
        abandon(socket, channel);
        throw err;
      }
      await settle(channel.leave(), 'leave');
      socket.remove(channel);
    });
  });
  socket.disconnect();
}

/** A logged-in Heavenland /chat socket: send(obj), next(pred) -> the next frame matching. */
export async function heavenlandChat(server, token) {
  const ws = new WebSocket(`${server.wsUrl}/chat`);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const waiters = [];
  const frames = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    const i = waiters.findIndex((w) => w.pred(frame));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(frame);
    else frames.push(frame);
  });
  const next = (pred) => {
    const i = frames.findIndex(pred);
    if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]);
    return new Promise((resolve) => waiters.push({ pred, resolve }));
  };
  const send = (obj) => ws.send(JSON.stringify(obj));
  send({ action: 'login', token });
  const connected = await next((f) => f.info === 'connected' || f.error);
  if (connected.error) throw new Error(`heavenland login: ${connected.error}`);
  return { ws, send, next, frames };
}

export async function probeHeavenland(server, n, token,
  { window = WINDOW, patient = false } = {}) {
  const chat = await heavenlandChat(server, token);
  const run = randomUUID();
  await windowed(n, window, async (i) => {
    const channel = `${run}-${i}`;
    await patiently(patient, async () => {
      // One message at a time when patient: an error is then this message's.
      chat.send({ action: 'message', message: `m${i}`, channel });
      const echo = await chat.next((f) => f.channel === channel || f.error);
      if (echo.error) throw new Error(`heavenland message ${i}: ${echo.error}`);
    });
  });
  chat.ws.close();
}
