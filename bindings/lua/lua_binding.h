/* Shared declarations of the Lua binding's C files (payhook.core).
 *
 * The binding checks arguments, calls the core and converts what comes
 * back.  C memory it holds across anything that can raise a Lua error
 * lives in a userdata whose __gc frees it (phl_work, the prepared keys), so
 * a longjmp out of a call never leaks it. */
#ifndef PAYHOOK_LUA_BINDING_H
#define PAYHOOK_LUA_BINDING_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "compat.h"
#include "payhook.h"

/* Registry names of the metatables and of the array metatable. */
#define PHL_VERIFIER_MT "payhook.Verifier"
#define PHL_SUPERPAY_MT "payhook.SuperPayKey"
#define PHL_WORK_MT     "payhook.work"
#define PHL_GATEWAY_MT  "payhook.Gateway"
#define PHL_ARRAY_MT    "payhook.array_mt"

/* ------------------------------------------------------------------ */
/* C memory of a call (lua_work.c)                                     */

/* Strings copied out of an option table (audience, issuer, subject), back
 * to back, in the order they were read. */
typedef struct phl_texts {
    char *bytes; /* malloc'd; `used` of `cap` bytes filled */
    size_t used, cap;
    size_t *lens; /* malloc'd; the length of each string    */
    size_t count, lens_cap;
} phl_texts;

typedef struct phl_work {
    ph_scratch scratch; /* the core's working buffers             */
    cJSON *tree;        /* a value being encoded                  */
    char *text;         /* its printed JSON (cJSON's allocator)   */
    char *out;          /* a token or hex from the core (ph_free) */
    size_t out_len;
    ph_jwt_verifier *verifier; /* prepared by a one-shot function        */
    ph_superpay_key *key;
    ph_gateway_key *gkey; /* a gateway key of a one-shot function   */
    ph_signed sig;        /* a callback ph_gateway_sign built       */
    phl_texts texts;      /* option strings being read              */
    int kept;             /* a decoder's kept box (phl_kept)        */
} phl_work;

/* Register the work box's metatable (nothing is left on the stack). */
void phl_work_type(lua_State *L);
/* Push a new, empty work box and return it.  Raises only on memory
 * errors, before anything is allocated. */
phl_work *phl_work_new(lua_State *L);
/* Free (and where the core does so, wipe) everything the box holds; the
 * box stays usable and its __gc finds nothing left to do. */
void phl_work_release(phl_work *w);
/* A call is done with its box: a call's own box is released; a kept one
 * has the bytes the call used in its scratch wiped (the buffers stay for
 * the next call) and everything else released. */
void phl_work_done(phl_work *w);

/* A prepared decoder's work box, kept in its userdata across calls. */
typedef struct phl_kept {
    phl_work work;
    int busy;    /* a call is using `work`                        */
    int closing; /* closed during that call: release when it ends */
} phl_kept;

/* A call's body: uses `w` (its stack frame may be a new one) and ends it
 * with phl_work_done; returns the number of results pushed. */
typedef int (*phl_work_fn)(lua_State *L, void *args, phl_work *w);

void phl_kept_init(phl_kept *k);
/* Run fn(L, args, w) with the kept box, protected, then wipe the box and
 * raise again any error it raised; a call entered while the box is in
 * use (from a finaliser or a metamethod) gets a box of its own.  Returns
 * fn's results. */
int phl_kept_run(lua_State *L, phl_kept *k, phl_work_fn fn, void *args);
/* Release the box now, or when the call using it ends. */
void phl_kept_close(phl_kept *k);

/* ------------------------------------------------------------------ */
/* Arguments and results (payhook_core.c)                              */

/* nil, message, kind for a core failure (3 values pushed); a caller's
 * mistake (PH_ERR_ARGUMENT, an option the core refuses) raises.  Release
 * the work box first: pushing may raise, and nothing should be held
 * then. */
int phl_push_failure(lua_State *L, const ph_error *err);
/* The same for a status and a fixed message. */
int phl_fail_status(lua_State *L, ph_status status, const char *msg);
void phl_clear_error(ph_error *err);

/* A string argument; a number is not converted (it raises). */
const char *phl_check_string(lua_State *L, int arg, size_t *len);

/* A `now` argument: a finite number, or nil for the current time. */
double phl_check_now(lua_State *L, int arg);

/* The key argument, read once: a string, or a list of strings during a
 * rotation, by its raw length and raw elements (no metamethod runs).  The
 * pointers are into Lua strings left on the stack (up to PH_MAX_KEYS + 1
 * of them, enough for the core to refuse a longer list; `n` is that
 * number), so they stay valid whatever a finaliser does to the list, until
 * the caller's frame is gone.  Raises on a wrong type. */
typedef struct phl_keys {
    const unsigned char *ptrs[PH_MAX_KEYS + 1];
    size_t lens[PH_MAX_KEYS + 1];
    size_t n;
} phl_keys;

