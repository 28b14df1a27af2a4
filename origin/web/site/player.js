// Playback: POST /api/v1/play gives a lease and the edge's tokenized master
// playlist; hls.js plays it (the native player where the browser has no
// Media Source Extensions) from the answer's resume point, the lease is
// kept with heartbeats that report the position (also on pause, seek and
// leaving) and ended when the page changes.  The controls are the page's
// own, all buttons, selects and a range input: every one reachable and
// labelled.
//
// The figure's data-* attributes tell what plays (tests read them):
// data-height (the level on screen), data-load-height (the level hls.js
// loads), data-audio, data-subtitles, data-fatal (a fatal error).

import Hls from './vendor/hls.min.mjs';
import {api, ApiError, explain} from './api.js';
import {alertBox, announce, bitrate, clock, h, heading} from './dom.js';

const SKIP = 10; // seconds the back and forward buttons move

// hls.js's settings.  Buffer at most 30 s ahead (by default hls.js fills up
// to 60 MB, minutes of a low rate): a viewer who stops early has not pulled
// what they never watch from the edge, and the choice of rendition follows a
// network that changes.  The transmuxer worker loads from this origin, so
// the CSP needs no blob: workers.
const HLS_CONFIG = {workerPath: '/vendor/hls.worker.js', maxBufferLength: 30,
                    maxMaxBufferLength: 30};

function select(id, label) {
  const el = h('select', {id});
  const field = h('label', {class: 'menu', for: id}, h('span', {text: label}), el);
  field.hidden = true; // until there is a choice to make (fill)
  return {el, field};
}

function fill(menu, options, value) {
  menu.el.replaceChildren(...options.map(([v, text]) => h('option', {value: String(v), text})));
  menu.el.value = String(value);
  menu.field.hidden = options.length < 2;
}

const REPORT_EVERY = 15; // seconds between position reports while playing, at most

// The lease of PLAY for VIDEO: a heartbeat every interval (every
// REPORT_EVERY seconds at most) that reports the position, and one more on
// pause and seek.  Nothing is reported before playback started (at the
// resume point): a player left while it loads keeps the viewer's place.
// ONENDED: the lease is gone.  Returns STOP(unloading), which ends the
// lease with the last position in the same request (DELETE with a body,
// keepalive, so it outlives an unloading page); leaving the page it waits
// for that answer (at most a few seconds), unloading it cannot.
function keepLease(play, video, onEnded) {
  let started = false, ended = false;
  const position = () => (started ?
    {position: Math.min(video.currentTime, video.duration || Infinity)} : undefined);
  const beat = () => api('POST', `/api/v1/play/${play.lease}/heartbeat`, position()).catch((e) => {
    if (e instanceof ApiError && e.status === 404 && !ended) {
      ended = true;
      onEnded();
    }
  });
  const report = () => { if (started) beat(); };
  video.addEventListener('playing', () => { started = true; }, {once: true});
  video.addEventListener('pause', report);
  video.addEventListener('seeked', report);
  const timer = window.setInterval(beat, Math.max(5, Math.min(REPORT_EVERY,
                                                               play.heartbeat_interval)) * 1000);
  return async (unloading) => {
    window.clearInterval(timer);
    video.removeEventListener('pause', report);
    video.removeEventListener('seeked', report);
    if (ended) return;
    const last = api('DELETE', `/api/v1/play/${play.lease}`, position(), {keepalive: true})
      .catch(() => {});
    if (!unloading) await Promise.race([last, new Promise((r) => window.setTimeout(r, 3000))]);
  };
}

