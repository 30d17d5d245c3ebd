/* tests/fuzz/fuzz_api_json: libFuzzer target for what the REST API does with
 * a JSON body before anything is stored. The input is the body of a POST or
 * PATCH (copied to an exact-size heap block so ASan sees any read past it),
 * parsed as hk_api_body_object does; an object then goes through
 *   - /assistant: hk_agent_load_json (lua/hark/assistant.lua mapping it onto
 *     the agent table, then the checks every agent passes), and back out
 *     with hk_agent_to_assistant_json when it loads;
 *   - /tool: hk_tool_check; /phone-number: hk_phone_number_strip, then
 *     hk_phone_number_check; POST /call: hk_call_create_check;
 *   - the store's hk_store_doc_body (no store-owned key survives);
 *   - PATCH: hk_store_doc_merge of the body into a valid stored document of
 *     each kind (every key of the patch then holds the patch's last value for
 *     it, every other key is untouched), and the merged whole through the
 *     same checks, as the handlers do.
 * Invariants: no crash or sanitizer report; a refusal always says why (a
 * non-empty message that fits its buffer); no credential survives the strip;
 * what the call check accepts fits the handler's fixed buffers. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/vm.h"
#include "api/call.h"
#include "api/phone_number.h"
#include "api/tool.h"
#include "store/store.h"

static hk_vm *vm;

static const char *base_assistant =
    "{\"id\":\"6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab\",\"orgId\":\"00000000-0000-4000-8000-000000000001\","
    "\"createdAt\":\"2026-12-05T20:41:00.123Z\",\"updatedAt\":\"2026-12-05T20:41:00.123Z\","
    "\"name\":\"Bakery\",\"firstMessage\":\"Hello.\",\"model\":{\"provider\":\"openai\",\"model\":"
    "\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"}]},"
    "\"voice\":{\"provider\":\"11labs\",\"voiceId\":\"v1\"},\"metadata\":{\"team\":\"north\"}}";
static const char *base_tool =
    "{\"id\":\"6f1c2d3e-4a5b-4c6d-8e7f-0123456789ac\",\"type\":\"function\",\"function\":{\"name\":"
    "\"check_stock\",\"description\":\"Loaves left\",\"parameters\":{\"type\":\"object\","
    "\"properties\":{}}},\"server\":{\"url\":\"https://tools.example/hook\"}}";
static const char *base_number =
    "{\"id\":\"6f1c2d3e-4a5b-4c6d-8e7f-0123456789ad\",\"provider\":\"twilio\",\"number\":\"+15550142\","
    "\"twilioAccountSid\":\"AC77777777777777777777777777777777\",\"name\":\"Shop line\","
    "\"assistantId\":\"6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab\",\"status\":\"active\"}";

static const char *secrets[] = {"twilioAuthToken", "twilioApiKey", "twilioApiSecret"};
static const char *owned[] = {"id", "orgId", "createdAt", "updatedAt"};

/* any item of o named k (cJSON_GetObjectItem only finds the first) */
static int has_key(const cJSON *o, const char *k) {
    const cJSON *it;
    cJSON_ArrayForEach(it, o) {
        if (it->string && !strcmp(it->string, k)) return 1;
    }
    return 0;
}

/* the last item of o named k */
static const cJSON *last_item(const cJSON *o, const char *k) {
    const cJSON *it, *found = NULL;
    cJSON_ArrayForEach(it, o) {
        if (it->string && !strcmp(it->string, k)) found = it;
    }
    return found;
}

static void check_assistant(const cJSON *doc) {
    char *text = cJSON_PrintUnformatted(doc);
    if (!text) return; /* out of memory: the handler answers 500 */
    char err[1024] = "";
    hk_agent *a = hk_agent_load_json(vm, "fuzz", text, 1, err, sizeof err);
    free(text);
    if (!a) {
        if (!err[0] || !memchr(err, 0, sizeof err)) abort();
        return;
    }
    cJSON *back = hk_agent_to_assistant_json(a);
    if (!cJSON_IsObject(back)) abort();
    char *out = cJSON_PrintUnformatted(back);
    free(out);
    cJSON_Delete(back);
    hk_agent_unref(a);
}

static void check_tool(const cJSON *doc) {
    char why[96] = "";
    const char *bad = hk_tool_check(doc, why, sizeof why);
    if (bad && (!bad[0] || strnlen(bad, 512) >= 512)) abort();
}

