/* Unit tests: the strict JSON parser, through ph_cjson_sink and through
 * the test's exact sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

/* Parse with ph_cjson_sink; on PH_OK compare with `want` (JSON cJSON
 * reads), otherwise check the status and that no value came back. */
static void cjson_case(const char *in, size_t len, ph_status want_st,
                       const char *want)
{
    ph_scratch s = PH_SCRATCH_INIT;
    ph_error err;
    void *root = (void *)&err;
    ph_status st;

    t_error_reset(&err);
    st = ph_json_parse(in, len, &ph_cjson_sink, NULL, &s, &root, &err);
    CHECK_STATUS(st, want_st, "ph_json_parse");
    if (st == PH_OK && want != NULL) {
        cJSON *w = cJSON_Parse(want);
        if (CHECK(w != NULL, "bad expectation in the test"))
            CHECK(t_json_equal(root, w), "value differs from %s", want);
        cJSON_Delete(w);
    }
    if (st == PH_OK) {
        cJSON_Delete(root);
    } else {
        CHECK(root == NULL, "root is not NULL after a failure");
        t_check_error(&err, st, NULL, NULL, 0);
    }
    ph_scratch_free(&s);
}

typedef struct {
    const char *what, *in;
    size_t len;          /* 0: strlen(in) */
    ph_status st;
    const char *want;    /* JSON for cJSON, when st is PH_OK */
} json_case;

