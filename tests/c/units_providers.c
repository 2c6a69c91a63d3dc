/* Unit tests: the LeanX envelope and SuperPay keys, bodies and the one
 * decryption error. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "runner.h"

static void leanx_envelope(void)
{
    static const struct {
        const char *what, *body;
        ph_status want;
        const char *token;
    } bodies[] = {
        {"envelope", "{\"data\":\"a.b.c\",\"response_code\":2100}", PH_OK,
         "a.b.c"},
        {"envelope with whitespace", " \r\n{ \"data\" : \"a.b.c\" }\t", PH_OK,
         "a.b.c"},
        {"escaped token", "{\"data\":\"a\\u002eb.c\\/\"}", PH_OK, "a.b.c/"},
        {"bare token", "  a.b.c \n", PH_OK, "a.b.c"},
        {"data twice", "{\"data\":\"a.b.c\",\"data\":\"a.b.c\"}",
         PH_ERR_DECODE, NULL},
        {"no data", "{\"token\":\"a.b.c\"}", PH_ERR_DECODE, NULL},
        {"data not a string", "{\"data\":{\"t\":\"a.b.c\"}}", PH_ERR_DECODE,
         NULL},
        {"data null", "{\"data\":null}", PH_ERR_DECODE, NULL},
        {"envelope not JSON", "{\"data\":\"a.b.c\",}", PH_ERR_DECODE, NULL},
        {"nested data does not count", "{\"x\":{\"data\":\"a.b.c\"}}",
         PH_ERR_DECODE, NULL},
    };
    ph_scratch s = PH_SCRATCH_INIT;
    size_t i;

    for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        const char *tok = NULL;
        size_t tok_len = 0;
        ph_error err;
        ph_status st;
        t_begin("ph_leanx_token: %s", bodies[i].what);
        t_error_reset(&err);
        st = ph_leanx_token(bodies[i].body, strlen(bodies[i].body),
                            PH_DEFAULT_MAX_BYTES, &s, &tok, &tok_len, &err);
        CHECK_STATUS(st, bodies[i].want, "ph_leanx_token");
        if (st == PH_OK && bodies[i].token != NULL)
            CHECK(tok_len == strlen(bodies[i].token) &&
                      memcmp(tok, bodies[i].token, tok_len) == 0,
                  "token \"%.*s\"", (int)tok_len, tok);
        if (st != PH_OK)
            t_check_error(&err, st, NULL, NULL, 0);
        t_end();
    }
    t_begin("ph_leanx_token: max_bytes");
    {
        const char *body = "{\"data\":\"a.b.c\"}", *tok;
        size_t n = strlen(body), tl;
        CHECK_STATUS(ph_leanx_token(body, n, n, &s, &tok, &tl, NULL), PH_OK,
                     "at the limit");
        CHECK_STATUS(ph_leanx_token(body, n, n - 1, &s, &tok, &tl, NULL),
                     PH_ERR_TOO_LARGE, "over the limit");
    }
    t_end();
    ph_scratch_free(&s);
}

/* The "data" string is the token exactly: whitespace may surround the
 * body, never the token inside the string.  A byte order mark is refused
 * before the body, before a token and before a payload, each time with a
 * message that says so. */
