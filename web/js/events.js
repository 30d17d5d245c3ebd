// web/js/events.js: the live-events WebSocket (/api/v1/events, cookie auth).
// Keeps the tenant's active calls (from the snapshot, then call.started /
// call.state / call.ended) and hands every event to the pages listening.
// Reconnects with backoff; a fresh snapshot replaces the call list.

const listeners = new Set();
export const active = new Map(); // callId -> snapshot call object (+ state)
let ws = null, retry = 0, timer = null, wanted = false;

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(ev) { listeners.forEach((fn) => { try { fn(ev); } catch (e) { console.error(e); } }); }

function handle(ev) {
  switch (ev.type) {
    case 'snapshot':
      active.clear();
      for (const c of ev.calls || []) if (c && c.id) active.set(c.id, c);
      break;
    case 'call.started':
      if (ev.call && ev.call.id) active.set(ev.call.id, ev.call);
      break;
    case 'call.state': {
      const c = active.get(ev.callId);
      if (c) c.state = ev.state;
      break;
    }
    case 'call.ended':
      active.delete(ev.callId);
      break;
    default:
  }
  emit(ev);
}

export function connect() {
  wanted = true;
  if (ws) return;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  ws = new WebSocket(`${proto}//${location.host}/api/v1/events`);
  ws.addEventListener('open', () => { retry = 0; emit({ type: 'socket', open: true }); });
  ws.addEventListener('message', (m) => {
    let ev;
    try { ev = JSON.parse(m.data); } catch { return; }
    if (ev && typeof ev.type === 'string') handle(ev);
  });
  ws.addEventListener('close', () => {
    ws = null;
    emit({ type: 'socket', open: false });
    if (!wanted) return;
    const wait = Math.min(10000, 500 * 2 ** retry++);
    timer = setTimeout(connect, wait);
  });
}

export function disconnect() {
  wanted = false;
  clearTimeout(timer);
  if (ws) ws.close();
  ws = null;
  active.clear();
}

export function isOpen() { return !!ws && ws.readyState === WebSocket.OPEN; }
