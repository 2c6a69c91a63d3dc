/*
 * Wycheproof (C2SP/wycheproof, testvectors_v1) through payhook's own API:
 *
 *  - aes_cbc_pkcs5_test.json (the 256-bit group) through the raw
 *    ph_aes256cbc_decrypt / ph_aes256cbc_encrypt and through the SuperPay
 *    key with an explicit IV (ph_superpay_decrypt_hex);
 *  - hmac_sha{256,384,512}_test.json.  A JWS signature is an HMAC over
 *    "header.payload", never over Wycheproof's arbitrary message, so each
 *    case is used twice: OpenSSL's HMAC() must agree with the listed tag
 *    (equal when valid, different when invalid), and payhook must sign and
 *    verify with the case's key, reject the same token after the case's
 *    tag modification is applied to its signature, reject a verifier whose
 *    key differs in its first byte, and reject any truncated tag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "runner.h"

static unsigned char *hex_member(const cJSON *t, const char *name,
                                 size_t *len)
{
    const char *h = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(t, name));
    unsigned char *p = h ? t_unhex(h, len) : NULL;

    CHECK(p != NULL, "test has no hex \"%s\"", name);
    return p;
}

static int is_valid(const cJSON *t)
{
    const char *r = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(t, "result"));
    return r != NULL && strcmp(r, "valid") == 0;
}

static int tc_id(const cJSON *t)
{
    return cJSON_GetObjectItemCaseSensitive(t, "tcId")
               ? cJSON_GetObjectItemCaseSensitive(t, "tcId")->valueint
               : -1;
}

/* ------------------------------------------------------------------ */
/* AES-256-CBC / PKCS#7                                                */

typedef struct aes_state {
    ph_scratch s;
    char message[PH_MESSAGE_SIZE];    /* the one decryption message */
    size_t valid, invalid;
} aes_state;

static void same_message(aes_state *a, const ph_error *err, const char *via)
{
    if (a->message[0] == '\0')
        memcpy(a->message, err->message, sizeof a->message);
    CHECK(strcmp(a->message, err->message) == 0,
          "%s: message \"%.*s\" differs from \"%s\"", via,
          (int)sizeof err->message, err->message, a->message);
}

static void aes_case(aes_state *a, const cJSON *t)
{
    size_t kl = 0, ivl = 0, ml = 0, cl = 0, pt_len = 0, ct2_len = 0;
    unsigned char *key = hex_member(t, "key", &kl);
    unsigned char *iv = hex_member(t, "iv", &ivl);
    unsigned char *msg = hex_member(t, "msg", &ml);
    unsigned char *ct = hex_member(t, "ct", &cl);
    const unsigned char *pt = NULL, *sentinel = (const unsigned char *)"";
    unsigned char *ct2 = NULL;
    ph_superpay_key *k = NULL;
    char *hex;
    ph_error err;
    ph_status st;

    t_begin("wycheproof AES-256-CBC-PKCS5 tcId %d (%s)", tc_id(t),
            is_valid(t) ? "valid" : "invalid");
    if (!key || !iv || !msg || !ct ||
        !CHECK(kl == 32 && ivl == 16, "not a 256-bit key / 128-bit IV"))
        goto done;
    hex = t_tohex(ct, cl);
    t_error_reset(&err);
    pt = sentinel;
    st = ph_aes256cbc_decrypt(key, iv, ct, cl, &a->s, &pt, &pt_len, &err);
    if (is_valid(t)) {
        a->valid++;
        if (CHECK_STATUS(st, PH_OK, "decrypt"))
            CHECK(pt_len == ml && memcmp(pt, msg, ml) == 0,
                  "plaintext differs (%zu bytes, want %zu)", pt_len, ml);
        if (CHECK_STATUS(ph_aes256cbc_encrypt(key, iv, msg, ml, &ct2,
                                              &ct2_len, &err),
                         PH_OK, "encrypt"))
            CHECK(ct2_len == cl && memcmp(ct2, ct, cl) == 0,
                  "ciphertext differs");
        ph_free(ct2, ct2_len);
    } else {
        a->invalid++;
        if (CHECK_STATUS(st, PH_ERR_DECRYPT, "decrypt")) {
            t_check_error(&err, st, (const unsigned char *const *)&key, &kl,
                          1);
            same_message(a, &err, "ph_aes256cbc_decrypt");
        }
        CHECK(pt == sentinel, "plaintext pointer set on failure");
    }
    /* The same through a SuperPay key with the vector's IV. */
    if (CHECK_STATUS(ph_superpay_key_new(key, kl, &k, &err), PH_OK, "key")) {
        t_error_reset(&err);
        st = ph_superpay_decrypt_hex(k, iv, hex, strlen(hex),
                                     PH_DEFAULT_MAX_BYTES, &a->s, &pt,
                                     &pt_len, &err);
        if (is_valid(t)) {
            if (CHECK_STATUS(st, PH_OK, "ph_superpay_decrypt_hex"))
                CHECK(pt_len == ml && memcmp(pt, msg, ml) == 0,
                      "plaintext differs through ph_superpay_decrypt_hex");
        } else if (CHECK_STATUS(st, PH_ERR_DECRYPT,
                                "ph_superpay_decrypt_hex")) {
            t_check_error(&err, st, (const unsigned char *const *)&key, &kl,
                          1);
            same_message(a, &err, "ph_superpay_decrypt_hex");
        }
    }
    ph_superpay_key_free(k);
    free(hex);
done:
    free(key);
    free(iv);
    free(msg);
    free(ct);
    t_end();
}

