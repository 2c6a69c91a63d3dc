/*
 * ph_json_parse: the strict JSON scanner that every value passes through.
 *
 * Input: byte 0 chooses a sink call to fail (0: none), the rest is the
 * JSON text.
 *
 * Checks, besides the sanitizers:
 *   - the checking sink (fuzz_common.c) sees only valid UTF-8 with a
 *     truthful ascii flag, numbers inside the RFC 8259 grammar whose kind
 *     and int64 value agree with the text, live unowned handles, and
 *     pointers into the input or the scratch text;
 *   - every handle comes back: the root holds them all, or on failure
 *     none is left;
 *   - the cJSON sink gives the same status, or PH_ERR_SINK (a NUL in a
 *     string, an integer beyond 2^53);
 *   - payhook is never laxer than cJSON: what it accepts,
 *     cJSON_ParseWithLength accepts too, and with no repeated member name
 *     the two cJSON trees are equal;
 *   - a sink failure injected at any call gives PH_ERR_SINK, no root and
 *     no handle left behind.
 *
 * Where cJSON may be wrong instead: cJSON 1.7.15 as released copies a
 * number into a 64-byte buffer, so a literal of 64 characters or more is
 * cut short and, inside an array or object, rejected.  Debian's 1.7.15
 * (and later releases) read the whole literal.  fz_cjson_blind_spot asks
 * the cJSON it is linked with and, only when that cJSON cuts numbers
 * short, skips the comparison for inputs holding such a literal.
 * Everything else cJSON does is laxer than RFC 8259, not stricter:
 * control bytes and a BOM count as whitespace, trailing data is ignored,
 * UTF-8 and surrogates are not checked, leading zeros and "1." pass, and
 * its nesting limit (1000) is above ours (128).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "internal.h"

/* Two cJSON trees equal in shape, order, names and values. */
static int same_tree(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xff) != (b->type & 0xff))
        return 0;
    if (cJSON_IsNumber(a))
        return a->valuedouble == b->valuedouble;
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x != NULL && y != NULL; x = x->next, y = y->next) {
            if (cJSON_IsObject(a) && strcmp(x->string, y->string) != 0)
                return 0;
            if (!same_tree(x, y))
                return 0;
        }
        return x == NULL && y == NULL;
    }
    return 1;
}

static int no_member(void *hctx, const char *name, size_t len)
{
    (void)hctx;
    (void)name;
    (void)len;
    return 0;
}

/* The constant-time scan that SuperPay plaintexts go through must pass
 * whatever the parser accepts as a top-level object (the parse that
 * follows it refuses the rest), and every form of it this CPU has must
 * give the same verdict. */
static void ct_agrees(const char *json, size_t len, ph_scratch *s)
{
    static const ph_json_ct_form forms[] = {
        PH_JSON_CT_C, PH_JSON_CT_CHAIN, PH_JSON_CT_COMPOSED,
        PH_JSON_CT_PAIRS_C, PH_JSON_CT_PAIRS
    };
    const unsigned char *text = (const unsigned char *)json;
    ph_top_hook hook = {no_member, NULL, NULL, NULL};
    unsigned char *work = malloc(len > 0 ? len : 1);
    void *root = NULL;
    ph_error err;
    ph_status st;
    size_t i;
    int verdict;

    FZ_CHECK(work != NULL, "out of memory");
    verdict = ph_json_ct_scan(text, len, work);
    for (i = 0; i < sizeof forms / sizeof forms[0]; i++)
        if (ph_json_ct_form_available(forms[i]))
            FZ_CHECK(ph_json_ct_scan_with(text, len, work, forms[i]) ==
                         verdict,
                     "the forms of the constant-time scan disagree");
    st = ph_json_parse_hooked(json, len, NULL, NULL, &hook, s, &root, &err);
    FZ_CHECK(st != PH_OK || verdict,
             "the constant-time scan refuses what the parser accepts");
    free(work);
}

static void reset(ph_error *err)
{
    err->status = PH_STATUS_COUNT;
    err->message[0] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ph_scratch s = PH_SCRATCH_INIT;
    ph_error err;
    fz_sink_ctx c;
    void *root = NULL;
    cJSON *mine = NULL, *theirs;
    const char *json;
    size_t len;
    ph_status st, st_cj;
    long calls;
    int dup;

    if (size < 1)
        return 0;
    json = (const char *)data + 1;
    len = size - 1;

    reset(&err);
    fz_sink_init(&c, json, len, &s, 0);
    st = ph_json_parse(json, len, &fz_sink, &c, &s, &root, &err);
    fz_check_error(st, &err, NULL, 0);
    FZ_CHECK(st == PH_OK || st == PH_ERR_DECODE,
             "a sink that never fails got a status other than DecodeError");
    FZ_CHECK((st == PH_OK) == (root != NULL), "root and status disagree");
    dup = c.duplicate_names;
    calls = c.calls;
    fz_sink_free(&c, root);
    ct_agrees(json, len, &s);

    reset(&err);
    st_cj = ph_json_parse(json, len, &ph_cjson_sink, NULL, &s,
                          (void **)&mine, &err);
    fz_check_error(st_cj, &err, NULL, 0);
    FZ_CHECK(st_cj == st || st_cj == PH_ERR_SINK,
             "the cJSON sink changed the outcome");
    FZ_CHECK((st_cj == PH_OK) == (mine != NULL), "cJSON root and status");

    if (st == PH_OK && !fz_cjson_blind_spot(json, len)) {
        theirs = cJSON_ParseWithLength(json, len);
        FZ_CHECK(theirs != NULL, "payhook accepted JSON that cJSON rejects");
        if (mine != NULL && !dup)
            FZ_CHECK(same_tree(mine, theirs),
                     "the cJSON sink built another tree than cJSON parses");
        cJSON_Delete(theirs);
    }
    cJSON_Delete(mine);

    if (data[0] != 0 && st == PH_OK) {
        reset(&err);
        fz_sink_init(&c, json, len, &s, 1 + (long)(data[0] - 1) % calls);
        st = ph_json_parse(json, len, &fz_sink, &c, &s, &root, &err);
        fz_check_error(st, &err, NULL, 0);
        FZ_CHECK(st == PH_ERR_SINK && root == NULL,
                 "an injected sink failure was not reported");
        fz_sink_free(&c, NULL);
    }
    ph_scratch_free(&s);
    return 0;
}
