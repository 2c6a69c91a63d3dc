/* JSON events to Python objects.  Every handle is a new reference; the
 * core gives back the ones it still holds through `discard`. */
#include "callcache.h"

static void *s_null(void *ctx)
{
    (void)ctx;
    Py_INCREF(Py_None);
    return Py_None;
}

static void *s_bool(void *ctx, int value)
{
    (void)ctx;
    return PyBool_FromLong(value);
}

static void *s_number(void *ctx, ph_number_kind kind, int64_t i,
                      const char *text, size_t len)
{
    py_sink_ctx *c = ctx;
    PyObject *s, *r;
    double d;

    switch (kind) {
    case PH_NUMBER_INT64:
        return PyLong_FromLongLong((long long)i);
    case PH_NUMBER_BIGINT:
        /* `text` is NUL-terminated and checked against the JSON grammar;
         * its length is capped below CPython's int digit limit. */
        return PyLong_FromString(text, NULL, 10);
    default:
        break;
    }
    if (c->parse_float != NULL) {
        if ((s = PyUnicode_FromStringAndSize(text, (Py_ssize_t)len)) == NULL)
            return NULL;
        r = PyObject_CallOneArg(c->parse_float, s);
        Py_DECREF(s);
        return r;
    }
    /* The core's conversion: locale-independent and the very double
     * float() gives; overflow is an infinity, as json.loads("1e400") is. */
    if (ph_parse_double(text, len, &d) != PH_OK)
        return PyErr_NoMemory();
    return PyFloat_FromDouble(d);
}

static void *s_string(void *ctx, const char *s, size_t len, int ascii,
                      int is_key)
{
    py_sink_ctx *c = ctx;
    PyObject *u;

    if (is_key && ascii && c->names != NULL) {
        if ((u = cached_name(c->names, s, len)) != NULL)
            return u;
        if (PyErr_Occurred())
            return NULL;
        /* Too long for the cache: made below. */
    }
    if (ascii) {
        /* Already checked as ASCII by the parser: copy, no decoding. */
        if ((u = PyUnicode_New((Py_ssize_t)len, 127)) == NULL)
            return NULL;
        memcpy(PyUnicode_DATA(u), s, len);
    } else {
        u = PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "strict");
    }
    return u;
}

static void *s_array(void *ctx)
{
    (void)ctx;
    return PyList_New(0);
}

static int s_append(void *ctx, void *array, size_t index, void *item)
{
    int r;

    (void)ctx;
    (void)index;
    r = PyList_Append(array, item);
    Py_DECREF((PyObject *)item);
    return r;
}

static void *s_object(void *ctx)
{
    (void)ctx;
    return PyDict_New();
}

static int s_set(void *ctx, void *object, void *key, void *value)
{
    int r;

    (void)ctx;
    /* A repeated name keeps its first position and takes the last value,
     * exactly as json.loads builds its dict. */
    r = PyDict_SetItem(object, key, value);
    Py_DECREF((PyObject *)key);
    Py_DECREF((PyObject *)value);
    return r;
}

static void s_discard(void *ctx, void *value)
{
    (void)ctx;
    Py_DECREF((PyObject *)value);
}

/* No end_array or end_object: lists and dicts grow as items come (a
 * dict's first insertions are in its preallocated slots), and a container
 * is complete when its last item is in.  Making them at their close for
 * the count, as the Lua sink does, was measured and did not pay here:
 * list growth is a fraction of a percent of a callback's decode, and for
 * dicts the values' wait for the close cost as much as the rehashes saved
 * on LeanX's payloads and more on SuperPay's, whose dicts of up to five
 * names fit their first table anyway (3.11's _PyDict_NewPresized also
 * gives a general-keys table, not the str-keyed kind PyDict_New grows). */
const ph_json_sink py_sink = {
    s_null,   s_bool, s_number, s_string, s_array,   s_append,
    s_object, s_set,  NULL,     NULL,     s_discard,
};
