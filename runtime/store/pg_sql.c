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
    "latency::text AS latency, cost_total::float8 AS cost_total"

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
        "last_seq = $14::bigint WHERE tenant_id = $1::uuid AND call_sid = $2 "
        "AND last_seq < $14::bigint"},
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
};

int hk_pg_sql_find(const char *name) {
    for (int i = 0; i < HK_SQL_COUNT; i++)
        if (strcmp(hk_pg_sql_table[i].name, name) == 0) return i;
    return -1;
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
