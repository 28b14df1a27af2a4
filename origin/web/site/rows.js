// The catalog's rows above the full list ("Continue watching", "Because you
// watched …", "Popular"), one line each in ROWS, in the order they show:
//
//   {id, path, heading(answer), titles(answer)}
//
// ID names the row's section (its heading is "row-ID"); PATH is the API
// path that lists the row's titles; HEADING and TITLES read the heading (it
// may name a title of the answer) and the titles (catalog entries, as
// /api/v1/titles gives them) from that answer.  A row with no titles, or
// whose path fails, is left out.  Each row is added with the API it reads.

import {api} from './api.js';
import {titleList} from './cards.js';
import {h} from './dom.js';

export const ROWS = [];

// One row's section, or null when it has nothing to show.
async function drawRow(row) {
  const answer = await api('GET', row.path);
  const titles = (answer && row.titles(answer)) || [];
  if (!titles.length) return null;
  const id = 'row-' + row.id;
  return h('section', {class: 'row', 'aria-labelledby': id},
    h('h2', {id, text: row.heading(answer)}), titleList(titles, row.heading(answer)));
}

// Every row of ROWS into CONTAINER, in order; a row that fails is left out.
export async function drawRows(container) {
  const sections = await Promise.all(ROWS.map((r) => drawRow(r).catch(() => null)));
  container.replaceChildren(...sections.filter(Boolean));
}
