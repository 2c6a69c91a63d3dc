/* Unit tests: the JWT verifier's arguments, signing and verifying, token
 * headers and shapes, key rotation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "runner.h"

#define ALL_ALGS (PH_ALG_HS256 | PH_ALG_HS384 | PH_ALG_HS512)

static void verifier_arguments(void)
{
    const unsigned char *keys[PH_MAX_KEYS + 1];
    size_t lens[PH_MAX_KEYS + 1];
    ph_jwt_verifier *v = (ph_jwt_verifier *)&keys;
    ph_error err;
    ph_status st;
    int i;

    for (i = 0; i <= PH_MAX_KEYS; i++) {
        keys[i] = t_key1;
        lens[i] = t_key1_len;
    }
    t_begin("ph_jwt_verifier_new: key count and algorithm checks");
    t_error_reset(&err);
    st = ph_jwt_verifier_new(keys, lens, 0, PH_ALG_HS256, &v, &err);
    CHECK_STATUS(st, PH_ERR_KEY, "no keys");
    t_check_error(&err, st, NULL, NULL, 0);
    CHECK(v == NULL, "*out set on failure");
    st = ph_jwt_verifier_new(keys, lens, PH_MAX_KEYS + 1, PH_ALG_HS256, &v,
                             &err);
    CHECK_STATUS(st, PH_ERR_KEY, "too many keys");
    st = ph_jwt_verifier_new(keys, lens, PH_MAX_KEYS, PH_ALG_HS256, &v, &err);
    CHECK_STATUS(st, PH_OK, "PH_MAX_KEYS keys");
    ph_jwt_verifier_free(v);
    st = ph_jwt_verifier_new(keys, lens, 1, 0, &v, &err);
    CHECK_STATUS(st, PH_ERR_ARGUMENT, "empty allowlist");
    st = ph_jwt_verifier_new(keys, lens, 1, PH_ALG_HS256 | 8u, &v, &err);
    CHECK_STATUS(st, PH_ERR_ARGUMENT, "unknown algorithm bit");
    lens[2] = 0;
    t_error_reset(&err);
    st = ph_jwt_verifier_new(keys, lens, 3, PH_ALG_HS256, &v, &err);
    CHECK_STATUS(st, PH_ERR_KEY, "one empty key among three");
    t_check_error(&err, st, keys, lens, 3);
    st = ph_jwt_verifier_new(keys, lens, 1, PH_ALG_HS256, &v, NULL);
    CHECK_STATUS(st, PH_OK, "err may be NULL");
    ph_jwt_verifier_free(v);
    ph_jwt_verifier_free(NULL);
    t_end();

    t_begin("ph_alg_from_name");
    CHECK(ph_alg_from_name("HS256", 5) == PH_ALG_HS256, "HS256");
    CHECK(ph_alg_from_name("HS384", 5) == PH_ALG_HS384, "HS384");
    CHECK(ph_alg_from_name("HS512", 5) == PH_ALG_HS512, "HS512");
    CHECK(ph_alg_from_name("HS256x", 5) == PH_ALG_HS256, "length is used");
    CHECK(ph_alg_from_name("HS256", 4) == 0, "HS25");
    CHECK(ph_alg_from_name("HS2560", 6) == 0, "HS2560");
    CHECK(ph_alg_from_name("hs256", 5) == 0, "lower case");
    CHECK(ph_alg_from_name("none", 4) == 0, "none");
    CHECK(ph_alg_from_name("RS256", 5) == 0, "RS256");
    CHECK(ph_alg_from_name("", 0) == 0, "empty");
    t_end();
}

static void sign_and_verify(void)
{
    static const struct {
        unsigned alg;
        const char *hdr;
    } algs[] = {
        {PH_ALG_HS256, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"},
        {PH_ALG_HS384, "{\"alg\":\"HS384\",\"typ\":\"JWT\"}"},
        {PH_ALG_HS512, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}"},
    };
    const char *payload = "{\"sub\":\"x\",\"n\":1}";
    ph_scratch s = PH_SCRATCH_INIT;
    const char *pl;
    size_t pl_len, i;
    char *tok = NULL;
    ph_error err;

    t_begin("ph_jwt_sign: bad algorithm and empty key");
    CHECK_STATUS(ph_jwt_sign("{}", 2, "{}", 2, 0, t_key1, 4, &tok, &err),
                 PH_ERR_ALGORITHM, "alg 0");
    CHECK_STATUS(ph_jwt_sign("{}", 2, "{}", 2, PH_ALG_HS256 | PH_ALG_HS384,
                             t_key1, 4, &tok, &err),
                 PH_ERR_ALGORITHM, "two algs");
    CHECK_STATUS(ph_jwt_sign("{}", 2, "{}", 2, PH_ALG_HS256, t_key1, 0, &tok,
                             &err),
                 PH_ERR_KEY, "empty key");
    CHECK(tok == NULL, "token set on failure");
    t_end();

    for (i = 0; i < 3; i++) {
        ph_jwt_verifier *v = t_verifier(t_key1, t_key1_len, algs[i].alg);
        ph_jwt_verifier *other =
            t_verifier(t_key1, t_key1_len, ALL_ALGS & ~algs[i].alg);
        ph_jwt_verifier *wrong = t_verifier(t_key2, t_key2_len, algs[i].alg);
        t_begin("sign and verify %s", algs[i].hdr);
        tok = t_sign(algs[i].hdr, payload, algs[i].alg, t_key1, t_key1_len);
        if (tok != NULL && v != NULL && other != NULL && wrong != NULL) {
            size_t n = strlen(tok);
            if (CHECK_STATUS(t_verify(v, tok, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                      &pl_len),
                             PH_OK, "verify"))
                CHECK(pl_len == strlen(payload) &&
                          memcmp(pl, payload, pl_len) == 0, "payload");
            CHECK_STATUS(t_verify(other, tok, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_ALGORITHM, "alg outside the allowlist");
            CHECK_STATUS(t_verify(wrong, tok, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_SIGNATURE, "other key");
            CHECK_STATUS(t_verify(v, tok, n, &s, &pl, &pl_len), PH_OK,
                         "max_bytes equal to the length");
            CHECK_STATUS(t_verify(v, tok, n - 1, &s, &pl, &pl_len),
                         PH_ERR_TOO_LARGE, "max_bytes one short");
            /* Another character inside the signature. */
            tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A';
            CHECK_STATUS(t_verify(v, tok, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_SIGNATURE, "changed signature");
        }
        if (tok != NULL)
            ph_free(tok, strlen(tok));
        ph_jwt_verifier_free(v);
        ph_jwt_verifier_free(other);
        ph_jwt_verifier_free(wrong);
        t_end();
    }
    ph_scratch_free(&s);
}

