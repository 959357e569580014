// The debrief: the grade per dimension with its evidence linked to the timeline, and the
// postmortem draft rendered and downloadable as Markdown.

import { drillLog, report } from "./api.js";
import { tabButton } from "./console.js";
import { describe } from "./describe.js";
import { clear, clock, download, h, num, toast } from "./dom.js";
import { attemptsView, movesView } from "./debrief.js";
import { postmortemMarkdown, renderMarkdown } from "./markdown.js";
import { timelineItem } from "./warroom.js";

const OUTCOME = { met: "✓", partial: "◐", missed: "✗", penalty: "⚠", clear: "·" };
const VERDICT = [
  [85, "strong"],
  [70, "solid"],
  [50, "mixed"],
  [0, "weak"],
];

/** Scroll the timeline to an event and make it flash (evidence links call this). */
export function highlight(seq) {
  const el = document.getElementById(`tl-${seq}`);
  if (!el) {
    toast(`event #${seq} is not in the timeline on this page`, "error");
    return false;
  }
  for (const old of document.querySelectorAll(".tl.flash")) old.classList.remove("flash");
  el.scrollIntoView({ block: "center", behavior: "smooth" });
  el.classList.add("flash");
  el.tabIndex = -1;
  el.focus({ preventScroll: true });
  return true;
}

function evidenceChip(ev) {
  return h(
    "button.evidence",
    {
      type: "button",
      dataset: { seq: ev.seq },
      title: `${ev.type} by ${ev.actor} — show in the timeline`,
      onclick: () => highlight(ev.seq),
    },
    h("span.seq", `#${ev.seq}`),
    h("span.mono", clock(ev.t)),
    " ",
    ev.note,
  );
}

export function gradeView(g, { compact = false } = {}) {
  const verdict = VERDICT.find(([min]) => g.overall >= min)[1];
  const dims = (g.dimensions || []).map((d) =>
    h(
      "section.dim",
      { dataset: { dim: d.name }, "aria-label": `${d.title}: ${d.score} of 100` },
      h(
        "header.dim-head",
        h("h3", d.title),
        h("span.score", { class: scoreClass(d.score) }, String(d.score)),
        h("div.bar", { role: "img", "aria-label": `${d.score}%` }, h("i", { style: { width: `${d.score}%` }, class: scoreClass(d.score) })),
        h("span.muted.small", `${num(d.earned)} / ${num(d.possible)} pts`),
      ),
      h(
        "ul.checks",
        d.checks.map((c) =>
          h(
            "li.check",
            { class: "o-" + c.outcome, dataset: { check: c.id } },
            h(
              "div.check-head",
              h("span.icon", { "aria-label": c.outcome }, OUTCOME[c.outcome] || "•"),
              h("b", c.title),
              h("span.pts", c.max_points ? `${num(c.points)}/${num(c.max_points)}` : c.points ? num(c.points) : ""),
            ),
            compact ? null : h("div.detail", c.detail),
            c.stronger && !compact ? h("div.stronger", h("b", "Stronger: "), c.stronger) : null,
            c.evidence?.length ? h("div.evidence-list", (compact ? c.evidence.slice(0, 3) : c.evidence).map(evidenceChip)) : null,
          ),
        ),
      ),
    ),
  );
  return h(
    "div.grade",
    h(
      "div.overall",
      h("span.big", { class: scoreClass(g.overall) }, String(g.overall)),
      h("div", h("div.verdict", `${verdict} first 30 minutes`), h("div.muted.small", `windows measured from the ${g.anchor?.kind || "page"} at ${clock(g.anchor?.t)} · ${g.mitigated_at !== null && g.mitigated_at !== undefined ? "mitigated at " + clock(g.mitigated_at) : "not mitigated"}`)),
    ),
    h("div.dims", dims),
    !compact && g.mitigations?.length ? mitigationsTable(g.mitigations) : null,
    !compact && g.players?.length ? playersTable(g.players) : null,
    !compact && g.notes?.length ? h("ul.notes.muted.small", g.notes.map((n) => h("li", n))) : null,
  );
}

function scoreClass(s) {
  return s >= 70 ? "good" : s >= 45 ? "mid" : "bad";
}

