/*
 * The SuperPay envelope: ph_superpay_open with a fixed key, on bodies the
 * fuzzer builds.
 *
 * Input: a 3-byte option block, then the body.
 *   byte 0  bit 0  splice: the body is the data with the hex of a valid
 *                  ciphertext (made at start-up) put in at offset byte 1
 *           bit 1  max_bytes = 8 * byte 2 instead of the default
 *
 * Checks, besides the sanitizers and the error-record rules:
 *   - TOO_LARGE exactly when the body is over max_bytes;
 *   - DECODE only for a body that starts with '{', with a message that
 *     names the SuperPay body; everything after the hex is found is
 *     DECRYPT with the one message of a bad-padding failure;
 *   - the outcome agrees with an independent reading: the hex is the
 *     "encryptedData" member as cJSON sees it (payhook may be stricter
 *     about the JSON, never laxer), or the trimmed body; it decrypts with
 *     OpenSSL used directly exactly when payhook says OK or (for that
 *     hex) DECRYPT otherwise, to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "fuzz_common.h"

#define OPTS 3

static const unsigned char key[] = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ";
#define KEY_LEN (sizeof key - 1)

static const char sample[] =
    "{\"message\":\"Success\",\"data\":{\"status\":\"SUCCESS\","
    "\"order\":{\"id\":\"FUZZ-1\",\"amount\":\"1\"}}}";

static ph_superpay_key *pkey;
static unsigned char key_iv[16];
static char sample_hex[2 * (sizeof sample + 16)];
static size_t sample_hex_len;
static char bad_padding_message[PH_MESSAGE_SIZE];

static void reset(ph_error *err)
{
    err->status = PH_STATUS_COUNT;
    err->message[0] = '\0';
}

static long evp_crypt(int encrypt, int padding, const unsigned char *in,
                      size_t len, unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0, ok;

    FZ_CHECK(ctx != NULL, "out of memory in the harness");
    ok = EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, key_iv,
                           encrypt) &&
         EVP_CIPHER_CTX_set_padding(ctx, padding) &&
         EVP_CipherUpdate(ctx, out, &n1, in, (int)len) &&
         EVP_CipherFinal_ex(ctx, out + n1, &n2);
    EVP_CIPHER_CTX_free(ctx);
    /* A failure leaves entries in OpenSSL's error queue: drop them, or
     * they count as memory this input kept. */
    ERR_clear_error();
    return ok ? (long)n1 + n2 : -1;
}

static void to_hex(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
}

/* Hex (either case) decrypted by OpenSSL directly into a new buffer;
 * returns the plaintext length or -1. */
