// The input vocabulary, mirroring engine/inputs.py (tests/browser checks the two agree):
// every input type, its category, its parameters and how the console asks for them.
//
// Parameter kinds: service, pod, topic, dependency, database, flag, team, person, target
// (a service or topic), enum (options), int / float (min, max), bool (on/off), text, long.
// `rest: true` lets the command line take the rest of the line for that parameter.

const SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"];

export const VOCAB = [
  // ---------------------------------------------------------------- command
  { type: "take_command", cat: "command", label: "Take command", help: "Become the incident commander (IC).", params: [] },
  {
    type: "declare_incident", cat: "command", label: "Declare incident", help: "Open the incident with a severity.",
    params: [
      { name: "severity", kind: "enum", options: SEVERITIES },
      { name: "summary", kind: "text", max: 500, optional: true, rest: true },
    ],
  },
  {
    type: "assign_role", cat: "command", label: "Assign role", help: "Name who does what.",
    params: [
      { name: "person", kind: "person" },
      { name: "role", kind: "enum", options: ["ic", "deputy", "scribe", "comms", "ops", "sme"] },
    ],
  },
  { type: "page_team", cat: "command", label: "Page team", help: "Page another team's on-call.", params: [{ name: "team", kind: "team" }] },
  {
    type: "delegate", cat: "command", label: "Ask a teammate", help: "Give a simulated teammate a task (any action).", hidden: true,
    params: [
      { name: "person", kind: "responder" },
      { name: "task", kind: "task" },
    ],
  },
  { type: "decide", cat: "command", label: "Decide", help: "Record a decision and its reason.", params: [{ name: "text", kind: "long", max: 2000, rest: true }] },
  // ------------------------------------------------------------ investigate
  { type: "hypothesis", cat: "investigate", label: "Hypothesis", help: "Say what you think is going on.", params: [{ name: "text", kind: "long", max: 2000, rest: true }] },
  {
    type: "view_dashboard", cat: "investigate", label: "Breakdown", help: "Reveal a per-pod, per-endpoint or per-region breakdown.",
    params: [
      { name: "service", kind: "service" },
      { name: "breakdown", kind: "enum", options: ["pod", "endpoint", "region"] },
    ],
  },
  { type: "read_logs", cat: "investigate", label: "Read logs", help: "Recent log lines of a service.", params: [{ name: "service", kind: "service" }] },
  { type: "list_changes", cat: "investigate", label: "Recent changes", help: "Deploys, config pushes and flag flips.", params: [] },
  { type: "check_migration", cat: "investigate", label: "Migration status", help: "Is rolling back schema-safe?", params: [{ name: "service", kind: "service" }] },
  { type: "inspect_queue", cat: "investigate", label: "Inspect queue", help: "Topic, consumer group, lag, stuck partitions.", params: [{ name: "topic", kind: "topic" }] },
  { type: "inspect_dependency", cat: "investigate", label: "Inspect dependency", help: "Latency, errors, circuit breaker.", params: [{ name: "dependency", kind: "dependency" }] },
  { type: "inspect_database", cat: "investigate", label: "Inspect database", help: "Pool, locks, long transactions.", params: [{ name: "database", kind: "database" }] },
  {
    type: "ask_sme", cat: "investigate", label: "Ask an expert", help: "Ask a subject-matter expert.",
    params: [
      { name: "team", kind: "team" },
      { name: "question", kind: "text", max: 1000, optional: true, rest: true },
    ],
  },
  // ----------------------------------------------------------------- impact
  {
    type: "state_impact", cat: "impact", label: "State impact", help: "Who is affected, how many, trend, data.",
    params: [
      { name: "users_pct", kind: "float", min: 0, max: 100, label: "users affected %" },
      { name: "trend", kind: "enum", options: ["rising", "stable", "falling"] },
      { name: "data", kind: "enum", options: ["intact", "delayed", "corrupted", "lost"] },
      { name: "scope", kind: "text", max: 500, optional: true, rest: true },
    ],
  },
  // --------------------------------------------------------------- mitigate
  { type: "rollback", cat: "mitigate", label: "Roll back", help: "Redeploy the previous version (check migrations first).", params: [{ name: "service", kind: "service" }] },
  {
    type: "drain_pod", cat: "mitigate", label: "Drain pod", help: "Take one pod out of rotation.",
    params: [{ name: "service", kind: "service" }, { name: "pod", kind: "pod" }],
  },
  {
    type: "undrain_pod", cat: "mitigate", label: "Undrain pod", help: "Put a drained pod back.",
    params: [{ name: "service", kind: "service" }, { name: "pod", kind: "pod" }],
  },
  {
    type: "scale", cat: "mitigate", label: "Scale", help: "Set the number of pods.",
    params: [{ name: "service", kind: "service" }, { name: "pods", kind: "int", min: 0, max: 256 }, { name: "region", kind: "text", optional: true }],
  },
  {
    type: "scale_consumers", cat: "mitigate", label: "Scale consumers", help: "Set the consumer count (triggers a rebalance).",
    params: [{ name: "topic", kind: "topic" }, { name: "consumers", kind: "int", min: 0, max: 256 }],
  },
  {
    type: "set_flag", cat: "mitigate", label: "Set flag", help: "Turn a feature flag on or off.",
    params: [{ name: "flag", kind: "flag" }, { name: "enabled", kind: "bool" }, { name: "region", kind: "text", optional: true }],
  },
  {
    type: "set_breaker", cat: "mitigate", label: "Circuit breaker", help: "Open (fail fast) or close a dependency's breaker.",
    params: [{ name: "dependency", kind: "dependency" }, { name: "state", kind: "enum", options: ["open", "closed"] }],
  },
  {
    type: "throttle_producer", cat: "mitigate", label: "Throttle producer", help: "Let only a share of produce calls through.",
    params: [{ name: "topic", kind: "topic" }, { name: "allow_pct", kind: "float", min: 0, max: 100, label: "allow %" }],
  },
  { type: "skip_poison", cat: "mitigate", label: "Skip poison messages", help: "Move stuck messages to the DLQ.", params: [{ name: "topic", kind: "topic" }] },
  {
    type: "restart", cat: "mitigate", label: "Restart", help: "Restart a service or consumer group.",
    params: [
      { name: "target", kind: "target" },
      { name: "mode", kind: "enum", options: ["rolling", "all"], optional: true },
    ],
  },
  { type: "failover", cat: "mitigate", label: "Fail over DB", help: "Promote the replica (minutes of downtime).", params: [{ name: "database", kind: "database" }] },
  {
    type: "shed_load", cat: "mitigate", label: "Shed load", help: "Reject a share of requests early.",
    params: [{ name: "service", kind: "service" }, { name: "pct", kind: "float", min: 0, max: 95, label: "shed %" }],
  },
  { type: "kill_query", cat: "mitigate", label: "Kill query", help: "Cancel the blocking transaction.", params: [{ name: "database", kind: "database" }] },
  {
    type: "forward_fix", cat: "mitigate", label: "Forward fix", help: "Ship a fix forward (takes time).",
    params: [{ name: "service", kind: "service" }, { name: "summary", kind: "text", max: 500, optional: true, rest: true }],
  },
  { type: "rotate_certificate", cat: "mitigate", label: "Rotate certificate", help: "Issue a new certificate; pods reload it.", params: [{ name: "certificate", kind: "text" }] },
  { type: "restore_record", cat: "mitigate", label: "Restore DNS record", help: "Republish a DNS record; callers recover as their cached answers expire.", params: [{ name: "record", kind: "text" }] },
  {
    type: "set_retries", cat: "mitigate", label: "Set retries", help: "Change how often a service retries a dependency.",
    params: [{ name: "service", kind: "service" }, { name: "dependency", kind: "dependency" }, { name: "retries", kind: "int", min: 0, max: 10 }],
  },
  {
    type: "evacuate_region", cat: "mitigate", label: "Evacuate region", help: "Move a region's traffic to the others.",
    params: [{ name: "region", kind: "text" }, { name: "restore", kind: "bool", optional: true }],
  },
  {
    type: "reroute", cat: "mitigate", label: "Reroute calls", help: "Send one region's calls to a database or dependency in another region.",
    params: [{ name: "component", kind: "text" }, { name: "region", kind: "text" }, { name: "to", kind: "text" }],
  },
  { type: "rollback_config", cat: "mitigate", label: "Roll back config", help: "Red button: every pod back on the last good config.", params: [{ name: "config", kind: "text" }] },
  {
    type: "pause_autoscaler", cat: "mitigate", label: "Pause autoscaler", help: "Stop the autoscaler changing the fleet size.",
    params: [{ name: "service", kind: "service" }, { name: "paused", kind: "bool", optional: true }],
  },
  {
    type: "cap_autoscaler", cat: "mitigate", label: "Cap autoscaler", help: "Limit how many pods the autoscaler asks for.",
    params: [{ name: "service", kind: "service" }, { name: "max_pods", kind: "int", min: 1, max: 256 }],
  },
  {
    type: "request_quota_raise", cat: "mitigate", label: "Request quota raise", help: "Ask the provider for a higher quota (takes time).",
    params: [{ name: "dependency", kind: "dependency" }, { name: "rps", kind: "float", min: 0, max: 100000 }],
  },
  { type: "warm_cache", cat: "mitigate", label: "Warm cache", help: "Fill a cold cache from a snapshot.", params: [{ name: "cache", kind: "text" }] },
  {
    type: "set_coalescing", cat: "mitigate", label: "Request coalescing", help: "Misses of one key share one database read.",
    params: [{ name: "cache", kind: "text" }, { name: "enabled", kind: "bool" }],
  },
  {
    type: "free_resource", cat: "mitigate", label: "Free resource", help: "Delete old logs and temp files (disk).",
    params: [{ name: "service", kind: "service" }, { name: "resource", kind: "enum", options: ["memory", "fds", "disk"] }],
  },
  {
    type: "raise_limit", cat: "mitigate", label: "Raise limit", help: "Raise a memory limit, ulimit or volume size.",
    params: [{ name: "service", kind: "service" }, { name: "resource", kind: "enum", options: ["memory", "fds", "disk"] }, { name: "factor", kind: "float", min: 1, max: 100, optional: true }],
  },
  {
    type: "set_timeout", cat: "mitigate", label: "Set timeout", help: "Change how long a service waits on a callee.",
    params: [{ name: "service", kind: "service" }, { name: "dependency", kind: "dependency" }, { name: "timeout_ms", kind: "float", min: 0, max: 600000 }],
  },
  { type: "halt_config_push", cat: "mitigate", label: "Halt config push", help: "Stop a staged config push spreading.", params: [{ name: "config", kind: "text" }] },
  // ------------------------------------------------------------ communicate
  {
    type: "status_update", cat: "communicate", label: "Status update", help: "Post a status update.",
    params: [
      { name: "audience", kind: "enum", options: ["public", "internal", "executive"] },
      { name: "state", kind: "enum", options: ["investigating", "identified", "monitoring", "resolved"] },
      { name: "impact", kind: "long", max: 1000 },
      { name: "action", kind: "text", max: 1000, optional: true },
      { name: "next_update_min", kind: "int", min: 1, max: 240, optional: true, label: "next update (min)" },
      { name: "text", kind: "long", max: 2000, optional: true },
    ],
  },
  { type: "chat", cat: "communicate", label: "Chat", help: "Say something in the incident channel.", params: [{ name: "text", kind: "long", max: 2000, rest: true }] },
  // ------------------------------------------------------------ facilitator
  { type: "inject", cat: "facilitate", label: "Fire inject", help: "Fire one of the scenario's injects now.", params: [{ name: "id", kind: "inject" }] },
  {
    type: "message", cat: "facilitate", label: "Message", help: "Speak as someone in the scenario.",
    params: [
      { name: "sender", kind: "text", max: 200 },
      { name: "role", kind: "enum", options: ["executive", "sme", "customer", "support", "teammate", "system"], optional: true },
      { name: "channel", kind: "enum", options: ["chat", "executive", "customer", "pager"], optional: true },
      { name: "text", kind: "long", max: 2000, rest: true },
      { name: "reply_to", kind: "int", min: 1, optional: true },
    ],
  },
  { type: "note", cat: "facilitate", label: "Private note", help: "A note only facilitators see.", params: [{ name: "text", kind: "long", max: 2000, rest: true }] },
  {
    type: "clock", cat: "facilitate", label: "Clock", help: "Start, pause, resume, speed, step, jump.",
    params: [
      { name: "action", kind: "enum", options: ["start", "pause", "resume", "speed", "step", "jump"] },
      { name: "speed", kind: "float", min: 0, max: 600, optional: true },
      { name: "seconds", kind: "float", min: 0, max: 3600, optional: true },
    ],
  },
  { type: "end", cat: "facilitate", label: "End drill", help: "End the drill now.", params: [{ name: "reason", kind: "text", max: 200, optional: true, rest: true }] },
];

