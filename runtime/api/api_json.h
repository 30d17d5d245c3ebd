/* api/api_json: the JSON shapes every API answer shares: Vapi's error object
 * and the reason phrases it names. */
#ifndef HK_API_JSON_H
#define HK_API_JSON_H

#include <stddef.h>

/* {"message":...,"error":"Not Found","statusCode":404} as malloc'ed text
 * (*len its length); NULL when out of memory. */
char *hk_api_error_body(int status, const char *message, size_t *len);
/* "Not Found", "Unauthorized", ... ("Error" for codes it does not name). */
const char *hk_api_status_reason(int status);

#endif
