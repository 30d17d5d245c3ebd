/* api/app: what a serving worker holds (its loop and clock, the Lua VM, the
 * configuration, the agents directory, the outbound HTTP client, live calls)
 * and the derived public URLs Twilio is given. One per worker process. */
#ifndef HK_APP_H
#define HK_APP_H

#include <ev.h>

#include "agent/agent_dir.h"
#include "core/app.h"
#include "agent/vm.h"
#include "core/clock.h"
#include "core/config.h"
#include "net/http_client.h"
#include "store/store.h"

/* the struct: core/app.h (telephony/ uses it without api/) */

/* Fill the derived URLs and, unless already set, the stream secret from cfg. -1 with err set when
 * TWILIO_WEBHOOK_URL is not an http(s) URL. */
int hk_app_init_urls(hk_app *app, char *err, size_t errlen);

#endif
