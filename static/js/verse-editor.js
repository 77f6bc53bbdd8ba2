// The verse editor: co-write the verse the model wrote, through the co-writing API only.
//
// Each line shows its syllables and, once written, its tools: Lock (kept by every move), Rewrite
// (this line, given the others), Edit (type your own line: it is then yours and locked), and a
// list of the other takes the model drew for it (best first). Under the verse: rewrite every
// unlocked line, add a line, write your own line at the end, save and share.
//
// Rules this file keeps (as generate.js): user and model text reaches the page only through
// textContent or input values; URLs are relative to the page's folder; no inline styles.

import { element, failureOf, jsonAnswer, jsonPost } from "./http.js";

const MOVE_TIMEOUT_MS = 60_000;

function syllableText(count) {
  return `${count} syl`;
}

// A verse line: { text, syllables, locked, byPerson, takes: [{ text, syllables }], picked }.
function lineFrom(text, syllables, takes) {
  return {
    text,
    syllables,
    locked: false,
    byPerson: false,
    takes: Array.isArray(takes) ? takes : [],
    picked: Array.isArray(takes) && takes.length ? 0 : null,
  };
}

export function createVerseEditor({
  list,
  apiBase,
  csrfToken,
  readShape,
  announce,
  onFailure,
  onBusy,
  onChange,
  buttons,
  share,
}) {
  let verse = null; // { lines, model, seed }
  let busy = false;

  function url(path) {
    return new URL(path, apiBase).href;
  }

  async function post(path, body) {
    let response;
    try {
      response = await fetch(
        url(path),
        jsonPost(body, {
          accept: "application/json",
          csrfToken: csrfToken(),
          timeoutMs: MOVE_TIMEOUT_MS,
        }),
      );
    } catch (error) {
      return failureOf(error);
    }
    return jsonAnswer(response);
  }

  // ---- rendering ------------------------------------------------------------------------------

  function takesPicker(line, index) {
    const wrap = element("span", "verse-line__takes");
    const id = `take-${index}`;
    const label = element("label", "visually-hidden", `Takes for line ${index + 1}`);
    label.htmlFor = id;
    const select = element("select", "chip chip--select");
    select.id = id;
    select.dataset.action = "take";
    select.dataset.index = String(index);
    line.takes.forEach((take, number) => {
      const option = element(
        "option",
        "",
        `Take ${number + 1} of ${line.takes.length} (${syllableText(take.syllables)}): ${take.text}`,
      );
      option.value = String(number);
      option.selected = number === line.picked;
      select.append(option);
    });
    select.disabled = line.locked || busy;
    wrap.append(label, select);
    return wrap;
  }

  function toolButton(text, action, index, { pressed } = {}) {
    const button = element("button", "chip", text);
    button.type = "button";
    button.dataset.action = action;
    button.dataset.index = String(index);
    if (pressed !== undefined) button.setAttribute("aria-pressed", String(pressed));
    button.disabled = busy;
    return button;
  }

  function lineNode(line, index) {
    const item = element("li", "verse-line");
    item.classList.toggle("is-locked", line.locked);
    item.dataset.index = String(index);
    const body = element("div", "verse-line__body");
    const main = element("div", "verse-line__main");
    const text = element("span", "lyrics__line", line.text);
    if (line.byPerson) text.classList.add("lyrics__yours");
    const count = element("span", "verse-line__syllables", syllableText(line.syllables));
    count.title = "syllables";
    main.append(text, count);
    const tools = element("div", "verse-line__tools");
    tools.setAttribute("role", "group");
    tools.setAttribute("aria-label", `Line ${index + 1}`);
    tools.append(
      toolButton(line.locked ? "Locked" : "Lock", "lock", index, { pressed: line.locked }),
      toolButton("Rewrite", "rewrite-line", index),
      toolButton("Edit", "edit", index),
    );
    tools.querySelector('[data-action="rewrite-line"]').disabled = busy || line.locked;
    if (line.takes.length > 1) tools.append(takesPicker(line, index));
    body.append(main, tools);
    item.append(body);
    return item;
  }

  function editorNode(index, initial) {
    const item = element("li", "verse-line verse-line--editing");
    item.dataset.index = String(index);
    const body = element("div", "verse-line__body");
    const id = `own-line-${index}`;
    const label = element("label", "visually-hidden", `Your line ${index + 1}`);
    label.htmlFor = id;
    const input = element("input", "input verse-line__input");
    input.id = id;
    input.type = "text";
    input.maxLength = 600; // limits.VERSE_LINE_MAX_CHARS
    input.autocomplete = "off";
    input.value = initial;
    input.placeholder = "Type your line, Enter to keep it, Escape to cancel";
    input.dataset.index = String(index);
    const keep = toolButton("Keep", "keep", index);
    const cancel = toolButton("Cancel", "cancel", index);
    const tools = element("div", "verse-line__tools");
    tools.append(keep, cancel);
    body.append(label, input, tools);
    item.append(body);
    return item;
  }

  let editing = null; // { index, isNew }

  function render(focus) {
    if (!verse) return;
    const nodes = verse.lines.map((line, index) =>
      editing && editing.index === index && !editing.isNew
        ? editorNode(index, line.text)
        : lineNode(line, index),
    );
    if (editing && editing.isNew) nodes.push(editorNode(verse.lines.length, ""));
    list.replaceChildren(...nodes);
    for (const button of Object.values(buttons)) button.disabled = busy || !verse;
    buttons.rewrite.disabled = busy || !verse.lines.some((line) => !line.locked);
    if (focus) {
      const target = list.querySelector(focus) || buttons[focus];
      if (target && typeof target.focus === "function") target.focus();
    }
    onChange(verse);
  }

  function setBusy(value) {
    busy = value;
    onBusy(value);
    render();
  }

  // ---- moves ----------------------------------------------------------------------------------

  function shapeBody() {
    const shape = readShape();
    const body = {
      rhyme_scheme: shape.rhymeScheme,
      temperature: shape.temperature,
      candidates: shape.candidates,
    };
    if (shape.syllables) body.syllables = shape.syllables;
    if (verse.model && Number.isInteger(verse.model.id)) body.model = verse.model.id;
    return body;
  }

  function linesBody() {
    return verse.lines.map((line) => ({
      text: line.text,
      locked: line.locked,
      by_person: line.byPerson,
    }));
  }

  async function move(path, extra, { doing, done, focus }) {
    if (!verse || busy) return;
    setBusy(true);
    announce(doing);
    const outcome = await post(path, { lines: linesBody(), ...shapeBody(), ...extra });
    busy = false;
    onBusy(false);
    if (outcome.kind === "response" && outcome.response.ok && outcome.data) {
      apply(outcome.data);
      render(focus);
      announce(done);
      return;
    }
    render(focus);
    onFailure(outcome);
  }

  // Lines the move wrote take their new takes; the others keep what they had.
  function apply(data) {
    const kept = verse.lines;
    verse.lines = data.lines.map((line, index) => {
      if (!line.written && kept[index]) {
        return { ...kept[index], text: line.text, syllables: line.syllables };
      }
      const next = lineFrom(line.text, line.syllables, line.takes);
      next.locked = Boolean(line.locked);
      return next;
    });
    verse.model = data.model || verse.model;
    hideShare();
  }

  function hideShare() {
    share.box.hidden = true;
  }

  // ---- events ---------------------------------------------------------------------------------

  function keepEdit(index, value) {
    const text = value.trim();
    if (!text) {
      announce("An empty line is not kept; type a line or press Escape.");
      return;
    }
    const line = lineFrom(text, countGuess(text), []);
    line.locked = true;
    line.byPerson = true;
    const isNew = editing && editing.isNew;
    if (isNew) verse.lines.push(line);
    else verse.lines[index] = line;
    editing = null;
    hideShare();
    // The server counts syllables; until the next move, the page's own estimate shows.
    render(`[data-action="edit"][data-index="${index}"]`);
    announce(`Line ${index + 1} is yours and locked.`);
  }

  list.addEventListener("click", (event) => {
    const target = event.target.closest("[data-action]");
    if (!target || busy || !verse) return;
    const index = Number(target.dataset.index);
    const action = target.dataset.action;
    if (action === "lock") {
      verse.lines[index].locked = !verse.lines[index].locked;
      render(`[data-action="lock"][data-index="${index}"]`);
      announce(`Line ${index + 1} ${verse.lines[index].locked ? "locked" : "unlocked"}.`);
    } else if (action === "rewrite-line") {
      move(
        "api/cowrite/line",
        { index },
        {
          doing: `Rewriting line ${index + 1}…`,
          done: `Line ${index + 1} rewritten.`,
          focus: `[data-action="rewrite-line"][data-index="${index}"]`,
        },
      );
    } else if (action === "edit") {
      editing = { index, isNew: false };
      render(`#own-line-${index}`);
    } else if (action === "keep") {
      keepEdit(index, list.querySelector(`#own-line-${index}`).value);
    } else if (action === "cancel") {
      editing = null;
      render(index < verse.lines.length ? `[data-action="edit"][data-index="${index}"]` : "own");
    }
  });

  list.addEventListener("change", (event) => {
    const select = event.target.closest('select[data-action="take"]');
    if (!select || !verse) return;
    const index = Number(select.dataset.index);
    const line = verse.lines[index];
    const picked = Number(select.value);
    line.picked = picked;
    line.text = line.takes[picked].text;
    line.syllables = line.takes[picked].syllables;
    hideShare();
    render(`#take-${index}`);
    announce(`Line ${index + 1}: take ${picked + 1} picked.`);
  });

  list.addEventListener("keydown", (event) => {
    const input = event.target.closest(".verse-line__input");
    if (!input) return;
    const index = Number(input.dataset.index);
    if (event.key === "Enter") {
      event.preventDefault();
      keepEdit(index, input.value);
    } else if (event.key === "Escape") {
      event.preventDefault();
      editing = null;
      render(index < verse.lines.length ? `[data-action="edit"][data-index="${index}"]` : "own");
    }
  });

  buttons.rewrite.addEventListener("click", () =>
    move("api/cowrite/rewrite", {}, {
      doing: "Rewriting the unlocked lines…",
      done: "Unlocked lines rewritten; locked lines kept.",
      focus: "rewrite",
    }),
  );

  buttons.more.addEventListener("click", () =>
    move("api/cowrite/continue", { count: 1 }, {
      doing: "Adding a line…",
      done: "A line was added at the end.",
      focus: "more",
    }),
  );

  buttons.own.addEventListener("click", () => {
    if (!verse || busy) return;
    editing = { index: verse.lines.length, isNew: true };
    render(`#own-line-${verse.lines.length}`);
  });

  buttons.save.addEventListener("click", async () => {
    if (!verse || busy) return;
    setBusy(true);
    announce("Saving your verse…");
    const shape = shapeBody();
    const outcome = await post("api/drafts", {
      lines: verse.lines.map((line) => ({
        text: line.text,
        by_person: line.byPerson,
        takes: line.byPerson ? [] : line.takes.map((take) => take.text),
        picked: line.byPerson || line.picked === null ? null : line.picked,
      })),
      model: verse.model && Number.isInteger(verse.model.id) ? verse.model.id : null,
      seed: Number.isInteger(verse.seed) ? verse.seed : null,
      rhyme_scheme: shape.rhyme_scheme,
      syllables: shape.syllables || null,
      temperature: shape.temperature,
      candidates: shape.candidates,
    });
    busy = false;
    onBusy(false);
    render();
    if (outcome.kind === "response" && outcome.response.status === 201 && outcome.data) {
      const link = new URL(`drafts/${encodeURIComponent(outcome.data.id)}`, apiBase).href;
      share.link.href = link;
      share.link.textContent = link;
      share.box.hidden = false;
      share.link.focus();
      announce("Saved. The link to your verse is ready to share.");
      return;
    }
    onFailure(outcome);
  });

  // ---- the page's own syllable estimate for a line a person typed -----------------------------

  function countGuess(text) {
    const words = text.toLowerCase().match(/[a-z]+(?:'[a-z]+)*/g) || [];
    let total = 0;
    for (const word of words) {
      const runs = (word.replace(/'/g, "").match(/[aeiouy]+/g) || []).length;
      const silent = word.endsWith("e") && !/(le|ee|ye)$/.test(word) && runs > 1 ? 1 : 0;
      total += Math.max(1, runs - silent);
    }
    return total;
  }

  return {
    // A verse the model wrote (the /api/generate answer) becomes the verse to co-write.
    load(data) {
      const lines = Array.isArray(data.lines) ? data.lines.map(String) : [];
      const syllables = Array.isArray(data.syllables) ? data.syllables : [];
      const takes = Array.isArray(data.takes) ? data.takes : [];
      verse = {
        lines: lines.map((text, index) =>
          lineFrom(text, Number(syllables[index]) || countGuess(text), takes[index]),
        ),
        model: data.model || null,
        seed: Number.isInteger(data.seed) ? data.seed : null,
      };
      editing = null;
      hideShare();
      render();
    },
    lines() {
      return verse ? verse.lines.map((line) => line.text) : [];
    },
    isBusy() {
      return busy;
    },
  };
}
