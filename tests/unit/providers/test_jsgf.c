/* tests/unit/providers/test_jsgf: hint phrases -> JSGF grammar text. The text is
 * checked as text and by sphinxbase's own JSGF parser (what the decoder loads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sphinxbase/err.h>
#include <sphinxbase/jsgf.h>

#include "core/log.h"
#include "providers/jsgf.h"

#define DICT HARK_SPHINX_MODEL_DIR "/cmudict-en-us.dict"
#define N(a) (sizeof(a) / sizeof *(a))

static int parses(const char *g) {
    jsgf_t *j = jsgf_parse_string(g, NULL);
    if (!j) return 0;
    int ok = jsgf_get_public_rule(j) != NULL;
    jsgf_grammar_free(j);
    return ok;
}

/* The alternatives of rule name, one per element ("book an appointment"). */
static int rule_has(const char *g, const char *rule, const char *alt) {
    char head[64];
    snprintf(head, sizeof head, "%s = ", rule);
    const char *p = strstr(g, head);
    if (!p) return 0;
    p += strlen(head);
    const char *end = strchr(p, ';');
    size_t n = strlen(alt);
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '|')) p++;
        const char *q = p;
        while (q < end && *q != '|' && *q != '\n') q++;
        const char *e = q;
        while (e > p && e[-1] == ' ') e--;
        if ((size_t)(e - p) == n && memcmp(p, alt, n) == 0) return 1;
        p = q;
    }
    return 0;
}

static void test_phrases_and_words(void **state) {
    (void)state;
    const char *phrases[] = {"Book an appointment", "Tuesday", "at 10", "book an  APPOINTMENT!"};
    char err[128];
    char *g = hk_jsgf_build(phrases, N(phrases), DICT, err, sizeof err);
    assert_non_null(g);
    assert_true(parses(g));
    assert_non_null(strstr(g, "#JSGF V1.0;"));
    assert_non_null(strstr(g, "public <utterance> = <item>+;"));
    assert_true(rule_has(g, "<phrase>", "book an appointment"));
    assert_true(rule_has(g, "<phrase>", "at ten"));
    /* the duplicate phrase (other case, punctuation) is listed once */
    const char *first = strstr(g, "book an appointment");
    assert_null(strstr(first + 1, "book an appointment"));
    /* every word can be said alone: a hint word by itself freely, a word of a
     * phrase and a filler at a cost (so whole phrases win when they fit) */
    assert_true(rule_has(g, "<word>", "tuesday"));
    assert_true(rule_has(g, "<word>", "/1e-30/ appointment"));
    assert_true(rule_has(g, "<word>", "/1e-30/ ten"));
    assert_true(rule_has(g, "<word>", "/1e-10/ please"));
    assert_true(rule_has(g, "<word>", "/1e-10/ would"));
    /* a one-word hint is a word, not a phrase */
    assert_false(rule_has(g, "<phrase>", "tuesday"));
    free(g);
}

static void test_oov_dropped(void **state) {
    (void)state;
    const char *phrases[] = {"book a zzqxv appointment", "qwrtzpl", "monday"};
    char err[128];
    char *g = hk_jsgf_build(phrases, N(phrases), DICT, err, sizeof err);
    assert_non_null(g);
    assert_true(parses(g));
    assert_null(strstr(g, "zzqxv"));
    assert_null(strstr(g, "qwrtzpl"));
    assert_true(rule_has(g, "<phrase>", "book a appointment"));
    assert_true(rule_has(g, "<word>", "monday"));
    /* "qwrtzpl" gone, a one-word hint that lost its word adds nothing */
    assert_true(rule_has(g, "<word>", "/1e-30/ book"));
    free(g);
}

static void test_all_oov_is_error(void **state) {
    (void)state;
    const char *phrases[] = {"zzqxv qwrtzpl"};
    char err[128] = "";
    assert_null(hk_jsgf_build(phrases, N(phrases), DICT, err, sizeof err));
    assert_non_null(strstr(err, "dictionary"));
}

