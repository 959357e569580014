// The action console: structured forms built from the vocabulary and the scenario's public
// facts, a command line with autocomplete, and the status-update composer. Every submission
// goes through `send(input)`, whose error frame is shown inline next to what was sent.

import { h, clear, field, options } from "./dom.js";
import { BY_TYPE, CATEGORIES, VOCAB, addressed, allowed, parseCommand, resolveVerb, signature, tokenize, understand } from "./vocab.js";

/** The choices for one parameter kind, from the scenario and what has been revealed. */
export function choices(state, p, input = {}) {
  const info = state.info || {};
  const services = (info.services || []).map((s) => s.name);
  switch (p.kind) {
    case "service":
      return services;
    case "topic":
      return info.topics || [];
    case "dependency":
      return info.dependencies || [];
    case "database":
      return info.databases || [];
    case "flag":
      return (info.flags || []).map((f) => f.name);
    case "target":
      return [...services, ...(info.topics || [])];
    case "team":
      return info.experts || [];
    case "person":
      return state.players();
    case "pod": {
      if (input.service) return state.pods[input.service] || [];
      return Object.values(state.pods).flat();
    }
    case "inject":
      return (state.injects || []).map((j) => j.id);
    case "prompt":
      return (state.prompts || []).map((c) => c.id);
    case "enum":
      return p.options;
    case "bool":
      return ["on", "off"];
    default:
      return [];
  }
}

const FREE_TEXT_WITH_SUGGESTIONS = new Set(["pod", "team", "person"]);

/** Show a server (or local) error under a form and mark the fields it names. */
export function showResult(box, form, result) {
  for (const el of form?.querySelectorAll("[aria-invalid]") || []) el.removeAttribute("aria-invalid");
  if (!result) {
    clear(box);
    box.className = "result";
    return;
  }
  if (result.ok) {
    box.className = "result ok";
    box.setAttribute("role", "status");
    clear(box, result.text);
    return;
  }
  box.className = "result error";
  box.setAttribute("role", "alert");
  clear(box, h("span.code", result.code || "error"), " ", result.text);
  const named = [...(result.text || "").matchAll(/`([\w.]+)`/g)].map((m) => m[1].split(".")[0]);
  let first = null;
  for (const name of named) {
    const el = form?.querySelector(`[name="${CSS.escape(name)}"]`);
    if (el) {
      el.setAttribute("aria-invalid", "true");
      first = first || el;
    }
  }
}

async function submitInput(send, input, box, form) {
  showResult(box, form, null);
  box.className = "result pending";
  box.textContent = "sending…";
  try {
    const ack = await send(input);
    showResult(box, form, { ok: true, text: `✓ ${input.type} logged as #${ack.seq}` });
    return ack;
  } catch (err) {
    showResult(box, form, { ok: false, code: err.code, text: err.message });
    return null;
  }
}

// ------------------------------------------------------------------- forms
function control(state, p, type) {
  const name = p.name;
  const label = p.label || name.replace(/_/g, " ");
  const id = `in-${type}-${name}`;
  let el;
  if (FREE_TEXT_WITH_SUGGESTIONS.has(p.kind)) {
    const list = h("datalist", { id: id + "-list" });
    el = h("input", { id, name, list: id + "-list", autocomplete: "off", placeholder: hintFor(p) });
    el._datalist = list;
  } else if (["service", "topic", "dependency", "database", "flag", "target", "inject", "prompt"].includes(p.kind)) {
    const items = choices(state, p);
    el = h("select", { id, name, disabled: items.length ? null : true }, items.length ? options(items) : h("option", { value: "" }, `no ${p.kind} in this scenario`));
  } else if (p.kind === "enum") {
    el = h("select", { id, name }, p.optional ? h("option", { value: "" }, "(default)") : null, options(p.options));
  } else if (p.kind === "bool") {
    el = h("select", { id, name }, options([["false", "off"], ["true", "on"]]));
  } else if (p.kind === "int" || p.kind === "float") {
    el = h("input", { id, name, type: "number", min: p.min, max: p.max, step: p.kind === "int" ? 1 : "any", inputmode: "decimal" });
  } else if (p.kind === "long") {
    el = h("textarea", { id, name, rows: 2, maxlength: p.max });
  } else {
    el = h("input", { id, name, maxlength: p.max, autocomplete: "off" });
  }
  el.dataset.kind = p.kind;
  const wrap = field(label + (p.optional ? " (optional)" : ""), el);
  if (el._datalist) wrap.append(el._datalist);
  return wrap;
}

