/* Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`,
 * HMAC-SHA256 in lower hex over `t "." body`, keyed with the endpoint
 * secret's text, `whsec_` included (no base64 step, unlike Standard
 * Webhooks).  The window is checked both ways, where Stripe's own library
 * lets a future-dated capture through. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gateway.h"

#define MAX_ITEMS 32
#define SIG_LEN   32

static ph_status parse_header(const char *h, size_t len, ph_result *r,
                              const char **t, size_t *t_len,
                              unsigned char *sigs, size_t *nsigs,
                              ph_error *err)
{
    const char *p = h, *end = h + len;
    size_t items = 0, seen_t = 0;
    ph_status st;

    *nsigs = 0;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma != NULL ? comma : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (++items > MAX_ITEMS)
            return ph_fail(err, PH_ERR_DECODE,
                           "Stripe-Signature has more than %d items",
                           MAX_ITEMS);
        if (eq == NULL)
            return ph_fail(err, PH_ERR_DECODE,
                           "Stripe-Signature item %zu has no '='", items);
        if (eq - p == 1 && p[0] == 't') {
            if (++seen_t > 1)
                return ph_fail(err, PH_ERR_DECODE,
                               "Stripe-Signature has more than one t");
            *t = eq + 1;
            *t_len = (size_t)(e - eq - 1);
            if ((st = ph_timestamp_parse(*t, *t_len, &r->timestamp, err)) !=
                PH_OK)
                return st;
        } else if (eq - p == 2 && memcmp(p, "v1", 2) == 0) {
            if (ph_lower_hex_decode(eq + 1, (size_t)(e - eq - 1),
                                    sigs + *nsigs * SIG_LEN, SIG_LEN) != PH_OK)
                return ph_fail(err, PH_ERR_DECODE,
                               "Stripe-Signature v1 must be 64 lower-case "
                               "hex digits");
            (*nsigs)++;
        }
        /* Other schemes (v0, test-mode extras) are not ours to check. */
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    if (seen_t == 0)
        return ph_fail(err, PH_ERR_DECODE, "Stripe-Signature has no t");
    return PH_OK;
}

static ph_status stripe_authenticate(const ph_gateway_key *k,
                                     const ph_request *rq, ph_scratch *s,
                                     ph_result *r, ph_error *err)
{
    unsigned char sigs[MAX_ITEMS * SIG_LEN];
    const char *h, *t = NULL;
    size_t h_len, t_len = 0, nsigs;
    ph_str parts[3];
    ph_status st;

    (void)s;
    if ((st = ph_request_header(rq, "stripe-signature", 1, &h, &h_len, err)) !=
            PH_OK ||
        (st = parse_header(h, h_len, r, &t, &t_len, sigs, &nsigs, err)) !=
            PH_OK)
        return st;
    parts[0] = (ph_str){ t, t_len };
    parts[1] = (ph_str){ ".", 1 };
    parts[2] = (ph_str){ rq->body, rq->body_len };
    if ((st = ph_hmac_keys_match(&k->hmac, parts, 3, sigs, nsigs, err)) !=
        PH_OK)
        return st;
    r->has_timestamp = 1;
    r->payload = rq->body;
    r->payload_len = rq->body_len;
    return PH_OK;
}

static ph_status stripe_sign(const ph_gateway *g, const ph_sign_input *in,
                             ph_signed *out, ph_error *err)
{
    char ts[24], value[2 + 24 + 4 + 2 * SIG_LEN];
    unsigned char mac[64];
    size_t ts_len, mac_len, v_len;
    const char *body_parts[1] = { in->payload };
    ph_gateway_key *key = NULL;
    ph_str parts[3];
    ph_status st;

    if ((st = ph_gateway_key_new(g, &in->key, &in->key_len, 1, &key, err)) !=
        PH_OK)
        return st;
    ts_len = (size_t)snprintf(ts, sizeof ts, "%lld", (long long)in->timestamp);
    parts[0] = (ph_str){ ts, ts_len };
    parts[1] = (ph_str){ ".", 1 };
    parts[2] = (ph_str){ in->payload, in->payload_len };
    st = ph_hmac_keys_mac(&key->hmac, parts, 3, mac, &mac_len, err);
    ph_gateway_key_free(key);
    if (st != PH_OK)
        return st;
    v_len = (size_t)snprintf(value, sizeof value, "t=%s,v1=", ts);
    ph_hex_encode(mac, mac_len, value + v_len);
    v_len += 2 * mac_len;
    OPENSSL_cleanse(mac, sizeof mac);
    if ((st = ph_signed_set_body(out, body_parts, &in->payload_len, 1, err)) !=
            PH_OK ||
        (st = ph_signed_add_header(out, "Stripe-Signature", value, v_len,
                                   err)) != PH_OK)
        return st;
    return PH_OK;
}

const ph_gateway ph_gw_stripe = {
    .name = "stripe",
    .title = "Stripe",
    .key_kind = PH_KEY_HMAC_TEXT,
    .digest = PH_DIGEST_SHA256,
    .covers = PH_COVERS_PAYLOAD,
    .tolerance = 300,
    .event = { { { "id", NULL } } },
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = stripe_authenticate,
    .sign = stripe_sign,
};
