/* Unit tests: strict base64url and hex. */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

/* Decode `in` (a C string) and compare with the expected bytes; want_len
 * SIZE_MAX means "must be rejected". */
#define REJECT ((size_t)-1)

static void b64_case(const char *in, size_t in_len, const char *want,
                     size_t want_len)
{
    unsigned char out[128];
    size_t out_len = 12345;
    ph_status st;

    if (!CHECK(ph_b64url_decoded_len(in_len) <= sizeof out, "test too big"))
        return;
    st = ph_b64url_decode(in, in_len, out, &out_len);
    if (want_len == REJECT) {
        CHECK_STATUS(st, PH_ERR_DECODE, "decode must fail");
        return;
    }
    if (CHECK_STATUS(st, PH_OK, "decode"))
        CHECK(out_len == want_len && memcmp(out, want, want_len) == 0,
              "decoded %zu bytes, want %zu", out_len, want_len);
}

/* RFC 4648 section 10 vectors, in the url alphabet and unpadded. */
static void b64_known(void)
{
    static const struct {
        const char *raw, *enc;
    } rfc[] = {
        {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    size_t i;

    for (i = 0; i < sizeof rfc / sizeof rfc[0]; i++) {
        size_t rl = strlen(rfc[i].raw), el = strlen(rfc[i].enc);
        char enc[16];
        t_begin("base64url RFC 4648 vector \"%s\"", rfc[i].raw);
        CHECK(ph_b64url_encoded_len(rl) == el, "encoded_len %zu, want %zu",
              ph_b64url_encoded_len(rl), el);
        CHECK(ph_b64url_decoded_len(el) == rl, "decoded_len %zu, want %zu",
              ph_b64url_decoded_len(el), rl);
        memset(enc, '#', sizeof enc);
        ph_b64url_encode((const unsigned char *)rfc[i].raw, rl, enc);
        CHECK(memcmp(enc, rfc[i].enc, el) == 0, "encoding differs");
        CHECK(enc[el] == '#', "encoder wrote past its output");
        b64_case(rfc[i].enc, el, rfc[i].raw, rl);
        t_end();
    }
    /* Both url-only characters, from bytes 0xfb 0xff 0xbf. */
    t_begin("base64url uses '-' and '_'");
    b64_case("-_-_", 4, "\xfb\xff\xbf", 3);
    {
        const unsigned char raw[3] = {0xfb, 0xff, 0xbf};
        char enc[4];
        ph_b64url_encode(raw, 3, enc);
        CHECK(memcmp(enc, "-_-_", 4) == 0, "encoder does not use - and _");
    }
    t_end();
}

static void b64_round_trips(void)
{
    unsigned char raw[64], back[64];
    char enc[96];
    size_t n, i, el, bl;
    unsigned seed = 12345;

    t_begin("base64url round trips, lengths 0..64, all byte values");
    for (n = 0; n <= 64; n++) {
        for (i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            raw[i] = (unsigned char)(seed >> 16);
        }
        if (n > 0)
            raw[0] = (unsigned char)(n * 4 - 1);   /* reach 0x00..0xff */
        el = ph_b64url_encoded_len(n);
        CHECK(el == (n * 4 + 2) / 3, "encoded_len(%zu) = %zu", n, el);
        ph_b64url_encode(raw, n, enc);
        for (i = 0; i < el; i++)
            if (!CHECK(strchr("=+/", enc[i]) == NULL && enc[i] != '\0',
                       "length %zu: bad output character", n))
                break;
        CHECK(el % 4 != 1, "length %zu: encoded length is 1 mod 4", n);
        CHECK(ph_b64url_decoded_len(el) == n, "decoded_len(%zu) != %zu", el,
              n);
        bl = 999;
        if (CHECK_STATUS(ph_b64url_decode(enc, el, back, &bl), PH_OK,
                         "round trip"))
            CHECK(bl == n && memcmp(raw, back, n) == 0,
                  "length %zu: round trip differs", n);
    }
    t_end();
}

static void b64_rejects(void)
{
    static const struct {
        const char *what, *in;
    } bad[] = {
        {"padding '=' (one)", "Zm8="},
        {"padding '=' (two)", "Zg=="},
        {"'=' inside", "Zm=v"},
        {"standard alphabet '+'", "+/8A"},
        {"standard alphabet '+' alone", "ab+d"},
        {"standard alphabet '/'", "ab/d"},
        {"space", "Zm9v Zg"},
        {"leading space", " Zm9v"},
        {"trailing newline", "Zm9v\n"},
        {"tab", "Zm\t9v"},
        {"CR LF", "Zm9v\r\nYg"},
        {"length 1 mod 4 (1)", "Z"},
        {"length 1 mod 4 (5)", "Zm9vY"},
        {"length 1 mod 4 (9)", "Zm9vYmFyZ"},
        {"trailing bits set, 2 chars", "Zh"},
        {"trailing bits set, 2 chars (last bit)", "AB"},
        {"trailing bits set, 3 chars", "Zm9"},
        {"trailing bits set, 3 chars (last bit)", "AAB"},
        {"trailing bits set after full groups", "Zm9vZh"},
        {"high byte", "Zm\xc3\xa9"},
        {"dot", "Zm9v.Yg"},
        {"other punctuation", "Zm9v!Yg"},
    };
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_begin("base64url rejects %s", bad[i].what);
        b64_case(bad[i].in, strlen(bad[i].in), NULL, REJECT);
        t_end();
    }
    t_begin("base64url rejects an embedded NUL");
    b64_case("Zm\0v", 4, NULL, REJECT);
    t_end();
    t_begin("base64url: every byte outside the alphabet, every position");
    {
        int c;
        size_t pos;
        char in[4];
        for (c = 0; c < 256; c++) {
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                (c >= '0' && c <= '9') || c == '-' || c == '_')
                continue;
            for (pos = 0; pos < 4; pos++) {
                unsigned char out[3];
                size_t ol;
                memcpy(in, "AAAA", 4);
                in[pos] = (char)c;
                if (!CHECK(ph_b64url_decode(in, 4, out, &ol) ==
                               PH_ERR_DECODE,
                           "byte 0x%02x at %zu accepted", c, pos))
                    break;
            }
        }
    }
    t_end();
    t_begin("base64url accepts zero trailing bits");
    b64_case("Zg", 2, "f", 1);
    b64_case("Zm8", 3, "fo", 2);
    b64_case("AA", 2, "\0", 1);
    b64_case("AAA", 3, "\0\0", 2);
    t_end();
}

