// Hub end to end with the official phoenix.js client (npm `phoenix`, vsn 2.0.0 array frames)
// against the real binary. Run: node --test tests/e2e/hub_phoenix.test.mjs (PARLEY_BIN, PARLEY_ROOT).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, withServerLog } from './lib/server.mjs';
import { waitFor } from './lib/wait.mjs';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const { Socket, Presence } = require('phoenix');
const WebSocket = require('ws');

// `shout` has no reply; phoenix.js would keep its reply timer (10 s default) alive after the test.
const SHOUT_PUSH_TIMEOUT_MS = 1000;

/** A connected phoenix.js Socket plus a record of its lifecycle events. */
async function openSocket(server, opts = {}) {
  const socket = new Socket(`${server.wsUrl}/socket`, {
    transport: WebSocket,
    // A test must notice a drop, not paper over it with a quick reconnect.
    reconnectAfterMs: () => 60_000,
    rejoinAfterMs: () => 60_000,
    ...opts,
  });
  const events = { opens: 0, closes: [], errors: [], messages: [] };
  socket.onOpen(() => { events.opens += 1; });
  socket.onClose((e) => { events.closes.push(e && e.code); });
  socket.onError((e) => { events.errors.push(String(e && (e.message || e.type || e))); });
  socket.onMessage((m) => { events.messages.push(m); });
  socket.connect();
  await waitFor(() => events.opens === 1, 'the phoenix.js socket to open');
  return { socket, events };
}

/** Resolves with the response of an ok reply; rejects on error or timeout. */
function reply(push, what) {
  return new Promise((resolve, reject) => {
    push
      .receive('ok', (resp) => resolve(resp))
      .receive('error', (resp) => reject(new Error(`${what}: error reply ${JSON.stringify(resp)}`)))
      .receive('timeout', () => reject(new Error(`${what}: no reply (timeout)`)));
  });
}

/** Resolves with the response of an error reply; rejects on ok or timeout. */
function errorReply(push, what) {
  return new Promise((resolve, reject) => {
    push
      .receive('error', (resp) => resolve(resp))
      .receive('ok', (resp) => reject(new Error(`${what}: expected an error reply, got ok ${JSON.stringify(resp)}`)))
      .receive('timeout', () => reject(new Error(`${what}: no reply (timeout)`)));
  });
}

/** A channel on `room` with a Presence whose every onSync is recorded, joined as `username`. */
async function joinRoom(socket, room, username) {
  const channel = socket.channel(`room:${room}`, { username });
  const presence = new Presence(channel);
  const rec = { syncs: [], leaves: [], diffs: [], shouts: [] };
  presence.onSync(() => {
    rec.syncs.push(presence.list((id, { metas }) => ({ id, metas: metas.map((m) => ({ ...m })) })));
  });
  presence.onLeave((id, current, left) => { rec.leaves.push({ id, current, left }); });
  channel.on('presence_diff', (d) => { rec.diffs.push(d); });
  channel.on('shout', (p) => { rec.shouts.push(p); });
  const resp = await reply(channel.join(), `join room:${room} as ${JSON.stringify(username)}`);
  assert.deepEqual(resp, {}, 'join reply response');
  return { channel, presence, rec, ids: () => lastIds(rec) };
}

function lastIds(rec) {
  const last = rec.syncs.at(-1);
  return last ? last.map((p) => p.id).sort() : null;
}

function entry(presence, id) {
  return presence.list((key, { metas }) => ({ id: key, metas })).find((p) => p.id === id);
}

let server;
before(async () => { server = await startServer(); });
after(async () => { if (server) await server.stop(); });