function hintFor(p) {
  if (p.kind === "pod") return "open the pod breakdown to list pods";
  if (p.kind === "team") return "team name";
  if (p.kind === "person") return "player name";
  return "";
}

/** Read a form into an input object (empty optional fields are left out). */
export function readForm(form, spec) {
  const input = { type: spec.type };
  for (const p of spec.params) {
    const el = form.elements.namedItem(p.name);
    if (!el) continue;
    const raw = el.value.trim();
    if (raw === "") continue;
    if (p.kind === "int" || p.kind === "float") input[p.name] = Number(raw);
    else if (p.kind === "bool") input[p.name] = raw === "true";
    else input[p.name] = p.kind === "long" || p.kind === "text" ? el.value : raw;
  }
  return input;
}

/** One action's form. */
export function actionForm(state, spec, send, { onSent } = {}) {
  const box = h("div.result", { "aria-live": "polite" });
  const form = h("form.action-form", { novalidate: true, dataset: { action: spec.type } });
  const refreshLists = () => {
    const cur = readForm(form, spec);
    for (const p of spec.params) {
      if (!FREE_TEXT_WITH_SUGGESTIONS.has(p.kind)) continue;
      const list = form.querySelector(`#in-${spec.type}-${p.name}-list`);
      if (list) clear(list, options(choices(state, p, cur)));
    }
  };
  clear(
    form,
    h("p.help", spec.help),
    spec.params.length ? h("div.fields", spec.params.map((p) => control(state, p, spec.type))) : null,
    h("div.form-actions", h("button.primary", { type: "submit" }, spec.label), box),
  );
  form.addEventListener("change", refreshLists);
  form.addEventListener("focusin", refreshLists);
  form.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && ev.target.tagName === "TEXTAREA" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const ack = await submitInput(send, readForm(form, spec), box, form);
    if (ack) {
      for (const el of form.querySelectorAll("textarea, input:not([type=number])")) {
        if (!el.list) el.value = "";
      }
      onSent?.(ack);
    }
  });
  refreshLists();
  return form;
}

// --------------------------------------------------------- action console
export class ActionConsole {
  /** send(input) -> Promise<ack>; role decides which actions are offered. */
  constructor(state, send, { role = "player", categories } = {}) {
    this.state = state;
    this.send = send;
    this.types = new Set(allowed(role === "facilitator" ? "facilitator" : "player"));
    this.cats = (categories || CATEGORIES.map((c) => c[0])).filter((c) =>
      VOCAB.some((v) => v.cat === c && this.types.has(v.type)),
    );
    this.cat = this.cats[0];
    this.selected = null;
    this.el = h("div.console");
    this.cmd = new CommandLine(state, send, role);
    this.tabs = h("div.tabs.small", { role: "tablist", "aria-label": "Action categories" });
    this.chips = h("div.chips");
    this.formBox = h("div.form-box");
    this.el.append(this.cmd.el, this.tabs, this.chips, this.formBox);
    this.render();
  }

  render() {
    clear(
      this.tabs,
      this.cats.map((c) =>
        tabButton(this.tabs, { selected: c === this.cat, onPick: () => this.pick(c) },
          CATEGORIES.find((x) => x[0] === c)[1]),
      ),
    );
    const specs = VOCAB.filter((v) => v.cat === this.cat && this.types.has(v.type) && !v.hidden && v.type !== "clock" && v.type !== "end");
    clear(
      this.chips,
      specs.map((v) =>
        h(
          "button.chip",
          {
            type: "button",
            "aria-pressed": String(this.selected === v.type),
            title: v.help,
            onclick: () => this.open(v.type),
            dataset: { action: v.type },
          },
          v.label,
        ),
      ),
    );
    if (!this.selected || !specs.some((s) => s.type === this.selected)) {
      clear(this.formBox, h("p.empty", "Pick an action above, or type it in the command line."));
    }
  }

