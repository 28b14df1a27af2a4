// The web player: a page per location hash ("#/", "#/title/ID",
// "#/watch/ID", ...), each drawn by its view into a page in <main>.  A view
// is view(page, {params, query, session}) and may return a function that
// cleans up when the page changes (the player reports its position and ends
// its lease): cleanup({unloading}), UNLOADING when the page goes away.

import {api, dropSession, explain, whoAmI} from './api.js';
import {accountView} from './account.js';
import {loginView, signupView} from './auth.js';
import {catalogView} from './catalog.js';
import {alertBox, announce} from './dom.js';
import {downloadsView} from './downloads.js';
import {historyView} from './history.js';
import {watchView} from './player.js';
import {titleView} from './title.js';

// PATTERN: segments, ":name" capturing one; OPEN: no session needed.
const routes = [
  {pattern: '/login', view: loginView, open: true},
  {pattern: '/signup', view: signupView, open: true},
  {pattern: '/', view: catalogView},
  {pattern: '/title/:id', view: titleView},
  {pattern: '/watch/:id', view: watchView},
  {pattern: '/downloads', view: downloadsView},
  {pattern: '/account', view: accountView},
  {pattern: '/history', view: historyView},
];

const session = {
  me: null,
  // Signed in (after a login): ME is the account; go on to the page asked for.
  async signedIn() {
    const next = this.next || '#/';
    this.next = null;
    this.me = await whoAmI();
    showNav();
    go(next);
  },
};

function match(pattern, path) {
  const want = pattern.split('/'), got = path.split('/');
  if (want.length !== got.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (!got[i]) return null;
      params[want[i].slice(1)] = decodeURIComponent(got[i]);
    } else if (want[i] !== got[i]) {
      return null;
    }
  }
  return params;
}

export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function showNav() {
  document.getElementById('nav').hidden = !session.me;
  document.getElementById('who').textContent = session.me ? session.me.email : '';
}

let cleanup = null;
let shown = 0; // the render whose page is in <main>

// Draw the page of the location hash.  Each view draws into a page of its
// own: one still loading when the hash changes again goes on into a page no
// longer shown, and is cleaned up as soon as it returns.
async function render() {
  const hash = location.hash || '#/';
  if (!hash.startsWith('#/')) return; // "#main": the skip link, not a page
  const [path, qs] = hash.slice(1).split('?');
  const mine = ++shown;
  if (cleanup) {
    const done = cleanup;
    cleanup = null;
    await done();
    if (mine !== shown) return;
  }
  const main = document.getElementById('main');
  const page = document.createElement('div');
  page.className = 'page';
  main.replaceChildren(page);
  for (const r of routes) {
    const params = match(r.pattern, path);
    if (!params) continue;
    if (!r.open && !session.me) {
      session.next = hash;
      go('#/login');
      return;
    }
    let done = null;
    try {
      done = (await r.view(page, {params, query: new URLSearchParams(qs || ''), session})) ||
        null;
    } catch (e) {
      page.append(alertBox(explain(e)));
    }
    if (mine !== shown) {
      if (done) await done();
      return;
    }
    cleanup = done;
    const h1 = page.querySelector('.view-heading');
    if (h1 && !main.contains(document.activeElement)) h1.focus();
    return;
  }
  page.append(alertBox('No such page.'));
}

async function logout() {
  try {
    await api('POST', '/api/v1/logout');
  } catch (e) {
    // the session may be gone already; the page forgets it all the same
  }
  dropSession();
  session.me = null;
  showNav();
  announce('Logged out.');
  go('#/login');
}

async function start() {
  document.getElementById('logout').addEventListener('click', logout);
  document.querySelector('.skip').addEventListener('click', (e) => {
    e.preventDefault();
    document.getElementById('main').focus();
  });
  window.addEventListener('hashchange', render);
  window.addEventListener('pagehide', () => cleanup && cleanup({unloading: true}));
  try {
    session.me = await whoAmI();
  } catch (e) {
    document.getElementById('main').append(alertBox(explain(e)));
    return;
  }
  showNav();
  render();
}

start();
