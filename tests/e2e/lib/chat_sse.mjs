// Helpers for the Chat SSE end-to-end tests: curl as a client (one-shot and streaming), SSE
// events, publishing.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { WAIT_MS, waitFor } from './wait.mjs';

export const uuid = () => randomUUID();

/** Splits a raw HTTP response (curl -i) into {status, headers (lower-case names, in order), body}. */
export function parseResponse(raw) {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const lines = head.split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = lines.slice(1).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
  });
  return { status, headers, header: (n) => headers.find(([k]) => k === n)?.[1], body: end < 0 ? '' : raw.slice(end + 4) };
}

/**
 * Runs curl to completion; resolves {status, headers, header(name), body, raw}. `args` go before
 * the URL; -sS -i -g (no URL globbing) are always given. `input` is written to curl's stdin (use --data-binary @-).
 */
export function curl(url, args = [], input) {
  return new Promise((resolve, reject) => {
    const proc = spawn('curl', ['-sS', '-i', '-g', ...args, url], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    proc.stdout.on('data', (c) => out.push(c));
    proc.stderr.on('data', (c) => { err += c; });
    proc.on('error', reject);
    proc.on('close', (code) => {
      const raw = Buffer.concat(out).toString('latin1');
      if (code !== 0 && !raw) return reject(new Error(`curl exited ${code}: ${err}`));
      resolve({ ...parseResponse(raw), raw, code, stderr: err });
    });
    if (input !== undefined) proc.stdin.end(input);
    else proc.stdin.end();
  });
}

/**
 * curl -N on an SSE URL, kept running: .raw is everything received so far (bytes as latin1, so
 * that byte offsets are exact), .until(pred) waits for pred(raw), .stop() kills curl.
 */
export class CurlStream {
  constructor(url, headers = {}) {
    const args = ['-sS', '-i', '-N', '-g'];
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    this.proc = spawn('curl', [...args, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.chunks = [];
    this.exited = new Promise((resolve) => this.proc.on('close', resolve));
    this.proc.stdout.on('data', (c) => this.chunks.push(c));
  }

  get raw() { return Buffer.concat(this.chunks).toString('latin1'); }

  /** The part after the response head. */
  get body() {
    const raw = this.raw;
    const end = raw.indexOf('\r\n\r\n');
    return end < 0 ? '' : raw.slice(end + 4);
  }

  async until(pred, what, ms = WAIT_MS) {
    return waitFor(() => pred(this.raw, this.body), what, ms);
  }

  async stop() {
    this.proc.kill('SIGTERM');
    await this.exited;
  }
}

/** Every SSE event in `body` with an id line: [{id, data}] (data parsed as JSON). */
export function events(body) {
  const out = [];
  for (const block of body.split('\r\n\r\n')) {
    const m = /^id: (\d+)\r\ndata: (.*)$/s.exec(block);
    if (m) out.push({ id: Number(m[1]), data: JSON.parse(Buffer.from(m[2], 'latin1').toString('utf8')) });
  }
  return out;
}

/** POST a message with fetch; resolves the Response. */
export function publish(baseUrl, channel, user, text) {
  return fetch(`${baseUrl}/chat/publish/${channel}/${user}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    body: text,
  });
}
