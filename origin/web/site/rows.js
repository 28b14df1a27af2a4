// The catalog's rows above the full list ("Continue watching", "Because you
// watched …", "Popular"), one line each in ROWS, in the order they show:
//
//   {id, path, rows(answer)}
//
// PATH is the API path that lists the line's titles; ROWS reads from its
// answer the rows it makes, [{heading, titles}] (one line may make several:
// one per "because" title), TITLES as cards.js shows them (with the facts
// of the catalog entries the page has, when it has them).  The first row
// of line ID is the section "row-ID", the next ones "row-ID-2", ...  A row
// with no titles, or a line whose path fails, is left out.

import {api} from './api.js';
import {titleList} from './cards.js';
import {h} from './dom.js';

const BECAUSE_ROWS = 3; // "Because you watched …" rows at most
const ROW_LENGTH = 20;

// A viewing API's item ({title, name, duration, ...}) as a card shows it.
const card = (x, resume) => ({id: x.title, name: x.name, duration: x.duration, resume});

// Recommendations that come from a title of one's history, grouped by that
// title in the order they rank: "Because you watched X" rows.
function becauseRows(answer) {
  const groups = new Map();
  for (const r of answer.recommendations) {
    if (!r.because) continue;
    if (!groups.has(r.because.title)) {
      groups.set(r.because.title, {heading: `Because you watched ${r.because.name}`, titles: []});
    }
    groups.get(r.because.title).titles.push(card(r));
  }
  return [...groups.values()].slice(0, BECAUSE_ROWS);
}

export const ROWS = [
  {id: 'continue', path: '/api/v1/me/continue?limit=' + ROW_LENGTH,
   rows: (a) => [{heading: 'Continue watching', titles: a.titles.map((x) => card(x, x.position))}]},
  {id: 'because', path: '/api/v1/me/recommendations?limit=' + ROW_LENGTH, rows: becauseRows},
  {id: 'popular', path: '/api/v1/popular?limit=' + ROW_LENGTH,
   rows: (a) => [{heading: 'Popular', titles: a.titles.map((x) => card(x))}]},
];

// The sections of line LINE, those with titles; KNOWN: catalog entries by id.
async function drawLine(line, known) {
  const answer = await api('GET', line.path);
  const entries = await known;
  const full = (t) => (entries.has(t.id) ? {...entries.get(t.id), resume: t.resume} : t);
  return line.rows(answer).filter((r) => r.titles.length).map((r, i) => {
    const id = 'row-' + line.id + (i ? '-' + (i + 1) : '');
    return h('section', {class: 'row', 'aria-labelledby': id},
      h('h2', {id, text: r.heading}), titleList(r.titles.map(full), r.heading));
  });
}

// Every row of ROWS into CONTAINER, in order; a line that fails is left out.
// KNOWN: a promise of the catalog entries the page has, a Map by id.
export async function drawRows(container, known) {
  const lines = await Promise.all(ROWS.map((l) => drawLine(l, known).catch(() => [])));
  container.replaceChildren(...lines.flat());
}
