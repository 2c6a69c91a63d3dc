/* The constant-time pieces of the SuperPay opening: the JSON check of
 * json_ct.c against the strict parser, and the PKCS#7 check. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "runner.h"

static int no_member(void *hctx, const char *name, size_t len)
{
    (void)hctx;
    (void)name;
    (void)len;
    return 0;
}

/* What the parser says of `text` as a SuperPay plaintext. */
static int parser_accepts(const char *text, size_t len)
{
    ph_top_hook hook = {no_member, NULL, NULL, NULL};
    ph_scratch s = PH_SCRATCH_INIT;
    void *root = NULL;
    ph_error err;
    int ok = ph_json_parse_hooked(text, len, NULL, NULL, &hook, &s, &root,
                                  &err) == PH_OK;
    ph_scratch_free(&s);
    return ok;
}

/* ph_json_ct_scan and its plain C loop give the same verdict and the
 * same events; returns 1 if they do (a failed check if not). */
static int scans_agree(const unsigned char *text, size_t len)
{
    unsigned char *a = malloc(len > 0 ? len : 1);
    unsigned char *b = malloc(len > 0 ? len : 1);
    int same;

    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return CHECK(0, "out of memory");
    }
    memset(a, 0xa5, len);
    memset(b, 0x5a, len);
    same = ph_json_ct_scan(text, len, a) ==
               ph_json_ct_scan_portable(text, len, b) &&
           memcmp(a, b, len) == 0;
    free(a);
    free(b);
    return CHECK(same, "the two scan loops differ on %zu bytes", len);
}

static int ct_accepts(const char *text, size_t len)
{
    unsigned char *events = malloc(len > 0 ? len : 1);
    int ok;

    if (events == NULL)
        return -1;
    ok = ph_json_ct_valid((const unsigned char *)text, len, events);
    free(events);
    if (!scans_agree((const unsigned char *)text, len))
        return -1;
    return ok;
}

static void agree(const char *text, size_t len, int want, const char *what)
{
    int p = parser_accepts(text, len), c = ct_accepts(text, len);
    CHECK(p == want, "%s: the parser says %d", what, p);
    CHECK(c == want, "%s: the constant-time check says %d", what, c);
}

#define AGREE(lit, want) agree(lit, sizeof(lit) - 1, want, #lit)

static void known_cases(void)
{
    t_begin("constant-time JSON check: accepted and refused texts");
    AGREE("{}", 1);
    AGREE(" \t\r\n{ } \n", 1);
    AGREE("{\"a\":1,\"b\":[true,false,null,-0.5e+3,\"x\"],\"c\":{}}", 1);
    AGREE("{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}", 1);
    AGREE("{\"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\x9f\xbf\"}", 1);
    AGREE("{\"a\":1,\"a\":2}", 1);              /* as json.loads */
    AGREE("[]", 0);                             /* not an object */
    AGREE("\"x\"", 0);
    AGREE("", 0);
    AGREE("{", 0);
    AGREE("{}}", 0);
    AGREE("{},", 0);
    AGREE("{},{}", 0);
    AGREE("{}x", 0);
    AGREE("\xef\xbb\xbf{}", 0);                 /* BOM */
    AGREE("{\"a\"}", 0);
    AGREE("{\"a\":}", 0);
    AGREE("{\"a\":1,}", 0);
    AGREE("{1:2}", 0);
    AGREE("{\"a\":[1,2}", 0);
    AGREE("{\"a\":[1,2}]", 0);                  /* bracket types */
    AGREE("{\"a\":{\"b\":1]}", 0);
    AGREE("{\"a\":[\"k\":1]}", 0);              /* ':' in an array */
    AGREE("{\"a\":{\"k\",1}}", 0);              /* keyless member */
    AGREE("{\"a\":[{}, 2, \"x\", []]}", 1);
    AGREE("{\"a\":01}", 0);
    AGREE("{\"a\":1.}", 0);
    AGREE("{\"a\":.5}", 0);
    AGREE("{\"a\":-}", 0);
    AGREE("{\"a\":1e}", 0);
    AGREE("{\"a\":+1}", 0);
    AGREE("{\"a\":tru}", 0);
    AGREE("{\"a\":truex}", 0);
    AGREE("{\"a\":nul}", 0);
    AGREE("{\"a\":NaN}", 0);
    AGREE("{\"a\":\"\\ud800\"}", 0);            /* lone high */
    AGREE("{\"a\":\"\\udc00\"}", 0);            /* lone low */
    AGREE("{\"a\":\"\\ud800\\u0041\"}", 0);
    AGREE("{\"a\":\"\\x\"}", 0);
    AGREE("{\"a\":\"\\u12g4\"}", 0);
    AGREE("{\"a\":\"\t\"}", 0);                 /* raw control */
    AGREE("{\"a\":\"\xc0\xaf\"}", 0);           /* overlong */
    AGREE("{\"a\":\"\xed\xa0\x80\"}", 0);       /* encoded surrogate */
    AGREE("{\"a\":\"\xf4\x90\x80\x80\"}", 0);   /* past U+10FFFF */
    AGREE("{\"a\":\"\xe2\x82\"}", 0);           /* truncated */
    t_end();

    t_begin("constant-time JSON check: depth and number limits");
    {
        char buf[PH_MAX_NUMBER_CHARS + 64];
        size_t n, i;
        int depth;

        for (depth = PH_MAX_DEPTH - 1; depth <= PH_MAX_DEPTH + 1; depth++) {
            /* {"a": [[...]]} : the object is level 1. */
            n = 0;
            memcpy(buf + n, "{\"a\":", 5);
            n += 5;
            for (i = 1; i < (size_t)depth; i++)
                buf[n++] = '[';
            for (i = 1; i < (size_t)depth; i++)
                buf[n++] = ']';
            buf[n++] = '}';
            agree(buf, n, depth <= PH_MAX_DEPTH, "nesting");
        }
        for (i = PH_MAX_NUMBER_CHARS - 1; i <= PH_MAX_NUMBER_CHARS + 1; i++) {
            int neg;
            for (neg = 0; neg <= 1; neg++) {
                n = 0;
                memcpy(buf, "{\"n\":", 5);
                n = 5;
                if (neg)
                    buf[n++] = '-';
                buf[n++] = '1';
                memset(buf + n, '0', i - 1);
                n += i - 1;
                buf[n++] = '}';
                agree(buf, n, i <= PH_MAX_NUMBER_CHARS, "number length");
            }
        }
    }
    t_end();
}

