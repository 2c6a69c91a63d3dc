/*
 * The core's JSON sink for Lua: every value is built on the Lua stack, and
 * a handle is the value's stack index cast to a pointer (never NULL, as
 * stack indices start at 1).  The parser builds depth-first, so what is
 * added to a container is always above it on the stack.
 *
 * Tables are made at their final size.  Filling a table that starts
 * empty rehashes it each time it outgrows its parts, which was the largest
 * cost of a decode; the parser tells the count only at the close
 * (end_array, end_object).  So an open container is a placeholder slot,
 * and what goes into it waits on the stack above it:
 *
 *   array  [... placeholder item1 item2 ...]
 *   object [... placeholder key1 value1 key2 value2 ...]
 *
 * At the close the table is made with lua_createtable at the count, the
 * waiting values are moved in, and the table takes the placeholder's
 * slot.  An object is filled from its last pair down, each lua_rawset
 * popping the pair it takes, unless a name came twice (each open object
 * keeps a mask of its names' sets, and a name whose set is already in it
 * is compared with the names before it, up to NAME_SCAN_MAX of them):
 * then it is filled in order from copies, so that the last value wins.
 * A container's handle is its slot, before and after, and `discard` (drop
 * the value and everything above it) stays right.  The sink makes every
 * push and pop of a parse, so it counts the top itself (`top`) instead of
 * asking lua_gettop.
 *
 * A prepared decoder's member names come from its cache (phl_names in
 * lua_binding.h): a name found there is one lua_rawgeti, not a new
 * lua_pushlstring (a hash and a lookup in the string table).
 *
 * The stack is bounded: when the values waiting for all the open
 * containers would pass WAITING_MAX, the container being filled falls
 * back: its table is made at once from what waits for it, and from then
 * on each item goes straight in (correct, only not made at its size).  A
 * fallen back container is told by its slot holding a table.
 *
 * Containers, keys and values are all anchored on the stack while the
 * parse runs, so a garbage collection in the middle cannot take them.  If
 * pushing raises (out of memory), the longjmp leaves the parser, which
 * holds no memory but the scratch the caller boxed.
 *
 * JSON null is a lightuserdata NULL (payhook.null, equal to cjson.null).
 * Arrays, empty ones included, get the array metatable so they stay arrays
 * when encoded again.
 *
 * Numbers: an integer literal that fits int64 is a Lua integer where the
 * interpreter has 64-bit integers (5.3+), a double otherwise (rounded past
 * 2^53); a larger integer literal is the nearest double; a literal with
 * a fraction or an exponent is the nearest double too.  A literal whose
 * nearest double is infinite (1e400, or 10^400 written out in digits:
 * every JSON literal is finite) is refused rather than returned as
 * math.huge, which would be a wrong value.  With exact_numbers, an
 * integer literal the interpreter cannot hold exactly, and a float literal
 * that overflows, come back as the literal's text.
 *
 * A refusal either fails the parse at once (SuperPay: the core turns it
 * into its one decryption error) or, with `late_refusal`, pushes a
 * placeholder and lets the parse finish, so that the core's verdict on the
 * claims comes first and the caller reports the refusal only if the token
 * passed them.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lua_binding.h"
#include "name_words.h"

#if defined(__GNUC__)
#define PHL_NOINLINE __attribute__((noinline))
#else
#define PHL_NOINLINE
#endif

#define HANDLE(idx) ((void *)(intptr_t)(idx))
#define INDEX(h)    ((int)(intptr_t)(h))

/* The handle of the value just pushed: the sink counts its own pushes
 * and pops in `top` rather than asking lua_gettop for each value. */
static void *pushed(phl_sink_ctx *c)
{
    return HANDLE(++c->top);
}

static void *sink_null(void *ctx)
{
    phl_sink_ctx *c = ctx;

    lua_pushlightuserdata(c->L, NULL);
    return pushed(c);
}

