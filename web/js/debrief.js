// The debrief's teaching views: what each move did (this run's metric curves beside the
// same drill had nobody acted, and the strong reference play, every action marked) and
// the attempts (this player's runs of the scenario over time, any two compared).
// All of it comes from GET /api/drills/<id>/history and /compare (deterministic replay).

import { api } from "./api.js";
import { clear, h, mmss, num } from "./dom.js";

const COLORS = { you: "#58a6ff", nobody: "#ff7b72", reference: "#3fb950", other: "#e3b341" };
const enc = encodeURIComponent;
export const history = (id, token) => api("GET", `/api/drills/${enc(id)}/history`, { token });
export const compare = (id, token, other) => api("GET", `/api/drills/${enc(id)}/compare?other=${enc(other)}`, { token });

/** The data the debrief charts hold, for tests (window.firedrill.debrief). */
export const drawn = {};

/** One overlay chart: several runs of one metric on a time axis from the page, actions marked. */
function overlay(title, metric, runs, actions) {
  const box = h("div.overlay-chart", { dataset: { metric } });
  const values = h("div.overlay-legend", runs.map((r) => h("span.val", h("i.swatch", { style: { background: r.color } }), r.label)));
  const panel = h("section.chart.overlay", h("header", h("b", title), " ", h("span.muted.small", metric)), values, box);
  // one x axis: the union of every run's sample times (seconds from the page)
  // over the span of the first run (yours): the others are cut to it
  const span = runs[0].points.map((p) => p[0]);
  const [lo, hi] = [Math.min(...span), Math.max(...span)];
  const xs = [...new Set(runs.flatMap((r) => r.points.map((p) => p[0])))].filter((x) => x >= lo && x <= hi).sort((a, b) => a - b);
  const cols = runs.map((r) => {
    const at = new Map(r.points.map((p) => [p[0], p[1]]));
    return xs.map((x) => (at.has(x) ? at.get(x) : null));
  });
  drawn[metric] = { labels: runs.map((r) => r.label), points: cols.map((c) => c.filter((v) => v !== null).length), actions: actions.length, last: cols.map((c) => c.filter((v) => v !== null).at(-1) ?? null) };
  const make = () => {
    if (!window.uPlot || !box.clientWidth) return;
    const axis = { stroke: "#9da7b3", grid: { stroke: "rgba(240,246,252,0.08)", width: 1 }, ticks: { show: false }, font: "11px ui-monospace, monospace" };
    new window.uPlot(
      {
        width: box.clientWidth,
        height: 180,
        legend: { show: false },
        scales: { x: { time: false } },
        axes: [
          { ...axis, values: (u, vals) => vals.map((v) => (v < 0 ? "-" : "+") + mmss(Math.abs(v))) },
          { ...axis, size: 44, values: (u, vals) => vals.map((v) => num(v)) },
        ],
        series: [{}, ...runs.map((r) => ({ label: r.label, stroke: r.color, width: r.dash ? 1.5 : 2, dash: r.dash, points: { show: false }, spanGaps: true }))],
        hooks: {
          draw: [
            (u) => {
              const { ctx } = u;
              const { left, top, width, height } = u.bbox;
              ctx.save();
              ctx.font = `${11 * devicePixelRatio}px sans-serif`;
              for (const [i, a] of actions.entries()) {
                const x = u.valToPos(a.t, "x", true);
                if (x < left || x > left + width) continue;
                ctx.strokeStyle = "rgba(227,179,65,0.8)";
                ctx.beginPath();
                ctx.moveTo(x, top);
                ctx.lineTo(x, top + height);
                ctx.stroke();
                ctx.fillStyle = "#e3b341";
                ctx.fillText(String(i + 1), x + 2, top + 12 * devicePixelRatio);
              }
              ctx.restore();
            },
          ],
        },
      },
      [xs, ...cols],
      box,
    );
  };
  requestAnimationFrame(make);
  return panel;
}

function actionList(actions) {
  return h(
    "ol.move-list",
    actions.map((a, i) => h("li", h("b", `${i + 1}`), " ", h("span.mono", (a.t < 0 ? "page-" : "page+") + mmss(Math.abs(a.t))), " ", a.actor, ": ", a.type.replace(/_/g, " "))),
  );
}

/** "What each move did": this run against nobody acting and the reference strong play. */
export async function movesView(id, token) {
  const out = h("div.moves", h("p.muted", "Replaying the drill without your moves, and the reference play…"));
  const [nobody, ref] = await Promise.allSettled([compare(id, token, "nobody"), compare(id, token, "reference")]);
  if (nobody.status !== "fulfilled") {
    clear(out, h("div.error-state", { role: "status" }, h("b", "The counterfactual is not available."), h("p.small", nobody.reason?.message || "")));
    return out;
  }
  const mine = nobody.value.a;
  const sides = [
    { label: "you", color: COLORS.you, side: mine },
    { label: "nobody did anything", color: COLORS.nobody, side: nobody.value.b, dash: [6, 4] },
  ];
  if (ref.status === "fulfilled") sides.push({ label: "reference strong play", color: COLORS.reference, side: ref.value.b, dash: [2, 3] });
  clear(
    out,
    h("p", "Each curve is the same drill (same scenario, same seed) replayed deterministically: what you did, what would have happened had nobody acted, and the reference strong play. Numbered lines are your moves."),
    h("div.scores-vs", sides.map((s) => h("span.score-chip", { style: { borderColor: s.color } }, h("b", String(s.side.overall)), " ", s.label))),
    Object.keys(mine.metrics).map((m) =>
      overlay(m.split(".").pop().replace(/_/g, " "), m, sides.map((s) => ({ label: s.label, color: s.color, dash: s.dash, points: s.side.metrics[m] || [] })), mine.actions),
    ),
    h("h3", "Your moves"),
    mine.actions.length ? actionList(mine.actions) : h("p.empty", "No moves: the red dashed curve is your drill."),
  );
  return out;
}

