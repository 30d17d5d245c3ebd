/* store/pg_sql: every statement the PostgreSQL store prepares, by name, and
 * the operation record they are bound into. Reads always filter on the tenant
 * ($1); writes carry the tenant too, so a call_sid of one tenant never updates
 * another's row. Optional filters are NULL parameters, not string building. */
#include <stdlib.h>
#include <string.h>

#include "store/pg_internal.h"

#define CALL_COLS                                                                                   \
    "call_sid, agent_id::text AS agent_id, from_number, to_number, inbound, status, "              \
    "extract(epoch FROM start_time)::float8 AS start_time, "                                       \
    "extract(epoch FROM end_time)::float8 AS end_time, duration_s, ended_reason, key_id, "         \
    "recording_url, recording_sid, language_detected, sentiment, tags::text AS tags, notes, "      \
    "latency::text AS latency, cost_total::float8 AS cost_total, llm_prompt_tokens, "             \
    "llm_completion_tokens"

/* an API resource row: the owned fields as the API spells them, and the document */
#define DOC_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define DOC_COLS                                                                                    \
    "id::text AS id, tenant_id::text AS org_id, " DOC_ISO("created_at") " AS created_at, "         \
    DOC_ISO("updated_at") " AS updated_at, config::text AS config"
/* $2..$9: createdAt >, <, >=, <=, updatedAt >, <, >=, <= (NULL: open) */
#define DOC_MS(col) "date_trunc('milliseconds', " col ")"
#define DOC_FILTERS                                                                                 \
    "AND ($2::timestamptz IS NULL OR " DOC_MS("created_at") " > $2::timestamptz) "                 \
    "AND ($3::timestamptz IS NULL OR " DOC_MS("created_at") " < $3::timestamptz) "                 \
    "AND ($4::timestamptz IS NULL OR " DOC_MS("created_at") " >= $4::timestamptz) "                \
    "AND ($5::timestamptz IS NULL OR " DOC_MS("created_at") " <= $5::timestamptz) "                \
    "AND ($6::timestamptz IS NULL OR " DOC_MS("updated_at") " > $6::timestamptz) "                 \
    "AND ($7::timestamptz IS NULL OR " DOC_MS("updated_at") " < $7::timestamptz) "                 \
    "AND ($8::timestamptz IS NULL OR " DOC_MS("updated_at") " >= $8::timestamptz) "                \
    "AND ($9::timestamptz IS NULL OR " DOC_MS("updated_at") " <= $9::timestamptz)"

/* Vapi's GET /call (pg_calls.c): $1 tenant, the call by its UUID ($2) or
 * its call_sid ($3), one of them NULL. $4..$7: the createdAt/updatedAt bounds
 * as half-open ranges in unix seconds [from, before), which pg_calls.c
 * derives from the eight Gt/Lt/Ge/Le bounds at millisecond precision, so the
 * comparisons stay on the bare columns and the index serves them. $8
 * assistantId, $9 phoneNumberId, $10 only calls not over, $11 limit; hark's
 * $12 endedReason, $13/$14 duration bounds (seconds, inclusive). */
#define CALL_RECORDS_SQL(extra)                                                                     \
    "SELECT id::text AS id, name, " CALL_COLS ", transcript, "                                     \
    "extract(epoch FROM created_at)::float8 AS created_at, "                                       \
    "extract(epoch FROM updated_at)::float8 AS updated_at FROM calls WHERE tenant_id = $1::uuid "  \
    "AND ($2::uuid IS NULL OR id = $2::uuid) AND ($3::text IS NULL OR call_sid = $3) "             \
    "AND ($4::float8 IS NULL OR created_at >= to_timestamp($4::float8)) "                         \
    "AND ($5::float8 IS NULL OR created_at < to_timestamp($5::float8)) "                          \
    "AND ($6::float8 IS NULL OR updated_at >= to_timestamp($6::float8)) "                         \
    "AND ($7::float8 IS NULL OR updated_at < to_timestamp($7::float8)) "                          \
    "AND ($8::uuid IS NULL OR agent_id = $8::uuid) "                                               \
    "AND ($9::uuid IS NULL OR EXISTS (SELECT 1 FROM phone_numbers p WHERE p.id = $9::uuid "        \
    "AND p.tenant_id = calls.tenant_id AND p.number = CASE WHEN calls.inbound THEN "               \
    "calls.to_number ELSE calls.from_number END)) "                                                \
    "AND (NOT $10::boolean OR status NOT IN ('ended', 'completed', 'busy', 'no-answer', "          \
    "'failed', 'canceled')) "                                                                      \
    "AND ($12::text IS NULL OR ended_reason = $12) "                                               \
    "AND ($13::float8 IS NULL OR duration_s >= $13::float8) "                                      \
    "AND ($14::float8 IS NULL OR duration_s <= $14::float8) " extra                                \
    /* qualified: the output's created_at and id are the epoch and the text */                     \
    "ORDER BY calls.created_at DESC, calls.id LIMIT $11::int"

