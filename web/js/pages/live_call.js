// web/js/pages/live_call.js: the live transcript of one active call, from the
// events socket: caller and agent lines as they happen (interim greyed, then
// replaced by the final), barge-ins and tool calls marked, the call's state.
import { h } from '../dom.js';
import { get } from '../api.js';
import { active, subscribe } from '../events.js';
import { maskNumber, duration } from '../format.js';
import { TranscriptView } from '../transcript.js';

export function render(view, [id]) {
  const tv = new TranscriptView();
  const state = h('span.state', { id: 'live-state' }, '');
  const clock = h('span.num', { id: 'live-clock' }, '');
  const speech = h('span.speech', { id: 'live-speech' }, ''); // who is talking now (call.speech)
  const info = h('p.muted', { id: 'live-info' });
  const ended = h('p.notice', { id: 'live-ended', hidden: true });
  view.append(h('h1', null, 'Live transcript'), info,
    h('p', null, 'State: ', state, ' · Duration: ', clock, ' ', speech), ended, tv.el,
    h('p', null, h('a', { href: '#/live' }, '← All live calls')));

  function header() {
    const c = active.get(id);
    if (c) {
      info.textContent = `${c.assistantName || c.assistantId || 'agent'} · caller ${maskNumber(c.customerNumber)}`;
      state.textContent = c.state || 'listening';
      state.className = `state state-${c.state || 'listening'}`;
    }
  }
  const tick = setInterval(() => {
    const c = active.get(id);
    if (c) clock.textContent = duration(Date.now() - Date.parse(c.startedAt));
  }, 1000);
  const unsub = subscribe((ev) => {
    if (ev.type === 'snapshot' || ev.type === 'call.started') { header(); return; }
    if (ev.callId !== id) return;
    switch (ev.type) {
      case 'call.state': header(); break;
      case 'call.transcript': tv.transcript(ev); break;
      case 'call.speech':
        speech.textContent = ev.status === 'started' ? `${ev.role === 'user' ? 'Caller' : 'Agent'} speaking…` : '';
        break;
      case 'call.interrupted': tv.interrupted(ev); break;
      case 'call.tool_call': tv.toolCall(ev.name, ev.arguments); break;
      case 'call.tool_result': tv.toolResult(ev.name, ev.result); break;
      case 'call.ended':
        ended.hidden = false;
        ended.replaceChildren('Call ended', ev.endedReason ? ` (${ev.endedReason}). ` : '. ',
          h('a', { href: `#/calls/${encodeURIComponent(id)}` }, 'Open the call’s details'));
        state.textContent = 'ended';
        speech.textContent = '';
        state.className = 'state state-ended';
        break;
      default:
    }
  });
  header();
  // what was said before this page opened (the record of the running call)
  get(`/call/${encodeURIComponent(id)}`).then((call) => {
    if (tv.el.children.length) return;
    for (const m of call.messages || []) {
      if (m.role === 'user' || m.role === 'bot') tv.line(m.role, m.message, 'final earlier');
    }
  }).catch(() => {});
  return () => { unsub(); clearInterval(tick); };
}
