/*
 * payhook: verify and decrypt payment-gateway payout callbacks.
 *
 * The core is plain C on OpenSSL (libcrypto) and cJSON.  It knows nothing
 * of Python or Lua: bindings call it and convert what it hands back.
 *
 * Conventions
 *   - Every function returns a ph_status; PH_OK is 0.  On failure the
 *     caller's ph_error (if not NULL) holds the status and a message built
 *     only from fixed text and numbers: never key bytes, MACs or any part of
 *     the input.
 *   - No globals, no function-static buffers.  Prepared keys are immutable
 *     after creation and may be shared between threads.
 *   - Memory that a call needs beyond its own frame lives in a ph_scratch
 *     that the caller owns, so a binding whose runtime can unwind through C
 *     (Lua's longjmp) can box it and never leak it.
 */
#ifndef PAYHOOK_H
#define PAYHOOK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Status codes and errors                                             */

typedef enum ph_status {
    PH_OK = 0,
    PH_ERR_MEMORY,            /* allocation failed                           */
    PH_ERR_ARGUMENT,          /* the caller passed an unusable option        */
    PH_ERR_KEY,               /* empty key; SuperPay key not 32 bytes        */
    PH_ERR_TOO_LARGE,         /* input over the caller's size limit          */
    PH_ERR_DECODE,            /* malformed body, token, base64, header, JSON */
    PH_ERR_SIGNATURE,         /* MAC does not match any key                  */
    PH_ERR_ALGORITHM,         /* alg missing, none, or outside the allowlist */
    PH_ERR_EXPIRED,           /* exp is in the past                          */
    PH_ERR_IMMATURE,          /* nbf or iat is in the future                 */
    PH_ERR_ISSUED_AT,         /* iat is not a number                         */
    PH_ERR_AUDIENCE,          /* aud does not match / has the wrong form     */
    PH_ERR_ISSUER,            /* iss does not match / has the wrong form     */
    PH_ERR_SUBJECT,           /* sub is not a string / does not match        */
    PH_ERR_JTI,               /* jti is not a string                         */
    PH_ERR_MISSING_CLAIM,     /* a required claim is absent or null          */
    PH_ERR_DECRYPT,           /* any failure to decrypt a SuperPay body      */
    PH_ERR_SINK,              /* the caller's JSON sink failed               */
    PH_ERR_CRYPTO,            /* OpenSSL failed internally                   */
    PH_ERR_MISSING_SIGNATURE, /* a signature header or field is absent   */
    PH_ERR_TIMESTAMP,         /* a signed timestamp outside the tolerance    */
    PH_ERR_MISMATCH,          /* an expected field differs, is absent or is
                               not covered by the signature                */
    PH_STATUS_COUNT
} ph_status;

#define PH_MESSAGE_SIZE 128

typedef struct ph_error {
    ph_status status;
    char message[PH_MESSAGE_SIZE];
} ph_error;

/* Stable name of a status, e.g. "InvalidSignatureError".  These are the
 * Python exception class names and the Lua `kind` strings.  Never NULL. */
const char *ph_status_name(ph_status status);

/* A generic sentence for a status.  Never NULL. */
const char *ph_strerror(ph_status status);

/* The version of the library, as in the VERSION file. */
const char *ph_version(void);

/* ------------------------------------------------------------------ */
/* Scratch memory                                                      */

/* Working buffers for one call at a time.  Zero-initialise it
 * (PH_SCRATCH_INIT), pass it to any number of calls, and release it with
 * ph_scratch_free(), which wipes what it held.  Pointers that a call returns
 * into the scratch stay valid until the next call that uses it, or until
 * ph_scratch_wipe().  Each `*_used` is the most of that buffer handed out
 * since it was allocated or last wiped. */
typedef struct ph_scratch {
    unsigned char *env; /* the value taken out of a body's envelope   */
    size_t env_cap;
    unsigned char *data; /* decoded header + payload, or plaintext     */
    size_t data_cap;
    unsigned char *text; /* unescaped JSON strings of one parse        */
    size_t text_cap;
    size_t env_used, data_used, text_used;
} ph_scratch;

#define PH_SCRATCH_INIT                                                       \
    {                                                                         \
        NULL, 0, NULL, 0, NULL, 0, 0, 0, 0                                    \
    }

/* Wipe (OPENSSL_cleanse) the bytes of each buffer handed out since the last
 * wipe, and only those, so the cost follows what the calls used and not
 * the capacity.  The buffers stay allocated for the next call; pointers
 * into them now point at zeros.  NULL or a zeroed scratch: nothing. */
