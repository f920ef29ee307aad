// The admin page: polls /admin/api/stats every interval (the cookie or the loopback listener
// authorizes it), draws the systems' figures, the last 10 minutes as an SVG plot, the store and
// the busiest channels; searches channels and sessions, and closes a session.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 2000;
  const WINDOW_MS = 10 * 60 * 1000;
  let data = {};
  try { data = JSON.parse($('parley-data').textContent); } catch { /* optional */ }
  if (data.login) $('logout').hidden = false;

  const fmtRate = (v) => (v >= 100 ? Math.round(v).toString() : v.toFixed(1));
  const fmtMs = (v) => `${v >= 10 ? Math.round(v) : v.toFixed(2)} ms`;
  const figure = (name) => document.querySelector(`[data-figure="${name}"]`);
  const setFigure = (name, text) => { const el = figure(name); if (el) el.textContent = text; };

  function cell(tr, text, figureName) {
    const td = document.createElement('td');
    td.textContent = text;
    if (figureName) td.dataset.figure = figureName;
    tr.appendChild(td);
    return td;
  }

  function bySystem(counts) {
    return Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ');
  }

  function fillChannels(tbody, list) {
    tbody.replaceChildren();
    for (const c of list) {
      const tr = document.createElement('tr');
      tr.dataset.channel = c.name;
      cell(tr, c.name);
      cell(tr, String(c.subscribers));
      cell(tr, bySystem(c.by_system));
      cell(tr, String(c.presence));
      cell(tr, String(c.messages));
      tbody.appendChild(tr);
    }
  }

  function drawSystems(stats) {
    const tbody = $('systems').querySelector('tbody');
    for (const s of stats.systems) {
      let tr = $(`sys-${s.name}`);
      if (!tr) {
        tr = document.createElement('tr');
        tr.id = `sys-${s.name}`;
        const th = document.createElement('th');
        th.textContent = s.name;
        tr.appendChild(th);
        for (const f of ['connections', 'channels', 'in', 'out', 'slow']) cell(tr, '', `${f}.${s.name}`);
        tbody.appendChild(tr);
      }
      setFigure(`connections.${s.name}`, String(s.connections));
      setFigure(`channels.${s.name}`, String(s.channels));
      setFigure(`in.${s.name}`, fmtRate(s.messages_in_per_s));
      setFigure(`out.${s.name}`, fmtRate(s.deliveries_per_s));
      setFigure(`slow.${s.name}`, String(s.slow_consumer_disconnects));
    }
    const t = stats.totals;
    setFigure('connections.total', String(t.connections));
    setFigure('channels.total', String(t.channels));
    setFigure('in.total', fmtRate(t.messages_in_per_s));
    setFigure('out.total', fmtRate(t.deliveries_per_s));
    setFigure('slow.total', String(t.slow_consumer_disconnects));
    setFigure('slow.total.card', String(t.slow_consumer_disconnects));
    setFigure('store.queue_depth', String(stats.store.queue_depth));
    setFigure('store.commit_ms', fmtMs(stats.store.publish_commit_ms_recent));
    setFigure('store.commit_p99_ms', fmtMs(stats.store.publish_commit_ms_p99));
    setFigure('store.batch_mean', stats.store.batch_mean.toFixed(1));
    const up = Math.round((stats.time_ms - stats.started_ms) / 1000);
    $('uptime').textContent = `up ${Math.floor(up / 3600)}h ${Math.floor(up / 60) % 60}m ${up % 60}s`;
  }

  // Rates between consecutive samples, as [time, per second] points.
  function rates(t, totals) {
    const out = [];
    for (let k = 1; k < t.length; k++) {
      const dt = (t[k] - t[k - 1]) / 1000;
      if (dt > 0) out.push([t[k], Math.max(0, (totals[k] - totals[k - 1]) / dt)]);
    }
    return out;
  }

  function drawPlot(stats) {
    const h = stats.history;
    const now = stats.time_ms;
    const inRates = rates(h.t, h.messages_in);
    const outRates = rates(h.t, h.deliveries);
    let max = 1;
    for (const [, v] of [...inRates, ...outRates]) max = Math.max(max, v);
    const scale = 10 ** Math.floor(Math.log10(max));
    max = Math.ceil(max / scale) * scale;
    const W = 800; const H = 220;
    const x = (tm) => ((tm - (now - WINDOW_MS)) / WINDOW_MS) * W;
    const y = (v) => H - 4 - (v / max) * (H - 8);
    const points = (list) => list.map(([tm, v]) => `${x(tm).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    $('line-in').setAttribute('points', points(inRates));
    $('line-out').setAttribute('points', points(outRates));
    const grid = $('grid');
    grid.replaceChildren();
    for (let k = 1; k < 4; k++) {
      const line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
      line.setAttribute('x1', '0'); line.setAttribute('x2', String(W));
      line.setAttribute('y1', String(y((max * k) / 4))); line.setAttribute('y2', String(y((max * k) / 4)));
      grid.appendChild(line);
    }
    $('plot-max').textContent = `top: ${max}/s`;
    $('plot').dataset.points = String(inRates.length);
  }

  async function api(path, options = {}) {
    const res = await fetch(path, { credentials: 'same-origin', ...options });
    if (res.status === 401) { window.location.reload(); throw new Error('signed out'); }
    return res;
  }

  async function poll() {
    try {
      const stats = await (await api('/admin/api/stats')).json();
      drawSystems(stats);
      drawPlot(stats);
      fillChannels($('channels').querySelector('tbody'), stats.channels);
      $('status').textContent = 'live';
      $('status').dataset.state = 'live';
      $('status').dataset.time = String(stats.time_ms);
    } catch (e) {
      $('status').textContent = `error: ${e.message}`;
      $('status').dataset.state = 'error';
    }
    setTimeout(poll, POLL_MS);
  }

  async function search() {
    const q = $('search').value.trim();
    const qs = `?q=${encodeURIComponent(q)}&limit=50`;
    const [channels, sessions] = await Promise.all([
      api(`/admin/api/channels${qs}`).then((r) => r.json()),
      api(`/admin/api/sessions${qs}`).then((r) => r.json()),
    ]);
    fillChannels($('found-channels').querySelector('tbody'), channels.busiest);
    $('channel-count').textContent = `(${channels.busiest.length} shown)`;
    const tbody = $('sessions').querySelector('tbody');
    tbody.replaceChildren();
    for (const s of sessions.sessions) {
      const tr = document.createElement('tr');
      tr.dataset.session = String(s.id);
      cell(tr, String(s.id));
      cell(tr, s.system);
      cell(tr, s.transport);
      cell(tr, s.peer);
      cell(tr, s.path);
      cell(tr, new Date(s.opened_ms).toLocaleTimeString());
      cell(tr, `${s.queued_bytes} B`);
      const td = document.createElement('td');
      const button = document.createElement('button');
      button.className = 'close';
      button.textContent = 'Close';
      button.addEventListener('click', async () => {
        button.disabled = true;
        const res = await api(`/admin/api/sessions/${s.id}/close`, {
          method: 'POST', headers: { 'X-Parley-Admin': '1' },
        });
        button.textContent = res.ok ? 'closed' : `failed (${res.status})`;
        tr.dataset.closed = res.ok ? 'yes' : 'no';
      });
      td.appendChild(button);
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
    $('session-count').textContent = `(${sessions.sessions.length} of ${sessions.found})`;
    $('sessions').dataset.query = q;
  }

  $('search-form').addEventListener('submit', (e) => { e.preventDefault(); search().catch(() => {}); });
  poll();
  search().catch(() => {});
})();
