/* Standard Webhooks (Svix and its adopters): HMAC-SHA256 over
 * `webhook-id "." webhook-timestamp "." body`, keyed with the base64
 * secret after `whsec_`; `webhook-signature` lists `v1,<base64>` entries
 * separated by spaces, any one of which may match.  The strict reading:
 * canonical base64 of exactly 32 bytes, a malformed entry is an error,
 * entries of other versions are skipped. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gateway.h"

#define MAX_ENTRIES 32
#define MAX_ID      256
#define SIG_LEN     32
#define SIG_B64     44

static ph_status check_id(const char *id, size_t len, ph_error *err)
{
    size_t i;

    if (len > MAX_ID)
        return ph_fail(err, PH_ERR_DECODE,
                       "webhook-id is longer than %d bytes", MAX_ID);
    for (i = 0; i < len; i++)
        if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e ||
            id[i] == '.')
            return ph_fail(err, PH_ERR_DECODE,
                           "webhook-id must be printable ASCII without "
                           "'.'");
    return PH_OK;
}

/* The v1 signatures of the header, decoded into sigs (MAX_ENTRIES). */
static ph_status parse_signatures(const char *h, size_t len,
                                  unsigned char *sigs, size_t *nsigs,
                                  ph_error *err)
{
    const char *p = h, *end = h + len;
    size_t entries = 0;

    *nsigs = 0;
    while (p <= end) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *e = sp != NULL ? sp : end, *comma;
        size_t n;
        if (++entries > MAX_ENTRIES)
            return ph_fail(err, PH_ERR_DECODE,
                           "webhook-signature has more than %d entries",
                           MAX_ENTRIES);
        comma = memchr(p, ',', (size_t)(e - p));
        if (comma == NULL || comma == p)
            return ph_fail(err, PH_ERR_DECODE,
                           "webhook-signature entry %zu is not "
                           "<version>,<signature>",
                           entries);
        if (comma - p == 2 && memcmp(p, "v1", 2) == 0) {
            unsigned char raw[SIG_B64];
            if ((size_t)(e - comma - 1) != SIG_B64 ||
                ph_b64_decode(comma + 1, SIG_B64, raw, &n) != PH_OK ||
                n != SIG_LEN)
                return ph_fail(err, PH_ERR_DECODE,
                               "webhook-signature entry %zu is not the "
                               "base64 of 32 bytes",
                               entries);
            memcpy(sigs + *nsigs * SIG_LEN, raw, SIG_LEN);
            (*nsigs)++;
        }
        if (sp == NULL)
            break;
        p = sp + 1;
    }
    return PH_OK;
}

static ph_status sw_authenticate(const ph_gateway_key *k, const ph_request *rq,
                                 ph_scratch *s, ph_result *r, ph_error *err)
{
    unsigned char sigs[MAX_ENTRIES * SIG_LEN];
    const char *id, *ts, *sig;
    size_t id_len, ts_len, sig_len, nsigs;
    ph_str parts[5];
    ph_status st;

    (void)s;
    if ((st = ph_request_header(rq, "webhook-id", 1, &id, &id_len, err)) ||
        (st = ph_request_header(rq, "webhook-timestamp", 1, &ts, &ts_len,
                                err)) ||
        (st = ph_request_header(rq, "webhook-signature", 1, &sig, &sig_len,
                                err)))
        return st;
    if ((st = check_id(id, id_len, err)) != PH_OK ||
        (st = ph_timestamp_parse(ts, ts_len, &r->timestamp, err)) != PH_OK ||
        (st = parse_signatures(sig, sig_len, sigs, &nsigs, err)) != PH_OK)
        return st;
    parts[0] = (ph_str){ id, id_len };
    parts[1] = (ph_str){ ".", 1 };
    parts[2] = (ph_str){ ts, ts_len };
    parts[3] = (ph_str){ ".", 1 };
    parts[4] = (ph_str){ rq->body, rq->body_len };
    if ((st = ph_hmac_keys_match(&k->hmac, parts, 5, sigs, nsigs, err)) !=
        PH_OK)
        return st;
    r->has_timestamp = 1;
    r->id_header = id;
    r->id_header_len = id_len;
    r->payload = rq->body;
    r->payload_len = rq->body_len;
    return PH_OK;
}

static ph_status sw_sign(const ph_gateway *g, const ph_sign_input *in,
                         ph_signed *out, ph_error *err)
{
    unsigned char mac[64];
    char id[64], ts[24], value[3 + SIG_B64];
    size_t id_len, ts_len, mac_len;
    const char *body_parts[1] = { in->payload };
    ph_gateway_key *key = NULL;
    ph_str parts[5];
    ph_status st;

    if ((st = ph_gateway_key_new(g, &in->key, &in->key_len, 1, &key, err)) !=
        PH_OK)
        return st;
    if (in->event_id != NULL) {
        if (in->event_id_len == 0 || in->event_id_len >= sizeof id) {
            ph_gateway_key_free(key);
            return ph_fail(err, PH_ERR_ARGUMENT,
                           "the event id must be 1 to %zu bytes",
                           sizeof id - 1);
        }
        memcpy(id, in->event_id, in->event_id_len);
        id_len = in->event_id_len;
    } else if ((st = ph_random_id("msg_", id, sizeof id, &id_len, err)) !=
               PH_OK) {
        ph_gateway_key_free(key);
        return st;
    }
    if (check_id(id, id_len, NULL) != PH_OK) {
        ph_gateway_key_free(key);
        return ph_fail(err, PH_ERR_ARGUMENT,
                       "webhook-id must be printable ASCII without '.'");
    }
    ts_len = (size_t)snprintf(ts, sizeof ts, "%lld", (long long)in->timestamp);
    parts[0] = (ph_str){ id, id_len };
    parts[1] = (ph_str){ ".", 1 };
    parts[2] = (ph_str){ ts, ts_len };
    parts[3] = (ph_str){ ".", 1 };
    parts[4] = (ph_str){ in->payload, in->payload_len };
    st = ph_hmac_keys_mac(&key->hmac, parts, 5, mac, &mac_len, err);
    ph_gateway_key_free(key);
    if (st != PH_OK)
        return st;
    memcpy(value, "v1,", 3);
    ph_b64_encode(mac, mac_len, value + 3);
    OPENSSL_cleanse(mac, sizeof mac);
    if ((st = ph_signed_set_body(out, body_parts, &in->payload_len, 1, err)) !=
            PH_OK ||
        (st = ph_signed_add_header(out, "webhook-id", id, id_len, err)) !=
            PH_OK ||
        (st = ph_signed_add_header(out, "webhook-timestamp", ts, ts_len,
                                   err)) != PH_OK ||
        (st = ph_signed_add_header(out, "webhook-signature", value,
                                   sizeof value, err)) != PH_OK)
        return st;
    return PH_OK;
}

const ph_gateway ph_gw_standardwebhooks = {
    .name = "standardwebhooks",
    .title = "Standard Webhooks",
    .key_kind = PH_KEY_HMAC_WHSEC,
    .digest = PH_DIGEST_SHA256,
    .covers = PH_COVERS_PAYLOAD,
    .tolerance = 300,
    .id_header = "webhook-id",
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = sw_authenticate,
    .sign = sw_sign,
};
