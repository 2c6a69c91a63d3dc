/* Taking one string member out of a callback body's JSON envelope. */
#include <string.h>

#include "internal.h"

void ph_trim_space(const char **p, size_t *len)
{
    const unsigned char *b = (const unsigned char *)*p;
    const unsigned char *e = b + *len;

    while (b < e && ph_is_json_space(*b))
        b++;
    while (e > b && ph_is_json_space(e[-1]))
        e--;
    *p = (const char *)b;
    *len = (size_t)(e - b);
}

typedef struct member_hunt {
    const char *name;
    size_t name_len;
    int seen; /* times the member occurred */
    int type; /* PH_JT_* of its (last) value */
    const char *value;
    size_t value_len;
} member_hunt;

static int hunt_member(void *hctx, const char *name, size_t len)
{
    member_hunt *h = hctx;

    if (len != h->name_len || memcmp(name, h->name, len) != 0)
        return 0;
    h->seen++;
    return 1;
}

static void hunt_value(void *hctx, int type, const char *text, size_t len,
                       int truthy)
{
    member_hunt *h = hctx;

    (void)truthy;
    h->type = type;
    h->value = text;
    h->value_len = len;
}

ph_status ph_envelope_member(const char *body, size_t len, const char *name,
                             const char *what, ph_scratch *s,
                             const char **value, size_t *value_len,
                             ph_error *err)
{
    member_hunt h = { name, strlen(name), 0, PH_JT_NULL, NULL, 0 };
    ph_top_hook hook = { hunt_member, hunt_value, NULL, &h };
    unsigned char *copy;
    void *root;
    ph_status st;

    st = ph_json_parse_hooked(body, len, NULL, NULL, &hook, s, &root, err);
    if (st == PH_ERR_DECODE && err != NULL) {
        char detail[PH_MESSAGE_SIZE];
        memcpy(detail, err->message, sizeof detail);
        return ph_fail(err, PH_ERR_DECODE, "%s body: %s", what, detail);
    }
    if (st != PH_OK)
        return st;
    if (h.seen == 0)
        return ph_fail(err, PH_ERR_DECODE, "%s body has no \"%s\" member",
                       what, name);
    if (h.seen > 1)
        return ph_fail(err, PH_ERR_DECODE,
                       "%s body has more than one \"%s\" member", what, name);
    if (h.type != PH_JT_STRING)
        return ph_fail(err, PH_ERR_DECODE, "%s body: \"%s\" must be a string",
                       what, name);
    /* An unescaped value lives in scratch->text, which the next parse
     * reuses: move it to the envelope buffer. */
    if ((uintptr_t)h.value < (uintptr_t)body ||
        (uintptr_t)h.value >= (uintptr_t)body + len) {
        if ((copy = ph_scratch_env(s, h.value_len, err)) == NULL)
            return PH_ERR_MEMORY;
        memcpy(copy, h.value, h.value_len);
        h.value = (const char *)copy;
    }
    *value = h.value;
    *value_len = h.value_len;
    return PH_OK;
}