test('two phoenix.js clients: presence, shout, typing, leave', { timeout: 30_000 }, async () => {
  await withServerLog(server, async () => {
    const a = await openSocket(server);
    const b = await openSocket(server);
    try {
      const alice = await joinRoom(a.socket, 'lobby', 'alice');
      const bob = await joinRoom(b.socket, 'lobby', 'bob');

      await waitFor(() => JSON.stringify(alice.ids()) === '["alice","bob"]', "alice's Presence to list alice and bob");
      await waitFor(() => JSON.stringify(bob.ids()) === '["alice","bob"]', "bob's Presence to list alice and bob");
      for (const [who, view] of [['alice', alice], ['bob', bob]]) {
        for (const name of ['alice', 'bob']) {
          const p = entry(view.presence, name);
          assert.equal(p.metas.length, 1, `${who} sees one meta for ${name}`);
          assert.equal(p.metas[0].username, name);
          assert.equal(p.metas[0].typing, false);
          assert.equal(typeof p.metas[0].phx_ref, 'string');
        }
      }

      // Shout: everyone in the topic gets the payload verbatim, the sender included, once.
      const shout = { body: 'hello from alice', channel: 'lobby', name: 'alice' };
      alice.channel.push('shout', shout, SHOUT_PUSH_TIMEOUT_MS);
      await waitFor(() => alice.rec.shouts.length >= 1 && bob.rec.shouts.length >= 1, 'the shout to reach alice and bob');
      assert.deepEqual(alice.rec.shouts[0], shout);
      assert.deepEqual(bob.rec.shouts[0], shout);
      await sleep(200);
      assert.equal(alice.rec.shouts.length, 1, 'alice got the shout exactly once');
      assert.equal(bob.rec.shouts.length, 1, 'bob got the shout exactly once');

      // Typing: bob's meta is replaced (new phx_ref, phx_ref_prev = old ref) in one diff.
      const oldRef = entry(alice.presence, 'bob').metas[0].phx_ref;
      const diffsBefore = alice.rec.diffs.length;
      const typingResp = await reply(bob.channel.push('user:typing', { username: 'bob', typing: true }), 'user:typing');
      assert.deepEqual(typingResp, {});
      await waitFor(() => {
        const p = entry(alice.presence, 'bob');
        return p && p.metas.length === 1 && p.metas[0].typing === true;
      }, "alice's Presence to show bob typing");
      const bobNow = entry(alice.presence, 'bob').metas[0];
      assert.notEqual(bobNow.phx_ref, oldRef, 'typing update gets a new phx_ref');
      assert.equal(bobNow.phx_ref_prev, oldRef, 'phx_ref_prev is the old ref');
      const typingDiffs = alice.rec.diffs.slice(diffsBefore).filter((d) => d.joins.bob || d.leaves.bob);
      assert.equal(typingDiffs.length, 1, `one presence_diff for the typing update: ${JSON.stringify(typingDiffs)}`);
      const [td] = typingDiffs;
      assert.equal(td.joins.bob.metas.length, 1);
      assert.equal(td.joins.bob.metas[0].typing, true);
      assert.equal(td.joins.bob.metas[0].username, 'bob');
      assert.equal(td.leaves.bob.metas.length, 1);
      assert.equal(td.leaves.bob.metas[0].typing, false);
      assert.equal(td.leaves.bob.metas[0].phx_ref, oldRef);
      assert.equal(entry(alice.presence, 'alice').metas[0].typing, false, 'alice is unaffected');

      // Leave: bob gets ok, alice's Presence drops bob.
      await reply(bob.channel.leave(), 'phx_leave');
      await waitFor(() => JSON.stringify(alice.ids()) === '["alice"]', "alice's Presence to lose bob");
      assert.ok(alice.rec.leaves.some((l) => l.id === 'bob'), 'onLeave fired for bob');
      assert.equal(b.socket.isConnected(), true, "bob's socket stays open after leaving the channel");

      // After leaving, bob no longer receives the room's shouts; alice still does.
      const shout2 = { body: 'bob is gone', channel: 'lobby', name: 'alice' };
      alice.channel.push('shout', shout2, SHOUT_PUSH_TIMEOUT_MS);
      await waitFor(() => alice.rec.shouts.length === 2, 'the second shout to reach alice');
      assert.deepEqual(alice.rec.shouts[1], shout2);
      await sleep(200);
      assert.equal(bob.rec.shouts.length, 1, 'bob received nothing after leaving');

      assert.deepEqual(a.events.closes, [], "alice's socket never closed");
      assert.deepEqual(b.events.closes, [], "bob's socket never closed");
    } finally {
      a.socket.disconnect();
      b.socket.disconnect();
    }
  });
});

