/* JWS compact verification for HS256 / HS384 / HS512. */
#include <stdatomic.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"
#include "jwt_internal.h"

struct ph_jwt_verifier {
    unsigned algorithms;
    size_t nkeys;
    unsigned char *keys[PH_MAX_KEYS];
    size_t key_lens[PH_MAX_KEYS];
    /* One keyed HMAC context per key and allowed algorithm, set up once;
     * each verification works on a duplicate, so the verifier itself is
     * never written after creation and may be shared by threads. */
    EVP_MAC_CTX *mac[PH_MAX_KEYS][PH_ALG_COUNT];
    /* Working copies of those contexts, reused call after call by whoever
     * holds `busy`; a call that finds them taken duplicates the templates.
     * Separate from the (const) verifier so sharing stays safe. */
    struct mac_work {
        atomic_int busy;
        EVP_MAC_CTX *ctx[PH_MAX_KEYS][PH_ALG_COUNT];
    } * work;
};

void ph_jwt_verifier_free(ph_jwt_verifier *v)
{
    size_t i, a;

    if (v == NULL)
        return;
    for (i = 0; i < v->nkeys; i++) {
        for (a = 0; a < PH_ALG_COUNT; a++) {
            EVP_MAC_CTX_free(v->mac[i][a]); /* frees wipe key state */
            if (v->work != NULL)
                EVP_MAC_CTX_free(v->work->ctx[i][a]);
        }
        ph_free(v->keys[i], v->key_lens[i]);
    }
    free(v->work);
    OPENSSL_cleanse(v, sizeof *v);
    free(v);
}

