// One WebSocket to the drill: hello with the last seq, ack/error per request,
// heartbeat, and transparent reconnects that resume from where the page was.

const FATAL = new Map([
  [4000, "the server refused the hello frame"],
  [4001, "this token is not valid for the drill"],
]);
const BACKOFF_MS = [250, 1000, 2000, 4000, 8000];
const PING_EVERY_MS = 15000;
const PING_TIMEOUT_MS = 8000;
const REQUEST_TIMEOUT_MS = 15000;

export class FrameError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class Connection {
  /**
   * handlers: welcome(frame, {reconnect, mode, missed}), events(items), clock(frame),
   * roster(frame), state(name, detail), caughtUp(n), frame(frame) for anything else.
   */
  constructor(drillId, token, handlers) {
    this.drillId = drillId;
    this.token = token;
    this.on = handlers;
    this.lastSeq = null;
    this.ws = null;
    this.state = "idle";
    this.attempt = 0;
    this.connectedOnce = false;
    this.pending = new Map();
    // Frame ids must be unique per participant across page loads: the server refuses a
    // re-used id as a replay (duplicate_frame) instead of applying the input twice.
    this.idPrefix = Array.from(crypto.getRandomValues(new Uint32Array(2)), (x) => x.toString(36)).join("");
    this.n = 0;
    this.stopped = false;
    this.catchUp = null;
    this.reconnects = 0;
    this.timer = null;
    this.pingTimer = null;
    this.online = () => {
      if (this.state === "reconnecting") this.connectNow();
    };
    // The browser knows first when the network is gone: believe it rather than a socket
    // that may take a minute to notice, and queue what is sent meanwhile.
    this.offline = () => {
      if (this.ws) this.drop("the browser is offline");
    };
    window.addEventListener("online", this.online);
    window.addEventListener("offline", this.offline);
  }

  /** Inputs and controls waiting to be sent once the connection is back. */
  get queued() {
    return [...this.pending.values()].filter((p) => p.queued).length;
  }

