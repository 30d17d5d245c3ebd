// web/js/pages/calls.js: call history, newest first, paged by key (each page
// asks for calls created before the last one shown: createdAtLt + limit, so
// page 1,000 costs what page 1 does). Filters: agent, date range, ended
// reason, duration, text in the transcript; they live in the URL hash, so a
// filtered view can be bookmarked and Back works.
import { h, field, table, clear } from '../dom.js';
import { get, qs } from '../api.js';
import { go } from '../app.js';
import { maskNumber, duration, when, spanMs, usd } from '../format.js';

const PAGE = 25;
const REASONS = ['customer-ended-call', 'assistant-ended-call', 'exceeded-max-duration', 'silence-timed-out',
  'pipeline-error', 'assistant-forwarded-call', 'twilio-failed-to-connect-call', 'customer-busy'];

export async function render(view, _params, query) {
  const agents = await get('/assistant?limit=1000').catch(() => []);
  const names = new Map(agents.map((a) => [a.id, a.name || a.id]));
  const f = {
    assistantId: h('select', { name: 'assistantId' }, h('option', { value: '' }, 'Any agent'),
      agents.map((a) => h('option', { value: a.id }, a.name || a.id))),
    from: h('input', { type: 'date', name: 'from' }),
    to: h('input', { type: 'date', name: 'to' }),
    endedReason: h('select', { name: 'endedReason' }, h('option', { value: '' }, 'Any reason'),
      REASONS.map((r) => h('option', { value: r }, r))),
    durationGe: h('input', { type: 'number', name: 'durationGe', min: 0, step: 1, inputmode: 'numeric' }),
    durationLe: h('input', { type: 'number', name: 'durationLe', min: 0, step: 1, inputmode: 'numeric' }),
    q: h('input', { type: 'search', name: 'q' }),
  };
  for (const [k, el] of Object.entries(f)) el.value = query.get(k) || '';
  const form = h('form.filters', { role: 'search', 'aria-label': 'Filter calls' },
    field('Agent', f.assistantId), field('From', f.from), field('To', f.to), field('Ended reason', f.endedReason),
    field('Min duration (s)', f.durationGe), field('Max duration (s)', f.durationLe),
    field('Text in transcript', f.q), h('div.actions', null, h('button', { type: 'submit' }, 'Apply'),
      h('button.secondary', { type: 'button', onclick: () => go('#/calls') }, 'Clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = {};
    for (const [k, el] of Object.entries(f)) if (el.value) p[k] = el.value;
    go('#/calls' + qs(p));
  });
  const list = h('div', { id: 'call-list' });
  const pager = h('div.pager');
  const total = h('p.muted', { id: 'call-total' });
  view.append(h('h1', null, 'Call history'), form, total, list, pager);

  const base = { limit: PAGE };
  if (query.get('assistantId')) base.assistantId = query.get('assistantId');
  if (query.get('from')) base.createdAtGe = new Date(query.get('from') + 'T00:00:00').toISOString();
  if (query.get('to')) base.createdAtLt = new Date(new Date(query.get('to') + 'T00:00:00').getTime() + 86400000).toISOString();
  for (const k of ['endedReason', 'durationGe', 'durationLe', 'q']) if (query.get(k)) base[k] = query.get(k);

  const cursors = []; // createdAtLt of each page shown so far (undefined: the first)
  async function load(cursor) {
    const p = { ...base };
    if (cursor) p.createdAtLt = cursor;
    clear(list).append(h('p.muted', null, 'Loading…'));
    let res;
    try {
      res = await get('/call' + qs(p), { withHeaders: true });
    } catch (e) {
      clear(list).append(h('p.error', { role: 'alert' }, `Could not load calls: ${e.message}`));
      return;
    }
    const calls = Array.isArray(res.data) ? res.data : [];
    const n = res.headers.get('X-Total-Count');
    total.textContent = n !== null ? `${n} matching call${n === '1' ? '' : 's'}` : '';
    clear(list);
    if (!calls.length) { list.append(h('p.empty', null, 'No calls match.')); }
    else {
      list.append(table(['Started', 'Agent', 'Caller', 'Duration', 'Ended reason', 'Cost'], calls.map((c) =>
        h('tr', { 'data-call-id': c.id },
          h('td', null, h('a', { href: `#/calls/${encodeURIComponent(c.id)}` }, when(c.startedAt || c.createdAt))),
          h('td', null, names.get(c.assistantId) || c.assistantId || '—'),
          h('td', null, maskNumber(c.customer && c.customer.number)),
          h('td.num', null, c.startedAt ? duration(spanMs(c.startedAt, c.endedAt)) : '—'),
          h('td', null, c.endedReason || (c.status === 'ended' ? '—' : c.status)),
          h('td.num', null, usd(c.cost))))));
    }
    clear(pager);
    const page = cursors.length;
    if (page > 0) {
      pager.append(h('button.secondary', { type: 'button', onclick: () => { cursors.pop(); load(cursors.pop()); } }, '← Newer'));
    }
    cursors.push(cursor);
    pager.append(h('span.muted', null, ` Page ${page + 1} `));
    if (calls.length === PAGE) {
      const last = calls[calls.length - 1].createdAt;
      pager.append(h('button.secondary', { type: 'button', onclick: () => load(last) }, 'Older →'));
    }
  }
  await load(base.createdAtLt);
}
