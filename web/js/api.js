// web/js/api.js: every request the dashboard makes. Same-origin fetch with
// the session cookie (HttpOnly: never read here), the CSRF header on every
// non-GET request, JSON in and out. A 401 on an authenticated request means
// the session expired: listeners (app.js) send the user back to login.

const expiredListeners = new Set();
export function onExpired(fn) { expiredListeners.add(fn); }

export class ApiError extends Error {
  constructor(status, body) {
    const m = body && body.message;
    super(Array.isArray(m) ? m.join('; ') : (m || (body && body.error) || `HTTP ${status}`));
    this.status = status;
    this.body = body;
    this.messages = Array.isArray(m) ? m : m ? [m] : [];
  }
}

export async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-Hark-CSRF'] = '1';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { message: text.slice(0, 200) }; }
  }
  if (res.status === 401 && !opts.noExpire) expiredListeners.forEach((fn) => fn());
  if (!res.ok) throw new ApiError(res.status, data);
  if (opts.withHeaders) return { data, headers: res.headers };
  return data;
}

export const get = (p, o) => request('GET', p, undefined, o);
export const post = (p, b, o) => request('POST', p, b, o);
export const patch = (p, b) => request('PATCH', p, b);
export const del = (p) => request('DELETE', p);

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}
