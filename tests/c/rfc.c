/*
 * RFC 7515 A.1 and RFC 7520 section 4.4 (../shared/vectors): the tokens
 * through ph_jwt_verify + ph_jwt_parse_claims, and the cookbook's
 * machine-readable 4.4 through ph_jwt_verify alone (a valid JWS whose
 * payload is text, not JSON).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner.h"

/* The vector file's error categories, as payhook statuses. */
static int category_status(const char *cat, ph_status *st)
{
    static const struct {
        const char *cat;
        ph_status st;
    } map[] = {
        {"expired", PH_ERR_EXPIRED},
        {"bad_algorithm", PH_ERR_ALGORITHM},
        {"bad_json", PH_ERR_DECODE},
        {"bad_signature", PH_ERR_SIGNATURE},
        {"immature", PH_ERR_IMMATURE},
        {"bad_key", PH_ERR_KEY},
        {"too_large", PH_ERR_TOO_LARGE},
        {"decrypt_failed", PH_ERR_DECRYPT},
    };
    size_t i;

    for (i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(cat, map[i].cat) == 0) {
            *st = map[i].st;
            return 1;
        }
    return 0;
}

/* base64url text (a JWK "k") to a malloc'd key, with payhook's decoder. */
static unsigned char *b64_key(const char *k, size_t *len)
{
    size_t n = strlen(k);
    unsigned char *out = malloc(ph_b64url_decoded_len(n) + 1);

    if (out == NULL)
        abort();
    if (!CHECK_STATUS(ph_b64url_decode(k, n, out, len), PH_OK, "key_b64url")) {
        free(out);
        return NULL;
    }
    return out;
}

static void rfc_vector(const cJSON *jv)
{
    const char *id = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(jv, "id"));
    const char *tok = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(jv, "token"));
    const char *k64 = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(jv, "key_b64url"));
    const char *expect = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(jv, "expect"));
    const cJSON *opt = cJSON_GetObjectItemCaseSensitive(jv, "options"), *e;
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(opt, "now");
    const cJSON *leeway = cJSON_GetObjectItemCaseSensitive(opt, "leeway");
    const cJSON *raw_ok =
        cJSON_GetObjectItemCaseSensitive(jv, "jws_signature_valid");
    const char *raw_text = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(jv, "jws_payload_utf8"));
    unsigned algs = 0;
    unsigned char *key = NULL;
    size_t kl = 0, pl_len = 0;
    ph_jwt_verifier *v = NULL;
    ph_scratch s = PH_SCRATCH_INIT;
    const char *pl = NULL;
    void *root = NULL;
    ph_claims cl;
    ph_error err;
    ph_status st;

    t_begin("RFC vector %s", id ? id : "(no id)");
    if (!CHECK(tok && k64 && expect, "vector needs token, key_b64url, expect"))
        goto done;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(jv, "algorithms"))
        if (cJSON_IsString(e))
            algs |= ph_alg_from_name(e->valuestring, strlen(e->valuestring));
    if ((key = b64_key(k64, &kl)) == NULL)
        goto done;
    if (!CHECK_STATUS(ph_jwt_verifier_new((const unsigned char *const *)&key,
                                          &kl, 1, algs, &v, &err),
                      PH_OK, "verifier"))
        goto done;
    ph_claims_init(&cl, cJSON_IsNumber(now) ? now->valuedouble
                                            : (double)time(NULL));
    if (cJSON_IsNumber(leeway))
        cl.leeway = leeway->valuedouble;
    t_error_reset(&err);
    st = ph_jwt_verify(v, tok, strlen(tok), PH_DEFAULT_MAX_BYTES, &s, &pl,
                       &pl_len, &err);
    /* A valid JWS whose payload is not JSON: the raw step accepts it. */
    if (cJSON_IsTrue(raw_ok)) {
        if (CHECK_STATUS(st, PH_OK, "raw JWS verification") && raw_text)
            CHECK(pl_len == strlen(raw_text) &&
                      memcmp(pl, raw_text, pl_len) == 0,
                  "raw payload differs");
    }
    if (st == PH_OK)
        st = ph_jwt_parse_claims(pl, pl_len, &cl, &ph_cjson_sink, NULL, &s,
                                 &root, &err);
    if (strcmp(expect, "valid") == 0) {
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(jv, "payload");
        if (CHECK_STATUS(st, PH_OK, "decode"))
            CHECK(t_json_equal(root, want), "payload differs");
    } else {
        const char *cat = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(jv, "error"));
        ph_status want = PH_OK;
        if (CHECK(cat != NULL && category_status(cat, &want),
                  "unknown error category \"%s\"", cat ? cat : "(none)")) {
            CHECK(st == want, "got %s, want %s (%s)", ph_status_name(st),
                  ph_status_name(want), cat);
            if (st != PH_OK)
                t_check_error(&err, st, (const unsigned char *const *)&key,
                              &kl, 1);
        }
        CHECK(root == NULL, "a value came back with an error");
    }
