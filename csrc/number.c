/* JSON number literals as doubles, rounded as Python's float() rounds: the
 * one place that calls strtod, and so the one place that minds the
 * locale.  float_parse.c does the usual literals itself. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

ph_status ph_strtod_c(const char *text, size_t len, double *out)
{
    char small[64], *buf = small, *q;
    const char *point = localeconv()->decimal_point;
    size_t point_len = point != NULL ? strlen(point) : 0, dots = 0, need, i;

    /* strtod rounds correctly but reads the locale's decimal point, and
     * JSON always writes '.': swap it in on a private copy.  The point
     * may be longer than one byte (U+066B in ps_AF). */
    if (point_len == 0 || (point_len == 1 && point[0] == '.')) {
        point = ".";
        point_len = 1;
    }
    for (i = 0; i < len; i++)
        dots += text[i] == '.';
    /* A literal of the grammar has one '.' at most and is far shorter
     * than anything that could overflow here. */
    need = len + 1 + dots * (point_len - 1);
    if (need > sizeof small && (buf = malloc(need)) == NULL) {
        *out = 0.0;
        return PH_ERR_MEMORY;
    }
    for (i = 0, q = buf; i < len; i++) {
        if (text[i] == '.') {
            memcpy(q, point, point_len);
            q += point_len;
        } else {
            *q++ = text[i];
        }
    }
    *q = '\0';
    *out = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    return PH_OK;
}

double ph_number_to_double(const char *text, size_t len)
{
    double d;

    if (ph_parse_double(text, len, &d) != PH_OK)
        return NAN; /* out of memory: every claim check refuses a NaN */
    return d;
}
