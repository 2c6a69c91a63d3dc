/* application/x-www-form-urlencoded, strictly: the body of Billplz, Fiuu,
 * senangPay and toyyibPay callbacks and the query of their redirects.
 * One text per form: a repeated name is an error, so a forger's second
 * value can never be the one that is checked while the other is used. */
#include <string.h>

#include "gateway.h"

/* A hex digit's value, or -1 (ph_hex_value, encoding.c). */
static int hex_value(unsigned char c)
{
    unsigned v = ph_hex_value[c];

    return v > 0xf ? -1 : (int)v;
}

/* Valid UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static int utf8_valid(const unsigned char *p, size_t len)
{
    const unsigned char *end = p + len;

    while (p < end) {
        unsigned char c;
        size_t n;
        unsigned lo = 0x80, hi = 0xbf;
        p += ph_ascii_run(p, (size_t)(end - p));
        if (p == end)
            break;
        c = *p;
        if (c >= 0xc2 && c <= 0xdf)
            n = 2;
        else if (c >= 0xe0 && c <= 0xef)
            n = 3;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 4;
        else
            return 0;
        if ((size_t)(end - p) < n)
            return 0;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
        else if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
        if (p[1] < lo || p[1] > hi)
            return 0;
        if (n > 2 && (p[2] & 0xc0) != 0x80)
            return 0;
        if (n > 3 && (p[3] & 0xc0) != 0x80)
            return 0;
        p += n;
    }
    return 1;
}

/* The bytes of the word that are '%' or '+' (ph_byte_marks: only the
 * lowest mark is exact, and only it is used). */
static inline uint64_t escapes(uint64_t w)
{
    return ph_byte_marks(w, '%') | ph_byte_marks(w, '+');
}

/* Decode [p, end) into out; the decoded length, or -1 for a bad '%'.
 * The bytes are read eight at a time while eight are there before limit
 * (the end of the whole text, past end for all but the last value), the
 * bytes past end masked off: runs with neither '%' nor '+' are copied a
 * word at a time.  The output never runs ahead of the input and out has
 * as many bytes as the whole text, so a word's copy stays inside it.
 * *high collects bit 7 of every byte written: 0 means all ASCII. */
static long decode_part(const unsigned char *p, const unsigned char *end,
                        const unsigned char *limit, unsigned char *out,
                        unsigned *high)
{
    unsigned char *o = out;
    uint64_t hi = 0;

    while (p < end) {
        while (p < end && limit - p >= 8) {
            size_t have = end - p >= 8 ? 8 : (size_t)(end - p);
            uint64_t w = ph_load_le64(p), m = escapes(w), mine;
            size_t k;
            mine = have == 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * have)) - 1;
            m &= mine;
            k = m != 0 ? ph_lowest_byte(m) : have;
            memcpy(o, p, 8);
            hi |= k == 8 ? w : w & ((UINT64_C(1) << (8 * k)) - 1);
            o += k;
            p += k;
            if (k < have)
                break;
        }
        if (p == end)
            break;
        if (*p == '+') {
            *o++ = ' ';
            p++;
        } else if (*p == '%') {
            int h, l;
            if (end - p < 3 || (h = hex_value(p[1])) < 0 ||
                (l = hex_value(p[2])) < 0)
                return -1;
            *o = (unsigned char)(h << 4 | l);
            hi |= *o++;
            p += 3;
        } else {
            hi |= *p;
            *o++ = *p++;
        }
    }
    *high |= (hi & UINT64_C(0x8080808080808080)) != 0;
    return (long)(o - out);
}

