/* api/recording: GET /call/{id}/recording, the call's WAV (stereo: caller
 * left, agent right) when it was saved to a local file (HARK_RECORDINGS_DIR;
 * the record's recording_url is file://...), with Range support so the
 * browser's audio element can seek (206 + Content-Range). Tenant-scoped
 * through the store read like GET /call/{id}; the file is opened and read
 * on the pool, never on the loop. A recording only in S3 is not proxied
 * (404 here; its recordingUrl is the S3 URL). */
#ifndef HK_RECORDING_H
#define HK_RECORDING_H

#include <stddef.h>

#include "api/api.h"
#include "core/config.h"

#define HK_RECORDING_MAX_WHOLE (64L * 1024 * 1024) /* a 200 of the whole file at most */
#define HK_RECORDING_MAX_PART (4L * 1024 * 1024)   /* an open-ended range answers this much */

void hk_api_call_recording(hk_api_req *r);

/* A Range header against a file of size bytes: 0 none (whole file), 1 one
 * satisfiable range [*first, *last] (an open end is cut to
 * HK_RECORDING_MAX_PART), -1 unsatisfiable (416), -2 malformed or several
 * ranges (ignored: whole file, as RFC 9110 allows). */
int hk_recording_range(const char *range, long long size, long long *first, long long *last);

/* The URL the API shows for a recording: a local file:// becomes
 * <public base>/call/<id>/recording (the base from TWILIO_WEBHOOK_URL);
 * anything else is kept. out gets the result; 1 when rewritten. */
int hk_recording_public_url(const hk_config *cfg, const char *call_id, const char *rec_url, char *out,
                            size_t cap);

#endif
