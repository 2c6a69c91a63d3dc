/*
 * _payhook.memo_digest(args) -> bytes | None: the key under which the
 * one-call functions' memo keeps a prepared decoder (payhook/_keys.py).
 *
 * The arguments are written in a form that no other argument list shares
 * (a type tag, then a length or a terminator, as _keys._feed writes them)
 * and fingerprinted with the core's salted HMAC, so the memo never holds a
 * key as a Python object, nor an unsalted hash of one.  This is the same
 * job as _keys._memo_key for the arguments one-call functions are usually
 * given (str or bytes keys, lists of them, numbers, None), at a small part
 * of its cost; anything else (a callable such as parse_float, a timedelta,
 * a subclass, a very long argument list) returns None, and the caller
 * takes the Python path, whose digests never meet these (a different
 * MAC).  The encoded bytes hold key material and are wiped before return.
 */
#include <openssl/crypto.h>

#include "binding.h"

#define MEMO_STACK_BYTES 512
#define MEMO_MAX_BYTES   (64 * 1024) /* longer: not cached here   */
#define MEMO_MAX_DEPTH   4           /* lists of lists of keys    */

typedef struct memo_buf {
    unsigned char *p;
    size_t len, cap;
    unsigned char stack[MEMO_STACK_BYTES];
} memo_buf;

/* 1 when the bytes fit (growing the buffer), 0 when past MEMO_MAX_BYTES
 * or out of memory (both mean: not cached here). */
static int put(memo_buf *b, const void *data, size_t n)
{
    if (n > MEMO_MAX_BYTES - b->len)
        return 0;
    if (b->len + n > b->cap) {
        size_t cap = b->cap * 2 >= b->len + n ? b->cap * 2 : b->len + n;
        unsigned char *p = malloc(cap);
        if (p == NULL)
            return 0;
        memcpy(p, b->p, b->len);
        OPENSSL_cleanse(b->p, b->len);
        if (b->p != b->stack)
            free(b->p);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return 1;
}

/* A tag and a length, then the bytes. */
static int put_sized(memo_buf *b, char tag, const void *data, size_t n)
{
    char head[32];
    int h = snprintf(head, sizeof head, "%c%zx:", tag, n);

    return put(b, head, (size_t)h) && put(b, data, n);
}

/* 1 written, 0 not cached here, -1 a Python error is set. */
static int encode(memo_buf *b, PyObject *v, int depth)
{
    char tmp[40];
    int n;

    if (PyBytes_CheckExact(v))
        return put_sized(b, 'b', PyBytes_AS_STRING(v),
                         (size_t)PyBytes_GET_SIZE(v));
    if (PyUnicode_CheckExact(v)) {
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(v, &len);
        if (s == NULL) {
            /* Lone surrogates: the Python path encodes them. */
            PyErr_Clear();
            return 0;
        }
        return put_sized(b, 's', s, (size_t)len);
    }
    if (PyBool_Check(v))
        return put(b, v == Py_True ? "?1" : "?0", 2);
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow)
            return 0;
        if (x == -1 && PyErr_Occurred())
            return -1;
        n = x < 0 ? snprintf(tmp, sizeof tmp, "i-%llx;",
                             0ull - (unsigned long long)x)
                  : snprintf(tmp, sizeof tmp, "i%llx;", (unsigned long long)x);
        return put(b, tmp, (size_t)n);
    }
    if (PyFloat_CheckExact(v)) {
        double d = PyFloat_AS_DOUBLE(v);
        tmp[0] = 'F'; /* the double's 8 bytes: one per value */
        memcpy(tmp + 1, &d, sizeof d);
        return put(b, tmp, 1 + sizeof d);
    }
    if (v == Py_None)
        return put(b, "n", 1);
    if ((PyTuple_CheckExact(v) || PyList_CheckExact(v)) &&
        depth < MEMO_MAX_DEPTH) {
        /* A list can change while it is read (a str's UTF-8 is cached, so
         * nothing here runs Python code, but stay safe): hold a tuple. */
        PyObject *seq = PySequence_Tuple(v);
        Py_ssize_t i, len;
        int rc;
        if (seq == NULL)
            return -1;
        len = PyTuple_GET_SIZE(seq);
        n = snprintf(tmp, sizeof tmp,
                     "%c%zx:", PyTuple_CheckExact(v) ? 't' : 'l', (size_t)len);
        rc = put(b, tmp, (size_t)n);
        for (i = 0; i < len && rc == 1; i++)
            rc = encode(b, PyTuple_GET_ITEM(seq, i), depth + 1);
        Py_DECREF(seq);
        return rc;
    }
    return 0;
}

PyObject *py_memo_digest(PyObject *module, PyObject *args)
{
    module_state *st = PyModule_GetState(module);
    memo_buf b;
    unsigned char fp[PH_FINGERPRINT_LEN];
    PyObject *out = NULL;
    ph_error err;
    int rc;

    if (!PyTuple_CheckExact(args)) {
        PyErr_SetString(PyExc_TypeError, "memo_digest() takes a tuple");
        return NULL;
    }
    b.p = b.stack;
    b.len = 0;
    b.cap = sizeof b.stack;
    rc = encode(&b, args, 0);
    if (rc == 1) {
        ph_str part = { (const char *)b.p, b.len };
        if (ph_fingerprint(st->fingerprinter, &part, 1, fp, &err) == PH_OK)
            out = PyBytes_FromStringAndSize((const char *)fp, sizeof fp);
        else
            raise_status(st, &err);
        OPENSSL_cleanse(fp, sizeof fp);
    } else if (rc == 0) {
        Py_INCREF(Py_None);
        out = Py_None;
    }
    OPENSSL_cleanse(b.p, b.len);
    if (b.p != b.stack)
        free(b.p);
    return out;
}
