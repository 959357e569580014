// The facilitator console: clock, injects and ad-hoc messages, hidden truth, live grade,
// private notes, acting on behalf of a player, and the join links.

import { report, rotateCodes } from "./api.js";
import { ActionConsole, showResult, tabButton } from "./console.js";
import { describe } from "./describe.js";
import { clear, clock, copyText, field, h, options, toast } from "./dom.js";
import { gradeView } from "./endscreen.js";
import { findEntry, update as updateRecent } from "./store.js";

const PRESETS = [
  ["VP Engineering", "executive", "executive"],
  ["Support lead", "support", "chat"],
  ["Database SME", "sme", "chat"],
  ["Payments SME", "sme", "chat"],
  ["Angry customer", "customer", "customer"],
  ["Teammate", "teammate", "chat"],
];

export class FacilitatorConsole {
  constructor(room, ctx) {
    this.room = room;
    this.ctx = ctx;
    this.state = room.state;
    this.conn = ctx.conn;
    this.tab = "drill";
    this.tabs = [
      ["drill", "Drill"],
      ["injects", "Injects"],
      ["prompts", "Cards"],
      ["truth", "Truth"],
      ["grade", "Grade"],
      ["notes", "Notes"],
      ["act", "Act as"],
    ];
    this.tabBar = h("div.tabs.small", { role: "tablist", "aria-label": "Facilitator console" });
    this.body = h("div.fac-body", { role: "tabpanel" });
    this.clockBox = this.clockControls();
    this.el = h(
      "section.panel.fac",
      { "aria-label": "Facilitator console" },
      h("header.panel-head", h("h2", "Facilitator"), h("span.muted.small", "players cannot see this column")),
      this.clockBox,
      this.tabBar,
      this.body,
    );
    this.draw();
    this.unlisten = this.state.listen((topics) => this.changed(topics));
  }

  destroy() {
    this.unlisten();
    clearInterval(this.gradeTimer);
  }

  changed(topics) {
    if (topics.has("clock") || topics.has("all") || topics.has("ended")) this.drawClock();
    const t = this.tab;
    if ((t === "injects" && (topics.has("injects") || topics.has("all"))) || (t === "notes" && topics.has("notes")) || (t === "truth" && topics.has("timeline"))) this.drawBody();
    if (t === "act" && topics.has("roster")) this.drawBody();
    if (t === "prompts" && (topics.has("prompts") || topics.has("all"))) this.drawBody();
    if (topics.has("prompts") || topics.has("all")) this.drawTabs();
    if (t === "drill" && topics.has("roster")) this.drawBody();
  }

  /** Answer one message: open the message form on the injects tab, replying to it. */
  reply(e) {
    if (this.tab !== "injects") {
      this.tab = "injects";
      this.draw();
    }
    this.replyTo?.(e);
  }

  draw() {
    this.drawTabs();
    this.drawBody();
    this.drawClock();
  }

  drawTabs() {
    // the cards tab counts the cards ready and not used yet, so a new one is noticed
    const waiting = this.state.cards().filter((c) => c.ready_at != null && c.used_at == null).length;
    clear(
      this.tabBar,
      this.tabs.map(([id, label]) =>
        tabButton(this.tabBar, { id, selected: id === this.tab, onPick: () => {
          this.tab = id;
          this.draw();
        } }, id === "prompts" && waiting ? `${label} (${waiting})` : label),
      ),
    );
  }

