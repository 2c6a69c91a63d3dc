/*
 * _payhook.OneCall, a one-call function (payhook.leanx.decode(body, key))
 * run without a Python frame.
 *
 * OneCall(memo, method, params, npositional, defaults, key_args,
 * call_args): calling it binds the arguments to `params` as a Python
 * function would (the first npositional may be given by position, the
 * rest by keyword only; the last len(defaults) have those defaults, the
 * others are required), asks the memo (memo.c) for the decoder of the
 * params named by key_args, and calls its `method` with the params named
 * by call_args.  That is what the Python function it stands for does, in
 * the time a Python frame and two calls took (a one-call decode is the
 * usual way to use payhook, and that time was a tenth of the decode).
 * _keys.one_call makes one from the Python function, which stays as its
 * __wrapped__: the signature and the documentation.
 */
#include "binding.h"

#define ONECALL_MAX_PARAMS 16

typedef struct onecall_object {
    PyObject_HEAD vectorcallfunc vectorcall;
    PyObject *memo, *method, *params, *defaults, *dict;
    Py_ssize_t nparams, npositional, nrequired, nkey, ncall;
    Py_ssize_t key_args[ONECALL_MAX_PARAMS], call_args[ONECALL_MAX_PARAMS];
} onecall_object;

/* The name errors give: __name__ if set (update_wrapper sets it). */
static PyObject *display_name(onecall_object *o)
{
    PyObject *name =
        o->dict != NULL ? PyDict_GetItemString(o->dict, "__name__") : NULL;

    return name != NULL && PyUnicode_Check(name) ? name : o->method;
}

/* The index of keyword `name` among the params, or -1. */
static Py_ssize_t param_index(onecall_object *o, PyObject *name)
{
    Py_ssize_t i;

    /* Keywords in a call are interned, as are the params' names. */
    for (i = 0; i < o->nparams; i++)
        if (PyTuple_GET_ITEM(o->params, i) == name)
            return i;
    for (i = 0; i < o->nparams; i++)
        if (PyUnicode_Compare(PyTuple_GET_ITEM(o->params, i), name) == 0)
            return i;
    PyErr_Clear(); /* a comparison with a non-str raised */
    return -1;
}

/* CPython's words for required params not given: "missing 2 required
 * positional arguments: 'a' and 'b'" (the positional ones first, as
 * CPython reports them, then the keyword-only ones).  Returns -1. */
static int missing(onecall_object *o, PyObject *const *bound)
{
    Py_ssize_t i, n = 0, keyword_only = 0, names[ONECALL_MAX_PARAMS];
    PyObject *list = NULL;

    for (i = 0; i < o->nrequired && i < o->npositional; i++)
        if (bound[i] == NULL)
            names[n++] = i;
    if (n == 0) {
        keyword_only = 1;
        for (i = o->npositional; i < o->nrequired; i++)
            if (bound[i] == NULL)
                names[n++] = i;
    }
    for (i = 0; i < n; i++) {
        PyObject *name = PyTuple_GET_ITEM(o->params, names[i]), *next;
        const char *sep = i == 0       ? ""
                          : n == 2     ? " and "
                          : i == n - 1 ? ", and "
                                       : ", ";
        next = list == NULL
                   ? PyUnicode_FromFormat("'%U'", name)
                   : PyUnicode_FromFormat("%U%s'%U'", list, sep, name);
        Py_XDECREF(list);
        if ((list = next) == NULL)
            return -1;
    }
    PyErr_Format(
        PyExc_TypeError, "%U() missing %zd required %s argument%s: %U",
        display_name(o), n, keyword_only ? "keyword-only" : "positional",
        n == 1 ? "" : "s", list);
    Py_DECREF(list);
    return -1;
}

/* bound[] from the call's arguments (borrowed references): 0, or -1
 * with the TypeError a Python function would raise. */
