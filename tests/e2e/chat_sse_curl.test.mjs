// Chat Service + Chat Broadcast SSE end to end with curl: the publish endpoint (status codes,
// CORS headers, preflight, body limits) and the SSE stream (headers, exact bytes, id:, retry:,
// keep-alive, resume with Last-Event-ID and ?since=).
// Run: node --test tests/e2e/chat_sse_curl.test.mjs (PARLEY_BIN, PARLEY_ROOT).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { configArgs, startServer, withServerLog } from './lib/server.mjs';
import { curl, CurlStream, events, publish, uuid } from './lib/chat_sse.mjs';

const KEEPALIVE_MS = 300;
const BODY_LIMIT = 1024;
let server;
const streams = [];

before(async () => {
  server = await startServer({
    args: configArgs(`
[limits]
max_http_body_bytes = ${BODY_LIMIT}

[chat_sse]
keepalive = "${KEEPALIVE_MS}ms"
`),
  });
});

after(async () => {
  for (const s of streams) await s.stop();
  const code = await server.stop();
  assert.equal(code, 0, 'parley exits 0 on SIGTERM');
});

function stream(path, headers = { Accept: 'text/event-stream' }) {
  const s = new CurlStream(server.url + path, headers);
  streams.push(s);
  return s;
}

const post = (channel, user, args = [], input) =>
  curl(`${server.url}/chat/publish/${channel}/${user}`, ['-X', 'POST', ...args], input);

function assertPublishCors(res) {
  assert.equal(res.header('access-control-allow-origin'), '*');
  assert.equal(res.header('access-control-allow-methods'), 'POST');
  assert.equal(res.header('allow'), 'OPTIONS');
}

test('publish: 200, empty text/plain body, the original CORS headers', () => withServerLog(server, async () => {
  const res = await post(uuid(), uuid(), ['-H', 'Content-Type: text/plain', '--data-binary', 'hello']);
  assert.equal(res.status, 200);
  assert.equal(res.body, '');
  assert.equal(res.header('content-type'), 'text/plain');
  assertPublishCors(res);
}));

test('publish: 400 for each id that is not a UUID, with CORS headers', () => withServerLog(server, async () => {
  const good = uuid();
  const bad = ['nope', '1234', `${good}x`, good.replaceAll('-', ''), `{${good}}`, good.replace(/^./, 'g')];
  for (const b of bad) {
    for (const [channel, user, which] of [[b, good, 'channel_id'], [good, b, 'user_id']]) {
      const res = await post(channel, user, ['--data-binary', 'x']);
      assert.equal(res.status, 400, `${which}=${b}`);
      assert.match(res.body, new RegExp(`${which} is not a UUID`));
      assertPublishCors(res);
    }
  }
  const both = await post('a', 'b', ['--data-binary', 'x']);
  assert.equal(both.status, 400);
  // Upper-case UUIDs are UUIDs (stored in lower case, see the stream test).
  assert.equal((await post(good.toUpperCase(), good.toUpperCase(), ['--data-binary', 'x'])).status, 200);
  assert.match(server.log, /chat_sse publish peer=127\.0\.0\.1:\d+ channel="nope".*400 channel_id is not a UUID/);
}));

