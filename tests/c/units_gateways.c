/*
 * The gateway pipeline's own pieces: strict base64, HMAC over parts,
 * RSA keys and signatures, timestamps, header lookup, the JSON picker, the
 * registry, and sign -> open round trips for every gateway.  The shared
 * vectors (vectors.c) cover each gateway's accept/refuse cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "runner.h"
#include "gateway.h"

static void base64_cases(void)
{
    static const struct {
        const char *in;
        const char *out; /* NULL: refused */
        size_t out_len;
    } cases[] = {
        { "", "", 0 },
        { "Zg==", "f", 1 },
        { "Zm8=", "fo", 2 },
        { "Zm9v", "foo", 3 },
        { "Zm9vYmFy", "foobar", 6 },
        { "+/+/", "\xfb\xff\xbf", 3 },
        { "Zg", NULL, 0 }, /* no padding */
        { "Zg=", NULL, 0 },
        { "Zh==", NULL, 0 }, /* non-zero trailing bits */
        { "Zm9=", NULL, 0 },
        { "Zm8=Zm8=", NULL, 0 }, /* padding inside */
        { "Z===", NULL, 0 },
        { "====", NULL, 0 },
        { "-_-_", NULL, 0 }, /* the URL alphabet */
        { "Zm9v\n", NULL, 0 },
        { " Zm9v", NULL, 0 },
        { "Zm9vY", NULL, 0 },
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char out[16];
        size_t n = 99;
        ph_status st;
        t_begin("base64: \"%s\"", cases[i].in);
        CHECK(ph_b64_decoded_len(strlen(cases[i].in)) <= sizeof out, "room");
        st = ph_b64_decode(cases[i].in, strlen(cases[i].in), out, &n);
        if (cases[i].out == NULL) {
            CHECK_STATUS(st, PH_ERR_DECODE, "refused");
        } else if (CHECK_STATUS(st, PH_OK, "decoded")) {
            char back[32];
            CHECK(n == cases[i].out_len && memcmp(out, cases[i].out, n) == 0,
                  "bytes differ");
            ph_b64_encode(out, n, back);
            CHECK(ph_b64_encoded_len(n) == strlen(cases[i].in) &&
                      memcmp(back, cases[i].in, strlen(cases[i].in)) == 0,
                  "encodes back to the same text");
        }
        t_end();
    }
    t_begin("base64: every length round-trips against OpenSSL's encoder");
    {
        unsigned char raw[70], dec[70];
        char mine[100], theirs[100];
        size_t len, n;
        for (len = 0; len < sizeof raw; len++) {
            raw[len] = (unsigned char)(len * 37 + 11);
            ph_b64_encode(raw, len, mine);
            EVP_EncodeBlock((unsigned char *)theirs, raw, (int)len);
            if (!CHECK(memcmp(mine, theirs, ph_b64_encoded_len(len)) == 0,
                       "length %zu differs from EVP_EncodeBlock", len))
                break;
            CHECK(ph_b64_decode(mine, ph_b64_encoded_len(len), dec, &n) ==
                          PH_OK &&
                      n == len && memcmp(dec, raw, len) == 0,
                  "length %zu does not decode back", len);
        }
    }
    t_end();
}

static void hmac_cases(void)
{
    /* RFC 4231 test case 2. */
    static const char want256[] =
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    ph_str parts[3] = { { "what do ya", 10 },
                        { "", 0 },
                        { " want for nothing?", 18 } };
    unsigned char mac[64];
    size_t n = 0;
    char hex[129];
    ph_error err;
    ph_hmac_keys keys;
    const unsigned char *kp[2] = { (const unsigned char *)"other",
                                   (const unsigned char *)"Jefe" };
    size_t kl[2] = { 5, 4 };

    t_begin("hmac: RFC 4231 case 2 from parts, SHA-256 and SHA-512");
    CHECK_STATUS(ph_hmac(PH_DIGEST_SHA256, (const unsigned char *)"Jefe", 4,
                         parts, 3, mac, &n, &err),
                 PH_OK, "hmac");
    ph_hex_encode(mac, n, hex);
    CHECK(n == 32 && memcmp(hex, want256, 64) == 0, "SHA-256 MAC differs");
    CHECK_STATUS(ph_hmac(PH_DIGEST_SHA512, (const unsigned char *)"Jefe", 4,
                         parts, 3, mac, &n, &err),
                 PH_OK, "hmac");
    ph_hex_encode(mac, 8, hex);
    CHECK(n == 64 && memcmp(hex, "164b7a7bfcf819e2", 16) == 0,
          "SHA-512 MAC differs");
    CHECK_STATUS(ph_hmac(PH_DIGEST_SHA256, (const unsigned char *)"", 0, parts,
                         3, mac, &n, &err),
                 PH_ERR_KEY, "empty key");
    t_end();

    t_begin("hmac: a rotation matches on its second key, any candidate");
    if (CHECK_STATUS(
            ph_hmac_keys_new(PH_DIGEST_SHA256, kp, kl, 2, &keys, &err), PH_OK,
            "keys")) {
        unsigned char cands[64];
        ph_hmac(PH_DIGEST_SHA256, kp[1], kl[1], parts, 3, mac, &n, &err);
        memset(cands, 0, 32);
        memcpy(cands + 32, mac, 32);
        CHECK_STATUS(ph_hmac_keys_match(&keys, parts, 3, cands, 2, &err),
                     PH_OK, "second candidate, second key");
        cands[63] ^= 1;
        CHECK_STATUS(ph_hmac_keys_match(&keys, parts, 3, cands, 2, &err),
                     PH_ERR_SIGNATURE, "one bit off");
        CHECK_STATUS(ph_hmac_keys_match(&keys, parts, 3, cands, 0, &err),
                     PH_ERR_SIGNATURE, "no candidate");
        ph_hmac_keys_free(&keys);
    }
    t_end();

    t_begin("hmac: the MAC under each prepared key, twice");
    if (CHECK_STATUS(
            ph_hmac_keys_new(PH_DIGEST_SHA256, kp, kl, 2, &keys, &err), PH_OK,
            "keys")) {
        unsigned char one[64], prepared[64];
        size_t i, m = 0;
        int round;
        /* The second round reuses the working contexts the first left. */
        for (round = 0; round < 2; round++) {
            for (i = 0; i < 2; i++) {
                ph_hmac(PH_DIGEST_SHA256, kp[i], kl[i], parts, 3, one, &n,
                        &err);
                CHECK_STATUS(ph_hmac_keys_mac_at(&keys, i, parts, 3, prepared,
                                                 &m, &err),
                             PH_OK, "mac_at");
                CHECK(m == 32 && memcmp(one, prepared, 32) == 0,
                      "key %zu (round %d): the prepared MAC differs", i,
                      round);
            }
            CHECK_STATUS(
                ph_hmac_keys_mac_at(&keys, 2, parts, 3, prepared, &m, &err),
                PH_ERR_ARGUMENT, "no third key");
        }
        ph_hmac_keys_free(&keys);
    }
    t_end();
}

