// This browser as a download device: an id and an X25519 key pair made
// with WebCrypto (the private key not extractable, so no script can read
// it out), kept in IndexedDB with the licenses issued to it.

const DB = 'reel';
const VERSION = 1;

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, VERSION);
    req.onupgradeneeded = () => {
      req.result.createObjectStore('device');
      req.result.createObjectStore('licenses', {keyPath: 'id'});
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

// Run FN(store) in one transaction of STORE (MODE) and resolve to what its request gives.
async function withStore(store, mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const req = fn(tx.objectStore(store));
      let value;
      if (req) req.onsuccess = () => { value = req.result; };
      tx.oncomplete = () => resolve(value);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export function b64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function unb64url(text) {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

// Is WebCrypto's X25519 here (a secure context in a browser that has it)?
export function deviceSupported() {
  return Boolean(window.isSecureContext && crypto.subtle && window.indexedDB);
}

// This device: {id, keys: CryptoKeyPair, publicKey: base64url of its 32 bytes},
// made on first use.
export async function thisDevice() {
  const known = await withStore('device', 'readonly', (s) => s.get('self'));
  if (known) return known;
  const keys = await crypto.subtle.generateKey({name: 'X25519'}, false, ['deriveBits']);
  const raw = await crypto.subtle.exportKey('raw', keys.publicKey);
  const id = 'web-' + b64url(crypto.getRandomValues(new Uint8Array(12)));
  const device = {id, keys, publicKey: b64url(raw), created: new Date().toISOString()};
  await withStore('device', 'readwrite', (s) => s.put(device, 'self'));
  return device;
}

// The licenses kept on this device ({id, title, license, expires}), by id.
export function storedLicenses() {
  return withStore('licenses', 'readonly', (s) => s.getAll());
}

export function keepLicense(record) {
  return withStore('licenses', 'readwrite', (s) => s.put(record));
}

export function forgetLicense(id) {
  return withStore('licenses', 'readwrite', (s) => s.delete(id));
}
