/*
 * For the bindings' caches of member names (bindings/python/callcache.h,
 * bindings/lua/lua_sink.c): the words a cached name is found by, the set
 * they choose, and the comparison of what they leave out.  It lives here
 * because every package of payhook carries csrc/ and every build has it
 * on the include path; the core itself does not use it.
 */
#ifndef PAYHOOK_NAME_WORDS_H
#define PAYHOOK_NAME_WORDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A name's first and last 8 bytes (4 when shorter than 8; for 1 to 3
 * bytes, all of them in `head`; none for 0), read without a loop and none
 * past its end: overlapping reads cover every byte of a name of up to 16,
 * so for those (len, head, tail) is the name itself. */
static inline void ph_name_words(const char *s, size_t len, uint64_t *head,
                                 uint64_t *tail)
{
    uint64_t a = 0, b = 0;

    if (len >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        a = x;
        b = y;
    } else if (len > 0) {
        a = (uint64_t)(unsigned char)s[0] |
            (uint64_t)(unsigned char)s[len / 2] << 8 |
            (uint64_t)(unsigned char)s[len - 1] << 16;
    }
    *head = a;
    *tail = b;
}

/* Which of 2^bits sets a name with these words and length falls in: the
 * top bits of a multiplicative hash, which every bit of the words
 * reaches.  (A product's low bits never see its operands' high ones:
 * bits 40-46, which the Python cache took before, put all names of 8
 * bytes or more that differ in their last two bytes only, "field_01",
 * "field_02", "address1", "address2", in one set.)  0 < bits < 64. */
static inline unsigned ph_name_set(uint64_t head, uint64_t tail, size_t len,
                                   unsigned bits)
{
    uint64_t h = (head ^ (tail * UINT64_C(0x9e3779b97f4a7c15)) ^ len) *
                 UINT64_C(0xff51afd7ed558ccd);

    return (unsigned)(h >> (64 - bits));
}

/* Whether names a and b, both `len` bytes and with the same words, are
 * the same name: only a name over 16 bytes has bytes the words miss.  Up
 * to 32 bytes, two more overlapping words cover them (bytes 8-15 and
 * len-16 to len-9), without a call: most long member names are 17 to 32
 * bytes, and a libc memcmp call per name was a percent or two of a
 * decode. */
static inline int ph_name_rest_equal(const char *a, const char *b, size_t len)
{
    uint64_t a1, a2, b1, b2;

    if (len <= 16)
        return 1;
    if (len > 32)
        return memcmp(a + 8, b + 8, len - 16) == 0;
    memcpy(&a1, a + 8, 8);
    memcpy(&b1, b + 8, 8);
    memcpy(&a2, a + len - 16, 8);
    memcpy(&b2, b + len - 16, 8);
    return ((a1 ^ b1) | (a2 ^ b2)) == 0;
}

#endif
