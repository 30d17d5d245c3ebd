/* api/org: Vapi's /org for the caller's tenant (GET /org, PATCH /org and
 * PATCH /org/{id}): its name and its server, the org-level fallback of
 * server messages (store/org_server.h). See org.c. */
#ifndef HK_API_ORG_H
#define HK_API_ORG_H

#include <stddef.h>

#include "api/api.h"

struct cJSON;
struct hk_vm;

void hk_api_org_get(hk_api_req *r);   /* GET /org */
void hk_api_org_patch(hk_api_req *r); /* PATCH /org, PATCH /org/{id} */

/* The store's patch for a PATCH /org body (Vapi's UpdateOrgDto): {name?,
 * server?} with server checked as an assistant's server is (through the
 * assistant mapping on vm), legacy serverUrl/serverUrlSecret turned into a
 * server, null clearing it. Other UpdateOrgDto fields are ignored. NULL with
 * why set (naming the field). For tests too. */
struct cJSON *hk_org_patch_of(struct hk_vm *vm, const struct cJSON *body, char *why, size_t whylen);
/* The org as served: the store's object without the server's secret. */
struct cJSON *hk_org_public(const struct cJSON *org);

#endif