ph_status ph_jwt_verifier_new(const unsigned char *const *keys,
                              const size_t *key_lens, size_t nkeys,
                              unsigned algorithms, ph_jwt_verifier **out,
                              ph_error *err)
{
    ph_jwt_verifier *v;
    EVP_MAC *hmac = NULL;
    ph_status st = PH_OK;
    size_t i, a;

    *out = NULL;
    if (nkeys == 0 || nkeys > PH_MAX_KEYS)
        return ph_fail(err, PH_ERR_KEY, "between 1 and %d keys are needed",
                       PH_MAX_KEYS);
    for (i = 0; i < nkeys; i++)
        if (key_lens[i] == 0)
            return ph_fail(err, PH_ERR_KEY, "the key is empty");
    if (algorithms == 0 || (algorithms & ~PH_ALG_ALL) != 0)
        return ph_fail(err, PH_ERR_ARGUMENT,
                       "algorithms must be a non-empty subset of HS256, "
                       "HS384, HS512");
    if ((v = calloc(1, sizeof *v)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    if ((v->work = calloc(1, sizeof *v->work)) == NULL) {
        free(v);
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    }
    atomic_init(&v->work->busy, 0);
    v->algorithms = algorithms;
    if ((hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
        st = ph_fail(err, PH_ERR_CRYPTO, "HMAC is not available");
        goto done;
    }
    for (i = 0; i < nkeys; i++) {
        if ((v->keys[i] = malloc(key_lens[i])) == NULL) {
            st = ph_fail(err, PH_ERR_MEMORY, "out of memory");
            goto done;
        }
        memcpy(v->keys[i], keys[i], key_lens[i]);
        v->key_lens[i] = key_lens[i];
        v->nkeys = i + 1;
        for (a = 0; a < PH_ALG_COUNT; a++) {
            OSSL_PARAM params[2];
            if (!(algorithms & ph_alg_info[a].bit))
                continue;
            params[0] = OSSL_PARAM_construct_utf8_string(
                OSSL_MAC_PARAM_DIGEST, (char *)ph_alg_info[a].digest, 0);
            params[1] = OSSL_PARAM_construct_end();
            if ((v->mac[i][a] = EVP_MAC_CTX_new(hmac)) == NULL ||
                !EVP_MAC_init(v->mac[i][a], keys[i], key_lens[i], params) ||
                (v->work->ctx[i][a] = EVP_MAC_CTX_dup(v->mac[i][a])) == NULL) {
                st = ph_fail(err, PH_ERR_CRYPTO, "HMAC setup failed");
                goto done;
            }
        }
    }
done:
    EVP_MAC_free(hmac);
    if (st != PH_OK) {
        ph_clear_openssl_errors();
        ph_jwt_verifier_free(v);
        return st;
    }
    *out = v;
    return PH_OK;
}

/* What the header check collects.  Names point into the decoded header or
 * the parse's text area, both stable for the whole parse. */
#define MAX_HEADER_MEMBERS 32

typedef struct header_scan {
    ph_str names[MAX_HEADER_MEMBERS];
    size_t count;
    int duplicate, too_many, forbidden, kid_bad;
    int current;  /* 1 alg, 2 kid, 0 other */
    int alg_type; /* PH_JT_* of alg, -1 when absent */
    const char *alg;
    size_t alg_len;
} header_scan;

static int header_member(void *hctx, const char *name, size_t len)
{
    header_scan *h = hctx;
    size_t i;

    for (i = 0; i < h->count; i++)
        if (h->names[i].len == len && memcmp(h->names[i].ptr, name, len) == 0)
            h->duplicate = 1;
    if (h->count < MAX_HEADER_MEMBERS) {
        h->names[h->count].ptr = name;
        h->names[h->count].len = len;
        h->count++;
    } else {
        h->too_many = 1;
    }
    /* crit (RFC 7515 4.1.11) would oblige us to understand extensions we
     * do not implement; b64 (RFC 7797) changes what is signed; enc marks
     * a JWE.  None of them belongs in an HS256 callback. */
    if ((len == 4 && memcmp(name, "crit", 4) == 0) ||
        (len == 3 && memcmp(name, "b64", 3) == 0) ||
        (len == 3 && memcmp(name, "enc", 3) == 0))
        h->forbidden = 1;
    h->current = 0;
    if (len == 3 && memcmp(name, "alg", 3) == 0)
        h->current = 1;
    else if (len == 3 && memcmp(name, "kid", 3) == 0)
        h->current = 2;
    return h->current != 0;
}

static void header_value(void *hctx, int type, const char *text, size_t len,
                         int truthy)
{
    header_scan *h = hctx;

    (void)truthy;
    if (h->current == 1) {
        h->alg_type = type;
        h->alg = text;
        h->alg_len = len;
    } else if (h->current == 2 && type != PH_JT_STRING) {
        h->kid_bad = 1;
    }
}

/* Check the decoded header; *alg_index is the ph_alg_info entry to use. */
static ph_status check_header(const ph_jwt_verifier *v, const char *json,
                              size_t len, ph_scratch *s, size_t *alg_index,
                              ph_error *err)
{
    header_scan h;
    ph_top_hook hook = { header_member, header_value, NULL, &h };
    void *root;
    unsigned bit;
    size_t a;
    ph_status st;

    memset(&h, 0, sizeof h);
    h.alg_type = -1;
    st = ph_json_parse_hooked(json, len, NULL, NULL, &hook, s, &root, err);
    if (st == PH_ERR_DECODE)
        return ph_fail(err, PH_ERR_DECODE,
                       "invalid token header: must be a JSON object");
    if (st != PH_OK)
        return st;
    if (h.too_many)
        return ph_fail(err, PH_ERR_DECODE,
                       "token header has too many members");
    if (h.duplicate)
        return ph_fail(err, PH_ERR_DECODE,
                       "token header has a duplicate member name");
    if (h.forbidden)
        return ph_fail(err, PH_ERR_DECODE,
                       "token header uses crit, b64 or enc, which are not "
                       "supported");
    if (h.kid_bad)
        return ph_fail(err, PH_ERR_DECODE,
                       "key ID header parameter must be a string");
    if (h.alg_type != PH_JT_STRING)
        return ph_fail(err, PH_ERR_ALGORITHM,
                       "the specified alg value is not allowed");
    bit = ph_alg_from_name(h.alg, h.alg_len);
    if (bit == 0 || !(v->algorithms & bit))
        return ph_fail(err, PH_ERR_ALGORITHM,
                       "the specified alg value is not allowed");
    for (a = 0; a < PH_ALG_COUNT; a++)
        if (ph_alg_info[a].bit == bit)
            *alg_index = a;
    return PH_OK;
}

/* HMAC of `msg` with every key, compared in constant time with `sig`.
 * Every key is tried even after a match, so the time does not say which
 * key matched. */
static ph_status check_mac(const ph_jwt_verifier *v, size_t alg_index,
                           const char *msg, size_t len,
                           const unsigned char *sig, size_t sig_len,
                           ph_error *err)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t i, mac_len, want = ph_alg_info[alg_index].digest_len;
    int match = 0, failed = 0, expected = 0, own;

    if (sig_len != want)
        return ph_fail(err, PH_ERR_SIGNATURE, "signature verification failed");
    own = atomic_compare_exchange_strong(&v->work->busy, &expected, 1);
    for (i = 0; i < v->nkeys && !failed; i++) {
        EVP_MAC_CTX *ctx;
        if (own) {
            /* A NULL key re-initialises with the key already set. */
            ctx = v->work->ctx[i][alg_index];
            if (!EVP_MAC_init(ctx, NULL, 0, NULL))
                ctx = NULL;
        } else {
            ctx = EVP_MAC_CTX_dup(v->mac[i][alg_index]);
        }
        failed = ctx == NULL ||
                 !EVP_MAC_update(ctx, (const unsigned char *)msg, len) ||
                 !EVP_MAC_final(ctx, mac, &mac_len, sizeof mac) ||
                 mac_len != want;
        if (!own)
            EVP_MAC_CTX_free(ctx);
        if (!failed)
            match |= CRYPTO_memcmp(mac, sig, want) == 0;
    }
    if (own)
        atomic_store(&v->work->busy, 0);
    OPENSSL_cleanse(mac, sizeof mac);
    if (failed) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "HMAC computation failed");
    }
    if (!match)
        return ph_fail(err, PH_ERR_SIGNATURE, "signature verification failed");
    return PH_OK;
}