test('one username on two sockets is one presence key with two metas', { timeout: 30_000 }, async () => {
  await withServerLog(server, async () => {
    const s1 = await openSocket(server);
    const s2 = await openSocket(server);
    const watcher = await openSocket(server);
    try {
      const w = await joinRoom(watcher.socket, 'twins', 'watcher');
      await joinRoom(s1.socket, 'twins', 'dana');
      await joinRoom(s2.socket, 'twins', 'dana');
      await waitFor(() => { const p = entry(w.presence, 'dana'); return p && p.metas.length === 2; },
        'watcher to see dana with two metas');
      const metas = entry(w.presence, 'dana').metas;
      assert.notEqual(metas[0].phx_ref, metas[1].phx_ref, 'the two metas have distinct refs');
      assert.deepEqual(w.ids(), ['dana', 'watcher']);

      s1.socket.disconnect();
      await waitFor(() => { const p = entry(w.presence, 'dana'); return p && p.metas.length === 1; },
        'watcher to see one of dana\'s metas leave on disconnect');
      s2.socket.disconnect();
      await waitFor(() => JSON.stringify(w.ids()) === '["watcher"]', 'watcher to see dana gone');
    } finally {
      s1.socket.disconnect();
      s2.socket.disconnect();
      watcher.socket.disconnect();
    }
  });
});

test('heartbeats are answered: the socket stays up at a 500 ms interval', { timeout: 30_000 }, async () => {
  await withServerLog(server, async () => {
    const h = await openSocket(server, { heartbeatIntervalMs: 500 });
    try {
      await sleep(2200);
      const beats = h.events.messages.filter((m) => m.topic === 'phoenix' && m.event === 'phx_reply');
      assert.ok(beats.length >= 3, `at least 3 heartbeat replies in 2.2 s, got ${beats.length}`);
      for (const m of beats) {
        assert.deepEqual(m.payload, { status: 'ok', response: {} });
        assert.equal(typeof m.ref, 'string');
      }
      // phoenix.js closes the socket when a heartbeat reply does not carry the pending ref.
      assert.deepEqual(h.events.closes, [], 'no close (no heartbeat timeout)');
      assert.deepEqual(h.events.errors, []);
      assert.equal(h.events.opens, 1, 'no reconnect');
      assert.equal(h.socket.isConnected(), true);
    } finally {
      h.socket.disconnect();
    }
  });
});

test('join errors are replies, and the socket keeps working', { timeout: 30_000 }, async () => {
  await withServerLog(server, async () => {
    const s = await openSocket(server);
    const stopRejoin = (ch) => { ch.rejoinTimer.reset(); s.socket.remove(ch); };
    try {
      const noName = s.socket.channel('room:lobby', {});
      const r1 = await errorReply(noName.join(), 'join without username');
      stopRejoin(noName);
      assert.equal(typeof r1.reason, 'string');
      assert.ok(r1.reason.length > 0, 'the error has a reason');

      const numName = s.socket.channel('room:lobby', { username: 42 });
      const r2 = await errorReply(numName.join(), 'join with a numeric username');
      stopRejoin(numName);
      assert.equal(typeof r2.reason, 'string');

      const wrongTopic = s.socket.channel('lobby', { username: 'carol' });
      const r3 = await errorReply(wrongTopic.join(), 'join of a topic outside room:*');
      stopRejoin(wrongTopic);
      assert.deepEqual(r3, { reason: 'unmatched topic' });

      // Same socket: a proper join works, and so does chatting.
      const carol = await joinRoom(s.socket, 'lobby', 'carol');
      await waitFor(() => carol.ids() && carol.ids().includes('carol'), "carol's Presence to list carol");
      const shout = { body: 'still here', channel: 'lobby', name: 'carol' };
      carol.channel.push('shout', shout, SHOUT_PUSH_TIMEOUT_MS);
      await waitFor(() => carol.rec.shouts.length === 1, 'carol to receive her own shout');
      assert.deepEqual(carol.rec.shouts[0], shout);

      // Unknown event: error reply, the channel stays joined.
      const r4 = await errorReply(carol.channel.push('no_such_event', {}), 'unknown event');
      assert.deepEqual(r4, { reason: 'unhandled event' });
      const shout2 = { body: 'after the unknown event', channel: 'lobby', name: 'carol' };
      carol.channel.push('shout', shout2, SHOUT_PUSH_TIMEOUT_MS);
      await waitFor(() => carol.rec.shouts.length === 2, 'carol to receive her second shout');
      assert.deepEqual(carol.rec.shouts[1], shout2);
      assert.equal(carol.channel.state, 'joined');

      assert.deepEqual(s.events.closes, [], 'the socket never closed');
      assert.equal(s.events.opens, 1, 'no reconnect');
    } finally {
      s.socket.disconnect();
    }
  });
});