static void test_empty_is_error(void **state) {
    (void)state;
    char err[128] = "";
    assert_null(hk_jsgf_build(NULL, 0, DICT, err, sizeof err));
    assert_true(err[0] != '\0');
    const char *blank[] = {"", "  ", "!?;", NULL};
    err[0] = '\0';
    assert_null(hk_jsgf_build(blank, N(blank), DICT, err, sizeof err));
    assert_true(err[0] != '\0');
    /* err may be omitted */
    assert_null(hk_jsgf_build(blank, N(blank), DICT, NULL, 0));
}

static void test_missing_dictionary(void **state) {
    (void)state;
    const char *phrases[] = {"hello"};
    char err[128] = "";
    assert_null(hk_jsgf_build(phrases, 1, "/nonexistent/dict", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/dict"));
}

/* JSGF's special characters in hints never reach the grammar: it still parses
 * and the words around them survive. */
static void test_odd_characters(void **state) {
    (void)state;
    const char *phrases[] = {
        "<foo> | bar; \"baz\" {tag} /10/ = *+()[] \\ #JSGF",
        "naïve café",
        "don't 'quoted'",
        "grammar public import",
    };
    char err[128];
    char *g = hk_jsgf_build(phrases, N(phrases), NULL, err, sizeof err);
    assert_non_null(g);
    assert_true(parses(g));
    const char *body = strstr(g, "<phrase> = ");
    assert_non_null(body);
    assert_null(strchr(body, '{'));
    assert_null(strchr(body, '"'));
    assert_null(strchr(body, '\\'));
    assert_null(strstr(body, "/10/"));
    assert_null(strstr(body, "#"));
    assert_true(rule_has(g, "<phrase>", "foo bar baz tag ten jsgf"));
    assert_true(rule_has(g, "<phrase>", "naïve café")); /* whole words, not "na ve caf" */
    assert_true(rule_has(g, "<phrase>", "don't quoted"));
    assert_true(rule_has(g, "<phrase>", "grammar public import"));
    free(g);

    /* with the dictionary the same input still gives a loadable grammar, and
     * words it cannot pronounce are gone whole */
    g = hk_jsgf_build(phrases, N(phrases), DICT, err, sizeof err);
    assert_non_null(g);
    assert_true(parses(g));
    assert_null(strstr(g, "caf"));
    assert_null(strstr(g, "na"));
    free(g);
}

static void test_numbers(void **state) {
    (void)state;
    const char *phrases[] = {"9:05", "42 and 2024", "at 0"};
    char err[128];
    char *g = hk_jsgf_build(phrases, N(phrases), DICT, err, sizeof err);
    assert_non_null(g);
    assert_true(rule_has(g, "<phrase>", "nine oh five"));
    assert_true(rule_has(g, "<phrase>", "forty two and two zero two four"));
    assert_true(rule_has(g, "<phrase>", "at zero"));
    free(g);
}

static void test_long_word_and_many_phrases(void **state) {
    (void)state;
    enum { NP = 300 };
    const char *phrases[NP];
    char buf[NP][32];
    for (int i = 0; i < NP; i++) {
        snprintf(buf[i], sizeof buf[i], "at %d please", i % 100);
        phrases[i] = buf[i];
    }
    phrases[0] = "supercalifragilisticexpialidociousandthensomemorelettersbeyondsixtyfour words";
    char err[128];
    char *g = hk_jsgf_build(phrases, NP, DICT, err, sizeof err);
    assert_non_null(g);
    assert_true(parses(g));
    assert_true(rule_has(g, "<phrase>", "at ninety nine please"));
    /* the over-long word is dropped (not in the dictionary), leaving a one-word hint */
    assert_true(rule_has(g, "<word>", "words"));
    free(g);
}

int main(void) {
    err_set_logfp(NULL);
    hk_log_set_level(HK_LOG_ERROR); /* the OOV warnings are expected here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phrases_and_words),
        cmocka_unit_test(test_oov_dropped),
        cmocka_unit_test(test_all_oov_is_error),
        cmocka_unit_test(test_empty_is_error),
        cmocka_unit_test(test_missing_dictionary),
        cmocka_unit_test(test_odd_characters),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_long_word_and_many_phrases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
