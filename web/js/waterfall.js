// web/js/waterfall.js: the per-turn latency waterfall of a call, as SVG: for
// each turn (metadata.hark.turns), the stages from the caller's end of speech
// to the first audio frame sent: end of speech -> final transcript -> LLM
// first token -> first clause -> TTS first audio -> first frame out. Stages
// hark did not record are left out of the row, never invented.
import { h } from './dom.js';
import { ms } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
export const STAGES = [
  ['sttFinalMs', 'final transcript', 'stt'],
  ['llmFirstTokenMs', 'LLM first token', 'llm'],
  ['firstClauseMs', 'first clause', 'clause'],
  ['ttsFirstAudioMs', 'TTS first audio', 'tts'],
  ['firstFrameMs', 'first frame out', 'frame'],
];

function s(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function waterfall(turns) {
  const wrap = h('figure.waterfall', { 'aria-labelledby': 'wf-cap' },
    h('figcaption', { id: 'wf-cap' }, 'Latency per turn, from the caller’s end of speech'));
  if (!turns || !turns.length) { wrap.append(h('p.empty', null, 'No turns with latency marks.')); return wrap; }
  const spans = turns.map((t) => {
    const end = STAGES.reduce((m, [k]) => (typeof t[k] === 'number' && typeof t.userEndMs === 'number' ? Math.max(m, t[k] - t.userEndMs) : m), 0);
    return end;
  });
  const max = Math.max(100, ...spans);
  const W = 900, LABEL = 70, ROW = 28, scale = (W - LABEL - 90) / max;
  const svg = s('svg', { viewBox: `0 0 ${W} ${turns.length * ROW + 24}`, class: 'wf', role: 'img',
    'aria-label': `Latency waterfall, ${turns.length} turns` });
  turns.forEach((t, i) => {
    const g = s('g', { class: 'turn', transform: `translate(0 ${i * ROW})` });
    g.append(s('text', { x: 0, y: 18, class: 'wf-label' }, `Turn ${i + 1}`));
    let prev = 0;
    const titles = [];
    if (typeof t.userEndMs === 'number') {
      for (const [k, name, cls] of STAGES) {
        if (typeof t[k] !== 'number') continue;
        const at = Math.max(prev, t[k] - t.userEndMs);
        const rect = s('rect', { x: LABEL + prev * scale, y: 6, width: Math.max(1, (at - prev) * scale), height: 16,
          class: `seg seg-${cls}` });
        rect.append(s('title', {}, `${name}: +${Math.round(at)} ms (stage ${Math.round(at - prev)} ms)`));
        g.append(rect);
        titles.push(`${name} +${Math.round(at)} ms`);
        prev = at;
      }
    }
    const total = typeof t.userEndToFirstFrameMs === 'number' ? t.userEndToFirstFrameMs : prev || null;
    g.append(s('text', { x: LABEL + prev * scale + 6, y: 18, class: 'wf-total' }, ms(total)));
    g.append(s('title', {}, `Turn ${i + 1}: ${titles.join(', ') || 'no marks'}`));
    svg.append(g);
  });
  // axis
  const axisY = turns.length * ROW + 4;
  svg.append(s('line', { x1: LABEL, y1: axisY, x2: W - 90, y2: axisY, class: 'axis' }));
  for (const f of [0, 0.5, 1]) {
    svg.append(s('text', { x: LABEL + f * max * scale, y: axisY + 16, class: 'wf-tick' }, `${Math.round(f * max)} ms`));
  }
  wrap.append(svg, legend(), rowsTable(turns));
  return wrap;
}

function legend() {
  return h('ul.legend', { 'aria-label': 'Stages' },
    STAGES.map(([, name, cls]) => h('li', null, h(`span.swatch.seg-${cls}`, { 'aria-hidden': 'true' }), name)));
}

// the same numbers as a table, for screen readers and copying
function rowsTable(turns) {
  const rel = (t, k) => (typeof t[k] === 'number' && typeof t.userEndMs === 'number' ? ms(t[k] - t.userEndMs) : '—');
  return h('details', null, h('summary', null, 'Numbers'),
    h('table.grid', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Turn'), STAGES.map(([, n]) => h('th', { scope: 'col' }, n)))),
      h('tbody', null, turns.map((t, i) => h('tr', null, h('td', null, i + 1), STAGES.map(([k]) => h('td.num', null, rel(t, k))))))));
}
