// Entry point: routes (lobby, join, war room, facilitator console, debrief), the drill
// connection, the reconnect banner and keyboard shortcuts.
//
//   /                              lobby
//   /drills/<id>/join#code=…       join form (the code decides player or observer)
//   /drills/<id>/play | watch | facilitate | end   the drill, as the token's role
//
// Tokens arrive in the fragment (#token=…), are kept in sessionStorage for this tab and
// removed from the address bar, so a copied URL never carries them.

import { drillLog, drillState } from "./api.js";
import { Connection } from "./conn.js";
import { h } from "./dom.js";
import { drawn as debriefCharts } from "./debrief.js";
import { EndScreen } from "./endscreen.js";
import { FacilitatorConsole } from "./facilitator.js";
import { joinPage, lobby, topbar } from "./lobby.js";
import { DrillState } from "./state.js";
import { remember, tokenFor } from "./store.js";
import { VOCAB, loadVocab } from "./vocab.js";
import { WarRoom } from "./warroom.js";

const root = document.getElementById("app");
const banner = document.getElementById("banner");
let current = null;

function navigate(path) {
  history.pushState(null, "", path);
  route();
}

window.addEventListener("popstate", () => route());

function route() {
  // projector mode: large text for a room screen (?projector, remembered for this tab)
  const q = new URLSearchParams(location.search);
  if (q.has("projector")) sessionStorage.setItem("firedrill:projector", q.get("projector") === "0" ? "" : "1");
  document.body.classList.toggle("projector", !!sessionStorage.getItem("firedrill:projector"));
  current?.destroy();
  current = null;
  root.setAttribute("aria-busy", "false");
  hideBanner(true);
  const hash = new URLSearchParams(location.hash.slice(1));
  const m = /^\/drills\/([\w-]+)\/([\w-]+)\/?$/.exec(location.pathname);
  if (!m) {
    document.title = "firedrill";
    lobby(root, navigate);
    return;
  }
  const [, id, page] = m;
  if (page === "join") {
    document.title = "Join drill · firedrill";
    joinPage(root, id, hash, navigate);
    return;
  }
  const token = tokenFor(id, page, hash.get("token"));
  if (hash.has("token")) history.replaceState(null, "", location.pathname);
  if (!token) {
    errorPage("You have no token for this drill", "Open the join link the facilitator shared (it ends in #code=…), or the facilitator link you got when you created the drill.");
    return;
  }
  current = new DrillApp(id, page, token);
}

function errorPage(title, text) {
  root.replaceChildren(
    topbar(),
    h("main#main.center-page", h("div.panel.error-state", { role: "alert" }, h("h2", title), h("p", text), h("p", h("a.button", { href: "/" }, "Back to the lobby")))),
  );
}

// ----------------------------------------------------------------- banner
let bannerTimer = null;
function showBanner(kind, text, hideAfter) {
  clearTimeout(bannerTimer);
  banner.hidden = false;
  banner.className = "banner " + kind;
  banner.textContent = text;
  if (hideAfter) bannerTimer = setTimeout(() => hideBanner(), hideAfter);
}
function hideBanner(now) {
  clearTimeout(bannerTimer);
  if (now) banner.hidden = true;
  else bannerTimer = setTimeout(() => (banner.hidden = true), 0);
}

// ------------------------------------------------------------------ drill
class DrillApp {
  constructor(id, page, token) {
    this.id = id;
    this.page = page;
    this.token = token;
    this.state = new DrillState();
    this.view = null;
    this.viewName = null;
    this.rebuilding = null;
    this.autoEnd = page !== "end";
    root.replaceChildren(topbar(), h("main#main.center-page", h("p.muted", "Connecting to the drill…")));
    this.unlisten = this.state.listen((t) => this.changed(t));
    window.firedrill = this.hook();
    this.init();
  }

  async init() {
    let s;
    try {
      s = await drillState(this.id, this.token);
    } catch (err) {
      const title = { 401: "This token is not valid", 403: "Not allowed", 404: "No such drill" }[err.status] || "Cannot open the drill";
      errorPage(title, err.message);
      return;
    }
    if (this.destroyed) return;
    const title = s.snapshot?.scenario?.title || s.scenario;
    document.title = `${title} · firedrill`;
    remember({ id: this.id, title, role: s.you.role, name: s.you.name, token: this.token });
    this.conn = new Connection(this.id, this.token, {
      welcome: (f, info) => this.welcome(f, info),
      events: (items) => (this.rebuilding ? this.rebuilding.push(...items) : this.state.apply(items)),
      clock: (f) => this.state.setClock(f),
      roster: (f) => this.state.setRoster(f.roster),
      state: (name, d) => this.connState(name, d),
      queued: (n) => {
        if (n) this.offlineBanner();
      },
      caughtUp: (n, mode) =>
        showBanner("ok", mode === "snapshot" ? `Reconnected, caught up from a snapshot (${n} events rebuilt)` : `Reconnected, caught up ${n} event${n === 1 ? "" : "s"}`, 6000),
    });
    this.conn.start();
  }

  welcome(frame, { reconnect, mode }) {
    if (mode === "snapshot") {
      this.state.welcome(frame, true, true);
      this.rebuild(frame);
    } else {
      this.state.welcome(frame, !reconnect);
    }
    if (!this.view) this.show(this.page === "end" && frame.status === "ended" ? "end" : "room");
  }

  /** The server sent a snapshot instead of the missed events: refetch the log for history. */
  async rebuild(frame) {
    this.rebuilding = [];
    try {
      const events = await drillLog(this.id, this.token);
      const live = this.rebuilding;
      this.rebuilding = null;
      this.state.welcome(frame, true, false);
      const last = events.length ? events[events.length - 1].seq : 0;
      this.state.apply([...events, ...live.filter((e) => e.seq > last)]);
    } catch {
      const live = this.rebuilding || [];
      this.rebuilding = null;
      this.state.apply(live);
    }
  }

