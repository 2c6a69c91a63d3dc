/* Strict standard base64 (RFC 4648 section 4), padded: the encoding of
 * Standard Webhooks signatures and secrets and of CHIP's signatures.  One
 * text per byte string: anything a lenient decoder would also take (no
 * padding, junk after it, non-zero trailing bits, the URL alphabet,
 * whitespace) is refused. */
#include "internal.h"

/* 0..63 for the alphabet, 0xff for anything else ('=' included). */
/* clang-format off: a table laid out by hand */
static const unsigned char b64_value[256] = {
#define X 0xff
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  62, X,  X,  X,  63, 52, 53, 54, 55, 56, 57, 58, 59, 60,
    61, X,  X,  X,  X,  X,  X,  X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
    11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,
    X,  X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42,
    43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
};
/* clang-format on */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t ph_b64_decoded_len(size_t len)
{
    return len / 4 * 3;
}

ph_status ph_b64_decode(const char *in, size_t len, unsigned char *out,
                        size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i, o = 0, pad = 0;

    *out_len = 0;
    if (len % 4 != 0)
        return PH_ERR_DECODE;
    if (len > 0 && p[len - 1] == '=')
        pad = len > 1 && p[len - 2] == '=' ? 2 : 1;
    for (i = 0; i < len; i += 4) {
        size_t n = i + 4 == len ? 4 - pad : 4;
        unsigned v[4] = { 0, 0, 0, 0 }, k;
        for (k = 0; k < n; k++)
            if ((v[k] = b64_value[p[i + k]]) == 0xff)
                return PH_ERR_DECODE;
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (n == 2) {
            if (v[1] & 0x0f) /* bits a canonical encoder leaves zero */
                return PH_ERR_DECODE;
            break;
        }
        out[o++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
        if (n == 3) {
            if (v[2] & 0x03)
                return PH_ERR_DECODE;
            break;
        }
        out[o++] = (unsigned char)(v[2] << 6 | v[3]);
    }
    *out_len = o;
    return PH_OK;
}

size_t ph_b64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

void ph_b64_encode(const unsigned char *in, size_t len, char *out)
{
    size_t i;

    for (i = 0; i + 3 <= len; i += 3) {
        unsigned v =
            (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        *out++ = b64_alphabet[v >> 18];
        *out++ = b64_alphabet[v >> 12 & 63];
        *out++ = b64_alphabet[v >> 6 & 63];
        *out++ = b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        *out++ = b64_alphabet[v >> 18];
        *out++ = b64_alphabet[v >> 12 & 63];
        *out++ = '=';
        *out++ = '=';
    } else if (len - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        *out++ = b64_alphabet[v >> 18];
        *out++ = b64_alphabet[v >> 12 & 63];
        *out++ = b64_alphabet[v >> 6 & 63];
        *out++ = '=';
    }
}
