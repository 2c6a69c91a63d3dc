/*
 * Prepared keys shared between threads: one verifier (two keys, a
 * rotation) and one SuperPay key, and then one RSA key, used at once by
 * several threads, each with its own scratch.  The keys keep reusable working contexts taken
 * with a try-lock, and a call that finds them busy works on a copy; every
 * call must still give the right answer, good and bad inputs mixed so a
 * failed call never leaves a context unusable for the next one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#define THREADS 8
#define ROUNDS  400

static const unsigned char sp_key[] = "threads-test-superpay-key-32byte";

typedef struct shared {
    ph_jwt_verifier *v;
    ph_superpay_key *k;
    char *good_tok[2];        /* signed with t_key1 / t_key2 */
    char *bad_tok;            /* signed with another key */
    char *good_hex, *bad_hex; /* bad_hex: last block tampered */
    const char *payload;
} shared;

typedef struct worker {
    const shared *sh;
    long wrong; /* calls that gave the wrong answer */
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    const shared *sh = w->sh;
    ph_scratch s = PH_SCRATCH_INIT;
    size_t plen = strlen(sh->payload);
    int r;

    for (r = 0; r < ROUNDS; r++) {
        const char *pl;
        const unsigned char *pt;
        size_t pl_len, pt_len;
        const char *tok = r % 3 == 2 ? sh->bad_tok : sh->good_tok[r % 2];
        const char *hex = r % 4 == 3 ? sh->bad_hex : sh->good_hex;
        ph_status st;

        st = ph_jwt_verify(sh->v, tok, strlen(tok), PH_DEFAULT_MAX_BYTES, &s,
                           &pl, &pl_len, NULL);
        if (r % 3 == 2 ? st != PH_ERR_SIGNATURE
                       : st != PH_OK || pl_len != plen ||
                             memcmp(pl, sh->payload, plen) != 0)
            w->wrong++;
        st = ph_superpay_decrypt_hex(sh->k, NULL, hex, strlen(hex),
                                     PH_DEFAULT_MAX_BYTES, &s, &pt, &pt_len,
                                     NULL);
        if (r % 4 == 3 ? st != PH_ERR_DECRYPT
                       : st != PH_OK || pt_len != plen ||
                             memcmp(pt, sh->payload, plen) != 0)
            w->wrong++;
    }
    ph_scratch_free(&s);
    return NULL;
}

void run_threads(void)
{
    static const unsigned char other[] = "some-other-merchant-key";
    const unsigned char *keys[2] = { t_key1, t_key2 };
    size_t lens[2] = { t_key1_len, t_key2_len };
    shared sh;
    worker w[THREADS];
    pthread_t tid[THREADS];
    int i, started = 0;
    long wrong = 0;

    memset(&sh, 0, sizeof sh);
    sh.payload = "{\"invoice_no\":\"T-1\",\"amount\":\"13.00\",\"n\":[1,2,3]}";
    t_begin("threads: one verifier and one SuperPay key shared by %d "
            "threads",
            THREADS);
    CHECK_STATUS(ph_jwt_verifier_new(keys, lens, 2, PH_ALG_HS256, &sh.v, NULL),
                 PH_OK, "verifier");
    CHECK_STATUS(ph_superpay_key_new(sp_key, 32, &sh.k, NULL), PH_OK,
                 "SuperPay key");
    sh.good_tok[0] = t_sign("{\"alg\":\"HS256\"}", sh.payload, PH_ALG_HS256,
                            t_key1, t_key1_len);
    sh.good_tok[1] = t_sign("{\"alg\":\"HS256\"}", sh.payload, PH_ALG_HS256,
                            t_key2, t_key2_len);
    sh.bad_tok = t_sign("{\"alg\":\"HS256\"}", sh.payload, PH_ALG_HS256, other,
                        sizeof other - 1);
    if (sh.k != NULL &&
        CHECK_STATUS(
            ph_superpay_encrypt(sh.k, (const unsigned char *)sh.payload,
                                strlen(sh.payload), &sh.good_hex, NULL),
            PH_OK, "encrypt")) {
        size_t n = strlen(sh.good_hex);
        if ((sh.bad_hex = malloc(n + 1)) == NULL)
            abort();
        memcpy(sh.bad_hex, sh.good_hex, n + 1);
        /* Flip a bit in the next-to-last block: the last block's padding
         * comes out wrong. */
        sh.bad_hex[n - 33] = sh.bad_hex[n - 33] == '0' ? '1' : '0';
    }
    if (sh.v && sh.k && sh.good_tok[0] && sh.good_tok[1] && sh.bad_tok &&
        sh.bad_hex) {
        /* The bad ciphertext must be bad on its own first. */
        ph_scratch s = PH_SCRATCH_INIT;
        const unsigned char *pt;
        size_t pt_len;
        CHECK_STATUS(ph_superpay_decrypt_hex(
                         sh.k, NULL, sh.bad_hex, strlen(sh.bad_hex),
                         PH_DEFAULT_MAX_BYTES, &s, &pt, &pt_len, NULL),
                     PH_ERR_DECRYPT, "tampered ciphertext");
        ph_scratch_free(&s);
        for (i = 0; i < THREADS; i++) {
            w[i].sh = &sh;
            w[i].wrong = 0;
            if (!CHECK(pthread_create(&tid[i], NULL, work, &w[i]) == 0,
                       "pthread_create"))
                break;
            started++;
        }
        for (i = 0; i < started; i++) {
            pthread_join(tid[i], NULL);
            wrong += w[i].wrong;
        }
        CHECK(wrong == 0, "%ld of %d calls gave a wrong answer", wrong,
              2 * ROUNDS * started);
    }
    ph_free(sh.good_tok[0], sh.good_tok[0] ? strlen(sh.good_tok[0]) : 0);
    ph_free(sh.good_tok[1], sh.good_tok[1] ? strlen(sh.good_tok[1]) : 0);
    ph_free(sh.bad_tok, sh.bad_tok ? strlen(sh.bad_tok) : 0);
    ph_free(sh.good_hex, sh.good_hex ? strlen(sh.good_hex) : 0);
    free(sh.bad_hex);
    ph_jwt_verifier_free(sh.v);
    ph_superpay_key_free(sh.k);
    t_end();
}