static void check_number(const cJSON *body) {
    cJSON *doc = hk_phone_number_strip(body);
    if (!doc) return;
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (has_key(doc, secrets[i])) abort(); /* a credential would be stored and echoed */
    char why[256] = "";
    if (hk_phone_number_check(doc, why, sizeof why) != 0) {
        if (!why[0]) abort();
    } else {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "number");
        if (!cJSON_IsString(n) || !hk_phone_number_e164(n->valuestring) || strlen(n->valuestring) > 16)
            abort();
    }
    cJSON_Delete(doc);
}

static void check_call(const cJSON *body) {
    const char *bad = hk_call_create_check(body);
    if (bad) {
        if (!bad[0]) abort();
        return;
    }
    /* what parse_body then copies into its fixed buffers */
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "customer"), "number");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(body, "phoneNumberId");
    const cJSON *aid = cJSON_GetObjectItemCaseSensitive(body, "assistantId");
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(body, "assistant");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    if (!cJSON_IsString(num) || strlen(num->valuestring) > 16) abort();
    if (!cJSON_IsString(pid) || !hk_store_is_uuid(pid->valuestring)) abort();
    if (!!aid == !!as) abort();
    if (aid && (!cJSON_IsString(aid) || !hk_store_is_uuid(aid->valuestring))) abort();
    if (as && !cJSON_IsObject(as)) abort();
    if (name && (!cJSON_IsString(name) || strlen(name->valuestring) > 40)) abort();
    if (as) check_assistant(as); /* a transient assistant is checked like a stored one */
}

/* a and b print the same (cJSON_Compare is no judge of objects that repeat a
 * key: it looks each one up by name and finds the first) */
static int same(const cJSON *a, const cJSON *b) {
    if (!a || !b) return a == b;
    char *x = cJSON_PrintUnformatted(a), *y = cJSON_PrintUnformatted(b);
    int eq = x && y && !strcmp(x, y);
    if (!x || !y) eq = 1; /* out of memory: no verdict */
    free(x);
    free(y);
    return eq;
}

/* PATCH: the body merged into a stored document of each kind */
static cJSON *merged(const char *base, const cJSON *patch) {
    cJSON *into = cJSON_Parse(base);
    if (!into) abort();
    cJSON *orig = cJSON_Duplicate(into, 1);
    if (hk_store_doc_merge(into, patch) != 0) {
        cJSON_Delete(orig);
        cJSON_Delete(into);
        return NULL;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, patch) {
        const cJSON *want = last_item(patch, it->string);
        if (!same(cJSON_GetObjectItemCaseSensitive(into, it->string), want)) abort();
    }
    cJSON_ArrayForEach(it, orig) {
        if (has_key(patch, it->string)) continue;
        if (!same(cJSON_GetObjectItemCaseSensitive(into, it->string), it)) abort();
    }
    cJSON_Delete(orig);
    return into;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!vm) {
        char err[256];
        vm = hk_vm_new(NULL, err, sizeof err);
        if (!vm) {
            fprintf(stderr, "fuzz_api_json: %s\n", err);
            abort();
        }
    }
    if (size > 65536) return 0; /* the VM's CPU budget, not the parser, would decide */
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    cJSON *body = size ? cJSON_ParseWithLength(text, size) : NULL;
    free(text);
    if (!cJSON_IsObject(body)) { /* the handlers answer 400 */
        cJSON_Delete(body);
        return 0;
    }

    cJSON *stored = hk_store_doc_body(body);
    if (!stored) abort();
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        if (has_key(stored, owned[i])) abort(); /* the store's keys are the store's */
    cJSON_Delete(stored);

    check_assistant(body);
    check_tool(body);
    check_number(body);
    check_call(body);

    cJSON *m = merged(base_assistant, body);
    if (m) check_assistant(m);
    cJSON_Delete(m);
    m = merged(base_tool, body);
    if (m) check_tool(m);
    cJSON_Delete(m);
    cJSON *patch = hk_phone_number_strip(body);
    m = patch ? merged(base_number, patch) : NULL;
    if (m) check_number(m);
    cJSON_Delete(m);
    cJSON_Delete(patch);

    cJSON_Delete(body);
    return 0;
}
