/*
 * SuperPay decryption: ph_superpay_open and ph_superpay_decrypt_hex, then
 * ph_superpay_parse on whatever decrypts.
 *
 * Input: a 2-byte option block, then the data.
 *   byte 0  bits 0-1  mode: 0 the data is a body for ph_superpay_open;
 *                     1 the data is plaintext, which the harness encrypts
 *                     (AES-256-CBC, IV = MD5(key), through OpenSSL
 *                     directly) and hands over as hex; 2 the data is a
 *                     16-byte IV and hex for ph_superpay_decrypt_hex;
 *                     3 the data is raw ciphertext, hex-encoded by the
 *                     harness, for ph_superpay_decrypt_hex with the key's
 *                     IV
 *           bit 2     mode 1: upper-case hex
 *           bit 3     mode 1: inside {"encryptedData": "..."}
 *           bit 4     max_bytes = 8 * byte 1 instead of the default
 *
 * Checks, besides the sanitizers and the error-record rules:
 *   - no oracle: every PH_ERR_DECRYPT carries the very message a known
 *     bad-padding ciphertext gets; a bare-hex body fails only with
 *     DECRYPT or TOO_LARGE, never DECODE;
 *   - mode 1: what was encrypted comes back byte for byte;
 *   - mode 3: payhook decrypts exactly when OpenSSL used directly does,
 *     to the same bytes;
 *   - ph_superpay_parse succeeds exactly when the plaintext is a JSON
 *     object (as ph_json_parse sees it) and otherwise says DECRYPT, so
 *     that opening and parsing together accept exactly that; the
 *     cJSON sink agrees or fails as a sink; every sink handle comes back.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "fuzz_common.h"

#define OPTS 2

static const unsigned char key[] = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ";
#define KEY_LEN (sizeof key - 1)

static ph_superpay_key *pkey;
static unsigned char key_iv[16];
static char bad_padding_message[PH_MESSAGE_SIZE];

static void reset(ph_error *err)
{
    err->status = PH_STATUS_COUNT;
    err->message[0] = '\0';
}

/* The error rules, plus the one-message rule for DECRYPT. */
static void check_error(ph_status st, const ph_error *err)
{
    fz_check_error(st, err, key, KEY_LEN);
    if (st == PH_ERR_DECRYPT)
        FZ_CHECK(strcmp(err->message, bad_padding_message) == 0,
                 "a decryption failure with its own message (an oracle)");
}

/* AES-256-CBC straight through OpenSSL; returns the output length or -1
 * when it fails (decryption: bad length or padding). */
static long evp_crypt(int encrypt, const unsigned char *iv, int padding,
                      const unsigned char *in, size_t len,
                      unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0, ok;

    FZ_CHECK(ctx != NULL, "out of memory in the harness");
    ok = EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv, encrypt) &&
         EVP_CIPHER_CTX_set_padding(ctx, padding) &&
         EVP_CipherUpdate(ctx, out, &n1, in, (int)len) &&
         EVP_CipherFinal_ex(ctx, out + n1, &n2);
    EVP_CIPHER_CTX_free(ctx);
    /* A failure leaves entries in OpenSSL's error queue: drop them, or
     * they count as memory this input kept. */
    ERR_clear_error();
    return ok ? (long)n1 + n2 : -1;
}

static void to_hex(const unsigned char *in, size_t len, char *out, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    unsigned char zero[16] = {0}, ct[32];
    char hex[32];
    ph_scratch s = PH_SCRATCH_INIT;
    const unsigned char *pt;
    size_t pt_len;
    ph_error err;
    ph_status st;

    (void)argc;
    (void)argv;
    st = ph_superpay_key_new(key, KEY_LEN, &pkey, &err);
    FZ_CHECK(st == PH_OK, "SuperPay key setup failed");
    ph_superpay_key_iv(pkey, key_iv);
    /* A block that decrypts to sixteen zero bytes: padding length 0. */
    FZ_CHECK(evp_crypt(1, key_iv, 0, zero, 16, ct) == 16,
             "harness encryption failed");
    to_hex(ct, 16, hex, 0);
    reset(&err);
    st = ph_superpay_decrypt_hex(pkey, NULL, hex, 32, PH_DEFAULT_MAX_BYTES,
                                 &s, &pt, &pt_len, &err);
    FZ_CHECK(st == PH_ERR_DECRYPT, "bad padding was not a DECRYPT failure");
    fz_check_error(st, &err, key, KEY_LEN);
    memcpy(bad_padding_message, err.message, sizeof bad_padding_message);
    ph_scratch_free(&s);
    return 0;
}

