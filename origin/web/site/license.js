// Offline licenses as a player reads them (common/license.h): a PASETO
// v4.public token, checked against the origin's published license keys,
// whose "wrapped" claim opens to the content key with this device's X25519
// key only:
//
//   shared = X25519(device secret, epk)
//   kek    = HKDF-SHA256(shared, salt = epk || device public,
//                        info = "reel-license-v1 key wrap" || lid)
//   key    = AES-256-GCM-open(kek, nonce, aad = lid 0 title 0 ckid, ct)

import {unb64url} from './device.js';

const HEADER = 'v4.public.';
const text = new TextEncoder();

// {claims, message, signature, footer} of TOKEN; throws when it is no v4.public token.
export function parseLicense(token) {
  if (!token.startsWith(HEADER)) throw new Error('not a PASETO v4.public token');
  const [body, footer = ''] = token.slice(HEADER.length).split('.');
  const raw = unb64url(body);
  if (raw.length <= 64) throw new Error('license too short');
  const message = raw.slice(0, raw.length - 64);
  return {claims: JSON.parse(new TextDecoder().decode(message)), message,
          signature: raw.slice(raw.length - 64), footer: unb64url(footer)};
}

// PASETO's pre-authentication encoding of PIECES (Uint8Arrays).
function pae(pieces) {
  const total = 8 + pieces.reduce((n, p) => n + 8 + p.length, 0);
  const out = new Uint8Array(total), view = new DataView(out.buffer);
  let at = 0;
  const le64 = (n) => { view.setUint32(at, n, true); view.setUint32(at + 4, 0, true); at += 8; };
  le64(pieces.length);
  for (const p of pieces) {
    le64(p.length);
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function hexBytes(hex) {
  return Uint8Array.from(hex.match(/../g), (b) => parseInt(b, 16));
}

// Does TOKEN's Ed25519 signature verify with the key its footer names among
// KEYS (GET /api/v1/license-keys)?  Null when this browser has no Ed25519.
export async function licenseVerifies(token, keys) {
  const t = parseLicense(token);
  const kid = JSON.parse(new TextDecoder().decode(t.footer) || '{}').kid;
  const k = keys.find((x) => x.kid === kid);
  if (!k) return false;
  let key;
  try {
    key = await crypto.subtle.importKey('raw', hexBytes(k.public_key), {name: 'Ed25519'}, false,
                                        ['verify']);
  } catch (e) {
    return null;
  }
  return crypto.subtle.verify({name: 'Ed25519'}, key, t.signature,
                              pae([text.encode(HEADER), t.message, t.footer, new Uint8Array()]));
}

// The 16-byte content key TOKEN carries for DEVICE (device.js); rejects when
// the license is another device's or was changed.
export async function openLicense(token, device) {
  const {claims} = parseLicense(token);
  const epk = unb64url(claims.wrapped.epk);
  const peer = await crypto.subtle.importKey('raw', epk, {name: 'X25519'}, false, []);
  const shared = await crypto.subtle.deriveBits({name: 'X25519', public: peer},
                                                device.keys.privateKey, 256);
  const salt = new Uint8Array(64);
  salt.set(epk, 0);
  salt.set(unb64url(device.publicKey), 32);
  const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveBits']);
  const kek = await crypto.subtle.deriveBits(
    {name: 'HKDF', hash: 'SHA-256', salt, info: text.encode('reel-license-v1 key wrap' + claims.lid)},
    ikm, 256);
  const aes = await crypto.subtle.importKey('raw', kek, 'AES-GCM', false, ['decrypt']);
  const aad = text.encode(`${claims.lid}\0${claims.title}\0${claims.ckid}`);
  return new Uint8Array(await crypto.subtle.decrypt(
    {name: 'AES-GCM', iv: unb64url(claims.wrapped.nonce), additionalData: aad, tagLength: 128},
    aes, unb64url(claims.wrapped.ct)));
}
