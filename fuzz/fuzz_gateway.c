/*
 * The gateway pipeline: ph_gateway_open / parse / event id / expect for
 * every registered gateway, on requests the fuzzer builds.
 *
 * Input: byte 0 picks the gateway (modulo the count) and, in bit 7, the
 * splice mode; then header lines "name:value\n" up to an empty line; the
 * rest is the body.  In splice mode the request starts as a genuine
 * callback signed at start-up (its headers first, then the fuzzer's), and
 * the fuzzer's body bytes replace the genuine body only when there are
 * any, so mutations of genuine requests are explored.
 *
 * Checks, besides the sanitizers and the error-record rules (no key bytes
 * in a message):
 *   - the status is one the pipeline documents;
 *   - for the gateways that sign the raw body (Standard Webhooks, Stripe,
 *     Razorpay, CHIP), an accepted request has exactly the genuine body:
 *     anything else verifying would be a forgery; for the form gateways,
 *     every field the signature covers has its genuine value;
 *   - after OK the parse, the event id and an expect run, and the checking
 *     sink's handles all come back.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fuzz_common.h"

#define MAX_GW 16
#define MAX_HDR 64

static const char payload[] =
    "{\"id\":\"evt_1\",\"status\":\"paid\",\"invoiceNo\":\"I-1\","
    "\"respCode\":\"0000\",\"amount\":\"10.00\",\"data\":{\"status\":"
    "\"SUCCESS\",\"transaction\":{\"id\":7}}}";

static const char form[] =
    "tranID=T1&orderid=O1&status=00&domain=m&amount=10.00&currency=MYR"
    "&paydate=2023-11-14+22%3A13%3A20&appcode=&status_id=1&order_id=O1"
    "&transaction_id=T1&msg=ok&refno=R1&id=B1&state=paid&nbcb=2";

static size_t n_gw;
static ph_gateway_key *keys[MAX_GW];
static ph_signed genuine[MAX_GW];
static const char *key_text[MAX_GW];
static char *pub_pem, *priv_pem;

static char *pem_of(EVP_PKEY *pkey, int private_key)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data, *out;
    long n;

    if (private_key)
        PEM_write_bio_PrivateKey(b, pkey, NULL, NULL, 0, NULL, NULL);
    else
        PEM_write_bio_PUBKEY(b, pkey);
    n = BIO_get_mem_data(b, &data);
    out = malloc((size_t)n + 1);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    BIO_free(b);
    return out;
}

static void set_up(void)
{
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    const ph_gateway *g;
    size_t i;

    pub_pem = pem_of(rsa, 0);
    priv_pem = pem_of(rsa, 1);
    EVP_PKEY_free(rsa);
    for (i = 0; (g = ph_gateway_at(i)) != NULL && i < MAX_GW; i++) {
        const char *name = ph_gateway_name(g), *sk;
        const unsigned char *kp;
        size_t kl;
        ph_sign_input in;
        ph_error err;
        if (strncmp(name, "chip", 4) == 0) {
            key_text[i] = pub_pem;
            sk = priv_pem;
        } else if (strcmp(name, "standardwebhooks") == 0) {
            key_text[i] = sk = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        } else if (strcmp(name, "superpay") == 0) {
            key_text[i] = sk = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ";
        } else {
            key_text[i] = sk = "payhook-fuzz-gateway-key";
        }
        kp = (const unsigned char *)key_text[i];
        kl = strlen(key_text[i]);
        FZ_CHECK(ph_gateway_key_new(g, &kp, &kl, 1, &keys[i], &err) == PH_OK,
                 "key");
        memset(&in, 0, sizeof in);
        in.payload = payload;
        in.payload_len = sizeof payload - 1;
        if (ph_gateway_payload_kind(g) == PH_PAYLOAD_FORM) {
            in.payload = form;
            in.payload_len = sizeof form - 1;
        }
        in.key = (const unsigned char *)sk;
        in.key_len = strlen(sk);
        in.timestamp = 1700000000;
        FZ_CHECK(ph_gateway_sign(g, &in, &genuine[i], &err) == PH_OK, "sign");
        n_gw = i + 1;
    }
}

/* Every covered field of an accepted form has the genuine callback's
 * value (the genuine form parsed once, with its own scratch). */
static void check_covered_fields(size_t gi, const ph_result *r)
{
    ph_scratch s = PH_SCRATCH_INIT;
    ph_request rq = {genuine[gi].body, genuine[gi].body_len, NULL, 0, NULL,
                     0};
    ph_options o;
    ph_result want;
    ph_error err;
    size_t i;

    ph_options_init(&o, 1700000100);
    FZ_CHECK(ph_gateway_open(keys[gi], &rq, &o, &s, &want, &err) == PH_OK,
             "the genuine form opens");
    for (i = 0; i < r->n_fields; i++) {
        const ph_form_field *f = &r->fields[i], *g = NULL;
        size_t j;
        if (!ph_result_covers(r, f->name.ptr, f->name.len))
            continue;
        for (j = 0; j < want.n_fields; j++)
            if (want.fields[j].name.len == f->name.len &&
                memcmp(want.fields[j].name.ptr, f->name.ptr, f->name.len) ==
                    0)
                g = &want.fields[j];
        FZ_CHECK(g != NULL && g->value.len == f->value.len &&
                     memcmp(g->value.ptr, f->value.ptr, f->value.len) == 0,
                 "a covered field verified with a value not signed");
    }
    ph_scratch_free(&s);
}

