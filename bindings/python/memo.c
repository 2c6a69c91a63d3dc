/*
 * _payhook.Memo, the one-call functions' memo of prepared decoders
 * (payhook/_keys.py).
 *
 * Memo(factory, slow_key, info_type, maxsize): calling it with a
 * decoder's arguments answers the decoder kept for them, or
 * factory(*args), kept for the next call; the maxsize most recently used
 * are kept.  This runs on every one-call decode, so the usual arguments
 * are looked up without running any Python code: by their salted
 * fingerprint (memo_key.c), which is all the memo keeps of them.  The
 * rest (a parse_float callable, a timedelta, a subclass) are keyed by
 * slow_key(args), Python's digest (None: not cached at all), and compared
 * with ==; those entries and the fingerprinted ones never meet.
 *
 * Entries sit in one array, most recent first: with at most 32 of them a
 * scan of 16-byte fingerprints costs less than any hashing would.  The
 * array is only changed between calls into Python code (factory,
 * slow_key, ==, a decref), so under the GIL each change is atomic; a
 * free-threaded build takes the object's critical section for them.
 */
#include <openssl/crypto.h>

#include "binding.h"

#if PY_VERSION_HEX >= 0x030D0000
#define MEMO_LOCK(m)  Py_BEGIN_CRITICAL_SECTION(m)
#define MEMO_UNLOCK() Py_END_CRITICAL_SECTION()
#else
#define MEMO_LOCK(m)  {
#define MEMO_UNLOCK() }
#endif

typedef struct memo_entry {
    PyObject *key; /* slow_key's key, or NULL: keyed by fp */
    PyObject *value;
    unsigned char fp[PH_FINGERPRINT_LEN];
} memo_entry;

typedef struct memo_object {
    PyObject_HEAD vectorcallfunc vectorcall;
    PyObject *factory, *slow_key, *info_type;
    Py_ssize_t maxsize, len, hits, misses;
    memo_entry *entries; /* maxsize of them, the first len used, most
                          * recent first */
} memo_object;

static Py_ssize_t find_fp(const memo_object *m, const unsigned char *fp)
{
    Py_ssize_t i;

    for (i = 0; i < m->len; i++)
        if (m->entries[i].key == NULL &&
            memcmp(m->entries[i].fp, fp, PH_FINGERPRINT_LEN) == 0)
            return i;
    return -1;
}

static void to_front(memo_object *m, Py_ssize_t i)
{
    memo_entry e = m->entries[i];

    memmove(&m->entries[1], &m->entries[0], (size_t)i * sizeof e);
    m->entries[0] = e;
}

/* Keeps e (its references taken) in front; the entry it pushes out, if
 * any, goes to *out, for the caller to release once the array is whole
 * again (a decref can run Python code). */
static void put_front(memo_object *m, memo_entry e, memo_entry *out)
{
    out->key = out->value = NULL;
    if (m->len == m->maxsize)
        *out = m->entries[--m->len];
    memmove(&m->entries[1], &m->entries[0], (size_t)m->len * sizeof e);
    m->entries[0] = e;
    m->len++;
}

static void release(memo_entry *e)
{
    Py_XDECREF(e->key);
    Py_XDECREF(e->value);
}

/* What a miss makes: make() if given, else factory(*args). */
static PyObject *make_new(memo_object *m, PyObject *const *args,
                          Py_ssize_t nargs, PyObject *make)
{
    if (make != NULL)
        return PyObject_CallNoArgs(make);
    return PyObject_Vectorcall(m->factory, args, (size_t)nargs, NULL);
}

static PyObject *lookup_fast(memo_object *m, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *make,
                             const unsigned char *fp)
{
    PyObject *found = NULL, *made;
    memo_entry gone = { NULL, NULL, { 0 } };
    Py_ssize_t i;

    MEMO_LOCK(m);
    if ((i = find_fp(m, fp)) >= 0) {
        to_front(m, i);
        m->hits++;
        found = m->entries[0].value;
        Py_INCREF(found);
    }
    MEMO_UNLOCK();
    if (found != NULL)
        return found;
    if ((made = make_new(m, args, nargs, make)) == NULL)
        return NULL; /* an error is raised, not kept */
    MEMO_LOCK(m);
    m->misses++;
    /* Another thread may have kept one meanwhile: keep one per key. */
    if (find_fp(m, fp) < 0) {
        memo_entry e = { NULL, made, { 0 } };
        memcpy(e.fp, fp, PH_FINGERPRINT_LEN);
        Py_INCREF(made);
        put_front(m, e, &gone);
    }
    MEMO_UNLOCK();
    release(&gone);
    return made;
}

/* The entry keyed `key` by ==, moved to the front: a new reference, or
 * NULL (with an error set if a comparison raised).  == can run Python
 * code, which can change the memo, so the keyed entries are compared
 * from a copy, and the match found again by identity afterwards. */
