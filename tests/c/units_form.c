/* Unit tests: the form parser (form.c) against a byte-at-a-time model of
 * the same rules written here, on random forms: names and values of
 * every length around a word, '+', good and bad '%' escapes, ASCII and
 * UTF-8 (valid, overlong, surrogate, cut short), so that the parser's
 * word-at-a-time paths meet every alignment and every kind of byte. */
#include <stdio.h>
#include <string.h>

#include "gateway.h"
#include "runner.h"

#define MODEL_MAX 512

typedef struct model_field {
    unsigned char name[MODEL_MAX], value[MODEL_MAX];
    size_t name_len, value_len;
} model_field;

static uint64_t rng = UINT64_C(0x2545f4914f6cdd1d);

static unsigned next_random(void)
{
    return t_random(&rng);
}

/* The code point at p, or -1 for a byte sequence UTF-8 does not allow. */
static long model_utf8(const unsigned char *p, size_t len, size_t *used)
{
    unsigned c = p[0];
    size_t n, i;
    long cp;

    if (c < 0x80) {
        *used = 1;
        return (long)c;
    }
    if ((c & 0xe0) == 0xc0)
        n = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        n = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        n = 4, cp = c & 0x07;
    else
        return -1;
    if (len < n)
        return -1;
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
        (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *used = n;
    return cp;
}

static int model_valid(const unsigned char *p, size_t len)
{
    size_t at = 0, used;

    while (at < len) {
        if (model_utf8(p + at, len - at, &used) < 0)
            return 0;
        at += used;
    }
    return 1;
}

/* One part decoded byte by byte; -1 for a bad escape. */
static long model_decode(const char *p, size_t len, unsigned char *out)
{
    size_t i = 0, o = 0;

    while (i < len) {
        if (p[i] == '+') {
            out[o++] = ' ';
            i++;
        } else if (p[i] == '%') {
            int h, l;
            if (len - i < 3 || (h = t_nibble(p[i + 1])) < 0 ||
                (l = t_nibble(p[i + 2])) < 0)
                return -1;
            out[o++] = (unsigned char)(h * 16 + l);
            i += 3;
        } else {
            out[o++] = (unsigned char)p[i++];
        }
    }
    return (long)o;
}

/* The model's answer: the number of fields, or -1 if the form is
 * refused (each rule of ph_form_parse, one at a time). */
static long model_parse(const char *text, size_t len, model_field *f,
                        size_t max)
{
    size_t n = 0, start = 0, i, j;

    if (len == 0)
        return 0;
    for (;;) {
        const char *seg = text + start, *amp = memchr(seg, '&', len - start);
        size_t seg_len = amp ? (size_t)(amp - seg) : len - start;
        const char *eq = memchr(seg, '=', seg_len);
        long nl, vl;
        if (n == max || eq == NULL)
            return -1;
        nl = model_decode(seg, (size_t)(eq - seg), f[n].name);
        vl =
            model_decode(eq + 1, seg_len - (size_t)(eq - seg) - 1, f[n].value);
        if (nl <= 0 || vl < 0 || !model_valid(f[n].name, (size_t)nl) ||
            !model_valid(f[n].value, (size_t)vl))
            return -1;
        f[n].name_len = (size_t)nl;
        f[n].value_len = (size_t)vl;
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

/* A piece of a form: one of the kinds of byte the parser tells apart. */
static size_t random_piece(char *out)
{
    static const char *const utf8[] = {
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x92\xb3",
        "%C3%A9",   "%E2%82%AC",    "%F0%9F%92%B3",
        "%C0%80",   "%ED%A0%80",    "%F4%90%80%80",
        "\xc3",     "%C3",          "\xe2\x82",
        "%c3%a9",   "\xed\xa0\x80", "\xff",
    };
    static const char *const other[] = { "+",   "%2B", "%26", "%3D", "%25",
                                         "%zz", "%4",  "%",   "%41", "=" };
    unsigned r = next_random() % 20;
    size_t n;

    if (r < 12) { /* a run of plain ASCII of any length around a word */
        n = next_random() % 19;
        for (size_t i = 0; i < n; i++)
            out[i] =
                "abcdefghijklmnopqrstuvwxyzABC0123456789-_.~:/"[next_random() %
                                                                45];
        return n;
    }
    if (r < 16) {
        const char *s = other[next_random() % (sizeof other / sizeof *other)];
        memcpy(out, s, strlen(s));
        return strlen(s);
    }
    {
        const char *s = utf8[next_random() % (sizeof utf8 / sizeof *utf8)];
        /* Bad ones rarely, so that most forms get through. */
        if (next_random() % 4 != 0 &&
            (s[0] == '\xff' || strlen(s) < 3 || strstr(s, "C0") ||
             strstr(s, "ED") || strstr(s, "F4") || strstr(s, "\xed")))
            s = "%C3%A9";
        memcpy(out, s, strlen(s));
        return strlen(s);
    }
}

static size_t random_form(char *out, size_t cap)
{
    size_t len = 0, fields = 1 + next_random() % 9, k, pieces;

    for (k = 0; k < fields && len + 160 < cap; k++) {
        if (k > 0)
            out[len++] = '&';
        out[len++] = (char)('a' + next_random() % 6); /* names repeat */
        for (pieces = next_random() % 3; pieces > 0; pieces--)
            len += random_piece(out + len);
        if (next_random() % 50 != 0)
            out[len++] = '=';
        for (pieces = next_random() % 6; pieces > 0; pieces--)
            len += random_piece(out + len);
    }
    return len;
}

static void random_forms(void)
{
    static model_field want[PH_FORM_MAX_FIELDS];
    char text[2048];
    size_t round, accepted = 0, refused = 0, bad = 0;
    ph_scratch s = PH_SCRATCH_INIT;

    t_begin("form: the parser against a byte-at-a-time model, random forms");
    for (round = 0; round < 200000 && bad < 5; round++) {
        size_t len = random_form(text, sizeof text), n = 0, i;
        long model = model_parse(text, len, want, PH_FORM_MAX_FIELDS);
        const ph_form_field *f;
        ph_error err;
        ph_status st = ph_form_parse(text, len, &s, &f, &n, &err);
        int same = model < 0 ? st == PH_ERR_DECODE
                             : st == PH_OK && n == (size_t)model;
        for (i = 0; same && model > 0 && i < n; i++)
            same =
                f[i].name.len == want[i].name_len &&
                f[i].value.len == want[i].value_len &&
                memcmp(f[i].name.ptr, want[i].name, want[i].name_len) == 0 &&
                memcmp(f[i].value.ptr, want[i].value, want[i].value_len) == 0;
        if (!CHECK(same, "\"%.*s\": the parser and the model differ", (int)len,
                   text))
            bad++;
        if (model < 0)
            refused++;
        else
            accepted++;
    }
    /* The generator must exercise both answers, or the test says little. */
    CHECK(accepted > 20000 && refused > 20000,
          "%zu accepted, %zu refused: too one-sided", accepted, refused);
    ph_scratch_free(&s);
    t_end();
}

void run_units_form(void)
{
    random_forms();
}
