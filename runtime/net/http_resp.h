/* net/http_resp: filling an hk_http_response (http_server.h) for handlers
 * in any layer (api/ routes, telephony/ webhooks). */
#ifndef HK_NET_HTTP_RESP_H
#define HK_NET_HTTP_RESP_H

#include "net/http_server.h"

/* status, content type and a copy of body (NUL-terminated text). */
void hk_resp_text(hk_http_response *r, int status, const char *content_type, const char *body);

#endif
