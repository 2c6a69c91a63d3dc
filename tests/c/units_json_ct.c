/* The constant-time pieces of the SuperPay opening: the JSON scan of
 * json_ct.c (its forms against each other, and against the strict parser),
 * and the PKCS#7 check. */
#include <stdio.h>
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

static const ph_json_ct_form all_forms[] = {
    PH_JSON_CT_C, PH_JSON_CT_CHAIN, PH_JSON_CT_COMPOSED, PH_JSON_CT_PAIRS_C,
    PH_JSON_CT_PAIRS
};
#define N_FORMS (sizeof all_forms / sizeof all_forms[0])

/* What the scan says of `text`: the verdict of ph_json_ct_scan, which
 * every other form this CPU has must give too (a failed check, and -1,
 * if one does not). */
static int scan_accepts(const char *text, size_t len)
{
    const unsigned char *t = (const unsigned char *)text;
    unsigned char *work = malloc(len > 0 ? len : 1);
    int verdict, same = 1;
    size_t i;

    if (work == NULL)
        return CHECK(0, "out of memory") - 1;
    verdict = ph_json_ct_scan(t, len, work);
    for (i = 0; i < N_FORMS; i++) {
        if (!ph_json_ct_form_available(all_forms[i]))
            continue;
        memset(work, 0xa5, len);
        if (ph_json_ct_scan_with(t, len, work, all_forms[i]) != verdict)
            same = 0;
    }
    free(work);
    if (!CHECK(same, "the forms of the scan differ on %zu bytes", len))
        return -1;
    return verdict;
}

/* `parser`: the strict parse's verdict; `scan`: the constant-time scan's,
 * which differs only where the rule needs memory of the text. */
static void agree(const char *text, size_t len, int parser, int scan,
                  const char *what)
{
    int p = parser_accepts(text, len), c = scan_accepts(text, len);
    CHECK(p == parser, "%s: the parser says %d", what, p);
    CHECK(c == scan, "%s: the constant-time scan says %d", what, c);
}

#define AGREE(lit, want) agree(lit, sizeof(lit) - 1, want, want, #lit)
/* A rule the scan leaves to the parse: the scan passes it. */
#define PARSE_ONLY(lit) agree(lit, sizeof(lit) - 1, 0, 1, #lit)

static void known_cases(void)
{
    t_begin("constant-time JSON scan and parser: accepted and refused "
            "texts");
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
    PARSE_ONLY("{}}");
    AGREE("{},", 0);
    PARSE_ONLY("{},{}");
    AGREE("{}x", 0);
    AGREE("\xef\xbb\xbf{}", 0);                 /* BOM */
    AGREE("{\"a\"}", 0);
    AGREE("{\"a\":}", 0);
    AGREE("{\"a\":1,}", 0);
    AGREE("{1:2}", 0);
    PARSE_ONLY("{\"a\":[1,2}");
    PARSE_ONLY("{\"a\":[1,2}]");                  /* bracket types */
    PARSE_ONLY("{\"a\":{\"b\":1]}");
    PARSE_ONLY("{\"a\":[\"k\":1]}");              /* ':' in an array */
    PARSE_ONLY("{\"a\":{\"k\",1}}");              /* keyless member */
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

    t_begin("constant-time JSON scan: depth and number limits are the "
            "parser's");
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
            agree(buf, n, depth <= PH_MAX_DEPTH, 1, "nesting");
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
                agree(buf, n, i <= PH_MAX_NUMBER_CHARS, 1, "number length");
            }
        }
    }
    t_end();
}

static unsigned long next_rand(unsigned long *rng)
{
    *rng = *rng * 6364136223846793005UL + 1442695040888963407UL;
    return *rng >> 33;
}

/* Up to three random edits (insert, delete, replace) of `seed` into buf
 * (room for 256 bytes), with bytes from `alphabet`; returns the length.
 * The first `head` and the last `tail` bytes are never touched. */
static size_t mutate(const char *seed, const char *alphabet, size_t head,
                     size_t tail, unsigned long *rng, char *buf)
{
    size_t n = strlen(seed), k = strlen(alphabet);
    int m, muts = (int)(next_rand(rng) % 4);

    memcpy(buf, seed, n);
    for (m = 0; m < muts; m++) {
        /* pos in [head, n - tail]: an insert there, or an edit of the
         * byte at pos when pos < n - tail. */
        size_t pos = head + next_rand(rng) % (n - head - tail + 1);
        unsigned op = (unsigned)(next_rand(rng) % 3);
        char c = alphabet[next_rand(rng) % k];
        if (op == 0 && n < 255) {
            memmove(buf + pos + 1, buf + pos, n - pos);
            buf[pos] = c;
            n++;
        } else if (op == 1 && pos < n - tail) {
            memmove(buf + pos, buf + pos + 1, n - pos - 1);
            n--;
        } else if (pos < n - tail) {
            buf[pos] = c;
        }
    }
    return n;
}

/*
 * Seeded mutations of valid documents.  Anything the parser accepts, the
 * scan must pass (a scan that refused more would refuse genuine
 * callbacks).  And inside one array, with edits that add no bracket and
 * no ':', no rule needs memory (the brackets match, every item may go
 * without a key, and nothing can make one a key), so there the two must
 * give the same answer exactly: that checks what the scan refuses too.
 */
