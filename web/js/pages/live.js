// web/js/pages/live.js: the tenant's active calls, live. The list comes from
// the events socket (snapshot, then call.started / call.state / call.ended);
// durations tick every second; each row opens the call's live transcript.
import { h, clear, table } from '../dom.js';
import { active, subscribe, isOpen } from '../events.js';
import { maskNumber, duration } from '../format.js';

const stateLabel = { listening: 'Listening', thinking: 'Thinking', speaking: 'Speaking' };

export function render(view) {
  const body = h('div', { id: 'live-calls' });
  const conn = h('p.muted', { id: 'live-conn' });
  view.append(h('h1', null, 'Live calls'), conn, body);

  function draw() {
    conn.textContent = isOpen() ? `${active.size} active call${active.size === 1 ? '' : 's'}` : 'Connecting…';
    clear(body);
    if (!active.size) { body.append(h('p.empty', null, 'No calls right now.')); return; }
    const rows = [...active.values()].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)).map((c) => {
      const state = c.state || 'listening';
      return h('tr', { 'data-call-id': c.id },
        h('td', null, h('a', { href: `#/live/${encodeURIComponent(c.id)}` }, c.assistantName || c.assistantId || 'agent')),
        h('td', null, maskNumber(c.customerNumber)),
        h('td.num.tick', { 'data-start': c.startedAt }, duration(Date.now() - Date.parse(c.startedAt))),
        h('td', null, h(`span.state.state-${state}`, null, stateLabel[state] || state)));
    });
    body.append(table(['Agent', 'Caller', 'Duration', 'State'], rows));
  }

  const unsub = subscribe((ev) => {
    if (ev.type === 'snapshot' || ev.type === 'socket' || ev.type === 'call.started' ||
        ev.type === 'call.ended' || ev.type === 'call.state') draw();
  });
  const tick = setInterval(() => {
    for (const td of body.querySelectorAll('.tick')) td.textContent = duration(Date.now() - Date.parse(td.dataset.start));
  }, 1000);
  draw();
  return () => { unsub(); clearInterval(tick); };
}
