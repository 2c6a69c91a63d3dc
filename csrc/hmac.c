/* HMAC over a message the caller builds from parts (Stripe's `t.body`,
 * Standard Webhooks' `id.timestamp.body`), with one key or a prepared set
 * of keys tried in constant time. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gateway.h"

static ph_mac_hash mac_hash(ph_digest d)
{
    return d == PH_DIGEST_SHA512 ? PH_MAC_SHA512 : PH_MAC_SHA256;
}

size_t ph_digest_len(ph_digest d)
{
    return d == PH_DIGEST_SHA512 ? 64 : 32;
}

ph_status ph_hmac(ph_digest digest, const unsigned char *key, size_t key_len,
                  const ph_str *parts, size_t nparts, unsigned char *out,
                  size_t *out_len, ph_error *err)
{
    ph_mac_key *k;
    ph_status st;
    int ok;

    if ((st = ph_mac_key_new(mac_hash(digest), key, key_len, &k, err)) !=
        PH_OK)
        return st;
    ok = ph_mac_key_compute(k, parts, nparts, out);
    ph_mac_key_free(k);
    if (!ok) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "HMAC computation failed");
    }
    *out_len = ph_digest_len(digest);
    return PH_OK;
}

ph_status ph_hmac_keys_new(ph_digest digest, const unsigned char *const *keys,
                           const size_t *key_lens, size_t nkeys,
                           ph_hmac_keys *out, ph_error *err)
{
    ph_status st;
    size_t i;

    memset(out, 0, sizeof *out);
    out->digest = digest;
    for (i = 0; i < nkeys && i < PH_MAX_KEYS; i++) {
        st = ph_mac_key_new(mac_hash(digest), keys[i], key_lens[i],
                            &out->key[i], err);
        if (st != PH_OK) {
            ph_hmac_keys_free(out);
            return st;
        }
        out->n = i + 1;
    }
    return PH_OK;
}

void ph_hmac_keys_free(ph_hmac_keys *k)
{
    size_t i;

    for (i = 0; i < PH_MAX_KEYS; i++)
        ph_mac_key_free(k->key[i]);
    memset(k, 0, sizeof *k);
}

ph_status ph_hmac_keys_match(const ph_hmac_keys *k, const ph_str *parts,
                             size_t nparts, const unsigned char *sigs,
                             size_t nsigs, ph_error *err)
{
    unsigned char mac[64];
    size_t i, j, want = ph_digest_len(k->digest);
    int match = 0, failed = 0;

    /* Every key and every candidate is tried even after a match, so the
     * time says nothing about which key or which signature matched. */
    for (i = 0; i < k->n && !failed; i++) {
        failed = !ph_mac_key_compute(k->key[i], parts, nparts, mac);
        for (j = 0; j < nsigs && !failed; j++)
            match |= CRYPTO_memcmp(mac, sigs + j * want, want) == 0;
    }
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
    if (i >= k->n)
        return ph_fail(err, PH_ERR_ARGUMENT, "no such key");
    if (!ph_mac_key_compute(k->key[i], parts, nparts, out)) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "HMAC computation failed");
    }
    *out_len = ph_digest_len(k->digest);
    return PH_OK;
}
