/* Registered claim checks (RFC 7519 4.1), made the way PyJWT makes them,
 * on values captured while the payload is parsed: one pass, no lookups in
 * the built value. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "internal.h"

void ph_claims_init(ph_claims *c, double now)
{
    memset(c, 0, sizeof *c);
    c->now = now;
    c->verify = PH_CLAIM_EXP | PH_CLAIM_NBF | PH_CLAIM_IAT | PH_CLAIM_AUD |
                PH_CLAIM_ISS | PH_CLAIM_SUB | PH_CLAIM_JTI;
}

enum { C_EXP, C_NBF, C_IAT, C_AUD, C_ISS, C_SUB, C_JTI, C_COUNT };

static const struct {
    const char *name;
    unsigned bit;
} claim_names[C_COUNT] = {
    { "exp", PH_CLAIM_EXP }, { "nbf", PH_CLAIM_NBF }, { "iat", PH_CLAIM_IAT },
    { "aud", PH_CLAIM_AUD }, { "iss", PH_CLAIM_ISS }, { "sub", PH_CLAIM_SUB },
    { "jti", PH_CLAIM_JTI },
};

typedef struct claim_scan {
    const ph_claims *c;
    int current; /* C_* being captured */
    int present[C_COUNT];
    int type[C_COUNT]; /* PH_JT_* of the last value */
    int truthy[C_COUNT];
    double number[C_COUNT]; /* exp, nbf, iat */
    int matched[C_COUNT];   /* aud, iss, sub: equals a wanted value */
    int aud_elements_ok;    /* aud array holds strings only */
    int req_current;        /* index into c->required, or -1 */
    int req_present[PH_MAX_REQUIRED];
    int req_null[PH_MAX_REQUIRED];
} claim_scan;

static int str_in(const ph_str *set, size_t n, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (set[i].len == len && memcmp(set[i].ptr, s, len) == 0)
            return 1;
    return 0;
}

static int claim_member(void *hctx, const char *name, size_t len)
{
    claim_scan *cs = hctx;
    const ph_claims *c = cs->c;
    size_t j;
    int i;

    cs->current = -1;
    cs->req_current = -1;
    for (j = 0; j < c->n_required; j++) {
        if (c->required[j].len == len &&
            memcmp(c->required[j].ptr, name, len) == 0) {
            cs->req_current = (int)j;
            cs->req_present[j] = 1;
            break;
        }
    }
    if (len == 3) {
        for (i = 0; i < C_COUNT; i++) {
            if (memcmp(name, claim_names[i].name, 3) == 0) {
                /* A repeated name replaces the earlier value, as in
                 * json.loads: forget what the earlier one said. */
                cs->current = i;
                cs->present[i] = 1;
                cs->matched[i] = 0;
                if (i == C_AUD)
                    cs->aud_elements_ok = 1;
                break;
            }
        }
    }
    return cs->current >= 0 || cs->req_current >= 0;
}

static void claim_value(void *hctx, int type, const char *text, size_t len,
                        int truthy)
{
    claim_scan *cs = hctx;
    const ph_claims *c = cs->c;
    int i = cs->current;

    if (cs->req_current >= 0)
        cs->req_null[cs->req_current] = type == PH_JT_NULL;
    if (i < 0)
        return;
    cs->type[i] = type;
    cs->truthy[i] = truthy;
    if (type == PH_JT_NUMBER) {
        /* Read as Python would: 1e-400 is 0.0, which is falsy. */
        cs->number[i] = ph_number_to_double(text, len);
        cs->truthy[i] = cs->number[i] != 0;
    }
    if (type == PH_JT_NUMBER && (i == C_EXP || i == C_NBF || i == C_IAT)) {
        /* An integer literal beyond double range is still a finite
         * integer (int() takes it); only its sign matters against a clock
         * that is nowhere near it.  A float literal that overflows stays
         * infinite and is refused, as int(float("inf")) is. */
        if (isinf(cs->number[i]) && memchr(text, '.', len) == NULL &&
            memchr(text, 'e', len) == NULL && memchr(text, 'E', len) == NULL)
            cs->number[i] = cs->number[i] > 0 ? DBL_MAX : -DBL_MAX;
    }
    if (type == PH_JT_STRING) {
        if (i == C_AUD)
            cs->matched[i] = str_in(c->audience, c->n_audience, text, len);
        else if (i == C_ISS)
            cs->matched[i] = str_in(c->issuer, c->n_issuer, text, len);
        else if (i == C_SUB)
            cs->matched[i] =
                c->subject != NULL && str_in(c->subject, 1, text, len);
    }
}

