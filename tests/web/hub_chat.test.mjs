// Browser test of the Hub web chat page (web/chat.html + chat.js) served by the real Parley binary.
//
// Env: PARLEY_BIN (server binary), PARLEY_ROOT (repo root; playwright-core is resolved from its
// node_modules). Run: PARLEY_BIN=build/parley PARLEY_ROOT=$PWD node --test tests/web/hub_chat.test.mjs
//
// The tests in this file run in order and share one server: later ones rely on the messages
// earlier ones sent (history).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, withServerLog } from '../e2e/lib/server.mjs';
import { launchBrowser } from './lib/browser.mjs';

const WAIT = 5000; // ms, for every auto-waiting expectation
const IDLE_TYPING_MS = 2000; // the page sends typing:false after this long without keystrokes

let server;
let browser;

/** Opens `path` in a fresh browser context (own localStorage), recording JS errors. */
function openPage(path, label) {
  return browser.openPage(server.url + path, { label });
}

/** Opens /c/<room> and joins as `name`; resolves once the page shows "connected". */
async function joinChat(name, room = 'lobby') {
  const page = await openPage(`/c/${room}`, name);
  await page.locator('#username').fill(name);
  await page.locator('#join').click();
  await waitForStatus(page, 'connected');
  return page;
}

async function waitForStatus(page, text) {
  await page.waitForFunction(
    (want) => document.getElementById('status')?.textContent.trim() === want,
    text, { timeout: WAIT });
}

/** Every rendered message as {name, body}, in order. */
function messages(page) {
  return page.$$eval('#messages .message', (els) => els.map((el) => ({
    name: el.querySelector('.name')?.textContent ?? null,
    body: el.querySelector('.body')?.textContent ?? null,
  })));
}

async function waitForMessage(page, name, body) {
  await page.waitForFunction(([n, b]) => [...document.querySelectorAll('#messages .message')]
    .some((m) => m.querySelector('.name')?.textContent === n && m.querySelector('.body')?.textContent === b),
  [name, body], { timeout: WAIT });
}

function count(list, name, body) {
  return list.filter((m) => m.name === name && m.body === body).length;
}

async function waitForOnline(page, names) {
  const want = [...names].sort();
  await page.waitForFunction((w) => {
    const have = [...document.querySelectorAll('#online li')].map((li) => li.dataset.user).sort();
    return JSON.stringify(have) === JSON.stringify(w);
  }, want, { timeout: WAIT });
}

async function typingText(page) {
  return (await page.locator('#typing').textContent()).trim();
}

async function waitForTyping(page, predicate, timeout = WAIT) {
  await page.waitForFunction(predicate, null, { timeout });
}

async function send(page, body, how = 'enter') {
  const input = page.locator('#message-input');
  await input.fill(body);
  if (how === 'enter') await input.press('Enter');
  else await page.locator('#send').click();
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const code = await server.stop();
    // Reported, not asserted: a clean SIGTERM shutdown is the server tests' business.
    if (code !== 0) console.log(`# parley exited with code ${code} after SIGTERM`);
  }
});

// Message bodies with markup: they must come out as text (and the history JSON embedded in a
// <script> must survive "</script>").
const ALICE_MSG = 'hello bob <b>bold?</b> </script><script>window.pwned=1</script> & done';
const BOB_REPLY = 'hi alice 👋';