export const BY_TYPE = Object.fromEntries(VOCAB.map((v) => [v.type, v]));
export const CATEGORIES = [
  ["command", "Command"],
  ["investigate", "Investigate"],
  ["impact", "Impact"],
  ["mitigate", "Mitigate"],
  ["communicate", "Comms"],
  ["facilitate", "Facilitate"],
];

/** Input types a role may send (engine PERMISSIONS). */
export function allowed(role) {
  if (role === "facilitator") return VOCAB.map((v) => v.type);
  if (role === "player") return VOCAB.filter((v) => v.cat !== "facilitate").map((v) => v.type);
  return [];
}

/** Short aliases for the command line. */
export const ALIASES = {
  ic: "take_command", take: "take_command", command: "take_command",
  declare: "declare_incident", sev: "declare_incident",
  assign: "assign_role", page: "page_team",
  logs: "read_logs", changes: "list_changes", migration: "check_migration",
  breakdown: "view_dashboard", dash: "view_dashboard", dashboard: "view_dashboard",
  queue: "inspect_queue", dep: "inspect_dependency", db: "inspect_database", ask: "ask_sme",
  impact: "state_impact", drain: "drain_pod", undrain: "undrain_pod",
  flag: "set_flag", breaker: "set_breaker", throttle: "throttle_producer",
  shed: "shed_load", fix: "forward_fix", status: "status_update", say: "chat",
};