void ph_scratch_wipe(ph_scratch *scratch);

/* Wipe and release every buffer; the scratch is zero again. */
void ph_scratch_free(ph_scratch *scratch);

/* ------------------------------------------------------------------ */
/* Limits                                                              */

#define PH_DEFAULT_MAX_BYTES ((size_t)1 << 20) /* a body or token: 1 MiB */
#define PH_MAX_DEPTH         128  /* nesting of JSON arrays and objects  */
#define PH_MAX_NUMBER_CHARS  4300 /* one literal, a leading '-' not counted */
#define PH_MAX_KEYS          16   /* keys given to one JWT verifier      */

/* ------------------------------------------------------------------ */
/* Encodings                                                           */

/* Strict base64url (RFC 4648 section 5): alphabet A-Z a-z 0-9 - _ only, no
 * padding, no whitespace, the unused trailing bits zero, and a length that
 * is not 1 mod 4.  `out` must hold ph_b64url_decoded_len(len) bytes. */
size_t ph_b64url_decoded_len(size_t len);
ph_status ph_b64url_decode(const char *in, size_t len, unsigned char *out,
                           size_t *out_len);
/* `out` must hold ph_b64url_encoded_len(len) bytes (no NUL is written). */
size_t ph_b64url_encoded_len(size_t len);
void ph_b64url_encode(const unsigned char *in, size_t len, char *out);

/* Hex of either case, even length.  `out` must hold len / 2 bytes. */
ph_status ph_hex_decode(const char *in, size_t len, unsigned char *out);
/* Lower-case hex; `out` must hold 2 * len bytes (no NUL is written). */
void ph_hex_encode(const unsigned char *in, size_t len, char *out);

/* ------------------------------------------------------------------ */
/* JSON to native values                                               */

/*
 * The parser is strict RFC 8259 (UTF-8 only, no BOM, no NaN/Infinity, no
 * lone surrogates, no raw control characters, nesting up to PH_MAX_DEPTH)
 * and hands every value to a sink that builds the host language's value.
 * Values are opaque handles to the parser; NULL means the sink failed.
 *
 * Ownership: each constructor returns a new handle.  array_append and
 * object_set take over the item (and key) whether they succeed or not.
 * The parser gives every handle it still holds back through `discard` when
 * it stops early, so a sink can count references or do nothing (Lua).
 *
 * Order: a container is opened (new_array, new_object), filled, and closed
 * (end_array, end_object) before it is handed to its own container, so a
 * sink that knows a container's size only at the close (Lua builds each
 * table at its final size there) can still hand over a finished value.
 */
typedef enum ph_number_kind {
    PH_NUMBER_INT64 = 0, /* integer literal that fits int64: `i` set   */
    PH_NUMBER_BIGINT,    /* integer literal outside int64              */
    PH_NUMBER_FLOAT      /* literal with a fraction or an exponent     */
} ph_number_kind;

typedef struct ph_json_sink {
    void *(*null_value)(void *ctx);
    void *(*bool_value)(void *ctx, int value);
    /* `text` is the literal as written, NUL-terminated at text[len]. */
    void *(*number)(void *ctx, ph_number_kind kind, int64_t i,
                    const char *text, size_t len);
    /* Valid UTF-8 with no surrogates; may contain NUL bytes; `ascii` is
     * non-zero when every byte is below 0x80.  `is_key` tells an object
     * member name from a value (a sink may cache names). */
    void *(*string)(void *ctx, const char *s, size_t len, int ascii,
                    int is_key);
    void *(*new_array)(void *ctx);
    /* `index` is the 0-based position of the item. */
    int (*array_append)(void *ctx, void *array, size_t index, void *item);
    void *(*new_object)(void *ctx);
    int (*object_set)(void *ctx, void *object, void *key, void *value);
    /* Closing a container; either may be NULL.  `count` is the number of
     * array_append calls, or of object_set calls (a repeated name counted
     * each time it was set), made on it.  Non-zero fails the parse
     * (PH_ERR_SINK); the parser keeps its handle and gives it back through
     * `discard`, as after any other failing call. */
    int (*end_array)(void *ctx, void *array, size_t count);
    int (*end_object)(void *ctx, void *object, size_t count);
    void (*discard)(void *ctx, void *value);
} ph_json_sink;

