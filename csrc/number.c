/* JSON number literals as doubles, rounded as Python's float() rounds. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

double ph_number_to_double(const char *text, size_t len)
{
    char small[64], *buf = small, *end;
    const char *point;
    double d;
    size_t i;

    /* Short integer literals (the usual timestamps) need no strtod:
     * below 10^15 every integer is exact in a double. */
    if (len > 0 && len <= 15) {
        int64_t v = 0;
        size_t k = text[0] == '-';
        for (i = k; i < len && text[i] >= '0' && text[i] <= '9'; i++)
            v = v * 10 + (text[i] - '0');
        if (i == len)
            return (double)(k ? -v : v);
    }
    /* strtod rounds correctly but reads the locale's decimal point, and
     * JSON always writes '.': swap it in on a private copy.  The literal
     * has already been checked against the JSON grammar. */
    if (len >= sizeof small && (buf = malloc(len + 1)) == NULL)
        return NAN; /* every claim check refuses a NaN */
    memcpy(buf, text, len);
    buf[len] = '\0';
    point = localeconv()->decimal_point;
    if (point != NULL && point[0] != '\0' && point[0] != '.' &&
        point[1] == '\0')
        for (i = 0; i < len; i++)
            if (buf[i] == '.')
                buf[i] = point[0];
    d = strtod(buf, &end);
    if (buf != small)
        free(buf);
    return d;
}
