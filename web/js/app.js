// web/js/app.js: start-up and hash routing. Checks the session (GET
// /auth/me), shows Login when there is none, else the page named by the hash
// (#/live, #/calls/ID, ...). One module per page under js/pages/; each exports
// render(view, params, query) and may return a clean-up function that runs
// when the user leaves the page (timers, event subscriptions).
import { get, post, onExpired } from './api.js';
import { connect, disconnect, subscribe } from './events.js';
import { say } from './dom.js';

const pages = {
  login: () => import('./pages/login.js'),
  overview: () => import('./pages/overview.js'),
  live: () => import('./pages/live.js'),
  liveCall: () => import('./pages/live_call.js'),
  calls: () => import('./pages/calls.js'),
  callDetail: () => import('./pages/call_detail.js'),
  agents: () => import('./pages/agents.js'),
  agentForm: () => import('./pages/agent_form.js'),
  numbers: () => import('./pages/numbers.js'),
  keys: () => import('./pages/keys.js'),
};

const routes = [
  [/^\/login$/, 'login'],
  [/^\/overview$/, 'overview'],
  [/^\/live$/, 'live'],
  [/^\/live\/([^/]+)$/, 'liveCall'],
  [/^\/calls$/, 'calls'],
  [/^\/calls\/([^/]+)$/, 'callDetail'],
  [/^\/agents$/, 'agents'],
  [/^\/agents\/new$/, 'agentForm'],
  [/^\/agents\/([^/]+)$/, 'agentForm'],
  [/^\/numbers$/, 'numbers'],
  [/^\/keys$/, 'keys'],
];

export const session = { me: null };
let cleanup = null, renderSeq = 0;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/live';
  const [path, q] = raw.split('?');
  return { path, query: new URLSearchParams(q || '') };
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function route() {
  const seq = ++renderSeq;
  const { path, query } = parseHash();
  if (!session.me && path !== '/login') {
    try {
      session.me = await get('/auth/me', { noExpire: true });
    } catch {
      session.me = null;
    }
    if (seq !== renderSeq) return;
    if (!session.me) { go('#/login'); return; }
  }
  let name = 'live', params = [];
  for (const [re, n] of routes) {
    const m = re.exec(path);
    if (m) { name = n; params = m.slice(1).map(decodeURIComponent); break; }
  }
  if (name === 'login' && session.me) { go('#/live'); return; }
  const top = document.getElementById('top');
  top.hidden = name === 'login';
  if (session.me) connect();
  for (const a of document.querySelectorAll('.nav a')) {
    const on = path === a.getAttribute('href').slice(1) || path.startsWith(a.getAttribute('href').slice(1) + '/');
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } cleanup = null; }
  // each render draws into its own container: a slow render of a page the
  // user has already left fills a detached element, never the current page
  const view = document.createElement('div');
  view.className = 'page';
  const main = document.getElementById('view');
  main.dataset.page = name;
  main.replaceChildren(view);
  const mod = await pages[name]();
  if (seq !== renderSeq) return;
  try {
    cleanup = (await mod.render(view, params, query)) || null;
  } catch (e) {
    if (seq === renderSeq) say(`Could not load the page: ${e.message}`);
  }
  if (seq === renderSeq && name !== 'login') {
    const h1 = view.querySelector('h1');
    if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
  }
}

// any 401 on an authenticated request: the session is over
onExpired(() => {
  if (!session.me) return;
  session.me = null;
  disconnect();
  say('Your session expired. Please log in again.');
  go('#/login');
});

// the events socket closed: ask whether the session is still there (a 401
// here sends the user to login through onExpired)
subscribe((ev) => {
  if (ev.type === 'socket' && !ev.open && session.me) get('/auth/me').catch(() => {});
});

export function loggedIn(me) {
  session.me = me;
  go('#/live');
}

document.getElementById('logout').addEventListener('click', async () => {
  try { await post('/auth/logout', undefined, { noExpire: true }); } catch { /* gone already */ }
  session.me = null;
  disconnect();
  go('#/login');
});

window.addEventListener('hashchange', route);
route();
