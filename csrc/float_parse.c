/*
 * JSON number literals to doubles, correctly rounded (to nearest, ties to
 * even) as strtod in the C locale and Python's float() round them, without
 * strtod for the literals callbacks carry.
 *
 * The literal's significant digits are read into a 64-bit mantissa w (at
 * most 19 digits; leading zeros skipped) and a decimal exponent q, so that
 * the literal is w * 10^q, or lies in [w * 10^q, (w + 1) * 10^q) when
 * non-zero digits were left over.  Then three steps, each of which gives
 * the exact answer or declines:
 *
 *  1. Clinger's fast path: w <= 2^53 and |q| <= 22 make w and 10^|q| exact
 *     doubles, so one IEEE multiplication or division rounds the exact
 *     value once, correctly.
 *  2. Eisel and Lemire's method (D. Lemire, "Number Parsing at a Gigabyte
 *     per Second", 2021): w times a 128-bit approximation of 5^q (the
 *     table of gen_pow5.py) gives the top bits of the product along with a
 *     bound on its error; when no value within that bound could round
 *     differently, those bits are the double.  Left-over digits are
 *     handled by rounding w and w + 1 both: equal results are the answer.
 *  3. Anything else (the product too close to a rounding boundary, a
 *     subnormal result, more than 19 digits that do not settle, a text
 *     outside the grammar) goes to ph_strtod_c, which is correctly
 *     rounded for any length.
 */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "float_pow5_table.h"
#include "internal.h"

/* Clinger's step needs each operation rounded once, straight to double:
 * so on SSE2 and AArch64 (FLT_EVAL_METHOD 0), not with x87's extended
 * registers, where the step is left out and step 2 covers its cases. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define PH_CLINGER 1
#else
#define PH_CLINGER 0
#endif

#define MAX_DIGITS   19      /* any 19-digit number fits a uint64 */
#define EXPONENT_CAP 1000000 /* far outside any double, far from overflow */

#if PH_CLINGER
/* 10^0 .. 10^22: the powers of ten a double holds exactly. */
static const double exact_pow10[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
#endif

typedef struct u128 {
    uint64_t hi, lo;
} u128;

static u128 mul_64x64(uint64_t a, uint64_t b)
{
    u128 r;
#if defined(__SIZEOF_INT128__) && !defined(PH_FLOAT_NO_INT128)
    unsigned __int128 p = (unsigned __int128)a * b;

    r.hi = (uint64_t)(p >> 64);
    r.lo = (uint64_t)p;
#else
    /* Four 32x32 products; the middle sum stays below 2^34. */
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32;
    uint64_t b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);

    r.lo = (mid << 32) | (p00 & 0xffffffffu);
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
    return r;
}

/* Leading zero bits of w != 0. */
static int leading_zeros(uint64_t w)
{
#if defined(__GNUC__)
    return __builtin_clzll(w);
#else
    int n = 0;
    while (!(w >> 63)) {
        w <<= 1;
        n++;
    }
    return n;
#endif
}

/* floor(q * log2(10)) for q in the table's range (gen_pow5.py checks the
 * constant over all of it); the division rounds toward zero, hence the
 * correction below zero. */
static int floor_log2_pow10(int q)
{
    int64_t n = (int64_t)q * 217706;

    return (int)((n < 0 ? n - 65535 : n) / 65536);
}

/*
 * w * 10^q (w != 0, PH_POW5_MIN_Q <= q <= PH_POW5_MAX_Q) as the bits of a
 * positive double: a normal number or an infinity.  Returns 0 when it
 * cannot be sure (the error bound straddles a rounding boundary) or when
 * the result is subnormal.
 *
 * With w shifted up to its top bit (w < 2^64 still) and T = T[q] (2^127 <=
 * T < 2^128), the exact product X = w * 5^q / 2^(e5 - 127) lies in
 * [w*T, w*T + w) for q >= 0 and in (w*T - w, w*T] for q < 0, because T is
 * 5^q / 2^(e5 - 127) rounded down or up to an integer (e5 =
 * floor(q * log2(5))).  X has 191 or 192 bits.  The
 * double takes its top 53 bits; bit r below them, with everything under
 * it, decides the rounding: up when r is set and anything under it is not
 * zero, to even when nothing is.  So the answer is certain when the whole
 * error interval lies between two multiples of 2^r and (for ties) the
 * exact product is known to be, or not to be, one of them plus 2^(r-1).
 */