/** Two runs side by side: scores per check, the moves on one time axis, the curves overlaid. */
function comparison(c) {
  const b = new Map(c.b.checks.map((x) => [x.id, x]));
  const moves = [...c.a.actions.map((x) => ({ ...x, side: "a" })), ...c.b.actions.map((x) => ({ ...x, side: "b" }))].sort((x, y) => x.t - y.t);
  return h(
    "div.comparison",
    h("table.compare-checks", h("thead", h("tr", h("th", "check"), h("th", c.a.label), h("th", c.b.label), h("th", "max"))),
      h("tbody",
        h("tr.total", h("td", h("b", "overall")), h("td", h("b", String(c.a.overall))), h("td", h("b", String(c.b.overall))), h("td", "100")),
        c.a.checks.map((x) => {
          const y = b.get(x.id);
          const d = (x.points || 0) - (y?.points || 0);
          return h("tr", { dataset: { check: x.id }, class: d > 0 ? "better" : d < 0 ? "worse" : "" }, h("td", x.title), h("td.num", num(x.points)), h("td.num", y ? num(y.points) : "–"), h("td.num.muted", num(x.max_points)));
        }),
      ),
    ),
    h("h3", "Moves, aligned on the page"),
    h("table.aligned", h("thead", h("tr", h("th", "from the page"), h("th", c.a.label), h("th", c.b.label))),
      h("tbody", moves.map((m) => h("tr", h("td.mono", (m.t < 0 ? "-" : "+") + mmss(Math.abs(m.t))), h("td", m.side === "a" ? `${m.actor}: ${m.type}` : ""), h("td", m.side === "b" ? `${m.actor}: ${m.type}` : ""))))),
    Object.keys(c.a.metrics).map((m) =>
      overlay(m.split(".").pop().replace(/_/g, " "), m, [
        { label: c.a.label, color: COLORS.you, points: c.a.metrics[m] },
        { label: c.b.label, color: COLORS.other, points: c.b.metrics[m] || [], dash: [6, 4] },
      ], c.a.actions),
    ),
  );
}

/** The facilitator's scope: every player of the drill's cohort, or this drill alone. */
function cohortLine(hist) {
  if (!hist.cohort) return h("span.cohort", `The runs of ${hist.scenario} in this drill (it was created without a cohort), oldest first.`);
  const players = new Set(hist.runs.map((r) => r.player)).size;
  return h("span.cohort", { dataset: { cohort: hist.cohort } }, `Every player's runs of ${hist.scenario} in cohort `, h("b.cohort-name", hist.cohort), ` (${players} player${players === 1 ? "" : "s"}), oldest first.`);
}

/** This player's attempts at the scenario (the cohort's, for a facilitator), and comparisons. */
export async function attemptsView(id, token) {
  const out = h("div.attempts", h("p.muted", "Loading your attempts…"));
  let hist;
  try {
    hist = await history(id, token);
  } catch (err) {
    clear(out, h("div.error-state", { role: "status" }, h("b", "No run history here."), h("p.small", err.message)));
    return out;
  }
  const result = h("div.compare-result", { "aria-live": "polite" });
  const show = async (other) => {
    clear(result, h("p.muted", "Comparing…"));
    try {
      clear(result, comparison(await compare(id, token, other)));
    } catch (err) {
      clear(result, h("div.error-state", { role: "alert" }, err.message));
    }
  };
  clear(
    out,
    h("p", hist.player ? `Your runs of ${hist.scenario} (as ${hist.player}), oldest first.` : cohortLine(hist)),
    h("table.runs",
      h("thead", h("tr", h("th", "when"), h("th", "player"), h("th", "score"), h("th", "command"), h("th", "blast radius"), h("th", "mitigation"), h("th", "comms"), h("th", ""))),
      h("tbody", hist.runs.map((r) =>
        h("tr", { dataset: { run: r.drill_id }, class: r.drill_id === id ? "this-run" : "" },
          h("td", new Date(r.ended_at * 1000).toLocaleString()),
          h("td", r.player),
          h("td", h("span.score-bar", { style: { width: `${r.overall}%` } }), h("b", String(r.overall))),
          ["command", "blast_radius", "mitigation", "communication"].map((k) => h("td.num", String(r.scores[k] ?? "–"))),
          h("td", r.drill_id === id ? h("span.muted", "this run") : h("button.compare-btn", { type: "button", onclick: () => show(r.drill_id) }, "Compare")),
        ),
      )),
    ),
    h("p", h("button#compare-reference", { type: "button", onclick: () => show("reference") }, "Compare with the reference strong play")),
    result,
  );
  return out;
}
