/* tests/unit/agent/test_chunker: the speak-while-thinking chunker. The same
 * text gives the same chunks however it is split into tokens (all at once,
 * byte by byte, word by word, every two-piece split, pseudo-random tokens,
 * drained after every token or only at the end); each cutting rule on its own;
 * the first chunk comes out as soon as the byte after its clause arrives; the
 * chunks put back together give the text (minus trailing whitespace). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/chunker.h"

#define MAX_CHUNKS 256

typedef struct rec_chunk {
    char text[600];
    size_t len, offset;
    hk_chunk_kind kind;
    int last;
} rec_chunk;

typedef struct run {
    rec_chunk c[MAX_CHUNKS];
    int n;
} run;

static run g_a, g_b; /* big: keep them off the stack */

static const char *SAMPLE =
    "Sure, your order 1001 ships Thursday. It costs $12.50, or 1,000 points at 10:30 a.m. "
    "Mr. Smith and Dr. Jones (from the U.S. office, e.g. Boston, or i.e. nearby) will call you at "
    "555-0100 \xe2\x80\x94 please keep your phone nearby! Did you get that?! Visit acme.com/orders or "
    "e-mail help@acme.co.uk... Version 2.0.1 is out; it fixes \xe2\x80\x9cthe bug, the big one.\xe2\x80\x9d "
    "Here is the list:\n1. Caf\xc3\xa9 cr\xc3\xa8me\n2. Na\xc3\xafve r\xc3\xa9sum\xc3\xa9 \xe2\x80\x93 done\n\n"
    "and then we walked along the river for a very long time without saying anything at all because "
    "there was nothing left to say and the night was quiet and warm and nobody wanted it to end so we "
    "kept walking on and on until the morning came \xe2\x80\x94 J. Smith signed it etc. and we left";

static void drain(hk_chunker *ch, run *r) {
    hk_chunk c;
    while (hk_chunker_next(ch, &c)) {
        assert_true(r->n < MAX_CHUNKS);
        assert_true(c.len < sizeof r->c[0].text);
        assert_int_equal(strlen(c.text), c.len); /* NUL-terminated at len */
        rec_chunk *k = &r->c[r->n++];
        memcpy(k->text, c.text, c.len);
        k->text[c.len] = '\0';
        k->len = c.len;
        k->offset = c.offset;
        k->kind = c.kind;
        k->last = c.last;
    }
}

/* Splitters: the length of the next token at position pos. */
enum { SPLIT_ALL, SPLIT_BYTE, SPLIT_WORD, SPLIT_RANDOM };

static size_t token_len(int how, const char *text, size_t pos, size_t n, uint32_t *seed) {
    switch (how) {
    case SPLIT_BYTE: return 1;
    case SPLIT_WORD: { /* " word" tokens, like an LLM's */
        size_t e = pos + 1;
        while (e < n && text[e] != ' ') e++;
        return e - pos;
    }
    case SPLIT_RANDOM:
        *seed = *seed * 1103515245u + 12345u;
        return 1 + (*seed >> 16) % 7;
    default: return n - pos;
    }
}

static void chunk_text(const char *text, const hk_chunker_config *cfg, int how, int drain_each,
                       uint32_t seed, run *r) {
    memset(r, 0, sizeof *r);
    hk_chunker ch;
    hk_chunker_init(&ch, cfg);
    size_t n = strlen(text);
    for (size_t pos = 0; pos < n;) {
        size_t k = token_len(how, text, pos, n, &seed);
        if (k > n - pos) k = n - pos;
        assert_int_equal(hk_chunker_feed(&ch, text + pos, k), 0);
        pos += k;
        if (drain_each) drain(&ch, r);
    }
    hk_chunker_finish(&ch);
    assert_int_equal(hk_chunker_feed(&ch, "x", 1), -1);
    drain(&ch, r);
    hk_chunk c;
    assert_int_equal(hk_chunker_next(&ch, &c), 0);
    hk_chunker_free(&ch);
}

