// A title's page: what it holds (length, qualities, languages), Play, and
// Download (an offline license for this device).

import {api, explain} from './api.js';
import {alertBox, announce, clock, daysLeft, h, heading, languageName, when} from './dom.js';
import {obtainLicense} from './downloads.js';

function facts(t) {
  const heights = [...new Set(t.video.map((v) => v.height))].sort((a, b) => b - a);
  const dl = (term, desc) => [h('dt', {text: term}), h('dd', {text: desc})];
  return h('dl', {class: 'facts-list'},
    dl('Length', clock(t.duration)),
    dl('Quality', heights.length ? heights.map((x) => x + 'p').join(', ') : 'audio only'),
    dl('Audio', t.audio.map((a) => a.name || languageName(a.language)).join(', ') || 'none'),
    dl('Subtitles', t.subtitle_languages.map(languageName).join(', ') || 'none'),
    dl('Protection', t.encrypted ? 'encrypted (AES-128), downloadable' : 'none'));
}

export async function titleView(main, {params}) {
  const t = await api('GET', '/api/v1/titles/' + encodeURIComponent(params.id));
  const result = h('div', {id: 'download-result'});
  const download = h('button', {type: 'button', class: 'secondary', text: 'Download',
                                'aria-describedby': 'download-result'});
  download.addEventListener('click', async () => {
    download.disabled = true;
    result.replaceChildren(h('p', {class: 'hint', text: 'Obtaining a license…'}));
    try {
      const {download: d, note} = await obtainLicense(t.id);
      result.replaceChildren(h('p', {class: 'ok'},
        `Downloaded to this device: the license expires ${when(d.expires)} ` +
        `(${daysLeft(d.expires)}); ${note}. `, h('a', {href: '#/downloads', text: 'Downloads'})));
      announce(`${t.name}: license obtained.`);
    } catch (e) {
      result.replaceChildren(alertBox(explain(e)));
    } finally {
      download.disabled = false;
    }
  });
  main.append(heading(t.name), facts(t),
    h('p', {class: 'actions'},
      h('a', {class: 'button', href: '#/watch/' + encodeURIComponent(t.id), text: 'Play'}),
      t.encrypted ? download : null),
    result);
}
