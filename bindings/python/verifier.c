/* payhook._payhook.Verifier: a prepared JWT verifier with its claim
 * options, immutable once built.  payhook.leanx.Decoder and
 * payhook.jwt's functions are thin Python layers over it. */
#include "callcache.h"

typedef struct {
    PyObject_HEAD ph_jwt_verifier *v;
    int envelope; /* LeanX: take the token out of {"data": ...} */
    size_t max_bytes;
    ph_claims claims; /* `now` is filled in per call */
    ph_str *strs;     /* audience, issuer, subject, required, in that order */
    PyObject *refs;   /* keeps the bytes behind `strs` alive */
    PyObject *parse_float;
    call_cache cache;
} VerifierObject;

/* Fill `out` from a tuple of bytes; returns the count or -1. */
static Py_ssize_t bytes_tuple(PyObject *t, ph_str *out, const char *what)
{
    Py_ssize_t i, n = PyTuple_GET_SIZE(t);

    for (i = 0; i < n; i++) {
        PyObject *b = PyTuple_GET_ITEM(t, i);
        if (!PyBytes_Check(b)) {
            PyErr_Format(PyExc_TypeError, "%s must be a tuple of bytes", what);
            return -1;
        }
        out[i].ptr = PyBytes_AS_STRING(b);
        out[i].len = (size_t)PyBytes_GET_SIZE(b);
    }
    return n;
}

static PyObject *verifier_new(PyTypeObject *type, PyObject *args,
                              PyObject *kwds)
{
    static char *kwlist[] = { "keys",      "algorithms", "envelope",
                              "max_bytes", "leeway",     "verify",
                              "require",   "audience",   "strict_aud",
                              "issuer",    "subject",    "parse_float",
                              "required",  NULL };
    module_state *st = state_from_type(type);
    PyObject *keys, *audience = Py_None, *issuer = Py_None;
    PyObject *subject = Py_None, *parse_float = Py_None, *required = Py_None;
    unsigned int algorithms, verify, require;
    int envelope, strict_aud = 0;
    Py_ssize_t max_bytes, nkeys, n_aud = 0, n_iss = 0, n_req = 0, n_str;
    double leeway;
    const unsigned char *key_ptrs[PH_MAX_KEYS];
    size_t key_lens[PH_MAX_KEYS];
    VerifierObject *self;
    ph_error err;

    if (st == NULL)
        return NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!IpndII|OpOOOO:Verifier",
                                     kwlist, &PyTuple_Type, &keys, &algorithms,
                                     &envelope, &max_bytes, &leeway, &verify,
                                     &require, &audience, &strict_aud, &issuer,
                                     &subject, &parse_float, &required))
        return NULL;
    if (max_bytes < 0 || leeway < 0 || leeway != leeway) {
        PyErr_SetString(PyExc_ValueError,
                        "max_bytes and leeway must not be negative");
        return NULL;
    }
    if (parse_float != Py_None && !PyCallable_Check(parse_float)) {
        PyErr_SetString(PyExc_TypeError, "parse_float must be callable");
        return NULL;
    }
    if ((audience != Py_None && !PyTuple_Check(audience)) ||
        (issuer != Py_None && !PyTuple_Check(issuer)) ||
        (subject != Py_None && !PyBytes_Check(subject)) ||
        (required != Py_None && !PyTuple_Check(required))) {
        PyErr_SetString(PyExc_TypeError,
                        "audience, issuer and required must be tuples of "
                        "bytes, subject bytes");
        return NULL;
    }
    if (required != Py_None &&
        (n_req = PyTuple_GET_SIZE(required)) > PH_MAX_REQUIRED) {
        PyErr_Format(PyExc_ValueError, "at most %d required claims",
                     PH_MAX_REQUIRED);
        return NULL;
    }
    if ((nkeys = keys_get(st, keys, key_ptrs, key_lens)) < 0)
        return NULL;
    if ((self = (VerifierObject *)type->tp_alloc(type, 0)) == NULL)
        return NULL;
    if (ph_jwt_verifier_new(key_ptrs, key_lens, (size_t)nkeys, algorithms,
                            &self->v, &err) != PH_OK) {
        Py_DECREF(self);
        return raise_status(st, &err);
    }
    self->envelope = envelope;
    self->max_bytes = (size_t)max_bytes;
    ph_claims_init(&self->claims, 0);
    self->claims.leeway = leeway;
    self->claims.verify = verify;
    self->claims.require = require;
    self->claims.strict_aud = strict_aud;

    n_aud = audience != Py_None ? PyTuple_GET_SIZE(audience) : 0;
    n_iss = issuer != Py_None ? PyTuple_GET_SIZE(issuer) : 0;
    n_str = n_aud + n_iss + 1 + n_req;
    self->strs = PyMem_Calloc((size_t)n_str, sizeof(ph_str));
    self->refs = PyTuple_Pack(4, audience, issuer, subject, required);
    if (self->strs == NULL || self->refs == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    if (audience != Py_None) {
        if (bytes_tuple(audience, self->strs, "audience") < 0) {
            Py_DECREF(self);
            return NULL;
        }
        self->claims.audience = self->strs;
        self->claims.n_audience = (size_t)n_aud;
    }
    if (issuer != Py_None) {
        if (bytes_tuple(issuer, self->strs + n_aud, "issuer") < 0) {
            Py_DECREF(self);
            return NULL;
        }
        self->claims.issuer = self->strs + n_aud;
        self->claims.n_issuer = (size_t)n_iss;
    }
    if (subject != Py_None) {
        ph_str *s = self->strs + n_aud + n_iss;
        s->ptr = PyBytes_AS_STRING(subject);
        s->len = (size_t)PyBytes_GET_SIZE(subject);
        self->claims.subject = s;
    }
    if (n_req > 0) {
        ph_str *r = self->strs + n_aud + n_iss + 1;
        if (bytes_tuple(required, r, "required") < 0) {
            Py_DECREF(self);
            return NULL;
        }
        self->claims.required = r;
        self->claims.n_required = (size_t)n_req;
    }
    if (parse_float != Py_None) {
        Py_INCREF(parse_float);
        self->parse_float = parse_float;
    }
    return (PyObject *)self;
}

