// web/js/pages/agents.js: the tenant's agents: API assistants (editable) and
// agent files (read-only: edit the .lua file instead), with a link to create.
import { h, table } from '../dom.js';
import { get } from '../api.js';
import { when } from '../format.js';

export function isFileAgent(a) {
  const m = a && a.metadata && a.metadata.hark;
  return !!(m && (m.readOnly || m.source === 'file'));
}

export async function render(view) {
  const [agents, numbers] = await Promise.all([get('/assistant?limit=1000'), get('/phone-number?limit=1000').catch(() => [])]);
  const byAgent = new Map();
  for (const n of numbers) if (n.assistantId) byAgent.set(n.assistantId, [...(byAgent.get(n.assistantId) || []), n.number]);
  view.append(h('h1', null, 'Agents'), h('p', null, h('a.button', { href: '#/agents/new' }, 'New agent')));
  if (!agents.length) { view.append(h('p.empty', null, 'No agents yet.')); return; }
  view.append(table(['Name', 'Source', 'Model', 'Numbers', 'Updated'], agents.map((a) => {
    const file = isFileAgent(a);
    return h('tr', { 'data-agent-id': a.id },
      h('td', null, h('a', { href: `#/agents/${encodeURIComponent(a.id)}` }, a.name || a.id)),
      h('td', null, file ? h('span.badge', null, 'file · read-only') : 'API'),
      h('td', null, a.model ? `${a.model.provider || ''} ${a.model.model || ''}` : '—'),
      h('td', null, (byAgent.get(a.id) || []).join(', ') || '—'),
      h('td', null, when(a.updatedAt)));
  })));
}
