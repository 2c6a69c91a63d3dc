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
    PH_ERR_MEMORY,          /* allocation failed                           */
    PH_ERR_ARGUMENT,        /* the caller passed an unusable option        */
    PH_ERR_KEY,             /* empty key; SuperPay key not 32 bytes        */
    PH_ERR_TOO_LARGE,       /* input over the caller's size limit          */
    PH_ERR_DECODE,          /* malformed body, token, base64, header, JSON */
    PH_ERR_SIGNATURE,       /* MAC does not match any key                  */
    PH_ERR_ALGORITHM,       /* alg missing, none, or outside the allowlist */
    PH_ERR_EXPIRED,         /* exp is in the past                          */
    PH_ERR_IMMATURE,        /* nbf or iat is in the future                 */
    PH_ERR_ISSUED_AT,       /* iat is not a number                         */
    PH_ERR_AUDIENCE,        /* aud does not match / has the wrong form     */
    PH_ERR_ISSUER,          /* iss does not match / has the wrong form     */
    PH_ERR_SUBJECT,         /* sub is not a string / does not match        */
    PH_ERR_JTI,             /* jti is not a string                         */
    PH_ERR_MISSING_CLAIM,   /* a required claim is absent or null          */
    PH_ERR_DECRYPT,         /* any failure to decrypt a SuperPay body      */
    PH_ERR_SINK,            /* the caller's JSON sink failed               */
    PH_ERR_CRYPTO,          /* OpenSSL failed internally                   */
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
    unsigned char *env;     /* the value taken out of a body's envelope   */
    size_t env_cap;
    unsigned char *data;    /* decoded header + payload, or plaintext     */
    size_t data_cap;
    unsigned char *text;    /* unescaped JSON strings of one parse        */
    size_t text_cap;
    size_t env_used, data_used, text_used;
    /* Set by ph_superpay_open for ph_superpay_parse: where the strings of
     * the checked plaintext end (in env), for that plaintext only.  Any
     * later use of env or data forgets it. */
    const unsigned char *marks;
    const void *marks_for;
    size_t marks_len;
} ph_scratch;

#define PH_SCRATCH_INIT {NULL, 0, NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL, 0}

/* Wipe (OPENSSL_cleanse) the bytes of each buffer handed out since the last
 * wipe, and only those, so the cost follows what the calls used and not
 * the capacity.  The buffers stay allocated for the next call; pointers
 * into them now point at zeros.  NULL or a zeroed scratch: nothing. */
void ph_scratch_wipe(ph_scratch *scratch);

/* Wipe and release every buffer; the scratch is zero again. */
void ph_scratch_free(ph_scratch *scratch);

/* ------------------------------------------------------------------ */
/* Limits                                                              */

#define PH_DEFAULT_MAX_BYTES ((size_t)1 << 20)  /* a body or token: 1 MiB */
#define PH_MAX_DEPTH 128           /* nesting of JSON arrays and objects  */
#define PH_MAX_NUMBER_CHARS 4300   /* one literal, a leading '-' not counted */
#define PH_MAX_KEYS 16             /* keys given to one JWT verifier      */

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
 */
typedef enum ph_number_kind {
    PH_NUMBER_INT64 = 0,    /* integer literal that fits int64: `i` set   */
    PH_NUMBER_BIGINT,       /* integer literal outside int64              */
    PH_NUMBER_FLOAT         /* literal with a fraction or an exponent     */
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
    /* Closing a container; may be NULL. */
    int (*end_array)(void *ctx, void *array, size_t count);
    void (*discard)(void *ctx, void *value);
} ph_json_sink;

/* Parse `len` bytes of JSON into the sink.  On PH_OK *root is the
 * top-level value (owned by the caller).  Errors: PH_ERR_DECODE (with the
 * byte offset in the message), PH_ERR_SINK. */
ph_status ph_json_parse(const char *json, size_t len,
                        const ph_json_sink *sink, void *ctx, ph_scratch *s,
                        void **root, ph_error *err);

/* A ready sink that builds a cJSON tree, for C callers.  cJSON keeps
 * numbers as doubles and strings NUL-terminated: a string with an embedded
 * NUL and an integer beyond 2^53 are rejected (PH_ERR_SINK) rather than
 * returned wrong.  Duplicate names: the last one wins, as in json.loads. */
extern const ph_json_sink ph_cjson_sink;

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

typedef struct ph_claims {
    double now;              /* Unix seconds                              */
    double leeway;           /* seconds, >= 0                             */
    unsigned verify;         /* PH_CLAIM_* bits to check (default: all)   */
    unsigned require;        /* PH_CLAIM_* bits that must be present      */
    const ph_str *audience;  /* NULL: no audience asked for               */
    size_t n_audience;
    int strict_aud;          /* aud must be one string equal to audience  */
    const ph_str *issuer;    /* NULL: iss not checked                     */
    size_t n_issuer;
    const ph_str *subject;   /* NULL: sub only type-checked               */
} ph_claims;

void ph_claims_init(ph_claims *c, double now);

/* Step 1: verify a compact token.  Splits it, checks the header (a JSON
 * object, no duplicate names, `alg` a string in the allowlist, no `crit`,
 * `b64` or `enc`), checks the MAC in constant time against each key, and
 * decodes the payload bytes into scratch->data.  Touches no JSON value of
 * the payload.  Safe to call without any language lock. */
ph_status ph_jwt_verify(const ph_jwt_verifier *v, const char *token,
                        size_t len, size_t max_bytes, ph_scratch *s,
                        const char **payload, size_t *payload_len,
                        ph_error *err);

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
#define PH_AES_BLOCK 16

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
 * the decryption, the PKCS#7 check and a check that the plaintext is one
 * strict JSON object all run to the end in a time that depends on the
 * length alone, and every failure (bad hex, bad length, bad padding, not
 * JSON, not an object) is PH_ERR_DECRYPT with one message: nothing tells
 * an attacker which check failed, by its status or by its time.  The
 * plaintext goes to scratch->data; the scratch also keeps marks for
 * ph_superpay_parse (see ph_scratch). */
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
 * not passed every check.  It must be a JSON object; any failure but
 * PH_ERR_MEMORY, a sink failure included, is PH_ERR_DECRYPT with the same
 * message as a padding failure (a binding clears whatever error its sink
 * left pending before it reports that one). */
ph_status ph_superpay_parse(const char *plain, size_t len,
                            const ph_json_sink *sink, void *ctx,
                            ph_scratch *s, void **root, ph_error *err);

/* Encrypt plaintext bytes with the key and its IV; *hex is NUL-terminated
 * lower-case hex (free with ph_free). */
ph_status ph_superpay_encrypt(const ph_superpay_key *k,
                              const unsigned char *pt, size_t len, char **hex,
                              ph_error *err);

/* ------------------------------------------------------------------ */

/* Free memory the library returned (tokens, ciphertext), wiping it. */
void ph_free(void *p, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PAYHOOK_H */
