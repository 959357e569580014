// The war room: header with the incident clock, alerts, roles, channel, live charts,
// investigation panels, action console, status composer and timeline. Players act,
// observers watch, the facilitator gets the console in facilitator.js in the right column.

import { Charts } from "./charts.js";
import { ActionConsole, showResult, tabButton } from "./console.js";
import { describe } from "./describe.js";
import { $, clear, clock, h, mmss, num, options, rafThrottle } from "./dom.js";
import { soloClock, TeammatesPanel } from "./teammates.js";
import { addressed, understand } from "./vocab.js";

const PHASES = [
  [0, 5, "Command", "cmd"],
  [5, 15, "Blast radius", "blast radius"],
  [15, 25, "Mitigation", "mitigation"],
  [25, 30, "Communication", "comms"],
];
const WINDOW = 30 * 60;

export class WarRoom {
  /** ctx: {state, conn, role, drillId, side(el) -> optional right column for the facilitator} */
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.state = ctx.state;
    this.role = ctx.state.me.role;
    this.canAct = this.role !== "observer";
    this.send = (input) => ctx.conn.input(input);
    this.pending = new Set();
    this.flush = rafThrottle(() => this.redraw());
    this.build();
    this.unlisten = this.state.listen((topics) => {
      for (const t of topics) this.pending.add(t);
      this.flush();
    });
    this.ticker = setInterval(() => this.drawClock(), 250);
    this.pending.add("all");
    this.redraw();
  }

  destroy() {
    this.unlisten();
    clearInterval(this.ticker);
  }

  // ------------------------------------------------------------- layout
  build() {
    const st = this.state;
    const info = st.info || {};
    this.clockEl = h("div.clock", { "aria-label": "drill time" }, h("span.t", "T+00:00"), h("span.status"));
    this.phaseEl = h("div.phase", { "aria-label": "30-minute window from the page" });
    this.incEl = h("div.incident-sum");
    this.connEl = h("span.conn", { role: "status", title: "connection" });
    const header = h(
      "header.topbar.room-top",
      h("a.brand", { href: "/", title: "back to the lobby" }, h("span.logo", { "aria-hidden": "true" }), "firedrill"),
      h("div.scn", h("b", info.title || st.drillId), h("span.muted", ` ${info.difficulty || ""}`)),
      this.clockEl,
      (this.solo = soloClock(this))?.el || null,
      this.phaseEl,
      this.incEl,
      h("div.spacer"),
      h("div.me", h("span.who", st.me.name), h("span.badge.role", { class: "role-" + st.me.role }, roleLabel(st.me))),
      this.connEl,
      h("button.ghost.help-btn", { type: "button", onclick: () => this.ctx.help(), title: "keyboard shortcuts (?)" }, "?"),
    );

    this.alertsEl = h("div.panel-body.alerts", { "aria-live": "polite" });
    this.rolesEl = h("div.panel-body.roles");
    this.chatList = h("ol.chat-list", { "aria-label": "incident channel messages", tabindex: "0" });
    const left = h(
      "aside.col.col-left",
      panel("Alerts", this.alertsEl, "alerts-panel"),
      panel("Incident roles", this.rolesEl, "roles-panel"),
      this.solo && info.responders?.length ? panel("Teammates", (this.mates = new TeammatesPanel(this)).el, "mates-panel", false, h("span.muted.small", "simulated")) : null,
      panel("Incident channel", h("div.panel-body.chat", this.chatList, this.canAct ? this.chatForm() : h("p.muted.small", "Observers read the channel; they cannot post.")), "chat-panel", "grow"),
    );

    this.chartsEl = h("div.charts");
    this.charts = new Charts(this.chartsEl, st);
    this.invest = new Investigations(this);
    const center = h(
      "section.col.col-center",
      { "aria-label": "dashboards" },
      h("div.panel.charts-panel", h("header.panel-head", h("h2", "Dashboards"), h("span.muted.small", "red line: page · amber: mitigation · dashed: alert threshold")), this.chartsEl),
      this.invest.el,
    );

    this.timelineList = h("ol.timeline", { "aria-label": "timeline of events", tabindex: "0" });
    this.tlFilter = h("select.tl-filter", { "aria-label": "filter the timeline", onchange: () => this.redrawTimeline(true) }, options([["all", "everything"], ["action", "actions"], ["alert", "alerts & system"], ["chat", "messages"]]));
    const timeline = panel("Timeline", h("div.panel-body.tl-body", this.timelineList), "timeline-panel", "grow", this.tlFilter);

    let right;
    if (this.role === "facilitator") {
      right = h("aside.col.col-right", this.ctx.side(this), timeline);
    } else if (this.canAct) {
      this.console = new ActionConsole(st, this.send, { role: "player" });
      this.cadenceEl = h("span.cadence", { title: "the next public status update you promised" });
      right = h("aside.col.col-right", panel("Action console", this.console.el, "console-panel", false, this.cadenceEl), timeline);
    } else {
      this.updatesEl = h("div.panel-body.updates");
      right = h("aside.col.col-right", panel("Status updates", this.updatesEl, "updates-panel"), timeline);
    }
    this.grid = h("main#main.room", { class: "role-" + this.role }, left, center, right);
    this.root.replaceChildren(header, this.grid);
  }

  chatForm() {
    const input = h("input#chat-input", { name: "text", maxlength: 2000, autocomplete: "off", placeholder: "message the channel (c)", "aria-label": "message the incident channel" });
    const box = h("div.result", { "aria-live": "polite" });
    const form = h("form.chat-form", { novalidate: true }, input, h("button", { type: "submit" }, "Send"), box);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!input.value.trim()) return;
      // "Priya, check the pod breakdown of api-gateway": a task for a teammate, when it is one
      const to = addressed(input.value, (this.state.info?.responders || []).map((r) => r.name));
      const task = to && understand(to.rest, this.state.info || {});
      try {
        await this.send({ type: "chat", text: input.value });
        input.value = "";
        showResult(box, form, null);
        if (task) await this.delegate(to.person, task, box, form);
      } catch (err) {
        showResult(box, form, { ok: false, code: err.code, text: err.message });
      }
    });
    return form;
  }

  /** Give a simulated teammate a task; the result shows in ``box``. */
  async delegate(person, task, box, form) {
    try {
      const ack = await this.send({ type: "delegate", person, task });
      showResult(box, form, { ok: true, text: `✓ asked ${person} (#${ack.seq})` });
    } catch (err) {
      showResult(box, form, { ok: false, code: err.code, text: err.message });
    }
  }

  // ------------------------------------------------------------- drawing
  redraw() {
    const t = this.pending;
    this.pending = new Set();
    const all = t.has("all");
    if (all || t.has("metrics") || t.has("marks") || t.has("clock")) this.charts.update();
    if (all || t.has("alerts")) this.drawAlerts();
    if (all || t.has("incident") || t.has("roster")) {
      this.drawRoles();
      this.drawIncident();
    }
    if (all || t.has("chat")) this.drawChat(all);
    if (all || t.has("timeline")) this.redrawTimeline(all);
    if (all || t.has("observations") || t.has("detail") || t.has("flags")) this.invest.draw(all);
    if (this.updatesEl && (all || t.has("updates"))) this.drawUpdates();
    if (all || t.has("clock") || t.has("time")) this.drawClock();
    if (this.mates && (all || t.has("chat") || t.has("timeline") || t.has("incident"))) this.mates.draw();
    if (this.solo && (all || t.has("clock") || t.has("ended"))) this.solo.draw();
    this.ctx.onRedraw?.(t);
  }

  drawClock() {
    const st = this.state;
    const now = st.displayNow();
    const status = st.ended ? "ended" : st.clock.status;
    $(".t", this.clockEl).textContent = clock(now);
    const s = $(".status", this.clockEl);
    s.textContent = status === "running" ? `${status} ×${fmtSpeed(st.clock.speed)}` : status === "created" ? "not started" : status;
    s.title = status === "created" ? (this.solo ? "start the clock when you are ready" : "waiting for the facilitator to start the clock; you can chat meanwhile") : "";
    if (status === "created" && !this.solo && this.role === "player") s.textContent = "waiting for the facilitator";
    s.className = "status pill st-" + status;
    this.drawPhase(now);
    if (this.cadenceEl) {
      const c = cadence(st, now);
      if (this.cadenceEl.textContent !== c.text) this.cadenceEl.textContent = c.text;
      this.cadenceEl.className = "cadence small " + c.cls;
    }
  }

  drawPhase(now) {
    const st = this.state;
    if (st.pageAt === null) {
      if (this.phaseEl.dataset.mode !== "wait") {
        this.phaseEl.dataset.mode = "wait";
        clear(this.phaseEl, h("div.bar.idle", PHASES.map(([a, b, name, short]) => h("span.seg", { style: { flex: b - a }, title: name }, short))), h("span.since.muted", "30-min window starts at the page"));
      }
      return;
    }
    const since = now - st.pageAt;
    if (this.phaseEl.dataset.mode !== "live") {
      this.phaseEl.dataset.mode = "live";
      clear(
        this.phaseEl,
        h("div.bar", PHASES.map(([a, b, name, short]) => h("span.seg", { style: { flex: b - a }, title: `${name}: minutes ${a}-${b} after the page`, dataset: { from: a, to: b } }, short)), h("i.cursor")),
        h("span.since"),
      );
    }
    const frac = Math.max(0, Math.min(1, since / WINDOW));
    $(".cursor", this.phaseEl).style.left = `${(frac * 100).toFixed(2)}%`;
    const minute = since / 60;
    for (const seg of this.phaseEl.querySelectorAll(".seg")) {
      seg.classList.toggle("now", minute >= +seg.dataset.from && minute < +seg.dataset.to);
      seg.classList.toggle("past", minute >= +seg.dataset.to);
    }
    const phase = PHASES.find(([a, b]) => minute >= a && minute < b);
    $(".since", this.phaseEl).textContent = since <= WINDOW ? `page +${mmss(since)} / 30:00 · ${phase ? phase[2] : ""}` : `page +${mmss(since)} · past the first 30 minutes`;
  }

  drawIncident() {
    const inc = this.state.incident;
    clear(
      this.incEl,
      h("span", { class: inc.commander ? "" : "warn" }, "IC ", h("b", inc.commander || "none")),
      h("span", "severity ", h("b", inc.severity || "—")),
      h("span", "status ", h("b", inc.status || "—")),
    );
  }

  drawAlerts() {
    const st = this.state;
    const firing = [...st.firing.values()].sort((a, b) => (a.severity === "page" ? -1 : 1) - (b.severity === "page" ? -1 : 1) || (a.t ?? 0) - (b.t ?? 0));
    const recent = st.alertFeed.slice(-6).reverse();
    clear(
      this.alertsEl,
      firing.length
        ? h(
            "ul.firing",
            firing.map((a) =>
              h(
                "li.alert",
                { class: "sev-" + (a.severity || "page") },
                h("div.alert-top", h("b", { title: a.name }, a.name), h("span.pill", a.severity || "alert"), a.t !== undefined ? h("span.muted", clock(a.t)) : null),
                a.metric ? h("div.small", `${a.metric} ${num(a.value)} / ${num(a.threshold)}`) : null,
                a.summary ? h("div.small.muted", a.summary) : null,
              ),
            ),
          )
        : h("p.empty", st.alertFeed.length ? "Nothing firing now." : "No alerts yet. All quiet, for now."),
      recent.length
        ? h("ul.alert-history", recent.map((e) => h("li", { class: e.type.replace(".", "-") }, h("span.muted", clock(e.t)), " ", describe(e).text)))
        : null,
    );
    const n = firing.length;
    const head = this.alertsEl.closest(".panel")?.querySelector("h2");
    if (head) head.textContent = n ? `Alerts (${n} firing)` : "Alerts";
  }

  drawRoles() {
    const st = this.state;
    const inc = st.incident;
    const rows = [];
    rows.push(["Incident commander", inc.commander || "nobody yet", inc.commander ? "" : "warn"]);
    for (const [person, role] of Object.entries(inc.roles || {})) if (role !== "ic") rows.push([role.toUpperCase(), person, ""]);
    const people = st.roster.filter((p) => p.role !== "facilitator" || this.role === "facilitator");
    clear(
      this.rolesEl,
      h("dl.kv", rows.map(([k, v, c]) => [h("dt", k), h("dd", { class: c }, v)])),
      h(
        "ul.roster",
        { "aria-label": "participants" },
        people.map((p) =>
          h("li", h("span", p.name), h("span.badge.role", { class: "role-" + p.role }, roleLabel(p)), inc.commander === p.name ? h("span.badge.ic", "IC") : null),
        ),
      ),
    );
  }

  drawChat(all) {
    const st = this.state;
    const list = this.chatList;
    if (all || list.dataset.empty) {
      clear(list);
      delete list.dataset.empty;
    }
    if (!st.chat.length) {
      clear(list, h("li.empty", "No messages yet. Say who does what: the first 5 minutes are for command."));
      list.dataset.empty = "1";
      return;
    }
    const have = list.children.length;
    for (const e of st.chat.slice(all ? 0 : have)) {
      const item = chatItem(e, st);
      // the facilitator answers a specific message as one of the scenario's characters
      if (this.role === "facilitator" && this.ctx.reply) item.append(h("button.ghost.reply-btn", { type: "button", onclick: () => this.ctx.reply(e), title: "reply to this message as a character" }, "Reply"));
      list.append(item);
    }
    follow(list, all);
  }

  redrawTimeline(all) {
    const st = this.state;
    const list = this.timelineList;
    const filter = this.tlFilter.value;
    if (all || list.dataset.filter !== filter) {
      clear(list);
      list.dataset.filter = filter;
      list.dataset.count = "0";
    }
    const from = Number(list.dataset.count || 0);
    list.querySelector(".empty")?.remove();
    const frag = document.createDocumentFragment();
    for (const e of st.timeline.slice(from)) {
      const item = timelineItem(e);
      if (filter !== "all" && !matchesFilter(item.dataset.kind, filter)) continue;
      frag.append(item);
    }
    list.append(frag);
    list.dataset.count = String(st.timeline.length);
    if (!st.timeline.length) clear(list, h("li.empty", "The timeline fills as the drill runs."));
    follow(list, all);
  }

  drawUpdates() {
    const ups = this.state.updates;
    clear(this.updatesEl, ups.length ? h("ol.update-list", ups.slice().reverse().map((e) => updateCard(e))) : h("p.empty", "No status update posted yet."));
  }

  focus(what) {
    if (what === "update" && this.console) {
      this.console.open("status_update");
      return true;
    }
    const sel = { cmd: "#cmdline", chat: "#chat-input", timeline: ".timeline" }[what];
    const el = sel && $(sel, this.root);
    el?.focus();
    return !!el;
  }
}