void phl_read_keys(lua_State *L, int arg, phl_keys *k);

/* A metatable `name` in the registry with `methods` as __index, __gc (and
 * in 5.4 __close) and __tostring; left on the stack. */
void phl_new_type(lua_State *L, const char *name, const luaL_Reg *methods,
                  lua_CFunction gc, lua_CFunction tostring);

/* Why a payload was refused when the sink would not build a number. */
#define PHL_NUMBER_REFUSED                                                    \
    "a number in the payload overflows a Lua number (exact_numbers = "        \
    "true returns such numbers as their text)"

/* ------------------------------------------------------------------ */
/* Gateways (lua_gateway.c)                                            */

/* Register the gateway decoder's metatable (nothing is left on the
 * stack). */
void phl_gateway_types(lua_State *L);
/* Set gateways, gateway_new, gateway_decode, gateway_verify, gateway_bind
 * and gateway_sign in the module table on top of the stack. */
void phl_gateway_functions(lua_State *L);

/* ------------------------------------------------------------------ */
/* JSON text to Lua values (lua_sink.c)                                */

/*
 * A prepared decoder's cache of member names.  Names repeat from one
 * callback to the next (and within an array of objects), and interning
 * each afresh (lua_pushlstring: a hash and a lookup in the string table)
 * was a large part of building a payload.  A cached name is pushed from a
 * Lua table instead (one lua_rawgeti).
 *
 * The table (`ref`, in the registry) holds the strings, so they live as
 * long as the cache does; `ptr` and `len` are the bytes of the string at
 * each slot (Lua strings do not move), compared in full before a slot is
 * used, so a name that only shares the slot's hash is never taken for it.
 * The slots are a fixed number of two-way sets, chosen by a hash of the
 * name's length and its first and last 8 bytes; a new name enters a set at
 * way 0 and the name there moves to way 1, dropping the older one.  Only
 * names of 1 to PHL_NAME_MAX bytes are kept, so a payload cannot make a
 * decoder hold a long string.
 *
 * A slot's table entry and its C entry change together, with nothing in
 * between that allocates: a finaliser that runs during a decode (inside
 * an allocation) and decodes with the same decoder finds the cache
 * consistent, and the call it interrupted finds it so when it resumes.
 */
#define PHL_NAME_SET_BITS 6 /* 64 sets: one bit each in a uint64_t mask */
#define PHL_NAME_SETS     (1 << PHL_NAME_SET_BITS)
#define PHL_NAME_SLOTS    (2 * PHL_NAME_SETS)
#define PHL_NAME_MAX      64

/* Beside each cached name, its first and last bytes as two words
 * (ph_name_words, csrc/name_words.h): for a name of up to 16 bytes,
 * (len, head, tail) is the name itself, so a hit compares three numbers
 * and reads nothing of the Lua string. */
typedef struct phl_names {
    int ref; /* the table of strings, or LUA_NOREF: no cache */
    unsigned char len[PHL_NAME_SLOTS];
    uint64_t head[PHL_NAME_SLOTS], tail[PHL_NAME_SLOTS];
    const unsigned char *ptr[PHL_NAME_SLOTS];
} phl_names;

/* An empty cache with no table (safe to close; decodes do not use it). */
void phl_names_init(phl_names *n);
/* Make the cache's table.  Raises on memory errors (the cache is then
 * left without a table, which is still safe). */
void phl_names_open(lua_State *L, phl_names *n);
/* Drop the table and forget every name.  A decode running meanwhile keeps
 * the table it pushed and stays right. */
void phl_names_close(lua_State *L, phl_names *n);

/* Values live on the Lua stack; a handle is a stack index cast to a
 * pointer.  `array_mt` is the stack index of the array metatable.
 * `waiting` counts the values on the stack waiting for their containers
 * to close (the tables are made at their final size then), at most
 * `waiting_max`.  `exact_numbers` is the option of that name.  `refused`
 * is set when a number was refused (a float literal that overflows to
 * infinity); with `late_refusal` the parse goes on past it (the value
 * built is then unusable) so the caller can let the core's claim checks
 * speak first.  After a discard the context is spent: the parser is
 * stopping. */
/* The most objects open at once that the sink keeps track of: the
 * parser's deepest nesting, and the top level. */
#define PHL_OPEN_OBJECTS (PH_MAX_DEPTH + 2)

typedef struct phl_sink_ctx {
    lua_State *L;
    int array_mt;
    phl_names *names; /* NULL: names are pushed as they come  */
    int names_table;  /* the stack index of names->ref's table */
    int top;          /* lua_gettop, as the sink's pushes and pops leave it */
    int fallen;       /* open containers that fell back (already tables)  */
    /* Per open object (1 to `objects`, the innermost last): its slot,
     * the sets of its names so far (one bit each), and whether a name
     * came twice while its pairs waited. */
    int objects;
    int open[PHL_OPEN_OBJECTS];
    uint64_t seen[PHL_OPEN_OBJECTS];
    unsigned char repeated[PHL_OPEN_OBJECTS];
    int waiting, waiting_max;
    int exact_numbers;
    int late_refusal;
    int refused;
} phl_sink_ctx;

