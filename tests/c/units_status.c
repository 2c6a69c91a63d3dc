/* Unit tests: status names and messages, the version, scratch memory,
 * and OpenSSL's error queue after failures. */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "mac_key.h"
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

/* ------------------------------------------------------------------ */
/* OpenSSL's error queue after a failure                                */

/*
 * OpenSSL's allocations go through these functions for the whole run, so
 * that one of them can be made to fail.  They must be installed before
 * OpenSSL allocates anything (CRYPTO_set_mem_functions refuses otherwise),
 * hence a constructor.  While `alloc_budget` is -1 nothing fails; set to
 * n >= 0, the next n allocations succeed and the one after fails, once.
 */
static atomic_long alloc_budget = -1;
static atomic_long alloc_failed;
static int alloc_hooks;

static int alloc_fails_now(void)
{
    long b = atomic_load(&alloc_budget);

    while (b >= 0)
        if (atomic_compare_exchange_weak(&alloc_budget, &b, b - 1)) {
            if (b > 0)
                return 0;
            atomic_fetch_add(&alloc_failed, 1);
            return 1;
        }
    return 0;
}

static void *hook_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return alloc_fails_now() ? NULL : malloc(n);
}

static void *hook_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return alloc_fails_now() ? NULL : realloc(p, n);
}

static void hook_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

#if defined(__GNUC__)
__attribute__((constructor))
#endif
static void install_alloc_hooks(void)
{
    alloc_hooks = CRYPTO_set_mem_functions(hook_malloc, hook_realloc,
                                           hook_free);
}

/* One core call under test; 0 when it failed. */
typedef struct queue_op {
    const char *what;
    ph_status (*run)(struct queue_op *op, ph_error *err);
    int allocates;      /* OpenSSL is known to allocate during the call */
    ph_superpay_key *key;
    ph_jwt_verifier *verifier;
    ph_scratch scratch;
    char *hex, *token;
    unsigned char *ct;
    size_t ct_len;
} queue_op;

#define ALL_ALGS (PH_ALG_HS256 | PH_ALG_HS384 | PH_ALG_HS512)

static const unsigned char *const one_key[1] = {key32};
static const size_t one_len[1] = {32};

static ph_status op_verifier_new(queue_op *op, ph_error *err)
{
    ph_jwt_verifier *v = NULL;
    ph_status st = ph_jwt_verifier_new(one_key, one_len, 1, ALL_ALGS, &v,
                                       err);
    ph_jwt_verifier_free(v);
    (void)op;
    return st;
}

static ph_status op_jwt_sign(queue_op *op, ph_error *err)
{
    char *tok = NULL;
    ph_status st = ph_jwt_sign("{\"alg\":\"HS512\"}", 15, "{}", 2,
                               PH_ALG_HS512, key32, 32, &tok, err);
    ph_free(tok, tok != NULL ? strlen(tok) : 0);
    (void)op;
    return st;
}

static ph_status op_jwt_verify(queue_op *op, ph_error *err)
{
    const char *pl;
    size_t pl_len;

    return ph_jwt_verify(op->verifier, op->token, strlen(op->token),
                         PH_DEFAULT_MAX_BYTES, &op->scratch, &pl, &pl_len,
                         err);
}

static ph_status op_superpay_key_new(queue_op *op, ph_error *err)
{
    ph_superpay_key *k = NULL;
    ph_status st = ph_superpay_key_new(key32, 32, &k, err);
    ph_superpay_key_free(k);
    (void)op;
    return st;
}

static ph_status op_superpay_encrypt(queue_op *op, ph_error *err)
{
    char *hex = NULL;
    ph_status st = ph_superpay_encrypt(op->key, (const unsigned char *)"{}",
                                       2, &hex, err);
    ph_free(hex, hex != NULL ? strlen(hex) : 0);
    return st;
}

static ph_status op_superpay_decrypt(queue_op *op, ph_error *err)
{
    const unsigned char *pt;
    size_t pt_len;

    return ph_superpay_decrypt_hex(op->key, NULL, op->hex, strlen(op->hex),
                                   PH_DEFAULT_MAX_BYTES, &op->scratch, &pt,
                                   &pt_len, err);
}

static ph_status op_aes_decrypt(queue_op *op, ph_error *err)
{
    const unsigned char *pt;
    size_t pt_len;

    return ph_aes256cbc_decrypt(key32, key32, op->ct, op->ct_len,
                                &op->scratch, &pt, &pt_len, err);
}

static ph_status op_aes_encrypt(queue_op *op, ph_error *err)
{
    unsigned char *ct = NULL;
    size_t ct_len = 0;
    ph_status st = ph_aes256cbc_encrypt(key32, key32,
                                        (const unsigned char *)"payhook", 7,
                                        &ct, &ct_len, err);
    ph_free(ct, ct_len);
    (void)op;
    return st;
}

/*
 * Make each OpenSSL allocation of one call fail in turn, with an unrelated
 * error already queued.  Whatever the call returns, a failure must leave
 * the queue empty: nothing of it may reach the next caller's error report
 * (the error queued beforehand stands for one such caller).  Returns the
 * number of failures seen.
 */