static void timestamp_cases(void)
{
    static const struct {
        const char *text;
        long long want; /* -1: refused */
    } cases[] = {
        { "0", 0 },
        { "1700000000", 1700000000 },
        { "999999999999999", 999999999999999LL },
        { "", -1 },
        { "01700000000", -1 },
        { "00", -1 },
        { "+1700000000", -1 },
        { "-1", -1 },
        { "1700000000.0", -1 },
        { "17e8", -1 },
        { " 1", -1 },
        { "1 ", -1 },
        { "1000000000000000", -1 },
        { "0x10", -1 },
    };
    size_t i;
    ph_error err;
    int64_t v;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ph_status st =
            ph_timestamp_parse(cases[i].text, strlen(cases[i].text), &v, &err);
        t_begin("timestamp: \"%s\"", cases[i].text);
        if (cases[i].want < 0)
            CHECK_STATUS(st, PH_ERR_DECODE, "refused");
        else
            CHECK(st == PH_OK && v == cases[i].want, "value");
        t_end();
    }
    t_begin("timestamp: the window is inclusive on both sides");
    CHECK_STATUS(ph_timestamp_check(1000, 1300, 300, &err), PH_OK, "old edge");
    CHECK_STATUS(ph_timestamp_check(1600, 1300, 300, &err), PH_OK, "new edge");
    CHECK_STATUS(ph_timestamp_check(999, 1300, 300, &err), PH_ERR_TIMESTAMP,
                 "too old");
    CHECK_STATUS(ph_timestamp_check(1601, 1300, 300, &err), PH_ERR_TIMESTAMP,
                 "too new");
    CHECK_STATUS(ph_timestamp_check(1300, 1300.5, 0.25, &err),
                 PH_ERR_TIMESTAMP, "fractional now");
    CHECK_STATUS(ph_timestamp_check(1, 1, -1, &err), PH_ERR_ARGUMENT,
                 "negative tolerance");
    CHECK_STATUS(ph_timestamp_check(1, 1.0 / 0.0, 1, &err), PH_ERR_ARGUMENT,
                 "infinite now");
    t_end();
}

static void header_cases(void)
{
    ph_header h[] = { { "Content-Type", 12, "application/json", 16 },
                      { "WEBHOOK-ID", 10, "msg_1", 5 },
                      { "x-empty", 7, "", 0 },
                      { "X-Twice", 7, "a", 1 },
                      { "x-twice", 7, "b", 1 } };
    ph_request rq = { "", 0, h, 5, NULL, 0 };
    const char *v;
    size_t n;
    ph_error err;

    t_begin("headers: case-insensitive, missing, empty, repeated");
    CHECK(ph_request_header(&rq, "webhook-id", 1, &v, &n, &err) == PH_OK &&
              n == 5 && memcmp(v, "msg_1", 5) == 0,
          "found in another case");
    CHECK_STATUS(ph_request_header(&rq, "webhook-idx", 1, &v, &n, &err),
                 PH_ERR_MISSING_SIGNATURE, "absent");
    CHECK_STATUS(ph_request_header(&rq, "webhook-i", 1, &v, &n, &err),
                 PH_ERR_MISSING_SIGNATURE, "a prefix is not the name");
    CHECK_STATUS(ph_request_header(&rq, "x-empty", 1, &v, &n, &err),
                 PH_ERR_MISSING_SIGNATURE, "empty");
    CHECK(ph_request_header(&rq, "x-empty", 0, &v, &n, &err) == PH_OK &&
              v == NULL,
          "empty and optional: none");
    CHECK_STATUS(ph_request_header(&rq, "x-twice", 0, &v, &n, &err),
                 PH_ERR_DECODE, "repeated");
    t_end();
}

/* ph_lower_hex_decode (Stripe's v1, Razorpay's and the forms' signatures)
 * takes exactly [0-9a-f] at the length asked for, at every position of
 * the word-at-a-time check and of its tail. */
