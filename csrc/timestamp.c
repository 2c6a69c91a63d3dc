/* Signed timestamps (Stripe's t=, Standard Webhooks' webhook-timestamp):
 * one text per time, and a window checked on both sides. */
#include <math.h>

#include "internal.h"

#define MAX_DIGITS 15 /* far past year 9999, and exact in a double */

ph_status ph_timestamp_parse(const char *text, size_t len, int64_t *out,
                             ph_error *err)
{
    int64_t v = 0;
    size_t i;

    if (len == 0 || len > MAX_DIGITS || (len > 1 && text[0] == '0'))
        return ph_fail(err, PH_ERR_DECODE,
                       "the timestamp must be 1 to %d digits without a "
                       "leading zero",
                       MAX_DIGITS);
    for (i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return ph_fail(err, PH_ERR_DECODE,
                           "the timestamp must be decimal digits only");
        v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return PH_OK;
}

ph_status ph_timestamp_check(int64_t ts, double now, double tolerance,
                             ph_error *err)
{
    double t = (double)ts;

    if (!isfinite(now) || !isfinite(tolerance) || tolerance < 0)
        return ph_fail(err, PH_ERR_ARGUMENT,
                       "now and tolerance must be finite, the tolerance "
                       ">= 0");
    if (t < now - tolerance)
        return ph_fail(err, PH_ERR_TIMESTAMP,
                       "the signed timestamp is more than %g s old",
                       tolerance);
    if (t > now + tolerance)
        return ph_fail(err, PH_ERR_TIMESTAMP,
                       "the signed timestamp is more than %g s ahead",
                       tolerance);
    return PH_OK;
}
