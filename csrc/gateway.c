/* The pipeline every gateway's callback goes through (see payhook.h):
 * the registry, prepared keys, and the steps around each description's
 * own authenticate / parse / sign. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gateway.h"

/* Adding a gateway: its gw_*.c file, and one line here. */
static const ph_gateway *const registry[] = {
    &ph_gw_leanx,     &ph_gw_superpay,
    &ph_gw_twoc2p,    &ph_gw_standardwebhooks,
    &ph_gw_stripe,    &ph_gw_razorpay,
    &ph_gw_chip,      &ph_gw_chip_send,
    &ph_gw_billplz,   &ph_gw_fiuu,
    &ph_gw_senangpay, &ph_gw_senangpay_md5,
    &ph_gw_toyyibpay,
};

#define N_GATEWAYS (sizeof registry / sizeof registry[0])

const ph_gateway *ph_gateway_at(size_t i)
{
    return i < N_GATEWAYS ? registry[i] : NULL;
}

const ph_gateway *ph_gateway_find(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < N_GATEWAYS; i++)
        if (strlen(registry[i]->name) == len &&
            memcmp(registry[i]->name, name, len) == 0)
            return registry[i];
    return NULL;
}

const char *ph_gateway_name(const ph_gateway *g)
{
    return g->name;
}

const char *ph_gateway_title(const ph_gateway *g)
{
    return g->title;
}

int ph_gateway_covers(const ph_gateway *g)
{
    return g->covers;
}

int ph_gateway_payload_kind(const ph_gateway *g)
{
    return g->payload_kind;
}

int ph_result_covers(const ph_result *r, const char *name, size_t len)
{
    switch (r->gateway->covers) {
    case PH_COVERS_PAYLOAD:
        return 1;
    case PH_COVERS_FIELDS:
        return r->gateway->covers_field(name, len);
    default:
        return 0;
    }
}

const ph_reply *ph_gateway_reply(const ph_gateway *g)
{
    return &g->reply;
}

int ph_gateway_signs_time(const ph_gateway *g)
{
    return g->tolerance > 0;
}

int ph_gateway_uses_clock(const ph_gateway *g)
{
    return g->tolerance > 0 || g->key_kind == PH_KEY_JWT_HS256;
}

double ph_gateway_default_tolerance(const ph_gateway *g)
{
    return g->tolerance > 0 ? g->tolerance : 0;
}

const ph_gateway *ph_gateway_key_gateway(const ph_gateway_key *k)
{
    return k->gateway;
}

