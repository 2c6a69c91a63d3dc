/* Unit tests: status names and messages, the version, scratch memory. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

static void statuses(void)
{
    int a, b;

    t_begin("ph_status_name: non-NULL, non-empty and distinct");
    for (a = 0; a < PH_STATUS_COUNT; a++) {
        const char *na = ph_status_name((ph_status)a);
        if (!CHECK(na != NULL && na[0] != '\0', "status %d has no name", a))
            continue;
        for (b = 0; b < a; b++) {
            const char *nb = ph_status_name((ph_status)b);
            CHECK(nb == NULL || strcmp(na, nb) != 0,
                  "statuses %d and %d share the name %s", a, b, na);
        }
    }
    t_end();

    t_begin("ph_status_name: the names the bindings rely on");
    CHECK(strcmp(ph_status_name(PH_ERR_SIGNATURE), "InvalidSignatureError") ==
              0, "signature");
    CHECK(strcmp(ph_status_name(PH_ERR_DECRYPT), "DecryptionError") == 0,
          "decrypt");
    CHECK(strcmp(ph_status_name(PH_ERR_KEY), "InvalidKeyError") == 0, "key");
    CHECK(strcmp(ph_status_name(PH_ERR_TOO_LARGE), "PayloadTooLargeError") ==
              0, "too large");
    CHECK(strcmp(ph_status_name(PH_ERR_DECODE), "DecodeError") == 0, "decode");
    CHECK(strcmp(ph_status_name(PH_ERR_MISSING_CLAIM),
                 "MissingRequiredClaimError") == 0, "missing claim");
    CHECK(strcmp(ph_status_name(PH_ERR_EXPIRED), "ExpiredSignatureError") == 0,
          "expired");
    CHECK(strcmp(ph_status_name(PH_ERR_ALGORITHM), "InvalidAlgorithmError") ==
              0, "algorithm");
    t_end();

    t_begin("ph_status_name and ph_strerror never return NULL");
    for (a = -3; a < PH_STATUS_COUNT + 5; a++) {
        const char *n = ph_status_name((ph_status)a);
        const char *e = ph_strerror((ph_status)a);
        CHECK(n != NULL && n[0] != '\0', "ph_status_name(%d)", a);
        CHECK(e != NULL && e[0] != '\0', "ph_strerror(%d)", a);
    }
    CHECK(ph_strerror((ph_status)1000000) != NULL, "ph_strerror(1000000)");
    CHECK(ph_status_name((ph_status)1000000) != NULL, "name(1000000)");
    t_end();
}

static void version(void)
{
    char *path = t_join(t_vectors_dir, "../../VERSION");
    char *text = t_read_file(path, NULL);
    size_t n;

    t_begin("ph_version equals the VERSION file");
    if (text == NULL)
        text = t_read_file("VERSION", NULL);
    if (CHECK(text != NULL, "cannot read %s or ./VERSION", path)) {
        n = strlen(text);
        while (n > 0 && isspace((unsigned char)text[n - 1]))
            text[--n] = '\0';
        CHECK(n > 0, "VERSION is empty");
        CHECK(ph_version() != NULL && strcmp(ph_version(), text) == 0,
              "ph_version() is \"%s\", VERSION says \"%s\"",
              ph_version() ? ph_version() : "(null)", text);
    }
    free(text);
    free(path);
    t_end();
}


static const unsigned char key32[] = "0123456789abcdef0123456789ABCDEF";

static void scratch(void)
{
    ph_scratch s = PH_SCRATCH_INIT, z;
    ph_jwt_verifier *v;
    char *tok, big[4096];
    const char *pl;
    size_t pl_len, i;
    unsigned char *data_before;

    t_begin("ph_scratch_free on NULL, on a zeroed scratch, twice");
    memset(&z, 0, sizeof z);
    ph_scratch_free(NULL);
    ph_scratch_free(&z);
    ph_scratch_free(&z);
    ph_scratch_free(&s);
    CHECK(z.env == NULL && z.data == NULL && z.text == NULL &&
              z.env_cap == 0 && z.data_cap == 0 && z.text_cap == 0,
          "a freed zero scratch is not zero");
    t_end();

    t_begin("one scratch reused across 2000 calls of every kind");
    v = t_verifier(t_key1, t_key1_len, PH_ALG_HS256);
    /* A big payload first, so the later calls fit what is there. */
    memset(big, 'a', sizeof big);
    memcpy(big, "{\"s\":\"", 6);
    memcpy(big + sizeof big - 3, "\"}", 3);
    tok = t_sign("{\"alg\":\"HS256\"}", big, PH_ALG_HS256, t_key1,
                 t_key1_len);
    if (v != NULL && tok != NULL) {
        CHECK_STATUS(t_verify(v, tok, PH_DEFAULT_MAX_BYTES, &s, &pl, &pl_len),
                     PH_OK, "big token");
        CHECK(pl_len == strlen(big) && memcmp(pl, big, pl_len) == 0,
              "big payload differs");
    }
    ph_free(tok, tok ? strlen(tok) : 0);
    data_before = s.data;
    for (i = 0; i < 2000 && v != NULL; i++) {
        char payload[64], json[64];
        void *root = NULL;
        ph_error err;
        size_t n;
        snprintf(payload, sizeof payload, "{\"n\":%zu,\"t\":\"%0*d\"}", i,
                 (int)(i % 40), 0);
        switch (i % 3) {
        case 0:
            tok = t_sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload,
                         PH_ALG_HS256, t_key1, t_key1_len);
            if (tok == NULL)
                break;
            if (CHECK_STATUS(t_verify(v, tok, PH_DEFAULT_MAX_BYTES, &s, &pl,
                                      &pl_len),
                             PH_OK, "token"))
                CHECK(pl_len == strlen(payload) &&
                          memcmp(pl, payload, pl_len) == 0,
                      "call %zu: payload differs", i);
            ph_free(tok, strlen(tok));
            break;
        case 1:
            n = (size_t)snprintf(json, sizeof json, "[%zu,\"x\\u00e9%zu\"]",
                                 i, i);
            if (CHECK_STATUS(ph_json_parse(json, n, &ph_cjson_sink, NULL, &s,
                                           &root, &err),
                             PH_OK, "json")) {
                cJSON *a = root;
                CHECK(cJSON_GetArrayItem(a, 0)->valuedouble == (double)i,
                      "call %zu: number differs", i);
                cJSON_Delete(a);
            }
            break;
        default: {
            ph_superpay_key *k = NULL;
            char *hex = NULL;
            const unsigned char *pt;
            size_t pt_len;
            if (ph_superpay_key_new(key32, 32, &k, &err) != PH_OK)
                break;
            if (CHECK_STATUS(ph_superpay_encrypt(k, (const unsigned char *)
                                                 payload, strlen(payload),
                                                 &hex, &err),
                             PH_OK, "encrypt") &&
                CHECK_STATUS(ph_superpay_decrypt_hex(k, NULL, hex,
                                                     strlen(hex),
                                                     PH_DEFAULT_MAX_BYTES, &s,
                                                     &pt, &pt_len, &err),
                             PH_OK, "decrypt"))
                CHECK(pt_len == strlen(payload) &&
                          memcmp(pt, payload, pt_len) == 0,
                      "call %zu: plaintext differs", i);
            if (hex != NULL)
                ph_free(hex, strlen(hex));
            ph_superpay_key_free(k);
        }
        }
    }
    CHECK(s.data == data_before, "scratch->data moved although it was big "
                                 "enough for every later call");
    ph_jwt_verifier_free(v);
    ph_scratch_free(&s);
    CHECK(s.env == NULL && s.data == NULL && s.text == NULL &&
              s.env_cap == 0 && s.data_cap == 0 && s.text_cap == 0,
          "ph_scratch_free does not reset the scratch");
    ph_scratch_free(&s);
    t_end();
}

void run_units_status(void)
{
    statuses();
    version();
    scratch();
}
