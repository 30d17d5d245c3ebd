// web/js/pages/agent_form.js: create or edit an API assistant (Vapi's JSON):
// name, first message, system prompt, model, voice, transcriber, tools
// (endCall, transferCall), end-call phrases, max duration, barge-in
// (stopSpeakingPlan). The server's checks are the truth: its 400 message
// names the field ("maxDurationSeconds must be 10..43200"), shown inline
// under that control. Agent files are shown read-only.
import { h, field, setError, say } from '../dom.js';
import { get, post, patch } from '../api.js';
import { go } from '../app.js';
import { isFileAgent } from './agents.js';

const lines = (s) => s.split('\n').map((x) => x.trim()).filter(Boolean);
const num = (el) => (el.value === '' ? undefined : Number(el.value));

export async function render(view, [id]) {
  const a = id ? await get(`/assistant/${encodeURIComponent(id)}`) : {};
  const readOnly = isFileAgent(a);
  const model = a.model || {}, voice = a.voice || {}, tr = a.transcriber || {}, stop = a.stopSpeakingPlan || {};
  const sys = (model.messages || []).filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const tools = model.tools || [];
  const transfer = tools.find((t) => t.type === 'transferCall');
  const otherTools = tools.filter((t) => t.type !== 'endCall' && t.type !== 'transferCall')
    .map((t) => (t.function && t.function.name) || t.type)
    .concat((model.toolIds || []).map((x) => `tool ${x}`));
  const c = {
    name: h('input', { name: 'name', value: a.name || '', required: true, maxlength: 40 }),
    firstMessage: h('textarea', { name: 'firstMessage', rows: 2 }),
    system: h('textarea', { name: 'systemPrompt', rows: 6 }),
    modelProvider: h('input', { name: 'model.provider', value: model.provider || (id ? '' : 'openai'), list: 'llm-providers' }),
    modelName: h('input', { name: 'model.model', value: model.model || (id ? '' : 'gpt-4o-mini') }),
    voiceProvider: h('input', { name: 'voice.provider', value: voice.provider || '', list: 'tts-providers' }),
    voiceId: h('input', { name: 'voice.voiceId', value: voice.voiceId || '' }),
    trProvider: h('input', { name: 'transcriber.provider', value: tr.provider || '', list: 'stt-providers' }),
    trModel: h('input', { name: 'transcriber.model', value: tr.model || '' }),
    trLanguage: h('input', { name: 'transcriber.language', value: tr.language || '' }),
    endCall: h('input', { type: 'checkbox', name: 'tools.endCall', checked: tools.some((t) => t.type === 'endCall') }),
    transfer: h('input', { name: 'tools.transferCall', value: transfer ? (transfer.destinations || []).map((d) => d.number).join(', ') : '' }),
    phrases: h('textarea', { name: 'endCallPhrases', rows: 3 }),
    maxDuration: h('input', { type: 'number', name: 'maxDurationSeconds', min: 10, max: 43200, value: a.maxDurationSeconds ?? '' }),
    numWords: h('input', { type: 'number', name: 'stopSpeakingPlan.numWords', min: 0, max: 10, value: stop.numWords ?? '' }),
    voiceSeconds: h('input', { type: 'number', name: 'stopSpeakingPlan.voiceSeconds', min: 0, max: 0.5, step: 0.05, value: stop.voiceSeconds ?? '' }),
    backoff: h('input', { type: 'number', name: 'stopSpeakingPlan.backoffSeconds', min: 0, max: 10, step: 0.1, value: stop.backoffSeconds ?? '' }),
  };
  c.firstMessage.value = a.firstMessage || '';
  c.system.value = sys;
  c.phrases.value = (a.endCallPhrases || []).join('\n');
  // which control shows a server message about a field
  const byField = [
    ['name', c.name], ['firstMessage', c.firstMessage], ['model.messages', c.system], ['model.provider', c.modelProvider],
    ['model.model', c.modelName], ['model.tools', c.transfer], ['model', c.modelProvider], ['voice.provider', c.voiceProvider],
    ['voice', c.voiceId], ['transcriber.provider', c.trProvider], ['transcriber.language', c.trLanguage],
    ['transcriber', c.trModel], ['endCallPhrases', c.phrases], ['maxDurationSeconds', c.maxDuration],
    ['stopSpeakingPlan.numWords', c.numWords], ['stopSpeakingPlan.voiceSeconds', c.voiceSeconds],
    ['stopSpeakingPlan', c.backoff],
  ];
  const formError = h('p.error.form-error', { id: 'agent-error', role: 'alert' });
  const save = h('button', { type: 'submit', disabled: readOnly }, id ? 'Save changes' : 'Create agent');
  const fs = (legend, ...kids) => h('fieldset', { disabled: readOnly }, h('legend', null, legend), kids);
  const form = h('form.agent', { novalidate: true },
    fs('Agent', field('Name', c.name), field('First message', c.firstMessage, 'What the agent says when it answers.'),
      field('System prompt', c.system)),
    fs('Model', field('LLM provider', c.modelProvider), field('Model', c.modelName)),
    fs('Voice', field('Voice provider', c.voiceProvider, 'e.g. espeak or 11labs; empty: the server default'), field('Voice id', c.voiceId)),
    fs('Transcriber', field('Transcriber provider', c.trProvider, 'e.g. sphinx or deepgram; empty: the server default'),
      field('Transcriber model', c.trModel), field('Language', c.trLanguage)),
    fs('Tools', h('div.field.check', null, c.endCall, h('label', { for: (c.endCall.id = 'tool-endcall') }, 'The agent may end the call (endCall)')),
      field('Transfer to numbers (transferCall)', c.transfer, 'E.164 numbers, comma separated; empty: no transfers'),
      otherTools.length ? h('p.hint', null, `Also: ${otherTools.join(', ')} (kept as they are; edit them through the API)`) : null),
    fs('Ending', field('End-call phrases', c.phrases, 'One per line: the call ends after the agent says one.'),
      field('Max duration (seconds)', c.maxDuration)),
    fs('Barge-in', field('Words to interrupt', c.numWords, 'Vapi counts caller words; hark interrupts on voice alone, so keep 0 (more is refused).'),
      field('Voice seconds to interrupt', c.voiceSeconds), field('Back-off seconds', c.backoff)),
    formError, h('div.actions', null, save, h('a.button.secondary', { href: '#/agents' }, 'Cancel')),
    h('datalist', { id: 'llm-providers' }, ['openai', 'anthropic', 'custom-llm'].map((v) => h('option', { value: v }))),
    h('datalist', { id: 'tts-providers' }, ['espeak', '11labs'].map((v) => h('option', { value: v }))),
    h('datalist', { id: 'stt-providers' }, ['sphinx', 'deepgram'].map((v) => h('option', { value: v }))));

  function body() {
    const m = { ...model, provider: c.modelProvider.value.trim(), model: c.modelName.value.trim() || undefined };
    m.messages = c.system.value.trim() ? [{ role: 'system', content: c.system.value }] : [];
    // tools this form does not edit (function tools on a server, ...) are kept as they are
    const t = tools.filter((x) => x.type !== 'endCall' && x.type !== 'transferCall');
    if (c.endCall.checked) t.push({ type: 'endCall' });
    const dests = c.transfer.value.split(',').map((x) => x.trim()).filter(Boolean);
    if (dests.length) t.push({ type: 'transferCall', destinations: dests.map((n) => ({ type: 'number', number: n })) });
    m.tools = t;
    const doc = {
      name: c.name.value.trim(), firstMessage: c.firstMessage.value, model: m,
      endCallPhrases: lines(c.phrases.value), maxDurationSeconds: num(c.maxDuration) ?? null,
      voice: c.voiceProvider.value.trim() ? { ...voice, provider: c.voiceProvider.value.trim(), voiceId: c.voiceId.value.trim() || undefined } : null,
      transcriber: c.trProvider.value.trim() ? { ...tr, provider: c.trProvider.value.trim(), model: c.trModel.value.trim() || undefined,
        language: c.trLanguage.value.trim() || undefined } : null,
    };
    const sp = { numWords: num(c.numWords), voiceSeconds: num(c.voiceSeconds), backoffSeconds: num(c.backoff) };
    doc.stopSpeakingPlan = Object.values(sp).some((v) => v !== undefined) ? sp : null;
    return doc;
  }

  function showErrors(messages) {
    let placed = false;
    for (const msg of messages) {
      // the longest field name the message starts with
      const hit = byField.filter(([f]) => msg.startsWith(f + ' ') || msg.startsWith(f + '.') || msg.startsWith(f + '['))
        .sort((x, y) => y[0].length - x[0].length)[0];
      if (hit) { setError(hit[1], msg); if (!placed) hit[1].focus(); placed = true; }
      else formError.textContent = msg;
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formError.textContent = '';
    for (const [, el] of byField) setError(el, '');
    if (!c.name.value.trim()) { setError(c.name, 'name is required'); c.name.focus(); return; }
    save.disabled = true;
    try {
      const saved = id ? await patch(`/assistant/${encodeURIComponent(id)}`, body()) : await post('/assistant', body());
      say(id ? 'Saved. The next call uses the new settings.' : 'Agent created.');
      go(`#/agents/${encodeURIComponent(saved.id)}`);
    } catch (err) {
      if (err.status === 400) showErrors(err.messages.length ? err.messages : [err.message]);
      else formError.textContent = `Could not save: ${err.message}`;
    } finally {
      save.disabled = readOnly;
    }
  });

  view.append(h('h1', null, id ? `Agent: ${a.name || a.id}` : 'New agent'));
  if (readOnly) view.append(h('p.notice', null, `This agent is the file ${a.metadata.hark.file || ''}: it is read-only here; edit the file instead.`));
  view.append(form);
}