describe('Hub web chat page', { timeout: 60_000 }, () => {
  let alice;
  let bob;

  it('GET / lists the Hub web chat at /c/lobby', () => withServerLog(server, async () => {
    const res = await fetch(`${server.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const page = await openPage('/', 'landing');
    assert.equal(await page.title(), 'Parley');
    const link = page.locator('a[href="/c/lobby"]');
    await link.waitFor({ timeout: WAIT });
    assert.match(await link.textContent(), /Hub web chat/);
  }));

  it('serves the page and its assets', () => withServerLog(server, async () => {
    for (const [path, type] of [['/assets/phoenix.min.js', /javascript/], ['/assets/chat.js', /javascript/],
      ['/assets/chat.css', /text\/css/]]) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 200, `${path} status`);
      assert.match(res.headers.get('content-type') ?? '', type, `${path} content-type`);
      await res.arrayBuffer();
    }
    const html = await (await fetch(`${server.url}/c/lobby`)).text();
    assert.ok(!html.includes('__PARLEY_DATA__'), 'placeholder replaced');
  }));

  it('alice and bob join the lobby and see each other online', () => withServerLog(server, async () => {
    alice = await joinChat('alice');
    bob = await joinChat('bob');
    await waitForOnline(alice, ['alice', 'bob']);
    await waitForOnline(bob, ['alice', 'bob']);
    assert.equal(await alice.locator('#room').textContent(), '#lobby');
    assert.equal(await alice.locator('#status').textContent(), 'connected');
  }));

  it('a message reaches everyone once, as text', () => withServerLog(server, async () => {
    await send(alice, ALICE_MSG, 'enter');
    await waitForMessage(bob, 'alice', ALICE_MSG);
    await waitForMessage(alice, 'alice', ALICE_MSG);
    assert.equal(await alice.locator('#message-input').inputValue(), '', 'input cleared on send');

    // Empty and blank messages are not sent; bob's real reply, sent afterwards, is the marker
    // that everything before it has been delivered.
    await bob.locator('#send').click();
    await send(bob, '   ', 'enter');
    await send(bob, BOB_REPLY, 'click');
    await waitForMessage(alice, 'bob', BOB_REPLY);
    await waitForMessage(bob, 'bob', BOB_REPLY);

    for (const [who, page] of [['alice', alice], ['bob', bob]]) {
      const list = await messages(page);
      assert.equal(count(list, 'alice', ALICE_MSG), 1, `${who} shows alice's message once: ${JSON.stringify(list)}`);
      assert.equal(count(list, 'bob', BOB_REPLY), 1, `${who} shows bob's reply once`);
      assert.equal(list.filter((m) => m.body.trim() === '').length, 0, `${who}: no empty message`);
      assert.equal(await page.locator('#messages b, #messages script').count(), 0, `${who}: markup not interpreted`);
      assert.equal(await page.evaluate(() => window.pwned), undefined);
    }
  }));

  it('typing shows up for the others, and stops on send and after 2 s idle', () => withServerLog(server, async () => {
    await bob.locator('#message-input').pressSequentially('still typ', { delay: 20 });
    await waitForTyping(alice, () => /\bbob\b.*typing/.test(document.getElementById('typing').textContent));
    assert.equal(await typingText(bob), '', 'bob does not see himself typing');

    // Sending stops it.
    await bob.locator('#message-input').press('Enter');
    await waitForMessage(alice, 'bob', 'still typ');
    await waitForTyping(alice, () => document.getElementById('typing').textContent.trim() === '');

    // So does 2 s without keystrokes.
    await bob.locator('#message-input').pressSequentially('hmm', { delay: 20 });
    await waitForTyping(alice, () => /\bbob\b/.test(document.getElementById('typing').textContent));
    const started = Date.now();
    await waitForTyping(alice, () => document.getElementById('typing').textContent.trim() === '',
      IDLE_TYPING_MS + WAIT);
    assert.ok(Date.now() - started >= IDLE_TYPING_MS - 500, 'typing indicator held until the idle timeout');
    await bob.locator('#message-input').fill('');
  }));

  it('a page opened later shows the earlier messages from history', () => withServerLog(server, async () => {
    const page = await openPage('/c/lobby', 'carol');
    // History is embedded in the page: visible before joining.
    await waitForMessage(page, 'alice', ALICE_MSG);
    const list = await messages(page);
    const i = list.findIndex((m) => m.name === 'alice' && m.body === ALICE_MSG);
    const j = list.findIndex((m) => m.name === 'bob' && m.body === BOB_REPLY);
    assert.ok(i >= 0 && j > i, `history oldest first: ${JSON.stringify(list)}`);
    assert.equal(count(list, 'alice', ALICE_MSG), 1);
    assert.equal(await page.evaluate(() => window.pwned), undefined);

    // After joining, carol is online for the others and her history stays.
    await page.locator('#username').fill('carol');
    await page.locator('#join').click();
    await waitForStatus(page, 'connected');
    await waitForOnline(alice, ['alice', 'bob', 'carol']);
    assert.equal(count(await messages(page), 'alice', ALICE_MSG), 1);

    // /c without a room is the lobby.
    const plain = await openPage('/c', 'plain');
    assert.equal(await plain.locator('#room').textContent(), '#lobby');
    await waitForMessage(plain, 'alice', ALICE_MSG);
  }));

  it('the username is remembered and prefilled', () => withServerLog(server, async () => {
    const again = await alice.context().newPage();
    browser.watch(again, 'alice#2');
    await again.goto(`${server.url}/c/lobby`);
    assert.equal(await again.locator('#username').inputValue(), 'alice');
    await again.close();
  }));

  it('another room has its own messages and presence', () => withServerLog(server, async () => {
    const dave = await joinChat('dave', 'otherroom');
    assert.equal(await dave.locator('#room').textContent(), '#otherroom');
    await waitForOnline(dave, ['dave']);
    assert.equal(count(await messages(dave), 'alice', ALICE_MSG), 0, 'no lobby history in otherroom');

    await send(dave, 'only in otherroom');
    await waitForMessage(dave, 'dave', 'only in otherroom');
    await send(alice, 'lobby marker');
    await waitForMessage(alice, 'alice', 'lobby marker');
    assert.equal(count(await messages(alice), 'dave', 'only in otherroom'), 0, 'otherroom shout not in lobby');
    assert.equal(count(await messages(dave), 'alice', 'lobby marker'), 0, 'lobby shout not in otherroom');
    await waitForOnline(alice, ['alice', 'bob', 'carol']);

    const later = await openPage('/c/otherroom', 'otherroom-later');
    await waitForMessage(later, 'dave', 'only in otherroom');
    const list = await messages(later);
    assert.equal(list.filter((m) => m.name !== 'dave').length, 0, `otherroom history: ${JSON.stringify(list)}`);
  }));

  it('no JavaScript errors on any page', () => {
    assert.deepEqual(browser.pageErrors, []);
  });
});
