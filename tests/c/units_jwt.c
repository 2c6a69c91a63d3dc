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

/* The message of one failed verification contains `says`. */
static void check_message(const ph_jwt_verifier *v, const char *tok,
                          ph_status want, const char *says)
{
    ph_scratch s = PH_SCRATCH_INIT;
    ph_jws_parts parts;
    ph_error err;
    ph_status st;

    t_error_reset(&err);
    st = ph_jwt_verify_parts(v, tok, strlen(tok), PH_DEFAULT_MAX_BYTES, &s,
                             &parts, &err);
    CHECK_STATUS(st, want, says);
    CHECK(strstr(err.message, says) != NULL, "message \"%s\", want \"%s\"",
          err.message, says);
    CHECK(parts.header == NULL && parts.payload == NULL &&
              parts.signature == NULL && parts.algorithm == 0,
          "parts left set on failure");
    ph_scratch_free(&s);
}

/* PyJWT's messages for the failures PyJWT has, in PyJWT's order (every
 * segment decoded before the header rules, the algorithm and the MAC),
 * and payhook's reasons where it is stricter. */
static void messages(void)
{
    ph_jwt_verifier *v = t_verifier(t_key1, t_key1_len, PH_ALG_HS256);
    char *good = t_sign("{\"alg\":\"HS256\"}", "{\"a\":1}", PH_ALG_HS256,
                        t_key1, t_key1_len);
    char *kid = t_sign("{\"alg\":\"HS256\",\"kid\":7}", "{}", PH_ALG_HS256,
                       t_key1, t_key1_len);
    char *noalg = t_sign("{\"typ\":\"JWT\"}", "{}", PH_ALG_HS256, t_key1,
                         t_key1_len);
    char *none = t_sign("{\"alg\":\"none\"}", "{}", PH_ALG_HS256, t_key1,
                        t_key1_len);
    char *crit = t_sign("{\"alg\":\"HS256\",\"crit\":[\"x\"]}", "{}",
                        PH_ALG_HS256, t_key1, t_key1_len);
    char *dup = t_sign("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", "{}",
                       PH_ALG_HS256, t_key1, t_key1_len);
    char *arr = t_sign("[1]", "{}", PH_ALG_HS256, t_key1, t_key1_len);
    char *bad = t_sign("{\"alg\":\"HS256\"", "{}", PH_ALG_HS256, t_key1,
                       t_key1_len);
    char buf[512];
    const char *dot1, *dot2;

    t_begin("JWT messages: PyJWT's words, in PyJWT's order");
    if (v != NULL && good != NULL && kid != NULL && noalg != NULL &&
        none != NULL && crit != NULL && dup != NULL && arr != NULL &&
        bad != NULL) {
        dot1 = strchr(good, '.');
        dot2 = strrchr(good, '.');
        check_message(v, "a.b", PH_ERR_DECODE, "Not enough segments");
        check_message(v, "", PH_ERR_DECODE, "Not enough segments");
        check_message(v, "a.b.c.d", PH_ERR_DECODE, "Too many segments");
        check_message(v, "a!.b.c", PH_ERR_DECODE, "Invalid header padding");
        check_message(v, arr, PH_ERR_DECODE,
                      "Invalid header string: must be a json object");
        check_message(v, bad, PH_ERR_DECODE, "Invalid header string: ");
        snprintf(buf, sizeof buf, "%.*s.a%s", (int)(dot1 - good), good,
                 dot2);
        check_message(v, buf, PH_ERR_DECODE, "Invalid payload padding");
        snprintf(buf, sizeof buf, "%.*s.a", (int)(dot2 - good), good);
        check_message(v, buf, PH_ERR_DECODE, "Invalid crypto padding");
        snprintf(buf, sizeof buf, "%s=", good);
        check_message(v, buf, PH_ERR_DECODE,
                      "Invalid crypto padding: '=' padding is refused");
        snprintf(buf, sizeof buf, "%s!!!!", good);
        check_message(v, buf, PH_ERR_DECODE, "Invalid crypto padding");
        check_message(v, kid, PH_ERR_DECODE,
                      "Key ID header parameter must be a string");
        check_message(v, crit, PH_ERR_DECODE,
                      "Unsupported header parameter \"crit\"");
        check_message(v, dup, PH_ERR_DECODE,
                      "duplicate header names are refused");
        check_message(v, noalg, PH_ERR_ALGORITHM, "Algorithm not specified");
        check_message(v, none, PH_ERR_ALGORITHM,
                      "The specified alg value is not allowed");
        /* A bad payload segment is found before the (wrong) MAC, a bad
         * signature segment before the header rules. */
        snprintf(buf, sizeof buf, "%.*s.a.%s", (int)(dot1 - good), good,
                 dot2 + 1);
        check_message(v, buf, PH_ERR_DECODE, "Invalid payload padding");
        dot2 = strrchr(kid, '.');
        snprintf(buf, sizeof buf, "%.*s.a", (int)(dot2 - kid), kid);
        check_message(v, buf, PH_ERR_DECODE, "Invalid crypto padding");
        snprintf(buf, sizeof buf, "%.*sAAAA", (int)strlen(good) - 4, good);
        check_message(v, buf, PH_ERR_SIGNATURE,
                      "Signature verification failed");
    }
    t_end();
    ph_free(good, good ? strlen(good) : 0);
    ph_free(kid, kid ? strlen(kid) : 0);
    ph_free(noalg, noalg ? strlen(noalg) : 0);
    ph_free(none, none ? strlen(none) : 0);
    ph_free(crit, crit ? strlen(crit) : 0);
    ph_free(dup, dup ? strlen(dup) : 0);
    ph_free(arr, arr ? strlen(arr) : 0);
    ph_free(bad, bad ? strlen(bad) : 0);
    ph_jwt_verifier_free(v);
}

