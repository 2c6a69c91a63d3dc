/*
 * The C test binary: a small case/assertion framework, helpers shared by
 * the suites, and the suites' entry points.
 *
 * A case starts with t_begin() and ends with t_end(); every CHECK inside
 * it that fails prints where and why, and the case counts as failed.  The
 * binary ends with one line, "N passed, N failed", counting cases.
 */
#ifndef PAYHOOK_TEST_RUNNER_H
#define PAYHOOK_TEST_RUNNER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "payhook.h"

#if defined(__GNUC__)
#define T_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define T_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------ */
/* Cases and checks (runner.c)                                         */

void t_begin(const char *fmt, ...) T_PRINTF(1, 2);
/* Closes the current case; returns 1 if it passed. */
int t_end(void);
/* Records a failure when `ok` is zero; returns `ok`. */
int t_check(int ok, const char *file, int line, const char *fmt, ...)
    T_PRINTF(4, 5);
/* The name of the current case, for messages. */
const char *t_case_name(void);

/* CHECK(cond, fmt, ...): evaluates to cond's truth (0 or 1); on failure
 * records it with the formatted reason. */
#define CHECK(cond, ...) t_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Status comparison with both names in the message; `got` is evaluated
 * once. */
int t_check_status(ph_status got, ph_status want, const char *what,
                   const char *file, int line);
#define CHECK_STATUS(got, want, what)                                       \
    t_check_status((got), (want), (what), __FILE__, __LINE__)

/* ------------------------------------------------------------------ */
/* Helpers (util.c)                                                    */

/* Whole file into a malloc'd NUL-terminated buffer; NULL if unreadable. */
char *t_read_file(const char *path, size_t *len);
/* A file parsed with cJSON; NULL (and a failed check) if it cannot be. */
cJSON *t_load_json(const char *path);
/* "dir/name" in a malloc'd string. */
char *t_join(const char *dir, const char *name);
/* Sorted names of the regular files in `dir` ending with `suffix`;
 * *count entries, free with t_free_names.  NULL if the dir is missing. */
char **t_list_dir(const char *dir, const char *suffix, size_t *count);
void t_free_names(char **names, size_t count);

/* Hex to bytes with the test's own decoder (not the library's): returns
 * a malloc'd buffer (at least one byte) or NULL on bad hex. */
unsigned char *t_unhex(const char *hex, size_t *len);
/* The next of a seeded xorshift64 sequence (the state must not be 0):
 * repeatable random test inputs. */
unsigned t_random(uint64_t *state);
/* Bytes to a malloc'd NUL-terminated lower-case hex string. */
char *t_tohex(const unsigned char *p, size_t len);

/* Two cJSON values equal as JSON values: objects compared by member
 * names in any order (both sides hold each name once), arrays in order,
 * numbers as doubles.  cJSON_Compare is not used: it compares objects in
 * both directions at every level, which is exponential in the depth. */
int t_json_equal(const cJSON *a, const cJSON *b);

/* `needle` occurs in `hay`. */
int t_contains(const void *hay, size_t hay_len, const void *needle,
               size_t needle_len);

/* The checks every error must pass: status recorded, message non-empty
 * and terminated, and none of the `nsecrets` secrets (each at least 4
 * bytes long; shorter ones are skipped) inside it. */
void t_check_error(const ph_error *err, ph_status st,
                   const unsigned char *const *secrets,
                   const size_t *secret_lens, size_t nsecrets);

/* A ph_error filled with junk, so a missing message shows. */
void t_error_reset(ph_error *err);

/* ------------------------------------------------------------------ */
/* JWT helpers (jwt_helpers.c)                                         */

/* Two keys of 25 bytes for tokens made by the tests. */
extern const unsigned char t_key1[], t_key2[];
extern const size_t t_key1_len, t_key2_len;
/* A verifier for one key (NULL and a failed check if it cannot be). */
ph_jwt_verifier *t_verifier(const unsigned char *k, size_t len,
                            unsigned algs);
/* A token from ph_jwt_sign (free with ph_free), NULL on failure. */
char *t_sign(const char *hdr, const char *pl, unsigned alg,
             const unsigned char *k, size_t klen);
/* ph_jwt_verify; on failure also checks the error record, which must not
 * hold either test key. */
ph_status t_verify(const ph_jwt_verifier *v, const char *tok, size_t max,
                   ph_scratch *s, const char **pl, size_t *pl_len);

/* ------------------------------------------------------------------ */
/* An exact sink (exact_sink.c)                                        */

/*
 * A "canonical writer": records every event the parser hands over without
 * losing anything (numbers as their literal text, strings as bytes with
 * their length, NULs included), duplicate names resolved as json.loads
 * does.  Used where ph_cjson_sink has to give up (PH_ERR_SINK).  Each
 * container records the count its close was given; every call counts
 * against `budget`, end_array and end_object included.
 */
typedef struct t_node t_node;
struct t_node {
    int type;                   /* cJSON_* type bits of the value        */
    ph_number_kind kind;        /* numbers                               */
    long long ival;             /* numbers of kind PH_NUMBER_INT64       */
    char *text;                 /* number literal, string bytes, name    */
    size_t len;
    t_node *child, *next;       /* arrays and objects; object members    */
    t_node *name;               /* object members: the name node         */
    size_t added;               /* containers: append / set calls        */
    int closes;                 /* containers: end_array / end_object    */
    size_t closed_with;         /* the count the close was given         */
};

typedef struct t_exact_ctx {
    long live;                  /* handles not yet freed                 */
    long budget;                /* fail a call after this many (-1: no)  */
    long calls;
} t_exact_ctx;

extern const ph_json_sink t_exact_sink;
void t_node_free(t_exact_ctx *ctx, t_node *n);
/* Compare an exact tree with an expected cJSON value as far as cJSON can
 * represent it; reports mismatches as failed checks under `where`. */
int t_node_matches(const t_node *n, const cJSON *want, const char *where);
/* A fixed, canonical serialisation of an exact tree (for messages and
 * byte-exact comparisons): malloc'd, NUL-terminated, *len bytes. */
char *t_node_dump(const t_node *n, size_t *len);

/* ------------------------------------------------------------------ */
/* Suites                                                              */

void run_units_encoding(void);
void run_units_json(void);
void run_units_status(void);
void run_units_jwt(void);
void run_units_providers(void);
void run_units_claims(void);
void run_threads(void);
void run_threads_rsa(void);
void run_shared_vectors(const char *dir);
void run_wycheproof(const char *shared_dir);
void run_rfc_vectors(const char *shared_dir);

/* The vectors dir given on the command line (for finding VERSION). */
extern const char *t_vectors_dir;

#endif
