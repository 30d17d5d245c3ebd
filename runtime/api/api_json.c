/* api/api_json: Vapi's error JSON. See api_json.h. */
#include "api/api_json.h"

#include <cjson/cJSON.h>
#include <string.h>

const char *hk_api_status_reason(int status) {
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
    }
}

char *hk_api_error_body(int status, const char *message, size_t *len) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "message", message ? message : hk_api_status_reason(status));
    cJSON_AddStringToObject(o, "error", hk_api_status_reason(status));
    cJSON_AddNumberToObject(o, "statusCode", status);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s && len) *len = strlen(s);
    return s;
}