/**
 * Keep a live list scrolled to its newest entry while the reader is at the bottom; once
 * they scroll up to read, leave them there until they come back down.
 */
export function follow(list, force = false) {
  if (!list._follow) {
    list._follow = { on: true };
    list.addEventListener("scroll", () => {
      list._follow.on = list.scrollTop + list.clientHeight >= list.scrollHeight - 24;
    });
    new ResizeObserver(() => {
      if (list._follow.on) list.scrollTop = list.scrollHeight;
    }).observe(list);
  }
  if (force) list._follow.on = true;
  if (list._follow.on) list.scrollTop = list.scrollHeight;
}

function matchesFilter(kind, filter) {
  if (filter === "action") return ["action", "control", "effect", "observation"].includes(kind);
  if (filter === "alert") return ["alert", "resolved", "page", "state", "system", "hidden"].includes(kind);
  if (filter === "chat") return ["chat", "inject", "note"].includes(kind);
  return true;
}

export function timelineItem(e) {
  const d = describe(e);
  return h(
    "li.tl",
    { id: `tl-${e.seq}`, class: "k-" + d.kind, dataset: { seq: e.seq, kind: d.kind } },
    h("span.tl-t", clock(e.t)),
    h("span.tl-text", h("b.tl-who", d.who), " ", d.text, e.vis === "facilitator" ? h("span.badge.hidden", "hidden") : null),
    h("span.tl-seq", `#${e.seq}`),
  );
}

