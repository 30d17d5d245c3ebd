/* api/doc_resource: the request flow of a Vapi document resource, once for
 * /assistant, /tool and /phone-number: the store check, the answers of the
 * store (object, 404, 503), list, get, delete, and the read-merge-check-write
 * of POST and PATCH. What differs between the resources (texts, the check
 * of a write, what a list adds) comes from their hk_doc_resource; nothing
 * here knows a resource's fields. Every store call is asynchronous: a
 * request's state waits in a small op freed by the store's callback. */
#include "api/doc_resource.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "store/store.h"

/* One store call on its way: whom to answer, how, and (PATCH) the patch. */
typedef struct doc_op {
    hk_api_req *r;
    const hk_doc_resource *res;
    cJSON *patch;
    int status;
} doc_op;

static doc_op *op_new(hk_api_req *r, const hk_doc_resource *res, int status, cJSON *patch) {
    doc_op *op = malloc(sizeof *op);
    if (!op) abort();
    *op = (doc_op){r, res, patch, status};
    return op;
}

int hk_doc_resource_have_store(hk_api_req *r, const hk_doc_resource *res) {
    if (r->app->store) return 1;
    hk_api_reply_error(r, 503, res->no_store);
    return 0;
}

void hk_doc_resource_unavailable(hk_api_req *r) {
    hk_api_reply_error(r, 503, "the store is unavailable; try again");
}

void hk_doc_resource_answer(hk_api_req *r, const hk_doc_resource *res, int status, cJSON *result,
                            const char *err) {
    if (err) {
        cJSON_Delete(result);
        if (res->duplicate && (strstr(err, "duplicate") || strstr(err, "unique")))
            hk_api_reply_invalid(r, res->duplicate);
        else
            hk_doc_resource_unavailable(r);
    } else if (!result) {
        hk_api_reply_error(r, 404, res->not_found);
    } else {
        hk_api_reply_json(r, status, result);
    }
}

static void op_done(void *ud, cJSON *result, const char *err) {
    doc_op *op = ud;
    hk_api_req *r = op->r;
    const hk_doc_resource *res = op->res;
    int status = op->status;
    free(op);
    hk_doc_resource_answer(r, res, status, result, err);
}

void hk_doc_resource_write(hk_api_req *r, const hk_doc_resource *res, cJSON *write, int create) {
    if (create)
        hk_store_doc_create(r->app->store, res->kind, r->tenant_id, write, op_done,
                            op_new(r, res, 201, NULL));
    else
        hk_store_doc_patch(r->app->store, res->kind, r->tenant_id, r->params[0], write, op_done,
                           op_new(r, res, 200, NULL));
    cJSON_Delete(write);
}

/* the body as the resource keeps it, or NULL after answering 400 */
static cJSON *body(hk_api_req *r, const hk_doc_resource *res) {
    cJSON *b = hk_api_body_object(r);
    if (!b || !res->prepare) return b;
    cJSON *kept = res->prepare(b);
    cJSON_Delete(b);
    if (!kept) abort();
    return kept;
}

void hk_doc_resource_create_doc(hk_api_req *r, const hk_doc_resource *res, cJSON *doc) {
    if (!hk_doc_resource_have_store(r, res)) {
        cJSON_Delete(doc);
        return;
    }
    if (res->defaults) res->defaults(doc);
    cJSON *copy = cJSON_Duplicate(doc, 1);
    if (!copy) abort();
    res->check(r, res, copy, doc, 1);
}

void hk_doc_resource_create(hk_api_req *r, const hk_doc_resource *res) {
    cJSON *doc = body(r, res);
    if (doc) hk_doc_resource_create_doc(r, res, doc);
}

static void listed(void *ud, cJSON *result, const char *err) {
    doc_op *op = ud;
    hk_api_req *r = op->r;
    const hk_doc_resource *res = op->res;
    free(op);
    if (err || !result) {
        cJSON_Delete(result);
        hk_doc_resource_unavailable(r);
        return;
    }
    if (res->listed) res->listed(r, result);
    hk_api_reply_json(r, 200, result);
}

void hk_doc_resource_list(hk_api_req *r, const hk_doc_resource *res) {
    if (!hk_doc_resource_have_store(r, res)) return;
    hk_store_doc_filter f = {0};
    if (hk_api_list_filter(r, &f) != 0) return;
    hk_store_doc_list(r->app->store, res->kind, r->tenant_id, &f, listed, op_new(r, res, 200, NULL));
}

void hk_doc_resource_get(hk_api_req *r, const hk_doc_resource *res) {
    if (!hk_doc_resource_have_store(r, res)) return;
    hk_store_doc_get(r->app->store, res->kind, r->tenant_id, r->params[0], op_done,
                     op_new(r, res, 200, NULL));
}

void hk_doc_resource_delete(hk_api_req *r, const hk_doc_resource *res) {
    if (!hk_doc_resource_have_store(r, res)) return;
    hk_store_doc_delete(r->app->store, res->kind, r->tenant_id, r->params[0], op_done,
                        op_new(r, res, 200, NULL));
}

/* PATCH, the stored document read: merged, then checked as a whole */
static void patch_read(void *ud, cJSON *cur, const char *err) {
    doc_op *op = ud;
    hk_api_req *r = op->r;
    const hk_doc_resource *res = op->res;
    cJSON *patch = op->patch;
    free(op);
    if (err || !cur) {
        cJSON_Delete(patch);
        hk_doc_resource_answer(r, res, 200, cur, err);
        return;
    }
    if (hk_store_doc_merge(cur, patch) != 0) abort();
    res->check(r, res, cur, patch, 0);
}

void hk_doc_resource_patch(hk_api_req *r, const hk_doc_resource *res) {
    cJSON *patch = body(r, res);
    if (!patch) return;
    if (!hk_doc_resource_have_store(r, res)) {
        cJSON_Delete(patch);
        return;
    }
    hk_store_doc_get(r->app->store, res->kind, r->tenant_id, r->params[0], patch_read,
                     op_new(r, res, 200, patch));
}
