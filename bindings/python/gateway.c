/* payhook._payhook.Gateway: a prepared key for any gateway the core
 * registers, and the module functions that list and sign for them.  One
 * type for every gateway: adding one to the core adds nothing here. */
#include "callcache.h"

typedef struct {
    PyObject_HEAD ph_gateway_key *key;
    ph_options options; /* `now` is filled in per call */
    PyObject *parse_float;
    call_cache cache;
} GatewayObject;

static const ph_gateway *gateway_named(PyObject *name)
{
    Py_ssize_t n;
    const char *s;
    const ph_gateway *g;

    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "the gateway name must be a str");
        return NULL;
    }
    if ((s = PyUnicode_AsUTF8AndSize(name, &n)) == NULL)
        return NULL;
    if ((g = ph_gateway_find(s, (size_t)n)) == NULL)
        PyErr_Format(PyExc_ValueError, "unknown gateway %R", name);
    return g;
}

static PyObject *gateway_new(PyTypeObject *type, PyObject *args,
                             PyObject *kwds)
{
    static char *kwlist[] = { "gateway",   "keys",   "max_bytes",
                              "tolerance", "leeway", "parse_float",
                              NULL };
    module_state *st = state_from_type(type);
    PyObject *name, *keys, *tolerance = Py_None, *parse_float = Py_None;
    const unsigned char *key_ptrs[PH_MAX_KEYS];
    size_t key_lens[PH_MAX_KEYS];
    Py_ssize_t max_bytes = (Py_ssize_t)PH_DEFAULT_MAX_BYTES, nkeys;
    double leeway = 0;
    const ph_gateway *g;
    GatewayObject *self;
    ph_error err;

    if (st == NULL)
        return NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "UO!|nOdO:Gateway", kwlist,
                                     &name, &PyTuple_Type, &keys, &max_bytes,
                                     &tolerance, &leeway, &parse_float))
        return NULL;
    if ((g = gateway_named(name)) == NULL)
        return NULL;
    if (max_bytes < 0 || !(leeway >= 0)) {
        PyErr_SetString(PyExc_ValueError,
                        "max_bytes and leeway must not be negative");
        return NULL;
    }
    if (parse_float != Py_None && !PyCallable_Check(parse_float)) {
        PyErr_SetString(PyExc_TypeError, "parse_float must be callable");
        return NULL;
    }
    if ((nkeys = keys_get(st, keys, key_ptrs, key_lens)) < 0)
        return NULL;
    if ((self = (GatewayObject *)type->tp_alloc(type, 0)) == NULL)
        return NULL;
    ph_options_init(&self->options, 0);
    self->options.max_bytes = (size_t)max_bytes;
    self->options.leeway = leeway;
    if (tolerance != Py_None) {
        double t = PyFloat_AsDouble(tolerance);
        if (t == -1.0 && PyErr_Occurred()) {
            Py_DECREF(self);
            return NULL;
        }
        if (!(t >= 0) || t != t || t > 1e15) {
            Py_DECREF(self);
            PyErr_SetString(PyExc_ValueError,
                            "tolerance must be a finite number >= 0");
            return NULL;
        }
        self->options.tolerance = t;
    }
    if (ph_gateway_key_new(g, key_ptrs, key_lens, (size_t)nkeys, &self->key,
                           &err) != PH_OK) {
        Py_DECREF(self);
        return raise_status(st, &err);
    }
    if (parse_float != Py_None) {
        Py_INCREF(parse_float);
        self->parse_float = parse_float;
    }
    return (PyObject *)self;
}

static int gateway_traverse(GatewayObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->parse_float);
    return 0;
}

static int gateway_clear(GatewayObject *self)
{
    Py_CLEAR(self->parse_float);
    return 0;
}

static void gateway_dealloc(GatewayObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);

    PyObject_GC_UnTrack(self);
    ph_gateway_key_free(self->key); /* wipes the keys */
    call_cache_clear(&self->cache);
    Py_CLEAR(self->parse_float);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* ------------------------------------------------------------------ */
/* Headers: None, a mapping (anything with items(): dict, Flask's,
 * Django's and Starlette's headers, which give a repeated header once per
 * value), or an iterable of (name, value) pairs.  Names and values are str
 * (as UTF-8) or bytes. */

typedef struct headers {
    ph_header items[PH_MAX_HEADERS + 1];
    size_t n;
    PyObject *keep; /* the pairs, alive while items point in */
    /* Or, for a dict, its names and values themselves: a str freed while
     * the call runs (a finaliser may change the dict) would leave items
     * pointing at nothing. */
    PyObject *held[2 * (PH_MAX_HEADERS + 1)];
    size_t n_held;
} headers;