/* The same values through ph_json_parse_marked with the check's marks as
 * through the plain parser (compared as cJSON's compact text). */
static int marked_parse_same(const char *text, size_t len)
{
    ph_top_hook hook = {no_member, NULL, NULL, NULL};
    ph_scratch s = PH_SCRATCH_INIT;
    unsigned char *events = malloc(len > 0 ? len : 1);
    void *plain = NULL, *marked = NULL;
    ph_status st1, st2;
    ph_error err;
    int same = 0;

    if (events == NULL || !ph_json_ct_valid((const unsigned char *)text, len,
                                            events))
        goto done;
    st1 = ph_json_parse_hooked(text, len, &ph_cjson_sink, NULL, &hook, &s,
                               &plain, &err);
    st2 = ph_json_parse_marked(text, len, events, &ph_cjson_sink, NULL,
                               &hook, &s, &marked, &err);
    if (st1 != st2)
        goto done;
    if (st1 != PH_OK) {
        same = 1;           /* cJSON cannot hold it either way */
    } else {
        char *a = cJSON_PrintUnformatted(plain);
        char *b = cJSON_PrintUnformatted(marked);
        same = a != NULL && b != NULL && strcmp(a, b) == 0;
        cJSON_free(a);
        cJSON_free(b);
    }
done:
    cJSON_Delete(plain);
    cJSON_Delete(marked);
    free(events);
    ph_scratch_free(&s);
    return same;
}

/* Seeded mutations of valid documents: the two must agree on each. */
static void differential(void)
{
    static const char *seeds[] = {
        "{}",
        "{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\u00e9\\ud83d\\ude00\\n\"}",
        "{\"k\":-0.5e+10,\"t\":true,\"f\":false,\"n\":null,"
        "\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
        "{\"a\":{\"b\":{\"c\":[[[]]]}}}",
        "{\"x\":\"\\\\\\\"\\/\\b\\f\\r\\t\"}",
        "{ \"a\" : [ 1 , 2 ] , \"b\" : { } }\n\t ",
    };
    static const char alphabet[] = "{}[]:,\"\\0123456789-+.eEtrufalsn \t\n"
                                   "abcdABCDuU\x80\xc3\xa9\xed\xa0\xf4\x90"
                                   "\x01x/";
    unsigned long rng = 20261201;
    long cases, accepted = 0, mismatches = 0;
    char buf[256];

    t_begin("constant-time JSON check agrees with the parser, and the "
            "marked parse with the plain one (200,000 mutated documents)");
    for (cases = 0; cases < 200000; cases++) {
        const char *seed;
        size_t n;
        int m, muts;

#define RAND() (rng = rng * 6364136223846793005UL + 1442695040888963407UL, \
                (unsigned)(rng >> 33))
        seed = seeds[RAND() % (sizeof seeds / sizeof seeds[0])];
        n = strlen(seed);
        memcpy(buf, seed, n);
        muts = (int)(RAND() % 4);
        for (m = 0; m < muts; m++) {
            size_t pos = RAND() % (n + 1);
            unsigned op = RAND() % 3;
            char c = alphabet[RAND() % (sizeof alphabet - 1)];
            if (op == 0 && n < sizeof buf - 1) {
                memmove(buf + pos + 1, buf + pos, n - pos);
                buf[pos] = c;
                n++;
            } else if (op == 1 && pos < n) {
                memmove(buf + pos, buf + pos + 1, n - pos - 1);
                n--;
            } else if (pos < n) {
                buf[pos] = c;
            }
        }
#undef RAND
        {
            int p = parser_accepts(buf, n), c = ct_accepts(buf, n);
            accepted += p;
            if (p != c && mismatches++ < 5)
                CHECK(0, "parser %d, constant-time check %d on %.*s", p, c,
                      (int)n, buf);
            if (p && c && !marked_parse_same(buf, n) && mismatches++ < 5)
                CHECK(0, "the marked parse differs on %.*s", (int)n, buf);
        }
    }
    CHECK(mismatches == 0, "%ld mismatches", mismatches);
    /* The corpus must exercise both answers. */
    CHECK(accepted > 20000 && accepted < 180000, "%ld accepted", accepted);
    t_end();
}

