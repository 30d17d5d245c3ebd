/* tests/fakes/fake_twilio_rest: a stand-in for Twilio's REST API on loopback,
 * for tests. Answers POST /2010-04-01/Accounts/{AccountSid}/Calls.json (201
 * with a new CA sid, "queued") and Calls/{sid}.json (200, the sid), checks
 * HTTP Basic auth against --account/--token (401 with Twilio's error JSON
 * otherwise), and writes every request it saw as one JSON line to --log.
 * --refuse S: a Calls.json request whose form body contains S (e.g.
 * "To=%2B15550009999") is refused as Twilio refuses a bad number (400, code
 * 21211), for tests of how callers report Twilio's errors.
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
    char prefix[128];
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
