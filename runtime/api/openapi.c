/* api/openapi: the OpenAPI 3.1 document of the REST API. See openapi.h.
 * Paths come from the route table, never from a list kept here, so a route
 * added to routes.c is in the document at once (with a generic open schema
 * until a row of resources[] below names its objects). The component
 * schemas are Vapi's objects as hark serves them: the fields hark reads or
 * writes are named, everything else passes through (additionalProperties). */
#include "api/openapi.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Vapi's objects as hark serves them (components.schemas). */
static const char schemas_json[] =
    "{"
    "\"Error\":{\"type\":\"object\",\"required\":[\"message\",\"statusCode\"],\"properties\":{"
    "\"message\":{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"array\",\"items\":{\"type\":\"string\"}}]},"
    "\"error\":{\"type\":\"string\"},\"statusCode\":{\"type\":\"integer\"}},\"additionalProperties\":true},"
    "\"Stamp\":{\"type\":\"object\",\"properties\":{"
    "\"id\":{\"type\":\"string\",\"format\":\"uuid\",\"readOnly\":true},"
    "\"orgId\":{\"type\":\"string\",\"format\":\"uuid\",\"readOnly\":true},"
    "\"createdAt\":{\"type\":\"string\",\"format\":\"date-time\",\"readOnly\":true},"
    "\"updatedAt\":{\"type\":\"string\",\"format\":\"date-time\",\"readOnly\":true}}},"
    "\"Assistant\":{\"type\":\"object\",\"additionalProperties\":true,"
    "\"description\":\"An assistant; it runs as an agent (lua/hark/assistant.lua maps it). File agents are "
    "listed read-only, metadata.hark.source = file.\",\"allOf\":[{\"$ref\":\"#/components/schemas/Stamp\"}],"
    "\"properties\":{\"name\":{\"type\":\"string\"},\"firstMessage\":{\"type\":\"string\"},"
    "\"firstMessageMode\":{\"enum\":[\"assistant-speaks-first\",\"assistant-waits-for-user\","
    "\"assistant-speaks-first-with-model-generated-message\"]},"
    "\"model\":{\"type\":\"object\",\"additionalProperties\":true,\"properties\":{\"provider\":{\"type\":\"string\"},"
    "\"model\":{\"type\":\"string\"},\"temperature\":{\"type\":\"number\"},\"maxTokens\":{\"type\":\"integer\"},"
    "\"messages\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"role\":{\"type\":\"string\"},"
    "\"content\":{\"type\":\"string\"}},\"additionalProperties\":true}},"
    "\"tools\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/Tool\"}}}},"
    "\"voice\":{\"type\":\"object\",\"additionalProperties\":true,\"properties\":{\"provider\":{\"type\":\"string\"},"
    "\"voiceId\":{\"type\":\"string\"}}},"
    "\"transcriber\":{\"type\":\"object\",\"additionalProperties\":true,\"properties\":{\"provider\":{\"type\":\"string\"},"
    "\"model\":{\"type\":\"string\"},\"language\":{\"type\":\"string\"},\"keywords\":{\"type\":\"array\","
    "\"items\":{\"type\":\"string\"}}}},"
    "\"server\":{\"$ref\":\"#/components/schemas/Server\"},\"serverUrl\":{\"type\":\"string\"},"
    "\"serverUrlSecret\":{\"type\":\"string\",\"writeOnly\":true},"
    "\"serverMessages\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"endCallPhrases\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"endCallMessage\":{\"type\":\"string\"},"
    "\"maxDurationSeconds\":{\"type\":\"number\"},\"metadata\":{\"type\":\"object\",\"additionalProperties\":true}}},"
    "\"Server\":{\"type\":\"object\",\"additionalProperties\":true,\"properties\":{\"url\":{\"type\":\"string\"},"
    "\"secret\":{\"type\":\"string\",\"writeOnly\":true},\"timeoutSeconds\":{\"type\":\"number\"},"
    "\"headers\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}}},"
    "\"Tool\":{\"type\":\"object\",\"additionalProperties\":true,\"required\":[\"type\"],"
    "\"allOf\":[{\"$ref\":\"#/components/schemas/Stamp\"}],\"properties\":{"
    "\"type\":{\"type\":\"string\",\"examples\":[\"function\",\"endCall\",\"transferCall\"]},"
    "\"function\":{\"type\":\"object\",\"additionalProperties\":true,\"properties\":{"
    "\"name\":{\"type\":\"string\",\"pattern\":\"^[a-zA-Z0-9_-]{1,64}$\"},\"description\":{\"type\":\"string\"},"
    "\"parameters\":{\"type\":\"object\",\"additionalProperties\":true}}},"
    "\"server\":{\"$ref\":\"#/components/schemas/Server\"},"
    "\"destinations\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"additionalProperties\":true}}}},"
    "\"PhoneNumber\":{\"type\":\"object\",\"additionalProperties\":true,\"required\":[\"number\",\"twilioAccountSid\"],"
    "\"allOf\":[{\"$ref\":\"#/components/schemas/Stamp\"}],\"properties\":{"
    "\"provider\":{\"enum\":[\"twilio\"]},\"number\":{\"type\":\"string\",\"pattern\":\"^\\\\+[1-9][0-9]{1,14}$\"},"
    "\"twilioAccountSid\":{\"type\":\"string\"},"
    "\"twilioAuthToken\":{\"type\":\"string\",\"writeOnly\":true,\"description\":\"accepted, never stored\"},"
    "\"name\":{\"type\":[\"string\",\"null\"],\"maxLength\":40},"
    "\"assistantId\":{\"type\":[\"string\",\"null\"]},\"status\":{\"type\":\"string\"},"
    "\"server\":{\"$ref\":\"#/components/schemas/Server\"}}},"
    "\"PhoneNumberPage\":{\"type\":\"object\",\"properties\":{"
    "\"results\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/PhoneNumber\"}},"
    "\"metadata\":{\"type\":\"object\",\"properties\":{\"itemsPerPage\":{\"type\":\"integer\"},"
    "\"totalItems\":{\"type\":\"integer\"},\"currentPage\":{\"type\":\"integer\"},\"totalPages\":{\"type\":\"integer\"}}}}},"
    "\"Call\":{\"type\":\"object\",\"additionalProperties\":true,"
    "\"allOf\":[{\"$ref\":\"#/components/schemas/Stamp\"}],\"properties\":{"
    "\"type\":{\"enum\":[\"inboundPhoneCall\",\"outboundPhoneCall\",\"webCall\"]},"
    "\"status\":{\"enum\":[\"scheduled\",\"queued\",\"ringing\",\"in-progress\",\"forwarding\",\"ended\"]},"
    "\"name\":{\"type\":\"string\"},\"assistantId\":{\"type\":\"string\"},\"phoneNumberId\":{\"type\":\"string\"},"
    "\"customer\":{\"type\":\"object\",\"additionalProperties\":true,\"properties\":{\"number\":{\"type\":\"string\"}}},"
    "\"phoneNumber\":{\"type\":\"object\",\"additionalProperties\":true},"
    "\"phoneCallProviderId\":{\"type\":\"string\"},\"startedAt\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "\"endedAt\":{\"type\":\"string\",\"format\":\"date-time\"},\"endedReason\":{\"type\":\"string\"},"
    "\"transcript\":{\"type\":\"string\"},\"recordingUrl\":{\"type\":\"string\"},"
    "\"messages\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"additionalProperties\":true}},"
    "\"artifact\":{\"type\":\"object\",\"additionalProperties\":true},"
    "\"analysis\":{\"type\":\"object\",\"additionalProperties\":true},"
    "\"cost\":{\"type\":\"number\"},\"costBreakdown\":{\"type\":\"object\",\"additionalProperties\":true}}},"
    "\"CallCreate\":{\"type\":\"object\",\"additionalProperties\":true,\"required\":[\"customer\",\"phoneNumberId\"],"
    "\"properties\":{\"assistantId\":{\"type\":\"string\",\"format\":\"uuid\"},"
    "\"assistant\":{\"$ref\":\"#/components/schemas/Assistant\"},"
    "\"phoneNumberId\":{\"type\":\"string\",\"format\":\"uuid\"},\"name\":{\"type\":\"string\",\"maxLength\":40},"
    "\"customer\":{\"type\":\"object\",\"required\":[\"number\"],\"additionalProperties\":true,"
    "\"properties\":{\"number\":{\"type\":\"string\",\"pattern\":\"^\\\\+[1-9][0-9]{1,14}$\"}}}}},"
    "\"CallUpdate\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}},"
    "\"Org\":{\"type\":\"object\",\"additionalProperties\":true,\"description\":\"The caller's tenant; "
    "server is where server messages go when neither the assistant nor the number names one (its secret is "
    "never served)\",\"properties\":{\"id\":{\"type\":\"string\",\"format\":\"uuid\",\"readOnly\":true},"
    "\"name\":{\"type\":\"string\"},\"server\":{\"type\":[\"object\",\"null\"],\"additionalProperties\":true,"
    "\"properties\":{\"url\":{\"type\":\"string\"},\"secret\":{\"type\":\"string\",\"writeOnly\":true},"
    "\"timeoutSeconds\":{\"type\":\"number\"},\"headers\":{\"type\":\"object\",\"additionalProperties\":"
    "{\"type\":\"string\"}}}},\"serverUrl\":{\"type\":[\"string\",\"null\"],\"writeOnly\":true},"
    "\"serverUrlSecret\":{\"type\":\"string\",\"writeOnly\":true},"
    "\"createdAt\":{\"type\":\"string\",\"format\":\"date-time\",\"readOnly\":true},"
    "\"updatedAt\":{\"type\":\"string\",\"format\":\"date-time\",\"readOnly\":true}}},"
    "\"Object\":{\"type\":\"object\",\"additionalProperties\":true}"
    "}";

