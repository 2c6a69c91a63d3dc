/*
 * A LeanX body end to end: ph_leanx_token finds the token, ph_jwt_verify
 * checks it, ph_jwt_parse_claims reads the payload.
 *
 * Input: a 3-byte option block, then the body.
 *   byte 0  bit 0  splice: the body is the data with a valid token (the
 *                  harness signs it at start-up) put in at offset byte 1,
 *                  so the fuzzer can build envelopes around a token that
 *                  verifies
 *           bit 1  max_bytes = 8 * byte 2 instead of the default
 *
 * Checks, besides the sanitizers and the error-record rules:
 *   - TOO_LARGE exactly when the body is over max_bytes; DECODE only for
 *     a body that starts with '{';
 *   - a token taken out of an object is the "data" member as cJSON reads
 *     it (payhook may be stricter, never laxer); a bare token is the
 *     trimmed body itself; it lies in the body or in scratch->env;
 *   - an accepted token is canonical base64url; the token the harness
 *     signed, when it comes out of the envelope whole, verifies and gives
 *     back its payload, which passes the default claim checks.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz_common.h"

#define OPTS 3

/* The demo hash key of examples/callbacks, so the example body is a seed
 * that verifies. */
static const unsigned char key[] =
    "7d3b1f0c9a2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d"
    "4f6a8c0e2b4d6f8a0c2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a";
#define KEY_LEN (sizeof key - 1)

static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
static const char payload[] =
    "{\"output\":{\"invoice_no\":\"FUZZ-1\",\"invoice_status\":\"SUCCESS\","
    "\"amount\":\"13.00\",\"error_description\":[]},\"response_code\":2100}";

static ph_jwt_verifier *verifier;
static char token[512];
static size_t token_len;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const unsigned char *keys[1] = {key};
    size_t lens[1] = {KEY_LEN};
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    ph_error err;

    (void)argc;
    (void)argv;
    FZ_CHECK(ph_jwt_verifier_new(keys, lens, 1, PH_ALG_HS256, &verifier,
                                 &err) == PH_OK,
             "verifier setup failed");
    token_len = fz_b64url_encode((const unsigned char *)header,
                                 sizeof header - 1, token);
    token[token_len++] = '.';
    token_len += fz_b64url_encode((const unsigned char *)payload,
                                  sizeof payload - 1, token + token_len);
    FZ_CHECK(HMAC(EVP_sha256(), key, (int)KEY_LEN,
                  (const unsigned char *)token, token_len, mac,
                  &mac_len) != NULL,
             "HMAC failed in the harness");
    token[token_len++] = '.';
    token_len += fz_b64url_encode(mac, mac_len, token + token_len);
    return 0;
}

static void reset(ph_error *err)
{
    err->status = PH_STATUS_COUNT;
    err->message[0] = '\0';
}

static int inside(const char *p, size_t len, const void *lo, size_t lo_len)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)lo;

    return lo != NULL && a >= b && a + len <= b + lo_len;
}

