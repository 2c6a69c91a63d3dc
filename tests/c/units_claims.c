/*
 * Unit tests: registered-claim checks of ph_jwt_parse_claims.  Every
 * expectation below is what PyJWT 2.x (jwt.decode) does with the same
 * payload and options; the payload is given straight to the claims step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#define NOW 1000000.0
#define BIG "1" \
    "0000000000000000000000000000000000000000000000000000000000000000000000" \
    "0000000000000000000000000000000000000000000000000000000000000000000000" \
    "0000000000000000000000000000000000000000000000000000000000000000000000" \
    "0000000000000000000000000000000000000000000000000000000000000000000000" \
    "0000000000000000000000000000000000000000000000000000000000000000000000" \
    "00000000000000000000000000000000000000000000000000"   /* 10^400 */

typedef struct claim_case {
    const char *what, *payload;
    ph_status want;
    double leeway;
    unsigned verify_off, require;
    const char *aud[3];     /* NULL-terminated; aud[0] NULL: none asked */
    int strict;
    const char *iss[3];
    const char *sub;
} claim_case;

static const claim_case cases[] = {
    {"no claims", "{}", PH_OK, 0, 0, 0, {NULL}, 0, {NULL}, NULL},
    {"other members only", "{\"a\":{\"exp\":1},\"expires\":1}", PH_OK, 0, 0,
     0, {NULL}, 0, {NULL}, NULL},
    /* exp */
    {"exp in the future", "{\"exp\":1000001}", PH_OK, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"exp equal to now", "{\"exp\":1000000}", PH_ERR_EXPIRED, 0, 0, 0, {NULL},
     0, {NULL}, NULL},
    {"exp in the past", "{\"exp\":5}", PH_ERR_EXPIRED, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"exp equal to now, leeway 1", "{\"exp\":1000000}", PH_OK, 1, 0, 0,
     {NULL}, 0, {NULL}, NULL},
    {"exp fraction truncated as int()", "{\"exp\":1000000.9}",
     PH_ERR_EXPIRED, 0, 0, 0, {NULL}, 0, {NULL}, NULL},
    {"exp as exponent", "{\"exp\":1.000001e6}", PH_OK, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"exp a string of letters", "{\"exp\":\"soon\"}", PH_ERR_DECODE, 0, 0, 0,
     {NULL}, 0, {NULL}, NULL},
    {"exp null", "{\"exp\":null}", PH_ERR_DECODE, 0, 0, 0, {NULL}, 0, {NULL},
     NULL},
    {"exp an array", "{\"exp\":[1]}", PH_ERR_DECODE, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"exp overflowing a double (1e400)", "{\"exp\":1e400}", PH_ERR_DECODE, 0,
     0, 0, {NULL}, 0, {NULL}, NULL},
    {"exp expired but not verified", "{\"exp\":5}", PH_OK, 0, PH_CLAIM_EXP,
     0, {NULL}, 0, {NULL}, NULL},
    {"exp 10^30 (beyond int64)", "{\"exp\":1000000000000000000000000000000}",
     PH_OK, 0, 0, 0, {NULL}, 0, {NULL}, NULL},
    {"exp -10^30", "{\"exp\":-1000000000000000000000000000000}",
     PH_ERR_EXPIRED, 0, 0, 0, {NULL}, 0, {NULL}, NULL},
    {"exp -10^400", "{\"exp\":-" BIG "}", PH_ERR_EXPIRED, 0, 0, 0, {NULL},
     0, {NULL}, NULL},
    {"exp 1e400 written as a float with a fraction", "{\"exp\":1.5e400}",
     PH_ERR_DECODE, 0, 0, 0, {NULL}, 0, {NULL}, NULL},
    /* int(10**400) is fine in Python: the token is not expired. */
    {"exp 10^400 (an integer beyond any double)", "{\"exp\":" BIG "}", PH_OK,
     0, 0, 0, {NULL}, 0, {NULL}, NULL},
    /* nbf */
    {"nbf in the future", "{\"nbf\":1000001}", PH_ERR_IMMATURE, 0, 0, 0,
     {NULL}, 0, {NULL}, NULL},
    {"nbf equal to now", "{\"nbf\":1000000}", PH_OK, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"nbf in the future within leeway", "{\"nbf\":1000001}", PH_OK, 1, 0, 0,
     {NULL}, 0, {NULL}, NULL},
    {"nbf not a number", "{\"nbf\":\"x\"}", PH_ERR_DECODE, 0, 0, 0, {NULL},
     0, {NULL}, NULL},
    {"nbf not verified", "{\"nbf\":1000001}", PH_OK, 0, PH_CLAIM_NBF, 0,
     {NULL}, 0, {NULL}, NULL},
    {"nbf 10^400 is in the future", "{\"nbf\":" BIG "}", PH_ERR_IMMATURE, 0,
     0, 0, {NULL}, 0, {NULL}, NULL},
    /* iat */
    {"iat in the future", "{\"iat\":1000001}", PH_ERR_IMMATURE, 0, 0, 0,
     {NULL}, 0, {NULL}, NULL},
    {"iat in the past", "{\"iat\":1}", PH_OK, 0, 0, 0, {NULL}, 0, {NULL},
     NULL},
    {"iat not a number", "{\"iat\":\"x\"}", PH_ERR_ISSUED_AT, 0, 0, 0,
     {NULL}, 0, {NULL}, NULL},
    {"iat null", "{\"iat\":null}", PH_ERR_ISSUED_AT, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"iat not verified", "{\"iat\":\"x\"}", PH_OK, 0, PH_CLAIM_IAT, 0, {NULL},
     0, {NULL}, NULL},
    {"iat 10^400 is in the future", "{\"iat\":" BIG "}", PH_ERR_IMMATURE, 0,
     0, 0, {NULL}, 0, {NULL}, NULL},
    /* order: required, iat, nbf, exp, iss, aud, sub, jti */
    {"nbf is checked before exp", "{\"exp\":1,\"nbf\":2000000}",
     PH_ERR_IMMATURE, 0, 0, 0, {NULL}, 0, {NULL}, NULL},
    {"iat is checked before exp", "{\"exp\":1,\"iat\":\"x\"}",
     PH_ERR_ISSUED_AT, 0, 0, 0, {NULL}, 0, {NULL}, NULL},
    {"exp is checked before iss", "{\"exp\":1,\"iss\":\"bob\"}",
     PH_ERR_EXPIRED, 0, 0, 0, {NULL}, 0, {"joe", NULL}, NULL},
    {"iss is checked before aud", "{\"iss\":\"bob\",\"aud\":\"y\"}",
     PH_ERR_ISSUER, 0, 0, 0, {"x", NULL}, 0, {"joe", NULL}, NULL},
    {"required claims come first", "{\"exp\":1}", PH_ERR_MISSING_CLAIM, 0, 0,
     PH_CLAIM_IAT, {NULL}, 0, {NULL}, NULL},
    /* require */
    {"required exp present", "{\"exp\":2000000}", PH_OK, 0, 0, PH_CLAIM_EXP,
     {NULL}, 0, {NULL}, NULL},
    {"required exp absent", "{}", PH_ERR_MISSING_CLAIM, 0, 0, PH_CLAIM_EXP,
     {NULL}, 0, {NULL}, NULL},
    {"required exp null", "{\"exp\":null}", PH_ERR_MISSING_CLAIM, 0, 0,
     PH_CLAIM_EXP, {NULL}, 0, {NULL}, NULL},
    {"required sub and jti present", "{\"sub\":\"s\",\"jti\":\"j\"}", PH_OK,
     0, 0, PH_CLAIM_SUB | PH_CLAIM_JTI, {NULL}, 0, {NULL}, NULL},
    {"required jti absent", "{\"sub\":\"s\"}", PH_ERR_MISSING_CLAIM, 0, 0,
     PH_CLAIM_SUB | PH_CLAIM_JTI, {NULL}, 0, {NULL}, NULL},
    /* iss */
    {"iss matches", "{\"iss\":\"joe\"}", PH_OK, 0, 0, 0, {NULL}, 0,
     {"joe", NULL}, NULL},
    {"iss in a list", "{\"iss\":\"joe\"}", PH_OK, 0, 0, 0, {NULL}, 0,
     {"ann", "joe", NULL}, NULL},
    {"iss differs", "{\"iss\":\"bob\"}", PH_ERR_ISSUER, 0, 0, 0, {NULL}, 0,
     {"joe", NULL}, NULL},
    {"iss is a prefix", "{\"iss\":\"jo\"}", PH_ERR_ISSUER, 0, 0, 0, {NULL}, 0,
     {"joe", NULL}, NULL},
    {"iss absent", "{}", PH_ERR_MISSING_CLAIM, 0, 0, 0, {NULL}, 0,
     {"joe", NULL}, NULL},
    {"iss not a string", "{\"iss\":[\"joe\"]}", PH_ERR_ISSUER, 0, 0, 0,
     {NULL}, 0, {"joe", NULL}, NULL},
    {"iss not asked for", "{\"iss\":5}", PH_OK, 0, 0, 0, {NULL}, 0, {NULL},
     NULL},
    {"iss not verified", "{\"iss\":\"bob\"}", PH_OK, 0, PH_CLAIM_ISS, 0,
     {NULL}, 0, {"joe", NULL}, NULL},
    {"iss escaped", "{\"iss\":\"j\\u006fe\"}", PH_OK, 0, 0, 0, {NULL}, 0,
     {"joe", NULL}, NULL},
    /* aud, no audience asked for */
    {"aud present, none asked for", "{\"aud\":\"x\"}", PH_ERR_AUDIENCE, 0, 0,
     0, {NULL}, 0, {NULL}, NULL},
    {"aud empty string, none asked for", "{\"aud\":\"\"}", PH_OK, 0, 0, 0,
     {NULL}, 0, {NULL}, NULL},
    {"aud empty list, none asked for", "{\"aud\":[]}", PH_OK, 0, 0, 0, {NULL},
     0, {NULL}, NULL},
    {"aud null, none asked for", "{\"aud\":null}", PH_OK, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"aud 0, none asked for", "{\"aud\":0}", PH_OK, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"aud 0.0e5, none asked for", "{\"aud\":0.0e5}", PH_OK, 0, 0, 0, {NULL},
     0, {NULL}, NULL},
    {"aud false, none asked for", "{\"aud\":false}", PH_OK, 0, 0, 0, {NULL},
     0, {NULL}, NULL},
    {"aud {}, none asked for", "{\"aud\":{}}", PH_OK, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    /* json.loads gives 0.0 for 1e-400, which is falsy in Python. */
    {"aud 1e-400 (0.0), none asked for", "{\"aud\":1e-400}", PH_OK, 0, 0, 0,
     {NULL}, 0, {NULL}, NULL},
    {"aud present, not verified", "{\"aud\":\"x\"}", PH_OK, 0, PH_CLAIM_AUD, 0,
     {NULL}, 0, {NULL}, NULL},
    /* aud, audience asked for */
    {"aud absent", "{}", PH_ERR_MISSING_CLAIM, 0, 0, 0, {"x", NULL}, 0,
     {NULL}, NULL},
    {"aud empty", "{\"aud\":\"\"}", PH_ERR_MISSING_CLAIM, 0, 0, 0,
     {"x", NULL}, 0, {NULL}, NULL},
    {"aud string matches", "{\"aud\":\"x\"}", PH_OK, 0, 0, 0, {"x", NULL}, 0,
     {NULL}, NULL},
    {"aud list contains it", "{\"aud\":[\"y\",\"x\"]}", PH_OK, 0, 0, 0,
     {"x", NULL}, 0, {NULL}, NULL},
    {"aud matches one of several", "{\"aud\":\"x\"}", PH_OK, 0, 0, 0,
     {"w", "x", NULL}, 0, {NULL}, NULL},
    {"aud list lacks it", "{\"aud\":[\"y\",\"z\"]}", PH_ERR_AUDIENCE, 0, 0, 0,
     {"x", NULL}, 0, {NULL}, NULL},
    {"aud string differs", "{\"aud\":\"xx\"}", PH_ERR_AUDIENCE, 0, 0, 0,
     {"x", NULL}, 0, {NULL}, NULL},
    {"aud a number", "{\"aud\":5}", PH_ERR_AUDIENCE, 0, 0, 0, {"x", NULL}, 0,
     {NULL}, NULL},
    {"aud an object", "{\"aud\":{\"x\":1}}", PH_ERR_AUDIENCE, 0, 0, 0,
     {"x", NULL}, 0, {NULL}, NULL},
    {"aud list with a non-string", "{\"aud\":[1,\"x\"]}", PH_ERR_AUDIENCE, 0,
     0, 0, {"x", NULL}, 0, {NULL}, NULL},
    {"aud list with a nested list", "{\"aud\":[[\"x\"],\"x\"]}",
     PH_ERR_AUDIENCE, 0, 0, 0, {"x", NULL}, 0, {NULL}, NULL},
    /* The format check must not depend on what other members follow. */
    {"aud list with a non-string, then iss",
     "{\"aud\":[1,\"x\"],\"iss\":\"joe\"}", PH_ERR_AUDIENCE, 0, 0, 0,
     {"x", NULL}, 0, {NULL}, NULL},
    {"aud list with a non-string, then exp",
     "{\"aud\":[\"x\",null],\"exp\":2000000}", PH_ERR_AUDIENCE, 0, 0, 0,
     {"x", NULL}, 0, {NULL}, NULL},
    {"aud list with a non-string, then other member",
     "{\"aud\":[1,\"x\"],\"foo\":1}", PH_ERR_AUDIENCE, 0, 0, 0, {"x", NULL},
     0, {NULL}, NULL},
    {"aud repeated: the last one counts (ok)",
     "{\"aud\":[1],\"aud\":[\"x\"]}", PH_OK, 0, 0, 0, {"x", NULL}, 0, {NULL},
     NULL},
    {"aud repeated: the last one counts (bad)", "{\"aud\":[\"x\"],\"aud\":5}",
     PH_ERR_AUDIENCE, 0, 0, 0, {"x", NULL}, 0, {NULL}, NULL},
    {"aud repeated: no match from the first", "{\"aud\":\"x\",\"aud\":\"y\"}",
     PH_ERR_AUDIENCE, 0, 0, 0, {"x", NULL}, 0, {NULL}, NULL},
    /* strict */
    {"strict: string equal", "{\"aud\":\"x\"}", PH_OK, 0, 0, 0, {"x", NULL},
     1, {NULL}, NULL},
    {"strict: list claim", "{\"aud\":[\"x\"]}", PH_ERR_AUDIENCE, 0, 0, 0,
     {"x", NULL}, 1, {NULL}, NULL},
    {"strict: two audiences asked for", "{\"aud\":\"x\"}", PH_ERR_AUDIENCE, 0,
     0, 0, {"x", "y", NULL}, 1, {NULL}, NULL},
    {"strict: differs", "{\"aud\":\"y\"}", PH_ERR_AUDIENCE, 0, 0, 0,
     {"x", NULL}, 1, {NULL}, NULL},
    {"strict: absent", "{}", PH_ERR_MISSING_CLAIM, 0, 0, 0, {"x", NULL}, 1,
     {NULL}, NULL},
    /* sub, jti */
    {"sub a string", "{\"sub\":\"s\"}", PH_OK, 0, 0, 0, {NULL}, 0, {NULL},
     NULL},
    {"sub not a string", "{\"sub\":5}", PH_ERR_SUBJECT, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"sub matches", "{\"sub\":\"s\"}", PH_OK, 0, 0, 0, {NULL}, 0, {NULL}, "s"},
    {"sub differs", "{\"sub\":\"t\"}", PH_ERR_SUBJECT, 0, 0, 0, {NULL}, 0,
     {NULL}, "s"},
    {"sub absent though asked for", "{}", PH_OK, 0, 0, 0, {NULL}, 0, {NULL},
     "s"},
    {"sub not verified", "{\"sub\":5}", PH_OK, 0, PH_CLAIM_SUB, 0, {NULL}, 0,
     {NULL}, NULL},
    {"jti not a string", "{\"jti\":5}", PH_ERR_JTI, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"jti a string", "{\"jti\":\"j\"}", PH_OK, 0, 0, 0, {NULL}, 0, {NULL},
     NULL},
    {"jti not verified", "{\"jti\":5}", PH_OK, 0, PH_CLAIM_JTI, 0, {NULL}, 0,
     {NULL}, NULL},
    /* duplicates: json.loads keeps the last */
    {"exp repeated, last in the future", "{\"exp\":1,\"exp\":2000000}", PH_OK,
     0, 0, 0, {NULL}, 0, {NULL}, NULL},
    {"exp repeated, last in the past", "{\"exp\":2000000,\"exp\":1}",
     PH_ERR_EXPIRED, 0, 0, 0, {NULL}, 0, {NULL}, NULL},
    {"iss repeated, last matches", "{\"iss\":\"bob\",\"iss\":\"joe\"}", PH_OK,
     0, 0, 0, {NULL}, 0, {"joe", NULL}, NULL},
    {"iss repeated, last differs", "{\"iss\":\"joe\",\"iss\":\"bob\"}",
     PH_ERR_ISSUER, 0, 0, 0, {NULL}, 0, {"joe", NULL}, NULL},
    /* not an object */
    {"payload an array", "[]", PH_ERR_DECODE, 0, 0, 0, {NULL}, 0, {NULL},
     NULL},
    {"payload a number", "1", PH_ERR_DECODE, 0, 0, 0, {NULL}, 0, {NULL},
     NULL},
    {"payload not JSON", "{\"exp\":}", PH_ERR_DECODE, 0, 0, 0, {NULL}, 0,
     {NULL}, NULL},
    {"payload empty", "", PH_ERR_DECODE, 0, 0, 0, {NULL}, 0, {NULL}, NULL},
};

static size_t to_strs(const char *const *in, ph_str *out)
{
    size_t n = 0;

    while (n < 3 && in[n] != NULL) {
        out[n].ptr = in[n];
        out[n].len = strlen(in[n]);
        n++;
    }
    return n;
}

/* Run one case through a sink; returns the status. */
static ph_status run_case(const claim_case *c, const ph_json_sink *sink,
                          void *ctx)
{
    ph_scratch s = PH_SCRATCH_INIT;
    ph_claims cl;
    ph_str aud[3], iss[3], sub;
    ph_error err;
    void *root = NULL;
    ph_status st;

    ph_claims_init(&cl, NOW);
    cl.leeway = c->leeway;
    cl.verify &= ~c->verify_off;
    cl.require = c->require;
    cl.strict_aud = c->strict;
    if ((cl.n_audience = to_strs(c->aud, aud)) > 0)
        cl.audience = aud;
    if ((cl.n_issuer = to_strs(c->iss, iss)) > 0)
        cl.issuer = iss;
    if (c->sub != NULL) {
        sub.ptr = c->sub;
        sub.len = strlen(c->sub);
        cl.subject = &sub;
    }
    t_error_reset(&err);
    st = ph_jwt_parse_claims(c->payload, strlen(c->payload), &cl, sink, ctx,
                             &s, &root, &err);
    if (st == PH_OK) {
        CHECK(root != NULL, "no value on success");
        if (sink == &ph_cjson_sink)
            cJSON_Delete(root);
        else
            t_node_free(ctx, root);
    } else {
        CHECK(root == NULL, "a value came back with %s", ph_status_name(st));
        t_check_error(&err, st, NULL, NULL, 0);
    }
    ph_scratch_free(&s);
    return st;
}

static void claims_table(void)
{
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const claim_case *c = &cases[i];
        t_exact_ctx ctx = {0, -1, 0};
        ph_status st;
        t_begin("claims: %s", c->what);
        st = run_case(c, &t_exact_sink, &ctx);
        CHECK(st == c->want, "payload %.60s: got %s, want %s", c->payload,
              ph_status_name(st), ph_status_name(c->want));
        CHECK(ctx.live == 0, "%ld sink handles leaked", ctx.live);
        /* The cJSON sink gives up on integers beyond 2^53 before the
         * claims are looked at; everywhere else it must agree. */
        st = run_case(c, &ph_cjson_sink, NULL);
        if (st != PH_ERR_SINK)
            CHECK(st == c->want, "with ph_cjson_sink: got %s, want %s",
                  ph_status_name(st), ph_status_name(c->want));
        t_end();
    }
}

