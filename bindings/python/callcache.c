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

PyObject *cached_name_add(name_slot *set, const char *s, size_t len,
                          uint64_t head, uint64_t tail)
{
    PyObject *u, *dropped;

    if ((u = PyUnicode_New((Py_ssize_t)len, 127)) == NULL)
        return NULL;
    memcpy(PyUnicode_1BYTE_DATA(u), s, len);
    /* Hash once now; every dict that receives this name reuses it. */
    if (PyObject_Hash(u) == -1) {
        Py_DECREF(u);
        return NULL;
    }
    Py_INCREF(u);
    dropped = set[1].str;
    set[1] = set[0];
    set[0] = (name_slot){ head, tail, len, u };
    /* Released last: the set is whole before anything is freed. */
    Py_XDECREF(dropped);
    return u;
}

void call_cache_clear(call_cache *c)
{
    size_t i, w;

    ph_scratch_free(&c->scratch);
    for (i = 0; i < NAME_CACHE_SETS; i++)
        for (w = 0; w < NAME_CACHE_WAYS; w++)
            Py_CLEAR(c->names[i][w].str);
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
