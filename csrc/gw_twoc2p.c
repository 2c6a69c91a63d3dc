/* 2C2P PGW v4 backend notification: {"payload": "<JWT HS256>"}, signed
 * with the merchant's SHA key used as its 64 characters of text (never
 * hex-decoded: the trap LeanX sets too). */
#include "gateway.h"

static ph_status twoc2p_authenticate(const ph_gateway_key *k,
                                     const ph_request *rq, ph_scratch *s,
                                     ph_result *r, ph_error *err)
{
    const char *body = rq->body, *token;
    size_t len = rq->body_len, tlen;
    ph_status st;

    ph_trim_space(&body, &len);
    if (len == 0 || body[0] != '{')
        return ph_fail(err, PH_ERR_DECODE,
                       "2C2P body must be a JSON object {\"payload\": ...}");
    if ((st = ph_envelope_member(body, len, "payload", "2C2P", s, &token,
                                 &tlen, err)) != PH_OK)
        return st;
    if (tlen > 0 && (ph_is_json_space((unsigned char)token[0]) ||
                     ph_is_json_space((unsigned char)token[tlen - 1])))
        return ph_fail(err, PH_ERR_DECODE,
                       "2C2P body: \"payload\" must be the token alone");
    return ph_jwt_gateway_authenticate(k, token, tlen, s, r, err);
}

static ph_status twoc2p_sign(const ph_gateway *g, const ph_sign_input *in,
                             ph_signed *out, ph_error *err)
{
    (void)g;
    return ph_jwt_gateway_sign(in, "payload", "\"}", out, err);
}

const ph_gateway ph_gw_twoc2p = {
    .name = "twoc2p",
    .title = "2C2P",
    .key_kind = PH_KEY_JWT_HS256,
    .covers = PH_COVERS_PAYLOAD,
    .event = { { { "invoiceNo", "respCode", NULL } } },
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = twoc2p_authenticate,
    .parse = ph_jwt_gateway_parse,
    .sign = twoc2p_sign,
};
