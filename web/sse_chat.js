// Chat SSE demo page: receives the channel through EventSource (GET /chat/receive/<channel>) and
// sends with fetch (POST /chat/publish/<channel>/<user>, the text as a text/plain body), as the
// original demo did with jQuery. The services are on this page's origin, or on the ports the
// server put in #parley-data (the original's :8080 and :8081) when the page has a listener of
// its own.
'use strict';

(function () {
  const data = JSON.parse(document.getElementById('parley-data').textContent);
  const channel = data.channel;

  const messagesEl = document.getElementById('chat_messages');
  const form = document.getElementById('chat_send');
  const input = document.getElementById('chat_box');
  const button = document.getElementById('chat_button');
  const statusEl = document.getElementById('status');
  document.getElementById('channel').textContent = channel;

  function origin(port) {
    return port == null ? '' : `${location.protocol}//${location.hostname}:${port}`;
  }
  const receiveUrl = `${origin(data.receivePort)}/chat/receive/${channel}`;
  const publishBase = `${origin(data.publishPort)}/chat/publish/${channel}/`;

  // A random (v4) UUID. crypto.randomUUID needs a secure context; getRandomValues does not.
  function uuid() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // One user per tab: kept across reloads of the tab so that its own messages stay "yours".
  function loadUserId() {
    const key = 'parley-sse-user';
    try {
      const kept = sessionStorage.getItem(key);
      if (kept && /^[0-9a-f-]{36}$/.test(kept)) return kept;
      const fresh = uuid();
      sessionStorage.setItem(key, fresh);
      return fresh;
    } catch {
      return uuid(); // storage disabled
    }
  }
  const userId = loadUserId();

  function setStatus(state, text) {
    statusEl.dataset.state = state;
    statusEl.textContent = text;
  }

  function atBottom() {
    return messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 10;
  }

  const seen = new Set(); // message ids already painted
  function paint(message) {
    if (!message || typeof message.message !== 'string' || seen.has(message.id)) return;
    seen.add(message.id);
    const stick = atBottom();
    const bubble = document.createElement('div');
    bubble.className = `talk-bubble round ${message.userId === userId ? 'yours' : 'theirs'}`;
    bubble.dataset.id = message.id;
    const text = document.createElement('p');
    text.className = 'talktext';
    text.textContent = message.message;
    bubble.append(text);
    messagesEl.append(bubble);
    if (stick) messagesEl.scrollTop = messagesEl.scrollHeight;
  }

  // ?since=0 on the first connection shows what the channel kept; EventSource's own
  // reconnections send Last-Event-ID, which the server prefers, so nothing is missed or repeated.
  let lastId = '0';
  let source = null;
  function connect() {
    source = new EventSource(`${receiveUrl}?since=${encodeURIComponent(lastId)}`);
    source.onopen = () => setStatus('connected', 'connected');
    source.onmessage = (event) => {
      if (event.lastEventId) lastId = event.lastEventId;
      try {
        paint(JSON.parse(event.data));
      } catch (err) {
        console.warn('unreadable event', event.data, err);
      }
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CONNECTING) {
        setStatus('reconnecting', 'reconnecting…');
        return;
      }
      // Closed for good (e.g. the server answered an error): try again later.
      setStatus('error', 'disconnected');
      source.close();
      setTimeout(connect, 5000);
    };
  }

  async function send() {
    const text = input.value;
    if (text.trim() === '') return;
    button.disabled = true;
    try {
      const res = await fetch(publishBase + userId, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
        body: text,
      });
      if (res.ok) {
        if (input.value === text) input.value = '';
        if (source && source.readyState === EventSource.OPEN) setStatus('connected', 'connected');
      } else {
        setStatus('error', `not sent (HTTP ${res.status})`);
      }
    } catch (err) {
      setStatus('error', 'not sent (network error)');
    } finally {
      button.disabled = false;
      input.focus();
    }
  }

  // Enter in the input submits the form, as does the button.
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send();
  });

  connect();
})();
