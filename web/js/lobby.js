// The lobby (pick a scenario, create a drill, share the links) and the join page.

import { ApiError, createDrill, createSolo, getScenarios, joinDrill } from "./api.js";
import { $, clear, copyText, field, h, options } from "./dom.js";
import { forget, recent, remember, setClockToken, setToken } from "./store.js";

const LEVELS = { beginner: 0, intermediate: 1, advanced: 2 };
const AUDIENCE = { beginner: "a first on-call shift", intermediate: "on-call engineers", advanced: "incident commanders" };
const SPEEDS = [
  ["1", "1× real time (a 40-minute drill takes 40 minutes)"],
  ["2", "2×"],
  ["5", "5×"],
  ["10", "10×"],
  ["30", "30× (rehearsal)"],
  ["60", "60× (demo)"],
];

function topbar(...right) {
  return h(
    "header.topbar",
    h("a.brand", { href: "/" }, h("span.logo", { "aria-hidden": "true" }), "firedrill"),
    h("span.tagline", "incident-response drills on a simulated production system"),
    h("div.spacer"),
    ...right,
  );
}

export async function lobby(root, navigate) {
  const list = h("div.scenario-list", { role: "radiogroup", "aria-label": "Scenarios", "aria-busy": "true" }, h("p.muted", "Loading the scenario library…"));
  const detail = h("section.panel.scenario-detail", { "aria-label": "Selected scenario" }, h("p.empty", "Pick a scenario on the left to see what it teaches."));
  const created = h("section.panel.created", { hidden: true, "aria-live": "polite" });
  root.replaceChildren(
    topbar(h("a.ghost", { href: "/docs", target: "_blank", rel: "noopener" }, "API docs")),
    h(
      "main#main.lobby",
      h(
        "section.panel.scenarios",
        h("header.panel-head", h("h2", "1 · Pick a scenario"), h("span.muted", "each one is a real-world outage pattern")),
        list,
      ),
      h("div.lobby-side", detail, created, joinPanel(navigate), recentPanel(navigate)),
    ),
  );

  let scenarios;
  try {
    scenarios = await getScenarios();
  } catch (err) {
    list.setAttribute("aria-busy", "false");
    clear(
      list,
      h(
        "div.error-state",
        { role: "alert" },
        h("h3", "Cannot load the scenario library"),
        h("p", err.message),
        h("button", { type: "button", onclick: () => lobby(root, navigate) }, "Retry"),
      ),
    );
    return;
  }
  list.setAttribute("aria-busy", "false");
  if (!scenarios.length) {
    clear(
      list,
      h(
        "div.empty-state",
        h("h3", "The library is empty"),
        h("p", "This server has no scenarios. Add a YAML scenario under scenarios/ (see docs/scenario-format.md) and restart it."),
      ),
    );
    return;
  }
  scenarios.sort((a, b) => (LEVELS[a.difficulty] ?? 9) - (LEVELS[b.difficulty] ?? 9) || a.title.localeCompare(b.title));
  let selected = null;
  const cards = scenarios.map((s) =>
    h(
      "button.scenario-card",
      {
        type: "button",
        role: "radio",
        "aria-checked": "false",
        dataset: { scenario: s.id },
        onclick: () => choose(s),
        onkeydown: (ev) => {
          if (!["ArrowDown", "ArrowUp"].includes(ev.key)) return;
          ev.preventDefault();
          const i = cards.indexOf(ev.currentTarget) + (ev.key === "ArrowDown" ? 1 : -1);
          const next = cards[(i + cards.length) % cards.length];
          next.focus();
          next.click();
        },
      },
      h("span.card-top", h("span.badge", { class: "lvl-" + s.difficulty }, s.difficulty), s.source ? h("span.real", "real incident") : null),
      h("span.title", s.title),
      h("span.teaches", `${Math.round(s.duration / 60)} simulated minutes · for ${s.audience || AUDIENCE[s.difficulty] || "everyone"}`),
    ),
  );
  clear(list, cards);

  function choose(s) {
    selected = s;
    for (const c of cards) {
      const on = c.dataset.scenario === s.id;
      c.setAttribute("aria-checked", String(on));
      c.tabIndex = on ? 0 : -1;
    }
    clear(detail, scenarioDetail(s), createForm(s));
  }

  function createForm(s) {
    const seed = h("input#seed", { name: "seed", type: "number", min: 0, step: 1, value: String(Math.floor(Math.random() * 100000)) });
    const speed = h("select#speed", { name: "speed" }, options(SPEEDS, "1"));
    const fac = h("input#facname", { name: "facilitator", value: "facilitator", maxlength: 40, autocomplete: "nickname" });
    const box = h("div.result", { "aria-live": "polite" });
    const form = h(
      "form.create-form",
      { novalidate: true },
      h("h3", "2 · Create the drill"),
      h("div.fields.row", field("seed", seed, "same seed + same inputs = same drill"), field("speed", speed), field("your name", fac)),
      h(
        "div.form-actions",
        h("button.primary#solo", { type: "button", onclick: () => solo(), title: "you are the on-call engineer; simulated teammates answer your pages" }, "Practise alone"),
        h("button#create", { type: "submit" }, "Create drill for a group"),
        box,
      ),
    );
    async function solo() {
      box.className = "result pending";
      box.textContent = "starting…";
      const name = fac.value.trim() && fac.value.trim() !== "facilitator" ? fac.value.trim() : "on-call";
      try {
        const d = await createSolo({ scenario: s.id, seed: seed.value === "" ? 0 : Number(seed.value), speed: Number(speed.value), name });
        remember({ id: d.drill_id, title: s.title, role: "player", name: d.name, token: d.token, clock_token: d.clock_token, solo: true });
        setToken(d.drill_id, d.token);
        setClockToken(d.drill_id, d.clock_token);
        navigate(`/drills/${d.drill_id}/play`);
      } catch (err) {
        box.className = "result error";
        box.setAttribute("role", "alert");
        box.textContent = err.message;
      }
    }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      box.className = "result pending";
      box.textContent = "creating…";
      try {
        const d = await createDrill({
          scenario: s.id,
          seed: seed.value === "" ? 0 : Number(seed.value),
          speed: Number(speed.value),
          facilitator: fac.value.trim() || "facilitator",
        });
        box.className = "result ok";
        box.textContent = `✓ drill ${d.drill_id} created`;
        remember({
          id: d.drill_id, title: s.title, role: "facilitator", name: fac.value.trim() || "facilitator",
          token: d.facilitator_token, player_code: d.player_code, observer_code: d.observer_code,
          base: publicBase(d),
        });
        setToken(d.drill_id, d.facilitator_token);
        showCreated(created, d, s, navigate);
      } catch (err) {
        box.className = "result error";
        box.setAttribute("role", "alert");
        box.textContent = err.message;
      }
    });
    return form;
  }

  // start with the first scenario shown, so the create form is one Tab away
  choose(scenarios[0]);
}

