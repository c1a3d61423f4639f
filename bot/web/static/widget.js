/*
 * Frontens digitale assistent: the chat widget for a municipal website.
 *
 * Embed with one tag:
 *   <script src="https://…/widget.js" data-server="https://…rasa…" data-color="#00566f" defer></script>
 *
 * It talks to Rasa's REST channel, keeps the conversation in sessionStorage (it survives a
 * reload, not a closed tab), renders every text with textContent and only turns http(s)
 * URLs into links. Ratings go to the web app that served this script (POST /feedback);
 * the phone number in its own notices comes from there too (GET /widget/contact.json),
 * and so do its Danish labels, put into this file as it is served.
 * Everything lives in a shadow root, so the host page's CSS cannot break it.
 */
(() => {
  "use strict";

  const script = document.currentScript;
  if (!script || window.frontenChatLoaded) return;
  window.frontenChatLoaded = true;

  const DEFAULT_SERVER = "http://127.0.0.1:5005";
  const DEFAULT_COLOR = "#00566f";
  const TIMEOUT_MS = 15000;
  const CONTACT_TIMEOUT_MS = 5000;
  const MAX_LENGTH = 1000; // the REST channel's guard cuts longer messages anyway
  const MAX_HISTORY = 100;
  const MAX_BOT_TEXT = 5000;
  const MAX_BUTTONS = 20;
  const STORE_KEY = "fronten-chat-v1";

  // The widget's labels and notices (bot/web/templates/widget_texts.yml), put in by the
  // server; the assistant's answers come from the chat server.
  const TEXT = /* texts */ {};

  // Thumb icon (Material Icons, Apache 2.0); the "down" button turns it with CSS.
  const THUMB =
    "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 " +
    "1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c" +
    ".09-.23.14-.47.14-.73v-2z";

  const scriptUrl = new URL(script.src, document.baseURI);
  const server = httpBase(script.dataset.server) || DEFAULT_SERVER;
  const webhook = server + "/webhooks/rest/webhook";
  const feedbackUrl = new URL("feedback", scriptUrl).href;
  const contactUrl = new URL("widget/contact.json", scriptUrl).href;
  const color = readableColor(script.dataset.color) || DEFAULT_COLOR;

  /* ---------- helpers ---------- */

  function httpBase(value) {
    if (!value) return null;
    try {
      const url = new URL(value, document.baseURI);
      if (url.protocol !== "http:" && url.protocol !== "https:") return null;
      return url.href.replace(/\/+$/, "");
    } catch (_) {
      return null;
    }
  }

  // A custom colour is used only when white text on it is readable (WCAG 4.5:1).
  function readableColor(value) {
    if (!/^#[0-9a-f]{6}$/i.test(value || "")) return null;
    const channel = (i) => {
      const c = parseInt(value.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    };
    const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    return 1.05 / (luminance + 0.05) >= 4.5 ? value : null;
  }

  function randomId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function icon(className) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", className);
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", THUMB);
    svg.appendChild(path);
    return svg;
  }

  // Text with http(s) URLs as links; everything else stays text (never parsed as HTML).
  function linkify(target, text) {
    const pattern = /https?:\/\/[^\s<>"'«»]+/g;
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      let candidate = match[0].replace(/[.,;:!?)\]]+$/, "");
      let url = null;
      try {
        url = new URL(candidate);
      } catch (_) {
        url = null;
      }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) continue;
      target.appendChild(document.createTextNode(text.slice(last, match.index)));
      const link = el("a", { href: url.href, rel: "noopener noreferrer", target: "_blank" });
      link.textContent = candidate;
      link.appendChild(el("span", { class: "sr" }, " " + TEXT.newWindow));
      target.appendChild(link);
      last = match.index + candidate.length;
    }
    target.appendChild(document.createTextNode(text.slice(last)));
  }

  /* ---------- the contact point, from the knowledge base ---------- */

  // Resolves to {name, phone} or null: without it the notices simply name no number.
  async function loadContact() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), CONTACT_TIMEOUT_MS);
    try {
      const response = await fetch(contactUrl, { credentials: "omit", signal: controller.signal });
      if (!response.ok) return null;
      const data = await response.json();
      const usable = (v) => typeof v === "string" && v.trim() && v.length <= 100;
      return usable(data.name) && usable(data.phone) ? { name: data.name, phone: data.phone } : null;
    } catch (_) {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  const contactReady = loadContact();

  async function failureNotice(text) {
    const contact = await contactReady;
    const call = contact
      ? TEXT.call.replace("{name}", () => contact.name).replace("{phone}", () => contact.phone)
      : "";
    return text + call + ".";
  }

  /* ---------- state, kept in sessionStorage ---------- */

  function load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
      if (saved && typeof saved.sender === "string" && Array.isArray(saved.messages)) {
        return { sender: saved.sender, messages: saved.messages, open: !!saved.open };
      }
    } catch (_) {
      /* storage blocked or corrupt: start afresh */
    }
    return { sender: randomId(), messages: [], open: false };
  }

  function save() {
    state.messages = state.messages.slice(-MAX_HISTORY);
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (_) {
      /* storage full or blocked: the chat still works, it is just not kept */
    }
  }

  const state = load();
  let busy = false;

  /* ---------- the DOM ---------- */

  const host = el("aside", { class: "fronten-chat", "aria-label": TEXT.launcher });
  host.style.setProperty("--fw-color", color);
  const root = host.attachShadow({ mode: "open" });
  root.appendChild(el("link", { rel: "stylesheet", href: new URL("widget.css", scriptUrl).href }));

  const launcher = el("button", {
    type: "button",
    class: "launcher",
    "aria-expanded": "false",
    "aria-controls": "fw-panel",
  });
  launcher.appendChild(el("span", { class: "bubble", "aria-hidden": "true" }));
  launcher.appendChild(el("span", {}, TEXT.launcher));

  const panel = el("div", {
    id: "fw-panel",
    class: "panel",
    role: "dialog",
    "aria-labelledby": "fw-title",
    "aria-describedby": "fw-notice",
  });
  panel.hidden = true;

  const header = el("div", { class: "header" });
  header.appendChild(el("h2", { id: "fw-title" }, TEXT.title));
  const restartButton = el("button", { type: "button", class: "restart" }, TEXT.restart);
  const closeButton = el("button", { type: "button", class: "close", "aria-label": TEXT.close });
  closeButton.appendChild(el("span", { "aria-hidden": "true" }, "×"));
  header.append(restartButton, closeButton);

  const notice = el("p", { id: "fw-notice", class: "notice" }, TEXT.notice);
  const log = el("ol", { class: "log", "aria-label": TEXT.log, tabindex: "0" });
  const intro = el("li", { class: "intro" }, TEXT.intro);
  const typing = el("li", { class: "msg bot typing" });
  typing.appendChild(el("span", { class: "sr" }, TEXT.typing));
  const dots = el("span", { class: "dots", "aria-hidden": "true" });
  dots.append(el("span"), el("span"), el("span"));
  typing.appendChild(dots);

  const form = el("form", { class: "form", novalidate: "" });
  form.appendChild(el("label", { for: "fw-input", class: "label" }, TEXT.label));
  const row = el("div", { class: "row" });
  const input = el("textarea", {
    id: "fw-input",
    rows: "2",
    maxlength: String(MAX_LENGTH),
    dir: "auto",
    autocomplete: "off",
  });
  const sendButton = el("button", { type: "submit", class: "send" }, TEXT.send);
  row.append(input, sendButton);
  form.appendChild(row);

  // Announcements for screen readers: each new message once, nothing else.
  const live = el("div", { class: "sr", "aria-live": "polite", "aria-atomic": "false" });

  panel.append(header, notice, log, form);
  root.append(launcher, panel, live);

  /* ---------- rendering ---------- */

  function renderAll() {
    log.replaceChildren(intro);
    for (const message of state.messages) log.appendChild(renderMessage(message));
    scrollDown();
  }

  function renderMessage(message) {
    const item = el("li", { class: "msg " + message.from });
    item.dataset.id = message.id;
    item.appendChild(el("span", { class: "sr" }, message.from === "user" ? TEXT.you : TEXT.bot));
    const body = el("p", { class: "text", dir: "auto" });
    if (message.from === "bot") linkify(body, message.text);
    else body.textContent = message.text;
    item.appendChild(body);
    if (message.from === "bot" && message.buttons && message.buttons.length) {
      const group = el("div", { class: "choices", role: "group", "aria-label": TEXT.choices });
      for (const choice of message.buttons) {
        const button = el("button", { type: "button", class: "choice" }, choice.title);
        button.addEventListener("click", () => {
          send(choice.title, choice.payload);
          input.focus();
        });
        group.appendChild(button);
      }
      item.appendChild(group);
    }
    if (message.from === "bot") item.appendChild(renderRating(message));
    return item;
  }

  function renderRating(message) {
    const group = el("div", { class: "rate", role: "group", "aria-label": TEXT.rate });
    for (const [value, label] of [["up", TEXT.up], ["down", TEXT.down]]) {
      const button = el("button", {
        type: "button",
        class: "thumb " + value,
        "aria-pressed": String(message.rating === value),
        title: label,
      });
      button.appendChild(icon("icon"));
      button.appendChild(el("span", { class: "sr" }, label));
      button.addEventListener("click", () => rate(message, value, group));
      group.appendChild(button);
    }
    const thanks = el("span", { class: "thanks" }, message.rating ? TEXT.thanks : "");
    group.appendChild(thanks);
    return group;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  let announceTimer = 0;
  function announce(text) {
    // Emptied first, so the same words said twice are announced twice.
    live.textContent = "";
    clearTimeout(announceTimer);
    announceTimer = setTimeout(() => {
      live.textContent = text;
    }, 100);
  }

  function add(message) {
    state.messages.push(message);
    save();
    log.insertBefore(renderMessage(message), typing.parentNode === log ? typing : null);
    scrollDown();
  }

  function dropOldChoices() {
    for (const message of state.messages) delete message.buttons;
    for (const group of log.querySelectorAll(".choices")) group.remove();
  }

  /* ---------- talking to the server ---------- */

  function cleanReplies(replies) {
    if (!Array.isArray(replies)) throw new Error("not a list");
    const messages = [];
    for (const reply of replies) {
      if (!reply || typeof reply !== "object") continue;
      const text = typeof reply.text === "string" ? reply.text.slice(0, MAX_BOT_TEXT) : "";
      const buttons = (Array.isArray(reply.buttons) ? reply.buttons : [])
        .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
        .slice(0, MAX_BUTTONS)
        .map((b) => ({ title: b.title.slice(0, 200), payload: b.payload.slice(0, 1000) }));
      if (text.trim() || buttons.length) messages.push({ text, buttons });
    }
    return messages;
  }

  async function ask(message) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      const response = await fetch(webhook, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: state.sender, message }),
        credentials: "omit",
        signal: controller.signal,
      });
      if (!response.ok) throw new Error("HTTP " + response.status);
      return cleanReplies(await response.json());
    } finally {
      clearTimeout(timer);
    }
  }

  async function send(shown, payload) {
    const text = shown.trim() ? shown.slice(0, MAX_LENGTH) : "";
    // One question at a time: a double click or a second Enter sends nothing more.
    if (busy || !text.trim()) return;
    busy = true;
    form.setAttribute("aria-busy", "true");
    dropOldChoices();
    add({ id: randomId(), from: "user", text });
    log.appendChild(typing);
    scrollDown();
    let replies;
    try {
      replies = await ask(payload || text);
    } catch (_) {
      replies = null;
    }
    typing.remove();
    if (replies === null || replies.length === 0) {
      const message = await failureNotice(replies === null ? TEXT.error : TEXT.empty);
      add({ id: randomId(), from: "notice", text: message });
      announce(message);
    } else {
      for (const reply of replies) {
        add({ id: randomId(), from: "bot", text: reply.text, buttons: reply.buttons, question: text });
      }
      announce(
        replies
          .map((r) => [TEXT.bot, r.text, r.buttons.length ? TEXT.choices + ":" : "",
            r.buttons.map((b) => b.title).join(", ")].join(" "))
          .join(" ")
      );
    }
    busy = false;
    form.removeAttribute("aria-busy");
  }

  async function rate(message, value, group) {
    message.rating = value;
    save();
    for (const button of group.querySelectorAll(".thumb")) {
      button.setAttribute("aria-pressed", String(button.classList.contains(value)));
    }
    const thanks = group.querySelector(".thanks");
    let ok = false;
    try {
      const response = await fetch(feedbackUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          sender: state.sender,
          message_id: message.id,
          rating: value,
          question: (message.question || "").slice(0, MAX_LENGTH),
          message: message.text,
        }),
        credentials: "omit",
      });
      ok = response.ok;
    } catch (_) {
      ok = false;
    }
    thanks.textContent = ok ? TEXT.thanks : TEXT.rateFailed;
    announce(thanks.textContent);
  }

  /* ---------- opening, closing, starting over ---------- */

  function open(focus) {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    state.open = true;
    save();
    scrollDown();
    if (focus) input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    save();
    launcher.focus();
  }

  function restart() {
    state.sender = randomId();
    state.messages = [];
    save();
    renderAll();
    input.value = "";
    input.focus();
    announce(TEXT.restarted);
  }

  launcher.addEventListener("click", () => open(true));
  closeButton.addEventListener("click", close);
  restartButton.addEventListener("click", restart);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (busy || !text.trim()) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter makes a new line; not while an input method is composing.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  renderAll();
  document.body.appendChild(host);
  if (state.open) open(false);
})();