static void leanx_strict_token(void)
{
    static const struct {
        const char *what, *body;
        ph_status want;
        const char *says;
    } bodies[] = {
        {"space before the token", "{\"data\":\" a.b.c\"}", PH_ERR_DECODE,
         "whitespace"},
        {"space after the token", "{\"data\":\"a.b.c \"}", PH_ERR_DECODE,
         "whitespace"},
        {"escaped newline after", "{\"data\":\"a.b.c\\n\"}", PH_ERR_DECODE,
         "whitespace"},
        {"escaped tab before", "{\"data\":\"\\ta.b.c\"}", PH_ERR_DECODE,
         "whitespace"},
        {"\\u0020 before", "{\"data\":\"\\u0020a.b.c\"}", PH_ERR_DECODE,
         "whitespace"},
        {"only whitespace", "{\"data\":\" \\r\"}", PH_ERR_DECODE,
         "whitespace"},
        {"BOM before the envelope", "\xef\xbb\xbf{\"data\":\"a.b.c\"}",
         PH_ERR_DECODE, "byte order mark"},
        {"whitespace, BOM, envelope",
         "\r\n\xef\xbb\xbf{\"data\":\"a.b.c\"}", PH_ERR_DECODE,
         "byte order mark"},
        {"BOM before a bare token", "\xef\xbb\xbf" "a.b.c", PH_ERR_DECODE,
         "byte order mark"},
        {"whitespace around the body only", "\r\n {\"data\":\"a.b.c\"}\n",
         PH_OK, NULL},
        {"an empty data string (refused by the verifier)",
         "{\"data\":\"\"}", PH_OK, NULL},
    };
    const unsigned char *secrets[1] = {t_key1};
    ph_scratch s = PH_SCRATCH_INIT;
    ph_jwt_verifier *v;
    ph_claims claims;
    char *tok, body[256];
    const char *t, *pl;
    size_t i, tl, pl_len;
    void *root;
    ph_error err;
    ph_status st;

    for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        t_begin("ph_leanx_token: %s", bodies[i].what);
        t_error_reset(&err);
        st = ph_leanx_token(bodies[i].body, strlen(bodies[i].body),
                            PH_DEFAULT_MAX_BYTES, &s, &t, &tl, &err);
        CHECK_STATUS(st, bodies[i].want, "ph_leanx_token");
        if (st != PH_OK) {
            t_check_error(&err, st, NULL, NULL, 0);
            CHECK(strstr(err.message, bodies[i].says) != NULL,
                  "message \"%s\" does not mention %s", err.message,
                  bodies[i].says);
        }
        t_end();
    }

    t_begin("LeanX: a BOM before the token and before the payload JSON");
    v = t_verifier(t_key1, t_key1_len, PH_ALG_HS256);
    tok = t_sign("{\"alg\":\"HS256\"}", "{\"a\":1}", PH_ALG_HS256, t_key1,
                 t_key1_len);
    if (v != NULL && tok != NULL && strlen(tok) < sizeof body - 32) {
        /* The token itself, given to the verifier after a BOM. */
        snprintf(body, sizeof body, "\xef\xbb\xbf%s", tok);
        t_error_reset(&err);
        st = ph_jwt_verify(v, body, strlen(body), PH_DEFAULT_MAX_BYTES, &s,
                           &pl, &pl_len, &err);
        CHECK_STATUS(st, PH_ERR_DECODE, "BOM before the token");
        t_check_error(&err, st, secrets, &t_key1_len, 1);
        CHECK(strstr(err.message, "byte order mark") != NULL, "message %s",
              err.message);
        /* Inside the data string, as an escape. */
        snprintf(body, sizeof body, "{\"data\":\"\\ufeff%s\"}", tok);
        st = ph_leanx_token(body, strlen(body), PH_DEFAULT_MAX_BYTES, &s, &t,
                            &tl, &err);
        if (CHECK_STATUS(st, PH_OK, "envelope with \\ufeff")) {
            st = ph_jwt_verify(v, t, tl, PH_DEFAULT_MAX_BYTES, &s, &pl,
                               &pl_len, &err);
            CHECK_STATUS(st, PH_ERR_DECODE, "BOM inside data");
            CHECK(strstr(err.message, "byte order mark") != NULL,
                  "message %s", err.message);
        }
    }
    ph_free(tok, tok != NULL ? strlen(tok) : 0);
    /* A correctly signed payload that starts with a BOM. */
    tok = t_sign("{\"alg\":\"HS256\"}", "\xef\xbb\xbf{\"a\":1}",
                 PH_ALG_HS256, t_key1, t_key1_len);
    if (v != NULL && tok != NULL) {
        st = ph_jwt_verify(v, tok, strlen(tok), PH_DEFAULT_MAX_BYTES, &s, &pl,
                           &pl_len, &err);
        if (CHECK_STATUS(st, PH_OK, "the MAC is right")) {
            ph_claims_init(&claims, 1700000000);
            root = &s;
            t_error_reset(&err);
            st = ph_jwt_parse_claims(pl, pl_len, &claims, &ph_cjson_sink,
                                     NULL, &s, &root, &err);
            CHECK_STATUS(st, PH_ERR_DECODE, "BOM before the payload");
            CHECK(root == NULL, "a value came back");
            t_check_error(&err, st, secrets, &t_key1_len, 1);
            CHECK(strstr(err.message, "byte order mark") != NULL,
                  "message %s", err.message);
        }
    }
    ph_free(tok, tok != NULL ? strlen(tok) : 0);
    ph_jwt_verifier_free(v);
    t_end();
    ph_scratch_free(&s);
}