static const json_case cases[] = {
    /* numbers */
    {"zero", "0", 0, PH_OK, "0"},
    {"minus zero", "-0", 0, PH_OK, "0"},
    {"fraction", "-12.5e-1", 0, PH_OK, "-1.25"},
    {"upper E with plus", "1E+2", 0, PH_OK, "100"},
    {"leading zero", "01", 0, PH_ERR_DECODE, NULL},
    {"leading zeros", "007", 0, PH_ERR_DECODE, NULL},
    {"negative leading zero", "-01", 0, PH_ERR_DECODE, NULL},
    {"leading zero in array", "[00]", 0, PH_ERR_DECODE, NULL},
    {"no digit after point", "1.", 0, PH_ERR_DECODE, NULL},
    {"no digit before point", ".5", 0, PH_ERR_DECODE, NULL},
    {"point then exponent", "1.e5", 0, PH_ERR_DECODE, NULL},
    {"lone minus", "-", 0, PH_ERR_DECODE, NULL},
    {"minus in array", "[-]", 0, PH_ERR_DECODE, NULL},
    {"plus sign", "+1", 0, PH_ERR_DECODE, NULL},
    {"empty exponent", "1e", 0, PH_ERR_DECODE, NULL},
    {"signed empty exponent", "1e+", 0, PH_ERR_DECODE, NULL},
    {"hex number", "0x10", 0, PH_ERR_DECODE, NULL},
    {"NaN", "NaN", 0, PH_ERR_DECODE, NULL},
    {"nan in object", "{\"a\":nan}", 0, PH_ERR_DECODE, NULL},
    {"Infinity", "Infinity", 0, PH_ERR_DECODE, NULL},
    {"-Infinity", "-Infinity", 0, PH_ERR_DECODE, NULL},
    {"largest exact double integer", "9007199254740992", 0, PH_OK,
     "9007199254740992"},
    {"int beyond 2^53: cJSON cannot hold it", "9007199254740993", 0,
     PH_ERR_SINK, NULL},
    {"int beyond int64: cJSON cannot hold it", "18446744073709551616", 0,
     PH_ERR_SINK, NULL},
    /* literals and structure */
    {"true", " true ", 0, PH_OK, "true"},
    {"truncated literal", "tru", 0, PH_ERR_DECODE, NULL},
    {"literal with junk", "nulls", 0, PH_ERR_DECODE, NULL},
    {"capitalised literal", "True", 0, PH_ERR_DECODE, NULL},
    {"empty input", "", 0, PH_ERR_DECODE, NULL},
    {"only whitespace", " \t\r\n", 0, PH_ERR_DECODE, NULL},
    {"two values", "1 2", 0, PH_ERR_DECODE, NULL},
    {"trailing comma in array", "[1,]", 0, PH_ERR_DECODE, NULL},
    {"trailing comma in object", "{\"a\":1,}", 0, PH_ERR_DECODE, NULL},
    {"leading comma", "[,1]", 0, PH_ERR_DECODE, NULL},
    {"double comma", "[1,,2]", 0, PH_ERR_DECODE, NULL},
    {"missing comma", "[1 2]", 0, PH_ERR_DECODE, NULL},
    {"unclosed array", "[1", 0, PH_ERR_DECODE, NULL},
    {"unclosed object", "{\"a\":1", 0, PH_ERR_DECODE, NULL},
    {"missing colon", "{\"a\" 1}", 0, PH_ERR_DECODE, NULL},
    {"unquoted name", "{a:1}", 0, PH_ERR_DECODE, NULL},
    {"single quotes", "['a']", 0, PH_ERR_DECODE, NULL},
    {"comment", "[1/*c*/]", 0, PH_ERR_DECODE, NULL},
    {"vertical tab is not whitespace", "\v1", 0, PH_ERR_DECODE, NULL},
    {"form feed is not whitespace", "[1\f]", 0, PH_ERR_DECODE, NULL},
    {"nested empties", " { \"a\" : [ ] , \"b\" : { } } ", 0, PH_OK,
     "{\"a\":[],\"b\":{}}"},
    {"BOM", "\xef\xbb\xbf{}", 0, PH_ERR_DECODE, NULL},
    {"BOM before a number", "\xef\xbb\xbf" "1", 0, PH_ERR_DECODE, NULL},
    {"NUL after the value", "1\0", 2, PH_ERR_DECODE, NULL},
    /* strings */
    {"escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 0, PH_OK,
     "\"\\\"\\\\/\\b\\f\\n\\r\\t\""},
    {"raw tab in string", "\"a\tb\"", 0, PH_ERR_DECODE, NULL},
    {"raw newline in string", "\"a\nb\"", 0, PH_ERR_DECODE, NULL},
    {"raw 0x01 in string", "\"\x01\"", 0, PH_ERR_DECODE, NULL},
    {"raw 0x1f in a name", "{\"\x1f\":1}", 0, PH_ERR_DECODE, NULL},
    {"raw NUL in string", "\"a\0b\"", 5, PH_ERR_DECODE, NULL},
    {"DEL is allowed raw", "\"\x7f\"", 0, PH_OK, "\"\\u007f\""},
    {"invalid escape", "\"\\x41\"", 0, PH_ERR_DECODE, NULL},
    {"upper-case U escape", "\"\\U0041\"", 0, PH_ERR_DECODE, NULL},
    {"short \\u escape", "\"\\u12\"", 0, PH_ERR_DECODE, NULL},
    {"non-hex \\u escape", "\"\\u12g4\"", 0, PH_ERR_DECODE, NULL},
    {"unterminated string", "\"abc", 0, PH_ERR_DECODE, NULL},
    {"backslash at the end", "\"abc\\", 0, PH_ERR_DECODE, NULL},
    {"escaped BMP character", "\"\\u20ac\\u00E9\"", 0, PH_OK,
     "\"\xe2\x82\xac\xc3\xa9\""},
    {"surrogate pair", "\"\\ud83d\\ude00\"", 0, PH_OK,
     "\"\xf0\x9f\x98\x80\""},
    {"surrogate pair, upper-case hex", "\"\\uD83D\\uDE00\"", 0, PH_OK,
     "\"\xf0\x9f\x98\x80\""},
    {"lone high surrogate", "\"\\ud800\"", 0, PH_ERR_DECODE, NULL},
    {"lone high surrogate then text", "\"\\ud800abcdef\"", 0, PH_ERR_DECODE,
     NULL},
    {"high surrogate then BMP escape", "\"\\ud800\\u0041\"", 0,
     PH_ERR_DECODE, NULL},
    {"two high surrogates", "\"\\ud800\\ud800\"", 0, PH_ERR_DECODE, NULL},
    {"lone low surrogate", "\"\\udc00\"", 0, PH_ERR_DECODE, NULL},
    {"reversed pair", "\"\\ude00\\ud83d\"", 0, PH_ERR_DECODE, NULL},
    {"lone surrogate in a name", "{\"\\udfff\":1}", 0, PH_ERR_DECODE, NULL},
    {"raw UTF-8, 2 to 4 bytes", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", 0,
     PH_OK, "\"\\u00e9\\u20ac\\ud83d\\ude00\""},
    {"largest code point", "\"\xf4\x8f\xbf\xbf\"", 0, PH_OK,
     "\"\\udbff\\udfff\""},
    {"overlong 2-byte '/'", "\"\xc0\xaf\"", 0, PH_ERR_DECODE, NULL},
    {"overlong 2-byte (c1)", "\"\xc1\xbf\"", 0, PH_ERR_DECODE, NULL},
    {"overlong 3-byte", "\"\xe0\x80\xaf\"", 0, PH_ERR_DECODE, NULL},
    {"overlong 3-byte (e0 9f)", "\"\xe0\x9f\xbf\"", 0, PH_ERR_DECODE, NULL},
    {"overlong 4-byte", "\"\xf0\x80\x80\xaf\"", 0, PH_ERR_DECODE, NULL},
    {"overlong 4-byte (f0 8f)", "\"\xf0\x8f\xbf\xbf\"", 0, PH_ERR_DECODE,
     NULL},
    {"raw surrogate (ed a0 80)", "\"\xed\xa0\x80\"", 0, PH_ERR_DECODE, NULL},
    {"raw surrogate (ed bf bf)", "\"\xed\xbf\xbf\"", 0, PH_ERR_DECODE, NULL},
    {"beyond U+10FFFF", "\"\xf4\x90\x80\x80\"", 0, PH_ERR_DECODE, NULL},
    {"f5 lead byte", "\"\xf5\x80\x80\x80\"", 0, PH_ERR_DECODE, NULL},
    {"lone continuation byte", "\"\x80\"", 0, PH_ERR_DECODE, NULL},
    {"truncated 3-byte sequence", "\"\xe2\x82\"", 0, PH_ERR_DECODE, NULL},
    {"truncated at end of input", "\"\xe2\x82", 0, PH_ERR_DECODE, NULL},
    {"0xff byte", "\"\xff\"", 0, PH_ERR_DECODE, NULL},
    {"bad UTF-8 after an escape", "\"\\n\xc0\xaf\"", 0, PH_ERR_DECODE, NULL},
    {"bad UTF-8 after 8 plain bytes", "\"abcdefghij\xc0\xaf\"", 0,
     PH_ERR_DECODE, NULL},
    {"control byte after 16 plain bytes", "\"abcdefghijklmnop\x01qrstuvwx\"",
     0, PH_ERR_DECODE, NULL},
    {"quote after 16 plain bytes", "[\"abcdefghijklmnop\",\"qrstuvwxyz\"]",
     0, PH_OK, "[\"abcdefghijklmnop\",\"qrstuvwxyz\"]"},
    {"NUL escape: cJSON cannot hold it", "\"a\\u0000b\"", 0, PH_ERR_SINK,
     NULL},
    /* duplicates */
    {"duplicate names: the last wins", "{\"a\":1,\"b\":2,\"a\":3}", 0, PH_OK,
     "{\"a\":3,\"b\":2}"},
    {"duplicate names with containers",
     "{\"a\":{\"x\":[1,2]},\"a\":[{\"y\":null}],\"a\":{\"z\":true}}", 0, PH_OK,
     "{\"a\":{\"z\":true}}"},
    {"duplicate names, nested", "{\"o\":{\"k\":1,\"k\":\"two\"}}", 0, PH_OK,
     "{\"o\":{\"k\":\"two\"}}"},
    {"escaped and plain spelling of one name", "{\"a\":1,\"\\u0061\":2}", 0,
     PH_OK, "{\"a\":2}"},
};

