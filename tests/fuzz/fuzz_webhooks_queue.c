/* tests/fuzz/fuzz_webhooks_queue: libFuzzer target for the durable webhook
 * queue file as a start reads it (api/webhooks_queue: hk_whq_read_file) and
 * compacts it (hk_whq_write_file). The input is the queue file as it is
 * (the seeds are queue files); after each of its whole lines whose bytes
 * hash to 0 mod 3 a line built from those bytes is inserted: an add of a
 * fresh id ("fz<n>-<hash>"; URL, headers, timeout in or out of 0..300 s,
 * maybe a signing secret, a body of any bytes) or a done of an earlier one.
 * Asserted:
 *  - every message given back can be sent as it is: an id of 1..127 bytes
 *    given once, an http(s) URL without control characters, at most
 *    HK_WHQ_MAX_HEADERS headers without line breaks or the delivery id, a
 *    timeout in 0..300 s, a string body, a non-empty secret or none;
 *  - each add built here whose id appears nowhere in the input comes back
 *    exactly once with its fields (the timeout 20 when out of range) unless
 *    a done of it was built after it, and those come back in the order they
 *    were written;
 *  - the bad-line count is at most the number of lines;
 *  - the compacted file reads back the same, with no bad line, and leaves
 *    no <path>.tmp behind.
 * The file lives in a private temporary directory (removed at exit). */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/webhooks_queue.h"
#include "core/json_arena.h"
#include "fuzz_input.h"

#define MAX_GEN 256

static char dir[64], path[128], tmp_path[160];

static void cleanup(void)
{
    unlink(tmp_path);
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    hk_json_arena_install();
    snprintf(dir, sizeof dir, "/tmp/hark-fuzz-whq-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/webhooks.jsonl", dir);
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp", path);
    atexit(cleanup);
    return 0;
}


static void printable(in *s, char *out, size_t max)
{
    size_t n = byte(s) % max;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)(' ' + 1 + byte(s) % 94);
    out[n] = 0;
}

typedef struct gen {
    cJSON *want; /* the add as it should come back */
    int done;    /* a done of it was built after it */
    int unique;  /* its id appears nowhere in the input */
} gen;

static gen gens[MAX_GEN];

/* An add built from the line's bytes: the line as written, the add as it
 * should read back in *want. */
static char *make_add(in *s, const char *id, cJSON **want)
{
    char url[64], sign[24], hdr[40], body[64];
    printable(s, url, 20);
    for (char *c = url; *c; c++)
        if (*c == ' ' || *c == '"' || *c == '\\')
            *c = '_';
    char full[96];
    snprintf(full, sizeof full, "%s://h.example/%s", byte(s) & 1 ? "https" : "http", url);
    cJSON *w = cJSON_CreateObject(), *line = cJSON_CreateObject();
    cJSON_AddStringToObject(w, "add", id);
    cJSON_AddStringToObject(line, "add", id);
    cJSON_AddStringToObject(w, "url", full);
    cJSON_AddStringToObject(line, "url", full);
    cJSON *wh = cJSON_AddArrayToObject(w, "headers"), *lh = cJSON_AddArrayToObject(line, "headers");
    int nh = (int)(byte(s) % 4);
    for (int i = 0; i < nh; i++) {
        char v[24];
        printable(s, v, sizeof v);
        snprintf(hdr, sizeof hdr, "X-F%d: %s", i, v);
        cJSON_AddItemToArray(wh, cJSON_CreateString(hdr));
        cJSON_AddItemToArray(lh, cJSON_CreateString(hdr));
    }
    unsigned t = byte(s);
    double timeout = t < 200 ? 0.5 + t : t < 230 ? -(double)t : 301 + t;
    cJSON_AddNumberToObject(w, "timeout", timeout > 0 && timeout <= 300 ? timeout : 20);
    cJSON_AddNumberToObject(line, "timeout", timeout);
    if (byte(s) & 1) {
        printable(s, sign, sizeof sign);
        if (sign[0])
            cJSON_AddStringToObject(w, "sign", sign);
        cJSON_AddStringToObject(line, "sign", sign);
    }
    size_t bn = byte(s) % sizeof body;
    for (size_t i = 0; i < bn; i++)
        body[i] = (char)(byte(s) | 1);
    body[bn] = 0;
    cJSON_AddStringToObject(w, "body", body);
    cJSON_AddStringToObject(line, "body", body);
    char *text = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    *want = w;
    return text;
}