static void *sink_bool(void *ctx, int value)
{
    phl_sink_ctx *c = ctx;

    lua_pushboolean(c->L, value);
    return pushed(c);
}

/* The literal as a Lua string, for exact_numbers. */
static void *push_literal(phl_sink_ctx *c, const char *text, size_t len)
{
    lua_pushlstring(c->L, text, len);
    return pushed(c);
}

static void *sink_number(void *ctx, ph_number_kind kind, int64_t i,
                         const char *text, size_t len)
{
    phl_sink_ctx *c = ctx;
    lua_State *L = c->L;

    if (kind == PH_NUMBER_INT64 && phl_int64_exact(i)) {
        phl_pushint64(L, i);
        return pushed(c);
    }
    /* An integer this interpreter would round. */
    if (kind != PH_NUMBER_FLOAT && c->exact_numbers)
        return push_literal(c, text, len);
    if (kind == PH_NUMBER_INT64) {
        phl_pushint64(L, i); /* the nearest double */
        return pushed(c);
    }
    /* A big integer or a float literal; the core only hands over literals
     * of the JSON grammar, which always convert. */
    if (!phl_pushfloattext(L, text, len))
        return NULL;
    if (isinf((double)lua_tonumber(L, -1))) {
        lua_pop(L, 1);
        if (c->exact_numbers)
            return push_literal(c, text, len);
        c->refused = 1;
        if (!c->late_refusal)
            return NULL;
        lua_pushboolean(L, 0); /* a placeholder, never returned */
    }
    return pushed(c);
}

/* Whether the name just pushed is one of the names waiting above `slot`
 * (the innermost open object's).  lua_rawequal compares strings by their
 * bytes, long ones too. */
PHL_NOINLINE static int name_waits(phl_sink_ctx *c, int slot)
{
    int i;

    for (i = slot + 1; i < c->top; i += 2)
        if (lua_rawequal(c->L, i, c->top))
            return 1;
    return 0;
}

/* The handle of the name of set `set` just pushed, noted in the innermost
 * open object: only a second name of the same set is compared with the
 * names before it, to mark the object as holding a name twice.  Past
 * NAME_SCAN_MAX names every set has been seen and each name would be
 * compared with all before it, so a big object is taken to repeat one
 * (it is filled in order, as one that does): time linear in its size,
 * where comparing was quadratic (1,000 members took 13 times as long as
 * cjson.decode of the text; now about as long). */
#define NAME_SCAN_MAX 64

static void *note_name(phl_sink_ctx *c, unsigned set)
{
    int o = c->objects;
    uint64_t bit = (uint64_t)1 << set;

    if ((c->seen[o] & bit) != 0 && !c->repeated[o])
        c->repeated[o] =
            (unsigned char)(c->top - c->open[o] > 2 * NAME_SCAN_MAX ||
                            name_waits(c, c->open[o]));
    c->seen[o] |= bit;
    return HANDLE(c->top);
}

/* Whether the cache's `slot` holds the name (s, len) of those words: the
 * bytes between the words are compared only for a name over 16 bytes. */
static int slot_holds(const phl_names *n, unsigned slot,
                      const unsigned char *s, size_t len, uint64_t head,
                      uint64_t tail)
{
    return n->len[slot] == len && n->head[slot] == head &&
           n->tail[slot] == tail &&
           ph_name_rest_equal((const char *)n->ptr[slot], (const char *)s,
                              len);
}

/* The slot of the cache holding the name of set `set`, or -1. */
static int find_name(const phl_names *n, unsigned set, const unsigned char *s,
                     size_t len, uint64_t head, uint64_t tail)
{
    unsigned slot = 2 * set;

    if (slot_holds(n, slot, s, len, head, tail))
        return (int)slot;
    if (slot_holds(n, slot + 1, s, len, head, tail))
        return (int)slot + 1;
    return -1;
}

/* Push a name the cache does not hold and put it at way 0 of its set,
 * moving the name there to way 1.  Kept out of line: the lookup that
 * finds a name is most of the calls and should carry none of this. */
