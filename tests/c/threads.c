/*
 * Prepared keys shared between threads: one verifier (two keys, a
 * rotation) and one SuperPay key, used at once by several threads, each
 * with its own scratch.  The keys keep reusable working contexts taken
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
#define ROUNDS 400

static const unsigned char sp_key[] = "threads-test-superpay-key-32byte";

typedef struct shared {
    ph_jwt_verifier *v;
    ph_superpay_key *k;
    char *good_tok[2];          /* signed with t_key1 / t_key2 */
    char *bad_tok;              /* signed with another key */
    char *good_hex, *bad_hex;   /* bad_hex: last block tampered */
    const char *payload;
} shared;

typedef struct worker {
    const shared *sh;
    long wrong;                 /* calls that gave the wrong answer */
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
    const unsigned char *keys[2] = {t_key1, t_key2};
    size_t lens[2] = {t_key1_len, t_key2_len};
    shared sh;
    worker w[THREADS];
    pthread_t tid[THREADS];
    int i, started = 0;
    long wrong = 0;

    memset(&sh, 0, sizeof sh);
    sh.payload = "{\"invoice_no\":\"T-1\",\"amount\":\"13.00\",\"n\":[1,2,3]}";
    t_begin("threads: one verifier and one SuperPay key shared by %d "
            "threads", THREADS);
    CHECK_STATUS(ph_jwt_verifier_new(keys, lens, 2, PH_ALG_HS256, &sh.v,
                                     NULL),
                 PH_OK, "verifier");
    CHECK_STATUS(ph_superpay_key_new(sp_key, 32, &sh.k, NULL), PH_OK,
                 "SuperPay key");
    sh.good_tok[0] = t_sign("{\"alg\":\"HS256\"}", sh.payload, PH_ALG_HS256,
                            t_key1, t_key1_len);
    sh.good_tok[1] = t_sign("{\"alg\":\"HS256\"}", sh.payload, PH_ALG_HS256,
                            t_key2, t_key2_len);
    sh.bad_tok = t_sign("{\"alg\":\"HS256\"}", sh.payload, PH_ALG_HS256,
                        other, sizeof other - 1);
    if (sh.k != NULL &&
        CHECK_STATUS(ph_superpay_encrypt(sh.k,
                                         (const unsigned char *)sh.payload,
                                         strlen(sh.payload), &sh.good_hex,
                                         NULL),
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
        CHECK_STATUS(ph_superpay_decrypt_hex(sh.k, NULL, sh.bad_hex,
                                             strlen(sh.bad_hex),
                                             PH_DEFAULT_MAX_BYTES, &s, &pt,
                                             &pt_len, NULL),
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