export function signature(v) {
  const ps = v.params.map((p) => (p.optional ? `[${p.name}]` : `<${p.name}>`));
  return [v.type, ...ps].join(" ");
}

const TRUE = new Set(["on", "true", "yes", "enable", "enabled", "1"]);
const FALSE = new Set(["off", "false", "no", "disable", "disabled", "0"]);

/** Split a command line into words, keeping "quoted text" together. */
export function tokenize(line) {
  const out = [];
  const re = /(\w+)=(?:"([^"]*)"?|'([^']*)'?|(\S*))|"([^"]*)"?|'([^']*)'?|(\S+)/g;
  let m;
  while ((m = re.exec(line))) {
    if (m[1] !== undefined) out.push({ key: m[1], value: m[2] ?? m[3] ?? m[4] ?? "", start: m.index });
    else out.push({ value: m[5] ?? m[6] ?? m[7], start: m.index, quoted: m[7] === undefined });
  }
  return out;
}

export function resolveVerb(word) {
  if (!word) return null;
  const w = word.toLowerCase().replace(/-/g, "_");
  return BY_TYPE[w] ? w : ALIASES[w] || null;
}

/** Coerce one parameter's text the way the form would (unparseable text goes as-is). */
export function coerce(p, text) {
  if (p.kind === "int" || p.kind === "float") {
    const n = Number(text);
    return text !== "" && Number.isFinite(n) ? n : text;
  }
  if (p.kind === "bool") {
    const t = String(text).toLowerCase();
    if (TRUE.has(t)) return true;
    if (FALSE.has(t)) return false;
    return text;
  }
  return text;
}

