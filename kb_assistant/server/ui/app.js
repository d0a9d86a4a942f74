// The kb-assistant chat page. It talks to the same HTTP API as any other client (/health, /v1/kbs,
// /v1/chat/completions) and sends the API key the user typed in; it has no other way in.
"use strict";

const $ = (id) => document.getElementById(id);
const NEW_KB = "__new__";
const PLAIN_CHAT = "";
const KB_NAME = /^[A-Za-z0-9_-]{1,63}$/;
const KEY_STORE = "kb-assistant.api-key";
const KB_STORE = "kb-assistant.kb";

const state = {
  kb: null,
  kbs: [],
  history: [], // [question, answer] pairs of this conversation, sent with each follow-up
  controller: null,
  ready: false,
  messageCount: 0,
};

// --- small helpers -----------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function apiKey() {
  return localStorage.getItem(KEY_STORE) || "";
}

function authHeaders(extra = {}) {
  const key = apiKey();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

function pathOf(source) {
  return source.split("/").map(encodeURIComponent).join("/");
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// A sentence a user can act on, for each way a call can fail.
function explain(status, detail) {
  if (status === 0) return "Cannot reach the server: is `python -m kb_assistant serve` still running?";
  if (status === 401) return "This server needs an API key: click “API key” at the top right and enter it.";
  if (status === 429) return "The server is busy answering other questions; try again in a few seconds.";
  if (status === 503 && !/failed/.test(detail)) return "The models are still loading; try again when the status at the top says ready.";
  return detail || `request failed (HTTP ${status})`;
}

async function errorOf(response) {
  let detail = "";
  try {
    const body = await response.json();
    detail = body.detail || (body.error && body.error.message) || "";
    if (typeof detail !== "string") detail = JSON.stringify(detail);
  } catch (_) {
    detail = response.statusText;
  }
  return new ApiError(response.status, explain(response.status, detail));
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: authHeaders(options.headers || {}) });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, explain(0));
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

function showNotice(text, kind = "error") {
  $("notice-text").textContent = text;
  $("notice").className = kind;
  $("notice").hidden = false;
  $("notice").dataset.kind = kind;
}

function clearNotice(kind) {
  if (!kind || $("notice").dataset.kind === kind) $("notice").hidden = true;
}

function report(error) {
  if (error.name === "AbortError") return;
  showNotice(error.message);
  if (error.status === 401) openKeyForm();
}

// --- server status -----------------------------------------------------------------------------

async function pollHealth() {
  const pill = $("status");
  try {
    const health = await (await fetch("/health")).json();
    pill.className = `pill ${health.status}`;
    if (health.status === "ready") {
      pill.textContent = `ready · ${health.queue.active}/${health.queue.limit} busy`;
      pill.title = `chat model: ${health.llm}\nembeddings: ${health.embeddings}`;
      if (!state.ready) {
        state.ready = true;
        clearNotice("info");
      }
    } else if (health.status === "loading") {
      pill.textContent = "loading models…";
      showNotice("The models are still loading; you can browse documents, and ask once the status says ready.", "info");
    } else {
      pill.textContent = "error";
      showNotice(`The models failed to load: ${health.error}`);
    }
  } catch (_) {
    pill.className = "pill error";
    pill.textContent = "offline";
    state.ready = false;
  }
  setTimeout(pollHealth, state.ready ? 15000 : 2000);
}

// --- API key -----------------------------------------------------------------------------------

function openKeyForm() {
  $("key-form").hidden = false;
  $("key-input").focus();
}

function bindKeyForm() {
  $("key-button").addEventListener("click", () => {
    $("key-form").hidden = !$("key-form").hidden;
    if (!$("key-form").hidden) $("key-input").focus();
  });
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(KEY_STORE, $("key-input").value.trim());
    $("key-input").value = "";
    $("key-form").hidden = true;
    clearNotice();
    loadKbs();
  });
  $("key-forget").addEventListener("click", () => {
    localStorage.removeItem(KEY_STORE);
    $("key-form").hidden = true;
  });
}

// --- knowledge bases, stats and documents --------------------------------------------------------

