/*
 * The strict form parser (ph_form_parse), against the byte-at-a-time
 * model in tests/model (model_form_parse, which the C suite holds the
 * parser to as well): accepted exactly when the model accepts, and then
 * field by field to the same bytes.
 * ph_form_parse_flat's result is the same fields with their brackets
 * dropped, or a refusal.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "gateway.h"
#include "model.h"

#define MAX_IN 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static model_form_field ref[PH_FORM_MAX_FIELDS];
    static unsigned char buf[MAX_IN];
    ph_scratch s = PH_SCRATCH_INIT;
    const ph_form_field *f;
    size_t n = 0, i;
    long want;
    ph_error err;
    ph_status st;

    if (size > MAX_IN)
        return 0;
    want = model_form_parse((const char *)data, size, ref, PH_FORM_MAX_FIELDS,
                            buf);
    st = ph_form_parse((const char *)data, size, &s, &f, &n, &err);
    fz_check_error(st, &err, NULL, 0);
    FZ_CHECK((st == PH_OK) == (want >= 0), "accepts what the reference does");
    if (st == PH_OK) {
        FZ_CHECK(n == (size_t)want, "the same number of fields");
        for (i = 0; i < n; i++)
            FZ_CHECK(
                f[i].name.len == ref[i].name_len &&
                    memcmp(f[i].name.ptr, ref[i].name, ref[i].name_len) == 0 &&
                    f[i].value.len == ref[i].value_len &&
                    memcmp(f[i].value.ptr, ref[i].value, ref[i].value_len) ==
                        0,
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
