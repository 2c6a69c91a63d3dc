/* Per-decoder reusable memory; see callcache.h. */
#include "callcache.h"

void call_memory_begin(call_cache *c, call_memory *m)
{
    int expected = 0;

    memset(&m->local, 0, sizeof m->local);
    if (atomic_compare_exchange_strong(&c->busy, &expected, 1)) {
        m->cache = c;
        m->scratch = &c->scratch;
    } else {
        m->cache = NULL;
        m->scratch = &m->local;
    }
}

void call_memory_end(call_memory *m)
{
    if (m->cache != NULL)
        atomic_store(&m->cache->busy, 0);
    else
        ph_scratch_free(&m->local);
}

static size_t name_hash(const char *s, size_t len)
{
    size_t h = 2166136261u, i;

    for (i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

PyObject *cached_name(call_cache *c, const char *s, size_t len)
{
    PyObject **slot, *u;

    if (len > NAME_CACHE_MAX_LEN)
        return NULL;
    slot = &c->names[name_hash(s, len) & (NAME_CACHE_SLOTS - 1)];
    u = *slot;
    if (u != NULL && (size_t)PyUnicode_GET_LENGTH(u) == len &&
        memcmp(PyUnicode_1BYTE_DATA(u), s, len) == 0) {
        Py_INCREF(u);
        return u;
    }
    if ((u = PyUnicode_New((Py_ssize_t)len, 127)) == NULL)
        return NULL;
    memcpy(PyUnicode_1BYTE_DATA(u), s, len);
    /* Hash once now; every dict that receives this name reuses it. */
    if (PyObject_Hash(u) == -1) {
        Py_DECREF(u);
        return NULL;
    }
    Py_INCREF(u);
    Py_XSETREF(*slot, u);
    return u;
}

void call_cache_clear(call_cache *c)
{
    size_t i;

    ph_scratch_free(&c->scratch);
    for (i = 0; i < NAME_CACHE_SLOTS; i++)
        Py_CLEAR(c->names[i]);
}
