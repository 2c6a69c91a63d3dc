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
#include "name_words.h"

/* Two-way sets: a payload's names that share a set both stay (with one
 * way per set, two such names evicted each other on every call: 4 of the
 * 35 names of a LeanX payout were made anew each time).  A new name
 * enters at way 0, moving the name there to way 1 and dropping way 1's,
 * as the Lua binding's cache does. */
#define NAME_CACHE_SET_BITS 7
#define NAME_CACHE_SETS     (1 << NAME_CACHE_SET_BITS)
#define NAME_CACHE_WAYS     2
#define NAME_CACHE_MAX_LEN  48 /* longer names are not cached */

/* A cached name with the bytes that tell it apart kept beside it: for a
 * name of up to 16 bytes (most are) `head`, `tail` and `len` are the whole
 * name, so a hit is three compares and never touches the str. */
typedef struct name_slot {
    uint64_t head, tail; /* ph_name_words (name_words.h) */
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

/* Whether `slot` holds the name of these words.  This and cached_name
 * run for every member of every payload, so they are inline in the sink
 * (a call each, and a second one for the compare, were a tenth of a small
 * gateway decode): the set comes from the words already read, not from
 * every byte (ph_name_set, name_words.h); names that share them share a
 * set, and the compare tells them apart.  Up to 16 bytes the words are
 * the whole name and the str, elsewhere in memory, is not read. */
static inline int name_slot_holds(const name_slot *slot, const char *s,
                                  size_t len, uint64_t head, uint64_t tail)
{
    if (slot->str == NULL || slot->len != len || slot->head != head ||
        slot->tail != tail)
        return 0;
    return len <= 16 ||
           ph_name_rest_equal((const char *)PyUnicode_1BYTE_DATA(slot->str), s,
                              len);
}

/* A name `set` does not hold, made and entered at its way 0 (new
 * reference), or NULL with an exception set. */
PyObject *cached_name_add(name_slot *set, const char *s, size_t len,
                          uint64_t head, uint64_t tail);

/* A member name of up to NAME_CACHE_MAX_LEN ASCII bytes as a str, from the
 * cache when it holds it (new reference); NULL with no exception for a
 * longer name, NULL with one if making it failed.  A hit leaves the set as
 * it is: no write on the common path. */
static inline PyObject *cached_name(call_cache *c, const char *s, size_t len)
{
    uint64_t head, tail;
    name_slot *set;

    if (len > NAME_CACHE_MAX_LEN)
        return NULL;
    ph_name_words(s, len, &head, &tail);
    set = c->names[ph_name_set(head, tail, len, NAME_CACHE_SET_BITS)];
    if (name_slot_holds(&set[0], s, len, head, tail)) {
        Py_INCREF(set[0].str);
        return set[0].str;
    }
    if (name_slot_holds(&set[1], s, len, head, tail)) {
        Py_INCREF(set[1].str);
        return set[1].str;
    }
    return cached_name_add(set, s, len, head, tail);
}

/* Release everything (dealloc). */
void call_cache_clear(call_cache *c);

/* For tests only: copies of the cached scratch buffers, whole capacity, as
 * a tuple (env, data, text) of bytes; RuntimeError if a call holds them. */
PyObject *call_cache_snapshot(call_cache *c);

#endif
