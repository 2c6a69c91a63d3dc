/* Strict base64url (RFC 4648 section 5, unpadded) and hex. */
#include "internal.h"

#if PH_SIMD_X86
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

/* 0..63 for the base64url alphabet, 0xff for everything else: '=', '+',
 * '/', whitespace and high bytes are all rejected by the same lookup. */
/* clang-format off: a table laid out by hand */
static const unsigned char b64url_value[256] = {
#define X 0xff
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  62, X,  X,  52, 53, 54, 55, 56, 57, 58, 59, 60,
    61, X,  X,  X,  X,  X,  X,  X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
    11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,
    63, X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42,
    43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
};
/* clang-format on */

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t ph_b64url_decoded_len(size_t len)
{
    return len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
}

ph_status ph_b64url_decode(const char *in, size_t len, unsigned char *out,
                           size_t *out_len)
{
    return ph_b64url_decode_with(ph_simd_best_loop(), in, len, out, out_len);
}

ph_status ph_b64url_decode_with(ph_simd_loop loop, const char *in, size_t len,
                                unsigned char *out, size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t full = len / 4, rest = len % 4, i, done;
    unsigned char *o = out;
    unsigned bad = 0;
    uint32_t v;

    if (rest == 1)
        return PH_ERR_DECODE;
    /* The bulk with SSE2 or AVX2 where there is one, the rest here. */
    done = ph_b64url_bulk(loop, p, 4 * full, o, &bad) / 4;
    p += 4 * done;
    o += 3 * done;
    for (i = done; i < full; i++, p += 4) {
        unsigned a = b64url_value[p[0]], b = b64url_value[p[1]];
        unsigned c = b64url_value[p[2]], d = b64url_value[p[3]];
        bad |= a | b | c | d;
        v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
        *o++ = (unsigned char)(v >> 16);
        *o++ = (unsigned char)(v >> 8);
        *o++ = (unsigned char)v;
    }
    if (rest == 2) {
        unsigned a = b64url_value[p[0]], b = b64url_value[p[1]];
        bad |= a | b;
        /* The 4 low bits of the second character carry no data and must
         * be zero, or two spellings would decode to the same bytes. */
        if (!(bad & 0x80) && (b & 0x0f))
            return PH_ERR_DECODE;
        *o++ = (unsigned char)(a << 2 | b >> 4);
    } else if (rest == 3) {
        unsigned a = b64url_value[p[0]], b = b64url_value[p[1]];
        unsigned c = b64url_value[p[2]];
        bad |= a | b | c;
        if (!(bad & 0x80) && (c & 0x03))
            return PH_ERR_DECODE;
        *o++ = (unsigned char)(a << 2 | b >> 4);
        *o++ = (unsigned char)((b & 0x0f) << 4 | c >> 2);
    }
    if (bad & 0x80)
        return PH_ERR_DECODE;
    *out_len = (size_t)(o - out);
    return PH_OK;
}

