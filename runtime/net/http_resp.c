/* net/http_resp: see http_resp.h. */
#include "net/http_resp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hk_resp_text(hk_http_response *r, int status, const char *content_type, const char *body) {
    r->status = status;
    snprintf(r->content_type, sizeof r->content_type, "%s", content_type);
    r->body = strdup(body);
    r->len = strlen(body);
}