  get url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}/ws/${encodeURIComponent(this.drillId)}`;
  }

  start() {
    this.connectNow();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.online);
    window.removeEventListener("offline", this.offline);
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000, "page closed");
    this.failPending("connection_closed", "the connection was closed");
  }

  setState(name, detail) {
    this.state = name;
    this.on.state?.(name, detail);
  }

  connectNow() {
    clearTimeout(this.timer);
    if (this.stopped) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (exc) {
      this.scheduleReconnect(String(exc));
      return;
    }
    this.ws = ws;
    this.welcomed = false;
    this.setState(this.connectedOnce ? "reconnecting" : "connecting", { attempt: this.attempt });
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "hello", v: 1, token: this.token, last_seq: this.lastSeq }));
    };
    ws.onmessage = (msg) => this.receive(ws, msg.data);
    ws.onclose = (ev) => this.closed(ws, ev);
    ws.onerror = () => {
      /* a close event always follows; handled there */
    };
  }

  receive(ws, raw) {
    if (ws !== this.ws) return;
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    switch (frame.type) {
      case "welcome":
        return this.welcome(frame);
      case "events":
        return this.events(frame.items || []);
      case "ack":
      case "error":
        return this.reply(frame);
      case "clock":
        return this.on.clock?.(frame);
      case "roster":
        return this.on.roster?.(frame);
      default:
        return this.on.frame?.(frame);
    }
  }

  welcome(frame) {
    const reconnect = this.connectedOnce;
    this.connectedOnce = true;
    this.welcomed = true;
    this.attempt = 0;
    const resume = frame.resume || {};
    const mode = resume.mode || "events";
    const missed = mode === "events" ? resume.events || 0 : 0;
    if (reconnect) this.reconnects += 1;
    this.catchUp = reconnect ? { left: missed, total: missed, mode } : null;
    this.setState("open");
    this.on.welcome?.(frame, { reconnect, mode, missed });
    this.resendPending();
    if (mode === "snapshot") this.lastSeq = frame.seq;
    this.heartbeat();
    if (this.catchUp && (this.catchUp.left <= 0 || mode === "snapshot")) this.finishCatchUp();
  }

  events(items) {
    const fresh = this.lastSeq === null ? items : items.filter((e) => e.seq > this.lastSeq);
    if (fresh.length) {
      this.lastSeq = fresh[fresh.length - 1].seq;
      this.on.events?.(fresh);
    }
    if (this.catchUp) {
      this.catchUp.left -= items.length;
      if (this.catchUp.left <= 0) this.finishCatchUp();
    }
  }

  finishCatchUp() {
    const c = this.catchUp;
    this.catchUp = null;
    this.on.caughtUp?.(c.total, c.mode);
  }

  reply(frame) {
    const p = this.pending.get(frame.id);
    if (!p) {
      if (frame.type === "error") this.on.frame?.(frame);
      return;
    }
    this.pending.delete(frame.id);
    clearTimeout(p.timer);
    if (frame.type === "error" && frame.code === "duplicate_frame") {
      p.resolve({ ...frame, type: "ack", resent: true }); // applied before the drop
    } else if (frame.type === "ack") p.resolve(frame);
    else p.reject(new FrameError(frame.code, frame.message));
  }

  closed(ws, ev) {
    if (ws !== this.ws) return;
    clearInterval(this.pingTimer);
    this.ws = null;
    // Inputs and controls still waiting for their ack are re-sent, with the same id, after
    // the next welcome: the server applies each frame id once (a copy it already applied is
    // answered with duplicate_frame and the first seq), so nothing is lost or doubled.
    this.failPending(
      "connection_lost",
      "the connection dropped before the server confirmed this; check the timeline before sending it again",
      (p) => !p.retry || this.stopped || FATAL.has(ev.code),
    );
    if (this.stopped) return;
    if (FATAL.has(ev.code)) {
      this.setState("failed", { code: ev.code, reason: ev.reason || FATAL.get(ev.code) });
      return;
    }
    this.scheduleReconnect(ev.reason || (ev.code === 1006 ? "network error" : `closed with code ${ev.code}`));
  }

  scheduleReconnect(reason) {
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = base + Math.floor(Math.random() * base * 0.3);
    this.attempt += 1;
    this.setState("reconnecting", { attempt: this.attempt, delay, reason });
    this.timer = setTimeout(() => this.connectNow(), delay);
  }

  heartbeat() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      const ws = this.ws;
      this.send({ type: "ping" }, PING_TIMEOUT_MS).catch(() => {
        if (ws === this.ws) this.drop("no reply to ping");
      });
    }, PING_EVERY_MS);
  }

  failPending(code, message, which = () => true) {
    for (const [id, p] of this.pending) {
      if (!which(p)) continue;
      clearTimeout(p.timer);
      p.reject(new FrameError(code, message));
      this.pending.delete(id);
    }
  }

  resendPending() {
    for (const [, p] of this.pending) {
      if (p.queued) {
        p.queued = false;
        p.timer = setTimeout(p.expire, p.timeout);
      }
      this.ws.send(p.text);
    }
    if (this.pending.size) this.on.queued?.(0);
    return this.pending.size;
  }

  /** Send one frame with a fresh id; resolves with its ack, rejects with FrameError. */
  send(frame, timeout = REQUEST_TIMEOUT_MS) {
    const open = this.ws && this.ws.readyState === WebSocket.OPEN && this.welcomed;
    // offline: inputs and controls wait in the queue (sent once, with their id, after the
    // next welcome); a ping, or a page that never connected or was refused, fails at once
    if (!open && (frame.type === "ping" || !this.connectedOnce || this.stopped || this.state === "failed")) {
      return Promise.reject(
        new FrameError("not_connected", "not connected to the drill right now; reconnecting, try again in a moment"),
      );
    }
    const id = `${this.idPrefix}-${++this.n}`;
    return new Promise((resolve, reject) => {
      const expire = () => {
        this.pending.delete(id);
        reject(new FrameError("timeout", "no answer from the server; check the timeline before sending it again"));
      };
      const text = JSON.stringify({ ...frame, id, v: 1 });
      const p = { resolve, reject, expire, timeout, text, retry: frame.type !== "ping", queued: !open, timer: null };
      if (open) p.timer = setTimeout(expire, timeout);
      this.pending.set(id, p);
      if (open) this.ws.send(text);
      else this.on.queued?.(this.queued);
    });
  }

  input(input, as) {
    return this.send(as ? { type: "input", input, as } : { type: "input", input });
  }

  control(action, params = {}) {
    return this.send({ type: "control", action, ...params });
  }

  /** Drop the socket as a network failure would (used by tests and the debug hook). */
  drop(reason = "dropped") {
    const ws = this.ws;
    if (!ws) return false;
    this.closed(ws, { code: 1006, reason });
    try {
      ws.onclose = null;
      ws.onmessage = null;
      ws.close(3000, reason);
    } catch {
      /* already closing */
    }
    return true;
  }
}
