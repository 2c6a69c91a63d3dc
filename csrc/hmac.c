/* HMAC over a message the caller builds from parts (Stripe's `t.body`,
 * Standard Webhooks' `id.timestamp.body`), with one key or a prepared set
 * of keys tried in constant time. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gateway.h"

static const char *digest_name(ph_digest d)
{
    return d == PH_DIGEST_SHA512 ? "SHA512" : "SHA256";
}

size_t ph_digest_len(ph_digest d)
{
    return d == PH_DIGEST_SHA512 ? 64 : 32;
}

static EVP_MAC_CTX *keyed_ctx(ph_digest digest, const unsigned char *key,
                              size_t key_len)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[2];

    EVP_MAC_free(mac); /* the context keeps its own reference */
    if (ctx == NULL)
        return NULL;
    params[0] = OSSL_PARAM_construct_utf8_string(
        OSSL_MAC_PARAM_DIGEST, (char *)digest_name(digest), 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(ctx, key, key_len, params)) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int mac_parts(EVP_MAC_CTX *ctx, const ph_str *parts, size_t nparts,
                     unsigned char *out, size_t *out_len)
{
    size_t i;

    for (i = 0; i < nparts; i++)
        if (parts[i].len > 0 &&
            !EVP_MAC_update(ctx, (const unsigned char *)parts[i].ptr,
                            parts[i].len))
            return 0;
    return EVP_MAC_final(ctx, out, out_len, 64);
}

ph_status ph_hmac(ph_digest digest, const unsigned char *key, size_t key_len,
                  const ph_str *parts, size_t nparts, unsigned char *out,
                  size_t *out_len, ph_error *err)
{
    EVP_MAC_CTX *ctx;
    int ok;

    if (key_len == 0)
        return ph_fail(err, PH_ERR_KEY, "the key is empty");
    if ((ctx = keyed_ctx(digest, key, key_len)) == NULL) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "HMAC setup failed");
    }
    ok = mac_parts(ctx, parts, nparts, out, out_len);
    EVP_MAC_CTX_free(ctx);
    if (!ok) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "HMAC computation failed");
    }
    return PH_OK;
}

struct ph_hmac_work {
    atomic_int busy;
    EVP_MAC_CTX *ctx[PH_MAX_KEYS];
};

ph_status ph_hmac_keys_new(ph_digest digest, const unsigned char *const *keys,
                           const size_t *key_lens, size_t nkeys,
                           ph_hmac_keys *out, ph_error *err)
{
    size_t i;

    memset(out, 0, sizeof *out);
    out->digest = digest;
    if ((out->work = calloc(1, sizeof *out->work)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    atomic_init(&out->work->busy, 0);
    for (i = 0; i < nkeys; i++) {
        if (key_lens[i] == 0) {
            ph_hmac_keys_free(out);
            return ph_fail(err, PH_ERR_KEY, "the key is empty");
        }
        if ((out->ctx[i] = keyed_ctx(digest, keys[i], key_lens[i])) == NULL ||
            (out->work->ctx[i] = EVP_MAC_CTX_dup(out->ctx[i])) == NULL) {
            ph_clear_openssl_errors();
            ph_hmac_keys_free(out);
            return ph_fail(err, PH_ERR_CRYPTO, "HMAC setup failed");
        }
        out->n = i + 1;
    }
    return PH_OK;
}

void ph_hmac_keys_free(ph_hmac_keys *k)
{
    size_t i;

    for (i = 0; i < PH_MAX_KEYS; i++) {
        EVP_MAC_CTX_free(k->ctx[i]); /* frees wipe the key schedule */
        if (k->work != NULL)
            EVP_MAC_CTX_free(k->work->ctx[i]);
    }
    free(k->work);
    memset(k, 0, sizeof *k);
}

/* Key i's context, ready for a new message: the set's own working copy when
 * `own` (the caller holds the try-lock), else a fresh copy the caller
 * frees.  NULL when OpenSSL fails. */
static EVP_MAC_CTX *start_ctx(const ph_hmac_keys *k, size_t i, int own)
{
    EVP_MAC_CTX *ctx;

    if (!own)
        return EVP_MAC_CTX_dup(k->ctx[i]);
    /* A NULL key starts again with the key already set. */
    ctx = k->work->ctx[i];
    return EVP_MAC_init(ctx, NULL, 0, NULL) ? ctx : NULL;
}

ph_status ph_hmac_keys_match(const ph_hmac_keys *k, const ph_str *parts,
                             size_t nparts, const unsigned char *sigs,
                             size_t nsigs, ph_error *err)
{
    unsigned char mac[64];
    size_t i, j, mac_len = 0, want = ph_digest_len(k->digest);
    int match = 0, failed = 0, expected = 0, own;

    own = atomic_compare_exchange_strong(&k->work->busy, &expected, 1);
    /* Every key and every candidate is tried even after a match, so the
     * time says nothing about which key or which signature matched. */
    for (i = 0; i < k->n && !failed; i++) {
        EVP_MAC_CTX *ctx = start_ctx(k, i, own);
        failed = ctx == NULL ||
                 !mac_parts(ctx, parts, nparts, mac, &mac_len) ||
                 mac_len != want;
        if (!own)
            EVP_MAC_CTX_free(ctx);
        for (j = 0; j < nsigs && !failed; j++)
            match |= CRYPTO_memcmp(mac, sigs + j * want, want) == 0;
    }
    if (own)
        atomic_store(&k->work->busy, 0);
    OPENSSL_cleanse(mac, sizeof mac);
    if (failed) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "HMAC computation failed");
    }
    if (!match)
        return ph_fail(err, PH_ERR_SIGNATURE, "signature verification failed");
    return PH_OK;
}

ph_status ph_hmac_keys_mac(const ph_hmac_keys *k, const ph_str *parts,
                           size_t nparts, unsigned char *out, size_t *out_len,
                           ph_error *err)
{
    return ph_hmac_keys_mac_at(k, 0, parts, nparts, out, out_len, err);
}

ph_status ph_hmac_keys_mac_at(const ph_hmac_keys *k, size_t i,
                              const ph_str *parts, size_t nparts,
                              unsigned char *out, size_t *out_len,
                              ph_error *err)
{
    int expected = 0, own, ok;
    EVP_MAC_CTX *ctx;

    if (i >= k->n)
        return ph_fail(err, PH_ERR_ARGUMENT, "no such key");
    own = atomic_compare_exchange_strong(&k->work->busy, &expected, 1);
    ctx = start_ctx(k, i, own);
    ok = ctx != NULL && mac_parts(ctx, parts, nparts, out, out_len);
    if (own)
        atomic_store(&k->work->busy, 0);
    else
        EVP_MAC_CTX_free(ctx);
    if (!ok) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "HMAC computation failed");
    }
    return PH_OK;
}