  pick(cat) {
    this.cat = cat;
    this.selected = null;
    this.render();
    // the status update is what the comms tab is for: open it straight away
    if (cat === "communicate" && this.types.has("status_update")) this.open("status_update", false);
  }

  open(type, focus = true) {
    const spec = BY_TYPE[type];
    if (spec.cat !== this.cat) this.cat = spec.cat;
    this.selected = type;
    this.render();
    const form = type === "status_update" ? statusComposer(this.state, this.send) : actionForm(this.state, spec, this.send);
    clear(this.formBox, form);
    if (focus) form.querySelector(type === "status_update" ? "textarea" : "input, select, textarea, button")?.focus();
    return form;
  }
}

// One tab of an ARIA tab list: roving tabindex, arrow keys move along ``bar``.
export function tabButton(bar, { id, selected, onPick, attrs = {} }, ...children) {
  return h(
    "button.tab",
    {
      type: "button",
      role: "tab",
      "aria-selected": String(selected),
      tabindex: selected ? "0" : "-1",
      ...(id === undefined ? {} : { dataset: { tab: id } }),
      onclick: onPick,
      onkeydown: (ev) => tabKeys(ev, bar),
      ...attrs,
    },
    ...children,
  );
}

export function tabKeys(ev, list) {
  if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(ev.key)) return;
  const tabs = [...list.querySelectorAll('[role="tab"]')];
  const i = tabs.indexOf(ev.currentTarget);
  const j = ev.key === "Home" ? 0 : ev.key === "End" ? tabs.length - 1 : (i + (ev.key === "ArrowRight" ? 1 : -1) + tabs.length) % tabs.length;
  ev.preventDefault();
  tabs[j].focus();
  tabs[j].click();
}

