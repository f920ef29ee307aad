// Browser test of the landing page (web/index.html + index.js): every system with its endpoints
// and one line of client code (each line, run in the browser, opens a connection the server
// counts under that system), live counts, and links to every page (each one answers).
//
// Env: PARLEY_BIN, PARLEY_ROOT. Run: node --test tests/web/landing.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configArgs, metric, startServer, withServerLog } from '../e2e/lib/server.mjs';
import { waitFor } from '../e2e/lib/wait.mjs';
import { launchBrowser } from './lib/browser.mjs';


const WAIT = 10_000;
const SYSTEMS = ['hub', 'concierge', 'chatroom', 'chat_sse', 'heavenland'];

let server;
let browser;
let page;

before(async () => {
  server = await startServer({
    args: configArgs('[admin]\ntoken = "landing-test-token-0123"\n'),
  });
  browser = await launchBrowser();
  page = await browser.openPage(`${server.url}/`, { label: 'landing', viewport: { width: 1000, height: 900 } });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

describe('landing page', { timeout: 90_000 }, () => {
  it('lists every system with its endpoints on this host and one line of client code', () => withServerLog(server, async () => {
    assert.equal(await page.title(), 'Parley');
    const host = `127.0.0.1:${server.port}`;
    for (const name of SYSTEMS) {
      const card = page.locator(`#system-${name}`);
      await card.waitFor({ timeout: WAIT });
      const snippet = await card.locator('code.snippet').textContent();
      assert.ok(snippet.includes(host), `${name}: the snippet names this host: ${snippet}`);
      assert.ok(!snippet.includes('HOST'), `${name}: no placeholder left`);
      assert.ok((await card.locator('.endpoints li').count()) >= 1, `${name}: endpoints`);
    }
    assert.match(await page.locator('#system-hub').textContent(), /ws:\/\/127\.0\.0\.1:\d+\/socket\/websocket/);
  }));

  it('links to every page, and each answers', () => withServerLog(server, async () => {
    const links = await page.$$eval('#pages a', (as) => as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent })));
    const hrefs = links.map((l) => l.href);
    for (const href of ['/c/lobby', '/?c=c3743620-cc30-11e6-9d9d-cec0c932ce01', '/admin', '/metrics']) {
      assert.ok(hrefs.includes(href), `a link to ${href}: ${hrefs}`);
      const res = await fetch(server.url + href);
      assert.equal(res.status, 200, href);
    }
    assert.ok(hrefs.some((h) => /^http:\/\/127\.0\.0\.1:8800\/$/.test(h)), 'the ChatRoom debugger');
    assert.equal(await page.locator('a[href="/c/lobby"]').count(), 1);
  }));

  it('each system\'s line of code, run in the browser, connects a client of that system; the counts follow', () => withServerLog(server, async () => {
    await page.addScriptTag({ url: '/assets/phoenix.min.js' });
    for (const name of SYSTEMS) {
      const before = await metric(server, 'connections_open', { system: name });
      const snippet = await page.locator(`#system-${name} code.snippet`).textContent();
      await page.evaluate((code) => {
        window.kept = window.kept || [];
        // Each line is a statement list; run it as the operator would paste it in a console.
        window.kept.push((0, eval)(`(() => { ${code}; return typeof ws !== 'undefined' ? ws : (typeof socket !== 'undefined' ? socket : null); })()`));
      }, snippet);
      await waitFor(async () => (await metric(server, 'connections_open', { system: name })) === before + 1,
        `a ${name} connection from its snippet`, WAIT);
      // The page shows it at its next refresh (every 5 s).
      await page.waitForFunction((n) => /^[1-9]\d* connected$/.test(document.querySelector(`.count[data-system="${n}"]`)?.textContent ?? ''),
        name, { timeout: WAIT });
    }
    assert.match(await page.locator('#totals').textContent(), /Now: [1-9]\d* clients connected, \d+ channels\./);
  }));

  it('no JavaScript errors', () => {
    assert.deepEqual(browser.pageErrors, []);
  });
});