/* What a path serves: the object, whether lists are Vapi's bare arrays with
 * the usual filters, and the bodies of writes. */
typedef struct resource {
    const char *prefix;    /* the pattern, or its start before "/{id}" */
    const char *schema;    /* objects answered */
    const char *create;    /* POST body (NULL: the schema) */
    const char *update;    /* PATCH body (NULL: the schema) */
    int vapi_list;         /* GET on prefix: a bare array, limit + date bounds */
    const char *tag;
} resource;

static const resource resources[] = {
    {"/assistant", "Assistant", NULL, NULL, 1, "Assistants"},
    {"/tool", "Tool", NULL, NULL, 1, "Tools"},
    {"/phone-number", "PhoneNumber", NULL, NULL, 1, "Phone Numbers"},
    {"/v2/phone-number", "PhoneNumberPage", NULL, NULL, 0, "Phone Numbers"},
    {"/call", "Call", "CallCreate", "CallUpdate", 1, "Calls"},
    {"/org", "Org", NULL, NULL, 0, "Orgs"},
    {NULL, "Object", NULL, NULL, 0, "hark"},
};

static const resource *resource_of(const char *pattern) {
    for (const resource *r = resources; r->prefix; r++) {
        size_t n = strlen(r->prefix);
        if (!strncmp(pattern, r->prefix, n) && (pattern[n] == 0 || !strcmp(pattern + n, "/{id}")))
            return r;
    }
    return &resources[sizeof resources / sizeof resources[0] - 1];
}