static int bind(onecall_object *o, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames, PyObject **bound)
{
    Py_ssize_t i, nkw = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;

    if (nargs > o->npositional) {
        PyErr_Format(PyExc_TypeError,
                     "%U() takes %zd positional arguments but %zd were given",
                     display_name(o), o->npositional, nargs);
        return -1;
    }
    for (i = 0; i < o->nparams; i++)
        bound[i] = i < nargs ? args[i] : NULL;
    for (i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        Py_ssize_t at = param_index(o, name);
        if (at < 0) {
            PyErr_Format(PyExc_TypeError,
                         "%U() got an unexpected keyword argument '%U'",
                         display_name(o), name);
            return -1;
        }
        if (bound[at] != NULL) {
            PyErr_Format(PyExc_TypeError,
                         "%U() got multiple values for argument '%U'",
                         display_name(o), name);
            return -1;
        }
        bound[at] = args[nargs + i];
    }
    for (i = 0; i < o->nrequired; i++)
        if (bound[i] == NULL)
            return missing(o, bound);
    for (; i < o->nparams; i++)
        if (bound[i] == NULL)
            bound[i] = PyTuple_GET_ITEM(o->defaults, i - o->nrequired);
    return 0;
}

static PyObject *onecall_vectorcall(PyObject *self, PyObject *const *args,
                                    size_t nargsf, PyObject *kwnames)
{
    onecall_object *o = (onecall_object *)self;
    PyObject *bound[ONECALL_MAX_PARAMS], *key[ONECALL_MAX_PARAMS];
    /* One slot before the decoder, for PY_VECTORCALL_ARGUMENTS_OFFSET. */
    PyObject *call[1 + 1 + ONECALL_MAX_PARAMS], *decoder, *result;
    Py_ssize_t i;

    if (bind(o, args, PyVectorcall_NARGS(nargsf), kwnames, bound) < 0)
        return NULL;
    for (i = 0; i < o->nkey; i++)
        key[i] = bound[o->key_args[i]];
    if ((decoder = memo_lookup(o->memo, key, o->nkey)) == NULL)
        return NULL;
    call[0] = NULL;
    call[1] = decoder;
    for (i = 0; i < o->ncall; i++)
        call[2 + i] = bound[o->call_args[i]];
    result = PyObject_VectorcallMethod(
        o->method, call + 1,
        (size_t)(1 + o->ncall) | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_DECREF(decoder);
    return result;
}

/* Indexes into the params from a tuple of ints. */
static int indexes(PyObject *tuple, Py_ssize_t nparams, Py_ssize_t *out,
                   Py_ssize_t *n, const char *what)
{
    Py_ssize_t i;

    if (!PyTuple_Check(tuple) ||
        PyTuple_GET_SIZE(tuple) > ONECALL_MAX_PARAMS) {
        PyErr_Format(PyExc_TypeError, "%s must be a tuple of at most %d ints",
                     what, ONECALL_MAX_PARAMS);
        return -1;
    }
    *n = PyTuple_GET_SIZE(tuple);
    for (i = 0; i < *n; i++) {
        Py_ssize_t v = PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, i));
        if (v == -1 && PyErr_Occurred())
            return -1;
        if (v < 0 || v >= nparams) {
            PyErr_Format(PyExc_ValueError, "%s: %zd is not a param", what, v);
            return -1;
        }
        out[i] = v;
    }
    return 0;
}