const hk_pg_sql hk_pg_sql_table[HK_SQL_COUNT] = {
    [HK_SQL_CALL_CREATE] = {"hk_call_create",
        "INSERT INTO calls (call_sid, tenant_id, agent_id, from_number, to_number, inbound, status, "
        "start_time, last_seq) VALUES ($1, $2::uuid, $3::uuid, $4, $5, $6::boolean, $7, "
        "to_timestamp($8::float8), $9::bigint) ON CONFLICT (call_sid) DO NOTHING"},
    [HK_SQL_CALL_STATUS] = {"hk_call_status",
        "UPDATE calls SET status = $3, last_seq = $4::bigint "
        "WHERE tenant_id = $1::uuid AND call_sid = $2 AND last_seq < $4::bigint"},
    [HK_SQL_MSG_INSERT] = {"hk_msg_insert",
        "INSERT INTO call_messages (id, call_sid, tenant_id, seq, role, key_id, content, ts, "
        "is_partial, confidence, user_end_ms, stt_final_ms, llm_first_token_ms, "
        "tts_first_audio_ms, first_frame_ms, tool_calls, tool_results) VALUES ($1::uuid, $2, "
        "$3::uuid, $4::int, $5, $6::int, $7::bytea, to_timestamp($8::float8), $9::boolean, "
        "$10::real, $11::float8, $12::float8, $13::float8, $14::float8, $15::float8, $16::jsonb, "
        "$17::jsonb) ON CONFLICT DO NOTHING"},
    [HK_SQL_CALL_END] = {"hk_call_end",
        "UPDATE calls SET status = 'ended', end_time = to_timestamp($3::float8), "
        "duration_s = $4::float8, ended_reason = $5, key_id = $6::int, transcript = $7::bytea, "
        "recording_url = $8::bytea, recording_sid = $9, latency = $10::jsonb, "
        "language_detected = $11, sentiment = $12, cost_total = $13::numeric, "
        "last_seq = $14::bigint, "
        "llm_prompt_tokens = COALESCE($15::bigint, llm_prompt_tokens), "
        "llm_completion_tokens = COALESCE($16::bigint, llm_completion_tokens) "
        "WHERE tenant_id = $1::uuid AND call_sid = $2 AND last_seq < $14::bigint"},
    /* the recording was uploaded after the call: its URL, sealed under the
     * newest key like the call's other sealed columns */
    [HK_SQL_CALL_RECORDING] = {"hk_call_recording",
        "UPDATE calls SET recording_url = $3::bytea, key_id = $4::int, last_seq = $5::bigint "
        "WHERE tenant_id = $1::uuid AND call_sid = $2 AND last_seq < $5::bigint"},
    [HK_SQL_CALLS_LIST] = {"hk_calls_list",
        "SELECT " CALL_COLS " FROM calls WHERE tenant_id = $1::uuid "
        "AND ($2::uuid IS NULL OR agent_id = $2::uuid) "
        "AND ($3::text IS NULL OR from_number = $3 OR to_number = $3) "
        "AND ($4::float8 IS NULL OR start_time >= to_timestamp($4::float8)) "
        "AND ($5::float8 IS NULL OR start_time < to_timestamp($5::float8)) "
        "AND ($6::text IS NULL OR status = $6) "
        "ORDER BY start_time DESC, call_sid LIMIT $7::int OFFSET $8::int"},
    [HK_SQL_CALL_GET] = {"hk_call_get",
        "SELECT " CALL_COLS ", transcript FROM calls WHERE tenant_id = $1::uuid AND call_sid = $2"},
    [HK_SQL_MSGS_LIST] = {"hk_msgs_list",
        "SELECT id::text AS id, call_sid, seq, role, key_id, content, "
        "extract(epoch FROM ts)::float8 AS ts, is_partial, confidence::float8 AS confidence, "
        "user_end_ms, stt_final_ms, llm_first_token_ms, tts_first_audio_ms, first_frame_ms, "
        "tool_calls::text AS tool_calls, tool_results::text AS tool_results "
        "FROM call_messages WHERE tenant_id = $1::uuid AND call_sid = $2 ORDER BY seq"},
    [HK_SQL_AGENTS_LIST] = {"hk_agents_list",
        "SELECT id::text AS id, name, description, phone_number, twilio_application_sid, "
        "inbound_enabled, outbound_enabled, language, voice_id, voice_tone, status, script_path, "
        "script_version, knowledge_base_path, tools::text AS tools, config::text AS config "
        "FROM agents WHERE tenant_id = $1::uuid ORDER BY name"},
    [HK_SQL_NUMBERS_LIST] = {"hk_numbers_list",
        "SELECT id::text AS id, number, provider, provider_sid, agent_id::text AS agent_id, label "
        "FROM phone_numbers WHERE tenant_id = $1::uuid ORDER BY number"},
    /* api/auth (pg_auth.c): how a credential finds its tenant */
    [HK_SQL_API_KEY_FIND] = {"hk_api_key_find",
        "SELECT id::text AS id, tenant_id::text AS tenant_id, encode(key_hash, 'hex') AS key_hash, "
        "(revoked_at IS NOT NULL) AS revoked FROM api_keys WHERE key_prefix = $1"},
    [HK_SQL_USER_FIND] = {"hk_user_find",
        "SELECT id::text AS id, tenant_id::text AS tenant_id, password_hash FROM users "
        "WHERE email = lower($1)"},
    /* API assistants (pg_docs.c) live in agents (calls and numbers point
     * there); config is the document. Times are served, and filtered, at
     * millisecond precision; order uses the full one. */
    [HK_SQL_ASSISTANT_CREATE] = {"hk_assistant_create",
        "WITH t AS (SELECT clock_timestamp() AS now) INSERT INTO agents (tenant_id, name, config, "
        "created_at, updated_at) SELECT $1::uuid, coalesce($2::jsonb ->> 'name', ''), $2::jsonb, "
        "t.now, t.now FROM t RETURNING " DOC_COLS},
    [HK_SQL_ASSISTANT_GET] = {"hk_assistant_get",
        "SELECT " DOC_COLS " FROM agents WHERE tenant_id = $1::uuid AND id = $2::uuid "
        "AND deleted_at IS NULL"},
    [HK_SQL_ASSISTANT_LIST] = {"hk_assistant_list",
        "SELECT " DOC_COLS " FROM agents WHERE tenant_id = $1::uuid AND deleted_at IS NULL "
        DOC_FILTERS " ORDER BY created_at DESC, id LIMIT $10::int"},
    [HK_SQL_ASSISTANT_PATCH] = {"hk_assistant_patch",
        "UPDATE agents SET config = config || $3::jsonb, "
        "name = coalesce((config || $3::jsonb) ->> 'name', ''), version = version + 1, "
        "updated_at = greatest(clock_timestamp(), updated_at + interval '1 millisecond') "
        "WHERE tenant_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL RETURNING " DOC_COLS},
    [HK_SQL_ASSISTANT_DELETE] = {"hk_assistant_delete",
        "UPDATE agents SET deleted_at = clock_timestamp() WHERE tenant_id = $1::uuid "
        "AND id = $2::uuid AND deleted_at IS NULL RETURNING " DOC_COLS},
    /* API phone numbers (schema/005_phone_numbers_api.sql): config is the
     * document; number (unique among active numbers), provider and label
     * follow it. agent_id is not kept: the document's assistantId is. */
    [HK_SQL_NUMBER_CREATE] = {"hk_number_create",
        "WITH t AS (SELECT clock_timestamp() AS now) INSERT INTO phone_numbers (tenant_id, number, "
        "provider, label, config, created_at, updated_at) SELECT $1::uuid, $2::jsonb ->> 'number', "
        "coalesce($2::jsonb ->> 'provider', 'twilio'), coalesce($2::jsonb ->> 'name', ''), "
        "$2::jsonb, t.now, t.now FROM t RETURNING " DOC_COLS},
    [HK_SQL_NUMBER_GET] = {"hk_number_get",
        "SELECT " DOC_COLS " FROM phone_numbers WHERE tenant_id = $1::uuid AND id = $2::uuid "
        "AND deleted_at IS NULL"},
    [HK_SQL_NUMBER_LIST] = {"hk_number_list",
        "SELECT " DOC_COLS " FROM phone_numbers WHERE tenant_id = $1::uuid AND deleted_at IS NULL "
        DOC_FILTERS " ORDER BY created_at DESC, id LIMIT $10::int"},
    [HK_SQL_NUMBER_PATCH] = {"hk_number_patch",
        "UPDATE phone_numbers SET config = config || $3::jsonb, "
        "number = (config || $3::jsonb) ->> 'number', "
        "provider = coalesce((config || $3::jsonb) ->> 'provider', 'twilio'), "
        "label = coalesce((config || $3::jsonb) ->> 'name', ''), "
        "updated_at = greatest(clock_timestamp(), updated_at + interval '1 millisecond') "
        "WHERE tenant_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL RETURNING " DOC_COLS},
    [HK_SQL_NUMBER_DELETE] = {"hk_number_delete",
        "UPDATE phone_numbers SET deleted_at = clock_timestamp() WHERE tenant_id = $1::uuid "
        "AND id = $2::uuid AND deleted_at IS NULL RETURNING " DOC_COLS},
    /* not tenant-scoped: an incoming call's To number finds its tenant */
    [HK_SQL_NUMBER_FIND] = {"hk_number_find",
        "SELECT " DOC_COLS " FROM phone_numbers WHERE number = $1 AND deleted_at IS NULL"},
    /* API tools (schema/007_tools.sql): config is the document, type follows it */
    [HK_SQL_TOOL_CREATE] = {"hk_tool_create",
        "WITH t AS (SELECT clock_timestamp() AS now) INSERT INTO tools (tenant_id, type, config, "
        "created_at, updated_at) SELECT $1::uuid, coalesce($2::jsonb ->> 'type', ''), $2::jsonb, "
        "t.now, t.now FROM t RETURNING " DOC_COLS},
    [HK_SQL_TOOL_GET] = {"hk_tool_get",
        "SELECT " DOC_COLS " FROM tools WHERE tenant_id = $1::uuid AND id = $2::uuid "
        "AND deleted_at IS NULL"},
    [HK_SQL_TOOL_LIST] = {"hk_tool_list",
        "SELECT " DOC_COLS " FROM tools WHERE tenant_id = $1::uuid AND deleted_at IS NULL "
        DOC_FILTERS " ORDER BY created_at DESC, id LIMIT $10::int"},
    [HK_SQL_TOOL_PATCH] = {"hk_tool_patch",
        "UPDATE tools SET config = config || $3::jsonb, "
        "type = coalesce((config || $3::jsonb) ->> 'type', ''), "
        "updated_at = greatest(clock_timestamp(), updated_at + interval '1 millisecond') "
        "WHERE tenant_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL RETURNING " DOC_COLS},
    [HK_SQL_TOOL_DELETE] = {"hk_tool_delete",
        "UPDATE tools SET deleted_at = clock_timestamp() WHERE tenant_id = $1::uuid "
        "AND id = $2::uuid AND deleted_at IS NULL RETURNING " DOC_COLS},
    /* Vapi's /call (pg_calls.c, schema/006_calls_api.sql; CALL_RECORDS_SQL
     * above) */
    [HK_SQL_CALL_RECORDS] = {"hk_call_records", CALL_RECORDS_SQL("")},
    /* the same with every word of a search: $15 and $16 are the words'
     * hashes under the newest data key and the one before it (the same
     * array with one key), calls.words of a call holds them under the key
     * that sealed it (search_words.h). Its own statement: "words @> $15"
     * stays a condition the GIN index serves in every plan. */
    [HK_SQL_CALL_SEARCH] = {"hk_call_search",
        CALL_RECORDS_SQL("AND (calls.words @> $15::bigint[] OR calls.words @> $16::bigint[]) ")},
    /* the messages of the calls whose call_sids are in the JSON array $2
     * (= ANY of an array computed once: the (call_sid, seq) index serves it) */
    [HK_SQL_CALL_RECORD_MSGS] = {"hk_call_record_msgs",
        "SELECT id::text AS id, call_sid, seq, role, key_id, content, "
        "extract(epoch FROM ts)::float8 AS ts, is_partial, confidence::float8 AS confidence, "
        "user_end_ms, stt_final_ms, llm_first_token_ms, tts_first_audio_ms, first_frame_ms, "
        "tool_calls::text AS tool_calls, tool_results::text AS tool_results "
        "FROM call_messages WHERE tenant_id = $1::uuid "
        "AND call_sid = ANY (ARRAY(SELECT jsonb_array_elements_text($2::jsonb))) "
        "ORDER BY call_sid, seq"},
    [HK_SQL_CALL_RENAME] = {"hk_call_rename",
        "UPDATE calls SET name = $3, "
        "updated_at = greatest(clock_timestamp(), updated_at + interval '1 millisecond') "
        "WHERE tenant_id = $1::uuid AND id = $2::uuid RETURNING id::text AS id"},
    /* its messages go with it (call_messages' foreign key cascades) */
    [HK_SQL_CALL_DELETE] = {"hk_call_delete",
        "DELETE FROM calls WHERE tenant_id = $1::uuid AND id = $2::uuid RETURNING id::text AS id"},
    /* the blind index of an ended call's transcript (search_words.h): a
     * write of its own, after hk_call_end on the same connection */
    [HK_SQL_CALL_WORDS] = {"hk_call_words",
        "UPDATE calls SET words = $3::bigint[] WHERE tenant_id = $1::uuid AND call_sid = $2"},
    /* GET /api/v1/overview (pg_overview.c): rows (kind, key, n, p50, p95) of
     * the tenant's calls created in [$2, $3) and [$4, $5) (unix seconds):
     * range, today, errors, one per ended reason, one per agent, and the
     * voice-to-voice percentiles of each agent's turns (a message's first
     * frame out minus the end of the caller's speech, both measured) */
    [HK_SQL_OVERVIEW] = {"hk_overview",
        "WITH c AS (SELECT call_sid, agent_id, ended_reason FROM calls WHERE tenant_id = $1::uuid "
        "AND created_at >= to_timestamp($2::float8) AND created_at < to_timestamp($3::float8)) "
        "SELECT 'range' AS kind, NULL::text AS key, count(*)::float8 AS n, NULL::float8 AS p50, "
        "NULL::float8 AS p95 FROM c "
        "UNION ALL SELECT 'today', NULL, count(*)::float8, NULL, NULL FROM calls "
        "WHERE tenant_id = $1::uuid AND created_at >= to_timestamp($4::float8) "
        "AND created_at < to_timestamp($5::float8) "
        "UNION ALL SELECT 'errors', NULL, count(*)::float8, NULL, NULL FROM c "
        "WHERE ended_reason ILIKE '%error%' OR ended_reason ILIKE '%fail%' "
        "UNION ALL SELECT 'reason', ended_reason, count(*)::float8, NULL, NULL FROM c "
        "WHERE ended_reason IS NOT NULL GROUP BY ended_reason "
        "UNION ALL SELECT 'agent', agent_id::text, count(*)::float8, NULL, NULL FROM c "
        "GROUP BY agent_id "
        "UNION ALL SELECT 'latency', c.agent_id::text, count(*)::float8, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY m.first_frame_ms - m.user_end_ms), "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY m.first_frame_ms - m.user_end_ms) "
        "FROM c JOIN call_messages m ON m.call_sid = c.call_sid AND m.tenant_id = $1::uuid "
        "WHERE m.first_frame_ms IS NOT NULL AND m.user_end_ms IS NOT NULL "
        "AND m.first_frame_ms >= m.user_end_ms GROUP BY c.agent_id"},
    /* API keys (pg_api_keys.c): never the hash */
