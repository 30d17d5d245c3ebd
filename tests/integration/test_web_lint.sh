#!/usr/bin/env bash
# web/ keeps to what the dashboard's strict Content-Security-Policy and the
# house rules allow, checked on every file (the browser test sees only the
# pages it visits): no inline <script> or <style>, no style="" or on*=""
# attributes in HTML, no eval / new Function / string timers, no innerHTML or
# insertAdjacentHTML / document.write (server text goes in as text nodes), no
# element.style writes, no http(s):// URLs to other hosts (no CDN), every
# module imported relatively; each file starts with a comment saying what it
# owns and stays under 800 lines. No dependencies: grep and awk.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$ROOT/web
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$W/index.html" ] || fail "no web/index.html"

mapfile -t html < <(find "$W" -name '*.html' -not -path '*/vendor/*')
mapfile -t js < <(find "$W" -name '*.js' -not -path '*/vendor/*')
mapfile -t css < <(find "$W" -name '*.css' -not -path '*/vendor/*')
[ "${#js[@]}" -ge 5 ] || fail "expected the dashboard's modules under web/js, found ${#js[@]}"

hits() { # pattern files... -> matching lines (file:line:text) outside comment lines, or nothing
  local pat=$1; shift
  grep -nHE "$pat" "$@" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(//|/?\*|<!--)' || true
}
for f in "${html[@]}"; do
  out=$(hits '<script([^>]*)>[^<[:space:]]' "$f"); [ -z "$out" ] || fail "inline script: $out"
  out=$(grep -nHE '<script' "$f" | grep -v 'src=' || true); [ -z "$out" ] || fail "script without src: $out"
  out=$(hits '<style|[[:space:]]style=|[[:space:]]on[a-z]+=' "$f"); [ -z "$out" ] || fail "inline style or handler: $out"
done
out=$(hits '\beval\(|new Function\(|set(Timeout|Interval)\([[:space:]]*["'"'"'`]' "${js[@]}"); [ -z "$out" ] || fail "code from strings: $out"
out=$(hits 'innerHTML|outerHTML[[:space:]]*=|insertAdjacentHTML|document\.write' "${js[@]}"); [ -z "$out" ] || fail "HTML from strings: $out"
out=$(hits '\.style\.|setAttribute\([[:space:]]*["'"'"']style' "${js[@]}"); [ -z "$out" ] || fail "inline style from script: $out"
out=$(hits "https?://" "${html[@]}" "${js[@]}" "${css[@]}" | grep -v 'http://www.w3.org/2000/svg' || true)
[ -z "$out" ] || fail "a URL to another host (no CDN): $out"
out=$(hits "^import .* from ['\"][^./]" "${js[@]}"); [ -z "$out" ] || fail "bare module import (no build step resolves it): $out"
for f in "${html[@]}" "${js[@]}" "${css[@]}"; do
  first=$(grep -m1 -v '^[[:space:]]*$' "$f" | grep -v '^<!doctype' || true)
  [ -n "$first" ] || first=$(grep -m2 -v '^[[:space:]]*$' "$f" | tail -1)
  [[ "$first" =~ ^[[:space:]]*(//|/\*|\<!--) ]] || fail "$f does not start with a comment saying what it owns"
  n=$(wc -l <"$f"); [ "$n" -le 800 ] || fail "$f has $n lines (keep files under 800)"
done
echo "ok: web/ lint (${#html[@]} html, ${#js[@]} js, ${#css[@]} css)"