static PyObject *onecall_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    static char *names[] = { "memo",        "method",   "params",
                             "npositional", "defaults", "key_args",
                             "call_args",   NULL };
    module_state *st = state_from_type(type);
    PyObject *memo, *method, *params, *defaults, *key_args, *call_args;
    Py_ssize_t npositional, i;
    onecall_object *o;

    if (!PyArg_ParseTupleAndKeywords(
            args, kw, "O!UO!nO!OO:OneCall", names, st->memo_type, &memo,
            &method, &PyTuple_Type, &params, &npositional, &PyTuple_Type,
            &defaults, &key_args, &call_args))
        return NULL;
    if (PyTuple_GET_SIZE(params) > ONECALL_MAX_PARAMS ||
        PyTuple_GET_SIZE(defaults) > PyTuple_GET_SIZE(params) ||
        npositional < 0 || npositional > PyTuple_GET_SIZE(params)) {
        PyErr_SetString(PyExc_ValueError,
                        "OneCall: at most 16 params, no more defaults than "
                        "params, npositional among them");
        return NULL;
    }
    for (i = 0; i < PyTuple_GET_SIZE(params); i++)
        if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(params, i))) {
            PyErr_SetString(PyExc_TypeError, "params must be str");
            return NULL;
        }
    if ((o = (onecall_object *)type->tp_alloc(type, 0)) == NULL)
        return NULL;
    o->vectorcall = onecall_vectorcall;
    o->nparams = PyTuple_GET_SIZE(params);
    o->npositional = npositional;
    o->nrequired = o->nparams - PyTuple_GET_SIZE(defaults);
    if (indexes(key_args, o->nparams, o->key_args, &o->nkey, "key_args") < 0 ||
        indexes(call_args, o->nparams, o->call_args, &o->ncall, "call_args") <
            0) {
        Py_DECREF(o);
        return NULL;
    }
    Py_INCREF(memo);
    o->memo = memo;
    Py_INCREF(method);
    PyUnicode_InternInPlace(&method);
    o->method = method;
    /* Interned names: a call's keywords are found by identity. */
    if ((o->params = PyTuple_New(o->nparams)) == NULL) {
        Py_DECREF(o);
        return NULL;
    }
    for (i = 0; i < o->nparams; i++) {
        PyObject *name = PyTuple_GET_ITEM(params, i);
        Py_INCREF(name);
        PyUnicode_InternInPlace(&name);
        PyTuple_SET_ITEM(o->params, i, name);
    }
    Py_INCREF(defaults);
    o->defaults = defaults;
    return (PyObject *)o;
}

static int onecall_traverse(onecall_object *o, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(o));
    Py_VISIT(o->memo);
    Py_VISIT(o->method);
    Py_VISIT(o->params);
    Py_VISIT(o->defaults);
    Py_VISIT(o->dict);
    return 0;
}

static int onecall_clear(onecall_object *o)
{
    Py_CLEAR(o->memo);
    Py_CLEAR(o->method);
    Py_CLEAR(o->params);
    Py_CLEAR(o->defaults);
    Py_CLEAR(o->dict);
    return 0;
}

static void onecall_dealloc(onecall_object *o)
{
    PyTypeObject *tp = Py_TYPE(o);

    PyObject_GC_UnTrack(o);
    onecall_clear(o);
    tp->tp_free((PyObject *)o);
    Py_DECREF(tp);
}

static PyMemberDef onecall_members[] = {
    { "__vectorcalloffset__", Py_T_PYSSIZET,
      offsetof(onecall_object, vectorcall), Py_READONLY, NULL },
    { "__dictoffset__", Py_T_PYSSIZET, offsetof(onecall_object, dict),
      Py_READONLY, NULL },
    { NULL, 0, 0, 0, NULL },
};

static PyGetSetDef onecall_getset[] = {
    { "__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL,
      NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static PyType_Slot onecall_slots[] = {
    { Py_tp_doc, "OneCall(memo, method, params, npositional, defaults, "
                 "key_args, call_args): a one-call function in C." },
    { Py_tp_new, onecall_new },
    { Py_tp_call, PyVectorcall_Call },
    { Py_tp_dealloc, onecall_dealloc },
    { Py_tp_traverse, onecall_traverse },
    { Py_tp_clear, onecall_clear },
    { Py_tp_members, onecall_members },
    { Py_tp_getset, onecall_getset },
    { 0, NULL },
};

PyType_Spec onecall_spec = {
    "payhook._payhook.OneCall",
    sizeof(onecall_object),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    onecall_slots,
};