async function loadKbs(select) {
  try {
    state.kbs = (await (await api("/v1/kbs")).json()).data;
  } catch (error) {
    report(error);
    state.kbs = [];
  }
  const names = state.kbs.map((kb) => kb.name);
  const wanted = [select, state.kb, localStorage.getItem(KB_STORE), "default", names[0]].find(
    (name) => name !== null && name !== undefined && (names.includes(name) || name === PLAIN_CHAT),
  );
  const menu = $("kb-select");
  menu.replaceChildren(
    ...state.kbs.map((kb) => el("option", { value: kb.name }, `${kb.name} (${kb.files === 1 ? "1 file" : `${kb.files} files`})`)),
    el("option", { value: PLAIN_CHAT }, "No knowledge base: plain chat"),
    el("option", { value: NEW_KB }, "+ New knowledge base…"),
  );
  menu.value = wanted === undefined ? NEW_KB : wanted;
  await selectKb(menu.value);
}

async function selectKb(name) {
  state.kb = name;
  const creating = name === NEW_KB;
  $("new-kb").hidden = !creating;
  $("new-kb-label").hidden = !creating;
  if (name !== NEW_KB) localStorage.setItem(KB_STORE, name);
  renderStats();
  await loadDocuments();
}

function renderStats() {
  const info = state.kbs.find((kb) => kb.name === state.kb);
  const rows = info
    ? [
        ["files", String(info.files)],
        ["chunks", String(info.chunks)],
        ["embeddings", info.embedding_model || "?"],
        ["updated", info.updated_at ? new Date(info.updated_at).toLocaleString() : "never"],
      ]
    : [];
  $("kb-stats").replaceChildren(...rows.flatMap(([key, value]) => [el("dt", {}, key), el("dd", {}, value)]));
}

async function loadDocuments() {
  const list = $("documents");
  const kb = state.kb;
  if (!kb || kb === NEW_KB || !state.kbs.some((info) => info.name === kb)) {
    list.replaceChildren();
    $("doc-count").textContent = "";
    return;
  }
  let files = [];
  try {
    files = (await (await api(`/v1/kbs/${encodeURIComponent(kb)}/files`)).json()).data;
  } catch (error) {
    report(error);
  }
  $("doc-count").textContent = `(${files.length})`;
  list.replaceChildren(
    ...files.map((file) =>
      el(
        "li",
        { dataset: { source: file.source } },
        el("button", { type: "button", class: "link name", title: "Open", onclick: () => openSource(kb, file.source) }, file.source),
        el("span", { class: "chunks" }, file.chunks === 1 ? "1 chunk" : `${file.chunks} chunks`),
        el("button", { type: "button", class: "link remove", title: `Remove ${file.source}`, "aria-label": `Remove ${file.source}`,
          onclick: () => removeDocument(kb, file.source) }, "×"),
      ),
    ),
  );
}

async function removeDocument(kb, source) {
  if (!window.confirm(`Remove “${source}” from knowledge base “${kb}”? Its chunks are deleted from the index.`)) return;
  let message = "";
  try {
    const body = await (await api(`/v1/kbs/${encodeURIComponent(kb)}/files/${pathOf(source)}`, { method: "DELETE" })).json();
    message = `Removed ${source} (${body.chunks_removed} chunks).`;
  } catch (error) {
    report(error);
  }
  await loadKbs(kb);
  if (message) $("upload-status").textContent = message;
}

async function openSource(kb, source, page) {
  try {
    const response = await api(`/v1/kbs/${encodeURIComponent(kb)}/files/${pathOf(source)}`);
    const type = (response.headers.get("content-type") || "").split(";")[0];
    const blob = await response.blob();
    if (type === "application/pdf" || type === "text/plain") {
      // Text is always opened as plain text: a document's own markup never runs in this page's origin.
      const shown = new Blob([blob], { type: type === "text/plain" ? "text/plain;charset=utf-8" : type });
      const url = URL.createObjectURL(shown);
      window.open(page && type === "application/pdf" ? `${url}#page=${page}` : url, "_blank");
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } else {
      const url = URL.createObjectURL(blob);
      el("a", { href: url, download: source.split("/").pop() }).click();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    }
  } catch (error) {
    report(error);
  }
}

