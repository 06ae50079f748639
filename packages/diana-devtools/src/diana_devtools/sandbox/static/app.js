// The sandbox chat page. Plain JavaScript, no build step, no dependencies.
//
// It follows one chat through the sandbox's long poll (/api/chat?after=SEQ): every
// answer is a snapshot of the chat, applied to the DOM in place. The bot's text is
// never parsed as HTML: messages are built from their Telegram entities with
// createElement and text nodes only.
//
// For tests: window.__sandboxSeq counts applied snapshots, and
// window.__sandbox.until(predicate, timeoutMs) resolves with the first truthy value
// of predicate(), re-checked on every change of the page (no polling).
"use strict";

(() => {
  const byId = (id) => {
    const element = document.getElementById(id);
    if (element === null) {
      throw new Error(`missing #${id}`);
    }
    return element;
  };

  const ui = {
    chat: byId("chat"),
    empty: byId("empty"),
    messages: byId("messages"),
    botName: byId("bot-name"),
    status: byId("bot-status"),
    guest: byId("as-guest"),
    restart: byId("restart"),
    composer: byId("composer"),
    text: byId("text"),
    commands: byId("commands"),
    forwardToggle: byId("forward-toggle"),
    forwardPanel: byId("forward-panel"),
    forwardForm: byId("forward-form"),
    forwardId: byId("forward-id"),
    forwardTitle: byId("forward-title"),
    forwardAdmin: byId("forward-admin"),
    forwardCancel: byId("forward-cancel"),
    toasts: byId("toasts"),
    alert: byId("alert"),
    alertText: byId("alert-text"),
    alertOk: byId("alert-ok"),
    footerUser: byId("footer-user"),
    footerDb: byId("footer-db"),
    footerRestarts: byId("footer-restarts"),
  };

  const ADMIN_ID = 1;
  const GUEST_ID = 2;
  const POLL_SECONDS = 25;

  const state = {
    userId: ADMIN_ID,
    after: -1,
    generation: 0,
    controller: new AbortController(),
    nodes: new Map(),
    commandsKey: "",
    restarting: false,
  };

  // ------------------------------------------------------------------ test hooks

  const waiters = new Set();

  function checkWaiters() {
    for (const waiter of Array.from(waiters)) {
      let value;
      try {
        value = waiter.predicate();
      } catch (error) {
        waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.reject(error);
        continue;
      }
      if (value) {
        waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(value);
      }
    }
  }

  window.__sandboxSeq = 0;
  window.__sandbox = {
    until(predicate, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve, reject, timer: 0 };
        waiter.timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${predicate}`));
        }, timeoutMs);
        waiters.add(waiter);
        checkWaiters();
      });
    },
    get worldSeq() {
      return state.after;
    },
    get userId() {
      return state.userId;
    },
  };

  new MutationObserver(checkWaiters).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    characterData: true,
  });

  // ------------------------------------------------------------------ server calls

  async function call(method, path, body, signal) {
    const init = { method, headers: { Accept: "application/json" }, cache: "no-store" };
    if (signal !== undefined) {
      init.signal = signal;
    }
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let payload = null;
    try {
      payload = await response.json();
    } catch (_error) {
      payload = null;
    }
    if (payload === null || payload.ok !== true) {
      const reason = payload !== null && typeof payload.error === "string" ? payload.error : "";
      throw new Error(reason || `HTTP ${response.status}`);
    }
    return payload.result;
  }

  function pause(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async function follow(generation, controller) {
    let failures = 0;
    while (generation === state.generation) {
      const params = new URLSearchParams({
        user_id: String(state.userId),
        after: String(state.after),
        timeout: state.after < 0 ? "0" : String(POLL_SECONDS),
      });
      let snapshot;
      try {
        snapshot = await call("GET", `/api/chat?${params}`, undefined, controller.signal);
      } catch (error) {
        if (generation !== state.generation || controller.signal.aborted) {
          return;
        }
        failures += 1;
        showStatus("offline", `offline, retrying… (${error.message})`);
        // A back-off before retrying a lost connection.
        await pause(Math.min(1000 * failures, 5000));
        continue;
      }
      if (generation !== state.generation) {
        return;
      }
      failures = 0;
      // Outside the try: a bug in rendering must surface, not pass for a lost connection.
      apply(snapshot);
    }
  }

  function switchUser(userId) {
    state.generation += 1;
    state.controller.abort();
    state.controller = new AbortController();
    state.userId = userId;
    state.after = -1;
    state.nodes.clear();
    ui.messages.replaceChildren();
    ui.empty.hidden = false;
    follow(state.generation, state.controller);
  }

  // ------------------------------------------------------------------ snapshots

  function apply(snapshot) {
    state.after = snapshot.seq;
    renderHeader(snapshot);
    renderCommands(snapshot.commands);
    renderMessages(snapshot);
    for (const answer of snapshot.answers) {
      showAnswer(answer);
    }
    window.__sandboxSeq += 1;
    document.body.dataset.seq = String(window.__sandboxSeq);
    checkWaiters();
  }

  const STATUS_TEXT = {
    running: "bot · online",
    starting: "starting…",
    restarting: "restarting…",
    stopped: "stopped",
    crashed: "crashed",
  };

  function showStatus(status, text) {
    ui.status.dataset.status = status;
    ui.status.textContent = text;
  }

  function renderHeader(snapshot) {
    const bot = snapshot.bot;
    ui.botName.textContent = bot.name;
    let text = STATUS_TEXT[bot.status] || bot.status;
    if (bot.status === "crashed" && bot.error) {
      text = `crashed: ${bot.error}`;
    }
    showStatus(bot.status, text);
    ui.status.dataset.restarts = String(bot.restarts);
    ui.restart.disabled = state.restarting || bot.status === "restarting" || bot.status === "starting";
    ui.guest.checked = !snapshot.user.admin;
    const role = snapshot.user.admin ? "admin" : "not an admin";
    ui.footerUser.textContent = `You are ${snapshot.user.name} (user ${snapshot.user.id}, ${role})`;
    ui.footerDb.textContent = snapshot.database;
    ui.footerRestarts.textContent = String(bot.restarts);
  }

  function renderCommands(commands) {
    const key = JSON.stringify(commands);
    if (key === state.commandsKey) {
      return;
    }
    state.commandsKey = key;
    const chips = commands.map((command) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.textContent = `/${command.command}`;
      chip.title = command.description;
      chip.addEventListener("click", () => sendText(`/${command.command}`));
      return chip;
    });
    ui.commands.replaceChildren(...chips);
  }

  function nearBottom() {
    const chat = ui.chat;
    return chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
  }

  function renderMessages(snapshot) {
    const stick = nearBottom();
    const pendingMessages = new Set(snapshot.pending_messages);
    const pendingPresses = new Set(
      snapshot.pending_presses.map((press) => `${press.message_id}\n${press.callback_data}`),
    );
    const seen = new Set();
    let previous = null;
    let changed = false;
    for (const message of snapshot.messages) {
      seen.add(message.id);
      let entry = state.nodes.get(message.id);
      if (entry === undefined) {
        entry = { element: document.createElement("div"), version: -1 };
        state.nodes.set(message.id, entry);
      }
      if (entry.version !== message.version) {
        const edited = entry.version >= 0;
        fillMessage(entry.element, message);
        entry.version = message.version;
        entry.element.classList.toggle("flash", edited);
        changed = true;
      }
      markPending(entry.element, message, pendingMessages, pendingPresses);
      const expected = previous === null ? ui.messages.firstElementChild : previous.nextElementSibling;
      if (expected !== entry.element) {
        ui.messages.insertBefore(entry.element, expected);
      }
      previous = entry.element;
    }
    for (const [id, entry] of Array.from(state.nodes)) {
      if (!seen.has(id)) {
        entry.element.remove();
        state.nodes.delete(id);
        changed = true;
      }
    }
    ui.empty.hidden = snapshot.messages.length > 0;
    if (changed && stick) {
      ui.chat.scrollTop = ui.chat.scrollHeight;
    }
  }

  function clock(unixSeconds) {
    const date = new Date(unixSeconds * 1000);
    const hh = String(date.getHours()).padStart(2, "0");
    const mm = String(date.getMinutes()).padStart(2, "0");
    return `${hh}:${mm}`;
  }

  function fillMessage(element, message) {
    element.className = `msg ${message.from_bot ? "bot" : "user"}`;
    element.dataset.id = String(message.id);
    element.dataset.version = String(message.version);
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (message.forwarded_from) {
      const forwarded = document.createElement("div");
      forwarded.className = "forwarded";
      forwarded.textContent = `Forwarded from ${message.forwarded_from}`;
      bubble.append(forwarded);
    }
    const text = document.createElement("div");
    text.className = "text";
    text.append(renderEntities(message.text, message.entities));
    bubble.append(text);
    const meta = document.createElement("span");
    meta.className = "meta";
    if (message.edited) {
      const edited = document.createElement("span");
      edited.className = "edited";
      edited.textContent = "edited";
      meta.append(edited);
    }
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = clock(message.date);
    meta.append(time);
    if (!message.from_bot) {
      const ticks = document.createElement("span");
      ticks.className = "ticks";
      meta.append(ticks);
    }
    bubble.append(meta);
    element.replaceChildren(bubble);
    if (message.buttons.length > 0) {
      element.append(renderKeyboard(message));
    }
  }

  function markPending(element, message, pendingMessages, pendingPresses) {
    const ticks = element.querySelector(".ticks");
    if (ticks !== null) {
      const waiting = pendingMessages.has(message.id);
      ticks.textContent = waiting ? "✓" : "✓✓";
      ticks.title = waiting ? "waiting for the bot" : "taken by the bot";
      element.classList.toggle("pending", waiting);
    }
    for (const button of element.querySelectorAll("button.kb-button")) {
      const key = `${message.id}\n${button.dataset.callback}`;
      button.classList.toggle("loading", pendingPresses.has(key));
    }
  }

  // ------------------------------------------------------------------ entities → DOM

  const ENTITY_TAGS = {
    bold: "b",
    italic: "i",
    underline: "u",
    strikethrough: "s",
    code: "code",
    pre: "pre",
    spoiler: "span",
    blockquote: "blockquote",
    expandable_blockquote: "blockquote",
    text_link: "a",
    url: "a",
    email: "a",
    text_mention: "span",
    mention: "span",
    hashtag: "span",
    cashtag: "span",
    bot_command: "span",
    phone_number: "span",
    custom_emoji: "span",
  };

  function safeUrl(raw) {
    try {
      const url = new URL(raw);
      if (url.protocol === "http:" || url.protocol === "https:" || url.protocol === "mailto:") {
        return url.href;
      }
    } catch (_error) {
      return null;
    }
    return null;
  }

  function entityElement(entity, covered) {
    const tag = ENTITY_TAGS[entity.type] || "span";
    const element = document.createElement(tag);
    element.className = `e-${entity.type.replace(/[^a-z_]/g, "")}`;
    if (tag === "a") {
      let target = null;
      if (entity.type === "text_link") {
        target = safeUrl(String(entity.url || ""));
      } else if (entity.type === "url") {
        target = safeUrl(/^[a-z][a-z0-9+.-]*:/i.test(covered) ? covered : `http://${covered}`);
      } else if (entity.type === "email") {
        target = safeUrl(`mailto:${covered}`);
      }
      if (target !== null) {
        element.href = target;
        element.target = "_blank";
        element.rel = "noopener noreferrer";
        element.title = target;
      }
    }
    if (entity.type === "pre" && typeof entity.language === "string" && entity.language) {
      element.dataset.language = entity.language;
    }
    if (entity.type === "text_mention" && entity.user && typeof entity.user.id === "number") {
      element.title = `user ${entity.user.id}`;
    }
    if (entity.type === "spoiler" || entity.type === "expandable_blockquote") {
      element.addEventListener("click", () => element.classList.toggle("open"));
    }
    return element;
  }

  // Offsets and lengths are UTF-16 code units: JavaScript string indexes.
  function buildRange(parent, text, start, end, entities) {
    let position = start;
    let index = 0;
    while (index < entities.length) {
      const entity = entities[index];
      const from = Math.max(entity.offset, position);
      const to = Math.min(entity.offset + entity.length, end);
      if (to <= from) {
        index += 1;
        continue;
      }
      if (from > position) {
        parent.append(text.slice(position, from));
      }
      let next = index + 1;
      while (next < entities.length && entities[next].offset < to) {
        next += 1;
      }
      const element = entityElement(entity, text.slice(from, to));
      buildRange(element, text, from, to, entities.slice(index + 1, next));
      parent.append(element);
      position = to;
      index = next;
    }
    if (position < end) {
      parent.append(text.slice(position, end));
    }
  }

  function renderEntities(text, entities) {
    const fragment = document.createDocumentFragment();
    const valid = (Array.isArray(entities) ? entities : [])
      .filter(
        (e) =>
          e !== null &&
          typeof e === "object" &&
          typeof e.type === "string" &&
          Number.isInteger(e.offset) &&
          Number.isInteger(e.length) &&
          e.offset >= 0 &&
          e.length > 0,
      )
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    buildRange(fragment, text, 0, text.length, valid);
    return fragment;
  }

  // ------------------------------------------------------------------ keyboards

  function renderKeyboard(message) {
    const keyboard = document.createElement("div");
    keyboard.className = "keyboard";
    for (const row of message.buttons) {
      const line = document.createElement("div");
      line.className = "kb-row";
      for (const button of row) {
        line.append(renderButton(message.id, button));
      }
      keyboard.append(line);
    }
    return keyboard;
  }

  function renderButton(messageId, button) {
    if (typeof button.url === "string") {
      const target = safeUrl(button.url);
      const link = document.createElement(target === null ? "span" : "a");
      link.className = "kb-button url";
      link.textContent = button.text;
      if (target !== null) {
        link.href = target;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        link.title = target;
      }
      return link;
    }
    const element = document.createElement("button");
    element.type = "button";
    element.className = "kb-button";
    element.textContent = button.text;
    if (typeof button.callback_data === "string") {
      element.dataset.callback = button.callback_data;
      element.addEventListener("click", () => press(messageId, button.callback_data, element));
    } else {
      element.disabled = true;
      element.title = "not supported in the sandbox";
    }
    return element;
  }

  // ------------------------------------------------------------------ actions

  async function press(messageId, data, element) {
    element.classList.add("loading");
    try {
      await call("POST", "/api/press", {
        user_id: state.userId,
        message_id: messageId,
        callback_data: data,
      });
    } catch (error) {
      element.classList.remove("loading");
      toast(error.message, "error");
    }
  }

  async function sendText(text) {
    try {
      await call("POST", "/api/send", { user_id: state.userId, text });
      return true;
    } catch (error) {
      toast(error.message, "error");
      return false;
    }
  }

  ui.composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = ui.text.value;
    if (!text.trim()) {
      return;
    }
    ui.text.value = "";
    if (!(await sendText(text))) {
      ui.text.value = text;
    }
    ui.text.focus();
  });

  ui.forwardToggle.addEventListener("click", () => {
    ui.forwardPanel.hidden = !ui.forwardPanel.hidden;
    if (!ui.forwardPanel.hidden) {
      ui.forwardTitle.focus();
    }
  });

  ui.forwardCancel.addEventListener("click", () => {
    ui.forwardPanel.hidden = true;
  });

  ui.forwardForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const rawId = ui.forwardId.value.trim();
    const title = ui.forwardTitle.value.trim();
    if (!/^-\d{1,19}$/.test(rawId)) {
      toast("A channel id is negative, e.g. -1001234567890", "error");
      return;
    }
    if (!title) {
      toast("Give the channel a title", "error");
      return;
    }
    try {
      await call("POST", "/api/forward", {
        user_id: state.userId,
        channel_id: Number(rawId),
        title,
        bot_is_admin: ui.forwardAdmin.checked,
      });
      ui.forwardPanel.hidden = true;
    } catch (error) {
      toast(error.message, "error");
    }
  });

  ui.guest.addEventListener("change", () => {
    switchUser(ui.guest.checked ? GUEST_ID : ADMIN_ID);
  });

  ui.restart.addEventListener("click", async () => {
    state.restarting = true;
    ui.restart.disabled = true;
    showStatus("restarting", STATUS_TEXT.restarting);
    try {
      const result = await call("POST", "/api/restart", {});
      toast(`Bot restarted (${result.restarts})`, "info");
    } catch (error) {
      toast(error.message, "error");
    } finally {
      state.restarting = false;
      ui.restart.disabled = false;
    }
  });

  // ------------------------------------------------------------------ toasts and alerts

  function toast(text, kind = "answer") {
    const element = document.createElement("div");
    element.className = `toast ${kind}`;
    element.textContent = text;
    ui.toasts.append(element);
    setTimeout(() => element.remove(), 3500);
  }

  function showAnswer(answer) {
    if (typeof answer.text !== "string" || !answer.text) {
      return;
    }
    if (answer.show_alert) {
      ui.alertText.textContent = answer.text;
      ui.alert.hidden = false;
      ui.alertOk.focus();
    } else {
      toast(answer.text, "answer");
    }
  }

  ui.alertOk.addEventListener("click", () => {
    ui.alert.hidden = true;
    ui.text.focus();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !ui.alert.hidden) {
      ui.alert.hidden = true;
    }
  });

  follow(state.generation, state.controller);
})();
