# bench/turn_latency.awk: per-turn latency stages from `hark call --transcript`
# JSON files (call_latency.sh, deepgram_latency.sh). -v hangover=MS adds the
# row "of which decoding after the MS ms hangover" (the offline recogniser).
/"user_end_ms"/   { gsub(/[^0-9]/, "", $2); ue = $2 }
/"stt_final_ms"/  { gsub(/[^0-9]/, "", $2); sf = $2 }
/"reply_ready_ms"/{ gsub(/[^0-9]/, "", $2); rr = $2 }
/"first_audio_ms"/{ gsub(/[^0-9]/, "", $2); fa = $2;
                    n++; stt[n] = sf - ue; dec[n] = sf - ue - hangover; logic[n] = rr - sf; tts[n] = fa - rr; tot[n] = fa - ue }
function stats(name, a,   i, j, t, s) {
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
  for (i = 1; i <= n; i++) s += a[i]
  printf "%-44s mean %6.1f  p50 %5d  max %5d ms\n", name, s / n, a[int((n + 1) / 2)], a[n]
}
END {
  printf "turns measured: %d\n", n
  stats("caller stopped -> final transcript", stt)
  if (hangover) stats("  of which decoding after the " hangover " ms hangover", dec)
  stats("final transcript -> reply text (Lua)", logic)
  stats("reply text -> first frame sent (TTS+pacer)", tts)
  stats("caller stopped -> first agent audio", tot)
}