  connState(name, d) {
    const dot = document.querySelector(".conn");
    if (dot) {
      dot.className = "conn " + name;
      dot.textContent = { open: "live", connecting: "connecting", reconnecting: "offline", failed: "disconnected" }[name] || name;
    }
    if (name === "reconnecting" && !navigator.onLine) {
      if (dot) dot.textContent = "offline";
      this.offlineBanner();
    } else if (name === "reconnecting" && this.conn.connectedOnce) {
      showBanner("warn", `Connection lost, reconnecting… (attempt ${d.attempt}${d.reason ? ", " + d.reason : ""})`);
    } else if (name === "reconnecting" && d.attempt >= 2) {
      showBanner("warn", `Cannot reach the drill yet, retrying… (attempt ${d.attempt})`);
    } else if (name === "failed") {
      showBanner("error", `Disconnected: ${d.reason}. Rejoin from the lobby.`);
    }
  }

  /** Offline: say so, and how many inputs wait to be sent. */
  offlineBanner() {
    const n = this.conn?.queued || 0;
    const waiting = n ? ` ${n} input${n === 1 ? "" : "s"} queued.` : "";
    showBanner("warn", `You are offline. What you send now is queued and goes out once when the connection is back.${waiting}`);
  }

  changed(topics) {
    if (this.autoEnd && this.state.ended && this.viewName === "room" && (topics.has("ended") || topics.has("clock") || topics.has("all"))) {
      this.autoEnd = false;
      showBanner("info", "The drill has ended. Opening the debrief…", 4000);
      setTimeout(() => {
        if (!this.destroyed && this.viewName === "room") this.show("end");
      }, 1200);
    }
  }

  show(name) {
    this.view?.destroy();
    this.fac?.destroy();
    this.fac = null;
    this.viewName = name;
    const ctx = {
      state: this.state,
      conn: this.conn,
      token: this.token,
      help: () => showHelp(),
      backToRoom: () => this.show("room"),
      side: (room) => (this.fac = new FacilitatorConsole(room, ctx)).el,
      reply: (e) => this.fac?.reply(e),
    };
    if (name === "end") {
      hideBanner(true);
      history.replaceState(null, "", `/drills/${this.id}/end`);
      this.view = new EndScreen(root, ctx);
    } else {
      const page = { facilitator: "facilitate", player: "play", observer: "watch" }[this.state.me.role];
      history.replaceState(null, "", `/drills/${this.id}/${page}`);
      this.view = new WarRoom(root, ctx);
      if (this.conn) this.connState(this.conn.state, {});
    }
    root.setAttribute("aria-busy", "false");
  }

  destroy() {
    this.destroyed = true;
    this.unlisten();
    this.view?.destroy();
    this.fac?.destroy();
    this.conn?.stop();
  }

  /** window.firedrill: a small debugging and testing hook. */
  hook() {
    const app = this;
    return {
      get state() {
        return app.state;
      },
      get conn() {
        return app.conn;
      },
      get view() {
        return app.viewName;
      },
      charts: () => app.view?.charts?.snapshot() || {},
      debrief: () => debriefCharts,
      drop: () => app.conn?.drop("dropped by the test hook"),
      send: (frame) => app.conn?.send(frame),
      get vocab() {
        return VOCAB;
      },
    };
  }
}

// -------------------------------------------------------------- keyboard
const SHORTCUTS = [
  ["/", "focus the command line"],
  ["c", "focus the channel message box"],
  ["u", "write a status update"],
  ["t", "focus the timeline"],
  ["p", "pause or resume the clock (facilitator)"],
  ["?", "show this help"],
  ["Esc", "close suggestions or this help; leave a field"],
  ["Enter", "send the form or command (Ctrl+Enter in multi-line fields)"],
  ["Tab / ↑ ↓", "complete and choose in the command line (↓ on an empty line lists the actions); ↑ recalls history"],
  ["← →", "move between tabs"],
];

function showHelp() {
  let dlg = document.getElementById("help");
  if (!dlg) {
    dlg = h(
      "dialog#help",
      { "aria-label": "Keyboard shortcuts" },
      h("h2", "Keyboard shortcuts"),
      h("dl.kv.wide", SHORTCUTS.map(([k, v]) => [h("dt", h("kbd", k)), h("dd", v)])),
      h("form", { method: "dialog" }, h("button.primary", { type: "submit" }, "Close")),
    );
    document.body.append(dlg);
  }
  if (!dlg.open) dlg.showModal();
}

document.addEventListener("keydown", (ev) => {
  if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) {
    if (ev.key === "Escape") t.blur();
    return;
  }
  if (document.querySelector("dialog[open]")) return;
  const room = current?.viewName === "room" ? current.view : null;
  const map = { "/": "cmd", c: "chat", u: "update", t: "timeline" };
  if (ev.key === "?") {
    ev.preventDefault();
    showHelp();
  } else if (room && map[ev.key]) {
    if (room.focus(map[ev.key])) ev.preventDefault();
  } else if (room && ev.key === "p" && current.state.me.role === "facilitator") {
    const s = current.state.clock.status;
    if (s === "running") current.conn.control("pause").catch(() => {});
    else if (s === "paused") current.conn.control("resume").catch(() => {});
  }
});

// The console is built from the action table: read it (or this browser's last copy) first.
loadVocab().then(
  () => route(),
  (err) => errorPage("Cannot load the list of actions", `${err.message}. Reload the page when the server is back.`),
);
