// The postmortem draft as Markdown, and a small, safe Markdown-to-DOM renderer.
//
// The server's postmortem route returns the engine's Postmortem.to_dict(); when it also
// carries `markdown` (Postmortem.to_markdown()), that text is used verbatim. Otherwise the
// Markdown is built here, following engine/postmortem/render.py (default template).

import { h } from "./dom.js";

const clock = (t) => {
  if (t === null || t === undefined) return "—";
  const s = Math.round(Math.abs(t));
  return `T${t < 0 ? "-" : "+"}${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};
const mmss = (sec) => {
  const s = Math.round(Math.abs(sec || 0));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};
const cell = (t) => String(t ?? "").split(/\s+/).join(" ").replace(/\|/g, "\\|");
const table = (head, rows) =>
  ["| " + head.join(" | ") + " |", "|" + "---|".repeat(head.length), ...rows.map((r) => "| " + r.map(cell).join(" | ") + " |")].join("\n");
const bullets = (items, empty) => (items.length ? items.map((x) => `- ${x}`).join("\n") : `*${empty}*`);
const int = (n) => Math.round(n || 0).toLocaleString("en-US");
const f1 = (n) => (n || 0).toFixed(1);

// Player text inside Markdown, shown as written and inert: the same rule as engine/mdtext.py
// (\ and [ backslash-escaped, a < that could open a tag, comment or autolink written &lt;).
const ACTIVE = /[\\[]|<(?=[A-Za-z/!?])/g;
export const inert = (text) => text.replace(ACTIVE, (c) => (c === "<" ? "&lt;" : "\\" + c));

/** A copy of `value` with every string in it made inert (the JSON carries player text raw). */
export function inertValues(value) {
  if (typeof value === "string") return inert(value);
  if (Array.isArray(value)) return value.map(inertValues);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inertValues(v)]));
  return value;
}

export function postmortemMarkdown(raw) {
  if (typeof raw.markdown === "string") return raw.markdown;
  const p = inertValues(raw); // before any Markdown of ours is added, so no field is forgotten
  const sc = p.scenario || {};
  const parts = [];
  const ic = (p.participants || []).find((x) => (x.label || "").startsWith("IC "));
  const head = [
    ["Date", p.date],
    ["Status", p.status],
    ["Severity", `${p.severity} (${p.severity_note})`],
    ["Scenario", `${sc.id} (seed ${p.seed}, ${sc.class})`],
    ["Incident commander", ic ? ic.label : "none"],
    ["Drafted by", "firedrill, from the drill log; for review by the team"],
  ];
  if (sc.source) head.push(["Modelled on", `[${sc.source.title}](${sc.source.url})`]);
  parts.push(`# ${p.title}\n\n` + table(["", ""], head));

  parts.push("## Participants");
  const who = (p.participants || []).map((x) => `${x.label}: ${(x.roles || []).map((r) => `${r.role} from ${clock(r.since)}`).join(", then ")}; ${x.inputs} input(s)`);
  parts.push(bullets(who, "No one acted during the drill.") + `\n\nFacilitator: ${(p.facilitators || []).join(", ") || "none (headless run)"}.\nPlayed by the simulation: ${(p.simulated || []).join(", ") || "none"}.`);

  parts.push("## Summary", p.summary || "");

  const i = p.impact || {};
  const thr = `${i.threshold_pct}%`;
  const window =
    i.impact_started_at === null || i.impact_started_at === undefined
      ? `users affected never reached ${thr}`
      : `${clock(i.impact_started_at)} to ${i.ongoing_at_end ? "still ongoing at the end" : clock(i.mitigated_at || 0)} (${mmss(i.impact_duration)})`;
  const rows = [
    [`Impact window (users affected ≥ ${thr})`, window],
    ["Peak users affected", `${f1(i.peak_users_affected_pct)}% (about ${int(i.approx_users_affected)} of ${int(i.users_total)} users)${i.peak_users_at !== null && i.peak_users_at !== undefined ? " at " + clock(i.peak_users_at) : ""}`],
    ["Users affected at the end", `${f1(i.final_users_affected_pct)}%`],
    ["Peak 5xx rate", `${f1(i.peak_err_5xx_pct)}%${i.peak_err_5xx_metric ? ` (${i.peak_err_5xx_metric})` : ""}`],
    ["Failed requests", int(i.failed_requests)],
    ["Revenue lost", `$${int(i.money_lost)}`],
    ["Rows corrupted", int(i.rows_corrupted)],
  ];
  if (i.has_topics) rows.push(["Peak consumer lag", `${int(i.max_consumer_lag)} messages`]);
  rows.push(
    ["Full-outage-equivalent minutes", f1(i.impact_minutes)],
    ["Error budget consumed", `${(i.error_budget_used_pct || 0).toFixed(2)}% of the ${i.slo_window_days}-day budget at ${i.slo_availability_pct}% availability`],
    ["Alerts fired", (i.alerts_fired || []).join(", ") || "none"],
  );
  parts.push("## Impact", table(["Measure", "Value"], rows));
  const ms = (p.milestones || []).map((m) => {
    let since = "";
    if (m.since !== null && m.since !== undefined && m.since_what) since = m.since < 0 ? `${mmss(-m.since)} before ${m.since_what}` : `${mmss(m.since)} after ${m.since_what}`;
    return [m.title, m.t !== null && m.t !== undefined ? clock(m.t) : "—", [since, m.note].filter(Boolean).join("; ")];
  });
  if (ms.length) parts.push("**Key times**\n\n" + table(["Milestone", "Drill time", "Elapsed"], ms));

  parts.push("## Timeline");
  const tl = (p.timeline || []).map((e) => [clock(e.t), e.who, (e.key?.length ? `**[${e.key.join(", ")}]** ` : "") + e.text + (e.hidden ? " *(hidden from responders during the drill)*" : "")]);
  parts.push("Drill time is T+mm:ss from the start of the drill. People appear under the incident role they held at that moment. Key moments are marked in bold.\n\n" + table(["Time", "Who", "What happened"], tl));

  parts.push(
    "## Trigger and root cause",
    `**Trigger.** ${p.trigger}`,
    `**Root cause.** ${p.root_cause}`,
    "**Contributing factors.**\n\n" + bullets(p.contributing_factors || [], "None recorded."),
    `**Detection.** ${p.detection}`,
    `**Resolution.** ${p.resolution}`,
  );

  parts.push("## What responders believed vs what was true");
  const checked = (p.beliefs || []).filter((b) => b.matches !== null && b.matches !== undefined);
  const words = (p.beliefs || []).filter((b) => b.matches === null || b.matches === undefined);
  parts.push(checked.length ? table(["Time", "Who", "Said", "Simulation at that moment", "Consistent?"], checked.map((b) => [clock(b.t), b.who, b.said, b.truth || "", b.matches ? "yes" : "no"])) : "*No impact statement or status update to compare with the simulation.*");
  if (words.length) parts.push("Hypotheses, decisions and reasoning said during the drill, to set beside the root cause above:\n\n" + words.map((b) => `- ${clock(b.t)} ${b.who}, ${b.kind}: ${b.said}`).join("\n"));

  const fw = p.five_whys || {};
  parts.push("## Five whys", `**Problem.** ${fw.problem || ""}\n\n` + (fw.whys || []).map((w, n, all) => `${n + 1}. ${w}` + (n === all.length - 1 ? " *(systemic cause: the whys stop here)*" : "")).join("\n"));

  const findings = (items, empty) => bullets((items || []).map((f) => `${f.dimension ? `**${f.dimension}.** ` : ""}${f.text}${f.stronger ? ` *Stronger: ${f.stronger}*` : ""}`), empty);
  const g = p.grade || {};
  parts.push("## What went well", p.grade_note || `From the drill grade: overall ${g.overall}/100 (${Object.entries(g.scores || {}).map(([k, v]) => `${k} ${v}`).join(", ")}).`, findings(p.went_well, "Nothing recorded."));
  parts.push("## What went wrong", findings(p.went_wrong, "Nothing recorded."));
  parts.push("## Where we got lucky", findings(p.lucky, "Nothing recorded for this drill."));
  const acts = (p.action_items || []).map((a, n) => [String(n + 1), a.title, a.owner, a.deadline || `${a.due_days} days after the drill`, a.verification, a.source === "scenario" ? "scenario" : "this drill"]);
  parts.push("## Action items", acts.length ? table(["#", "Action", "Owner", "Due", "Verification", "From"], acts) : "*No action items.*");
  const notes = (p.notes || []).map((n) => `\n- ${n}`).join("");
  parts.push(`---\n\n*Generated from the drill log (${p.events} events) by firedrill; blameless: people appear by incident role and are never named as a cause.*` + (notes ? `\n\nNotes:${notes}` : ""));
  return parts.filter((x) => x !== "").join("\n\n") + "\n";
}