/* Parse `len` bytes of JSON into the sink.  On PH_OK *root is the
 * top-level value (owned by the caller).  Errors: PH_ERR_DECODE (with the
 * byte offset in the message), PH_ERR_SINK. */
ph_status ph_json_parse(const char *json, size_t len, const ph_json_sink *sink,
                        void *ctx, ph_scratch *s, void **root, ph_error *err);

/* A ready sink that builds a cJSON tree, for C callers.  cJSON keeps
 * numbers as doubles and strings NUL-terminated: a string with an embedded
 * NUL and an integer beyond 2^53 are rejected (PH_ERR_SINK) rather than
 * returned wrong.  Duplicate names: the last one wins, as in json.loads. */
extern const ph_json_sink ph_cjson_sink;

/* The double a JSON number literal stands for: `text` and `len` as a
 * sink's number() gets them (any literal of the JSON grammar, integers
 * too), rounded to nearest with ties to even, exactly as Python's float()
 * and strtod in the C locale round it, whatever the current locale.
 * Overflow gives an infinity, underflow zero or the nearest subnormal,
 * and "-0" -0.0.  Calls no callback and keeps nothing.  PH_OK, or
 * PH_ERR_MEMORY when a literal that needs the slow path (past 19
 * significant digits, or very near a rounding boundary) is longer than
 * its stack buffer and the copy cannot be allocated (*out is then 0). */
ph_status ph_parse_double(const char *text, size_t len, double *out);

/* ------------------------------------------------------------------ */
/* JWT (JWS compact, HS256 / HS384 / HS512)                            */

enum {
    PH_ALG_HS256 = 1u << 0,
    PH_ALG_HS384 = 1u << 1,
    PH_ALG_HS512 = 1u << 2
};

/* PH_ALG_* bit for an algorithm name ("HS256"), 0 if not one of ours. */
unsigned ph_alg_from_name(const char *name, size_t len);

/* A prepared verifier: one key, or several during a rotation, and the
 * allowed algorithms.  Keys are copied (and wiped on free); an empty key is
 * PH_ERR_KEY; an empty allowlist or an unknown bit is PH_ERR_ARGUMENT. */
typedef struct ph_jwt_verifier ph_jwt_verifier;

ph_status ph_jwt_verifier_new(const unsigned char *const *keys,
                              const size_t *key_lens, size_t nkeys,
                              unsigned algorithms, ph_jwt_verifier **out,
                              ph_error *err);
void ph_jwt_verifier_free(ph_jwt_verifier *v);

/* Claim checks, as PyJWT does them.  Fill with ph_claims_init(). */
enum {
    PH_CLAIM_EXP = 1u << 0,
    PH_CLAIM_NBF = 1u << 1,
    PH_CLAIM_IAT = 1u << 2,
    PH_CLAIM_AUD = 1u << 3,
    PH_CLAIM_ISS = 1u << 4,
    PH_CLAIM_SUB = 1u << 5,
    PH_CLAIM_JTI = 1u << 6
};

typedef struct ph_str {
    const char *ptr;
    size_t len;
} ph_str;

#define PH_MAX_REQUIRED   32 /* claim names in ph_claims.required     */
#define PH_MAX_CLAIM_NAME 96 /* bytes of a name the message can hold  */

typedef struct ph_claims {
    double now;       /* Unix seconds                              */
    double leeway;    /* seconds, >= 0                             */
    unsigned verify;  /* PH_CLAIM_* bits to check (default: all)   */
    unsigned require; /* PH_CLAIM_* bits that must be present      */
    /* Further names that must be present and not null, registered or not,
     * checked in this order after the `require` bits (PyJWT's
     * options["require"]); at most PH_MAX_REQUIRED (else
     * PH_ERR_ARGUMENT).  NULL: none. */
    const ph_str *required;
    size_t n_required;
    const ph_str *audience; /* NULL: no audience asked for               */
    size_t n_audience;
    int strict_aud;       /* aud must be one string equal to audience  */
    const ph_str *issuer; /* NULL: iss not checked                     */
    size_t n_issuer;
    const ph_str *subject; /* NULL: sub only type-checked               */
} ph_claims;

void ph_claims_init(ph_claims *c, double now);