static int is_ws(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

/* What every run must satisfy, whatever the text. */
static void check_invariants(const char *text, const run *r, size_t max_bytes) {
    size_t n = strlen(text), end = n;
    while (end > 0 && is_ws(text[end - 1])) end--;
    size_t pos = 0;
    for (int i = 0; i < r->n; i++) {
        const rec_chunk *k = &r->c[i];
        assert_int_equal(k->offset, pos); /* contiguous */
        assert_memory_equal(text + k->offset, k->text, k->len);
        assert_true(k->len > 0);
        assert_false(is_ws(k->text[k->len - 1])); /* never ends in whitespace */
        size_t lead = 0;
        while (lead < k->len && is_ws(k->text[lead])) lead++;
        assert_true(lead < k->len);                     /* never whitespace only */
        assert_true(k->len - lead <= max_bytes);        /* max on the text after the lead */
        assert_true(((unsigned char)k->text[0] & 0xC0) != 0x80); /* UTF-8 not split */
        pos += k->len;
    }
    assert_int_equal(pos, end); /* all of it, minus trailing whitespace */
}

static void assert_same(const run *a, const run *b, int compare_last) {
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        assert_string_equal(a->c[i].text, b->c[i].text);
        assert_int_equal(a->c[i].offset, b->c[i].offset);
        assert_int_equal(a->c[i].kind, b->c[i].kind);
        if (compare_last) assert_int_equal(a->c[i].last, b->c[i].last);
    }
}

static void expect(const run *r, int i, const char *text, hk_chunk_kind kind) {
    assert_true(i < r->n);
    assert_string_equal(r->c[i].text, text);
    assert_int_equal(r->c[i].kind, kind);
}

static void test_token_example(void **state) {
    (void)state;
    static const char *toks[] = {"Sure", ",", " your", " order", " 10", "01", " ships", " Thursday", "."};
    hk_chunker ch;
    hk_chunker_init(&ch, NULL);
    hk_chunk c;
    for (size_t i = 0; i < sizeof toks / sizeof *toks; i++) {
        assert_int_equal(hk_chunker_feed(&ch, toks[i], strlen(toks[i])), 0);
        /* "Sure," is one word: too short for a clause; the '.' at the end waits */
        assert_int_equal(hk_chunker_next(&ch, &c), 0);
    }
    hk_chunker_finish(&ch);
    assert_int_equal(hk_chunker_next(&ch, &c), 1);
    assert_string_equal(c.text, "Sure, your order 1001 ships Thursday.");
    assert_int_equal(c.kind, HK_CHUNK_SENTENCE);
    assert_int_equal(c.offset, 0);
    assert_int_equal(c.last, 1);
    assert_int_equal(hk_chunker_next(&ch, &c), 0);
    hk_chunker_free(&ch);
}

/* The sample's chunks, pinned, so the splitting test compares against a known answer. */
static void test_sample_chunks(void **state) {
    (void)state;
    chunk_text(SAMPLE, NULL, SPLIT_ALL, 0, 0, &g_a);
    check_invariants(SAMPLE, &g_a, 200);
    int i = 0;
    expect(&g_a, i++, "Sure, your order 1001 ships Thursday.", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " It costs $12.50,", HK_CHUNK_CLAUSE); /* three words: long enough */
    /* no sentence end after a.m. Mr. Dr. U.S. e.g. i.e.; no clause cut inside (...) */
    expect(&g_a, i++, " or 1,000 points at 10:30 a.m. Mr. Smith and Dr. Jones (from the "
                      "U.S. office, e.g. Boston, or i.e. nearby) will call you at 555-0100 \xe2\x80\x94",
           HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " please keep your phone nearby!", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " Did you get that?!", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " Visit acme.com/orders or e-mail help@acme.co.uk...", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " Version 2.0.1 is out;", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " it fixes \xe2\x80\x9cthe bug, the big one.\xe2\x80\x9d", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " Here is the list:", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, "\n1. Caf\xc3\xa9 cr\xc3\xa8me", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, "\n2. Na\xc3\xafve r\xc3\xa9sum\xc3\xa9 \xe2\x80\x93", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " done", HK_CHUNK_SENTENCE);
    /* no boundary for more than 200 bytes: cut at the last space in reach */
    assert_int_equal(g_a.c[i].kind, HK_CHUNK_FORCED);
    assert_memory_equal(g_a.c[i].text, "\n\nand then we walked", 19);
    assert_true(g_a.c[i].len - 2 <= 200 && g_a.c[i].len - 2 > 180);
    assert_true(SAMPLE[g_a.c[i].offset + g_a.c[i].len] == ' ');
    i++;
    expect(&g_a, i++, " walking on and on until the morning came \xe2\x80\x94", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " J. Smith signed it etc. and we left", HK_CHUNK_END);
    assert_int_equal(g_a.n, i);
    assert_int_equal(g_a.c[i - 1].last, 1);
    for (int k = 0; k < i - 1; k++) assert_int_equal(g_a.c[k].last, 0);
}

