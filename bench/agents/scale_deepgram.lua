-- bench/agents/scale_deepgram: the agent of bench/scale.sh and bench/soak.sh
-- (deepgram transcriber). It speaks one long fixed greeting (about a minute of
-- espeak at 175 words a minute, played from the TTS cache after the first
-- call) and never hangs up: the load generator ends each call.
return {
  name = "scale deepgram",
  phone_number = "+15550902",
  first_message = "Hello, and thank you for calling the hark load test line. This greeting is long on purpose: every caller hears it from the first frame to the last, so the benchmark can count each frame the agent sends and the time between frames. It was synthesised once for this agent and voice, and every later call plays it from the shared cache. While it plays, the agent listens to the caller, who stays silent, and the transcriber hears nothing but the quiet line. The numbers that matter are how regularly these frames leave the server, how much of this audio reaches each caller, and how much memory and processor time one more call costs. If you are still listening, thank you for your patience; the test is nearly over, and this sentence only exists to make the greeting last a little longer than the measurement window of the benchmark. Goodbye for now, and thank you once again for calling.",
  system_prompt = "A load test line.",
  voice = { provider = "espeak", voice_id = "en-us", rate_wpm = 175 },
  model = { provider = "script" },
  transcriber = { provider = "deepgram" },
  on_user_turn = function(call, text)
    return "Still here."
  end,
}
