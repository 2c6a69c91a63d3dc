/* The payhook._payhook extension module: state, errors, inputs, init. */
#include <time.h>

#include "binding.h"

module_state *state_from_type(PyTypeObject *type)
{
    PyObject *mod;

#if PH_HAVE_GETMODULEBYDEF
    mod = PyType_GetModuleByDef(type, &payhook_module_def);
#else
    /* Walk the MRO for the heap type this module created: Python
     * subclasses (payhook.leanx.Decoder) have no module of their own. */
    PyObject *mro = type->tp_mro;
    Py_ssize_t i;
    mod = NULL;
    for (i = 0; mro != NULL && i < PyTuple_GET_SIZE(mro); i++) {
        PyTypeObject *base = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        if (PyType_HasFeature(base, Py_TPFLAGS_HEAPTYPE)) {
            PyObject *m = PyType_GetModule(base);
            if (m != NULL && PyModule_GetDef(m) == &payhook_module_def) {
                mod = m;
                break;
            }
            PyErr_Clear();
        }
    }
    if (mod == NULL)
        PyErr_SetString(PyExc_TypeError, "not a payhook type");
#endif
    return mod == NULL ? NULL : PyModule_GetState(mod);
}

/* MissingRequiredClaimError(claim), as PyJWT makes it: the class takes
 * the claim's name (and words its own message), which the core's message
 * ('Token is missing the "<name>" claim') holds between its first and its
 * last quote. */
static PyObject *raise_missing_claim(PyObject *cls, const char *message)
{
    const char *first = strchr(message, '"'), *last = strrchr(message, '"');
    PyObject *exc;

    if (first == NULL || last <= first) {
        PyErr_SetString(cls, message);
        return NULL;
    }
    exc = PyObject_CallFunction(cls, "s#", first + 1,
                                (Py_ssize_t)(last - first - 1));
    if (exc != NULL) {
        PyErr_SetObject(cls, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

PyObject *raise_status(module_state *st, const ph_error *err)
{
    PyObject *cls;

    switch (err->status) {
    case PH_ERR_MEMORY:
        return PyErr_NoMemory();
    case PH_ERR_SINK:
        if (PyErr_Occurred())
            return NULL;
        break;
    case PH_ERR_DECRYPT:
        /* SuperPay: whatever the sink left pending (a raising parse_float,
         * an int past sys.get_int_max_str_digits(), a MemoryError while
         * building) gives way to the one decryption error, with nothing of
         * it kept as a cause or context: the caller must not be able to
         * tell one failure of the decrypted text from another.  Only an
         * interruption (KeyboardInterrupt, SystemExit), which no input can
         * cause, is let through. */
        if (PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_Exception))
                return NULL;
            PyErr_Clear();
        }
        break;
    case PH_ERR_ARGUMENT:
        PyErr_SetString(PyExc_ValueError, err->message);
        return NULL;
    case PH_ERR_MISSING_CLAIM:
        return raise_missing_claim(st->errors[err->status], err->message);
    default:
        break;
    }
    cls = (unsigned)err->status < PH_STATUS_COUNT ? st->errors[err->status]
                                                  : NULL;
    if (cls == NULL)
        cls = st->errors[PH_ERR_CRYPTO];
    PyErr_SetString(cls,
                    err->message[0] ? err->message : ph_strerror(err->status));
    return NULL;
}

int input_get(PyObject *obj, input *in, const char *what, PyObject *bad_text)
{
    in->owned = NULL;
    if (PyUnicode_Check(obj)) {
        Py_ssize_t n;
        const char *p = PyUnicode_AsUTF8AndSize(obj, &n);
        if (p == NULL) {
            /* Lone surrogates: no UTF-8 form, so not a body we can read. */
            PyErr_Clear();
            PyErr_Format(bad_text, "%s is not valid text", what);
            return -1;
        }
        in->ptr = p;
        in->len = (size_t)n;
        return 0;
    }
    if (PyBytes_Check(obj)) {
        in->ptr = PyBytes_AS_STRING(obj);
        in->len = (size_t)PyBytes_GET_SIZE(obj);
        return 0;
    }
    if (PyObject_CheckBuffer(obj)) {
        /* A bytearray, or any view of one (even a read-only view), can
         * change while we work: the bytes whose MAC is checked must be the
         * bytes that are decoded, so take a private copy first. */
        Py_buffer view;
        if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0) {
            /* A strided or released view: wrong kind of argument, not bad
             * wire input, so a TypeError like any other. */
            if (PyErr_ExceptionMatches(PyExc_BufferError) ||
                PyErr_ExceptionMatches(PyExc_ValueError)) {
                PyErr_Clear();
                PyErr_Format(PyExc_TypeError,
                             "%s must be a contiguous, unreleased buffer",
                             what);
            }
            return -1;
        }
        in->owned = PyBytes_FromStringAndSize(view.buf, view.len);
        PyBuffer_Release(&view);
        if (in->owned == NULL)
            return -1;
        in->ptr = PyBytes_AS_STRING(in->owned);
        in->len = (size_t)PyBytes_GET_SIZE(in->owned);
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s must be str, bytes, bytearray or memoryview, not %.100s",
                 what, Py_TYPE(obj)->tp_name);
    return -1;
}

