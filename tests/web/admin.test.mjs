// Browser test of the admin page (web/admin.html + admin.js) served by the real Parley binary,
// under load from a client loop (Phoenix WebSockets joined to one room, a publisher shouting):
// the login form (the token in the body, then a cookie; never in the URL), one figure equal in
// /metrics, the page's JSON and the page, the live plot, the busiest channels, the search, and
// closing a session. Then the tokenless admin listener, loopback only.
//
// Env: PARLEY_BIN, PARLEY_ROOT. Run: node --test tests/web/admin.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { configArgs, listenerPort, metric, startServer, withServerLog } from '../e2e/lib/server.mjs';
import { waitFor } from '../e2e/lib/wait.mjs';
import { launchBrowser } from './lib/browser.mjs';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const WebSocket = require('ws');

const TOKEN = 'admin-token-for-the-test-0123';
const WAIT = 10_000;
const SUBSCRIBERS = 12;

let server;
let browser;
const clients = [];
let publishing = null;

/** A Phoenix v2 WebSocket joined to room:<room>; resolves once the join is answered. */
function phoenixClient(room, username) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.wsUrl}/socket/websocket?vsn=2.0.0`);
    const client = { ws, received: 0, closeCode: null };
    ws.on('message', (data) => {
      const [, ref, , event] = JSON.parse(data.toString());
      if (event === 'phx_reply' && ref === 'join') resolve(client);
      client.received += 1;
    });
    ws.on('close', (code) => { client.closeCode = code; });
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify(['join', 'join', `room:${room}`, 'phx_join', { username }])));
  });
}

/** Shouts into room:<room> every 20 ms until stopped (at most 90 s: the loop ends by itself). */
function startPublisher(client, room) {
  let n = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - started > 90_000 || client.ws.readyState !== WebSocket.OPEN) return clearInterval(timer);
    for (let k = 0; k < 4; k++) {
      client.ws.send(JSON.stringify([null, null, `room:${room}`, 'shout', { name: 'pub', body: `m${n++}` }]));
    }
  }, 20);
  return { stop: () => clearInterval(timer), sent: () => n };
}

async function openPage(url, label) {
  const page = await browser.openPage(url, { label, viewport: { width: 1200, height: 900 } });
  const requests = [url];
  page.on('request', (r) => requests.push(r.url()));
  return { page, context: page.context(), requests };
}

async function adminJson(path, headers = { Authorization: `Bearer ${TOKEN}` }) {
  const res = await fetch(`${server.url}${path}`, { headers });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  server = await startServer({ args: configArgs(`[admin]\ntoken = "${TOKEN}"\n`) });
  browser = await launchBrowser();
});

after(async () => {
  publishing?.stop();
  for (const c of clients) c.ws.terminate();
  if (browser) await browser.close();
  if (server) {
    const code = await server.stop();
    if (code !== 0) console.log(`# parley exited with code ${code} after SIGTERM`);
  }
});