static void lower_hex_cases(void)
{
    unsigned char raw[37], out[37];
    char enc[74];
    size_t n, i, pos;
    int c;

    t_begin("lower hex: every length 0..37 decodes");
    for (n = 0; n <= sizeof raw; n++) {
        for (i = 0; i < n; i++)
            raw[i] = (unsigned char)(i * 53 + n * 7);
        ph_hex_encode(raw, n, enc);
        memset(out, 0, sizeof out);
        if (!CHECK(ph_lower_hex_decode(enc, 2 * n, out, n) == PH_OK,
                   "length %zu", 2 * n) ||
            !CHECK(memcmp(out, raw, n) == 0, "length %zu differs", 2 * n))
            break;
    }
    t_end();

    t_begin("lower hex: a wrong length is refused");
    ph_hex_encode(raw, 32, enc);
    CHECK_STATUS(ph_lower_hex_decode(enc, 64, out, 31), PH_ERR_DECODE,
                 "64 characters for 31 bytes");
    CHECK_STATUS(ph_lower_hex_decode(enc, 63, out, 32), PH_ERR_DECODE,
                 "63 characters for 32 bytes");
    t_end();

    t_begin("lower hex: one byte of every value at every position of 64");
    for (pos = 0; pos < 64; pos++) {
        for (c = 0; c < 256; c++) {
            int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            memset(enc, 'e', 64);
            enc[pos] = (char)c;
            if (!CHECK(ph_lower_hex_decode(enc, 64, out, 32) ==
                           (ok ? PH_OK : PH_ERR_DECODE),
                       "byte 0x%02x at %zu", c, pos))
                break;
        }
    }
    t_end();

    t_begin("lower hex: the same in a tail shorter than a word (6 chars)");
    for (pos = 0; pos < 6; pos++)
        for (c = 0; c < 256; c++) {
            int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            memset(enc, '3', 6);
            enc[pos] = (char)c;
            CHECK(ph_lower_hex_decode(enc, 6, out, 3) ==
                      (ok ? PH_OK : PH_ERR_DECODE),
                  "byte 0x%02x at %zu", c, pos);
        }
    t_end();
}

/* Strings are skipped to the first quote not preceded by an odd run of
 * backslashes, and names without a backslash are compared in place: text
 * built so that a wrong count of backslashes, or a quote inside a string
 * taken as its end, finds a member that is not there. */
static void pick_escape_cases(void)
{
    static const struct {
        const char *doc, *path, *value; /* value NULL: not found */
    } cases[] = {
        /* A value ending in an escaped backslash, then the real member. */
        { "{\"a\":\"x\\\\\",\"id\":\"real\"}", "id", "real" },
        /* Three backslashes: an escaped backslash, then an escaped quote;
         * the text that looks like a member is inside the string. */
        { "{\"a\":\"x\\\\\\\",\\\"id\\\":\\\"fake\",\"id\":\"real\"}", "id",
          "real" },
        { "{\"a\":\"\\\",\\\"id\\\":\\\"fake\"}", "id", NULL },
        /* Four backslashes before the quote: the string ends there. */
        { "{\"a\":\"\\\\\\\\\",\"id\":7}", "id", "7" },
        /* A name written with escapes is the name it decodes to. */
        { "{\"\\u0069d\":\"u\",\"i\\u0064\":\"last\"}", "id", "last" },
        { "{\"id\":\"plain\",\"\\u0069d\":\"escaped\"}", "id", "escaped" },
        /* A name that only starts like the one asked for. */
        { "{\"idx\":1,\"i\":2,\"id\\\\\":3}", "id", NULL },
        /* Nested objects and arrays with strings full of brackets. */
        { "{\"s\":\"}]{[\",\"o\":{\"id\":\"inner\",\"t\":\"\\\"}\"},"
          "\"id\":[\"]\",\"}\"],\"o\":{\"k\":\"{\",\"id\":\"x\\\"y\"}}",
          "o.id", "x\"y" },
        /* Numbers and literals end at every kind of delimiter. */
        { "{\"a\":[1,2.5e-3 ,true\t,null\n],\"id\":-0.5\r}", "id", "-0.5" },
    };
    size_t i, n;
    char buf[64];
    int type;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *doc = cases[i].doc;
        int found =
            ph_json_pick(doc, strlen(doc), cases[i].path,
                         strlen(cases[i].path), &type, buf, sizeof buf, &n);
        t_begin("json pick, escapes: case %zu (%s)", i, cases[i].path);
        if (cases[i].value == NULL) {
            CHECK(!found, "found a member that is not there");
        } else {
            CHECK(found, "not found");
            if (found)
                CHECK(n == strlen(cases[i].value) &&
                          memcmp(buf, cases[i].value, n) == 0,
                      "value %.*s", (int)n, buf);
        }
        t_end();
    }
}