  drawBody() {
    clearInterval(this.gradeTimer);
    const fn = {
      drill: () => this.drillTab(),
      injects: () => this.injectsTab(),
      prompts: () => this.promptsTab(),
      truth: () => this.truthTab(),
      grade: () => this.gradeTab(),
      notes: () => this.notesTab(),
      act: () => this.actTab(),
    }[this.tab];
    // keep typing intact: only redraw a tab when focus is not inside a form field of it
    const active = document.activeElement;
    if (this.body.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName) && this.body.dataset.tab === this.tab) return;
    this.body.dataset.tab = this.tab;
    clear(this.body, fn());
  }

  // ----------------------------------------------------------------- clock
  clockControls() {
    const result = h("div.result", { "aria-live": "polite" });
    const speed = h("input#fac-speed", { type: "number", min: 0.1, max: 600, step: "any", value: String(this.state.clock.speed), "aria-label": "speed factor" });
    const jump = h("input#fac-jump", { type: "number", min: 1, max: 3600, step: 1, value: "60", "aria-label": "seconds to jump" });
    const ctl = async (action, params = {}) => {
      try {
        await this.conn.control(action, params);
        showResult(result, null, null);
      } catch (err) {
        showResult(result, null, { ok: false, code: err.code, text: err.message });
      }
    };
    this.btn = {
      start: h("button.primary#clock-start", { type: "button", onclick: () => ctl("start") }, "▶ Start"),
      pause: h("button#clock-pause", { type: "button", onclick: () => ctl("pause") }, "❚❚ Pause"),
      resume: h("button.primary#clock-resume", { type: "button", onclick: () => ctl("resume") }, "▶ Resume"),
      step: h("button#clock-step", { type: "button", onclick: () => ctl("step"), title: "advance one tick while stopped" }, "Step"),
      end: h("button.danger#clock-end", { type: "button", onclick: () => this.endDrill(result) }, "End drill"),
    };
    const speedForm = h("form.inline", { novalidate: true, onsubmit: (ev) => (ev.preventDefault(), ctl("speed", { speed: Number(speed.value) })) }, h("label", { for: "fac-speed" }, "speed ×"), speed, h("button", { type: "submit" }, "Set"));
    const jumpForm = h("form.inline", { novalidate: true, onsubmit: (ev) => (ev.preventDefault(), ctl("jump", { seconds: Number(jump.value) })) }, h("label", { for: "fac-jump" }, "jump s"), jump, h("button#clock-jump", { type: "submit" }, "Jump"));
    this.speedIn = speed;
    return h("div.clock-ctl", h("div.btns", this.btn.start, this.btn.pause, this.btn.resume, this.btn.step, this.btn.end), h("div.btns", speedForm, jumpForm), result);
  }

  drawClock() {
    const s = this.state.ended ? "ended" : this.state.clock.status;
    const b = this.btn;
    b.start.hidden = s !== "created";
    b.pause.hidden = s !== "running";
    b.resume.hidden = s !== "paused";
    b.step.disabled = s === "running" || s === "ended";
    b.end.disabled = s === "ended";
    if (document.activeElement !== this.speedIn) this.speedIn.value = String(this.state.clock.speed);
  }

  async endDrill(result) {
    const reason = window.prompt("End the drill now? Players will see the debrief.\nReason (optional):", "ended by facilitator");
    if (reason === null) return;
    try {
      await this.conn.control("end", reason.trim() ? { reason: reason.trim().slice(0, 200) } : {});
    } catch (err) {
      showResult(result, null, { ok: false, code: err.code, text: err.message });
    }
  }

  // ------------------------------------------------------------------ tabs
  drillTab() {
    const st = this.state;
    const entry = findEntry(st.drillId, "facilitator");
    const links = h("div.links");
    // links at the server's public address (--public-url), as of creation or the last rotation
    const showCodes = (p, o, base = entry?.base || location.origin) => {
      clear(
        links,
        linkLine("Player link", `${base}/drills/${st.drillId}/join#code=${p}`),
        linkLine("Observer link", `${base}/drills/${st.drillId}/join#code=${o}&as=observer`),
      );
    };
    if (entry?.player_code) showCodes(entry.player_code, entry.observer_code);
    else links.append(h("p.muted.small", "The join codes were shown when the drill was created (in another browser?). Rotate them to get new ones; tokens already issued keep working."));
    const rotate = h("button", {
      type: "button",
      onclick: async () => {
        try {
          const c = await rotateCodes(st.drillId, this.ctx.token);
          const base = c.player_join.split("/drills/")[0];
          updateRecent(st.drillId, "facilitator", { player_code: c.player_code, observer_code: c.observer_code, base });
          showCodes(c.player_code, c.observer_code, base);
          toast("New join codes issued; the old ones no longer work");
        } catch (err) {
          toast(err.message, "error");
        }
      },
    }, "Rotate join codes");
    const players = st.roster.filter((p) => p.role === "player");
    return h(
      "div",
      h("h3", "Invite"),
      links,
      h("div.form-actions", rotate),
      h("h3", "Participants"),
      players.length
        ? h("ul.roster", players.map((p) => h("li", p.name, p.incident_role ? h("span.badge", p.incident_role.toUpperCase()) : null)))
        : h("p.empty", "No players yet. Share the player link."),
      h("p.muted.small", `${st.roster.filter((p) => p.role === "observer").length} observer(s) · seed and scenario are in the log header`),
    );
  }

  injectsTab() {
    const st = this.state;
    const list = st.injects.length
      ? h(
          "ul.inject-list",
          st.injects.map((j) => {
            const fired = st.fired.get(j.id);
            const box = h("span.result");
            return h(
              "li.inject-item",
              { dataset: { inject: j.id }, class: fired ? "fired" : "" },
              h("div.msg-head", h("b", j.from), h("span.badge", j.role), h("span.badge.ch", "#" + j.channel), h("code.muted", j.id)),
              h("div.small", j.text),
              h(
                "div.inject-foot",
                h("span.muted.small", fired ? `fired ${clock(fired.t)}` : "due " + triggerText(j)),
                h("button.small", {
                  type: "button",
                  onclick: async () => {
                    try {
                      await this.conn.input({ type: "inject", id: j.id });
                      showResult(box, null, { ok: true, text: "✓ sent" });
                    } catch (err) {
                      showResult(box, null, { ok: false, code: err.code, text: err.message });
                    }
                  },
                }, fired ? "Fire again" : "Fire now"),
                box,
              ),
            );
          }),
        )
      : h("p.empty", "This scenario has no scripted injects. Use the message form below.");
    return h("div", h("h3", "Scenario injects"), list, h("h3", "Speak as someone"), this.messageForm());
  }

  promptsTab() {
    const cards = this.state.cards();
    if (!cards.length) return h("p.empty", "This scenario has no prompt cards.");
    // ready and unused first (what to act on now), then waiting, then used
    const rank = (c) => (c.used_at != null ? 2 : c.ready_at != null ? 0 : 1);
    const sorted = cards.slice().sort((a, b) => rank(a) - rank(b));
    const use = async (c, send, box) => {
      try {
        await this.conn.input({ type: "use_prompt", id: c.id, send });
        showResult(box, null, { ok: true, text: send ? "✓ sent to the players" : "✓ marked used" });
      } catch (err) {
        showResult(box, null, { ok: false, code: err.code, text: err.message });
      }
    };
    const item = (c) => {
      const box = h("span.result");
      const status = c.used_at != null
        ? `used ${clock(c.used_at)}${c.sent ? ", line sent" : ""}`
        : c.ready_at != null ? `ready ${clock(c.ready_at)}` : `waiting: ${c.when}`;
      const cls = c.used_at != null ? "used" : c.ready_at != null ? "ready" : "waiting";
      return h(
        "li.prompt-card",
        { dataset: { prompt: c.id }, class: cls },
        h("div.msg-head", h("code.muted", c.id), h("span.badge", cls), h("span.muted.small", c.when)),
        h("div.prompt-text", c.text),
        c.say ? h("div.small", h("b", `${c.from} (${c.role}): `), h("i", c.say)) : null,
        h(
          "div.inject-foot",
          h("span.muted.small", status),
          c.used_at == null ? h("button.small", { type: "button", onclick: () => use(c, false, box) }, "Mark used") : null,
          c.used_at == null && c.say ? h("button.small.primary", { type: "button", onclick: () => use(c, true, box) }, `Send as ${c.from}`) : null,
          box,
        ),
      );
    };
    return h(
      "div",
      h("p.muted.small", "Hints for you, keyed to what the team has (not) done. Players never see a card; a sent line arrives as the character's chat message. The debrief lists the cards used."),
      h("ul.prompt-list", sorted.map(item)),
    );
  }

  messageForm() {
    // the scenario's own characters first (its injects' senders, its experts), then generic ones
    const seen = new Set();
    const cast = [
      ...(this.state.injects || []).map((j) => [j.from, j.role || "teammate", j.channel || "chat"]),
      ...(this.state.info?.responders || []).map((r) => [r.name, "teammate", "chat"]),
    ].filter((c) => c[0] && !seen.has(c[0]) && seen.add(c[0]));
    const all = [...cast.map((c, i) => [`c${i}`, c]), ...PRESETS.map((c, i) => [String(i), c])];
    const preset = h(
      "select#msg-preset",
      { "aria-label": "preset" },
      h("option", { value: "" }, "preset…"),
      cast.length ? h("optgroup", { label: "this scenario's people" }, options(all.filter(([k]) => k[0] === "c").map(([k, c]) => [k, `${c[0]} (${c[1]})`]))) : null,
      h("optgroup", { label: "generic" }, options(all.filter(([k]) => k[0] !== "c").map(([k, c]) => [k, `${c[0]} (${c[1]})`]))),
    );
    const reply = h("span.reply-to.small.muted", { "aria-live": "polite" });
    this.replyTo = (e) => {
      this.replying = e.seq;
      clear(reply, `replying to #${e.seq} (${e.data.from || e.actor}) `, h("button.ghost", { type: "button", onclick: () => ((this.replying = null), clear(reply)) }, "cancel"));
      text.focus();
    };
    const sender = h("input#msg-sender", { name: "sender", maxlength: 200, value: "VP Engineering" });
    const role = h("select#msg-role", { name: "role" }, options(["executive", "sme", "customer", "support", "teammate", "system"], "executive"));
    const channel = h("select#msg-channel", { name: "channel" }, options(["chat", "executive", "customer", "pager"], "executive"));
    const text = h("textarea#msg-text", { name: "text", rows: 2, maxlength: 2000, placeholder: "e.g. What is the customer impact and when is the next update?" });
    const box = h("div.result", { "aria-live": "polite" });
    preset.addEventListener("change", () => {
      const p = Object.fromEntries(all)[preset.value];
      if (!p) return;
      [sender.value, role.value, channel.value] = p;
    });
    const form = h(
      "form.message-form",
      { novalidate: true },
      h("div.fields.row", field("preset", preset), field("sender", sender)),
      h("div.fields.row", field("as a", role), field("channel", channel)),
      field("message", text),
      reply,
      h("div.form-actions", h("button.primary#msg-send", { type: "submit" }, "Send message"), box),
    );
    text.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const msg = { type: "message", sender: sender.value.trim(), role: role.value, channel: channel.value, text: text.value };
        if (this.replying) msg.reply_to = this.replying;
        await this.conn.input(msg);
        text.value = "";
        this.replying = null;
        clear(reply);
        showResult(box, form, { ok: true, text: "✓ delivered to the channel" });
      } catch (err) {
        showResult(box, form, { ok: false, code: err.code, text: err.message });
      }
    });
    return form;
  }

  truthTab() {
    const t = this.state.truth;
    if (!t) return h("p.empty", "No hidden truth in the snapshot.");
    const hidden = this.state.timeline.filter((e) => e.vis === "facilitator" && e.type !== "input");
    const list = (items) => (items?.length ? h("ul", items.map((x) => h("li", typeof x === "string" ? x : JSON.stringify(x)))) : h("p.muted.small", "none"));
    return h(
      "div.truth",
      h("p.warn.small", "Do not read this aloud: it is what the players are meant to discover."),
      h("dl.kv.wide", h("dt", "Trigger"), h("dd", t.trigger), h("dt", "Root cause"), h("dd", t.root_cause)),
      h("h4", "Contributing factors"),
      list(t.contributing_factors),
      h("h4", "Causal chain"),
      t.causal_chain?.length ? h("ol", t.causal_chain.map((c) => h("li", c))) : h("p.muted.small", "none"),
      h("h4", "Action items the scenario expects"),
      t.action_items?.length ? h("ul", t.action_items.map((a) => h("li", h("b", a.title), ` — ${a.owner}, ${a.due_days} days; `, h("i", a.verification)))) : h("p.muted.small", "none"),
      t.lucky?.length ? [h("h4", "Where they got lucky"), list(t.lucky)] : null,
      h("h4", "Hidden events so far"),
      hidden.length ? h("ul.hidden-events", hidden.map((e) => h("li", h("span.mono", clock(e.t)), " ", describe(e).text))) : h("p.muted.small", "none yet"),
    );
  }

  gradeTab() {
    const out = h("div.grade-live", h("p.muted", "Loading the live grade…"));
    const load = async () => {
      try {
        const g = await report(this.state.drillId, "grade", this.ctx.token);
        clear(out, h("p.muted.small", `Live preview at ${clock(this.state.now)}; it changes as the drill goes on.`), gradeView(g, { compact: true }));
      } catch (err) {
        clear(out, h("div.error-state", { role: "status" }, h("b", err.status === 404 ? "Grading is not available on this server yet." : "Cannot load the grade."), h("p.small", err.message)));
      }
    };
    load();
    this.gradeTimer = setInterval(() => {
      if (this.tab === "grade" && !out.matches(":focus-within")) load();
    }, 10000);
    return h("div", h("div.form-actions", h("button", { type: "button", onclick: load }, "Refresh grade")), out);
  }

  notesTab() {
    const text = h("textarea#note-text", { name: "text", rows: 3, maxlength: 2000, placeholder: "private: what to ask in the debrief, what you noticed…" });
    const box = h("div.result", { "aria-live": "polite" });
    const form = h("form.note-form", { novalidate: true }, field("note (only facilitators see notes)", text), h("div.form-actions", h("button.primary", { type: "submit" }, "Save note"), box));
    text.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await this.conn.input({ type: "note", text: text.value });
        text.value = "";
        showResult(box, form, { ok: true, text: "✓ noted" });
        this.body.dataset.tab = "";
        setTimeout(() => this.drawBody(), 0);
      } catch (err) {
        showResult(box, form, { ok: false, code: err.code, text: err.message });
      }
    });
    const notes = this.state.notes;
    return h("div", form, notes.length ? h("ol.notes", notes.slice().reverse().map((n) => h("li", h("span.mono.muted", clock(n.t) + " "), n.data.text))) : h("p.empty", "No notes yet."));
  }

  actTab() {
    const players = this.state.players();
    if (!players.length) return h("p.empty", "No players have joined yet. Acting on someone's behalf needs a player to act for.");
    const who = h("select#act-as", { "aria-label": "act as" }, options(players, this.actAs));
    who.addEventListener("change", () => (this.actAs = who.value));
    this.actAs = who.value;
    const cons = new ActionConsole(this.state, (input) => this.conn.input(input, who.value), { role: "player" });
    return h("div.act-as", h("div.fields.row", field("acting as", who, "logged as the player's input, with you as `by`")), cons.el);
  }
}

function linkLine(label, url) {
  return h(
    "div.link-row",
    h("div.link-label", h("b", label)),
    h("div.link-value", h("input", { readonly: true, value: url, "aria-label": label, onfocus: (ev) => ev.target.select() }), h("button", { type: "button", onclick: () => copyText(url) }, "Copy")),
  );
}

function triggerText(j) {
  if (j.at !== null && j.at !== undefined) return `at ${clock(j.at + (j.delay || 0))}`;
  const w = j.when || {};
  const delay = j.delay ? ` + ${Math.round(j.delay)}s` : "";
  if (w.alert) return `when ${w.alert} fires${delay}`;
  if (w.metric) return `when ${w.metric} ${w.op} ${w.threshold}${delay}`;
  if (w.after_page !== null && w.after_page !== undefined) return `${Math.round(w.after_page / 60)} min after the page${w.no_status_update ? " unless a public update went out" : ""}${delay}`;
  return "on demand";
}