static PyObject *find_slow(memo_object *m, PyObject *key)
{
    memo_entry *copy;
    PyObject *found = NULL, *found_key = NULL;
    Py_ssize_t i, n = 0;
    int r;

    if ((copy = PyMem_Malloc((size_t)m->maxsize * sizeof *copy)) == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    MEMO_LOCK(m);
    for (i = 0; i < m->len; i++)
        if (m->entries[i].key != NULL) {
            copy[n] = m->entries[i];
            Py_INCREF(copy[n].key);
            Py_INCREF(copy[n].value);
            n++;
        }
    MEMO_UNLOCK();
    for (i = 0; i < n && found == NULL; i++) {
        if ((r = PyObject_RichCompareBool(copy[i].key, key, Py_EQ)) < 0)
            break;
        if (r == 1) {
            found = copy[i].value;
            found_key = copy[i].key;
            Py_INCREF(found);
        }
    }
    if (found != NULL) {
        MEMO_LOCK(m);
        for (i = 0; i < m->len; i++)
            if (m->entries[i].key == found_key) {
                to_front(m, i);
                break;
            }
        m->hits++;
        MEMO_UNLOCK();
    }
    for (i = 0; i < n; i++)
        release(&copy[i]);
    PyMem_Free(copy);
    return found;
}

static PyObject *lookup_slow(memo_object *m, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *make)
{
    PyObject *tuple, *key, *found, *made = NULL;
    memo_entry gone = { NULL, NULL, { 0 } };
    Py_ssize_t i;

    if ((tuple = PyTuple_New(nargs)) == NULL)
        return NULL;
    for (i = 0; i < nargs; i++) {
        Py_INCREF(args[i]);
        PyTuple_SET_ITEM(tuple, i, args[i]);
    }
    key = PyObject_CallOneArg(m->slow_key, tuple);
    Py_DECREF(tuple);
    if (key == NULL)
        return NULL;
    if (key == Py_None) { /* not cached: counted neither way */
        Py_DECREF(key);
        return make_new(m, args, nargs, make);
    }
    found = find_slow(m, key);
    if (found != NULL || PyErr_Occurred()) {
        Py_DECREF(key);
        return found;
    }
    if ((made = make_new(m, args, nargs, make)) != NULL) {
        memo_entry e = { key, made, { 0 } };
        Py_INCREF(made);
        MEMO_LOCK(m);
        m->misses++;
        put_front(m, e, &gone); /* takes the reference to key */
        MEMO_UNLOCK();
        release(&gone);
    } else {
        Py_DECREF(key);
    }
    return made;
}

static PyObject *lookup(memo_object *m, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *make)
{
    module_state *st = PyType_GetModuleState(Py_TYPE(m));
    unsigned char fp[PH_FINGERPRINT_LEN];
    PyObject *r;
    int rc = memo_digest_args(st, args, nargs, fp);

    if (rc < 0)
        return NULL;
    r = rc == 1 ? lookup_fast(m, args, nargs, make, fp)
                : lookup_slow(m, args, nargs, make);
    OPENSSL_cleanse(fp, sizeof fp);
    return r;
}

PyObject *memo_lookup(PyObject *memo, PyObject *const *args, Py_ssize_t nargs)
{
    return lookup((memo_object *)memo, args, nargs, NULL);
}

static PyObject *memo_vectorcall(PyObject *self, PyObject *const *args,
                                 size_t nargsf, PyObject *kwnames)
{
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        PyErr_SetString(PyExc_TypeError,
                        "a Memo takes positional arguments only");
        return NULL;
    }
    return lookup((memo_object *)self, args, PyVectorcall_NARGS(nargsf), NULL);
}

static PyObject *memo_get(memo_object *m, PyObject *const *args,
                          Py_ssize_t nargs)
{
    if (nargs != 2 || !PyTuple_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "get(args: tuple, make)");
        return NULL;
    }
    return lookup(m, &PyTuple_GET_ITEM(args[0], 0), PyTuple_GET_SIZE(args[0]),
                  args[1]);
}

/* Empties the memo, releasing the entries once it is consistent (a
 * decref can run Python code, which can use the memo). */
static void drop_entries(memo_object *m)
{
    memo_entry *gone = NULL, e;
    Py_ssize_t i, n = 0;

    if (m->entries == NULL)
        return;
    gone = PyMem_Malloc((size_t)m->maxsize * sizeof *gone);
    MEMO_LOCK(m);
    if (gone != NULL) {
        n = m->len;
        memcpy(gone, m->entries, (size_t)n * sizeof *gone);
        m->len = 0;
    }
    MEMO_UNLOCK();
    for (i = 0; i < n; i++)
        release(&gone[i]);
    PyMem_Free(gone);
    if (gone != NULL)
        return;
    /* No memory for a copy: take them off the end one at a time. */
    for (;;) {
        e.key = e.value = NULL;
        MEMO_LOCK(m);
        if (m->len > 0)
            e = m->entries[--m->len];
        MEMO_UNLOCK();
        if (e.value == NULL)
            break;
        release(&e);
    }
}

