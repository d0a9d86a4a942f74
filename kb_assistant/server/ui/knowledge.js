// Knowledge bases, their stats and documents: list, open, remove, upload with progress and per-file results.
import { $, NEW_KB, PLAIN_CHAT, KB_NAME, KB_STORE, state, el, authHeaders, pathOf, ApiError, explain, api, report, openKeyForm } from "./common.js";

// --- knowledge bases, stats and documents --------------------------------------------------------

export async function loadKbs(select) {
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

export async function selectKb(name) {
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

export async function openSource(kb, source, page) {
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

export function bindUpload() {
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
