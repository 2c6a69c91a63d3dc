/* Shared declarations of the CPython binding.  The binding checks
 * arguments, calls the core and converts results and errors; behaviour
 * lives in csrc/. */
#ifndef PAYHOOK_BINDING_H
#define PAYHOOK_BINDING_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "payhook.h"

#if PY_VERSION_HEX < 0x030C0000
#include <structmember.h> /* T_PYSSIZET, READONLY */
#define Py_T_PYSSIZET T_PYSSIZET
#define Py_READONLY   READONLY
#endif

/* Version gates, named for what they enable. */
#define PH_HAVE_GETMODULEBYDEF    (PY_VERSION_HEX >= 0x030B0000)
#define PH_HAVE_MULTI_INTERP_SLOT (PY_VERSION_HEX >= 0x030C0000)
#define PH_HAVE_GIL_SLOT          (PY_VERSION_HEX >= 0x030D0000)

/* Inputs of at least this many bytes are verified or decrypted with the
 * GIL released.  Callbacks are a few KB; below this the release costs more
 * than it frees. */
#define PH_GIL_RELEASE_BYTES (64 * 1024)

typedef struct module_state {
    PyObject *errors[PH_STATUS_COUNT]; /* exception class per status */
    PyTypeObject *verifier_type;
    PyTypeObject *superpay_type;
    PyTypeObject *gateway_type;
    PyTypeObject *memo_type;
    ph_fingerprinter *fingerprinter; /* keys the one-call memo (memo.c) */
} module_state;

extern PyModuleDef payhook_module_def;

/* The salted fingerprint of an argument list, under which the one-call
 * functions' memo (memo.c) keeps a decoder: 1 made, 0 not made here (the
 * Python path keys it), -1 a Python error is set (memo_key.c). */
int memo_digest_args(module_state *st, PyObject *const *args, Py_ssize_t nargs,
                     unsigned char fp[PH_FINGERPRINT_LEN]);
/* What calling the Memo `memo` with args answers: its kept decoder for
 * them, or a new one (a new reference; NULL with an error set). */
PyObject *memo_lookup(PyObject *memo, PyObject *const *args, Py_ssize_t nargs);
/* _payhook.memo_digest(args): the same, bytes or None. */
PyObject *py_memo_digest(PyObject *module, PyObject *args);

/* The module state of the module that defined `type` (or a base of it). */
module_state *state_from_type(PyTypeObject *type);

/* Raise the exception for a failed core call.  PH_ERR_SINK leaves the
 * exception the sink set; PH_ERR_DECRYPT replaces it (unless it is not an
 * Exception, such as KeyboardInterrupt) with DecryptionError and the core's
 * one message.  PH_ERR_MEMORY is MemoryError.  Always returns NULL. */
PyObject *raise_status(module_state *st, const ph_error *err);

/* A body, token or ciphertext: str (as UTF-8), bytes, or any other
 * buffer (bytearray, memoryview), which is copied first so that it cannot
 * change between the MAC check and the decoding.  The bytes may then be
 * read with the GIL released. */
typedef struct input {
    const char *ptr;
    size_t len;
    PyObject *owned; /* the private copy, or NULL */
} input;

/* 0 on success; -1 with TypeError (wrong type) or `bad_text` (a str that
 * cannot be encoded as UTF-8) set. */
int input_get(PyObject *obj, input *in, const char *what, PyObject *bad_text);
void input_release(input *in);

/* A tuple of 1 to PH_MAX_KEYS bytes keys, as pointers into the bytes
 * objects (alive as long as the tuple): the count, or -1 with
 * InvalidKeyError (none, too many) or TypeError set. */
Py_ssize_t keys_get(module_state *st, PyObject *keys,
                    const unsigned char **ptrs, size_t *lens);

/* The sink that turns parsed JSON into Python objects, as json.loads
 * would.  `parse_float` may be NULL. */
typedef struct py_sink_ctx {
    PyObject *parse_float;
    struct call_cache *names; /* member-name cache, or NULL */
} py_sink_ctx;

extern const ph_json_sink py_sink;

/* Seconds since the epoch, as time.time() gives them. */
double now_seconds(void);

/* Type specs. */
extern PyType_Spec verifier_spec;
extern PyType_Spec superpay_spec;
extern PyType_Spec gateway_spec;
extern PyType_Spec memo_spec;
extern PyType_Spec onecall_spec;

/* gateway.c's module functions. */
PyObject *py_gateways(PyObject *module, PyObject *unused);
PyObject *py_parse_form(PyObject *module, PyObject *arg);
PyObject *py_gateway_sign(PyObject *module, PyObject *const *args,
                          Py_ssize_t nargs);

#endif