static void claim_element(void *hctx, int type, const char *text, size_t len)
{
    claim_scan *cs = hctx;
    const ph_claims *c = cs->c;

    if (cs->current != C_AUD)
        return;
    if (type != PH_JT_STRING)
        cs->aud_elements_ok = 0;
    else if (str_in(c->audience, c->n_audience, text, len))
        cs->matched[C_AUD] = 1;
}

/* A time claim as int() would truncate it; non-numbers and values that
 * are not finite fail with `bad`.  PyJWT's message where int() fails too
 * (null, an array, an object, an overflowing float); for a string or a
 * boolean, which int() would take, the message says why payhook does
 * not. */
static ph_status time_claim(const claim_scan *cs, int i, ph_status bad,
                            const char *what, double *out, ph_error *err)
{
    int t = cs->type[i];

    if (t == PH_JT_STRING || t == PH_JT_TRUE || t == PH_JT_FALSE)
        return ph_fail(err, bad,
                       "%s claim (%s) must be an integer: a JSON number, not "
                       "a string or a boolean",
                       what, claim_names[i].name);
    if (t != PH_JT_NUMBER || !isfinite(cs->number[i]))
        return ph_fail(err, bad, "%s claim (%s) must be an integer.", what,
                       claim_names[i].name);
    *out = trunc(cs->number[i]);
    return PH_OK;
}

static ph_status check_claims(const claim_scan *cs, ph_error *err)
{
    const ph_claims *c = cs->c;
    double t = 0;
    ph_status st;
    size_t j;
    int i;

    for (i = 0; i < C_COUNT; i++)
        if ((c->require & claim_names[i].bit) &&
            (!cs->present[i] || cs->type[i] == PH_JT_NULL))
            return ph_fail(err, PH_ERR_MISSING_CLAIM,
                           "Token is missing the \"%s\" claim",
                           claim_names[i].name);
    /* The caller's own names (not the input's): fine in a message. */
    for (j = 0; j < c->n_required; j++)
        if (!cs->req_present[j] || cs->req_null[j])
            return ph_fail(err, PH_ERR_MISSING_CLAIM,
                           "Token is missing the \"%.*s\" claim",
                           (int)(c->required[j].len < PH_MAX_CLAIM_NAME
                                     ? c->required[j].len
                                     : PH_MAX_CLAIM_NAME),
                           c->required[j].ptr);
    if (cs->present[C_IAT] && (c->verify & PH_CLAIM_IAT)) {
        if ((st = time_claim(cs, C_IAT, PH_ERR_ISSUED_AT, "Issued At", &t,
                             err)) != PH_OK)
            return st;
        if (t > c->now + c->leeway)
            return ph_fail(err, PH_ERR_IMMATURE,
                           "The token is not yet valid (iat)");
    }
    if (cs->present[C_NBF] && (c->verify & PH_CLAIM_NBF)) {
        if ((st = time_claim(cs, C_NBF, PH_ERR_DECODE, "Not Before", &t,
                             err)) != PH_OK)
            return st;
        if (t > c->now + c->leeway)
            return ph_fail(err, PH_ERR_IMMATURE,
                           "The token is not yet valid (nbf)");
    }
    if (cs->present[C_EXP] && (c->verify & PH_CLAIM_EXP)) {
        if ((st = time_claim(cs, C_EXP, PH_ERR_DECODE, "Expiration Time", &t,
                             err)) != PH_OK)
            return st;
        if (t <= c->now - c->leeway)
            return ph_fail(err, PH_ERR_EXPIRED, "Signature has expired");
    }
    if (c->issuer != NULL && (c->verify & PH_CLAIM_ISS)) {
        if (!cs->present[C_ISS])
            return ph_fail(err, PH_ERR_MISSING_CLAIM,
                           "Token is missing the \"iss\" claim");
        if (cs->type[C_ISS] != PH_JT_STRING)
            return ph_fail(err, PH_ERR_ISSUER,
                           "Payload Issuer (iss) must be a string");
        if (!cs->matched[C_ISS])
            return ph_fail(err, PH_ERR_ISSUER, "Invalid issuer");
    }
    if (c->verify & PH_CLAIM_AUD) {
        int has = cs->present[C_AUD] && cs->truthy[C_AUD];
        if (c->audience == NULL) {
            /* A token meant for a named audience must not be accepted by
             * a caller who did not say which audience it is. */
            if (has)
                return ph_fail(err, PH_ERR_AUDIENCE, "Invalid audience");
        } else if (!has) {
            return ph_fail(err, PH_ERR_MISSING_CLAIM,
                           "Token is missing the \"aud\" claim");
        } else if (c->strict_aud) {
            if (c->n_audience != 1)
                return ph_fail(err, PH_ERR_AUDIENCE,
                               "Invalid audience (strict)");
            if (cs->type[C_AUD] != PH_JT_STRING)
                return ph_fail(err, PH_ERR_AUDIENCE,
                               "Invalid claim format in token (strict)");
            if (!cs->matched[C_AUD])
                return ph_fail(err, PH_ERR_AUDIENCE,
                               "Audience doesn't match (strict)");
        } else {
            if (cs->type[C_AUD] != PH_JT_STRING &&
                !(cs->type[C_AUD] == PH_JT_ARRAY && cs->aud_elements_ok))
                return ph_fail(err, PH_ERR_AUDIENCE,
                               "Invalid claim format in token");
            if (!cs->matched[C_AUD])
                return ph_fail(err, PH_ERR_AUDIENCE, "Audience doesn't match");
        }
    }
    if (cs->present[C_SUB] && (c->verify & PH_CLAIM_SUB)) {
        if (cs->type[C_SUB] != PH_JT_STRING)
            return ph_fail(err, PH_ERR_SUBJECT, "Subject must be a string");
        if (c->subject != NULL && !cs->matched[C_SUB])
            return ph_fail(err, PH_ERR_SUBJECT, "Invalid subject");
    }
    if (cs->present[C_JTI] && (c->verify & PH_CLAIM_JTI) &&
        cs->type[C_JTI] != PH_JT_STRING)
        return ph_fail(err, PH_ERR_JTI, "JWT ID must be a string");
    return PH_OK;
}

