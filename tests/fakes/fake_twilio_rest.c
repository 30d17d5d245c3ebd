/* tests/fakes/fake_twilio_rest: a stand-in for Twilio's REST API on loopback,
 * for tests. Answers POST /2010-04-01/Accounts/{AccountSid}/Calls.json (201
 * with a new CA sid, "queued") and Calls/{sid}.json (200, the sid), checks
 * HTTP Basic auth against --account/--token (401 with Twilio's error JSON
 * otherwise), and writes every request it saw as one JSON line to --log.
 * --refuse S: a Calls.json request whose form body contains S (e.g.
 * "To=%2B15550009999") is refused as Twilio refuses a bad number (400, code
 * 21211), for tests of how callers report Twilio's errors.
 * Numbers: GET AvailablePhoneNumbers/{Country}/Local.json (US and CA; others
 * 404) lists five local numbers +1<AreaCode, default 415>555010<0-4>, narrowed
 * by Contains (digits; * matches any digit), minus those bought, in Twilio's
 * shape (available_phone_numbers[] with phone_number, friendly_name,
 * locality, region, postal_code, iso_country, capabilities); POST
 * IncomingPhoneNumbers.json buys one of those (201, Twilio's
 * IncomingPhoneNumber resource with a PN sid, voice_url and status_callback
 * from the form) or refuses any other number (400, code 21422).
 * usage: fake_twilio_rest --port N --account AC... --token T --log F [--refuse S]
 * (--port 0 picks a port; the port is printed on stdout). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_server.h"

static const char *g_account, *g_token, *g_refuse;
static FILE *g_log;
static int g_calls;
static char g_bought[64][16];
static void reply(hk_http_response *r, int status, cJSON *j);
static int g_nbought;

/* A form or query value, percent-decoded, of name (first only); "" when absent. */
static void param(const char *q, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name), o = 0;
    out[0] = 0;
    for (const char *p = q; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            for (size_t i = nl + 1; i < len && o + 1 < cap; i++) {
                char c = p[i];
                if (c == '+') c = ' ';
                else if (c == '%' && i + 2 < len) {
                    char h[3] = {p[i + 1], p[i + 2], 0};
                    c = (char)strtol(h, NULL, 16);
                    i += 2;
                }
                out[o++] = c;
            }
            out[o] = 0;
            return;
        }
        p = amp ? amp + 1 : NULL;
    }
}

static int bought(const char *num) {
    for (int i = 0; i < g_nbought; i++)
        if (strcmp(g_bought[i], num) == 0) return 1;
    return 0;
}

/* Contains: digits where * is any digit, matched anywhere in the number */
static int contains(const char *num, const char *pat) {
    size_t pl = strlen(pat), nl = strlen(num);
    if (!pl) return 1;
    for (size_t i = 0; i + pl <= nl; i++) {
        size_t k = 0;
        while (k < pl && (pat[k] == '*' || pat[k] == num[i + k])) k++;
        if (k == pl) return 1;
    }
    return 0;
}

/* the numbers for sale in area (3 digits) */
static void for_sale(const char *area, int i, char *out, size_t cap) {
    snprintf(out, cap, "+1%.3s555010%d", area, i);
}

static void available(hk_http_response *resp, const char *country, const char *query) {
    char area[8], pat[24], num[16];
    param(query, "AreaCode", area, sizeof area);
    param(query, "Contains", pat, sizeof pat);
    if (strlen(area) != 3) snprintf(area, sizeof area, "415");
    cJSON *j = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(j, "available_phone_numbers");
    for (int i = 0; i < 5; i++) {
        for_sale(area, i, num, sizeof num);
        if (bought(num) || !contains(num, pat)) continue;
        cJSON *n = cJSON_CreateObject();
        char friendly[32];
        snprintf(friendly, sizeof friendly, "(%.3s) 555-010%d", area, i);
        cJSON_AddStringToObject(n, "friendly_name", friendly);
        cJSON_AddStringToObject(n, "phone_number", num);
        cJSON_AddStringToObject(n, "lata", "722");
        cJSON_AddStringToObject(n, "locality", "Springfield");
        cJSON_AddStringToObject(n, "rate_center", "SPRINGFIELD");
        cJSON_AddStringToObject(n, "latitude", "37.780000");
        cJSON_AddStringToObject(n, "longitude", "-122.410000");
        cJSON_AddStringToObject(n, "region", "CA");
        cJSON_AddStringToObject(n, "postal_code", "94103");
        cJSON_AddStringToObject(n, "iso_country", country);
        cJSON_AddStringToObject(n, "address_requirements", "none");
        cJSON_AddBoolToObject(n, "beta", 0);
        cJSON *c = cJSON_AddObjectToObject(n, "capabilities");
        cJSON_AddBoolToObject(c, "voice", 1);
        cJSON_AddBoolToObject(c, "SMS", 1);
        cJSON_AddBoolToObject(c, "MMS", 0);
        cJSON_AddBoolToObject(c, "sms", 1);
        cJSON_AddBoolToObject(c, "mms", 0);
        cJSON_AddItemToArray(arr, n);
    }
    char uri[256];
    snprintf(uri, sizeof uri, "/2010-04-01/Accounts/%s/AvailablePhoneNumbers/%s/Local.json", g_account, country);
    cJSON_AddStringToObject(j, "uri", uri);
    reply(resp, 200, j);
}

