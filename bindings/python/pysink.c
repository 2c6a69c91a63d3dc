/*
 * JSON events to Python objects.  A scalar's handle, and a dict's, is a
 * new reference; a list's is a slot on the context's value stack; the
 * core gives back the handles it still holds through `discard`.
 *
 * Lists are made at their final size: an open list is a NULL slot on the
 * stack and its items wait above it, [... NULL item1 item2 ...], until
 * end_array makes a PyList_New(n) that steals them and takes the slot.
 * The parser builds depth-first, so a closed list is the top of the
 * stack when its parent takes it: a list parent leaves it there as one of
 * its waiting items, a dict parent takes it off.  A list's handle names
 * its slot before and after the close, and `discard` of a slot drops it
 * and everything above it.
 *
 * Dicts grow as their members come.  Made at the close too (presized
 * with _PyDict_NewPresized) they cost more than their rehashes saved:
 * CPython 3.11's presized dict is not the str-keyed kind, and a
 * callback's dicts are small.
 *
 * The stack is bounded: when an item would wait with WAITING_MAX slots
 * already in use, the list being filled falls back: it is made at once
 * from what waits for it, and from then on each item is appended
 * (correct, only not made at its size).  A fallen back list is told by
 * its slot holding the list.
 *
 * The stack lives in the context, which each parse has its own of (on
 * its caller's C stack, with a heap block past PY_SINK_INLINE_SLOTS): a
 * decode started from inside this one (a parse_float callback, a __del__
 * run by a release) cannot touch its waiting values.
 */
#include "callcache.h"

/* A slot's handle: odd, so never a PyObject pointer (those are aligned)
 * and never NULL. */
#define SLOT_HANDLE(i) ((void *)(((uintptr_t)(i) << 1) | 1))
#define IS_SLOT(h)     ((uintptr_t)(h) % 2 != 0)
#define SLOT_INDEX(h)  ((size_t)((uintptr_t)(h) >> 1))

/*
 * The most slots in use before a list stops making its items wait: 32 KiB
 * of pointers.  A callback's lists are closed long before that; a payload
 * that reaches it (one array of over 4,000 items, or several big ones
 * open at once) is still built right, its big list only appended to.
 * Past the limit the stack still grows by a slot for each list opened, so
 * it never holds more than WAITING_MAX + PH_MAX_DEPTH + 1.
 */
#define WAITING_MAX 4096

/* Make sure `n` more slots can be pushed. */
static int reserve(py_sink_ctx *c, size_t n)
{
    size_t want = c->top + n, cap;
    PyObject **slots;

    if (want <= c->cap)
        return 0;
    cap = c->cap * 2 > want ? c->cap * 2 : want;
    if (c->slots == c->inline_slots) {
        slots = PyMem_Malloc(cap * sizeof *slots);
        if (slots != NULL)
            memcpy(slots, c->slots, c->top * sizeof *slots);
    } else {
        slots = PyMem_Realloc(c->slots, cap * sizeof *slots);
    }
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    c->slots = slots;
    c->cap = cap;
    return 0;
}

/* Drop the slots from `from` up. */
static void pop_to(py_sink_ctx *c, size_t from)
{
    while (c->top > from) {
        PyObject *v = c->slots[--c->top];
        Py_XDECREF(v);
    }
}

static int broken(void)
{
    PyErr_SetString(PyExc_SystemError,
                    "payhook: JSON sink called out of order");
    return -1;
}

void py_sink_begin(py_sink_ctx *c, PyObject *parse_float,
                   struct call_cache *names)
{
    c->parse_float = parse_float;
    c->names = names;
    c->slots = c->inline_slots;
    c->top = 0;
    c->cap = PY_SINK_INLINE_SLOTS;
}