static void check_sendable(const cJSON *it)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "add");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(it, "url");
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(it, "headers");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(it, "timeout");
    const cJSON *sign = cJSON_GetObjectItemCaseSensitive(it, "sign");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(it, "body");
    if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) > 127)
        abort();
    if (!cJSON_IsString(url)
        || (strncmp(url->valuestring, "http://", 7) != 0 && strncmp(url->valuestring, "https://", 8) != 0))
        abort();
    for (const unsigned char *c = (const unsigned char *)url->valuestring; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            abort();
    if (!cJSON_IsArray(hs) || cJSON_GetArraySize(hs) > HK_WHQ_MAX_HEADERS)
        abort();
    const cJSON *h;
    cJSON_ArrayForEach(h, hs)
        if (!cJSON_IsString(h) || strpbrk(h->valuestring, "\r\n")
            || strncmp(h->valuestring, "X-Hark-Delivery-Id:", 19) == 0)
            abort();
    if (!cJSON_IsNumber(to) || !(to->valuedouble > 0 && to->valuedouble <= 300))
        abort();
    if (sign && (!cJSON_IsString(sign) || !sign->valuestring[0]))
        abort();
    if (!cJSON_IsString(body))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    int ngen = 0, nlines = 0;
    size_t at = 0;
    while (at < size) {
        const uint8_t *nlp = memchr(data + at, '\n', size - at);
        size_t end = nlp ? (size_t)(nlp - data) + 1 : size;
        fwrite(data + at, 1, end - at, f);
        nlines++;
        unsigned h = 0;
        for (size_t i = at; i < end; i++)
            h = h * 31 + data[i];
        if (nlp && h % 3 == 0 && ngen < MAX_GEN) {
            in s = {data + at, end - at};
            unsigned k = byte(&s);
            char *text = NULL;
            if (k % 4 == 0 && ngen > 0) { /* a done of an earlier one */
                gen *g = &gens[byte(&s) % (unsigned)ngen];
                cJSON *d = cJSON_CreateObject();
                cJSON_AddStringToObject(d, "done", cJSON_GetObjectItemCaseSensitive(g->want, "add")->valuestring);
                text = cJSON_PrintUnformatted(d);
                cJSON_Delete(d);
                g->done = 1;
            } else {
                char id[32];
                snprintf(id, sizeof id, "fz%d-%08x", ngen, h);
                gens[ngen].done = 0;
                gens[ngen].unique = memmem(data, size, id, strlen(id)) == NULL;
                text = make_add(&s, id, &gens[ngen].want);
                ngen++;
            }
            fputs(text, f);
            fputc('\n', f);
            nlines++;
            free(text);
        }
        at = end;
    }
    fclose(f);

    int bad = -1;
    cJSON *keep = hk_whq_read_file(path, &bad);
    if (!cJSON_IsArray(keep) || bad < 0 || bad > nlines)
        abort();
    const cJSON *it;
    cJSON_ArrayForEach(it, keep) {
        check_sendable(it);
        const char *id = cJSON_GetObjectItemCaseSensitive(it, "add")->valuestring;
        for (const cJSON *o = it->next; o; o = o->next)
            if (strcmp(cJSON_GetObjectItemCaseSensitive(o, "add")->valuestring, id) == 0)
                abort(); /* given twice */
    }
    /* the adds built here: each once, in order, unless done */
    const cJSON *from = keep->child;
    for (int i = 0; i < ngen; i++) {
        if (!gens[i].unique)
            continue;
        const char *id = cJSON_GetObjectItemCaseSensitive(gens[i].want, "add")->valuestring;
        const cJSON *hit = NULL;
        cJSON_ArrayForEach(it, keep)
            if (strcmp(cJSON_GetObjectItemCaseSensitive(it, "add")->valuestring, id) == 0)
                hit = it;
        if (gens[i].done) {
            if (hit)
                abort();
            continue;
        }
        if (!hit || !cJSON_Compare(hit, gens[i].want, 1))
            abort();
        /* after the previous one found */
        const cJSON *p = from;
        while (p && p != hit)
            p = p->next;
        if (!p)
            abort();
        from = hit->next;
    }
    /* compacted: the same, nothing bad, no temporary file left */
    char err[256];
    if (hk_whq_write_file(path, keep, err, sizeof err) != 0)
        abort();
    if (access(tmp_path, F_OK) == 0)
        abort();
    int bad2 = -1;
    cJSON *again = hk_whq_read_file(path, &bad2);
    if (bad2 != 0 || !cJSON_Compare(keep, again, 1))
        abort();
    cJSON_Delete(again);
    cJSON_Delete(keep);
    for (int i = 0; i < ngen; i++)
        cJSON_Delete(gens[i].want);
    return 0;
}