describe('admin page', { timeout: 120_000 }, () => {
  let admin;

  it('without the token: the login form, and the API answers 401 (a token in the URL is ignored)', () => withServerLog(server, async () => {
    const plain = await fetch(`${server.url}/admin`);
    assert.equal(plain.status, 200);
    assert.match(await plain.text(), /<form id="login" method="post" action="\/admin\/login">/);
    assert.equal((await adminJson('/admin/api/stats', {})).status, 401);
    assert.equal((await adminJson(`/admin/api/stats?token=${TOKEN}`, {})).status, 401);
    assert.equal((await adminJson('/admin/api/stats', { Authorization: 'Bearer wrong-token-wrong-token' })).status, 401);
    assert.equal((await adminJson('/admin/api/stats')).status, 200);
    const close = await fetch(`${server.url}/admin/api/sessions/1/close`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(close.status, 403, 'closing needs X-Parley-Admin: 1');
  }));

  it('the login form: a wrong token is refused, the right one sets an HttpOnly cookie', () => withServerLog(server, async () => {
    const { page, context, requests } = await openPage(`${server.url}/admin`, 'login');
    await page.locator('#token').fill('not-the-token-at-all');
    await page.locator('button[type=submit]').click();
    await page.locator('#error').waitFor({ state: 'visible', timeout: WAIT });
    await page.locator('#token').fill(TOKEN);
    await page.locator('button[type=submit]').click();
    await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'live', null, { timeout: WAIT });
    const cookies = await context.cookies();
    const cookie = cookies.find((c) => c.name === 'parley_admin');
    assert.ok(cookie, 'the session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.ok(!cookie.value.includes(TOKEN), 'the cookie is not the token');
    for (const url of requests) assert.ok(!url.includes(TOKEN), `the token in a URL: ${url}`);
    admin = page;
  }));

  it('under load: connections per system equal in /metrics, the JSON and the page', () => withServerLog(server, async () => {
    for (let i = 0; i < SUBSCRIBERS; i++) clients.push(await phoenixClient('load', `sub${i}`));
    const publisher = await phoenixClient('load', 'pub');
    clients.push(publisher);
    publishing = startPublisher(publisher, 'load');
    await waitFor(async () => clients[0].received > 20, 'deliveries to the subscribers', WAIT);

    // The connections of the Hub are stable under the load: the same number everywhere.
    const expected = SUBSCRIBERS + 1;
    await waitFor(async () => (await metric(server, 'connections_open', { system: 'hub' })) === expected, '/metrics', WAIT);
    const json = await adminJson('/admin/api/stats');
    const hub = json.body.systems.find((s) => s.name === 'hub');
    assert.equal(hub.connections, expected, 'the admin JSON');
    await admin.waitForFunction((n) => document.querySelector('[data-figure="connections.hub"]')?.textContent === String(n),
      expected, { timeout: WAIT });
    const onPage = Number(await admin.locator('[data-figure="connections.hub"]').textContent());
    const inMetrics = await metric(server, 'connections_open', { system: 'hub' });
    assert.equal(onPage, inMetrics);
    assert.equal(onPage, hub.connections);

    // Messages flow: in/s and deliveries/s above zero on the page, and the plot has points.
    await admin.waitForFunction(() => Number(document.querySelector('[data-figure="in.hub"]')?.textContent) > 0
      && Number(document.querySelector('[data-figure="out.hub"]')?.textContent) > 0, null, { timeout: WAIT });
    await admin.waitForFunction(() => Number(document.getElementById('plot').dataset.points) >= 2
      && document.getElementById('line-in').getAttribute('points').split(' ').length >= 2, null, { timeout: WAIT });
    const totals = (await adminJson('/admin/api/stats')).body.totals;
    assert.ok(totals.messages_in >= publishing.sent() / 2, `messages in: ${totals.messages_in}`);
    assert.ok(totals.deliveries > totals.messages_in, 'each message is delivered to many');
    // The store figures are shown.
    assert.match(await admin.locator('[data-figure="store.queue_depth"]').textContent(), /^\d+$/);
    assert.match(await admin.locator('[data-figure="store.commit_ms"]').textContent(), /ms$/);
  }));

  it('the busiest channel is the loaded room, with its subscribers', () => withServerLog(server, async () => {
    const row = admin.locator('#channels tbody tr[data-channel="load"]');
    await row.waitFor({ timeout: WAIT });
    assert.equal(await admin.locator('#channels tbody tr').first().getAttribute('data-channel'), 'load');
    assert.equal(await row.locator('td').nth(1).textContent(), String(SUBSCRIBERS + 1));
    assert.match(await row.locator('td').nth(2).textContent(), new RegExp(`hub ${SUBSCRIBERS + 1}`));
  }));

  it('a search finds the channel and the sessions; Close ends a session', () => withServerLog(server, async () => {
    await admin.locator('#search').fill('/socket/websocket');
    await admin.locator('#search-form button').click();
    await admin.waitForFunction((n) => document.querySelectorAll('#sessions tbody tr').length === n
      && document.getElementById('sessions').dataset.query === '/socket/websocket', SUBSCRIBERS + 1, { timeout: WAIT });

    await admin.locator('#search').fill('loa');
    await admin.locator('#search-form button').click();
    await admin.locator('#found-channels tbody tr[data-channel="load"]').waitFor({ timeout: WAIT });

    // The session of the first subscriber, by the id the server gave it.
    const sessions = (await adminJson('/admin/api/sessions?q=hub')).body.sessions;
    assert.equal(sessions.length, SUBSCRIBERS + 1);
    const victim = sessions[0];
    assert.equal(victim.system, 'hub');
    await admin.locator('#search').fill(String(victim.id));
    await admin.locator('#search-form button').click();
    const row = admin.locator(`#sessions tbody tr[data-session="${victim.id}"]`);
    await row.waitFor({ timeout: WAIT });
    await row.locator('button.close').click();
    await admin.waitForFunction((id) => document.querySelector(`#sessions tr[data-session="${id}"]`)?.dataset.closed === 'yes',
      victim.id, { timeout: WAIT });
    await waitFor(() => clients.some((c) => c.closeCode === 1008), 'a client closed with 1008', WAIT);
    assert.equal(clients.filter((c) => c.closeCode !== null).length, 1, 'one session closed');
    await waitFor(async () => (await metric(server, 'connections_open', { system: 'hub' })) === SUBSCRIBERS, 'one fewer', WAIT);
    assert.equal(await metric(server, 'admin_closes_total'), 1);
    assert.match(server.log, new RegExp(`admin: closing session=${victim.id} system=hub`));
    const again = await fetch(`${server.url}/admin/api/sessions/${victim.id}/close`,
      { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'X-Parley-Admin': '1' } });
    assert.equal(again.status, 404, 'gone');
  }));

  it('sign out clears the cookie', () => withServerLog(server, async () => {
    publishing.stop();
    await admin.locator('#logout button').click();
    await admin.locator('#login').waitFor({ timeout: WAIT });
  }));

  it('no JavaScript errors on any page', () => {
    assert.deepEqual(browser.pageErrors, []);
  });
});

describe('admin listener without a token', { timeout: 60_000 }, () => {
  it('is served on its loopback listener only, for loopback Host names', async () => {
    const other = await startServer({ args: configArgs('[admin]\nlisten = "127.0.0.1:0"\n') });
    try {
      await withServerLog(other, async () => {
        const port = await listenerPort(other, 'admin');
        assert.equal((await fetch(`${other.url}/admin`)).status, 404, 'not on the shared listener');
        const base = `http://127.0.0.1:${port}`;
        const page = await fetch(`${base}/admin`);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<title>Parley admin<\/title>/);
        const stats = await fetch(`${base}/admin/api/stats`);
        assert.equal(stats.status, 200);
        assert.ok(Array.isArray((await stats.json()).systems));
        // DNS rebinding: a page of another origin resolving to 127.0.0.1 sends its own Host.
        const rebound = await new Promise((resolve, reject) => {
          import('node:http').then(({ request }) => {
            const req = request({ host: '127.0.0.1', port, path: '/admin/api/stats', headers: { Host: 'evil.example:80' } },
              (res) => { res.resume(); resolve(res.statusCode); });
            req.on('error', reject);
            req.end();
          });
        });
        assert.equal(rebound, 401);
        assert.equal((await fetch(`${base}/metrics`)).status, 200);
      });
    } finally {
      await other.stop();
    }
  });
});
