// The catalog: results as you type, and the rows of rows.js above the full
// list.

import {api, explain} from './api.js';
import {titleList} from './cards.js';
import {alertBox, h, heading} from './dom.js';
import {drawRows} from './rows.js';

const PAGE = 50;

export async function catalogView(main, {query}) {
  const input = h('input', {id: 'search', type: 'search', name: 'q', autocomplete: 'off',
                            value: query.get('q') || '', 'aria-controls': 'results',
                            'aria-describedby': 'results-count'});
  const count = h('p', {id: 'results-count', class: 'hint', 'aria-live': 'polite'});
  const results = h('div', {id: 'results'});
  const rows = h('div', {class: 'rows'});
  const listHeading = h('h2', {id: 'results-heading'});
  let pending = null, timer = 0;

  // The catalog entries seen so far by id: search results show their facts.
  const known = new Map();

  // The first PAGE titles of the catalog, or those matching Q (ranked by
  // /api/v1/search: prefix as one types, without accents or case), as
  // {titles, total, best} (BEST: the search's best PAGE of more).
  async function list(q, signal) {
    if (!q) {
      const all = await api('GET', '/api/v1/titles?limit=' + PAGE, undefined, {signal});
      for (const t of all.titles) known.set(t.id, t);
      return all;
    }
    const found = await api('GET', `/api/v1/search?limit=${PAGE}&q=${encodeURIComponent(q)}`,
                            undefined, {signal});
    const titles = found.results.map((r) => known.get(r.title) ||
                                     {id: r.title, name: r.name, duration: r.duration});
    return {titles, total: titles.length, best: titles.length === PAGE};
  }

  async function search() {
    const q = input.value.trim();
    if (pending) pending.abort();
    pending = new AbortController();
    try {
      const found = await list(q, pending.signal);
      const shown = found.best ? ' (the best)' :
        found.titles.length < found.total ? ` (first ${found.titles.length})` : '';
      count.textContent = q ?
        `${found.total} title${found.total === 1 ? ' matches' : 's match'} “${q}”${shown}` :
        `${found.total} title${found.total === 1 ? '' : 's'}${shown}`;
      listHeading.textContent = q ? 'Results' : 'All titles';
      results.replaceChildren(found.titles.length ?
        titleList(found.titles, listHeading.textContent) :
        h('p', {text: q ? 'Nothing matches: try fewer letters.' : 'The catalog is empty.'}));
      rows.hidden = Boolean(q);
      // the address follows the search while this page is the one shown
      if (input.isConnected) {
        history.replaceState(null, '', q ? '#/?q=' + encodeURIComponent(q) : '#/');
      }
    } catch (e) {
      if (e.name !== 'AbortError') results.replaceChildren(alertBox(explain(e)));
    }
  }

  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
  const form = h('form', {class: 'search', role: 'search'},
    h('label', {for: 'search', text: 'Search titles'}), input, count);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    window.clearTimeout(timer);
    search();
  });
  main.append(heading('Catalog'), form, rows, listHeading, results);
  const listed = search();
  await Promise.all([listed, drawRows(rows, listed.then(() => known))]);
  return () => { window.clearTimeout(timer); if (pending) pending.abort(); };
}