static ph_status parse(const char *text, size_t len, ph_scratch *s,
                       ph_form_field **fields, size_t *n, ph_error *err)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    size_t count = 0, i, at = 0;
    ph_form_field *f;
    unsigned char *bytes;

    *fields = NULL;
    *n = 0;
    if (len == 0)
        return PH_OK;
    /* Fields: one more than the '&'s; checked before anything is kept. */
    for (i = 0; i < len; i++) {
        const char *amp = memchr(text + i, '&', len - i);
        if (amp == NULL)
            break;
        count++;
        i = (size_t)(amp - text);
    }
    if (++count > PH_FORM_MAX_FIELDS)
        return ph_fail(err, PH_ERR_DECODE, "the form has more than %d fields",
                       PH_FORM_MAX_FIELDS);
    if ((f = (ph_form_field *)ph_scratch_env(s, count * sizeof *f, err)) ==
            NULL ||
        (bytes = ph_scratch_data(s, len, err)) == NULL)
        return PH_ERR_MEMORY;
    for (i = 0; i < count; i++) {
        const unsigned char *amp = memchr(p, '&', (size_t)(end - p));
        const unsigned char *seg_end = amp != NULL ? amp : end;
        const unsigned char *eq = memchr(p, '=', (size_t)(seg_end - p));
        unsigned char *out = bytes + at;
        long nl, vl;
        unsigned high = 0;
        if (eq == NULL)
            return ph_fail(err, PH_ERR_DECODE, "form field %zu has no '='",
                           i + 1);
        if ((nl = decode_part(p, eq, end, out, &high)) < 0 ||
            (vl = decode_part(eq + 1, seg_end, end, out + nl, &high)) < 0)
            return ph_fail(err, PH_ERR_DECODE,
                           "form field %zu has a '%%' without two hex digits",
                           i + 1);
        if (nl == 0)
            return ph_fail(err, PH_ERR_DECODE, "form field %zu has no name",
                           i + 1);
        /* Each by itself: a character must not straddle the two.  Only
         * bytes above 0x7f can make either invalid. */
        if (high && (!utf8_valid(out, (size_t)nl) ||
                     !utf8_valid(out + nl, (size_t)vl)))
            return ph_fail(err, PH_ERR_DECODE,
                           "form field %zu is not valid UTF-8", i + 1);
        f[i].name = (ph_str){ (const char *)out, (size_t)nl };
        f[i].value = (ph_str){ (const char *)out + nl, (size_t)vl };
        at += (size_t)(nl + vl);
        p = seg_end + 1;
    }
    *fields = f;
    *n = count;
    return PH_OK;
}

/* A repeated name (128 fields at most: the quadratic check is small). */
static ph_status no_repeats(const ph_form_field *f, size_t n, ph_error *err)
{
    size_t i, j;

    for (i = 1; i < n; i++)
        for (j = 0; j < i; j++)
            if (f[i].name.len == f[j].name.len &&
                memcmp(f[i].name.ptr, f[j].name.ptr, f[i].name.len) == 0)
                return ph_fail(err, PH_ERR_DECODE,
                               "form fields %zu and %zu have the same name",
                               j + 1, i + 1);
    return PH_OK;
}

ph_status ph_form_parse(const char *text, size_t len, ph_scratch *s,
                        const ph_form_field **fields, size_t *n, ph_error *err)
{
    ph_form_field *f;
    ph_status st;

    *fields = NULL;
    if ((st = parse(text, len, s, &f, n, err)) != PH_OK ||
        (st = no_repeats(f, *n, err)) != PH_OK) {
        *n = 0;
        return st;
    }
    *fields = f;
    return PH_OK;
}

/* word[word]...: the brackets dropped, in place (the name's bytes are the
 * scratch's, and the flat name is never longer). */
static ph_status flatten(ph_form_field *f, size_t index, ph_error *err)
{
    char *name = (char *)f->name.ptr;
    size_t i = 0, o = 0, len = f->name.len;

    while (i < len && name[i] != '[' && name[i] != ']')
        i++;
    if (i == len)
        return PH_OK;
    if (i == 0 || name[i] != '[')
        goto bad;
    o = i;
    while (i < len) {
        size_t start;
        if (name[i] != '[')
            goto bad;
        start = ++i;
        while (i < len && name[i] != '[' && name[i] != ']')
            name[o++] = name[i++];
        if (i == len || name[i] != ']' || i == start)
            goto bad;
        i++;
    }
    f->name.len = o;
    return PH_OK;
bad:
    return ph_fail(err, PH_ERR_DECODE,
                   "form field %zu: a bracketed name must be word[word]...",
                   index + 1);
}

ph_status ph_form_parse_flat(const char *text, size_t len, ph_scratch *s,
                             const ph_form_field **fields, size_t *n,
                             ph_error *err)
{
    ph_form_field *f;
    ph_status st;
    size_t i;

    *fields = NULL;
    if ((st = parse(text, len, s, &f, n, err)) != PH_OK ||
        (st = no_repeats(f, *n, err)) != PH_OK)
        goto fail;
    for (i = 0; i < *n; i++)
        if ((st = flatten(&f[i], i, err)) != PH_OK)
            goto fail;
    /* billplz[id] and billplzid would now be one name. */
    if ((st = no_repeats(f, *n, err)) != PH_OK)
        goto fail;
    *fields = f;
    return PH_OK;
fail:
    *n = 0;
    return st;
}