static void table(void)
{
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const json_case *c = &cases[i];
        t_begin("json: %s", c->what);
        cjson_case(c->in, c->len ? c->len : strlen(c->in), c->st, c->want);
        t_end();
    }
}

/* Parse with the exact sink and compare its canonical dump (len 0:
 * strlen). */
static void exact_case(const char *what, const char *in, size_t len,
                       ph_status want_st, const char *want_dump)
{
    ph_scratch s = PH_SCRATCH_INIT;
    t_exact_ctx ctx = {0, -1, 0};
    ph_error err;
    void *root = NULL;
    ph_status st;

    if (len == 0)
        len = strlen(in);
    t_begin("json exact: %s", what);
    t_error_reset(&err);
    st = ph_json_parse(in, len, &t_exact_sink, &ctx, &s, &root, &err);
    CHECK_STATUS(st, want_st, "ph_json_parse");
    if (st == PH_OK && want_dump != NULL) {
        size_t dl;
        char *d = t_node_dump(root, &dl);
        CHECK(strcmp(d, want_dump) == 0, "got %.200s, want %.200s", d,
              want_dump);
        free(d);
    }
    if (st != PH_OK)
        t_check_error(&err, st, NULL, NULL, 0);
    t_node_free(&ctx, root);
    CHECK(ctx.live == 0, "%ld sink handles leaked", ctx.live);
    ph_scratch_free(&s);
    t_end();
}

