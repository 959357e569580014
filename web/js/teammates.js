// Solo practice: the clock controls a lone player holds, and the simulated teammates
// (engine/responders.py) to page, give roles and give tasks. Teammates act through the
// same input vocabulary: a task is a `delegate` input wrapping any player action.

import { control } from "./api.js";
import { showResult } from "./console.js";
import { clear, field, h, options } from "./dom.js";
import { clockToken } from "./store.js";
import { understand } from "./vocab.js";

const ROLES = ["ops", "comms", "scribe", "deputy", "sme", "ic"];

/** What the page knows about each teammate: paged, in the channel, what they said last. */
export function teammates(state) {
  const names = (state.info?.responders || []).map((r) => r.name);
  const out = new Map((state.info?.responders || []).map((r) => [r.name, { ...r, paged: false, joined: false, last: null, busy: false }]));
  for (const e of state.timeline) {
    if (e.type === "input" && e.data.type === "page_team") {
      const name = names.find((n) => n.toLowerCase() === String(e.data.team).toLowerCase());
      if (name) out.get(name).paged = true;
    }
  }
  for (const e of state.chat) {
    const mate = e.type === "inject" ? out.get(e.data.from) : null;
    if (!mate) continue;
    mate.joined = true;
    mate.last = e;
    mate.busy = e.data.about != null && /^(On it|Queued)/.test(e.data.text);
  }
  return [...out.values()];
}

/** The clock buttons of a solo drill (null when this tab holds no clock token). */
export function soloClock(room) {
  const st = room.state;
  const token = clockToken(st.drillId);
  if (!token || st.me.role !== "player") return null;
  const box = h("div.solo-clock", { role: "group", "aria-label": "your clock" });
  const act = (action, extra = {}) =>
    control(st.drillId, token, { action, ...extra }).catch((err) => room.toast?.(err.message) || alert(err.message));
  const draw = () => {
    const s = st.ended ? "ended" : st.clock.status;
    clear(
      box,
      s === "created" ? h("button.primary#solo-start", { type: "button", onclick: () => act("start") }, "Start the clock") : null,
      s === "running" ? h("button#solo-pause", { type: "button", onclick: () => act("pause") }, "Pause") : null,
      s === "paused" ? h("button.primary#solo-resume", { type: "button", onclick: () => act("resume") }, "Resume") : null,
      s === "running" || s === "paused"
        ? h("button.ghost#solo-end", { type: "button", onclick: () => confirm("End the drill and open the debrief?") && act("end", { reason: "ended by the player" }) }, "End drill")
        : null,
    );
  };
  draw();
  return { el: box, draw };
}

/** The teammates panel: page, assign a role, give a task in plain words or as a command. */
export class TeammatesPanel {
  constructor(room) {
    this.room = room;
    this.state = room.state;
    this.list = h("ul.mates", { "aria-label": "simulated teammates" });
    this.el = h("div.panel-body.teammates", this.list, room.canAct ? this.taskForm() : null);
  }

  taskForm() {
    const mates = teammates(this.state).map((m) => m.name);
    this.who = h("select#task-who", { name: "person", "aria-label": "teammate" }, options(mates));
    this.task = h("input#task-text", { name: "task", maxlength: 300, autocomplete: "off", placeholder: "check the pod breakdown of api-gateway" });
    const box = h("div.result", { "aria-live": "polite" });
    const form = h("form.task-form", { novalidate: true }, h("div.fields.row", field("ask", this.who), field("to", this.task)), h("div.form-actions", h("button.primary#task-send", { type: "submit" }, "Ask"), box));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const task = understand(this.task.value.trim(), this.state.info || {});
      if (!task) {
        showResult(box, form, { ok: false, code: "not understood", text: "say it as an action (breakdown api-gateway pod, logs checkout-api, rollback checkout-api) or name a service and what to look at" });
        return;
      }
      await this.room.delegate(this.who.value, task, box, form);
      if (box.classList.contains("ok")) this.task.value = "";
    });
    return form;
  }

  draw() {
    const mine = this.room.canAct;
    clear(
      this.list,
      teammates(this.state).map((m) => {
        const state = m.joined ? (m.busy ? "working" : "in the channel") : m.paged ? "paged, not here yet" : "not paged";
        const role = this.state.incident.roles?.[m.name];
        const sel = h("select", { "aria-label": `role for ${m.name}`, name: "role" }, options(ROLES));
        return h(
          "li.mate",
          { dataset: { mate: m.name } },
          h("div.mate-top", h("b", m.name), h("span.muted", ` ${m.title}`), role ? h("span.badge", role) : null, h("span.pill", { class: "mate-" + state.split(/[ ,]/)[0] }, state)),
          m.last ? h("div.small.muted.mate-last", m.last.data.text) : null,
          mine && !m.paged ? h("button.page-btn", { type: "button", onclick: () => this.room.send({ type: "page_team", team: m.name }).catch((e) => alert(e.message)) }, `Page ${m.name}`) : null,
          mine && m.joined
            ? h("div.mate-role", sel, h("button.assign-btn", { type: "button", onclick: () => this.room.send({ type: "assign_role", person: m.name, role: sel.value }).catch((e) => alert(e.message)) }, "Give role"))
            : null,
        );
      }),
    );
  }
}