static void differential(void)
{
    static const char *nested[] = {
        "{}",
        "{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\u00e9\\ud83d\\ude00\\n\"}",
        "{\"k\":-0.5e+10,\"t\":true,\"f\":false,\"n\":null,"
        "\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
        "{\"a\":{\"b\":{\"c\":[[[]]]}}}",
        "{\"x\":\"\\\\\\\"\\/\\b\\f\\r\\t\"}",
        "{ \"a\" : [ 1 , 2 ] , \"b\" : { } }\n\t ",
    };
    /* `{"k":[` and `]}` stay as they are. */
    static const char *flat[] = {
        "{\"k\":[]}",
        "{\"k\":[\"x\\u00e9\\ud83d\\ude00\\n\",12]}",
        "{\"k\":[-0.5e+10,true,false,null,"
        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]}",
        "{\"k\":[\"\\\\\\\"\\/\\b\\f\\r\\t\",0]}",
        "{\"k\":[ 1 , \"\" , 2.5 ]}",
    };
    static const char any[] = "{}[]:,\"\\0123456789-+.eEtrufalsn \t\n"
                              "abcdABCDuU\x80\xc3\xa9\xed\xa0\xf4\x90"
                              "\x01x/";
    static const char no_brackets[] = ",\"\\0123456789-+.eEtrufalsn \t\n"
                                      "abcdABCDuU\x80\xc3\xa9\xed\xa0\xf4"
                                      "\x90\x01x/";
    unsigned long rng = 20261201;
    long cases, accepted = 0, refused_flat = 0, bad = 0;
    char buf[256];

    t_begin("constant-time JSON scan: passes whatever the parser accepts "
            "(200,000 mutated documents), and inside one array gives the "
            "parser's answer exactly (200,000 more)");
    for (cases = 0; cases < 200000; cases++) {
        const char *seed =
            nested[next_rand(&rng) % (sizeof nested / sizeof nested[0])];
        size_t n = mutate(seed, any, 0, 0, &rng, buf);
        int p = parser_accepts(buf, n), c = scan_accepts(buf, n);
        accepted += p;
        if (p && c != 1 && bad++ < 5)
            CHECK(0, "the parser accepts, the scan says %d: %.*s", c, (int)n,
                  buf);
    }
    for (cases = 0; cases < 200000; cases++) {
        const char *seed =
            flat[next_rand(&rng) % (sizeof flat / sizeof flat[0])];
        size_t n = mutate(seed, no_brackets, 6, 2, &rng, buf);
        int p = parser_accepts(buf, n), c = scan_accepts(buf, n);
        refused_flat += !p;
        if (p != c && bad++ < 5)
            CHECK(0, "in an array: the parser says %d, the scan %d: %.*s", p,
                  c, (int)n, buf);
    }
    CHECK(bad == 0, "%ld mismatches", bad);
    /* The corpus must exercise both answers. */
    CHECK(accepted > 20000 && accepted < 180000, "%ld accepted", accepted);
    CHECK(refused_flat > 20000 && refused_flat < 180000,
          "%ld arrays refused", refused_flat);
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
 * length up to 300 and some far longer (the composed form cuts the text
 * into eight runs and classes 64 bytes at a time): every form of the scan
 * must give the same verdict, whatever the text. */
static void scan_forms(void)
{
    static const char json_bytes[] = "{}[]:,\"\\0123456789-+.eE truefalsn"
                                     "u\x80\xbf\xc3\xe0\xed\xf0\xf4\x01\t";
    static char buf[5000];
    unsigned long rng = 7;
    size_t len, i, n_forms = 0;
    int round, bad = 0;

    for (i = 0; i < N_FORMS; i++)
        n_forms += (size_t)ph_json_ct_form_available(all_forms[i]);
    printf("# constant-time scan: %zu forms on this CPU (composed: %s)\n",
           n_forms,
           ph_json_ct_form_available(PH_JSON_CT_COMPOSED) ? "yes" : "no");
    t_begin("constant-time JSON scan: every form agrees on random texts of "
            "every length 0..300 and of 1..5000 bytes");
    for (len = 0; len <= sizeof buf && bad <= 5;
         len += len < 300 ? 1 : 1 + next_rand(&rng) % 97) {
        for (round = 0; round < (len <= 300 ? 40 : 4); round++) {
            for (i = 0; i < len; i++) {
                unsigned r = (unsigned)next_rand(&rng);
                buf[i] = round % 2 ? (char)r
                                   : json_bytes[r % (sizeof json_bytes - 1)];
            }
            /* Half of them start like a document, so that the automaton
             * gets past its first states. */
            if (round % 4 < 2 && len > 0)
                buf[0] = '{';
            bad += scan_accepts(buf, len) < 0;
        }
    }
    CHECK(bad == 0, "%d texts differ", bad);
    t_end();

    /* Random texts all fail: the forms must also agree where a long
     * document passes, at every length around the runs and blocks. */
    t_begin("constant-time JSON scan: every form passes valid documents of "
            "every length 2..1100");
    bad = 0;
    for (len = 2; len <= 1100 && bad <= 5; len++) {
        /* {"a":"xxxx..."} padded with spaces to exactly len bytes. */
        size_t body = len >= 8 ? len - 8 : 0;
        if (len < 8) {
            memset(buf, ' ', len);
            buf[0] = '{';
            buf[len - 1] = '}';
        } else {
            memcpy(buf, "{\"a\":\"", 6);
            for (i = 0; i < body; i++)
                buf[6 + i] = "abcdefgh"[i % 8];
            memcpy(buf + 6 + body, "\"}", 2);
        }
        bad += scan_accepts(buf, len) != 1;
    }
    CHECK(bad == 0, "%d valid documents refused", bad);
    t_end();
}

void run_units_json_ct(void)
{
    known_cases();
    scan_forms();
    differential();
    pkcs7();
}
