/* LeanX: the JWT arrives as {"data": "<jwt>", "response_code": ...}. */
#include <string.h>

#include "internal.h"

/* Whitespace may surround the body, never the token inside "data": the
 * string is the token exactly, so one token has one envelope (the JWT
 * verifier refuses it too; this says where it was). */
static int token_padded(const char *tok, size_t len)
{
    return len > 0 && (ph_is_json_space((unsigned char)tok[0]) ||
                       ph_is_json_space((unsigned char)tok[len - 1]));
}

ph_status ph_leanx_token(const char *body, size_t len, size_t max_bytes,
                         ph_scratch *s, const char **token, size_t *token_len,
                         ph_error *err)
{
    ph_status st;

    if (len > max_bytes)
        return ph_fail(err, PH_ERR_TOO_LARGE,
                       "body is longer than the limit of %zu bytes",
                       max_bytes);
    ph_trim_space(&body, &len);
    /* A gateway never sends one, and json.loads(bytes) would drop it:
     * refused, so that two byte strings never verify as one callback. */
    if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
        return ph_fail(err, PH_ERR_DECODE,
                       "LeanX body starts with a UTF-8 byte order mark");
    if (len > 0 && body[0] == '{') {
        if ((st = ph_envelope_member(body, len, "data", "LeanX", s, token,
                                     token_len, err)) != PH_OK)
            return st;
        if (token_padded(*token, *token_len))
            return ph_fail(err, PH_ERR_DECODE,
                           "LeanX body: \"data\" must be the token alone, "
                           "without whitespace around it");
        return PH_OK;
    }
    *token = body;
    *token_len = len;
    return PH_OK;
}