Py_ssize_t keys_get(module_state *st, PyObject *keys,
                    const unsigned char **ptrs, size_t *lens)
{
    Py_ssize_t i, n = PyTuple_GET_SIZE(keys);

    if (n == 0 || n > PH_MAX_KEYS) {
        PyErr_Format(st->errors[PH_ERR_KEY],
                     "between 1 and %d keys are needed", PH_MAX_KEYS);
        return -1;
    }
    for (i = 0; i < n; i++) {
        PyObject *k = PyTuple_GET_ITEM(keys, i);
        if (!PyBytes_Check(k)) {
            PyErr_SetString(PyExc_TypeError, "keys must be bytes");
            return -1;
        }
        ptrs[i] = (const unsigned char *)PyBytes_AS_STRING(k);
        lens[i] = (size_t)PyBytes_GET_SIZE(k);
    }
    return n;
}

void input_release(input *in)
{
    Py_CLEAR(in->owned);
}

double now_seconds(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (double)time(NULL);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */

static PyObject *py_sign(PyObject *module, PyObject *const *args,
                         Py_ssize_t nargs)
{
    module_state *st = PyModule_GetState(module);
    const char *header, *payload, *key;
    Py_ssize_t header_len, payload_len, key_len;
    unsigned long alg;
    char *token = NULL;
    ph_error err;
    PyObject *result;

    if (nargs != 4 || !PyBytes_Check(args[0]) || !PyBytes_Check(args[1]) ||
        !PyLong_Check(args[2]) || !PyBytes_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError,
                        "sign(header: bytes, payload: bytes, algorithm: int, "
                        "key: bytes)");
        return NULL;
    }
    alg = PyLong_AsUnsignedLong(args[2]);
    if (alg == (unsigned long)-1 && PyErr_Occurred())
        return NULL;
    PyBytes_AsStringAndSize(args[0], (char **)&header, &header_len);
    PyBytes_AsStringAndSize(args[1], (char **)&payload, &payload_len);
    PyBytes_AsStringAndSize(args[3], (char **)&key, &key_len);
    if (ph_jwt_sign(header, (size_t)header_len, payload, (size_t)payload_len,
                    (unsigned)alg, (const unsigned char *)key, (size_t)key_len,
                    &token, &err) != PH_OK)
        return raise_status(st, &err);
    result = PyUnicode_FromString(token);
    ph_free(token, strlen(token));
    return result;
}

/* jwt_header(token, max_bytes) -> dict: the header of a token that is not
 * verified (payhook.jwt.get_unverified_header). */
static PyObject *py_jwt_header(PyObject *module, PyObject *const *args,
                               Py_ssize_t nargs)
{
    module_state *st = PyModule_GetState(module);
    ph_scratch scratch = PH_SCRATCH_INIT;
    py_sink_ctx ctx = { NULL, NULL };
    const char *header;
    size_t header_len;
    Py_ssize_t max_bytes;
    void *root = NULL;
    ph_error err;
    input in;

    if (nargs != 2 || !PyLong_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "jwt_header(token, max_bytes: int)");
        return NULL;
    }
    if ((max_bytes = PyLong_AsSsize_t(args[1])) < 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError,
                            "max_bytes must not be negative");
        return NULL;
    }
    if (input_get(args[0], &in, "token", st->errors[PH_ERR_DECODE]) < 0)
        return NULL;
    if (ph_jwt_read_header(in.ptr, in.len, (size_t)max_bytes, &scratch,
                           &header, &header_len, &err) != PH_OK ||
        ph_json_parse(header, header_len, &py_sink, &ctx, &scratch, &root,
                      &err) != PH_OK) {
        raise_status(st, &err);
        root = NULL;
    }
    ph_scratch_free(&scratch);
    input_release(&in);
    return root;
}

