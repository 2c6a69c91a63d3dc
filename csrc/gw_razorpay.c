/* Curlec / Razorpay webhooks: X-Razorpay-Signature, the lower-hex
 * HMAC-SHA256 of the raw body keyed with the webhook secret's text.  No
 * timestamp: the event id header is what a replay guard keys on, and after
 * a secret change older events come signed with the old secret (pass both
 * keys). */
#include <string.h>

#include <openssl/crypto.h>

#include "gateway.h"

#define SIG_LEN 32

static ph_status razorpay_authenticate(const ph_gateway_key *k,
                                       const ph_request *rq, ph_scratch *s,
                                       ph_result *r, ph_error *err)
{
    unsigned char sig[SIG_LEN];
    const char *h, *id;
    size_t h_len, id_len;
    ph_str body = { rq->body, rq->body_len };
    ph_status st;

    (void)s;
    if ((st = ph_request_header(rq, "x-razorpay-signature", 1, &h, &h_len,
                                err)) != PH_OK ||
        (st = ph_request_header(rq, "x-razorpay-event-id", 0, &id, &id_len,
                                err)) != PH_OK)
        return st;
    if (ph_lower_hex_decode(h, h_len, sig, SIG_LEN) != PH_OK)
        return ph_fail(err, PH_ERR_DECODE,
                       "X-Razorpay-Signature must be 64 lower-case hex "
                       "digits");
    if ((st = ph_hmac_keys_match(&k->hmac, &body, 1, sig, 1, err)) != PH_OK)
        return st;
    r->id_header = id;
    r->id_header_len = id_len;
    r->payload = rq->body;
    r->payload_len = rq->body_len;
    return PH_OK;
}

static ph_status razorpay_sign(const ph_gateway *g, const ph_sign_input *in,
                               ph_signed *out, ph_error *err)
{
    unsigned char mac[64];
    char hex[2 * SIG_LEN], id[64];
    size_t mac_len, id_len;
    const char *body_parts[1] = { in->payload };
    ph_str body = { in->payload, in->payload_len };
    ph_gateway_key *key = NULL;
    ph_status st;

    if (in->event_id != NULL) {
        if (in->event_id_len == 0 || in->event_id_len >= sizeof id)
            return ph_fail(err, PH_ERR_ARGUMENT,
                           "the event id must be 1 to %zu bytes",
                           sizeof id - 1);
        memcpy(id, in->event_id, in->event_id_len);
        id_len = in->event_id_len;
    } else if ((st = ph_random_id("evt_", id, sizeof id, &id_len, err)) !=
               PH_OK) {
        return st;
    }
    if ((st = ph_gateway_key_new(g, &in->key, &in->key_len, 1, &key, err)) !=
        PH_OK)
        return st;
    st = ph_hmac_keys_mac(&key->hmac, &body, 1, mac, &mac_len, err);
    ph_gateway_key_free(key);
    if (st != PH_OK)
        return st;
    ph_hex_encode(mac, SIG_LEN, hex);
    OPENSSL_cleanse(mac, sizeof mac);
    if ((st = ph_signed_set_body(out, body_parts, &in->payload_len, 1, err)) !=
            PH_OK ||
        (st = ph_signed_add_header(out, "X-Razorpay-Signature", hex,
                                   sizeof hex, err)) != PH_OK ||
        (st = ph_signed_add_header(out, "X-Razorpay-Event-Id", id, id_len,
                                   err)) != PH_OK)
        return st;
    return PH_OK;
}

const ph_gateway ph_gw_razorpay = {
    .name = "razorpay",
    .title = "Curlec / Razorpay",
    .key_kind = PH_KEY_HMAC_TEXT,
    .digest = PH_DIGEST_SHA256,
    .covers = PH_COVERS_PAYLOAD,
    .id_header = "x-razorpay-event-id",
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = razorpay_authenticate,
    .sign = razorpay_sign,
};