/* Step 1: verify a compact token, taken exactly as given (whitespace
 * around it is not trimmed: it fails the header's base64url, as in
 * PyJWT).  In PyJWT's order: splits it into three segments, decodes the
 * header (strict base64url, one JSON object), the payload and the
 * signature (strict base64url), applies the header rules (no duplicate
 * names, `kid` a string, no `crit`, `b64` or `enc`), requires `alg` to be
 * a string in the allowlist, and checks the MAC in constant time against
 * each key.  Touches no JSON value of the payload.  Messages are PyJWT's
 * for the failures PyJWT has ("Not enough segments", "Invalid header
 * padding", "Signature verification failed", ...) and say why where
 * payhook is stricter.  Safe to call without any language lock.
 *
 * ph_jwt_verify gives the payload bytes (in scratch->data);
 * ph_jwt_verify_parts gives every decoded part.  On failure the parts are
 * all NULL / 0. */
typedef struct ph_jws_parts {
    const char *header; /* the header's JSON text, decoded        */
    size_t header_len;
    const char *payload; /* the payload bytes, decoded             */
    size_t payload_len;
    const unsigned char *signature; /* the MAC, decoded            */
    size_t signature_len;
    unsigned algorithm; /* the PH_ALG_* bit of the header's alg    */
} ph_jws_parts;

ph_status ph_jwt_verify(const ph_jwt_verifier *v, const char *token,
                        size_t len, size_t max_bytes, ph_scratch *s,
                        const char **payload, size_t *payload_len,
                        ph_error *err);
ph_status ph_jwt_verify_parts(const ph_jwt_verifier *v, const char *token,
                              size_t len, size_t max_bytes, ph_scratch *s,
                              ph_jws_parts *parts, ph_error *err);

/* The header of a token that is NOT verified (PyJWT's
 * get_unverified_header, for choosing a key by `kid`): every check of
 * ph_jwt_verify up to, not including, the algorithm and the MAC.  Never
 * trust what it says before the token is verified.  *header is the
 * decoded JSON text, in scratch->data; nothing of the payload is given
 * out. */
ph_status ph_jwt_read_header(const char *token, size_t len, size_t max_bytes,
                             ph_scratch *s, const char **header,
                             size_t *header_len, ph_error *err);

/* Step 2: parse a verified payload into the sink (it must be an object)
 * and check the claims in the same pass.  On a claim failure the built
 * value is discarded and *root stays NULL.  A `now` or `leeway` that is
 * not finite, or a negative leeway, is PH_ERR_ARGUMENT. */
ph_status ph_jwt_parse_claims(const char *payload, size_t len,
                              const ph_claims *claims,
                              const ph_json_sink *sink, void *ctx,
                              ph_scratch *s, void **root, ph_error *err);

/* Sign: header_json and payload_json are JSON texts the caller built.
 * Writes a NUL-terminated token into *token (free with ph_free). */
ph_status ph_jwt_sign(const char *header_json, size_t header_len,
                      const char *payload_json, size_t payload_len,
                      unsigned algorithm, const unsigned char *key,
                      size_t key_len, char **token, ph_error *err);

/* ------------------------------------------------------------------ */
/* LeanX                                                               */

/* Find the token in a LeanX body: {"data": "<jwt>", ...} (other members
 * ignored, "data" exactly once, its string exactly the token: no
 * whitespace inside the quotes) or a bare token, with surrounding JSON
 * whitespace allowed.  *token points into `body` or into scratch->env. */
ph_status ph_leanx_token(const char *body, size_t len, size_t max_bytes,
                         ph_scratch *s, const char **token, size_t *token_len,
                         ph_error *err);

/* ------------------------------------------------------------------ */
/* AES-256-CBC and SuperPay                                            */

#define PH_AES_KEY_LEN 32
#define PH_AES_BLOCK   16

/* Raw AES-256-CBC with PKCS#7 padding, checked in constant time (no
 * branch on the padding bytes).  Every decryption failure (length not a
 * positive multiple of 16, bad padding) is PH_ERR_DECRYPT with one message.
 * Output goes to scratch->data. */
ph_status ph_aes256cbc_decrypt(const unsigned char key[PH_AES_KEY_LEN],
                               const unsigned char iv[PH_AES_BLOCK],
                               const unsigned char *ct, size_t len,
                               ph_scratch *s, const unsigned char **pt,
                               size_t *pt_len, ph_error *err);
/* Writes len + (16 - len % 16) bytes to *ct (free with ph_free). */
ph_status ph_aes256cbc_encrypt(const unsigned char key[PH_AES_KEY_LEN],
                               const unsigned char iv[PH_AES_BLOCK],
                               const unsigned char *pt, size_t len,
                               unsigned char **ct, size_t *ct_len,
                               ph_error *err);