static void run_aes(const char *dir)
{
    char *path = t_join(dir, "wycheproof/aes_cbc_pkcs5_test.json");
    aes_state a;
    cJSON *root, *g, *t;

    memset(&a, 0, sizeof a);
    t_begin("wycheproof AES file");
    root = t_load_json(path);
    t_end();
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(root,
                                                           "testGroups")) {
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g, "tests"))
            aes_case(&a, t);
    }
    t_begin("wycheproof AES: 24 valid and 48 invalid cases ran");
    CHECK(a.valid == 24 && a.invalid == 48, "%zu valid, %zu invalid",
          a.valid, a.invalid);
    t_end();
    ph_scratch_free(&a.s);
    cJSON_Delete(root);
    free(path);
}

/* ------------------------------------------------------------------ */
/* HMAC-SHA2 and JWS HS*                                               */

typedef struct hmac_file {
    const char *file, *name, *header;
    unsigned alg;
    size_t digest_len;
    const EVP_MD *(*md)(void);
} hmac_file;

typedef struct hmac_counts {
    size_t full, truncated;
} hmac_counts;

static ph_jwt_verifier *make_verifier(const unsigned char *k1, size_t l1,
                                      const unsigned char *k2, size_t l2,
                                      unsigned alg)
{
    const unsigned char *keys[2] = {k1, k2};
    size_t lens[2] = {l1, l2};
    ph_jwt_verifier *v = NULL;

    CHECK_STATUS(ph_jwt_verifier_new(keys, lens, k2 ? 2 : 1, alg, &v, NULL),
                 PH_OK, "ph_jwt_verifier_new");
    return v;
}

static ph_status verify_token(const ph_jwt_verifier *v, const char *tok,
                              const unsigned char *key, size_t key_len,
                              ph_scratch *s)
{
    const char *pl;
    size_t pl_len;
    ph_error err;
    ph_status st;

    if (v == NULL)
        return PH_ERR_ARGUMENT;
    t_error_reset(&err);
    st = ph_jwt_verify(v, tok, strlen(tok), PH_DEFAULT_MAX_BYTES, s, &pl,
                       &pl_len, &err);
    if (st != PH_OK)
        t_check_error(&err, st, &key, &key_len, 1);
    return st;
}

/* The token "signing-input.b64url(sig)" in a malloc'd string. */
static char *with_signature(const char *signing, size_t signing_len,
                            const unsigned char *sig, size_t sig_len)
{
    size_t el = ph_b64url_encoded_len(sig_len);
    char *tok = malloc(signing_len + 1 + el + 1);

    if (tok == NULL)
        abort();
    memcpy(tok, signing, signing_len);
    tok[signing_len] = '.';
    ph_b64url_encode(sig, sig_len, tok + signing_len + 1);
    tok[signing_len + 1 + el] = '\0';
    return tok;
}