/* Several paths in one walk give what each path alone gives. */
static void locate_cases(void)
{
    static const char doc[] =
        "{\"d\":{\"s\":\"old\",\"t\":{\"id\":1}},\"o\":{\"a\":\"A\"},"
        "\"d\":{\"t\":{\"id\":2,\"id\":3},\"s\":\"new\",\"u\":[{\"id\":9}]},"
        "\"o\":7,\"p\":{\"q\":{\"r\":\"deep\"}},\"p\":{\"q\":{}}}";
    static const char *const paths[] = {
        "d.s", "d.t.id", "d", "o.a", "d.u", "p.q.r", "p.q", "d.t.id.x",
    };
    static const char *const values[] = {
        "new", "3", NULL, NULL, NULL, NULL, NULL, NULL,
    };
    static const int found[] = { 1, 1, 1, 0, 1, 0, 1, 0 };
    ph_json_spot spots[PH_JSON_SPOTS_MAX + 1];
    size_t i, n;
    char buf[32];
    int type;

    for (i = 0; i < 8; i++) {
        spots[i].path = paths[i];
        spots[i].path_len = strlen(paths[i]);
    }
    t_begin("json locate: eight paths in one walk");
    CHECK(ph_json_locate(doc, sizeof doc - 1, spots, 8), "walk failed");
    for (i = 0; i < 8; i++) {
        int alone = ph_json_pick(doc, sizeof doc - 1, paths[i],
                                 strlen(paths[i]), &type, buf, sizeof buf, &n);
        CHECK((spots[i].at != NULL) == found[i], "%s: found %d", paths[i],
              spots[i].at != NULL);
        CHECK(alone == found[i], "%s alone: found %d", paths[i], alone);
        if (values[i] != NULL && spots[i].at != NULL) {
            CHECK(ph_json_read_at(doc, sizeof doc - 1, spots[i].at, &type, buf,
                                  sizeof buf, &n) &&
                      n == strlen(values[i]) && memcmp(buf, values[i], n) == 0,
                  "%s: value %.*s", paths[i], (int)n, buf);
        }
    }
    t_end();
    t_begin("json locate: more spots than it takes is refused");
    for (i = 0; i <= PH_JSON_SPOTS_MAX; i++) {
        spots[i].path = "d";
        spots[i].path_len = 1;
    }
    CHECK(!ph_json_locate(doc, sizeof doc - 1, spots, PH_JSON_SPOTS_MAX + 1),
          "accepted");
    CHECK(ph_json_locate(doc, sizeof doc - 1, spots, PH_JSON_SPOTS_MAX) &&
              spots[PH_JSON_SPOTS_MAX - 1].at != NULL,
          "the most it takes");
    t_end();
    t_begin("json locate: an empty segment is the member called \"\"");
    {
        static const char named[] = "{\"\":{\"d\":{\"\":5}},\"d\":1}";
        static const char *const p[] = { "", ".d", ".d.", "d.", "x" };
        static const int want[] = { 1, 1, 1, 0, 0 };
        for (i = 0; i < 5; i++) {
            spots[i].path = p[i];
            spots[i].path_len = strlen(p[i]);
        }
        CHECK(ph_json_locate(named, sizeof named - 1, spots, 5),
              "walk failed");
        for (i = 0; i < 5; i++)
            CHECK((spots[i].at != NULL) == want[i], "\"%s\": found %d", p[i],
                  spots[i].at != NULL);
    }
    t_end();
}

static void pick_cases(void)
{
    locate_cases();
    static const char doc[] =
        "{\"data\":{\"status\":\"PENDING\",\"transaction\":{\"id\":10310}},"
        "\"x\":[1,{\"status\":\"no\"}],\"data\":{\"status\":\"SUC\\u0043"
        "ESS\",\"transaction\":{\"id\":10310,\"fee\":3.1025e0},"
        "\"n\":null,\"t\":true}, \"e\\u0073c\" : \"\\ud83d\\ude00\\n\"}";
    static const struct {
        const char *path;
        int found, type;
        const char *value;
    } cases[] = {
        { "data.status", 1, PH_JT_STRING, "SUCCESS" }, /* the last "data" */
        { "data.transaction.id", 1, PH_JT_NUMBER, "10310" },
        { "data.transaction.fee", 1, PH_JT_NUMBER, "3.1025e0" },
        { "data.n", 1, PH_JT_NULL, "" },
        { "data.t", 1, PH_JT_TRUE, "" },
        { "data.transaction", 1, PH_JT_OBJECT, "" },
        { "x", 1, PH_JT_ARRAY, "" },
        { "esc", 1, PH_JT_STRING, "\xf0\x9f\x98\x80\n" },
        { "x.status", 0, 0, NULL },
        { "data.missing", 0, 0, NULL },
        { "status", 0, 0, NULL },
        { "data.status.deeper", 0, 0, NULL },
        { "", 0, 0, NULL },
    };
    size_t i, n;
    char buf[64];
    int type;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int found =
            ph_json_pick(doc, sizeof doc - 1, cases[i].path,
                         strlen(cases[i].path), &type, buf, sizeof buf, &n);
        t_begin("json pick: \"%s\"", cases[i].path);
        CHECK(found == cases[i].found, "found %d", found);
        if (found && cases[i].found) {
            CHECK(type == cases[i].type, "type %d", type);
            if (type == PH_JT_STRING || type == PH_JT_NUMBER)
                CHECK(n == strlen(cases[i].value) &&
                          memcmp(buf, cases[i].value, n) == 0,
                      "value %.*s", (int)n, buf);
        }
        t_end();
    }
    t_begin("json pick: a value longer than the buffer says so");
    CHECK(ph_json_pick(doc, sizeof doc - 1, "data.status", 11, &type, buf, 3,
                       &n) &&
              n == 4,
          "length %zu", n);
    t_end();
    t_begin("json pick: truncated text is never read past its end");
    for (n = 0; n < sizeof doc - 1; n++) {
        size_t got;
        ph_json_pick(doc, n, "data.transaction.fee", 20, &type, buf,
                     sizeof buf, &got);
    }
    CHECK(1, "no crash");
    t_end();
    pick_escape_cases();
}

/* ------------------------------------------------------------------ */
/* RSA                                                                 */

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

static EVP_PKEY *rsa_key(int bits)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