// --- upload ------------------------------------------------------------------------------------

function targetKb() {
  if (state.kb === NEW_KB) {
    const name = $("new-kb").value.trim();
    if (!KB_NAME.test(name)) throw new ApiError(400, "Name the new knowledge base first: letters, digits, - and _ (up to 63).");
    return name;
  }
  if (state.kb === PLAIN_CHAT || !state.kb) throw new ApiError(400, "Pick a knowledge base (or “+ New knowledge base…”) to upload into.");
  return state.kb;
}

function postFile(kb, file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/v1/kbs/${encodeURIComponent(kb)}/files`);
    for (const [key, value] of Object.entries(authHeaders())) request.setRequestHeader(key, value);
    request.upload.onprogress = (event) => onProgress(event.loaded, false);
    request.upload.onload = () => onProgress(file.size, true);
    request.onload = () => {
      let body = {};
      try {
        body = JSON.parse(request.responseText);
      } catch (_) { /* not JSON: reported by status below */ }
      resolve({ status: request.status, body });
    };
    request.onerror = () => reject(new ApiError(0, explain(0)));
    const form = new FormData();
    form.append("files", file, file.name);
    request.send(form);
  });
}

async function uploadFiles(files) {
  let kb;
  try {
    kb = targetKb();
  } catch (error) {
    report(error);
    return;
  }
  const progress = $("upload-progress");
  const status = $("upload-status");
  const rows = $("upload-results").querySelector("tbody");
  rows.replaceChildren();
  $("upload-results").hidden = false;
  progress.hidden = false;
  progress.value = 0;
  const total = files.reduce((sum, file) => sum + file.size, 0) || 1;
  const counts = { added: 0, updated: 0, unchanged: 0, failed: 0, removed: 0 };
  let done = 0;
  for (const [index, file] of files.entries()) {
    status.textContent = `Uploading ${index + 1}/${files.length}: ${file.name}`;
    const outcomes = [];
    try {
      const result = await postFile(kb, file, (loaded, sent) => {
        progress.value = (100 * (done + loaded)) / total;
        if (sent) status.textContent = `Indexing ${index + 1}/${files.length}: ${file.name}…`;
      });
      if (result.status === 200 || result.status === 422) outcomes.push(...result.body.files);
      else outcomes.push({ source: file.name, status: "failed", chunks: 0, reason: explain(result.status, result.body.detail || "") });
      if (result.status === 401) openKeyForm();
    } catch (error) {
      outcomes.push({ source: file.name, status: "failed", chunks: 0, reason: error.message });
    }
    done += file.size;
    progress.value = (100 * done) / total;
    for (const outcome of outcomes) {
      counts[outcome.status] = (counts[outcome.status] || 0) + 1;
      rows.append(
        el("tr", { dataset: { source: outcome.source } },
          el("td", {}, outcome.source),
          el("td", { class: outcome.status }, outcome.reason ? `${outcome.status}: ${outcome.reason}` : outcome.status),
          el("td", {}, String(outcome.chunks || 0))),
      );
    }
  }
  progress.hidden = true;
  status.textContent = `Done: ${counts.added} added, ${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.failed} failed.`;
  $("new-kb").value = "";
  await loadKbs(kb);
}

function bindUpload() {
  const input = $("file-input");
  const zone = $("drop-zone");
  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = "";
    if (files.length) uploadFiles(files);
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const files = [...event.dataTransfer.files];
    if (files.length) uploadFiles(files);
  });
  $("upload-form").addEventListener("submit", (event) => event.preventDefault());
}

// --- chat --------------------------------------------------------------------------------------

function addMessage(role, text) {
  $("empty-hint").hidden = true;
  state.messageCount += 1;
  const body = el("div", { class: "text" }, text);
  const message = el("div", { class: `message ${role}`, id: `m${state.messageCount}` },
    el("div", { class: "role" }, role === "user" ? "You" : "Assistant"), body);
  $("messages").append(message);
  message.scrollIntoView({ block: "end" });
  return message;
}

function describeSource(source) {
  const parts = [source.source];
  if (source.page) parts.push(`p. ${source.page}`);
  if (source.headings) parts.push(source.headings);
  return parts.join(" · ");
}

function renderSources(message, kb, sources) {
  message.querySelector(".sources")?.remove();
  if (!sources.length) return;
  const items = sources.map((source) =>
    el("li", { id: `${message.id}-s${source.number}`, value: String(source.number),
      title: typeof source.score === "number" ? `retrieval score ${source.score.toFixed(4)}` : "" },
      el("span", { class: "where" }, describeSource(source)),
      " ",
      el("button", { type: "button", class: "link open", onclick: () => openSource(kb, source.source, source.page) }, "open"),
      el("span", { class: "snippet" }, source.snippet)),
  );
  message.append(el("details", { class: "sources", open: "" }, el("summary", {}, `Sources (${sources.length})`), el("ol", {}, ...items)));
}

// Turn "[2]" in a finished answer into a link to source 2 (built from text nodes: no HTML is parsed).
function linkCitations(message) {
  const body = message.querySelector(".text");
  const text = body.textContent;
  const parts = text.split(/(\[\d+\])/);
  body.replaceChildren(
    ...parts.map((part) => {
      const match = /^\[(\d+)\]$/.exec(part);
      const target = match && document.getElementById(`${message.id}-s${match[1]}`);
      if (!target) return part;
      return el("span", { class: "cite", title: "Show this source", onclick: () => {
        target.scrollIntoView({ block: "nearest" });
        target.classList.add("flash");
        setTimeout(() => target.classList.remove("flash"), 1500);
      } }, part);
    }),
  );
}

async function* serverEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") return;
        yield JSON.parse(data);
      }
    }
  }
}

function setBusy(busy) {
  $("send").hidden = busy;
  $("stop").hidden = !busy;
  $("question").disabled = busy;
}

async function ask(question) {
  const kb = state.kb === NEW_KB ? PLAIN_CHAT : state.kb;
  addMessage("user", question);
  const reply = addMessage("assistant", "");
  reply.classList.add("pending");
  const text = reply.querySelector(".text");
  const messages = state.history.flatMap(([q, a]) => [{ role: "user", content: q }, { role: "assistant", content: a }]);
  messages.push({ role: "user", content: question });
  state.controller = new AbortController();
  setBusy(true);
  let answer = "";
  try {
    const response = await api("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: kb ? `kb:${kb}` : "default", messages, stream: true }),
      signal: state.controller.signal,
    });
    for await (const event of serverEvents(response)) {
      if (event.error) throw new ApiError(500, event.error.message);
      if (event.sources) renderSources(reply, kb, event.sources);
      const delta = event.choices && event.choices[0] && event.choices[0].delta;
      if (delta && delta.content) {
        answer += delta.content;
        text.textContent = answer;
        reply.scrollIntoView({ block: "end" });
      }
    }
    answer = answer.trim();
    text.textContent = answer;
    linkCitations(reply);
    state.history.push([question, answer]);
  } catch (error) {
    if (error.name === "AbortError") {
      text.textContent = `${answer} (stopped)`;
    } else {
      reply.classList.add("error");
      text.textContent = answer ? `${answer}\n\n${error.message}` : error.message;
      report(error);
    }
  } finally {
    reply.classList.remove("pending");
    reply.dataset.done = "true";
    state.controller = null;
    setBusy(false);
    $("question").focus();
  }
}

function bindChat() {
  const input = $("question");
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || state.controller) return;
    input.value = "";
    ask(question);
  });
  input.addEventListener("keydown", (event) => {
    // isComposing: Enter also confirms a Chinese IME candidate, which must not send the question.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("stop").addEventListener("click", () => state.controller && state.controller.abort());
  $("new-chat").addEventListener("click", () => {
    state.history = [];
    $("messages").replaceChildren($("empty-hint"));
    $("empty-hint").hidden = false;
    input.focus();
  });
}

// --- start -------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  bindKeyForm();
  bindUpload();
  bindChat();
  $("notice-close").addEventListener("click", () => clearNotice());
  $("kb-select").addEventListener("change", (event) => selectKb(event.target.value));
  pollHealth();
  loadKbs();
});
