/* Unit tests: ph_parse_double against strtod in the C locale, bit for bit
 * (glibc's strtod rounds correctly, as Python's float() does): hard cases
 * picked by hand, exact halfway points between neighbouring doubles and
 * their nearest neighbours in decimal, and a deterministic random loop
 * over the shapes payloads carry. */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "runner.h"

/* Room for the longest literal built here: an exact halfway point has at
 * most 767 significant digits, plus appended digits and the exponent. */
#define LIT_MAX 2048

static uint64_t bits_of(double d)
{
    uint64_t b;

    memcpy(&b, &d, sizeof b);
    return b;
}

static double of_bits(uint64_t b)
{
    double d;

    memcpy(&d, &b, sizeof d);
    return d;
}

/* ph_parse_double of the first `len` bytes of `text` (followed in memory
 * by a digit, never a NUL, so reading past `len` shows) against strtod of
 * a NUL-terminated copy, and ph_number_to_double against both.  Returns 1
 * when they agree. */
static int agrees_len(const char *text, size_t len)
{
    static char padded[PH_MAX_NUMBER_CHARS + 64];
    char copy[PH_MAX_NUMBER_CHARS + 64];
    double got = -1.0, want;
    ph_status st;

    if (!CHECK(len + 2 < sizeof copy, "literal too long for the test"))
        return 0;
    memcpy(padded, text, len);
    padded[len] = '7';
    padded[len + 1] = '\0';
    memcpy(copy, text, len);
    copy[len] = '\0';
    want = strtod(copy, NULL);
    st = ph_parse_double(padded, len, &got);
    if (!CHECK_STATUS(st, PH_OK, "ph_parse_double"))
        return 0;
    if (!CHECK(bits_of(got) == bits_of(want),
               "%.60s%s: got %a (%.17g), strtod gives %a (%.17g)", copy,
               len > 60 ? "..." : "", got, got, want, want))
        return 0;
    return CHECK(bits_of(ph_number_to_double(padded, len)) == bits_of(want),
                 "%.60s: ph_number_to_double differs", copy);
}

static int agrees(const char *text)
{
    return agrees_len(text, strlen(text));
}

/* ------------------------------------------------------------------ */
/* Exact decimals of binary fractions                                   */

/* m * 2^e2 exactly, as decimal digits and an exponent ("123e-5") into
 * `out` (LIT_MAX bytes); the digits alone are `*digits` long.  Base-10^9
 * limbs, least significant first; 2^e2 is applied 2^29 at a time, and for
 * e2 < 0 as 5^-e2 * 10^e2, 5^13 at a time. */
static size_t exact_decimal(uint64_t m, int e2, char *out, size_t *digits)
{
    uint32_t limb[140];
    size_t n = 0, i, o = 0;
    int e10 = 0;

    do {
        limb[n++] = (uint32_t)(m % 1000000000u);
        m /= 1000000000u;
    } while (m != 0);
    while (e2 != 0) {
        uint64_t factor, carry = 0;
        if (e2 > 0) {
            int k = e2 > 29 ? 29 : e2;
            factor = (uint64_t)1 << k;
            e2 -= k;
        } else {
            int k = -e2 > 13 ? 13 : -e2, j;
            for (factor = 1, j = 0; j < k; j++)
                factor *= 5;
            e2 += k;
            e10 -= k;
        }
        for (i = 0; i < n; i++) {
            uint64_t v = limb[i] * factor + carry;
            limb[i] = (uint32_t)(v % 1000000000u);
            carry = v / 1000000000u;
        }
        while (carry != 0) {
            limb[n++] = (uint32_t)(carry % 1000000000u);
            carry /= 1000000000u;
        }
    }
    o = (size_t)snprintf(out, LIT_MAX, "%u", (unsigned)limb[n - 1]);
    for (i = n - 1; i-- > 0;)
        o += (size_t)snprintf(out + o, LIT_MAX - o, "%09u", (unsigned)limb[i]);
    *digits = o;
    o += (size_t)snprintf(out + o, LIT_MAX - o, "e%d", e10);
    return o;
}

/* The digits of `lit` (digits, then "e<exp>") with `tail` appended and the
 * exponent lowered to match: the same value plus tail's weight below the
 * last digit.  With `down` the last digits are first decremented by one
 * unit, so the value ends just below the original instead. */