/* parse_payload(data) -> dict: a JWT payload's JSON as decode parses it
 * (strict, one object), no claim checked (PyJWT._decode_payload). */
static PyObject *py_parse_payload(PyObject *module, PyObject *arg)
{
    module_state *st = PyModule_GetState(module);
    ph_scratch scratch = PH_SCRATCH_INIT;
    py_sink_ctx ctx = { NULL, NULL };
    ph_claims claims;
    void *root = NULL;
    ph_error err;
    input in;

    if (input_get(arg, &in, "payload", st->errors[PH_ERR_DECODE]) < 0)
        return NULL;
    ph_claims_init(&claims, 0);
    claims.verify = 0;
    if (ph_jwt_parse_claims(in.ptr, in.len, &claims, &py_sink, &ctx, &scratch,
                            &root, &err) != PH_OK) {
        raise_status(st, &err);
        root = NULL;
    }
    ph_scratch_free(&scratch);
    input_release(&in);
    return root;
}

static PyMethodDef module_methods[] = {
    { "parse_payload", (PyCFunction)py_parse_payload, METH_O,
      "parse_payload(data) -> dict\n\n"
      "A JWT payload's JSON, parsed as decode parses it; no claim checked." },
    { "jwt_header", (PyCFunction)(void (*)(void))py_jwt_header, METH_FASTCALL,
      "jwt_header(token, max_bytes) -> dict\n\n"
      "The header of a token that is NOT verified (for choosing a key by "
      "kid)." },
    { "sign", (PyCFunction)(void (*)(void))py_sign, METH_FASTCALL,
      "sign(header_json, payload_json, algorithm_bit, key) -> str\n\n"
      "Sign two JSON texts as a compact JWS (used by payhook.jwt.encode)." },
    { "parse_form", (PyCFunction)py_parse_form, METH_O,
      "parse_form(data) -> list\n\nThe core's strict form parser (for "
      "payhook's tests)." },
    { "gateways", (PyCFunction)py_gateways, METH_NOARGS,
      "gateways() -> tuple\n\nWhat each gateway of the core is." },
    { "gateway_sign", (PyCFunction)(void (*)(void))py_gateway_sign,
      METH_FASTCALL,
      "gateway_sign(name, payload, key, timestamp, event_id) -> "
      "(body, headers)\n\nA genuine callback, for tests." },
    { "memo_digest", (PyCFunction)py_memo_digest, METH_O,
      "memo_digest(args) -> bytes | None\n\nThe salted key under which "
      "the one-call functions keep a prepared decoder, or None when the "
      "arguments need payhook._keys' own digest." },
    { NULL, NULL, 0, NULL },
};

/* The exception classes live in payhook/errors.py (so the stubs and the
 * runtime share one definition); the module looks them up by the stable
 * status names of the core. */
static int load_errors(module_state *st)
{
    PyObject *errors = PyImport_ImportModule("payhook.errors");
    int s;

    if (errors == NULL)
        return -1;
    for (s = 0; s < PH_STATUS_COUNT; s++) {
        const char *name = ph_status_name((ph_status)s);
        if (s == PH_OK || s == PH_ERR_MEMORY || s == PH_ERR_ARGUMENT ||
            s == PH_ERR_SINK)
            continue;
        if ((st->errors[s] = PyObject_GetAttrString(errors, name)) == NULL) {
            Py_DECREF(errors);
            return -1;
        }
    }
    Py_DECREF(errors);
    return 0;
}