static cJSON *ref(const char *schema) {
    char s[96];
    snprintf(s, sizeof s, "#/components/schemas/%s", schema);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "$ref", s);
    return o;
}

static cJSON *json_content(cJSON *schema) {
    cJSON *c = cJSON_CreateObject();
    cJSON *m = cJSON_AddObjectToObject(c, "application/json");
    cJSON_AddItemToObject(m, "schema", schema);
    return c;
}

static void add_response(cJSON *responses, const char *code, const char *desc, cJSON *schema) {
    cJSON *r = cJSON_AddObjectToObject(responses, code);
    cJSON_AddStringToObject(r, "description", desc);
    if (schema) cJSON_AddItemToObject(r, "content", json_content(schema));
}

static void add_param(cJSON *params, const char *name, const char *in, int required, const char *type,
                      const char *format) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", name);
    cJSON_AddStringToObject(p, "in", in);
    cJSON_AddBoolToObject(p, "required", required);
    cJSON *s = cJSON_AddObjectToObject(p, "schema");
    cJSON_AddStringToObject(s, "type", type);
    if (format) cJSON_AddStringToObject(s, "format", format);
    cJSON_AddItemToArray(params, p);
}

static const char *bounds[] = {"createdAtGt", "createdAtLt", "createdAtGe", "createdAtLe",
                               "updatedAtGt", "updatedAtLt", "updatedAtGe", "updatedAtLe"};

