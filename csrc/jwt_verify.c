/* JWS compact verification for HS256 / HS384 / HS512. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "internal.h"
#include "jwt_internal.h"

struct ph_jwt_verifier {
    unsigned algorithms;
    size_t nkeys;
    unsigned char *keys[PH_MAX_KEYS];
    size_t key_lens[PH_MAX_KEYS];
    /* One prepared HMAC key per key and allowed algorithm, made once and
     * never written after, so the verifier may be shared by threads. */
    ph_mac_key *mac[PH_MAX_KEYS][PH_ALG_COUNT];
};

void ph_jwt_verifier_free(ph_jwt_verifier *v)
{
    size_t i, a;

    if (v == NULL)
        return;
    for (i = 0; i < v->nkeys; i++) {
        for (a = 0; a < PH_ALG_COUNT; a++)
            ph_mac_key_free(v->mac[i][a]); /* wipes the key's states */
        ph_free(v->keys[i], v->key_lens[i]);
    }
    OPENSSL_cleanse(v, sizeof *v);
    free(v);
}

ph_status ph_jwt_verifier_new(const unsigned char *const *keys,
                              const size_t *key_lens, size_t nkeys,
                              unsigned algorithms, ph_jwt_verifier **out,
                              ph_error *err)
{
    ph_jwt_verifier *v;
    ph_status st = PH_OK;
    size_t i, a;

    *out = NULL;
    if (nkeys == 0 || nkeys > PH_MAX_KEYS)
        return ph_fail(err, PH_ERR_KEY, "between 1 and %d keys are needed",
                       PH_MAX_KEYS);
    for (i = 0; i < nkeys; i++)
        if (key_lens[i] == 0)
            return ph_fail(err, PH_ERR_KEY, "the key is empty");
    if (algorithms == 0 || (algorithms & ~PH_ALG_ALL) != 0)
        return ph_fail(err, PH_ERR_ARGUMENT,
                       "algorithms must be a non-empty subset of HS256, "
                       "HS384, HS512");
    if ((v = calloc(1, sizeof *v)) == NULL)
        return ph_fail(err, PH_ERR_MEMORY, "out of memory");
    v->algorithms = algorithms;
    for (i = 0; i < nkeys; i++) {
        if ((v->keys[i] = malloc(key_lens[i])) == NULL) {
            st = ph_fail(err, PH_ERR_MEMORY, "out of memory");
            goto done;
        }
        memcpy(v->keys[i], keys[i], key_lens[i]);
        v->key_lens[i] = key_lens[i];
        v->nkeys = i + 1;
        for (a = 0; a < PH_ALG_COUNT && st == PH_OK; a++)
            if (algorithms & ph_alg_info[a].bit)
                st = ph_mac_key_new(ph_alg_info[a].hash, keys[i], key_lens[i],
                                    &v->mac[i][a], err);
        if (st != PH_OK)
            goto done;
    }
done:
    if (st != PH_OK) {
        ph_clear_openssl_errors();
        ph_jwt_verifier_free(v);
        return st;
    }
    *out = v;
    return PH_OK;
}

/* What the header check collects.  Names point into the decoded header or
 * the parse's text area, both stable until the scratch is used again. */
#define MAX_HEADER_MEMBERS 32

typedef struct header_scan {
    ph_str names[MAX_HEADER_MEMBERS];
    size_t count;
    int duplicate, too_many, kid_bad;
    const char *forbidden; /* crit, b64 or enc: the first one seen */
    int current;           /* 1 alg, 2 kid, 0 other */
    int alg_type;          /* PH_JT_* of alg, -1 when absent */
    const char *alg;
    size_t alg_len;
} header_scan;

