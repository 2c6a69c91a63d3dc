/* Unit tests: the form parser (form.c) against the byte-at-a-time model
 * of the same rules in tests/model (which the fuzz harness uses too), on
 * random forms: names and values of
 * every length around a word, '+', good and bad '%' escapes, ASCII and
 * UTF-8 (valid, overlong, surrogate, cut short), so that the parser's
 * word-at-a-time paths meet every alignment and every kind of byte. */
#include <stdio.h>
#include <string.h>

#include "gateway.h"
#include "model.h"
#include "runner.h"

static uint64_t rng = UINT64_C(0x2545f4914f6cdd1d);

static unsigned next_random(void)
{
    return t_random(&rng);
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
    static model_form_field want[PH_FORM_MAX_FIELDS];
    static unsigned char decoded[2048];
    char text[2048];
    size_t round, accepted = 0, refused = 0, bad = 0;
    ph_scratch s = PH_SCRATCH_INIT;

    t_begin("form: the parser against a byte-at-a-time model, random forms");
    for (round = 0; round < 200000 && bad < 5; round++) {
        size_t len = random_form(text, sizeof text), n = 0, i;
        long model =
            model_form_parse(text, len, want, PH_FORM_MAX_FIELDS, decoded);
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
