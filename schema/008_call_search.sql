-- schema/008_call_search: what the dashboard's call history and overview
-- need of calls (runtime/store/pg_calls.c, pg_overview.c).
--   words: the blind index of the call's transcript for GET /call?q=
--     (runtime/store/search_words.h): each distinct word as a keyed 63-bit
--     hash, written once when the call ends. Transcripts are sealed, so no
--     readable text index (tsvector, trigrams) can exist here; GIN serves
--     "words @> the query's hashes" at any number of calls.
--   calls_tenant_reason_idx: GET /call?endedReason= newest first, and the
--     overview's count per reason.
ALTER TABLE calls ADD COLUMN words bigint[];
CREATE INDEX calls_words_idx ON calls USING gin (words);
CREATE INDEX calls_tenant_reason_idx ON calls (tenant_id, ended_reason, created_at DESC);