static int verifier_traverse(VerifierObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->parse_float);
    Py_VISIT(self->refs);
    return 0;
}

static int verifier_clear(VerifierObject *self)
{
    Py_CLEAR(self->parse_float);
    return 0;
}

static void verifier_dealloc(VerifierObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);

    PyObject_GC_UnTrack(self);
    ph_jwt_verifier_free(self->v); /* wipes the key copies */
    call_cache_clear(&self->cache);
    PyMem_Free(self->strs);
    Py_CLEAR(self->refs);
    Py_CLEAR(self->parse_float);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* What a call gives back. */
enum {
    GIVE_PAYLOAD,  /* decode: the claims, checked */
    GIVE_COMPLETE, /* decode_complete: (header, claims, signature) */
    GIVE_RAW       /* verify: (header, payload bytes, signature), no claims */
};

/* (data, now=None) of a fastcall method; 0 or -1 with TypeError. */
static int data_and_now(PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames, const char *usage, PyObject **data,
                        PyObject **now)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;

    if (nargs < 1 || nargs + nkw > 2 ||
        (nkw == 1 && PyUnicode_CompareWithASCIIString(
                         PyTuple_GET_ITEM(kwnames, 0), "now") != 0)) {
        PyErr_SetString(PyExc_TypeError, usage);
        return -1;
    }
    *data = args[0];
    *now = nargs + nkw == 2 ? args[1] : Py_None;
    return 0;
}