static int module_exec(PyObject *module)
{
    module_state *st = PyModule_GetState(module);

    ph_error err;

    if (load_errors(st) < 0)
        return -1;
    if (ph_fingerprinter_new(&st->fingerprinter, &err) != PH_OK) {
        raise_status(st, &err);
        return -1;
    }
    st->verifier_type =
        (PyTypeObject *)PyType_FromModuleAndSpec(module, &verifier_spec, NULL);
    if (st->verifier_type == NULL ||
        PyModule_AddType(module, st->verifier_type) < 0)
        return -1;
    st->superpay_type =
        (PyTypeObject *)PyType_FromModuleAndSpec(module, &superpay_spec, NULL);
    if (st->superpay_type == NULL ||
        PyModule_AddType(module, st->superpay_type) < 0)
        return -1;
    st->gateway_type =
        (PyTypeObject *)PyType_FromModuleAndSpec(module, &gateway_spec, NULL);
    if (st->gateway_type == NULL ||
        PyModule_AddType(module, st->gateway_type) < 0)
        return -1;
    st->memo_type =
        (PyTypeObject *)PyType_FromModuleAndSpec(module, &memo_spec, NULL);
    if (st->memo_type == NULL || PyModule_AddType(module, st->memo_type) < 0)
        return -1;
    {
        PyObject *onecall =
            PyType_FromModuleAndSpec(module, &onecall_spec, NULL);
        int rc = onecall != NULL
                     ? PyModule_AddType(module, (PyTypeObject *)onecall)
                     : -1;
        Py_XDECREF(onecall);
        if (rc < 0)
            return -1;
    }
    if (PyModule_AddStringConstant(module, "__version__", ph_version()) < 0 ||
        PyModule_AddIntConstant(module, "HS256", PH_ALG_HS256) < 0 ||
        PyModule_AddIntConstant(module, "HS384", PH_ALG_HS384) < 0 ||
        PyModule_AddIntConstant(module, "HS512", PH_ALG_HS512) < 0 ||
        PyModule_AddIntConstant(module, "CLAIM_EXP", PH_CLAIM_EXP) < 0 ||
        PyModule_AddIntConstant(module, "CLAIM_NBF", PH_CLAIM_NBF) < 0 ||
        PyModule_AddIntConstant(module, "CLAIM_IAT", PH_CLAIM_IAT) < 0 ||
        PyModule_AddIntConstant(module, "CLAIM_AUD", PH_CLAIM_AUD) < 0 ||
        PyModule_AddIntConstant(module, "CLAIM_ISS", PH_CLAIM_ISS) < 0 ||
        PyModule_AddIntConstant(module, "CLAIM_SUB", PH_CLAIM_SUB) < 0 ||
        PyModule_AddIntConstant(module, "CLAIM_JTI", PH_CLAIM_JTI) < 0 ||
        PyModule_AddObject(module, "DEFAULT_MAX_BYTES",
                           PyLong_FromSize_t(PH_DEFAULT_MAX_BYTES)) < 0 ||
        PyModule_AddIntConstant(module, "MAX_DEPTH", PH_MAX_DEPTH) < 0)
        return -1;
    return 0;
}

static int module_traverse(PyObject *module, visitproc visit, void *arg)
{
    module_state *st = PyModule_GetState(module);
    int s;

    for (s = 0; s < PH_STATUS_COUNT; s++)
        Py_VISIT(st->errors[s]);
    Py_VISIT(st->verifier_type);
    Py_VISIT(st->superpay_type);
    Py_VISIT(st->gateway_type);
    Py_VISIT(st->memo_type);
    return 0;
}

static int module_clear(PyObject *module)
{
    module_state *st = PyModule_GetState(module);
    int s;

    for (s = 0; s < PH_STATUS_COUNT; s++)
        Py_CLEAR(st->errors[s]);
    Py_CLEAR(st->verifier_type);
    Py_CLEAR(st->superpay_type);
    Py_CLEAR(st->gateway_type);
    Py_CLEAR(st->memo_type);
    return 0;
}

static void module_free(void *module)
{
    module_state *st = PyModule_GetState(module);

    module_clear(module);
    if (st != NULL) {
        ph_fingerprinter_free(st->fingerprinter); /* wipes the salt */
        st->fingerprinter = NULL;
    }
}

static PyModuleDef_Slot module_slots[] = {
    { Py_mod_exec, module_exec },
#if PH_HAVE_MULTI_INTERP_SLOT
    /* No process-wide state: every interpreter gets its own types and
     * error classes, and the core keeps none. */
    { Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED },
#endif
#if PH_HAVE_GIL_SLOT
    /* Settings never change after construction, and the working memory a
     * decoder reuses is taken with an atomic try-lock (callcache.h), so
     * nothing here needs the GIL's protection. */
    { Py_mod_gil, Py_MOD_GIL_NOT_USED },
#endif
    { 0, NULL },
};

PyModuleDef payhook_module_def = {
    PyModuleDef_HEAD_INIT,
    "payhook._payhook",
    "Native core of payhook: verify and decrypt payout callbacks.",
    sizeof(module_state),
    module_methods,
    module_slots,
    module_traverse,
    module_clear,
    module_free,
};

PyMODINIT_FUNC PyInit__payhook(void)
{
    return PyModuleDef_Init(&payhook_module_def);
}