static void exact_values(void)
{
    exact_case("NUL escapes kept", "\"a\\u0000b\\u0000\"", 0, PH_OK,
               "\"a\\u0000b\\u0000\"");
    exact_case("NUL in a name", "{\"\\u0000\":0}", 0, PH_OK,
               "{\"\\u0000\":0}");
    exact_case("names differing after a NUL",
               "{\"a\\u0000x\":1,\"a\\u0000y\":2}", 0, PH_OK,
               "{\"a\\u0000x\":1,\"a\\u0000y\":2}");
    exact_case("2^53 + 1 as written", "[9007199254740993]", 0, PH_OK,
               "[9007199254740993]");
    exact_case("int64 limits", "[9223372036854775807,-9223372036854775808]",
               0, PH_OK, "[9223372036854775807,-9223372036854775808]");
    exact_case("just past int64", "[9223372036854775808,-9223372036854775809]",
               0, PH_OK, "[9223372036854775808,-9223372036854775809]");
    /* 19 digits fit a uint64 and are counted, not checked digit by
     * digit: the kinds either side of 19 and 20 digits. */
    exact_case("19 and 20 digits",
               "[1000000000000000000,-1000000000000000000,"
               "9999999999999999999,-9999999999999999999,"
               "10000000000000000000,18446744073709551615,"
               "18446744073709551616,99999999999999999999,"
               "-99999999999999999999,100000000000000000000]",
               0, PH_OK,
               "[1000000000000000000,-1000000000000000000,"
               "9999999999999999999,-9999999999999999999,"
               "10000000000000000000,18446744073709551615,"
               "18446744073709551616,99999999999999999999,"
               "-99999999999999999999,100000000000000000000]");
    exact_case("float literal as written", "[1.0,1e400,-0.0,2E-3]", 0, PH_OK,
               "[1.0,1e400,-0.0,2E-3]");
    exact_case("duplicates: last value, first place",
               "{\"a\":1,\"b\":2,\"a\":{\"c\":[3]}}", 0, PH_OK,
               "{\"a\":{\"c\":[3]},\"b\":2}");
}

/* "<sign>0.000...0<tail>": `body` characters after the sign, the last
 * strlen(tail) of them the tail.  Returns the whole length. */
static size_t zero_float(char *out, int negative, size_t body,
                         const char *tail)
{
    size_t t = strlen(tail), i, o = 0;

    if (negative)
        out[o++] = '-';
    out[o++] = '0';
    out[o++] = '.';
    for (i = 2; i < body - t; i++)
        out[o++] = '0';
    memcpy(out + o, tail, t);
    return o + t;
}

/* PH_MAX_NUMBER_CHARS: a literal of 4300 characters is fine, 4301 not.
 * A leading '-' is not counted (CPython's int limit counts digits only);
 * everything else is, the fraction and exponent of a float included. */