#define KEY_COLS                                                                                    \
    "id::text AS id, name, key_prefix AS prefix, extract(epoch FROM created_at)::float8 AS "       \
    "created_at, extract(epoch FROM revoked_at)::float8 AS revoked_at, "                           \
    "extract(epoch FROM last_used_at)::float8 AS last_used_at"
    [HK_SQL_API_KEYS_LIST] = {"hk_api_keys_list",
        "SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = $1::uuid ORDER BY created_at, id"},
    [HK_SQL_API_KEY_CREATE] = {"hk_api_key_create",
        "INSERT INTO api_keys (tenant_id, name, key_prefix, key_hash) VALUES ($1::uuid, $2, $3, "
        "decode($4, 'hex')) RETURNING " KEY_COLS},
    [HK_SQL_API_KEY_REVOKE] = {"hk_api_key_revoke",
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1::uuid "
        "AND id = $2::uuid RETURNING " KEY_COLS},
    [HK_SQL_API_KEY_USED] = {"hk_api_key_used",
        "UPDATE api_keys SET last_used_at = now() WHERE id = $1::uuid"},
    /* the tenant's org settings (pg_org.c, schema/010_org_server.sql):
     * "config" is the server (JSON null when none), so the read parses it */
#define ORG_COLS                                                                                    \
    "id::text AS id, name, coalesce(server, 'null'::jsonb)::text AS config, "                     \
    DOC_ISO("created_at") " AS created_at, " DOC_ISO("updated_at") " AS updated_at"
    [HK_SQL_ORG_GET] = {"hk_org_get", "SELECT " ORG_COLS " FROM tenants WHERE id = $1::uuid"},
    /* $2: {name?, server?}: a key present replaces its field (server null: none) */
    [HK_SQL_ORG_PATCH] = {"hk_org_patch",
        "UPDATE tenants SET "
        "name = CASE WHEN $2::jsonb ? 'name' THEN coalesce($2::jsonb ->> 'name', '') ELSE name END, "
        "server = CASE WHEN $2::jsonb ? 'server' THEN nullif($2::jsonb -> 'server', 'null'::jsonb) "
        "ELSE server END, "
        "updated_at = greatest(clock_timestamp(), updated_at + interval '1 millisecond') "
        "WHERE id = $1::uuid RETURNING " ORG_COLS},
};

