// The generator page: sends the form to the API, shows the verse, keeps a short history.
//
// Rules this file keeps:
// - Text from users or the model only ever reaches the page through textContent (never innerHTML),
//   so a prefix like <img src=x onerror=alert(1)> is shown, not run.
// - The API URL is relative to the page ("api/generate"), so the site works at / and behind a
//   proxy path such as /some/prefix/.
// - No inline styles or handlers: the production Content-Security-Policy forbids them.
// - The verse is asked of the streaming endpoint (data-stream-action, newline-delimited JSON):
//   each line shows as soon as it is chosen; the last event carries /api/generate's answer,
//   which the verse editor (verse-editor.js) then co-writes through the co-writing API.

import { element, failureOf, jsonAnswer, jsonPost } from "./http.js";
import { createVerseEditor } from "./verse-editor.js";

const HISTORY_KEY = "raplyrics.history.v1";
const HISTORY_LIMIT = 10;
const REQUEST_TIMEOUT_MS = 60_000;
const TEMPERATURE_SPREAD = 0.1;

const FIELD_LABELS = {
  prefix: "Your opening line",
  lines: "Lines",
  candidates: "Takes per line",
  rhyme_scheme: "Rhyme scheme",
  temperature: "Temperature",
  seed: "Seed",
  syllables: "Syllables per line",
};

const form = document.getElementById("generate-form");
const prefixInput = document.getElementById("prefix");
const prefixCount = document.getElementById("prefix-count");
const linesInput = document.getElementById("lines");
const candidatesInput = document.getElementById("candidates");
const rhymeSchemeInput = document.getElementById("rhyme_scheme");
const temperatureInput = document.getElementById("temperature");
const temperatureValue = document.getElementById("temperature-value");
const varyInput = document.getElementById("vary");
const seedInput = document.getElementById("seed");
const syllablesMinInput = document.getElementById("syllables");
const syllablesMaxInput = document.getElementById("syllables_max");
const options = document.getElementById("options");
const generateButton = document.getElementById("generate-button");
const generateLabel = generateButton.querySelector(".button__label");
const formMessage = document.getElementById("form-message");
const statusRegion = document.getElementById("status");
const result = document.getElementById("result");
const resultMeta = document.getElementById("result-meta");
const lyricsList = document.getElementById("lyrics");
const resultNotes = document.getElementById("result-notes");
const copyButton = document.getElementById("copy-button");
const againButton = document.getElementById("again-button");
const keepSeedButton = document.getElementById("keep-seed-button");
const historySection = document.getElementById("history");
const historyList = document.getElementById("history-list");
const clearHistoryButton = document.getElementById("clear-history");
const shareBox = document.getElementById("share");
const shareLink = document.getElementById("share-link");

const prefixMax = Number(form.dataset.prefixMax) || prefixInput.maxLength;
// Resolved against the page as a folder, so /some/prefix and /some/prefix/ both post to
// /some/prefix/api/generate.
const apiUrl = new URL(form.dataset.streamAction || form.getAttribute("action"), pageFolder()).href;

let busy = false;
let waitTimer = null;
let lastResult = null;