/* A decode error from the claims step says it is about the payload. */
static void decode_message(void)
{
    ph_scratch s = PH_SCRATCH_INIT;
    ph_claims cl;
    ph_error err;
    void *root = NULL;

    t_begin("claims: a payload decode error names the payload");
    ph_claims_init(&cl, NOW);
    t_error_reset(&err);
    CHECK_STATUS(ph_jwt_parse_claims("{\"a\":01}", 8, &cl, &ph_cjson_sink,
                                     NULL, &s, &root, &err),
                 PH_ERR_DECODE, "parse");
    CHECK(memchr(err.message, '\0', sizeof err.message) != NULL &&
              strstr(err.message, "payload") != NULL,
          "message \"%.*s\"", (int)sizeof err.message, err.message);
    CHECK(ph_jwt_parse_claims("[]", 2, &cl, &ph_cjson_sink, NULL, &s, &root,
                              NULL) == PH_ERR_DECODE,
          "err may be NULL");
    ph_scratch_free(&s);
    t_end();
}

/* ph_claims.required: any names, in the caller's order, after the
 * registered bits; present and not null. */
static void required_names(void)
{
    static const ph_str names[] = { { "role", 4 }, { "exp", 3 },
                                    { "x\"y", 3 } };
    static const struct {
        const char *what, *payload;
        size_t n;
        ph_status want;
        const char *says;
    } req[] = {
        { "all present", "{\"role\":1,\"exp\":1800000000,\"x\\\"y\":0}", 3,
          PH_OK, NULL },
        { "first missing", "{\"exp\":1800000000}", 2, PH_ERR_MISSING_CLAIM,
          "Token is missing the \"role\" claim" },
        { "null is missing", "{\"role\":null,\"exp\":1800000000}", 1,
          PH_ERR_MISSING_CLAIM, "\"role\"" },
        { "the last of two wins", "{\"role\":1,\"role\":null}", 1,
          PH_ERR_MISSING_CLAIM, "\"role\"" },
        { "nested does not count", "{\"a\":{\"role\":1}}", 1,
          PH_ERR_MISSING_CLAIM, "\"role\"" },
        { "a registered name", "{\"role\":1}", 2, PH_ERR_MISSING_CLAIM,
          "\"exp\"" },
        { "a quote in the name", "{\"role\":1,\"exp\":1800000000}", 3,
          PH_ERR_MISSING_CLAIM, "\"x\"y\"" },
    };
    ph_scratch s = PH_SCRATCH_INIT;
    ph_claims cl;
    ph_error err;
    void *root = NULL;
    size_t i;

    for (i = 0; i < sizeof req / sizeof req[0]; i++) {
        ph_status st;
        t_begin("claims: required names, %s", req[i].what);
        ph_claims_init(&cl, NOW);
        cl.required = names;
        cl.n_required = req[i].n;
        t_error_reset(&err);
        st = ph_jwt_parse_claims(req[i].payload, strlen(req[i].payload),
                                 &cl, &ph_cjson_sink, NULL, &s, &root, &err);
        CHECK_STATUS(st, req[i].want, "parse");
        if (req[i].says != NULL)
            CHECK(strstr(err.message, req[i].says) != NULL,
                  "message \"%s\"", err.message);
        cJSON_Delete(root);
        root = NULL;
        t_end();
    }
    t_begin("claims: required names, the bits come first");
    ph_claims_init(&cl, NOW);
    cl.require = PH_CLAIM_SUB;
    cl.required = names;
    cl.n_required = 1;
    t_error_reset(&err);
    CHECK_STATUS(ph_jwt_parse_claims("{}", 2, &cl, &ph_cjson_sink, NULL, &s,
                                     &root, &err),
                 PH_ERR_MISSING_CLAIM, "parse");
    CHECK(strstr(err.message, "\"sub\"") != NULL, "message \"%s\"",
          err.message);
    cl.n_required = PH_MAX_REQUIRED + 1;
    CHECK_STATUS(ph_jwt_parse_claims("{}", 2, &cl, &ph_cjson_sink, NULL, &s,
                                     &root, &err),
                 PH_ERR_ARGUMENT, "too many names");
    t_end();
    ph_scratch_free(&s);
}