// The control bar of VIDEO in FIGURE; returns the menus for hls.js to fill.
function controls(video, figure, duration) {
  const toggle = h('button', {type: 'button', class: 'play', text: 'Play'});
  const back = h('button', {type: 'button', text: `−${SKIP} s`,
                            'aria-label': `Back ${SKIP} seconds`});
  const fwd = h('button', {type: 'button', text: `+${SKIP} s`,
                           'aria-label': `Forward ${SKIP} seconds`});
  const position = h('input', {type: 'range', id: 'position', min: 0, step: 1, value: 0,
                               max: Math.ceil(duration) || 1});
  const time = h('span', {class: 'time', 'aria-hidden': 'true'});
  const mute = h('button', {type: 'button', text: 'Mute', 'aria-pressed': 'false'});
  const full = h('button', {type: 'button', text: 'Full screen'});
  const menus = {quality: select('quality', 'Quality'), audio: select('audio', 'Audio'),
                 subtitles: select('subtitles', 'Subtitles')};
  const seekTo = (t) => { video.currentTime = Math.max(0, Math.min(t, video.duration || t)); };
  let dragging = false;

  const show = () => {
    const total = video.duration || duration;
    if (!dragging) position.value = String(Math.floor(video.currentTime));
    position.setAttribute('aria-valuetext', `${clock(video.currentTime)} of ${clock(total)}`);
    time.textContent = `${clock(video.currentTime)} / ${clock(total)}`;
  };
  toggle.addEventListener('click', () => (video.paused ? video.play() : video.pause()));
  video.addEventListener('click', () => toggle.click());
  video.addEventListener('play', () => { toggle.textContent = 'Pause'; });
  video.addEventListener('pause', () => { toggle.textContent = 'Play'; });
  video.addEventListener('timeupdate', show);
  video.addEventListener('durationchange', () => {
    position.max = String(Math.ceil(video.duration) || position.max);
    show();
  });
  back.addEventListener('click', () => seekTo(video.currentTime - SKIP));
  fwd.addEventListener('click', () => seekTo(video.currentTime + SKIP));
  position.addEventListener('pointerdown', () => { dragging = true; });
  position.addEventListener('pointerup', () => { dragging = false; });
  position.addEventListener('input', () => seekTo(Number(position.value)));
  mute.addEventListener('click', () => {
    video.muted = !video.muted;
    mute.textContent = video.muted ? 'Unmute' : 'Mute';
    mute.setAttribute('aria-pressed', String(video.muted));
  });
  full.addEventListener('click', () => (document.fullscreenElement ? document.exitFullscreen() :
                                        figure.requestFullscreen()));
  figure.addEventListener('keydown', (e) => {
    if (e.target.matches('select, input, button') && e.key !== 'k') return;
    const keys = {' ': () => toggle.click(), k: () => toggle.click(), m: () => mute.click(),
                  f: () => full.click(), ArrowLeft: () => back.click(),
                  ArrowRight: () => fwd.click()};
    if (keys[e.key]) {
      e.preventDefault();
      keys[e.key]();
    }
  });
  show();
  // The position on a row of its own above the buttons, so that it keeps
  // its width on a phone and the buttons wrap in reading (and Tab) order.
  figure.append(h('div', {class: 'controls', role: 'group', 'aria-label': 'Player controls'},
    h('div', {class: 'timeline'},
      h('label', {class: 'position', for: 'position'}, h('span', {class: 'visually-hidden',
                                                               text: 'Position'}), position),
      time),
    h('div', {class: 'buttons'}, toggle, back, fwd, mute, menus.quality.field,
      menus.audio.field, menus.subtitles.field, full)));
  return menus;
}

