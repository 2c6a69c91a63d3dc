/* application/x-www-form-urlencoded as ph_form_parse reads it, one rule
 * at a time (the rules are in model.h). */
#include <string.h>

#include "model.h"

int model_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One name or value decoded into out; -1 for a bad escape. */
static long decode_part(const char *p, size_t len, unsigned char *out)
{
    size_t i = 0, o = 0;

    while (i < len) {
        if (p[i] == '+') {
            out[o++] = ' ';
            i++;
        } else if (p[i] == '%') {
            int hi, lo;
            if (len - i < 3 || (hi = model_hex_digit(p[i + 1])) < 0 ||
                (lo = model_hex_digit(p[i + 2])) < 0)
                return -1;
            out[o++] = (unsigned char)(hi * 16 + lo);
            i += 3;
        } else {
            out[o++] = (unsigned char)p[i++];
        }
    }
    return (long)o;
}

long model_form_parse(const char *text, size_t len, model_form_field *f,
                      size_t max, unsigned char *buf)
{
    size_t n = 0, start = 0, at = 0, i, j;

    if (len == 0)
        return 0;
    for (;;) {
        const char *seg = text + start, *amp = memchr(seg, '&', len - start);
        size_t seg_len = amp ? (size_t)(amp - seg) : len - start;
        const char *eq = memchr(seg, '=', seg_len);
        long name_len, value_len;
        if (n == max || eq == NULL)
            return -1;
        name_len = decode_part(seg, (size_t)(eq - seg), buf + at);
        if (name_len <= 0)
            return -1;
        f[n].name = buf + at;
        f[n].name_len = (size_t)name_len;
        at += (size_t)name_len;
        value_len =
            decode_part(eq + 1, seg_len - (size_t)(eq - seg) - 1, buf + at);
        if (value_len < 0)
            return -1;
        f[n].value = buf + at;
        f[n].value_len = (size_t)value_len;
        at += (size_t)value_len;
        if (!model_utf8_ok(f[n].name, f[n].name_len) ||
            !model_utf8_ok(f[n].value, f[n].value_len))
            return -1;
        n++;
        if (amp == NULL)
            break;
        start += seg_len + 1;
    }
    for (i = 1; i < n; i++)
        for (j = 0; j < i; j++)
            if (f[i].name_len == f[j].name_len &&
                memcmp(f[i].name, f[j].name, f[i].name_len) == 0)
                return -1;
    return (long)n;
}