test('publish: body limits (413 over max_http_body_bytes) and UTF-8', () => withServerLog(server, async () => {
  const channel = uuid();
  const user = uuid();
  const s = stream(`/chat/receive/${channel}`);
  await s.until((raw) => raw.includes('retry:'), 'the stream to open');

  const exact = 'x'.repeat(BODY_LIMIT);
  let res = await post(channel, user, ['--data-binary', '@-'], exact);
  assert.equal(res.status, 200, 'a body of exactly the limit is accepted');
  res = await post(channel, user, ['--data-binary', '@-'], exact + 'y');
  assert.equal(res.status, 413, 'one byte more is refused');
  res = await post(channel, user, ['-H', 'Transfer-Encoding: chunked', '--data-binary', '@-'], 'z'.repeat(BODY_LIMIT * 3));
  assert.equal(res.status, 413, 'a chunked body over the limit too');
  res = await post(channel, user, ['--data-binary', '@-'], Buffer.from([0x61, 0xff, 0x62]));
  assert.equal(res.status, 400);
  assert.match(res.body, /not UTF-8/);
  res = await post(channel, user, ['--data-binary', '@-'], 'h\u00e9llo \u20ac \u{1F600}');
  assert.equal(res.status, 200);

  await s.until((raw, body) => events(body).length === 2, 'two events');
  assert.deepEqual(events(s.body).map((e) => e.data.message), [exact, 'h\u00e9llo \u20ac \u{1F600}']);
  // The server keeps serving after refusing.
  assert.equal((await post(channel, user, ['--data-binary', 'still here'])).status, 200);
}));

test('publish: OPTIONS preflight', () => withServerLog(server, async () => {
  const res = await curl(`${server.url}/chat/publish/${uuid()}/${uuid()}`, [
    '-X', 'OPTIONS',
    '-H', 'Origin: http://elsewhere.example',
    '-H', 'Access-Control-Request-Method: POST',
    '-H', 'Access-Control-Request-Headers: content-type',
  ]);
  assert.equal(res.status, 200);
  assert.equal(res.header('access-control-allow-origin'), '*');
  assert.match(res.header('access-control-allow-methods'), /\bPOST\b/);
  assert.equal(res.header('access-control-allow-headers'), 'content-type');
  assert.match(res.header('allow'), /POST/);
  assert.equal(res.body, '');
}));

test('publish: other methods are 405, other paths 404', () => withServerLog(server, async () => {
  assert.equal((await curl(`${server.url}/chat/publish/${uuid()}/${uuid()}`)).status, 405);
  assert.equal((await post(uuid(), '', ['--data-binary', 'x'])).status, 404);
  assert.equal((await post(`${uuid()}/${uuid()}`, uuid(), ['--data-binary', 'x'])).status, 404);
}));

test('stream: 405 without Accept: text/event-stream', () => withServerLog(server, async () => {
  const res = await curl(`${server.url}/chat/receive/${uuid()}`);
  assert.equal(res.status, 405);
  const html = await curl(`${server.url}/chat/receive/${uuid()}`, ['-H', 'Accept: text/html']);
  assert.equal(html.status, 405);
}));

test('stream: headers, retry first, exact event bytes with id:', () => withServerLog(server, async () => {
  const channel = uuid();
  const user = uuid();
  const s = stream(`/chat/receive/${channel.toUpperCase()}`);
  await s.until((raw) => raw.includes('retry: 3000\r\n\r\n'), 'the head and retry:');
  const head = s.raw.slice(0, s.raw.indexOf('\r\n\r\n') + 4);
  assert.equal(head, [
    'HTTP/1.1 200 OK',
    'Server: Parley',
    'Content-Type: text/event-stream; charset=UTF-8',
    'X-Accel-Buffering: no',
    'Cache-Control: no-cache',
    'Access-Control-Allow-Origin: *',
    'Connection: close',
    '', ''].join('\r\n'));
  assert.equal(s.body, 'retry: 3000\r\n\r\n', 'retry: comes first, once');

  assert.equal((await publish(server.url, channel, user.toUpperCase(), 'hello "quoted" \\ world')).status, 200);
  await s.until((raw, body) => body.includes('data: '), 'the event');
  const body = s.body.replaceAll(': keep-alive\r\n\r\n', '');
  const m = /^retry: 3000\r\n\r\nid: (\d+)\r\ndata: \{"id":"([0-9a-f-]{36})","userId":"([0-9a-f-]{36})","message":"(.*)"\}\r\n\r\n$/s.exec(body);
  assert.ok(m, `unexpected bytes: ${JSON.stringify(body)}`);
  assert.equal(m[1], '1', 'the first message of the channel has id 1');
  assert.equal(m[3], user, 'userId in lower case, as the original\'s UUID.toString()');
  assert.equal(m[4], 'hello \\"quoted\\" \\\\ world');

  await publish(server.url, channel, user, 'second');
  await s.until((raw, body) => events(body).length === 2, 'the second event');
  assert.deepEqual(events(s.body).map((e) => e.id), [1, 2]);
}));

