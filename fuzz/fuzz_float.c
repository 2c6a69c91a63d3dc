/*
 * ph_parse_double against glibc's strtod (correctly rounded, as Python's
 * float() is), bit for bit, on JSON number literals built from the input.
 *
 * Byte 0 picks the mode:
 *   even: the rest of the input is made into a literal of the JSON
 *         grammar: a leading '-' kept, digits, one '.' and one exponent
 *         taken where they fit, everything else dropped, and a "0" put
 *         in wherever the grammar needs a digit.  A literal already in the
 *         grammar comes through unchanged.
 *   odd:  bytes 1-8 are a double (little-endian bits, made finite); the
 *         literal is the exact decimal of the halfway point between it and
 *         the next double up, its last (byte 0 >> 1) % 64 digits cut off,
 *         then the remaining bytes appended as digits: values at and
 *         around a rounding boundary, up to 800 digits and more long.
 *
 * The literal lies in a buffer of exactly its length (no NUL), so a read
 * past it is an ASan finding.  It must match the grammar (an independent
 * check), and ph_parse_double must give PH_OK and the double strtod gives
 * for a NUL-terminated copy; ph_number_to_double must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "internal.h"

#define LIT_CAP (PH_MAX_NUMBER_CHARS + 1) /* a '-' and 4300 characters */

/* The grammar repair of the even mode; returns the length written to
 * `out` (room for LIT_CAP + 8 bytes). */
static size_t repair(const uint8_t *in, size_t n, char *out)
{
    size_t i = 0, o = 0, digits = 0;
    int part = 0; /* 0 integer, 1 fraction, 2 exponent */

    if (i < n && in[i] == '-') {
        out[o++] = '-';
        i++;
    }
    for (; i < n && o < LIT_CAP; i++) {
        uint8_t c = in[i];
        if (c >= '0' && c <= '9') {
            /* The integer part is "0" alone or starts with 1-9. */
            if (part == 0 && digits == 1 && out[o - 1] == '0')
                continue;
            out[o++] = (char)c;
            digits++;
        } else if (c == '.' && part == 0) {
            if (digits == 0)
                out[o++] = '0';
            out[o++] = '.';
            part = 1;
            digits = 0;
        } else if ((c == 'e' || c == 'E') && part < 2) {
            if (digits == 0)
                out[o++] = '0';
            out[o++] = (char)c;
            if (i + 1 < n && (in[i + 1] == '+' || in[i + 1] == '-'))
                out[o++] = (char)in[++i];
            part = 2;
            digits = 0;
        }
    }
    if (digits == 0)
        out[o++] = '0';
    return o;
}

/* m * 2^e2 (e2 >= -1100, m < 2^62) as decimal digits into `out`, and
 * *e10 so that the value is digits * 10^*e10.  Base-10^9 limbs. */
static size_t exact_digits(uint64_t m, int e2, char *out, int *e10)
{
    uint32_t limb[140];
    size_t n = 0, i, o;

    *e10 = 0;
    do {
        limb[n++] = (uint32_t)(m % 1000000000u);
        m /= 1000000000u;
    } while (m != 0);
    while (e2 != 0) {
        uint64_t factor = 1, carry = 0;
        int k;
        if (e2 > 0) {
            k = e2 > 29 ? 29 : e2;
            factor <<= k;
            e2 -= k;
        } else {
            for (k = 0; k < 13 && e2 < 0; k++, e2++)
                factor *= 5;
            *e10 -= k;
        }
        for (i = 0; i < n; i++) {
            uint64_t v = limb[i] * factor + carry;
            limb[i] = (uint32_t)(v % 1000000000u);
            carry = v / 1000000000u;
        }
        for (; carry != 0; carry /= 1000000000u)
            limb[n++] = (uint32_t)(carry % 1000000000u);
    }
    o = (size_t)sprintf(out, "%u", (unsigned)limb[n - 1]);
    for (i = n - 1; i-- > 0;)
        o += (size_t)sprintf(out + o, "%09u", (unsigned)limb[i]);
    return o;
}

static size_t halfway(const uint8_t *data, size_t size, char *out)
{
    uint64_t bits = 0, field, mant;
    size_t i, o = 0, digits, cut = (size_t)(data[0] >> 1) % 64;
    int e10;

    for (i = 0; i < 8; i++)
        bits |= (uint64_t)(1 + i < size ? data[1 + i] : 0) << (8 * i);
    field = (bits >> 52) & 0x7ff;
    if (field == 0x7ff)
        field = 0x7fe;
    mant = bits & (((uint64_t)1 << 52) - 1);
    if (bits >> 63)
        out[o++] = '-';
    if (field != 0)
        mant |= (uint64_t)1 << 52;
    digits = exact_digits(2 * mant + 1,
                          (field != 0 ? (int)field - 1075 : -1074) - 1,
                          out + o, &e10);
    if (cut >= digits)
        cut = digits - 1;
    digits -= cut;
    e10 += (int)cut;
    o += digits;
    for (i = 9; i < size && o < LIT_CAP - 12; i++) {
        out[o++] = (char)('0' + data[i] % 10);
        e10--;
    }
    return o + (size_t)sprintf(out + o, "e%d", e10);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char built[LIT_CAP + 64], copy[LIT_CAP + 64];
    size_t len;
    char *lit;
    double got = -1.0, want;
    uint64_t g, w;
    ph_status st;

    if (size == 0)
        return 0;
    len = data[0] & 1 ? halfway(data, size, built)
                      : repair(data + 1, size - 1, built);
    FZ_CHECK(len <= LIT_CAP + 12, "literal built too long");
    FZ_CHECK(fz_json_number_ok(built, len), "literal outside the grammar");
    lit = malloc(len);
    FZ_CHECK(lit != NULL, "malloc");
    memcpy(lit, built, len);
    memcpy(copy, built, len);
    copy[len] = '\0';
    want = strtod(copy, NULL);
    st = ph_parse_double(lit, len, &got);
    FZ_CHECK(st == PH_OK, "ph_parse_double failed");
    memcpy(&g, &got, sizeof g);
    memcpy(&w, &want, sizeof w);
    if (g != w) {
        fprintf(stderr, "literal %s\nph_parse_double %a, strtod %a\n", copy,
                got, want);
        FZ_CHECK(0, "ph_parse_double differs from strtod");
    }
    got = ph_number_to_double(lit, len);
    memcpy(&g, &got, sizeof g);
    FZ_CHECK(g == w, "ph_number_to_double differs from strtod");
    free(lit);
    return 0;
}
