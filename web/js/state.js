// The drill as this page knows it: folded from the welcome snapshot and the event stream.
// Every view reads this object; apply() says which parts changed so views redraw only those.

import { BY_TYPE } from "./vocab.js";

/** Whether an input type is a mitigation (the action table says, once it is loaded). */
export const isMitigation = (type) => BY_TYPE[type]?.cat === "mitigate";

export class DrillState {
  constructor() {
    this.listeners = new Set();
    this.me = { name: "", role: "observer", incident_role: null };
    this.roster = [];
    this.clock = { status: "created", speed: 1, t: 0, seq: 0 };
    this.info = null; // scenario public info
    this.truth = null;
    this.injects = [];
    this.prompts = []; // facilitator prompt cards (facilitator snapshots only)
    this.drillId = "";
    this.clear();
  }

  clear() {
    this.now = 0;
    this.nowWall = performance.now();
    this.pageAt = null;
    this.ended = false;
    this.endReason = null;
    this.times = [];
    this.cols = new Map();
    this.latest = {};
    this.detail = {};
    this.detailAt = {};
    this.revealed = [];
    this.firing = new Map();
    this.alertFeed = [];
    this.incident = { commander: null, severity: null, roles: {}, status: null };
    this.flags = {};
    this.observations = [];
    this.lastObs = {};
    this.chat = [];
    this.timeline = [];
    this.updates = [];
    this.notes = [];
    this.fired = new Map();
    this.promptReady = new Map(); // card id -> its prompt_ready event
    this.promptUsed = new Map(); // card id -> its prompt_used event
    this.marks = [];
    this.bySeq = new Map();
    this.pods = {};
    this.seq = 0;
  }

