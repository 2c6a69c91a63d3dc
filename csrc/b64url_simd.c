/*
 * The bulk of base64url decoding on x86-64: 16 characters at a time with
 * SSE2 (every x86-64 has it) or 32 with AVX2 where the CPU has it.
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

#if PH_B64URL_SIMD
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

int ph_b64url_loop_available(ph_b64url_loop loop)
{
    /* libgcc asks cpuid once, when the program starts (checking that the
     * OS saves the YMM registers too); this reads its answer. */
    return loop == PH_B64URL_SCALAR || loop == PH_B64URL_SSE2 ||
           (loop == PH_B64URL_AVX2 && __builtin_cpu_supports("avx2"));
}

ph_b64url_loop ph_b64url_best_loop(void)
{
    return __builtin_cpu_supports("avx2") ? PH_B64URL_AVX2 : PH_B64URL_SSE2;
}

size_t ph_b64url_bulk(ph_b64url_loop loop, const unsigned char *in, size_t n,
                      unsigned char *out, unsigned *bad)
{
    if (loop == PH_B64URL_AVX2)
        return bulk_avx2(in, n, out, bad);
    if (loop == PH_B64URL_SSE2)
        return bulk_sse2(in, n, out, bad);
    return 0;
}

#else

int ph_b64url_loop_available(ph_b64url_loop loop)
{
    return loop == PH_B64URL_SCALAR;
}

ph_b64url_loop ph_b64url_best_loop(void)
{
    return PH_B64URL_SCALAR;
}

size_t ph_b64url_bulk(ph_b64url_loop loop, const unsigned char *in, size_t n,
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
