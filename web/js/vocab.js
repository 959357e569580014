// The input vocabulary: every input type, its category, its parameters and how the console
// asks for them. It is not kept here: the server serves the engine's action-spec table
// (GET /api/actions, made from engine/actions.py and engine/inputs.py) and loadVocab() reads
// it once per page load, keeping the last copy in localStorage so a page whose fetch fails
// (the server restarting, the network gone) still has a console.
//
// Parameter kinds: service, pod, topic, dependency, database, flag, team, person, responder,
// target (a service or topic), inject, task, enum (options), int / float (min, max),
// bool (on/off), text, long; any other kind (certificate, region ...) is typed as text.
// A spec's `rest` parameter takes the rest of the command line.

import { api } from "./api.js";

const CACHE = "firedrill:actions";

export let VOCAB = [];
export let BY_TYPE = {};
/** [name, tab label] per category, in the order the console shows them. */
export let CATEGORIES = [];
/** Short verbs of the command line: alias -> input type. */
export let ALIASES = {};
let PERMISSIONS = {};

/** Use one action table (as GET /api/actions answers it). */
export function useTable(table) {
  VOCAB = table.actions.map((a) => ({
    ...a,
    cat: a.category,
    params: a.params.map((p) => ({ ...p, rest: p.name === a.rest })),
  }));
  BY_TYPE = Object.fromEntries(VOCAB.map((v) => [v.type, v]));
  CATEGORIES = table.categories.map((c) => [c.name, c.label]);
  ALIASES = Object.fromEntries(VOCAB.flatMap((v) => v.aliases.map((a) => [a, v.type])));
  PERMISSIONS = table.permissions;
}

/**
 * Fetch the action table (falling back to the last one this browser saw) and use it.
 * Resolves to "server" or "cache"; rejects only when neither is there.
 */
export async function loadVocab() {
  try {
    const table = await api("GET", "/api/actions");
    useTable(table);
    try {
      localStorage.setItem(CACHE, JSON.stringify(table));
    } catch {
      /* private mode or full: this page has the table, the next one fetches it again */
    }
    return "server";
  } catch (err) {
    let cached = null;
    try {
      cached = JSON.parse(localStorage.getItem(CACHE) || "null");
    } catch {
      cached = null;
    }
    if (!cached) throw err;
    useTable(cached);
    return "cache";
  }
}

/** Input types a role may send (the engine's PERMISSIONS, from the table). */
export function allowed(role) {
  return PERMISSIONS[role] || [];
}

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
