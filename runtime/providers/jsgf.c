/* providers/jsgf: hint phrases -> JSGF grammar text. See jsgf.h.
 * Owns word normalisation (lowercase, numbers spelled out) and the dictionary
 * filter: a word the decoder cannot pronounce would make the whole grammar fail
 * to load, so it is dropped here with a log line. Runs wherever it is called
 * (stt_sphinx calls it on a pool worker: reading the dictionary is file I/O). */
#include "providers/jsgf.h"

#include "core/strbuf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* Weights of single words in the word loop (JSGF weights on words; on rule
 * references this pocketsphinx ignores them). A word that is a hint by itself
 * ("tuesday") is free; a word that only occurs inside a hint phrase ("open" of
 * "when are you open") and a filler word cost extra, so speech that fits a
 * whole phrase is read as the phrase instead of a run of short words. Measured
 * (with stt_sphinx's decoder settings) on espeak-ng callers over 8 kHz mu-law,
 * two hint lists (bench/bench_stt.c's keywords, agents/front_desk.lua's
 * phrases) x three voices: word accuracy 45-64% -> 53-71% and 33-46% -> 75-86%
 * against unweighted words; 1e-25..1e-40 gave the same within 4 points. */
#define WEIGHT_PHRASE_WORD "1e-30"
#define WEIGHT_FILLER "1e-10"

/* Words callers say around the phrases an agent expects; part of every grammar
 * so "i would like to ..." decodes to words, not to the nearest phrase. */
static const char *const k_fillers[] = {
    "i",     "i'm",  "a",     "an",   "the",    "to",     "would", "like", "please", "yes",
    "yeah",  "no",   "okay",  "um",   "uh",     "and",    "on",    "at",   "for",    "my",
    "is",    "it",   "can",   "could", "you",   "what",   "are",   "your", "thanks", "thank",
    "me",    "we",   "do",    "have", "need",   "want",   "in",    "of",   "that",   "this",
    "be",    "hi",   "hello", "bye",  "goodbye", "sorry", "just",  "so",   "not",    "there",
};



/* ---- word lists --------------------------------------------------------- */

typedef struct {
    char **v;
    size_t n, cap;
} strvec;

static int sv_push(strvec *sv, const char *s, size_t len) {
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 16;
        char **p = realloc(sv->v, cap * sizeof *p);
        if (!p) return -1;
        sv->v = p;
        sv->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c) return -1;
    memcpy(c, s, len);
    c[len] = '\0';
    sv->v[sv->n++] = c;
    return 0;
}

static void sv_free(strvec *sv) {
    for (size_t i = 0; i < sv->n; i++) free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

static int sv_find(const strvec *sv, const char *s) {
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0) return (int)i;
    return -1;
}

/* ---- normalisation ------------------------------------------------------ */

static const char *const k_ones[] = {"zero",    "one",     "two",      "three",    "four",
                                     "five",    "six",     "seven",    "eight",    "nine",
                                     "ten",     "eleven",  "twelve",   "thirteen", "fourteen",
                                     "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const k_tens[] = {"", "", "twenty", "thirty", "forty",
                                     "fifty", "sixty", "seventy", "eighty", "ninety"};

/* Digits as words: 0..99 as a number ("42" -> "forty two"), longer runs digit by
 * digit (phone numbers, years said either way are better than nothing). */
static int push_number(strvec *out, const char *d, size_t len) {
    if (len <= 2) {
        int v = 0;
        for (size_t i = 0; i < len; i++) v = v * 10 + (d[i] - '0');
        if (len == 2 && d[0] == '0') { /* "05" as in "9:05": "oh five" */
            return sv_push(out, "oh", 2) || sv_push(out, k_ones[v], strlen(k_ones[v]));
        }
        if (v < 20) return sv_push(out, k_ones[v], strlen(k_ones[v]));
        if (sv_push(out, k_tens[v / 10], strlen(k_tens[v / 10]))) return -1;
        if (v % 10) return sv_push(out, k_ones[v % 10], strlen(k_ones[v % 10]));
        return 0;
    }
    for (size_t i = 0; i < len; i++)
        if (sv_push(out, k_ones[d[i] - '0'], strlen(k_ones[d[i] - '0']))) return -1;
    return 0;
}

/* Splits a phrase into lowercase words: letters, apostrophes and non-ASCII bytes
 * form words ("café" stays one word, which the ASCII dictionary then drops, rather
 * than becoming "caf"); digit runs become number words; anything else separates. */
static int split_words(const char *s, strvec *out) {
    char w[64];
    size_t wl = 0;
    for (const unsigned char *p = (const unsigned char *)s;; p++) {
        unsigned char c = *p;
        if (c && (c >= 0x80 || isalpha(c) || c == '\'')) {
            if (wl < sizeof w - 1) w[wl++] = c < 0x80 ? (char)tolower(c) : (char)c;
            continue;
        }
        if (wl) {
            /* trim quote marks used as quotes, keep "don't" */
            size_t a = 0, b = wl;
            while (a < b && w[a] == '\'') a++;
            while (b > a && w[b - 1] == '\'') b--;
            if (b > a && sv_push(out, w + a, b - a)) return -1;
            wl = 0;
        }
        if (!c) break;
        if (isdigit(c)) {
            const unsigned char *q = p;
            while (isdigit(*q)) q++;
            if (push_number(out, (const char *)p, (size_t)(q - p))) return -1;
            p = q - 1;
        }
    }
    return 0;
}

/* ---- dictionary filter -------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Marks found[i] for every words->v[i] that the dictionary has. The dictionary is
 * ~135k lines; the candidate list is small, so scan once and binary-search. */