static long fail_each_allocation(queue_op *op)
{
    long n, failures = 0;
    ph_error err;
    ph_status st;

    for (n = 0; n < 100000; n++) {
        ERR_clear_error();
        ERR_raise(ERR_LIB_USER, ERR_R_INTERNAL_ERROR);
        atomic_store(&alloc_failed, 0);
        t_error_reset(&err);
        atomic_store(&alloc_budget, n);
        st = op->run(op, &err);
        atomic_store(&alloc_budget, -1);
        if (atomic_load(&alloc_failed) == 0) {
            /* Every allocation of the call succeeded: all were tried. */
            CHECK_STATUS(st, PH_OK, "without a failed allocation");
            break;
        }
        if (st == PH_OK)
            continue;       /* OpenSSL worked around the failure */
        failures++;
        t_check_error(&err, st, one_key, one_len, 1);
        if (!CHECK(ERR_peek_error() == 0,
                   "allocation %ld failed: %s returned %s and left an "
                   "error queued", n + 1, op->what, ph_status_name(st)))
            break;
    }
    ERR_clear_error();
    return failures;
}

/* Prepared HMAC keys are plain memory unless the build keeps them in
 * EVP_MAC contexts (mac_key.h), so only then can OpenSSL's allocations
 * make ph_jwt_verifier_new fail. */
#ifdef PH_MAC_EVP
#define VERIFIER_USES_OPENSSL_MEMORY 1
#else
#define VERIFIER_USES_OPENSSL_MEMORY 0
#endif

static void error_queue(void)
{
    queue_op ops[] = {
        {.what = "ph_jwt_verifier_new", .run = op_verifier_new,
         .allocates = VERIFIER_USES_OPENSSL_MEMORY},
        {.what = "ph_jwt_sign", .run = op_jwt_sign, .allocates = 1},
        {.what = "ph_jwt_verify", .run = op_jwt_verify},
        {.what = "ph_superpay_key_new", .run = op_superpay_key_new,
         .allocates = 1},
        {.what = "ph_superpay_encrypt", .run = op_superpay_encrypt,
         .allocates = 1},
        {.what = "ph_superpay_decrypt_hex", .run = op_superpay_decrypt},
        {.what = "ph_aes256cbc_decrypt", .run = op_aes_decrypt,
         .allocates = 1},
        {.what = "ph_aes256cbc_encrypt", .run = op_aes_encrypt,
         .allocates = 1},
    };
    size_t i;
    ph_error err;

    t_begin("OpenSSL allocations can be made to fail in this run");
    CHECK(alloc_hooks == 1, "CRYPTO_set_mem_functions was refused");
    t_end();
    if (alloc_hooks != 1)
        return;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        queue_op *op = &ops[i];
        long failures;
        t_begin("%s: no OpenSSL error left queued after a failed "
                "allocation", op->what);
        memset(&op->scratch, 0, sizeof op->scratch);
        op->key = NULL;
        op->verifier = NULL;
        op->hex = op->token = NULL;
        op->ct = NULL;
        op->ct_len = 0;
        /* What the call needs, made before any allocation can fail; each
         * call also runs once first, so that what OpenSSL sets up on
         * first use is not what fails. */
        if (CHECK_STATUS(ph_superpay_key_new(key32, 32, &op->key, &err),
                         PH_OK, "key") &&
            CHECK_STATUS(ph_superpay_encrypt(op->key,
                                             (const unsigned char *)"{}", 2,
                                             &op->hex, &err),
                         PH_OK, "encrypt") &&
            CHECK_STATUS(ph_aes256cbc_encrypt(key32, key32,
                                              (const unsigned char *)"pay",
                                              3, &op->ct, &op->ct_len, &err),
                         PH_OK, "AES") &&
            CHECK_STATUS(ph_jwt_verifier_new(one_key, one_len, 1, ALL_ALGS,
                                             &op->verifier, &err),
                         PH_OK, "verifier") &&
            CHECK_STATUS(ph_jwt_sign("{\"alg\":\"HS384\"}", 15, "{}", 2,
                                     PH_ALG_HS384, key32, 32, &op->token,
                                     &err),
                         PH_OK, "sign") &&
            CHECK_STATUS(op->run(op, &err), PH_OK, "the call itself")) {
            failures = fail_each_allocation(op);
            CHECK(!op->allocates || failures > 0,
                  "no allocation of %s could be made to fail", op->what);
            ERR_clear_error();
            CHECK_STATUS(op->run(op, &err), PH_OK, "the call afterwards");
            CHECK(ERR_peek_error() == 0, "a successful call queued an "
                                         "error");
        }
        ph_superpay_key_free(op->key);
        ph_jwt_verifier_free(op->verifier);
        ph_free(op->hex, op->hex != NULL ? strlen(op->hex) : 0);
        ph_free(op->token, op->token != NULL ? strlen(op->token) : 0);
        ph_free(op->ct, op->ct_len);
        ph_scratch_free(&op->scratch);
        t_end();
    }
}

void run_units_status(void)
{
    statuses();
    version();
    scratch();
    error_queue();
}
