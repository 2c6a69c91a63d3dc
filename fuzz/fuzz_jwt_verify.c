/*
 * ph_jwt_verify, then ph_jwt_parse_claims into the checking sink and into
 * the cJSON sink.
 *
 * Input: a 9-byte option block, then the token.
 *   byte 0  bits 0-1  mode: 0 the token as given; 1 the token re-signed:
 *                     its first two segments are kept and the harness
 *                     writes the right MAC after them; 2 and 3 the rest
 *                     is "<header JSON>\0<payload JSON>" (no NUL: the
 *                     rest is the payload under {"alg":...,"typ":"JWT"})
 *                     which the harness encodes and signs itself
 *           bit 2     two keys (a rotation); the harness signs with the
 *                     second
 *           bit 3     max_bytes = 8 * byte 4 instead of the default
 *           bits 4-5  algorithm the harness signs with: HS256, HS384,
 *                     HS512, HS256
 *           bit 6     strict_aud
 *           bit 7     subject "payout" asked for
 *   byte 1  bits 0-2  allowlist (PH_ALG_* bits; 0: all three)
 *           bit 3     audience "merchant-42" asked for; bit 4 also
 *                     "urn:payhook"
 *           bit 5     issuer "leanx" asked for
 *           bits 6-7  leeway 0, 1, 120 or 1e9 seconds
 *   byte 2  claims to verify (PH_CLAIM_* bits; bit 7: the default, all)
 *   byte 3  claims to require (PH_CLAIM_* bits)
 *   byte 4  see byte 0 bit 3
 *   bytes 5-8  now, little-endian Unix seconds
 *
 * Checks, besides the sanitizers and the error-record rules:
 *   - TOO_LARGE exactly when the token is over max_bytes;
 *   - an accepted token is canonical base64url in all three segments,
 *     with a signature as long as a digest, and (modes 2, 3) gives back
 *     the payload bytes that were signed;
 *   - a token the harness signed with an allowed algorithm named in its
 *     header (as cJSON reads the header) is never a signature failure;
 *   - verifying again with the used scratch gives the same result;
 *   - the claim pass: root present exactly on success, an object, every
 *     sink handle given back; the cJSON sink agrees or fails as a sink;
 *     with nothing to verify and nothing required only a JSON error can
 *     fail it; with no repeated member name, the members in reverse order
 *     get the same outcome.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz_common.h"

#define OPTS 9

static const unsigned char key1[] = "payhook-fuzz-jwt-key:7Qx!vR2@mT9#";
#define KEY1_LEN (sizeof key1 - 1)
static unsigned char key2[200];

/* [rotation][allowlist]: made at start-up (made on first use they would
 * look like memory an input kept), kept for the whole run. */
static ph_jwt_verifier *verifiers[2][8];

static const struct {
    unsigned bit;
    const char *name;
    size_t len;
} algs[4] = {
    {PH_ALG_HS256, "HS256", 32},
    {PH_ALG_HS384, "HS384", 48},
    {PH_ALG_HS512, "HS512", 64},
    {PH_ALG_HS256, "HS256", 32},
};

static const ph_str audiences[2] = {{"merchant-42", 11}, {"urn:payhook", 11}};
static const ph_str issuer = {"leanx", 5};
static const ph_str subject = {"payout", 6};
static const double leeways[4] = {0, 1, 120, 1e9};

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;
    const unsigned char *keys[2] = {key1, key2};
    size_t lens[2] = {KEY1_LEN, sizeof key2};
    ph_error err;
    unsigned mask;
    int rotation;

    (void)argc;
    (void)argv;
    for (i = 0; i < sizeof key2; i++)
        key2[i] = (unsigned char)(i * 37 + 11);
    for (rotation = 0; rotation < 2; rotation++)
        for (mask = 1; mask < 8; mask++)
            FZ_CHECK(ph_jwt_verifier_new(keys, lens, rotation ? 2 : 1, mask,
                                         &verifiers[rotation][mask],
                                         &err) == PH_OK,
                     "verifier setup failed");
    return 0;
}

static void reset(ph_error *err)
{
    err->status = PH_STATUS_COUNT;
    err->message[0] = '\0';
}

static void check_error(ph_status st, const ph_error *err)
{
    fz_check_error(st, err, key1, KEY1_LEN);
    fz_check_error(st, err, key2, sizeof key2);
}

/* The MAC of msg, base64url-encoded at out; returns its length. */
static size_t sign(int alg, const unsigned char *key, size_t key_len,
                   const char *msg, size_t len, char *out)
{
    const EVP_MD *md = alg == 1 ? EVP_sha384()
                       : alg == 2 ? EVP_sha512()
                                  : EVP_sha256();
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;

    FZ_CHECK(HMAC(md, key, (int)key_len, (const unsigned char *)msg, len,
                  mac, &mac_len) != NULL,
             "HMAC failed in the harness");
    return fz_b64url_encode(mac, mac_len, out);
}