static void test_splittings_agree(void **state) {
    (void)state;
    chunk_text(SAMPLE, NULL, SPLIT_ALL, 0, 0, &g_a);
    for (int how = SPLIT_ALL; how <= SPLIT_RANDOM; how++)
        for (int drain_each = 0; drain_each <= 1; drain_each++)
            for (uint32_t seed = 1; seed <= (how == SPLIT_RANDOM ? 20u : 1u); seed++) {
                chunk_text(SAMPLE, NULL, how, drain_each, seed, &g_b);
                check_invariants(SAMPLE, &g_b, 200);
                assert_same(&g_a, &g_b, 1);
            }
    /* every two-piece split, drained in between */
    size_t n = strlen(SAMPLE);
    for (size_t cut = 0; cut <= n; cut++) {
        memset(&g_b, 0, sizeof g_b);
        hk_chunker ch;
        hk_chunker_init(&ch, NULL);
        hk_chunker_feed(&ch, SAMPLE, cut);
        drain(&ch, &g_b);
        hk_chunker_feed(&ch, SAMPLE + cut, n - cut);
        drain(&ch, &g_b);
        hk_chunker_finish(&ch);
        drain(&ch, &g_b);
        hk_chunker_free(&ch);
        assert_same(&g_a, &g_b, 1);
    }
    /* broken UTF-8 around marks (found by the fuzzer): the same for every split */
    static const char *odd[] = {"1.  \xe2\x80\xe2\x80\x9ct\xe8\xedo2\xe2\x80\x94t", ("a, b, \xe2\x80\xe2\x80\x9c" "c, d"),
                                "x.\xe2\x80\xe2\x80\x9d y. z", "w \xe2\xe2\x80\xa6 v"};
    hk_chunker_config one = {.min_clause_words = 1};
    for (size_t k = 0; k < sizeof odd / sizeof *odd; k++) {
        chunk_text(odd[k], &one, SPLIT_ALL, 0, 0, &g_a);
        check_invariants(odd[k], &g_a, 200);
        chunk_text(odd[k], &one, SPLIT_BYTE, 1, 0, &g_b);
        assert_same(&g_a, &g_b, 1);
    }
    /* small settings make many more cuts: still the same for every split */
    hk_chunker_config small = {.min_clause_words = 1, .max_bytes = 24};
    chunk_text(SAMPLE, &small, SPLIT_ALL, 0, 0, &g_a);
    check_invariants(SAMPLE, &g_a, 24);
    assert_true(g_a.n > 30);
    for (int how = SPLIT_BYTE; how <= SPLIT_RANDOM; how++) {
        chunk_text(SAMPLE, &small, how, 1, 7, &g_b);
        assert_same(&g_a, &g_b, 1);
    }
}

static void test_sentence_ends(void **state) {
    (void)state;
    chunk_text("Hello there. How are you? Great!! Really?! Well... ok \xe2\x80\xa6 fine\xe2\x80\xa6 "
               "He said \"stop.\" Then (he left.) Done",
               NULL, SPLIT_BYTE, 1, 0, &g_a);
    int i = 0;
    expect(&g_a, i++, "Hello there.", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " How are you?", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " Great!!", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " Really?!", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " Well...", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " ok \xe2\x80\xa6", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " fine\xe2\x80\xa6", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " He said \"stop.\"", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " Then (he left.)", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, " Done", HK_CHUNK_END);
    assert_int_equal(g_a.n, i);
}

/* Numbers, abbreviations, initials, URLs, e-mail and versions never end a
 * sentence; clause cuts are off here (min words huge) to see only that. */
