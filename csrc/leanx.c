/* LeanX: the JWT arrives as {"data": "<jwt>", "response_code": ...}. */
#include "internal.h"

ph_status ph_leanx_token(const char *body, size_t len, size_t max_bytes,
                         ph_scratch *s, const char **token, size_t *token_len,
                         ph_error *err)
{
    if (len > max_bytes)
        return ph_fail(err, PH_ERR_TOO_LARGE,
                       "body is longer than the limit of %zu bytes",
                       max_bytes);
    ph_trim_space(&body, &len);
    if (len > 0 && body[0] == '{')
        return ph_envelope_member(body, len, "data", "LeanX", s, token,
                                  token_len, err);
    *token = body;
    *token_len = len;
    return PH_OK;
}