static int header_member(void *hctx, const char *name, size_t len)
{
    header_scan *h = hctx;
    size_t i;

    for (i = 0; i < h->count; i++)
        if (h->names[i].len == len && memcmp(h->names[i].ptr, name, len) == 0)
            h->duplicate = 1;
    if (h->count < MAX_HEADER_MEMBERS) {
        h->names[h->count].ptr = name;
        h->names[h->count].len = len;
        h->count++;
    } else {
        h->too_many = 1;
    }
    /* crit (RFC 7515 4.1.11) would oblige us to understand extensions we
     * do not implement; b64 (RFC 7797) changes what is signed; enc marks
     * a JWE.  None of them belongs in an HS256 callback. */
    if (h->forbidden == NULL) {
        if (len == 4 && memcmp(name, "crit", 4) == 0)
            h->forbidden = "crit";
        else if (len == 3 && memcmp(name, "b64", 3) == 0)
            h->forbidden = "b64";
        else if (len == 3 && memcmp(name, "enc", 3) == 0)
            h->forbidden = "enc";
    }
    h->current = 0;
    if (len == 3 && memcmp(name, "alg", 3) == 0)
        h->current = 1;
    else if (len == 3 && memcmp(name, "kid", 3) == 0)
        h->current = 2;
    return h->current != 0;
}

static void header_value(void *hctx, int type, const char *text, size_t len,
                         int truthy)
{
    header_scan *h = hctx;

    (void)truthy;
    if (h->current == 1) {
        h->alg_type = type;
        h->alg = text;
        h->alg_len = len;
    } else if (h->current == 2 && type != PH_JT_STRING) {
        h->kid_bad = 1;
    }
}

/* "<what> is not a JSON object" or the JSON error, as PyJWT words it
 * ("Invalid header string: ...", "Invalid payload string: ...").  The
 * message of a JSON error holds only a byte offset and fixed text. */
ph_status ph_jwt_json_failure(const char *json, size_t len, const char *what,
                              ph_error *err)
{
    char detail[PH_MESSAGE_SIZE];
    size_t i = 0;

    while (i < len && ph_is_json_space((unsigned char)json[i]))
        i++;
    if (i == len || json[i] != '{')
        return ph_fail(err, PH_ERR_DECODE,
                       "Invalid %s string: must be a json object", what);
    if (err == NULL)
        return PH_ERR_DECODE;
    memcpy(detail, err->message, sizeof detail);
    return ph_fail(err, PH_ERR_DECODE, "Invalid %s string: %s", what, detail);
}

/* Parse the decoded header and collect what the rules need.  Only a
 * header that is not one JSON object fails here; what the rules find is
 * reported by header_rules, after the other segments are decoded (the
 * order in which PyJWT reports them). */
static ph_status scan_header(const char *json, size_t len, ph_scratch *s,
                             header_scan *h, ph_error *err)
{
    ph_top_hook hook = { header_member, header_value, NULL, h };
    void *root;
    ph_status st;

    memset(h, 0, sizeof *h);
    h->alg_type = -1;
    st = ph_json_parse_hooked(json, len, NULL, NULL, &hook, s, &root, err);
    if (st == PH_ERR_DECODE)
        return ph_jwt_json_failure(json, len, "header", err);
    return st;
}

/* The header rules payhook adds to PyJWT's (duplicates, crit/b64/enc),
 * and the kid rule it shares; each message says which rule it is. */
static ph_status header_rules(const header_scan *h, ph_error *err)
{
    if (h->too_many)
        return ph_fail(err, PH_ERR_DECODE,
                       "Invalid header string: more than %d members",
                       MAX_HEADER_MEMBERS);
    if (h->duplicate)
        return ph_fail(err, PH_ERR_DECODE,
                       "Invalid header string: a member name appears twice "
                       "(duplicate header names are refused)");
    if (h->kid_bad)
        return ph_fail(err, PH_ERR_DECODE,
                       "Key ID header parameter must be a string");
    if (h->forbidden != NULL)
        return ph_fail(
            err, PH_ERR_DECODE,
            "Unsupported header parameter \"%s\": crit, b64 and enc "
            "are refused (JWS extensions, detached payloads, JWE)",
            h->forbidden);
    return PH_OK;
}

/* A segment ph_b64url_decode refused: PyJWT's "Invalid <name> padding",
 * or, when the segment is canonical base64url with '=' padding added
 * (which PyJWT takes), why payhook does not.  `tmp` holds at least
 * ph_b64url_decoded_len(len) bytes. */