PHL_NOINLINE static void add_name(phl_sink_ctx *c, unsigned set,
                                  const unsigned char *s, size_t len,
                                  uint64_t head, uint64_t tail)
{
    lua_State *L = c->L;
    phl_names *n = c->names;
    unsigned slot = 2 * set;

    /* Pushing may run a finaliser that decodes with this cache: the slots
     * are read only after it. */
    lua_pushlstring(L, (const char *)s, len);
    /* The table's array part has every slot, so these sets allocate
     * nothing and cannot raise. */
    phl_rawgeti(L, c->names_table, slot + 1);
    phl_rawseti(L, c->names_table, slot + 2);
    n->len[slot + 1] = n->len[slot];
    n->head[slot + 1] = n->head[slot];
    n->tail[slot + 1] = n->tail[slot];
    n->ptr[slot + 1] = n->ptr[slot];
    lua_pushvalue(L, -1);
    phl_rawseti(L, c->names_table, slot + 1);
    n->len[slot] = (unsigned char)len;
    n->head[slot] = head;
    n->tail[slot] = tail;
    n->ptr[slot] = (const unsigned char *)lua_tostring(L, -1);
}

static void *sink_string(void *ctx, const char *s, size_t len, int ascii,
                         int is_key)
{
    phl_sink_ctx *c = ctx;

    (void)ascii;
    if (is_key) {
        const unsigned char *u = (const unsigned char *)s;
        uint64_t head, tail;
        unsigned set;

        /* The cache's set, and the name's bit in its object's mask of
         * names seen, from csrc/name_words.h as Python's cache finds its
         * set.  (From the length and the first, middle and last bytes, as
         * before, every name of one pattern, "field_01" to "field_91",
         * fell in one set.) */
        ph_name_words(s, len, &head, &tail);
        set = ph_name_set(head, tail, len, PHL_NAME_SET_BITS);
        if (c->names != NULL && len - 1 < PHL_NAME_MAX) {
            /* A member name, from the decoder's cache (lua_binding.h,
             * phl_names). */
            int slot = find_name(c->names, set, u, len, head, tail);

            if (slot < 0)
                add_name(c, set, u, len, head, tail);
            else
                phl_rawgeti(c->L, c->names_table, (size_t)slot + 1);
        } else {
            lua_pushlstring(c->L, s, len);
        }
        c->top++;
        return note_name(c, set);
    }
    lua_pushlstring(c->L, s, len); /* keeps embedded NUL bytes */
    return pushed(c);
}

/*
 * The most values (array items; object names and values, two a member)
 * that wait on the stack for their containers to close.  LuaJIT's
 * lua_checkstack refuses to give one C call more than LUAI_MAXCSTACK
 * (8,000) slots; this, the two slots a level of nesting holds (a container
 * and a pending name) at PH_MAX_DEPTH levels, and a few for building come
 * to 4,360, which leaves the caller room.  A container's waiting values
 * are moved into its table by the close, so the limit is reached only by
 * one container of over 4,096 values (2,048 members) or by several big
 * ones open at once; a callback's payload rarely has either.
 */
#define WAITING_MAX 4096

/* The stack a parse needs with no value waiting: two slots a level, and
 * the array metatable, the names' cache, a value being built, a new table
 * and the two values copied into it (or a name and the one it moves). */
#define STACK_FIXED (2 * PH_MAX_DEPTH + 9)

/* An open container's slot: any value that is not a table. */
static void *push_placeholder(phl_sink_ctx *c)
{
    lua_pushboolean(c->L, 0);
    return pushed(c);
}

static void *sink_new_array(void *ctx)
{
    return push_placeholder(ctx);
}

static void *sink_new_object(void *ctx)
{
    phl_sink_ctx *c = ctx;

    /* The parser never nests deeper; past it, no mask to keep. */
    if (c->objects == PHL_OPEN_OBJECTS - 1)
        return NULL;
    c->objects++;
    c->seen[c->objects] = 0;
    c->repeated[c->objects] = 0;
    c->open[c->objects] = c->top + 1;
    return push_placeholder(c);
}

