// web/js/transcript.js: a call's transcript as a list of lines, shared by the
// live transcript (events) and the call detail (stored messages). Caller
// interim words sit greyed in one line per turn until the final text replaces
// them; barge-ins and tool calls get their own marked lines.
import { h } from './dom.js';

export class TranscriptView {
  constructor() {
    this.el = h('ol.transcript', { 'aria-label': 'Transcript' });
    // role -> the line of words still being spoken, awaiting its final. One per
    // role: interim events carry no turn number (-1), and a caller has one
    // utterance in progress at a time
    this.interim = new Map();
  }

  line(role, text, cls) {
    const who = role === 'user' ? 'Caller' : role === 'assistant' || role === 'bot' ? 'Agent' : role;
    const li = h(`li.line.${role === 'bot' ? 'assistant' : role}${cls ? '.' + cls : ''}`, null,
      h('span.who', null, who), h('span.text', null, text));
    this.el.append(li);
    li.scrollIntoView({ block: 'nearest' });
    return li;
  }

  transcript(ev) {
    const key = ev.role;
    const pending = this.interim.get(key);
    if (!ev.final) {
      if (pending) pending.querySelector('.text').textContent = ev.text;
      else this.interim.set(key, this.line(ev.role, ev.text, 'interim'));
      return;
    }
    if (pending) {
      pending.querySelector('.text').textContent = ev.text;
      pending.classList.remove('interim');
      pending.classList.add('final');
      this.interim.delete(key);
    } else {
      this.line(ev.role, ev.text, 'final');
    }
  }

  interrupted() {
    this.el.append(h('li.line.barge', null, h('span.who', null, '⟂'), h('span.text', null, 'Caller interrupted the agent')));
  }

  toolCall(name, args) {
    this.el.append(h('li.line.tool', null, h('span.who', null, 'Tool'),
      h('span.text', null, `${name}(`, h('code', null, pretty(args)), ')')));
  }

  toolResult(name, result) {
    this.el.append(h('li.line.tool.result', null, h('span.who', null, 'Result'),
      h('span.text', null, `${name || 'tool'} → `, h('code', null, pretty(result)))));
  }
}

export function pretty(v) {
  if (typeof v === 'string') {
    try { return JSON.stringify(JSON.parse(v)); } catch { return v; }
  }
  try { return JSON.stringify(v); } catch { return String(v); }
}