static int header_text(PyObject *o, const char **p, size_t *len,
                       module_state *st)
{
    Py_ssize_t n;

    if (PyUnicode_Check(o)) {
        if ((*p = PyUnicode_AsUTF8AndSize(o, &n)) == NULL) {
            PyErr_Clear();
            PyErr_SetString(st->errors[PH_ERR_DECODE],
                            "a header is not valid text");
            return -1;
        }
    } else if (PyBytes_Check(o)) {
        *p = PyBytes_AS_STRING(o);
        n = PyBytes_GET_SIZE(o);
    } else {
        PyErr_Format(PyExc_TypeError,
                     "header names and values must be str or bytes, not "
                     "%.100s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    *len = (size_t)n;
    return 0;
}

static void headers_release(headers *h)
{
    size_t i;

    Py_CLEAR(h->keep);
    for (i = 0; i < h->n_held; i++)
        Py_DECREF(h->held[i]);
    h->n_held = 0;
}

/* One header from its name and value objects, as the next item. */
static int header_add(headers *h, PyObject *name, PyObject *value,
                      module_state *st)
{
    ph_header *x = &h->items[h->n];

    if (header_text(name, &x->name, &x->name_len, st) < 0 ||
        header_text(value, &x->value, &x->value_len, st) < 0)
        return -1;
    h->n++;
    return 0;
}

/* A plain dict is read in place (no list of item tuples to build), its
 * names and values held until the call ends. */
static int headers_from_dict(PyObject *d, headers *h, module_state *st)
{
    Py_ssize_t pos = 0;
    PyObject *name, *value;

    /* One over the core's limit is enough for it to refuse the request. */
    while (h->n < PH_MAX_HEADERS + 1 && PyDict_Next(d, &pos, &name, &value)) {
        Py_INCREF(name);
        Py_INCREF(value);
        h->held[h->n_held++] = name;
        h->held[h->n_held++] = value;
        if (header_add(h, name, value, st) < 0)
            return -1;
    }
    return 0;
}

static int headers_from_pairs(PyObject *obj, headers *h, module_state *st)
{
    Py_ssize_t i, n;

    if ((h->keep = PySequence_Fast(obj, "headers must be a mapping or "
                                        "pairs")) == NULL)
        return -1;
    n = PySequence_Fast_GET_SIZE(h->keep);
    if (n > PH_MAX_HEADERS + 1)
        n = PH_MAX_HEADERS + 1;
    for (i = 0; i < n; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(h->keep, i);
        if (!(PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2) &&
            !(PyList_Check(pair) && PyList_GET_SIZE(pair) == 2)) {
            PyErr_SetString(PyExc_TypeError,
                            "headers must be a mapping or (name, value) "
                            "pairs");
            return -1;
        }
        if (header_add(h, PySequence_Fast_GET_ITEM(pair, 0),
                       PySequence_Fast_GET_ITEM(pair, 1), st) < 0)
            return -1;
    }
    return 0;
}

/* Fills h from None, a mapping or pairs; on failure releases what it
 * took.  A tuple or list is taken as pairs before anything is asked for
 * an items attribute: a failed attribute lookup raises and clears an
 * AttributeError, which cost more than the rest of a small call's
 * headers (ASGI gives a list of byte pairs). */
static int headers_get(PyObject *obj, headers *h, module_state *st)
{
    PyObject *items;
    int rc;

    h->n = 0;
    h->keep = NULL;
    h->n_held = 0;
    if (obj == Py_None)
        return 0;
    if (PyDict_CheckExact(obj))
        rc = headers_from_dict(obj, h, st);
    else if (PyTuple_Check(obj) || PyList_Check(obj))
        rc = headers_from_pairs(obj, h, st);
    else {
        if (PyDict_Check(obj)) /* a subclass: its own items() not asked */
            items = PyDict_Items(obj);
        else if (PyObject_HasAttrString(obj, "items"))
            items = PyObject_CallMethod(obj, "items", NULL);
        else { /* any other iterable of pairs */
            Py_INCREF(obj);
            items = obj;
        }
        if (items == NULL)
            return -1;
        rc = headers_from_pairs(items, h, st);
        Py_DECREF(items);
    }
    if (rc < 0)
        headers_release(h);
    return rc;
}

static int now_value(PyObject *o, const ph_gateway *g, double *now)
{
    if (o == NULL || o == Py_None) {
        *now = ph_gateway_uses_clock(g) ? now_seconds() : 0;
        return 0;
    }
    if (PyBool_Check(o) || (!PyLong_Check(o) && !PyFloat_Check(o))) {
        PyErr_SetString(PyExc_TypeError, "now must be int or float");
        return -1;
    }
    *now = PyFloat_AsDouble(o);
    if (*now == -1.0 && PyErr_Occurred())
        return -1;
    if (*now != *now || *now == HUGE_VAL || *now == -HUGE_VAL) {
        PyErr_SetString(PyExc_ValueError, "now must be finite");
        return -1;
    }
    return 0;
}

/* expect: a tuple of (path: bytes, value: bytes) pairs, as payhook's
 * Python layer makes them. */
#define MAX_EXPECT 32

static int expect_get(PyObject *o, ph_str *paths, ph_str *values, size_t *n)
{
    Py_ssize_t i, count;

    *n = 0;
    if (o == NULL || o == Py_None)
        return 0;
    if (!PyTuple_Check(o) || PyTuple_GET_SIZE(o) > MAX_EXPECT) {
        PyErr_Format(PyExc_TypeError,
                     "expect must be a tuple of at most %d pairs", MAX_EXPECT);
        return -1;
    }
    count = PyTuple_GET_SIZE(o);
    for (i = 0; i < count; i++) {
        PyObject *pair = PyTuple_GET_ITEM(o, i), *p, *v;
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 ||
            !PyBytes_Check(p = PyTuple_GET_ITEM(pair, 0)) ||
            !PyBytes_Check(v = PyTuple_GET_ITEM(pair, 1))) {
            PyErr_SetString(PyExc_TypeError,
                            "expect must hold (bytes, bytes) pairs");
            return -1;
        }
        paths[i] =
            (ph_str){ PyBytes_AS_STRING(p), (size_t)PyBytes_GET_SIZE(p) };
        values[i] =
            (ph_str){ PyBytes_AS_STRING(v), (size_t)PyBytes_GET_SIZE(v) };
    }
    *n = (size_t)count;
    return 0;
}

/* The names the signature covers: every member of the payload, the
 * covered fields of a form, or none. */
static PyObject *signed_fields(const ph_result *r, PyObject *payload)
{
    PyObject *list, *tuple;
    size_t i;

    switch (ph_gateway_covers(r->gateway)) {
    case PH_COVERS_PAYLOAD:
        if ((list = PyDict_Keys(payload)) == NULL)
            return NULL;
        break;
    case PH_COVERS_FIELDS:
        if ((list = PyList_New(0)) == NULL)
            return NULL;
        for (i = 0; i < r->n_fields; i++) {
            const ph_str *n = &r->fields[i].name;
            PyObject *name;
            if (!ph_result_covers(r, n->ptr, n->len))
                continue;
            name = PyUnicode_DecodeUTF8(n->ptr, (Py_ssize_t)n->len, NULL);
            if (name == NULL || PyList_Append(list, name) < 0) {
                Py_XDECREF(name);
                Py_DECREF(list);
                return NULL;
            }
            Py_DECREF(name);
        }
        break;
    default:
        return PyTuple_New(0);
    }
    tuple = PyList_AsTuple(list);
    Py_DECREF(list);
    return tuple;
}

/* (status, body, content_type, repost or None) */
static PyObject *reply_tuple(const ph_reply *rp)
{
    if (rp->repost != NULL)
        return Py_BuildValue("(iy#sy#)", rp->status, rp->body,
                             (Py_ssize_t)rp->body_len, rp->content_type,
                             rp->repost, (Py_ssize_t)rp->repost_len);
    return Py_BuildValue("(iy#sO)", rp->status, rp->body,
                         (Py_ssize_t)rp->body_len, rp->content_type, Py_None);
}

/* The steps of one call.  `record`: return (payload, event_id, timestamp,
 * signed_fields, reply) instead of the payload, after the expect check.
 * `query`: a redirect's query string (str or bytes), or None. */
static PyObject *run(GatewayObject *self, PyObject *body, PyObject *hdrs,
                     PyObject *now_obj, PyObject *expect, PyObject *query,
                     int record)
{
    module_state *st = state_from_type(Py_TYPE(self));
    py_sink_ctx sink_ctx = { self->parse_float, NULL };
    ph_str paths[MAX_EXPECT], values[MAX_EXPECT];
    size_t n_expect = 0, id_len = 0;
    char event_id[PH_EVENT_ID_MAX];
    int has_id = 0;
    PyObject *result = NULL;
    call_memory mem;
    ph_options o = self->options;
    ph_request rq;
    ph_result r;
    headers h;
    void *root = NULL;
    ph_error err;
    ph_status rc;
    input in, q = { NULL, 0, NULL };

    if (st == NULL ||
        now_value(now_obj, ph_gateway_key_gateway(self->key), &o.now) < 0 ||
        expect_get(expect, paths, values, &n_expect) < 0)
        return NULL;
    if (input_get(body, &in, "body", st->errors[PH_ERR_DECODE]) < 0)
        return NULL;
    if (query != NULL && query != Py_None &&
        input_get(query, &q, "query", st->errors[PH_ERR_DECODE]) < 0) {
        input_release(&in);
        return NULL;
    }
    if (headers_get(hdrs, &h, st) < 0) {
        input_release(&q);
        input_release(&in);
        return NULL;
    }
    rq = (ph_request){ in.ptr, in.len, h.items, h.n, q.ptr, q.len };
    call_memory_begin(&self->cache, &mem);
    sink_ctx.names = mem.cache != NULL ? &self->cache : NULL;
    if (in.len >= PH_GIL_RELEASE_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        rc = ph_gateway_open(self->key, &rq, &o, mem.scratch, &r, &err);
        Py_END_ALLOW_THREADS
    } else {
        rc = ph_gateway_open(self->key, &rq, &o, mem.scratch, &r, &err);
    }
    if (rc == PH_OK)
        rc = ph_gateway_parse(self->key, &r, &o, &py_sink, &sink_ctx,
                              mem.scratch, &root, &err);
    if (rc == PH_OK && record) {
        rc = ph_gateway_event_id(&r, event_id, &id_len, &has_id, &err);
        if (rc == PH_OK)
            rc = ph_gateway_expect(&r, paths, values, n_expect, &err);
        if (rc != PH_OK) {
            Py_CLEAR(root);
        }
    }
    if (rc != PH_OK) {
        raise_status(st, &err);
    } else if (!record) {
        result = root;
    } else {
        /* An id from a header may be any bytes: surrogateescape keeps
         * them, so two different ids never come out as one str. */
        PyObject *id = has_id
                           ? PyUnicode_DecodeUTF8(event_id, (Py_ssize_t)id_len,
                                                  "surrogateescape")
                           : Py_None;
        PyObject *ts =
            r.has_timestamp ? PyLong_FromLongLong(r.timestamp) : Py_None;
        if (!has_id)
            Py_INCREF(id);
        if (!r.has_timestamp)
            Py_INCREF(ts);
        PyObject *fields = signed_fields(&r, (PyObject *)root);
        PyObject *reply = reply_tuple(&r.reply);
        if (id != NULL && ts != NULL && fields != NULL && reply != NULL)
            result = PyTuple_Pack(5, (PyObject *)root, id, ts, fields, reply);
        Py_XDECREF(id);
        Py_XDECREF(ts);
        Py_XDECREF(fields);
        Py_XDECREF(reply);
        Py_DECREF((PyObject *)root);
    }
    call_memory_end(&mem);
    headers_release(&h);
    input_release(&q);
    input_release(&in);
    return result;
}

static int parse_call(PyObject *const *args, Py_ssize_t nargs,
                      PyObject *kwnames, const char *const *names,
                      Py_ssize_t max, PyObject **out, const char *usage)
{
    Py_ssize_t i, j, nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;

    for (i = 0; i < max; i++)
        out[i] = NULL;
    if (nargs < 1 || nargs > max)
        goto bad;
    for (i = 0; i < nargs; i++)
        out[i] = args[i];
    for (j = 0; j < nkw; j++) {
        PyObject *kw = PyTuple_GET_ITEM(kwnames, j);
        for (i = 1; i < max; i++)
            if (PyUnicode_CompareWithASCIIString(kw, names[i]) == 0)
                break;
        if (i == max || out[i] != NULL)
            goto bad;
        out[i] = args[nargs + j];
    }
    return 0;
bad:
    PyErr_SetString(PyExc_TypeError, usage);
    return -1;
}

/* decode(body, headers=None, now=None, query=None) -> payload */
static PyObject *gateway_decode(GatewayObject *self, PyObject *const *args,
                                Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = { "body", "headers", "now", "query" };
    PyObject *a[4];

    if (parse_call(args, nargs, kwnames, names, 4, a,
                   "decode(body, headers=None, now=None, query=None)") < 0)
        return NULL;
    return run(self, a[0], a[1] ? a[1] : Py_None, a[2], NULL, a[3], 0);
}

/* decode_at(body, now=None) -> payload: for gateways that need no header
 * (the shape payhook.leanx / payhook.superpay decoders have). */
static PyObject *gateway_decode_at(GatewayObject *self, PyObject *const *args,
                                   Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = { "body", "now" };
    PyObject *a[2];

    if (parse_call(args, nargs, kwnames, names, 2, a,
                   "decode(body, now=None)") < 0)
        return NULL;
    return run(self, a[0], Py_None, a[1], NULL, NULL, 0);
}

/* verify(body, headers=None, now=None, expect=None, query=None) ->
 *     (payload, event_id, timestamp, signed_fields, reply) */
static PyObject *gateway_verify(GatewayObject *self, PyObject *const *args,
                                Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = { "body", "headers", "now", "expect",
                                         "query" };
    PyObject *a[5];

    if (parse_call(args, nargs, kwnames, names, 5, a,
                   "verify(body, headers=None, now=None, expect=None, "
                   "query=None)") < 0)
        return NULL;
    return run(self, a[0], a[1] ? a[1] : Py_None, a[2], a[3], a[4], 1);
}

static PyObject *gateway_scratch_bytes(GatewayObject *self, PyObject *unused)
{
    (void)unused;
    return call_cache_snapshot(&self->cache);
}

static PyObject *gateway_get_name(GatewayObject *self, void *closure)
{
    (void)closure;
    return PyUnicode_FromString(
        ph_gateway_name(ph_gateway_key_gateway(self->key)));
}

static PyMethodDef gateway_methods[] = {
    { "decode", (PyCFunction)(void (*)(void))gateway_decode,
      METH_FASTCALL | METH_KEYWORDS,
      "decode(body, headers=None, now=None, query=None) -> dict\n\n"
      "Authenticate a callback and return its payload." },
    { "decode_at", (PyCFunction)(void (*)(void))gateway_decode_at,
      METH_FASTCALL | METH_KEYWORDS,
      "decode_at(body, now=None) -> dict\n\nThe same without headers." },
    { "verify", (PyCFunction)(void (*)(void))gateway_verify,
      METH_FASTCALL | METH_KEYWORDS,
      "verify(body, headers=None, now=None, expect=None, query=None) -> "
      "tuple\n\n(payload, event_id, timestamp, signed_fields, reply) of an "
      "authenticated callback." },
    { "_scratch_bytes", (PyCFunction)gateway_scratch_bytes, METH_NOARGS,
      "For payhook's tests only: copies of the reused scratch buffers." },
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef gateway_getset[] = {
    { "gateway", (getter)gateway_get_name, NULL, "the gateway's name", NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static PyType_Slot gateway_slots[] = {
    { Py_tp_new, gateway_new },
    { Py_tp_dealloc, gateway_dealloc },
    { Py_tp_traverse, gateway_traverse },
    { Py_tp_clear, gateway_clear },
    { Py_tp_methods, gateway_methods },
    { Py_tp_getset, gateway_getset },
    { Py_tp_doc, "Gateway(gateway, keys, max_bytes=1048576, tolerance=None, "
                 "leeway=0.0, parse_float=None)\n\n"
                 "Low-level prepared gateway key; use payhook.<gateway>."
                 "Decoder or payhook.verify." },
    { 0, NULL },
};

PyType_Spec gateway_spec = {
    "payhook._payhook.Gateway",
    sizeof(GatewayObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    gateway_slots,
};

/* ------------------------------------------------------------------ */
/* Module functions                                                    */

/* gateways() -> tuple of dicts: what each registered gateway is. */
PyObject *py_gateways(PyObject *module, PyObject *unused)
{
    PyObject *list = PyList_New(0), *tuple;
    const ph_gateway *g;
    size_t i;

    (void)module;
    (void)unused;
    if (list == NULL)
        return NULL;
    for (i = 0; (g = ph_gateway_at(i)) != NULL; i++) {
        const ph_reply *rp = ph_gateway_reply(g);
        static const char *const covers[] = { "nothing", "payload", "fields" };
        PyObject *d = Py_BuildValue(
            "{s:s,s:s,s:O,s:s,s:s,s:O,s:d,s:(iy#sO)}", "name",
            ph_gateway_name(g), "title", ph_gateway_title(g), "covers_payload",
            ph_gateway_covers(g) == PH_COVERS_PAYLOAD ? Py_True : Py_False,
            "covers", covers[ph_gateway_covers(g)], "payload",
            ph_gateway_payload_kind(g) == PH_PAYLOAD_FORM ? "form" : "json",
            "signs_time", ph_gateway_signs_time(g) ? Py_True : Py_False,
            "tolerance", ph_gateway_default_tolerance(g), "reply", rp->status,
            rp->body, (Py_ssize_t)rp->body_len, rp->content_type, Py_None);
        if (d == NULL || PyList_Append(list, d) < 0) {
            Py_XDECREF(d);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(d);
    }
    tuple = PyList_AsTuple(list);
    Py_DECREF(list);
    return tuple;
}

/* gateway_sign(name, payload: bytes, key: bytes, timestamp: int,
 *              event_id: bytes | None) -> (body: bytes, headers: tuple) */
PyObject *py_gateway_sign(PyObject *module, PyObject *const *args,
                          Py_ssize_t nargs)
{
    module_state *st = PyModule_GetState(module);
    ph_sign_input in;
    ph_signed out;
    const ph_gateway *g;
    PyObject *hdrs, *result = NULL;
    long long ts;
    ph_error err;
    size_t i;

    if (nargs != 5 || !PyBytes_Check(args[1]) || !PyBytes_Check(args[2]) ||
        !PyLong_Check(args[3]) ||
        (args[4] != Py_None && !PyBytes_Check(args[4]))) {
        PyErr_SetString(PyExc_TypeError,
                        "gateway_sign(name, payload: bytes, key: bytes, "
                        "timestamp: int, event_id: bytes | None)");
        return NULL;
    }
    if ((g = gateway_named(args[0])) == NULL)
        return NULL;
    ts = PyLong_AsLongLong(args[3]);
    if (ts == -1 && PyErr_Occurred())
        return NULL;
    memset(&in, 0, sizeof in);
    in.payload = PyBytes_AS_STRING(args[1]);
    in.payload_len = (size_t)PyBytes_GET_SIZE(args[1]);
    in.key = (const unsigned char *)PyBytes_AS_STRING(args[2]);
    in.key_len = (size_t)PyBytes_GET_SIZE(args[2]);
    in.timestamp = ts;
    if (args[4] != Py_None) {
        in.event_id = PyBytes_AS_STRING(args[4]);
        in.event_id_len = (size_t)PyBytes_GET_SIZE(args[4]);
    }
    if (ph_gateway_sign(g, &in, &out, &err) != PH_OK)
        return raise_status(st, &err);
    if ((hdrs = PyTuple_New((Py_ssize_t)out.n_headers)) != NULL) {
        for (i = 0; i < out.n_headers; i++) {
            PyObject *pair = Py_BuildValue(
                "(s#s#)", out.headers[i].name,
                (Py_ssize_t)out.headers[i].name_len, out.headers[i].value,
                (Py_ssize_t)out.headers[i].value_len);
            if (pair == NULL) {
                Py_CLEAR(hdrs);
                break;
            }
            PyTuple_SET_ITEM(hdrs, (Py_ssize_t)i, pair);
        }
    }
    if (hdrs != NULL)
        result =
            Py_BuildValue("(y#N)", out.body, (Py_ssize_t)out.body_len, hdrs);
    ph_signed_free(&out);
    return result;
}

/* parse_form(data: bytes) -> list of (name, value): the core's strict form
 * parser, for payhook's own differential tests against urllib. */
PyObject *py_parse_form(PyObject *module, PyObject *arg)
{
    module_state *st = PyModule_GetState(module);
    ph_scratch s = PH_SCRATCH_INIT;
    const ph_form_field *f;
    PyObject *list = NULL;
    ph_error err;
    size_t n, i;
    Py_buffer b;

    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0)
        return NULL;
    if (ph_form_parse(b.buf, (size_t)b.len, &s, &f, &n, &err) != PH_OK) {
        raise_status(st, &err);
        goto done;
    }
    if ((list = PyList_New((Py_ssize_t)n)) == NULL)
        goto done;
    for (i = 0; i < n; i++) {
        PyObject *pair =
            Py_BuildValue("(s#s#)", f[i].name.ptr, (Py_ssize_t)f[i].name.len,
                          f[i].value.ptr, (Py_ssize_t)f[i].value.len);
        if (pair == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, pair);
    }
done:
    ph_scratch_free(&s);
    PyBuffer_Release(&b);
    return list;
}
