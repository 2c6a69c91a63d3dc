/* AES-256-CBC with PKCS#7 padding, through OpenSSL's EVP interface. */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

/* The one message for every decryption failure: the caller of an
 * unauthenticated cipher must not learn why it failed. */
const char ph_decrypt_message[] = "the payload could not be decrypted";

/* Constant-time helpers on small unsigned values: all ones or zero. */
static unsigned ct_is_negative(unsigned x)
{
    return 0u - (x >> (sizeof x * CHAR_BIT - 1));
}

static unsigned ct_eq(unsigned a, unsigned b)
{
    unsigned d = a ^ b;
    return ~ct_is_negative(d | (0u - d));
}

/* a < b, for a and b below 2^31. */
static unsigned ct_lt(unsigned a, unsigned b)
{
    return ct_is_negative(a - b);
}

unsigned ph_pkcs7_check(unsigned char *pt, size_t len, size_t *pad_len,
                        int blank)
{
    unsigned char *last = pt + len - PH_AES_BLOCK;
    unsigned pad = last[PH_AES_BLOCK - 1];
    unsigned good = ~ct_eq(pad, 0) & ct_lt(pad, PH_AES_BLOCK + 1);
    unsigned i;

    /* Every byte of the block is looked at, whatever `pad` says. */
    for (i = 0; i < PH_AES_BLOCK; i++) {
        unsigned in_pad = ~ct_lt(i, PH_AES_BLOCK - pad) & ct_lt(pad, 17);
        good &= ~in_pad | ct_eq(last[i], pad);
    }
    if (blank) {
        for (i = 0; i < PH_AES_BLOCK; i++) {
            unsigned m = ~ct_lt(i, PH_AES_BLOCK - pad) & good;
            last[i] = (unsigned char)((last[i] & ~m) | (' ' & m));
        }
    }
    *pad_len = pad & good;
    return good;
}

ph_status ph_aes_cbc_raw(EVP_CIPHER_CTX *ctx,
                         const unsigned char key[PH_AES_KEY_LEN],
                         const unsigned char iv[PH_AES_BLOCK],
                         const unsigned char *ct, size_t len,
                         unsigned char *out, ph_error *err)
{
    int n = 0, ok;

    /* The context has EVP's padding switched off (its removal branches on
     * the padding bytes, and so tells through its time whether they were
     * valid); a context that still had it would hold back the last block,
     * which the length check turns into an error, never a short result. */
    ok = len > 0 && len % PH_AES_BLOCK == 0 && len <= INT_MAX &&
         EVP_DecryptInit_ex2(ctx, NULL, key, iv, NULL) &&
         EVP_DecryptUpdate(ctx, out, &n, ct, (int)len) && (size_t)n == len;
    /* Cleared only on failure (ERR_clear_error costs about 100 ns, a
     * third of the decryption of a 1.3 KB callback): whether this fails
     * depends on the length and on OpenSSL, never on the ciphertext's
     * bytes, so the branch tells an attacker nothing. */
    if (!ok) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "AES-256-CBC decryption failed");
    }
    return PH_OK;
}

ph_status ph_aes_cbc_chained(EVP_CIPHER_CTX *ctx, ph_aes_chain *chain,
                             const unsigned char iv[PH_AES_BLOCK],
                             const unsigned char *ct, size_t len,
                             unsigned char *out, ph_error *err)
{
    unsigned char next[PH_AES_BLOCK];
    int n = 0;
    size_t i;

    /* A length the stream cannot take leaves it as it was. */
    if (len == 0 || len % PH_AES_BLOCK != 0 || len > INT_MAX)
        return ph_fail(err, PH_ERR_CRYPTO, "AES-256-CBC decryption failed");
    /* Read before decrypting, in case `out` is `ct`. */
    memcpy(next, ct + len - PH_AES_BLOCK, PH_AES_BLOCK);
    if (!chain->valid) {
        if (ph_aes_cbc_raw(ctx, NULL, iv, ct, len, out, err) != PH_OK)
            return PH_ERR_CRYPTO;
    } else {
        if (!EVP_DecryptUpdate(ctx, out, &n, ct, (int)len) ||
            (size_t)n != len) {
            chain->valid = 0;
            ph_clear_openssl_errors();
            return ph_fail(err, PH_ERR_CRYPTO,
                           "AES-256-CBC decryption failed");
        }
        /* out[0..16) is D(C1) ^ last; the plaintext is D(C1) ^ iv. */
        for (i = 0; i < PH_AES_BLOCK; i++)
            out[i] ^= (unsigned char)(chain->last[i] ^ iv[i]);
    }
    memcpy(chain->last, next, PH_AES_BLOCK);
    chain->valid = 1;
    return PH_OK;
}