static void number_lengths(void)
{
    size_t n = PH_MAX_NUMBER_CHARS, len;
    char *num = malloc(n + 3);

    if (num == NULL)
        abort();
    /* An integer literal (kept exact: only the exact sink can hold it). */
    memset(num, '7', n + 2);
    exact_case("integer of 4300 digits", num, n, PH_OK, NULL);
    exact_case("integer of 4301 digits", num, n + 1, PH_ERR_DECODE, NULL);
    num[0] = '-';
    exact_case("'-' and 4299 digits", num, n, PH_OK, NULL);
    exact_case("'-' and 4300 digits", num, n + 1, PH_OK, NULL);
    exact_case("'-' and 4301 digits", num, n + 2, PH_ERR_DECODE, NULL);

    t_begin("json: float of 4300 characters");
    cjson_case(num, zero_float(num, 0, n, "0"), PH_OK, "0");
    t_end();
    t_begin("json: float of 4301 characters");
    cjson_case(num, zero_float(num, 0, n + 1, "0"), PH_ERR_DECODE, NULL);
    t_end();
    t_begin("json: '-' and a float of 4300 characters");
    len = zero_float(num, 1, n, "0");
    CHECK(len == n + 1, "built %zu characters", len);
    cjson_case(num, len, PH_OK, "-0.0");
    t_end();
    t_begin("json: '-' and a float of 4301 characters");
    cjson_case(num, zero_float(num, 1, n + 1, "0"), PH_ERR_DECODE, NULL);
    t_end();
    /* The limit counts the whole literal, exponent included; only the
     * leading sign is free, not the exponent's. */
    t_begin("json: float with exponent, 4301 characters");
    cjson_case(num, zero_float(num, 0, n + 1, "e1"), PH_ERR_DECODE, NULL);
    t_end();
    t_begin("json: float with a signed exponent, 4301 characters");
    cjson_case(num, zero_float(num, 0, n + 1, "e-1"), PH_ERR_DECODE, NULL);
    t_end();
    t_begin("json: '-', then 4300 characters with a signed exponent");
    cjson_case(num, zero_float(num, 1, n, "e-1"), PH_OK, "-0.0");
    t_end();
    free(num);
}

static char *nested(size_t depth, int objects, size_t *len)
{
    size_t open = objects ? 5 : 1, i;
    char *p = malloc(depth * (open + 1) + 2), *o = p;

    if (p == NULL)
        abort();
    for (i = 0; i < depth; i++) {
        memcpy(o, objects ? "{\"k\":" : "[", open);
        o += open;
    }
    *o++ = '1';
    for (i = 0; i < depth; i++)
        *o++ = objects ? '}' : ']';
    *len = (size_t)(o - p);
    return p;
}

static void nesting(void)
{
    size_t len;
    char *p;
    int objects;

    for (objects = 0; objects <= 1; objects++) {
        const char *kind = objects ? "objects" : "arrays";
        p = nested(PH_MAX_DEPTH, objects, &len);
        t_begin("json: %d nested %s are fine", PH_MAX_DEPTH, kind);
        cjson_case(p, len, PH_OK, NULL);
        t_end();
        free(p);
        p = nested(PH_MAX_DEPTH + 1, objects, &len);
        t_begin("json: %d nested %s fail", PH_MAX_DEPTH + 1, kind);
        cjson_case(p, len, PH_ERR_DECODE, NULL);
        t_end();
        exact_case("129 nested: no handle leaks", p, len, PH_ERR_DECODE, NULL);
        free(p);
    }
    /* Depth is about nesting, not about how many containers there are. */
    {
        size_t n = 1000, i;
        char *q = malloc(3 * n + 2), *o = q;
        if (q == NULL)
            abort();
        *o++ = '[';
        for (i = 0; i < n; i++) {
            memcpy(o, "[],", 3);
            o += 3;
        }
        o[-1] = ']';
        t_begin("json: 1000 sibling arrays are fine");
        cjson_case(q, (size_t)(o - q), PH_OK, NULL);
        t_end();
        free(q);
    }
}

/* The error message names the byte where the parse stopped. */
static void error_offsets(void)
{
    static const struct {
        const char *in, *at;
    } offs[] = {
        {"[1,]", "byte 3"},
        {"{\"a\":01}", "byte 5"},
        {"  x", "byte 2"},
        {"[1] 2", "byte 4"},
    };
    size_t i;

    for (i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        ph_scratch s = PH_SCRATCH_INIT;
        ph_error err;
        void *root = NULL;
        t_begin("json: error message for %s names %s", offs[i].in,
                offs[i].at);
        t_error_reset(&err);
        CHECK_STATUS(ph_json_parse(offs[i].in, strlen(offs[i].in),
                                   &ph_cjson_sink, NULL, &s, &root, &err),
                     PH_ERR_DECODE, "parse");
        if (CHECK(memchr(err.message, '\0', sizeof err.message) != NULL,
                  "message not terminated"))
            CHECK(strstr(err.message, offs[i].at) != NULL,
                  "message \"%s\" does not say %s", err.message, offs[i].at);
        ph_scratch_free(&s);
        t_end();
    }
}

