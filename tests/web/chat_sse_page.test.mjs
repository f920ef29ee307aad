// Browser test of the Chat SSE demo page (web/sse_chat.html + sse_chat.js) served by the real
// Parley binary: on the shared listener (same origin), and on its own page listener calling the
// publish and receive listeners on their own ports (cross-origin, as the original demo did).
//
// Env: PARLEY_BIN, PARLEY_ROOT. Run: node --test tests/web/chat_sse_page.test.mjs
// The tests run in order and share one server and the pages opened by earlier ones.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configArgs, listenerPort, startServer, withServerLog } from '../e2e/lib/server.mjs';
import { uuid } from '../e2e/lib/chat_sse.mjs';
import { launchBrowser } from './lib/browser.mjs';

const WAIT = 5000;
const DEMO_CHANNEL = 'c3743620-cc30-11e6-9d9d-cec0c932ce01'; // the original README's channel

let server;
let browser;

function openPage(url, label) {
  return browser.openPage(url, { label, viewport: { width: 900, height: 700 } });
}

async function openChat(base, channel, label) {
  const page = await openPage(`${base}/?c=${channel}`, label);
  await waitForStatus(page, 'connected');
  return page;
}

async function waitForStatus(page, state) {
  await page.waitForFunction((s) => document.getElementById('status')?.dataset.state === s,
    state, { timeout: WAIT });
}

/** Every bubble as {text, side}, in order. */
function bubbles(page) {
  return page.$$eval('#chat_messages .talk-bubble', (els) => els.map((el) => ({
    text: el.querySelector('.talktext')?.textContent ?? null,
    side: el.classList.contains('yours') ? 'yours' : el.classList.contains('theirs') ? 'theirs' : '?',
  })));
}

async function waitForBubble(page, text, side) {
  await page.waitForFunction(([t, s]) => [...document.querySelectorAll('#chat_messages .talk-bubble')]
    .some((b) => b.querySelector('.talktext')?.textContent === t && b.classList.contains(s)),
  [text, side], { timeout: WAIT });
}

async function send(page, text, how = 'enter') {
  await page.locator('#chat_box').fill(text);
  if (how === 'enter') await page.locator('#chat_box').press('Enter');
  else await page.locator('#chat_button').click();
}

before(async () => {
  server = await startServer({
    args: configArgs(`
[chat_sse]
publish_listen = "127.0.0.1:0"
receive_listen = "127.0.0.1:0"
page_listen = "127.0.0.1:0"
`),
  });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const code = await server.stop();
    if (code !== 0) console.log(`# parley exited with code ${code} after SIGTERM`);
  }
});

const MARKUP = 'hi <b>bob</b> </script><script>window.pwned=1</script> & done';

