/* Per-decoder memory reused from call to call: the core's scratch buffers
 * and a cache of the payload's member names as Python strings.  Callbacks
 * from one gateway repeat the same names, so most name strings (and their
 * hashes) are made once per decoder instead of once per call.
 *
 * A decoder may be shared between threads (and, with the GIL released for
 * large inputs, used by several at once), so the cache is taken with an
 * atomic try-lock; a call that finds it taken uses fresh memory instead. */
#ifndef PAYHOOK_CALLCACHE_H
#define PAYHOOK_CALLCACHE_H

#include <stdatomic.h>
#include <stdint.h>

#include "binding.h"

/* Two-way sets: a payload's names that share a set both stay (with one
 * way per set, two such names evicted each other on every call: 4 of the
 * 35 names of a LeanX payout were made anew each time).  A new name
 * enters at way 0, moving the name there to way 1 and dropping way 1's,
 * as the Lua binding's cache does. */
#define NAME_CACHE_SETS    128 /* power of two */
#define NAME_CACHE_WAYS    2
#define NAME_CACHE_MAX_LEN 48 /* longer names are not cached */

/* A cached name with the bytes that tell it apart kept beside it: for a
 * name of up to 16 bytes (most are) `head`, `tail` and `len` are the whole
 * name, so a hit is three compares and never touches the str. */
typedef struct name_slot {
    uint64_t head, tail; /* see name_words in callcache.c */
    size_t len;
    PyObject *str; /* ASCII str or NULL */
} name_slot;

typedef struct call_cache {
    atomic_int busy;
    ph_scratch scratch;
    name_slot names[NAME_CACHE_SETS][NAME_CACHE_WAYS];
} call_cache;

/* What one call works with: the cache, if it could be taken. */
typedef struct call_memory {
    call_cache *cache; /* NULL: the cache was busy */
    ph_scratch local;
    ph_scratch *scratch; /* &cache->scratch or &local */
} call_memory;

void call_memory_begin(call_cache *c, call_memory *m);
/* Ends the call: the cached scratch is wiped (ph_scratch_wipe: the bytes
 * this call was handed, so nothing it decrypted or decoded outlives it)
 * and released; a fresh one is freed, which wipes it too. */
void call_memory_end(call_memory *m);

/* A member name as a str, from the cache when possible (new reference). */
PyObject *cached_name(call_cache *c, const char *s, size_t len);

/* Release everything (dealloc). */
void call_cache_clear(call_cache *c);

/* For tests only: copies of the cached scratch buffers, whole capacity, as
 * a tuple (env, data, text) of bytes; RuntimeError if a call holds them. */
PyObject *call_cache_snapshot(call_cache *c);

#endif
