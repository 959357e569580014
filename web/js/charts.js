// Live time-series panels (uPlot), one per signal family, built from the scenario's topology.

import { h, clear, mmss, num } from "./dom.js";

const PALETTE = ["#58a6ff", "#f0883e", "#a371f7", "#3fb950", "#db61a2", "#e3b341", "#39c5cf", "#ff7b72"];

/** The chart set for a scenario: which metric goes in which panel. */
export function chartDefs(info, names) {
  const has = (n) => names.includes(n);
  const services = (info.services || []).map((s) => s.name);
  const defs = [
    { id: "errors", title: "5xx error rate", unit: "%", series: services.map((s) => `${s}.err_5xx_pct`) },
    { id: "latency", title: "p99 latency", unit: "ms", series: services.map((s) => `${s}.p99_ms`) },
    { id: "rps", title: "Request rate", unit: "req/s", series: services.map((s) => `${s}.rps`) },
    {
      id: "success", title: "Business success", unit: "%", pct: true,
      series: names.filter((n) => /^business\..+_success_pct$/.test(n)).sort(),
    },
    { id: "money", title: "Money lost / min", unit: "$", series: ["business.money_lost_per_min"] },
    { id: "users", title: "Users affected", unit: "%", series: ["business.users_affected_pct"] },
  ];
  if ((info.topics || []).length) {
    defs.push({ id: "lag", title: "Consumer lag", unit: "msgs", series: info.topics.map((t) => `${t}.consumer_lag`) });
  }
  if ((info.databases || []).length) {
    defs.push({ id: "pool", title: "DB pool use", unit: "%", series: info.databases.map((d) => `${d}.pool_util_pct`) });
  }
  if ((info.dependencies || []).length) {
    defs.push({ id: "deps", title: "Dependency latency", unit: "ms", series: info.dependencies.map((d) => `${d}.latency_ms`) });
  }
  for (const d of defs) d.series = d.series.filter(has);
  return defs.filter((d) => d.series.length);
}

function shortName(metric, all = [metric]) {
  const [comp, m] = splitMetric(metric);
  if (comp === "business") return m.replace(/_success_pct$/, "").replace(/_pct$/, "").replace(/_/g, " ");
  // "checkout-api" and "search-api" read as "checkout" and "search" side by side
  const comps = all.map((x) => splitMetric(x)[0]);
  const suffix = /(-[a-z0-9]+)$/.exec(comp)?.[1];
  if (comps.length > 1 && suffix && comps.every((x) => x.endsWith(suffix) && x.length > suffix.length)) {
    return comp.slice(0, -suffix.length);
  }
  return comp;
}

function splitMetric(metric) {
  const i = metric.lastIndexOf(".");
  return [metric.slice(0, i), metric.slice(i + 1)];
}

export class Charts {
  constructor(container, state) {
    this.el = container;
    this.state = state;
    this.charts = new Map();
    this.key = "";
    this.cursorIdx = null;
    this.resize = new ResizeObserver(() => this.fit());
  }

  /** (Re)build the panels when the set of metrics changes; otherwise just refresh data. */
  update() {
    const st = this.state;
    if (!st.info) return;
    const names = st.metricNames();
    const defs = chartDefs(st.info, names);
    const key = defs.map((d) => d.id + ":" + d.series.join(",")).join("|");
    if (key !== this.key) this.build(defs, key);
    for (const c of this.charts.values()) this.refresh(c);
  }

  build(defs, key) {
    this.key = key;
    for (const c of this.charts.values()) c.plot?.destroy();
    this.charts.clear();
    this.resize.disconnect();
    clear(this.el);
    if (!defs.length) {
      this.el.append(h("p.empty", "No metrics yet: the charts appear with the first sample."));
      return;
    }
    const alerts = this.state.info.alerts || [];
    for (const def of defs) {
      const values = h("div.chart-values");
      const body = h("div.chart-body");
      const card = h(
        "section.chart",
        { "aria-label": def.title, dataset: { chart: def.id } },
        h("header.chart-head", h("h3", def.title), values),
        body,
      );
      this.el.append(card);
      const thresholds = alerts.filter((a) => def.series.includes(a.metric)).map((a) => a.threshold);
      const c = { def, card, body, values, plot: null, thresholds };
      this.charts.set(def.id, c);
      this.resize.observe(body);
    }
    if (!window.uPlot) {
      for (const c of this.charts.values()) c.body.append(h("p.empty", "charting library failed to load"));
    }
  }