function pageFolder() {
  const url = new URL(window.location.href);
  url.search = "";
  url.hash = "";
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

// ---- small helpers ------------------------------------------------------------------------------

function announce(message) {
  // Clearing first makes screen readers repeat an identical message.
  statusRegion.textContent = "";
  window.setTimeout(() => {
    statusRegion.textContent = message;
  }, 50);
}

function csrfToken() {
  const fromForm = form.elements.namedItem("csrfmiddlewaretoken");
  if (fromForm && fromForm.value) return fromForm.value;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

function temperatureWord(value) {
  if (value < 0.4) return "safe";
  if (value < 0.8) return "steady";
  if (value < 1.2) return "loose";
  if (value < 1.6) return "bold";
  return "wild";
}

function roundTemperature(value) {
  const min = Number(temperatureInput.min);
  const max = Number(temperatureInput.max);
  return Math.round(Math.min(max, Math.max(min, value)) * 100) / 100;
}

function formatTime(isoString) {
  const date = new Date(isoString);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

// ---- live form feedback -------------------------------------------------------------------------

function updateCounter() {
  const used = prefixInput.value.length;
  prefixCount.textContent = `${used} / ${prefixMax}`;
  prefixCount.classList.toggle("is-near", used >= prefixMax * 0.9 && used < prefixMax);
  prefixCount.classList.toggle("is-full", used >= prefixMax);
}

function updateTemperature() {
  const value = Number(temperatureInput.value);
  const text = `${value.toFixed(2)} · ${temperatureWord(value)}`;
  temperatureValue.textContent = text;
  temperatureInput.setAttribute("aria-valuetext", text);
}

// ---- messages -----------------------------------------------------------------------------------

function clearErrors() {
  formMessage.hidden = true;
  formMessage.replaceChildren();
  formMessage.classList.remove("notice--wait");
  for (const name of Object.keys(FIELD_LABELS)) {
    const input = document.getElementById(name);
    const error = document.getElementById(`${name}-error`);
    if (input) input.removeAttribute("aria-invalid");
    if (error) {
      error.hidden = true;
      error.textContent = "";
    }
  }
}

function showMessage(title, detail, { wait = false } = {}) {
  formMessage.replaceChildren(element("strong", "notice__title", title));
  if (detail) formMessage.append(element("span", "notice__detail", detail));
  formMessage.classList.toggle("notice--wait", wait);
  formMessage.hidden = false;
}

function showFieldErrors(fields) {
  let first = null;
  for (const [name, messages] of Object.entries(fields)) {
    const input = document.getElementById(name);
    const error = document.getElementById(`${name}-error`);
    if (!input || !error || !FIELD_LABELS[name]) continue;
    error.textContent = [].concat(messages).join(" ");
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    if (!first) first = { name, input, message: error.textContent };
  }
  if (first) {
    if (options.contains(first.input)) options.open = true;
    first.input.focus();
  }
  return first;
}

function startWait(seconds, message) {
  window.clearInterval(waitTimer);
  let left = Math.max(1, Math.ceil(seconds));
  const render = () => {
    showMessage(message, `You can write again in ${left} s.`, { wait: true });
  };
  render();
  setControlsEnabled(false);
  waitTimer = window.setInterval(() => {
    left -= 1;
    if (left > 0) {
      render();
      return;
    }
    window.clearInterval(waitTimer);
    waitTimer = null;
    formMessage.hidden = true;
    setControlsEnabled(true);
    announce("Ready to write again.");
  }, 1000);
}

// ---- request ------------------------------------------------------------------------------------

// Numbers are sent as numbers; anything else is sent as typed so the server names the problem.
function numberOrRaw(input) {
  const raw = input.value.trim();
  if (raw === "") return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : raw;
}

// Both ends of the syllables range, or null when neither box is filled (no target).
function readSyllables() {
  const low = numberOrRaw(syllablesMinInput);
  const high = numberOrRaw(syllablesMaxInput);
  if (low === undefined && high === undefined) return null;
  const min = low === undefined ? Number(syllablesMinInput.min) : low;
  const max = high === undefined ? Number(syllablesMaxInput.max) : high;
  return { min, max };
}

// What every co-writing move asks for: the options as they stand now.
function readShape() {
  const candidates = numberOrRaw(candidatesInput);
  return {
    rhymeScheme: rhymeSchemeInput.value,
    temperature: roundTemperature(Number(temperatureInput.value)),
    candidates: candidates === undefined ? Number(candidatesInput.defaultValue) : candidates,
    syllables: readSyllables(),
  };
}

function readRequest({ freshSeed }) {
  const body = { prefix: prefixInput.value };
  const syllables = readSyllables();
  if (syllables) body.syllables = syllables;
  const lines = numberOrRaw(linesInput);
  const candidates = numberOrRaw(candidatesInput);
  if (lines !== undefined) body.lines = lines;
  if (candidates !== undefined) body.candidates = candidates;
  if (rhymeSchemeInput.value) body.rhyme_scheme = rhymeSchemeInput.value;

  const temperature = Number(temperatureInput.value);
  body.temperature = varyInput.checked
    ? [
        roundTemperature(temperature - TEMPERATURE_SPREAD),
        roundTemperature(temperature),
        roundTemperature(temperature + TEMPERATURE_SPREAD),
      ]
    : roundTemperature(temperature);

  if (!freshSeed) {
    const seed = numberOrRaw(seedInput);
    if (seed !== undefined) body.seed = seed;
  }
  return body;
}

// A field the browser cannot even parse (e.g. "1e" in a number box) arrives as "" from
// input.value; say so here rather than silently sending the default.
function unparsableField() {
  for (const input of [linesInput, candidatesInput, seedInput, syllablesMinInput, syllablesMaxInput]) {
    if (input.validity.badInput) return input;
  }
  return null;
}

function setControlsEnabled(enabled) {
  generateButton.disabled = !enabled;
  againButton.disabled = !enabled;
}

const editor = createVerseEditor({
  list: lyricsList,
  apiBase: pageFolder(),
  csrfToken,
  readShape,
  announce,
  onFailure: (outcome) => {
    clearErrors();
    handleFailure(outcome);
    announce(formMessage.textContent);
  },
  onBusy: (moving) => {
    result.classList.toggle("is-stale", moving);
    setControlsEnabled(!moving && !busy && waitTimer === null);
  },
  onChange: (verse) => {
    if (lastResult) lastResult.lines = verse.lines.map((line) => line.text);
  },
  buttons: {
    rewrite: document.getElementById("rewrite-button"),
    more: document.getElementById("continue-button"),
    own: document.getElementById("own-line-button"),
    save: document.getElementById("save-button"),
  },
  share: { box: shareBox, link: shareLink },
});

function setLoading(loading) {
  busy = loading;
  form.setAttribute("aria-busy", String(loading));
  generateButton.classList.toggle("is-loading", loading);
  againButton.classList.toggle("is-loading", loading);
  generateLabel.textContent = loading ? "Writing…" : "Write";
  result.classList.toggle("is-stale", loading);
  setControlsEnabled(!loading && waitTimer === null);
}

async function postGenerate(body, onLines) {
  let response;
  try {
    response = await fetch(
      apiUrl,
      jsonPost(body, {
        accept: "application/x-ndjson, application/json",
        csrfToken: csrfToken(),
        timeoutMs: REQUEST_TIMEOUT_MS,
      }),
    );
    const type = response.headers.get("Content-Type") || "";
    if (response.ok && type.startsWith("application/x-ndjson")) {
      return await readStream(response, onLines);
    }
  } catch (error) {
    return failureOf(error);
  }
  return jsonAnswer(response);
}

// One JSON object per line: {"lines": [...]} as the verse grows, then {"done": {...}} or
// {"error": "..."}. A body that ends without either is a broken connection.
async function readStream(response, onLines) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffered += decoder.decode(value || new Uint8Array(), { stream: !done });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
      if (!line) continue;
      const event = JSON.parse(line);
      if (Array.isArray(event.lines)) onLines(event.lines.map(String));
      else if (event.done) return { kind: "response", response, data: event.done };
      else if (typeof event.error === "string") return { kind: "stream-error", message: event.error };
    }
    if (done) return { kind: "network" };
  }
}

