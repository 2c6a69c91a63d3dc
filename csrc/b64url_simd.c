/*
 * The bulk of base64url decoding on x86-64: 16 characters at a time with
 * SSE2 (every x86-64 has it), 32 with AVX2 or 64 with AVX-512 VBMI where
 * the CPU has them.
 * ph_b64url_decode (encoding.c) hands over the whole groups of four, and
 * decodes whatever is left, the last group and all the rest on other
 * hosts, with its table.  A LeanX body is one JWT, most of it the
 * base64url payload, and decoding it is a good part of a call.
 *
 * Accepts what the table does, exactly: 'A'-'Z', 'a'-'z', '0'-'9', '-'
 * and '_' (signed compares, so bytes >= 0x80 fall outside every range).
 * A character outside them only sets a flag and the loop goes on, as the
 * table's loop does; what is written for it is never used.
 */
#include "internal.h"

#if PH_SIMD_X86
#include <immintrin.h>

/* The leftover the loops keep for the scalar code, in characters: their
 * stores run a few bytes past the block's output (the 13th byte of an
 * SSE2 block, bytes 25-32 of an AVX2 one), which the 12 bytes of the four
 * groups still to come hold until they are written for real. */
#define KEEP 16

/* 16 characters to their 6-bit values; lanes outside the alphabet are
 * set in *bad. */
static __m128i values_16(__m128i c, __m128i *bad)
{
#define IN(lo, hi)                                                            \
    _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8((char)((lo)-1))),           \
                  _mm_cmplt_epi8(c, _mm_set1_epi8((char)((hi) + 1))))
    __m128i upper = IN('A', 'Z'), lower = IN('a', 'z'), digit = IN('0', '9');
    __m128i dash = _mm_cmpeq_epi8(c, _mm_set1_epi8('-'));
    __m128i under = _mm_cmpeq_epi8(c, _mm_set1_epi8('_'));
#undef IN
    /* What to add to each character to get its value. */
    __m128i add = _mm_or_si128(
        _mm_or_si128(_mm_and_si128(upper, _mm_set1_epi8(-'A')),
                     _mm_and_si128(lower, _mm_set1_epi8(26 - 'a'))),
        _mm_or_si128(
            _mm_and_si128(digit, _mm_set1_epi8(52 - '0')),
            _mm_or_si128(_mm_and_si128(dash, _mm_set1_epi8(62 - '-')),
                         _mm_and_si128(under, _mm_set1_epi8(63 - '_')))));
    __m128i ok = _mm_or_si128(_mm_or_si128(upper, lower),
                              _mm_or_si128(digit, _mm_or_si128(dash, under)));

    *bad = _mm_or_si128(*bad, _mm_andnot_si128(ok, _mm_set1_epi8(-1)));
    return _mm_add_epi8(c, add);
}

static size_t bulk_sse2(const unsigned char *in, size_t n, unsigned char *out,
                        unsigned *bad)
{
    __m128i flags = _mm_setzero_si128();
    size_t i = 0;

    for (; n - i >= 16 + KEEP; i += 16, out += 12) {
        unsigned char lanes[16];
        __m128i v =
            values_16(_mm_loadu_si128((const __m128i *)(in + i)), &flags);
        /* Each 32-bit lane is one group a, b, c, d (a lowest): first
         * a << 6 | b in 16 bits, then the 24 bits a:b:c:d ... */
        __m128i pairs = _mm_or_si128(
            _mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0xff)), 6),
            _mm_srli_epi16(v, 8));
        __m128i word = _mm_madd_epi16(pairs, _mm_set1_epi32(0x00011000));
        /* ... then its three bytes, highest first, in the lane's first
         * three: a byte swap of word << 8 (SSE2 has no byte shuffle). */
        word = _mm_slli_epi32(word, 8);
        word = _mm_or_si128(_mm_slli_epi16(word, 8), _mm_srli_epi16(word, 8));
        word = _mm_shufflehi_epi16(_mm_shufflelo_epi16(word, 0xb1), 0xb1);
        _mm_storeu_si128((__m128i *)lanes, word);
        memcpy(out, lanes, 4);
        memcpy(out + 3, lanes + 4, 4);
        memcpy(out + 6, lanes + 8, 4);
        memcpy(out + 9, lanes + 12, 4);
    }
    *bad |= _mm_movemask_epi8(flags) != 0 ? 0x80u : 0u;
    return i;
}

__attribute__((target("avx2"))) static __m256i values_32(__m256i c,
                                                         __m256i *bad)
{
#define IN(lo, hi)                                                            \
    _mm256_and_si256(                                                         \
        _mm256_cmpgt_epi8(c, _mm256_set1_epi8((char)((lo)-1))),               \
        _mm256_cmpgt_epi8(_mm256_set1_epi8((char)((hi) + 1)), c))
    __m256i upper = IN('A', 'Z'), lower = IN('a', 'z'), digit = IN('0', '9');
    __m256i dash = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('-'));
    __m256i under = _mm256_cmpeq_epi8(c, _mm256_set1_epi8('_'));
