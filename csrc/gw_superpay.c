/* SuperPay (GGGPay): {"encryptedData": "<hex>"}, AES-256-CBC with
 * IV = MD5(key).  Nothing is signed: opening it is decryption checked in
 * constant time (superpay.c), and the result covers no field. */
#include <string.h>

#include "gateway.h"

static ph_status superpay_authenticate(const ph_gateway_key *k,
                                       const ph_request *rq, ph_scratch *s,
                                       ph_result *r, ph_error *err)
{
    return ph_superpay_open(k->aes, rq->body, rq->body_len, rq->body_len, s,
                            &r->payload, &r->payload_len, err);
}

static ph_status superpay_parse(const ph_gateway_key *k, const ph_result *r,
                                const ph_options *o, const ph_json_sink *sink,
                                void *ctx, ph_scratch *s, void **root,
                                ph_error *err)
{
    (void)k;
    (void)o;
    return ph_superpay_parse(r->payload, r->payload_len, sink, ctx, s, root,
                             err);
}

static ph_status superpay_sign(const ph_gateway *g, const ph_sign_input *in,
                               ph_signed *out, ph_error *err)
{
    ph_superpay_key *key = NULL;
    const char *parts[3];
    size_t lens[3];
    char *hex = NULL;
    ph_status st;

    (void)g;
    if ((st = ph_superpay_key_new(in->key, in->key_len, &key, err)) != PH_OK)
        return st;
    st = ph_superpay_encrypt(key, (const unsigned char *)in->payload,
                             in->payload_len, &hex, err);
    ph_superpay_key_free(key);
    if (st != PH_OK)
        return st;
    parts[0] = "{\"encryptedData\":\"";
    parts[1] = hex;
    parts[2] = "\"}";
    lens[0] = strlen(parts[0]);
    lens[1] = strlen(hex);
    lens[2] = 2;
    st = ph_signed_set_body(out, parts, lens, 3, err);
    ph_free(hex, lens[1]);
    return st;
}

const ph_gateway ph_gw_superpay = {
    .name = "superpay",
    .title = "SuperPay",
    .key_kind = PH_KEY_AES256,
    .covers = PH_COVERS_NOTHING,
    /* PENDING and SUCCESS arrive as two callbacks for one transaction. */
    .event = { { { "data.transaction.id", "data.status", NULL } } },
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = superpay_authenticate,
    .parse = superpay_parse,
    .sign = superpay_sign,
};
