/* api/doc_resource: the frame every Vapi document resource shares
 * (/assistant, /tool, /phone-number: JSON documents in the store,
 * hk_store_doc_*). A resource names its store kind, its texts and the check
 * of a write; the frame does the rest the same way for all: no store is a
 * 503 naming the resource, a store error a 503, a missing or foreign id the
 * resource's 404, and a PATCH reads the stored document, merges the patch
 * into it (a null value is kept as null: it clears the field), has the
 * merged whole checked, then writes the patch (the store merges it again,
 * atomically, and sets updatedAt). See doc_resource.c. */
#ifndef HK_API_DOC_RESOURCE_H
#define HK_API_DOC_RESOURCE_H

#include "api/api.h"

struct cJSON;
typedef struct hk_doc_resource hk_doc_resource;

struct hk_doc_resource {
    int kind;              /* HK_DOC_* */
    const char *no_store;  /* the 503 text when there is no store */
    const char *not_found; /* the 404 text */
    const char *duplicate; /* the 400 text when the store refuses a write as a unique
                            * clash; NULL: a 503 like any store error */
    /* The copy of a POST or PATCH body to keep (e.g. without credentials;
     * not taken). NULL: the body as given. */
    struct cJSON *(*prepare)(const struct cJSON *body);
    /* Fills a new document's defaults (create only, after the store check).
     * NULL: none. */
    void (*defaults)(struct cJSON *doc);
    /* A write's check: doc is the whole document as it will be (the body on
     * create; the stored one with the patch merged on PATCH), write what goes
     * to the store (the body or the patch). Both taken, never the same
     * object. Answers the refusal (400 naming the field, 503), or passes
     * write on to hk_doc_resource_write, now or from a store callback. */
    void (*check)(hk_api_req *r, const hk_doc_resource *res, struct cJSON *doc,
                  struct cJSON *write, int create);
    /* Adds to a list the store answered (taken back by the frame, which
     * replies with it). NULL: the stored documents only. */
    void (*listed)(hk_api_req *r, struct cJSON *list);
};

/* The handlers: POST, GET list, GET {id}, PATCH {id}, DELETE {id}. */
void hk_doc_resource_create(hk_api_req *r, const hk_doc_resource *res);
void hk_doc_resource_list(hk_api_req *r, const hk_doc_resource *res);
void hk_doc_resource_get(hk_api_req *r, const hk_doc_resource *res);
void hk_doc_resource_patch(hk_api_req *r, const hk_doc_resource *res);
void hk_doc_resource_delete(hk_api_req *r, const hk_doc_resource *res);

/* POST with the body already read and prepared (doc taken): store check,
 * defaults, check, write; answers 201 with the stored document. */
void hk_doc_resource_create_doc(hk_api_req *r, const hk_doc_resource *res, struct cJSON *doc);

/* A checked write (taken) to the store: created (201) or the patch of
 * r->params[0] (200). */
void hk_doc_resource_write(hk_api_req *r, const hk_doc_resource *res, struct cJSON *write,
                           int create);

/* 1 with a store; 0 after answering res->no_store's 503. */
int hk_doc_resource_have_store(hk_api_req *r, const hk_doc_resource *res);
/* The 503 of a store error. */
void hk_doc_resource_unavailable(hk_api_req *r);
/* A store's answer: result (taken) with status, res->not_found's 404 when
 * none, a 503 (or res->duplicate's 400) on err. */
void hk_doc_resource_answer(hk_api_req *r, const hk_doc_resource *res, int status,
                            struct cJSON *result, const char *err);

#endif
