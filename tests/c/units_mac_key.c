/* Unit tests: prepared HMAC keys (csrc/mac_key.c) against OpenSSL's own
 * HMAC(), for SHA-256, SHA-384 and SHA-512, keys on both sides of each
 * hash's block size (a longer key is hashed first), messages on both sides
 * of the padding boundaries, cut into parts at random places, empty parts
 * included.  The default build tests the SHA-2 state form, the portable
 * build (make test-c-portable, -DPH_MAC_EVP) the EVP_MAC form. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mac_key.h"
#include "runner.h"

static uint64_t rng = UINT64_C(0x2545f4914f6cdd1d);

static const EVP_MD *md_of(ph_mac_hash h)
{
    return h == PH_MAC_SHA256   ? EVP_sha256()
           : h == PH_MAC_SHA384 ? EVP_sha384()
                                : EVP_sha512();
}

static const char *name_of(ph_mac_hash h)
{
    return h == PH_MAC_SHA256   ? "SHA-256"
           : h == PH_MAC_SHA384 ? "SHA-384"
                                : "SHA-512";
}

static void against_openssl(void)
{
    static const size_t key_lens[] = { 1,   2,   16,  31,  32,  33,
                                       47,  48,  63,  64,  65,  100,
                                       127, 128, 129, 131, 200, 300 };
    static const size_t msg_lens[] = { 0,   1,   3,    55,   56,  63,  64,
                                       65,  111, 112,  119,  120, 127, 128,
                                       129, 240, 1000, 1184, 4099 };
    static unsigned char key[300], msg[4099];
    ph_mac_hash h;
    size_t ki, mi, i;
    ph_error err;

    for (i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)t_random(&rng);
    for (i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)t_random(&rng);
    for (h = PH_MAC_SHA256; h <= PH_MAC_SHA512; h++) {
        t_begin("ph_mac_key %s: equals OpenSSL's HMAC for keys of 1..300 "
                "bytes and messages of 0..4099 in parts",
                name_of(h));
        for (ki = 0; ki < sizeof key_lens / sizeof key_lens[0]; ki++) {
            ph_mac_key *k = NULL;
            if (!CHECK_STATUS(ph_mac_key_new(h, key, key_lens[ki], &k, &err),
                              PH_OK, "key"))
                break;
            CHECK(ph_mac_key_size(k) == (size_t)EVP_MD_get_size(md_of(h)),
                  "key of %zu bytes: size %zu", key_lens[ki],
                  ph_mac_key_size(k));
            for (mi = 0; mi < sizeof msg_lens / sizeof msg_lens[0]; mi++) {
                unsigned char want[64], got[64];
                unsigned int want_len = 0;
                size_t n = msg_lens[mi], a, b;
                ph_str parts[3];
                HMAC(md_of(h), key, (int)key_lens[ki], msg, n, want,
                     &want_len);
                /* Two random cuts make three parts, any of them empty. */
                a = n > 0 ? t_random(&rng) % (n + 1) : 0;
                b = n > 0 ? t_random(&rng) % (n + 1) : 0;
                if (a > b) {
                    size_t t = a;
                    a = b;
                    b = t;
                }
                parts[0].ptr = (const char *)msg;
                parts[0].len = a;
                parts[1].ptr = (const char *)msg + a;
                parts[1].len = b - a;
                parts[2].ptr = (const char *)msg + b;
                parts[2].len = n - b;
                memset(got, 0, sizeof got);
                CHECK(ph_mac_key_compute(k, parts, 3, got) == 1,
                      "key %zu, message %zu: failed", key_lens[ki], n);
                CHECK(want_len == ph_mac_key_size(k) &&
                          memcmp(got, want, want_len) == 0,
                      "key %zu, message %zu (cut at %zu, %zu): wrong MAC",
                      key_lens[ki], n, a, b);
                /* The key is not changed by use: the same MAC again, as
                 * one part. */
                parts[0].len = n;
                memset(got, 0, sizeof got);
                CHECK(ph_mac_key_compute(k, parts, 1, got) == 1 &&
                          memcmp(got, want, want_len) == 0,
                      "key %zu, message %zu: a second MAC differs",
                      key_lens[ki], n);
            }
            ph_mac_key_free(k);
        }
        t_end();
    }
}

static void rfc4231_case_6(void)
{
    /* RFC 4231 test case 6: a 131-byte key of 0xaa, longer than either
     * block, hashed first; the SHA-256 MAC as published. */
    static const unsigned char want[32] = {
        0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f, 0x0d, 0x8a, 0x26,
        0xaa, 0xcb, 0xf5, 0xb7, 0x7f, 0x8e, 0x0b, 0xc6, 0x21, 0x37, 0x28,
        0xc5, 0x14, 0x05, 0x46, 0x04, 0x0f, 0x0e, 0xe3, 0x7f, 0x54,
    };
    static const char msg[] =
        "Test Using Larger Than Block-Size Key - Hash Key First";
    unsigned char key[131], got[64];
    ph_str part = { msg, sizeof msg - 1 };
    ph_mac_key *k = NULL;
    ph_error err;

    t_begin("ph_mac_key: RFC 4231 test case 6 (a key longer than a block)");
    memset(key, 0xaa, sizeof key);
    if (CHECK_STATUS(ph_mac_key_new(PH_MAC_SHA256, key, sizeof key, &k, &err),
                     PH_OK, "key")) {
        CHECK(ph_mac_key_compute(k, &part, 1, got) == 1 &&
                  memcmp(got, want, sizeof want) == 0,
              "wrong MAC");
    }
    ph_mac_key_free(k);
    t_end();
}

static void empty_key(void)
{
    ph_mac_key *k = (ph_mac_key *)&rng;
    ph_error err;
    ph_mac_hash h;

    t_begin("ph_mac_key: an empty key is refused with PH_ERR_KEY");
    for (h = PH_MAC_SHA256; h <= PH_MAC_SHA512; h++) {
        CHECK_STATUS(ph_mac_key_new(h, (const unsigned char *)"", 0, &k, &err),
                     PH_ERR_KEY, name_of(h));
        CHECK(k == NULL, "%s: *out is not cleared", name_of(h));
    }
    t_end();
}

void run_units_mac_key(void)
{
    rfc4231_case_6();
    against_openssl();
    empty_key();
}