/* A prepared SuperPay key: the 32 key bytes and IV = MD5(key).  A key of
 * any other length is PH_ERR_KEY.  Wiped on free. */
typedef struct ph_superpay_key ph_superpay_key;

ph_status ph_superpay_key_new(const unsigned char *key, size_t len,
                              ph_superpay_key **out, ph_error *err);
void ph_superpay_key_free(ph_superpay_key *k);
/* The IV this key uses (MD5 of the key). */
void ph_superpay_key_iv(const ph_superpay_key *k,
                        unsigned char iv[PH_AES_BLOCK]);

/* Decrypt a SuperPay body: {"encryptedData": "<hex>"} or bare hex, with
 * surrounding JSON whitespace allowed.  A body that is not one of those
 * shapes is PH_ERR_DECODE.  Once the hex has been found, the hex decoding,
 * the decryption, the PKCS#7 check and a check that the plaintext is a
 * JSON object token by token (every token's grammar, UTF-8, which token
 * may follow which) all run to the end in a time that depends on the
 * length alone, and every failure (bad hex, bad length, bad padding, not
 * JSON, not an object) is PH_ERR_DECRYPT with one message: nothing tells
 * an attacker which check failed, by its status or by its time.  What
 * needs memory of the text (bracket types, depth, nothing after the
 * object, the length of a number) is checked by ph_superpay_parse, which
 * fails the same way: only both together say the plaintext is one strict
 * JSON object.  The plaintext goes to scratch->data. */
ph_status ph_superpay_open(const ph_superpay_key *k, const char *body,
                           size_t len, size_t max_bytes, ph_scratch *s,
                           const char **plain, size_t *plain_len,
                           ph_error *err);

/* Decrypt hex ciphertext (no envelope; the plaintext may be anything):
 * hex, decryption and padding checked as in ph_superpay_open.  `iv` NULL:
 * the key's IV. */
ph_status ph_superpay_decrypt_hex(const ph_superpay_key *k,
                                  const unsigned char *iv, const char *hex,
                                  size_t len, size_t max_bytes, ph_scratch *s,
                                  const unsigned char **plain,
                                  size_t *plain_len, ph_error *err);

/* Parse decrypted plaintext into the sink: call it only after
 * ph_superpay_open succeeded, so that nothing is built from text that has
 * not passed the constant-time checks.  It must be one strict JSON object
 * (this parse completes ph_superpay_open's check); any failure but
 * PH_ERR_MEMORY, a sink failure included, is PH_ERR_DECRYPT with the same
 * message as a padding failure (a binding clears whatever error its sink
 * left pending before it reports that one). */
ph_status ph_superpay_parse(const char *plain, size_t len,
                            const ph_json_sink *sink, void *ctx, ph_scratch *s,
                            void **root, ph_error *err);

/* Encrypt plaintext bytes with the key and its IV; *hex is NUL-terminated
 * lower-case hex (free with ph_free). */
ph_status ph_superpay_encrypt(const ph_superpay_key *k,
                              const unsigned char *pt, size_t len, char **hex,
                              ph_error *err);

/* ------------------------------------------------------------------ */
/* Primitives the gateways share                                       */

/* Strict standard base64 (RFC 4648 section 4): alphabet A-Z a-z 0-9 + /,
 * `=` padding to a multiple of 4, the unused trailing bits zero, nothing
 * else (no whitespace, no URL alphabet).  `out` must hold
 * ph_b64_decoded_len(len) bytes.  PH_ERR_DECODE on anything else. */
size_t ph_b64_decoded_len(size_t len);
ph_status ph_b64_decode(const char *in, size_t len, unsigned char *out,
                        size_t *out_len);
/* Padded; `out` must hold ph_b64_encoded_len(len) bytes (no NUL). */
size_t ph_b64_encoded_len(size_t len);
void ph_b64_encode(const unsigned char *in, size_t len, char *out);

/* HMAC of the concatenation of `nparts` byte strings.  `digest` is
 * PH_DIGEST_SHA256 or PH_DIGEST_SHA512; `out` must hold 64 bytes;
 * *out_len is the MAC length.  An empty key is PH_ERR_KEY. */
typedef enum ph_digest { PH_DIGEST_SHA256 = 0, PH_DIGEST_SHA512 } ph_digest;

ph_status ph_hmac(ph_digest digest, const unsigned char *key, size_t key_len,
                  const ph_str *parts, size_t nparts, unsigned char *out,
                  size_t *out_len, ph_error *err);

