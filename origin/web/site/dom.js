// Small helpers for building the page without innerHTML: elements, the
// status line screen readers hear, and how times, dates and sizes read.

import {explain} from './api.js';

// An element TAG with PROPS (class, text, on<event> handlers, hidden, and
// any other attribute by name) and CHILDREN (nodes or strings; null skipped).
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) el.append(c);
  }
  return el;
}

// A page heading that takes the focus when a view opens (keyboard and
// screen-reader users start at the top of the new view).
export function heading(text, level = 1) {
  return h('h' + level, {tabindex: '-1', class: 'view-heading', text});
}

let announced = 0;

// Say MESSAGE in the polite live region (and show it for a few seconds).
export function announce(message) {
  const el = document.getElementById('status');
  el.textContent = '';
  window.clearTimeout(announced);
  window.setTimeout(() => { el.textContent = message; }, 30);
  announced = window.setTimeout(() => { el.textContent = ''; }, 8000);
}

// An alert box for an error; its text is read out at once.
export function alertBox(message) {
  return h('p', {class: 'alert', role: 'alert', text: message});
}

// A button LABEL for SUBJECT (its accessible name is "LABEL SUBJECT") that
// runs RUN when pressed; RUN's failure is shown in PROBLEM.
export function actionButton(label, subject, run, problem) {
  return h('button', {type: 'button', class: 'secondary', text: label,
                      'aria-label': `${label} ${subject}`, onclick: async () => {
    problem.replaceChildren();
    try {
      await run();
    } catch (e) {
      problem.append(alertBox(explain(e)));
    }
  }});
}

// 75 -> "1:15", 3725 -> "1:02:05".
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

// "2026-12-01T11:00:00Z" -> a local date and time.
export function when(iso) {
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString(undefined, {dateStyle: 'medium', timeStyle: 'short'});
}

// Days from now until ISO, to the nearest ("in 30 days", "expires today", "expired").
export function daysLeft(iso) {
  const ms = new Date(iso) - Date.now();
  if (!(ms > 0)) return 'expired';
  const days = Math.round(ms / 86400000);
  return days === 0 ? 'expires today' : days === 1 ? 'in 1 day' : `in ${days} days`;
}

const languages = (() => {
  try { return new Intl.DisplayNames(['en'], {type: 'language'}); } catch { return null; }
})();

// "fr" -> "French"; "und" -> "Undetermined".
export function languageName(tag) {
  if (!tag || tag === 'und') return 'Undetermined';
  try { return (languages && languages.of(tag)) || tag; } catch { return tag; }
}

// 1234567 -> "1.2 Mb/s".
export function bitrate(bps) {
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(1)} Mb/s` : `${Math.round(bps / 1e3)} kb/s`;
}
