// web/js/pages/call_detail.js: one finished (or running) call: the transcript
// aligned with the recording (waveform from the decoded WAV; click a line to
// seek there, the line being spoken is highlighted as it plays), the latency
// waterfall per turn, cost breakdown, ended reason, tool calls with their
// arguments and results.
import { h, table } from '../dom.js';
import { get } from '../api.js';
import { maskNumber, duration, when, spanMs, usd } from '../format.js';
import { Waveform } from '../waveform.js';
import { waterfall } from '../waterfall.js';
import { pretty } from '../transcript.js';

export async function render(view, [id]) {
  const call = await get(`/call/${encodeURIComponent(id)}`);
  const agent = call.assistantId ? await get(`/assistant/${encodeURIComponent(call.assistantId)}`).catch(() => null) : null;
  const hark = (call.metadata && call.metadata.hark) || {};
  view.append(h('h1', null, 'Call ', h('span.mono', null, call.phoneCallProviderId || call.id)),
    h('dl.facts', null,
      h('dt', null, 'Agent'), h('dd', null, call.assistantId ? h('a', { href: `#/agents/${encodeURIComponent(call.assistantId)}` }, (agent && agent.name) || call.assistantId) : '—'),
      h('dt', null, 'Caller'), h('dd', null, maskNumber(call.customer && call.customer.number)),
      h('dt', null, 'Number'), h('dd', null, (call.phoneNumber && call.phoneNumber.number) || '—'),
      h('dt', null, 'Started'), h('dd', null, when(call.startedAt)),
      h('dt', null, 'Duration'), h('dd', null, call.startedAt ? duration(spanMs(call.startedAt, call.endedAt)) : '—'),
      h('dt', null, 'Status'), h('dd', null, call.status),
      h('dt', null, 'Ended reason'), h('dd', { id: 'ended-reason' }, call.endedReason || '—')));

  // recording + transcript
  const audio = h('audio', { controls: true, preload: 'metadata', id: 'player', 'aria-label': 'Call recording' });
  const wave = new Waveform(audio, 'Recording waveform: click or use the arrow keys to seek');
  const waveNote = h('p.muted', { id: 'wave-note' });
  const lines = h('ol.transcript.aligned', { 'aria-label': 'Transcript (select a line to play from there)' });
  const timed = [];
  for (const m of call.messages || []) {
    if (m.role === 'system') continue;
    const at = typeof m.secondsFromStart === 'number' ? m.secondsFromStart : null;
    let body;
    if (m.role === 'tool_calls') {
      body = (m.toolCalls || []).map((tc) => h('span.text', null, `${(tc.function && tc.function.name) || tc.name}(`,
        h('code', null, pretty(tc.function ? tc.function.arguments : tc.arguments)), ')'));
    } else if (m.role === 'tool_call_result') {
      body = h('span.text', null, `${m.name || 'tool'} → `, h('code', null, pretty(m.result)));
    } else {
      body = h('span.text', null, m.message);
    }
    const cls = m.role === 'bot' ? 'assistant' : m.role === 'user' ? 'user' : 'tool';
    const who = { user: 'Caller', bot: 'Agent', tool_calls: 'Tool', tool_call_result: 'Result' }[m.role] || m.role;
    const btn = h('button.seekline', { type: 'button', disabled: at === null,
      'aria-label': at === null ? 'No time recorded' : `Play from ${at.toFixed(1)} s` },
      h('span.at', null, at === null ? '' : `${at.toFixed(1)}s`));
    btn.addEventListener('click', () => { wave.seek(at); audio.play().catch(() => {}); });
    const li = h(`li.line.${cls}`, null, btn, h('span.who', null, who), body);
    if (at !== null) timed.push([at, li]);
    lines.append(li);
  }
  audio.addEventListener('timeupdate', () => {
    let cur = null;
    for (const [at, li] of timed) if (at <= audio.currentTime + 0.05) cur = li;
    for (const [, li] of timed) li.classList.toggle('playing', li === cur);
  });
  const recSection = h('section', { 'aria-labelledby': 'rec-h' }, h('h2', { id: 'rec-h' }, 'Recording and transcript'));
  if (call.recordingUrl || (call.artifact && call.artifact.recordingUrl)) {
    const src = `/call/${encodeURIComponent(call.id)}/recording`;
    recSection.append(audio, wave.canvas, waveNote);
    // a call that just ended may not have its file yet: ask again for a few seconds
    const fetchWav = async (tries) => {
      const r = await fetch(src, { credentials: 'same-origin' });
      if (r.status === 404 && tries > 0) {
        waveNote.textContent = 'Waiting for the recording…';
        await new Promise((ok) => setTimeout(ok, 1000));
        return fetchWav(tries - 1);
      }
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      audio.src = src;
      return r.arrayBuffer();
    };
    fetchWav(8)
      .then((b) => wave.load(b))
      .then(() => { waveNote.textContent = 'Caller (top) and agent (bottom).'; })
      .catch((e) => { waveNote.textContent = `The waveform could not be drawn: ${e.message}`; });
  } else {
    recSection.append(h('p.empty', null, 'No recording for this call.'));
  }
  recSection.append(lines);

  // latency
  const latSection = h('section', { 'aria-labelledby': 'lat-h' }, h('h2', { id: 'lat-h' }, 'Latency'), waterfall(hark.turns || []));

  // cost
  const cb = call.costBreakdown || {};
  const costSection = h('section', { 'aria-labelledby': 'cost-h' }, h('h2', { id: 'cost-h' }, 'Cost'),
    table(['Part', 'USD'], [['Telephony', cb.transport], ['Transcriber', cb.stt], ['Model', cb.llm],
      ['Voice', cb.tts], ['Total', cb.total ?? call.cost]].map(([n, v]) =>
      h('tr', null, h('th', { scope: 'row' }, n), h('td.num', null, usd(v))))),
    cb.ttsCharacters !== undefined ? h('p.muted', null, `${cb.ttsCharacters} characters spoken by the agent`) : null);

  // tool calls
  const calls = [];
  const results = new Map();
  for (const m of call.messages || []) {
    if (m.role === 'tool_calls') for (const tc of m.toolCalls || []) calls.push(tc);
    if (m.role === 'tool_call_result') results.set(m.toolCallId, m.result);
  }
  const toolSection = h('section', { 'aria-labelledby': 'tools-h' }, h('h2', { id: 'tools-h' }, 'Tool calls'),
    calls.length ? table(['Tool', 'Arguments', 'Result'], calls.map((tc) => h('tr', null,
      h('td', null, (tc.function && tc.function.name) || tc.name || '—'),
      h('td', null, h('code', null, pretty(tc.function ? tc.function.arguments : tc.arguments))),
      h('td', null, h('code', null, results.has(tc.id) ? pretty(results.get(tc.id)) : '—')))))
      : h('p.empty', null, 'No tool calls.'));

  view.append(recSection, latSection, costSection, toolSection, h('p', null, h('a', { href: '#/calls' }, '← Call history')));
  return () => audio.pause();
}
