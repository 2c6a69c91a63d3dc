/*
 * JSON events to Python objects.  A scalar's handle is a new reference; a
 * container's is a slot on the context's value stack; the core gives back
 * the handles it still holds through `discard`.
 *
 * Containers are made at their final size.  A list that grows by
 * PyList_Append reallocates as it outgrows its room, and a dict that
 * grows by PyDict_SetItem rebuilds its table each time it outgrows it;
 * the parser tells the count only at the close (end_array, end_object).
 * So an open container is a NULL slot on the stack, and what goes into
 * it waits above it:
 *
 *   array  [... NULL item1 item2 ...]
 *   object [... NULL key1 value1 key2 value2 ...]
 *
 * At the close the list or dict is made for the count, the waiting
 * references move in (a list steals them; a dict takes them in order, so
 * a repeated name keeps its first position and its last value, as
 * json.loads gives it), and the container takes its slot.  The parser
 * builds depth-first, so a closed container is the top of the stack when
 * its parent takes it, and it simply stays there as one of the parent's
 * waiting values.  A container's handle names its slot before and after
 * the close, and `discard` of a slot drops it and everything above it.
 *
 * The stack is bounded: when a value would wait with WAITING_MAX slots
 * already in use, the container being filled falls back: it is made at
 * once from what waits for it, and from then on each item goes straight
 * in (correct, only not made at its size).  A fallen back container is
 * told by its slot holding an object.
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
 * The most slots in use before a container stops making its values wait:
 * 32 KiB of pointers.  A callback's containers are closed long before
 * that; a payload that reaches it (one array of over 4,000 items, or
 * several big containers open at once) is still built right, its big
 * container only filled as it comes.  Past the limit the stack still
 * grows by a slot for each container opened, so it never holds more than
 * WAITING_MAX + PH_MAX_DEPTH + 2.
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

/* Version gate: 3.13 and later keep _PyDict_NewPresized only for the
 * projects that used it, and it may go. */
#define PH_HAVE_DICT_PRESIZED (PY_VERSION_HEX < 0x030E0000)

/* An empty dict with room for `n` names. */
static PyObject *new_dict(size_t n)
{
#if PH_HAVE_DICT_PRESIZED
    return _PyDict_NewPresized((Py_ssize_t)n);
#else
    (void)n;
    return PyDict_New();
#endif
}

static void *s_open(void *ctx)
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

/* Make the dict of the `n` name, value pairs waiting above slot `at`, in
 * their order, and put it in the slot.  On failure nothing has moved. */
static int build_dict(py_sink_ctx *c, size_t at, size_t n)
{
    PyObject *dict = new_dict(n), **pair = c->slots + at + 1;
    size_t i;

    if (dict == NULL)
        return -1;
    for (i = 0; i < n; i++, pair += 2) {
        if (PyDict_SetItem(dict, pair[0], pair[1]) < 0) {
            Py_DECREF(dict);
            return -1;
        }
    }
    c->slots[at] = dict;
    pop_to(c, at + 1);
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

static int s_set(void *ctx, void *object, void *key, void *value)
{
    py_sink_ctx *c = ctx;
    size_t at = SLOT_INDEX(object), end = c->top, pairs;
    PyObject *dict = c->slots[at], *v = value;
    int r;

    if (IS_SLOT(value)) {
        /* A closed container, on top: its name goes in under it. */
        if (SLOT_INDEX(value) + 1 != c->top) {
            Py_DECREF((PyObject *)key);
            return broken();
        }
        end = c->top - 1;
        v = c->slots[end];
    }
    if (dict == NULL) {
        pairs = (end - at - 1) / 2;
        if (c->top + 1 < WAITING_MAX) {
            if (reserve(c, 2) < 0) {
                Py_DECREF((PyObject *)key);
                if (!IS_SLOT(value))
                    Py_DECREF(v);
                return -1;
            }
            c->slots[end] = key;
            c->slots[end + 1] = v;
            c->top = end + 2;
            return 0;
        }
        /* Over the limit: this dict is made now, with what it has, and
         * the container on top (if any) moves down onto its slot. */
        c->top = end;
        if (build_dict(c, at, pairs) < 0) {
            if (IS_SLOT(value))
                c->slots[c->top++] = v;
            Py_DECREF((PyObject *)key);
            if (!IS_SLOT(value))
                Py_DECREF(v);
            return -1;
        }
        dict = c->slots[at];
    } else if (IS_SLOT(value)) {
        c->top = end;
    }
    /* A repeated name keeps its first position and takes the last value,
     * exactly as json.loads builds its dict. */
    r = PyDict_SetItem(dict, key, v);
    Py_DECREF((PyObject *)key);
    Py_DECREF(v);
    return r;
}

/* Close the container at slot `at`, whose `count` items take `per_item`
 * waiting slots each, unless it fell back and is made already. */
static int end_container(py_sink_ctx *c, size_t at, size_t count,
                         size_t per_item,
                         int (*build)(py_sink_ctx *, size_t, size_t))
{
    if (c->slots[at] != NULL)
        return at + 1 == c->top ? 0 : broken();
    if (c->top - at - 1 != per_item * count)
        return broken();
    return build(c, at, count);
}

static int s_end_array(void *ctx, void *array, size_t count)
{
    return end_container(ctx, SLOT_INDEX(array), count, 1, build_list);
}

static int s_end_object(void *ctx, void *object, size_t count)
{
    return end_container(ctx, SLOT_INDEX(object), count, 2, build_dict);
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
    s_null, s_bool, s_number,    s_string,     s_open,    s_append,
    s_open, s_set,  s_end_array, s_end_object, s_discard,
};