void ph_options_init(ph_options *o, double now)
{
    o->now = now;
    o->tolerance = -1;
    o->leeway = 0;
    o->max_bytes = PH_DEFAULT_MAX_BYTES;
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */

#define WHSEC_PREFIX "whsec_"
#define WHSEC_MIN    24
#define WHSEC_MAX    64

/* A Standard Webhooks secret: whsec_ (optional, as every reference library
 * takes it) and the canonical base64 of 24 to 64 bytes (the spec's range). */
static ph_status whsec_decode(const unsigned char *key, size_t len,
                              unsigned char *out, size_t *out_len,
                              ph_error *err)
{
    size_t plen = sizeof WHSEC_PREFIX - 1;

    if (len >= plen && memcmp(key, WHSEC_PREFIX, plen) == 0) {
        key += plen;
        len -= plen;
    }
    if (len == 0)
        return ph_fail(err, PH_ERR_KEY, "the key is empty");
    if (ph_b64_decoded_len(len) > WHSEC_MAX + 2 ||
        ph_b64_decode((const char *)key, len, out, out_len) != PH_OK)
        return ph_fail(err, PH_ERR_KEY,
                       "a Standard Webhooks secret is whsec_ and the "
                       "base64 of %d to %d bytes",
                       WHSEC_MIN, WHSEC_MAX);
    if (*out_len < WHSEC_MIN || *out_len > WHSEC_MAX) {
        OPENSSL_cleanse(out, *out_len);
        return ph_fail(err, PH_ERR_KEY,
                       "a Standard Webhooks secret is %d to %d bytes, not "
                       "%zu",
                       WHSEC_MIN, WHSEC_MAX, *out_len);
    }
    return PH_OK;
}

static ph_status whsec_keys(ph_gateway_key *k,
                            const unsigned char *const *keys,
                            const size_t *lens, size_t n, ph_error *err)
{
    unsigned char raw[PH_MAX_KEYS][WHSEC_MAX + 2];
    const unsigned char *ptrs[PH_MAX_KEYS];
    size_t raw_lens[PH_MAX_KEYS], i;
    ph_status st = PH_OK;

    for (i = 0; i < n && st == PH_OK; i++) {
        st = whsec_decode(keys[i], lens[i], raw[i], &raw_lens[i], err);
        ptrs[i] = raw[i];
    }
    if (st == PH_OK)
        st = ph_hmac_keys_new(k->gateway->digest, ptrs, raw_lens, n, &k->hmac,
                              err);
    OPENSSL_cleanse(raw, sizeof raw);
    return st;
}

ph_status ph_gateway_key_new(const ph_gateway *g,
                             const unsigned char *const *keys,
                             const size_t *key_lens, size_t nkeys,
                             ph_gateway_key **out, ph_error *err)
{
    ph_gateway_key *k;
    ph_status st = PH_OK;
    size_t i;

    *out = NULL;
    if (nkeys == 0 || nkeys > PH_MAX_KEYS)
        return ph_fail(err, PH_ERR_KEY, "between 1 and %d keys are needed",
                       PH_MAX_KEYS);
    for (i = 0; i < nkeys; i++)
        if (key_lens[i] == 0)
            return ph_fail(err, PH_ERR_KEY, "the key is empty");
    if ((k = calloc(1, sizeof *k)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    k->gateway = g;
    switch (g->key_kind) {
    case PH_KEY_JWT_HS256:
        st = ph_jwt_verifier_new(keys, key_lens, nkeys, PH_ALG_HS256, &k->jwt,
                                 err);
        ph_claims_init(&k->claims, 0);
        break;
    case PH_KEY_AES256:
        if (nkeys != 1)
            st = ph_fail(err, PH_ERR_KEY, "%s takes one key", g->title);
        else
            st = ph_superpay_key_new(keys[0], key_lens[0], &k->aes, err);
        break;
    case PH_KEY_HMAC_TEXT:
        st = ph_hmac_keys_new(g->digest, keys, key_lens, nkeys, &k->hmac, err);
        break;
    case PH_KEY_HMAC_WHSEC:
        st = whsec_keys(k, keys, key_lens, nkeys, err);
        break;
    case PH_KEY_SECRET_TEXT:
        for (i = 0; i < nkeys && st == PH_OK; i++) {
            if ((k->secret[i] = malloc(key_lens[i])) == NULL) {
                st = ph_fail(err, PH_ERR_MEMORY, "out of memory");
                break;
            }
            memcpy(k->secret[i], keys[i], key_lens[i]);
            k->secret_len[i] = key_lens[i];
            k->n_secret = i + 1;
        }
        /* Not there (a FIPS provider): the MD5 digests say so, later. */
        if ((k->md5 = EVP_MD_fetch(NULL, "MD5", NULL)) == NULL)
            ph_clear_openssl_errors();
        if (st == PH_OK && g->form != NULL && g->form->hmac)
            st = ph_hmac_keys_new(g->digest, keys, key_lens, nkeys, &k->hmac,
                                  err);
        break;
    case PH_KEY_RSA_PUBLIC:
        for (i = 0; i < nkeys && st == PH_OK; i++) {
            st = ph_rsa_key_new((const char *)keys[i], key_lens[i], &k->rsa[i],
                                err);
            if (st == PH_OK)
                k->n_rsa = i + 1;
        }
        break;
    }
    if (st != PH_OK) {
        ph_gateway_key_free(k);
        return st;
    }
    *out = k;
    return PH_OK;
}

void ph_gateway_key_free(ph_gateway_key *k)
{
    size_t i;

    if (k == NULL)
        return;
    ph_jwt_verifier_free(k->jwt);
    ph_superpay_key_free(k->aes);
    ph_hmac_keys_free(&k->hmac);
    for (i = 0; i < k->n_rsa; i++)
        ph_rsa_key_free(k->rsa[i]);
    for (i = 0; i < k->n_secret; i++)
        ph_free(k->secret[i], k->secret_len[i]);
    EVP_MD_free(k->md5);
    OPENSSL_cleanse(k, sizeof *k);
    free(k);
}

/* ------------------------------------------------------------------ */
/* The steps                                                           */

/* Whether a header name of `len` bytes is `lower` (of the same length)
 * in any case. */
static int same_name_ci(const char *a, const char *lower, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        if (c != (unsigned char)lower[i])
            return 0;
    }
    return 1;
}

ph_status ph_request_header(const ph_request *rq, const char *name,
                            int required, const char **value, size_t *len,
                            ph_error *err)
{
    size_t i, seen = 0, name_len = strlen(name);

    *value = NULL;
    *len = 0;
    /* A request carries a dozen headers or more (Host, User-Agent, ...):
     * the length tells most of them apart before any byte is read. */
    for (i = 0; i < rq->n_headers; i++) {
        const ph_header *h = &rq->headers[i];
        if (h->name_len != name_len || !same_name_ci(h->name, name, name_len))
            continue;
        if (++seen > 1)
            return ph_fail(err, PH_ERR_DECODE,
                           "the %s header occurs more than once", name);
        *value = h->value;
        *len = h->value_len;
    }
    if (*value != NULL && *len == 0)
        *value = NULL;
    if (*value == NULL && required)
        return ph_fail(err, PH_ERR_MISSING_SIGNATURE,
                       "the %s header is missing or empty", name);
    return PH_OK;
}

ph_status ph_gateway_open(const ph_gateway_key *k, const ph_request *rq,
                          const ph_options *o, ph_scratch *s, ph_result *r,
                          ph_error *err)
{
    const ph_gateway *g = k->gateway;
    ph_status st;

    memset(r, 0, sizeof *r);
    r->gateway = g;
    r->reply = g->reply;
    if (rq->body_len > o->max_bytes)
        return ph_fail(err, PH_ERR_TOO_LARGE,
                       "body is longer than the limit of %zu bytes",
                       o->max_bytes);
    /* A redirect's form is its query (form gateways): limited the same. */
    if (rq->body_len == 0 && rq->query != NULL && rq->query_len > o->max_bytes)
        return ph_fail(err, PH_ERR_TOO_LARGE,
                       "query is longer than the limit of %zu bytes",
                       o->max_bytes);
    if (rq->n_headers > PH_MAX_HEADERS)
        return ph_fail(err, PH_ERR_DECODE, "more than %d headers",
                       PH_MAX_HEADERS);
    if (rq->body == NULL && rq->body_len != 0)
        return ph_fail(err, PH_ERR_ARGUMENT, "no body");
    if ((st = g->authenticate(k, rq, s, r, err)) != PH_OK)
        return st;
    if (g->tolerance > 0) {
        double tol = o->tolerance < 0 ? g->tolerance : o->tolerance;
        if (!r->has_timestamp)
            return ph_fail(err, PH_ERR_MISSING_SIGNATURE,
                           "the signed timestamp is missing");
        if ((st = ph_timestamp_check(r->timestamp, o->now, tol, err)) != PH_OK)
            return st;
    }
    return PH_OK;
}

static int ignore_member(void *hctx, const char *name, size_t len)
{
    (void)hctx;
    (void)name;
    (void)len;
    return 0;
}

ph_status ph_gateway_parse(const ph_gateway_key *k, const ph_result *r,
                           const ph_options *o, const ph_json_sink *sink,
                           void *ctx, ph_scratch *s, void **root,
                           ph_error *err)
{
    ph_top_hook object_only = { ignore_member, NULL, NULL, NULL };

    *root = NULL;
    if (k->gateway->parse != NULL)
        return k->gateway->parse(k, r, o, sink, ctx, s, root, err);
    return ph_json_parse_hooked(r->payload, r->payload_len, sink, ctx,
                                &object_only, s, root, err);
}

/* A payload field: a JSON member path, or a form field's value. */
static int pick(const ph_result *r, const char *path, size_t len, int *type,
                char *buf, size_t cap, size_t *out_len)
{
    const ph_form_field *f;

    if (r->gateway->payload_kind != PH_PAYLOAD_FORM)
        return ph_json_pick(r->payload, r->payload_len, path, len, type, buf,
                            cap, out_len);
    *out_len = 0;
    if ((f = ph_form_get(r, path, len)) == NULL)
        return 0;
    *type = PH_JT_STRING;
    if (f->value.len <= cap)
        memcpy(buf, f->value.ptr, f->value.len);
    *out_len = f->value.len <= cap ? f->value.len : cap + 1;
    return 1;
}

ph_status ph_gateway_event_id(const ph_result *r, char *buf, size_t *len,
                              int *found, ph_error *err)
{
    const ph_gateway *g = r->gateway;
    int json = g->payload_kind != PH_PAYLOAD_FORM;
    size_t i, f;

    *found = 0;
    *len = 0;
    if (g->id_header != NULL) {
        if (r->id_header == NULL)
            return PH_OK;
        if (r->id_header_len > PH_EVENT_ID_MAX)
            return ph_fail(err, PH_ERR_DECODE,
                           "the event id is longer than %d bytes",
                           PH_EVENT_ID_MAX);
        memcpy(buf, r->id_header, r->id_header_len);
        *len = r->id_header_len;
        *found = 1;
        return PH_OK;
    }
    for (i = 0; i < PH_EVENT_RECIPES && g->event[i].fields[0] != NULL; i++) {
        const ph_event_recipe *rc = &g->event[i];
        ph_json_spot spots[PH_EVENT_FIELDS];
        size_t used = 0, nf = 0;
        int ok = 1;
        /* A JSON payload is walked once for all the recipe's fields (a
         * "last one wins" lookup reads every member, so one walk per field
         * would read the text as many times). */
        while (nf < PH_EVENT_FIELDS && rc->fields[nf] != NULL) {
            spots[nf].path = rc->fields[nf];
            spots[nf].path_len = strlen(rc->fields[nf]);
            nf++;
        }
        if (json && !ph_json_locate(r->payload, r->payload_len, spots, nf))
            ok = 0;
        for (f = 0; f < nf && ok; f++) {
            size_t n = 0;
            int type;
            if (f > 0) {
                if (used >= PH_EVENT_ID_MAX) {
                    used = PH_EVENT_ID_MAX + 1;
                    break;
                }
                buf[used++] = ':';
            }
            ok = (json ? ph_json_read_at(r->payload, r->payload_len,
                                         spots[f].at, &type, buf + used,
                                         PH_EVENT_ID_MAX - used, &n)
                       : pick(r, spots[f].path, spots[f].path_len, &type,
                              buf + used, PH_EVENT_ID_MAX - used, &n)) &&
                 (type == PH_JT_STRING || type == PH_JT_NUMBER);
            used += n;
            if (used > PH_EVENT_ID_MAX)
                break;
        }
        if (used > PH_EVENT_ID_MAX)
            return ph_fail(err, PH_ERR_DECODE,
                           "the event id is longer than %d bytes",
                           PH_EVENT_ID_MAX);
        if (ok) {
            *len = used;
            *found = 1;
            return PH_OK;
        }
    }
    *len = 0;
    return PH_OK;
}

#define EXPECT_VALUE_MAX 1024

ph_status ph_gateway_expect(const ph_result *r, const ph_str *paths,
                            const ph_str *values, size_t n, ph_error *err)
{
    char buf[EXPECT_VALUE_MAX];
    size_t i, got, top;
    int type;

    for (i = 0; i < n; i++) {
        int plen = paths[i].len > 60 ? 60 : (int)paths[i].len;
        const char *dot = memchr(paths[i].ptr, '.', paths[i].len);
        if (r->gateway->covers == PH_COVERS_NOTHING)
            return ph_fail(err, PH_ERR_MISMATCH,
                           "expected field \"%.*s\": %s callbacks are not "
                           "signed, so no field is authenticated",
                           plen, paths[i].ptr, r->gateway->title);
        /* The field (for JSON, the top-level member the path starts in)
         * must be one the signature covers. */
        top = dot != NULL ? (size_t)(dot - paths[i].ptr) : paths[i].len;
        if (!ph_result_covers(r, paths[i].ptr, top))
            return ph_fail(err, PH_ERR_MISMATCH,
                           "expected field \"%.*s\" is not covered by the "
                           "%s signature",
                           plen, paths[i].ptr, r->gateway->title);
        if (!pick(r, paths[i].ptr, paths[i].len, &type, buf, sizeof buf, &got))
            return ph_fail(err, PH_ERR_MISMATCH,
                           "expected field \"%.*s\" is absent", plen,
                           paths[i].ptr);
        if (type != PH_JT_STRING && type != PH_JT_NUMBER)
            return ph_fail(err, PH_ERR_MISMATCH,
                           "expected field \"%.*s\" is not a string or a "
                           "number",
                           plen, paths[i].ptr);
        if (got != values[i].len ||
            memcmp(buf, values[i].ptr, values[i].len) != 0)
            return ph_fail(err, PH_ERR_MISMATCH,
                           "field \"%.*s\" differs from the expected value",
                           plen, paths[i].ptr);
    }
    return PH_OK;
}

/* ------------------------------------------------------------------ */
/* Building test callbacks                                             */

ph_status ph_gateway_sign(const ph_gateway *g, const ph_sign_input *in,
                          ph_signed *out, ph_error *err)
{
    ph_status st;

    memset(out, 0, sizeof *out);
    if (in->key_len == 0)
        return ph_fail(err, PH_ERR_KEY, "the key is empty");
    if (in->event_id != NULL && g->id_header == NULL)
        return ph_fail(err, PH_ERR_ARGUMENT,
                       "%s takes its event id from the payload", g->title);
    if ((st = g->sign(g, in, out, err)) != PH_OK)
        ph_signed_free(out);
    return st;
}

void ph_signed_free(ph_signed *out)
{
    if (out == NULL)
        return;
    ph_free(out->body, out->body_len);
    ph_free(out->store, out->store_len);
    memset(out, 0, sizeof *out);
}

/* Headers live in one buffer that grows; the pointers are set again after
 * every move. */
ph_status ph_signed_add_header(ph_signed *out, const char *name,
                               const char *value, size_t len, ph_error *err)
{
    size_t nlen = strlen(name), need = out->store_len + nlen + len, i;
    char *store, *p;

    if (out->n_headers == PH_SIGNED_MAX_HEADERS)
        return ph_fail(err, PH_ERR_ARGUMENT, "too many headers");
    if ((store = malloc(need)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    if (out->store_len > 0)
        memcpy(store, out->store, out->store_len);
    memcpy(store + out->store_len, name, nlen);
    memcpy(store + out->store_len + nlen, value, len);
    for (i = 0; i < out->n_headers; i++) {
        out->headers[i].name = store + (out->headers[i].name - out->store);
        out->headers[i].value = store + (out->headers[i].value - out->store);
    }
    p = store + out->store_len;
    out->headers[out->n_headers].name = p;
    out->headers[out->n_headers].name_len = nlen;
    out->headers[out->n_headers].value = p + nlen;
    out->headers[out->n_headers].value_len = len;
    out->n_headers++;
    ph_free(out->store, out->store_len);
    out->store = store;
    out->store_len = need;
    return PH_OK;
}

ph_status ph_signed_set_body(ph_signed *out, const char *const *parts,
                             const size_t *lens, size_t nparts, ph_error *err)
{
    size_t i, total = 0, at = 0;

    for (i = 0; i < nparts; i++)
        total += lens[i];
    ph_free(out->body, out->body_len);
    out->body_len = 0;
    /* One more byte, so that an empty body is not a NULL pointer. */
    if ((out->body = malloc(total + 1)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    for (i = 0; i < nparts; i++) {
        if (lens[i] > 0)
            memcpy(out->body + at, parts[i], lens[i]);
        at += lens[i];
    }
    out->body[total] = '\0';
    out->body_len = total;
    return PH_OK;
}

ph_status ph_random_id(const char *prefix, char *buf, size_t cap, size_t *len,
                       ph_error *err)
{
    unsigned char raw[12];
    size_t plen = strlen(prefix);

    if (cap < plen + 2 * sizeof raw)
        return ph_fail(err, PH_ERR_ARGUMENT, "id buffer too small");
    if (RAND_bytes(raw, sizeof raw) != 1) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "no random bytes");
    }
    memcpy(buf, prefix, plen);
    ph_hex_encode(raw, sizeof raw, buf + plen);
    *len = plen + 2 * sizeof raw;
    return PH_OK;
}

ph_status ph_lower_hex_decode(const char *in, size_t len, unsigned char *out,
                              size_t n)
{
    const unsigned char *p = (const unsigned char *)in;
    const uint64_t bits = UINT64_C(0x2020202020202020);
    uint64_t all = ~(uint64_t)0;
    unsigned tail = 0xff;
    size_t i = 0;

    if (len != 2 * n)
        return PH_ERR_DECODE;
    /* Of the characters ph_hex_decode takes, '0'-'9' and 'a'-'f' have bit
     * 0x20 set and 'A'-'F' have it clear: with every byte's 0x20 bit set,
     * what ph_hex_decode accepts is lower-case hex.  A word at a time: a
     * signature is 64 characters on every request (it is not secret, so
     * this check may stop early). */
    for (; i + 8 <= len; i += 8)
        all &= ph_load_le64(p + i);
    for (; i < len; i++)
        tail &= p[i];
    if ((all & bits) != bits || (tail & 0x20) == 0)
        return PH_ERR_DECODE;
    return ph_hex_decode(in, len, out);
}
