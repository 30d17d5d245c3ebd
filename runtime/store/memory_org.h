/* store/memory_org: the tenants' org settings in the memory store (store.h,
 * org_get / org_patch). memory.c owns the store and hands the list out
 * through hk_store_memory_orgs(); an org is made on first use (the memory
 * store knows every tenant: it has no tenants table). */
#ifndef HK_STORE_MEMORY_ORG_H
#define HK_STORE_MEMORY_ORG_H

#include "store/store.h"

typedef struct hk_mem_org hk_mem_org;

/* memory.c: the head of the store's org list. */
hk_mem_org **hk_store_memory_orgs(hk_store *s);
void hk_mem_orgs_free(hk_mem_org *head);

void hk_mem_org_get(hk_store *s, const char *tenant_id, hk_store_read_cb cb, void *ud);
void hk_mem_org_patch(hk_store *s, const char *tenant_id, const struct cJSON *patch,
                      hk_store_read_cb cb, void *ud);

#endif