/* One RSA key (CHIP's) verifying in several threads at once: each call
 * copies the key's prepared verification context, which must stay usable
 * for every other thread, good and bad signatures mixed, SHA-256 and
 * SHA-512. */
typedef struct rsa_shared {
    ph_rsa_key *k;
    const unsigned char *msg;
    size_t msg_len;
    unsigned char *sig[2]; /* SHA-256, SHA-512 */
    size_t sig_len[2];
    unsigned char *bad; /* the SHA-256 signature, one bit flipped */
} rsa_shared;

typedef struct rsa_worker {
    const rsa_shared *sh;
    long wrong;
} rsa_worker;

static void *rsa_work(void *arg)
{
    rsa_worker *w = arg;
    const rsa_shared *sh = w->sh;
    int r;

    for (r = 0; r < ROUNDS / 4; r++) {
        int which = r % 3;
        ph_digest d = which == 1 ? PH_DIGEST_SHA512 : PH_DIGEST_SHA256;
        const unsigned char *sig = which == 2 ? sh->bad : sh->sig[which];
        ph_status st = ph_rsa_verify(sh->k, d, sh->msg, sh->msg_len, sig,
                                     sh->sig_len[0], NULL);
        if (which == 2 ? st != PH_ERR_SIGNATURE : st != PH_OK)
            w->wrong++;
    }
    return NULL;
}

void run_threads_rsa(void)
{
    static const unsigned char msg[] = "{\"id\":\"purchase-1\",\"amount\":1}";
    rsa_shared sh;
    rsa_worker w[THREADS];
    pthread_t tid[THREADS];
    char *pub_path = t_join(t_vectors_dir, "keys/chip-2048-public.pem");
    char *priv_path = t_join(t_vectors_dir, "keys/chip-2048-private.pem");
    size_t pub_len = 0, priv_len = 0;
    char *pub = t_read_file(pub_path, &pub_len);
    char *priv = t_read_file(priv_path, &priv_len);
    int i, started = 0;
    long wrong = 0;

    memset(&sh, 0, sizeof sh);
    sh.msg = msg;
    sh.msg_len = sizeof msg - 1;
    t_begin("threads: one RSA key verifying in %d threads", THREADS);
    if (CHECK(pub != NULL && priv != NULL, "the CHIP test keys") &&
        CHECK_STATUS(ph_rsa_key_new(pub, pub_len, &sh.k, NULL), PH_OK,
                     "RSA key") &&
        CHECK_STATUS(ph_rsa_sign(priv, priv_len, PH_DIGEST_SHA256, msg,
                                 sh.msg_len, &sh.sig[0], &sh.sig_len[0], NULL),
                     PH_OK, "SHA-256 signature") &&
        CHECK_STATUS(ph_rsa_sign(priv, priv_len, PH_DIGEST_SHA512, msg,
                                 sh.msg_len, &sh.sig[1], &sh.sig_len[1], NULL),
                     PH_OK, "SHA-512 signature") &&
        CHECK(sh.sig_len[0] == sh.sig_len[1], "signature lengths")) {
        if ((sh.bad = malloc(sh.sig_len[0])) == NULL)
            abort();
        memcpy(sh.bad, sh.sig[0], sh.sig_len[0]);
        sh.bad[sh.sig_len[0] / 2] ^= 0x10;
        for (i = 0; i < THREADS; i++) {
            w[i].sh = &sh;
            w[i].wrong = 0;
            if (!CHECK(pthread_create(&tid[i], NULL, rsa_work, &w[i]) == 0,
                       "pthread_create"))
                break;
            started++;
        }
        for (i = 0; i < started; i++) {
            pthread_join(tid[i], NULL);
            wrong += w[i].wrong;
        }
        CHECK(wrong == 0, "%ld of %d verifications gave a wrong answer", wrong,
              ROUNDS / 4 * started);
    }
    free(sh.bad);
    ph_free(sh.sig[0], sh.sig_len[0]);
    ph_free(sh.sig[1], sh.sig_len[1]);
    ph_rsa_key_free(sh.k);
    free(pub);
    free(priv);
    free(pub_path);
    free(priv_path);
    t_end();
}
