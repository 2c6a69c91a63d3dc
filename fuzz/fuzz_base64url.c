/*
 * The encodings: ph_b64url_decode/encode and ph_hex_decode/encode.
 *
 * Input: any bytes, used whole as text to decode and as data to encode.
 *
 * Checks, besides the sanitizers (every output buffer is exactly the
 * size the header promises, so one byte too many is a heap overflow):
 *   - base64url is accepted exactly when the independent decoder in
 *     fuzz_common.c accepts it, to the same bytes, and encoding them
 *     again gives back the input exactly: one spelling per byte string;
 *   - every loop of the decoder this build and CPU have (the table's,
 *     SSE2's, AVX2's, AVX-512 VBMI's) gives the same status and bytes;
 *   - hex is accepted exactly when it has even length and only hex
 *     digits, through every loop, and encoding again gives back the
 *     input in lower case;
 *   - encoding any bytes gives the promised length, and decoding that
 *     gives the bytes back.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "internal.h"

static void *room(size_t n)
{
    void *p = malloc(n ? n : 1);

    FZ_CHECK(p != NULL, "out of memory in the harness");
    return p;
}

static void base64url(const char *in, size_t len)
{
    size_t cap = ph_b64url_decoded_len(len), out_len = 0, elen;
    unsigned char *out = room(cap), *ref = room(cap + 3);
    char *again;
    long ref_len;
    ph_status st;

    st = ph_b64url_decode(in, len, out, &out_len);
    ref_len = fz_b64url_decode(in, len, ref);
    FZ_CHECK(st == PH_OK || st == PH_ERR_DECODE, "unexpected status");
    FZ_CHECK((st == PH_OK) == (ref_len >= 0),
             "base64url accepted or refused against the grammar");
    if (st == PH_OK) {
        FZ_CHECK(out_len == (size_t)ref_len && out_len == cap,
                 "decoded length is not the promised one");
        FZ_CHECK(memcmp(out, ref, out_len) == 0, "decoded to other bytes");
        elen = ph_b64url_encoded_len(out_len);
        FZ_CHECK(elen == len, "re-encoded length differs");
        again = room(elen);
        ph_b64url_encode(out, out_len, again);
        FZ_CHECK(memcmp(again, in, len) == 0,
                 "decode then encode did not give the input back");
        free(again);
    }
    free(out);
    free(ref);
}

static const ph_simd_loop loops[] = { PH_SIMD_SSE2, PH_SIMD_AVX2,
                                      PH_SIMD_VBMI };

/* The same answer through each loop the decoder has here. */
static void base64url_loops(const char *in, size_t len)
{
    size_t cap = ph_b64url_decoded_len(len), want_len = 0, k;
    unsigned char *want = room(cap);
    ph_status want_st =
        ph_b64url_decode_with(PH_SIMD_SCALAR, in, len, want, &want_len);

    for (k = 0; k < sizeof loops / sizeof loops[0]; k++) {
        unsigned char *got;
        size_t got_len = 0;
        ph_status st;
        if (!ph_simd_loop_available(loops[k]))
            continue;
        got = room(cap);
        st = ph_b64url_decode_with(loops[k], in, len, got, &got_len);
        FZ_CHECK(st == want_st, "the decoder's loops disagree on the status");
        FZ_CHECK(st != PH_OK ||
                     (got_len == want_len && memcmp(got, want, got_len) == 0),
                 "the decoder's loops decode to other bytes");
        free(got);
    }
    free(want);
}

static void hex(const char *in, size_t len)
{
    unsigned char *out = room(len / 2), *table = room(len / 2);
    char *again;
    size_t i;
    int valid = len % 2 == 0;
    ph_status st;

    for (i = 0; i < len && valid; i++)
        valid = model_hex_digit((unsigned char)in[i]) >= 0;
    /* The table's loop first, then every other against it. */
    st = ph_hex_decode_with(PH_SIMD_SCALAR, in, len, table);
    FZ_CHECK((st == PH_OK) == valid, "the hex table accepted or refused "
                                     "wrongly");
    for (i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        if (!ph_simd_loop_available(loops[i]))
            continue;
        st = ph_hex_decode_with(loops[i], in, len, out);
        FZ_CHECK((st == PH_OK) == valid, "a hex loop accepted or refused "
                                         "wrongly");
        FZ_CHECK(st != PH_OK || memcmp(table, out, len / 2) == 0,
                 "the hex loops decode to other bytes");
    }
    st = ph_hex_decode(in, len, out);
    FZ_CHECK(st == PH_OK || st == PH_ERR_DECODE, "unexpected status");
    FZ_CHECK((st == PH_OK) == valid, "hex accepted or refused wrongly");
    if (st == PH_OK) {
        again = room(len);
        ph_hex_encode(out, len / 2, again);
        for (i = 0; i < len; i++) {
            char c = in[i];
            if (c >= 'A' && c <= 'F')
                c = (char)(c - 'A' + 'a');
            FZ_CHECK(again[i] == c,
                     "decode then encode did not give the input back");
        }
        free(again);
    }
    free(out);
    free(table);
}

static void round_trips(const unsigned char *data, size_t len)
{
    size_t elen = ph_b64url_encoded_len(len), dlen = 0;
    char *text = room(elen > 2 * len ? elen : 2 * len);
    unsigned char *back = room(len);

    ph_b64url_encode(data, len, text);
    FZ_CHECK(ph_b64url_decoded_len(elen) == len, "length functions differ");
    FZ_CHECK(fz_b64url_decode(text, elen, NULL) == (long)len,
             "encoder wrote text the grammar refuses");
    FZ_CHECK(ph_b64url_decode(text, elen, back, &dlen) == PH_OK &&
                 dlen == len && memcmp(back, data, len) == 0,
             "encode then decode did not give the bytes back");

    ph_hex_encode(data, len, text);
    FZ_CHECK(ph_hex_decode(text, 2 * len, back) == PH_OK &&
                 memcmp(back, data, len) == 0,
             "hex encode then decode did not give the bytes back");
    free(text);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    base64url((const char *)data, size);
    base64url_loops((const char *)data, size);
    hex((const char *)data, size);
    round_trips(data, size);
    return 0;
}
