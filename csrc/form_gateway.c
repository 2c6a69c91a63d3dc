/* What the signed-form gateways (Billplz, Fiuu, senangPay, toyyibPay)
 * share: the form taken from the body or the query, fields by name, the
 * signature field, the concatenated string they hash, the payload as an
 * object of strings, and signed test bodies. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gateway.h"

ph_status ph_form_open(const ph_request *rq, ph_scratch *s, ph_result *r,
                       ph_error *err)
{
    /* A POST's form is its body; a redirect's is its query.  A non-empty
     * body wins: a callback URL may carry the merchant's own query. */
    const char *text = rq->body;
    size_t len = rq->body_len;

    if (len == 0 && rq->query != NULL) {
        text = rq->query;
        len = rq->query_len;
    }
    return ph_form_parse_flat(text, len, s, &r->fields, &r->n_fields, err);
}

int ph_name_listed(const char *const *names, const char *name, size_t len)
{
    size_t i;

    for (i = 0; names[i] != NULL; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return 1;
    return 0;
}

const ph_form_field *ph_form_get(const ph_result *r, const char *name,
                                 size_t len)
{
    size_t i;

    /* Names are short and differ early: the first byte before memcmp. */
    for (i = 0; i < r->n_fields; i++)
        if (r->fields[i].name.len == len &&
            (len == 0 || r->fields[i].name.ptr[0] == name[0]) &&
            memcmp(r->fields[i].name.ptr, name, len) == 0)
            return &r->fields[i];
    return NULL;
}

ph_status ph_form_require(const ph_result *r, const char *const *names,
                          ph_error *err)
{
    size_t i;

    for (i = 0; names[i] != NULL; i++)
        if (ph_form_get(r, names[i], strlen(names[i])) == NULL)
            return ph_fail(err, PH_ERR_DECODE,
                           "the %s form has no \"%s\" field",
                           r->gateway->title, names[i]);
    return PH_OK;
}

ph_status ph_form_signature(const ph_result *r, const char *name,
                            unsigned char *out, size_t n, ph_error *err)
{
    const ph_form_field *f = ph_form_get(r, name, strlen(name));

    if (f == NULL || f->value.len == 0)
        return ph_fail(err, PH_ERR_MISSING_SIGNATURE,
                       "the %s field is missing or empty", name);
    if (ph_lower_hex_decode(f->value.ptr, f->value.len, out, n) != PH_OK)
        return ph_fail(err, PH_ERR_DECODE,
                       "the %s field must be %zu lower-case hex digits", name,
                       2 * n);
    return PH_OK;
}

ph_status ph_form_concat(const ph_result *r, ph_scratch *s,
                         const unsigned char *prefix, size_t prefix_len,
                         const char *const *names, const char *suffix,
                         ph_str *out, ph_error *err)
{
    /* Each field looked up once: the lengths, then the copies. */
    const ph_form_field *got[PH_FORM_CONCAT_MAX];
    size_t total = prefix_len + strlen(suffix), i, at;
    unsigned char *buf;

    for (i = 0; names[i] != NULL; i++) {
        if (i == PH_FORM_CONCAT_MAX)
            return ph_fail(err, PH_ERR_ARGUMENT, "too many signed fields");
        got[i] = ph_form_get(r, names[i], strlen(names[i]));
        total += got[i] != NULL ? got[i]->value.len : 0;
    }
    if ((buf = ph_scratch_text(s, total + 1, err)) == NULL)
        return PH_ERR_MEMORY;
    if (prefix_len > 0)
        memcpy(buf, prefix, prefix_len);
    at = prefix_len;
    for (i = 0; names[i] != NULL; i++) {
        const ph_form_field *f = got[i];
        if (f != NULL && f->value.len > 0) {
            memcpy(buf + at, f->value.ptr, f->value.len);
            at += f->value.len;
        }
    }
    memcpy(buf + at, suffix, strlen(suffix));
    out->ptr = (const char *)buf;
    out->len = total;
    return PH_OK;
}

ph_status ph_md5_parts(const ph_gateway_key *k, const ph_str *parts, size_t n,
                       unsigned char out[16], ph_error *err)
{
    EVP_MD_CTX *md = k->md5 != NULL ? EVP_MD_CTX_new() : NULL;
    unsigned int len = 0;
    int ok = md != NULL && EVP_DigestInit_ex2(md, k->md5, NULL);
    size_t i;

    for (i = 0; ok && i < n; i++)
        ok = parts[i].len == 0 ||
             EVP_DigestUpdate(md, parts[i].ptr, parts[i].len);
    ok = ok && EVP_DigestFinal_ex(md, out, &len) && len == 16;
    EVP_MD_CTX_free(md);
    if (!ok) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "MD5 is not available");
    }
    return PH_OK;
}

