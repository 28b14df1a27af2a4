// The web player in headless Chromium (Debian's, /usr/bin/chromium) driven
// through playwright-core, as a person would use it: sign up, choose a
// plan, log out and in, search, open the title, play, the network
// throttled through the DevTools protocol, subtitles, seek, another audio
// track, a quality chosen in the menu, the keyboard, leaving the player
// (also while it loads), a download's license, the downloads page, the
// catalog's rows (Continue watching, Because you watched, Popular), the
// watch history (its export, an entry removed), a
// phone-sized screen, another device (a browser of its own) resuming where
// the first left, and a login over plain HTTP (Bearer, no cookie).  It
// reports what it saw as JSON for test_web_player.py, which makes the
// checks.  With "steps" in the configuration it runs only those (in this
// order), such as test_demo.py's ["open", "signin", "search", "title",
// "play", "playshot"]: an account that exists logs in and plays.  The
// report's "media" counts the playlist and segment requests by the origin
// (scheme, host and port) they went to.
//
//   node web_player.js   (configuration in $REEL_WEB_CONFIG, JSON)
//
// Exit status 77 when Chromium cannot start; otherwise 0, with any step's
// failure in the report (the steps after it do not run).

'use strict';

const fs = require('fs');
const path = require('path');

const cfg = JSON.parse(process.env.REEL_WEB_CONFIG);
const {chromium} = require(path.join(cfg.node_modules, 'playwright-core'));

const report = {steps: [], console: [], page_errors: [], failed_requests: [], media: {}};

// The steps run when the configuration names none: all but the ones for an account that
// exists already (signin) and a screenshot right after the play (playshot).
const ON_REQUEST = new Set(['signin', 'playshot']);
const wanted = (name) => (cfg.steps ? cfg.steps.includes(name) : !ON_REQUEST.has(name));

function save() {
  fs.writeFileSync(cfg.result, JSON.stringify(report, null, 1));
}

// Run step NAME (when wanted); its facts go into the report under NAME.  A failure stops
// the run.
async function step(name, fn) {
  if (!wanted(name)) return;
  const t0 = Date.now();
  const facts = {};
  report[name] = facts;
  try {
    await fn(facts);
    report.steps.push({name, ok: true, ms: Date.now() - t0});
  } catch (e) {
    report.steps.push({name, ok: false, ms: Date.now() - t0, error: String(e.stack || e)});
    throw e;
  } finally {
    save();
  }
}

const heading = (page, text) =>
  page.getByRole('heading', {level: 1, name: text}).waitFor({timeout: 15000});

// TEXT as a regular expression that matches it literally.
const literally = (text) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

// On the login page: log in as the test's viewer, and wait for the page it leads to.
async function logIn(page, then) {
  await page.getByLabel('Email').fill(cfg.email);
  await page.getByLabel('Password').fill(cfg.password);
  await page.getByRole('button', {name: 'Log in'}).click();
  await heading(page, then);
}

// The video's state and what the player's figure says plays.
const playing = (page) => page.evaluate(() => {
  const v = document.querySelector('video'), f = document.querySelector('figure.player');
  return v && f && {time: v.currentTime, paused: v.paused, seeking: v.seeking,
                    height: Number(f.dataset.height || 0),
                    loadHeight: Number(f.dataset.loadHeight || 0),
                    audio: f.dataset.audio || '', subtitles: f.dataset.subtitles || '',
                    fatal: f.dataset.fatal || ''};
});

async function waitTime(page, atLeast, timeout) {
  await page.waitForFunction((t) => {
    const v = document.querySelector('video');
    return v && !v.seeking && v.currentTime >= t;
  }, atLeast, {timeout});
}

// Every control in ROOT (a selector) with its accessible name and whether
// focus shows an outline.
const controlsNamed = (page, root) => page.evaluate((sel) => {
  const out = [];
  for (const el of document.querySelectorAll(`${sel} a, ${sel} button, ${sel} input, ` +
                                             `${sel} select`)) {
    if (el.closest('[hidden]')) continue;
    const label = el.getAttribute('aria-label') ||
      (el.labels && el.labels.length ? el.labels[0].textContent : '') || el.textContent;
    out.push({tag: el.tagName.toLowerCase(), name: label.trim()});
  }
  return out;
}, root);