function chatItem(e, st) {
  const d = describe(e);
  if (e.type === "input" && e.data.type === "status_update") return h("li.msg.update", updateCard(e));
  if (e.type === "inject") {
    return h(
      "li.msg.inject",
      { class: "r-" + (e.data.role || "teammate"), dataset: { seq: e.seq } },
      h("div.msg-head", h("b", d.who), h("span.badge", e.data.role || "teammate"), e.data.channel && e.data.channel !== "chat" ? h("span.badge.ch", "#" + e.data.channel) : null, h("span.muted", clock(e.t))),
      h("div.msg-text", e.data.text),
    );
  }
  if (e.type === "observation") {
    const r = e.data.result || {};
    return h("li.msg.sme", h("div.msg-head", h("b", r.from || "expert"), h("span.badge", "sme"), h("span.muted", clock(e.t))), h("div.msg-text", r.answer));
  }
  const mine = e.actor === st.me.name;
  return h(
    "li.msg",
    { class: mine ? "mine" : "", dataset: { seq: e.seq } },
    h("div.msg-head", h("b", e.actor), e.data.by ? h("span.muted", ` via ${e.data.by}`) : null, h("span.muted", clock(e.t))),
    h("div.msg-text", e.data.text),
  );
}

function updateCard(e) {
  const d = e.data;
  return h(
    "div.update-card",
    { class: "aud-" + d.audience },
    h("div.msg-head", h("span.badge", d.audience), h("span.badge.state", d.state), h("b", e.actor), h("span.muted", clock(e.t))),
    h("div.msg-text", d.impact),
    d.action ? h("div.small", h("b", "Now: "), d.action) : null,
    d.next_update_min ? h("div.small.muted", `next update in ${d.next_update_min} min`) : null,
  );
}