/* The token ph_leanx_token found, against cJSON's reading of the body. */
static void check_found(const char *body, size_t len, const char *tok,
                        size_t tok_len, const ph_scratch *s)
{
    const char *trimmed = body;
    size_t t_len = len;
    cJSON *root, *data;

    fz_trim(&trimmed, &t_len);
    if (t_len == 0 || trimmed[0] != '{') {
        FZ_CHECK(tok == trimmed && tok_len == t_len,
                 "a bare token is not the trimmed body");
        return;
    }
    FZ_CHECK(inside(tok, tok_len, body, len) ||
                 inside(tok, tok_len, s->env, s->env_cap),
             "token outside the body and scratch->env");
    /* cJSON cuts a name at an escaped NUL, so "data\u0000x" would read
     * as a second "data": no comparison for such bodies. */
    if (fz_cjson_blind_spot(body, len) || fz_has_escaped_nul(body, len))
        return;
    root = cJSON_ParseWithLength(body, len);
    FZ_CHECK(root != NULL, "payhook took a token out of JSON cJSON rejects");
    data = cJSON_GetObjectItemCaseSensitive(root, "data");
    FZ_CHECK(cJSON_IsString(data), "cJSON sees no \"data\" string");
    if (memchr(tok, '\0', tok_len) == NULL)
        FZ_CHECK(strlen(data->valuestring) == tok_len &&
                     memcmp(data->valuestring, tok, tok_len) == 0,
                 "token differs from cJSON's \"data\"");
    else
        FZ_CHECK(memcmp(data->valuestring, tok,
                        strlen(data->valuestring) + 1) == 0,
                 "token differs from cJSON's \"data\" before its NUL");
    cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ph_scratch s = PH_SCRATCH_INIT;
    ph_error err;
    ph_claims cl;
    const char *body, *tok = NULL, *pl = NULL, *trimmed;
    char *built = NULL;
    size_t len, tok_len = 0, pl_len = 0, at, t_len;
    size_t max_bytes = PH_DEFAULT_MAX_BYTES;
    void *root = NULL;
    ph_status st;

    if (size < OPTS)
        return 0;
    if (data[0] & 2)
        max_bytes = (size_t)data[2] * 8;
    body = (const char *)data + OPTS;
    len = size - OPTS;
    if (data[0] & 1) {
        at = data[1] < len ? data[1] : len;
        built = malloc(len + token_len);
        FZ_CHECK(built != NULL, "out of memory in the harness");
        memcpy(built, body, at);
        memcpy(built + at, token, token_len);
        memcpy(built + at + token_len, body + at, len - at);
        body = built;
        len += token_len;
    }
    trimmed = body;
    t_len = len;
    fz_trim(&trimmed, &t_len);

    reset(&err);
    st = ph_leanx_token(body, len, max_bytes, &s, &tok, &tok_len, &err);
    fz_check_error(st, &err, key, KEY_LEN);
    /* DECODE only for an object that is not a LeanX envelope, or for a
     * body that starts with a byte order mark (refused in both forms). */
    FZ_CHECK(st == PH_OK || st == PH_ERR_TOO_LARGE ||
                 (st == PH_ERR_DECODE && t_len > 0 &&
                  (trimmed[0] == '{' ||
                   (t_len >= 3 && memcmp(trimmed, "\xef\xbb\xbf", 3) == 0))),
             "unexpected status from ph_leanx_token");
    FZ_CHECK((st == PH_ERR_TOO_LARGE) == (len > max_bytes),
             "size limit not applied exactly");
    if (st != PH_OK)
        goto done;
    check_found(body, len, tok, tok_len, &s);

    reset(&err);
    st = ph_jwt_verify(verifier, tok, tok_len, max_bytes, &s, &pl, &pl_len,
                       &err);
    fz_check_error(st, &err, key, KEY_LEN);
    FZ_CHECK(st == PH_OK || st == PH_ERR_TOO_LARGE || st == PH_ERR_DECODE ||
                 st == PH_ERR_SIGNATURE || st == PH_ERR_ALGORITHM,
             "unexpected status from ph_jwt_verify");
    trimmed = tok;
    t_len = tok_len;
    fz_trim(&trimmed, &t_len);
    if (t_len == token_len && memcmp(trimmed, token, token_len) == 0 &&
        tok_len <= max_bytes)
        FZ_CHECK(st == PH_OK && pl_len == sizeof payload - 1 &&
                     memcmp(pl, payload, pl_len) == 0,
                 "the harness's own token did not verify");
    if (st != PH_OK)
        goto done;
    fz_check_jwt_canonical(tok, tok_len);

    ph_claims_init(&cl, 1700000000.0);
    reset(&err);
    st = ph_jwt_parse_claims(pl, pl_len, &cl, &ph_cjson_sink, NULL, &s, &root,
                             &err);
    fz_check_error(st, &err, key, KEY_LEN);
    FZ_CHECK((st == PH_OK) == (root != NULL), "root and status disagree");
    if (pl_len == sizeof payload - 1 && memcmp(pl, payload, pl_len) == 0)
        FZ_CHECK(st == PH_OK, "the harness's payload failed its claims");
    cJSON_Delete(root);
done:
    free(built);
    ph_scratch_free(&s);
    return 0;
}