static void plaintext_pass(const char *plain, size_t len, ph_scratch *s)
{
    fz_sink_ctx c;
    ph_error err;
    void *root = NULL;
    cJSON *tree = NULL;
    ph_status st, st_json, st_cj;
    int object;

    /* What the plain JSON parser makes of it. */
    reset(&err);
    fz_sink_init(&c, plain, len, s, 0);
    st_json = ph_json_parse(plain, len, &fz_sink, &c, s, &root, &err);
    check_error(st_json, &err);
    object = st_json == PH_OK && fz_sink_type(root) == FZ_OBJECT;
    fz_sink_free(&c, root);

    reset(&err);
    fz_sink_init(&c, plain, len, s, 0);
    root = NULL;
    st = ph_superpay_parse(plain, len, &fz_sink, &c, s, &root, &err);
    check_error(st, &err);
    FZ_CHECK(object ? st == PH_OK : st == PH_ERR_DECRYPT,
             "ph_superpay_parse disagrees with ph_json_parse");
    FZ_CHECK((st == PH_OK) == (root != NULL), "root and status disagree");
    fz_sink_free(&c, root);

    reset(&err);
    st_cj = ph_superpay_parse(plain, len, &ph_cjson_sink, NULL, s,
                              (void **)&tree, &err);
    check_error(st_cj, &err);
    /* A value cJSON cannot hold is SuperPay's one decryption error. */
    FZ_CHECK(st_cj == st || st_cj == PH_ERR_DECRYPT,
             "the cJSON sink changed the outcome");
    FZ_CHECK((st_cj == PH_OK) == (tree != NULL), "cJSON root and status");
    cJSON_Delete(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ph_scratch s = PH_SCRATCH_INIT;
    ph_error err;
    const unsigned char *rest = data + OPTS, *pt = NULL;
    const char *plain = NULL, *body, *trimmed;
    unsigned char *ct = NULL, *ref = NULL;
    char *text = NULL;
    size_t rest_len, max_bytes = PH_DEFAULT_MAX_BYTES, len, t_len, n;
    size_t plain_len = 0;
    long ref_len;
    int mode;
    ph_status st;

    if (size < OPTS)
        return 0;
    mode = data[0] & 3;
    if (data[0] & 16)
        max_bytes = (size_t)data[1] * 8;
    rest_len = size - OPTS;

    reset(&err);
    switch (mode) {
    case 0:
        body = (const char *)rest;
        st = ph_superpay_open(pkey, body, rest_len, max_bytes, &s, &plain,
                              &plain_len, &err);
        check_error(st, &err);
        trimmed = body;
        t_len = rest_len;
        fz_trim(&trimmed, &t_len);
        FZ_CHECK(st == PH_OK || st == PH_ERR_DECRYPT ||
                     st == PH_ERR_TOO_LARGE ||
                     (st == PH_ERR_DECODE && t_len > 0 && trimmed[0] == '{'),
                 "unexpected status from ph_superpay_open");
        FZ_CHECK((st == PH_ERR_TOO_LARGE) == (rest_len > max_bytes),
                 "size limit not applied exactly");
        break;
    case 1: {
        int upper = (data[0] >> 2) & 1, wrap = (data[0] >> 3) & 1;
        static const char head[] = "{\"encryptedData\": \"", tail[] = "\"}";
        ct = malloc(rest_len + 16);
        text = malloc(2 * (rest_len + 16) + sizeof head + sizeof tail);
        FZ_CHECK(ct != NULL && text != NULL, "out of memory in the harness");
        n = (size_t)evp_crypt(1, key_iv, 1, rest, rest_len, ct);
        len = 0;
        if (wrap) {
            memcpy(text, head, sizeof head - 1);
            len = sizeof head - 1;
        }
        to_hex(ct, n, text + len, upper);
        len += 2 * n;
        if (wrap) {
            memcpy(text + len, tail, sizeof tail - 1);
            len += sizeof tail - 1;
        }
        st = ph_superpay_open(pkey, text, len, max_bytes, &s, &plain,
                              &plain_len, &err);
        check_error(st, &err);
        if (len > max_bytes)
            FZ_CHECK(st == PH_ERR_TOO_LARGE, "size limit not applied");
        else if (fz_json_object_ok((const char *)rest, rest_len))
            FZ_CHECK(st == PH_OK && plain_len == rest_len &&
                         memcmp(plain, rest, rest_len) == 0,
                     "what was encrypted did not come back");
        else
            /* Opening checks the plaintext token by token; what needs
             * memory (brackets, depth, what follows the object) is
             * ph_superpay_parse's, which plaintext_pass holds to the
             * same DECRYPT. */
            FZ_CHECK(st == PH_ERR_DECRYPT ||
                         (st == PH_OK && plain_len == rest_len &&
                          memcmp(plain, rest, rest_len) == 0),
                     "a plaintext that is not a JSON object came back "
                     "changed");
        break;
    }
    case 2:
        if (rest_len < 16)
            goto done;
        st = ph_superpay_decrypt_hex(pkey, rest, (const char *)rest + 16,
                                     rest_len - 16, max_bytes, &s, &pt,
                                     &plain_len, &err);
        check_error(st, &err);
        FZ_CHECK(st == PH_OK || st == PH_ERR_DECRYPT ||
                     st == PH_ERR_TOO_LARGE,
                 "unexpected status from ph_superpay_decrypt_hex");
        plain = (const char *)pt;
        break;
    default:
        text = malloc(2 * rest_len + 1);
        ref = malloc(rest_len + 16);
        FZ_CHECK(text != NULL && ref != NULL, "out of memory in the harness");
        to_hex(rest, rest_len, text, 0);
        st = ph_superpay_decrypt_hex(pkey, NULL, text, 2 * rest_len,
                                     max_bytes, &s, &pt, &plain_len, &err);
        check_error(st, &err);
        plain = (const char *)pt;
        if (st != PH_ERR_TOO_LARGE) {
            ref_len = rest_len > 0 ? evp_crypt(0, key_iv, 1, rest, rest_len,
                                               ref)
                                   : -1;
            FZ_CHECK((st == PH_OK) == (ref_len >= 0),
                     "payhook and OpenSSL disagree on decrypting");
            if (st == PH_OK)
                FZ_CHECK(plain_len == (size_t)ref_len &&
                             memcmp(plain, ref, plain_len) == 0,
                         "payhook and OpenSSL decrypt to different bytes");
        }
        break;
    }
    /* Parsed where it lies, in scratch->data, as a binding does. */
    if (st == PH_OK)
        plaintext_pass(plain, plain_len, &s);
done:
    free(ct);
    free(ref);
    free(text);
    ph_scratch_free(&s);
    return 0;
}