static void buy(hk_http_response *resp, const char *form);

static void reply(hk_http_response *r, int status, cJSON *j) {
    r->status = status;
    snprintf(r->content_type, sizeof r->content_type, "application/json");
    r->body = cJSON_PrintUnformatted(j);
    r->len = strlen(r->body);
    cJSON_Delete(j);
}

static void error(hk_http_response *r, int status, int code, const char *msg) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "code", code);
    cJSON_AddStringToObject(j, "message", msg);
    cJSON_AddNumberToObject(j, "status", status);
    reply(r, status, j);
}

static void handle(void *ud, const hk_http_request *req, hk_http_response *resp) {
    (void)ud;
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "method", req->method);
    cJSON_AddStringToObject(l, "path", req->path);
    cJSON_AddStringToObject(l, "query", req->query);
    cJSON_AddStringToObject(l, "authorization", req->authorization);
    cJSON_AddStringToObject(l, "content_type", req->content_type);
    char *body = strndup(req->body, req->body_len);
    cJSON_AddStringToObject(l, "body", body);
    free(body);
    char *line = cJSON_PrintUnformatted(l);
    fprintf(g_log, "%s\n", line);
    fflush(g_log);
    free(line);
    cJSON_Delete(l);

    char userpwd[256], expect[400] = "Basic ";
    snprintf(userpwd, sizeof userpwd, "%s:%s", g_account, g_token);
    EVP_EncodeBlock((unsigned char *)expect + 6, (unsigned char *)userpwd, (int)strlen(userpwd));
    if (strcmp(req->authorization, expect) != 0)
        return error(resp, 401, 20003, "Authenticate");
    char prefix[128], country[8];
    snprintf(prefix, sizeof prefix, "/2010-04-01/Accounts/%s/", g_account);
    size_t an = strlen(prefix);
    if (strncmp(req->path, prefix, an) == 0) {
        const char *rest = req->path + an;
        if (strcmp(req->method, "GET") == 0 && sscanf(rest, "AvailablePhoneNumbers/%7[^/]/Local.json", country) == 1) {
            if (strcmp(country, "US") && strcmp(country, "CA"))
                return error(resp, 404, 20404, "The requested resource was not found");
            return available(resp, country, req->query);
        }
        if (strcmp(req->method, "POST") == 0 && strcmp(rest, "IncomingPhoneNumbers.json") == 0) {
            char *form = strndup(req->body, req->body_len);
            buy(resp, form);
            free(form);
            return;
        }
    }
    snprintf(prefix, sizeof prefix, "/2010-04-01/Accounts/%s/Calls", g_account);
    size_t n = strlen(prefix);
    if (strcmp(req->method, "POST") != 0 || strncmp(req->path, prefix, n) != 0)
        return error(resp, 404, 20404, "The requested resource was not found");
    cJSON *j = cJSON_CreateObject();
    if (strcmp(req->path + n, ".json") == 0) {
        if (g_refuse && strstr(req->body, g_refuse)) {
            cJSON_Delete(j);
            return error(resp, 400, 21211, "The 'To' number is not a valid phone number.");
        }
        char sid[40];
        snprintf(sid, sizeof sid, "CA%032d", ++g_calls);
        cJSON_AddStringToObject(j, "sid", sid);
        cJSON_AddStringToObject(j, "status", "queued");
        return reply(resp, 201, j);
    }
    if (req->path[n] == '/') {
        char sid[64];
        snprintf(sid, sizeof sid, "%.*s", (int)strcspn(req->path + n + 1, "."), req->path + n + 1);
        cJSON_AddStringToObject(j, "sid", sid);
        cJSON_AddStringToObject(j, "status", strstr(req->body, "Status=completed") ? "completed" : "in-progress");
        return reply(resp, 200, j);
    }
    cJSON_Delete(j);
    error(resp, 404, 20404, "The requested resource was not found");
}

