/* Unit tests: ph_scratch_wipe, and the high-water marks it relies on. */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "runner.h"

#define FILL 0xA5

static int all_are(const unsigned char *p, size_t len, unsigned char c)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

/* `needle` anywhere in the first `cap` bytes of one of the buffers. */
static int scratch_holds(const ph_scratch *s, const char *needle)
{
    size_t n = strlen(needle);

    return (s->env != NULL && t_contains(s->env, s->env_cap, needle, n)) ||
           (s->data != NULL && t_contains(s->data, s->data_cap, needle, n)) ||
           (s->text != NULL && t_contains(s->text, s->text_cap, needle, n));
}

static void empty_scratches(void)
{
    ph_scratch s = PH_SCRATCH_INIT, z;

    t_begin("ph_scratch_wipe: NULL, PH_SCRATCH_INIT, a zeroed scratch");
    memset(&z, 0, sizeof z);
    ph_scratch_wipe(NULL);
    ph_scratch_wipe(&s);
    ph_scratch_wipe(&z);
    ph_scratch_wipe(&z);
    CHECK(s.env == NULL && s.data == NULL && s.text == NULL &&
              s.env_cap == 0 && s.data_cap == 0 && s.text_cap == 0 &&
              s.env_used == 0 && s.data_used == 0 && s.text_used == 0,
          "PH_SCRATCH_INIT is not all zero after a wipe");
    CHECK(z.env == NULL && z.data == NULL && z.text == NULL &&
              z.env_cap == 0 && z.data_cap == 0 && z.text_cap == 0 &&
              z.env_used == 0 && z.data_used == 0 && z.text_used == 0,
          "a wiped zeroed scratch changed");
    ph_scratch_free(&s);
    ph_scratch_free(&z);
    t_end();
}

static void only_what_was_handed_out(void)
{
    ph_scratch s = PH_SCRATCH_INIT;
    unsigned char *env, *data, *text;
    ph_error err;

    t_begin("ph_scratch_wipe: wipes the bytes handed out, no more");
    env = ph_scratch_env(&s, 10, &err);
    data = ph_scratch_data(&s, 40, &err);
    text = ph_scratch_text(&s, 0, &err);   /* a request for 0 is 1 byte */
    if (!CHECK(env != NULL && data != NULL && text != NULL, "allocation"))
        goto done;
    CHECK(s.env_used == 10 && s.data_used == 40 && s.text_used == 1,
          "used %zu/%zu/%zu, want 10/40/1", s.env_used, s.data_used,
          s.text_used);
    /* Smaller requests keep the mark; a larger one within the capacity
     * raises it. */
    CHECK(ph_scratch_data(&s, 5, &err) == data, "data moved");
    CHECK(ph_scratch_env(&s, 30, &err) == env, "env moved");
    CHECK(s.env_used == 30 && s.data_used == 40, "marks %zu/%zu, want 30/40",
          s.env_used, s.data_used);
    /* Fill whole buffers, past the marks, to see where the wipe stops. */
    memset(env, FILL, s.env_cap);
    memset(data, FILL, s.data_cap);
    memset(text, FILL, s.text_cap);
    ph_scratch_wipe(&s);
    CHECK(all_are(env, 30, 0) && all_are(env + 30, s.env_cap - 30, FILL),
          "env: not exactly 30 bytes wiped");
    CHECK(all_are(data, 40, 0) && all_are(data + 40, s.data_cap - 40, FILL),
          "data: not exactly 40 bytes wiped");
    CHECK(text[0] == 0 && all_are(text + 1, s.text_cap - 1, FILL),
          "text: not exactly 1 byte wiped");
    CHECK(s.env == env && s.data == data && s.text == text &&
              s.env_cap >= 30 && s.data_cap >= 40 && s.text_cap >= 1,
          "the buffers did not stay allocated");
    CHECK(s.env_used == 0 && s.data_used == 0 && s.text_used == 0,
          "the marks were not reset");

    /* Marks start again from zero: a second wipe touches nothing. */
    memset(data, FILL, s.data_cap);
    ph_scratch_wipe(&s);
    CHECK(all_are(data, s.data_cap, FILL), "a second wipe touched data");
    CHECK(ph_scratch_data(&s, 7, &err) == data && s.data_used == 7,
          "after a wipe, a request of 7 marks %zu", s.data_used);
    ph_scratch_wipe(&s);
    CHECK(all_are(data, 7, 0) && all_are(data + 7, s.data_cap - 7, FILL),
          "data: not exactly 7 bytes wiped after reuse");
done:
    ph_scratch_free(&s);
    CHECK(s.env_used == 0 && s.data_used == 0 && s.text_used == 0 &&
              s.env == NULL && s.data == NULL && s.text == NULL,
          "ph_scratch_free does not reset the marks");
    t_end();
}

static void growth(void)
{
    ph_scratch s = PH_SCRATCH_INIT;
    unsigned char *small, *big;
    ph_error err;
    size_t cap;

    t_begin("ph_scratch_wipe: a buffer that grew counts from its new start");
    small = ph_scratch_data(&s, 100, &err);
    if (!CHECK(small != NULL, "allocation"))
        goto done;
    cap = s.data_cap;
    big = ph_scratch_data(&s, cap + 1, &err);
    if (!CHECK(big != NULL && s.data_cap > cap, "growth"))
        goto done;
    CHECK(s.data_used == cap + 1, "mark %zu after growth, want %zu",
          s.data_used, cap + 1);
    memset(big, FILL, s.data_cap);
    ph_scratch_wipe(&s);
    CHECK(all_are(big, cap + 1, 0) &&
              all_are(big + cap + 1, s.data_cap - cap - 1, FILL),
          "not exactly the grown request wiped");
done:
    ph_scratch_free(&s);
    t_end();
}

