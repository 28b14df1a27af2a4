// Title cards, for the catalog's list and its rows.
//
// A card shows T: {id, name, duration}, with the facts of a catalog entry
// when T is one (video, audio_languages) and, for a title in progress,
// resume (the resume point, seconds): a bar of how far the viewer got and
// where play starts.

import {clock, h, languageName} from './dom.js';

// A card linking to title T's page.  Its tile shows the initials on a hue
// of its own (set through the CSS object model, which the page's CSP allows).
export function titleCard(t) {
  const initials = t.name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0]).join('');
  let hue = 0;
  for (const c of t.id) hue = (hue * 31 + c.charCodeAt(0)) % 360;
  const tile = h('span', {class: 'tile', 'aria-hidden': 'true', text: initials.toUpperCase()});
  tile.style.setProperty('--hue', String(hue));
  const top = t.video ? Math.max(0, ...t.video.map((v) => v.height)) : null;
  const facts = [clock(t.duration), top === null ? null : top ? top + 'p' : 'audio',
                 (t.audio_languages || []).map(languageName).join(', ')]
    .filter(Boolean).join(' · ');
  let resume = null;
  if (t.resume > 0) {
    const bar = h('span', {class: 'progress', 'aria-hidden': 'true'}, h('span'));
    bar.firstChild.style.setProperty('--done', String(Math.min(1, t.resume / (t.duration || 1))));
    resume = [bar, h('span', {class: 'resume', text: 'Resume at ' + clock(t.resume)})];
  }
  return h('li', {class: 'title-card'},
    h('a', {href: '#/title/' + encodeURIComponent(t.id)}, tile,
      h('span', {class: 'name', text: t.name}), h('span', {class: 'facts', text: facts}),
      resume));
}

export function titleList(titles, label) {
  return h('ul', {class: 'titles', 'aria-label': label}, titles.map(titleCard));
}
