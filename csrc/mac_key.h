/* A prepared HMAC key: the hash's state after the key's inner pad and after
 * its outer pad, computed once, so that a MAC costs the message's blocks
 * and two finishing blocks, with nothing allocated and nothing written in
 * the key.  One key may be used by any number of threads at once. */
#ifndef PAYHOOK_MAC_KEY_H
#define PAYHOOK_MAC_KEY_H

#include <openssl/opensslconf.h>

#include "internal.h"

/* Where libcrypto has no SHA256_Init and kin, or the build asks for the
 * provider layer (-DPH_MAC_EVP, e.g. for a FIPS provider), every MAC works
 * on a duplicate of a keyed EVP_MAC context instead; see mac_key.c. */
#if !defined(PH_MAC_EVP) && defined(OPENSSL_NO_DEPRECATED_3_0)
#define PH_MAC_EVP 1
#endif

typedef enum ph_mac_hash {
    PH_MAC_SHA256 = 0,
    PH_MAC_SHA384,
    PH_MAC_SHA512
} ph_mac_hash;

typedef struct ph_mac_key ph_mac_key;

/* A key for `hash` from `key_len` bytes (at least one; a key longer than
 * the hash's block is hashed first, as RFC 2104 says).  The caller owns
 * *out and frees it with ph_mac_key_free, which wipes it.  Fails with
 * PH_ERR_KEY (empty key), PH_ERR_MEMORY or PH_ERR_CRYPTO. */
ph_status ph_mac_key_new(ph_mac_hash hash, const unsigned char *key,
                         size_t key_len, ph_mac_key **out, ph_error *err);
void ph_mac_key_free(ph_mac_key *k);

/* Bytes of the MAC: 32, 48 or 64. */
size_t ph_mac_key_size(const ph_mac_key *k);

/* The MAC of the parts, back to back, into out (ph_mac_key_size bytes, at
 * most 64).  Returns 1, or 0 when libcrypto fails (its queue is left for
 * the caller to clear).  Every intermediate state is wiped before it
 * returns. */
int ph_mac_key_compute(const ph_mac_key *k, const ph_str *parts, size_t nparts,
                       unsigned char *out);

#endif