function scenarioDetail(s) {
  const mins = Math.round(s.duration / 60);
  return h(
    "div.scenario-info",
    h("h2", s.title),
    h("p.meta", h("span.badge", { class: "lvl-" + s.difficulty }, s.difficulty), ` · ${mins} simulated minutes · for ${s.audience || AUDIENCE[s.difficulty] || "everyone"}`),
    s.symptom ? h("p.symptom", h("b", "The page: "), s.symptom) : null,
    h("p.summary", "You are paged. What is wrong, and why, is for you to find out: the cause and what the scenario teaches are in the debrief."),
    // what the scenario is about gives the game away: facilitators open it on purpose
    h(
      "details.spoilers",
      h("summary", "For facilitators: what it is about (spoilers)"),
      h("p.meta", h("span.cls", s.class)),
      h("p", s.summary),
      h("p.teaches", h("b", "Teaches: "), s.teaches),
      s.tags?.length ? h("p.tags", s.tags.map((t) => h("span.tag", t))) : null,
      s.source
        ? h(
            "p.source",
            "Modelled on ",
            s.source.organisation ? `${s.source.organisation}'s incident${s.source.date ? " of " + s.source.date : ""}: ` : "",
            h("a", { href: s.source.url, target: "_blank", rel: "noopener noreferrer" }, s.source.title),
            " ↗",
          )
        : h("p.source.muted", "An original scenario (no public postmortem behind it)."),
    ),
  );
}

function linkRow(label, url, code, extra) {
  return h(
    "div.link-row",
    h("div.link-label", h("b", label), extra ? h("span.muted", " " + extra) : null),
    h("div.link-value",
      h("input", { readonly: true, value: url, "aria-label": `${label} link`, onfocus: (ev) => ev.target.select() }),
      h("button", { type: "button", onclick: () => copyText(url) }, "Copy link"),
      code ? h("button", { type: "button", onclick: () => copyText(code), title: "copy the code only" }, "Copy code") : null,
    ),
  );
}

/** The address people reach the server at: the base of the links the server built
 * (from `serve --public-url`, else the address this page came from). */
export function publicBase(d) {
  return d.urls ? d.urls.facilitator.split("/drills/")[0] : location.origin;
}

export function shareLinks(d) {
  const base = publicBase(d);
  return {
    facilitator: `${base}/drills/${d.drill_id}/facilitate#token=${d.facilitator_token}`,
    player: `${base}/drills/${d.drill_id}/join#code=${d.player_code}`,
    observer: `${base}/drills/${d.drill_id}/join#code=${d.observer_code}&as=observer`,
  };
}

function showCreated(box, d, s, navigate) {
  const links = shareLinks(d);
  box.hidden = false;
  clear(
    box,
    h("header.panel-head", h("h2", "3 · Share the links"), h("span.muted", `drill ${d.drill_id}`)),
    h("p.muted", "Secrets ride after the # and are never sent to the server. Give the player link to players only; observers can watch but not act."),
    linkRow("Players", links.player, d.player_code, "(act, take incident roles)"),
    linkRow("Observers", links.observer, d.observer_code, "(read-only)"),
    linkRow("Facilitator", links.facilitator, null, "(you: clock, injects, hidden truth; keep it private)"),
    h(
      "div.form-actions",
      h("a.button.primary#open-facilitator", {
        href: `/drills/${d.drill_id}/facilitate`,
        onclick: (ev) => {
          ev.preventDefault();
          navigate(`/drills/${d.drill_id}/facilitate`);
        },
      }, "Open the facilitator console →"),
    ),
  );
  box.scrollIntoView({ block: "nearest" });
}