/* The SuperPay sample from the vendor page (see PROVIDERS.md). */
static const char sp_key[] = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ";
static const char sp_hex[] =
    "e4e9ac1120ed867a7af108af8b1ab918cbec6db7b4d7c29908085a73e2b29e97547da6"
    "eae91928b3330241f1fb898eebd8c3355105fdd5c68b6ceea761f41dc3085ed888d3c0"
    "473beef128ebd208c4f60299df64a622d04d21d81513c02e2d47bfcce2a6c246eabcc1"
    "c823aaf3d9133004cf7c4c08236395a05dc19a98c33a301c8b73d4e7fd33cd911619de"
    "86dfdb45";
static const char sp_plain[] =
    "{\"data\":{\"paymentUrl\":\"https://api.gggpay.org/checkout/payment?"
    "orderId=4cdcd4e7a712071ef54f83780b8bbd40\",\"transactionId\":"
    "\"10556\"}}";

static void superpay(void)
{
    const unsigned char *k32 = (const unsigned char *)sp_key;
    ph_superpay_key *k = NULL;
    ph_scratch s = PH_SCRATCH_INIT;
    unsigned char iv[16], md5[16];
    unsigned int md5_len = 0;
    const char *plain;
    size_t plain_len;
    ph_error err;
    ph_status st;
    char body[512], upper[sizeof sp_hex];
    size_t i;

    t_begin("ph_superpay_key_new: only 32-byte keys");
    t_error_reset(&err);
    st = ph_superpay_key_new(k32, 31, &k, &err);
    CHECK_STATUS(st, PH_ERR_KEY, "31 bytes");
    t_check_error(&err, st, &k32, (const size_t[]){31}, 1);
    CHECK(k == NULL, "*out set on failure");
    CHECK_STATUS(ph_superpay_key_new(k32, 33, &k, &err), PH_ERR_KEY,
                 "33 bytes");
    CHECK_STATUS(ph_superpay_key_new(k32, 0, &k, &err), PH_ERR_KEY,
                 "0 bytes");
    t_end();

    t_begin("SuperPay vendor sample: IV is MD5(key), plaintext known");
    if (CHECK_STATUS(ph_superpay_key_new(k32, 32, &k, &err), PH_OK, "key")) {
        EVP_Digest(sp_key, 32, md5, &md5_len, EVP_md5(), NULL);
        ph_superpay_key_iv(k, iv);
        CHECK(md5_len == 16 && memcmp(iv, md5, 16) == 0, "IV is not MD5(key)");
        snprintf(body, sizeof body, "{\"encryptedData\": \"%s\"}", sp_hex);
        st = ph_superpay_open(k, body, strlen(body), PH_DEFAULT_MAX_BYTES, &s,
                              &plain, &plain_len, &err);
        if (CHECK_STATUS(st, PH_OK, "envelope"))
            CHECK(plain_len == strlen(sp_plain) &&
                      memcmp(plain, sp_plain, plain_len) == 0,
                  "plaintext differs");
        for (i = 0; sp_hex[i]; i++)
            upper[i] = (char)toupper((unsigned char)sp_hex[i]);
        upper[i] = '\0';
        st = ph_superpay_open(k, upper, strlen(upper), PH_DEFAULT_MAX_BYTES,
                              &s, &plain, &plain_len, &err);
        if (CHECK_STATUS(st, PH_OK, "bare upper-case hex"))
            CHECK(plain_len == strlen(sp_plain) &&
                      memcmp(plain, sp_plain, plain_len) == 0,
                  "plaintext differs (upper case)");
        /* The first digit, 'e', written as the escape \u0065. */
        snprintf(body, sizeof body, "{\"encryptedData\":\"\\u0065%s\"}",
                 sp_hex + 1);
        st = ph_superpay_open(k, body, strlen(body), PH_DEFAULT_MAX_BYTES, &s,
                              &plain, &plain_len, &err);
        if (CHECK_STATUS(st, PH_OK, "escaped hex in the envelope"))
            CHECK(plain_len == strlen(sp_plain) &&
                      memcmp(plain, sp_plain, plain_len) == 0,
                  "plaintext differs (escaped)");
        {
            void *root = NULL;
            if (CHECK_STATUS(ph_superpay_parse(sp_plain, strlen(sp_plain),
                                               &ph_cjson_sink, NULL, &s,
                                               &root, &err),
                             PH_OK, "parse")) {
                cJSON *id = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(root, "data"),
                    "transactionId");
                CHECK(cJSON_IsString(id) &&
                          strcmp(id->valuestring, "10556") == 0,
                      "transactionId");
                cJSON_Delete(root);
            }
        }
    }
    t_end();

    t_begin("SuperPay: every failure after the hex is one DecryptionError");
    if (k != NULL) {
        static const char *const bad_bodies[] = {
            "{\"encryptedData\":\"\"}",
            "{\"encryptedData\":\"zz\"}",
            "{\"encryptedData\":\"00112233445566778899aabbccddeeff0\"}",
            "{\"encryptedData\":\"00112233445566778899aabbccddeeff\"}",
            "{\"encryptedData\":\"g0112233445566778899aabbccddeeff\"}",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        };
        char first[PH_MESSAGE_SIZE] = "";
        for (i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
            t_error_reset(&err);
            st = ph_superpay_open(k, bad_bodies[i], strlen(bad_bodies[i]),
                                  PH_DEFAULT_MAX_BYTES, &s, &plain,
                                  &plain_len, &err);
            if (!CHECK(st == PH_ERR_DECRYPT, "body %zu: %s", i,
                       ph_status_name(st)))
                continue;
            t_check_error(&err, st, &k32, (const size_t[]){32}, 1);
            if (first[0] == '\0')
                memcpy(first, err.message, sizeof first);
            CHECK(strcmp(first, err.message) == 0,
                  "body %zu: message \"%s\" differs from \"%s\"", i,
                  err.message, first);
        }
        /* Plaintext that decrypts but is not a JSON object: same error. */
        {
            static const char *const not_objects[] = {"[1]", "\"s\"", "{",
                                                      "{\"a\":1}x", ""};
            for (i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++) {
                void *root = &s;
                t_error_reset(&err);
                st = ph_superpay_parse(not_objects[i], strlen(not_objects[i]),
                                       &ph_cjson_sink, NULL, &s, &root, &err);
                if (!CHECK(st == PH_ERR_DECRYPT, "plaintext %s: %s",
                           not_objects[i], ph_status_name(st)))
                    continue;
                CHECK(root == NULL, "root set on failure");
                CHECK(strcmp(first, err.message) == 0,
                      "plaintext %s: message \"%s\" differs", not_objects[i],
                      err.message);
            }
        }
    }
    t_end();

    t_begin("SuperPay: envelope shapes that are not a SuperPay body");
    if (k != NULL) {
        static const char *const shapes[] = {
            "{}", "{\"data\":\"00\"}", "{\"encryptedData\":5}",
            "{\"encryptedData\":\"00\",\"encryptedData\":\"00\"}",
            "{\"encryptedData\":\"00\",}",
        };
        for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            st = ph_superpay_open(k, shapes[i], strlen(shapes[i]),
                                  PH_DEFAULT_MAX_BYTES, &s, &plain,
                                  &plain_len, &err);
            CHECK(st == PH_ERR_DECODE, "%s: %s", shapes[i],
                  ph_status_name(st));
        }
        st = ph_superpay_open(k, sp_hex, strlen(sp_hex), strlen(sp_hex) - 1,
                              &s, &plain, &plain_len, &err);
        CHECK_STATUS(st, PH_ERR_TOO_LARGE, "over max_bytes");
    }
    t_end();
    ph_superpay_key_free(k);
    ph_superpay_key_free(NULL);
    ph_scratch_free(&s);
}

