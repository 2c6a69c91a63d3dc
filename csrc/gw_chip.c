/* CHIP Collect and CHIP Send: X-Signature is the base64 RSASSA-PKCS1-v1_5
 * signature of the raw body, SHA-256 for Collect (purchases) and SHA-512
 * for Send (payouts), verified with the PEM public key the merchant
 * downloads from CHIP (Send: one per webhook). */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define MAX_SIG 2048 /* 16384-bit keys */

static ph_status chip_authenticate(const ph_gateway_key *k,
                                   const ph_request *rq, ph_scratch *s,
                                   ph_result *r, ph_error *err)
{
    unsigned char sig[MAX_SIG + 2];
    const char *h;
    size_t h_len, sig_len, i;
    int match = 0;
    ph_status st;

    (void)s;
    if ((st = ph_request_header(rq, "x-signature", 1, &h, &h_len, err)) !=
        PH_OK)
        return st;
    if (ph_b64_decoded_len(h_len) > sizeof sig ||
        ph_b64_decode(h, h_len, sig, &sig_len) != PH_OK)
        return ph_fail(err, PH_ERR_DECODE,
                       "X-Signature must be canonical base64");
    /* Every key is tried: the time does not say which one matched. */
    for (i = 0; i < k->n_rsa; i++) {
        st = ph_rsa_verify(k->rsa[i], k->gateway->digest,
                           (const unsigned char *)rq->body, rq->body_len, sig,
                           sig_len, err);
        if (st == PH_OK)
            match = 1;
        else if (st != PH_ERR_SIGNATURE)
            return st;
    }
    if (!match)
        return ph_fail(err, PH_ERR_SIGNATURE, "signature verification failed");
    r->payload = rq->body;
    r->payload_len = rq->body_len;
    return PH_OK;
}

static ph_status chip_sign(const ph_gateway *g, const ph_sign_input *in,
                           ph_signed *out, ph_error *err)
{
    const char *body_parts[1] = { in->payload };
    unsigned char *sig = NULL;
    size_t sig_len = 0, b64_len;
    char *b64;
    ph_status st;

    if ((st = ph_rsa_sign((const char *)in->key, in->key_len, g->digest,
                          (const unsigned char *)in->payload, in->payload_len,
                          &sig, &sig_len, err)) != PH_OK)
        return st;
    b64_len = ph_b64_encoded_len(sig_len);
    if ((b64 = malloc(b64_len)) == NULL) {
        ph_free(sig, sig_len);
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    }
    ph_b64_encode(sig, sig_len, b64);
    ph_free(sig, sig_len);
    if ((st = ph_signed_set_body(out, body_parts, &in->payload_len, 1, err)) ==
        PH_OK)
        st = ph_signed_add_header(out, "X-Signature", b64, b64_len, err);
    free(b64);
    return st;
}

const ph_gateway ph_gw_chip = {
    .name = "chip",
    .title = "CHIP Collect",
    .key_kind = PH_KEY_RSA_PUBLIC,
    .digest = PH_DIGEST_SHA256,
    .covers = PH_COVERS_PAYLOAD,
    .event = { { { "id", "status", NULL } } },
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = chip_authenticate,
    .sign = chip_sign,
};

const ph_gateway ph_gw_chip_send = {
    .name = "chip_send",
    .title = "CHIP Send",
    .key_kind = PH_KEY_RSA_PUBLIC,
    .digest = PH_DIGEST_SHA512,
    .covers = PH_COVERS_PAYLOAD,
    .event = { { { "id", "status", NULL } } },
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = chip_authenticate,
    .sign = chip_sign,
};