size_t ph_b64url_encoded_len(size_t len)
{
    return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

void ph_b64url_encode(const unsigned char *in, size_t len, char *out)
{
    size_t i = 0;

    for (; i + 3 <= len; i += 3) {
        uint32_t v =
            (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = b64url_alphabet[v >> 18];
        *out++ = b64url_alphabet[(v >> 12) & 63];
        *out++ = b64url_alphabet[(v >> 6) & 63];
        *out++ = b64url_alphabet[v & 63];
    }
    if (len - i == 1) {
        *out++ = b64url_alphabet[in[i] >> 2];
        *out++ = b64url_alphabet[(in[i] & 3) << 4];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
        *out++ = b64url_alphabet[v >> 10];
        *out++ = b64url_alphabet[(v >> 4) & 63];
        *out++ = b64url_alphabet[(v & 15) << 2];
    }
}

/* The value of a hex digit (either case) for the high and the low half
 * of a byte; 0x100 marks every other character, so one OR of the two
 * lookups both builds the byte and collects the error bit.  The low
 * half's is every digit's plain value, ph_hex_value (internal.h), which
 * the JSON parser's \u escapes and the form decoder's %XX read too. */
#define X 0x100
/* clang-format off: a table laid out by hand */
static const uint16_t hex_high[256] = {
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     0x000, 0x010,
    0x020, 0x030, 0x040, 0x050, 0x060, 0x070, 0x080, 0x090, X,     X,
    X,     X,     X,     X,     X,     0x0a0, 0x0b0, 0x0c0, 0x0d0, 0x0e0,
    0x0f0, X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     0x0a0, 0x0b0, 0x0c0,
    0x0d0, 0x0e0, 0x0f0, X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,
};

const uint16_t ph_hex_value[256] = {
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     0x000, 0x001,
    0x002, 0x003, 0x004, 0x005, 0x006, 0x007, 0x008, 0x009, X,     X,
    X,     X,     X,     X,     X,     0x00a, 0x00b, 0x00c, 0x00d, 0x00e,
    0x00f, X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     0x00a, 0x00b, 0x00c,
    0x00d, 0x00e, 0x00f, X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,     X,     X,     X,     X,
    X,     X,     X,     X,     X,     X,
};
/* clang-format on */
#undef X

#if defined(__SSE2__)
/* 32 hex characters to 16 bytes with SSE2 (every x86-64 has it), with the
 * same rules and no branch on the data; returns non-zero if one of them is
 * not a hex digit.  A SuperPay body is one long hex string, and this is
 * most of the cost of turning it back into ciphertext. */
static int hex_decode32(const unsigned char *p, unsigned char *out)
{
    const __m128i zero = _mm_set1_epi8('0' - 1), nine = _mm_set1_epi8('9');
    const __m128i a = _mm_set1_epi8('a' - 1), f = _mm_set1_epi8('f');
    const __m128i lower = _mm_set1_epi8(0x20), low8 = _mm_set1_epi16(0xff);
    __m128i v[2], ok = _mm_set1_epi8(-1);
    int i;

    for (i = 0; i < 2; i++) {
        __m128i c = _mm_loadu_si128((const __m128i *)(p + 16 * i));
        __m128i l = _mm_or_si128(c, lower);
        /* Signed compares: bytes >= 0x80 are negative and fail both. */
        __m128i is_digit = _mm_and_si128(
            _mm_cmpgt_epi8(c, zero),
            _mm_cmpgt_epi8(_mm_add_epi8(nine, _mm_set1_epi8(1)), c));
        __m128i is_alpha = _mm_and_si128(
            _mm_cmpgt_epi8(l, a),
            _mm_cmpgt_epi8(_mm_add_epi8(f, _mm_set1_epi8(1)), l));
        __m128i digit = _mm_sub_epi8(c, _mm_set1_epi8('0'));
        __m128i alpha = _mm_sub_epi8(l, _mm_set1_epi8('a' - 10));
        ok = _mm_and_si128(ok, _mm_or_si128(is_digit, is_alpha));
        c = _mm_or_si128(_mm_and_si128(is_digit, digit),
                         _mm_and_si128(is_alpha, alpha));
        /* Each 16-bit lane holds (low nibble << 8) | high nibble. */
        v[i] = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(c, low8), 4),
                            _mm_srli_epi16(c, 8));
    }
    _mm_storeu_si128((__m128i *)out, _mm_packus_epi16(v[0], v[1]));
    return _mm_movemask_epi8(ok) != 0xffff;
}
#endif

#if PH_SIMD_X86
/* hex_decode32 twice as wide, for CPUs with AVX2, over `blocks` blocks of
 * 64 characters; returns non-zero if one of them is not a hex digit.  The
 * same compares, so the same characters pass. */
__attribute__((target("avx2"))) static int hex_decode64s(
    const unsigned char *p, unsigned char *out, size_t blocks)
{
    const __m256i zero = _mm256_set1_epi8('0' - 1),
                  ten = _mm256_set1_epi8('9' + 1);
    const __m256i a = _mm256_set1_epi8('a' - 1), g = _mm256_set1_epi8('f' + 1);
    const __m256i lower = _mm256_set1_epi8(0x20);
    const __m256i low8 = _mm256_set1_epi16(0xff);
    __m256i ok = _mm256_set1_epi8(-1), v[2];
    size_t b;
    int i;

    for (b = 0; b < blocks; b++, p += 64, out += 32) {
        for (i = 0; i < 2; i++) {
            __m256i c = _mm256_loadu_si256((const __m256i *)(p + 32 * i));
            __m256i l = _mm256_or_si256(c, lower);
            __m256i is_digit = _mm256_and_si256(_mm256_cmpgt_epi8(c, zero),
                                                _mm256_cmpgt_epi8(ten, c));
            __m256i is_alpha = _mm256_and_si256(_mm256_cmpgt_epi8(l, a),
                                                _mm256_cmpgt_epi8(g, l));
            __m256i digit = _mm256_sub_epi8(c, _mm256_set1_epi8('0'));
            __m256i alpha = _mm256_sub_epi8(l, _mm256_set1_epi8('a' - 10));
            ok = _mm256_and_si256(ok, _mm256_or_si256(is_digit, is_alpha));
            c = _mm256_or_si256(_mm256_and_si256(is_digit, digit),
                                _mm256_and_si256(is_alpha, alpha));
            v[i] = _mm256_or_si256(
                _mm256_slli_epi16(_mm256_and_si256(c, low8), 4),
                _mm256_srli_epi16(c, 8));
        }
        /* packus works within 128-bit halves: put the quarters back in
         * order. */
        _mm256_storeu_si256(
            (__m256i *)out,
            _mm256_permute4x64_epi64(_mm256_packus_epi16(v[0], v[1]), 0xd8));
    }
    return _mm256_movemask_epi8(ok) != -1;
}
#endif