static void test_no_cut_inside(void **state) {
    (void)state;
    hk_chunker_config cfg = {.min_clause_words = 1000, .max_bytes = 1000};
    const char *text =
        "It is 3.5 or $12.50, 1,000 at 10:30 p.m. Mr. Smith, Mrs. Lee, Ms. Kay, Dr. Who, St. Paul, "
        "Jr. and Sr. vs. them etc. e.g. this i.e. that a.m. in the U.S. with J. R. Tolkien at "
        "acme.com/orders and help@acme.co.uk on v2.0.1 with x.y.z (see Dr. No.) last.";
    chunk_text(text, &cfg, SPLIT_BYTE, 1, 0, &g_a);
    /* the only sentence end before the last is "No.)" */
    assert_int_equal(g_a.n, 2);
    assert_int_equal(g_a.c[0].kind, HK_CHUNK_SENTENCE);
    assert_int_equal(strlen(g_a.c[0].text), strlen(text) - strlen(" last."));
    expect(&g_a, 1, " last.", HK_CHUNK_SENTENCE);
    /* but a number, a domain or an address at a sentence end does end it */
    chunk_text("The total is 12. Go to acme.com. Mail help@acme.co.uk. Wait 3.", &cfg, SPLIT_WORD, 1, 0,
               &g_a);
    expect(&g_a, 0, "The total is 12.", HK_CHUNK_SENTENCE);
    expect(&g_a, 1, " Go to acme.com.", HK_CHUNK_SENTENCE);
    expect(&g_a, 2, " Mail help@acme.co.uk.", HK_CHUNK_SENTENCE);
    expect(&g_a, 3, " Wait 3.", HK_CHUNK_SENTENCE);
    assert_int_equal(g_a.n, 4);
}

/* A mark at the very end of what was fed waits for the next byte. */
static void test_waits_for_next_char(void **state) {
    (void)state;
    hk_chunker ch;
    hk_chunker_init(&ch, NULL);
    hk_chunk c;
    hk_chunker_feed(&ch, "It is 3.", 8);
    assert_int_equal(hk_chunker_next(&ch, &c), 0);
    hk_chunker_feed(&ch, "14 now.", 7);
    assert_int_equal(hk_chunker_next(&ch, &c), 0);
    hk_chunker_feed(&ch, " And", 4);
    assert_int_equal(hk_chunker_next(&ch, &c), 1);
    assert_string_equal(c.text, "It is 3.14 now.");
    assert_int_equal(c.kind, HK_CHUNK_SENTENCE);
    assert_int_equal(c.last, 0);
    assert_int_equal(hk_chunker_next(&ch, &c), 0);
    /* closing quotes and a UTF-8 mark cut in half also wait */
    hk_chunker_feed(&ch, " so \"yes.", 9);
    assert_int_equal(hk_chunker_next(&ch, &c), 0);
    hk_chunker_feed(&ch, "\"", 1);
    assert_int_equal(hk_chunker_next(&ch, &c), 0);
    hk_chunker_feed(&ch, " Fine\xe2\x80", 7);
    assert_int_equal(hk_chunker_next(&ch, &c), 1);
    assert_string_equal(c.text, " And so \"yes.\"");
    assert_int_equal(c.offset, 15);
    assert_int_equal(hk_chunker_next(&ch, &c), 0);
    hk_chunker_feed(&ch, "\xa6", 1);
    assert_int_equal(hk_chunker_next(&ch, &c), 0); /* "…" at the end: waits */
    /* finish(): the end is a boundary, nothing waits */
    hk_chunker_finish(&ch);
    assert_int_equal(hk_chunker_next(&ch, &c), 1);
    assert_string_equal(c.text, " Fine\xe2\x80\xa6");
    assert_int_equal(c.kind, HK_CHUNK_SENTENCE);
    assert_int_equal(c.last, 1);
    assert_int_equal(hk_chunker_next(&ch, &c), 0);

    /* the same chunker, reset, for the next reply: offsets start again */
    hk_chunker_reset(&ch);
    hk_chunker_feed(&ch, "Next reply, fine", 16);
    hk_chunker_finish(&ch);
    assert_int_equal(hk_chunker_next(&ch, &c), 1);
    assert_string_equal(c.text, "Next reply, fine");
    assert_int_equal(c.offset, 0);
    assert_int_equal(c.kind, HK_CHUNK_END);
    hk_chunker_free(&ch);
}

static void test_clauses(void **state) {
    (void)state;
    chunk_text("Yes, I think so, and then we go; later: maybe - or not \xe2\x80\x94 who knows, 1,000 ways.",
               NULL, SPLIT_WORD, 1, 0, &g_a);
    int i = 0;
    /* "Yes," is one word: too short */
    expect(&g_a, i++, "Yes, I think so,", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " and then we go;", HK_CHUNK_CLAUSE);
    /* "later:" and "later: maybe -" are one and two words: too short */
    expect(&g_a, i++, " later: maybe - or not \xe2\x80\x94", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " who knows, 1,000 ways.", HK_CHUNK_SENTENCE);
    assert_int_equal(g_a.n, i);

    /* the minimum is a setting; a comma between digits never cuts, nor a
     * dash in a range or a word, nor a list bullet */
    hk_chunker_config one = {.min_clause_words = 1};
    chunk_text("Well, 1,000, 2,500; 9\xe2\x80\x93" "5 and 1990\xe2\x80\x94" "2000, well-known -5 degrees\n- item",
               &one, SPLIT_BYTE, 1, 0, &g_a);
    i = 0;
    expect(&g_a, i++, "Well,", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " 1,000,", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " 2,500;", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " 9\xe2\x80\x93" "5 and 1990\xe2\x80\x94" "2000,", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " well-known -5 degrees", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, "\n- item", HK_CHUNK_END);
    assert_int_equal(g_a.n, i);
}

