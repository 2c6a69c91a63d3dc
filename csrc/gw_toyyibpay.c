/* toyyibPay: hash = md5(userSecretKey + status + order_id + refno + "ok")
 * in lower hex: plain MD5 with the key as a text prefix (weak, and the
 * amount and bill code are not signed: confirm them against the bill). */
#include <string.h>

#include "gateway.h"

static const char *const signed_names[] = { "status", "order_id", "refno",
                                            NULL };

static int covers_field(const char *name, size_t len)
{
    return ph_name_listed(signed_names, name, len);
}

static ph_status toyyibpay_digest(const ph_gateway_key *k, size_t i,
                                  const ph_result *r, ph_scratch *s,
                                  unsigned char *out, ph_error *err)
{
    ph_str msg;
    ph_status st;

    if ((st = ph_form_concat(r, s, k->secret[i], k->secret_len[i],
                             signed_names, "ok", &msg, err)) != PH_OK)
        return st;
    return ph_md5_parts(k, &msg, 1, out, err);
}

static const ph_form_scheme toyyibpay_form = {
    .signature = "hash",
    .required = signed_names,
    .digest_len = 16,
    .digest = toyyibpay_digest,
};

const ph_gateway ph_gw_toyyibpay = {
    .name = "toyyibpay",
    .title = "toyyibPay",
    .key_kind = PH_KEY_SECRET_TEXT,
    .covers = PH_COVERS_FIELDS,
    .payload_kind = PH_PAYLOAD_FORM,
    .covers_field = covers_field,
    .event = { { { "refno", "status", NULL } } },
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = ph_form_authenticate,
    .parse = ph_form_parse_step,
    .sign = ph_form_sign,
    .form = &toyyibpay_form,
};