export function roleLabel(p) {
  if (p.role === "player") return p.incident_role ? `player · ${p.incident_role.toUpperCase()}` : "player";
  return p.role;
}

function fmtSpeed(s) {
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

export function panel(title, body, cls, grow, tool) {
  return h(
    "section.panel",
    { class: [cls, grow ? "grow" : ""].join(" ").trim(), "aria-label": title },
    h("header.panel-head", h("h2", title), tool || null),
    body,
  );
}

/** When the next public update is due, from the last one's promise (the cadence is graded). */
export function cadence(state, now) {
  const pub = state.updates.filter((e) => e.data.audience === "public");
  const last = pub.at(-1);
  if (!last) {
    if (state.pageAt === null) return { cls: "", text: "none posted" };
    const late = now - state.pageAt > 25 * 60;
    return { cls: late ? "bad" : "warn", text: "no public update yet" };
  }
  if (!last.data.next_update_min) return { cls: "", text: `posted ${clock(last.t)}, no next time` };
  const left = last.t + last.data.next_update_min * 60 - now;
  if (left < 0) return { cls: "bad", text: `next update overdue ${mmss(-left)}` };
  return { cls: left < 300 ? "warn" : "good", text: `next update due in ${mmss(left)}` };
}

// ================================================================ investigations
const TABS = [
  { id: "breakdown", label: "Breakdowns", kind: "view_dashboard" },
  { id: "logs", label: "Logs", kind: "read_logs", target: "service" },
  { id: "changes", label: "Changes", kind: "list_changes" },
  { id: "migrations", label: "Migrations", kind: "check_migration", target: "service" },
  { id: "queues", label: "Queues", kind: "inspect_queue", target: "topic", need: "topics" },
  { id: "deps", label: "Dependencies", kind: "inspect_dependency", target: "dependency", need: "dependencies" },
  { id: "dbs", label: "Databases", kind: "inspect_database", target: "database", need: "databases" },
  { id: "flags", label: "Flags", kind: null, need: "flags" },
  { id: "experts", label: "Experts", kind: "ask_sme", target: "team" },
];
const COLS = ["state", "version", "region", "rps", "err_5xx_pct", "p50_ms", "p99_ms", "cpu_pct", "worker_busy_pct"];
const COL_LABEL = { err_5xx_pct: "5xx %", p50_ms: "p50 ms", p99_ms: "p99 ms", cpu_pct: "cpu %", worker_busy_pct: "busy %", rps: "req/s" };

class Investigations {
  constructor(room) {
    this.room = room;
    this.state = room.state;
    const info = this.state.info || {};
    this.tabs = TABS.filter((t) => !t.need || (info[t.need] || []).length);
    this.active = "breakdown";
    this.seen = {};
    this.tabBar = h("div.tabs", { role: "tablist", "aria-label": "Investigations" });
    this.body = h("div.invest-body", { role: "tabpanel", tabindex: "0" });
    this.tables = new Map();
    this.el = h("section.panel.invest.grow", { "aria-label": "Investigations" }, h("header.panel-head", this.tabBar), this.body);
    this.drawTabs();
  }

  count(tab) {
    if (tab.id === "breakdown") return this.state.revealed.length;
    if (tab.id === "flags") return 0;
    return this.state.observations.filter((o) => o.data.kind === tab.kind).length;
  }

  drawTabs() {
    clear(
      this.tabBar,
      this.tabs.map((t) => {
        const n = this.count(t);
        const fresh = n > (this.seen[t.id] || 0) && t.id !== this.active;
        return tabButton(
          this.tabBar,
          { id: t.id, selected: t.id === this.active, onPick: () => this.show(t.id),
            attrs: { id: `tab-${t.id}` } },
          t.label,
          n ? h("span.count", { class: fresh ? "fresh" : "" }, String(n)) : null,
        );
      }),
    );
  }

  show(id) {
    this.active = id;
    this.tables.clear();
    this.draw(true);
  }

  draw(all) {
    const st = this.state;
    // jump to the panel of an answer to my own question
    const last = st.observations.at(-1);
    if (last && last !== this.lastSeen) {
      this.lastSeen = last;
      const asked = st.bySeq.get(last.data.for);
      if (asked && asked.actor === st.me.name && asked.data.by === undefined) {
        const tab = this.tabs.find((t) => t.kind === last.data.kind);
        if (tab && tab.id !== this.active) {
          this.active = tab.id;
          this.tables.clear();
          all = true;
        }
      }
    }
    const tab = this.tabs.find((t) => t.id === this.active);
    this.seen[tab.id] = this.count(tab);
    this.drawTabs();
    if (tab.id === "breakdown") return this.drawBreakdowns(all);
    if (!all && this.drawn === `${tab.id}:${this.count(tab)}:${tab.id === "flags" ? JSON.stringify(st.flags) : ""}`) return;
    this.drawn = `${tab.id}:${this.count(tab)}:${tab.id === "flags" ? JSON.stringify(st.flags) : ""}`;
    this.body.setAttribute("aria-labelledby", `tab-${tab.id}`);
    const obs = st.observations.filter((o) => o.data.kind === tab.kind);
    clear(this.body, this.toolbar(tab), this.content(tab, obs));
  }

  toolbar(tab) {
    if (!this.room.canAct || !tab.kind) return null;
    const st = this.state;
    const info = st.info || {};
    const box = h("span.result", { "aria-live": "polite" });
    const form = h("form.toolbar", { novalidate: true, dataset: { invest: tab.kind } });
    const send = async (input) => {
      try {
        await this.room.send(input);
        showResult(box, form, null);
      } catch (err) {
        showResult(box, form, { ok: false, code: err.code, text: err.message });
      }
    };
    const services = (info.services || []).map((s) => s.name);
    if (tab.kind === "view_dashboard") {
      const svc = h("select", { name: "service", "aria-label": "service" }, options(services));
      const by = h("select", { name: "breakdown", "aria-label": "breakdown" }, options([["endpoint", "by endpoint"], ["pod", "by pod"], ["region", "by region"]]));
      form.append(svc, by, h("button", { type: "submit" }, "Show breakdown"), box);
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        send({ type: "view_dashboard", service: svc.value, breakdown: by.value });
      });
    } else if (tab.kind === "list_changes") {
      form.append(h("button", { type: "submit" }, "List recent changes"), box);
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        send({ type: "list_changes" });
      });
    } else if (tab.kind === "ask_sme") {
      const team = h("input", { name: "team", list: "sme-teams", "aria-label": "team", placeholder: "team", value: (info.experts || [])[0] || "" });
      const q = h("input.grow", { name: "question", "aria-label": "question", placeholder: "your question", maxlength: 1000 });
      form.append(h("datalist#sme-teams", options(info.experts || [])), team, q, h("button", { type: "submit" }, "Ask"), box);
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        send({ type: "ask_sme", team: team.value.trim(), question: q.value });
        q.value = "";
      });
    } else {
      const list = tab.target === "service" ? services : info[{ topic: "topics", dependency: "dependencies", database: "databases" }[tab.target]] || [];
      const sel = h("select", { name: tab.target, "aria-label": tab.target }, options(list));
      const label = { read_logs: "Read logs", check_migration: "Check migrations", inspect_queue: "Inspect", inspect_dependency: "Inspect", inspect_database: "Inspect" }[tab.kind];
      form.append(sel, h("button", { type: "submit" }, label), box);
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        send({ type: tab.kind, [tab.target]: sel.value });
      });
    }
    return form;
  }

  content(tab, obs) {
    const st = this.state;
    if (tab.id === "flags") {
      const flags = st.info.flags || [];
      return h(
        "table.grid",
        h("thead", h("tr", h("th", "flag"), h("th", "state"), h("th", "description"))),
        h("tbody", flags.map((f) => h("tr", h("td", h("code", f.name)), h("td", { class: st.flags[f.name] ? "on" : "off" }, flagState(st.flags, f.name)), h("td", f.description || "")))),
      );
    }
    if (!obs.length) return h("p.empty", emptyText(tab, this.room.canAct));
    const byTarget = new Map();
    for (const o of obs) {
      const r = o.data.result || {};
      byTarget.set(r.service ?? r.topic ?? r.dependency ?? r.database ?? r.team ?? o.seq, o);
    }
    const latest = [...byTarget.values()].sort((a, b) => b.seq - a.seq);
    if (tab.kind === "list_changes") return observed(latest[0], st, changesTable(latest[0].data.result));
    if (tab.kind === "ask_sme") {
      return h("ol.qa", obs.slice().reverse().map((o) => {
        const q = st.bySeq.get(o.data.for);
        const r = o.data.result;
        return h("li", h("div.muted.small", `${clock(o.t)} ${q ? q.actor : ""} asked ${r.team}${q?.data.question ? ": " + q.data.question : ""}`), h("div", h("b", r.from + ": "), r.answer), r.known_teams ? h("div.small.muted", "teams with experts: " + r.known_teams.join(", ")) : null);
      }));
    }
    return h("div.obs-list", latest.map((o) => observed(o, st, resultView(tab.kind, o.data.result))));
  }

  drawBreakdowns(all) {
    const st = this.state;
    if (all || !this.body.querySelector(".toolbar, .empty, .bd") || this.body.dataset.tab !== "breakdown") {
      this.body.dataset.tab = "breakdown";
      this.tables.clear();
      clear(this.body, this.toolbar(TABS[0]), h("div.bd-list"));
      this.drawn = "";
    }
    this.body.dataset.tab = "breakdown";
    const listEl = $(".bd-list", this.body);
    if (!st.revealed.length) {
      if (!listEl.querySelector(".empty")) clear(listEl, h("p.empty", this.room.canAct ? "Breakdowns are earned: pick a service and a breakdown above. A bad pod, endpoint or region shows its shape here and updates with every sample." : "No breakdown opened yet."));
      return;
    }
    listEl.querySelector(".empty")?.remove();
    for (const panelName of [...st.revealed].reverse()) {
      let t = this.tables.get(panelName);
      if (!t) {
        t = new BreakdownTable(panelName, this.room);
        this.tables.set(panelName, t);
        listEl.append(t.el);
      }
      t.update(st.detail[panelName] || {}, st.detailAt[panelName]);
    }
  }
}

