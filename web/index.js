// The landing page: the systems from the server's data (#parley-data), each with its endpoints
// and one line of client code, live connection counts read from /metrics every 5 s, and the
// links to every web page.
(() => {
  'use strict';
  let data;
  try { data = JSON.parse(document.getElementById('parley-data').textContent); } catch { return; }
  const host = window.location.host;
  const here = (s) => s.replaceAll('HOST', host);
  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    Object.assign(e, props);
    for (const c of children) e.append(c);
    return e;
  };

  const pages = document.getElementById('pages');
  pages.replaceChildren(...data.pages.map((p) => el('li', {},
    el('a', { href: p.href }, p.title, el('small', {}, p.note)))));

  const systems = document.getElementById('systems');
  for (const s of data.systems) {
    const count = el('span', { className: 'count' });
    count.dataset.system = s.name;
    const card = el('section', { className: s.enabled ? 'system' : 'system disabled', id: `system-${s.name}` },
      el('h3', {}, s.title, el('small', {}, s.enabled ? '' : '(disabled)'), count),
      el('ul', { className: 'endpoints' }, ...s.endpoints.map((e) => el('li', {}, `${e.kind}: `, el('code', {}, here(e.url))))),
    );
    if (s.own_listener) card.append(el('div', { className: 'endpoints' }, 'Also on its own listener, with its original paths: ', el('code', {}, s.own_listener)));
    card.append(el('pre', {}, el('code', { className: 'snippet' }, here(s.snippet))));
    card.append(el('div', { className: 'endpoints' }, 'Protocol: ', el('code', {}, s.doc)));
    systems.append(card);
  }

  async function refresh() {
    try {
      const text = await (await fetch('/metrics')).text();
      const open = {};
      let channels = null;
      for (const line of text.split('\n')) {
        let m = /^parley_connections_open\{system="([a-z_]+)"\} (-?\d+)$/.exec(line);
        if (m) open[m[1]] = Number(m[2]);
        m = /^parley_channels (\d+)$/.exec(line);
        if (m) channels = Number(m[1]);
      }
      let total = 0;
      for (const span of document.querySelectorAll('.count')) {
        const n = open[span.dataset.system] ?? 0;
        total += n;
        span.textContent = `${n} connected`;
      }
      document.getElementById('totals').textContent =
        `Now: ${total} clients connected${channels === null ? '' : `, ${channels} channels`}.`;
      document.body.dataset.refreshed = String(Date.now());
    } catch { /* the counts stay as they were */ }
    setTimeout(refresh, 5000);
  }
  refresh();
})();