ph_status ph_jwt_verify(const ph_jwt_verifier *v, const char *token,
                        size_t len, size_t max_bytes, ph_scratch *s,
                        const char **payload, size_t *payload_len,
                        ph_error *err)
{
    const char *dot1, *dot2, *hdr, *pl, *sg;
    size_t hdr_len, pl_len, sg_len, raw_hdr_len, raw_pl_len, sig_len;
    size_t alg_index = 0;
    unsigned char sig[EVP_MAX_MD_SIZE + 3], *buf;
    ph_status st;

    if (len > max_bytes)
        return ph_fail(err, PH_ERR_TOO_LARGE,
                       "token is longer than the limit of %zu bytes",
                       max_bytes);
    /* The token is taken exactly as given, as PyJWT takes it: whitespace
     * around it is not part of any segment, so it fails the header's
     * base64url.  One token, one accepted byte string (a deny-list keyed
     * on the raw token cannot be stepped around).  LeanX bodies trim
     * their own whitespace before the token gets here. */
    if (len >= 3 && memcmp(token, "\xef\xbb\xbf", 3) == 0)
        return ph_fail(err, PH_ERR_DECODE,
                       "token starts with a UTF-8 byte order mark");
    dot1 = memchr(token, '.', len);
    dot2 =
        dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (dot1 == NULL || dot2 == NULL ||
        memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
        return ph_fail(err, PH_ERR_DECODE, "token must have three segments");
    hdr = token;
    hdr_len = (size_t)(dot1 - token);
    pl = dot1 + 1;
    pl_len = (size_t)(dot2 - pl);
    sg = dot2 + 1;
    sg_len = len - (size_t)(sg - token);
    raw_hdr_len = ph_b64url_decoded_len(hdr_len);
    raw_pl_len = ph_b64url_decoded_len(pl_len);
    if ((buf = ph_scratch_data(s, raw_hdr_len + raw_pl_len, err)) == NULL)
        return PH_ERR_MEMORY;
    if (ph_b64url_decode(hdr, hdr_len, buf, &raw_hdr_len) != PH_OK)
        return ph_fail(err, PH_ERR_DECODE, "invalid header encoding");
    if ((st = check_header(v, (const char *)buf, raw_hdr_len, s, &alg_index,
                           err)) != PH_OK)
        return st;
    /* The signature is decoded into a fixed buffer: anything longer than
     * the largest digest is wrong whatever the header says.  An empty one
     * fails the length check in check_mac. */
    if (ph_b64url_decoded_len(sg_len) > sizeof sig)
        return ph_fail(err, PH_ERR_SIGNATURE, "signature verification failed");
    if (ph_b64url_decode(sg, sg_len, sig, &sig_len) != PH_OK)
        return ph_fail(err, PH_ERR_DECODE, "invalid signature encoding");
    if ((st = check_mac(v, alg_index, token, (size_t)(dot2 - token), sig,
                        sig_len, err)) != PH_OK)
        return st;
    if (ph_b64url_decode(pl, pl_len, buf + raw_hdr_len, &raw_pl_len) != PH_OK)
        return ph_fail(err, PH_ERR_DECODE, "invalid payload encoding");
    *payload = (const char *)buf + raw_hdr_len;
    *payload_len = raw_pl_len;
    return PH_OK;
}