static long reference_decrypt(const char *hex, size_t len,
                              unsigned char **out)
{
    unsigned char *ct;
    size_t i;
    long n = -1;

    *out = NULL;
    if (len == 0 || len % 2 != 0)
        return -1;
    ct = malloc(len / 2);
    *out = malloc(len / 2 + 16);
    FZ_CHECK(ct != NULL && *out != NULL, "out of memory in the harness");
    for (i = 0; i < len; i += 2) {
        int hi = model_hex_digit(hex[i]);
        int lo = model_hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0)
            goto done;
        ct[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    n = evp_crypt(0, 1, ct, len / 2, *out);
done:
    free(ct);
    return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    unsigned char ct[sizeof sample + 16], zero[16] = {0};
    char bad_hex[32];
    ph_scratch s = PH_SCRATCH_INIT;
    const char *pt;
    size_t pt_len;
    ph_error err;
    ph_status st;
    long n;

    (void)argc;
    (void)argv;
    FZ_CHECK(ph_superpay_key_new(key, KEY_LEN, &pkey, &err) == PH_OK,
             "SuperPay key setup failed");
    ph_superpay_key_iv(pkey, key_iv);
    n = evp_crypt(1, 1, (const unsigned char *)sample, sizeof sample - 1, ct);
    FZ_CHECK(n > 0, "harness encryption failed");
    to_hex(ct, (size_t)n, sample_hex);
    sample_hex_len = 2 * (size_t)n;
    /* Sixteen zero bytes under no padding: a padding length of 0. */
    FZ_CHECK(evp_crypt(1, 0, zero, 16, ct) == 16, "harness encryption");
    to_hex(ct, 16, bad_hex);
    reset(&err);
    st = ph_superpay_open(pkey, bad_hex, sizeof bad_hex, PH_DEFAULT_MAX_BYTES,
                          &s, &pt, &pt_len, &err);
    FZ_CHECK(st == PH_ERR_DECRYPT, "bad padding was not a DECRYPT failure");
    fz_check_error(st, &err, key, KEY_LEN);
    memcpy(bad_padding_message, err.message, sizeof bad_padding_message);
    ph_scratch_free(&s);
    return 0;
}

/* The hex an independent reader finds in a body payhook got past the
 * envelope of: the trimmed body, or cJSON's "encryptedData" string, which
 * must be there (payhook may be stricter about the JSON, never laxer).
 * NULL when cJSON cannot be asked (see fz_cjson_blind_spot and
 * fz_has_escaped_nul). */
static const char *reference_hex(const char *body, size_t len,
                                 size_t *hex_len, cJSON **tree)
{
    const char *t = body;
    size_t t_len = len;
    cJSON *v;

    *tree = NULL;
    fz_trim(&t, &t_len);
    if (t_len == 0 || t[0] != '{') {
        *hex_len = t_len;
        return t;
    }
    if (fz_cjson_blind_spot(body, len) || fz_has_escaped_nul(body, len))
        return NULL;
    *tree = cJSON_ParseWithLength(body, len);
    FZ_CHECK(*tree != NULL, "payhook read an envelope cJSON rejects");
    v = cJSON_GetObjectItemCaseSensitive(*tree, "encryptedData");
    FZ_CHECK(cJSON_IsString(v), "cJSON finds no \"encryptedData\" string");
    *hex_len = strlen(v->valuestring);
    return v->valuestring;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ph_scratch s = PH_SCRATCH_INIT;
    ph_error err;
    const char *body, *plain = NULL, *trimmed, *hex;
    char *built = NULL;
    unsigned char *ref = NULL;
    size_t len, plain_len = 0, at, t_len, hex_len = 0;
    size_t max_bytes = PH_DEFAULT_MAX_BYTES;
    cJSON *tree = NULL;
    long ref_len;
    ph_status st;

    if (size < OPTS)
        return 0;
    if (data[0] & 2)
        max_bytes = (size_t)data[2] * 8;
    body = (const char *)data + OPTS;
    len = size - OPTS;
    if (data[0] & 1) {
        at = data[1] < len ? data[1] : len;
        built = malloc(len + sample_hex_len);
        FZ_CHECK(built != NULL, "out of memory in the harness");
        memcpy(built, body, at);
        memcpy(built + at, sample_hex, sample_hex_len);
        memcpy(built + at + sample_hex_len, body + at, len - at);
        body = built;
        len += sample_hex_len;
    }
    trimmed = body;
    t_len = len;
    fz_trim(&trimmed, &t_len);

    reset(&err);
    st = ph_superpay_open(pkey, body, len, max_bytes, &s, &plain, &plain_len,
                          &err);
    fz_check_error(st, &err, key, KEY_LEN);
    FZ_CHECK((st == PH_ERR_TOO_LARGE) == (len > max_bytes),
             "size limit not applied exactly");
    if (st == PH_ERR_DECRYPT)
        FZ_CHECK(strcmp(err.message, bad_padding_message) == 0,
                 "a decryption failure with its own message (an oracle)");
    if (st == PH_ERR_DECODE) {
        FZ_CHECK(t_len > 0 && trimmed[0] == '{',
                 "DECODE for a body that is not an object");
        FZ_CHECK(strncmp(err.message, "SuperPay body", 13) == 0,
                 "DECODE message does not name the SuperPay body");
    }
    FZ_CHECK(st == PH_OK || st == PH_ERR_TOO_LARGE || st == PH_ERR_DECODE ||
                 st == PH_ERR_DECRYPT,
             "unexpected status from ph_superpay_open");
    if (st != PH_OK && st != PH_ERR_DECRYPT)
        goto done;

    /* payhook got past the envelope: cJSON must get past it too. */
    hex = reference_hex(body, len, &hex_len, &tree);
    if (hex == NULL)
        goto done;
    ref_len = reference_decrypt(hex, hex_len, &ref);
    if (st == PH_OK)
        FZ_CHECK(ref_len >= 0 && (size_t)ref_len == plain_len &&
                     memcmp(ref, plain, plain_len) == 0,
                 "payhook decrypted what OpenSSL does not, or differently");
    else if (hex_len <= max_bytes)
        /* Opening refuses only what is no JSON object (its scan passes
         * every object; the parse does the rest, below). */
        FZ_CHECK(ref_len < 0 || !fz_json_object_ok((const char *)ref, (size_t)ref_len),
                 "payhook failed to decrypt valid ciphertext");
    if (st == PH_OK) {
        /* Opening and parsing together accept exactly a JSON object,
         * and refuse anything else with the one decryption error. */
        void *root = NULL;
        reset(&err);
        st = ph_superpay_parse(plain, plain_len, NULL, NULL, &s, &root, &err);
        fz_check_error(st, &err, key, KEY_LEN);
        if (fz_json_object_ok(plain, plain_len))
            FZ_CHECK(st == PH_OK, "a JSON object refused by the parse");
        else
            FZ_CHECK(st == PH_ERR_DECRYPT &&
                         strcmp(err.message, bad_padding_message) == 0,
                     "the parse refused without the decryption error");
    }
done:
    cJSON_Delete(tree);
    free(ref);
    free(built);
    ph_scratch_free(&s);
    return 0;
}