/* "hdr.pl.sig" with an HS256 MAC by t_key1 computed here, over exactly
 * the given segments. */
static char *mac_token(const char *hdr_seg, const char *pl_seg)
{
    unsigned char mac[32];
    unsigned int mac_len = 0;
    size_t hl = strlen(hdr_seg), pl = strlen(pl_seg);
    char *tok = malloc(hl + pl + 2 + 44);

    if (tok == NULL)
        abort();
    snprintf(tok, hl + pl + 2, "%s.%s", hdr_seg, pl_seg);
    HMAC(EVP_sha256(), t_key1, (int)(t_key1_len),
         (const unsigned char *)tok, hl + 1 + pl, mac, &mac_len);
    tok[hl + 1 + pl] = '.';
    ph_b64url_encode(mac, 32, tok + hl + pl + 2);
    tok[hl + pl + 2 + 43] = '\0';
    return tok;
}

/* Headers and token shapes, each signed correctly with t_key1 / HS256 so
 * only the property under test can make them fail. */
static void token_shapes(void)
{
    static const struct {
        const char *what, *hdr;
        ph_status want;
    } hdrs[] = {
        {"plain header", "{\"alg\":\"HS256\"}", PH_OK},
        {"kid string", "{\"alg\":\"HS256\",\"kid\":\"k1\"}", PH_OK},
        {"escaped alg name", "{\"alg\":\"HS\\u0032\\u00356\"}", PH_OK},
        {"alg none", "{\"alg\":\"none\"}", PH_ERR_ALGORITHM},
        {"alg missing", "{\"typ\":\"JWT\"}", PH_ERR_ALGORITHM},
        {"alg not a string", "{\"alg\":256}", PH_ERR_ALGORITHM},
        {"alg null", "{\"alg\":null}", PH_ERR_ALGORITHM},
        {"alg lower case", "{\"alg\":\"hs256\"}", PH_ERR_ALGORITHM},
        {"alg RS256", "{\"alg\":\"RS256\"}", PH_ERR_ALGORITHM},
        {"duplicate alg", "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
         PH_ERR_DECODE},
        {"duplicate other member", "{\"alg\":\"HS256\",\"x\":1,\"x\":1}",
         PH_ERR_DECODE},
        {"crit", "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", PH_ERR_DECODE},
        {"b64", "{\"alg\":\"HS256\",\"b64\":false}", PH_ERR_DECODE},
        {"enc", "{\"alg\":\"HS256\",\"enc\":\"A128GCM\"}", PH_ERR_DECODE},
        {"kid not a string", "{\"alg\":\"HS256\",\"kid\":7}", PH_ERR_DECODE},
        {"header an array", "[\"HS256\"]", PH_ERR_DECODE},
        {"header a string", "\"HS256\"", PH_ERR_DECODE},
        {"header not JSON", "{alg:HS256}", PH_ERR_DECODE},
        {"header empty", "", PH_ERR_DECODE},
    };
    ph_jwt_verifier *v = t_verifier(t_key1, t_key1_len, PH_ALG_HS256);
    ph_scratch s = PH_SCRATCH_INIT;
    const char *pl;
    size_t pl_len, i;

    for (i = 0; i < sizeof hdrs / sizeof hdrs[0] && v != NULL; i++) {
        char *tok = t_sign(hdrs[i].hdr, "{}", PH_ALG_HS256, t_key1,
                           t_key1_len);
        t_begin("token header: %s", hdrs[i].what);
        if (tok != NULL)
            CHECK_STATUS(t_verify(v, tok, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         hdrs[i].want, "verify");
        ph_free(tok, tok ? strlen(tok) : 0);
        t_end();
    }

    t_begin("token shapes: segments, encodings, signature lengths");
    if (v != NULL) {
        char *tok = t_sign("{\"alg\":\"HS256\"}", "{\"a\":1}", PH_ALG_HS256,
                           t_key1, t_key1_len);
        char buf[512];
        const char *dot2 = tok ? strrchr(tok, '.') : NULL;
        size_t signing = dot2 ? (size_t)(dot2 - tok) : 0;
        if (tok != NULL && dot2 != NULL) {
            snprintf(buf, sizeof buf, " \n%s\t ", tok);
            CHECK_STATUS(t_verify(v, buf, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_DECODE, "surrounding JSON whitespace");
            snprintf(buf, sizeof buf, "%s\n", tok);
            CHECK_STATUS(t_verify(v, buf, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_DECODE, "a trailing newline");
            snprintf(buf, sizeof buf, "%.*s", (int)signing, tok);
            CHECK_STATUS(t_verify(v, buf, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_DECODE, "two segments");
            snprintf(buf, sizeof buf, "%s.", tok);
            CHECK_STATUS(t_verify(v, buf, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_DECODE, "four segments");
            snprintf(buf, sizeof buf, "%.*s.", (int)signing, tok);
            CHECK_STATUS(t_verify(v, buf, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_SIGNATURE, "empty signature");
            snprintf(buf, sizeof buf, "%sAAAA", tok);
            CHECK_STATUS(t_verify(v, buf, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_SIGNATURE, "signature 3 bytes too long");
            snprintf(buf, sizeof buf, "%.*s", (int)strlen(tok) - 4, tok);
            CHECK(t_verify(v, buf, PH_DEFAULT_MAX_BYTES, &s, &pl, &pl_len) !=
                      PH_OK, "signature 3 bytes short accepted");
            snprintf(buf, sizeof buf, "%s%0*d", tok, 56, 0);
            CHECK_STATUS(t_verify(v, buf, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_SIGNATURE, "signature far too long");
            snprintf(buf, sizeof buf, "%s=", tok);
            CHECK(t_verify(v, buf, PH_DEFAULT_MAX_BYTES, &s, &pl, &pl_len) !=
                      PH_OK, "padded signature accepted");
            snprintf(buf, sizeof buf, "%.*s.%s", (int)signing, tok, "!!!");
            CHECK(t_verify(v, buf, PH_DEFAULT_MAX_BYTES, &s, &pl, &pl_len) !=
                      PH_OK, "non-base64url signature accepted");
            CHECK_STATUS(t_verify(v, "", PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_DECODE, "empty token");
            CHECK_STATUS(t_verify(v, "..", PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_DECODE, "only dots");
            CHECK_STATUS(t_verify(v, "a.b.c", PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_ERR_DECODE, "bad header encoding");
        }
        ph_free(tok, tok ? strlen(tok) : 0);
    }
    t_end();

    /* Segments that only a hand-made token can have: the MAC is right,
     * the payload segment is not strict base64url. */
    t_begin("token: correctly MACed payload segment that is not base64url");
    if (v != NULL) {
        static const char *const segs[] = {"e30=", "e3 0", "e30+", "e", "e31"};
        for (i = 0; i < sizeof segs / sizeof segs[0]; i++) {
            char *tok = mac_token("eyJhbGciOiJIUzI1NiJ9", segs[i]);
            CHECK(t_verify(v, tok, PH_DEFAULT_MAX_BYTES, &s, &pl, &pl_len) ==
                      PH_ERR_DECODE, "payload segment \"%s\"", segs[i]);
            free(tok);
        }
        {
            char *tok = mac_token("eyJhbGciOiJIUzI1NiJ9", "e30");
            CHECK_STATUS(t_verify(v, tok, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                  &pl_len),
                         PH_OK, "the same made by hand, valid");
            CHECK(pl_len == 2 && memcmp(pl, "{}", 2) == 0, "payload");
            free(tok);
        }
    }
    t_end();
    ph_jwt_verifier_free(v);
    ph_scratch_free(&s);
}

static void rotation(void)
{
    const unsigned char *keys[2] = {t_key2, t_key1};
    size_t lens[2] = {t_key2_len, t_key1_len};
    ph_jwt_verifier *both = NULL, *only2;
    ph_scratch s = PH_SCRATCH_INIT;
    const char *pl;
    size_t pl_len;
    char *t1, *t2;

    t_begin("key rotation: a verifier with two keys accepts either");
    CHECK_STATUS(ph_jwt_verifier_new(keys, lens, 2, PH_ALG_HS256, &both,
                                     NULL),
                 PH_OK, "two keys");
    only2 = t_verifier(t_key2, t_key2_len, PH_ALG_HS256);
    t1 = t_sign("{\"alg\":\"HS256\"}", "{}", PH_ALG_HS256, t_key1,
                t_key1_len);
    t2 = t_sign("{\"alg\":\"HS256\"}", "{}", PH_ALG_HS256, t_key2,
                t_key2_len);
    if (both && only2 && t1 && t2) {
        CHECK_STATUS(t_verify(both, t1, PH_DEFAULT_MAX_BYTES, &s, &pl,
                              &pl_len),
                     PH_OK, "old key");
        CHECK_STATUS(t_verify(both, t2, PH_DEFAULT_MAX_BYTES, &s, &pl,
                              &pl_len),
                     PH_OK, "new key");
        CHECK_STATUS(t_verify(only2, t1, PH_DEFAULT_MAX_BYTES, &s, &pl,
                              &pl_len),
                     PH_ERR_SIGNATURE, "retired key");
    }
    ph_free(t1, t1 ? strlen(t1) : 0);
    ph_free(t2, t2 ? strlen(t2) : 0);
    ph_jwt_verifier_free(both);
    ph_jwt_verifier_free(only2);
    ph_scratch_free(&s);
    t_end();
}

void run_units_jwt(void)
{
    verifier_arguments();
    sign_and_verify();
    token_shapes();
    rotation();
}
