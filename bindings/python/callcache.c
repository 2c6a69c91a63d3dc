/* Per-decoder reusable memory; see callcache.h. */
#include "callcache.h"
#include "name_words.h"

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

static int slot_holds(const name_slot *slot, const char *s, size_t len,
                      uint64_t head, uint64_t tail)
{
    return slot->str != NULL && slot->len == len && slot->head == head &&
           slot->tail == tail &&
           ph_name_rest_equal((const char *)PyUnicode_1BYTE_DATA(slot->str), s,
                              len);
}

PyObject *cached_name(call_cache *c, const char *s, size_t len)
{
    uint64_t head, tail, h;
    name_slot *set;
    PyObject *u, *dropped;

    if (len > NAME_CACHE_MAX_LEN)
        return NULL;
    ph_name_words(s, len, &head, &tail);
    /* This runs for every member of every payload: the set comes from
     * the words already read, not from every byte; names that share them
     * share a set, and the comparison tells them apart. */
    h = (head ^ (tail * UINT64_C(0x9e3779b97f4a7c15)) ^ len) *
        UINT64_C(0xff51afd7ed558ccd);
    set = c->names[(h >> 40) & (NAME_CACHE_SETS - 1)];
    /* A hit leaves the set as it is: no write on the common path. */
    if (slot_holds(&set[0], s, len, head, tail)) {
        Py_INCREF(set[0].str);
        return set[0].str;
    }
    if (slot_holds(&set[1], s, len, head, tail)) {
        Py_INCREF(set[1].str);
        return set[1].str;
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