function retryAfterSeconds(response, data) {
  if (data && Number.isFinite(data.retry_after)) return data.retry_after;
  const header = Number(response.headers.get("Retry-After"));
  return Number.isFinite(header) && header > 0 ? header : 10;
}

function handleFailure(outcome) {
  if (outcome.kind === "network") {
    showMessage(
      "Couldn't reach the server.",
      "Check your connection, then try again.",
    );
    return;
  }
  if (outcome.kind === "stream-error") {
    showMessage("The generator stopped midway.", outcome.message);
    return;
  }
  if (outcome.kind === "timeout") {
    showMessage(
      "The server took too long to answer.",
      "Try again, perhaps with fewer lines or takes.",
    );
    return;
  }
  const { response, data } = outcome;
  const serverMessage = data && typeof data.error === "string" ? data.error : "";
  if (response.status === 400) {
    const first = data && data.fields ? showFieldErrors(data.fields) : null;
    const title = first ? `Check “${FIELD_LABELS[first.name]}”.` : "The request was refused.";
    showMessage(title, first ? first.message : serverMessage);
    return;
  }
  if (response.status === 429) {
    startWait(retryAfterSeconds(response, data), "Easy — that's a lot of verses at once.");
    return;
  }
  if (response.status === 403) {
    showMessage(
      "Your session has expired.",
      "Reload the page and try again.",
    );
    return;
  }
  if (response.status === 503) {
    showMessage(
      "The generator is unavailable right now.",
      serverMessage || "It may be loading a model or busy. Try again in a moment.",
    );
    return;
  }
  showMessage(
    `The server had a problem (${response.status}).`,
    serverMessage || "Try again in a moment.",
  );
}

