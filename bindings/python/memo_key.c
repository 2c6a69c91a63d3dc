/*
 * The fingerprint under which the one-call functions' memo (memo.c)
 * keeps a prepared decoder.
 *
 * The arguments are written in a form that no other argument list shares
 * (a type tag, then a length or a terminator, as _keys._feed writes them)
 * and fingerprinted with the core's salted SipHash, so the memo never
 * holds a key as a Python object, nor an unsalted hash of one.  This is
 * the same job as _keys._memo_key for the arguments one-call functions
 * are usually given (str or bytes keys, lists of them, numbers, None),
 * run without any Python code; anything else (a callable such as
 * parse_float, a timedelta, a subclass, a very long argument list) is
 * not made here, and the caller takes the Python path, whose digests
 * never meet these (a different MAC).  The encoded bytes hold key
 * material and are wiped before return.
 *
 * _payhook.memo_digest(args) gives the fingerprint to Python (the tests,
 * and _keys._memo_key).
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

/* A tag, an optional minus sign, x in lowercase hex and a terminator:
 * what "%c%llx;" would print, without snprintf's cost on this path. */
static int put_number(memo_buf *b, char tag, int negative,
                      unsigned long long x, char end)
{
    char tmp[2 + 16 + 1], digits[16];
    size_t n = 0, d = 0;

    tmp[n++] = tag;
    if (negative)
        tmp[n++] = '-';
    do {
        digits[d++] = "0123456789abcdef"[x & 15];
        x >>= 4;
    } while (x != 0);
    while (d > 0)
        tmp[n++] = digits[--d];
    tmp[n++] = end;
    return put(b, tmp, n);
}

/* A tag and a length, then the bytes. */
static int put_sized(memo_buf *b, char tag, const void *data, size_t n)
{
    return put_number(b, tag, 0, n, ':') && put(b, data, n);
}

/* A tuple or list tag, its length, then each item. */
static int encode(memo_buf *b, PyObject *v, int depth);

static int encode_items(memo_buf *b, char tag, PyObject *const *items,
                        Py_ssize_t len, int depth)
{
    Py_ssize_t i;
    int rc = put_number(b, tag, 0, (unsigned long long)len, ':');

    for (i = 0; i < len && rc == 1; i++)
        rc = encode(b, items[i], depth + 1);
    return rc;
}

/* 1 written, 0 not cached here, -1 a Python error is set. */
static int encode(memo_buf *b, PyObject *v, int depth)
{
    char tmp[1 + sizeof(double)];

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
        return x < 0 ? put_number(b, 'i', 1, 0ull - (unsigned long long)x, ';')
                     : put_number(b, 'i', 0, (unsigned long long)x, ';');
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
        int rc;
        if (seq == NULL)
            return -1;
        rc = encode_items(b, PyTuple_CheckExact(v) ? 't' : 'l',
                          &PyTuple_GET_ITEM(seq, 0), PyTuple_GET_SIZE(seq),
                          depth);
        Py_DECREF(seq);
        return rc;
    }
    return 0;
}

/* The fingerprint of an argument list: 1 made, 0 not made here (the
 * Python path keys it), -1 a Python error is set. */
int memo_digest_args(module_state *st, PyObject *const *args, Py_ssize_t nargs,
                     unsigned char fp[PH_FINGERPRINT_LEN])
{
    memo_buf b;
    ph_error err;
    int rc;

    b.p = b.stack;
    b.len = 0;
    b.cap = sizeof b.stack;
    rc = encode_items(&b, 't', args, nargs, 0);
    if (rc == 1) {
        ph_str part = { (const char *)b.p, b.len };
        if (ph_fingerprint(st->fingerprinter, &part, 1, fp, &err) != PH_OK) {
            raise_status(st, &err);
            rc = -1;
        }
    }
    OPENSSL_cleanse(b.p, b.len);
    if (b.p != b.stack)
        free(b.p);
    return rc;
}

PyObject *py_memo_digest(PyObject *module, PyObject *args)
{
    unsigned char fp[PH_FINGERPRINT_LEN];
    PyObject *out;
    int rc;

    if (!PyTuple_CheckExact(args)) {
        PyErr_SetString(PyExc_TypeError, "memo_digest() takes a tuple");
        return NULL;
    }
    rc =
        memo_digest_args(PyModule_GetState(module), &PyTuple_GET_ITEM(args, 0),
                         PyTuple_GET_SIZE(args), fp);
    if (rc < 0)
        return NULL;
    if (rc == 0)
        Py_RETURN_NONE;
    out = PyBytes_FromStringAndSize((const char *)fp, sizeof fp);
    OPENSSL_cleanse(fp, sizeof fp);
    return out;
}