/** A flag's state: on/off everywhere, with the regions set apart from the rest. */
function flagState(flags, name) {
  const onOff = (v) => (v ? "on" : "off");
  const base = flags[name] === undefined ? "?" : onOff(flags[name]);
  const apart = Object.entries(flags)
    .filter(([k, v]) => k.startsWith(`${name}@`) && v !== flags[name])
    .map(([k, v]) => `${onOff(v)} in ${k.slice(name.length + 1)}`);
  return apart.length ? `${base} (${apart.join(", ")})` : base;
}

function emptyText(tab, canAct) {
  const what = { read_logs: "No logs read yet.", list_changes: "Recent changes not listed yet.", check_migration: "No migration check yet: check before any rollback.", inspect_queue: "No queue inspected yet.", inspect_dependency: "No dependency inspected yet.", inspect_database: "No database inspected yet.", ask_sme: "No expert asked yet." }[tab.kind];
  return canAct ? what + " Use the control above." : what;
}

function observed(o, st, body) {
  const q = st.bySeq.get(o.data.for);
  return h(
    "article.obs",
    { dataset: { seq: o.seq } },
    h("div.obs-head.muted.small", `${clock(o.t)} · asked by ${q ? q.actor : "?"} · #${o.seq}`),
    body,
  );
}

