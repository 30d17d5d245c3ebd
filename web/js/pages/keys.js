// web/js/pages/keys.js: the tenant's API keys: create (the key is shown once,
// right after creation; the server keeps only its hash) and revoke.
import { h, field, table, clear, say } from '../dom.js';
import { get, post, del } from '../api.js';
import { when } from '../format.js';

export async function render(view) {
  const list = h('div', { id: 'key-list' });
  const name = h('input', { name: 'name', maxlength: 80, required: true });
  const err = h('p.error', { role: 'alert' });
  const shown = h('div', { id: 'new-key', 'aria-live': 'polite' });
  const form = h('form.inline', { 'aria-label': 'Create an API key' }, field('Key name', name),
    h('div.actions', null, h('button', { type: 'submit' }, 'Create key')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    clear(shown);
    if (!name.value.trim()) { err.textContent = 'Give the key a name.'; name.focus(); return; }
    try {
      const k = await post('/api/v1/api-keys', { name: name.value.trim() });
      const out = h('input.mono.secret', { readonly: true, value: k.key, id: 'new-key-value', size: 60 });
      shown.append(h('div.notice', null, field('Your new key (copy it now: it is not shown again)', out)));
      out.select();
      name.value = '';
      await draw();
    } catch (e2) { err.textContent = e2.message; }
  });

  async function draw() {
    const keys = await get('/api/v1/api-keys');
    clear(list);
    if (!keys.length) { list.append(h('p.empty', null, 'No keys.')); return; }
    list.append(table(['Name', 'Key', 'Created', 'Last used', ''], keys.map((k) => {
      const b = h('button.danger', { type: 'button', 'aria-label': `Revoke ${k.name || k.prefix}` }, 'Revoke');
      b.addEventListener('click', async () => {
        if (!window.confirm(`Revoke the key "${k.name || k.prefix}"? Programs using it stop working.`)) return;
        try { await del(`/api/v1/api-keys/${encodeURIComponent(k.id)}`); say('Key revoked.'); await draw(); }
        catch (e) { err.textContent = e.message; }
      });
      return h('tr', { 'data-key-id': k.id, class: k.revokedAt ? 'revoked' : undefined },
        h('td', null, k.name || '—'), h('td.mono', null, `${k.prefix}…`), h('td', null, when(k.createdAt)),
        h('td', null, when(k.lastUsedAt)), h('td', null, k.revokedAt ? `revoked ${when(k.revokedAt)}` : b));
    })));
  }
  view.append(h('h1', null, 'API keys'), form, err, shown, list);
  await draw();
}
