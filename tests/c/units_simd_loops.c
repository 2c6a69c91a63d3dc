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

/* Decode `text` with every loop there is; returns 1 if all agree with the
 * table's loop. */
static int loops_agree(const char *text, size_t len)
{
    static const ph_simd_loop loops[] = { PH_SIMD_SSE2, PH_SIMD_AVX2,
                                          PH_SIMD_VBMI };
    size_t cap = ph_b64url_decoded_len(len), want_len = 0, k;
    unsigned char *want = malloc(cap > 0 ? cap : 1);
    ph_status want_st;
    int same = 1;

    if (want == NULL)
        abort();
    want_st =
        ph_b64url_decode_with(PH_SIMD_SCALAR, text, len, want, &want_len);
    for (k = 0; k < sizeof loops / sizeof loops[0]; k++) {
        unsigned char *got;
        size_t got_len = 0;
        ph_status st;

        if (!ph_simd_loop_available(loops[k]))
            continue;
        if ((got = malloc(cap > 0 ? cap : 1)) == NULL)
            abort();
        st = ph_b64url_decode_with(loops[k], text, len, got, &got_len);
        if (st != want_st ||
            (st == PH_OK &&
             (got_len != want_len || memcmp(got, want, want_len) != 0)))
            same = CHECK(0, "loop %d differs on %zu characters", (int)loops[k],
                         len);
        free(got);
    }
    free(want);
    return same;
}

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

static void every_length(void)
{
    char t[300];
    size_t len, i;
    int round, bad = 0;

    t_begin("base64url: every loop agrees with the table's on texts of "
            "every length 0..300");
    for (len = 0; len <= sizeof t && bad < 5; len++) {
        for (round = 0; round < 24; round++) {
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
            bad += !loops_agree(t, len);
        }
    }
    CHECK(bad == 0, "%d texts differ", bad);
    t_end();
}

static void every_byte_everywhere(void)
{
    char t[300];
    size_t pos;
    unsigned c;
    int bad = 0;

    t_begin("base64url: every byte value at every position of a 300-"
            "character text, through every loop");
    valid_text(t, sizeof t, 1);
    for (pos = 0; pos < sizeof t && bad < 5; pos++) {
        char keep = t[pos];
        for (c = 0; c < 256; c++) {
            t[pos] = (char)c;
            bad += !loops_agree(t, sizeof t);
        }
        t[pos] = keep;
    }
    CHECK(bad == 0, "%d texts differ", bad);
    t_end();
}

static const char hex_digits[] = "0123456789abcdefABCDEF";

/* Bytes next to the hex digits' ranges. */
static const char hex_misses[] = "/:@G`g \x7f\x80\xb0\xc6\xe6\xff";

/* Hex-decode `text` with every loop there is; returns 1 if all agree
 * with the table's loop. */
static int hex_loops_agree(const char *text, size_t len)
{
    static const ph_simd_loop loops[] = { PH_SIMD_SSE2, PH_SIMD_AVX2,
                                          PH_SIMD_VBMI };
    size_t cap = len / 2 > 0 ? len / 2 : 1, k;
    unsigned char *want = malloc(cap);
    ph_status want_st;
    int same = 1;

    if (want == NULL)
        abort();
    want_st = ph_hex_decode_with(PH_SIMD_SCALAR, text, len, want);
    for (k = 0; k < sizeof loops / sizeof loops[0]; k++) {
        unsigned char *got;
        ph_status st;

        if (!ph_simd_loop_available(loops[k]))
            continue;
        if ((got = malloc(cap)) == NULL)
            abort();
        st = ph_hex_decode_with(loops[k], text, len, got);
        if (st != want_st || (st == PH_OK && memcmp(got, want, len / 2) != 0))
            same = CHECK(0, "hex loop %d differs on %zu characters",
                         (int)loops[k], len);
        free(got);
    }
    free(want);
    return same;
}

static void hex_every_length(void)
{
    char t[300];
    size_t len, i;
    int round, bad = 0;

    t_begin("hex: every loop agrees with the table's on texts of every "
            "length 0..300");
    for (len = 0; len <= sizeof t && bad < 5; len++) {
        for (round = 0; round < 24; round++) {
            for (i = 0; i < len; i++)
                t[i] = hex_digits[next_random() % (sizeof hex_digits - 1)];
            if (round % 3 == 1 && len > 0)
                t[next_random() % len] =
                    hex_misses[next_random() % (sizeof hex_misses - 1)];
            else if (round % 3 == 2)
                for (i = 0; i < len; i++)
                    t[i] = (char)next_random();
            bad += !hex_loops_agree(t, len);
        }
    }
    CHECK(bad == 0, "%d texts differ", bad);
    t_end();
}

static void hex_every_byte_everywhere(void)
{
    char t[300];
    size_t pos, i;
    unsigned c;
    int bad = 0;

    t_begin("hex: every byte value at every position of a 300-character "
            "text, through every loop");
    for (i = 0; i < sizeof t; i++)
        t[i] = hex_digits[next_random() % (sizeof hex_digits - 1)];
    for (pos = 0; pos < sizeof t && bad < 5; pos++) {
        char keep = t[pos];
        for (c = 0; c < 256; c++) {
            t[pos] = (char)c;
            bad += !hex_loops_agree(t, sizeof t);
        }
        t[pos] = keep;
    }
    CHECK(bad == 0, "%d texts differ", bad);
    t_end();
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
    loops_there();
    every_length();
    every_byte_everywhere();
    hex_every_length();
    hex_every_byte_everywhere();
}