static void rsa_cases(char **pub, char **priv)
{
    EVP_PKEY *k2048 = rsa_key(2048), *k1024 = rsa_key(1024);
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char *p1024 = pem_of(k1024, 0), *pec = pem_of(ec, 0);
    ph_rsa_key *k = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    ph_error err;

    *pub = pem_of(k2048, 0);
    *priv = pem_of(k2048, 1);
    t_begin("rsa: keys of the wrong form are InvalidKeyError");
    CHECK_STATUS(ph_rsa_key_new(p1024, strlen(p1024), &k, &err), PH_ERR_KEY,
                 "1024 bits");
    CHECK_STATUS(ph_rsa_key_new(pec, strlen(pec), &k, &err), PH_ERR_KEY,
                 "EC key");
    CHECK_STATUS(ph_rsa_key_new(*priv, strlen(*priv), &k, &err), PH_ERR_KEY,
                 "private key");
    CHECK_STATUS(ph_rsa_key_new("not a key", 9, &k, &err), PH_ERR_KEY,
                 "not PEM");
    CHECK_STATUS(ph_rsa_key_new("", 0, &k, &err), PH_ERR_KEY, "empty");
    CHECK(ERR_peek_error() == 0, "OpenSSL's error queue left clean");
    t_end();

    t_begin("rsa: sign with the private key, verify with the public one");
    if (CHECK_STATUS(ph_rsa_key_new(*pub, strlen(*pub), &k, &err), PH_OK,
                     "2048-bit public key") &&
        CHECK_STATUS(ph_rsa_sign(*priv, strlen(*priv), PH_DIGEST_SHA512,
                                 (const unsigned char *)"body", 4, &sig,
                                 &sig_len, &err),
                     PH_OK, "sign")) {
        CHECK(ph_rsa_key_size(k) == 256 && sig_len == 256, "sizes");
        CHECK_STATUS(ph_rsa_verify(k, PH_DIGEST_SHA512,
                                   (const unsigned char *)"body", 4, sig,
                                   sig_len, &err),
                     PH_OK, "verifies");
        CHECK_STATUS(ph_rsa_verify(k, PH_DIGEST_SHA256,
                                   (const unsigned char *)"body", 4, sig,
                                   sig_len, &err),
                     PH_ERR_SIGNATURE, "the other digest");
        CHECK_STATUS(ph_rsa_verify(k, PH_DIGEST_SHA512,
                                   (const unsigned char *)"bodY", 4, sig,
                                   sig_len, &err),
                     PH_ERR_SIGNATURE, "tampered");
        CHECK_STATUS(ph_rsa_verify(k, PH_DIGEST_SHA512,
                                   (const unsigned char *)"body", 4, sig,
                                   sig_len - 1, &err),
                     PH_ERR_SIGNATURE, "short");
        memset(sig, 0xff, sig_len); /* above the modulus */
        CHECK_STATUS(ph_rsa_verify(k, PH_DIGEST_SHA512,
                                   (const unsigned char *)"body", 4, sig,
                                   sig_len, &err),
                     PH_ERR_SIGNATURE, "out of range");
        CHECK(ERR_peek_error() == 0, "OpenSSL's error queue left clean");
    }
    ph_free(sig, sig_len);
    ph_rsa_key_free(k);
    t_end();
    free(p1024);
    free(pec);
    EVP_PKEY_free(k2048);
    EVP_PKEY_free(k1024);
    EVP_PKEY_free(ec);
}

/* ------------------------------------------------------------------ */
/* The pipeline                                                        */

static void registry_cases(void)
{
    const ph_gateway *g;
    size_t i;

    t_begin("registry: names are unique, found again, described");
    for (i = 0; (g = ph_gateway_at(i)) != NULL; i++) {
        const char *name = ph_gateway_name(g);
        CHECK(ph_gateway_find(name, strlen(name)) == g, "%s found", name);
        CHECK(ph_gateway_title(g)[0] != '\0', "%s has a title", name);
        CHECK(ph_gateway_reply(g)->status >= 200 &&
                  ph_gateway_reply(g)->status < 300,
              "%s replies 2xx", name);
        CHECK(ph_gateway_signs_time(g) ==
                  (ph_gateway_default_tolerance(g) > 0),
              "%s tolerance", name);
    }
    CHECK(i == 13, "%zu gateways", i);
    CHECK(ph_gateway_find("strip", 5) == NULL, "a prefix is no gateway");
    CHECK(ph_gateway_find("STRIPE", 6) == NULL, "names are exact");
    t_end();
}

/* A key that each gateway takes, and the one its sign step takes. */
static void keys_for(const ph_gateway *g, const char *pub, const char *priv,
                     const char **verify_key, const char **sign_key)
{
    const char *name = ph_gateway_name(g);

    if (strncmp(name, "chip", 4) == 0) {
        *verify_key = pub;
        *sign_key = priv;
    } else if (strcmp(name, "standardwebhooks") == 0) {
        *verify_key = *sign_key =
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; /* 24 bytes */
    } else if (strcmp(name, "superpay") == 0) {
        *verify_key = *sign_key = "0123456789abcdef0123456789abcdef";
    } else {
        *verify_key = *sign_key = "a merchant's secret";
    }
}

