// Shared by the page's modules: DOM helpers, page state, API calls with the user's key, error banners.

export const $ = (id) => document.getElementById(id);
export const NEW_KB = "__new__";
export const PLAIN_CHAT = "";
export const KB_NAME = /^[A-Za-z0-9_-]{1,63}$/;
export const KEY_STORE = "kb-assistant.api-key";
export const KB_STORE = "kb-assistant.kb";

export const state = {
  kb: null,
  kbs: [],
  history: [], // [question, answer] pairs of this conversation, sent with each follow-up
  controller: null,
  ready: false,
  messageCount: 0,
};

// --- small helpers -----------------------------------------------------------------------------

export function el(tag, props = {}, ...children) {
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

export function apiKey() {
  return localStorage.getItem(KEY_STORE) || "";
}

export function authHeaders(extra = {}) {
  // X-KB-Client marks the page's own requests: the server refuses browser form posts without it, which
  // other web pages cannot add without its CORS consent.
  const key = apiKey();
  const headers = { ...extra, "X-KB-Client": "page" };
  return key ? { ...headers, Authorization: `Bearer ${key}` } : headers;
}

export function pathOf(source) {
  return source.split("/").map(encodeURIComponent).join("/");
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// A sentence a user can act on, for each way a call can fail.
export function explain(status, detail) {
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

export async function api(path, options = {}) {
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

export function showNotice(text, kind = "error") {
  $("notice-text").textContent = text;
  $("notice").className = kind;
  $("notice").hidden = false;
  $("notice").dataset.kind = kind;
}

export function clearNotice(kind) {
  if (!kind || $("notice").dataset.kind === kind) $("notice").hidden = true;
}

export function report(error) {
  if (error.name === "AbortError") return;
  showNotice(error.message);
  if (error.status === 401) openKeyForm();
}

export function openKeyForm() {
  $("key-form").hidden = false;
  $("key-input").focus();
}
