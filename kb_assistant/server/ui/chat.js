// The conversation: streamed answers over /v1/chat/completions, sources with citations, history for follow-ups.
import { $, NEW_KB, PLAIN_CHAT, state, el, ApiError, api, report } from "./common.js";
import { openSource } from "./knowledge.js";

// Answers are Markdown (models copy **bold**, lists and code from the sources). markdown-it (vendor/, loaded by
// index.html) with raw HTML off escapes any tag an answer or a hostile document carries, and refuses
// javascript:/data: links; images are off so an answer cannot make the browser fetch an address it chose.
const markdown = globalThis.markdownit({ html: false, linkify: false, breaks: true }).disable(["image"]);
// A document's single line breaks are wraps (Markdown's soft breaks): a sentence wrapped in the file reads, and is
// marked, as one.
const documentMarkdown = globalThis.markdownit({ html: false, linkify: false, breaks: false }).disable(["image"]);
const NO_CITATIONS_IN = new Set(["CODE", "PRE", "A"]);

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
  if (source.headings) parts.push(source.headings.replace(/\*\*|__|`/g, ""));  // "### **2.3** 向量数据库" as read
  if (source.copies && source.copies.length) parts.push(`also in ${source.copies.join(", ")}`);
  return parts.join(" · ");
}

// Where `needle` is in `text`, whatever the line breaks and spaces between its characters: the evidence is the
// sentence with its hard line wraps undone, the snippet the chunk as written. [start, end] or null.
function findLoosely(text, needle) {
  const chars = Array.from(needle.replace(/\s+/g, ""));
  if (!chars.length) return null;
  const pattern = new RegExp(chars.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("\\s*"), "u");
  const match = pattern.exec(text);
  return match ? [match.index, match.index + match[0].length] : null;
}

// Private-use characters that stand for the evidence's ends while the snippet's Markdown is rendered.
const EVIDENCE_OPEN = "\uE000";
const EVIDENCE_CLOSE = "\uE001";
const SUPPORTS = "This sentence supports the answer";

// The snippet's Markdown as formatted text (as answers are: raw HTML off, no images), with the sentence that
// supports the answer in <mark>. The sentence's ends are marked in the text before rendering and become <mark>s
// over the text nodes between them after, so a sentence that spans bold, code or a table cell is marked whole.
function snippetWithEvidence(source) {
  const snippet = el("div", { class: "snippet" });
  const text = source.snippet.replace(/[\uE000\uE001]/g, "");
  const at = source.evidence ? findLoosely(text, source.evidence) : null;
  let marked = text;
  if (at) {
    // a mark must not stand before a line's list, quote, heading or table marker, nor after a row's last cell
    // or a closing fence
    const opener = /^[ \t]*(?:[-*+>]|\d{1,3}[.)]|#{1,6}|\|)?[ \t]*(?:```[^\n]*\n)?/.exec(text.slice(at[0]));
    const start = Math.min(at[0] + opener[0].length, at[1]);
    const inner = text.slice(at[0], at[1]).replace(/\n?[ \t]*```[ \t]*$/, "").replace(/[ \t]*\|[ \t]*$/, "");
    const end = Math.max(start, at[0] + inner.length);
    marked = text.slice(0, start) + EVIDENCE_OPEN + text.slice(start, end) + EVIDENCE_CLOSE + text.slice(end);
  }
  snippet.innerHTML = documentMarkdown.render(marked);
  for (const link of snippet.querySelectorAll("a")) {
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.setAttribute("href", link.getAttribute("href").replace(/%EE%80%8[01]/gi, ""));  // an end inside an address
  }
  markEvidence(snippet);
  return snippet;
}

// Replace the evidence's end characters in `root`'s text by <mark>s over every text node between them.
function markEvidence(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
  let inside = false;
  for (const node of nodes) {
    if (!inside && !node.data.includes(EVIDENCE_OPEN)) continue;
    const parts = [];
    for (const part of node.data.split(/([\uE000\uE001])/)) {
      if (part === EVIDENCE_OPEN || part === EVIDENCE_CLOSE) inside = part === EVIDENCE_OPEN;
      else if (part.trim() && inside) parts.push(el("mark", { class: "evidence", title: SUPPORTS }, part));
      else if (part) parts.push(part);
    }
    node.replaceWith(...parts);
  }
}

// Sources the answer uses (each with its supporting sentence marked); on a refusal, the closest passages,
// folded and labelled as not used.
function renderSources(message, kb, sources) {
  message.querySelector(".sources")?.remove();
  if (!sources.length) return;
  const used = sources.filter((source) => source.used !== false);
  const shown = used.length ? used : sources;
  const items = shown.map((source) =>
    el("li", { id: `${message.id}-s${source.number}`, value: String(source.number),
      title: typeof source.score === "number" ? `retrieval score ${source.score.toFixed(4)}` : "" },
      el("span", { class: "where" }, describeSource(source)),
      " ",
      el("button", { type: "button", class: "link open", onclick: () => openSource(kb, source.source, source.page) }, "open"),
      snippetWithEvidence(source)),
  );
  const title = used.length ? `Sources (${used.length})` : `Closest passages, not used (${sources.length})`;
  const attributes = used.length ? { class: "sources", open: "" } : { class: "sources unused" };
  message.append(el("details", attributes, el("summary", {}, title), el("ol", {}, ...items)));
}

// The answer's Markdown as formatted text; links open in a new tab without telling the site where from.
function renderAnswer(body, answer) {
  body.innerHTML = markdown.render(answer);
  for (const link of body.querySelectorAll("a")) {
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  }
}

// Turn "[2]" in a finished answer's text into a link to source 2 (text nodes only, not inside code or links).
function linkCitations(message) {
  const body = message.querySelector(".text");
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!NO_CITATIONS_IN.has(node.parentElement.tagName) && /\[\d+\]/.test(node.data)) nodes.push(node);
  }
  for (const node of nodes) {
    const parts = node.data.split(/(\[\d+\])/);
    node.replaceWith(
      ...parts.map((part) => {
        const match = /^\[(\d+)\]$/.exec(part);
        const target = match && document.getElementById(`${message.id}-s${match[1]}`);
        if (!target) return part;
        return el("span", { class: "cite", title: "Show this source", onclick: () => {
          const evidence = target.querySelector("mark.evidence");
          (evidence || target).scrollIntoView({ block: "nearest" });
          target.classList.add("flash");
          setTimeout(() => target.classList.remove("flash"), 1500);
        } }, part);
      }),
    );
  }
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
  // A knowledge-base answer streams as the model's draft, shown muted until the answer checked against the
  // sources replaces it: a draft may hold what the check drops.
  if (kb) reply.classList.add("draft");
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
      if (event.verified) {
        // The answer checked against its sources replaces the streamed draft.
        answer = event.verified.answer;
        reply.classList.remove("draft");
        renderAnswer(text, answer);
        reply.dataset.status = event.verified.status;
        renderSources(reply, kb, event.verified.sources);
        continue;
      }
      if (event.retry) {
        // Refused for the passages' language: asked again in theirs; the draft so far is void.
        answer = "";
        renderAnswer(text, answer);
        renderSources(reply, kb, event.retry.sources);
        continue;
      }
      if (event.sources) renderSources(reply, kb, event.sources);
      const delta = event.choices && event.choices[0] && event.choices[0].delta;
      if (delta && delta.content) {
        answer += delta.content;
        renderAnswer(text, answer);
        reply.scrollIntoView({ block: "end" });
      }
    }
    answer = answer.trim();
    renderAnswer(text, answer);
    linkCitations(reply);
    state.history.push([question, answer]);
  } catch (error) {
    if (error.name === "AbortError") {
      renderAnswer(text, answer);
      text.append(el("p", { class: "stopped" }, "(stopped)"));
    } else {
      reply.classList.add("error");
      renderAnswer(text, answer);
      text.append(el("p", {}, error.message));
      report(error);
    }
  } finally {
    if (reply.classList.contains("draft") && answer) {  // stopped or cut off before the check: say so
      reply.dataset.status = "unchecked";
      text.append(el("p", { class: "unchecked" }, "Not checked against the sources: the answer ended before it was verified."));
    } else {
      reply.classList.remove("draft");
    }
    reply.classList.remove("pending");
    reply.dataset.done = "true";
    state.controller = null;
    setBusy(false);
    document.dispatchEvent(new Event("kb:answered"));  // the status pill shows the queue freed at once
    $("question").focus();
  }
}

export function bindChat() {
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