static void round_trip_cases(const char *pub, const char *priv)
{
    static const char payload[] =
        "{\"id\":\"evt_9\",\"status\":\"paid\",\"invoiceNo\":\"INV-1\","
        "\"respCode\":\"0000\",\"amount\":\"124.10\",\"n\":12,"
        "\"data\":{\"status\":\"SUCCESS\",\"transaction\":{\"id\":7}},"
        "\"invoice_no\":\"BP1\",\"invoice_status\":\"SUCCESS\"}";
    const ph_gateway *g;
    size_t i;

    for (i = 0; (g = ph_gateway_at(i)) != NULL; i++) {
        const char *vk, *sk;
        ph_sign_input in;
        if (ph_gateway_payload_kind(g) == PH_PAYLOAD_FORM)
            continue; /* form_round_trip_cases */
        ph_signed out;
        ph_gateway_key *k = NULL;
        ph_scratch s = PH_SCRATCH_INIT;
        ph_options o;
        ph_result r;
        ph_error err;
        void *root = NULL;
        char id[PH_EVENT_ID_MAX];
        size_t id_len;
        int found;
        ph_str paths[2] = { { "amount", 6 }, { "n", 1 } };
        ph_str values[2] = { { "124.10", 6 }, { "12", 2 } };
        ph_str wrong[2] = { { "124.1", 5 }, { "12", 2 } };
        ph_str absent[1] = { { "amount.value", 12 } };

        keys_for(g, pub, priv, &vk, &sk);
        t_begin("round trip: %s", ph_gateway_name(g));
        memset(&in, 0, sizeof in);
        in.payload = payload;
        in.payload_len = sizeof payload - 1;
        in.key = (const unsigned char *)sk;
        in.key_len = strlen(sk);
        in.timestamp = 1700000000;
        if (!CHECK_STATUS(ph_gateway_sign(g, &in, &out, &err), PH_OK,
                          "sign")) {
            t_end();
            continue;
        }
        ph_options_init(&o, 1700000100);
        {
            const unsigned char *kp = (const unsigned char *)vk;
            size_t kl = strlen(vk);
            ph_request rq = { out.body,      out.body_len, out.headers,
                              out.n_headers, NULL,         0 };
            if (CHECK_STATUS(ph_gateway_key_new(g, &kp, &kl, 1, &k, &err),
                             PH_OK, "key") &&
                CHECK_STATUS(ph_gateway_open(k, &rq, &o, &s, &r, &err), PH_OK,
                             "open") &&
                CHECK_STATUS(ph_gateway_parse(k, &r, &o, &ph_cjson_sink, NULL,
                                              &s, &root, &err),
                             PH_OK, "parse") &&
                CHECK_STATUS(
                    ph_gateway_event_id(&r, id, &id_len, &found, &err), PH_OK,
                    "event id")) {
                CHECK(found && id_len > 0, "an event id");
                CHECK(r.has_timestamp == ph_gateway_signs_time(g),
                      "a timestamp where the scheme signs one");
                if (ph_gateway_covers(g) == PH_COVERS_PAYLOAD) {
                    CHECK_STATUS(ph_gateway_expect(&r, paths, values, 2, &err),
                                 PH_OK, "expect");
                    CHECK_STATUS(ph_gateway_expect(&r, paths, wrong, 2, &err),
                                 PH_ERR_MISMATCH, "expect: differs");
                    CHECK_STATUS(
                        ph_gateway_expect(&r, absent, values, 1, &err),
                        PH_ERR_MISMATCH, "expect: absent");
                } else {
                    CHECK_STATUS(ph_gateway_expect(&r, paths, values, 1, &err),
                                 PH_ERR_MISMATCH, "expect: nothing signed");
                }
                if (ph_gateway_signs_time(g)) {
                    o.now = 1700000301;
                    CHECK_STATUS(ph_gateway_open(k, &rq, &o, &s, &r, &err),
                                 PH_ERR_TIMESTAMP, "past the window");
                    o.tolerance = 301;
                    CHECK_STATUS(ph_gateway_open(k, &rq, &o, &s, &r, &err),
                                 PH_OK, "a wider window");
                }
            }
            if (out.body_len > 20 &&
                ph_gateway_covers(g) == PH_COVERS_PAYLOAD) {
                ph_request bad = rq;
                char *copy = malloc(out.body_len);
                memcpy(copy, out.body, out.body_len);
                /* The middle: inside the token for the JWT gateways. */
                copy[out.body_len / 2] ^= 1;
                bad.body = copy;
                ph_options_init(&o, 1700000100);
                CHECK(ph_gateway_open(k, &bad, &o, &s, &r, &err) != PH_OK,
                      "a changed byte never verifies");
                free(copy);
                if (out.n_headers > 0) {
                    bad = rq;
                    bad.n_headers = 0;
                    CHECK_STATUS(ph_gateway_open(k, &bad, &o, &s, &r, &err),
                                 PH_ERR_MISSING_SIGNATURE, "no headers");
                }
            }
        }
        cJSON_Delete(root);
        ph_gateway_key_free(k);
        ph_signed_free(&out);
        ph_scratch_free(&s);
        t_end();
    }
}

/* The form gateways: sign a form, open it (as a body and as a redirect's
 * query), its event id, what expect may and may not bind, the reply. */
/* A form's object is closed as the parser closes one: once, with the
 * number of fields set. */
static void exact_form_close(const ph_gateway_key *k, const ph_result *r,
                             const ph_options *o, ph_scratch *s)
{
    t_exact_ctx xc = { 0, -1, 0 };
    void *root = NULL;
    const t_node *n;
    ph_error err;

    if (CHECK_STATUS(ph_gateway_parse(k, r, o, &t_exact_sink, &xc, s, &root,
                                      &err),
                     PH_OK, "parse through the exact sink")) {
        n = root;
        CHECK(n->closes == 1 && n->closed_with == r->n_fields,
              "end_object %d times, with %zu (%zu fields)", n->closes,
              n->closed_with, r->n_fields);
    }
    t_node_free(&xc, root);
    CHECK(xc.live == 0, "%ld sink handles leaked", xc.live);
}

