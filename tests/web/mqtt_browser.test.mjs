// MQTT.js (npm `mqtt`) in headless Chromium, over WebSocket at /mqtt (subprotocol mqtt), against
// the real binary: QoS 2 both ways, retained messages, and one channel space with MQTT.js over
// TCP (in Node) and the SSE system (publish and receive).
//
// Env: PARLEY_BIN, PARLEY_ROOT; `mqtt` is resolved from $PARLEY_ROOT's node_modules (or NODE_PATH).
// Run: node --test tests/web/mqtt_browser.test.mjs

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CurlStream, events, publish, uuid } from '../e2e/lib/chat_sse.mjs';
import { listenerPort, startServer, withServerLog } from '../e2e/lib/server.mjs';
import { waitFor } from '../e2e/lib/wait.mjs';
import { launchBrowser } from './lib/browser.mjs';

const require = createRequire(`${process.env.PARLEY_ROOT}/package.json`);
const MQTT_BUNDLE = require.resolve('mqtt/dist/mqtt.min') // exports map: ./dist/* -> ./dist/*.js;
const mqtt = require('mqtt');

let server;
let browser;
let page;
let tcp; // MQTT.js in Node, over TCP
const tcpReceived = [];

/** Runs fn in the page with MQTT.js loaded; `client` and `received` are window globals. */
function inPage(fn, arg) {
  return page.evaluate(fn, arg);
}

function browserReceived() {
  return inPage(() => window.received);
}

before(async () => {
  server = await startServer({ args: ['--threads', '2'] });
  browser = await launchBrowser();
  page = await browser.openPage(`${server.url}/`, { label: 'mqtt page' });
  await page.addScriptTag({ path: MQTT_BUNDLE });
  await inPage(async (url) => {
    window.received = [];
    window.client = mqtt.connect(url, { clientId: 'browser-1', protocolVersion: 4, clean: true,
      reconnectPeriod: 0 });
    await new Promise((resolve, reject) => {
      window.client.on('connect', resolve);
      window.client.on('error', reject);
    });
    window.client.on('message', (topic, payload, packet) => window.received.push({
      topic, payload: new TextDecoder().decode(payload), qos: packet.qos, retain: packet.retain,
    }));
  }, `ws://127.0.0.1:${server.port}/mqtt`);

  tcp = mqtt.connect(`mqtt://127.0.0.1:${await listenerPort(server, 'mqtt')}`,
    { clientId: 'node-tcp', protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise((resolve, reject) => { tcp.once('connect', resolve); tcp.once('error', reject); });
  tcp.on('message', (topic, payload, packet) => tcpReceived.push({
    topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain,
  }));
});

after(async () => {
  tcp?.end(true);
  await browser?.close();
  await server?.stop();
});

function browserSubscribe(filter, qos) {
  return inPage(([f, q]) => new Promise((resolve, reject) => {
    window.client.subscribe(f, { qos: q }, (err, granted) => (err ? reject(err) : resolve(granted)));
  }), [filter, qos]);
}

function browserPublish(topic, payload, options) {
  return inPage(([t, p, o]) => new Promise((resolve, reject) => {
    window.client.publish(t, p, o, (err) => (err ? reject(err) : resolve()));
  }), [topic, payload, options]);
}

function tcpSubscribe(filter, qos) {
  return new Promise((resolve, reject) => {
    tcp.subscribe(filter, { qos }, (err, granted) => (err ? reject(err) : resolve(granted)));
  });
}

describe('MQTT.js over WebSocket in Chromium', () => {
  it('negotiates the mqtt subprotocol and exchanges QoS 2 messages with a TCP client', () =>
    withServerLog(server, async () => {
      // What the browser's WebSocket negotiated when offering MQTT.js's subprotocol.
      const protocol = await inPage((url) => new Promise((resolve, reject) => {
        const ws = new WebSocket(url, ['mqtt']);
        ws.onopen = () => { resolve(ws.protocol); ws.close(); };
        ws.onerror = () => reject(new Error('WebSocket /mqtt failed'));
      }), `ws://127.0.0.1:${server.port}/mqtt`);
      assert.equal(protocol, 'mqtt');
      const topic = `web/${uuid()}`;
      const granted = await browserSubscribe(topic, 2);
      assert.equal(granted[0].qos, 2);
      await tcpSubscribe(topic, 2);
      await browserPublish(topic, 'from the browser', { qos: 2 });
      await new Promise((resolve, reject) => tcp.publish(topic, 'from node over tcp', { qos: 2 },
        (err) => (err ? reject(err) : resolve())));
      for (const received of [browserReceived, async () => tcpReceived]) {
        const got = await waitFor(async () => {
          const mine = (await received()).filter((m) => m.topic === topic);
          return mine.length === 2 && mine;
        }, 'both messages');
        assert.deepEqual(got.map((m) => [m.payload, m.qos]).sort(),
          [['from node over tcp', 2], ['from the browser', 2]]);
      }
    }));

  it('gets a retained message when it subscribes', () => withServerLog(server, async () => {
    const topic = `web-retained/${uuid()}`;
    await new Promise((resolve, reject) => tcp.publish(topic, 'kept for later',
      { qos: 1, retain: true }, (err) => (err ? reject(err) : resolve())));
    await browserSubscribe(topic, 1);
    const got = await waitFor(async () => (await browserReceived()).find((m) => m.topic === topic),
      'the retained message');
    assert.deepEqual(got, { topic, payload: 'kept for later', qos: 1, retain: true });
  }));

  it('sees the SSE system\'s messages and its messages reach /chat/receive', () =>
    withServerLog(server, async () => {
      const channel = uuid();
      const user = uuid();
      await browserSubscribe('affinitas_chat/one_to_one/+', 2);
      const res = await publish(server.url, channel, user, 'from the SSE demo');
      assert.equal(res.status, 200);
      const topic = `affinitas_chat/one_to_one/${channel}`;
      const fromSse = await waitFor(async () => (await browserReceived())
        .find((m) => m.topic === topic), 'the SSE message in the browser');
      assert.equal(fromSse.qos, 2);
      const json = JSON.parse(fromSse.payload);
      assert.deepEqual(Object.keys(json), ['id', 'userId', 'message']);
      assert.equal(json.userId, user);
      assert.equal(json.message, 'from the SSE demo');

      const stream = new CurlStream(`${server.url}/chat/receive/${channel}`,
        { Accept: 'text/event-stream' });
      try {
        await stream.until((raw, body) => body.includes('retry:'), 'the stream to open');
        const message = { id: uuid(), userId: uuid(), message: 'from MQTT.js in the browser' };
        await browserPublish(topic, JSON.stringify(message), { qos: 2 });
        const got = await stream.until((raw, body) => events(body).find((e) => e.data.id === message.id),
          'the browser\'s message on the SSE stream');
        assert.deepEqual(got.data, message);
      } finally {
        await stream.stop();
      }
      assert.deepEqual(browser.pageErrors, []);
    }));
});