static void hex_units(void)
{
    unsigned char out[16];
    char enc[33];
    const unsigned char all[8] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef,
                                  0xff};

    t_begin("hex decodes lower, upper and mixed case");
    CHECK_STATUS(ph_hex_decode("00ff7f80abcdef", 14, out), PH_OK, "lower");
    CHECK(memcmp(out, "\x00\xff\x7f\x80\xab\xcd\xef", 7) == 0, "lower bytes");
    memset(out, 0, sizeof out);
    CHECK_STATUS(ph_hex_decode("00FF7F80ABCDEF", 14, out), PH_OK, "upper");
    CHECK(memcmp(out, "\x00\xff\x7f\x80\xab\xcd\xef", 7) == 0, "upper bytes");
    memset(out, 0, sizeof out);
    CHECK_STATUS(ph_hex_decode("aBcD", 4, out), PH_OK, "mixed");
    CHECK(out[0] == 0xab && out[1] == 0xcd, "mixed bytes");
    CHECK_STATUS(ph_hex_decode("", 0, out), PH_OK, "empty");
    t_end();

    t_begin("hex rejects odd length and non-hex characters");
    CHECK_STATUS(ph_hex_decode("a", 1, out), PH_ERR_DECODE, "length 1");
    CHECK_STATUS(ph_hex_decode("abc", 3, out), PH_ERR_DECODE, "length 3");
    CHECK_STATUS(ph_hex_decode("0g", 2, out), PH_ERR_DECODE, "g");
    CHECK_STATUS(ph_hex_decode("G0", 2, out), PH_ERR_DECODE, "G");
    CHECK_STATUS(ph_hex_decode("0x12", 4, out), PH_ERR_DECODE, "0x prefix");
    CHECK_STATUS(ph_hex_decode("12 3", 4, out), PH_ERR_DECODE, "space");
    CHECK_STATUS(ph_hex_decode("12\n3", 4, out), PH_ERR_DECODE, "newline");
    CHECK_STATUS(ph_hex_decode("1-", 2, out), PH_ERR_DECODE, "minus");
    CHECK_STATUS(ph_hex_decode("\0" "1", 2, out), PH_ERR_DECODE, "NUL");
    CHECK_STATUS(ph_hex_decode("\xc1\xc2", 2, out), PH_ERR_DECODE, "high");
    /* Bytes that a careless case fold would turn into digits/letters. */
    CHECK_STATUS(ph_hex_decode("\x10\x11", 2, out), PH_ERR_DECODE, "0x10");
    CHECK_STATUS(ph_hex_decode("@`", 2, out), PH_ERR_DECODE, "@ and `");
    CHECK_STATUS(ph_hex_decode("\xe1\xc1", 2, out), PH_ERR_DECODE, "0xe1");
    t_end();

    t_begin("hex: every byte value outside [0-9a-fA-F] is rejected");
    {
        int c;
        for (c = 0; c < 256; c++) {
            char in[2] = {'0', (char)c};
            int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                     (c >= 'A' && c <= 'F');
            ph_status st = ph_hex_decode(in, 2, out);
            CHECK(st == (ok ? PH_OK : PH_ERR_DECODE), "byte 0x%02x: %s", c,
                  ph_status_name(st));
            if (ok) {
                char in2[2] = {(char)c, '0'};
                CHECK(ph_hex_decode(in2, 2, out) == PH_OK, "hi 0x%02x", c);
            }
        }
    }
    t_end();

    t_begin("hex encodes lower case and round trips");
    memset(enc, '#', sizeof enc);
    ph_hex_encode(all, sizeof all, enc);
    CHECK(memcmp(enc, "00017f80abcdefff", 16) == 0, "encoding differs");
    CHECK(enc[16] == '#', "encoder wrote past its output");
    CHECK_STATUS(ph_hex_decode(enc, 16, out), PH_OK, "round trip");
    CHECK(memcmp(out, all, sizeof all) == 0, "round trip differs");
    t_end();
}