/**
 * Parse a command line into an input: {input} or {error}. Positional words fill the
 * parameters in order (the last text parameter takes the rest); key=value sets any one.
 */
export function parseCommand(line) {
  const words = tokenize(line.trim());
  if (!words.length) return { error: "type an action, e.g. take_command or rollback <service>" };
  const verb = resolveVerb(words[0].value);
  if (!verb) {
    return { error: `unknown action ${JSON.stringify(words[0].value)}; type ? or press Tab to see the actions` };
  }
  const v = BY_TYPE[verb];
  const input = { type: verb };
  const free = v.params.filter(() => true);
  const rest = words.slice(1);
  let i = 0;
  for (let w = 0; w < rest.length; w++) {
    const word = rest[w];
    if (word.key !== undefined) {
      const p = v.params.find((q) => q.name === word.key);
      if (!p) return { error: `${verb} has no parameter ${word.key}; it takes: ${v.params.map((q) => q.name).join(", ") || "nothing"}` };
      input[p.name] = coerce(p, word.value);
      continue;
    }
    while (i < free.length && input[free[i].name] !== undefined) i++;
    const p = free[i];
    if (!p) return { error: `too many words for ${verb}; usage: ${signature(v)}` };
    if (p.rest) {
      input[p.name] = rest
        .slice(w)
        .filter((x) => x.key === undefined)
        .map((x) => x.value)
        .join(" ");
      for (const x of rest.slice(w)) {
        if (x.key !== undefined) {
          const q = v.params.find((pp) => pp.name === x.key);
          if (q) input[q.name] = coerce(q, x.value);
        }
      }
      break;
    }
    input[p.name] = coerce(p, word.value);
    i++;
  }
  return { input, spec: v };
}

