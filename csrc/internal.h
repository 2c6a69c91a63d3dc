/* Private helpers shared by the core's source files. */
#ifndef PAYHOOK_INTERNAL_H
#define PAYHOOK_INTERNAL_H

#include <string.h>

#include <openssl/evp.h>

#include "payhook.h"

/* Record a failure: status plus a fixed message (printf-style, numbers
 * only: never input bytes).  Returns the status for `return ph_fail(...)`. */
ph_status ph_fail(ph_error *err, ph_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Drop whatever OpenSSL queued, so a failure here never leaks into an
 * unrelated caller's error report. */
void ph_clear_openssl_errors(void);

/* Make sure one of the scratch buffers holds at least `need` bytes and
 * return it (NULL with PH_ERR_MEMORY).  Old content is wiped before the
 * buffer moves; it is not kept. */
unsigned char *ph_scratch_env(ph_scratch *s, size_t need, ph_error *err);
unsigned char *ph_scratch_data(ph_scratch *s, size_t need, ph_error *err);
unsigned char *ph_scratch_text(ph_scratch *s, size_t need, ph_error *err);

static inline int ph_is_json_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The byte each one-letter JSON escape (\n, \", ...) stands for, by its
 * letter; 0 for any other letter, 'u' included (json_parse.c). */
extern const unsigned char ph_json_escape[256];

/* Trim JSON whitespace from both ends of [*p, *p + *len). */
void ph_trim_space(const char **p, size_t *len);

/* Find the string member `name` of the top-level JSON object in `body`.
 * The member must occur exactly once and be a string.  *value points into
 * body (no escapes) or into scratch->env (unescaped).  Failures are
 * PH_ERR_DECODE with `what` naming the body in the message. */
ph_status ph_envelope_member(const char *body, size_t len, const char *name,
                             const char *what, ph_scratch *s,
                             const char **value, size_t *value_len,
                             ph_error *err);

/* Parse a JSON text whose top level must be an object, calling `on_member`
 * for every top-level member name before its value is parsed.  The hook
 * sets *capture to receive the member's value through `on_value`.  Used by
 * the claim checks and the JWT header checks. */
typedef struct ph_top_hook {
    /* Called with each top-level name.  Return non-zero to be given the
     * value through on_value. */
    int (*on_member)(void *hctx, const char *name, size_t len);
    /* The captured value: a scalar, or an array whose string elements
     * arrive one by one through on_element.  `type` is one of PH_JT_*. */
    void (*on_value)(void *hctx, int type, const char *text, size_t len,
                     int truthy);
    void (*on_element)(void *hctx, int type, const char *text, size_t len);
    void *hctx;
} ph_top_hook;

enum {
    PH_JT_NULL = 0,
    PH_JT_FALSE,
    PH_JT_TRUE,
    PH_JT_NUMBER,
    PH_JT_STRING,
    PH_JT_ARRAY,
    PH_JT_OBJECT
};

/* ph_json_parse with a hook on the top-level members.  The top level must
 * be an object (PH_ERR_DECODE otherwise).  `sink` may be NULL to validate
 * only. */
ph_status ph_json_parse_hooked(const char *json, size_t len,
                               const ph_json_sink *sink, void *ctx,
                               const ph_top_hook *hook, ph_scratch *s,
                               void **root, ph_error *err);

/* A JSON text that failed ph_json_parse_hooked as a JWT header or payload
 * (`what`): "Invalid <what> string: must be a json object" when it is not
 * an object at all, else "Invalid <what> string: <the JSON error>", as
 * PyJWT words them.  Returns PH_ERR_DECODE. */
ph_status ph_jwt_json_failure(const char *json, size_t len, const char *what,
                              ph_error *err);

/* A JSON number literal (already checked against the grammar) as a
 * double: ph_parse_double's value, or NaN if memory ran out. */
double ph_number_to_double(const char *text, size_t len);

/* strtod of `len` bytes of `text` (NUL-terminated or not) as if the C
 * locale were in force: '.' is swapped for the locale's decimal point on
 * a private copy.  ph_parse_double's slow path, correctly rounded for
 * any length.  PH_ERR_MEMORY when the copy does not fit the stack buffer
 * and cannot be allocated (*out 0). */
ph_status ph_strtod_c(const char *text, size_t len, double *out);

/* The one failure message of every decryption. */
extern const char ph_decrypt_message[];

/* AES-256-CBC decryption of `len` bytes (a positive multiple of 16) into
 * `out`, padding left in place.  PH_ERR_CRYPTO if OpenSSL fails. */
ph_status ph_aes_cbc_raw(EVP_CIPHER_CTX *ctx,
                         const unsigned char key[PH_AES_KEY_LEN],
                         const unsigned char iv[PH_AES_BLOCK],
                         const unsigned char *ct, size_t len,
                         unsigned char *out, ph_error *err);

/* Where a kept context's CBC stream stands: the ciphertext block its next
 * update chains from, when that is known (`valid`). */
typedef struct ph_aes_chain {
    unsigned char last[PH_AES_BLOCK];
    int valid;
} ph_aes_chain;

/* ph_aes_cbc_raw on a kept, keyed context without setting its IV again
 * (that re-initialisation cost about 90 ns, half the decryption of a
 * 1.3 KB callback): EVP's stream goes on from the previous call's last
 * ciphertext block, so only the first block comes out wrong, and XORing
 * it with that block and `iv` mends it.  With the chain unknown (valid 0:
 * the first call, or after a failure) the IV is set the usual way.  Whether a call takes one path or
 * the other depends on earlier failures of OpenSSL or of the length,
 * never on the ciphertext's bytes. */
ph_status ph_aes_cbc_chained(EVP_CIPHER_CTX *ctx, ph_aes_chain *chain,
                             const unsigned char iv[PH_AES_BLOCK],
                             const unsigned char *ct, size_t len,
                             unsigned char *out, ph_error *err);

/* The same on a fresh context with `key` (whose schedule is wiped when the
 * context is freed). */
ph_status ph_aes256cbc_raw(const unsigned char key[PH_AES_KEY_LEN],
                           const unsigned char iv[PH_AES_BLOCK],
                           const unsigned char *ct, size_t len,
                           unsigned char *out, ph_error *err);

/* PKCS#7 check of the last block of `pt`, in constant time: all ones if
 * the padding is valid (*pad_len its length), else 0 (*pad_len 0).  With
 * `blank` the padding bytes of a valid block become spaces, so that a JSON
 * check can read all `len` bytes either way. */
unsigned ph_pkcs7_check(unsigned char *pt, size_t len, size_t *pad_len,
                        int blank);

/* The constant-time JSON check of json_ct.c: 1 if `text` is JSON token
 * by token as ph_json_parse_hooked reads a top-level object (the grammar
 * of every token and which token may follow which), in a time that
 * depends on `len` alone.  Every text the parser accepts passes; what
 * needs memory (bracket types, PH_MAX_DEPTH, ':' only in an object,
 * nothing after the top-level object, PH_MAX_NUMBER_CHARS) is the parse's
 * to refuse.  `work` must hold `len` bytes; it is left holding what the
 * text's bytes are, so it is scratch to wipe. */
int ph_json_ct_scan(const unsigned char *text, size_t len,
                    unsigned char *work);
/* The forms of the scan, for the tests that compare them: the plain C
 * chain and its x86-64 assembly, the same two bytes a load (pairs), and
 * the AVX-512 VBMI composition.  ph_json_ct_scan uses the fastest this CPU
 * has; ph_json_ct_scan_with a given one, which must be available. */
typedef enum ph_json_ct_form {
    PH_JSON_CT_C = 1,
    PH_JSON_CT_CHAIN,
    PH_JSON_CT_COMPOSED,
    PH_JSON_CT_PAIRS_C,
    PH_JSON_CT_PAIRS
} ph_json_ct_form;
int ph_json_ct_form_available(ph_json_ct_form form);
int ph_json_ct_scan_with(const unsigned char *text, size_t len,
                         unsigned char *work, ph_json_ct_form form);

/* The loops of base64url and hex decoding: the tables' (encoding.c), and
 * for the bulk of the text SSE2's, AVX2's and AVX-512 VBMI's
 * (b64url_simd.c, encoding.c), on x86-64 with gcc or clang.
 * ph_b64url_decode and ph_hex_decode take the best the CPU has
 * (simd_loops.c). */
#if defined(__x86_64__) && defined(__SSE2__) && defined(__GNUC__)
#define PH_SIMD_X86 1
#else
#define PH_SIMD_X86 0
#endif

/* The functions that use AVX-512 VBMI (these loops and json_ct.c's
 * composed scan) are built for it with this, and run only where
 * ph_cpu_has_vbmi() says the CPU and OS have it (0 off x86-64/gcc). */
#define PH_VBMI_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi")))
int ph_cpu_has_vbmi(void);
typedef enum ph_simd_loop {
    PH_SIMD_SCALAR,
    PH_SIMD_SSE2, /* then the table's for the rest */
    PH_SIMD_AVX2, /* then SSE2's, then the table's */
    PH_SIMD_VBMI  /* AVX-512 VBMI, then the loops below it */
} ph_simd_loop;

/* 1 if this build and CPU can run `loop`. */
int ph_simd_loop_available(ph_simd_loop loop);
ph_simd_loop ph_simd_best_loop(void);

/* Decode the first groups of four of the `n` characters at `in` (n a
 * multiple of 4) with `loop` into `out`, leaving at least the last 16
 * characters, and return how many were decoded (0 for the table's loop);
 * bit 7 of *bad is set if one was outside the alphabet.  May write up to
 * 8 bytes past the output of what it decoded, within the output of the
 * n characters. */
size_t ph_b64url_bulk(ph_simd_loop loop, const unsigned char *in, size_t n,
                      unsigned char *out, unsigned *bad);

/* ph_b64url_decode through the given loop (which must be available):
 * the same answer whichever, which the tests check. */
ph_status ph_b64url_decode_with(ph_simd_loop loop, const char *in, size_t len,
                                unsigned char *out, size_t *out_len);

/* ph_hex_decode through the given loop (which must be available), with
 * the same answer and, as it, no branch on the text. */
ph_status ph_hex_decode_with(ph_simd_loop loop, const char *in, size_t len,
                             unsigned char *out);

/* Each hex digit's value (either case), and 0x100 for any other byte
 * (encoding.c, whose hex decoding builds its low halves from it). */
extern const uint16_t ph_hex_value[256];

/* The value of the four hex digits at p, as a \uXXXX escape has them;
 * -1 if one is not a hex digit.  One OR of the four lookups collects the
 * error bit, with no branch per digit: a text of \u escapes is one of
 * these after another. */
static inline int ph_hex4(const unsigned char *p, unsigned *out)
{
    unsigned a = ph_hex_value[p[0]], b = ph_hex_value[p[1]],
             c = ph_hex_value[p[2]], d = ph_hex_value[p[3]];

    if ((a | b | c | d) & 0x100)
        return -1;
    *out = a << 12 | b << 8 | c << 4 | d;
    return 0;
}

/* Eight bytes at p as a word whose lowest byte is p[0], on any host. */
static inline uint64_t ph_load_le64(const unsigned char *p)
{
    uint64_t w;

    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* How many of the first len bytes at p are ASCII (below 0x80), eight at
 * a time: forms and header values are nearly always ASCII, and a byte's
 * loop over them cost more than the decode that follows. */
static inline size_t ph_ascii_run(const unsigned char *p, size_t len)
{
    size_t i = 0;

    while (len - i >= 8 &&
           (ph_load_le64(p + i) & UINT64_C(0x8080808080808080)) == 0)
        i += 8;
    while (i < len && p[i] < 0x80)
        i++;
    return i;
}

/* SipHash-2-4, 128-bit output, of the concatenation of the parts
 * (siphash.c).  The state is wiped before return. */
#define PH_SIPHASH_KEY_LEN 16
#define PH_SIPHASH_LEN     16
void ph_siphash128(const unsigned char key[PH_SIPHASH_KEY_LEN],
                   const ph_str *parts, size_t nparts,
                   unsigned char out[PH_SIPHASH_LEN]);

/* The index of the lowest set bit of m (m != 0). */
static inline unsigned ph_lowest_bit(unsigned m)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctz(m);
#else
    unsigned i = 0;
    while ((m & 1) == 0) {
        m >>= 1;
        i++;
    }
    return i;
#endif
}

/* The index of the lowest non-zero byte of w (w != 0; byte 0 is the least
 * significant). */
static inline unsigned ph_lowest_byte(uint64_t w)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(w) / 8;
#else
    unsigned i = 0;
    while ((w & 0xff) == 0) {
        w >>= 8;
        i++;
    }
    return i;
#endif
}

/* Bit 7 set in each byte of w that equals c (the classic "has a zero
 * byte" trick on the XOR with c).  A borrow only runs upward from a byte
 * that is itself marked, so the lowest mark is exact and none is set when
 * no byte is c; marks above the lowest may be wrong, so callers read
 * only the lowest (ph_lowest_byte). */
static inline uint64_t ph_byte_marks(uint64_t w, unsigned char c)
{
    const uint64_t ones = UINT64_C(0x0101010101010101);
    uint64_t x = w ^ (ones * c);

    return (x - ones) & ~x & UINT64_C(0x8080808080808080);
}

#endif