int hk_pg_sql_find(const char *name) {
    for (int i = 0; i < HK_SQL_COUNT; i++)
        if (strcmp(hk_pg_sql_table[i].name, name) == 0) return i;
    return -1;
}

int hk_pg_sql_spooled(int stmt) {
    return stmt == HK_SQL_CALL_CREATE || stmt == HK_SQL_CALL_STATUS || stmt == HK_SQL_MSG_INSERT ||
           stmt == HK_SQL_CALL_END || stmt == HK_SQL_CALL_RECORDING || stmt == HK_SQL_CALL_WORDS;
}

hk_pg_op *hk_pg_op_new(int stmt, const char *key) {
    hk_pg_op *op = calloc(1, sizeof *op);
    if (!op) abort();
    op->stmt = stmt;
    if (key) {
        size_t n = strlen(key);
        if (n >= sizeof op->key) n = sizeof op->key - 1;
        memcpy(op->key, key, n);
    }
    return op;
}

void hk_pg_op_text(hk_pg_op *op, int i, const char *s) {
    free(op->vals[i]);
    op->vals[i] = s ? strdup(s) : NULL;
    op->lens[i] = 0;
    op->fmts[i] = 0;
    if (i >= op->nparams) op->nparams = i + 1;
}

void hk_pg_op_bin(hk_pg_op *op, int i, const uint8_t *b, int n) {
    free(op->vals[i]);
    op->vals[i] = malloc((size_t)n + 1);
    if (!op->vals[i]) abort();
    if (n) memcpy(op->vals[i], b, (size_t)n);
    op->lens[i] = n;
    op->fmts[i] = 1;
    if (i >= op->nparams) op->nparams = i + 1;
}

void hk_pg_op_free(hk_pg_op *op) {
    if (!op) return;
    for (int i = 0; i < op->nparams; i++) free(op->vals[i]);
    free(op);
}