/**
 * "Priya, <command>" or "@priya <command>": a task for a simulated teammate. Returns
 * {person, rest} when the line starts by addressing one of ``responders`` (names), else null.
 */
export function addressed(line, responders) {
  const m = /^\s*@?([A-Za-z][A-Za-z0-9.'-]*)\s*[,:]?\s+(.*)$/s.exec(line);
  if (!m) return null;
  const name = responders.find((r) => r.toLowerCase() === m[1].toLowerCase());
  if (!name || !(line.trim().startsWith("@") || /^[^\s,:]+\s*[,:]/.test(line.trim()))) return null;
  return { person: name, rest: m[2].trim() };
}

// Plain words a teammate understands, mapped to an action and how to find its target in
// the sentence ("check the pod breakdown of api-gateway", "roll back checkout-api").
const PHRASES = [
  [/\b(pods?|endpoints?|regions?)\b.*\b(breakdown|dashboard)|\b(breakdown|dashboard)\b/i, "view_dashboard"],
  [/\blogs?\b/i, "read_logs"],
  [/\b(recent )?(changes|deploys|deployments)\b/i, "list_changes"],
  [/\bmigrations?\b/i, "check_migration"],
  [/\broll ?back\b/i, "rollback"],
  [/\bqueue|\blag\b|\btopic\b/i, "inspect_queue"],
  [/\bdatabase|\bdb\b|\bpool\b/i, "inspect_database"],
  [/\bdependency|\bprovider\b|\bupstream\b/i, "inspect_dependency"],
];

/** An action from a plain-words task, using the scenario's names; null if not understood. */
export function understand(text, info) {
  const cmd = parseCommand(text);
  if (!cmd.error) return cmd.input;
  const lower = text.toLowerCase();
  const find = (names) => names.filter((n) => lower.includes(n.toLowerCase())).sort((a, b) => b.length - a.length)[0];
  const services = (info.services || []).map((x) => x.name);
  for (const [re, type] of PHRASES) {
    if (!re.test(text)) continue;
    if (type === "list_changes") return { type };
    if (type === "view_dashboard") {
      const service = find(services);
      const breakdown = (/\b(pod|endpoint|region)s?\b/i.exec(text) || [, "pod"])[1].toLowerCase();
      if (service) return { type, service, breakdown };
    } else if (type === "inspect_queue") {
      const topic = find(info.topics || []);
      if (topic) return { type, topic };
    } else if (type === "inspect_database") {
      const database = find(info.databases || []);
      if (database) return { type, database };
    } else if (type === "inspect_dependency") {
      const dependency = find(info.dependencies || []);
      if (dependency) return { type, dependency };
    } else {
      const service = find(services);
      if (service) return { type, service };
    }
  }
  return null;
}
