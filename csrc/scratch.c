/* Caller-owned working memory, wiped when it grows and when it is freed. */
#include <stdlib.h>

#include <openssl/crypto.h>

#include "internal.h"

static void wipe_free(unsigned char *p, size_t cap)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, cap);
        free(p);
    }
}

/* Grow (never shrink) one buffer.  The old content is not needed by any
 * caller, so it is wiped and dropped rather than copied. */
static unsigned char *reserve(unsigned char **buf, size_t *cap, size_t need,
                              ph_error *err)
{
    size_t size;
    unsigned char *p;

    if (need == 0)
        need = 1;
    if (*buf != NULL && *cap >= need)
        return *buf;
    size = *cap ? *cap : 256;
    while (size < need) {
        if (size > ((size_t)-1) / 2) {
            size = need;
            break;
        }
        size *= 2;
    }
    p = malloc(size);
    if (p == NULL) {
        ph_fail(err, PH_ERR_MEMORY, "out of memory");
        return NULL;
    }
    wipe_free(*buf, *cap);
    *buf = p;
    *cap = size;
    return p;
}

unsigned char *ph_scratch_env(ph_scratch *s, size_t need, ph_error *err)
{
    return reserve(&s->env, &s->env_cap, need, err);
}

unsigned char *ph_scratch_data(ph_scratch *s, size_t need, ph_error *err)
{
    return reserve(&s->data, &s->data_cap, need, err);
}

unsigned char *ph_scratch_text(ph_scratch *s, size_t need, ph_error *err)
{
    return reserve(&s->text, &s->text_cap, need, err);
}

void ph_scratch_free(ph_scratch *s)
{
    if (s == NULL)
        return;
    wipe_free(s->env, s->env_cap);
    wipe_free(s->data, s->data_cap);
    wipe_free(s->text, s->text_cap);
    s->env = s->data = s->text = NULL;
    s->env_cap = s->data_cap = s->text_cap = 0;
}

void ph_free(void *p, size_t len)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}