  makePlot(c, width) {
    const { def } = c;
    const axis = {
      stroke: "#7d8590",
      grid: { stroke: "rgba(240,246,252,0.06)", width: 1 },
      ticks: { show: false },
      font: "10px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    };
    const opts = {
      width,
      height: c.body.clientHeight || 104,
      legend: { show: false },
      padding: [6, 14, 0, 0],
      cursor: { drag: { x: false, y: false }, points: { size: 5 } },
      scales: {
        x: { time: false },
        y: {
          range: (u, min, max) => {
            const top = Math.max(max || 0, ...c.thresholds, def.pct ? 100 : def.unit === "%" ? 5 : 1);
            return [0, top * 1.08];
          },
        },
      },
      axes: [
        { ...axis, size: 18, space: 60, values: (u, vals) => vals.map((v) => mmss(v)) },
        { ...axis, size: 38, space: 24, values: (u, vals) => vals.map((v) => num(v)) },
      ],
      series: [
        {},
        ...def.series.map((s, i) => ({
          label: shortName(s, def.series),
          stroke: PALETTE[i % PALETTE.length],
          width: 1.5,
          points: { show: false },
          spanGaps: true,
        })),
      ],
      hooks: {
        draw: [(u) => this.decorate(u, c)],
        setCursor: [(u) => this.showValues(c, u.cursor.idx)],
      },
    };
    c.plot = new window.uPlot(opts, this.data(c), c.body);
  }

  data(c) {
    return [this.state.times, ...c.def.series.map((s) => this.state.series(s))];
  }

  refresh(c) {
    if (c.plot) c.plot.setData(this.data(c));
    else if (window.uPlot && c.body.clientWidth > 0) this.makePlot(c, c.body.clientWidth);
    this.showValues(c, null);
  }

  fit() {
    for (const c of this.charts.values()) {
      const w = c.body.clientWidth;
      if (!w) continue;
      if (!c.plot) {
        if (window.uPlot) this.makePlot(c, w);
      } else if (Math.abs(c.plot.width - w) > 1 || Math.abs(c.plot.height - c.body.clientHeight) > 1) {
        c.plot.setSize({ width: w, height: c.body.clientHeight || 104 });
      }
    }
  }

  showValues(c, idx) {
    const st = this.state;
    const at = idx === null || idx === undefined ? st.times.length - 1 : idx;
    const items = c.def.series.map((s, i) => {
      const v = st.series(s)[at];
      return h(
        "span.val",
        { title: s, dataset: { metric: s } },
        h("i.swatch", { style: { background: PALETTE[i % PALETTE.length] } }),
        c.def.series.length > 1 ? shortName(s, c.def.series) + " " : "",
        h("b", num(v, c.def.unit === "ms" ? "ms" : c.def.unit === "%" ? "%" : c.def.unit === "$" ? "$" : "")),
      );
    });
    if (idx !== null && idx !== undefined && st.times[idx] !== undefined) {
      items.unshift(h("span.val.at", "T+" + mmss(st.times[idx])));
    }
    clear(c.values, items);
  }

  /** Thresholds (dashed red), the page (red line) and mitigations (amber ticks). */
  decorate(u, c) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineWidth = Math.max(1, devicePixelRatio);
    for (const th of c.thresholds) {
      const y = u.valToPos(th, "y", true);
      ctx.strokeStyle = "rgba(248,81,73,0.55)";
      ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    const vline = (t, color) => {
      const x = u.valToPos(t, "x", true);
      if (x < left || x > left + width) return;
      ctx.strokeStyle = color;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    };
    if (this.state.pageAt !== null) vline(this.state.pageAt, "rgba(248,81,73,0.8)");
    for (const m of this.state.marks) vline(m.t, "rgba(227,179,65,0.85)");
    ctx.restore();
  }

  /** For tests and debugging: the data each chart holds. */
  snapshot() {
    const out = {};
    for (const [id, c] of this.charts) {
      out[id] = {
        series: c.def.series,
        points: this.state.times.length,
        drawn: c.plot ? c.plot.data[0].length : 0,
        last: Object.fromEntries(c.def.series.map((s) => [s, this.state.series(s).at(-1) ?? null])),
      };
    }
    return out;
  }
}
