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
    if (m->cache != NULL) {
        ph_scratch_wipe(&m->cache->scratch);
        atomic_store(&m->cache->busy, 0);
    } else {
        ph_scratch_free(&m->local);
    }
}

/* A slot for a name from its length and its first and last bytes (at most
 * 16 of them), not every byte: this runs for every member of every
 * payload, and names that share both ends and their length only share a
 * slot, which the comparison in cached_name tells apart. */
static size_t name_hash(const char *s, size_t len)
{
    uint64_t a = 0, b = 0, h;

    if (len >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + len - 4, 4);
        a = x;
        b = y;
    } else if (len > 0) {
        a = (uint64_t)(unsigned char)s[0] |
            (uint64_t)(unsigned char)s[len / 2] << 8 |
            (uint64_t)(unsigned char)s[len - 1] << 16;
    }
    h = (a ^ (b * UINT64_C(0x9e3779b97f4a7c15)) ^ len) *
        UINT64_C(0xff51afd7ed558ccd);
    return (size_t)(h >> 40);
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

static PyObject *buffer_copy(const unsigned char *p, size_t cap)
{
    return PyBytes_FromStringAndSize(p != NULL ? (const char *)p : "",
                                     p != NULL ? (Py_ssize_t)cap : 0);
}

PyObject *call_cache_snapshot(call_cache *c)
{
    const ph_scratch *s = &c->scratch;
    PyObject *env = NULL, *data = NULL, *text = NULL, *result = NULL;
    int expected = 0;

    if (!atomic_compare_exchange_strong(&c->busy, &expected, 1)) {
        PyErr_SetString(PyExc_RuntimeError, "the decoder is in use");
        return NULL;
    }
    if ((env = buffer_copy(s->env, s->env_cap)) != NULL &&
        (data = buffer_copy(s->data, s->data_cap)) != NULL &&
        (text = buffer_copy(s->text, s->text_cap)) != NULL)
        result = PyTuple_Pack(3, env, data, text);
    atomic_store(&c->busy, 0);
    Py_XDECREF(env);
    Py_XDECREF(data);
    Py_XDECREF(text);
    return result;
}
