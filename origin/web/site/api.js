// The origin's user API (docs/openapi.yaml), as the page calls it.
//
// Sessions: over HTTPS the login sets the __Host-reel_session cookie
// (HttpOnly: this script never sees the token) and every call sends it;
// over plain HTTP there is no cookie, so the token from the login answer is
// kept in sessionStorage (this tab only) and sent as Authorization: Bearer.

const TOKEN_KEY = 'reel.session';
export const cookieSession = location.protocol === 'https:';

// A refused or failed call: STATUS, the API's stable CODE, its MESSAGE, the
// seconds of Retry-After (0 when none) and the answer's BODY.
export class ApiError extends Error {
  constructor(status, code, message, body, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

function authHeaders() {
  const token = cookieSession ? null : sessionStorage.getItem(TOKEN_KEY);
  return token ? {Authorization: 'Bearer ' + token} : {};
}

// METHOD PATH with the JSON BODY (undefined: none); resolves to the JSON
// answer (null for 204), rejects with an ApiError.  OPTIONS: signal (an
// AbortSignal), keepalive (the call outlives the page).
export async function api(method, path, body, options = {}) {
  const headers = authHeaders();
  const init = {method, headers, credentials: 'same-origin', cache: 'no-store',
                signal: options.signal, keepalive: options.keepalive};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'The server cannot be reached.', null, 0);
  }
  const type = r.headers.get('Content-Type') || '';
  const data = r.status !== 204 && type.startsWith('application/json') ?
    await r.json().catch(() => null) : null;
  if (!r.ok) {
    throw new ApiError(r.status, (data && data.error) || 'http_' + r.status,
                       (data && data.message) || r.statusText || 'request failed', data,
                       Number(r.headers.get('Retry-After')) || 0);
  }
  return data;
}

// What a person reads for ERR.
export function explain(err) {
  if (!(err instanceof ApiError)) return String(err && err.message || err);
  const wait = err.retryAfter ? ` Try again in ${err.retryAfter} s.` : '';
  switch (err.code) {
  case 'invalid_credentials': return 'Wrong email or password.';
  case 'too_many_attempts': return 'Too many failed logins.' + wait;
  case 'busy': return 'The server is busy.' + wait;
  case 'email_taken': return 'An account with this email exists: log in instead.';
  case 'no_subscription': return 'You need a plan to watch or download: choose one under Account.';
  case 'stream_limit':
    return `Your plan allows ${err.body.limit} stream${err.body.limit === 1 ? '' : 's'} at once, ` +
      'all in use: stop one and try again.';
  case 'downloads_not_allowed': return 'Your plan has no downloads.';
  case 'device_limit': return `Your plan allows downloads on ${err.body.limit} devices.`;
  case 'download_limit': return `Your plan allows ${err.body.limit} downloads at once.`;
  case 'title_download_limit':
    return `Your plan allows this title ${err.body.limit} times a year.`;
  case 'not_downloadable': return 'This title cannot be downloaded.';
  default: return err.message + '.' + wait;
  }
}

// Keep the session of a LOGIN answer (plain HTTP only; HTTPS has the cookie).
export function keepSession(login) {
  if (!cookieSession) sessionStorage.setItem(TOKEN_KEY, login.token);
}

export function dropSession() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// The signed-in account, or null.
export async function whoAmI() {
  try {
    return await api('GET', '/api/v1/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}