static PyObject *memo_cache_clear(memo_object *m, PyObject *unused)
{
    (void)unused;
    MEMO_LOCK(m);
    m->hits = m->misses = 0;
    MEMO_UNLOCK();
    drop_entries(m);
    Py_RETURN_NONE;
}

static PyObject *memo_cache_info(memo_object *m, PyObject *unused)
{
    Py_ssize_t hits, misses, len;

    (void)unused;
    MEMO_LOCK(m);
    hits = m->hits;
    misses = m->misses;
    len = m->len;
    MEMO_UNLOCK();
    return PyObject_CallFunction(m->info_type, "nnnn", hits, misses,
                                 m->maxsize, len);
}

static PyObject *memo_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *names[] = { "factory", "slow_key", "info_type", "maxsize",
                             NULL };
    PyObject *factory, *slow_key, *info_type;
    Py_ssize_t maxsize;
    memo_object *m;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOn:Memo", names, &factory,
                                     &slow_key, &info_type, &maxsize))
        return NULL;
    if (maxsize < 1 || maxsize > 4096) {
        PyErr_SetString(PyExc_ValueError, "maxsize must be 1 to 4096");
        return NULL;
    }
    if ((m = (memo_object *)type->tp_alloc(type, 0)) == NULL)
        return NULL;
    m->vectorcall = memo_vectorcall;
    m->entries = PyMem_Calloc((size_t)maxsize, sizeof *m->entries);
    if (m->entries == NULL) {
        Py_DECREF(m);
        return PyErr_NoMemory();
    }
    m->maxsize = maxsize;
    Py_INCREF(factory);
    m->factory = factory;
    Py_INCREF(slow_key);
    m->slow_key = slow_key;
    Py_INCREF(info_type);
    m->info_type = info_type;
    return (PyObject *)m;
}

static int memo_traverse(memo_object *m, visitproc visit, void *arg)
{
    Py_ssize_t i;

    Py_VISIT(Py_TYPE(m));
    Py_VISIT(m->factory);
    Py_VISIT(m->slow_key);
    Py_VISIT(m->info_type);
    for (i = 0; i < m->len; i++) {
        Py_VISIT(m->entries[i].key);
        Py_VISIT(m->entries[i].value);
    }
    return 0;
}

static int memo_clear(memo_object *m)
{
    drop_entries(m);
    Py_CLEAR(m->factory);
    Py_CLEAR(m->slow_key);
    Py_CLEAR(m->info_type);
    return 0;
}

static void memo_dealloc(memo_object *m)
{
    PyTypeObject *tp = Py_TYPE(m);

    PyObject_GC_UnTrack(m);
    memo_clear(m);
    if (m->entries != NULL) {
        OPENSSL_cleanse(m->entries, (size_t)m->maxsize * sizeof *m->entries);
        PyMem_Free(m->entries);
    }
    tp->tp_free((PyObject *)m);
    Py_DECREF(tp);
}

static PyMethodDef memo_methods[] = {
    { "get", (PyCFunction)(void (*)(void))memo_get, METH_FASTCALL,
      "get(args, make): what is kept for args, or make()'s, kept." },
    { "cache_clear", (PyCFunction)memo_cache_clear, METH_NOARGS,
      "Forget every kept object and the counts." },
    { "cache_info", (PyCFunction)memo_cache_info, METH_NOARGS,
      "info_type(hits, misses, maxsize, currsize)." },
    { NULL, NULL, 0, NULL },
};

static PyMemberDef memo_members[] = {
    { "__vectorcalloffset__", Py_T_PYSSIZET, offsetof(memo_object, vectorcall),
      Py_READONLY, NULL },
    { "maxsize", Py_T_PYSSIZET, offsetof(memo_object, maxsize), Py_READONLY,
      "How many are kept." },
    { NULL, 0, 0, 0, NULL },
};

static PyType_Slot memo_slots[] = {
    { Py_tp_doc, "Memo(factory, slow_key, info_type, maxsize): prepared "
                 "decoders kept by a salted fingerprint of their arguments." },
    { Py_tp_new, memo_new },
    { Py_tp_call, PyVectorcall_Call },
    { Py_tp_dealloc, memo_dealloc },
    { Py_tp_traverse, memo_traverse },
    { Py_tp_clear, memo_clear },
    { Py_tp_methods, memo_methods },
    { Py_tp_members, memo_members },
    { 0, NULL },
};

PyType_Spec memo_spec = {
    "payhook._payhook.Memo",
    sizeof(memo_object),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    memo_slots,
};