/* Long inputs go through the 64- (AVX2) and 32-characters-at-a-time
 * paths: the same rules at every position, in each of their halves and in
 * the tail. */
static void hex_long(void)
{
    unsigned char raw[300], out[300];
    char enc[600];
    size_t n, pos;
    int c;

    t_begin("hex: long inputs decode at every length 0..300");
    for (n = 0; n <= sizeof raw; n++) {
        size_t i;
        for (i = 0; i < n; i++)
            raw[i] = (unsigned char)(i * 37 + n * 11);
        ph_hex_encode(raw, n, enc);
        /* Upper-case every other digit: either case anywhere. */
        for (i = 0; i < 2 * n; i += 2)
            if (enc[i] >= 'a')
                enc[i] = (char)(enc[i] - 'a' + 'A');
        memset(out, 0, sizeof out);
        if (!CHECK(ph_hex_decode(enc, 2 * n, out) == PH_OK, "length %zu",
                   2 * n) ||
            !CHECK(memcmp(out, raw, n) == 0, "length %zu differs", 2 * n))
            break;
    }
    t_end();

    t_begin("hex: one bad character at any position of a 226-char input");
    for (pos = 0; pos < 226; pos++) {
        for (c = 0; c < 256; c++) {
            int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                     (c >= 'A' && c <= 'F');
            memset(enc, '7', 226);
            enc[pos] = (char)c;
            if (!CHECK(ph_hex_decode(enc, 226, out) ==
                           (ok ? PH_OK : PH_ERR_DECODE),
                       "byte 0x%02x at %zu", c, pos))
                break;
        }
    }
    t_end();
}

void run_units_encoding(void)
{
    hex_long();
    b64_known();
    b64_round_trips();
    b64_rejects();
    hex_units();
}