/* The SHA-1 of `len` bytes as 40 lowercase hex digits and a NUL, for a
 * replay guard's record of what it processed (see digest.c); not for
 * authenticating anything.  PH_ERR_MEMORY if OpenSSL cannot run it. */
#define PH_SHA1_HEX_LEN 40
ph_status ph_sha1_hex(const void *data, size_t len,
                      char out[PH_SHA1_HEX_LEN + 1], ph_error *err);

/* A keyed fingerprint of bytes: SipHash-2-4 with its 128-bit output,
 * under a random salt drawn when the fingerprinter is made (see
 * digest.c), for keying a cache by secret arguments without keeping
 * them.  Thread-safe once made; the salt is wiped on free. */
#define PH_FINGERPRINT_LEN 16
typedef struct ph_fingerprinter ph_fingerprinter;

ph_status ph_fingerprinter_new(ph_fingerprinter **out, ph_error *err);
/* The fingerprint of the concatenation of the parts. */
ph_status ph_fingerprint(const ph_fingerprinter *f, const ph_str *parts,
                         size_t nparts, unsigned char out[PH_FINGERPRINT_LEN],
                         ph_error *err);
void ph_fingerprinter_free(ph_fingerprinter *f);

/* An RSA public key for PKCS#1 v1.5 signatures, read from PEM
 * (SubjectPublicKeyInfo "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY").  A key
 * that is not PEM, not RSA, a private key, or outside 2048..16384 bits is
 * PH_ERR_KEY.  Immutable once made; may be shared between threads. */
typedef struct ph_rsa_key ph_rsa_key;

ph_status ph_rsa_key_new(const char *pem, size_t len, ph_rsa_key **out,
                         ph_error *err);
void ph_rsa_key_free(ph_rsa_key *k);
/* The modulus length in bytes: the length of every valid signature. */
size_t ph_rsa_key_size(const ph_rsa_key *k);

/* RSASSA-PKCS1-v1_5 verification of `msg` against `sig`: PH_OK, or
 * PH_ERR_SIGNATURE for any mismatch (a wrong length included). */
ph_status ph_rsa_verify(const ph_rsa_key *k, ph_digest digest,
                        const unsigned char *msg, size_t len,
                        const unsigned char *sig, size_t sig_len,
                        ph_error *err);

/* Signing with a PEM private key, for building test callbacks.  *sig is
 * allocated (free with ph_free). */
ph_status ph_rsa_sign(const char *private_pem, size_t pem_len,
                      ph_digest digest, const unsigned char *msg, size_t len,
                      unsigned char **sig, size_t *sig_len, ph_error *err);

/* A Unix time in seconds as a scheme writes it: ASCII digits only, 1 to 15
 * of them, no sign, no leading zero unless it is "0".  PH_ERR_DECODE
 * otherwise. */
ph_status ph_timestamp_parse(const char *text, size_t len, int64_t *out,
                             ph_error *err);

/* |now - ts| <= tolerance, both bounds included: PH_OK, else
 * PH_ERR_TIMESTAMP.  `now` and `tolerance` must be finite and the
 * tolerance >= 0 (PH_ERR_ARGUMENT).  The clock is the caller's: tests pass
 * a fixed one. */
ph_status ph_timestamp_check(int64_t ts, double now, double tolerance,
                             ph_error *err);

/* ------------------------------------------------------------------ */
/* Gateways: one pipeline for every callback                           */

/*
 * A callback is a request: the raw body and the request headers.  A
 * gateway is a description (csrc/gw_*.c) of where its signature is, what it
 * authenticates and how its payload is encoded; every gateway is opened by
 * the same steps:
 *
 *   ph_gateway_key_new    the caller's key(s), checked for the form the
 *                         gateway takes (PH_ERR_KEY)
 *   ph_gateway_open       size limit, find the signed parts, authenticate
 *                         them, check the signed timestamp; nothing of the
 *                         payload is parsed before that
 *   ph_gateway_parse      the authenticated payload into the caller's sink
 *   ph_gateway_event_id   the id to deduplicate on, from the result
 *   ph_gateway_expect     the merchant's expected fields, compared exactly
 *
 * ph_gateway_sign builds a genuine callback, for merchants' tests.
 */
typedef struct ph_header {
    const char *name; /* compared case-insensitively */
    size_t name_len;
    const char *value; /* used exactly as given */
    size_t value_len;
} ph_header;