static ph_status segment_failure(const char *seg, size_t len, const char *name,
                                 unsigned char *tmp, ph_error *err)
{
    size_t stripped = len, pad = 0, out_len;

    if (len >= 3 && memcmp(seg, "\xef\xbb\xbf", 3) == 0)
        return ph_fail(err, PH_ERR_DECODE,
                       "Invalid %s padding: it starts with a UTF-8 byte order "
                       "mark",
                       name);
    while (stripped > 0 && seg[stripped - 1] == '=' && pad < 2) {
        stripped--;
        pad++;
    }
    if (pad > 0 && len % 4 == 0 && stripped % 4 != 0 &&
        ph_b64url_decode(seg, stripped, tmp, &out_len) == PH_OK)
        return ph_fail(err, PH_ERR_DECODE,
                       "Invalid %s padding: '=' padding is refused, a JWS "
                       "segment is base64url without it (RFC 7515)",
                       name);
    return ph_fail(err, PH_ERR_DECODE, "Invalid %s padding", name);
}

/* HMAC of `msg` with every key, compared in constant time with `sig`.
 * Every key is tried even after a match, so the time does not say which
 * key matched. */
static ph_status check_mac(const ph_jwt_verifier *v, size_t alg_index,
                           const char *msg, size_t len,
                           const unsigned char *sig, size_t sig_len,
                           ph_error *err)
{
    unsigned char mac[64];
    size_t i, want = ph_alg_info[alg_index].digest_len;
    ph_str whole;
    int match = 0, failed = 0;

    if (sig_len != want)
        return ph_fail(err, PH_ERR_SIGNATURE, "Signature verification failed");
    whole.ptr = msg;
    whole.len = len;
    for (i = 0; i < v->nkeys && !failed; i++) {
        failed = !ph_mac_key_compute(v->mac[i][alg_index], &whole, 1, mac);
        if (!failed)
            match |= CRYPTO_memcmp(mac, sig, want) == 0;
    }
    OPENSSL_cleanse(mac, sizeof mac);
    if (failed) {
        ph_clear_openssl_errors();
        return ph_fail(err, PH_ERR_CRYPTO, "HMAC computation failed");
    }
    if (!match)
        return ph_fail(err, PH_ERR_SIGNATURE, "Signature verification failed");
    return PH_OK;
}

/* Split, decode and scan a token, in PyJWT's order: the segments, the
 * header's base64url and JSON, the payload's and the signature's
 * base64url, then the header rules.  The decoded parts go to
 * scratch->data; *signing_len is the length of "<header>.<payload>". */
