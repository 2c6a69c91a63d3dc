/* AES-256-CBC with PKCS#7 padding, through OpenSSL's EVP interface. */
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

/* The one message for every decryption failure: the caller of an
 * unauthenticated cipher must not learn why it failed. */
const char ph_decrypt_message[] = "the payload could not be decrypted";

ph_status ph_aes_cbc_decrypt_with(EVP_CIPHER_CTX *ctx,
                                  const unsigned char key[PH_AES_KEY_LEN],
                                  const unsigned char iv[PH_AES_BLOCK],
                                  const unsigned char *ct, size_t len,
                                  ph_scratch *s, const unsigned char **pt,
                                  size_t *pt_len, ph_error *err)
{
    unsigned char *out;
    int n1 = 0, n2 = 0, ok;

    if (len == 0 || len % PH_AES_BLOCK != 0 || len > INT_MAX - PH_AES_BLOCK)
        return ph_fail(err, PH_ERR_DECRYPT, "%s", ph_decrypt_message);
    if ((out = ph_scratch_data(s, len + PH_AES_BLOCK, err)) == NULL)
        return PH_ERR_MEMORY;
    ok = EVP_DecryptInit_ex2(ctx, NULL, key, iv, NULL) &&
         EVP_DecryptUpdate(ctx, out, &n1, ct, (int)len) &&
         EVP_DecryptFinal_ex(ctx, out + n1, &n2);
    ph_clear_openssl_errors();
    if (!ok) {
        OPENSSL_cleanse(out, len + PH_AES_BLOCK);
        return ph_fail(err, PH_ERR_DECRYPT, "%s", ph_decrypt_message);
    }
    *pt = out;
    *pt_len = (size_t)n1 + (size_t)n2;
    return PH_OK;
}

ph_status ph_aes256cbc_decrypt(const unsigned char key[PH_AES_KEY_LEN],
                               const unsigned char iv[PH_AES_BLOCK],
                               const unsigned char *ct, size_t len,
                               ph_scratch *s, const unsigned char **pt,
                               size_t *pt_len, ph_error *err)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    ph_status st;

    if (ctx == NULL) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    }
    if (!EVP_DecryptInit_ex2(ctx, EVP_aes_256_cbc(), NULL, NULL, NULL)) {
        EVP_CIPHER_CTX_free(ctx);
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "AES-256-CBC is not available");
    }
    st = ph_aes_cbc_decrypt_with(ctx, key, iv, ct, len, s, pt, pt_len, err);
    EVP_CIPHER_CTX_free(ctx);   /* wipes the key schedule */
    return st;
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