async function generate({ freshSeed = false } = {}) {
  if (busy || waitTimer !== null || editor.isBusy()) return;
  clearErrors();
  const bad = unparsableField();
  if (bad) {
    showFieldErrors({ [bad.id]: ["Enter a whole number."] });
    showMessage(`Check “${FIELD_LABELS[bad.id]}”.`, "Enter a whole number.");
    return;
  }
  const body = readRequest({ freshSeed });
  setLoading(true);
  announce("Writing your verse…");
  const outcome = await postGenerate(body, (lines) => showProgress(body, lines));
  setLoading(false);

  if (outcome.kind === "response" && outcome.response.ok && outcome.data) {
    const entry = toEntry(body, outcome.data);
    showResult(entry);
    editor.load(outcome.data);
    remember(entry);
    announce(`Verse ready: ${entry.lines.length} lines.`);
    return;
  }
  handleFailure(outcome);
  announce(formMessage.textContent);
}

// ---- result -------------------------------------------------------------------------------------

function toEntry(body, data) {
  const lines = Array.isArray(data.lines)
    ? data.lines.map(String)
    : String(data.lyrics || "").split("\n");
  return {
    at: new Date().toISOString(),
    prefix: body.prefix,
    lines,
    model: data.model && data.model.name ? String(data.model.name) : "",
    seed: Number.isFinite(data.seed) ? data.seed : null,
    elapsedMs: Number.isFinite(data.elapsed_ms) ? data.elapsed_ms : null,
    notes: Array.isArray(data.prefix_notes) ? data.prefix_notes.map(String) : [],
    temperature: body.temperature,
  };
}

function metaText(entry) {
  const parts = [];
  if (entry.model) parts.push(entry.model);
  if (entry.seed !== null) parts.push(`seed ${entry.seed}`);
  if (entry.elapsedMs !== null) parts.push(`${(entry.elapsedMs / 1000).toFixed(1)} s`);
  return parts.join(" · ");
}

// The user's own words at the start of the first line are set in the accent colour.
function lineNode(line, index, prefix) {
  const item = element("li");
  const text = element("span", "lyrics__line");
  const start = prefix.trim();
  if (index === 0 && start && line.toLowerCase().startsWith(start.toLowerCase())) {
    text.append(element("span", "lyrics__yours", line.slice(0, start.length)));
    text.append(document.createTextNode(line.slice(start.length)));
  } else {
    text.textContent = line;
  }
  item.append(text);
  return item;
}

// Lines chosen so far, shown while the next ones are written (meta and notes come at the end).
function showProgress(body, lines) {
  lyricsList.replaceChildren(...lines.map((line, i) => lineNode(line, i, body.prefix)));
  result.classList.remove("is-stale");
  resultMeta.textContent = "Writing…";
  resultNotes.hidden = true;
  keepSeedButton.hidden = true;
  if (result.hidden) {
    result.hidden = false;
    revealIfBelowTheFold(result);
  }
}

function showResult(entry) {
  lastResult = entry;
  // The lines themselves: the verse editor renders them (editor.load).
  resultMeta.textContent = metaText(entry);
  resultNotes.replaceChildren(...entry.notes.map((note) => element("li", "", note)));
  resultNotes.hidden = entry.notes.length === 0;
  keepSeedButton.hidden = entry.seed === null;
  result.hidden = false;
  revealIfBelowTheFold(result);
}

