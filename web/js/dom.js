// web/js/dom.js: builds DOM nodes from data. Text goes in as text nodes only
// (never innerHTML), so transcripts, names and numbers from the server cannot
// inject markup; no style attributes (the CSP forbids them): classes only.

// h('tag.class1.class2', {attr: value, onclick: fn}, ...children)
export function h(spec, attrs, ...kids) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
      else if (k === 'value') el.value = v;
      else if (k === 'checked') el.checked = !!v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const k of kids) {
    if (k === undefined || k === null || k === false) continue;
    if (Array.isArray(k)) append(el, k);
    else el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let seq = 0;
// a labelled form control: label + input (or select/textarea) + an inline
// error slot the page fills from the API's validation message
export function field(label, control, hint) {
  if (!control.id) control.id = 'f' + (++seq);
  const err = h('p.error', { id: control.id + '-err', 'aria-live': 'polite' });
  control.setAttribute('aria-describedby', err.id);
  return h('div.field', null, h('label', { for: control.id }, label), control,
           hint ? h('p.hint', null, hint) : null, err);
}

export function setError(control, msg) {
  const err = document.getElementById(control.id + '-err');
  if (err) err.textContent = msg || '';
  if (msg) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

export function table(headers, rows, caption) {
  return h('table.grid', null, caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows));
}

// a short message in the polite live region at the page's foot; it goes
// away after a while, so it never describes a page the user has left
let sayTimer = null;
export function say(text) {
  const s = document.getElementById('status');
  if (!s) return;
  s.textContent = text;
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => { s.textContent = ''; }, 8000);
}