function mitigationsTable(ms) {
  return h(
    "section.mitigations",
    h("h3", "Mitigations"),
    h(
      "table.grid",
      h("thead", h("tr", ["when", "who", "action", "judged", "effect", "users affected", ""].map((c) => h("th", c)))),
      h(
        "tbody",
        ms.map((m) =>
          h(
            "tr",
            { class: m.rule === "harmful" || m.verdict === "made worse" ? "bad-row" : "" },
            h("td.mono", clock(m.t)),
            h("td", m.actor),
            h("td", h("code", `${m.action}${m.target ? " " + m.target : ""}`)),
            h("td", { title: m.why || "" }, m.rule),
            h("td", m.verdict),
            h("td.num", `${num(m.before_pct)}% → ${m.after_pct === null ? "…" : num(m.after_pct) + "%"}`),
            h("td", h("button.link", { type: "button", onclick: () => highlight(m.seq) }, `#${m.seq}`)),
          ),
        ),
      ),
    ),
  );
}

function playersTable(ps) {
  return h(
    "section.players",
    h("h3", "Who did what"),
    h(
      "table.grid",
      h("thead", h("tr", ["player", "inputs", "by category", "points won", "points lost"].map((c) => h("th", c)))),
      h("tbody", ps.map((p) => h("tr", h("td", p.actor), h("td.num", String(p.inputs)), h("td.small", Object.entries(p.categories || {}).map(([k, v]) => `${k} ${v}`).join(", ")), h("td.num.good", num(p.points_won)), h("td.num.bad", num(p.points_lost))))),
    ),
  );
}