describe('Chat SSE demo page', { timeout: 90_000 }, () => {
  const channel = uuid();
  let alice;
  let bob;

  it('GET / is the landing page, linking to the demo; the link opens it', () => withServerLog(server, async () => {
    const page = await openPage(`${server.url}/`, 'landing');
    assert.equal(await page.title(), 'Parley');
    const link = page.locator(`a[href="/?c=${DEMO_CHANNEL}"]`);
    await link.waitFor({ timeout: WAIT });
    assert.match(await link.textContent(), /Chat SSE/);
    assert.equal(await page.locator('a[href="/c/lobby"]').count(), 1, 'the Hub link is still there');
    await link.click();
    await waitForStatus(page, 'connected');
    assert.equal(await page.locator('#channel').textContent(), DEMO_CHANNEL);
  }));

  it('serves the assets; a c that is not a UUID is refused', () => withServerLog(server, async () => {
    for (const [path, type] of [['/assets/sse_chat.js', /javascript/], ['/assets/sse_chat.css', /text\/css/]]) {
      const res = await fetch(server.url + path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', type, path);
    }
    const bad = await fetch(`${server.url}/?c=not-a-uuid`);
    assert.equal(bad.status, 400);
  }));

  it('two pages on the same channel chat: Enter and the button send, yours and theirs', () => withServerLog(server, async () => {
    alice = await openChat(server.url, channel, 'alice');
    bob = await openChat(server.url, channel, 'bob');

    await send(alice, MARKUP, 'enter');
    await waitForBubble(alice, MARKUP, 'yours');
    await waitForBubble(bob, MARKUP, 'theirs');
    assert.equal(await alice.locator('#chat_box').inputValue(), '', 'the input is cleared once sent');

    await send(bob, 'hello alice 👋', 'button');
    await waitForBubble(bob, 'hello alice 👋', 'yours');
    await waitForBubble(alice, 'hello alice 👋', 'theirs');

    assert.deepEqual(await bubbles(alice), [
      { text: MARKUP, side: 'yours' }, { text: 'hello alice 👋', side: 'theirs' }]);
    assert.deepEqual(await bubbles(bob), [
      { text: MARKUP, side: 'theirs' }, { text: 'hello alice 👋', side: 'yours' }]);
    assert.equal(await alice.evaluate(() => window.pwned), undefined, 'markup is shown as text');

    // Empty input sends nothing.
    await send(alice, '   ');
    await alice.waitForTimeout(300);
    assert.equal((await bubbles(bob)).length, 2);
  }));

  it('a page on another channel sees nothing of it', () => withServerLog(server, async () => {
    const carol = await openChat(server.url, uuid(), 'carol');
    await send(alice, 'only for bob');
    await waitForBubble(bob, 'only for bob', 'theirs');
    await carol.waitForTimeout(300);
    assert.deepEqual(await bubbles(carol), [], 'no history and no live messages of the other channel');

    await send(carol, 'carol alone');
    await waitForBubble(carol, 'carol alone', 'yours');
    await bob.waitForTimeout(300);
    assert.equal((await bubbles(bob)).filter((b) => b.text === 'carol alone').length, 0);
    assert.equal((await bubbles(alice)).filter((b) => b.text === 'carol alone').length, 0);
  }));

  it('a reload shows the channel kept, own messages still yours', () => withServerLog(server, async () => {
    await alice.reload();
    await waitForStatus(alice, 'connected');
    await waitForBubble(alice, 'only for bob', 'yours');
    assert.deepEqual(await bubbles(alice), [
      { text: MARKUP, side: 'yours' },
      { text: 'hello alice 👋', side: 'theirs' },
      { text: 'only for bob', side: 'yours' }]);
  }));

  it('on its own listener the page calls the publish and receive listeners', () => withServerLog(server, async () => {
    const pagePort = await listenerPort(server, 'chat_sse.page');
    const publishPort = await listenerPort(server, 'chat_sse.publish');
    const receivePort = await listenerPort(server, 'chat_sse.receive');
    const base = `http://127.0.0.1:${pagePort}`;

    // The page listener serves the page and its assets, not the services.
    const html = await (await fetch(`${base}/?c=${channel}`)).text();
    const data = JSON.parse(/<script id="parley-data" type="application\/json">(.*?)<\/script>/.exec(html)[1]);
    assert.deepEqual(data, { channel, publishPort, receivePort });
    assert.equal((await fetch(`${base}/chat/receive/${channel}`, { headers: { Accept: 'text/event-stream' } })).status, 404);
    const fresh = await fetch(`${base}/`, { redirect: 'manual' });
    assert.equal(fresh.status, 302, 'GET / without c: a new channel');
    assert.match(fresh.headers.get('location'), /^\/\?c=[0-9a-f-]{36}$/);
    // The publish and receive listeners serve only their own routes.
    assert.equal((await fetch(`http://127.0.0.1:${publishPort}/?c=${channel}`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${receivePort}/chat/publish/${channel}/${uuid()}`, { method: 'POST', body: 'x' })).status, 404);

    const dave = await openChat(base, channel, 'dave');
    await waitForBubble(dave, 'only for bob', 'theirs');
    assert.equal((await bubbles(dave)).length, 3, 'the history, from the receive listener');
    await send(dave, 'from the page listener');
    await waitForBubble(dave, 'from the page listener', 'yours');
    await waitForBubble(bob, 'from the page listener', 'theirs');
    await waitForBubble(alice, 'from the page listener', 'theirs');
    assert.match(server.log, new RegExp(`POST /chat/publish/${channel}/[0-9a-f-]{36} -> 200`));
  }));

  it('no JavaScript errors on any page', () => {
    assert.deepEqual(browser.pageErrors, []);
  });
});