/*
 * Ownership: make the sink fail at every one of its calls in turn on a
 * document that uses every kind of value, duplicates and escapes.  Each
 * run must end in PH_ERR_SINK with no root and every handle given back.
 */
static void sink_failures(void)
{
    static const char doc[] =
        "{\"a\":[1,2.5,\"s\",\"e\\u00e9\",true,false,null,{\"x\":[]},[[]]],"
        "\"b\":{\"c\":{\"d\":\"v\"}},\"a\":{\"again\":[9007199254740993]},"
        "\"\\u0000\":[{},{\"y\":-0}]}";
    ph_scratch s = PH_SCRATCH_INIT;
    t_exact_ctx ctx = {0, -1, 0};
    void *root = NULL;
    long total, b;
    ph_status st;

    t_begin("json: sink failure at every call gives every handle back");
    st = ph_json_parse(doc, sizeof doc - 1, &t_exact_sink, &ctx, &s, &root,
                       NULL);
    CHECK_STATUS(st, PH_OK, "full parse");
    t_node_free(&ctx, root);
    total = ctx.calls;
    CHECK(total > 30, "only %ld sink calls", total);
    for (b = 0; b < total; b++) {
        ph_error err;
        t_exact_ctx c = {0, b, 0};
        root = (void *)&c;
        t_error_reset(&err);
        st = ph_json_parse(doc, sizeof doc - 1, &t_exact_sink, &c, &s, &root,
                           &err);
        if (!CHECK(st == PH_ERR_SINK, "budget %ld: got %s", b,
                   ph_status_name(st))) {
            if (st == PH_OK)
                t_node_free(&c, root);
            break;
        }
        t_check_error(&err, st, NULL, NULL, 0);
        CHECK(root == NULL, "budget %ld: root set after a failure", b);
        if (!CHECK(c.live == 0, "budget %ld: %ld handles leaked", b, c.live))
            break;
    }
    ph_scratch_free(&s);
    t_end();

    t_begin("json: a syntax error late in the document frees everything");
    {
        static const char bad[] =
            "{\"a\":[1,{\"b\":[\"x\",{\"c\":null}]}],\"d\":{\"e\":[tru]}}";
        t_exact_ctx c = {0, -1, 0};
        root = NULL;
        st = ph_json_parse(bad, sizeof bad - 1, &t_exact_sink, &c, &s, &root,
                           NULL);
        CHECK_STATUS(st, PH_ERR_DECODE, "parse");
        CHECK(c.live == 0, "%ld handles leaked", c.live);
    }
    ph_scratch_free(&s);
    t_end();
}

/* The closes' counts of a tree, node first and then its children (object
 * members in the tree's order), into out[] (at most cap); -1 if some
 * container was closed other than once. */
static long close_counts(const t_node *n, size_t *out, size_t cap, long k)
{
    const t_node *ch;

    if (k < 0 || (n->type != cJSON_Array && n->type != cJSON_Object))
        return k;
    if (n->closes != 1 || (size_t)k >= cap)
        return -1;
    out[k++] = n->closed_with;
    for (ch = n->child; ch != NULL; ch = ch->next)
        k = close_counts(ch, out, cap, k);
    return k;
}

/* end_object gets the number of object_set calls (a repeated name counted
 * each time), end_array the number of items, each container once. */
static void close_counts_case(const char *what, const char *in,
                              const size_t *want, long n_want)
{
    ph_scratch s = PH_SCRATCH_INIT;
    t_exact_ctx ctx = {0, -1, 0};
    void *root = NULL;
    size_t got[16];
    long n, i;

    t_begin("json: close counts: %s", what);
    CHECK_STATUS(ph_json_parse(in, strlen(in), &t_exact_sink, &ctx, &s,
                               &root, NULL),
                 PH_OK, "parse");
    if (root != NULL) {
        n = close_counts(root, got, 16, 0);
        if (CHECK(n == n_want, "%ld containers closed once, want %ld", n,
                  n_want))
            for (i = 0; i < n; i++)
                CHECK(got[i] == want[i], "container %ld closed with %zu, "
                      "want %zu", i, got[i], want[i]);
    }
    t_node_free(&ctx, root);
    CHECK(ctx.live == 0, "%ld sink handles leaked", ctx.live);
    ph_scratch_free(&s);
    t_end();
}

