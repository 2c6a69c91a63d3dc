/*
 * The core's JSON sink for Lua: every value is built on the Lua stack, and
 * a handle is the value's stack index cast to a pointer (never NULL, as
 * stack indices start at 1).  The parser builds depth-first, so an item
 * being added to a container is always on top of it:
 *
 *   array_append: [... array item]      -> array[index + 1] = item
 *   object_set:   [... object key value] -> object[key] = value
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
#include <math.h>
#include <stdint.h>

#include "lua_binding.h"

#define HANDLE(idx) ((void *)(intptr_t)(idx))
#define INDEX(h)    ((int)(intptr_t)(h))

/* The handle of the value just pushed. */
static void *top_handle(lua_State *L)
{
    return HANDLE(lua_gettop(L));
}

static void *sink_null(void *ctx)
{
    lua_State *L = ((phl_sink_ctx *)ctx)->L;

    lua_pushlightuserdata(L, NULL);
    return top_handle(L);
}

static void *sink_bool(void *ctx, int value)
{
    lua_State *L = ((phl_sink_ctx *)ctx)->L;

    lua_pushboolean(L, value);
    return top_handle(L);
}

/* The literal as a Lua string, for exact_numbers. */
static void *push_literal(lua_State *L, const char *text, size_t len)
{
    lua_pushlstring(L, text, len);
    return top_handle(L);
}

static void *sink_number(void *ctx, ph_number_kind kind, int64_t i,
                         const char *text, size_t len)
{
    phl_sink_ctx *c = ctx;
    lua_State *L = c->L;

    if (kind == PH_NUMBER_INT64 && phl_int64_exact(i)) {
        phl_pushint64(L, i);
        return top_handle(L);
    }
    /* An integer this interpreter would round. */
    if (kind != PH_NUMBER_FLOAT && c->exact_numbers)
        return push_literal(L, text, len);
    if (kind == PH_NUMBER_INT64) {
        phl_pushint64(L, i); /* the nearest double */
        return top_handle(L);
    }
    /* A big integer or a float literal; the core only hands over literals
     * of the JSON grammar, which always convert. */
    if (!phl_pushfloattext(L, text, len))
        return NULL;
    if (isinf((double)lua_tonumber(L, -1))) {
        lua_pop(L, 1);
        if (c->exact_numbers)
            return push_literal(L, text, len);
        c->refused = 1;
        if (!c->late_refusal)
            return NULL;
        lua_pushboolean(L, 0); /* a placeholder, never returned */
    }
    return top_handle(L);
}

static void *sink_string(void *ctx, const char *s, size_t len, int ascii,
                         int is_key)
{
    lua_State *L = ((phl_sink_ctx *)ctx)->L;

    (void)ascii;
    (void)is_key;
    lua_pushlstring(L, s, len); /* keeps embedded NUL bytes */
    return top_handle(L);
}

/* A container needs room for itself, a pending key and a value. */
static int room(lua_State *L)
{
    return lua_checkstack(L, 4);
}

static void *sink_new_array(void *ctx)
{
    phl_sink_ctx *c = ctx;
    lua_State *L = c->L;

    if (!room(L))
        return NULL;
    lua_newtable(L);
    lua_pushvalue(L, c->array_mt);
    lua_setmetatable(L, -2);
    return top_handle(L);
}

static int sink_array_append(void *ctx, void *array, size_t index, void *item)
{
    lua_State *L = ((phl_sink_ctx *)ctx)->L;
    int top = lua_gettop(L);

    if (INDEX(item) != top || INDEX(array) != top - 1)
        return -1;
    phl_rawseti(L, INDEX(array), index + 1);
    return 0;
}

static void *sink_new_object(void *ctx)
{
    lua_State *L = ((phl_sink_ctx *)ctx)->L;

    if (!room(L))
        return NULL;
    lua_newtable(L);
    return top_handle(L);
}

static int sink_object_set(void *ctx, void *object, void *key, void *value)
{
    lua_State *L = ((phl_sink_ctx *)ctx)->L;
    int top = lua_gettop(L);

    if (INDEX(value) != top || INDEX(key) != top - 1 ||
        INDEX(object) != top - 2)
        return -1;
    lua_rawset(L, INDEX(object)); /* a repeated name: the last one wins */
    return 0;
}

/* The parser gives back what it still holds when it stops early: drop the
 * value and everything built above it. */
static void sink_discard(void *ctx, void *value)
{
    lua_State *L = ((phl_sink_ctx *)ctx)->L;
    int idx = INDEX(value);

    if (idx >= 1 && idx <= lua_gettop(L))
        lua_settop(L, idx - 1);
}

const ph_json_sink phl_lua_sink = {
    sink_null,
    sink_bool,
    sink_number,
    sink_string,
    sink_new_array,
    sink_array_append,
    sink_new_object,
    sink_object_set,
    NULL,
    NULL,
    sink_discard,
};

void phl_sink_begin(lua_State *L, phl_sink_ctx *ctx, int exact_numbers,
                    int late_refusal)
{
    /* At most a container and a pending key per level of nesting, and one
     * value on top. */
    luaL_checkstack(L, 2 * PH_MAX_DEPTH + 8, "payhook: JSON nesting");
    lua_getfield(L, LUA_REGISTRYINDEX, PHL_ARRAY_MT);
    ctx->L = L;
    ctx->array_mt = lua_gettop(L);
    ctx->exact_numbers = exact_numbers;
    ctx->late_refusal = late_refusal;
    ctx->refused = 0;
}
