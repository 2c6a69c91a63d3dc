/* Inside the gateway pipeline: what a gateway description is, what a
 * prepared key holds, and the helpers the descriptions share.  A gateway is
 * one `const ph_gateway` in its own csrc/gw_*.c file, listed once in
 * gateway.c; the pipeline drives every one through the same steps. */
#ifndef PAYHOOK_GATEWAY_H
#define PAYHOOK_GATEWAY_H

#include <openssl/evp.h>

#include "internal.h"
#include "mac_key.h"

/* The kind of key a gateway takes, which decides how ph_gateway_key_new
 * checks and prepares it. */
typedef enum ph_key_kind {
    PH_KEY_JWT_HS256,  /* text, HMAC-SHA256 JWT (LeanX, 2C2P)        */
    PH_KEY_AES256,     /* 32 bytes, IV = MD5(key) (SuperPay)          */
    PH_KEY_HMAC_TEXT,  /* text, used as its bytes (Stripe, Razorpay)  */
    PH_KEY_HMAC_WHSEC, /* whsec_ + base64 of 24..64 bytes (Std. WH)   */
    PH_KEY_RSA_PUBLIC, /* PEM RSA public key (CHIP)                   */
    PH_KEY_SECRET_TEXT /* text kept as bytes: it also prefixes the hashed
                          string (the forms)                          */
} ph_key_kind;

/* Prepared HMAC keys, one per key of a rotation; never written after
 * they are made, so threads may share the set. */
typedef struct ph_hmac_keys {
    ph_digest digest;
    size_t n;
    ph_mac_key *key[PH_MAX_KEYS];
} ph_hmac_keys;

size_t ph_digest_len(ph_digest d);
ph_status ph_hmac_keys_new(ph_digest digest, const unsigned char *const *keys,
                           const size_t *key_lens, size_t nkeys,
                           ph_hmac_keys *out, ph_error *err);
void ph_hmac_keys_free(ph_hmac_keys *k);
/* PH_OK when the MAC of the parts under any key equals any of the `nsigs`
 * candidates (each ph_digest_len bytes, back to back), else
 * PH_ERR_SIGNATURE.  Constant time in which key and candidate match. */
/* The MAC of the parts under the first key (for signing). */
ph_status ph_hmac_keys_mac(const ph_hmac_keys *k, const ph_str *parts,
                           size_t nparts, unsigned char *out, size_t *out_len,
                           ph_error *err);
/* The MAC of the parts under key `i` (a form gateway tries each key). */
ph_status ph_hmac_keys_mac_at(const ph_hmac_keys *k, size_t i,
                              const ph_str *parts, size_t nparts,
                              unsigned char *out, size_t *out_len,
                              ph_error *err);
ph_status ph_hmac_keys_match(const ph_hmac_keys *k, const ph_str *parts,
                             size_t nparts, const unsigned char *sigs,
                             size_t nsigs, ph_error *err);

struct ph_gateway_key {
    const ph_gateway *gateway;
    ph_jwt_verifier *jwt;         /* PH_KEY_JWT_HS256  */
    ph_claims claims;             /* its claim checks; now/leeway per call */
    ph_superpay_key *aes;         /* PH_KEY_AES256     */
    ph_hmac_keys hmac;            /* PH_KEY_HMAC_*     */
    ph_rsa_key *rsa[PH_MAX_KEYS]; /* PH_KEY_RSA_PUBLIC */
    size_t n_rsa;
    unsigned char *secret[PH_MAX_KEYS]; /* PH_KEY_SECRET_TEXT */
    size_t secret_len[PH_MAX_KEYS];
    size_t n_secret;
    /* MD5, fetched once for the key (PH_KEY_SECRET_TEXT; NULL where the
     * provider has none): an implicit fetch per digest cost more than
     * hashing the whole form. */
    EVP_MD *md5;
};

/* Where the event id comes from: a header, or up to three payload fields
 * (dotted paths) joined with ':'.  Several recipes are tried in order; the
 * first whose fields are all there gives the id (LeanX payouts and
 * collections put the invoice at different depths). */
#define PH_EVENT_RECIPES 4
#define PH_EVENT_FIELDS  3

typedef struct ph_event_recipe {
    const char *fields[PH_EVENT_FIELDS]; /* NULL-terminated */
} ph_event_recipe;

/* A signed-form scheme (form_gateway.c drives it): which field holds the
 * signature, which fields must be there, and the digest of a form under
 * key `i` of `k` (k->secret[i], and with `hmac` also k->hmac's prepared
 * key i), which the verifier compares and the signer writes. */