// ----------------------------------------------------------- command line
export class CommandLine {
  constructor(state, send, role) {
    this.state = state;
    this.send = send;
    this.types = allowed(role === "facilitator" ? "facilitator" : "player");
    this.history = [];
    this.hpos = 0;
    this.items = [];
    this.active = -1;
    this.input = h("input#cmdline", {
      type: "text",
      autocomplete: "off",
      spellcheck: "false",
      role: "combobox",
      "aria-autocomplete": "list",
      "aria-expanded": "false",
      "aria-controls": "cmd-suggest",
      "aria-label": "Command line",
      placeholder: examples(state),
    });
    this.list = h("ul#cmd-suggest.suggest", { role: "listbox", hidden: true });
    this.hint = h("div.cmd-hint", { "aria-live": "polite" });
    this.box = h("div.result", { "aria-live": "polite" });
    this.form = h("form.cmdline", { autocomplete: "off" }, h("span.prompt", { "aria-hidden": "true" }, "›"), this.input, this.list);
    this.el = h("div.cmd", this.form, this.hint, this.box);
    this.input.addEventListener("input", () => this.suggest());
    this.input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    this.input.addEventListener("keydown", (ev) => this.key(ev));
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submit();
    });
  }

  context() {
    const text = this.input.value.slice(0, this.input.selectionStart ?? this.input.value.length);
    const words = tokenize(text);
    const partial = /\s$/.test(text) || !words.length ? "" : words[words.length - 1];
    const done = partial === "" ? words : words.slice(0, -1);
    return { text, words, done, partial: partial ? (partial.key !== undefined ? null : partial.value) : "", partialStart: partial ? partial.start : text.length };
  }

  suggest() {
    const ctx = this.context();
    let items = [];
    let hint = "";
    if (ctx.done.length === 0) {
      const q = (ctx.partial || "").toLowerCase();
      items = this.types
        .map((t) => BY_TYPE[t])
        .filter((v) => v.type !== "clock" && (v.type.startsWith(q.replace(/-/g, "_")) || v.label.toLowerCase().includes(q)))
        .slice(0, 9)
        .map((v) => ({ value: v.type, label: v.type, note: signature(v).slice(v.type.length + 1) || v.help }));
      const alias = resolveVerb(q);
      if (alias && !items.some((i) => i.value === alias)) items.unshift({ value: alias, label: alias, note: `(${q})` });
      hint = q ? "" : "Tab completes · ↑↓ choose · Enter sends · Esc closes";
    } else {
      const verb = resolveVerb(ctx.done[0].value);
      const spec = verb && BY_TYPE[verb];
      if (!spec) {
        hint = `unknown action ${JSON.stringify(ctx.done[0].value)}`;
      } else {
        const parsed = parseCommand(ctx.done.map((w) => (w.key !== undefined ? `${w.key}=${quote(w.value)}` : quote(w.value))).join(" ")).input || { type: verb };
        const p = spec.params.find((q) => parsed[q.name] === undefined);
        hint = sigHint(spec, p);
        if (p && ctx.partial !== null) {
          const q = (ctx.partial || "").toLowerCase();
          items = choices(this.state, p, parsed)
            .filter((c) => c.toLowerCase().startsWith(q) || (q && c.toLowerCase().includes(q)))
            .slice(0, 9)
            .map((c) => ({ value: c, label: c, note: p.name }));
          if (p.kind === "pod" && !items.length && !q) hint += " — no pods known yet: open the pod breakdown first";
        }
      }
    }
    this.items = items;
    this.active = -1;
    this.hint.replaceChildren(...(typeof hint === "string" ? [hint] : hint));
    this.renderList();
  }

  renderList() {
    const open = this.items.length > 0 && document.activeElement === this.input;
    this.list.hidden = !open;
    this.input.setAttribute("aria-expanded", String(open));
    clear(
      this.list,
      this.items.map((it, i) =>
        h(
          "li",
          {
            id: `cmd-opt-${i}`,
            role: "option",
            "aria-selected": String(i === this.active),
            onmousedown: (ev) => {
              ev.preventDefault();
              this.accept(i);
            },
          },
          h("span.opt", it.label),
          it.note ? h("span.note", it.note) : null,
        ),
      ),
    );
    if (this.active >= 0) this.input.setAttribute("aria-activedescendant", `cmd-opt-${this.active}`);
    else this.input.removeAttribute("aria-activedescendant");
  }

  close() {
    this.items = [];
    this.renderList();
  }

  accept(i) {
    const it = this.items[i];
    if (!it) return;
    const ctx = this.context();
    const before = this.input.value.slice(0, ctx.partialStart);
    const after = this.input.value.slice(ctx.text.length).replace(/^\S*/, "");
    const word = /\s/.test(it.value) ? `"${it.value}"` : it.value;
    this.input.value = before + word + " " + after.trimStart();
    const pos = (before + word + " ").length;
    this.input.setSelectionRange(pos, pos);
    this.suggest();
  }

  key(ev) {
    const open = !this.list.hidden;
    if (ev.key === "ArrowDown" && open) {
      ev.preventDefault();
      this.active = (this.active + 1) % this.items.length;
      this.renderList();
    } else if (ev.key === "ArrowUp" && open) {
      ev.preventDefault();
      this.active = (this.active - 1 + this.items.length) % this.items.length;
      this.renderList();
    } else if (ev.key === "ArrowDown" && !open && (!this.history.length || this.input.value === "")) {
      ev.preventDefault();
      this.suggest();
    } else if (ev.key === "Tab" && this.items.length && !ev.shiftKey && this.input.value.trim()) {
      // The list may have been drawn while focus was elsewhere (a live re-render);
      // the input has focus now, so complete from the computed suggestions.
      ev.preventDefault();
      this.accept(this.active >= 0 ? this.active : 0);
    } else if (ev.key === "Enter" && open && this.active >= 0) {
      ev.preventDefault();
      this.accept(this.active);
    } else if (ev.key === "Escape") {
      if (open) {
        ev.preventDefault();
        ev.stopPropagation();
        this.close();
      } else this.input.blur();
    } else if ((ev.key === "ArrowUp" || ev.key === "ArrowDown") && this.history.length) {
      ev.preventDefault();
      this.hpos = Math.max(0, Math.min(this.history.length, this.hpos + (ev.key === "ArrowUp" ? -1 : 1)));
      this.input.value = this.history[this.hpos] || "";
    }
  }

  async submit() {
    const line = this.input.value.trim();
    this.close();
    if (line === "?" || line === "help") {
      showResult(this.box, null, { ok: true, text: "actions: " + this.types.filter((t) => t !== "clock").join(", ") });
      return;
    }
    // "Priya, rollback checkout-api": the same command, done by a simulated teammate
    const to = addressed(line, (this.state.info?.responders || []).map((r) => r.name));
    const task = to && understand(to.rest, this.state.info || {});
    const parsed = task ? { input: { type: "delegate", person: to.person, task } } : parseCommand(line);
    if (parsed.error) {
      showResult(this.box, this.form, { ok: false, code: "syntax", text: parsed.error });
      this.input.setAttribute("aria-invalid", "true");
      return;
    }
    this.input.removeAttribute("aria-invalid");
    this.history.push(line);
    this.hpos = this.history.length;
    const ack = await submitInput(this.send, parsed.input, this.box, null);
    if (ack) this.input.value = "";
    else this.input.setAttribute("aria-invalid", "true");
  }
}