done:
    cJSON_Delete(root);
    ph_jwt_verifier_free(v);
    ph_scratch_free(&s);
    free(key);
    t_end();
}

/* The ietf-jose cookbook's 4.4: compact form, signature and payload. */
static void cookbook(const char *dir)
{
    char *path =
        t_join(dir, "rfc7520/4_4.hmac-sha2_integrity_protection.json");
    cJSON *root;
    const cJSON *in, *out, *signing;
    const char *compact, *payload, *k64, *sig_input, *sig;
    unsigned char *key = NULL;
    size_t kl = 0, pl_len = 0;
    ph_jwt_verifier *v = NULL;
    ph_scratch s = PH_SCRATCH_INIT;
    const char *pl;

    t_begin("RFC 7520 4.4 (ietf-jose cookbook): compact JWS verifies");
    root = t_load_json(path);
    in = cJSON_GetObjectItemCaseSensitive(root, "input");
    out = cJSON_GetObjectItemCaseSensitive(root, "output");
    signing = cJSON_GetObjectItemCaseSensitive(root, "signing");
    compact = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(out, "compact"));
    payload = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(in, "payload"));
    k64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(in, "key"), "k"));
    sig_input = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(signing, "sig-input"));
    sig = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(signing,
                                                                "sig"));
    if (CHECK(compact && payload && k64 && sig_input && sig,
              "cookbook file lacks a member") &&
        (key = b64_key(k64, &kl)) != NULL) {
        const unsigned char *keys[1] = {key};
        size_t sl = strlen(sig_input);
        CHECK(strncmp(compact, sig_input, sl) == 0 && compact[sl] == '.' &&
                  strcmp(compact + sl + 1, sig) == 0,
              "compact is not sig-input.sig");
        if (CHECK_STATUS(ph_jwt_verifier_new(keys, &kl, 1, PH_ALG_HS256, &v,
                                             NULL),
                         PH_OK, "verifier") &&
            CHECK_STATUS(ph_jwt_verify(v, compact, strlen(compact),
                                       PH_DEFAULT_MAX_BYTES, &s, &pl, &pl_len,
                                       NULL),
                         PH_OK, "verify"))
            CHECK(pl_len == strlen(payload) &&
                      memcmp(pl, payload, pl_len) == 0,
                  "payload differs");
        {
            char *tok = NULL;
            const char *hdr = "{\"alg\":\"HS256\",\"kid\":"
                              "\"018c0ae5-4d9b-471b-bfd6-eef314bc7037\"}";
            if (CHECK_STATUS(ph_jwt_sign(hdr, strlen(hdr), payload,
                                         strlen(payload), PH_ALG_HS256, key,
                                         kl, &tok, NULL),
                             PH_OK, "sign"))
                CHECK(strcmp(tok, compact) == 0,
                      "ph_jwt_sign does not reproduce the cookbook token");
            ph_free(tok, tok ? strlen(tok) : 0);
        }
    }
    ph_jwt_verifier_free(v);
    ph_scratch_free(&s);
    free(key);
    cJSON_Delete(root);
    free(path);
    t_end();
}

void run_rfc_vectors(const char *dir)
{
    char *path = t_join(dir, "jwt_rfc_vectors.json");
    cJSON *root, *jv;
    int n = 0;

    t_begin("RFC vector file");
    root = t_load_json(path);
    t_end();
    cJSON_ArrayForEach(jv, cJSON_GetObjectItemCaseSensitive(root, "vectors")) {
        rfc_vector(jv);
        n++;
    }
    t_begin("RFC vectors: all 4 ran");
    CHECK(n == 4, "%d vectors", n);
    t_end();
    cookbook(dir);
    cJSON_Delete(root);
    free(path);
}
