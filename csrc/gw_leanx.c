/* LeanX: an HS256 JWT in {"data": "<jwt>", "response_code": ...}, signed
 * with the merchant's hash key as its text.  Also the steps every
 * JWT-in-an-envelope gateway shares (2C2P uses them). */
#include <string.h>

#include "gateway.h"

ph_status ph_jwt_gateway_authenticate(const ph_gateway_key *k,
                                      const char *token, size_t len,
                                      ph_scratch *s, ph_result *r,
                                      ph_error *err)
{
    /* The pipeline has checked the body's size; the token is part of it. */
    return ph_jwt_verify(k->jwt, token, len, len, s, &r->payload,
                         &r->payload_len, err);
}

ph_status ph_jwt_gateway_parse(const ph_gateway_key *k, const ph_result *r,
                               const ph_options *o, const ph_json_sink *sink,
                               void *ctx, ph_scratch *s, void **root,
                               ph_error *err)
{
    ph_claims claims = k->claims;

    claims.now = o->now;
    claims.leeway = o->leeway;
    return ph_jwt_parse_claims(r->payload, r->payload_len, &claims, sink, ctx,
                               s, root, err);
}

/* {"<member>":"<token>"<extra>}: the token of an HS256 JWT over the
 * payload, with the header such gateways send. */
ph_status ph_jwt_gateway_sign(const ph_sign_input *in, const char *member,
                              const char *extra, ph_signed *out, ph_error *err)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    const char *parts[5];
    size_t lens[5];
    char *token = NULL;
    ph_status st;

    if ((st = ph_jwt_sign(header, sizeof header - 1, in->payload,
                          in->payload_len, PH_ALG_HS256, in->key, in->key_len,
                          &token, err)) != PH_OK)
        return st;
    parts[0] = "{\"";
    parts[1] = member;
    parts[2] = "\":\"";
    parts[3] = token;
    parts[4] = extra;
    lens[0] = 2;
    lens[1] = strlen(member);
    lens[2] = 3;
    lens[3] = strlen(token);
    lens[4] = strlen(extra);
    st = ph_signed_set_body(out, parts, lens, 5, err);
    ph_free(token, lens[3]);
    return st;
}

static ph_status leanx_authenticate(const ph_gateway_key *k,
                                    const ph_request *rq, ph_scratch *s,
                                    ph_result *r, ph_error *err)
{
    const char *token;
    size_t len;
    ph_status st;

    if ((st = ph_leanx_token(rq->body, rq->body_len, rq->body_len, s, &token,
                             &len, err)) != PH_OK)
        return st;
    return ph_jwt_gateway_authenticate(k, token, len, s, r, err);
}

static ph_status leanx_sign(const ph_gateway *g, const ph_sign_input *in,
                            ph_signed *out, ph_error *err)
{
    (void)g;
    return ph_jwt_gateway_sign(in, "data", "\",\"response_code\":2100}", out,
                               err);
}

const ph_gateway ph_gw_leanx = {
    .name = "leanx",
    .title = "LeanX",
    .key_kind = PH_KEY_JWT_HS256,
    .covers = PH_COVERS_PAYLOAD,
    /* Payouts wrap the invoice in "output", collections do not. */
    .event = { { { "output.invoice_no", "output.invoice_status", NULL } },
               { { "invoice_no", "invoice_status", NULL } } },
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = leanx_authenticate,
    .parse = ph_jwt_gateway_parse,
    .sign = leanx_sign,
};