function joinPanel(navigate) {
  const link = h("input#join-link", { placeholder: "paste a join link (…/drills/<id>/join#code=…)", autocomplete: "off" });
  const box = h("div.result", { "aria-live": "polite" });
  const form = h(
    "form.panel.join-quick",
    { novalidate: true },
    h("header.panel-head", h("h2", "Join a drill")),
    field("join link", link),
    h("div.form-actions", h("button", { type: "submit" }, "Continue"), box),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const m = /\/drills\/([\w-]+)\/join#(.+)$/.exec(link.value.trim());
    if (!m) {
      box.className = "result error";
      box.textContent = "that is not a join link; it looks like https://host/drills/<id>/join#code=…";
      return;
    }
    navigate(`/drills/${m[1]}/join#${m[2]}`);
  });
  return form;
}

function recentPanel(navigate) {
  const items = recent();
  const panel = h("section.panel.recent", h("header.panel-head", h("h2", "Your recent drills")));
  if (!items.length) {
    panel.append(h("p.empty", "None yet. Drills you create or join in this browser show up here."));
    return panel;
  }
  const page = { facilitator: "facilitate", player: "play", observer: "watch" };
  panel.append(
    h(
      "ul.recent-list",
      items.slice(0, 8).map((e) =>
        h(
          "li",
          h("a", {
            href: `/drills/${e.id}/${page[e.role]}`,
            onclick: (ev) => {
              ev.preventDefault();
              setToken(e.id, e.token);
              navigate(`/drills/${e.id}/${page[e.role]}`);
            },
          }, e.title || e.id),
          h("span.muted", ` ${e.role}${e.role === "player" ? " " + e.name : ""} · ${new Date(e.at).toLocaleString()}`),
          h("button.link", {
            type: "button",
            "aria-label": `forget ${e.title || e.id}`,
            onclick: (ev) => {
              forget(e);
              ev.target.closest("li").remove();
            },
          }, "forget"),
        ),
      ),
    ),
  );
  return panel;
}

// ---------------------------------------------------------------- join page
export function joinPage(root, drillId, params, navigate) {
  const code = params.get("code") || "";
  const observer = params.get("as") === "observer";
  const name = h("input#join-name", { name: "name", maxlength: 40, autocomplete: "nickname", required: !observer, placeholder: observer ? "optional" : "e.g. alex" });
  const role = h("select#join-role", { name: "role" }, options([["", "no incident role yet"], ["ic", "Incident commander (IC)"], ["comms", "Communications"], ["ops", "Operations"], ["scribe", "Scribe"]]));
  const codeIn = h("input#join-code", { name: "code", value: code, autocomplete: "off", required: true });
  const box = h("div.result", { "aria-live": "polite" });
  const form = h(
    "form.panel.join-form",
    { novalidate: true },
    h("h2", observer ? "Watch a drill" : "Join the war room"),
    h("p.muted", observer ? "Observers see everything players see, live, and cannot act." : `Drill ${drillId}. Your code decides whether you join as a player or an observer.`),
    field("your name", name, "how the drill log and the postmortem know you (by role)"),
    observer ? null : field("incident role", role, "you can change hands later: the IC assigns roles"),
    code ? null : field("join code", codeIn),
    h("div.form-actions", h("button.primary#join", { type: "submit" }, observer ? "Watch" : "Join"), box),
  );
  root.replaceChildren(topbar(), h("main#main.join", form));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    box.className = "result pending";
    box.textContent = "joining…";
    name.removeAttribute("aria-invalid");
    const body = { code: codeIn.value.trim() };
    if (name.value.trim()) body.name = name.value.trim();
    if (!observer && role.value) body.role = role.value;
    try {
      let who;
      try {
        who = await joinDrill(drillId, body);
      } catch (err) {
        // an observer code with an incident role picked: join as the observer the code says
        if (err instanceof ApiError && body.role && /observers take no incident/.test(err.message)) {
          delete body.role;
          who = await joinDrill(drillId, body);
        } else throw err;
      }
      remember({ id: drillId, title: "", role: who.role, name: who.name, token: who.token });
      setToken(drillId, who.token);
      navigate(`/drills/${drillId}/${who.role === "player" ? "play" : "watch"}`);
    } catch (err) {
      box.className = "result error";
      box.setAttribute("role", "alert");
      box.textContent = err.message;
      if (/name/.test(err.message)) {
        name.setAttribute("aria-invalid", "true");
        name.focus();
      }
    }
  });
  (name.required ? name : $("button", form)).focus();
}

export { topbar };
