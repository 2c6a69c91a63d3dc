/* Fiuu (MOLPay, Razer Merchant Services): skey = md5(paydate + domain +
 * md5(tranID + orderid + status + domain + amount + currency) + appcode +
 * secret key), lower hex.  The secret key is not the verify key.  What
 * Fiuu expects back depends on the post: nbcb=1 (callback) wants the body
 * CBTOKEN:MPSTATOK; the others want every received field re-posted with
 * treq=1 to Fiuu's returnipn.php. */
#include <string.h>

#include "gateway.h"

static const char *const inner[] = { "tranID", "orderid",  "status", "domain",
                                     "amount", "currency", NULL };
static const char *const required[] = { "tranID",  "orderid", "status",
                                        "domain",  "amount",  "currency",
                                        "paydate", NULL };
static const char *const signed_names[] = { "tranID",  "orderid", "status",
                                            "domain",  "amount",  "currency",
                                            "paydate", "appcode", NULL };

static int covers_field(const char *name, size_t len)
{
    return ph_name_listed(signed_names, name, len);
}

static ph_status fiuu_digest(const ph_gateway_key *k, size_t i,
                             const ph_result *r, ph_scratch *s,
                             unsigned char *out, ph_error *err)
{
    static const char *const paydate[] = { "paydate", "domain", NULL };
    static const char *const appcode[] = { "appcode", NULL };
    unsigned char key0[16];
    char key0_hex[32];
    ph_str joined, parts[4];
    ph_status st;

    if ((st = ph_form_concat(r, s, NULL, 0, inner, "", &joined, err)) !=
            PH_OK ||
        (st = ph_md5_parts(k, &joined, 1, key0, err)) != PH_OK)
        return st;
    ph_hex_encode(key0, sizeof key0, key0_hex);
    if ((st = ph_form_concat(r, s, NULL, 0, paydate, "", &joined, err)) !=
        PH_OK)
        return st;
    parts[0] = joined;
    parts[1] = (ph_str){ key0_hex, sizeof key0_hex };
    {
        const ph_form_field *a = ph_form_get(r, appcode[0], 7);
        parts[2] = a != NULL ? a->value : (ph_str){ "", 0 };
    }
    parts[3] = (ph_str){ (const char *)k->secret[i], k->secret_len[i] };
    return ph_md5_parts(k, parts, 4, out, err);
}

/* nbcb=1: the acknowledgement text; otherwise the re-post. */
static ph_status fiuu_reply(const ph_request *rq, ph_scratch *s, ph_result *r,
                            ph_error *err)
{
    static const char ack[] = "CBTOKEN:MPSTATOK";
    static const char treq[] = "&treq=1";
    const ph_form_field *nbcb = ph_form_get(r, "nbcb", 4);
    const char *text = rq->body_len > 0 ? rq->body : rq->query;
    size_t len = rq->body_len > 0 ? rq->body_len : rq->query_len;
    unsigned char *buf;

    if (nbcb != NULL && nbcb->value.len == 1 && nbcb->value.ptr[0] == '1') {
        r->reply.body = ack;
        r->reply.body_len = sizeof ack - 1;
        return PH_OK;
    }
    /* The form as it came, so that Fiuu sees its own encoding. */
    if ((buf = ph_scratch_text(s, len + sizeof treq, err)) == NULL)
        return PH_ERR_MEMORY;
    memcpy(buf, text, len);
    memcpy(buf + len, treq, sizeof treq);
    r->reply.repost = (const char *)buf;
    r->reply.repost_len = len + sizeof treq - 1;
    return PH_OK;
}

static const ph_form_scheme fiuu_form = {
    .signature = "skey",
    .required = required,
    .digest_len = 16,
    .digest = fiuu_digest,
    .reply = fiuu_reply,
};

const ph_gateway ph_gw_fiuu = {
    .name = "fiuu",
    .title = "Fiuu",
    .key_kind = PH_KEY_SECRET_TEXT,
    .covers = PH_COVERS_FIELDS,
    .payload_kind = PH_PAYLOAD_FORM,
    .covers_field = covers_field,
    .event = { { { "tranID", "status", NULL } } },
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = ph_form_authenticate,
    .parse = ph_form_parse_step,
    .sign = ph_form_sign,
    .form = &fiuu_form,
};
