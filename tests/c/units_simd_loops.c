/*
 * base64url and hex decoding through each of their loops (the tables',
 * SSE2's, AVX2's and AVX-512 VBMI's, as many as this build and CPU have):
 * the same status, length and bytes for every input, on random valid
 * texts, texts with one bad character at a random place, (base64url)
 * non-canonical last characters and random bytes, of every length
 * 0..300, and every byte value at every position of a 300-character
 * text.  Output buffers are exactly the promised size, so under ASan a
 * byte written past them fails the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "runner.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Bytes next to the alphabet's ranges, and others a decoder may take. */
static const char near_misses[] = "@[`{/:,.^=+ \n\t\x7f\x80\xc0\xff";

static unsigned long rng = 20261202;

static unsigned next_random(void)
{
    rng = rng * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned)(rng >> 33);
}

/* Every loop above the table's, as many as this build and CPU have. */
static const ph_simd_loop loops[] = { PH_SIMD_SSE2, PH_SIMD_AVX2,
                                      PH_SIMD_VBMI };

/* A decoder through a given loop, as the loops test sees it. */
typedef struct decoder {
    const char *name;
    size_t (*cap)(size_t len); /* the output's exact size */
    ph_status (*decode)(ph_simd_loop loop, const char *in, size_t len,
                        unsigned char *out, size_t *out_len);
} decoder;

/* Decode `text` with every loop there is; returns 1 if all agree with the
 * table's loop on the status, length and bytes.  Output buffers are
 * exactly d->cap(len) bytes. */
static int loops_agree(const decoder *d, const char *text, size_t len)
{
    size_t cap = d->cap(len), want_len = 0, k;
    unsigned char *want = malloc(cap > 0 ? cap : 1);
    ph_status want_st;
    int same = 1;

    if (want == NULL)
        abort();
    want_st = d->decode(PH_SIMD_SCALAR, text, len, want, &want_len);
    for (k = 0; k < sizeof loops / sizeof loops[0]; k++) {
        unsigned char *got;
        size_t got_len = 0;
        ph_status st;

        if (!ph_simd_loop_available(loops[k]))
            continue;
        if ((got = malloc(cap > 0 ? cap : 1)) == NULL)
            abort();
        st = d->decode(loops[k], text, len, got, &got_len);
        if (st != want_st ||
            (st == PH_OK &&
             (got_len != want_len || memcmp(got, want, want_len) != 0)))
            same = CHECK(0, "%s: loop %d differs on %zu characters", d->name,
                         (int)loops[k], len);
        free(got);
    }
    free(want);
    return same;
}

static size_t hex_cap(size_t len)
{
    return len / 2;
}

static ph_status hex_with(ph_simd_loop loop, const char *in, size_t len,
                          unsigned char *out, size_t *out_len)
{
    *out_len = len / 2;
    return ph_hex_decode_with(loop, in, len, out);
}

static const decoder b64url = { "base64url", ph_b64url_decoded_len,
                                ph_b64url_decode_with };
static const decoder hex = { "hex", hex_cap, hex_with };

/* `len` characters of valid text, its last one canonical or not. */
static void valid_text(char *t, size_t len, int canonical)
{
    size_t i;

    for (i = 0; i < len; i++)
        t[i] = alphabet[next_random() % 64];
    if (canonical && len % 4 == 2)
        t[len - 1] = alphabet[(next_random() % 4) << 4];
    else if (canonical && len % 4 == 3)
        t[len - 1] = alphabet[(next_random() % 16) << 2];
}

/* A base64url text of `len` characters for round `round` of 24. */
static void b64url_text(char *t, size_t len, int round)
{
    size_t i;

    switch (round % 4) {
    case 0: /* valid, canonical */
        valid_text(t, len, 1);
        break;
    case 1: /* valid characters, maybe non-canonical at the end */
        valid_text(t, len, 0);
        break;
    case 2: /* one near miss at a random place */
        valid_text(t, len, 1);
        if (len > 0)
            t[next_random() % len] =
                near_misses[next_random() % (sizeof near_misses - 1)];
        break;
    default: /* any bytes */
        for (i = 0; i < len; i++)
            t[i] = (char)next_random();
        break;
    }
}

/* 24 texts of every length 0..300 from `make`, through every loop. */
static void every_length(const decoder *d, void (*make)(char *, size_t, int))
{
    char t[300];
    size_t len;
    int round, bad = 0;

    t_begin("%s: every loop agrees with the table's on texts of every "
            "length 0..300",
            d->name);
    for (len = 0; len <= sizeof t && bad < 5; len++) {
        for (round = 0; round < 24; round++) {
            make(t, len, round);
            bad += !loops_agree(d, t, len);
        }
    }
    CHECK(bad == 0, "%d texts differ", bad);
    t_end();
}

/* Every byte value at every position of the text t (n bytes, restored
 * after), through every loop. */
static void every_byte_everywhere(const decoder *d, char *t, size_t n)
{
    size_t pos;
    unsigned c;
    int bad = 0;

    t_begin("%s: every byte value at every position of a %zu-character "
            "text, through every loop",
            d->name, n);
    for (pos = 0; pos < n && bad < 5; pos++) {
        char keep = t[pos];
        for (c = 0; c < 256; c++) {
            t[pos] = (char)c;
            bad += !loops_agree(d, t, n);
        }
        t[pos] = keep;
    }
    CHECK(bad == 0, "%d texts differ", bad);
    t_end();
}

static const char hex_digits[] = "0123456789abcdefABCDEF";

/* Bytes next to the hex digits' ranges. */
static const char hex_misses[] = "/:@G`g \x7f\x80\xb0\xc6\xe6\xff";

/* A hex text of `len` characters for round `round` of 24: valid (either
 * case), one near miss at a random place, or any bytes. */
static void hex_text(char *t, size_t len, int round)
{
    size_t i;

    for (i = 0; i < len; i++)
        t[i] = hex_digits[next_random() % (sizeof hex_digits - 1)];
    if (round % 3 == 1 && len > 0)
        t[next_random() % len] =
            hex_misses[next_random() % (sizeof hex_misses - 1)];
    else if (round % 3 == 2)
        for (i = 0; i < len; i++)
            t[i] = (char)next_random();
}

static void loops_there(void)
{
    t_begin("base64url: the loops this build and CPU have");
    CHECK(ph_simd_loop_available(PH_SIMD_SCALAR), "no table loop");
    CHECK(ph_simd_loop_available(ph_simd_best_loop()),
          "the best loop is not available");
#if PH_SIMD_X86
    CHECK(ph_simd_loop_available(PH_SIMD_SSE2), "no SSE2 on x86-64");
    if (!ph_simd_loop_available(PH_SIMD_AVX2))
        printf("  (no AVX2 on this CPU: its loop is not tested)\n");
    if (!ph_simd_loop_available(PH_SIMD_VBMI))
        printf("  (no AVX-512 VBMI on this CPU: its loop is not tested)\n");
#endif
    t_end();
}

void run_units_simd_loops(void)
{
    char t[300];
    size_t i;

    loops_there();
    every_length(&b64url, b64url_text);
    valid_text(t, sizeof t, 1);
    every_byte_everywhere(&b64url, t, sizeof t);
    every_length(&hex, hex_text);
    for (i = 0; i < sizeof t; i++)
        t[i] = hex_digits[next_random() % (sizeof hex_digits - 1)];
    every_byte_everywhere(&hex, t, sizeof t);
}
