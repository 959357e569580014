// One line of plain English per log event, for the timeline, chat and end screen.

import { BY_TYPE } from "./vocab.js";

/** A value as the timeline says it: a bool as on/off, a task as its command. */
function say(v) {
  if (typeof v === "boolean") return v ? "on" : "off";
  if (v && typeof v === "object") return describeTask(v);
  return String(v);
}

const present = (v) => v !== undefined && v !== null;
const isSet = (v) => present(v) && v !== "" && v !== false;

/**
 * An action's wording (its `done` in the action table) filled from its input: `{field}` is
 * the value, a `[...]` part shows only when every field in it is set (not empty, not off).
 * One pass over the wording, so text a player typed is never read as wording.
 */
export function fill(wording, d) {
  const value = (k) => (present(d[k]) ? say(d[k]) : "");
  return wording.replace(/\[([^\]]*)\]|\{(\w+)\}/g, (_, part, k) => {
    if (k !== undefined) return value(k);
    const names = [...part.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    return names.every((n) => isSet(d[n])) ? part.replace(/\{(\w+)\}/g, (_m, n) => value(n)) : "";
  });
}

/** A delegated task as its command: "view_dashboard api-gateway pod". */
export function describeTask(task) {
  const { type, ...rest } = task || {};
  const order = (BY_TYPE[type]?.params || []).map((p) => p.name).filter((n) => n in rest);
  return [type || "a task", ...order.map((n) => String(rest[n]))].join(" ");
}

function extras(d, skip) {
  const parts = Object.entries(d)
    .filter(([k, v]) => !skip.includes(k) && v !== null && v !== undefined && typeof v !== "object")
    .map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/** {kind, who, text} for one event. kind drives the styling. */
export function describe(e) {
  const d = e.data || {};
  switch (e.type) {
    case "input": {
      const wording = BY_TYPE[d.type]?.done;
      const by = d.by ? ` [sent by ${d.by}]` : d.via ? ` [asked in #${d.via}]` : "";
      const kind = d.type === "chat" ? "chat" : d.type === "note" ? "note" : d.type === "clock" || d.type === "end" ? "control" : "action";
      return { kind, who: e.actor, text: (wording ? fill(wording, d) : d.type) + by, action: d.type };
    }
    case "drill.created":
      return { kind: "system", who: "system", text: `drill created: ${d.title} (seed ${d.seed})` };
    case "drill.ended":
      return { kind: "system", who: "system", text: `drill ended (${d.reason})` };
    case "alert.fired":
      return {
        kind: "alert",
        who: "alerting",
        text: `${d.name} fired: ${d.metric} ${num(d.value)} vs threshold ${num(d.threshold)}${d.summary ? " — " + d.summary : ""}`,
      };
    case "alert.resolved":
      return { kind: "resolved", who: "alerting", text: `${d.name} resolved (${d.metric} ${num(d.value)})` };
    case "page":
      return { kind: "page", who: "pager", text: `on-call paged by ${d.alert}` };
    case "inject":
      return { kind: "inject", who: d.from || e.actor, text: d.text, role: d.role, channel: d.channel };
    case "state":
      return { kind: e.vis === "facilitator" ? "hidden" : "state", who: d.component, text: d.what + extras(d, ["component", "what", "for_seq", "for"]) };
    case "effect":
      return { kind: "effect", who: d.component, text: d.what + extras(d, ["component", "what", "for"]) };
    case "observation":
      return { kind: "observation", who: "system", text: observationSummary(d.kind, d.result || {}) };
    default:
      return { kind: "system", who: e.actor, text: e.type };
  }
}

export function observationSummary(kind, r) {
  switch (kind) {
    case "view_dashboard":
      return `breakdown ${r.panel} revealed (${Object.keys(r.rows || {}).length} rows)`;
    case "read_logs":
      return `${(r.lines || []).length} log line(s) from ${r.service}`;
    case "list_changes":
      return `${(r.changes || []).length} recent change(s)`;
    case "check_migration":
      return `${r.service}: ${r.verdict}`;
    case "inspect_queue":
      return `${r.topic}: lag ${num(r.consumer_lag)}, ${r.consumers} consumer(s)${r.rebalancing ? ", rebalancing" : ""}`;
    case "inspect_dependency":
      return `${r.dependency}: ${num(r.latency_ms)} ms, ${num(r.error_pct)}% errors, breaker ${r.breaker}`;
    case "inspect_database":
      return `${r.database}: pool ${num(r.pool_active)}/${r.pool_size} active, ${num(r.pool_waiting)} waiting`;
    case "ask_sme":
      return `${r.from}: ${r.answer}`;
    default:
      return kind;
  }
}

function num(v) {
  if (typeof v !== "number") return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : String(Math.round(v * 100) / 100);
}