function kv(obj, skip = []) {
  return h(
    "dl.kv",
    Object.entries(obj)
      .filter(([k, v]) => !skip.includes(k) && (typeof v !== "object" || v === null))
      .map(([k, v]) => [h("dt", k.replace(/_/g, " ")), h("dd", typeof v === "number" ? num(v) : String(v))]),
  );
}

function resultView(kind, r) {
  switch (kind) {
    case "read_logs":
      return h(
        "div",
        h("h4", `logs · ${r.service}`),
        r.lines.length
          ? h("table.grid.logs", h("thead", h("tr", h("th", "level"), h("th.num", "/min"), h("th", "line"))), h("tbody", r.lines.map((l) => h("tr", { class: "lvl-" + l.level.toLowerCase() }, h("td", l.level), h("td.num", String(l.per_min)), h("td.mono", l.text)))))
          : h("p.empty", "No log lines."),
      );
    case "check_migration":
      return h(
        "div",
        h("h4", `${r.service} · running ${r.current_version}`),
        h("p.mig-verdict", { class: /unsafe/.test(r.verdict) ? "bad" : "good" }, r.verdict),
        r.migrations.length
          ? h("table.grid", h("thead", h("tr", ["change", "version", "migration", "reversible", "description"].map((c) => h("th", c)))), h("tbody", r.migrations.map((m) => h("tr", h("td", m.change), h("td", m.version), h("td", h("code", m.migration)), h("td", { class: m.reversible ? "good" : "bad" }, m.reversible ? "yes" : "NO"), h("td", m.description)))))
          : h("p.muted.small", "No migrations recorded for this service."),
      );
    case "inspect_queue":
      return h(
        "div",
        h("h4", `topic ${r.topic} · group ${r.group}`),
        kv(r, ["topic", "group", "note"]),
        Object.keys(r.stuck_partitions || {}).length
          ? h("div", h("h5", "stuck partitions"), h("ul.bad", Object.entries(r.stuck_partitions).map(([p, why]) => h("li", `partition ${p}: ${why}`))))
          : null,
        r.note ? h("p.muted.small", r.note) : null,
      );
    case "inspect_dependency":
      return h("div", h("h4", `dependency ${r.dependency}`), kv(r, ["dependency"]));
    case "inspect_database":
      return h(
        "div",
        h("h4", `database ${r.database}`),
        kv(r, ["database"]),
        (r.long_running_transactions || []).length
          ? h("div", h("h5", "long-running transactions"), h("table.grid", h("thead", h("tr", ["pid", "state", "blocking", "query"].map((c) => h("th", c)))), h("tbody", r.long_running_transactions.map((t) => h("tr", h("td", String(t.pid)), h("td", t.state), h("td.num", String(t.blocking_sessions)), h("td.mono", t.query))))))
          : null,
      );
    default:
      return kv(r);
  }
}

