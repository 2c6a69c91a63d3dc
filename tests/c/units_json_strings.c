/*
 * The strict parser's string scanner at every offset.  It looks for the
 * bytes that end a plain run ('"', '\\', control characters, bytes >= 0x80)
 * 16 at a time with SSE2 where the compiler has it, 8 at a time otherwise
 * and for what is left, then one at a time; a special byte must be found
 * wherever it sits relative to those steps, and nothing past the buffer
 * may be read.  So: strings of every length 0..170 (ten 16-byte steps and
 * either side of them), with one special byte or sequence at each
 * position 0..150, behind 0..3 bytes of leading space (the alignment of
 * the loads), each parsed from a buffer of exactly its size (under ASan a
 * read past it fails the run).  Runs of UTF-8 sequences, with a bad one
 * at their end, are there too: the parser takes a run in one loop.  The
 * exact sink checks that the ascii flag tells the truth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

/* What is put at the position, and what the parser must make of it. */
typedef struct special {
    const char *name;
    const char *source;  /* the bytes in the JSON text */
    const char *value;   /* the bytes in the string, or NULL: an error */
    const char *error;   /* the message's reason when value is NULL */
    size_t error_at;     /* where in `source` the error is */
} special;

static const special specials[] = {
    { "escape \\n", "\\n", "\n", NULL, 0 },
    { "escape \\\"", "\\\"", "\"", NULL, 0 },
    { "escape \\u00e9", "\\u00e9", "\xc3\xa9", NULL, 0 },
    { "UTF-8 e-acute", "\xc3\xa9", "\xc3\xa9", NULL, 0 },
    { "4-byte UTF-8", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", NULL, 0 },
    { "DEL (plain)", "\x7f", "\x7f", NULL, 0 },
    { "space (plain)", " ", " ", NULL, 0 },
    { "control 0x1f", "\x1f", NULL, "control character in string", 0 },
    { "control 0x00", "\x00", NULL, "control character in string", 0 },
    { "lone 0x80", "\x80", NULL, "invalid UTF-8", 0 },
    { "byte 0xff", "\xff", NULL, "invalid UTF-8", 0 },
    { "bad escape", "\\x", NULL, "invalid escape", 0 },
    /* Runs of sequences, taken one after another without a look at the
     * ASCII in between (json_parse.c, utf8_run), with a bad one last. */
    { "a run of 2-, 3- and 4-byte UTF-8",
      "\xc3\xa9\xe6\x9d\x8e\xf0\x9f\x98\x80\xc3\xa9",
      "\xc3\xa9\xe6\x9d\x8e\xf0\x9f\x98\x80\xc3\xa9", NULL, 0 },
    { "a UTF-8 run, then an escape", "\xe6\x9d\x8e\\n", "\xe6\x9d\x8e\n",
      NULL, 0 },
    { "a UTF-8 run, then a lone 0x80", "\xc3\xa9\xe6\x9d\x8e\x80", NULL,
      "invalid UTF-8", 5 },
    { "a UTF-8 run, then an overlong form", "\xe6\x9d\x8e\xc0\xaf", NULL,
      "invalid UTF-8", 3 },
    { "a UTF-8 run, then a surrogate", "\xc3\xa9\xed\xa0\x80", NULL,
      "invalid UTF-8", 2 },
    { "a UTF-8 run, then a cut 3-byte form", "\xc3\xa9\xe6\x9d", NULL,
      "invalid UTF-8", 2 },
    { "an escape, a UTF-8 run, then 0xff", "\\n\xc3\xa9\xff", NULL,
      "invalid UTF-8", 4 },
};

static size_t source_len(const special *sp)
{
    /* "\x00" is one byte that strlen would not count. */
    return sp->source[0] == '\0' ? 1 : strlen(sp->source);
}

/* Letters that need no look, different at each position. */
static char letter(size_t i)
{
    return (char)('a' + i % 26);
}

/* Parse `doc` (copied into a buffer of exactly `len` bytes) and check the
 * result: the string `want` (want_len bytes), or the failure `reason` at
 * byte `at`.  Returns 1 if all was as expected. */
static int parses_as(const char *doc, size_t len, const char *want,
                     size_t want_len, const char *reason, size_t at)
{
    ph_scratch s = PH_SCRATCH_INIT;
    t_exact_ctx ctx = { 0, -1, 0 };
    char *buf = malloc(len > 0 ? len : 1);
    t_node *root = NULL;
    ph_error err;
    ph_status st;
    int ok;

    if (buf == NULL)
        return CHECK(0, "out of memory");
    memcpy(buf, doc, len);
    t_error_reset(&err);
    st = ph_json_parse(buf, len, &t_exact_sink, &ctx, &s, (void **)&root,
                       &err);
    if (want != NULL) {
        ok = CHECK_STATUS(st, PH_OK, "ph_json_parse") &&
             CHECK(root != NULL && root->len == want_len &&
                       memcmp(root->text, want, want_len) == 0,
                   "wrong string value");
    } else {
        char msg[128];
        snprintf(msg, sizeof msg, "invalid JSON at byte %zu: %s", at,
                 reason);
        ok = CHECK_STATUS(st, PH_ERR_DECODE, "ph_json_parse") &&
             CHECK(strcmp(err.message, msg) == 0, "got \"%s\", want \"%s\"",
                   err.message, msg);
    }
    t_node_free(&ctx, root);
    ok &= CHECK(ctx.live == 0, "%ld sink handles leaked", ctx.live);
    ph_scratch_free(&s);
    free(buf);
    return ok;
}

/* `pad` spaces, '"', then `n` source bytes from `src`, then `tail`. */
static size_t build(char *doc, size_t pad, const char *src, size_t n,
                    const char *tail, size_t tail_len)
{
    memset(doc, ' ', pad);
    doc[pad] = '"';
    memcpy(doc + pad + 1, src, n);
    memcpy(doc + pad + 1 + n, tail, tail_len);
    return pad + 1 + n + tail_len;
}

static void plain_strings(void)
{
    char src[180], doc[200];
    size_t len, pad, i, n;
    int bad = 0;

    t_begin("strings: plain strings of every length 0..170, closed and "
            "unterminated, at 4 alignments");
    for (len = 0; len <= 170; len++) {
        for (i = 0; i < len; i++)
            src[i] = letter(i);
        for (pad = 0; pad < 4 && bad < 5; pad++) {
            n = build(doc, pad, src, len, "\"", 1);
            bad += !parses_as(doc, n, src, len, NULL, 0);
            /* No closing quote: the scan runs into the end of the buffer. */
            n = build(doc, pad, src, len, "", 0);
            bad += !parses_as(doc, n, NULL, 0, "unterminated string", n);
        }
    }
    CHECK(bad == 0, "%d strings parsed wrongly", bad);
    t_end();
}

static void special_bytes(void)
{
    char src[200], want[200], doc[220];
    size_t k, len, pad, i, n, w;
    unsigned si;

    for (si = 0; si < sizeof specials / sizeof specials[0]; si++) {
        const special *sp = &specials[si];
        size_t sl = source_len(sp);
        int bad = 0;

        t_begin("strings: %s at every position 0..150 of strings of "
                "length 1..170, at 4 alignments",
                sp->name);
        for (len = 1; len <= 170 && bad < 5; len++) {
            for (k = 0; k < len && k <= 150; k++) {
                /* k letters, the special bytes, then letters up to len
                 * source characters in all (the special one counting as
                 * one). */
                n = 0;
                w = 0;
                for (i = 0; i < k; i++)
                    want[w++] = src[n++] = letter(i);
                memcpy(src + n, sp->source, sl);
                n += sl;
                if (sp->value != NULL) {
                    memcpy(want + w, sp->value, strlen(sp->value));
                    w += strlen(sp->value);
                }
                for (i = k + 1; i < len; i++)
                    want[w++] = src[n++] = letter(i);
                for (pad = 0; pad < 4; pad++) {
                    size_t dn = build(doc, pad, src, n, "\"", 1);
                    /* The error is reported at the special byte. */
                    bad += !parses_as(doc, dn, sp->value ? want : NULL, w,
                                      sp->error, pad + 1 + k + sp->error_at);
                }
            }
        }
        CHECK(bad == 0, "%d strings parsed wrongly", bad);
        t_end();
    }
}

/* Two strings in one document, the second after a first that ended on
 * each position: the scanner must start afresh where the first ended. */
static void strings_in_a_row(void)
{
    char doc[200];
    size_t a, b, i, n;
    int bad = 0;

    t_begin("strings: two strings in an array, lengths 0..40 each");
    for (a = 0; a <= 40; a++) {
        for (b = 0; b <= 40 && bad < 5; b++) {
            t_exact_ctx ctx = { 0, -1, 0 };
            ph_scratch s = PH_SCRATCH_INIT;
            t_node *root = NULL;
            ph_error err;
            char *buf;

            n = 0;
            doc[n++] = '[';
            doc[n++] = '"';
            for (i = 0; i < a; i++)
                doc[n++] = letter(i);
            memcpy(doc + n, "\",\"", 3);
            n += 3;
            for (i = 0; i < b; i++)
                doc[n++] = (char)('A' + i % 26);
            doc[n++] = '"';
            doc[n++] = ']';
            if ((buf = malloc(n)) == NULL)
                abort();
            memcpy(buf, doc, n);
            if (!CHECK_STATUS(ph_json_parse(buf, n, &t_exact_sink, &ctx, &s,
                                            (void **)&root, &err),
                              PH_OK, "ph_json_parse") ||
                !CHECK(root != NULL && root->child != NULL &&
                           root->child->len == a &&
                           root->child->next != NULL &&
                           root->child->next->len == b,
                       "lengths %zu, %zu parsed wrongly", a, b))
                bad++;
            t_node_free(&ctx, root);
            ph_scratch_free(&s);
            free(buf);
        }
    }
    CHECK(bad == 0, "%d documents parsed wrongly", bad);
    t_end();
}

void run_units_json_strings(void)
{
    plain_strings();
    special_bytes();
    strings_in_a_row();
}
