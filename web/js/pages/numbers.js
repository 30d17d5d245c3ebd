// web/js/pages/numbers.js: the tenant's phone numbers, each assignable to an
// agent (PATCH /phone-number/{id} assistantId: the next call to it goes to
// that agent), and search & buy through Twilio (the platform's
// /api/v1/twilio routes).
import { h, field, table, clear, say } from '../dom.js';
import { get, patch, post, qs } from '../api.js';

export async function render(view) {
  const [numbers, agents] = await Promise.all([get('/phone-number?limit=1000'), get('/assistant?limit=1000')]);
  const options = (sel) => [h('option', { value: '' }, 'No agent'),
    agents.map((a) => h('option', { value: a.id, selected: a.id === sel }, a.name || a.id))];

  const list = h('div', { id: 'number-list' });
  function drawList() {
    clear(list);
    if (!numbers.length) { list.append(h('p.empty', null, 'No numbers yet.')); return; }
    list.append(table(['Number', 'Name', 'Agent', ''], numbers.map((n) => {
      const sel = h('select', { 'aria-label': `Agent for ${n.number}`, name: 'assistantId' }, options(n.assistantId));
      const msg = h('span.error', { 'aria-live': 'polite' });
      const btn = h('button.secondary', { type: 'button' }, 'Assign');
      btn.addEventListener('click', async () => {
        msg.textContent = '';
        btn.disabled = true;
        try {
          const upd = await patch(`/phone-number/${encodeURIComponent(n.id)}`,
            { provider: n.provider || 'twilio', assistantId: sel.value || null });
          Object.assign(n, upd);
          say(`${n.number} now goes to ${sel.selectedOptions[0].textContent}.`);
          msg.textContent = '';
          msg.className = 'ok';
          msg.textContent = 'Saved';
        } catch (e) {
          msg.className = 'error';
          msg.textContent = e.message;
        } finally { btn.disabled = false; }
      });
      return h('tr', { 'data-number-id': n.id }, h('td.mono', null, n.number), h('td', null, n.name || '—'),
        h('td', null, sel), h('td', null, btn, ' ', msg));
    })));
  }
  drawList();

  // search & buy
  const country = h('input', { name: 'country', value: 'US', maxlength: 2, size: 3 });
  const area = h('input', { name: 'areaCode', inputmode: 'numeric', maxlength: 3, size: 4 });
  const contains = h('input', { name: 'contains', size: 8 });
  const buyAgent = h('select', { name: 'buyAssistantId' }, options(''));
  const found = h('div', { id: 'available' });
  const searchErr = h('p.error', { role: 'alert' });
  const search = h('form.filters', { role: 'search', 'aria-label': 'Search numbers to buy' },
    field('Country', country), field('Area code', area), field('Digits contain', contains),
    field('Assign to', buyAgent), h('div.actions', null, h('button', { type: 'submit' }, 'Search')));
  search.addEventListener('submit', async (e) => {
    e.preventDefault();
    searchErr.textContent = '';
    clear(found).append(h('p.muted', null, 'Searching…'));
    let res;
    try {
      res = await get('/api/v1/twilio/available-numbers' + qs({ country: country.value.trim().toUpperCase(), areaCode: area.value.trim(), contains: contains.value.trim() }));
    } catch (err) { clear(found); searchErr.textContent = err.message; return; }
    clear(found);
    const avail = (res && res.numbers) || [];
    if (!avail.length) { found.append(h('p.empty', null, 'No numbers available for that search.')); return; }
    found.append(table(['Number', 'Where', ''], avail.map((a) => {
      const b = h('button', { type: 'button' }, 'Buy');
      b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          const n = await post('/api/v1/twilio/numbers', { phoneNumber: a.phoneNumber, assistantId: buyAgent.value || undefined });
          numbers.unshift(n);
          drawList();
          say(`Bought ${n.number}.`);
          b.textContent = 'Bought';
        } catch (err) { searchErr.textContent = err.message; b.disabled = false; }
      });
      return h('tr', null, h('td.mono', null, a.phoneNumber), h('td', null, [a.locality, a.region].filter(Boolean).join(', ') || '—'), h('td', null, b));
    })));
  });
  view.append(h('h1', null, 'Phone numbers'), list,
    h('section', { 'aria-labelledby': 'buy-h' }, h('h2', { id: 'buy-h' }, 'Buy a number'), search, searchErr, found));
}