/* "PATCH" "/assistant/{id}" -> "patch_assistant_id" */
static void operation_id(const char *method, const char *pattern, char *out, size_t cap) {
    size_t o = 0;
    for (const char *p = method; *p && o + 1 < cap; p++) out[o++] = (char)tolower((unsigned char)*p);
    for (const char *p = pattern; *p && o + 1 < cap; p++) {
        char ch = *p;
        if (isalnum((unsigned char)ch)) out[o++] = ch;
        else if (o && out[o - 1] != '_' && o + 1 < cap) out[o++] = '_';
    }
    while (o && out[o - 1] == '_') o--;
    out[o] = 0;
}

static cJSON *operation(const hk_api_route *row) {
    const resource *res = resource_of(row->pattern);
    int item = strstr(row->pattern, "{") != NULL;
    int post = !strcmp(row->method, "POST"), get = !strcmp(row->method, "GET");
    int write = post || !strcmp(row->method, "PATCH") || !strcmp(row->method, "PUT");
    cJSON *op = cJSON_CreateObject();
    char id[160], summary[200];
    operation_id(row->method, row->pattern, id, sizeof id);
    snprintf(summary, sizeof summary, "%s %s", row->method, row->pattern);
    cJSON_AddStringToObject(op, "operationId", id);
    cJSON_AddStringToObject(op, "summary", summary);
    cJSON *tags = cJSON_AddArrayToObject(op, "tags");
    cJSON_AddItemToArray(tags, cJSON_CreateString(res->tag));
    if (row->flags & HK_API_PUBLIC) cJSON_AddArrayToObject(op, "security"); /* [] : no credential */

    cJSON *params = cJSON_CreateArray();
    for (const char *p = strchr(row->pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end) break;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
        add_param(params, name, "path", 1, "string", NULL);
    }
    int list = get && !item && res->vapi_list;
    if (list) {
        add_param(params, "limit", "query", 0, "integer", NULL);
        for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++)
            add_param(params, bounds[i], "query", 0, "string", "date-time");
        if (!strcmp(res->schema, "Call")) {
            add_param(params, "id", "query", 0, "string", NULL);
            add_param(params, "assistantId", "query", 0, "string", NULL);
            add_param(params, "phoneNumberId", "query", 0, "string", NULL);
        }
    } else if (get && !strcmp(res->schema, "PhoneNumberPage")) {
        add_param(params, "page", "query", 0, "integer", NULL);
        add_param(params, "limit", "query", 0, "integer", NULL);
        add_param(params, "search", "query", 0, "string", NULL);
        add_param(params, "sortOrder", "query", 0, "string", NULL);
        add_param(params, "sortBy", "query", 0, "string", NULL);
    }
    if (cJSON_GetArraySize(params)) cJSON_AddItemToObject(op, "parameters", params);
    else cJSON_Delete(params);

    if (write) {
        const char *body = post ? res->create : res->update;
        cJSON *rb = cJSON_AddObjectToObject(op, "requestBody");
        cJSON_AddBoolToObject(rb, "required", 1);
        cJSON_AddItemToObject(rb, "content", json_content(ref(body ? body : res->schema)));
    }
    cJSON *responses = cJSON_AddObjectToObject(op, "responses");
    cJSON *answer = ref(res->schema);
    if (list) {
        cJSON *arr = cJSON_CreateObject();
        cJSON_AddStringToObject(arr, "type", "array");
        cJSON_AddItemToObject(arr, "items", answer);
        answer = arr;
    }
    if (post && res->prefix) add_response(responses, "201", "created", answer);
    else add_response(responses, "200", !strcmp(row->method, "DELETE") ? "deleted (the object)" : "ok", answer);
    add_response(responses, "400", "invalid (the message names the field)", ref("Error"));
    if (!(row->flags & HK_API_PUBLIC)) add_response(responses, "401", "no or bad credential", ref("Error"));
    if (item) add_response(responses, "404", "no such object for this tenant", ref("Error"));
    return op;
}