/*
 * A float literal is first rounded to the nearest double, as float()
 * does, and then truncated as int() does.  Near a whole second the
 * rounding decides which second it is: 1699999990.999999880790710449218751
 * lies just above the midpoint between 1699999991 and the double below
 * it, so it is 1699999991.0 in Python (PyJWT 2.15: the exp check passes
 * at now = 1699999990; the nbf check fails at now = 1699999990.5).
 */
static void float_rounding(void)
{
    static const struct {
        const char *what, *payload;
        double now;
        ph_status want;
    } rounding[] = {
        {"exp: a literal that rounds up to the next second",
         "{\"exp\":1699999990.999999880790710449218751}", 1699999990, PH_OK},
        {"nbf: a literal that rounds up to the next second",
         "{\"nbf\":1699999990.999999880790710449218751}", 1699999990.5,
         PH_ERR_IMMATURE},
        {"iat: a literal that rounds up to the next second",
         "{\"iat\":1699999990.999999880790710449218751}", 1699999990.5,
         PH_ERR_IMMATURE},
        {"exp: 1700000000.9999999 is 1700000001.0",
         "{\"exp\":1700000000.9999999}", 1700000000, PH_OK},
        {"exp: 1700000000.9999998 stays below the next second",
         "{\"exp\":1700000000.9999998}", 1700000000, PH_ERR_EXPIRED},
    };
    ph_scratch s = PH_SCRATCH_INIT;
    size_t i;

    for (i = 0; i < sizeof rounding / sizeof rounding[0]; i++) {
        ph_claims cl;
        ph_error err;
        void *root = NULL;
        ph_status st;
        t_begin("claims: %s", rounding[i].what);
        ph_claims_init(&cl, rounding[i].now);
        st = ph_jwt_parse_claims(rounding[i].payload,
                                 strlen(rounding[i].payload), &cl,
                                 &ph_cjson_sink, NULL, &s, &root, &err);
        CHECK(st == rounding[i].want, "%s at now = %.1f: got %s, want %s",
              rounding[i].payload, rounding[i].now, ph_status_name(st),
              ph_status_name(rounding[i].want));
        cJSON_Delete(root);
        t_end();
    }
    ph_scratch_free(&s);
}

