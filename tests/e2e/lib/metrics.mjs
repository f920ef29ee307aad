// Reading GET /metrics (Prometheus text) in tests.
//
//   parseMetrics(text)            -> [{name, labels: {k: v}, value}] for every sample line
//   sumOf(samples, name, labels = {})
//       -> the sum of the samples of `name` (with or without the "parley_" prefix) whose labels
//          include `labels`; NaN when there is none. (lib/server.mjs's metric() reads /metrics.)

export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

export function sumOf(samples, name, labels = {}) {
  const full = name.startsWith('parley_') ? name : `parley_${name}`;
  const hits = samples.filter((s) => s.name === full
    && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.length ? hits.reduce((a, s) => a + s.value, 0) : NaN;
}