/* Make the array whose `n` items wait above its slot `slot`, put it in
 * the slot and pop the items.  Filled from the last item down, so each
 * rawseti takes the top. */
static void build_array(phl_sink_ctx *c, int slot, size_t n)
{
    lua_State *L = c->L;

    lua_createtable(L, n > INT_MAX ? INT_MAX : (int)n, 0);
    lua_pushvalue(L, c->array_mt);
    lua_setmetatable(L, -2);
    lua_replace(L, slot);
    for (; n > 0; n--)
        phl_rawseti(L, slot, n);
    c->top = slot;
}

/* Make the object whose `n` name, value pairs wait above its slot, put
 * it in the slot and pop the pairs.  When no name is there twice the
 * pairs go in from the top, each lua_rawset popping the two it takes;
 * else in their order, from copies, so that for a repeated name the last
 * value wins. */
static void build_object(phl_sink_ctx *c, int slot, size_t n)
{
    lua_State *L = c->L;
    int t, i, end = slot + 2 * (int)n;

    lua_createtable(L, 0, n > INT_MAX ? INT_MAX : (int)n);
    if (!c->repeated[c->objects]) {
        lua_replace(L, slot);
        for (; n > 0; n--)
            lua_rawset(L, slot);
        c->top = slot;
        return;
    }
    t = c->top + 1;
    for (i = slot + 1; i < end; i += 2) {
        lua_pushvalue(L, i);
        lua_pushvalue(L, i + 1);
        lua_rawset(L, t);
    }
    lua_replace(L, slot);
    lua_settop(L, slot);
    c->top = slot;
}

/* Whether the container at `slot` is still waiting for its close.  Until
 * one falls back every open container waits, with no lua_type to ask. */
static int is_open(phl_sink_ctx *c, int slot)
{
    return c->fallen == 0 || lua_type(c->L, slot) != LUA_TTABLE;
}

static int sink_array_append(void *ctx, void *array, size_t index, void *item)
{
    phl_sink_ctx *c = ctx;
    int top = c->top, slot = INDEX(array);

    if (INDEX(item) != top)
        return -1;
    if (!is_open(c, slot)) {
        if (slot != top - 1)
            return -1;
        phl_rawseti(c->L, slot, index + 1);
        c->top--;
        return 0;
    }
    if ((size_t)(top - slot) != index + 1)
        return -1;
    if (c->waiting + 1 <= c->waiting_max) {
        c->waiting++; /* the item waits for the close */
        return 0;
    }
    /* Over the limit: this array is made now, with what it has. */
    c->waiting -= (int)index;
    build_array(c, slot, index + 1);
    c->fallen++;
    return 0;
}

static int sink_object_set(void *ctx, void *object, void *key, void *value)
{
    phl_sink_ctx *c = ctx;
    int top = c->top, slot = INDEX(object), pairs;

    if (INDEX(value) != top || INDEX(key) != top - 1)
        return -1;
    if (!is_open(c, slot)) {
        if (slot != top - 2)
            return -1;
        lua_rawset(c->L, slot); /* a repeated name: the last one wins */
        c->top -= 2;
        return 0;
    }
    if ((top - slot) % 2 != 0)
        return -1;
    pairs = (top - slot) / 2;
    if (c->waiting + 2 <= c->waiting_max) {
        c->waiting += 2; /* name and value wait for the close */
        return 0;
    }
    c->waiting -= 2 * (pairs - 1);
    build_object(c, slot, (size_t)pairs);
    c->fallen++;
    return 0;
}

/* Close the container at `slot`, whose `count` items take `per_item`
 * waiting slots each (a value, or a name and a value): build it at its
 * size, unless it fell back and is already a table. */