/* a host name or address with an optional port, nothing else */
static int host_ok(const char *h) {
    size_t n = h ? strlen(h) : 0;
    if (n == 0 || n > 255) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)h[i]) && !strchr(".-:[]_", h[i])) return 0;
    return 1;
}

cJSON *hk_openapi_document(const hk_api_route *table, const char *host) {
    cJSON *schemas = cJSON_Parse(schemas_json);
    if (!schemas) return NULL;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "openapi", "3.1.0");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "hark");
    cJSON_AddStringToObject(info, "version", "0.1.0");
    cJSON_AddStringToObject(info, "description",
                            "hark's Vapi-compatible REST API: the routes this server serves. Errors are "
                            "Vapi's {message, error, statusCode}; lists are bare arrays, newest first.");
    cJSON *servers = cJSON_AddArrayToObject(doc, "servers");
    if (host_ok(host)) {
        cJSON *s = cJSON_CreateObject();
        char url[300];
        snprintf(url, sizeof url, "http://%s", host);
        cJSON_AddStringToObject(s, "url", url);
        cJSON_AddStringToObject(s, "description", "this server, as the request named it (Host)");
        cJSON_AddItemToArray(servers, s);
    }
    cJSON *rel = cJSON_CreateObject();
    cJSON_AddStringToObject(rel, "url", "/");
    cJSON_AddStringToObject(rel, "description", "where this document was fetched from (e.g. behind a TLS proxy)");
    cJSON_AddItemToArray(servers, rel);
    cJSON *sec = cJSON_AddArrayToObject(doc, "security");
    cJSON *req = cJSON_CreateObject();
    cJSON_AddArrayToObject(req, "bearer");
    cJSON_AddItemToArray(sec, req);

    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    for (const hk_api_route *row = table; row->method; row++) {
        cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, row->pattern);
        if (!item) item = cJSON_AddObjectToObject(paths, row->pattern);
        char m[16];
        size_t i = 0;
        for (; row->method[i] && i + 1 < sizeof m; i++) m[i] = (char)tolower((unsigned char)row->method[i]);
        m[i] = 0;
        cJSON_AddItemToObject(item, m, operation(row));
    }
    cJSON *comp = cJSON_AddObjectToObject(doc, "components");
    cJSON *schemes = cJSON_AddObjectToObject(comp, "securitySchemes");
    cJSON *bearer = cJSON_AddObjectToObject(schemes, "bearer");
    cJSON_AddStringToObject(bearer, "type", "http");
    cJSON_AddStringToObject(bearer, "scheme", "bearer");
    cJSON_AddStringToObject(bearer, "description", "a private API key (hark key create) or a dashboard session JWT");
    cJSON_AddItemToObject(comp, "schemas", schemas);
    return doc;
}

void hk_api_openapi(hk_api_req *r) {
    cJSON *doc = hk_openapi_document(hk_api_routes, r->host);
    if (!doc) hk_api_reply_error(r, 500, "the OpenAPI document could not be built");
    else hk_api_reply_json(r, 200, doc);
}