/* Full-length tags: a JWS signature check. */
static void hmac_full(const hmac_file *f, const cJSON *t,
                      const unsigned char *key, size_t kl,
                      const unsigned char *full, const unsigned char *tag,
                      ph_scratch *s)
{
    char payload[64], *tok = NULL, *mod = NULL;
    unsigned char mac[EVP_MAX_MD_SIZE], delta[EVP_MAX_MD_SIZE];
    unsigned char *flipped = malloc(kl);
    unsigned int mac_len = 0;
    size_t signing, i;
    ph_jwt_verifier *v, *wrong, *rotated;
    ph_error err;
    int changed = 0;

    if (flipped == NULL)
        abort();
    memcpy(flipped, key, kl);
    flipped[0] ^= 0xff;
    snprintf(payload, sizeof payload, "{\"wycheproof\":%d}", tc_id(t));
    if (!CHECK_STATUS(ph_jwt_sign(f->header, strlen(f->header), payload,
                                  strlen(payload), f->alg, key, kl, &tok,
                                  &err),
                      PH_OK, "ph_jwt_sign")) {
        free(flipped);
        return;
    }
    /* The signature ph_jwt_sign wrote is OpenSSL's HMAC of the input. */
    signing = (size_t)(strrchr(tok, '.') - tok);
    HMAC(f->md(), key, (int)kl, (const unsigned char *)tok, signing, mac,
         &mac_len);
    mod = with_signature(tok, signing, mac, mac_len);
    CHECK(mac_len == f->digest_len && strcmp(mod, tok) == 0,
          "ph_jwt_sign's signature is not HMAC(key, signing input)");
    free(mod);

    v = make_verifier(key, kl, NULL, 0, f->alg);
    wrong = make_verifier(flipped, kl, NULL, 0, f->alg);
    rotated = make_verifier(flipped, kl, key, kl, f->alg);
    CHECK_STATUS(verify_token(v, tok, key, kl, s), PH_OK, "verify");
    CHECK_STATUS(verify_token(rotated, tok, key, kl, s), PH_OK,
                 "verify with the key second in a rotation");
    CHECK_STATUS(verify_token(wrong, tok, key, kl, s), PH_ERR_SIGNATURE,
                 "key with its first byte flipped");

    /* Apply the case's tag modification (tag XOR the true MAC of msg) to
     * the token's signature. */
    for (i = 0; i < f->digest_len; i++) {
        delta[i] = (unsigned char)(tag[i] ^ full[i]);
        changed |= delta[i] != 0;
        mac[i] ^= delta[i];
    }
    CHECK(changed == !is_valid(t), "the Wycheproof tag is %s but %s",
          is_valid(t) ? "valid" : "invalid",
          changed ? "differs from HMAC()" : "equals HMAC()");
    mod = with_signature(tok, signing, mac, f->digest_len);
    CHECK_STATUS(verify_token(v, mod, key, kl, s),
                 is_valid(t) ? PH_OK : PH_ERR_SIGNATURE,
                 "signature with the case's tag modification");
    free(mod);
    ph_jwt_verifier_free(v);
    ph_jwt_verifier_free(wrong);
    ph_jwt_verifier_free(rotated);
    ph_free(tok, strlen(tok));
    free(flipped);
}

/* Truncated tags: never a valid JWS signature. */
static void hmac_truncated(const hmac_file *f, const cJSON *t,
                           const unsigned char *key, size_t kl,
                           const unsigned char *tag, size_t tag_len,
                           ph_scratch *s)
{
    char payload[64], *tok = NULL, *mod;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    size_t signing;
    ph_jwt_verifier *v = make_verifier(key, kl, NULL, 0, f->alg);
    ph_error err;

    snprintf(payload, sizeof payload, "{\"wycheproof\":%d}", tc_id(t));
    if (v == NULL ||
        !CHECK_STATUS(ph_jwt_sign(f->header, strlen(f->header), payload,
                                  strlen(payload), f->alg, key, kl, &tok,
                                  &err),
                      PH_OK, "ph_jwt_sign")) {
        ph_jwt_verifier_free(v);
        return;
    }
    signing = (size_t)(strrchr(tok, '.') - tok);
    HMAC(f->md(), key, (int)kl, (const unsigned char *)tok, signing, mac,
         &mac_len);
    mod = with_signature(tok, signing, mac, tag_len);
    CHECK_STATUS(verify_token(v, mod, key, kl, s), PH_ERR_SIGNATURE,
                 "the true MAC truncated to the tag size");
    free(mod);
    mod = with_signature(tok, signing, tag, tag_len);
    CHECK_STATUS(verify_token(v, mod, key, kl, s), PH_ERR_SIGNATURE,
                 "the case's truncated tag");
    free(mod);
    CHECK_STATUS(verify_token(v, tok, key, kl, s), PH_OK,
                 "the full signature still verifies");
    ph_jwt_verifier_free(v);
    ph_free(tok, strlen(tok));
}

