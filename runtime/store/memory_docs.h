/* store/memory_docs: API resources in the memory store (store.h,
 * hk_store_doc_*). memory.c owns the store and hands its resource list out
 * through hk_store_memory_docs(); the operations live in memory_docs.c. */
#ifndef HK_STORE_MEMORY_DOCS_H
#define HK_STORE_MEMORY_DOCS_H

#include "store/store.h"

typedef struct hk_mem_doc hk_mem_doc;

/* memory.c: the head of the store's resource list (newest first). */
hk_mem_doc **hk_store_memory_docs(hk_store *s);
void hk_mem_docs_free(hk_mem_doc *head);

void hk_mem_doc_create(hk_store *s, int kind, const char *tenant_id, const struct cJSON *body,
                       hk_store_read_cb cb, void *ud);
void hk_mem_doc_get(hk_store *s, int kind, const char *tenant_id, const char *id,
                    hk_store_read_cb cb, void *ud);
void hk_mem_doc_list(hk_store *s, int kind, const char *tenant_id, const hk_store_doc_filter *f,
                     hk_store_read_cb cb, void *ud);
void hk_mem_doc_patch(hk_store *s, int kind, const char *tenant_id, const char *id,
                      const struct cJSON *patch, hk_store_read_cb cb, void *ud);
void hk_mem_doc_delete(hk_store *s, int kind, const char *tenant_id, const char *id,
                       hk_store_read_cb cb, void *ud);
/* store.h number_find: the phone-number document with this number, any tenant */
void hk_mem_number_find(hk_store *s, const char *number, hk_store_read_cb cb, void *ud);

#endif
