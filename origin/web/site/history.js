// The watch history: every title played, finished or in progress, with
// how much was watched; an entry can be removed (it stops counting for
// recommendations), and the whole history downloaded as JSON.

import {api} from './api.js';
import {actionButton, announce, clock, h, heading, when} from './dom.js';

const PAGE = 100;

function row(e, refresh, problem) {
  const name = e.name || e.title;
  const status = e.status === 'finished' ? `finished ${when(e.finished)}` :
    `at ${clock(e.position)} of ${clock(e.duration)}`;
  return h('tr', {},
    h('th', {scope: 'row'}, e.name ? h('a', {href: '#/title/' + encodeURIComponent(e.title),
                                              text: name}) : name),
    h('td', {'data-label': 'Where', text: status}),
    h('td', {'data-label': 'Watched', text: clock(e.watched)}),
    h('td', {'data-label': 'Last', text: when(e.last_watched)}),
    h('td', {class: 'actions'}, actionButton('Remove', name, async () => {
      await api('DELETE', '/api/v1/me/history/' + encodeURIComponent(e.title));
      announce(`${name} removed from the history.`);
      await refresh();
    }, problem)));
}

// The export as a file: fetched with the session (a cookie or the Bearer
// header a plain link could not send) and saved from a blob.
async function download() {
  const data = await api('GET', '/api/v1/me/export');
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)],
                                           {type: 'application/json'}));
  const a = h('a', {href: url, download: 'reel-history.json', hidden: true});
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function historyView(main) {
  const problem = h('div');
  const body = h('div');
  main.append(heading('Watch history'), problem,
    h('p', {}, actionButton('Download', 'the whole history (JSON)', download, problem)), body);
  async function refresh() {
    const list = await api('GET', '/api/v1/me/history?limit=' + PAGE);
    const table = h('table', {class: 'listing history'},
      h('thead', {}, h('tr', {}, ['Title', 'Where', 'Watched', 'Last watched', 'Actions'].map(
        (c) => h('th', {scope: 'col', text: c})))),
      h('tbody', {}, list.history.map((e) => row(e, refresh, problem))));
    body.replaceChildren(...[
      list.history.length ? table : h('p', {text: 'Nothing watched yet.'}),
      list.total > list.history.length ?
        h('p', {class: 'hint', text: `The ${list.history.length} latest of ${list.total}; ` +
                                     'the download has them all.'}) : null].filter(Boolean));
  }
  await refresh();
}