function changesTable(r) {
  const rows = r.changes || [];
  if (!rows.length) return h("p.empty", "No recent changes.");
  return h(
    "table.grid.changes",
    h("thead", h("tr", ["when", "kind", "service", "version", "summary", "migration", "by"].map((c) => h("th", c)))),
    h("tbody", rows.slice().reverse().map((c) => h("tr", { class: c.has_migration ? "warn" : "" }, h("td.mono", clock(c.at)), h("td", c.kind), h("td", c.service || ""), h("td", c.version || ""), h("td", c.summary), h("td", c.has_migration ? "yes" : ""), h("td.muted", c.by || "")))),
  );
}

class BreakdownTable {
  constructor(name, room) {
    this.name = name;
    this.room = room;
    const [service, kind] = name.split("/");
    this.service = service;
    this.kind = kind;
    this.cols = null;
    this.rows = new Map();
    this.when = h("span.muted.small");
    this.tbody = h("tbody");
    this.thead = h("thead");
    this.result = h("span.result", { "aria-live": "polite" });
    this.el = h(
      "article.bd",
      { dataset: { panel: name } },
      h("header.bd-head", h("h4", `${service} by ${kind}`), this.when, this.result),
      h("table.grid.breakdown", { "aria-label": `${service} by ${kind}` }, this.thead, this.tbody),
    );
  }