static size_t nudged(const char *lit, size_t digits, int down,
                     const char *tail, char *out)
{
    size_t t = strlen(tail), i;
    long e = strtol(lit + digits + 1, NULL, 10);

    memcpy(out, lit, digits);
    if (down) {
        for (i = digits; i-- > 0;) {
            if (out[i] != '0') {
                out[i]--;
                break;
            }
            out[i] = '9';
        }
    }
    memcpy(out + digits, tail, t);
    return digits + t +
           (size_t)snprintf(out + digits + t, LIT_MAX - digits - t, "e%ld",
                            e - (long)t);
}

/* The halfway point between the non-negative double `d` and the next one
 * up, exactly and one unit of its 1st, 20th and 40th appended digit above
 * and below: round to even, up, down. */
static void halfway_cases(double d)
{
    uint64_t b = bits_of(d), field = b >> 52, frac = b & ((1ull << 52) - 1);
    uint64_t mant = field == 0 ? frac : frac | (1ull << 52);
    int e2 = field == 0 ? -1074 : (int)field - 1075;
    double next = nextafter(d, INFINITY);
    double even = (mant & 1) == 0 ? d : next;
    static const char *tails[] = { "1", "0000000000000000001",
                                   "000000000000000000000000000000000000001" };
    char lit[LIT_MAX], near[LIT_MAX];
    size_t len, digits, i;
    double got;

    len = exact_decimal(2 * mant + 1, e2 - 1, lit, &digits);
    if (agrees_len(lit, len)) {
        ph_parse_double(lit, len, &got);
        CHECK(bits_of(got) == bits_of(even), "%a: the tie goes to even", d);
    }
    for (i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        len = nudged(lit, digits, 0, tails[i], near);
        if (agrees_len(near, len)) {
            ph_parse_double(near, len, &got);
            CHECK(bits_of(got) == bits_of(next), "%a: above half goes up", d);
        }
        len = nudged(lit, digits, 1, tails[i], near);
        if (agrees_len(near, len)) {
            ph_parse_double(near, len, &got);
            CHECK(bits_of(got) == bits_of(d), "%a: below half goes down", d);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Hand-picked cases                                                    */

static void hand_picked(void)
{
    static const char *const lits[] = {
        /* zeros and signs */
        "0",
        "-0",
        "0.0",
        "-0.0",
        "0e0",
        "-0e-0",
        "0.000e999",
        "-0E+5",
        "0.0000000000000000000000000000000000000000000000000000",
        /* what payloads carry */
        "124.1",
        "3.1025",
        "0.35",
        "13.25",
        "1.5",
        "-7.00",
        "100.10",
        "99999.99",
        "0.01",
        "1e2",
        "1E2",
        "1e+2",
        "2.5E-3",
        /* the classics */
        "0.1",
        "0.2",
        "0.3",
        "0.30000000000000004",
        "1e23",
        "1e22",
        "1e-22",
        "8.98846567431158e307",
        "3.141592653589793",
        "2.718281828459045",
        "1.4142135623730951",
        "123456789012345678",
        /* 2^53 and its neighbours: 2^53 + 1 is a tie, to even (2^53) */
        "9007199254740992",
        "9007199254740993",
        "9007199254740994",
        "9007199254740995",
        "9007199254740993.0",
        "9007199254740993e0",
        "900719925474099.3e1",
        "0.9007199254740993e16",
        "90071992547409930e-1",
        "9007199254740993.0000000000000000001",
        "9007199254740992.9999999999999999999",
        "9007199254740993000000000000000000000e-21",
        "4503599627370497.5",
        "4503599627370498.5",
        "-9007199254740993",
        /* the short-decimal path's borders: 15 digits and the point
         * (taken), 16 digits (not), a point at either end, two points */
        "123456789012345.",
        "1234567890123.45",
        "-1234567890123.45",
        "12345678901234.56",
        "9007199254740.993",
        "9007199254740.9931",
        "0.000000000000001",
        "0.0000000000000001",
        "-0.0",
        "0.0",
        "-0.000",
        "999999999999999.9",
        "99999999999999.99",
        ".5",
        "5.",
        "1.2.3",
        "-.5",
        "--1.5",
        /* the 19/20-digit border and 2^64 */
        "9999999999999999999",
        "10000000000000000000",
        "18446744073709551615",
        "18446744073709551616",
        "18446744073709551617",
        "1844674407370955161.5",
        "9223372036854775807",
        "9223372036854775808",
        "9223372036854775807.5",
        "12345678901234567890123",
        "1.2345678901234567890123456789e-300",
        /* ties just above 1 and 2^k: 1 + 2^-53 rounds to 1 */
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "1.00000000000000033306690738754696212708950042724609375",
        "0.99999999999999994448884876874217297881841659545898437",
        "0.99999999999999994448884876874217297881841659545898438",
        /* the largest double, its rounding boundary, and beyond */
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "-1.7976931348623157e308",
        "179769313486231580793728971405303415079934132710037826936173778980"
        "444968292764750946649017977587207096330286416692887910943009238014"
        "185087569346689848447693426823264897254811223596063009424059648888"
        "975625926224046573541624327929561106706806426339829458036779904221"
        "2880000000000000000000e-21",
        "1797693134862315807937289714053034150799341327100378269361737789804"
        "449682927647509466490179775872070963302864166928879109465555478519"
        "404026306574886715058206819089020007083836762738548458177115317644"
        "757302700698555713669596228429148198608349364752927190741684443655"
        "107043427115596995080930428801779041744977919999999999999999999999"
        "9999999999e-322",
        "1e308",
        "1e309",
        "1e400",
        "-1e400",
        "1e99999999999",
        "123456789e300",
        "0.0000001e315",
        /* the smallest normal, and the subnormals below it */
        "2.2250738585072014e-308",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "2.2250738585072013e-308",
        "2.225073858507201136057409796709131975934819546351645648e-308",
        "2.2250738585072009e-308",
        "-2.2250738585072014e-308",
        "4.9406564584124654e-324",
        "5e-324",
        "4e-324",
        "3e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "2.47032822920623272e-324",
        "1e-323",
        "1.5e-323",
        "2e-323",
        "7.4109846876186982e-324",
        "1e-320",
        "-4.9406564584124654e-324",
        "4.9406564584124654417656879286822137236505980e-324",
        "1e-400",
        "-1e-400",
        "1e-99999999999",
        "1e-324",
        "2e-324",
        /* exponents with many digits, still the grammar */
        "1e00000000000000000000000000000000000000000000000000000000000001",
        "1e-0000000000000000000000000000000000000000000000000000000000309",
        "1e+00000000000000000000000000000000000000000000000000000000000308",
        "1e999999999999999999999999999999999999999999999999999999999999",
        "1e-999999999999999999999999999999999999999999999999999999999999",
        "0e999999999999999999999999999999999999999999999999999999999999",
        "123456789e-4294967305",
        "1e4294967296",
        "1e-4294967296",
        "1e2147483648",
        "1e-2147483649",
    };
    size_t i;

    for (i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        t_begin("float: %.70s%s", lits[i], strlen(lits[i]) > 70 ? "..." : "");
        agrees(lits[i]);
        t_end();
    }
    t_begin("float: -0 gives -0.0, 0 gives +0.0");
    {
        double d = 1.0;
        ph_parse_double("-0", 2, &d);
        CHECK(bits_of(d) == bits_of(-0.0), "-0 is %a", d);
        ph_parse_double("-1e-400", 7, &d);
        CHECK(bits_of(d) == bits_of(-0.0), "-1e-400 is %a", d);
        ph_parse_double("0.0", 3, &d);
        CHECK(bits_of(d) == 0, "0.0 is %a", d);
        ph_parse_double("1e400", 5, &d);
        CHECK(isinf(d) && d > 0, "1e400 is %a", d);
        ph_parse_double("-1e400", 6, &d);
        CHECK(isinf(d) && d < 0, "-1e400 is %a", d);
    }
    t_end();
}

/* Long literals: the first 19 digits decide nothing, the last one does. */
static void long_literals(void)
{
    static char lit[PH_MAX_NUMBER_CHARS + 8];
    size_t n, len;

    t_begin("float: 800+ digits, halfway between 0 and the least subnormal");
    {
        char half[LIT_MAX], near[LIT_MAX];
        size_t digits;
        len = exact_decimal(1, -1075, half, &digits);
        CHECK(digits > 700, "%zu digits", digits);
        agrees_len(half, len);
        /* 60 more digits: 800+ in all, the last one decides. */
        len = nudged(half, digits, 0,
                     "00000000000000000000000000000000000000000000000000"
                     "0000000001",
                     near);
        CHECK(len > 800, "%zu characters", len);
        agrees_len(near, len);
        len = nudged(half, digits, 1,
                     "99999999999999999999999999999999999999999999999999"
                     "9999999999",
                     near);
        agrees_len(near, len);
    }
    t_end();
    t_begin("float: 2^53 + 1 followed by 4000 zeros, then a 1");
    memcpy(lit, "9007199254740993.", 17);
    memset(lit + 17, '0', 4000);
    lit[4017] = '\0';
    agrees_len(lit, 4017);
    lit[4016] = '1';
    agrees_len(lit, 4017);
    t_end();
    t_begin("float: 4300 characters of digits with a point");
    for (n = 0; n < PH_MAX_NUMBER_CHARS; n++)
        lit[n] = (char)('0' + (n * 7 + 3) % 10);
    lit[0] = '4';
    lit[1] = '.';
    agrees_len(lit, PH_MAX_NUMBER_CHARS);
    lit[PH_MAX_NUMBER_CHARS - 5] = 'e';
    lit[PH_MAX_NUMBER_CHARS - 4] = '-';
    agrees_len(lit, PH_MAX_NUMBER_CHARS);
    t_end();
    t_begin("float: 0.(4200 zeros)1e4000 and 1(4200 zeros)e-4500");
    len = 0;
    lit[len++] = '0';
    lit[len++] = '.';
    memset(lit + len, '0', 4200);
    len += 4200;
    len += (size_t)sprintf(lit + len, "1e4000");
    agrees_len(lit, len);
    lit[0] = '1';
    memset(lit + 1, '0', 4201);
    len = 4202 + (size_t)sprintf(lit + 4202, "e-4500");
    agrees_len(lit, len);
    t_end();
}

/* Every kind of halfway point, picked by hand and at random. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
    /* xorshift64*: deterministic, so a failure repeats. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

static void halfway_points(void)
{
    static const double picked[] = {
        0.0,
        1.0,
        0.1,
        9007199254740992.0,
        4503599627370496.0,
        1e23,
        DBL_MIN,
        DBL_MAX,
        1.5,
        3.1025,
        124.1,
        1e-300,
        1e300,
    };
    size_t i;
    int k;

    t_begin("float: halfway points of picked doubles");
    for (i = 0; i < sizeof picked / sizeof picked[0]; i++) {
        halfway_cases(picked[i]);
        halfway_cases(nextafter(picked[i], 0.0));
    }
    halfway_cases(of_bits(1)); /* the two least subnormals */
    halfway_cases(of_bits(((uint64_t)1 << 52) - 1)); /* the largest one */
    t_end();
    /* Each power of two and its predecessor, where the spacing changes. */
    t_begin("float: halfway points around every power of two");
    for (k = -1074; k < 1024; k++) {
        halfway_cases(ldexp(1.0, k));
        halfway_cases(nextafter(ldexp(1.0, k), 0.0));
    }
    t_end();
    t_begin("float: halfway points of 4000 random doubles");
    for (i = 0; i < 4000; i++) {
        double d = of_bits(rng() >> 1);
        if (isfinite(d) && d != DBL_MAX)
            halfway_cases(d);
    }
    t_end();
}

/* ------------------------------------------------------------------ */
/* The random loop                                                      */

static void random_digits(char *out, size_t n, int first_nonzero)
{
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = (char)('0' + rng() % 10);
    if (first_nonzero && n > 0)
        out[0] = (char)('1' + rng() % 9);
}

/* One literal of the shape `shape` into `out`; returns its length. */
static size_t random_literal(int shape, char *out)
{
    size_t o = 0, n;
    uint64_t v;
    double d;

    switch (shape) {
    case 0: /* money: 124.1, 3.1025, -0.35 */
        if (rng() % 8 == 0)
            out[o++] = '-';
        n = rng() % 2 ? 1000 : 1000000;
        o +=
            (size_t)sprintf(out + o, "%llu.", (unsigned long long)(rng() % n));
        n = 1 + rng() % 4;
        random_digits(out + o, n, 0);
        return o + n;
    case 1: /* a random double's shortest-enough round-trip text */
    case 2:
        do
            d = of_bits(rng());
        while (!isfinite(d));
        return (size_t)sprintf(out, shape == 1 ? "%.17g" : "%.16g", d);
    case 3: /* a random double to 1..17 digits */
        do
            d = of_bits(rng());
        while (!isfinite(d));
        return (size_t)sprintf(out, "%.*g", (int)(1 + rng() % 17), d);
    case 4: /* 1..40 random digits, a point anywhere, any exponent */
    default:
        if (rng() % 4 == 0)
            out[o++] = '-';
        n = 1 + rng() % 40;
        if (rng() % 3 == 0) {
            size_t z = rng() % 30;
            out[o++] = '0';
            out[o++] = '.';
            memset(out + o, '0', z);
            o += z;
            random_digits(out + o, n, 1);
            o += n;
        } else {
            size_t point = 1 + rng() % n;
            random_digits(out + o, point, 1);
            o += point;
            if (point < n) {
                out[o++] = '.';
                random_digits(out + o, n - point, 0);
                o += n - point;
            }
        }
        if (rng() % 4 != 0) {
            out[o++] = rng() % 2 ? 'e' : 'E';
            o += (size_t)sprintf(out + o, "%d", (int)(rng() % 760) - 380);
        }
        return o;
    case 5: /* integers around 2^53 and 2^64 */
        if (rng() % 2)
            v = rng();
        else
            v = ((uint64_t)1 << 53) + rng() % 4096 - 2048;
        return (size_t)sprintf(out, "%llu", (unsigned long long)v);
    }
}

static void random_loop(void)
{
    static const char *const names[] = {
        "money-like decimals",     "random doubles as %.17g",
        "random doubles as %.16g", "random doubles to 1-17 digits",
        "random digit strings",    "integers near 2^53 and 2^64",
    };
    static const long counts[] = {
        60000, 60000, 40000, 100000, 100000, 20000
    };
    char lit[128];
    int shape;
    long i, bad;

    for (shape = 0; shape < 6; shape++) {
        t_begin("float: %ld %s against strtod", counts[shape], names[shape]);
        for (i = 0, bad = 0; i < counts[shape] && bad < 5; i++)
            bad += !agrees_len(lit, random_literal(shape, lit));
        t_end();
    }
}

/* Under a numeric locale whose decimal point is a comma, the slow path
 * (strtod) still reads JSON's point.  Skipped, saying so, when this
 * system has no such locale. */
static void other_locale(void)
{
    static const char *const names[] = { "de_DE.UTF-8", "de_DE.utf8", "de_DE",
                                         "fr_FR.UTF-8" };
    const char *set = NULL;
    size_t i;
    double d = 0;

    for (i = 0; i < sizeof names / sizeof names[0] && set == NULL; i++)
        set = setlocale(LC_NUMERIC, names[i]);
    if (set == NULL) {
        printf("  (no locale with a decimal comma here: checked in the Lua "
               "and Python suites)\n");
        return;
    }
    t_begin("float: under %s, long literals still read '.'", set);
    CHECK(strcmp(localeconv()->decimal_point, ",") == 0, "decimal point %s",
          localeconv()->decimal_point);
    ph_parse_double("0.1", 3, &d);
    CHECK(d == 0.1, "0.1 is %a", d);
    ph_parse_double("9007199254740993.0000000000000000001", 36, &d);
    CHECK(d == 9007199254740994.0, "2^53 + 1 and a bit is %a", d);
    ph_parse_double("2.2250738585072011e-308", 23, &d);
    CHECK(bits_of(d) == 0x000fffffffffffffu, "the largest subnormal: %a", d);
    t_end();
    setlocale(LC_NUMERIC, "C");
}

void run_units_float(void)
{
    hand_picked();
    long_literals();
    halfway_points();
    random_loop();
    other_locale();
}