static void close_counts_cases(void)
{
    static const size_t empty[] = {0}, one[] = {1}, dup[] = {4};
    /* root, x, y, z, z[0], z[1], y2, w, w[0] */
    static const size_t nested[] = {2, 3, 0, 2, 3, 0, 1, 1, 0};
    /* root (x set twice), the second x (kept), its c */
    static const size_t replaced[] = {2, 1, 3};
    static const size_t many[] = {5000};
    char *big;
    size_t i, len = 0;

    close_counts_case("empty object", "{}", empty, 1);
    close_counts_case("one member", "{\"a\":1}", one, 1);
    close_counts_case("duplicate names",
                      "{\"a\":1,\"b\":2,\"a\":3,\"a\":4}", dup, 1);
    close_counts_case("nested",
                      "{\"x\":{\"y\":{},\"z\":[{\"q\":1,\"q\":2,\"q\":3},"
                      "[]],\"y2\":{\"a\":1}},\"w\":[{}]}",
                      nested, 9);
    close_counts_case("a repeated name whose values are objects",
                      "{\"x\":{\"a\":1,\"b\":2},\"x\":{\"c\":[1,2,3]}}",
                      replaced, 3);
    if ((big = malloc(5000 * 24 + 8)) == NULL)
        abort();
    big[len++] = '{';
    for (i = 0; i < 5000; i++)
        len += (size_t)sprintf(big + len, "%s\"k%zu\":%zu", i ? "," : "",
                               i, i);
    big[len++] = '}';
    big[len] = '\0';
    close_counts_case("5000 members", big, many, 1);
    free(big);
}

/* Validation without a sink (the envelope and header checks use it). */
static void no_sink(void)
{
    ph_scratch s = PH_SCRATCH_INIT;
    void *root = (void *)&s;

    t_begin("json: parsing with no sink validates and returns no root");
    CHECK_STATUS(ph_json_parse("{\"a\":[1,\"\\u00e9\"]}", 18, NULL, NULL, &s,
                               &root, NULL),
                 PH_OK, "valid");
    CHECK(root == NULL, "root should be NULL without a sink");
    CHECK_STATUS(ph_json_parse("[01]", 4, NULL, NULL, &s, &root, NULL),
                 PH_ERR_DECODE, "invalid");
    ph_scratch_free(&s);
    t_end();
}

/* true, false and null are compared a word at a time (json_parse.c,
 * literal): each one, in an array and alone, with every byte changed to
 * every other value and cut short at every length, is refused; whole, it
 * is taken. */
static void literal_bytes(void)
{
    static const char *const words[] = { "true", "false", "null" };
    ph_scratch s = PH_SCRATCH_INIT;
    char buf[16];
    void *root;
    size_t w, n, pos, cut;
    int c;

#define PARSE(p, len) ph_json_parse((p), (len), NULL, NULL, &s, &root, NULL)
    t_begin("json: every one-byte change and every cut of a literal");
    for (w = 0; w < 3; w++) {
        n = strlen(words[w]);
        buf[0] = '[';
        memcpy(buf + 1, words[w], n);
        buf[n + 1] = ']';
        CHECK(PARSE(buf, n + 2) == PH_OK, "[%s]", words[w]);
        CHECK(PARSE(buf + 1, n) == PH_OK, "%s", words[w]);
        for (pos = 0; pos < n; pos++)
            for (c = 0; c < 256; c++) {
                if (c == (unsigned char)words[w][pos])
                    continue;
                memcpy(buf + 1, words[w], n);
                buf[1 + pos] = (char)c;
                CHECK(PARSE(buf, n + 2) == PH_ERR_DECODE,
                      "[%s], byte %zu as 0x%02x", words[w], pos, c);
                CHECK(PARSE(buf + 1, n) == PH_ERR_DECODE,
                      "%s, byte %zu as 0x%02x", words[w], pos, c);
            }
        memcpy(buf + 1, words[w], n);
        for (cut = 1; cut < n; cut++) {
            CHECK(PARSE(buf + 1, cut) == PH_ERR_DECODE, "%s cut to %zu",
                  words[w], cut);
            buf[1 + cut] = ']';
            CHECK(PARSE(buf, cut + 2) == PH_ERR_DECODE, "[%s cut to %zu]",
                  words[w], cut);
            memcpy(buf + 1, words[w], n);
        }
    }
#undef PARSE
    ph_scratch_free(&s);
    t_end();
}