  update(rows, t) {
    this.when.textContent = t !== undefined ? `live · sample ${clock(t)}` : "";
    const names = Object.keys(rows);
    const keys = new Set();
    for (const r of Object.values(rows)) for (const k of Object.keys(r)) keys.add(k);
    const cols = [...COLS.filter((c) => keys.has(c)), ...[...keys].filter((k) => !COLS.includes(k))];
    const actions = this.kind === "pod" && this.room.canAct;
    if (!this.cols || this.cols.join() !== cols.join()) {
      this.cols = cols;
      clear(this.thead, h("tr", h("th", this.kind), cols.map((c) => h("th", { class: typeof Object.values(rows)[0]?.[c] === "number" ? "num" : "" }, COL_LABEL[c] || c.replace(/_/g, " "))), actions ? h("th", "") : null));
      clear(this.tbody);
      this.rows.clear();
    }
    for (const name of names) {
      const r = rows[name];
      let tr = this.rows.get(name);
      if (!tr) {
        tr = h("tr", { dataset: { row: name } }, h("th.rowname", { scope: "row" }, name), cols.map((c) => h("td", { dataset: { col: c } })), actions ? h("td.act") : null);
        this.rows.set(name, tr);
        this.tbody.append(tr);
      }
      let bad = false;
      for (const c of cols) {
        const td = tr.querySelector(`td[data-col="${c}"]`);
        const v = r[c];
        const text = v === undefined ? "—" : typeof v === "number" ? num(v) : String(v);
        if (td.textContent !== text) td.textContent = text;
        td.className = typeof v === "number" ? "num" : "";
        if (c === "err_5xx_pct" && v >= 5) {
          td.classList.add("bad");
          bad = true;
        } else if (c === "err_5xx_pct" && v >= 1) td.classList.add("warn");
        if (c === "state" && v !== "running") td.classList.add("warn");
      }
      tr.classList.toggle("bad-row", bad);
      if (actions) this.podAction(tr, name, r);
    }
  }

  podAction(tr, pod, r) {
    const cell = tr.querySelector("td.act");
    const drained = r.state === "drained" || r.state === "draining";
    const want = drained ? "undrain" : "drain";
    if (cell.dataset.want === want) return;
    cell.dataset.want = want;
    clear(
      cell,
      h(
        "button.small",
        {
          type: "button",
          title: `${want}_pod ${this.service} ${pod}`,
          onclick: async () => {
            try {
              const ack = await this.room.send({ type: `${want}_pod`, service: this.service, pod });
              showResult(this.result, null, { ok: true, text: `✓ ${want} ${pod} logged #${ack.seq}` });
            } catch (err) {
              showResult(this.result, null, { ok: false, code: err.code, text: err.message });
            }
          },
        },
        want,
      ),
    );
  }
}