ph_status ph_jwt_parse_claims(const char *payload, size_t len,
                              const ph_claims *claims,
                              const ph_json_sink *sink, void *ctx,
                              ph_scratch *s, void **root, ph_error *err)
{
    claim_scan cs;
    ph_top_hook hook = { claim_member, claim_value, claim_element, &cs };
    ph_status st;

    *root = NULL;
    /* A NaN clock compares false with everything and would switch the
     * time checks off; an infinite one is no clock either. */
    if (!isfinite(claims->now) || !isfinite(claims->leeway) ||
        claims->leeway < 0)
        return ph_fail(err, PH_ERR_ARGUMENT,
                       "now and leeway must be finite (leeway >= 0)");
    if (claims->n_required > PH_MAX_REQUIRED ||
        (claims->n_required > 0 && claims->required == NULL))
        return ph_fail(err, PH_ERR_ARGUMENT, "at most %d required claim names",
                       PH_MAX_REQUIRED);
    /* json.loads(bytes) would skip it; payhook's JSON is bytes as sent. */
    if (len >= 3 && memcmp(payload, "\xef\xbb\xbf", 3) == 0)
        return ph_fail(err, PH_ERR_DECODE,
                       "Invalid payload string: it starts with a UTF-8 byte "
                       "order mark (the JSON is taken as sent)");
    memset(&cs, 0, sizeof cs);
    cs.c = claims;
    cs.current = -1;
    cs.req_current = -1;
    st = ph_json_parse_hooked(payload, len, sink, ctx, &hook, s, root, err);
    if (st == PH_ERR_DECODE)
        return ph_jwt_json_failure(payload, len, "payload", err);
    if (st != PH_OK)
        return st;
    if ((st = check_claims(&cs, err)) != PH_OK) {
        if (sink != NULL && sink->discard != NULL && *root != NULL)
            sink->discard(ctx, *root);
        *root = NULL;
        return st;
    }
    return PH_OK;
}
