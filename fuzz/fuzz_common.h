/*
 * What the libFuzzer harnesses share: a checking JSON sink that counts
 * every handle it gives out, independent checkers for UTF-8, the JSON
 * number grammar, base64url and hex, and the rules every error record
 * must follow.  Nothing here trusts the code it checks: the only calls
 * into payhook are to the functions under check (ph_number_to_double,
 * compared with strtod) and the status tables.
 */
#ifndef PAYHOOK_FUZZ_COMMON_H
#define PAYHOOK_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "payhook.h"

/* Stop the run with a message: libFuzzer saves the input as a crash. */
#define FZ_CHECK(cond, what)                                               \
    do {                                                                   \
        if (!(cond))                                                       \
            fz_fail(__FILE__, __LINE__, (what));                           \
    } while (0)

void fz_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

/* The rules for the error record of any call that returned `st`:
 *   - err->status equals st;
 *   - for a failure, the message is non-empty, NUL-terminated inside
 *     PH_MESSAGE_SIZE, printable ASCII only (it is built from fixed text
 *     and numbers, so an input byte has no way in), and holds no run of
 *     FZ_KEY_WINDOW bytes of `key`;
 *   - the status has a name and a sentence.
 * `key` may be NULL. */
#define FZ_KEY_WINDOW 6
void fz_check_error(ph_status st, const ph_error *err,
                    const unsigned char *key, size_t key_len);

/* Independent checkers (UTF-8 is tests/model's model_utf8_ok). */
int fz_json_number_ok(const char *s, size_t len);
/* Strict unpadded base64url as RFC 4648 section 5 defines it, decoded by
 * a different method from the library's.  Returns the decoded length, or
 * -1 when the text is not canonical base64url.  `out` may be NULL. */
long fz_b64url_decode(const char *in, size_t len, unsigned char *out);
/* Encodes into `out` (room for 4 * ceil(len / 3) bytes); returns the
 * length written. */
size_t fz_b64url_encode(const unsigned char *in, size_t len, char *out);

/* JSON whitespace trimmed from both ends, as the bodies allow. */
void fz_trim(const char **p, size_t *len);

/* Whether the parser accepts `json` as one object (what SuperPay's opening
 * requires of a plaintext). */
int fz_json_object_ok(const char *json, size_t len);

/* An accepted JWT must be exactly three canonical base64url segments (no
 * whitespace around them), the last one a digest long; aborts otherwise. */
void fz_check_jwt_canonical(const char *tok, size_t len);

/* Non-zero when valid JSON text may be rejected by the cJSON this is
 * linked with, so a "cJSON accepts what payhook accepts" check must be
 * skipped: released cJSON 1.7.15 cuts number literals at 63 characters
 * (Debian's build and later releases do not; this asks at first use). */
int fz_cjson_blind_spot(const char *json, size_t len);

/* Non-zero when the text holds the escape \u0000, which
 * cJSON keeps in values but cuts names at. */
int fz_has_escaped_nul(const char *json, size_t len);

/* The spans of the top-level members ("name": value) of a JSON object
 * text that is already known to be valid, found by a bracket-and-string
 * skipper independent of the library.  Returns how many there are, or -1
 * when there are more than `max` or the text is not an object. */
long fz_object_members(const char *json, size_t len, size_t spans[][2],
                       size_t max);

/* ------------------------------------------------------------------ */
/* The checking sink                                                   */

enum {
    FZ_NULL = 1, FZ_BOOL, FZ_NUMBER, FZ_STRING, FZ_ARRAY, FZ_OBJECT
};

typedef struct fz_node fz_node;

typedef struct fz_sink_ctx {
    long live;              /* handles created and not yet freed        */
    long calls;             /* sink calls so far                        */
    long fail_at;           /* fail the call with this number (1-based) */
    int duplicate_names;    /* an object repeated a member name         */
    /* Where strings and number text may live: the parsed text itself or
     * the scratch text area. */
    const unsigned char *src;
    size_t src_len;
    const ph_scratch *scratch;
} fz_sink_ctx;

/* Checks every call it gets: handles are live and not yet owned by a
 * container, indices count up from 0, each container is closed once, with
 * the count of its appends or sets, before it goes into another one,
 * strings are valid UTF-8 with a
 * truthful `ascii` flag, numbers follow the grammar, their kind and
 * int64 value agree with the text and ph_number_to_double (what the claim
 * checks use) reads them as strtod does, and every pointer handed over
 * lies in the input or the scratch text area. */
extern const ph_json_sink fz_sink;

void fz_sink_init(fz_sink_ctx *c, const void *src, size_t src_len,
                  const ph_scratch *scratch, long fail_at);
/* Free a tree the parser returned. */
void fz_sink_free(fz_sink_ctx *c, void *root);
/* Node count of a tree, and the kind of its root (FZ_*). */
long fz_sink_count(const void *root);
int fz_sink_type(const void *root);

#endif
