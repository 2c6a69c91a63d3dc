/* The HMAC algorithm table and token signing (for building test
 * callbacks). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"
#include "jwt_internal.h"

const ph_alg ph_alg_info[PH_ALG_COUNT] = {
    { PH_ALG_HS256, "HS256", "SHA256", PH_MAC_SHA256, 32 },
    { PH_ALG_HS384, "HS384", "SHA384", PH_MAC_SHA384, 48 },
    { PH_ALG_HS512, "HS512", "SHA512", PH_MAC_SHA512, 64 },
};

unsigned ph_alg_from_name(const char *name, size_t len)
{
    size_t a;

    for (a = 0; a < PH_ALG_COUNT; a++)
        if (len == 5 && memcmp(name, ph_alg_info[a].name, 5) == 0)
            return ph_alg_info[a].bit;
    return 0;
}

ph_status ph_jwt_sign(const char *header_json, size_t header_len,
                      const char *payload_json, size_t payload_len,
                      unsigned algorithm, const unsigned char *key,
                      size_t key_len, char **token, ph_error *err)
{
    const ph_alg *alg = NULL;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    size_t h64, p64, s64, total, a;
    char *out;

    *token = NULL;
    for (a = 0; a < PH_ALG_COUNT; a++)
        if (ph_alg_info[a].bit == algorithm)
            alg = &ph_alg_info[a];
    if (alg == NULL)
        return ph_fail(err, PH_ERR_ALGORITHM,
                       "algorithm must be HS256, HS384 or HS512");
    if (key_len == 0)
        return ph_fail(err, PH_ERR_KEY, "the key is empty");
    h64 = ph_b64url_encoded_len(header_len);
    p64 = ph_b64url_encoded_len(payload_len);
    s64 = ph_b64url_encoded_len(alg->digest_len);
    total = h64 + 1 + p64 + 1 + s64;
    if ((out = malloc(total + 1)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    ph_b64url_encode((const unsigned char *)header_json, header_len, out);
    out[h64] = '.';
    ph_b64url_encode((const unsigned char *)payload_json, payload_len,
                     out + h64 + 1);
    out[h64 + 1 + p64] = '.';
    if (HMAC(EVP_get_digestbyname(alg->digest), key, (int)key_len,
             (const unsigned char *)out, h64 + 1 + p64, mac,
             &mac_len) == NULL ||
        mac_len != alg->digest_len) {
        ph_clear_openssl_errors();
        ph_free(out, total + 1);
        return ph_fail(err, PH_ERR_CRYPTO, "HMAC computation failed");
    }
    ph_b64url_encode(mac, mac_len, out + h64 + 1 + p64 + 1);
    OPENSSL_cleanse(mac, sizeof mac);
    out[total] = '\0';
    *token = out;
    return PH_OK;
}
