// Browser test of the ChatRoom debugger page (web/chatroom_debug.*), served by the real Parley
// binary on its debugger listener, while ChatRoom clients (npm `ws`, speaking the seed README's
// protocol) change topics: the page must show each change as it happens.
//
// Env: PARLEY_BIN, PARLEY_ROOT. Run: PARLEY_BIN=build/parley PARLEY_ROOT=$PWD node --test tests/web/chatroom_debugger.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { configArgs, listenerPort, startServer, withServerLog } from '../e2e/lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';

const ROOT = process.env.PARLEY_ROOT;
if (!ROOT) throw new Error('PARLEY_ROOT is not set (the repo root)');
const require = createRequire(`${ROOT}/package.json`);
const WebSocket = require('ws');

const WAIT = 5000;

let server;
let debugUrl;
let browser;
let page;
const sockets = [];

/** A ChatRoom client: {id, send(type, content), next(pred)}. */
async function chatroomClient() {
  const ws = new WebSocket(`${server.wsUrl}/chatroom`);
  sockets.push(ws);
  const frames = [];
  const waiters = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    frames.push(frame);
    for (const w of [...waiters]) if (w.pred(frame)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(frame); }
  });
  const next = (pred, what) => new Promise((resolve, reject) => {
    const found = frames.find(pred);
    if (found) return resolve(found);
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT);
    waiters.push({ pred, resolve: (f) => { clearTimeout(timer); resolve(f); } });
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const hello = await next((f) => f.type === 'hello', 'hello');
  return {
    ws,
    id: hello.content.id,
    send: (type, content) => ws.send(JSON.stringify({ type, content })),
    next,
  };
}

/** The debugger's row for a topic: {type, version, revision, value}, or null. */
function topicRow(name) {
  return page.evaluate((n) => {
    const row = [...document.querySelectorAll('#topics tbody tr')].find((r) => r.dataset.topic === n);
    if (!row) return null;
    const cell = (c) => row.querySelector(`.${c}`).textContent;
    return { type: cell('type'), version: cell('version'), revision: Number(cell('revision')),
      value: JSON.parse(row.querySelector('.value pre').textContent) };
  }, name);
}

async function waitForTopic(name, pred, what) {
  await page.waitForFunction(([n, src]) => {
    const row = [...document.querySelectorAll('#topics tbody tr')].find((r) => r.dataset.topic === n);
    if (!row) return false;
    const value = JSON.parse(row.querySelector('.value pre').textContent);
    // eslint-disable-next-line no-new-func
    return new Function('value', `return (${src});`)(value);
  }, [name, pred], { timeout: WAIT }).catch((err) => {
    throw new Error(`the page never showed ${what}: ${err.message}`);
  });
}

async function logTexts() {
  return page.$$eval('#log li', (lis) => lis.map((li) => li.textContent));
}

before(async () => {
  server = await startServer({
    args: configArgs('[chatroom]\ndebug = true\ndebug_listen = "127.0.0.1:0"\n'),
  });
  debugUrl = `http://127.0.0.1:${await listenerPort(server, 'chatroom-debug')}`;
  browser = await launchBrowser();
});

after(async () => {
  for (const ws of sockets) ws.terminate();
  if (browser) await browser.close();
  if (server) await server.stop();
});

describe('ChatRoom debugger page', { timeout: 60_000 }, () => {
  it('serves the page, its assets and the state', () => withServerLog(server, async () => {
    for (const [path, type] of [['/', /text\/html/], ['/assets/chatroom_debug.js', /javascript/],
      ['/assets/chatroom_debug.css', /text\/css/], ['/state', /application\/json/]]) {
      const res = await fetch(debugUrl + path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', type, path);
      await res.arrayBuffer();
    }
    // Not on the shared listener.
    const shared = await fetch(`${server.url}/events`);
    assert.equal(shared.status, 404);
  }));

  it('goes live and shows the server status topic', () => withServerLog(server, async () => {
    page = await browser.openPage(`${debugUrl}/`,
      { label: 'debugger', viewport: { width: 1200, height: 800 } });
    await page.waitForFunction(() => document.getElementById('status').textContent === 'live',
      null, { timeout: WAIT });
    const status = await topicRow('_chatroom/server_status');
    assert.ok(status, 'the status topic is listed');
    assert.equal(status.type, 'string');
  }));

  it('shows a topic change made by a client as it happens', () => withServerLog(server, async () => {
    const alice = await chatroomClient();
    await page.waitForFunction((id) => !!document.querySelector(`#clients li[data-client="${id}"]`),
      alice.id, { timeout: WAIT });

    alice.send('subscribe', { topic_name: 'score', type: 'int' });
    await alice.next((f) => f.type === 'update' && f.content.topic_name === 'score', 'score');
    await waitForTopic('score', 'value === 0', 'score = 0');

    alice.send('update', { topic_name: 'score', change: { type: 'add', value: 5 } });
    await waitForTopic('score', 'value === 5', 'score = 5');
    let row = await topicRow('score');
    assert.equal(row.type, 'int');
    assert.equal(row.revision, 1);

    // A second client edits a string topic; both changes show, with the version.
    const bob = await chatroomClient();
    bob.send('subscribe', { topic_name: 'doc', type: 'string' });
    const init = await bob.next((f) => f.type === 'update' && f.content.topic_name === 'doc', 'doc');
    bob.send('update', { topic_name: 'doc', change: { type: 'insert',
      topic_version: init.content.change.id, position: 0, insertion: 'hello',
      result_topic_version: 'bob_1' } });
    await waitForTopic('doc', 'value === "hello"', 'doc = "hello"');
    row = await topicRow('doc');
    assert.equal(row.version, 'bob_1');

    alice.send('update', { topic_name: 'score', change: { type: 'set', value: 42 } });
    await waitForTopic('score', 'value === 42', 'score = 42');
    assert.equal((await topicRow('score')).revision, 2);

    const log = await logTexts();
    assert.ok(log.some((t) => t.includes(`client ${alice.id} changed 'score': add`)), log.join('\n'));
    assert.ok(log.some((t) => t.includes(`client ${bob.id} changed 'doc': insert`)), log.join('\n'));
    assert.match(log[0], /changed 'score': set|server_status/);

    // A rejected change is logged, and changes nothing.
    alice.send('update', { topic_name: 'score', change: { type: 'add', value: 'x' } });
    await page.waitForFunction(() => [...document.querySelectorAll('#log li')]
      .some((li) => li.dataset.kind === 'change_rejected'), null, { timeout: WAIT });
    assert.equal((await topicRow('score')).value, 42);
  }));

  it('shows services and providers, and clients leaving', () => withServerLog(server, async () => {
    const carol = await chatroomClient();
    carol.send('register_service', { service_name: 'add' });
    await page.waitForFunction((id) => {
      const li = document.querySelector('#services li[data-service="add"]');
      return li && li.textContent.includes(`client ${id}`);
    }, carol.id, { timeout: WAIT });
    carol.ws.close();
    await page.waitForFunction((id) => !document.querySelector(`#clients li[data-client="${id}"]`)
      && !document.querySelector('#services li[data-service="add"]'), carol.id, { timeout: WAIT });
  }));

  it('catches up after a reload', () => withServerLog(server, async () => {
    await page.reload();
    await page.waitForFunction(() => document.getElementById('status').textContent === 'live',
      null, { timeout: WAIT });
    await waitForTopic('score', 'value === 42', 'score = 42 after reload');
    await waitForTopic('doc', 'value === "hello"', 'doc after reload');
    assert.ok((await logTexts()).length > 0);
    assert.deepEqual(browser.pageErrors, []);
  }));
});