static void pkcs7(void)
{
    unsigned char block[32];
    unsigned pad, pos;

    t_begin("PKCS#7 check: every final byte value, every wrong position");
    for (pad = 0; pad < 256; pad++) {
        size_t got = 99;
        unsigned ok;
        memset(block, 'x', sizeof block);
        memset(block + 32 - (pad < 16 ? pad : 16), (int)pad,
               pad < 16 ? pad : 16);
        block[31] = (unsigned char)pad;
        ok = ph_pkcs7_check(block, sizeof block, &got, 0);
        if (pad >= 1 && pad <= 16) {
            CHECK(ok == ~0u && got == pad, "pad %u: %x %zu", pad, ok, got);
            for (pos = 32 - pad; pos < 31; pos++) {
                unsigned char save = block[pos];
                block[pos] ^= 0x01;
                CHECK(ph_pkcs7_check(block, sizeof block, &got, 0) == 0 &&
                          got == 0,
                      "pad %u, wrong byte at %u accepted", pad, pos);
                block[pos] = save;
            }
        } else {
            CHECK(ok == 0 && got == 0, "pad %u accepted", pad);
        }
    }
    t_end();

    t_begin("PKCS#7 check: blanking turns only a valid padding into spaces");
    memset(block, 'x', sizeof block);
    memset(block + 27, 5, 5);
    {
        size_t got;
        CHECK(ph_pkcs7_check(block, sizeof block, &got, 1) == ~0u && got == 5,
              "valid padding refused");
        CHECK(memcmp(block + 27, "     ", 5) == 0 && block[26] == 'x',
              "padding not blanked exactly");
        memset(block, 'x', sizeof block);
        block[31] = 3;      /* 'x', 'x', 3: invalid */
        CHECK(ph_pkcs7_check(block, sizeof block, &got, 1) == 0,
              "invalid padding accepted");
        CHECK(block[31] == 3 && block[30] == 'x', "invalid padding blanked");
    }
    t_end();
}

/* Random bytes, and random bytes from JSON's own alphabet, of every
 * length up to 300: the written-out step (x86-64) and the C loop must
 * write the same events and give the same verdict, whatever the text. */
static void scan_loops(void)
{
    static const char json_bytes[] = "{}[]:,\"\\0123456789-+.eE truefalsn"
                                     "u\x80\xbf\xc3\xe0\xed\xf0\xf4\x01\t";
    unsigned long rng = 7;
    unsigned char buf[300];
    size_t len, i;
    int round, bad = 0;

    t_begin("constant-time JSON scan: the written-out step and the C loop "
            "agree on random texts of every length 0..300");
    for (len = 0; len <= sizeof buf && bad <= 5; len++) {
        for (round = 0; round < 40; round++) {
            for (i = 0; i < len; i++) {
                unsigned r;
                rng = rng * 6364136223846793005UL + 1442695040888963407UL;
                r = (unsigned)(rng >> 33);
                buf[i] = round % 2 ? (unsigned char)r
                                   : (unsigned char)json_bytes
                                         [r % (sizeof json_bytes - 1)];
            }
            /* Half of them start like a document, so that the automaton
             * gets past its first states. */
            if (round % 4 < 2 && len > 0)
                buf[0] = '{';
            bad += !scans_agree(buf, len);
        }
    }
    CHECK(bad == 0, "%d texts differ", bad);
    t_end();
}

void run_units_json_ct(void)
{
    known_cases();
    scan_loops();
    differential();
    pkcs7();
}