static int eisel_lemire(uint64_t w, int q, uint64_t *bits)
{
    const uint64_t *t = ph_pow5_128[q - PH_POW5_MIN_Q];
    int shift = leading_zeros(w), top, field;
    uint64_t hi, mid, low = 0, mask, below, m, mantissa;
    int exact = 0, maybe_tie;
    u128 a, b;

    w <<= shift;
    /* First w * T_hi: the product is a * 2^64 plus w * T_lo, which is
     * below w * 2^64, and X differs from the product by less than w. */
    a = mul_64x64(w, t[0]);
    hi = a.hi;
    mid = a.lo;
    top = (int)(hi >> 63);
    mask = ((uint64_t)1 << (9 + top)) - 1; /* the bits of hi below bit r */
    below = hi & mask;
    /* Below bit r, a's part L (in units of 2^64) and X's lie in
     * [L - 1, L + w + 1): certain when L >= 1 and L + w + 1 <= 2^(r-64). */
    if ((below == 0 && mid == 0) || (below == mask && mid > ~w)) {
        /* The whole 192-bit product: X now lies within w of it. */
        b = mul_64x64(w, t[1]);
        mid += b.hi;
        hi += mid < b.hi;
        low = b.lo;
        top = (int)(hi >> 63);
        mask = ((uint64_t)1 << (9 + top)) - 1;
        below = hi & mask;
        if (q >= 0 && q <= PH_POW5_EXACT_MAX_Q) {
            exact = 1; /* T is 5^q itself, shifted: the product is X */
        } else if (q >= 0) {
            /* X in [P, P + w): a carry into bit r? */
            if (below == mask && mid == UINT64_MAX && low > ~w)
                return 0;
        } else {
            /* X in (P - w, P]: a borrow from bit r, or a tie? */
            if (below == 0 && mid == 0 && low < w)
                return 0;
        }
    }
    m = hi >> (9 + top); /* 54 bits: the double's 53 and bit r */
    /* A tie needs nothing below bit r; only an exact product shows that
     * (every other certain case has something there). */
    maybe_tie = exact && below == 0 && mid == 0 && low == 0;
    field = floor_log2_pow10(q) + 1086 + top - shift;
    if (field <= 0)
        return 0; /* subnormal, rounded at another bit: the slow path */
    if ((m & 1) && (!maybe_tie || (m & 2)))
        m++;
    mantissa = m >> 1;
    if (mantissa >> 53) { /* rounded up to the next power of two */
        mantissa >>= 1;
        field++;
    }
    if (field >= 0x7ff) {
        *bits = (uint64_t)0x7ff << 52;
        return 1;
    }
    *bits = ((uint64_t)field << 52) | (mantissa & (((uint64_t)1 << 52) - 1));
    return 1;
}

/*
 * w * 10^q for -PH_POW5_SMALL_MAX <= q < 0 when 5^-q divides w: then the
 * value is the integer v = w / 5^-q times 2^q, a binary fraction that
 * step 2 cannot place (its 5^q is rounded, so the error bound always
 * reaches the exact value's rounding boundary).  The conversion of v
 * rounds once, correctly; the power of two is exact, since the result is
 * at least 2^-27.  Returns 0 when 5^-q does not divide w.
 */
static int exact_binary_fraction(uint64_t w, int q, double *out)
{
    uint64_t f = ph_pow5_64[-q];
    double d;

    if (w % f != 0)
        return 0;
    d = (double)(w / f);
    for (; q < 0; q++)
        d *= 0.5;
    *out = d;
    return 1;
}

#if PH_CLINGER
/* The literals callbacks carry ("124.1", "-3.1025"): a point with digits
 * on both sides, at most 15 digits in all, no exponent.  Then w < 10^15 <
 * 2^53 and 10^k (k <= 15 digits after the point) are exact doubles, so one
 * division is Clinger's step, correctly rounded; and one pass with no
 * digit counting takes about half the time of the general scan.  Returns
 * 0, having written nothing, for anything else. */