/* ph_jwt_verify_parts gives every decoded part; ph_jwt_read_header the
 * header alone, without the algorithm or the MAC. */
static void parts_and_header(void)
{
    static const char hdr[] = "{\"alg\":\"HS384\",\"kid\":\"k1\"}";
    ph_jwt_verifier *v = t_verifier(t_key1, t_key1_len, ALL_ALGS);
    ph_jwt_verifier *v256 = t_verifier(t_key1, t_key1_len, PH_ALG_HS256);
    char *tok = t_sign(hdr, "not json", PH_ALG_HS384, t_key1, t_key1_len);
    char *kid = t_sign("{\"alg\":\"HS256\",\"kid\":null}", "{}",
                       PH_ALG_HS256, t_key1, t_key1_len);
    ph_scratch s = PH_SCRATCH_INIT;
    ph_jws_parts parts;
    const char *h;
    size_t h_len;
    ph_error err;

    t_begin("ph_jwt_verify_parts and ph_jwt_read_header");
    if (v != NULL && v256 != NULL && tok != NULL && kid != NULL) {
        CHECK_STATUS(ph_jwt_verify_parts(v, tok, strlen(tok),
                                         PH_DEFAULT_MAX_BYTES, &s, &parts,
                                         &err),
                     PH_OK, "verify");
        CHECK(parts.header_len == sizeof hdr - 1 &&
                  memcmp(parts.header, hdr, sizeof hdr - 1) == 0,
              "header");
        CHECK(parts.payload_len == 8 &&
                  memcmp(parts.payload, "not json", 8) == 0,
              "payload (not parsed)");
        CHECK(parts.signature_len == 48, "signature length");
        CHECK(parts.algorithm == PH_ALG_HS384, "algorithm");
        /* The header of a token no verifier of ours would take. */
        t_error_reset(&err);
        CHECK_STATUS(ph_jwt_read_header(tok, strlen(tok),
                                        PH_DEFAULT_MAX_BYTES, &s, &h, &h_len,
                                        &err),
                     PH_OK, "read header");
        CHECK(h_len == sizeof hdr - 1 && memcmp(h, hdr, h_len) == 0,
              "header read");
        CHECK_STATUS(ph_jwt_verify_parts(v256, tok, strlen(tok),
                                         PH_DEFAULT_MAX_BYTES, &s, &parts,
                                         &err),
                     PH_ERR_ALGORITHM, "HS384 outside the list");
        CHECK_STATUS(ph_jwt_read_header(kid, strlen(kid),
                                        PH_DEFAULT_MAX_BYTES, &s, &h, &h_len,
                                        &err),
                     PH_ERR_DECODE, "the header rules apply");
        CHECK(h == NULL && h_len == 0, "header left set on failure");
        CHECK_STATUS(ph_jwt_read_header(tok, strlen(tok), 10, &s, &h, &h_len,
                                        &err),
                     PH_ERR_TOO_LARGE, "size limit");
        CHECK_STATUS(ph_jwt_read_header("e30.e30", 7, PH_DEFAULT_MAX_BYTES,
                                        &s, &h, &h_len, &err),
                     PH_ERR_DECODE, "two segments");
    }
    t_end();
    ph_free(tok, tok ? strlen(tok) : 0);
    ph_free(kid, kid ? strlen(kid) : 0);
    ph_jwt_verifier_free(v);
    ph_jwt_verifier_free(v256);
    ph_scratch_free(&s);
}

void run_units_jwt(void)
{
    verifier_arguments();
    sign_and_verify();
    token_shapes();
    rotation();
    messages();
    parts_and_header();
}