test('shout history survives a restart (GET /c/<room>)', { timeout: 60_000 }, async () => {
  const hist = await startServer();
  try {
    await withServerLog(hist, async () => {
      const s = await openSocket(hist);
      const t0 = Date.now();
      const shout = { body: 'persist me <b>&"quotes"</b> ünï', channel: 'history', name: 'alice' };
      const other = { body: 'belongs elsewhere', channel: 'elsewhere', name: 'alice' };
      try {
        const h = await joinRoom(s.socket, 'history', 'alice');
        const e = await joinRoom(s.socket, 'elsewhere', 'alice');
        h.channel.push('shout', shout, SHOUT_PUSH_TIMEOUT_MS);
        e.channel.push('shout', other, SHOUT_PUSH_TIMEOUT_MS);
        // The broadcast follows the commit, so once echoed the message is durable.
        await waitFor(() => h.rec.shouts.length === 1 && e.rec.shouts.length === 1, 'the shouts to be echoed');
      } finally {
        s.socket.disconnect();
      }
      const t1 = Date.now();

      const oldProc = hist.proc;
      await hist.restart();
      assert.equal(oldProc.exitCode, 0, 'the first run exits 0 on SIGTERM');

      const res = await fetch(`${hist.url}/c/history`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') || '', /text\/html/);
      const html = await res.text();
      const m = /<script\b[^>]*\bid="parley-data"[^>]*>([\s\S]*?)<\/script>/.exec(html);
      assert.ok(m, `the page has <script id="parley-data">: ${html.slice(0, 500)}`);
      assert.match(m[0], /type="application\/json"/);
      const data = JSON.parse(m[1]);
      assert.equal(data.room, 'history');
      assert.ok(Array.isArray(data.history), 'history is an array');
      const found = data.history.filter((x) => x.body === shout.body);
      assert.equal(found.length, 1, `the shout is in the history once: ${JSON.stringify(data.history)}`);
      assert.equal(found[0].name, 'alice');
      assert.equal(typeof found[0].time_ms, 'number');
      assert.ok(found[0].time_ms >= t0 - 5000 && found[0].time_ms <= t1 + 5000,
        `time_ms ${found[0].time_ms} is near the send time [${t0}, ${t1}]`);
      assert.ok(!data.history.some((x) => x.body === other.body), 'another room\'s message is not listed');

      // The restarted server still takes shouts, and lists old and new in order.
      const s2 = await openSocket(hist);
      try {
        const h2 = await joinRoom(s2.socket, 'history', 'bob');
        const later = { body: 'after restart', channel: 'history', name: 'bob' };
        h2.channel.push('shout', later, SHOUT_PUSH_TIMEOUT_MS);
        await waitFor(() => h2.rec.shouts.length === 1, 'the post-restart shout to be echoed');
      } finally {
        s2.socket.disconnect();
      }
      const html2 = await (await fetch(`${hist.url}/c/history`)).text();
      const data2 = JSON.parse(/<script\b[^>]*\bid="parley-data"[^>]*>([\s\S]*?)<\/script>/.exec(html2)[1]);
      const bodies = data2.history.map((x) => x.body);
      assert.ok(bodies.includes(shout.body) && bodies.includes('after restart'),
        `old and new messages listed: ${JSON.stringify(bodies)}`);
    });
  } finally {
    await hist.stop();
  }
});

test('a shout containing </script> does not break the page data', { timeout: 30_000 }, async () => {
  await withServerLog(server, async () => {
    const s = await openSocket(server);
    const body = '</script><script>alert(1)</script> <!-- x';
    try {
      const x = await joinRoom(s.socket, 'xss', 'mallory');
      x.channel.push('shout', { body, channel: 'xss', name: 'mallory' }, SHOUT_PUSH_TIMEOUT_MS);
      await waitFor(() => x.rec.shouts.length === 1, 'the shout to be echoed');
    } finally {
      s.socket.disconnect();
    }
    const html = await (await fetch(`${server.url}/c/xss`)).text();
    const m = /<script\b[^>]*\bid="parley-data"[^>]*>([\s\S]*?)<\/script>/.exec(html);
    assert.ok(m, 'the page has <script id="parley-data">');
    const data = JSON.parse(m[1]);
    assert.equal(data.room, 'xss');
    assert.deepEqual(data.history.map((h) => [h.name, h.body]), [['mallory', body]]);
  });
});