typedef struct ph_form_scheme {
    const char *signature;          /* the field, flattened              */
    const char *redirect_signature; /* the redirect's, or NULL           */
    const char *const *required;    /* NULL-terminated                   */
    size_t digest_len;
    /* Non-zero: the digest is an HMAC (the gateway's `digest`) keyed with
     * the secret, so the key prepares it once rather than per call. */
    int hmac;
    ph_status (*digest)(const ph_gateway_key *k, size_t i, const ph_result *r,
                        ph_scratch *s, unsigned char *out, ph_error *err);
    /* The redirect's signature field name as it is sent (for sign), raw
     * and percent-encoded. */
    const char *redirect_sent_as;
    const char *redirect_sent_encoded;
    /* What to answer for this callback (Fiuu's depends on nbcb); NULL:
     * the gateway's reply. */
    ph_status (*reply)(const ph_request *rq, ph_scratch *s, ph_result *r,
                       ph_error *err);
} ph_form_scheme;

struct ph_gateway {
    const char *name;  /* "stripe": the module name in bindings */
    const char *title; /* "Stripe": for messages and docs        */
    ph_key_kind key_kind;
    ph_digest digest; /* HMAC or RSA digest                     */
    int covers;       /* PH_COVERS_*                            */
    int payload_kind; /* PH_PAYLOAD_*                           */
    /* PH_COVERS_FIELDS: whether the signature covers form field `name`. */
    int (*covers_field)(const char *name, size_t len);
    double tolerance;      /* > 0: a timestamp is signed; default    */
    const char *id_header; /* the event id's header, or NULL         */
    ph_event_recipe event[PH_EVENT_RECIPES];
    ph_reply reply;

    /* Find the signed parts and authenticate them; set r->payload (and
     * r->timestamp, r->id_header where the scheme has them).  The size
     * limit and the timestamp window are the pipeline's. */
    ph_status (*authenticate)(const ph_gateway_key *k, const ph_request *rq,
                              ph_scratch *s, ph_result *r, ph_error *err);
    /* Parse the payload; NULL: a strict JSON object. */
    ph_status (*parse)(const ph_gateway_key *k, const ph_result *r,
                       const ph_options *o, const ph_json_sink *sink,
                       void *ctx, ph_scratch *s, void **root, ph_error *err);
    /* Build a genuine callback from in->payload (for tests). */
    ph_status (*sign)(const ph_gateway *g, const ph_sign_input *in,
                      ph_signed *out, ph_error *err);
    const ph_form_scheme *form; /* the form gateways' scheme          */
};

/* The one header named `name` (lower case) in the request.  PH_OK with
 * the value; PH_ERR_MISSING_SIGNATURE when absent or empty (if
 * `required`; otherwise PH_OK with *value NULL); PH_ERR_DECODE when it
 * occurs more than once. */
ph_status ph_request_header(const ph_request *rq, const char *name,
                            int required, const char **value, size_t *len,
                            ph_error *err);

/* The value at a dotted member path of JSON text that has already been
 * parsed successfully (so it is known to be valid): its type (PH_JT_*),
 * and for a string its decoded bytes, for a number its literal, written
 * to `buf` (at most `cap` bytes; a longer value is *len = cap + 1).
 * Duplicate names: the last one, as the parser's object gets it.  0 when
 * the path is absent. */
int ph_json_pick(const char *json, size_t len, const char *path,
                 size_t path_len, int *type, char *buf, size_t cap,
                 size_t *out_len);

/* Several paths at once, in one walk of the text: for each spot, where the
 * value at its path starts (the last of repeated names, as above), or NULL
 * when the path is absent.  At most PH_JSON_SPOTS_MAX spots; 0 when there
 * are more, or the text ends early. */
#define PH_JSON_SPOTS_MAX 8
typedef struct ph_json_spot {
    const char *path; /* a dotted member path                      */
    size_t path_len;
    const unsigned char *at; /* out: the value's first byte, or NULL */
} ph_json_spot;

int ph_json_locate(const char *json, size_t len, ph_json_spot *spots,
                   size_t n);

/* The value that starts at `at` (from ph_json_locate), read as
 * ph_json_pick reads it; 0 when `at` is NULL. */
int ph_json_read_at(const char *json, size_t len, const unsigned char *at,
                    int *type, char *buf, size_t cap, size_t *out_len);

/* Helpers for the sign steps: a body or header value assembled from
 * pieces, kept in out->store; a random event id. */
ph_status ph_signed_add_header(ph_signed *out, const char *name,
                               const char *value, size_t len, ph_error *err);