static int all_ascii(const ph_str *s)
{
    return ph_ascii_run((const unsigned char *)s->ptr, s->len) == s->len;
}

ph_status ph_form_to_sink(const ph_result *r, const ph_json_sink *sink,
                          void *ctx, void **root, ph_error *err)
{
    void *obj = sink->new_object(ctx);
    size_t i;

    *root = NULL;
    if (obj == NULL)
        return ph_fail(err, PH_ERR_SINK, "the value could not be built");
    for (i = 0; i < r->n_fields; i++) {
        const ph_form_field *f = &r->fields[i];
        void *key = sink->string(ctx, f->name.ptr, f->name.len,
                                 all_ascii(&f->name), 1);
        void *value = key != NULL
                          ? sink->string(ctx, f->value.ptr, f->value.len,
                                         all_ascii(&f->value), 0)
                          : NULL;
        if (value == NULL) {
            if (key != NULL)
                sink->discard(ctx, key);
            sink->discard(ctx, obj);
            return ph_fail(err, PH_ERR_SINK, "the value could not be built");
        }
        /* object_set takes the key and value whatever it returns. */
        if (sink->object_set(ctx, obj, key, value) != 0) {
            sink->discard(ctx, obj);
            return ph_fail(err, PH_ERR_SINK, "the value could not be built");
        }
    }
    /* Closed as the parser closes an object: a sink may build the value
     * only now (Lua does). */
    if (sink->end_object != NULL &&
        sink->end_object(ctx, obj, r->n_fields) != 0) {
        sink->discard(ctx, obj);
        return ph_fail(err, PH_ERR_SINK, "the value could not be built");
    }
    *root = obj;
    return PH_OK;
}

/* The signature field of this form: the callback's, or the redirect's. */
static const char *signature_name(const ph_form_scheme *f, const ph_result *r)
{
    if (f->redirect_signature != NULL &&
        ph_form_get(r, f->redirect_signature, strlen(f->redirect_signature)) !=
            NULL)
        return f->redirect_signature;
    return f->signature;
}

#define MAX_DIGEST 64

/* A '[' in the form's text, raw or as %5B. */
static int has_bracket(const char *p, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (p[i] == '[' || (p[i] == '%' && i + 2 < len && p[i + 1] == '5' &&
                            (p[i + 2] == 'B' || p[i + 2] == 'b')))
            return 1;
    return 0;
}