test('stream: a comment keep-alive every configured interval', () => withServerLog(server, async () => {
  const s = stream(`/chat/receive/${uuid()}`);
  const started = Date.now();
  await s.until((raw, body) => body.split(': keep-alive\r\n\r\n').length - 1 >= 3, 'three keep-alives', 4000);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 2 * KEEPALIVE_MS, `three keep-alives took ${elapsed} ms, interval ${KEEPALIVE_MS} ms`);
  assert.equal(s.body.split('retry:').length - 1, 1, 'retry: only once');
}));

test('stream: resume with Last-Event-ID and ?since= from history', () => withServerLog(server, async () => {
  const channel = uuid();
  const user = uuid();
  for (const text of ['one', 'two', 'three', 'four']) {
    assert.equal((await publish(server.url, channel, user, text)).status, 200);
  }
  const texts = (s) => events(s.body).map((e) => `${e.id}:${e.data.message}`);

  const a = stream(`/chat/receive/${channel}`, { Accept: 'text/event-stream', 'Last-Event-ID': '2' });
  await a.until((raw, body) => events(body).length === 2, 'the replay after 2');
  assert.deepEqual(texts(a), ['3:three', '4:four']);

  const b = stream(`/chat/receive/${channel}?since=0`);
  await b.until((raw, body) => events(body).length === 4, 'the replay of everything');
  assert.deepEqual(texts(b), ['1:one', '2:two', '3:three', '4:four']);

  // EventSource keeps ?since= in the URL of its reconnections: Last-Event-ID wins.
  const c = stream(`/chat/receive/${channel}?since=0`, { Accept: 'text/event-stream', 'Last-Event-ID': '3' });
  await c.until((raw, body) => events(body).length === 1, 'the replay after 3');
  assert.deepEqual(texts(c), ['4:four']);

  // Live messages follow the replay, once each.
  await publish(server.url, channel, user, 'five');
  for (const s of [a, b, c]) await s.until((raw, body) => events(body).some((e) => e.id === 5), 'the live event');
  assert.deepEqual(texts(a), ['3:three', '4:four', '5:five']);
  assert.deepEqual(texts(c), ['4:four', '5:five']);

  // Without either: live messages only, as the original.
  const d = stream(`/chat/receive/${channel}`);
  await d.until((raw) => raw.includes('retry:'), 'the stream to open');
  await publish(server.url, channel, user, 'six');
  await d.until((raw, body) => events(body).length === 1, 'the live event');
  assert.deepEqual(texts(d), ['6:six']);

  // A Last-Event-ID that is not an offset is ignored; a bad ?since= is refused.
  const e = stream(`/chat/receive/${channel}?since=5`, { Accept: 'text/event-stream', 'Last-Event-ID': 'garbage' });
  await e.until((raw, body) => events(body).length === 1, 'the replay after 5');
  assert.deepEqual(texts(e), ['6:six']);
  const refused = await curl(`${server.url}/chat/receive/${channel}?since=-1`, ['-H', 'Accept: text/event-stream']);
  assert.equal(refused.status, 400);
  assert.equal(refused.header('access-control-allow-origin'), '*');
}));

test('stream: the history survives a restart', () => withServerLog(server, async () => {
  const channel = uuid();
  await publish(server.url, channel, uuid(), 'kept');
  for (const s of streams.splice(0)) await s.stop();
  await server.restart();
  const s = stream(`/chat/receive/${channel}`, { Accept: 'text/event-stream', 'Last-Event-ID': '0' });
  await s.until((raw, body) => events(body).length === 1, 'the replay after a restart');
  assert.equal(events(s.body)[0].data.message, 'kept');
}));