// hls.js on VIDEO with the MENUS; STATE and FIGURE show what plays.
// START: the position to start at, seconds.
function startHls(url, start, video, figure, menus, state) {
  const hls = new Hls({...HLS_CONFIG, startPosition: start > 0 ? start : -1});
  const height = (i) => (hls.levels[i] ? hls.levels[i].height : 0);
  let recoveries = 0;

  const showState = () => {
    const auto = hls.autoLevelEnabled;
    const h0 = height(hls.currentLevel);
    figure.dataset.height = String(h0);
    figure.dataset.loadHeight = String(height(hls.loadLevel));
    state.textContent = h0 ? `Playing ${h0}p${auto ? ' (auto)' : ''}` : 'Loading…';
  };
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    const levels = hls.levels.map((l, i) => [i, `${l.height}p (${bitrate(l.bitrate)})`]).reverse();
    fill(menus.quality, [[-1, 'Auto'], ...levels], -1);
    video.play().catch(() => announce('Press Play to start.'));
  });
  hls.on(Hls.Events.LEVEL_SWITCHING, showState);
  hls.on(Hls.Events.LEVEL_SWITCHED, showState);
  hls.on(Hls.Events.FRAG_LOADING, showState);
  hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, () => {
    fill(menus.audio, hls.audioTracks.map((t, i) => [i, t.name || t.lang || `Track ${i + 1}`]),
         hls.audioTrack);
  });
  hls.on(Hls.Events.AUDIO_TRACK_SWITCHED, (e, d) => {
    menus.audio.el.value = String(d.id);
    figure.dataset.audio = (hls.audioTracks[d.id] || {}).name || '';
  });
  hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, () => {
    fill(menus.subtitles, [[-1, 'Off'], ...hls.subtitleTracks.map((t, i) =>
      [i, t.name || t.lang || `Subtitles ${i + 1}`])], -1);
  });
  hls.on(Hls.Events.SUBTITLE_TRACK_SWITCH, (e, d) => {
    figure.dataset.subtitles = d.id >= 0 ? (hls.subtitleTracks[d.id] || {}).name || '' : '';
  });
  hls.on(Hls.Events.ERROR, (e, d) => {
    console.warn('hls.js error', d.type, d.details, d.fatal ? 'fatal' : '');
    if (!d.fatal) return;
    if (d.type === Hls.ErrorTypes.MEDIA_ERROR && recoveries++ < 2) {
      hls.recoverMediaError();
    } else if (d.type === Hls.ErrorTypes.NETWORK_ERROR && recoveries++ < 2) {
      hls.startLoad();
    } else {
      figure.dataset.fatal = d.details;
      figure.append(alertBox('Playback failed (' + d.details + ').'));
      hls.destroy();
    }
  });
  menus.quality.el.addEventListener('change', () => {
    hls.currentLevel = Number(menus.quality.el.value);
    showState();
  });
  menus.audio.el.addEventListener('change', () => { hls.audioTrack = Number(menus.audio.el.value); });
  menus.subtitles.el.addEventListener('change', () => {
    const i = Number(menus.subtitles.el.value);
    hls.subtitleDisplay = i >= 0;
    hls.subtitleTrack = i;
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return hls;
}

export async function watchView(main, {params}) {
  const id = params.id;
  const t = await api('GET', '/api/v1/titles/' + encodeURIComponent(id));
  main.append(heading(t.name), h('p', {}, h('a', {href: '#/title/' + encodeURIComponent(id),
                                                  text: 'Back to the title'})));
  let play;
  try {
    play = await api('POST', '/api/v1/play', {title: id});
  } catch (e) {
    main.append(alertBox(explain(e)));
    if (e.code === 'no_subscription') main.append(h('p', {}, h('a', {href: '#/account',
                                                                     text: 'Choose a plan'})));
    return null;
  }
  const video = h('video', {playsinline: true, preload: 'auto', 'aria-label': t.name});
  const state = h('p', {class: 'hint state', 'aria-live': 'polite', text: 'Loading…'});
  const figure = h('figure', {class: 'player', tabindex: '-1'}, video);
  const menus = controls(video, figure, t.duration);
  figure.append(state);
  main.append(figure);
  const stop = keepLease(play, video, () => {
    figure.append(alertBox('This playback session ended: reload the page to go on.'));
    video.pause();
  });
  let hls = null;
  if (Hls.isSupported()) {
    hls = startHls(play.url, play.resume, video, figure, menus, state);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = play.url;
    if (play.resume > 0) {
      video.addEventListener('loadedmetadata', () => { video.currentTime = play.resume; },
                             {once: true});
    }
    state.textContent = 'Playing (the browser\'s own HLS)';
    video.play().catch(() => announce('Press Play to start.'));
  } else {
    main.append(alertBox('This browser cannot play HLS.'));
  }
  if (play.resume > 0) announce(`Resuming at ${clock(play.resume)}.`);
  return async ({unloading} = {}) => {
    const stopped = stop(unloading); // the position is taken before the video stops
    if (hls) hls.destroy();
    video.removeAttribute('src');
    video.load();
    await stopped;
  };
}
