// One line of plain English per log event, for the timeline, chat and end screen.

import { BY_TYPE } from "./vocab.js";

const onoff = (v) => (v ? "on" : "off");

const INPUT = {
  take_command: () => "took command (IC)",
  declare_incident: (d) => `declared ${d.severity}${d.summary ? ": " + d.summary : ""}`,
  assign_role: (d) => `assigned ${d.role.toUpperCase()} to ${d.person}`,
  page_team: (d) => `paged ${d.team}`,
  delegate: (d) => `gave ${d.person} a task: ${describeTask(d.task)}`,
  decide: (d) => `decided: ${d.text}`,
  hypothesis: (d) => `hypothesis: ${d.text}`,
  view_dashboard: (d) => `opened ${d.service} by ${d.breakdown}`,
  read_logs: (d) => `read the logs of ${d.service}`,
  list_changes: () => "listed recent changes",
  check_migration: (d) => `checked migrations of ${d.service}`,
  inspect_queue: (d) => `inspected topic ${d.topic}`,
  inspect_dependency: (d) => `inspected dependency ${d.dependency}`,
  inspect_database: (d) => `inspected database ${d.database}`,
  ask_sme: (d) => `asked ${d.team}${d.question ? ": " + d.question : ""}`,
  state_impact: (d) =>
    `stated impact: ${d.users_pct}% of users, ${d.trend}, data ${d.data}${d.scope ? " (" + d.scope + ")" : ""}`,
  rollback: (d) => `rolled back ${d.service}`,
  drain_pod: (d) => `drained pod ${d.pod} of ${d.service}`,
  undrain_pod: (d) => `undrained pod ${d.pod} of ${d.service}`,
  scale: (d) => `scaled ${d.service} to ${d.pods} pods`,
  scale_consumers: (d) => `scaled consumers of ${d.topic} to ${d.consumers}`,
  set_flag: (d) => `turned flag ${d.flag} ${onoff(d.enabled)}`,
  set_breaker: (d) => `set the circuit breaker of ${d.dependency} ${d.state}`,
  throttle_producer: (d) => `throttled producers of ${d.topic} to ${d.allow_pct}%`,
  skip_poison: (d) => `skipped poison messages on ${d.topic}`,
  restart: (d) => `restarted ${d.target} (${d.mode})`,
  failover: (d) => `failed over ${d.database}`,
  shed_load: (d) => `shed ${d.pct}% of load on ${d.service}`,
  kill_query: (d) => `killed the blocking query on ${d.database}`,
  forward_fix: (d) => `started a forward fix of ${d.service}${d.summary ? ": " + d.summary : ""}`,
  status_update: (d) =>
    `${d.audience} status update (${d.state}): ${d.impact}${d.action ? " Action: " + d.action : ""}` +
    (d.next_update_min ? ` Next update in ${d.next_update_min} min.` : ""),
  chat: (d) => d.text,
  inject: (d) => `fired inject ${d.id}`,
  message: (d) => `spoke as ${d.sender} (${d.role}, ${d.channel})${d.reply_to ? `, replying to #${d.reply_to}` : ""}`,
  note: (d) => `note: ${d.text}`,
  clock: (d) =>
    `clock ${d.action}` + (d.speed ? ` ×${d.speed}` : "") + (d.seconds ? ` ${d.seconds}s` : ""),
  end: (d) => `ended the drill${d.reason ? ": " + d.reason : ""}`,
};

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
      const fn = INPUT[d.type];
      const by = d.by ? ` [sent by ${d.by}]` : d.via ? ` [asked in #${d.via}]` : "";
      const kind = d.type === "chat" ? "chat" : d.type === "note" ? "note" : d.type === "clock" || d.type === "end" ? "control" : "action";
      return { kind, who: e.actor, text: (fn ? fn(d) : d.type) + by, action: d.type };
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