ph_status ph_signed_set_body(ph_signed *out, const char *const *parts,
                             const size_t *lens, size_t nparts, ph_error *err);
ph_status ph_random_id(const char *prefix, char *buf, size_t cap, size_t *len,
                       ph_error *err);

/* ph_form_parse, then bracketed names flattened (billplz[id] is
 * billplzid; anything but word[word]... with brackets is PH_ERR_DECODE)
 * and checked for repeats again. */
ph_status ph_form_parse_flat(const char *text, size_t len, ph_scratch *s,
                             const ph_form_field **fields, size_t *n,
                             ph_error *err);

/* The steps the form gateways share (form_gateway.c). */
/* The request's form (the body, or the query when the body is empty)
 * into r->fields (the pipeline has checked the size of either). */
ph_status ph_form_open(const ph_request *rq, ph_scratch *s, ph_result *r,
                       ph_error *err);
/* Whether `name` is one of the NULL-terminated `names` (the fields a
 * form scheme signs: its covers_field). */
int ph_name_listed(const char *const *names, const char *name, size_t len);
/* The field with this (flattened) name, or NULL. */
const ph_form_field *ph_form_get(const ph_result *r, const char *name,
                                 size_t len);
/* Every named field present (PH_ERR_DECODE naming the first absent). */
ph_status ph_form_require(const ph_result *r, const char *const *names,
                          ph_error *err);
/* The signature field: absent or empty is PH_ERR_MISSING_SIGNATURE, not
 * exactly lower-case hex of `n` bytes is PH_ERR_DECODE. */
ph_status ph_form_signature(const ph_result *r, const char *name,
                            unsigned char *out, size_t n, ph_error *err);
/* The concatenation of the named fields' values (absent ones add
 * nothing), after `prefix` and before `suffix`, into scratch->text. */
ph_status ph_form_concat(const ph_result *r, ph_scratch *s,
                         const unsigned char *prefix, size_t prefix_len,
                         const char *const *names, const char *suffix,
                         ph_str *out, ph_error *err);
/* The most names one ph_form_concat joins (PH_ERR_ARGUMENT past it). */
#define PH_FORM_CONCAT_MAX 16
/* MD5 of the parts with the key's fetched MD5 (Fiuu, senangPay's MD5
 * setting, toyyibPay). */
ph_status ph_md5_parts(const ph_gateway_key *k, const ph_str *parts, size_t n,
                       unsigned char out[16], ph_error *err);
/* The form's fields into the sink as an object of strings. */
ph_status ph_form_to_sink(const ph_result *r, const ph_json_sink *sink,
                          void *ctx, void **root, ph_error *err);
/* The authenticate, parse and sign steps of every form gateway: its
 * ph_form_scheme says what differs. */
ph_status ph_form_authenticate(const ph_gateway_key *k, const ph_request *rq,
                               ph_scratch *s, ph_result *r, ph_error *err);
ph_status ph_form_parse_step(const ph_gateway_key *k, const ph_result *r,
                             const ph_options *o, const ph_json_sink *sink,
                             void *ctx, ph_scratch *s, void **root,
                             ph_error *err);
ph_status ph_form_sign(const ph_gateway *g, const ph_sign_input *in,
                       ph_signed *out, ph_error *err);

/* Strict lower-case hex of exactly `n` bytes into out (PH_ERR_DECODE). */
ph_status ph_lower_hex_decode(const char *in, size_t len, unsigned char *out,
                              size_t n);

/* The gateways, in gw_*.c. */
extern const ph_gateway ph_gw_leanx, ph_gw_superpay, ph_gw_twoc2p,
    ph_gw_standardwebhooks, ph_gw_stripe, ph_gw_razorpay, ph_gw_chip,
    ph_gw_chip_send, ph_gw_billplz, ph_gw_fiuu, ph_gw_senangpay,
    ph_gw_senangpay_md5, ph_gw_toyyibpay;

/* Shared steps of the JWT gateways (gw_leanx.c): verify the token that
 * `find_token` takes out of the body, parse with the claims. */
ph_status ph_jwt_gateway_authenticate(const ph_gateway_key *k,
                                      const char *token, size_t len,
                                      ph_scratch *s, ph_result *r,
                                      ph_error *err);
ph_status ph_jwt_gateway_parse(const ph_gateway_key *k, const ph_result *r,
                               const ph_options *o, const ph_json_sink *sink,
                               void *ctx, ph_scratch *s, void **root,
                               ph_error *err);
ph_status ph_jwt_gateway_sign(const ph_sign_input *in, const char *member,
                              const char *extra, ph_signed *out,
                              ph_error *err);

#endif