/* ph_cjson_sink's members in order, against a model of json.loads: a
 * repeated name keeps its first place and takes its last value.  The
 * sink links members in as they come and settles repeats at the close
 * (sorted on the stack up to 16 members, on the heap past), so objects of
 * every size around 16, and big ones, with repeats at the start, the end
 * and between, are built and printed back. */
#define MODEL_MAX 3000

static void members_case(const unsigned *names, size_t n, const char *what)
{
    static unsigned place_name[MODEL_MAX];
    static size_t place_value[MODEL_MAX];
    size_t places = 0, i, j, cap = 24 * n + 4, len = 0, wlen = 0;
    char *doc = malloc(cap), *want = malloc(cap), *got;
    ph_scratch s = PH_SCRATCH_INIT;
    ph_error err;
    void *root = NULL;

    if (!CHECK(doc != NULL && want != NULL && n <= MODEL_MAX, "%s", what))
        goto out;
    for (i = 0; i < n; i++) {
        for (j = 0; j < places && place_name[j] != names[i]; j++)
            ;
        if (j == places)
            place_name[places++] = names[i];
        place_value[j] = i;
        len += (size_t)snprintf(doc + len, cap - len, "%c\"n%u\":%zu",
                                i ? ',' : '{', names[i], i);
    }
    len += (size_t)snprintf(doc + len, cap - len, n ? "}" : "{}");
    for (j = 0; j < places; j++)
        wlen += (size_t)snprintf(want + wlen, cap - wlen, "%c\"n%u\":%zu",
                                 j ? ',' : '{', place_name[j], place_value[j]);
    snprintf(want + wlen, cap - wlen, places ? "}" : "{}");
    t_error_reset(&err);
    if (!CHECK_STATUS(ph_json_parse(doc, len, &ph_cjson_sink, NULL, &s, &root,
                                    &err),
                      PH_OK, what))
        goto out;
    if ((got = cJSON_PrintUnformatted(root)) != NULL) {
        CHECK(strcmp(got, want) == 0, "%s: got %.120s, want %.120s", what,
              got, want);
        cJSON_free(got);
    } else {
        CHECK(0, "%s: cJSON_PrintUnformatted failed", what);
    }
out:
    cJSON_Delete(root);
    ph_scratch_free(&s);
    free(doc);
    free(want);
}

static void cjson_members(void)
{
    static unsigned names[MODEL_MAX];
    unsigned long r = 20261208;
    char what[96];
    size_t n, i, distinct;

    t_begin("ph_cjson_sink: members in order, repeats settled at the close");
    for (n = 0; n <= 40; n++) {
        for (distinct = 1; distinct <= n + 1; distinct += 1 + n / 8) {
            for (i = 0; i < n; i++) {
                r = r * 6364136223846793005UL + 1442695040888963407UL;
                names[i] = (unsigned)(r >> 33) % (unsigned)distinct;
            }
            snprintf(what, sizeof what, "%zu members of %zu names", n,
                     distinct);
            members_case(names, n, what);
        }
    }
    /* Big: all distinct; one name at both ends; every name twice, the
     * second time in reverse; a few names over and over. */
    for (i = 0; i < MODEL_MAX; i++)
        names[i] = (unsigned)i;
    members_case(names, MODEL_MAX, "3000 distinct");
    names[MODEL_MAX - 1] = 0;
    members_case(names, MODEL_MAX, "3000, the first name last again");
    for (i = 0; i < MODEL_MAX / 2; i++)
        names[MODEL_MAX / 2 + i] = (unsigned)(MODEL_MAX / 2 - 1 - i);
    members_case(names, MODEL_MAX, "1500 names, each twice");
    for (i = 0; i < MODEL_MAX; i++)
        names[i] = (unsigned)(i * 7 % 5);
    members_case(names, MODEL_MAX, "five names, 3000 times");
    t_end();
}

void run_units_json(void)
{
    literal_bytes();
    table();
    exact_values();
    number_lengths();
    nesting();
    error_offsets();
    sink_failures();
    close_counts_cases();
    cjson_members();
    no_sink();
}
