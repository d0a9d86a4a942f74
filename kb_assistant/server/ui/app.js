// The kb-assistant chat page. It talks to the same HTTP API as any other client (/health, /v1/kbs,
// /v1/chat/completions) and sends the API key the user typed in; it has no other way in.
import { $, KEY_STORE, state, showNotice, clearNotice } from "./common.js";
import { loadKbs, selectKb, bindUpload } from "./knowledge.js";
import { bindChat } from "./chat.js";

// --- server status -----------------------------------------------------------------------------

let healthTimer = null;

async function pollHealth() {
  clearTimeout(healthTimer);
  const pill = $("status");
  let busy = false;
  try {
    const health = await (await fetch("/health")).json();
    pill.className = `pill ${health.status}`;
    if (health.status === "ready") {
      busy = health.queue.active > 0;
      pill.textContent = busy ? `ready · ${health.queue.active}/${health.queue.limit} busy` : "ready";
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
  // Often while loading or busy, so the count falls back to idle soon after an answer ends.
  healthTimer = setTimeout(pollHealth, state.ready && !busy ? 15000 : 2000);
}

// --- API key -----------------------------------------------------------------------------------

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

// --- start -------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  bindKeyForm();
  bindUpload();
  bindChat();
  $("notice-close").addEventListener("click", () => clearNotice());
  $("kb-select").addEventListener("change", (event) => selectKb(event.target.value));
  $("kb-toggle").addEventListener("click", () => {
    const open = document.body.classList.toggle("kb-open");
    $("kb-toggle").setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("kb:answered", () => pollHealth());
  pollHealth();
  loadKbs();
});
