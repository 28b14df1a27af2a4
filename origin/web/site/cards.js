// Title cards, for the catalog's list and its rows.

import {clock, h, languageName} from './dom.js';

// A card linking to title T's page.  Its tile shows the initials on a hue
// of its own (set through the CSS object model, which the page's CSP allows).
export function titleCard(t) {
  const initials = t.name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0]).join('');
  let hue = 0;
  for (const c of t.id) hue = (hue * 31 + c.charCodeAt(0)) % 360;
  const tile = h('span', {class: 'tile', 'aria-hidden': 'true', text: initials.toUpperCase()});
  tile.style.setProperty('--hue', String(hue));
  const top = Math.max(0, ...t.video.map((v) => v.height));
  const facts = [clock(t.duration), top ? top + 'p' : 'audio',
                 t.audio_languages.map(languageName).join(', ')].filter(Boolean).join(' · ');
  return h('li', {class: 'title-card'},
    h('a', {href: '#/title/' + encodeURIComponent(t.id)}, tile,
      h('span', {class: 'name', text: t.name}), h('span', {class: 'facts', text: facts})));
}

export function titleList(titles, label) {
  return h('ul', {class: 'titles', 'aria-label': label}, titles.map(titleCard));
}