async function tabOrder(page, count) {
  const seen = [];
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab');
    seen.push(await page.evaluate(() => {
      const el = document.activeElement;
      const cs = getComputedStyle(el);
      return {tag: el.tagName.toLowerCase(),
              name: (el.getAttribute('aria-label') ||
                     (el.labels && el.labels[0] ? el.labels[0].textContent : '') ||
                     el.textContent || '').trim(),
              outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2};
    }));
  }
  return seen;
}

async function noOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}

async function run(ctx) {
  const page = ctx.pages()[0] || await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.on('console', (m) => {
    if (['error', 'warning'].includes(m.type())) report.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => report.page_errors.push(String(e)));
  page.on('requestfailed', (r) => report.failed_requests.push(
    `${r.method()} ${r.url().replace(/\/s\/[^/]+\//, '/s/TOKEN/')}: ${r.failure().errorText}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (/\.(m3u8|m4s|ts|mp4|aac|vtt)$/.test(u.pathname)) {
      report.media[u.origin] = (report.media[u.origin] || 0) + 1;
    }
  });
  const email = cfg.email, password = cfg.password;

  await step('open', async (f) => {
    await page.goto(cfg.base);
    await heading(page, 'Log in');
    f.hash = await page.evaluate(() => location.hash);
  });
  await step('signup', async (f) => {
    await page.getByRole('link', {name: 'Sign up'}).click();
    await heading(page, 'Sign up');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', {name: 'Create account'}).click();
    await heading(page, 'Account');
    const c = (await ctx.cookies(cfg.base)).find((x) => x.name === '__Host-reel_session');
    f.cookie = c ? {httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite, path: c.path,
                    domainless: !c.domain.startsWith('.')} : null;
    f.stored_token = await page.evaluate(() => sessionStorage.getItem('reel.session'));
    f.subscription = await page.locator('#subscription').textContent();
  });
  await step('plan', async (f) => {
    await page.getByLabel(/^Basic/).check();
    await page.getByRole('button', {name: 'Choose this plan'}).click();
    await heading(page, 'Catalog');
    f.hash = await page.evaluate(() => location.hash);
  });
  await step('login', async (f) => {
    await page.getByRole('button', {name: 'Log out'}).click();
    await heading(page, 'Log in');
    f.cookie_after_logout = (await ctx.cookies(cfg.base)).some(
      (x) => x.name === '__Host-reel_session');
    await logIn(page, 'Catalog');
    f.who = await page.locator('#who').textContent();
  });
  await step('signin', async (f) => {
    await logIn(page, 'Catalog');
    f.who = await page.locator('#who').textContent();
  });
  await step('search', async (f) => {
    await page.locator('#results .title-card').first().waitFor();
    f.all = await page.locator('#results .title-card .name').allTextContents();
    await page.getByLabel('Search titles').pressSequentially(cfg.search, {delay: 60});
    await page.waitForFunction((n) => document.querySelectorAll('#results .title-card')
      .length === n && /match/.test(document.getElementById('results-count').textContent),
    1, {timeout: 10000});
    f.results = await page.locator('#results .title-card .name').allTextContents();
    f.count = await page.locator('#results-count').textContent();
    f.hash = await page.evaluate(() => location.hash);
    await page.screenshot({path: path.join(cfg.shots, 'catalog.png'), fullPage: true});
    await page.locator('.skip').focus();
    f.skip_shown = await page.evaluate(() => document.querySelector('.skip')
      .getBoundingClientRect().top >= 0);
    f.tabs = await tabOrder(page, 7);
  });
  await step('title', async (f) => {
    await page.getByRole('link', {name: literally(cfg.title_name)}).click();
    await heading(page, cfg.title_name);
    f.facts = await page.locator('dl.facts-list').innerText();
  });
  let top = 0;
  await step('play', async (f) => {
    await page.getByRole('link', {name: 'Play'}).click();
    await heading(page, cfg.title_name);
    await page.waitForFunction(() => {
      const v = document.querySelector('video');
      return v && v.currentTime > 0.3 && !v.paused;
    }, null, {timeout: 20000});
    const start = await playing(page), t0 = Date.now();
    f.heights = [];
    for (let i = 0; i < 10; i++) {
      await page.waitForTimeout(1000);
      f.heights.push((await playing(page)).height);
    }
    const end = await playing(page);
    f.played = end.time - start.time;
    f.wall = (Date.now() - t0) / 1000;
    f.fatal = end.fatal;
    f.paused = end.paused;
    f.quality = await page.locator('#quality option').allTextContents();
    f.audio = await page.locator('#audio option').allTextContents();
    f.subtitles = await page.locator('#subtitles option').allTextContents();
    f.controls = await controlsNamed(page, 'figure.player');
    top = Math.max(...(await page.evaluate(() => [...document.querySelectorAll('#quality option')]
      .map((o) => parseInt(o.textContent, 10) || 0))));
    f.top = top;
  });
  await step('playshot', async () => {
    await page.screenshot({path: path.join(cfg.shots, 'playback.png'), fullPage: true});
  });
  await step('throttle', async (f) => {
    await page.waitForFunction((h) => Number(document.querySelector('figure.player').dataset
      .loadHeight) === h, top, {timeout: 15000});
    f.before = await playing(page);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 40, downloadThroughput: cfg.throttle_bytes_per_s,
      uploadThroughput: cfg.throttle_bytes_per_s});
    const t0 = Date.now();
    await page.waitForFunction((h) => {
      const d = Number(document.querySelector('figure.player').dataset.loadHeight);
      return d > 0 && d < h;
    }, top, {timeout: 40000});
    f.seconds = (Date.now() - t0) / 1000;
    f.after = await playing(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1});
    await cdp.detach();
  });
  await step('subtitles', async (f) => {
    await page.locator('#subtitles').selectOption({label: cfg.subtitle_name});
    await page.waitForFunction(() => [...document.querySelector('video').textTracks].some(
      (t) => t.mode === 'showing' && t.cues && t.cues.length > 0), null, {timeout: 15000});
    f.cue = await page.evaluate(() => {
      const t = [...document.querySelector('video').textTracks].find((x) => x.mode === 'showing');
      return t.cues[0].text;
    });
    f.state = await playing(page);
  });
  await step('seek', async (f) => {
    await page.locator('#position').fill(String(cfg.seek_to));
    await waitTime(page, cfg.seek_to, 10000);
    f.landed = (await playing(page)).time;
    await waitTime(page, cfg.seek_to + 1.5, 15000);
    f.state = await playing(page);
    f.valuetext = await page.locator('#position').getAttribute('aria-valuetext');
  });
  await step('audio', async (f) => {
    const names = await page.locator('#audio option').allTextContents();
    const from = (await playing(page)).audio;
    f.from = from;
    f.to = names.find((n) => n !== from);
    await page.locator('#audio').selectOption({label: f.to});
    await page.waitForFunction((n) => document.querySelector('figure.player').dataset.audio === n,
      f.to, {timeout: 10000});
    const t = (await playing(page)).time;
    await waitTime(page, t + 1.5, 15000);
    f.state = await playing(page);
  });
  await step('quality', async (f) => {
    const name = (await page.locator('#quality option').allTextContents())
      .find((o) => o.startsWith(top + 'p'));
    await page.locator('#quality').selectOption({label: name});
    await page.waitForFunction((h) => Number(document.querySelector('figure.player').dataset
      .height) === h, top, {timeout: 15000});
    f.state = await playing(page);
    f.text = await page.locator('figure.player .state').textContent();
    await page.waitForFunction(() => [...document.querySelector('video').textTracks].some(
      (t) => t.mode === 'showing' && t.activeCues && t.activeCues.length > 0), null,
    {timeout: 5000});
    await page.screenshot({path: path.join(cfg.shots, 'playback.png'), fullPage: true});
  });
  await step('keyboard', async (f) => {
    await page.locator('#position').focus();
    f.tabs = await tabOrder(page, 8);
    const before = (await playing(page)).paused;
    await page.locator('figure.player button.play').focus();
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
    const paused = await playing(page);
    f.paused_by_enter = paused.paused !== before;
    f.paused_at = paused.time; // left paused: the position the catalog shows next
  });
  await step('leave', async (f) => {
    await page.getByRole('link', {name: 'Back to the title'}).click();
    await heading(page, cfg.title_name);
    f.video_left = await page.locator('video').count();
  });
  await step('race', async (f) => {
    // Away from the player while it still loads: its page is dropped, its lease ended.
    await page.evaluate((id) => {
      location.hash = '#/watch/' + id;
      window.setTimeout(() => { location.hash = '#/title/' + id; }, 20);
    }, cfg.title_id);
    await page.getByRole('button', {name: 'Download'}).waitFor();
    await page.waitForTimeout(1500);
    f.videos = await page.locator('video').count();
    f.headings = await page.locator('main h1').count();
    f.hash = await page.evaluate(() => location.hash);
  });
  await step('download', async (f) => {
    await page.getByRole('button', {name: 'Download'}).click();
    const result = page.locator('#download-result');
    await result.getByText('Downloaded to this device').waitFor({timeout: 20000});
    f.text = await result.innerText();
    Object.assign(f, await page.evaluate(async () => {
      const device = await import('/device.js');
      const license = await import('/license.js');
      const me = await device.thisDevice();
      const kept = await device.storedLicenses();
      const key = await license.openLicense(kept[0].license, me);
      return {device: me.id, device_key: me.publicKey, kept: kept.length, title: kept[0].title,
              extractable: me.keys.privateKey.extractable,
              key: [...key].map((b) => b.toString(16).padStart(2, '0')).join('')};
    }));
  });
  await step('downloads', async (f) => {
    await page.getByRole('navigation').getByRole('link', {name: 'Downloads'}).click();
    await heading(page, 'Downloads');
    await page.locator('table.downloads tbody tr').first().waitFor();
    f.rows = await page.locator('table.downloads tbody tr').allInnerTexts();
    f.controls = await controlsNamed(page, 'main');
  });
  await step('rows', async (f) => {
    // This viewer finishes the other title (the neighbour the test made
    // finished it and a third): the third is recommended because of it.
    await page.evaluate(async (id) => {
      const {api} = await import('/api.js');
      const t = await api('GET', '/api/v1/titles/' + id);
      const p = await api('POST', '/api/v1/play', {title: id});
      // watched to the end: the stop carries the last position
      await api('DELETE', `/api/v1/play/${p.lease}`, {position: t.duration});
    }, cfg.finish_id);
    await page.getByRole('navigation').getByRole('link', {name: 'Catalog'}).click();
    await heading(page, 'Catalog');
    await page.locator('[aria-labelledby=row-continue] .title-card').first().waitFor();
    const row = (id) => page.evaluate((sel) => {
      const s = document.querySelector(`section[aria-labelledby=${sel}]`);
      return s && {heading: s.querySelector('h2').textContent,
                   cards: [...s.querySelectorAll('.title-card')].map((c) => ({
                     name: c.querySelector('.name').textContent,
                     resume: (c.querySelector('.resume') || {}).textContent || ''}))};
    }, id);
    f.continue = await row('row-continue');
    f.because = await row('row-because');
    f.popular = await row('row-popular');
    f.headings = await page.locator('main h2').allTextContents();
    await page.screenshot({path: path.join(cfg.shots, 'rows.png'), fullPage: true});
  });
  await step('history', async (f) => {
    await page.getByRole('navigation').getByRole('link', {name: 'Account'}).click();
    await heading(page, 'Account');
    await page.getByRole('link', {name: 'Watch history'}).click();
    await heading(page, 'Watch history');
    const rows = page.locator('table.history tbody tr');
    await rows.first().waitFor();
    f.rows = await rows.allInnerTexts();
    const [file] = await Promise.all([
      page.waitForEvent('download', {timeout: 15000}),
      page.getByRole('button', {name: /^Download the whole history/}).click()]);
    f.file_name = file.suggestedFilename();
    const saved = JSON.parse(fs.readFileSync(await file.path(), 'utf8'));
    f.export = {format: saved.format, email: saved.email,
                titles: saved.history.map((e) => [e.title, e.status])};
    await page.getByRole('button', {name: 'Remove ' + cfg.finish_name}).click();
    await page.waitForFunction((n) => document.querySelectorAll('table.history tbody tr')
      .length === n, f.rows.length - 1, {timeout: 10000});
    f.after = await rows.allInnerTexts();
    f.controls = await controlsNamed(page, 'main');
  });
  await step('phone', async (f) => {
    await page.setViewportSize({width: 390, height: 844});
    f.fits = {};
    for (const [name, hash, h1] of [['catalog', '#/', 'Catalog'],
                                     ['title', '#/title/' + cfg.title_id, cfg.title_name],
                                     ['player', '#/watch/' + cfg.title_id, cfg.title_name],
                                     ['downloads', '#/downloads', 'Downloads'],
                                     ['history', '#/history', 'Watch history']]) {
      await page.evaluate((h) => { location.hash = h; }, hash);
      await heading(page, h1);
      if (name === 'player') {
        await page.waitForFunction(() => {
          const v = document.querySelector('video');
          return v && v.currentTime > 0.5 && !document.getElementById('quality').closest('[hidden]');
        }, null, {timeout: 20000});
        await page.screenshot({path: path.join(cfg.shots, 'phone-player.png')});
      }
      await page.waitForTimeout(300);
      f.fits[name] = await noOverflow(page);
      if (name === 'player') {
        // paused before leaving: where the other device resumes
        f.left_at = await page.evaluate(() => {
          const v = document.querySelector('video');
          v.pause();
          return v.currentTime;
        });
      }
    }
    await page.screenshot({path: path.join(cfg.shots, 'phone-downloads.png'), fullPage: true});
  });
  // Another device of the viewer: a browser of its own; play starts where
  // the first one left.
  await step('device', async (f) => {
    const browser = await chromium.launch(launchOptions());
    try {
      const other = await (await browser.newContext({viewport: {width: 1280, height: 800}}))
        .newPage();
      other.setDefaultTimeout(15000);
      other.on('pageerror', (e) => report.page_errors.push('other device: ' + String(e)));
      other.on('console', (m) => {
        if (['error', 'warning'].includes(m.type())) {
          report.console.push(`other device: ${m.type()}: ${m.text()}`);
        }
      });
      await other.goto(cfg.base + '#/watch/' + cfg.title_id);
      await heading(other, 'Log in');
      await logIn(other, cfg.title_name);
      await other.waitForFunction(() => {
        const v = document.querySelector('video');
        return v && !v.paused && !v.seeking && v.readyState >= 3;
      }, null, {timeout: 20000});
      f.started_at = (await playing(other)).time;
      await other.getByRole('link', {name: 'Back to the title'}).click();
      await heading(other, cfg.title_name);
    } finally {
      await browser.close().catch(() => {});
    }
  });
  await step('bearer', async (f) => {
    await ctx.clearCookies();
    await page.setViewportSize({width: 1280, height: 800});
    await page.goto(cfg.plain_base);
    await heading(page, 'Log in');
    await logIn(page, 'Catalog');
    await page.locator('#results .title-card').first().waitFor();
    f.titles = await page.locator('#results .title-card').count();
    f.token_length = (await page.evaluate(() => sessionStorage.getItem('reel.session')) || '')
      .length;
    f.cookies = (await ctx.cookies(cfg.plain_base)).map((c) => c.name);
  });
}

const launchArgs = () => [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--ignore-certificate-errors-spki-list=' + cfg.spki];
const launchOptions = () => ({executablePath: cfg.chromium, headless: true, timeout: 30000,
                              args: launchArgs()});

async function main() {
  const userData = fs.mkdtempSync(path.join(cfg.tmp, 'chromium-profile-'));
  let ctx;
  try {
    ctx = await chromium.launchPersistentContext(userData, {
      ...launchOptions(), viewport: {width: 1280, height: 800}});
  } catch (e) {
    report.launch_error = String(e.message || e);
    save();
    process.exit(77);
  }
  report.browser = ctx.browser() ? ctx.browser().version() : 'unknown';
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  try {
    await run(ctx);
    report.done = true;
  } catch (e) {
    report.error = String(e.stack || e);
  } finally {
    save();
    await ctx.close().catch(() => {});
  }
}

main();
