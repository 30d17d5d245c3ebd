// web/js/pages/overview.js: the day at a glance: calls today, voice-to-voice
// latency per agent (p50 / p95: caller's end of speech to the agent's first
// audio frame), errors and fallbacks, ended reasons (GET /api/v1/overview).
import { h, table, field } from '../dom.js';
import { get, qs } from '../api.js';
import { ms } from '../format.js';
import { go } from '../app.js';

const day = (d) => d.toISOString().slice(0, 10);

export async function render(view, _p, query) {
  const today = new Date();
  const from = query.get('from') || day(new Date(today.getTime() - 6 * 86400000));
  const to = query.get('to') || day(today);
  const fromIn = h('input', { type: 'date', name: 'from', value: from });
  const toIn = h('input', { type: 'date', name: 'to', value: to });
  const form = h('form.filters', { 'aria-label': 'Range' }, field('From', fromIn), field('To', toIn),
    h('div.actions', null, h('button', { type: 'submit' }, 'Show')));
  form.addEventListener('submit', (e) => { e.preventDefault(); go('#/overview' + qs({ from: fromIn.value, to: toIn.value })); });
  view.append(h('h1', null, 'Overview'), form);
  const o = await get('/api/v1/overview' + qs({
    from: new Date(from + 'T00:00:00').toISOString(),
    to: new Date(new Date(to + 'T00:00:00').getTime() + 86400000).toISOString(),
  }));
  const stat = (label, v, id) => h('div.stat', { id }, h('span.value', null, v ?? '—'), h('span.label', null, label));
  view.append(h('div.stats', null, stat('Calls today', o.callsToday, 'stat-today'), stat('Calls in range', o.callsInRange, 'stat-range'),
    stat('Errors', o.errors, 'stat-errors'), stat('Fallbacks', o.fallbacks, 'stat-fallbacks')));
  view.append(h('section', { 'aria-labelledby': 'v2v-h' }, h('h2', { id: 'v2v-h' }, 'Voice-to-voice latency per agent'),
    (o.agents || []).length ? table(['Agent', 'Calls', 'p50', 'p95'], o.agents.map((a) => h('tr', null,
      h('td', null, a.name || a.assistantId), h('td.num', null, a.calls), h('td.num', null, ms(a.p50VoiceToVoiceMs)),
      h('td.num', null, ms(a.p95VoiceToVoiceMs))))) : h('p.empty', null, 'No calls in this range.')));
  const reasons = Object.entries(o.endedReasons || {}).sort((a, b) => b[1] - a[1]);
  view.append(h('section', { 'aria-labelledby': 'er-h' }, h('h2', { id: 'er-h' }, 'Ended reasons'),
    reasons.length ? table(['Reason', 'Calls'], reasons.map(([r, n]) => h('tr', null,
      h('td', null, h('a', { href: '#/calls' + qs({ endedReason: r }) }, r)), h('td.num', null, n)))) : h('p.empty', null, '—')));
}