/* The clock must be a clock: a NaN would compare false with everything
 * and switch the time checks off. */
static void clock_arguments(void)
{
    static const struct {
        const char *what;
        double now, leeway;
    } bad[] = {
        {"now NaN", NAN, 0}, {"now +inf", INFINITY, 0},
        {"now -inf", -INFINITY, 0}, {"leeway NaN", NOW, NAN},
        {"leeway +inf", NOW, INFINITY}, {"leeway negative", NOW, -1},
    };
    ph_scratch s = PH_SCRATCH_INIT;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ph_claims cl;
        ph_error err;
        void *root = &cl;
        ph_status st;
        t_begin("claims: %s is refused", bad[i].what);
        ph_claims_init(&cl, bad[i].now);
        cl.leeway = bad[i].leeway;
        t_error_reset(&err);
        st = ph_jwt_parse_claims("{\"exp\":1}", 9, &cl, &ph_cjson_sink, NULL,
                                 &s, &root, &err);
        CHECK_STATUS(st, PH_ERR_ARGUMENT, "ph_jwt_parse_claims");
        CHECK(root == NULL, "a value came back");
        if (st != PH_OK)
            t_check_error(&err, st, NULL, NULL, 0);
        t_end();
    }
    ph_scratch_free(&s);
}

void run_units_claims(void)
{
    required_names();
    claims_table();
    decode_message();
    float_rounding();
    clock_arguments();
}
