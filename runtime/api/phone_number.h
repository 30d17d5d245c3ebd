/* api/phone_number: the handlers of Vapi's /phone-number resource (routes.c's
 * table names them) and the pure parts they use, for tests. See
 * phone_number.c. */
#ifndef HK_API_PHONE_NUMBER_H
#define HK_API_PHONE_NUMBER_H

#include "api/api.h"

struct cJSON;

void hk_api_phone_number_create(hk_api_req *r); /* POST /phone-number */
void hk_api_phone_number_list(hk_api_req *r);   /* GET /phone-number */
void hk_api_phone_number_get(hk_api_req *r);    /* GET /phone-number/{id} */
void hk_api_phone_number_patch(hk_api_req *r);  /* PATCH /phone-number/{id} */
void hk_api_phone_number_delete(hk_api_req *r); /* DELETE /phone-number/{id} */
void hk_api_phone_number_page(hk_api_req *r);   /* GET /v2/phone-number */

/* Registers doc (taken: a /phone-number document without secrets) as POST
 * /phone-number does (defaults provider "twilio" and status "active",
 * checks, number not yet registered, the assistant exists, stored) and
 * answers 201 with it (api/twilio_numbers after a purchase). */
void hk_api_phone_number_register(hk_api_req *r, struct cJSON *doc);

/* Is number E.164 ("+" then 2..15 digits, the first not 0)? */
int hk_phone_number_e164(const char *number);
/* A phone number document as it would be stored (after a PATCH merge: the
 * whole merged object): 0, or -1 with why set (naming the field). */
int hk_phone_number_check(const struct cJSON *doc, char *why, size_t whylen);
/* A copy of body without the credentials hark does not store
 * (twilioAuthToken, twilioApiKey, twilioApiSecret). */
struct cJSON *hk_phone_number_strip(const struct cJSON *body);

/* GET /v2/phone-number's page of all (an array of documents, newest first;
 * not taken): filtered by search (case-insensitive substring of number or
 * name; NULL/"": all), sorted by sort_by ("createdAt", "updatedAt",
 * "number" or "name") in order (asc 1, desc 0), page (1-based) of per_page:
 * {results, metadata{itemsPerPage,totalItems,currentPage,totalPages}}. */
struct cJSON *hk_phone_number_paged(const struct cJSON *all, const char *search,
                                    const char *sort_by, int asc, int page, int per_page);

#endif
