/*
 * The strict form parser (ph_form_parse), against an independent reading
 * in this file: accepted exactly when every '&'-separated segment has a
 * '=', a non-empty name, '%' only before two hex digits, decoded bytes
 * that are valid UTF-8 (by fz_utf8_ok), no repeated name and at most
 * PH_FORM_MAX_FIELDS fields; and then field by field to the same bytes.
 * ph_form_parse_flat's result is the same fields with their brackets
 * dropped, or a refusal.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "gateway.h"

#define MAX_IN 8192

typedef struct ref_field {
    unsigned char *name, *value;
    size_t name_len, value_len;
} ref_field;

static int hexv(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode one part into out; -1 on a bad escape. */
static long unescape(const uint8_t *p, size_t n, unsigned char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        if (p[i] == '+') {
            out[o++] = ' ';
        } else if (p[i] == '%') {
            if (i + 2 >= n || hexv(p[i + 1]) < 0 || hexv(p[i + 2]) < 0)
                return -1;
            out[o++] = (unsigned char)(hexv(p[i + 1]) << 4 | hexv(p[i + 2]));
            i += 2;
        } else {
            out[o++] = p[i];
        }
    }
    return (long)o;
}

/* The reference: the count of fields, or -1 for a refusal. */
static long reference(const uint8_t *d, size_t size, ref_field *f,
                      unsigned char *buf)
{
    size_t start = 0, n = 0, at = 0, i, j;

    if (size == 0)
        return 0;
    for (i = 0; i <= size; i++) {
        const uint8_t *seg, *eq;
        size_t len;
        long nl, vl;
        if (i < size && d[i] != '&')
            continue;
        seg = d + start;
        len = i - start;
        start = i + 1;
        if (n == PH_FORM_MAX_FIELDS)
            return -1;
        eq = memchr(seg, '=', len);
        if (eq == NULL)
            return -1;
        nl = unescape(seg, (size_t)(eq - seg), buf + at);
        if (nl <= 0)
            return -1;
        f[n].name = buf + at;
        f[n].name_len = (size_t)nl;
        at += (size_t)nl;
        vl = unescape(eq + 1, len - (size_t)(eq - seg) - 1, buf + at);
        if (vl < 0)
            return -1;
        f[n].value = buf + at;
        f[n].value_len = (size_t)vl;
        at += (size_t)vl;
        if (!fz_utf8_ok(f[n].name, f[n].name_len) ||
            !fz_utf8_ok(f[n].value, f[n].value_len))
            return -1;
        n++;
    }
    for (i = 0; i < n; i++)
        for (j = 0; j < i; j++)
            if (f[i].name_len == f[j].name_len &&
                memcmp(f[i].name, f[j].name, f[i].name_len) == 0)
                return -1;
    return (long)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ref_field ref[PH_FORM_MAX_FIELDS + 1];
    static unsigned char buf[MAX_IN];
    ph_scratch s = PH_SCRATCH_INIT;
    const ph_form_field *f;
    size_t n = 0, i;
    long want;
    ph_error err;
    ph_status st;

    if (size > MAX_IN)
        return 0;
    want = reference(data, size, ref, buf);
    st = ph_form_parse((const char *)data, size, &s, &f, &n, &err);
    fz_check_error(st, &err, NULL, 0);
    FZ_CHECK((st == PH_OK) == (want >= 0), "accepts what the reference does");
    if (st == PH_OK) {
        FZ_CHECK(n == (size_t)want, "the same number of fields");
        for (i = 0; i < n; i++)
            FZ_CHECK(f[i].name.len == ref[i].name_len &&
                         memcmp(f[i].name.ptr, ref[i].name, ref[i].name_len) ==
                             0 &&
                         f[i].value.len == ref[i].value_len &&
                         memcmp(f[i].value.ptr, ref[i].value,
                                ref[i].value_len) == 0,
                     "the same field");
    } else {
        FZ_CHECK(st == PH_ERR_DECODE, "a refusal is DECODE");
    }
    /* Flattening: refused, or the same count with no bracket left. */
    st = ph_form_parse_flat((const char *)data, size, &s, &f, &n, &err);
    fz_check_error(st, &err, NULL, 0);
    if (st == PH_OK) {
        FZ_CHECK(want >= 0 && n == (size_t)want, "flat: the same fields");
        for (i = 0; i < n; i++)
            FZ_CHECK(memchr(f[i].name.ptr, '[', f[i].name.len) == NULL &&
                         memchr(f[i].name.ptr, ']', f[i].name.len) == NULL &&
                         f[i].value.len == ref[i].value_len,
                     "flat: brackets dropped, values kept");
    }
    ph_scratch_free(&s);
    return 0;
}
