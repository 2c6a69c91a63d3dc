/* senangPay: hash = HMAC-SHA256 (or, by the merchant's dashboard setting,
 * plain MD5) in lower hex of secret + status_id + order_id +
 * transaction_id + msg; the secret key is both the HMAC key and the
 * string's prefix.  The amount is not signed.  Two gateways, one per
 * setting: senangpay and senangpay_md5. */
#include <string.h>

#include "gateway.h"

static const char *const signed_names[] = { "status_id", "order_id",
                                            "transaction_id", "msg", NULL };

static int covers_field(const char *name, size_t len)
{
    return ph_name_listed(signed_names, name, len);
}

static ph_status hmac_digest(const ph_gateway_key *k, size_t i,
                             const ph_result *r, ph_scratch *s,
                             unsigned char *out, ph_error *err)
{
    ph_str msg;
    size_t len;
    ph_status st;

    if ((st = ph_form_concat(r, s, k->secret[i], k->secret_len[i],
                             signed_names, "", &msg, err)) != PH_OK)
        return st;
    return ph_hmac_keys_mac_at(&k->hmac, i, &msg, 1, out, &len, err);
}

static ph_status md5_digest(const ph_gateway_key *k, size_t i,
                            const ph_result *r, ph_scratch *s,
                            unsigned char *out, ph_error *err)
{
    ph_str msg;
    ph_status st;

    if ((st = ph_form_concat(r, s, k->secret[i], k->secret_len[i],
                             signed_names, "", &msg, err)) != PH_OK)
        return st;
    return ph_md5_parts(k, &msg, 1, out, err);
}

static const ph_form_scheme hmac_form = {
    .signature = "hash",
    .required = signed_names,
    .digest_len = 32,
    .hmac = 1,
    .digest = hmac_digest,
};

static const ph_form_scheme md5_form = {
    .signature = "hash",
    .required = signed_names,
    .digest_len = 16,
    .digest = md5_digest,
};

const ph_gateway ph_gw_senangpay = {
    .name = "senangpay",
    .title = "senangPay",
    .key_kind = PH_KEY_SECRET_TEXT,
    .digest = PH_DIGEST_SHA256, /* the hash's HMAC */
    .covers = PH_COVERS_FIELDS,
    .payload_kind = PH_PAYLOAD_FORM,
    .covers_field = covers_field,
    .event = { { { "transaction_id", "status_id", NULL } } },
    .reply = { 200, "OK", 2, "text/plain", NULL, 0 },
    .authenticate = ph_form_authenticate,
    .parse = ph_form_parse_step,
    .sign = ph_form_sign,
    .form = &hmac_form,
};

const ph_gateway ph_gw_senangpay_md5 = {
    .name = "senangpay_md5",
    .title = "senangPay (MD5)",
    .key_kind = PH_KEY_SECRET_TEXT,
    .covers = PH_COVERS_FIELDS,
    .payload_kind = PH_PAYLOAD_FORM,
    .covers_field = covers_field,
    .event = { { { "transaction_id", "status_id", NULL } } },
    .reply = { 200, "OK", 2, "text/plain", NULL, 0 },
    .authenticate = ph_form_authenticate,
    .parse = ph_form_parse_step,
    .sign = ph_form_sign,
    .form = &md5_form,
};
