/* tests/fuzz/fuzz_form: libFuzzer target for net/form and, through it,
 * telephony/signature's parameter ordering. Any input either fails with a
 * "form: " message or yields parameters inside the caller's buffer which,
 * percent-encoded again, parse back to the same list; the Twilio signature
 * over them does not depend on their order. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/form.h"
#include "telephony/signature.h"

#define CAP 64

static size_t encode(const char *s, char *out)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        o += (size_t)sprintf(out + o, "%%%02X", *p);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hk_form_param p[CAP];
    hk_form f;
    size_t cap = size + 2 * CAP;
    char *buf = malloc(cap), err[128];
    hk_form_init(&f, p, CAP, buf, cap);
    int n = hk_form_parse(&f, (const char *)data, size, err, sizeof err);
    if (n < 0) {
        if (strncmp(err, "form: ", 6) != 0 || f.n != 0 || strstr(err, "buffer"))
            abort();
        free(buf);
        return 0;
    }
    if (n > CAP || n != f.n)
        abort();
    /* Re-encode everything as %XX and parse again. */
    char *re = malloc(size * 3 + 2 * (size_t)n + 1);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (p[i].name < buf || p[i].value >= buf + cap)
            abort();
        if (i)
            re[o++] = '&';
        o += encode(p[i].name, re + o);
        re[o++] = '=';
        o += encode(p[i].value, re + o);
    }
    hk_form_param q[CAP];
    hk_form g;
    size_t cap2 = o + 2 * CAP;
    char *buf2 = malloc(cap2);
    hk_form_init(&g, q, CAP, buf2, cap2);
    /* An empty name and value re-encode to "=", which is kept; "" pieces are skipped. */
    if (hk_form_parse(&g, re, o, err, sizeof err) != n)
        abort();
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].name, q[i].name) != 0 || strcmp(p[i].value, q[i].value) != 0)
            abort();
    char s1[HK_TWILIO_SIG_SIZE], s2[HK_TWILIO_SIG_SIZE];
    if (hk_twilio_signature("token", "https://h.example/hook", p, n, s1) != 0)
        abort();
    for (int i = 0; i < n / 2; i++) { /* reverse the order */
        hk_form_param t = q[i];
        q[i] = q[n - 1 - i];
        q[n - 1 - i] = t;
    }
    if (hk_twilio_signature("token", "https://h.example/hook", q, n, s2) != 0 || strcmp(s1, s2) != 0)
        abort();
    if (!hk_twilio_verify("token", s1, "https://h.example:443/hook", p, n))
        abort();
    free(buf2);
    free(re);
    free(buf);
    return 0;
}