// On a phone the verse lands under the form, out of sight: bring its start into view.
function revealIfBelowTheFold(node) {
  const top = node.getBoundingClientRect().top;
  if (top < window.innerHeight - 96) return;
  const calm = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  node.scrollIntoView({ block: "start", behavior: calm ? "auto" : "smooth" });
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-http deployments have no async clipboard; fall back to a selected textarea.
  const area = element("textarea", "visually-hidden");
  area.value = text;
  area.setAttribute("readonly", "");
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("copy refused");
}

function flash(button, text) {
  const original = button.dataset.label || button.textContent;
  button.dataset.label = original;
  button.textContent = text;
  button.classList.add("is-done");
  window.setTimeout(() => {
    button.textContent = original;
    button.classList.remove("is-done");
  }, 1800);
}

// ---- history ------------------------------------------------------------------------------------

function isEntry(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof value.at === "string" &&
    typeof value.prefix === "string" &&
    Array.isArray(value.lines) &&
    value.lines.every((line) => typeof line === "string")
  );
}

function loadHistory() {
  try {
    const stored = JSON.parse(window.localStorage.getItem(HISTORY_KEY) || "[]");
    return Array.isArray(stored) ? stored.filter(isEntry).slice(0, HISTORY_LIMIT) : [];
  } catch {
    return [];
  }
}

function saveHistory(entries) {
  try {
    window.localStorage.setItem(HISTORY_KEY, JSON.stringify(entries));
  } catch {
    // Storage full or disabled (private mode): the history simply isn't kept.
  }
}

function remember(entry) {
  const entries = [entry, ...loadHistory()].slice(0, HISTORY_LIMIT);
  saveHistory(entries);
  renderHistory(entries);
}

function historyNode(entry) {
  const details = element("details", "history-item");
  const summary = element("summary", "history-item__summary");
  summary.append(
    element("span", "history-item__first", entry.lines[0] || entry.prefix || "(empty)"),
    element("time", "history-item__time", formatTime(entry.at)),
  );
  summary.lastChild.setAttribute("datetime", entry.at);
  const body = element("div", "history-item__body");
  const lines = element("ol", "history-item__lines");
  lines.append(...entry.lines.map((line) => element("li", "", line)));
  body.append(lines, element("p", "history-item__meta", metaText(entry)));
  details.append(summary, body);
  const item = element("li");
  item.append(details);
  return item;
}

function renderHistory(entries) {
  historyList.replaceChildren(...entries.map(historyNode));
  historySection.hidden = entries.length === 0;
}

// ---- wiring -------------------------------------------------------------------------------------

form.addEventListener("submit", (event) => {
  event.preventDefault();
  generate();
});

prefixInput.addEventListener("input", updateCounter);
temperatureInput.addEventListener("input", updateTemperature);

for (const input of [prefixInput, linesInput, candidatesInput, rhymeSchemeInput, seedInput]) {
  input.addEventListener("input", () => {
    if (input.getAttribute("aria-invalid") !== "true") return;
    input.removeAttribute("aria-invalid");
    document.getElementById(`${input.id}-error`).hidden = true;
  });
}

againButton.addEventListener("click", () => {
  // Another take on the same line: same options, new random seed.
  generate({ freshSeed: true });
});

copyButton.addEventListener("click", async () => {
  if (!lastResult) return;
  try {
    await copyText(editor.lines().join("\n"));
    flash(copyButton, "Copied");
    announce("Lyrics copied to the clipboard.");
  } catch {
    flash(copyButton, "Copy failed");
    announce("Copying failed; select the lines and copy them by hand.");
  }
});

keepSeedButton.addEventListener("click", () => {
  if (!lastResult || lastResult.seed === null) return;
  seedInput.value = String(lastResult.seed);
  options.open = true;
  seedInput.focus();
  announce(`Seed ${lastResult.seed} set: the same line and options give this verse again.`);
});

clearHistoryButton.addEventListener("click", () => {
  saveHistory([]);
  renderHistory([]);
  announce("History cleared.");
  prefixInput.focus();
});

updateCounter();
updateTemperature();
renderHistory(loadHistory());
