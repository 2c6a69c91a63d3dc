/* payhook._payhook.SuperPayKey: a prepared SuperPay key (the 32 key bytes
 * and IV = MD5(key)), immutable once built. */
#include "callcache.h"

typedef struct {
    PyObject_HEAD ph_superpay_key *key;
    size_t max_bytes;
    PyObject *parse_float;
    call_cache cache;
} SuperPayObject;

static PyObject *superpay_new(PyTypeObject *type, PyObject *args,
                              PyObject *kwds)
{
    static char *kwlist[] = { "key", "max_bytes", "parse_float", NULL };
    module_state *st = state_from_type(type);
    PyObject *parse_float = Py_None;
    Py_buffer key;
    Py_ssize_t max_bytes = (Py_ssize_t)PH_DEFAULT_MAX_BYTES;
    SuperPayObject *self;
    ph_error err;
    ph_status rc;

    if (st == NULL)
        return NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*|nO:SuperPayKey", kwlist,
                                     &key, &max_bytes, &parse_float))
        return NULL;
    if (parse_float != Py_None && !PyCallable_Check(parse_float)) {
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_TypeError, "parse_float must be callable");
        return NULL;
    }
    if (max_bytes < 0) {
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_ValueError, "max_bytes must not be negative");
        return NULL;
    }
    if ((self = (SuperPayObject *)type->tp_alloc(type, 0)) == NULL) {
        PyBuffer_Release(&key);
        return NULL;
    }
    rc = ph_superpay_key_new(key.buf, (size_t)key.len, &self->key, &err);
    PyBuffer_Release(&key);
    if (rc != PH_OK) {
        Py_DECREF(self);
        return raise_status(st, &err);
    }
    self->max_bytes = (size_t)max_bytes;
    if (parse_float != Py_None) {
        Py_INCREF(parse_float);
        self->parse_float = parse_float;
    }
    return (PyObject *)self;
}

static int superpay_traverse(SuperPayObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->parse_float);
    return 0;
}

static int superpay_clear(SuperPayObject *self)
{
    Py_CLEAR(self->parse_float);
    return 0;
}

static void superpay_dealloc(SuperPayObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);

    PyObject_GC_UnTrack(self);
    ph_superpay_key_free(self->key); /* wipes key and IV */
    call_cache_clear(&self->cache);
    Py_CLEAR(self->parse_float);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* decode(body): decrypt a callback body and return its JSON object. */
static PyObject *superpay_decode(SuperPayObject *self, PyObject *body)
{
    module_state *st = state_from_type(Py_TYPE(self));
    py_sink_ctx sink_ctx = { self->parse_float, NULL };
    call_memory mem;
    const char *plain;
    size_t plain_len;
    void *root = NULL;
    PyObject *result = NULL;
    ph_error err;
    ph_status rc;
    input in;

    if (st == NULL ||
        input_get(body, &in, "body", st->errors[PH_ERR_DECODE]) < 0)
        return NULL;
    call_memory_begin(&self->cache, &mem);
    sink_ctx.names = mem.cache != NULL ? &self->cache : NULL;
    if (in.len >= PH_GIL_RELEASE_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        rc = ph_superpay_open(self->key, in.ptr, in.len, self->max_bytes,
                              mem.scratch, &plain, &plain_len, &err);
        Py_END_ALLOW_THREADS
    } else {
        rc = ph_superpay_open(self->key, in.ptr, in.len, self->max_bytes,
                              mem.scratch, &plain, &plain_len, &err);
    }
    if (rc == PH_OK)
        rc = ph_superpay_parse(plain, plain_len, &py_sink, &sink_ctx,
                               mem.scratch, &root, &err);
    if (rc == PH_OK)
        result = root;
    else
        raise_status(st, &err);
    call_memory_end(&mem);
    input_release(&in);
    return result;
}

