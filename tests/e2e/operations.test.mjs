// Operators' files and formats: --log-format json (one JSON object per line; a connection's
// open and gone lines carry its system, peer and reason), and deploy/ (the Grafana dashboard
// plots only figures that /metrics has; the Prometheus example scrapes /metrics).
//
// Env: PARLEY_BIN, PARLEY_ROOT. Run: node --test tests/e2e/operations.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startServer, withServerLog } from './lib/server.mjs';
import { waitFor } from './lib/wait.mjs';
import { parseMetrics } from './lib/metrics.mjs';

const ROOT = process.env.PARLEY_ROOT;
const require = createRequire(`${ROOT}/package.json`);
const WebSocket = require('ws');

test('--log-format json: every line is a JSON object; open and gone lines name system, peer, reason', async () => {
  const server = await startServer({ args: ['--log-format', 'json'] });
  try {
    await withServerLog(server, async () => {
      const ws = new WebSocket(`${server.wsUrl}/socket/websocket?vsn=2.0.0`);
      await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
      const local = `127.0.0.1:${ws._socket.localPort}`;
      ws.close(1000);
      const lines = () => server.log.split('\n').filter((l) => l && !l.startsWith('--- '));
      const find = (pred) => lines().map((l) => JSON.parse(l)).find(pred);
      const gone = await waitFor(() => find((o) => o.msg.startsWith('ws gone') && o.peer === local), 'the gone line');
      for (const line of lines()) {
        const o = JSON.parse(line);  // throws on a line that is not JSON
        assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.ok(['trace', 'debug', 'info', 'warning', 'error', 'critical'].includes(o.level), o.level);
        assert.equal(typeof o.msg, 'string');
      }
      const open = find((o) => o.msg.startsWith('ws open') && o.peer === local);
      assert.equal(open.system, 'hub');
      assert.equal(open.path, '/socket/websocket');
      assert.equal(typeof open.session, 'number');
      assert.equal(gone.system, 'hub');
      assert.equal(gone.session, open.session);
      assert.equal(typeof gone.reason, 'string');
      assert.ok(gone.reason.length > 0);
      assert.ok(find((o) => /^listening on 127\.0\.0\.1:\d+ \(http\)$/.test(o.msg)), 'the ready line');
    });
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('text logs: the open and gone lines name the system, the peer and the reason', async () => {
  const server = await startServer();
  try {
    await withServerLog(server, async () => {
      const ws = new WebSocket(`${server.wsUrl}/chat`);
      await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
      const peer = `127\\.0\\.0\\.1:${ws._socket.localPort}`;
      ws.terminate();
      await waitFor(() => new RegExp(`ws gone session=\\d+ system=heavenland peer=${peer} reason="[^"]+"`).test(server.log), 'the gone line');
      assert.match(server.log, new RegExp(`ws open session=\\d+ system=heavenland peer=${peer} path=/chat`));
    });
  } finally {
    await server.stop();
  }
});

test('deploy/: the dashboard plots figures /metrics has; Prometheus scrapes /metrics', async () => {
  const dashboard = JSON.parse(readFileSync(`${ROOT}/deploy/grafana-dashboard.json`, 'utf8'));
  assert.equal(dashboard.uid, 'parley-overview');
  assert.ok(dashboard.__inputs.some((i) => i.pluginId === 'prometheus'), 'importable: asks for its data source');
  const titles = dashboard.panels.map((p) => p.title);
  // The admin page's figures.
  for (const t of ['Connections', 'Channels', 'Messages in/s', 'Deliveries/s', 'Store queue',
    'Slow-consumer disconnects', 'Connections by system', 'Publish to commit', 'Store batch size']) {
    assert.ok(titles.includes(t), `a panel "${t}"`);
  }
  const server = await startServer();
  try {
    const families = new Set(parseMetrics(await (await fetch(`${server.url}/metrics`)).text())
      .map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
    const ids = new Set();
    for (const panel of dashboard.panels) {
      assert.ok(!ids.has(panel.id), `panel ids are unique: ${panel.id}`);
      ids.add(panel.id);
      for (const target of panel.targets) {
        for (const [name] of target.expr.matchAll(/parley_[a-z_]+/g)) {
          const family = name.replace(/_(bucket|sum|count)$/, '');
          assert.ok(families.has(family) || families.has(name), `${panel.title}: ${name} is in /metrics`);
        }
      }
    }
  } finally {
    await server.stop();
  }
  const prometheus = readFileSync(`${ROOT}/deploy/prometheus.yml`, 'utf8');
  assert.match(prometheus, /metrics_path: \/metrics/);
  assert.match(prometheus, /targets: \["127\.0\.0\.1:4000"\]/);
});