static int dict_mark(const char *path, const strvec *words, unsigned char *found, char *err,
                     size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read dictionary %s", path);
        return -1;
    }
    char **sorted = malloc((words->n ? words->n : 1) * sizeof *sorted);
    if (!sorted) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(sorted, words->v, words->n * sizeof *sorted);
    qsort(sorted, words->n, sizeof *sorted, cmp_str);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        size_t k = strcspn(line, " \t(\r\n");
        line[k] = '\0';
        const char *key = line;
        char **hit = bsearch(&key, sorted, words->n, sizeof *sorted, cmp_str);
        if (hit) found[sv_find(words, *hit)] = 1;
    }
    fclose(f);
    free(sorted);
    return 0;
}

/* ---- grammar ------------------------------------------------------------ */

char *hk_jsgf_build(const char *const *phrases, size_t n, const char *dict_path, char *err,
                    size_t errlen) {
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    strvec vocab = {0};  /* unique words: hint words first, then fillers */
    strvec *per = NULL;  /* words of each phrase */
    unsigned char *found = NULL; /* per vocab word: 0 unknown, 1 known, 2 a hint by itself */
    char *result = NULL;
    size_t n_hint = 0;
    hk_strbuf g = {0};

    per = calloc(n ? n : 1, sizeof *per);
    if (!per) goto oom;
    for (size_t i = 0; i < n; i++) {
        if (phrases[i] && split_words(phrases[i], &per[i])) goto oom;
        for (size_t j = 0; j < per[i].n; j++)
            if (sv_find(&vocab, per[i].v[j]) < 0 &&
                sv_push(&vocab, per[i].v[j], strlen(per[i].v[j])))
                goto oom;
    }
    n_hint = vocab.n;
    if (n_hint == 0) {
        snprintf(err, errlen, "no words in the recognition hints");
        goto out;
    }
    for (size_t i = 0; i < sizeof k_fillers / sizeof *k_fillers; i++)
        if (sv_find(&vocab, k_fillers[i]) < 0 &&
            sv_push(&vocab, k_fillers[i], strlen(k_fillers[i])))
            goto oom;

    found = malloc(vocab.n);
    if (!found) goto oom;
    memset(found, dict_path ? 0 : 1, vocab.n);
    if (dict_path && dict_mark(dict_path, &vocab, found, err, errlen)) goto out;

    /* hint words said on their own: a phrase of exactly one known word */
    for (size_t i = 0; i < n; i++) {
        size_t known = 0, last = 0;
        for (size_t j = 0; j < per[i].n; j++) {
            int k = sv_find(&vocab, per[i].v[j]);
            if (found[k]) {
                known++;
                last = (size_t)k;
            }
        }
        if (known == 1) found[last] = 2;
    }
    size_t usable = 0;
    for (size_t i = 0; i < n_hint; i++) {
        if (found[i]) usable++;
        else hk_log(HK_LOG_WARN, NULL, "stt_hint_oov",
                    "hint word \"%s\" is not in the pronunciation dictionary: dropped",
                    vocab.v[i]);
    }
    if (usable == 0) {
        snprintf(err, errlen, "no hint word is in the pronunciation dictionary");
        goto out;
    }

    /* Phrases of two or more known words are alternatives as a whole. */
    hk_strbuf_str(&g, "#JSGF V1.0;\ngrammar hark;\n");
    strvec seen = {0}; /* phrase texts already emitted */
    hk_strbuf ph = {0};
    int any_phrase = 0;
    for (size_t i = 0; i < n; i++) {
        ph.len = 0;
        size_t words = 0;
        for (size_t j = 0; j < per[i].n; j++) {
            if (!found[sv_find(&vocab, per[i].v[j])]) continue;
            if (words++) hk_strbuf_str(&ph, " ");
            hk_strbuf_str(&ph, per[i].v[j]);
        }
        if (ph.oom) {
            free(ph.s);
            sv_free(&seen);
            goto oom;
        }
        if (words < 2 || sv_find(&seen, ph.s) >= 0) continue;
        if (sv_push(&seen, ph.s, ph.len)) {
            free(ph.s);
            sv_free(&seen);
            goto oom;
        }
        hk_strbuf_str(&g, any_phrase ? "\n    | " : "<phrase> = ");
        hk_strbuf_str(&g, ph.s);
        any_phrase = 1;
    }
    free(ph.s);
    sv_free(&seen);
    if (any_phrase) hk_strbuf_str(&g, ";\n");

    hk_strbuf_str(&g, "<word> = ");
    int first = 1;
    for (size_t i = 0; i < vocab.n; i++) {
        if (!found[i]) continue;
        if (!first) hk_strbuf_str(&g, " | ");
        if (i >= n_hint) hk_strbuf_str(&g, "/" WEIGHT_FILLER "/ ");
        else if (found[i] == 1) hk_strbuf_str(&g, "/" WEIGHT_PHRASE_WORD "/ ");
        hk_strbuf_str(&g, vocab.v[i]);
        first = 0;
    }
    hk_strbuf_str(&g, ";\n");
    hk_strbuf_str(&g, any_phrase ? "<item> = <phrase> | <word>;\n" : "<item> = <word>;\n");
    hk_strbuf_str(&g, "public <utterance> = <item>+;\n");
    if (g.oom) goto oom;
    result = g.s;
    g.s = NULL;
    goto out;

oom:
    snprintf(err, errlen, "out of memory");
out:
    free(g.s);
    if (per)
        for (size_t i = 0; i < n; i++) sv_free(&per[i]);
    free(per);
    free(found);
    sv_free(&vocab);
    return result;
}
