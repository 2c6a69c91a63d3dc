/*
 * SipHash-2-4 with its 128-bit output (Aumasson and Bernstein, "SipHash:
 * a fast short-input PRF"), over a list of parts as if they were one
 * string.
 *
 * It keys ph_fingerprint (digest.c): a host's cache of prepared decoders
 * is looked up on every one-call decode, and an HMAC-SHA256 there cost
 * more than the rest of the lookup; SipHash is a keyed PRF at a tenth of
 * that for the short inputs a cache key is.  The tests check it against
 * OpenSSL's own SIPHASH MAC.
 */
#include <openssl/crypto.h>

#include "internal.h"

typedef struct sip_state {
    uint64_t v0, v1, v2, v3;
} sip_state;

static inline uint64_t rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

static inline void sip_round(sip_state *s)
{
    s->v0 += s->v1;
    s->v1 = rotl(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl(s->v2, 32);
}

/* One message word: two compression rounds. */
static inline void sip_word(sip_state *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    sip_round(s);
    s->v0 ^= m;
}

static void store_le64(unsigned char *p, uint64_t w)
{
    int i;

    for (i = 0; i < 8; i++)
        p[i] = (unsigned char)(w >> (8 * i));
}

void ph_siphash128(const unsigned char key[PH_SIPHASH_KEY_LEN],
                   const ph_str *parts, size_t nparts,
                   unsigned char out[PH_SIPHASH_LEN])
{
    uint64_t k0 = ph_load_le64(key), k1 = ph_load_le64(key + 8);
    sip_state s = {
        k0 ^ UINT64_C(0x736f6d6570736575),
        /* 0xee: the 128-bit output's domain, as the paper's variant */
        k1 ^ UINT64_C(0x646f72616e646f6d) ^ 0xee,
        k0 ^ UINT64_C(0x6c7967656e657261),
        k1 ^ UINT64_C(0x7465646279746573),
    };
    unsigned char tail[8];
    size_t have = 0, total = 0, i;
    uint64_t last;
    int r;

    for (i = 0; i < nparts; i++) {
        const unsigned char *p = (const unsigned char *)parts[i].ptr;
        size_t n = parts[i].len;

        total += n;
        /* Bytes left from the previous part make a word first. */
        while (have > 0 && have < 8 && n > 0) {
            tail[have++] = *p++;
            n--;
        }
        if (have == 8) {
            sip_word(&s, ph_load_le64(tail));
            have = 0;
        }
        for (; n >= 8; p += 8, n -= 8)
            sip_word(&s, ph_load_le64(p));
        if (n > 0) {
            memcpy(tail, p, n);
            have = n;
        }
    }
    /* The last word: the remaining bytes, and the length's low byte on
     * top. */
    memset(tail + have, 0, 8 - have);
    tail[7] = (unsigned char)total;
    last = ph_load_le64(tail);
    sip_word(&s, last);

    s.v2 ^= 0xee;
    for (r = 0; r < 4; r++)
        sip_round(&s);
    store_le64(out, s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
    s.v1 ^= 0xdd;
    for (r = 0; r < 4; r++)
        sip_round(&s);
    store_le64(out + 8, s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
    OPENSSL_cleanse(&s, sizeof s);
    OPENSSL_cleanse(tail, sizeof tail);
}
