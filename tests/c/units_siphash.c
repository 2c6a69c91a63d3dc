/* Unit tests: ph_siphash128 against OpenSSL's SIPHASH MAC (128-bit
 * output, 2 and 4 rounds, its defaults), over inputs cut into parts at
 * every place a word boundary can fall, and ph_fingerprint's keying. */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "internal.h"
#include "runner.h"

/* OpenSSL's SipHash of msg under key, or 0 if it is not available. */
static int openssl_siphash(const unsigned char key[16],
                           const unsigned char *msg, size_t len,
                           unsigned char out[16])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    size_t size = 16, got = 0;
    OSSL_PARAM params[2];
    int ok;

    params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
    params[1] = OSSL_PARAM_construct_end();
    ok = ctx != NULL && EVP_MAC_init(ctx, key, 16, params) == 1 &&
         EVP_MAC_update(ctx, msg, len) == 1 &&
         EVP_MAC_final(ctx, out, &got, 16) == 1 && got == 16;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return ok;
}

static uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);

static unsigned next_random(void)
{
    return t_random(&rng);
}

static void published_vector(void)
{
    /* The reference implementation's first 128-bit vector: key 00..0f,
     * the empty message. */
    static const unsigned char want[16] = {
        0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
        0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93,
    };
    unsigned char key[16], out[16];
    ph_str none = { "", 0 };
    int i;

    t_begin("ph_siphash128: the published vector for the empty message");
    for (i = 0; i < 16; i++)
        key[i] = (unsigned char)i;
    ph_siphash128(key, &none, 1, out);
    CHECK(memcmp(out, want, 16) == 0, "empty message: wrong digest");
    ph_siphash128(key, NULL, 0, out);
    CHECK(memcmp(out, want, 16) == 0, "no parts: wrong digest");
    t_end();
}

static void against_openssl(void)
{
    unsigned char key[16], msg[300], ours[16], theirs[16];
    size_t len, cut1, cut2;
    int round, i, have_openssl = 1;

    t_begin("ph_siphash128: equals OpenSSL's SIPHASH at every length to "
            "300, in one to three parts cut anywhere");
    for (len = 0; len <= sizeof msg && have_openssl; len++) {
        for (round = 0; round < 8; round++) {
            for (i = 0; i < 16; i++)
                key[i] = (unsigned char)next_random();
            for (i = 0; i < (int)len; i++)
                msg[i] = (unsigned char)next_random();
            if (!openssl_siphash(key, msg, len, theirs)) {
                have_openssl = 0;
                break;
            }
            cut1 = len ? next_random() % (len + 1) : 0;
            cut2 = cut1 + (len - cut1 ? next_random() % (len - cut1 + 1) : 0);
            {
                ph_str one = { (const char *)msg, len };
                ph_str three[3] = {
                    { (const char *)msg, cut1 },
                    { (const char *)msg + cut1, cut2 - cut1 },
                    { (const char *)msg + cut2, len - cut2 },
                };
                ph_siphash128(key, &one, 1, ours);
                if (!CHECK(memcmp(ours, theirs, 16) == 0,
                           "length %zu: one part differs from OpenSSL", len))
                    break;
                ph_siphash128(key, three, 3, ours);
                if (!CHECK(memcmp(ours, theirs, 16) == 0,
                           "length %zu cut at %zu and %zu: differs from "
                           "OpenSSL",
                           len, cut1, cut2))
                    break;
            }
        }
    }
    CHECK(have_openssl, "OpenSSL has no SIPHASH MAC to compare with");
    t_end();
}

static void fingerprints(void)
{
    ph_fingerprinter *a = NULL, *b = NULL;
    unsigned char fa[PH_FINGERPRINT_LEN], fa2[PH_FINGERPRINT_LEN];
    unsigned char fb[PH_FINGERPRINT_LEN], fc[PH_FINGERPRINT_LEN];
    ph_str key = { "hash-key", 8 }, other = { "hash-kez", 8 };
    ph_str split[2] = { { "hash-", 5 }, { "key", 3 } };
    ph_error err;

    t_begin("ph_fingerprint: the same for the same bytes, however cut; "
            "another for other bytes or another salt");
    CHECK_STATUS(ph_fingerprinter_new(&a, &err), PH_OK, "first");
    CHECK_STATUS(ph_fingerprinter_new(&b, &err), PH_OK, "second");
    if (a != NULL && b != NULL) {
        CHECK_STATUS(ph_fingerprint(a, &key, 1, fa, &err), PH_OK, "a");
        CHECK_STATUS(ph_fingerprint(a, split, 2, fa2, &err), PH_OK, "a cut");
        CHECK_STATUS(ph_fingerprint(b, &key, 1, fb, &err), PH_OK, "b");
        CHECK_STATUS(ph_fingerprint(a, &other, 1, fc, &err), PH_OK, "other");
        CHECK(memcmp(fa, fa2, sizeof fa) == 0, "a cut key differs");
        CHECK(memcmp(fa, fb, sizeof fa) != 0, "two salts agree");
        CHECK(memcmp(fa, fc, sizeof fa) != 0, "two keys agree");
    }
    ph_fingerprinter_free(a);
    ph_fingerprinter_free(b);
    ph_fingerprinter_free(NULL);
    t_end();
}

void run_units_siphash(void)
{
    published_vector();
    against_openssl();
    fingerprints();
}
