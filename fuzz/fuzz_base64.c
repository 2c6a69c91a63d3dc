/*
 * Strict standard base64 (ph_b64_decode), against OpenSSL's lenient
 * decoder: the text is accepted exactly when OpenSSL decodes it and
 * encoding those bytes again gives the text back byte for byte (the one
 * canonical form), and then to the same bytes.  Encoding round-trips.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz_common.h"

#define MAX_IN 4096

static int canonical(const unsigned char *in, size_t len, unsigned char *out,
                     size_t *out_len)
{
    unsigned char *again;
    size_t pad = 0;
    int n, ok;

    if (len == 0) {
        *out_len = 0;
        return 1;
    }
    if (len % 4 != 0)
        return 0;
    n = EVP_DecodeBlock(out, in, (int)len);
    if (n < 0)
        return 0;
    while (pad < 2 && pad < len && in[len - 1 - pad] == '=')
        pad++;
    if ((size_t)n < pad)
        return 0;
    *out_len = (size_t)n - pad;
    again = malloc(len + 1);
    EVP_EncodeBlock(again, out, (int)*out_len);
    ok = memcmp(again, in, len) == 0;
    free(again);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char mine[MAX_IN], theirs[MAX_IN];
    char back[MAX_IN * 2];
    size_t n = 0, m = 0;
    ph_status st;
    int want;

    if (size > MAX_IN)
        return 0;
    FZ_CHECK(ph_b64_decoded_len(size) <= sizeof mine, "room");
    st = ph_b64_decode((const char *)data, size, mine, &n);
    want = canonical(data, size, theirs, &m);
    FZ_CHECK((st == PH_OK) == want, "accepts exactly the canonical texts");
    if (st == PH_OK) {
        FZ_CHECK(n == m && memcmp(mine, theirs, n) == 0, "same bytes");
        ph_b64_encode(mine, n, back);
        FZ_CHECK(ph_b64_encoded_len(n) == size &&
                     memcmp(back, data, size) == 0,
                 "encodes back");
    } else {
        FZ_CHECK(st == PH_ERR_DECODE, "refusal is DECODE");
    }
    /* Any bytes encode to text that decodes back. */
    ph_b64_encode(data, size > MAX_IN / 2 ? MAX_IN / 2 : size, back);
    n = ph_b64_encoded_len(size > MAX_IN / 2 ? MAX_IN / 2 : size);
    FZ_CHECK(ph_b64_decode(back, n, mine, &m) == PH_OK &&
                 m == (size > MAX_IN / 2 ? MAX_IN / 2 : size) &&
                 memcmp(mine, data, m) == 0,
             "round trip");
    return 0;
}
