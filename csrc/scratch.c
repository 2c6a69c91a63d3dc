/* Caller-owned working memory, wiped when it grows, when the caller asks
 * (ph_scratch_wipe) and when it is freed. */
/* explicit_bzero is a glibc (and BSD) extension, hidden by the build's
 * -D_POSIX_C_SOURCE alone. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

/* Every call wipes what it used, so this runs on every decode: glibc's
 * explicit_bzero is its vectorised memset behind a barrier the compiler
 * cannot remove, several times faster than OPENSSL_cleanse's 8-byte loop
 * on a few KB.  Elsewhere, OPENSSL_cleanse. */
static void wipe(void *p, size_t n)
{
#if defined(__GLIBC__) &&                                                     \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
    explicit_bzero(p, n);
#else
    OPENSSL_cleanse(p, n);
#endif
}

static void wipe_free(unsigned char *p, size_t cap)
{
    if (p != NULL) {
        wipe(p, cap);
        free(p);
    }
}

/* Grow (never shrink) one buffer and record how much of it was handed
 * out.  The old content is not needed by any caller, so it is wiped and
 * dropped rather than copied; a new buffer starts its count afresh. */
static unsigned char *reserve(unsigned char **buf, size_t *cap, size_t *used,
                              size_t need, ph_error *err)
{
    size_t size;
    unsigned char *p;

    if (need == 0)
        need = 1;
    if (*buf != NULL && *cap >= need) {
        if (*used < need)
            *used = need;
        return *buf;
    }
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
    *used = need;
    return p;
}

unsigned char *ph_scratch_env(ph_scratch *s, size_t need, ph_error *err)
{
    return reserve(&s->env, &s->env_cap, &s->env_used, need, err);
}

unsigned char *ph_scratch_data(ph_scratch *s, size_t need, ph_error *err)
{
    return reserve(&s->data, &s->data_cap, &s->data_used, need, err);
}

unsigned char *ph_scratch_text(ph_scratch *s, size_t need, ph_error *err)
{
    return reserve(&s->text, &s->text_cap, &s->text_used, need, err);
}

static void wipe_used(unsigned char *p, size_t cap, size_t *used)
{
    /* `used` never exceeds `cap` for a buffer we made; the bound is kept
     * anyway so that a scratch filled in by hand cannot make us write past
     * its end. */
    if (p != NULL && *used > 0)
        wipe(p, *used < cap ? *used : cap);
    *used = 0;
}

void ph_scratch_wipe(ph_scratch *s)
{
    if (s == NULL)
        return;
    wipe_used(s->env, s->env_cap, &s->env_used);
    wipe_used(s->data, s->data_cap, &s->data_used);
    wipe_used(s->text, s->text_cap, &s->text_used);
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
    s->env_used = s->data_used = s->text_used = 0;
}

void ph_free(void *p, size_t len)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}
