// Hub web chat page, served by Parley at /c/<room>.
//
// Plain browser JS, no build step. Needs the global `Phoenix` from
// /assets/phoenix.min.js. The server embeds the room name and the stored
// history as JSON in <script id="parley-data">.
//
// Protocol (Hub's room channel): topic "room:<room>", join payload {username};
// "shout" {name, body, channel} is broadcast to everyone including the sender,
// so our own messages are rendered when they come back, never on send;
// "user:typing" {username, typing} updates our presence meta; the online list
// and the typing indicator come from Phoenix.Presence.
(function () {
  "use strict";

  var TYPING_IDLE_MS = 2000;
  var NAME_KEY = "hub.username";

  var $ = function (id) { return document.getElementById(id); };
  var els = {
    room: $("room"),
    status: $("status"),
    messages: $("messages"),
    typing: $("typing"),
    joinForm: $("join-form"),
    username: $("username"),
    join: $("join"),
    messageForm: $("message-form"),
    input: $("message-input"),
    send: $("send"),
    online: $("online"),
    onlineCount: $("online-count"),
  };

  // ---- page data -----------------------------------------------------------

  function readData() {
    var fallbackRoom = decodeURIComponent((location.pathname.match(/^\/c\/([^/]+)/) || [])[1] || "lobby");
    var data = null;
    try {
      data = JSON.parse($("parley-data").textContent);
    } catch (e) {
      // Placeholder not substituted (page opened outside the server): carry on empty.
    }
    if (!data || typeof data !== "object") data = {};
    return {
      room: typeof data.room === "string" && data.room ? data.room : fallbackRoom,
      history: Array.isArray(data.history) ? data.history : [],
    };
  }

  var data = readData();
  var room = data.room;
  var me = null;        // our username once joined
  var socket = null;
  var channel = null;

  els.room.textContent = "#" + room;
  document.title = "#" + room + " · Hub chat";

  // ---- small helpers -------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode etc. */ }
  }

  function setStatus(state, text) {
    els.status.dataset.state = state;
    els.status.textContent = text;
  }

  function formatTime(ms) {
    var d = new Date(ms);
    if (isNaN(d.getTime())) return "";
    var now = new Date();
    var opts = { hour: "2-digit", minute: "2-digit" };
    if (d.toDateString() !== now.toDateString()) {
      opts.month = "short";
      opts.day = "numeric";
    }
    return d.toLocaleString([], opts);
  }

  // ---- messages ------------------------------------------------------------

  function nearBottom() {
    var m = els.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 60;
  }

  function scrollToBottom() {
    els.messages.scrollTop = els.messages.scrollHeight;
  }

  function renderMessage(msg, opts) {
    opts = opts || {};
    var name = msg && msg.name != null ? String(msg.name) : "";
    var body = msg && msg.body != null ? String(msg.body) : "";
    var stick = opts.forceScroll || nearBottom();

    var li = el("li", "message");
    if (opts.history) li.classList.add("from-history");
    if (me !== null && name === me) li.classList.add("mine");

    var meta = el("div", "meta");
    meta.appendChild(el("span", "name", name));
    var timeMs = typeof msg.time_ms === "number" ? msg.time_ms : Date.now();
    var time = el("time", "time", formatTime(timeMs));
    time.dateTime = new Date(timeMs).toISOString();
    meta.appendChild(time);

    li.appendChild(meta);
    li.appendChild(el("div", "body", body));
    var notice = els.messages.querySelector(".notice.empty");
    if (notice) notice.remove();
    els.messages.appendChild(li);
    if (stick) scrollToBottom();
  }

  function renderNotice(text, extraClass) {
    var stick = nearBottom();
    els.messages.appendChild(el("li", "notice" + (extraClass ? " " + extraClass : ""), text));
    if (stick) scrollToBottom();
  }

  data.history.forEach(function (m) { renderMessage(m, { history: true }); });
  if (data.history.length === 0) {
    renderNotice("No messages yet in #" + room + ". Say hello!", "empty");
  }
  scrollToBottom();

  // ---- presence: online list + typing indicator ----------------------------

  function renderPresence(presence) {
    var users = presence.list(function (name, entry) {
      var metas = (entry && entry.metas) || [];
      return {
        name: name,
        typing: metas.some(function (m) { return m && m.typing === true; }),
      };
    });
    users.sort(function (a, b) {
      return a.name.localeCompare(b.name, undefined, { sensitivity: "base" });
    });

    els.online.textContent = "";
    users.forEach(function (u) {
      var li = el("li", "user");
      li.dataset.user = u.name;
      li.appendChild(el("span", "user-name", u.name));
      if (u.name === me) {
        li.classList.add("me");
        li.appendChild(el("span", "you", "you"));
      }
      if (u.typing && u.name !== me) li.classList.add("is-typing");
      els.online.appendChild(li);
    });
    els.onlineCount.textContent = users.length ? "(" + users.length + ")" : "";

    var typers = users
      .filter(function (u) { return u.typing && u.name !== me; })
      .map(function (u) { return u.name; });
    var text = "";
    if (typers.length === 1) text = typers[0] + " is typing…";
    else if (typers.length === 2) text = typers[0] + " and " + typers[1] + " are typing…";
    else if (typers.length > 2) text = typers.length + " people are typing…";
    els.typing.textContent = text;
  }

  // ---- typing notifications ------------------------------------------------

  var typing = false;
  var typingTimer = null;

  function pushTyping(value) {
    if (!channel || !me) return;
    typing = value;
    channel.push("user:typing", { username: me, typing: value });
  }

  function stopTyping() {
    if (typingTimer) { clearTimeout(typingTimer); typingTimer = null; }
    if (typing) pushTyping(false);
  }

  function onKeystroke() {
    if (!me) return;
    if (els.input.value === "") { stopTyping(); return; }
    if (!typing) pushTyping(true);
    if (typingTimer) clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingTimer = null; stopTyping(); }, TYPING_IDLE_MS);
  }

  // ---- connection ----------------------------------------------------------

  function connect(username) {
    me = username;
    setStatus("connecting", "connecting…");

    socket = new Phoenix.Socket("/socket", { params: {} });
    socket.onOpen(function () {
      // The channel (re)join reply flips the status to "connected".
      if (channel && channel.state !== "joined") setStatus("connecting", "joining…");
    });
    socket.onError(function () { setStatus("reconnecting", "reconnecting…"); });
    socket.onClose(function () { setStatus("reconnecting", "reconnecting…"); });
    socket.connect();

    channel = socket.channel("room:" + room, { username: username });

    var presence = new Phoenix.Presence(channel);
    presence.onSync(function () { renderPresence(presence); });

    channel.on("shout", function (payload) {
      renderMessage(payload || {}, { forceScroll: payload && payload.name === me });
    });

    channel.onError(function () {
      typing = false;
      setStatus("reconnecting", "reconnecting…");
    });

    channel.join()
      .receive("ok", function () {
        typing = false;
        setStatus("connected", "connected");
      })
      .receive("error", function (resp) {
        var reason = resp && resp.reason ? String(resp.reason) : "unknown error";
        setStatus("error", "could not join: " + reason);
      })
      .receive("timeout", function () { setStatus("reconnecting", "reconnecting…"); });
  }

  // ---- forms ---------------------------------------------------------------

  var savedName = storageGet(NAME_KEY);
  if (savedName) els.username.value = savedName;

  els.joinForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (me) return;
    var name = els.username.value.trim();
    if (!name) { els.username.focus(); return; }
    storageSet(NAME_KEY, name);

    els.joinForm.hidden = true;
    els.messageForm.hidden = false;
    document.body.classList.add("joined");
    els.input.focus();
    connect(name);
  });

  els.input.addEventListener("input", onKeystroke);

  els.messageForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!channel) return;
    var body = els.input.value.trim();
    if (!body) return;
    // Rendered when the broadcast comes back (the server echoes to the sender).
    channel.push("shout", { name: me, body: body, channel: room });
    els.input.value = "";
    stopTyping();
    els.input.focus();
  });

  window.addEventListener("beforeunload", function () {
    if (socket) socket.disconnect();
  });
})();
