// Waiting with a deadline, for the end-to-end and browser tests.

import { setTimeout as sleep } from 'node:timers/promises';

export const WAIT_MS = 5000;

/** Polls `fn` (sync or async) every 20 ms until it returns a truthy value, which it returns. */
export async function waitFor(fn, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}
