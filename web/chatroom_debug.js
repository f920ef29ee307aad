// ChatRoom debugger page: live view of Parley's ChatRoom hub through GET /events (Server-Sent
// Events). The first event is a snapshot {kind: "snapshot", seq, clients, topics, services,
// log}; every later event has a seq, and those at or below the snapshot's are already in it.
(() => {
  'use strict';

  const state = {
    seq: 0,
    clients: new Map(),   // id -> peer
    topics: new Map(),    // name -> {name, type, value, version, revision}
    services: new Map(),  // name -> provider id
  };
  const MAX_LOG = 500;

  const $ = (id) => document.getElementById(id);
  const el = (tag, { dataset, ...props } = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    Object.assign(node.dataset, dataset);
    for (const c of children) node.append(c);
    return node;
  };
  const who = (client) => (client ? `client ${client}` : 'server');
  const brief = (value) => {
    const text = JSON.stringify(value);
    return text && text.length > 120 ? `${text.slice(0, 117)}...` : text;
  };

  function setStatus(text) {
    const s = $('status');
    s.textContent = text;
    s.dataset.state = text;
  }

  function renderClients() {
    const list = $('clients');
    list.replaceChildren(...[...state.clients].sort((a, b) => a[0] - b[0]).map(([id, peer]) =>
      el('li', { className: 'mono', dataset: { client: String(id) } }, `#${id} ${peer}`)));
    $('client-count').textContent = state.clients.size;
  }

  function renderServices() {
    const list = $('services');
    list.replaceChildren(...[...state.services].sort().map(([name, provider]) =>
      el('li', { className: 'mono', dataset: { service: name } }, `${name} → client ${provider}`)));
    $('service-count').textContent = state.services.size;
  }

  function topicRow(t) {
    const row = el('tr', { dataset: { topic: t.name } },
      el('td', { className: 'name mono' }, t.name),
      el('td', { className: 'type' }, t.type),
      el('td', { className: 'version mono' }, t.version || ''),
      el('td', { className: 'revision' }, String(t.revision)),
      el('td', { className: 'value' }, el('pre', {}, JSON.stringify(t.value, null, 2))));
    return row;
  }

  function renderTopics(flash) {
    const body = $('topics').tBodies[0];
    body.replaceChildren(...[...state.topics.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((t) => {
        const row = topicRow(t);
        if (t.name === flash) row.classList.add('flash');
        return row;
      }));
    $('topic-count').textContent = state.topics.size;
  }

  function describe(e) {
    switch (e.kind) {
      case 'client_connected': return `client ${e.client} connected from ${e.peer}`;
      case 'client_disconnected': return `client ${e.client} disconnected`;
      case 'topic_created': return `${who(e.client)} created topic '${e.topic}'`;
      case 'topic_changed': {
        const c = e.change || {};
        const detail = { ...c };
        for (const k of ['topic_name', 'topic_type', 'type', 'id']) delete detail[k];
        return `${who(e.client)} changed '${e.topic}': ${c.type} ${brief(detail)}`;
      }
      case 'topic_removed': return `topic '${e.topic}' removed`;
      case 'change_rejected':
        return `${who(e.client)}'s ${(e.change && e.change.type) || 'change'} to '${e.topic}' rejected: ${e.reason}`;
      case 'service_registered': return `client ${e.provider} registered service '${e.service}'`;
      case 'service_unregistered': return `service '${e.service}' unregistered`;
      default: return `${e.kind} ${brief(e)}`;
    }
  }

  function log(e) {
    const list = $('log');
    const time = new Date(e.time_ms).toISOString().slice(11, 23);
    list.prepend(el('li', { dataset: { kind: e.kind, seq: String(e.seq) } },
      el('span', { className: 'time mono' }, time), describe(e)));
    while (list.children.length > MAX_LOG) list.lastElementChild.remove();
  }

  function applySnapshot(s) {
    state.seq = s.seq;
    state.clients = new Map(s.clients.map((c) => [c.id, c.peer]));
    state.topics = new Map(s.topics.map((t) => [t.name, t]));
    state.services = new Map(s.services.map((v) => [v.name, v.provider]));
    $('log').replaceChildren();
    for (const e of s.log) log(e);
    renderClients();
    renderServices();
    renderTopics();
  }

  function apply(e) {
    if (e.seq <= state.seq) return;  // already in the snapshot
    state.seq = e.seq;
    switch (e.kind) {
      case 'client_connected': state.clients.set(e.client, e.peer); renderClients(); break;
      case 'client_disconnected': state.clients.delete(e.client); renderClients(); break;
      case 'topic_created':
      case 'topic_changed': {
        const known = state.topics.get(e.state.name);
        if (!known || known.revision <= e.state.revision) state.topics.set(e.state.name, e.state);
        renderTopics(e.state.name);
        break;
      }
      case 'topic_removed': state.topics.delete(e.topic); renderTopics(); break;
      case 'service_registered': state.services.set(e.service, e.provider); renderServices(); break;
      case 'service_unregistered': state.services.delete(e.service); renderServices(); break;
      default: break;
    }
    log(e);
  }

  function connect() {
    const source = new EventSource('/events');
    source.onopen = () => setStatus('live');
    source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? 'disconnected' : 'connecting');
    source.onmessage = (msg) => {
      let e;
      try { e = JSON.parse(msg.data); } catch { return; }
      if (e.kind === 'snapshot') applySnapshot(e); else apply(e);
    };
  }

  connect();
})();