static void form_round_trip_cases(void)
{
    static const char form[] =
        "tranID=T1&orderid=O1&status=00&domain=m&amount=124.10&currency=MYR"
        "&paydate=2023-11-14+22%3A13%3A20&appcode=&status_id=1&order_id=O1"
        "&transaction_id=T9&msg=ok_%25&refno=R1&id=B1&state=paid&n=12";
    static const struct {
        const char *gateway, *event_id, *covered, *uncovered, *reply;
    } cases[] = {
        { "billplz", "B1:paid", "n", NULL, "" },
        { "fiuu", "T1:00", "amount", "n", "" },
        { "senangpay", "T9:1", "msg", "amount", "OK" },
        { "senangpay_md5", "T9:1", "order_id", "amount", "OK" },
        { "toyyibpay", "R1:00", "refno", "amount", "" },
    };
    static const char key[] = "a form gateway's secret";
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ph_gateway *g =
            ph_gateway_find(cases[i].gateway, strlen(cases[i].gateway));
        const unsigned char *kp = (const unsigned char *)key;
        size_t kl = sizeof key - 1, id_len;
        ph_sign_input in;
        ph_signed out;
        ph_gateway_key *k = NULL;
        ph_scratch s = PH_SCRATCH_INIT;
        ph_options o;
        ph_result r;
        ph_error err;
        char id[PH_EVENT_ID_MAX];
        int found;
        void *root = NULL;

        t_begin("form round trip: %s", cases[i].gateway);
        memset(&in, 0, sizeof in);
        in.payload = form;
        in.payload_len = sizeof form - 1;
        in.key = kp;
        in.key_len = kl;
        ph_options_init(&o, 1700000000);
        if (CHECK_STATUS(ph_gateway_sign(g, &in, &out, &err), PH_OK, "sign") &&
            CHECK_STATUS(ph_gateway_key_new(g, &kp, &kl, 1, &k, &err), PH_OK,
                         "key")) {
            ph_request body = { out.body, out.body_len, NULL, 0, NULL, 0 };
            ph_request query = { "", 0, NULL, 0, out.body, out.body_len };
            ph_str cov = { cases[i].covered, strlen(cases[i].covered) };
            ph_str val = { "x", 1 };
            const ph_form_field *f;
            CHECK_STATUS(ph_gateway_open(k, &query, &o, &s, &r, &err), PH_OK,
                         "the same form as a query");
            if (CHECK_STATUS(ph_gateway_open(k, &body, &o, &s, &r, &err),
                             PH_OK, "open") &&
                CHECK_STATUS(ph_gateway_parse(k, &r, &o, &ph_cjson_sink, NULL,
                                              &s, &root, &err),
                             PH_OK, "parse") &&
                CHECK_STATUS(
                    ph_gateway_event_id(&r, id, &id_len, &found, &err), PH_OK,
                    "event id")) {
                CHECK(found && id_len == strlen(cases[i].event_id) &&
                          memcmp(id, cases[i].event_id, id_len) == 0,
                      "event id %.*s", (int)id_len, id);
                CHECK(r.reply.body_len == strlen(cases[i].reply) &&
                          memcmp(r.reply.body, cases[i].reply,
                                 r.reply.body_len) == 0,
                      "reply body");
                f = ph_form_get(&r, cases[i].covered,
                                strlen(cases[i].covered));
                CHECK(f != NULL, "the covered field is there");
                if (f != NULL)
                    CHECK_STATUS(
                        ph_gateway_expect(&r, &cov, &f->value, 1, &err), PH_OK,
                        "expect on a covered field");
                CHECK_STATUS(ph_gateway_expect(&r, &cov, &val, 1, &err),
                             PH_ERR_MISMATCH, "expect: differs");
                if (cases[i].uncovered != NULL) {
                    ph_str unc = { cases[i].uncovered,
                                   strlen(cases[i].uncovered) };
                    CHECK(!ph_result_covers(&r, unc.ptr, unc.len),
                          "not covered");
                    CHECK_STATUS(ph_gateway_expect(&r, &unc, &val, 1, &err),
                                 PH_ERR_MISMATCH, "expect: not covered");
                }
                exact_form_close(k, &r, &o, &s);
            }
            if (strcmp(cases[i].gateway, "fiuu") == 0)
                CHECK(r.reply.repost != NULL &&
                          r.reply.repost_len == out.body_len + 7 &&
                          memcmp(r.reply.repost + out.body_len, "&treq=1",
                                 7) == 0,
                      "Fiuu's re-post: the form and treq=1");
        }
        cJSON_Delete(root);
        ph_gateway_key_free(k);
        ph_signed_free(&out);
        ph_scratch_free(&s);
        t_end();
    }
}

