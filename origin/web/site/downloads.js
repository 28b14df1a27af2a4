// Offline downloads: obtaining a title's license for this device, and the
// page of this device's downloads with their expiry (renew, release).

import {api} from './api.js';
import {deviceSupported, forgetLicense, keepLicense, storedLicenses, thisDevice} from './device.js';
import {actionButton, alertBox, announce, daysLeft, h, heading, when} from './dom.js';
import {licenseVerifies, openLicense} from './license.js';

// Check LICENSE as a player would before relying on it: its signature, and
// that its content key opens with this device's key.  Returns a sentence.
async function check(license, device) {
  const keys = (await api('GET', '/api/v1/license-keys')).keys;
  const signed = await licenseVerifies(license, keys);
  if (signed === false) throw new Error('the license does not verify with the origin\'s keys');
  await openLicense(license, device);
  return signed ? 'signature verified, key opens on this device' : 'key opens on this device';
}

// A license of TITLE for this device: issued, checked and kept.  Resolves to
// {download, note}.
export async function obtainLicense(title) {
  if (!deviceSupported()) throw new Error('This browser cannot hold offline licenses here.');
  const device = await thisDevice();
  const d = await api('POST', '/api/v1/downloads',
                      {title, device_id: device.id, device_key: device.publicKey});
  const note = await check(d.license, device);
  await keepLicense({id: d.id, title: d.title, license: d.license, expires: d.expires});
  return {download: d, note};
}

// Names of the titles IDS (ids without one stay as they are).
async function titleNames(ids) {
  const names = {};
  await Promise.all([...new Set(ids)].map(async (id) => {
    names[id] = await api('GET', '/api/v1/titles/' + encodeURIComponent(id))
      .then((t) => t.name, () => id);
  }));
  return names;
}

function row(d, name, refresh, problem) {
  const act = (label, fn) => actionButton(label, name, async () => {
    await fn();
    await refresh();
  }, problem);
  return h('tr', {},
    h('th', {scope: 'row'}, h('a', {href: '#/title/' + encodeURIComponent(d.title),
                                    text: name})),
    h('td', {'data-label': 'Issued', text: when(d.issued)}),
    h('td', {'data-label': 'Expires'}, h('time', {datetime: d.expires, text: when(d.expires)}),
      ' ', h('span', {class: 'hint', text: `(${daysLeft(d.expires)})`})),
    h('td', {'data-label': 'Renewals', text: String(d.renewal)}),
    h('td', {class: 'actions'},
      act('Renew', async () => {
        const r = await api('POST', `/api/v1/downloads/${d.id}/renew`);
        await keepLicense({id: r.id, title: r.title, license: r.license, expires: r.expires});
        announce(`${name} renewed until ${when(r.expires)}.`);
      }),
      act('Release', async () => {
        await api('DELETE', `/api/v1/downloads/${d.id}`);
        await forgetLicense(d.id);
        announce(`${name} released.`);
      })));
}

export async function downloadsView(main) {
  const problem = h('div');
  const body = h('div');
  main.append(heading('Downloads'), problem, body);
  if (!deviceSupported()) {
    body.append(alertBox('This browser cannot hold offline licenses here (it needs HTTPS ' +
                         'and WebCrypto with X25519).'));
    return;
  }
  const device = await thisDevice();
  async function refresh() {
    const [list, kept] = await Promise.all([api('GET', '/api/v1/downloads'), storedLicenses()]);
    const mine = list.downloads.filter((d) => d.device_id === device.id);
    const others = list.downloads.length - mine.length;
    const held = new Set(kept.map((k) => k.id));
    const names = await titleNames(mine.map((d) => d.title));
    const table = h('table', {class: 'listing downloads'},
      h('caption', {text: `On this device (${device.id})`}),
      h('thead', {}, h('tr', {}, ['Title', 'Issued', 'Expires', 'Renewals', 'Actions'].map(
        (c) => h('th', {scope: 'col', text: c})))),
      h('tbody', {}, mine.map((d) => row(d, names[d.title], refresh, problem))));
    body.replaceChildren(...[
      mine.length ? table : h('p', {text: 'No downloads on this device yet: use Download ' +
                                          'on a title\'s page.'}),
      others ? h('p', {class: 'hint', text: `${others} more on your other devices.`}) : null,
      mine.some((d) => !held.has(d.id)) ?
        h('p', {class: 'hint', text: 'Some licenses were issued to this device id but are ' +
                                     'not stored in this browser.'}) : null].filter(Boolean));
  }
  await refresh();
}