static void hmac_case(const hmac_file *f, int tag_bits, const cJSON *t,
                      hmac_counts *c, ph_scratch *s)
{
    size_t kl = 0, ml = 0, tl = 0;
    unsigned char *key = hex_member(t, "key", &kl);
    unsigned char *msg = hex_member(t, "msg", &ml);
    unsigned char *tag = hex_member(t, "tag", &tl);
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int full_len = 0;
    int full_size = (size_t)tag_bits == 8 * f->digest_len;

    t_begin("wycheproof %s tcId %d (tag %d bits, key %zu bytes, %s)",
            f->name, tc_id(t), tag_bits, kl,
            is_valid(t) ? "valid" : "invalid");
    if (!key || !msg || !tag || !CHECK(tl * 8 == (size_t)tag_bits,
                                       "tag length differs from tagSize"))
        goto done;
    /* OpenSSL and the Wycheproof tag. */
    HMAC(f->md(), kl ? key : (const unsigned char *)"", (int)kl, msg, ml,
         full, &full_len);
    CHECK((memcmp(full, tag, tl) == 0) == is_valid(t),
          "HMAC() %s the listed tag", is_valid(t) ? "differs from" : "equals");
    if (kl == 0) {
        /* payhook refuses an empty key. */
        ph_jwt_verifier *v = NULL;
        const unsigned char *keys[1] = {key};
        char *tok = NULL;
        CHECK(ph_jwt_verifier_new(keys, &kl, 1, f->alg, &v, NULL) ==
                  PH_ERR_KEY, "empty key accepted by the verifier");
        CHECK(ph_jwt_sign("{}", 2, "{}", 2, f->alg, key, 0, &tok, NULL) ==
                  PH_ERR_KEY, "empty key accepted by ph_jwt_sign");
        ph_jwt_verifier_free(v);
    } else if (full_size) {
        c->full++;
        hmac_full(f, t, key, kl, full, tag, s);
    } else {
        c->truncated++;
        hmac_truncated(f, t, key, kl, tag, tl, s);
    }
done:
    free(key);
    free(msg);
    free(tag);
    t_end();
}

static void run_hmac(const char *dir, const hmac_file *f)
{
    char *path = t_join(dir, f->file);
    hmac_counts c = {0, 0};
    ph_scratch s = PH_SCRATCH_INIT;
    cJSON *root, *g, *t;

    t_begin("wycheproof %s file", f->name);
    root = t_load_json(path);
    t_end();
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(root,
                                                           "testGroups")) {
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(g, "tagSize");
        int bits = cJSON_IsNumber(ts) ? ts->valueint : 0;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(g, "tests"))
            hmac_case(f, bits, t, &c, &s);
    }
    t_begin("wycheproof %s: 87 full-size and 87 truncated cases ran",
            f->name);
    CHECK(c.full == 87 && c.truncated == 87, "%zu full, %zu truncated",
          c.full, c.truncated);
    t_end();
    ph_scratch_free(&s);
    cJSON_Delete(root);
    free(path);
}

/* Wycheproof has no empty key in these files; the property still holds. */
static void empty_key(void)
{
    static const unsigned algs[3] = {PH_ALG_HS256, PH_ALG_HS384,
                                     PH_ALG_HS512};
    const unsigned char *keys[1] = {(const unsigned char *)""};
    size_t zero = 0;
    int i;

    t_begin("HMAC: an empty key is PH_ERR_KEY for verifier and signer");
    for (i = 0; i < 3; i++) {
        ph_jwt_verifier *v = NULL;
        char *tok = NULL;
        ph_error err;
        t_error_reset(&err);
        CHECK_STATUS(ph_jwt_verifier_new(keys, &zero, 1, algs[i], &v, &err),
                     PH_ERR_KEY, "verifier");
        t_check_error(&err, PH_ERR_KEY, NULL, NULL, 0);
        CHECK(v == NULL, "verifier returned");
        CHECK_STATUS(ph_jwt_sign("{}", 2, "{}", 2, algs[i], keys[0], 0, &tok,
                                 &err),
                     PH_ERR_KEY, "sign");
        CHECK(tok == NULL, "token returned");
    }
    t_end();
}

void run_wycheproof(const char *dir)
{
    static const hmac_file files[] = {
        {"wycheproof/hmac_sha256_test.json", "HMAC-SHA256",
         "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", PH_ALG_HS256, 32, EVP_sha256},
        {"wycheproof/hmac_sha384_test.json", "HMAC-SHA384",
         "{\"alg\":\"HS384\",\"typ\":\"JWT\"}", PH_ALG_HS384, 48, EVP_sha384},
        {"wycheproof/hmac_sha512_test.json", "HMAC-SHA512",
         "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", PH_ALG_HS512, 64, EVP_sha512},
    };
    size_t i;

    run_aes(dir);
    for (i = 0; i < sizeof files / sizeof files[0]; i++)
        run_hmac(dir, &files[i]);
    empty_key();
}
