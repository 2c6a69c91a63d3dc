/* RSASSA-PKCS1-v1_5 signatures with SHA-256 and SHA-512, through EVP, for
 * CHIP's X-Signature.  The key is the merchant's PEM public key; the only
 * checks that matter are that it is RSA, public, and big enough. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "gateway.h"

#define MIN_BITS 2048
#define MAX_BITS 16384 /* a bigger key only costs the verifier time */

/* A verification context per digest is set up with the key: with OpenSSL
 * 3, EVP_DigestVerifyInit fetches the digest and the signature code and
 * builds a key context, about a tenth of a 2048-bit verification.  Each
 * call verifies on a copy, so the key stays read-only and can be shared
 * between threads. */
enum { READY_SHA256, READY_SHA512, READY_COUNT };

struct ph_rsa_key {
    EVP_PKEY *pkey;
    size_t size;
    EVP_MD_CTX *ready[READY_COUNT];
};

static const EVP_MD *md_of(ph_digest d)
{
    return d == PH_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256();
}

static int ready_index(ph_digest d)
{
    return d == PH_DIGEST_SHA512 ? READY_SHA512 : READY_SHA256;
}

/* A context ready to verify PKCS#1 v1.5 signatures by `pkey` with the
 * digest, or NULL. */
static EVP_MD_CTX *ready_ctx(EVP_PKEY *pkey, const EVP_MD *md)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;

    if (ctx == NULL || EVP_DigestVerifyInit(ctx, &pctx, md, NULL, pkey) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Decode PEM into a key of the given selection, or NULL. */
static EVP_PKEY *decode_pem(const char *pem, size_t len, int selection,
                            const char *structure)
{
    OSSL_DECODER_CTX *dctx;
    EVP_PKEY *pkey = NULL;
    const unsigned char *p = (const unsigned char *)pem;
    size_t left = len;

    dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", structure, "RSA",
                                         selection, NULL, NULL);
    if (dctx == NULL)
        return NULL;
    if (!OSSL_DECODER_from_data(dctx, &p, &left)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(dctx);
    return pkey;
}

/* A private key PEM is refused outright: the merchant has pasted the wrong
 * file, and keeping it in a verifier would spread a secret. */
static int looks_private(const char *pem, size_t len)
{
    static const char marker[] = "PRIVATE KEY-----";
    size_t m = sizeof marker - 1, i;

    for (i = 0; i + m <= len; i++)
        if (memcmp(pem + i, marker, m) == 0)
            return 1;
    return 0;
}

ph_status ph_rsa_key_new(const char *pem, size_t len, ph_rsa_key **out,
                         ph_error *err)
{
    ph_rsa_key *k;
    EVP_PKEY *pkey = NULL;
    int bits;

    *out = NULL;
    if (len == 0)
        return ph_fail(err, PH_ERR_KEY, "the key is empty");
    if (looks_private(pem, len))
        return ph_fail(err, PH_ERR_KEY,
                       "a private key was given where the public key is "
                       "needed");
    pkey = decode_pem(pem, len, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo");
    if (pkey == NULL)
        pkey = decode_pem(pem, len, EVP_PKEY_PUBLIC_KEY, "type-specific");
    ph_clear_openssl_errors();
    if (pkey == NULL || !EVP_PKEY_is_a(pkey, "RSA")) {
        EVP_PKEY_free(pkey);
        return ph_fail(err, PH_ERR_KEY, "the key is not a PEM RSA public key");
    }
    bits = EVP_PKEY_get_bits(pkey);
    if (bits < MIN_BITS || bits > MAX_BITS) {
        EVP_PKEY_free(pkey);
        return ph_fail(err, PH_ERR_KEY,
                       "the RSA key has %d bits; %d to %d are accepted", bits,
                       MIN_BITS, MAX_BITS);
    }
    if ((k = calloc(1, sizeof *k)) == NULL) {
        EVP_PKEY_free(pkey);
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    }
    k->pkey = pkey;
    k->size = (size_t)EVP_PKEY_get_size(pkey);
    k->ready[READY_SHA256] = ready_ctx(pkey, md_of(PH_DIGEST_SHA256));
    k->ready[READY_SHA512] = ready_ctx(pkey, md_of(PH_DIGEST_SHA512));
    if (k->ready[READY_SHA256] == NULL || k->ready[READY_SHA512] == NULL) {
        ph_clear_openssl_errors();
        ph_rsa_key_free(k);
        return ph_fail(err, PH_ERR_CRYPTO,
                       "RSA verification could not be set up");
    }
    *out = k;
    return PH_OK;
}

void ph_rsa_key_free(ph_rsa_key *k)
{
    int i;

    if (k == NULL)
        return;
    for (i = 0; i < READY_COUNT; i++)
        EVP_MD_CTX_free(k->ready[i]);
    EVP_PKEY_free(k->pkey);
    free(k);
}

size_t ph_rsa_key_size(const ph_rsa_key *k)
{
    return k->size;
}

ph_status ph_rsa_verify(const ph_rsa_key *k, ph_digest digest,
                        const unsigned char *msg, size_t len,
                        const unsigned char *sig, size_t sig_len,
                        ph_error *err)
{
    EVP_MD_CTX *md;
    int rc;

    if (sig_len != k->size)
        return ph_fail(err, PH_ERR_SIGNATURE, "signature verification failed");
    if ((md = EVP_MD_CTX_new()) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    /* -2: the copy failed, which is no verdict on the signature. */
    rc = EVP_MD_CTX_copy_ex(md, k->ready[ready_index(digest)]) == 1
             ? EVP_DigestVerify(md, sig, sig_len, msg, len)
             : -2;
    EVP_MD_CTX_free(md);
    ph_clear_openssl_errors();
    if (rc == 1)
        return PH_OK;
    if (rc == 0 || rc == -1) /* -1 also covers a malformed signature */
        return ph_fail(err, PH_ERR_SIGNATURE, "signature verification failed");
    return ph_fail(err, PH_ERR_CRYPTO, "RSA verification failed");
}

ph_status ph_rsa_sign(const char *private_pem, size_t pem_len,
                      ph_digest digest, const unsigned char *msg, size_t len,
                      unsigned char **sig, size_t *sig_len, ph_error *err)
{
    EVP_PKEY *pkey;
    EVP_MD_CTX *md = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *out = NULL;
    size_t out_len = 0;
    ph_status st = PH_OK;

    *sig = NULL;
    *sig_len = 0;
    pkey = decode_pem(private_pem, pem_len, EVP_PKEY_KEYPAIR, NULL);
    if (pkey == NULL || !EVP_PKEY_is_a(pkey, "RSA")) {
        EVP_PKEY_free(pkey);
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_KEY,
                       "the key is not a PEM RSA private key");
    }
    if ((md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit(md, &pctx, md_of(digest), NULL, pkey) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
        EVP_DigestSign(md, NULL, &out_len, msg, len) != 1 ||
        (out = malloc(out_len)) == NULL ||
        EVP_DigestSign(md, out, &out_len, msg, len) != 1) {
        free(out);
        out = NULL;
        st = ph_fail(err, PH_ERR_CRYPTO, "RSA signing failed");
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey); /* frees wipe the private key */
    ph_clear_openssl_errors();
    if (st == PH_OK) {
        *sig = out;
        *sig_len = out_len;
    }
    return st;
}
