/* store/org_server: the org's server (Vapi's Org.server, PATCH /org), the last
 * place a call's server messages go when neither its assistant nor its
 * phone number names one (api/webhooks.c, through hk_call_server_get; and
 * the assistant-request of a number without assistant or server,
 * telephony/twilio_webhook.c). Read from the store without
 * blocking and kept per tenant for HK_ORG_SERVER_TTL_S in this worker;
 * PATCH /org forgets the tenant's copy here (other workers see the change
 * within the TTL). The stored server was checked by PATCH /org (the
 * assistant's checks); here it is only read. */
#ifndef HK_STORE_ORG_SERVER_H
#define HK_STORE_ORG_SERVER_H

#include <stddef.h>

#include "store/store.h"

#define HK_ORG_SERVER_TTL_S 5.0

struct cJSON;

typedef struct hk_org_server {
    char *url, *secret;      /* secret NULL: none */
    char *headers[8];        /* "Name: value", sent verbatim */
    size_t n_headers;
    double timeout_s;        /* server.timeoutSeconds, default 20 */
    struct cJSON *json;      /* the server object as stored (secret included) */
} hk_org_server;

/* srv: the tenant's org server, valid during the call only; NULL when the
 * tenant has none or the store could not say. */
typedef void (*hk_org_server_cb)(void *ud, const hk_org_server *srv);

/* cb exactly once: now when this worker knows the answer (cached and
 * fresh), else when the store answers (NULL: no store, or one without
 * org settings, or a malformed tenant id). */
void hk_org_server_get(hk_store *s, const char *tenant, hk_org_server_cb cb, void *ud);
/* The server of a call whose assistant names none, in Vapi's order: the
 * server of the phone number the call came in on or went out from (the
 * API number's server, or legacy serverUrl; only when it is this tenant's
 * number), else the org's. number NULL or not E.164: the org's. Cached the
 * same way; cb exactly once. */
void hk_call_server_get(hk_store *s, const char *tenant, const char *number, hk_org_server_cb cb,
                        void *ud);
/* What hk_call_server_get would answer at once: 1 with *srv (NULL: none)
 * when this worker knows, 0 when it must ask the store. */
int hk_call_server_peek(const char *tenant, const char *number, const hk_org_server **srv);
/* The tenant's (or the number's) server changed (PATCH /org): read it
 * again next time. */
void hk_org_server_forget(const char *tenant_or_number);
/* Free every cached entry (waiters are answered NULL): tests, shutdown. */
void hk_org_server_clear(void);
/* The parse of a stored server object (NULL: not one with a url); free with
 * hk_org_server_free. For tests. */
hk_org_server *hk_org_server_parse(const struct cJSON *server);
void hk_org_server_free(hk_org_server *srv);

#endif