/* The whole SuperPay decode: open the body, then parse the plaintext. */
static ph_status superpay_decode(const ph_superpay_key *k, const char *body,
                                 ph_scratch *s, ph_error *err)
{
    const char *plain;
    size_t plain_len;
    void *root = NULL;
    ph_status st;

    t_error_reset(err);
    st = ph_superpay_open(k, body, strlen(body), PH_DEFAULT_MAX_BYTES, s,
                          &plain, &plain_len, err);
    if (st == PH_OK)
        st = ph_superpay_parse(plain, plain_len, &ph_cjson_sink, NULL, s,
                               &root, err);
    if (st == PH_OK)
        cJSON_Delete(root);
    return st;
}

/*
 * The padding-oracle probe: from a genuine callback C1..Cn, the body
 * C1..C(n-2) || X || Cn, with X chosen so that the last block decrypts to
 * valid padding (the plaintext is then the genuine prefix, a garbage
 * block and a chosen tail) or to invalid padding.  Both, a wrong key and
 * bad hex end with one status and one message.
 */
static void superpay_probe(void)
{
    static const unsigned char key[] = "payhook-units-probe-key-00000032";
    static const unsigned char other[] = "payhook-units-probe-key-00000064";
    static const char payload[] =
        "{\"message\":\"Success\",\"data\":{\"status\":\"SUCCESS\","
        "\"transaction\":{\"id\":10025,\"amountWithdraw\":150.75},"
        "\"order\":{\"id\":\"ORD-20231114-0001\",\"amount\":\"150.75\"},"
        "\"recipient\":{\"name\":\"Test Recipient\",\"methodValue\":"
        "\"8000000001\"}}}";
    static const struct {
        const char *what;
        unsigned char tail[16];
        size_t tail_len;    /* the last bytes of the block that are set */
    } tails[] = {
        {"valid padding 01", {0x01}, 1},
        {"valid padding 02 02", {0x02, 0x02}, 2},
        {"valid padding of a whole block",
         {16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16},
         16},
        {"invalid padding 00", {0x00}, 1},
        {"invalid padding 03 02", {0x03, 0x02}, 2},
        {"invalid padding 11", {0x11}, 1},
    };
    const unsigned char *secrets[1] = {key};
    const size_t secret_len[1] = {32};
    ph_superpay_key *k = NULL, *k2 = NULL;
    ph_scratch s = PH_SCRATCH_INIT;
    EVP_CIPHER_CTX *ecb = NULL;
    unsigned char inner[16], *ct = NULL;
    char *hex = NULL, *probe_hex, first[PH_MESSAGE_SIZE] = "", body[1024];
    size_t ct_len = 0, i, j;
    int out_len = 0;
    ph_error err;
    ph_status st;

    t_begin("SuperPay: the padding-oracle probe gives the one error");
    if (!CHECK_STATUS(ph_superpay_key_new(key, 32, &k, &err), PH_OK, "key") ||
        !CHECK_STATUS(ph_superpay_key_new(other, 32, &k2, &err), PH_OK,
                      "other key") ||
        !CHECK_STATUS(ph_superpay_encrypt(k, (const unsigned char *)payload,
                                          strlen(payload), &hex, &err),
                      PH_OK, "encrypt"))
        goto done;
    CHECK_STATUS(superpay_decode(k, hex, &s, &err), PH_OK, "the callback");
    ct = t_unhex(hex, &ct_len);
    if (!CHECK(ct != NULL && ct_len >= 48 && ct_len % 16 == 0 &&
                   2 * ct_len + 1 < sizeof body,
               "ciphertext of %zu bytes", ct_len))
        goto done;
    /* D(Cn), the raw block decryption of the last block. */
    ecb = EVP_CIPHER_CTX_new();
    if (!CHECK(ecb != NULL &&
                   EVP_DecryptInit_ex2(ecb, EVP_aes_256_ecb(), key, NULL,
                                       NULL) &&
                   EVP_CIPHER_CTX_set_padding(ecb, 0) &&
                   EVP_DecryptUpdate(ecb, inner, &out_len,
                                     ct + ct_len - 16, 16) &&
                   out_len == 16,
               "AES-256-ECB"))
        goto done;
    for (i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        unsigned char *x = ct + ct_len - 32;
        /* Garbage before the tail, then the tail: X = D(Cn) xor block. */
        for (j = 0; j < 16; j++) {
            unsigned char want = (unsigned char)(0xa5 ^ (j * 29));
            if (j >= 16 - tails[i].tail_len)
                want = tails[i].tail[j - (16 - tails[i].tail_len)];
            x[j] = inner[j] ^ want;
        }
        probe_hex = t_tohex(ct, ct_len);
        snprintf(body, sizeof body, "{\"encryptedData\":\"%s\"}",
                 probe_hex);
        free(probe_hex);
        st = superpay_decode(k, body, &s, &err);
        if (!CHECK(st == PH_ERR_DECRYPT, "%s: %s", tails[i].what,
                   ph_status_name(st)))
            continue;
        t_check_error(&err, st, secrets, secret_len, 1);
        if (first[0] == '\0')
            memcpy(first, err.message, sizeof first);
        CHECK(strcmp(err.message, first) == 0, "%s: \"%s\", not \"%s\"",
              tails[i].what, err.message, first);
    }
    st = superpay_decode(k2, hex, &s, &err);
    CHECK(st == PH_ERR_DECRYPT && strcmp(err.message, first) == 0,
          "wrong key: %s \"%s\"", ph_status_name(st), err.message);
    hex[0] = 'z';
    st = superpay_decode(k, hex, &s, &err);
    CHECK(st == PH_ERR_DECRYPT && strcmp(err.message, first) == 0,
          "bad hex: %s \"%s\"", ph_status_name(st), err.message);
done:
    EVP_CIPHER_CTX_free(ecb);
    free(ct);
    ph_free(hex, hex != NULL ? strlen(hex) : 0);
    ph_superpay_key_free(k);
    ph_superpay_key_free(k2);
    ph_scratch_free(&s);
    t_end();
}