/* The plaintext of real calls is in the scratch until the wipe, and gone
 * after it; the scratch then serves the next call as before. */
static void calls_leave_nothing(void)
{
    static const unsigned char key[] = "0123456789abcdef0123456789ABCDEF";
    static const char marker[] = "scratch-wipe-marker-7f3a";
    char payload[256];
    ph_scratch s = PH_SCRATCH_INIT;
    ph_superpay_key *k = NULL;
    ph_jwt_verifier *v = NULL;
    char *hex = NULL, *tok = NULL;
    const unsigned char *pt;
    const char *pl, *body;
    unsigned char *data_before;
    size_t pt_len, pl_len, n;
    void *root = NULL;
    ph_claims claims;
    ph_error err;
    int round;

    snprintf(payload, sizeof payload,
             "{\"account\":\"%s\",\"esc\":\"\\u0041%s\"}", marker, marker);
    n = strlen(payload);

    t_begin("ph_scratch_wipe: a SuperPay plaintext is gone after the wipe");
    if (!CHECK_STATUS(ph_superpay_key_new(key, 32, &k, &err), PH_OK, "key") ||
        !CHECK_STATUS(ph_superpay_encrypt(k, (const unsigned char *)payload,
                                          n, &hex, &err),
                      PH_OK, "encrypt"))
        goto sp_done;
    data_before = NULL;
    for (round = 0; round < 2; round++) {
        if (!CHECK_STATUS(ph_superpay_decrypt_hex(k, NULL, hex, strlen(hex),
                                                  PH_DEFAULT_MAX_BYTES, &s,
                                                  &pt, &pt_len, &err),
                          PH_OK, "decrypt"))
            break;
        CHECK(pt_len == n && memcmp(pt, payload, n) == 0,
              "round %d: plaintext differs", round);
        if (CHECK_STATUS(ph_superpay_parse((const char *)pt, pt_len,
                                           &ph_cjson_sink, NULL, &s, &root,
                                           &err),
                         PH_OK, "parse"))
            cJSON_Delete(root);
        CHECK(scratch_holds(&s, marker),
              "round %d: the plaintext is not in the scratch before the "
              "wipe (the test would prove nothing)", round);
        ph_scratch_wipe(&s);
        CHECK(!scratch_holds(&s, marker),
              "round %d: the plaintext outlived the wipe", round);
        if (round == 0)
            data_before = s.data;
        else
            CHECK(s.data == data_before, "the wiped buffer was not reused");
    }
sp_done:
    if (hex != NULL)
        ph_free(hex, strlen(hex));
    ph_superpay_key_free(k);
    t_end();

    t_begin("ph_scratch_wipe: a LeanX body, token and payload are gone");
    v = t_verifier(t_key1, t_key1_len, PH_ALG_HS256);
    tok = t_sign("{\"alg\":\"HS256\"}", payload, PH_ALG_HS256, t_key1,
                 t_key1_len);
    if (v != NULL && tok != NULL) {
        /* The token's first letter escaped, so that the envelope hands
         * back an unescaped copy in scratch->env. */
        char env_body[1024];
        const char *token;
        size_t token_len;
        snprintf(env_body, sizeof env_body,
                 "{\"data\":\"\\u%04x%s\"}", (unsigned)tok[0], tok + 1);
        body = env_body;
        ph_claims_init(&claims, 0);
        if (CHECK_STATUS(ph_leanx_token(body, strlen(body),
                                        PH_DEFAULT_MAX_BYTES, &s, &token,
                                        &token_len, &err),
                         PH_OK, "token") &&
            CHECK(token_len == strlen(tok) &&
                      memcmp(token, tok, token_len) == 0 &&
                      (const unsigned char *)token == s.env,
                  "the token is not the unescaped copy in env") &&
            CHECK_STATUS(ph_jwt_verify(v, token, token_len,
                                       PH_DEFAULT_MAX_BYTES, &s, &pl, &pl_len,
                                       &err),
                         PH_OK, "verify") &&
            CHECK_STATUS(ph_jwt_parse_claims(pl, pl_len, &claims,
                                             &ph_cjson_sink, NULL, &s, &root,
                                             &err),
                         PH_OK, "claims"))
            cJSON_Delete(root);
        CHECK(scratch_holds(&s, marker) && scratch_holds(&s, tok),
              "the payload or token is not in the scratch before the wipe");
        ph_scratch_wipe(&s);
        CHECK(!scratch_holds(&s, marker), "the payload outlived the wipe");
        CHECK(!scratch_holds(&s, tok), "the token outlived the wipe");
    }
    ph_free(tok, tok != NULL ? strlen(tok) : 0);
    ph_jwt_verifier_free(v);
    ph_scratch_free(&s);
    t_end();
}

void run_units_scratch(void)
{
    empty_scratches();
    only_what_was_handed_out();
    growth();
    calls_leave_nothing();
}