/* decrypt(data, iv=None) -> bytes: the raw AES-256-CBC primitive on hex. */
static PyObject *superpay_decrypt(SuperPayObject *self, PyObject *const *args,
                                  Py_ssize_t nargs)
{
    module_state *st = state_from_type(Py_TYPE(self));
    ph_scratch scratch = PH_SCRATCH_INIT;
    const unsigned char *plain, *ivp = NULL;
    size_t plain_len;
    PyObject *result = NULL;
    Py_buffer iv = { 0 };
    ph_error err;
    input in;

    if (st == NULL)
        return NULL;
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "decrypt(data, iv=None)");
        return NULL;
    }
    if (nargs == 2 && args[1] != Py_None) {
        if (PyObject_GetBuffer(args[1], &iv, PyBUF_SIMPLE) < 0)
            return NULL;
        if (iv.len != PH_AES_BLOCK) {
            PyBuffer_Release(&iv);
            PyErr_SetString(st->errors[PH_ERR_KEY], "the IV must be 16 bytes");
            return NULL;
        }
        ivp = iv.buf;
    }
    if (input_get(args[0], &in, "data", st->errors[PH_ERR_DECRYPT]) < 0) {
        if (ivp != NULL)
            PyBuffer_Release(&iv);
        return NULL;
    }
    if (ph_superpay_decrypt_hex(self->key, ivp, in.ptr, in.len,
                                self->max_bytes, &scratch, &plain, &plain_len,
                                &err) == PH_OK)
        result = PyBytes_FromStringAndSize((const char *)plain,
                                           (Py_ssize_t)plain_len);
    else
        raise_status(st, &err);
    ph_scratch_free(&scratch);
    input_release(&in);
    if (ivp != NULL)
        PyBuffer_Release(&iv);
    return result;
}

/* encrypt(plaintext: bytes) -> str: hex, with this key and its IV. */
static PyObject *superpay_encrypt(SuperPayObject *self, PyObject *arg)
{
    module_state *st = state_from_type(Py_TYPE(self));
    PyObject *result;
    char *hex = NULL;
    ph_error err;
    Py_buffer pt;

    if (st == NULL || PyObject_GetBuffer(arg, &pt, PyBUF_SIMPLE) < 0)
        return NULL;
    if (ph_superpay_encrypt(self->key, pt.buf, (size_t)pt.len, &hex, &err) !=
        PH_OK) {
        PyBuffer_Release(&pt);
        return raise_status(st, &err);
    }
    PyBuffer_Release(&pt);
    result = PyUnicode_FromString(hex);
    ph_free(hex, strlen(hex));
    return result;
}

/* _scratch_bytes() -> (env, data, text): for payhook's own tests, which
 * check that nothing a call decrypted or decoded is left in the memory the
 * decoder reuses.  Not part of the API. */
static PyObject *superpay_scratch_bytes(SuperPayObject *self, PyObject *unused)
{
    (void)unused;
    return call_cache_snapshot(&self->cache);
}

static PyMethodDef superpay_methods[] = {
    { "decode", (PyCFunction)superpay_decode, METH_O,
      "decode(body) -> dict\n\nDecrypt a SuperPay callback body." },
    { "decrypt", (PyCFunction)(void (*)(void))superpay_decrypt, METH_FASTCALL,
      "decrypt(data, iv=None) -> bytes\n\nAES-256-CBC/PKCS#7 on hex text." },
    { "encrypt", (PyCFunction)superpay_encrypt, METH_O,
      "encrypt(plaintext) -> str\n\nEncrypt bytes to lower-case hex." },
    { "_scratch_bytes", (PyCFunction)superpay_scratch_bytes, METH_NOARGS,
      "For payhook's tests only: copies of the reused scratch buffers." },
    { NULL, NULL, 0, NULL },
};

static PyType_Slot superpay_slots[] = {
    { Py_tp_new, superpay_new },
    { Py_tp_dealloc, superpay_dealloc },
    { Py_tp_traverse, superpay_traverse },
    { Py_tp_clear, superpay_clear },
    { Py_tp_methods, superpay_methods },
    { Py_tp_doc, "SuperPayKey(key, max_bytes=1048576, parse_float=None)\n\n"
                 "Low-level prepared SuperPay key; use "
                 "payhook.superpay.Decoder." },
    { 0, NULL },
};

PyType_Spec superpay_spec = {
    "payhook._payhook.SuperPayKey",
    sizeof(SuperPayObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    superpay_slots,
};
