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

  async function search() {
    const q = input.value.trim();
    if (pending) pending.abort();
    pending = new AbortController();
    const path = '/api/v1/titles?limit=' + PAGE + (q ? '&q=' + encodeURIComponent(q) : '');
    try {
      const list = await api('GET', path, undefined, {signal: pending.signal});
      const shown = list.titles.length < list.total ? ` (first ${list.titles.length})` : '';
      count.textContent = q ?
        `${list.total} title${list.total === 1 ? ' matches' : 's match'} “${q}”${shown}` :
        `${list.total} title${list.total === 1 ? '' : 's'}${shown}`;
      listHeading.textContent = q ? 'Results' : 'All titles';
      results.replaceChildren(list.titles.length ? titleList(list.titles, listHeading.textContent) :
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
  await Promise.all([search(), drawRows(rows)]);
  return () => { window.clearTimeout(timer); if (pending) pending.abort(); };
}