  listen(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(topics) {
    if (!topics.size) return;
    for (const fn of this.listeners) fn(topics);
  }

  /**
   * A welcome frame. `fresh`: start over (first connection, or the server sent a snapshot
   * instead of the missed events). With `fromSnapshot` the snapshot's present state is
   * taken as is; otherwise the replayed events rebuild it (only flags, whose starting
   * values are not events, come from the snapshot).
   */
  welcome(frame, fresh, fromSnapshot = false) {
    const snap = frame.snapshot || {};
    this.drillId = frame.drill_id;
    this.me = { name: frame.name, role: frame.role, incident_role: frame.incident_role };
    this.roster = frame.roster || [];
    this.clock = { status: frame.status, speed: frame.speed, t: frame.t, seq: frame.seq };
    this.info = snap.scenario || this.info;
    this.truth = snap.truth || null;
    this.injects = snap.injects || [];
    this.prompts = snap.prompts || [];
    if (fresh) {
      this.clear();
      if (fromSnapshot) this.seedFromSnapshot(snap);
      else this.flags = { ...(snap.flags || {}) };
    }
    this.tick(frame.t);
    this.emit(new Set(["all"]));
  }

  /** What a snapshot says now (used when the event history is not replayed). */
  seedFromSnapshot(snap) {
    this.pageAt = snap.page_at ?? null;
    this.ended = !!snap.ended;
    this.incident = structuredClone(snap.incident || this.incident);
    this.flags = { ...(snap.flags || {}) };
    this.revealed = [...(snap.revealed || [])];
    for (const name of snap.alerts || []) this.firing.set(name, { name });
    const m = snap.metrics || {};
    if (m.values) this.sample(snap.t ?? 0, m.values, m.detail);
  }

  tick(t) {
    if (t > this.now || this.now === 0) this.now = t;
    this.nowWall = performance.now();
  }

  /** The sim time to display now, interpolated between events while the clock runs. */
  displayNow() {
    if (this.clock.status !== "running") return this.now;
    const dt = ((performance.now() - this.nowWall) / 1000) * (this.clock.speed || 1);
    return this.now + Math.min(dt, 12);
  }

  setClock(frame) {
    this.clock = { status: frame.status, speed: frame.speed, t: frame.t, seq: frame.seq };
    this.now = frame.t;
    this.nowWall = performance.now();
    if (frame.status === "ended") this.ended = true;
    this.emit(new Set(["clock"]));
  }

  setRoster(roster) {
    this.roster = roster;
    this.emit(new Set(["roster"]));
  }

  sample(t, values, detail) {
    this.times.push(t);
    const n = this.times.length;
    for (const [k, v] of Object.entries(values)) {
      let col = this.cols.get(k);
      if (!col) {
        col = new Array(n - 1).fill(null);
        this.cols.set(k, col);
      }
      col.push(v);
    }
    for (const [k, col] of this.cols) if (col.length < n) col.push(null);
    this.latest = values;
    if (detail) {
      for (const [panel, rows] of Object.entries(detail)) {
        this.detail[panel] = rows;
        this.detailAt[panel] = t;
        this.notePods(panel, rows);
      }
    }
  }

  notePods(panel, rows) {
    const [service, kind] = panel.split("/");
    if (kind === "pod") this.pods[service] = Object.keys(rows);
  }

  /** Fold events into the state; returns nothing, tells listeners what changed. */
  apply(items) {
    const topics = new Set();
    for (const e of items) this.one(e, topics);
    this.emit(topics);
  }

  one(e, topics) {
    if (e.seq <= this.seq) return; // already applied (a resume that overlaps, a refetched log)
    this.seq = e.seq;
    this.tick(e.t);
    topics.add("time");
    if (e.type === "metrics") {
      this.sample(e.t, e.data.values || {}, e.data.detail);
      topics.add("metrics");
      if (e.data.detail) topics.add("detail");
      return;
    }
    this.bySeq.set(e.seq, e);
    this.timeline.push(e);
    topics.add("timeline");
    const d = e.data || {};
    switch (e.type) {
      case "alert.fired":
        this.firing.set(d.name, { ...d, t: e.t, seq: e.seq });
        this.alertFeed.push(e);
        topics.add("alerts");
        break;
      case "alert.resolved":
        this.firing.delete(d.name);
        this.alertFeed.push(e);
        topics.add("alerts");
        break;
      case "page":
        if (this.pageAt === null) this.pageAt = e.t;
        this.alertFeed.push(e);
        topics.add("alerts").add("clock");
        break;
      case "inject":
        this.chat.push(e);
        if (d.id) this.fired.set(d.id, e);
        topics.add("chat").add("injects");
        break;
      case "observation":
        this.observation(e, topics);
        break;
      case "state":
      case "effect":
        if (d.what === "flag changed" || d.what === "flag propagated") {
          if (d.region) this.flags[`${d.component}@${d.region}`] = !!d.enabled;
          else {
            // a flip everywhere clears the regions set apart from the rest
            for (const key of Object.keys(this.flags)) if (key.startsWith(`${d.component}@`)) delete this.flags[key];
            this.flags[d.component] = !!d.enabled;
          }
          topics.add("flags");
        }
        break;
      case "prompt_ready":
        this.promptReady.set(d.id, e);
        topics.add("prompts");
        break;
      case "prompt_used":
        this.promptUsed.set(d.id, e);
        topics.add("prompts");
        break;
      case "drill.ended":
        this.ended = true;
        this.endReason = d.reason;
        topics.add("clock").add("ended");
        break;
      case "input":
        this.input(e, topics);
        break;
      default:
        break;
    }
  }

  input(e, topics) {
    const d = e.data;
    const inc = this.incident;
    switch (d.type) {
      case "take_command":
        inc.commander = e.actor;
        topics.add("incident");
        break;
      case "declare_incident":
        inc.severity = d.severity;
        topics.add("incident");
        break;
      case "assign_role":
        inc.roles = { ...inc.roles, [d.person]: d.role };
        if (d.role === "ic") inc.commander = d.person;
        topics.add("incident");
        break;
      case "status_update":
        if (d.audience === "public") inc.status = d.state;
        this.updates.push(e);
        this.chat.push(e);
        topics.add("incident").add("chat").add("updates");
        break;
      case "chat":
        this.chat.push(e);
        topics.add("chat");
        break;
      case "note":
        this.notes.push(e);
        topics.add("notes");
        break;
      default:
        break;
    }
    if (isMitigation(d.type)) {
      this.marks.push({ t: e.t, label: d.type, seq: e.seq });
      topics.add("marks");
    }
  }

  observation(e, topics) {
    const d = e.data;
    this.observations.push(e);
    this.lastObs[d.kind] = e;
    topics.add("observations");
    const r = d.result || {};
    if (d.kind === "view_dashboard" && r.panel) {
      if (!this.revealed.includes(r.panel)) this.revealed.push(r.panel);
      if (!this.detailAt[r.panel] || this.detailAt[r.panel] <= e.t) {
        this.detail[r.panel] = r.rows;
        this.detailAt[r.panel] = e.t;
      }
      this.notePods(r.panel, r.rows);
      topics.add("detail");
    }
    if (d.kind === "ask_sme") {
      this.chat.push(e);
      topics.add("chat");
    }
  }

  /** Each prompt card with its state now: ready_at, used_at, sent (events over the snapshot). */
  cards() {
    return this.prompts.map((c) => {
      const ready = this.promptReady.get(c.id);
      const used = this.promptUsed.get(c.id);
      return {
        ...c,
        ready_at: ready ? ready.t : c.ready_at,
        used_at: used ? used.t : c.used_at,
        sent: used ? !!used.data.sent : c.sent,
      };
    });
  }

  /** Players by name (for assign_role, act-as). */
  players() {
    return this.roster.filter((p) => p.role === "player").map((p) => p.name);
  }

  series(name) {
    return this.cols.get(name) || [];
  }

  metricNames() {
    return [...this.cols.keys()];
  }
}