static void form_parser_cases(void)
{
    static const struct {
        const char *in;
        int ok;
        size_t n;
    } cases[] = {
        { "", 1, 0 },
        { "a=1", 1, 1 },
        { "a=1&b=", 1, 2 },
        { "a==b", 1, 1 },
        { "a=%41%4a%4A", 1, 1 },
        { "a+b=c+d", 1, 1 },
        { "a=1&", 0, 0 },
        { "&a=1", 0, 0 },
        { "a=1&&b=2", 0, 0 },
        { "a", 0, 0 },
        { "=1", 0, 0 },
        { "a=%zz", 0, 0 },
        { "a=%4", 0, 0 },
        { "a=%", 0, 0 },
        { "a=%C3", 0, 0 },
        { "a=%C0%80", 0, 0 },
        { "a=%ED%A0%80", 0, 0 },
        { "a=1&a=2", 0, 0 },
        { "a=1&%61=2", 0, 0 },
        { "%FF=1", 0, 0 },
        { "a=%F4%90%80%80", 0, 0 },
    };
    size_t i, n;
    const ph_form_field *f;
    ph_scratch s = PH_SCRATCH_INIT;
    ph_error err;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ph_status st =
            ph_form_parse(cases[i].in, strlen(cases[i].in), &s, &f, &n, &err);
        t_begin("form: \"%s\"", cases[i].in);
        if (cases[i].ok)
            CHECK(st == PH_OK && n == cases[i].n, "parsed, %zu fields", n);
        else
            CHECK_STATUS(st, PH_ERR_DECODE, "refused");
        t_end();
    }
    t_begin("form: decoding, and flattened names");
    if (CHECK_STATUS(ph_form_parse_flat("billplz%5Bid%5D=x+y%2B&a[b][c]=1", 32,
                                        &s, &f, &n, &err),
                     PH_OK, "parsed")) {
        CHECK(n == 2 && f[0].name.len == 9 &&
                  memcmp(f[0].name.ptr, "billplzid", 9) == 0 &&
                  f[0].value.len == 4 &&
                  memcmp(f[0].value.ptr, "x y+", 4) == 0,
              "billplz[id] is billplzid, + is a space, %%2B is +");
        CHECK(n == 2 && f[1].name.len == 3 &&
                  memcmp(f[1].name.ptr, "abc", 3) == 0,
              "a[b][c] is abc");
    }
    CHECK_STATUS(ph_form_parse_flat("a[b=1", 5, &s, &f, &n, &err),
                 PH_ERR_DECODE, "an open bracket");
    CHECK_STATUS(ph_form_parse_flat("a[]=1", 5, &s, &f, &n, &err),
                 PH_ERR_DECODE, "an empty bracket");
    CHECK_STATUS(ph_form_parse_flat("[a]=1", 5, &s, &f, &n, &err),
                 PH_ERR_DECODE, "no word before the bracket");
    CHECK_STATUS(ph_form_parse_flat("ab=1&a[b]=2", 11, &s, &f, &n, &err),
                 PH_ERR_DECODE, "two names that flatten to one");
    t_end();
    t_begin("form: 128 fields, not 129");
    {
        char big[129 * 6];
        size_t at = 0, k;
        for (k = 0; k < 129; k++)
            at += (size_t)snprintf(big + at, sizeof big - at, "%s%c%c=1",
                                   k ? "&" : "", 'a' + (int)(k / 26),
                                   'a' + (int)(k % 26));
        CHECK_STATUS(ph_form_parse(big, at, &s, &f, &n, &err), PH_ERR_DECODE,
                     "129 fields");
        at = (size_t)(strrchr(big, '&') - big);
        CHECK(ph_form_parse(big, at, &s, &f, &n, &err) == PH_OK && n == 128,
              "128 fields");
    }
    t_end();
    ph_scratch_free(&s);
}

static void key_form_cases(const char *pub)
{
    static const struct {
        const char *gateway, *key;
    } bad[] = {
        { "standardwebhooks", "whsec_" },
        { "standardwebhooks", "whsec_not base64!" },
        { "standardwebhooks", "whsec_AAAA" }, /* 3 bytes */
        /* 25 bytes, but the unused trailing bits set */
        { "standardwebhooks", "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGB==" },
        { "superpay", "short" },
        { "chip",
          "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" },
        { "chip_send", "a merchant's secret" },
    };
    size_t i;
    ph_error err;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const ph_gateway *g =
            ph_gateway_find(bad[i].gateway, strlen(bad[i].gateway));
        const unsigned char *kp = (const unsigned char *)bad[i].key;
        size_t kl = strlen(bad[i].key);
        ph_gateway_key *k = NULL;
        t_begin("key form: %s refuses \"%.20s\"", bad[i].gateway, bad[i].key);
        CHECK_STATUS(ph_gateway_key_new(g, &kp, &kl, 1, &k, &err), PH_ERR_KEY,
                     "refused");
        CHECK(k == NULL, "no key");
        t_check_error(&err, PH_ERR_KEY, &kp, &kl, 1);
        t_end();
    }
    t_begin("key form: rotations of 16 keys, not 17");
    {
        const ph_gateway *g = ph_gateway_find("chip", 4);
        const unsigned char *kp[PH_MAX_KEYS + 1];
        size_t kl[PH_MAX_KEYS + 1];
        ph_gateway_key *k = NULL;
        for (i = 0; i <= PH_MAX_KEYS; i++) {
            kp[i] = (const unsigned char *)pub;
            kl[i] = strlen(pub);
        }
        CHECK_STATUS(ph_gateway_key_new(g, kp, kl, PH_MAX_KEYS, &k, &err),
                     PH_OK, "16");
        ph_gateway_key_free(k);
        CHECK_STATUS(ph_gateway_key_new(g, kp, kl, PH_MAX_KEYS + 1, &k, &err),
                     PH_ERR_KEY, "17");
    }
    t_end();
}

void run_units_gateways(void)
{
    char *pub = NULL, *priv = NULL;

    base64_cases();
    hmac_cases();
    timestamp_cases();
    header_cases();
    lower_hex_cases();
    pick_cases();
    rsa_cases(&pub, &priv);
    registry_cases();
    round_trip_cases(pub, priv);
    form_parser_cases();
    form_round_trip_cases();
    key_form_cases(pub);
    free(pub);
    ph_free(priv, strlen(priv));
}