static ph_status read_token(const char *token, size_t len, size_t max_bytes,
                            ph_scratch *s, ph_jws_parts *parts, header_scan *h,
                            size_t *signing_len, ph_error *err)
{
    const char *dot1, *dot2, *pl, *sg;
    size_t hdr_len, pl_len, sg_len, raw_hdr, raw_pl, raw_sg;
    unsigned char *buf;
    ph_status st;

    memset(parts, 0, sizeof *parts);
    if (len > max_bytes)
        return ph_fail(err, PH_ERR_TOO_LARGE,
                       "token is longer than the limit of %zu bytes",
                       max_bytes);
    /* The token is taken exactly as given, as PyJWT takes it: whitespace
     * around it is not part of any segment, so it fails the header's
     * base64url.  One token, one accepted byte string (a deny-list keyed
     * on the raw token cannot be stepped around).  LeanX bodies trim
     * their own whitespace before the token gets here. */
    dot1 = memchr(token, '.', len);
    dot2 =
        dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (dot1 == NULL || dot2 == NULL)
        return ph_fail(err, PH_ERR_DECODE, "Not enough segments");
    if (memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
        return ph_fail(err, PH_ERR_DECODE,
                       "Too many segments: a compact JWS has three");
    hdr_len = (size_t)(dot1 - token);
    pl = dot1 + 1;
    pl_len = (size_t)(dot2 - pl);
    sg = dot2 + 1;
    sg_len = len - (size_t)(sg - token);
    raw_hdr = ph_b64url_decoded_len(hdr_len);
    raw_pl = ph_b64url_decoded_len(pl_len);
    raw_sg = ph_b64url_decoded_len(sg_len);
    if ((buf = ph_scratch_data(s, raw_hdr + raw_pl + raw_sg, err)) == NULL)
        return PH_ERR_MEMORY;
    if (ph_b64url_decode(token, hdr_len, buf, &raw_hdr) != PH_OK)
        return segment_failure(token, hdr_len, "header", buf, err);
    if ((st = scan_header((const char *)buf, raw_hdr, s, h, err)) != PH_OK)
        return st;
    if (ph_b64url_decode(pl, pl_len, buf + raw_hdr, &raw_pl) != PH_OK)
        return segment_failure(pl, pl_len, "payload", buf + raw_hdr, err);
    if (ph_b64url_decode(sg, sg_len, buf + raw_hdr + raw_pl, &raw_sg) != PH_OK)
        return segment_failure(sg, sg_len, "crypto", buf + raw_hdr + raw_pl,
                               err);
    if ((st = header_rules(h, err)) != PH_OK)
        return st;
    parts->header = (const char *)buf;
    parts->header_len = raw_hdr;
    parts->payload = (const char *)buf + raw_hdr;
    parts->payload_len = raw_pl;
    parts->signature = buf + raw_hdr + raw_pl;
    parts->signature_len = raw_sg;
    *signing_len = (size_t)(dot2 - token);
    return PH_OK;
}

ph_status ph_jwt_read_header(const char *token, size_t len, size_t max_bytes,
                             ph_scratch *s, const char **header,
                             size_t *header_len, ph_error *err)
{
    ph_jws_parts parts;
    header_scan h;
    size_t signing_len;
    ph_status st;

    *header = NULL;
    *header_len = 0;
    if ((st = read_token(token, len, max_bytes, s, &parts, &h, &signing_len,
                         err)) != PH_OK)
        return st;
    *header = parts.header;
    *header_len = parts.header_len;
    return PH_OK;
}

ph_status ph_jwt_verify_parts(const ph_jwt_verifier *v, const char *token,
                              size_t len, size_t max_bytes, ph_scratch *s,
                              ph_jws_parts *parts, ph_error *err)
{
    header_scan h;
    size_t signing_len = 0, a, alg_index = 0;
    unsigned bit;
    ph_status st;

    if ((st = read_token(token, len, max_bytes, s, parts, &h, &signing_len,
                         err)) != PH_OK) {
        memset(parts, 0, sizeof *parts);
        return st;
    }
    /* The algorithm is the caller's: the header only names it. */
    if (h.alg_type == -1) {
        st = ph_fail(err, PH_ERR_ALGORITHM, "Algorithm not specified");
        goto fail;
    }
    bit = h.alg_type == PH_JT_STRING ? ph_alg_from_name(h.alg, h.alg_len) : 0;
    if (bit == 0 || !(v->algorithms & bit)) {
        st = ph_fail(err, PH_ERR_ALGORITHM,
                     "The specified alg value is not allowed");
        goto fail;
    }
    for (a = 0; a < PH_ALG_COUNT; a++)
        if (ph_alg_info[a].bit == bit)
            alg_index = a;
    if ((st = check_mac(v, alg_index, token, signing_len, parts->signature,
                        parts->signature_len, err)) != PH_OK)
        goto fail;
    parts->algorithm = bit;
    return PH_OK;
fail:
    memset(parts, 0, sizeof *parts);
    return st;
}

ph_status ph_jwt_verify(const ph_jwt_verifier *v, const char *token,
                        size_t len, size_t max_bytes, ph_scratch *s,
                        const char **payload, size_t *payload_len,
                        ph_error *err)
{
    ph_jws_parts parts;
    ph_status st;

    st = ph_jwt_verify_parts(v, token, len, max_bytes, s, &parts, err);
    *payload = parts.payload;
    *payload_len = parts.payload_len;
    return st;
}