/* Is `alg` (by cJSON's reading of the header JSON) the one signed with? */
static int header_names(const char *json, size_t len, const char *name)
{
    cJSON *h = cJSON_ParseWithLength(json, len), *a;
    int yes;

    a = cJSON_IsObject(h) ? cJSON_GetObjectItemCaseSensitive(h, "alg")
                          : NULL;
    yes = cJSON_IsString(a) && strcmp(a->valuestring, name) == 0;
    cJSON_Delete(h);
    return yes;
}

static ph_status claims_pass(const char *payload, size_t len,
                             const ph_claims *cl, ph_scratch *s, int *dup)
{
    static const ph_status claim_errors[] = {
        PH_OK, PH_ERR_DECODE, PH_ERR_EXPIRED, PH_ERR_IMMATURE,
        PH_ERR_ISSUED_AT, PH_ERR_AUDIENCE, PH_ERR_ISSUER, PH_ERR_SUBJECT,
        PH_ERR_JTI, PH_ERR_MISSING_CLAIM};
    fz_sink_ctx c;
    ph_error err;
    void *root = NULL;
    cJSON *tree = NULL;
    ph_status st, st_cj;
    size_t i;
    int known = 0;

    reset(&err);
    fz_sink_init(&c, payload, len, s, 0);
    st = ph_jwt_parse_claims(payload, len, cl, &fz_sink, &c, s, &root, &err);
    check_error(st, &err);
    for (i = 0; i < sizeof claim_errors / sizeof claim_errors[0]; i++)
        known |= st == claim_errors[i];
    FZ_CHECK(known, "unexpected status from the claim pass");
    FZ_CHECK((st == PH_OK) == (root != NULL), "root and status disagree");
    if (root != NULL)
        FZ_CHECK(fz_sink_type(root) == FZ_OBJECT, "payload not an object");
    if (cl->verify == 0 && cl->require == 0)
        FZ_CHECK(st == PH_OK || st == PH_ERR_DECODE,
                 "a claim failed with nothing to verify");
    *dup = c.duplicate_names;
    fz_sink_free(&c, root);

    reset(&err);
    st_cj = ph_jwt_parse_claims(payload, len, cl, &ph_cjson_sink, NULL, s,
                                (void **)&tree, &err);
    check_error(st_cj, &err);
    FZ_CHECK(st_cj == st || st_cj == PH_ERR_SINK,
             "the cJSON sink changed the outcome");
    FZ_CHECK((st_cj == PH_OK) == (tree != NULL), "cJSON root and status");
    if (tree != NULL)
        FZ_CHECK(cJSON_IsObject(tree), "cJSON root not an object");
    cJSON_Delete(tree);
    return st;
}

/* The claim checks look at member values, not at their order: with no
 * repeated name, the payload with its members in reverse order must get
 * the same status. */
