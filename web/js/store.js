// What this browser remembers: tokens per tab (sessionStorage) and recent drills (localStorage).
// Tokens never go in a URL that reaches the server; a fragment (#token=...) is read once
// and then removed from the address bar.

const RECENT = "firedrill:recent";

function read(storage, key, fallback) {
  try {
    const raw = storage.getItem(key);
    return raw ? JSON.parse(raw) : fallback;
  } catch {
    return fallback;
  }
}

function write(storage, key, value) {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    /* private mode or full: the page still works, it just will not remember */
  }
}

export function recent() {
  return read(localStorage, RECENT, []);
}

/** Remember a drill this browser took part in (newest first, one entry per id+role+name). */
export function remember(entry) {
  const key = (e) => `${e.id}|${e.role}|${e.name || ""}`;
  const old = recent().find((e) => key(e) === key(entry)) || {};
  const list = recent().filter((e) => key(e) !== key(entry));
  const merged = { ...old, ...Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== "" && v !== undefined)) };
  list.unshift({ ...merged, at: Date.now() });
  write(localStorage, RECENT, list.slice(0, 20));
}

export function forget(entry) {
  write(
    localStorage,
    RECENT,
    recent().filter((e) => !(e.id === entry.id && e.role === entry.role && e.name === entry.name)),
  );
}

export function update(id, role, patch) {
  write(
    localStorage,
    RECENT,
    recent().map((e) => (e.id === id && e.role === role ? { ...e, ...patch } : e)),
  );
}

/** The token this tab uses for a drill: the fragment, else this tab's, else a remembered one. */
export function tokenFor(id, page, hashToken) {
  const key = `firedrill:token:${id}`;
  if (hashToken) {
    write(sessionStorage, key, hashToken);
    return hashToken;
  }
  const mine = read(sessionStorage, key, null);
  if (mine) return mine;
  const role = { facilitate: "facilitator", play: "player", watch: "observer" }[page];
  const hit = recent().find((e) => e.id === id && (!role || e.role === role)) || recent().find((e) => e.id === id);
  return hit ? hit.token : null;
}

export function setToken(id, token) {
  write(sessionStorage, `firedrill:token:${id}`, token);
}

export function findEntry(id, role) {
  return recent().find((e) => e.id === id && e.role === role) || null;
}

/** The clock token of a solo drill (a facilitator token used only for POST /control). */
export function clockToken(id) {
  return read(sessionStorage, `firedrill:clock:${id}`, null) || recent().find((e) => e.id === id && e.clock_token)?.clock_token || null;
}

export function setClockToken(id, token) {
  write(sessionStorage, `firedrill:clock:${id}`, token);
}