/* Clause marks inside quotes or brackets do not cut; sentence ends still do. */
static void test_quotes_and_brackets(void **state) {
    (void)state;
    hk_chunker_config one = {.min_clause_words = 1};
    chunk_text("He said \"wait, stop, please\" and (one, two, three) left, \xe2\x80\x9c" "fine, ok\xe2\x80\x9d then, end",
               &one, SPLIT_BYTE, 1, 0, &g_a);
    int i = 0;
    expect(&g_a, i++, "He said \"wait, stop, please\" and (one, two, three) left,", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " \xe2\x80\x9c" "fine, ok\xe2\x80\x9d then,", HK_CHUNK_CLAUSE);
    expect(&g_a, i++, " end", HK_CHUNK_END);
    assert_int_equal(g_a.n, i);
}

static void test_newlines_and_lists(void **state) {
    (void)state;
    chunk_text("Here is what I found\r\n1. First item\n2. Second item\n\n\nThanks\n\n", NULL, SPLIT_RANDOM, 1,
               3, &g_a);
    int i = 0;
    expect(&g_a, i++, "Here is what I found", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, "\r\n1. First item", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, "\n2. Second item", HK_CHUNK_SENTENCE);
    expect(&g_a, i++, "\n\n\nThanks", HK_CHUNK_SENTENCE);
    assert_int_equal(g_a.n, i);
    /* the end was cut by its line break before finish(): no chunk is "last" */
    for (int k = 0; k < g_a.n; k++) assert_int_equal(g_a.c[k].last, 0);
    /* drained only after finish(), the same chunk knows it is the last */
    chunk_text("Here is what I found\r\n1. First item\n2. Second item\n\n\nThanks\n\n", NULL, SPLIT_ALL, 0, 0,
               &g_b);
    assert_same(&g_a, &g_b, 0);
    assert_int_equal(g_b.c[g_b.n - 1].last, 1);
}

static void test_whitespace_only(void **state) {
    (void)state;
    chunk_text("  \n\n \t ", NULL, SPLIT_BYTE, 1, 0, &g_a);
    assert_int_equal(g_a.n, 0);
    chunk_text("", NULL, SPLIT_ALL, 1, 0, &g_a);
    assert_int_equal(g_a.n, 0);
    chunk_text("\n\n  Hi.  \n ", NULL, SPLIT_BYTE, 1, 0, &g_a);
    assert_int_equal(g_a.n, 1);
    expect(&g_a, 0, "\n\n  Hi.", HK_CHUNK_SENTENCE);
    assert_int_equal(g_a.c[0].offset, 0);
}

static void test_forced_cuts(void **state) {
    (void)state;
    hk_chunker_config cfg = {.max_bytes = 30};
    const char *text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen";
    chunk_text(text, &cfg, SPLIT_BYTE, 1, 0, &g_a);
    check_invariants(text, &g_a, 30);
    int i = 0;
    expect(&g_a, i++, "one two three four five six", HK_CHUNK_FORCED);
    expect(&g_a, i++, " seven eight nine ten eleven", HK_CHUNK_FORCED);
    expect(&g_a, i++, " twelve thirteen fourteen", HK_CHUNK_END);
    assert_int_equal(g_a.n, i);

    /* one huge word of two-byte letters: cut at max_bytes, never inside a letter */
    char big[200] = "x";
    for (int k = 0; k < 60; k++) strcat(big, "\xc3\xa9");
    strcat(big, " end");
    chunk_text(big, &cfg, SPLIT_RANDOM, 1, 5, &g_a);
    check_invariants(big, &g_a, 30);
    assert_int_equal(g_a.c[0].len, 29); /* "x" + 14 letters: the 15th would split at 30 */
    assert_int_equal(g_a.c[0].kind, HK_CHUNK_FORCED);
    chunk_text(big, &cfg, SPLIT_ALL, 0, 0, &g_b);
    assert_same(&g_a, &g_b, 1);

    /* a boundary past max_bytes does not make a longer chunk */
    chunk_text("aaaa bbbb cccc dddd eeee ffff gggg, hhhh.", &cfg, SPLIT_WORD, 1, 0, &g_a);
    check_invariants("aaaa bbbb cccc dddd eeee ffff gggg, hhhh.", &g_a, 30);
    expect(&g_a, 0, "aaaa bbbb cccc dddd eeee ffff", HK_CHUNK_FORCED);
    expect(&g_a, 1, " gggg, hhhh.", HK_CHUNK_SENTENCE);
}