// --------------------------------------------------------------- renderer
/** Markdown (the subset the postmortem uses) to DOM nodes; text is never parsed as HTML. */
export function renderMarkdown(md) {
  const root = h("div.md");
  const lines = md.replace(/\r\n/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    let m;
    if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
      root.append(inline(h("h" + Math.min(6, m[1].length + 1)), m[2]));
      i++;
    } else if (/^---+\s*$/.test(line)) {
      root.append(h("hr"));
      i++;
    } else if (/^\|/.test(line)) {
      const rows = [];
      while (i < lines.length && /^\|/.test(lines[i])) rows.push(lines[i++]);
      root.append(mdTable(rows));
    } else if (/^\s*[-*]\s+/.test(line)) {
      const ul = h("ul");
      while (i < lines.length && /^\s*[-*]\s+/.test(lines[i])) ul.append(inline(h("li"), lines[i++].replace(/^\s*[-*]\s+/, "")));
      root.append(ul);
    } else if (/^\s*\d+\.\s+/.test(line)) {
      const ol = h("ol");
      while (i < lines.length && /^\s*\d+\.\s+/.test(lines[i])) ol.append(inline(h("li"), lines[i++].replace(/^\s*\d+\.\s+/, "")));
      root.append(ol);
    } else {
      const para = [];
      while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|\||---+\s*$|\s*[-*]\s+|\s*\d+\.\s+)/.test(lines[i])) para.push(lines[i++]);
      const p = h("p");
      para.forEach((t, n) => {
        if (n) p.append(h("br"));
        inline(p, t);
      });
      root.append(p);
    }
  }
  return root;
}