extern const ph_json_sink phl_lua_sink;

/* Push the array metatable, make room on the stack for the deepest value
 * the core accepts and, where the stack allows, for the values that wait
 * for their tables (at most `max_values`, an upper bound of the values
 * the parse builds: phl_json_max_values of the text), and fill `ctx`.
 * Raises if the stack cannot grow even to the first. */
void phl_sink_begin(lua_State *L, phl_sink_ctx *ctx, size_t max_values,
                    int exact_numbers, int late_refusal);

/* Use the cache `n` for member names in this parse (after
 * phl_sink_begin; it pushes the cache's table).  A cache without a table
 * is not used. */
void phl_sink_names(lua_State *L, phl_sink_ctx *ctx, phl_names *n);

/* The most values (member names counted) a JSON text of `len` bytes can
 * hold: each but the last takes a byte and a separator. */
static inline size_t phl_json_max_values(size_t len)
{
    return len / 2 + 1;
}

/* ------------------------------------------------------------------ */
/* Lua values to JSON text (lua_json.c)                                */

enum { PHL_JSON_ANY = 0, PHL_JSON_OBJECT = 1 };

/* Encode the value at `idx` into w->tree and print it into w->text.
 * `want` PHL_JSON_OBJECT: the value must encode as a JSON object.  Raises a
 * Lua error (argument `arg`) for values JSON cannot carry; w holds every
 * allocation, so nothing leaks. */
void phl_json_encode(lua_State *L, int idx, int arg, int want, phl_work *w);

/* ------------------------------------------------------------------ */
/* Option tables (lua_opts.c)                                          */

enum {
    PHL_OPT_NOW = 1u << 0,       /* now                                  */
    PHL_OPT_LEEWAY = 1u << 1,    /* leeway                               */
    PHL_OPT_MAX_BYTES = 1u << 2, /* max_bytes                            */
    PHL_OPT_JWT = 1u << 3,       /* algorithms, audience, issuer, ...    */
    PHL_OPT_NUMBERS = 1u << 4,   /* exact_numbers                        */
    PHL_OPT_TOLERANCE = 1u << 5, /* tolerance                            */
    PHL_OPT_EXPECT = 1u << 6     /* expect: the name only; the caller
                                     reads the table                      */
};

/*
 * An option table, read once.  Every option is fetched exactly once with
 * raw access (no __index, __len or __pairs is consulted) and everything
 * derived from it (its type, a list's length, a string's bytes) comes from
 * that one read: the audience, issuer and subject strings are copied into
 * `texts` (C memory in a work box) as they are read.  So a finaliser that
 * changes the table while it is read (any allocation can run one) cannot
 * make two reads disagree.
 */
typedef struct phl_opts {
    unsigned algorithms; /* PH_ALG_* bits; HS256 by default        */
    double leeway;
    int has_now;
    double now;
    size_t max_bytes;
    int exact_numbers;
    int has_tolerance;
    double tolerance; /* seconds, >= 0, when has_tolerance      */
    unsigned verify;  /* PH_CLAIM_* bits                        */
    unsigned require;
    int strict_aud;
    int audience_is_list; /* given as a table, not a string         */
    int has_audience, has_issuer, has_subject;
    size_t n_audience, n_issuer;
    const phl_texts *texts; /* the strings: audience, issuer, subject */
} phl_opts;

/* Check the option table at `idx` (absent or nil: defaults) against the
 * names `allowed` permits and fill `o`.  Strings are copied into
 * `texts` (the work box's; may be NULL unless PHL_OPT_JWT is allowed),
 * which keeps them until the box is released.  Raises a Lua error naming
 * argument `arg` for unknown names, wrong types and unusable values, and
 * on memory errors; the box frees whatever was copied. */
void phl_opts_parse(lua_State *L, int idx, int arg, unsigned allowed,
                    phl_opts *o, phl_texts *texts);

/* The number of strings and of their bytes that phl_opts_claims needs. */
size_t phl_opts_nstrs(const phl_opts *o);
size_t phl_opts_nbytes(const phl_opts *o);

/* Copy the (parsed) audience, issuer and subject strings into `strs`
 * (phl_opts_nstrs entries) and `bytes` (phl_opts_nbytes long), and point
 * the claims at them.  Reads no Lua value; never fails. */
void phl_opts_claims(const phl_opts *o, ph_str *strs, char *bytes,
                     ph_claims *claims);

/* Free the copied strings (the work box's release does this too). */
void phl_texts_release(phl_texts *t);

/* The current time in Unix seconds, with sub-second precision. */
double phl_now(void);

#endif