static int signs_raw_body(const ph_gateway *g)
{
    const char *n = ph_gateway_name(g);

    return strcmp(n, "standardwebhooks") == 0 || strcmp(n, "stripe") == 0 ||
           strcmp(n, "razorpay") == 0 || strncmp(n, "chip", 4) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ph_header headers[MAX_HDR + PH_SIGNED_MAX_HEADERS];
    size_t nh = 0, at = 1, gi, i;
    const char *body;
    size_t body_len;
    const ph_gateway *g;
    ph_scratch s = PH_SCRATCH_INIT;
    ph_request rq;
    ph_options o;
    ph_result r;
    ph_error err;
    ph_status st;
    int splice;

    if (n_gw == 0)
        set_up();
    if (size < 1)
        return 0;
    gi = (size_t)(data[0] & 0x7f) % n_gw;
    splice = data[0] >> 7;
    g = ph_gateway_at(gi);
    if (splice)
        for (i = 0; i < genuine[gi].n_headers; i++)
            headers[nh++] = genuine[gi].headers[i];
    /* Header lines until an empty one. */
    while (at < size && nh < MAX_HDR) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        const uint8_t *colon;
        size_t line = nl ? (size_t)(nl - (data + at)) : size - at;
        if (line == 0) {
            at++;
            break;
        }
        colon = memchr(data + at, ':', line);
        if (colon != NULL) {
            headers[nh].name = (const char *)data + at;
            headers[nh].name_len = (size_t)(colon - (data + at));
            headers[nh].value = (const char *)colon + 1;
            headers[nh].value_len = line - headers[nh].name_len - 1;
            nh++;
        }
        at += line + (nl != NULL);
    }
    body = (const char *)data + at;
    body_len = size - at;
    if (splice && body_len == 0) {
        body = genuine[gi].body;
        body_len = genuine[gi].body_len;
    }
    rq = (ph_request){body, body_len, headers, nh, NULL, 0};
    ph_options_init(&o, 1700000100);
    st = ph_gateway_open(keys[gi], &rq, &o, &s, &r, &err);
    fz_check_error(st, &err, (const unsigned char *)key_text[gi],
                   strlen(key_text[gi]));
    FZ_CHECK(st == PH_OK || st == PH_ERR_TOO_LARGE || st == PH_ERR_DECODE ||
                 st == PH_ERR_MISSING_SIGNATURE || st == PH_ERR_SIGNATURE ||
                 st == PH_ERR_ALGORITHM || st == PH_ERR_TIMESTAMP ||
                 st == PH_ERR_DECRYPT,
             "a documented status");
    if (st == PH_OK) {
        fz_sink_ctx ctx;
        void *root = NULL;
        char id[PH_EVENT_ID_MAX];
        size_t id_len;
        int found;
        ph_str path = {"amount", 6}, value = {"10.00", 5};
        if (signs_raw_body(g))
            FZ_CHECK(body_len == genuine[gi].body_len &&
                         memcmp(body, genuine[gi].body, body_len) == 0,
                     "only the genuine body verifies");
        if (ph_gateway_payload_kind(g) == PH_PAYLOAD_FORM)
            check_covered_fields(gi, &r);
        /* A form's strings are its decoded fields, in scratch->data. */
        if (ph_gateway_payload_kind(g) == PH_PAYLOAD_FORM)
            fz_sink_init(&ctx, s.data, s.data_used, &s, 0);
        else
            fz_sink_init(&ctx, r.payload, r.payload_len, &s, 0);
        st = ph_gateway_parse(keys[gi], &r, &o, &fz_sink, &ctx, &s, &root,
                              &err);
        fz_check_error(st, &err, NULL, 0);
        if (st == PH_OK) {
            FZ_CHECK(ph_gateway_event_id(&r, id, &id_len, &found, &err) ==
                             PH_OK ||
                         err.status == PH_ERR_DECODE,
                     "event id");
            FZ_CHECK(!found || id_len <= PH_EVENT_ID_MAX, "id length");
            st = ph_gateway_expect(&r, &path, &value, 1, &err);
            FZ_CHECK(st == PH_OK || st == PH_ERR_MISMATCH, "expect");
        }
        fz_sink_free(&ctx, root);
        FZ_CHECK(ctx.live == 0, "every handle came back");
    }
    ph_scratch_free(&s);
    return 0;
}
