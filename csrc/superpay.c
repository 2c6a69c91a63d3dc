/* SuperPay (GGGPay): AES-256-CBC, IV = MD5(key), hex ciphertext, inside
 * {"encryptedData": "<hex>"}.  Nothing authenticates the ciphertext, so
 * from the moment the hex is in hand every failure is reported the same
 * way (see PROVIDERS.md: padding oracle). */
#include <stdatomic.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"

struct ph_superpay_key {
    unsigned char key[PH_AES_KEY_LEN];
    unsigned char iv[PH_AES_BLOCK];
    /* A decryption context with the key schedule already expanded, and
     * where its CBC stream stands (calloc: not known yet, so the first
     * call sets the IV), used by whoever holds `busy`; others set up
     * their own. */
    struct aes_work {
        atomic_int busy;
        EVP_CIPHER_CTX *ctx;
        ph_aes_chain chain;
    } * work;
};

ph_status ph_superpay_key_new(const unsigned char *key, size_t len,
                              ph_superpay_key **out, ph_error *err)
{
    ph_superpay_key *k;
    unsigned int md_len = 0;

    *out = NULL;
    if (len != PH_AES_KEY_LEN)
        return ph_fail(err, PH_ERR_KEY,
                       "the SuperPay key must be %d bytes, not %zu",
                       PH_AES_KEY_LEN, len);
    if ((k = calloc(1, sizeof *k)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    memcpy(k->key, key, PH_AES_KEY_LEN);
    if ((k->work = calloc(1, sizeof *k->work)) == NULL ||
        (k->work->ctx = EVP_CIPHER_CTX_new()) == NULL) {
        ph_clear_openssl_errors();
        ph_superpay_key_free(k);
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    }
    atomic_init(&k->work->busy, 0);
    if (!EVP_Digest(key, len, k->iv, &md_len, EVP_md5(), NULL) ||
        md_len != PH_AES_BLOCK ||
        !EVP_DecryptInit_ex2(k->work->ctx, EVP_aes_256_cbc(), k->key, k->iv,
                             NULL) ||
        !EVP_CIPHER_CTX_set_padding(k->work->ctx, 0)) {
        ph_clear_openssl_errors();
        ph_superpay_key_free(k);
        return ph_fail(err, PH_ERR_CRYPTO, "MD5 or AES is not available");
    }
    *out = k;
    return PH_OK;
}

void ph_superpay_key_free(ph_superpay_key *k)
{
    if (k != NULL) {
        if (k->work != NULL) {
            EVP_CIPHER_CTX_free(k->work->ctx); /* wipes the schedule */
            free(k->work);
        }
        OPENSSL_cleanse(k, sizeof *k);
        free(k);
    }
}

void ph_superpay_key_iv(const ph_superpay_key *k,
                        unsigned char iv[PH_AES_BLOCK])
{
    memcpy(iv, k->iv, PH_AES_BLOCK);
}

static ph_status decrypt_failed(ph_error *err)
{
    return ph_fail(err, PH_ERR_DECRYPT, "%s", ph_decrypt_message);
}

/* AES-256-CBC with this key, padding left in place: on the key's own
 * context when no other thread holds it, else on a fresh one. */
static ph_status decrypt_raw(const ph_superpay_key *k, const unsigned char *iv,
                             const unsigned char *ct, size_t len,
                             unsigned char *out, ph_error *err)
{
    int expected = 0;
    ph_status st;

    if (atomic_compare_exchange_strong(&k->work->busy, &expected, 1)) {
        st = ph_aes_cbc_chained(k->work->ctx, &k->work->chain, iv, ct, len,
                                out, err);
        atomic_store(&k->work->busy, 0);
        return st;
    }
    return ph_aes256cbc_raw(k->key, iv, ct, len, out, err);
}

/*
 * Hex ciphertext to plaintext, with every check that follows in constant
 * time: the hex decoding, the decryption, the PKCS#7 check and, with
 * `json`, the JSON check of json_ct.c all run to the end whatever they
 * find, and only their combined verdict decides.  So a wrong hex digit, a
 * bad padding, a valid padding before garbage (the padding-oracle probe)
 * and a wrong key take the same time and give the same error.  The length
 * is public (it is the attacker's own input) and may be checked first.
 */
static ph_status open_hex(const ph_superpay_key *k, const unsigned char *iv,
                          const char *hex, size_t len, size_t max_bytes,
                          ph_scratch *s, int json, const unsigned char **plain,
                          size_t *plain_len, ph_error *err)
{
    unsigned char *ct, *pt, *work;
    size_t n = len / 2, pad;
    unsigned good;
    ph_status st;

    if (len > max_bytes)
        return ph_fail(err, PH_ERR_TOO_LARGE,
                       "input is longer than the limit of %zu bytes",
                       max_bytes);
    if (len == 0 || len % (2 * PH_AES_BLOCK) != 0)
        return decrypt_failed(err);
    /* The ciphertext goes to the envelope buffer unless the hex itself
     * lives there; the plaintext always goes to scratch->data. */
    if ((uintptr_t)hex >= (uintptr_t)s->env &&
        (uintptr_t)hex < (uintptr_t)s->env + s->env_cap)
        ct = ph_scratch_text(s, n, err);
    else
        ct = ph_scratch_env(s, n, err);
    if (ct == NULL || (pt = ph_scratch_data(s, n, err)) == NULL)
        return PH_ERR_MEMORY;
    good = ph_hex_decode(hex, len, ct) == PH_OK ? ~0u : 0u;
    st = decrypt_raw(k, iv != NULL ? iv : k->iv, ct, n, pt, err);
    OPENSSL_cleanse(ct, n);
    if (st != PH_OK) { /* OpenSSL itself failed: not the input */
        OPENSSL_cleanse(pt, n);
        return st;
    }
    good &= ph_pkcs7_check(pt, n, &pad, json);
    if (json) {
        /* The padding bytes are spaces now if the padding was valid, so
         * all n bytes are read either way.  The scan's work area (what
         * the bytes are) is scratch, wiped with the rest. */
        if ((work = ph_scratch_env(s, n, err)) == NULL) {
            OPENSSL_cleanse(pt, n);
            return PH_ERR_MEMORY;
        }
        good &= 0u - (unsigned)ph_json_ct_scan(pt, n, work);
    }
    if (!good) {
        OPENSSL_cleanse(pt, n);
        return decrypt_failed(err);
    }
    *plain = pt;
    *plain_len = n - pad;
    return PH_OK;
}

ph_status ph_superpay_decrypt_hex(const ph_superpay_key *k,
                                  const unsigned char *iv, const char *hex,
                                  size_t len, size_t max_bytes, ph_scratch *s,
                                  const unsigned char **plain,
                                  size_t *plain_len, ph_error *err)
{
    return open_hex(k, iv, hex, len, max_bytes, s, 0, plain, plain_len, err);
}

ph_status ph_superpay_open(const ph_superpay_key *k, const char *body,
                           size_t len, size_t max_bytes, ph_scratch *s,
                           const char **plain, size_t *plain_len,
                           ph_error *err)
{
    const char *hex = body;
    size_t hex_len = len;
    const unsigned char *pt = NULL;
    ph_status st;

    if (len > max_bytes)
        return ph_fail(err, PH_ERR_TOO_LARGE,
                       "body is longer than the limit of %zu bytes",
                       max_bytes);
    ph_trim_space(&hex, &hex_len);
    if (hex_len > 0 && hex[0] == '{') {
        if ((st = ph_envelope_member(hex, hex_len, "encryptedData", "SuperPay",
                                     s, &hex, &hex_len, err)) != PH_OK)
            return st;
    }
    st = open_hex(k, NULL, hex, hex_len, max_bytes, s, 1, &pt, plain_len, err);
    if (st == PH_OK)
        *plain = (const char *)pt;
    return st;
}

static int ignore_member(void *hctx, const char *name, size_t len)
{
    (void)hctx;
    (void)name;
    (void)len;
    return 0;
}

ph_status ph_superpay_parse(const char *plain, size_t len,
                            const ph_json_sink *sink, void *ctx, ph_scratch *s,
                            void **root, ph_error *err)
{
    ph_top_hook object_only = { ignore_member, NULL, NULL, NULL };
    ph_status st;

    /* ph_superpay_open checked the text token by token in constant time;
     * this strict parse checks the rest (json_ct.c says why its time may
     * depend on the text).  A value the host cannot build (a raising
     * parse_float, an integer past the host's digit limit) is a failure of
     * the decrypted text like any other: the caller must not be able to
     * tell it apart. */
    st = ph_json_parse_hooked(plain, len, sink, ctx, &object_only, s, root,
                              err);
    if (st == PH_ERR_DECODE || st == PH_ERR_SINK)
        return decrypt_failed(err);
    return st;
}

ph_status ph_superpay_encrypt(const ph_superpay_key *k,
                              const unsigned char *pt, size_t len, char **hex,
                              ph_error *err)
{
    unsigned char *ct;
    size_t ct_len;
    ph_status st;

    *hex = NULL;
    if ((st = ph_aes256cbc_encrypt(k->key, k->iv, pt, len, &ct, &ct_len,
                                   err)) != PH_OK)
        return st;
    if ((*hex = malloc(2 * ct_len + 1)) == NULL) {
        ph_clear_openssl_errors();
        ph_free(ct, ct_len);
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    }
    ph_hex_encode(ct, ct_len, *hex);
    (*hex)[2 * ct_len] = '\0';
    ph_free(ct, ct_len);
    return PH_OK;
}
