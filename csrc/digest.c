/*
 * Digests for bookkeeping, not for authenticating a callback:
 *
 * - ph_sha1_hex: a plain SHA-1 of bytes as hex, what a replay guard stores
 *   to tell a retried callback from a different one under the same event
 *   id (the bytes were authenticated before it is asked for).  OpenSSL's
 *   SHA-1 (with the CPU's SHA instructions where it has them) rather than
 *   a host's own: nginx's ngx.sha1_bin is nginx's portable C code, several
 *   times slower on a 32 KB body.
 * - ph_fingerprint: SipHash-2-4 (128-bit output, siphash.c) under a
 *   random salt made when the fingerprinter is, so that a host can key a
 *   cache of prepared decoders by their arguments without keeping the key
 *   bytes themselves, nor an unsalted hash of them, in memory it cannot
 *   wipe.  A keyed PRF is all that needs; it runs on every one-call
 *   decode, where HMAC-SHA256 cost about 0.7 µs and SipHash 0.05.
 */
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "gateway.h"

ph_status ph_sha1_hex(const void *data, size_t len,
                      char out[PH_SHA1_HEX_LEN + 1], ph_error *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (!EVP_Digest(data, len, md, &md_len, EVP_sha1(), NULL) ||
        md_len * 2 != PH_SHA1_HEX_LEN) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_MEMORY, "SHA-1 is not available");
    }
    ph_hex_encode(md, md_len, out);
    out[PH_SHA1_HEX_LEN] = '\0';
    return PH_OK;
}

struct ph_fingerprinter {
    unsigned char salt[PH_SIPHASH_KEY_LEN];
};

ph_status ph_fingerprinter_new(ph_fingerprinter **out, ph_error *err)
{
    ph_fingerprinter *f;

    *out = NULL;
    if ((f = calloc(1, sizeof *f)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    if (RAND_bytes(f->salt, (int)sizeof f->salt) != 1) {
        ph_clear_openssl_errors();
        free(f);
        return ph_fail(err, PH_ERR_CRYPTO, "no random bytes for the salt");
    }
    *out = f;
    return PH_OK;
}

ph_status ph_fingerprint(const ph_fingerprinter *f, const ph_str *parts,
                         size_t nparts, unsigned char out[PH_FINGERPRINT_LEN],
                         ph_error *err)
{
    (void)err;
    ph_siphash128(f->salt, parts, nparts, out);
    return PH_OK;
}

void ph_fingerprinter_free(ph_fingerprinter *f)
{
    if (f == NULL)
        return;
    OPENSSL_cleanse(f->salt, sizeof f->salt);
    free(f);
}