/** A placeholder with examples from this scenario's own names. */
function examples(state) {
  const info = state.info || {};
  const svc = info.services?.[0]?.name || "<service>";
  const ex = [`read_logs ${svc}`];
  if (info.flags?.length) ex.push(`set_flag ${info.flags[0].name} off`);
  else if (info.topics?.length) ex.push(`inspect_queue ${info.topics[0]}`);
  else if (info.dependencies?.length) ex.push(`set_breaker ${info.dependencies[0]} open`);
  ex.push(`rollback ${svc}`);
  return "type an action, e.g. " + ex.join(" · ") + "  (Tab completes)";
}

function quote(v) {
  return /\s/.test(v) ? `"${v}"` : v;
}

function sigHint(spec, current) {
  const parts = [h("code", spec.type)];
  for (const p of spec.params) {
    const txt = p.optional ? `[${p.name}]` : `<${p.name}>`;
    parts.push(" ", p === current ? h("b.cur", txt) : txt);
  }
  parts.push(h("span.muted", " — " + spec.help));
  return parts;
}

// ------------------------------------------------------- status composer
export function statusComposer(state, send) {
  const spec = BY_TYPE.status_update;
  const box = h("div.result", { "aria-live": "polite" });
  const sel = (name, opts, value) => h("select", { name, id: `su-${name}` }, options(opts, value));
  const preview = h("p.preview", { "aria-live": "off" });
  const form = h(
    "form.status-form",
    { novalidate: true, dataset: { action: "status_update" }, "aria-label": "Status update" },
    h(
      "div.fields.row",
      field("audience", sel("audience", spec.params[0].options, "public")),
      field("state", sel("state", spec.params[1].options, "investigating")),
      field("next in (min)", h("input", { name: "next_update_min", id: "su-next_update_min", type: "number", min: 1, max: 240, value: "30" })),
    ),
    field("impact", h("textarea", { name: "impact", id: "su-impact", rows: 2, maxlength: 1000, placeholder: "who is affected and how much, e.g. ~20% of checkouts fail" })),
    field("current action", h("input", { name: "action", id: "su-action", maxlength: 1000, placeholder: "what we are doing now" })),
    preview,
    h("div.form-actions", h("button.primary", { type: "submit" }, "Post update"), h("span.muted.small", "Enter posts · Shift+Enter new line"), box),
  );
  const draw = () => {
    const d = readForm(form, spec);
    const words = [`[${(d.state || "").toUpperCase()}]`, d.impact || "…"];
    if (d.action) words.push(d.action.replace(/\.?$/, "."));
    if (d.next_update_min) words.push(`Next update in ${d.next_update_min} minutes.`);
    preview.textContent = `${d.audience} · ` + words.join(" ");
  };
  form.addEventListener("input", draw);
  form.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && ev.target.tagName === "TEXTAREA" && !ev.shiftKey) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const ack = await submitInput(send, readForm(form, spec), box, form);
    if (ack) {
      form.elements.impact.value = "";
      form.elements.action.value = "";
      draw();
    }
  });
  draw();
  return form;
}
