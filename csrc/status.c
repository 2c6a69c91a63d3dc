/* Status names, messages and the error record. */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#include "internal.h"

#ifndef PH_VERSION
#error "PH_VERSION must be defined by the build (from the VERSION file)"
#endif

/* Indexed by ph_status.  The names are the Python exception classes and
 * the Lua `kind` strings: they are part of the API and never change. */
static const struct {
    const char *name;
    const char *text;
} status_table[PH_STATUS_COUNT] = {
    [PH_OK] = { "OK", "success" },
    [PH_ERR_MEMORY] = { "MemoryError", "out of memory" },
    [PH_ERR_ARGUMENT] = { "ValueError", "invalid argument" },
    [PH_ERR_KEY] = { "InvalidKeyError", "invalid key" },
    [PH_ERR_TOO_LARGE] = { "PayloadTooLargeError", "input too large" },
    [PH_ERR_DECODE] = { "DecodeError", "malformed input" },
    [PH_ERR_SIGNATURE] = { "InvalidSignatureError",
                           "Signature verification failed" },
    [PH_ERR_ALGORITHM] = { "InvalidAlgorithmError",
                           "The specified alg value is not allowed" },
    [PH_ERR_EXPIRED] = { "ExpiredSignatureError", "Signature has expired" },
    [PH_ERR_IMMATURE] = { "ImmatureSignatureError",
                          "The token is not yet valid" },
    [PH_ERR_ISSUED_AT] = { "InvalidIssuedAtError",
                           "Issued At claim (iat) must be an integer." },
    [PH_ERR_AUDIENCE] = { "InvalidAudienceError", "Invalid audience" },
    [PH_ERR_ISSUER] = { "InvalidIssuerError", "Invalid issuer" },
    [PH_ERR_SUBJECT] = { "InvalidSubjectError", "Invalid subject" },
    [PH_ERR_JTI] = { "InvalidJTIError", "invalid JWT ID" },
    [PH_ERR_MISSING_CLAIM] = { "MissingRequiredClaimError",
                               "a required claim is missing" },
    [PH_ERR_DECRYPT] = { "DecryptionError", "decryption failed" },
    [PH_ERR_SINK] = { "SinkError", "the value could not be built" },
    [PH_ERR_CRYPTO] = { "PayhookError", "internal cryptography failure" },
    [PH_ERR_MISSING_SIGNATURE] = { "MissingSignatureError",
                                   "the signature is missing" },
    [PH_ERR_TIMESTAMP] = { "InvalidTimestampError",
                           "the signed timestamp is outside the tolerance" },
    [PH_ERR_MISMATCH] = { "FieldMismatchError",
                          "a field differs from the expected value" },
};

const char *ph_status_name(ph_status status)
{
    if ((unsigned)status >= PH_STATUS_COUNT)
        return "PayhookError";
    return status_table[status].name;
}

const char *ph_strerror(ph_status status)
{
    if ((unsigned)status >= PH_STATUS_COUNT)
        return "unknown error";
    return status_table[status].text;
}

const char *ph_version(void)
{
    return PH_VERSION;
}

ph_status ph_fail(ph_error *err, ph_status status, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->status = status;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

void ph_clear_openssl_errors(void)
{
    ERR_clear_error();
}