/* AES-CBC with PKCS#7 under `iv`, as hex, by OpenSSL alone. */
static size_t encrypt_hex(const unsigned char *key, const unsigned char *iv,
                          const unsigned char *pt, size_t len, char *hex)
{
    unsigned char ct[600];
    int n = 0, m = 0;
    size_t i;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

    if (c == NULL ||
        !EVP_EncryptInit_ex2(c, EVP_aes_256_cbc(), key, iv, NULL) ||
        !EVP_EncryptUpdate(c, ct, &n, pt, (int)len) ||
        !EVP_EncryptFinal_ex(c, ct + n, &m))
        n = m = 0;
    EVP_CIPHER_CTX_free(c);
    for (i = 0; i < (size_t)(n + m); i++)
        sprintf(hex + 2 * i, "%02x", ct[i]);
    return 2 * (size_t)(n + m);
}

/* A key's kept context carries its CBC stream from call to call and mends
 * each call's first block (ph_aes_cbc_chained): every plaintext must come
 * back exactly, whatever IV, length or failure came before it. */
static void superpay_chain(void)
{
    const unsigned char *key = (const unsigned char *)sp_key;
    ph_superpay_key *k = NULL;
    ph_scratch s = PH_SCRATCH_INIT;
    unsigned char pt[500], iv[16], own_iv[16];
    const unsigned char *plain;
    char hex[1300];
    size_t plain_len, hex_len, len, i, j;
    uint64_t seed = 20261203;
    ph_error err;
    ph_status st;
    int bad = 0, fails = 0;

    t_begin("SuperPay: a reused key's CBC stream, IV after IV");
    if (!CHECK_STATUS(ph_superpay_key_new(key, 32, &k, &err), PH_OK, "key")) {
        t_end();
        return;
    }
    ph_superpay_key_iv(k, own_iv);
    for (i = 0; i < 400; i++) {
        unsigned r = t_random(&seed);
        len = r % sizeof pt;
        for (j = 0; j < len; j++)
            pt[j] = (unsigned char)t_random(&seed);
        for (j = 0; j < 16; j++) /* the key's own IV one time in four */
            iv[j] = r % 4 == 0 ? own_iv[j] : (unsigned char)t_random(&seed);
        hex_len = encrypt_hex(key, iv, pt, len, hex);
        switch (r / 7 % 6) {
        case 0: /* a wrong digit: decrypted all the same, then refused */
            hex[t_random(&seed) % hex_len] = 'g';
            break;
        case 1: /* one block short of a multiple: refused before AES */
            hex_len -= 2;
            break;
        case 2: /* the last byte flipped: the padding fails (mostly) */
            hex[hex_len - 1] = hex[hex_len - 1] == '0' ? '1' : '0';
            break;
        default:
            break;
        }
        st = ph_superpay_decrypt_hex(k, r % 4 == 0 ? NULL : iv, hex, hex_len,
                                     PH_DEFAULT_MAX_BYTES, &s, &plain,
                                     &plain_len, &err);
        if (r / 7 % 6 <= 2) {
            fails += st != PH_OK;
            bad += st != PH_OK && st != PH_ERR_DECRYPT;
            continue;
        }
        bad += st != PH_OK || plain_len != len ||
               (len > 0 && memcmp(plain, pt, len) != 0);
    }
    CHECK(bad == 0, "a plaintext came back wrong");
    CHECK(fails > 100, "the failures in between did not happen");
    ph_superpay_key_free(k);
    ph_scratch_free(&s);
    t_end();
}

void run_units_providers(void)
{
    leanx_envelope();
    leanx_strict_token();
    superpay();
    superpay_probe();
    superpay_chain();
}