static void buy(hk_http_response *resp, const char *form) {
    char num[32], voice[512], status_cb[512], name[64], sale[16];
    param(form, "PhoneNumber", num, sizeof num);
    param(form, "VoiceUrl", voice, sizeof voice);
    param(form, "StatusCallback", status_cb, sizeof status_cb);
    param(form, "FriendlyName", name, sizeof name);
    int ok = 0;
    if (strlen(num) == 12 && !bought(num)) {
        for_sale(num + 2, num[11] - '0', sale, sizeof sale);
        ok = num[11] >= '0' && num[11] <= '4' && strcmp(sale, num) == 0;
    }
    if (!ok || g_nbought >= 64)
        return error(resp, 400, 21422, "PhoneNumber requested is not available");
    snprintf(g_bought[g_nbought++], sizeof g_bought[0], "%.15s", num);
    cJSON *j = cJSON_CreateObject();
    char sid[40], uri[200];
    snprintf(sid, sizeof sid, "PN%032d", g_nbought);
    snprintf(uri, sizeof uri, "/2010-04-01/Accounts/%s/IncomingPhoneNumbers/%s.json", g_account, sid);
    cJSON_AddStringToObject(j, "account_sid", g_account);
    cJSON_AddStringToObject(j, "sid", sid);
    cJSON_AddStringToObject(j, "phone_number", num);
    cJSON_AddStringToObject(j, "friendly_name", name[0] ? name : num);
    cJSON_AddStringToObject(j, "voice_url", voice);
    cJSON_AddStringToObject(j, "voice_method", "POST");
    cJSON_AddStringToObject(j, "status_callback", status_cb);
    cJSON_AddStringToObject(j, "status_callback_method", "POST");
    cJSON_AddStringToObject(j, "status", "in-use");
    cJSON_AddStringToObject(j, "api_version", "2010-04-01");
    cJSON_AddStringToObject(j, "date_created", "Sat, 05 Dec 2026 23:00:00 +0000");
    cJSON_AddStringToObject(j, "uri", uri);
    cJSON *c = cJSON_AddObjectToObject(j, "capabilities");
    cJSON_AddBoolToObject(c, "voice", 1);
    cJSON_AddBoolToObject(c, "sms", 1);
    cJSON_AddBoolToObject(c, "mms", 0);
    reply(resp, 201, j);
}

static void on_term(struct ev_loop *loop, ev_signal *w, int revents) {
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv) {
    static struct option opts[] = {{"port", required_argument, 0, 'p'},
                                   {"account", required_argument, 0, 'a'},
                                   {"token", required_argument, 0, 't'},
                                   {"log", required_argument, 0, 'l'},
                                   {"refuse", required_argument, 0, 'r'},
                                   {0, 0, 0, 0}};
    int port = 0, o;
    const char *log = "/dev/stderr";
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'p') port = atoi(optarg);
        else if (o == 'a') g_account = optarg;
        else if (o == 't') g_token = optarg;
        else if (o == 'l') log = optarg;
        else if (o == 'r') g_refuse = optarg;
        else return 2;
    }
    if (!g_account || !g_token) {
        fprintf(stderr, "usage: fake_twilio_rest --account AC... --token T [--port N] [--log F]\n");
        return 2;
    }
    g_log = fopen(log, "a");
    struct ev_loop *loop = ev_default_loop(0);
    char err[256];
    hk_server_handlers h = {.http = handle};
    hk_server *s = hk_server_new(loop, port, 0, &h, err, sizeof err);
    if (!s || !g_log) {
        fprintf(stderr, "fake_twilio_rest: %s\n", s ? "cannot open log" : err);
        return 1;
    }
    printf("%d\n", hk_server_port(s));
    fflush(stdout);
    ev_signal st;
    ev_signal_init(&st, on_term, SIGTERM);
    ev_signal_start(loop, &st);
    ev_run(loop, 0);
    hk_server_free(s);
    fclose(g_log);
    return 0;
}