#undef IN
    __m256i add = _mm256_or_si256(
        _mm256_or_si256(_mm256_and_si256(upper, _mm256_set1_epi8(-'A')),
                        _mm256_and_si256(lower, _mm256_set1_epi8(26 - 'a'))),
        _mm256_or_si256(
            _mm256_and_si256(digit, _mm256_set1_epi8(52 - '0')),
            _mm256_or_si256(
                _mm256_and_si256(dash, _mm256_set1_epi8(62 - '-')),
                _mm256_and_si256(under, _mm256_set1_epi8(63 - '_')))));
    __m256i ok =
        _mm256_or_si256(_mm256_or_si256(upper, lower),
                        _mm256_or_si256(digit, _mm256_or_si256(dash, under)));

    *bad =
        _mm256_or_si256(*bad, _mm256_andnot_si256(ok, _mm256_set1_epi8(-1)));
    return _mm256_add_epi8(c, add);
}

__attribute__((target("avx2"))) static size_t bulk_avx2(
    const unsigned char *in, size_t n, unsigned char *out, unsigned *bad)
{
    /* Per 128-bit half: the three bytes of each group, highest first. */
    const __m256i order = _mm256_setr_epi8(
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5,
        4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    /* The halves' 12 bytes side by side. */
    const __m256i join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
    __m256i flags = _mm256_setzero_si256();
    size_t i = 0;

    for (; n - i >= 32 + KEEP; i += 32, out += 24) {
        __m256i v =
            values_32(_mm256_loadu_si256((const __m256i *)(in + i)), &flags);
        /* a * 64 + b, then (a:b) * 4096 + (c:d), per group. */
        __m256i pairs = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
        __m256i word = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));
        word = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(word, order),
                                           join);
        _mm256_storeu_si256((__m256i *)out, word);
    }
    *bad |= _mm256_movemask_epi8(flags) != 0 ? 0x80u : 0u;
    /* What is left of 16 + KEEP or more goes through SSE2. */
    return i + bulk_sse2(in + i, n - i, out, bad);
}

/* 64 characters at a time with AVX-512 VBMI: one two-register byte
 * permute is the whole table for the 128 ASCII values (the 6-bit value,
 * or 0x80 outside the alphabet), and the top bit of the character itself
 * marks the bytes >= 0x80, whose low seven bits the permute reads as any
 * other.  A 1.2 KB LeanX payload is 1.6 K characters: this is about a
 * third of AVX2's instructions per character. */
PH_VBMI_TARGET static size_t bulk_vbmi(const unsigned char *in, size_t n,
                                       unsigned char *out, unsigned *bad)
{
    /* The tables sixteen bytes a row. */
    /* clang-format off */
    static const signed char value[128] = {
#define X (-128)
        X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
        X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
        X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,
        52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,
        X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
        15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  63,
        X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
        41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,
#undef X
    };
    /* Output byte j is byte 2 - j % 3 of group j / 3's 24-bit value. */
    static const unsigned char order_of[64] = {
        2,  1,  0,  6,  5,  4,  10, 9,  8,  14, 13, 12, 18, 17, 16, 22,
        21, 20, 26, 25, 24, 30, 29, 28, 34, 33, 32, 38, 37, 36, 42, 41,
        40, 46, 45, 44, 50, 49, 48, 54, 53, 52, 58, 57, 56, 62, 61, 60,
    };
    /* clang-format on */
    const __m512i low = _mm512_loadu_si512((const void *)value);
    const __m512i high = _mm512_loadu_si512((const void *)(value + 64));
    const __m512i order = _mm512_loadu_si512((const void *)order_of);
    __m512i flags = _mm512_setzero_si512();
    size_t i;

    for (i = 0; n - i >= 64 + KEEP; i += 64, out += 48) {
        __m512i c = _mm512_loadu_si512((const void *)(in + i));
        __m512i v = _mm512_permutex2var_epi8(low, c, high);
        /* a << 6 | b, then (a:b) << 12 | (c:d), per group, in shifts
         * and masks (f = A & C | B): the multiplies AVX2's loop packs
         * with are heavy 512-bit work that slows the whole core down. */
        __m512i pairs = _mm512_ternarylogic_epi32(
            _mm512_slli_epi16(v, 6), _mm512_srli_epi16(v, 8),
            _mm512_set1_epi16(0x0fc0), 0xec);
        __m512i word = _mm512_ternarylogic_epi32(
            _mm512_slli_epi32(pairs, 12), _mm512_srli_epi32(pairs, 16),
            _mm512_set1_epi32(0x00fff000), 0xec);

        flags = _mm512_ternarylogic_epi32(flags, c, v, 0xfe); /* a|b|c */
        _mm512_mask_storeu_epi8(out, (__mmask64)0xffffffffffffu,
                                _mm512_permutexvar_epi8(order, word));
    }
    *bad |= _mm512_movepi8_mask(flags) != 0 ? 0x80u : 0u;
    /* What is left of 32 + KEEP or more goes through AVX2. */
    return i + bulk_avx2(in + i, n - i, out, bad);
}

size_t ph_b64url_bulk(ph_simd_loop loop, const unsigned char *in, size_t n,
                      unsigned char *out, unsigned *bad)
{
    if (loop == PH_SIMD_VBMI)
        return bulk_vbmi(in, n, out, bad);
    if (loop == PH_SIMD_AVX2)
        return bulk_avx2(in, n, out, bad);
    if (loop == PH_SIMD_SSE2)
        return bulk_sse2(in, n, out, bad);
    return 0;
}

#else

size_t ph_b64url_bulk(ph_simd_loop loop, const unsigned char *in, size_t n,
                      unsigned char *out, unsigned *bad)
{
    (void)loop;
    (void)in;
    (void)n;
    (void)out;
    (void)bad;
    return 0;
}

#endif