ph_status ph_form_authenticate(const ph_gateway_key *k, const ph_request *rq,
                               ph_scratch *s, ph_result *r, ph_error *err)
{
    const ph_form_scheme *f = k->gateway->form;
    unsigned char sig[MAX_DIGEST], mine[MAX_DIGEST];
    const char *sig_name;
    int match = 0;
    size_t i;
    ph_status st;

    if ((st = ph_form_open(rq, s, r, err)) != PH_OK)
        return st;
    sig_name = signature_name(f, r);
    /* The order: the signature's presence, the fields it needs, its form,
     * and only then the comparison. */
    if ((st = ph_form_signature(r, sig_name, sig, 0, NULL)) ==
        PH_ERR_MISSING_SIGNATURE)
        return ph_form_signature(r, sig_name, sig, 0, err);
    if ((st = ph_form_require(r, f->required, err)) != PH_OK ||
        (st = ph_form_signature(r, sig_name, sig, f->digest_len, err)) !=
            PH_OK)
        return st;
    /* Every key is tried, so the time does not say which one matched. */
    for (i = 0; i < k->n_secret; i++) {
        if ((st = f->digest(k, i, r, s, mine, err)) != PH_OK) {
            OPENSSL_cleanse(mine, sizeof mine);
            return st;
        }
        match |= CRYPTO_memcmp(mine, sig, f->digest_len) == 0;
    }
    OPENSSL_cleanse(mine, sizeof mine);
    if (!match)
        return ph_fail(err, PH_ERR_SIGNATURE, "signature verification failed");
    if (f->reply != NULL)
        return f->reply(rq, s, r, err);
    return PH_OK;
}

ph_status ph_form_parse_step(const ph_gateway_key *k, const ph_result *r,
                             const ph_options *o, const ph_json_sink *sink,
                             void *ctx, ph_scratch *s, void **root,
                             ph_error *err)
{
    (void)k;
    (void)o;
    (void)s;
    return ph_form_to_sink(r, sink, ctx, root, err);
}

ph_status ph_form_sign(const ph_gateway *g, const ph_sign_input *in,
                       ph_signed *out, ph_error *err)
{
    const ph_form_scheme *f = g->form;
    ph_scratch s = PH_SCRATCH_INIT;
    ph_gateway_key *key = NULL;
    unsigned char digest[MAX_DIGEST];
    char field[80], hex[2 * MAX_DIGEST];
    const char *parts[5], *name;
    size_t lens[5];
    ph_result r;
    ph_status st;

    memset(&r, 0, sizeof r);
    r.gateway = g;
    st = ph_form_parse_flat(in->payload, in->payload_len, &s, &r.fields,
                            &r.n_fields, err);
    if (st == PH_OK &&
        (ph_form_get(&r, f->signature, strlen(f->signature)) != NULL ||
         (f->redirect_signature != NULL &&
          ph_form_get(&r, f->redirect_signature,
                      strlen(f->redirect_signature)) != NULL)))
        st = ph_fail(err, PH_ERR_ARGUMENT,
                     "the payload already has a %s field", f->signature);
    /* The signer's key, prepared as the verifier's is. */
    if (st == PH_OK)
        st = ph_gateway_key_new(g, &in->key, &in->key_len, 1, &key, err);
    if (st == PH_OK)
        st = f->digest(key, 0, &r, &s, digest, err);
    ph_gateway_key_free(key);
    if (st == PH_OK) {
        /* A redirect (its fields bracketed, billplz[...]) is signed in
         * the same brackets. */
        int redirect = f->redirect_sent_as != NULL &&
                       has_bracket(in->payload, in->payload_len);
        name = redirect ? f->redirect_sent_as : f->signature;
        /* In the brackets' own spelling: raw, or as %5B...%5D. */
        if (redirect && memchr(in->payload, '[', in->payload_len) == NULL)
            name = f->redirect_sent_encoded;
        if (strlen(name) + 1 >= sizeof field) {
            st = ph_fail(err, PH_ERR_ARGUMENT, "field name too long");
        } else {
            ph_hex_encode(digest, f->digest_len, hex);
            memcpy(field, name, strlen(name));
            field[strlen(name)] = '=';
            parts[0] = in->payload;
            lens[0] = in->payload_len;
            parts[1] = "&";
            lens[1] = in->payload_len > 0 ? 1 : 0;
            parts[2] = field;
            lens[2] = strlen(name) + 1;
            parts[3] = hex;
            lens[3] = 2 * f->digest_len;
            st = ph_signed_set_body(out, parts, lens, 4, err);
        }
    }
    OPENSSL_cleanse(digest, sizeof digest);
    ph_scratch_free(&s);
    return st;
}
