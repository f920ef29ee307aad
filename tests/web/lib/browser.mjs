// Chromium for the browser tests: /usr/bin/chromium driven by playwright-core (resolved from
// $PARLEY_ROOT's node_modules), headless, with its own network services off.
//
//   const browser = await launchBrowser();
//   const page = await browser.openPage(url, { label, viewport })  // a fresh context: own storage
//   browser.watch(page, label)  // records the page's uncaught JS errors as "label: message"
//   browser.pageErrors          // every error recorded so far (openPage watches its page)
//   await browser.close()       // every context, then Chromium; never throws

import { createRequire } from 'node:module';

const ROOT = process.env.PARLEY_ROOT;
if (!ROOT) throw new Error('PARLEY_ROOT is not set (the repo root)');
const { chromium } = createRequire(`${ROOT}/package.json`)('playwright-core');

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

class Browser {
  constructor(chromiumBrowser) {
    this.chromium = chromiumBrowser;
    this.contexts = [];
    this.pageErrors = [];
  }

  async openPage(url, { label = 'page', viewport = { width: 1000, height: 700 } } = {}) {
    const context = await this.chromium.newContext({ viewport });
    this.contexts.push(context);
    const page = await context.newPage();
    this.watch(page, label);
    await page.goto(url);
    return page;
  }

  watch(page, label) {
    page.on('pageerror', (err) => this.pageErrors.push(`${label}: ${err.message}`));
  }

  async close() {
    for (const context of this.contexts) await context.close().catch(() => {});
    await this.chromium.close().catch(() => {});
  }
}

export async function launchBrowser() {
  return new Browser(await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  }));
}