/* The claims with the call's clock; 0 or -1 with TypeError. */
static int call_claims(const VerifierObject *self, PyObject *now_obj,
                       ph_claims *claims)
{
    *claims = self->claims;
    if (now_obj == Py_None) {
        claims->now = now_seconds();
        return 0;
    }
    if (!PyLong_Check(now_obj) && !PyFloat_Check(now_obj)) {
        PyErr_SetString(PyExc_TypeError, "now must be int or float");
        return -1;
    }
    claims->now = PyFloat_AsDouble(now_obj);
    return claims->now == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* A decoded header as a dict (it is one JSON object: the core checked). */
static PyObject *header_dict(module_state *st, const ph_jws_parts *parts,
                             ph_scratch *scratch)
{
    py_sink_ctx ctx = { NULL, NULL };
    void *root = NULL;
    ph_error err;

    if (ph_json_parse(parts->header, parts->header_len, &py_sink, &ctx,
                      scratch, &root, &err) != PH_OK)
        return raise_status(st, &err);
    return root;
}

static PyObject *verifier_call(VerifierObject *self, PyObject *data,
                               PyObject *now_obj, int give)
{
    module_state *st = state_from_type(Py_TYPE(self));
    PyObject *result = NULL, *payload = NULL, *header = NULL, *sig = NULL;
    py_sink_ctx sink_ctx = { self->parse_float, NULL };
    call_memory mem;
    ph_scratch *scratch;
    ph_claims claims;
    ph_jws_parts parts;
    const char *token;
    size_t token_len;
    void *root = NULL;
    ph_error err;
    ph_status rc;
    input in;

    if (st == NULL)
        return NULL;
    if (call_claims(self, now_obj, &claims) < 0)
        return NULL;
    if (input_get(data, &in, self->envelope ? "body" : "token",
                  st->errors[PH_ERR_DECODE]) < 0)
        return NULL;

    call_memory_begin(&self->cache, &mem);
    scratch = mem.scratch;
    sink_ctx.names = mem.cache != NULL ? &self->cache : NULL;
    if (self->envelope) {
        rc = ph_leanx_token(in.ptr, in.len, self->max_bytes, scratch, &token,
                            &token_len, &err);
        if (rc != PH_OK)
            goto fail;
    } else {
        token = in.ptr;
        token_len = in.len;
    }
    if (token_len >= PH_GIL_RELEASE_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        rc = ph_jwt_verify_parts(self->v, token, token_len, self->max_bytes,
                                 scratch, &parts, &err);
        Py_END_ALLOW_THREADS
    } else {
        rc = ph_jwt_verify_parts(self->v, token, token_len, self->max_bytes,
                                 scratch, &parts, &err);
    }
    if (rc != PH_OK)
        goto fail;
    if (give == GIVE_RAW) {
        payload = PyBytes_FromStringAndSize(parts.payload,
                                            (Py_ssize_t)parts.payload_len);
        if (payload == NULL)
            goto done;
    } else {
        rc = ph_jwt_parse_claims(parts.payload, parts.payload_len, &claims,
                                 &py_sink, &sink_ctx, scratch, &root, &err);
        if (rc != PH_OK)
            goto fail;
        payload = root;
    }
    if (give == GIVE_PAYLOAD) {
        result = payload;
        payload = NULL;
        goto done;
    }
    if ((header = header_dict(st, &parts, scratch)) == NULL ||
        (sig = PyBytes_FromStringAndSize((const char *)parts.signature,
                                         (Py_ssize_t)parts.signature_len)) ==
            NULL)
        goto done;
    result = PyTuple_Pack(3, header, payload, sig);
    goto done;
fail:
    raise_status(st, &err);
done:
    Py_XDECREF(header);
    Py_XDECREF(payload);
    Py_XDECREF(sig);
    call_memory_end(&mem);
    input_release(&in);
    return result;
}

/* decode(data, now=None): verify, check claims, return the payload. */
static PyObject *verifier_decode(VerifierObject *self, PyObject *const *args,
                                 Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *data, *now;

    if (data_and_now(args, nargs, kwnames, "decode(data, now=None)", &data,
                     &now) < 0)
        return NULL;
    return verifier_call(self, data, now, GIVE_PAYLOAD);
}

/* decode_complete(data, now=None) -> (header, payload, signature). */
static PyObject *verifier_decode_complete(VerifierObject *self,
                                          PyObject *const *args,
                                          Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *data, *now;

    if (data_and_now(args, nargs, kwnames, "decode_complete(data, now=None)",
                     &data, &now) < 0)
        return NULL;
    return verifier_call(self, data, now, GIVE_COMPLETE);
}

/* verify(data) -> (header, payload bytes, signature): the signature only,
 * no claims, the payload as the bytes that were signed. */
static PyObject *verifier_verify(VerifierObject *self, PyObject *data)
{
    return verifier_call(self, data, Py_None, GIVE_RAW);
}

/* claims(payload, now=None) -> dict: the claim checks of decode on payload
 * bytes the caller obtained from verify() (a payload it decoded its own
 * way, serialised again). */
static PyObject *verifier_claims(VerifierObject *self, PyObject *const *args,
                                 Py_ssize_t nargs, PyObject *kwnames)
{
    module_state *st = state_from_type(Py_TYPE(self));
    py_sink_ctx sink_ctx = { self->parse_float, NULL };
    PyObject *data, *now;
    call_memory mem;
    ph_claims claims;
    void *root = NULL;
    ph_error err;
    input in;

    if (st == NULL)
        return NULL;
    if (data_and_now(args, nargs, kwnames, "claims(payload, now=None)", &data,
                     &now) < 0 ||
        call_claims(self, now, &claims) < 0)
        return NULL;
    if (input_get(data, &in, "payload", st->errors[PH_ERR_DECODE]) < 0)
        return NULL;
    call_memory_begin(&self->cache, &mem);
    sink_ctx.names = mem.cache != NULL ? &self->cache : NULL;
    if (ph_jwt_parse_claims(in.ptr, in.len, &claims, &py_sink, &sink_ctx,
                            mem.scratch, &root, &err) != PH_OK) {
        raise_status(st, &err);
        root = NULL;
    }
    call_memory_end(&mem);
    input_release(&in);
    return root;
}

/* _scratch_bytes() -> (env, data, text): for payhook's own tests, which
 * check that nothing a call decrypted or decoded is left in the memory the
 * decoder reuses.  Not part of the API. */
static PyObject *verifier_scratch_bytes(VerifierObject *self, PyObject *unused)
{
    (void)unused;
    return call_cache_snapshot(&self->cache);
}

static PyMethodDef verifier_methods[] = {
    { "decode", (PyCFunction)(void (*)(void))verifier_decode,
      METH_FASTCALL | METH_KEYWORDS,
      "decode(data, now=None) -> dict\n\n"
      "Verify the token (or LeanX body) and return its payload." },
    { "decode_complete", (PyCFunction)(void (*)(void))verifier_decode_complete,
      METH_FASTCALL | METH_KEYWORDS,
      "decode_complete(data, now=None) -> (header, payload, signature)\n\n"
      "decode, with the header (a dict) and the signature (bytes) too." },
    { "verify", (PyCFunction)verifier_verify, METH_O,
      "verify(data) -> (header, payload, signature)\n\n"
      "Verify the signature only: the payload is the bytes that were "
      "signed,\nnot parsed, and no claim is checked." },
    { "claims", (PyCFunction)(void (*)(void))verifier_claims,
      METH_FASTCALL | METH_KEYWORDS,
      "claims(payload, now=None) -> dict\n\n"
      "The claim checks of decode, on a JSON payload given as bytes." },
    { "_scratch_bytes", (PyCFunction)verifier_scratch_bytes, METH_NOARGS,
      "For payhook's tests only: copies of the reused scratch buffers." },
    { NULL, NULL, 0, NULL },
};

static PyType_Slot verifier_slots[] = {
    { Py_tp_new, verifier_new },
    { Py_tp_dealloc, verifier_dealloc },
    { Py_tp_traverse, verifier_traverse },
    { Py_tp_clear, verifier_clear },
    { Py_tp_methods, verifier_methods },
    { Py_tp_doc, "Verifier(keys, algorithms, envelope, max_bytes, leeway, "
                 "verify, require, audience=None, strict_aud=False, "
                 "issuer=None, subject=None, parse_float=None, "
                 "required=None)\n\n"
                 "Low-level prepared JWT verifier; use payhook.leanx.Decoder "
                 "or payhook.jwt.decode." },
    { 0, NULL },
};

PyType_Spec verifier_spec = {
    "payhook._payhook.Verifier",
    sizeof(VerifierObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    verifier_slots,
};
