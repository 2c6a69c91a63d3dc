/* Prepared HMAC keys (RFC 2104).
 *
 * By default the pads are absorbed with libcrypto's SHA-2 functions
 * (SHA256_Init and kin: deprecated in OpenSSL 3 in favour of EVP, but the
 * same block code EVP runs, SHA extensions and all).  A MAC is then a copy
 * of a 112- or 216-byte state and the hash of the message: OpenSSL's own
 * HMAC re-keyed with EVP_MAC_init(NULL key) copies three digest contexts
 * through the provider layer, allocating, and costs about 15% more on a
 * 1.2 KB callback.
 *
 * Those calls bypass the provider layer, so a process that must use only
 * a FIPS provider builds with -DPH_MAC_EVP (and a libcrypto built without
 * the deprecated API gets it on its own): each MAC then works on a
 * duplicate of a keyed EVP_MAC context. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "mac_key.h"

static size_t digest_size(ph_mac_hash h)
{
    return h == PH_MAC_SHA256 ? 32 : h == PH_MAC_SHA384 ? 48 : 64;
}

#ifndef PH_MAC_EVP

typedef union hash_state {
    SHA256_CTX s256;
    SHA512_CTX s512; /* SHA-384 too: the same state, other start values */
} hash_state;

struct ph_mac_key {
    ph_mac_hash hash;
    hash_state inner; /* after H's start and the block key ^ 0x36 */
    hash_state outer; /* after H's start and the block key ^ 0x5c */
};

static size_t state_size(ph_mac_hash h)
{
    return h == PH_MAC_SHA256 ? sizeof(SHA256_CTX) : sizeof(SHA512_CTX);
}

static int h_init(ph_mac_hash h, hash_state *s)
{
    switch (h) {
    case PH_MAC_SHA256:
        return SHA256_Init(&s->s256);
    case PH_MAC_SHA384:
        return SHA384_Init(&s->s512);
    default:
        return SHA512_Init(&s->s512);
    }
}

static int h_update(ph_mac_hash h, hash_state *s, const void *p, size_t n)
{
    /* SHA384_Update is SHA512_Update: the two share their block code. */
    return h == PH_MAC_SHA256 ? SHA256_Update(&s->s256, p, n)
                              : SHA512_Update(&s->s512, p, n);
}

static int h_final(ph_mac_hash h, hash_state *s, unsigned char *out)
{
    switch (h) {
    case PH_MAC_SHA256:
        return SHA256_Final(out, &s->s256);
    case PH_MAC_SHA384:
        return SHA384_Final(out, &s->s512);
    default:
        return SHA512_Final(out, &s->s512);
    }
}

static void h_copy(ph_mac_hash h, hash_state *dst, const hash_state *src)
{
    memcpy(dst, src, state_size(h));
}

/* The hash's state after its start values and one block of key ^ pad. */
static int absorb_pad(ph_mac_hash h, const unsigned char *key, size_t len,
                      unsigned char pad, hash_state *s)
{
    unsigned char block[128];
    size_t i, size = h == PH_MAC_SHA256 ? 64 : 128;
    int ok;

    memset(block, pad, size);
    for (i = 0; i < len; i++)
        block[i] ^= key[i];
    ok = h_init(h, s) && h_update(h, s, block, size);
    OPENSSL_cleanse(block, sizeof block);
    return ok;
}

/* Absorbs the pads into k's two states; 0 on a libcrypto failure. */
static int prepare(ph_mac_key *k, const unsigned char *key, size_t key_len)
{
    unsigned char short_key[64];
    hash_state s;
    ph_mac_hash hash = k->hash;
    int ok = 1;

    if (key_len > (hash == PH_MAC_SHA256 ? 64u : 128u)) {
        ok = h_init(hash, &s) && h_update(hash, &s, key, key_len) &&
             h_final(hash, &s, short_key);
        key = short_key;
        key_len = digest_size(hash);
        OPENSSL_cleanse(&s, sizeof s);
    }
    ok = ok && absorb_pad(hash, key, key_len, 0x36, &k->inner) &&
         absorb_pad(hash, key, key_len, 0x5c, &k->outer);
    OPENSSL_cleanse(short_key, sizeof short_key);
    return ok;
}

void ph_mac_key_free(ph_mac_key *k)
{
    if (k == NULL)
        return;
    OPENSSL_cleanse(k, sizeof *k);
    free(k);
}

int ph_mac_key_compute(const ph_mac_key *k, const ph_str *parts, size_t nparts,
                       unsigned char *out)
{
    unsigned char inner[64];
    hash_state w;
    ph_mac_hash h = k->hash;
    size_t i, n = digest_size(h);
    int ok = 1;

    h_copy(h, &w, &k->inner);
    for (i = 0; i < nparts && ok; i++)
        if (parts[i].len > 0)
            ok = h_update(h, &w, parts[i].ptr, parts[i].len);
    ok = ok && h_final(h, &w, inner);
    if (ok) {
        h_copy(h, &w, &k->outer);
        ok = h_update(h, &w, inner, n) && h_final(h, &w, out);
    }
    OPENSSL_cleanse(&w, state_size(h));
    OPENSSL_cleanse(inner, sizeof inner);
    return ok;
}

#else /* PH_MAC_EVP */

struct ph_mac_key {
    ph_mac_hash hash;
    EVP_MAC_CTX *ctx; /* keyed; never used itself, only duplicated */
};

/* Keys k->ctx with a fresh HMAC context; 0 on a libcrypto failure. */
static int prepare(ph_mac_key *k, const unsigned char *key, size_t key_len)
{
    static const char *const names[] = { "SHA256", "SHA384", "SHA512" };
    OSSL_PARAM params[2];
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

    k->ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context keeps its own reference */
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)names[k->hash], 0);
    params[1] = OSSL_PARAM_construct_end();
    return k->ctx != NULL && EVP_MAC_init(k->ctx, key, key_len, params);
}

void ph_mac_key_free(ph_mac_key *k)
{
    if (k == NULL)
        return;
    EVP_MAC_CTX_free(k->ctx); /* wipes its key state */
    free(k);
}

int ph_mac_key_compute(const ph_mac_key *k, const ph_str *parts, size_t nparts,
                       unsigned char *out)
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(k->ctx);
    size_t i, len = 0;
    int ok = ctx != NULL;

    for (i = 0; i < nparts && ok; i++)
        if (parts[i].len > 0)
            ok = EVP_MAC_update(ctx, (const unsigned char *)parts[i].ptr,
                                parts[i].len);
    ok =
        ok && EVP_MAC_final(ctx, out, &len, 64) && len == digest_size(k->hash);
    EVP_MAC_CTX_free(ctx);
    return ok;
}

#endif /* PH_MAC_EVP */

ph_status ph_mac_key_new(ph_mac_hash hash, const unsigned char *key,
                         size_t key_len, ph_mac_key **out, ph_error *err)
{
    ph_mac_key *k;

    *out = NULL;
    if (key_len == 0)
        return ph_fail(err, PH_ERR_KEY, "the key is empty");
    if ((k = calloc(1, sizeof *k)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    k->hash = hash;
    if (!prepare(k, key, key_len)) {
        ph_mac_key_free(k);
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "HMAC setup failed");
    }
    *out = k;
    return PH_OK;
}

size_t ph_mac_key_size(const ph_mac_key *k)
{
    return digest_size(k->hash);
}