PyObject *py_sink_end(py_sink_ctx *c, void *root)
{
    PyObject *v = root;

    if (root != NULL && IS_SLOT(root)) {
        size_t i = SLOT_INDEX(root);
        v = NULL;
        if (i + 1 == c->top && c->slots[i] != NULL) {
            v = c->slots[i];
            c->top = i;
        } else {
            broken();
        }
    }
    /* Nothing is left after a finished or a failed parse: the core gives
     * back all it holds.  Anything left would be a reference leaked. */
    pop_to(c, 0);
    if (c->slots != c->inline_slots)
        PyMem_Free(c->slots);
    c->slots = c->inline_slots;
    c->cap = PY_SINK_INLINE_SLOTS;
    return v;
}

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

    if (is_key && ascii && c->names != NULL &&
        (u = cached_name(c->names, s, len)) != NULL)
        return u;
    if (PyErr_Occurred())
        return NULL;
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
    py_sink_ctx *c = ctx;

    if (reserve(c, 1) < 0)
        return NULL;
    c->slots[c->top] = NULL;
    return SLOT_HANDLE(c->top++);
}

/* Make the list of the `n` items waiting above slot `at` and put it in
 * the slot.  On failure nothing has moved. */
static int build_list(py_sink_ctx *c, size_t at, size_t n)
{
    PyObject *list = PyList_New((Py_ssize_t)n);
    size_t i;

    if (list == NULL)
        return -1;
    for (i = 0; i < n; i++) /* steals the waiting references */
        PyList_SET_ITEM(list, (Py_ssize_t)i, c->slots[at + 1 + i]);
    c->slots[at] = list;
    c->top = at + 1;
    return 0;
}

static int s_append(void *ctx, void *array, size_t index, void *item)
{
    py_sink_ctx *c = ctx;
    size_t at = SLOT_INDEX(array);
    PyObject *list = c->slots[at], *v;
    int r;

    if (IS_SLOT(item)) {
        /* A closed container, on top; waiting is where it already is. */
        if (SLOT_INDEX(item) + 1 != c->top)
            return broken();
        if (list == NULL)
            return 0;
        v = c->slots[--c->top];
        r = PyList_Append(list, v);
        Py_DECREF(v);
        return r;
    }
    if (list == NULL) {
        if (c->top - at - 1 != index) {
            Py_DECREF((PyObject *)item);
            return broken();
        }
        if (c->top < WAITING_MAX) {
            if (reserve(c, 1) < 0) {
                Py_DECREF((PyObject *)item);
                return -1;
            }
            c->slots[c->top++] = item;
            return 0;
        }
        /* Over the limit: this list is made now, with what it has. */
        if (build_list(c, at, index) < 0) {
            Py_DECREF((PyObject *)item);
            return -1;
        }
        list = c->slots[at];
    }
    r = PyList_Append(list, item);
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
    py_sink_ctx *c = ctx;
    PyObject *v = value;
    int r;

    /* A closed list, on top: the dict takes it off the stack. */
    if (IS_SLOT(value)) {
        if (SLOT_INDEX(value) + 1 != c->top) {
            Py_DECREF((PyObject *)key);
            return broken();
        }
        v = c->slots[--c->top];
    }
    /* A repeated name keeps its first position and takes the last value,
     * exactly as json.loads builds its dict. */
    r = PyDict_SetItem(object, key, v);
    Py_DECREF((PyObject *)key);
    Py_DECREF(v);
    return r;
}

/* Close the list at its slot, unless it fell back and is made already. */
static int s_end_array(void *ctx, void *array, size_t count)
{
    py_sink_ctx *c = ctx;
    size_t at = SLOT_INDEX(array);

    if (c->slots[at] != NULL)
        return at + 1 == c->top ? 0 : broken();
    if (c->top - at - 1 != count)
        return broken();
    return build_list(c, at, count);
}

static void s_discard(void *ctx, void *value)
{
    py_sink_ctx *c = ctx;

    if (IS_SLOT(value)) {
        if (SLOT_INDEX(value) < c->top)
            pop_to(c, SLOT_INDEX(value));
    } else {
        Py_DECREF((PyObject *)value);
    }
}

const ph_json_sink py_sink = {
    s_null,   s_bool, s_number,    s_string, s_array,   s_append,
    s_object, s_set,  s_end_array, NULL,     s_discard,
};
