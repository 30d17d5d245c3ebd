// web/js/format.js: how numbers, times and phone numbers read on the pages.
// Caller numbers are masked everywhere (only the last 4 digits show).

export function maskNumber(n) {
  if (!n) return '—';
  const s = String(n);
  if (s.includes('*') || s.includes('•')) return s; // already masked by the server
  if (s.length <= 4) return s;
  return s.slice(0, s.startsWith('+') ? 2 : 0) + '•'.repeat(Math.max(0, s.length - 6)) + s.slice(-4);
}

export function duration(ms) {
  if (!(ms >= 0)) return '—';
  const t = Math.floor(ms / 1000);
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
  const two = (x) => String(x).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return isNaN(d) ? '—' : d.toLocaleString();
}

export function ms(v) {
  return v === null || v === undefined || isNaN(v) ? '—' : `${Math.round(v)} ms`;
}

export function usd(v) {
  return typeof v === 'number' ? `$${v.toFixed(4)}` : '—';
}

// seconds between two ISO times (or to now when the end is missing)
export function spanMs(startIso, endIso) {
  const a = Date.parse(startIso);
  if (isNaN(a)) return NaN;
  const b = endIso ? Date.parse(endIso) : Date.now();
  return isNaN(b) ? NaN : b - a;
}
