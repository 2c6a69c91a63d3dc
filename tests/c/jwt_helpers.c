/* Test keys and JWT calls shared by the suites; each call reports its own
 * failure as a failed check. */
#include <string.h>

#include "runner.h"

const unsigned char t_key1[] = "first-test-key-0123456789";
const unsigned char t_key2[] = "second-test-key-abcdefghi";
const size_t t_key1_len = sizeof t_key1 - 1;
const size_t t_key2_len = sizeof t_key2 - 1;

ph_jwt_verifier *t_verifier(const unsigned char *k, size_t len,
                            unsigned algs)
{
    const unsigned char *keys[1] = {k};
    size_t lens[1] = {len};
    ph_jwt_verifier *v = NULL;
    ph_error err;

    if (!CHECK_STATUS(ph_jwt_verifier_new(keys, lens, 1, algs, &v, &err),
                      PH_OK, "ph_jwt_verifier_new"))
        return NULL;
    return v;
}

char *t_sign(const char *hdr, const char *pl, unsigned alg,
             const unsigned char *k, size_t klen)
{
    char *tok = NULL;
    ph_error err;

    CHECK_STATUS(ph_jwt_sign(hdr, strlen(hdr), pl, strlen(pl), alg, k, klen,
                             &tok, &err),
                 PH_OK, "ph_jwt_sign");
    return tok;
}

ph_status t_verify(const ph_jwt_verifier *v, const char *tok, size_t max,
                   ph_scratch *s, const char **pl, size_t *pl_len)
{
    const unsigned char *secrets[2] = {t_key1, t_key2};
    size_t lens[2] = {t_key1_len, t_key2_len};
    ph_error err;
    ph_status st;

    t_error_reset(&err);
    st = ph_jwt_verify(v, tok, strlen(tok), max, s, pl, pl_len, &err);
    if (st != PH_OK)
        t_check_error(&err, st, secrets, lens, 2);
    return st;
}