/* Speech can start as soon as the first clause is complete. */
static void test_first_chunk_early(void **state) {
    (void)state;
    static const char *toks[] = {"Okay", ",", " let", " me", " check", " that", ",", " one", " moment", "."};
    hk_chunker ch;
    hk_chunker_init(&ch, NULL);
    hk_chunk c;
    size_t i = 0;
    for (; i < 7; i++) {
        hk_chunker_feed(&ch, toks[i], strlen(toks[i]));
        assert_int_equal(hk_chunker_next(&ch, &c), 0);
    }
    hk_chunker_feed(&ch, toks[i], 1); /* just the space after "that," */
    assert_int_equal(hk_chunker_next(&ch, &c), 1);
    assert_string_equal(c.text, "Okay, let me check that,");
    assert_int_equal(c.kind, HK_CHUNK_CLAUSE);
    assert_int_equal(hk_chunker_next(&ch, &c), 0);
    hk_chunker_feed(&ch, toks[i] + 1, strlen(toks[i]) - 1);
    for (i++; i < 10; i++) hk_chunker_feed(&ch, toks[i], strlen(toks[i]));
    assert_int_equal(hk_chunker_next(&ch, &c), 0);
    hk_chunker_finish(&ch);
    assert_int_equal(hk_chunker_next(&ch, &c), 1);
    assert_string_equal(c.text, " one moment.");
    assert_int_equal(c.offset, 24);
    assert_int_equal(c.last, 1);
    hk_chunker_free(&ch);
}

/* A long reply fed in tokens, drained as it goes: the buffer is compacted
 * behind the chunks and offsets stay those of the whole text. */
static void test_long_reply(void **state) {
    (void)state;
    size_t reps = 400, one = strlen(SAMPLE);
    char *text = malloc(reps * (one + 1) + 1);
    for (size_t k = 0; k < reps; k++) {
        memcpy(text + k * (one + 1), SAMPLE, one);
        text[k * (one + 1) + one] = ' ';
    }
    text[reps * (one + 1)] = '\0';
    hk_chunker ch;
    hk_chunker_init(&ch, NULL);
    size_t n = strlen(text), pos = 0, chunks = 0, expect_off = 0;
    uint32_t seed = 9;
    hk_chunk c;
    while (pos < n || !ch.finished) {
        if (pos < n) {
            size_t k = token_len(SPLIT_RANDOM, text, pos, n, &seed);
            if (k > n - pos) k = n - pos;
            hk_chunker_feed(&ch, text + pos, k);
            pos += k;
        } else {
            hk_chunker_finish(&ch);
        }
        while (hk_chunker_next(&ch, &c)) {
            assert_int_equal(c.offset, expect_off);
            assert_memory_equal(text + c.offset, c.text, c.len);
            expect_off += c.len;
            chunks++;
        }
        assert_true(ch.len < 4096); /* compacted: only the unfinished chunk is kept */
    }
    assert_int_equal(expect_off, n - 1); /* the trailing space is dropped */
    assert_true(chunks > reps * 10);
    hk_chunker_free(&ch);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_example),
        cmocka_unit_test(test_sample_chunks),
        cmocka_unit_test(test_splittings_agree),
        cmocka_unit_test(test_sentence_ends),
        cmocka_unit_test(test_no_cut_inside),
        cmocka_unit_test(test_waits_for_next_char),
        cmocka_unit_test(test_clauses),
        cmocka_unit_test(test_quotes_and_brackets),
        cmocka_unit_test(test_newlines_and_lists),
        cmocka_unit_test(test_whitespace_only),
        cmocka_unit_test(test_forced_cuts),
        cmocka_unit_test(test_first_chunk_early),
        cmocka_unit_test(test_long_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