static int short_decimal(const char *p, const char *end, double *out)
{
    const char *first, *point = NULL;
    uint64_t w = 0;
    int neg = 0;
    double d;

    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    if (end - p > 16) /* more than 15 digits and the point */
        return 0;
    for (first = p; p < end; p++) {
        unsigned digit = (unsigned)(unsigned char)*p - '0';
        if (digit <= 9)
            w = w * 10 + digit;
        else if (*p == '.' && point == NULL)
            point = p;
        else
            return 0;
    }
    if (point == NULL || point == first || point == end - 1)
        return 0;
    d = (double)(int64_t)w / exact_pow10[end - point - 1]; /* w < 2^53 */
    *out = neg ? -d : d;
    return 1;
}
#endif

static double from_bits(uint64_t bits)
{
    double d;

    memcpy(&d, &bits, sizeof d);
    return d;
}

#if defined(__GNUC__)
#define PH_NOINLINE __attribute__((noinline))
#else
#define PH_NOINLINE
#endif

/* Every literal short_decimal declines. */
static PH_NOINLINE ph_status parse_general(const char *text, size_t len,
                                           double *out)
{
    const char *p = text, *end = text + len;
    uint64_t w = 0, bits, bits_up;
    int neg = 0, digits = 0, leftover = 0, q = 0, e = 0, e_neg = 0;

    /* The core's literals are far shorter; the counts below are ints. */
    if (len > 2 * (size_t)PH_MAX_NUMBER_CHARS)
        return ph_strtod_c(text, len, out);
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    /* Significant digits: the first MAX_DIGITS into w, then only whether
     * any of the rest is non-zero (and, in the integer part, how many
     * there are). */
    if (p >= end || (unsigned)(*p - '0') > 9)
        return ph_strtod_c(text, len, out);
    for (; p < end && (unsigned)(*p - '0') <= 9; p++) {
        if (digits < MAX_DIGITS) {
            w = w * 10 + (unsigned)(*p - '0');
            digits += w != 0;
        } else {
            leftover |= *p != '0';
            q++;
        }
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || (unsigned)(*p - '0') > 9)
            return ph_strtod_c(text, len, out);
        for (; p < end && (unsigned)(*p - '0') <= 9; p++) {
            if (digits < MAX_DIGITS) {
                w = w * 10 + (unsigned)(*p - '0');
                digits += w != 0;
                q--;
            } else {
                leftover |= *p != '0';
            }
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            e_neg = *p++ == '-';
        if (p >= end || (unsigned)(*p - '0') > 9)
            return ph_strtod_c(text, len, out);
        for (; p < end && (unsigned)(*p - '0') <= 9; p++)
            if (e < EXPONENT_CAP)
                e = e * 10 + (*p - '0');
    }
    if (p != end)
        return ph_strtod_c(text, len, out); /* not the JSON grammar */
    q += e_neg ? -e : e;

    if (w == 0) {
        /* "0", "-0.000e5": zero with the literal's sign. */
        *out = neg ? -0.0 : 0.0;
        return PH_OK;
    }
#if PH_CLINGER
    if (!leftover && w <= (uint64_t)1 << 53 && q >= -22 && q <= 22) {
        double d = (double)w;
        d = q < 0 ? d / exact_pow10[-q] : d * exact_pow10[q];
        *out = neg ? -d : d;
        return PH_OK;
    }
#endif
    /* w has at most 19 digits and at least one non-zero: below 10^-343
     * the value is under half the smallest subnormal, above 10^308 it is
     * over the largest double. */
    if (q < PH_POW5_MIN_Q) {
        *out = neg ? -0.0 : 0.0;
        return PH_OK;
    }
    if (q > PH_POW5_MAX_Q) {
        bits = (uint64_t)0x7ff << 52;
    } else if (!eisel_lemire(w, q, &bits)) {
        double d;
        if (leftover || q >= 0 || q < -PH_POW5_SMALL_MAX ||
            !exact_binary_fraction(w, q, &d))
            return ph_strtod_c(text, len, out);
        *out = neg ? -d : d;
        return PH_OK;
    } else if (leftover &&
               (!eisel_lemire(w + 1, q, &bits_up) || bits_up != bits)) {
        return ph_strtod_c(text, len, out);
    }
    *out = from_bits(bits | (uint64_t)neg << 63);
    return PH_OK;
}

ph_status ph_parse_double(const char *text, size_t len, double *out)
{
#if PH_CLINGER
    if (short_decimal(text, text + len, out))
        return PH_OK;
#endif
    return parse_general(text, len, out);
}