export class EndScreen {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.state = ctx.state;
    this.tab = "grade";
    this.grade = null;
    this.pm = null;
    this.build();
    this.load();
    this.unlisten = this.state.listen((t) => {
      if (t.has("timeline") || t.has("all")) this.drawTimeline();
    });
  }

  destroy() {
    this.unlisten();
  }

  build() {
    const st = this.state;
    const info = st.info || {};
    this.mdBtn = h("button.primary#download-md", { type: "button", disabled: true, onclick: () => this.downloadMd() }, "Download postmortem (.md)");
    this.tabBar = h("div.tabs", { role: "tablist", "aria-label": "Debrief" });
    this.body = h("div.end-body", { role: "tabpanel", tabindex: "0" });
    this.tl = h("ol.timeline.end-timeline", { "aria-label": "timeline", tabindex: "0" });
    this.root.replaceChildren(
      h(
        "header.topbar",
        h("a.brand", { href: "/" }, h("span.logo", { "aria-hidden": "true" }), "firedrill"),
        h("div.scn", h("b", "Debrief · " + (info.title || st.drillId)), h("span.muted", ` ${st.endReason ? "ended: " + st.endReason : ""} at ${clock(st.now)}`)),
        h("div.spacer"),
        this.mdBtn,
        h("button#copy-md", { type: "button", onclick: () => this.copy() }, "Copy"),
        h("button#print", { type: "button", onclick: () => window.print(), title: "print, or save as PDF" }, "Print / PDF"),
        h("button#download-log", { type: "button", onclick: () => this.downloadLog() }, "Download log (.jsonl)"),
        h("button#back-room", { type: "button", onclick: () => this.ctx.backToRoom() }, "Back to the war room"),
      ),
      h(
        "main#main.end",
        h("section.panel.end-main.grow", h("header.panel-head", this.tabBar), this.body),
        h("aside.panel.end-side.grow", { "aria-label": "Timeline" }, h("header.panel-head", h("h2", "Timeline"), h("span.muted.small", "evidence links jump here")), h("div.panel-body.tl-body", this.tl)),
      ),
    );
    this.drawTabs();
    this.drawTimeline();
  }

  /** Copy the postmortem (or, on the grade tab, the grade) as Markdown. */
  async copy() {
    const text = this.tab === "grade" && this.grade?.ok?.markdown ? this.grade.ok.markdown : this.markdown;
    if (!text) return toast("nothing to copy yet", "error");
    try {
      await navigator.clipboard.writeText(text);
      toast("copied as Markdown");
    } catch (err) {
      toast(`cannot copy: ${err.message}`, "error");
    }
  }

  drawTabs() {
    clear(
      this.tabBar,
      [
        ["grade", "Grade"],
        ["moves", "What each move did"],
        ["attempts", "Attempts"],
        ["postmortem", "Postmortem draft"],
      ].map(([id, label]) =>
        tabButton(this.tabBar, { id, selected: id === this.tab, onPick: () => {
          this.tab = id;
          this.drawTabs();
          this.drawBody();
        } }, label),
      ),
    );
  }

  async load() {
    this.drawBody();
    const id = this.state.drillId;
    const tok = this.ctx.token;
    const [g, p] = await Promise.allSettled([report(id, "grade", tok), report(id, "postmortem", tok)]);
    this.grade = g.status === "fulfilled" ? { ok: g.value } : { err: g.reason };
    this.pm = p.status === "fulfilled" ? { ok: p.value } : { err: p.reason };
    if (this.pm.ok) {
      try {
        this.markdown = postmortemMarkdown(this.pm.ok);
        this.mdBtn.disabled = false;
      } catch (exc) {
        this.pm = { err: { message: `the postmortem could not be rendered (${exc.message})` } };
      }
    }
    this.drawTimeline();
    this.drawBody();
  }

  drawBody() {
    if (this.tab === "moves" || this.tab === "attempts") {
      // replays run on the server; each view is built once and kept
      this.views = this.views || {};
      const tab = this.tab;
      if (!this.views[tab]) {
        const make = tab === "moves" ? movesView : attemptsView;
        this.views[tab] = h("div.view-slot", h("p.muted", "Loading…"));
        make(this.state.drillId, this.ctx.token).then((el) => clear(this.views[tab], el));
      }
      return clear(this.body, this.views[tab]);
    }
    if (this.tab === "grade") {
      if (!this.grade) return clear(this.body, h("p.muted", "Loading the grade…"));
      if (this.grade.err) return clear(this.body, unavailable("grade", this.grade.err));
      return clear(this.body, gradeView(this.grade.ok));
    }
    if (!this.pm) return clear(this.body, h("p.muted", "Loading the postmortem draft…"));
    if (this.pm.err) return clear(this.body, unavailable("postmortem", this.pm.err));
    clear(this.body, h("article.postmortem", renderMarkdown(this.markdown)));
  }

  drawTimeline() {
    const st = this.state;
    const items = [...st.timeline];
    // evidence may cite events that are not in the timeline (e.g. a metrics sample)
    const cited = new Map();
    for (const d of this.grade?.ok?.dimensions || []) for (const c of d.checks) for (const e of c.evidence || []) cited.set(e.seq, e);
    for (const [seq, ev] of cited) {
      if (!st.bySeq.has(seq)) items.push({ seq, t: ev.t, actor: ev.actor, type: ev.type, data: {}, vis: "all", note: ev.note });
    }
    items.sort((a, b) => a.seq - b.seq);
    clear(
      this.tl,
      items.map((e) => {
        if (e.note !== undefined) {
          return h("li.tl.k-metric", { id: `tl-${e.seq}`, dataset: { seq: e.seq } }, h("span.tl-t", clock(e.t)), h("span.tl-text", h("b.tl-who", e.actor), ` ${e.type}: ${e.note}`), h("span.tl-seq", `#${e.seq}`));
        }
        return timelineItem(e);
      }),
    );
  }

  downloadMd() {
    if (!this.markdown) return;
    download(`${this.state.info?.id || "drill"}-${this.state.drillId}-postmortem.md`, this.markdown);
  }

  async downloadLog() {
    try {
      const events = await drillLog(this.state.drillId, this.ctx.token);
      download(`${this.state.drillId}.jsonl`, events.map((e) => JSON.stringify(e)).join("\n") + "\n", "application/x-ndjson");
    } catch (err) {
      toast(err.message, "error");
    }
  }
}

function unavailable(kind, err) {
  const why =
    err.status === 404
      ? `The ${kind} is not available on this server yet.`
      : err.status === 409
        ? `The ${kind} becomes available once the drill has ended.`
        : `Could not load the ${kind}.`;
  return h("div.error-state", { role: "status" }, h("h3", why), h("p.small.muted", err.message || String(err)), kind === "grade" ? h("p.small", "The timeline on the right is the full record of the drill; download the log to keep it.") : null);
}