#if PH_SIMD_X86
/* 64 hex characters at a time with AVX-512 VBMI, over `blocks` blocks;
 * returns non-zero if one of them is not a hex digit.  One two-register
 * byte permute is the table for the 128 ASCII values (0x80 for all but
 * the digits), and the top bit of the character itself marks the bytes
 * >= 0x80.  No multiply: 512-bit multiplies slow the whole core down. */
PH_VBMI_TARGET static int hex_decode_vbmi(const unsigned char *p,
                                          unsigned char *out, size_t blocks)
{
    /* The table sixteen bytes a row. */
    /* clang-format off */
    static const signed char value[128] = {
#define X (-128)
        X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
        X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
        X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
        0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  X,  X,  X,  X,  X,  X,
        X,  10, 11, 12, 13, 14, 15, X,  X,  X,  X,  X,  X,  X,  X,  X,
        X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
        X,  10, 11, 12, 13, 14, 15, X,  X,  X,  X,  X,  X,  X,  X,  X,
        X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
    };
    /* clang-format on */
    const __m512i low = _mm512_loadu_si512((const void *)value);
    const __m512i high = _mm512_loadu_si512((const void *)(value + 64));
    __m512i flags = _mm512_setzero_si512();
    size_t b;

    for (b = 0; b < blocks; b++, p += 64, out += 32) {
        __m512i c = _mm512_loadu_si512((const void *)p);
        __m512i v = _mm512_permutex2var_epi8(low, c, high);
        /* Each 16-bit lane holds (low nibble << 8) | high nibble: its
         * byte is lane << 4 & 0xf0 | lane >> 8 (f = A & C | B). */
        __m512i pair = _mm512_ternarylogic_epi32(
            _mm512_slli_epi16(v, 4), _mm512_srli_epi16(v, 8),
            _mm512_set1_epi16(0x00f0), 0xec);

        flags = _mm512_ternarylogic_epi32(flags, c, v, 0xfe); /* a|b|c */
        _mm256_storeu_si256((__m256i *)out, _mm512_cvtepi16_epi8(pair));
    }
    return _mm512_movepi8_mask(flags) != 0;
}
#endif

ph_status ph_hex_decode(const char *in, size_t len, unsigned char *out)
{
    return ph_hex_decode_with(ph_simd_best_loop(), in, len, out);
}

ph_status ph_hex_decode_with(ph_simd_loop loop, const char *in, size_t len,
                             unsigned char *out)
{
    const unsigned char *p = (const unsigned char *)in;
    unsigned bad = 0;
    size_t i = 0, n = len / 2;

    (void)loop; /* with neither SSE2 nor the x86 loops, only the table's */
    /* No early exit: the time taken does not depend on where a bad
     * character is (the ciphertext is attacker-chosen). */
    if (len % 2)
        return PH_ERR_DECODE;
#if PH_SIMD_X86
    if (loop == PH_SIMD_VBMI) {
        bad |= (unsigned)hex_decode_vbmi(p, out, n / 32) << 8;
        i = n / 32 * 32;
    } else if (loop == PH_SIMD_AVX2) {
        bad |= (unsigned)hex_decode64s(p, out, n / 32) << 8;
        i = n / 32 * 32;
    }
#endif
#if defined(__SSE2__)
    if (loop != PH_SIMD_SCALAR)
        for (; i + 16 <= n; i += 16)
            bad |= (unsigned)hex_decode32(p + 2 * i, out + i) << 8;
#endif
    for (; i < n; i++) {
        unsigned v = hex_high[p[2 * i]] | ph_hex_value[p[2 * i + 1]];
        bad |= v;
        out[i] = (unsigned char)v;
    }
    return bad & 0x100 ? PH_ERR_DECODE : PH_OK;
}

void ph_hex_encode(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        *out++ = digits[in[i] >> 4];
        *out++ = digits[in[i] & 15];
    }
}
