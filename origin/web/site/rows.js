// The catalog's rows above the full list, one line each in ROWS: the
// heading, the API path that lists the row's titles, and how its answer
// reads (titles: the answer's titles; heading: the row's heading, which may
// name a title of the answer).  A row whose path answers 404 not_found
// (the origin serves no such list) or no titles is left out, so a row is
// added here before or after its API lands.

import {api, ApiError} from './api.js';
import {titleList} from './cards.js';
import {h} from './dom.js';

export const ROWS = [
  {id: 'continue', path: '/api/v1/me/continue', heading: () => 'Continue watching',
   titles: (a) => a.titles},
  {id: 'because', path: '/api/v1/me/recommendations',
   heading: (a) => a.because ? `Because you watched ${a.because.name}` : 'Recommended for you',
   titles: (a) => a.titles},
  {id: 'popular', path: '/api/v1/popular', heading: () => 'Popular', titles: (a) => a.titles},
];

// One row's section, or null when it has nothing to show.
async function drawRow(row) {
  let answer;
  try {
    answer = await api('GET', row.path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
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