static void reorder_pass(const char *payload, size_t len, const ph_claims *cl,
                         ph_scratch *s, ph_status want)
{
    size_t spans[64][2], i, n, used = 0;
    long count = fz_object_members(payload, len, spans, 64);
    char *text;
    fz_sink_ctx c;
    ph_error err;
    void *root = NULL;
    ph_status st;

    if (count < 2)
        return;
    n = (size_t)count;
    text = malloc(len + 2);
    FZ_CHECK(text != NULL, "out of memory in the harness");
    text[used++] = '{';
    for (i = n; i-- > 0;) {
        memcpy(text + used, payload + spans[i][0], spans[i][1] - spans[i][0]);
        used += spans[i][1] - spans[i][0];
        text[used++] = i > 0 ? ',' : '}';
    }
    reset(&err);
    fz_sink_init(&c, text, used, s, 0);
    st = ph_jwt_parse_claims(text, used, cl, &fz_sink, &c, s, &root, &err);
    check_error(st, &err);
    FZ_CHECK(st == want, "member order changed the claim outcome");
    fz_sink_free(&c, root);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ph_scratch s = PH_SCRATCH_INIT;
    ph_error err;
    ph_claims cl;
    const char *rest, *tok, *payload = NULL, *hdr = NULL, *pl = NULL;
    const char *again = NULL, *p, *dot1, *dot2;
    char *built = NULL, *copy = NULL;
    size_t rest_len, tok_len, payload_len = 0, hdr_len = 0, pl_len = 0;
    size_t again_len = 0, max_bytes = PH_DEFAULT_MAX_BYTES, n, t_len;
    int mode, rotation, alg, signed_here = 0, dup = 0;
    unsigned mask;
    ph_status st, st2;

    if (size < OPTS)
        return 0;
    mode = data[0] & 3;
    rotation = (data[0] >> 2) & 1;
    alg = (data[0] >> 4) & 3;
    mask = data[1] & 7 ? data[1] & 7 : 7;
    if (data[0] & 8)
        max_bytes = (size_t)data[4] * 8;
    ph_claims_init(&cl, (double)((uint32_t)data[5] | (uint32_t)data[6] << 8 |
                                 (uint32_t)data[7] << 16 |
                                 (uint32_t)data[8] << 24));
    cl.leeway = leeways[data[1] >> 6];
    if (!(data[2] & 0x80))
        cl.verify = data[2] & 0x7f;
    cl.require = data[3] & 0x7f;
    cl.strict_aud = (data[0] >> 6) & 1;
    if (data[0] & 0x80)
        cl.subject = &subject;
    if (data[1] & 8) {
        cl.audience = audiences;
        cl.n_audience = data[1] & 16 ? 2 : 1;
    }
    if (data[1] & 32) {
        cl.issuer = &issuer;
        cl.n_issuer = 1;
    }
    rest = (const char *)data + OPTS;
    rest_len = size - OPTS;
    tok = rest;
    tok_len = rest_len;

    if (mode >= 2) {
        static const char *const fixed[3] = {
            "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
            "{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
            "{\"alg\":\"HS512\",\"typ\":\"JWT\"}"};
        const char *nul = memchr(rest, '\0', rest_len);
        if (nul != NULL) {
            hdr = rest;
            hdr_len = (size_t)(nul - rest);
            pl = nul + 1;
            pl_len = rest_len - hdr_len - 1;
        } else {
            hdr = fixed[alg % 3];
            hdr_len = strlen(hdr);
            pl = rest;
            pl_len = rest_len;
        }
        built = malloc((hdr_len + pl_len) / 3 * 4 + 8 + 2 + 88);
        FZ_CHECK(built != NULL, "out of memory in the harness");
        n = fz_b64url_encode((const unsigned char *)hdr, hdr_len, built);
        built[n++] = '.';
        n += fz_b64url_encode((const unsigned char *)pl, pl_len, built + n);
        tok_len = n;
        built[tok_len++] = '.';
        tok_len += sign(alg, rotation ? key2 : key1,
                        rotation ? sizeof key2 : KEY1_LEN, built, n,
                        built + tok_len);
        tok = built;
        signed_here = 1;
    } else if (mode == 1) {
        p = rest;
        t_len = rest_len;
        fz_trim(&p, &t_len);
        dot1 = memchr(p, '.', t_len);
        dot2 = dot1 ? memchr(dot1 + 1, '.', t_len - (size_t)(dot1 + 1 - p))
                    : NULL;
        if (dot2 != NULL) {
            n = (size_t)(dot2 - p);
            built = malloc(n + 1 + 88);
            FZ_CHECK(built != NULL, "out of memory in the harness");
            memcpy(built, p, n + 1);
            tok_len = n + 1 + sign(alg, rotation ? key2 : key1,
                                   rotation ? sizeof key2 : KEY1_LEN, p, n,
                                   built + n + 1);
            tok = built;
            signed_here = 1;
            /* The header as signed, for the rejection check below. */
            hdr_len = (size_t)(dot1 - p);
            n = (size_t)fz_b64url_decode(p, hdr_len, NULL);
            if ((long)n >= 0 && (copy = malloc(n + 1)) != NULL) {
                fz_b64url_decode(p, hdr_len, (unsigned char *)copy);
                hdr = copy;
                hdr_len = n;
            } else {
                hdr = NULL;
            }
        }
    }

    reset(&err);
    st = ph_jwt_verify(verifiers[rotation][mask], tok, tok_len, max_bytes, &s,
                       &payload, &payload_len, &err);
    check_error(st, &err);
    FZ_CHECK(st == PH_OK || st == PH_ERR_TOO_LARGE || st == PH_ERR_DECODE ||
                 st == PH_ERR_SIGNATURE || st == PH_ERR_ALGORITHM,
             "unexpected status from ph_jwt_verify");
    FZ_CHECK((st == PH_ERR_TOO_LARGE) == (tok_len > max_bytes),
             "size limit not applied exactly");
    if (st == PH_OK) {
        fz_check_jwt_canonical(tok, tok_len);
        if (mode >= 2)
            FZ_CHECK(payload_len == pl_len &&
                         memcmp(payload, pl, pl_len) == 0,
                     "payload differs from what was signed");
    }
    if (st == PH_ERR_SIGNATURE && signed_here && hdr != NULL &&
        (algs[alg].bit & mask))
        FZ_CHECK(!header_names(hdr, hdr_len, algs[alg].name),
                 "a correctly signed token failed its signature check");

    /* The same again with the scratch already grown. */
    if (st == PH_OK) {
        char *first = malloc(payload_len + 1);
        FZ_CHECK(first != NULL, "out of memory in the harness");
        memcpy(first, payload, payload_len);
        reset(&err);
        st2 = ph_jwt_verify(verifiers[rotation][mask], tok, tok_len,
                            max_bytes, &s, &again, &again_len, &err);
        FZ_CHECK(st2 == PH_OK && again_len == payload_len &&
                     memcmp(again, first, payload_len) == 0,
                 "a second verify with the used scratch differs");
        free(first);
        st2 = claims_pass(again, again_len, &cl, &s, &dup);
        if (!dup && st2 != PH_ERR_DECODE)
            reorder_pass(again, again_len, &cl, &s, st2);
    } else {
        reset(&err);
        st2 = ph_jwt_verify(verifiers[rotation][mask], tok, tok_len,
                            max_bytes, &s, &again, &again_len, &err);
        FZ_CHECK(st2 == st, "a second verify with the used scratch differs");
    }

    free(built);
    free(copy);
    ph_scratch_free(&s);
    return 0;
}