typedef struct ph_request {
    const char *body;
    size_t body_len;
    const ph_header *headers; /* in the order received; may repeat */
    size_t n_headers;
    const char *query; /* a redirect's query string (no '?'), or NULL */
    size_t query_len;
} ph_request;

#define PH_MAX_HEADERS  256 /* headers handed to one call             */
#define PH_EVENT_ID_MAX 256 /* bytes of an event id                   */

typedef struct ph_gateway ph_gateway;

/* The registered gateways, in a fixed order: ph_gateway_at(i) for i from
 * 0 until it returns NULL.  ph_gateway_find: NULL for an unknown name. */
const ph_gateway *ph_gateway_at(size_t i);
const ph_gateway *ph_gateway_find(const char *name, size_t len);

/* Its name ("stripe"), as the bindings spell the module, and its title
 * ("Stripe"). */
const char *ph_gateway_name(const ph_gateway *g);
const char *ph_gateway_title(const ph_gateway *g);

/* What the signature covers: PH_COVERS_PAYLOAD (the whole payload, every
 * field of it), PH_COVERS_FIELDS (a form's named fields: see
 * ph_result_covers) or PH_COVERS_NOTHING (SuperPay: encrypted, not
 * signed). */
enum { PH_COVERS_NOTHING = 0, PH_COVERS_PAYLOAD = 1, PH_COVERS_FIELDS = 2 };
int ph_gateway_covers(const ph_gateway *g);

/* What the payload is: a JSON object, or a form's fields (which
 * ph_gateway_parse hands to the sink as an object of strings).  A binding
 * serialises a test payload for ph_gateway_sign accordingly. */
enum { PH_PAYLOAD_JSON = 0, PH_PAYLOAD_FORM = 1 };
int ph_gateway_payload_kind(const ph_gateway *g);

/* The reply the gateway expects once the callback was handled: an HTTP
 * status, a body (may be empty) and its content type. */
typedef struct ph_reply {
    int status;
    const char *body;
    size_t body_len;
    const char *content_type;
    /* Fiuu: the form to POST back to the gateway (the received fields and
     * treq=1) when it asks for that instead of a reply body; else NULL. */
    const char *repost;
    size_t repost_len;
} ph_reply;

const ph_reply *ph_gateway_reply(const ph_gateway *g);

/* The seconds of tolerance a gateway that signs a timestamp allows by
 * default, 0 for one that signs none (ph_gateway_signs_time() is 0). */
int ph_gateway_signs_time(const ph_gateway *g);
/* Whether opening or parsing reads ph_options.now (a signed timestamp or
 * JWT claims): a binding may skip reading the clock when it does not. */
int ph_gateway_uses_clock(const ph_gateway *g);
double ph_gateway_default_tolerance(const ph_gateway *g);

/* A prepared key: 1 to PH_MAX_KEYS keys of the gateway's kind (a rotation:
 * any one may match).  Copied, and wiped on free; immutable once made, so
 * it may be shared between threads. */
typedef struct ph_gateway_key ph_gateway_key;

ph_status ph_gateway_key_new(const ph_gateway *g,
                             const unsigned char *const *keys,
                             const size_t *key_lens, size_t nkeys,
                             ph_gateway_key **out, ph_error *err);
void ph_gateway_key_free(ph_gateway_key *k);
const ph_gateway *ph_gateway_key_gateway(const ph_gateway_key *k);

typedef struct ph_options {
    double now;       /* Unix seconds: timestamps and JWT claims    */
    double tolerance; /* seconds either side; < 0: the gateway's    */
    double leeway;    /* JWT claims (LeanX, 2C2P), seconds >= 0     */
    size_t max_bytes; /* the body                                   */
} ph_options;

void ph_options_init(ph_options *o, double now);

/* One field of a parsed form: decoded, valid UTF-8, the name non-empty
 * and (for the gateways) flattened: billplz[id] is "billplzid". */
typedef struct ph_form_field {
    ph_str name;
    ph_str value;
} ph_form_field;

#define PH_FORM_MAX_FIELDS 128

/* Strict application/x-www-form-urlencoded: '&'-separated name=value
 * (each segment must have '='; an empty segment is an error), '+' a space,
 * %XX of either case, any other '%' an error, decoded names and values
 * valid UTF-8, names non-empty and never repeated, at most
 * PH_FORM_MAX_FIELDS fields.  Empty text: no fields.  Fields go to
 * scratch->env, their bytes to scratch->data.  PH_ERR_DECODE otherwise. */