function splitRow(row) {
  const cells = [];
  let cur = "";
  const body = row.trim().replace(/^\|/, "").replace(/\|$/, "");
  for (let k = 0; k < body.length; k++) {
    if (body[k] === "\\" && body[k + 1] === "|") {
      cur += "|";
      k++;
    } else if (body[k] === "|") {
      cells.push(cur.trim());
      cur = "";
    } else cur += body[k];
  }
  cells.push(cur.trim());
  return cells;
}

function mdTable(rows) {
  const head = splitRow(rows[0]);
  const body = rows.slice(/^\|(\s*:?-+:?\s*\|)+\s*$/.test(rows[1] || "") ? 2 : 1).map(splitRow);
  const empty = head.every((c) => !c);
  return h(
    "div.table-wrap",
    h(
      "table.grid.md-table",
      empty ? null : h("thead", h("tr", head.map((c) => inline(h("th"), c)))),
      h("tbody", body.map((r) => h("tr", r.map((c) => inline(h("td"), c))))),
    ),
  );
}

const ENTITIES = { lt: "<", gt: ">", amp: "&", quot: '"' };

/** \-escapes and &lt; (how the server keeps player text inert), **bold**, *italic*, `code`, [text](http…) into el. */
function inline(el, text) {
  const re = /\\([!-/:-@[-`{-~])|&(lt|gt|amp|quot);|\*\*(.+?)\*\*|\*(.+?)\*|`([^`]+)`|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > last) el.append(text.slice(last, m.index));
    if (m[1] !== undefined) el.append(m[1]);
    else if (m[2] !== undefined) el.append(ENTITIES[m[2]]);
    else if (m[3] !== undefined) el.append(inline(h("strong"), m[3]));
    else if (m[4] !== undefined) el.append(inline(h("em"), m[4]));
    else if (m[5] !== undefined) el.append(h("code", m[5]));
    else el.append(h("a", { href: m[7], target: "_blank", rel: "noopener noreferrer" }, m[6]));
    last = re.lastIndex;
  }
  if (last < text.length) el.append(text.slice(last));
  return el;
}
