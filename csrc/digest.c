/* A plain (unkeyed) digest of bytes, as lowercase hex: what a replay guard
 * stores to tell a retried callback from a different one under the same
 * event id.  Not a MAC: the bytes have been authenticated before this is
 * asked for.  OpenSSL's SHA-1 (with the CPU's SHA instructions where it
 * has them) rather than a host's own: nginx's ngx.sha1_bin is nginx's
 * portable C code, several times slower on a 32 KB body. */
#include <openssl/evp.h>

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