ph_status ph_form_parse(const char *text, size_t len, ph_scratch *s,
                        const ph_form_field **fields, size_t *n,
                        ph_error *err);

/* What ph_gateway_open found.  `payload` points into the request body or
 * into the scratch, valid until the scratch is used again; for a form
 * gateway `fields` holds the form instead. */
typedef struct ph_result {
    const ph_gateway *gateway;
    const char *payload;
    size_t payload_len;
    int has_timestamp;
    int64_t timestamp;     /* the signed timestamp, when has_timestamp  */
    const char *id_header; /* the event id from a header, or NULL       */
    size_t id_header_len;
    const ph_form_field *fields; /* a form gateway's fields, or NULL */
    size_t n_fields;
    ph_reply reply; /* what to answer, for this callback */
} ph_result;

/* Whether the signature of an opened result covers the payload field
 * `name` (a top-level member, or a form field). */
int ph_result_covers(const ph_result *r, const char *name, size_t len);

/* Authenticate a request.  Errors: PH_ERR_TOO_LARGE, PH_ERR_MISSING_SIGNATURE
 * (a header the signature needs is absent or empty), PH_ERR_DECODE (a
 * malformed or repeated header, envelope or token), PH_ERR_SIGNATURE,
 * PH_ERR_ALGORITHM, PH_ERR_TIMESTAMP, PH_ERR_DECRYPT (SuperPay),
 * PH_ERR_ARGUMENT (options), PH_ERR_MEMORY, PH_ERR_CRYPTO. */
ph_status ph_gateway_open(const ph_gateway_key *k, const ph_request *rq,
                          const ph_options *o, ph_scratch *s, ph_result *r,
                          ph_error *err);

/* Parse the payload of an opened request into the sink (a JSON object;
 * for JWT gateways with the registered claims checked).  *root is owned by
 * the caller.  Errors as ph_json_parse and ph_jwt_parse_claims;
 * SuperPay's are all PH_ERR_DECRYPT. */
ph_status ph_gateway_parse(const ph_gateway_key *k, const ph_result *r,
                           const ph_options *o, const ph_json_sink *sink,
                           void *ctx, ph_scratch *s, void **root,
                           ph_error *err);

/* The event id of a parsed result into `buf` (PH_EVENT_ID_MAX bytes):
 * *found 0 when the callback carries none (a field absent or not a string
 * or number).  Fields are joined with ':' (SuperPay's transaction id and
 * status: "10310:SUCCESS").  An id longer than PH_EVENT_ID_MAX is
 * PH_ERR_DECODE. */
ph_status ph_gateway_event_id(const ph_result *r, char *buf, size_t *len,
                              int *found, ph_error *err);

/* Compare the merchant's expected fields with the parsed result: `paths`
 * are dotted member paths ("data.order.amount"), `values` the exact text
 * (a string field's decoded text, a number field's literal as written).
 * PH_ERR_MISMATCH when a field differs, is absent, is neither a string
 * nor a number, or when the gateway's signature does not cover it. */
ph_status ph_gateway_expect(const ph_result *r, const ph_str *paths,
                            const ph_str *values, size_t n, ph_error *err);

/* A genuine callback, for tests: `payload` is the JSON text to send,
 * `key` the gateway's key (for CHIP the PEM private key), `timestamp`
 * and `event_id` used where the scheme carries them (event_id NULL: one is
 * made up from random bytes; an event id given to a gateway whose id comes
 * from the payload is PH_ERR_ARGUMENT). */
typedef struct ph_sign_input {
    const char *payload;
    size_t payload_len;
    const unsigned char *key;
    size_t key_len;
    int64_t timestamp;
    const char *event_id;
    size_t event_id_len;
} ph_sign_input;

#define PH_SIGNED_MAX_HEADERS 4

typedef struct ph_signed {
    char *body; /* allocated                              */
    size_t body_len;
    ph_header headers[PH_SIGNED_MAX_HEADERS];
    size_t n_headers;
    char *store; /* the header names and values            */
    size_t store_len;
} ph_signed;

ph_status ph_gateway_sign(const ph_gateway *g, const ph_sign_input *in,
                          ph_signed *out, ph_error *err);
void ph_signed_free(ph_signed *out);

/* ------------------------------------------------------------------ */

/* Free memory the library returned (tokens, ciphertext), wiping it. */
void ph_free(void *p, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PAYHOOK_H */