static int end_container(phl_sink_ctx *c, int slot, size_t count,
                         size_t per_item,
                         void (*build)(phl_sink_ctx *, int, size_t))
{
    if (!is_open(c, slot)) {
        if (slot != c->top)
            return -1;
        c->fallen--;
        return 0;
    }
    if ((size_t)(c->top - slot) != per_item * count)
        return -1;
    c->waiting -= (int)(per_item * count);
    build(c, slot, count);
    return 0;
}

static int sink_end_array(void *ctx, void *array, size_t count)
{
    return end_container(ctx, INDEX(array), count, 1, build_array);
}

static int sink_end_object(void *ctx, void *object, size_t count)
{
    phl_sink_ctx *c = ctx;
    int rc = end_container(c, INDEX(object), count, 2, build_object);

    c->objects--;
    return rc;
}

/* The parser gives back what it still holds when it stops early: drop the
 * value and everything built above it. */
static void sink_discard(void *ctx, void *value)
{
    phl_sink_ctx *c = ctx;
    int idx = INDEX(value);

    if (idx >= 1 && idx <= c->top) {
        lua_settop(c->L, idx - 1);
        c->top = idx - 1;
    }
}

const ph_json_sink phl_lua_sink = {
    sink_null,      sink_bool,         sink_number,     sink_string,
    sink_new_array, sink_array_append, sink_new_object, sink_object_set,
    sink_end_array, sink_end_object,   sink_discard,
};

void phl_sink_begin(lua_State *L, phl_sink_ctx *ctx, size_t max_values,
                    int exact_numbers, int late_refusal)
{
    int want = max_values < WAITING_MAX ? (int)max_values : WAITING_MAX;

    /* All the room the parse needs is asked for here, before it starts:
     * inside it a push past the room checked would write past the stack
     * (Lua 5.4), and asking there could raise a stack overflow, not only
     * out of memory (LuaJIT grows the stack for lua_checkstack and raises
     * when the thread's whole stack would pass its maximum).  The room
     * for the waiting values is sized by what the text can hold, so a
     * small payload does not grow the stack of every coroutine that
     * decodes one.  If that much is refused (LuaJIT's LUAI_MAXCSTACK for
     * one C call, or a stack near its maximum) no value waits: each
     * container is made at its first item and filled as it comes, which
     * needs only the fixed room, and that check raises (before the parse)
     * if even that cannot be had. */
    luaL_checkstack(L, STACK_FIXED, "payhook: JSON nesting");
    ctx->waiting_max = lua_checkstack(L, STACK_FIXED + want) ? want : 0;
    lua_getfield(L, LUA_REGISTRYINDEX, PHL_ARRAY_MT);
    ctx->L = L;
    ctx->array_mt = ctx->top = lua_gettop(L);
    ctx->fallen = 0;
    ctx->objects = 0;
    ctx->names = NULL;
    ctx->names_table = 0;
    ctx->waiting = 0;
    ctx->exact_numbers = exact_numbers;
    ctx->late_refusal = late_refusal;
    ctx->refused = 0;
}

void phl_sink_names(lua_State *L, phl_sink_ctx *ctx, phl_names *n)
{
    if (n->ref == LUA_NOREF)
        return;
    phl_rawgeti(L, LUA_REGISTRYINDEX, (size_t)n->ref);
    ctx->names = n;
    ctx->names_table = ++ctx->top;
}

void phl_names_init(phl_names *n)
{
    memset(n, 0, sizeof *n);
    n->ref = LUA_NOREF;
}

void phl_names_open(lua_State *L, phl_names *n)
{
    size_t i;

    /* Every slot in the array part, filled, so that storing a name later
     * never grows the table. */
    lua_createtable(L, PHL_NAME_SLOTS, 0);
    for (i = 1; i <= PHL_NAME_SLOTS; i++) {
        lua_pushboolean(L, 0);
        phl_rawseti(L, -2, i);
    }
    n->ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

void phl_names_close(lua_State *L, phl_names *n)
{
    int ref = n->ref;

    phl_names_init(n);
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
}