ph_status ph_aes256cbc_raw(const unsigned char key[PH_AES_KEY_LEN],
                           const unsigned char iv[PH_AES_BLOCK],
                           const unsigned char *ct, size_t len,
                           unsigned char *out, ph_error *err)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    ph_status st;

    if (ctx == NULL) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    }
    if (!EVP_DecryptInit_ex2(ctx, EVP_aes_256_cbc(), NULL, NULL, NULL) ||
        !EVP_CIPHER_CTX_set_padding(ctx, 0)) {
        EVP_CIPHER_CTX_free(ctx);
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "AES-256-CBC is not available");
    }
    st = ph_aes_cbc_raw(ctx, key, iv, ct, len, out, err);
    EVP_CIPHER_CTX_free(ctx); /* wipes the key schedule */
    return st;
}

ph_status ph_aes256cbc_decrypt(const unsigned char key[PH_AES_KEY_LEN],
                               const unsigned char iv[PH_AES_BLOCK],
                               const unsigned char *ct, size_t len,
                               ph_scratch *s, const unsigned char **pt,
                               size_t *pt_len, ph_error *err)
{
    unsigned char *out;
    size_t pad;
    ph_status st;

    if (len == 0 || len % PH_AES_BLOCK != 0 || len > INT_MAX - PH_AES_BLOCK)
        return ph_fail(err, PH_ERR_DECRYPT, "%s", ph_decrypt_message);
    if ((out = ph_scratch_data(s, len, err)) == NULL)
        return PH_ERR_MEMORY;
    if ((st = ph_aes256cbc_raw(key, iv, ct, len, out, err)) != PH_OK)
        return st;
    if (!ph_pkcs7_check(out, len, &pad, 0)) {
        OPENSSL_cleanse(out, len);
        return ph_fail(err, PH_ERR_DECRYPT, "%s", ph_decrypt_message);
    }
    *pt = out;
    *pt_len = len - pad;
    return PH_OK;
}

ph_status ph_aes256cbc_encrypt(const unsigned char key[PH_AES_KEY_LEN],
                               const unsigned char iv[PH_AES_BLOCK],
                               const unsigned char *pt, size_t len,
                               unsigned char **ct, size_t *ct_len,
                               ph_error *err)
{
    EVP_CIPHER_CTX *ctx;
    unsigned char *out;
    size_t cap = len + PH_AES_BLOCK - len % PH_AES_BLOCK;
    int n1 = 0, n2 = 0, ok;

    *ct = NULL;
    if (len > INT_MAX - 2 * PH_AES_BLOCK)
        return ph_fail(err, PH_ERR_TOO_LARGE, "plaintext too large");
    if ((out = malloc(cap)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
        ph_clear_openssl_errors();
        free(out);
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    }
    ok = EVP_EncryptInit_ex2(ctx, EVP_aes_256_cbc(), key, iv, NULL) &&
         EVP_EncryptUpdate(ctx, out, &n1, pt, (int)len) &&
         EVP_EncryptFinal_ex(ctx, out + n1, &n2) &&
         (size_t)n1 + (size_t)n2 == cap;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        ph_clear_openssl_errors();
        ph_free(out, cap);
        return ph_fail(err, PH_ERR_CRYPTO, "encryption failed");
    }
    *ct = out;
    *ct_len = cap;
    return PH_OK;
}
