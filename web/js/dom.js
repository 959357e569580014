// Small DOM and formatting helpers shared by every view (no framework).

/** Create an element: h("button.primary#go", {onclick, type: "submit"}, "Go"). */
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9-]*)((?:[.#][\w-]+)*)$/i.exec(spec) || [spec, spec, ""];
  const el = document.createElement(m[1] || "div");
  for (const part of m[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className += (el.className ? " " : "") + v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k === "value" || k === "checked" || k === "selected") el[k] = v;
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** Drill time as the engine prints it: T+mm:ss (negative before the drill starts). */
export function clock(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "T+--:--";
  const sign = seconds < 0 ? "-" : "+";
  const s = Math.round(Math.abs(seconds));
  return `T${sign}${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
}

export function mmss(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
}

const pad = (n) => String(n).padStart(2, "0");

/** A metric value, compact: 1234 -> 1.2k, 0.0312 -> 0.03. */
export function num(v, unit = "") {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  let s;
  if (a >= 1e6) s = (v / 1e6).toFixed(1) + "M";
  else if (a >= 1e4) s = (v / 1e3).toFixed(1) + "k";
  else if (a >= 100) s = v.toFixed(0);
  else if (a >= 10) s = v.toFixed(1);
  else s = v.toFixed(a === 0 ? 0 : 2);
  if (unit === "$") return "$" + s;
  return unit ? `${s}${unit === "%" ? "%" : " " + unit}` : s;
}

/** Announce something briefly in the corner (also read by screen readers). */
export function toast(text, kind = "info", ms = 4000) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const el = h("div.toast", { class: kind, role: kind === "error" ? "alert" : "status" }, text);
  box.append(el);
  setTimeout(() => el.remove(), ms);
}

/** Run fn at most once per animation frame. */
export function rafThrottle(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast("Copied to the clipboard");
  } catch {
    toast("Copy failed: select the text and copy it by hand", "error");
  }
}

/** A labelled form field (label wraps nothing so layout stays flexible). */
export function field(label, input, hint) {
  const id = input.id || (input.id = "f-" + Math.random().toString(36).slice(2, 9));
  return h("div.field", h("label", { for: id }, label), input, hint ? h("small.hint", hint) : null);
}

/** Options for a <select>: [value, label] pairs or plain strings. */
export function options(items, selected) {
  return items.map((it) => {
    const [v, l] = Array.isArray(it) ? it : [it, it];
    return h("option", { value: v, selected: v === selected }, l);
  });
}

export function download(filename, text, type = "text/markdown") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(url);
    a.remove();
  }, 1000);
}
