/*
 * Differences between the Lua C APIs payhook.core builds against: Lua 5.4
 * and LuaJIT 2.1 (which implements the 5.1 API and reports
 * LUA_VERSION_NUM 501, yet declares a few 5.2 functions such as
 * luaL_setfuncs).  Every helper here has its own phl_ name: nothing
 * redefines a lua_* or luaL_* name, so no declaration can clash with the
 * one a given Lua ships.
 */
#ifndef PAYHOOK_LUA_COMPAT_H
#define PAYHOOK_LUA_COMPAT_H

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "payhook.h"

/* Lua 5.3 and later have an integer subtype; 5.1 and LuaJIT do not. */
#if LUA_VERSION_NUM >= 503
#define PHL_HAVE_INTEGERS 1
#else
#define PHL_HAVE_INTEGERS 0
#endif

/* Lua 5.4 runs __close when a to-be-closed variable goes out of scope. */
#if LUA_VERSION_NUM >= 504
#define PHL_HAVE_CLOSE 1
#else
#define PHL_HAVE_CLOSE 0
#endif

/* A positive index for `idx`, which may be relative to the top. */
static inline int phl_absindex(lua_State *L, int idx)
{
    if (idx > 0 || idx <= LUA_REGISTRYINDEX)
        return idx;
    return lua_gettop(L) + idx + 1;
}

/* The raw length of the table or string at idx. */
static inline size_t phl_rawlen(lua_State *L, int idx)
{
#if LUA_VERSION_NUM >= 502
    return (size_t)lua_rawlen(L, idx);
#else
    return (size_t)lua_objlen(L, idx);
#endif
}

/* A full userdata of `size` bytes with no user values. */
static inline void *phl_newuserdata(lua_State *L, size_t size)
{
#if LUA_VERSION_NUM >= 504
    return lua_newuserdatauv(L, size, 0);
#else
    return lua_newuserdata(L, size);
#endif
}

/* t[i] = top of stack (popped), t at idx, without metamethods. */
static inline void phl_rawseti(lua_State *L, int idx, size_t i)
{
#if LUA_VERSION_NUM >= 503
    lua_rawseti(L, idx, (lua_Integer)i);
#else
    lua_rawseti(L, idx, (int)i);
#endif
}

/* Push t[i] for the table at idx, without metamethods. */
static inline void phl_rawgeti(lua_State *L, int idx, size_t i)
{
#if LUA_VERSION_NUM >= 503
    lua_rawgeti(L, idx, (lua_Integer)i);
#else
    lua_rawgeti(L, idx, (int)i);
#endif
}

/* Set the functions of `l` as fields of the table on top of the stack.
 * Written out rather than calling luaL_setfuncs (5.2+) or luaL_register
 * (5.1 only) so it means the same everywhere. */
static inline void phl_setfuncs(lua_State *L, const luaL_Reg *l)
{
    for (; l->name != NULL; l++) {
        lua_pushcfunction(L, l->func);
        lua_setfield(L, -2, l->name);
    }
}

/* 1 if the value at idx is a number with an integer representation that
 * the interpreter distinguishes (Lua 5.3+); always 0 in 5.1 and LuaJIT. */
static inline int phl_isinteger(lua_State *L, int idx)
{
#if PHL_HAVE_INTEGERS
    return lua_isinteger(L, idx);
#else
    (void)L;
    (void)idx;
    return 0;
#endif
}

/* Push a signed 64-bit integer: an integer where the interpreter has a
 * 64-bit integer type, the nearest double otherwise. */
static inline void phl_pushint64(lua_State *L, int64_t v)
{
#if PHL_HAVE_INTEGERS && LUA_MAXINTEGER >= INT64_MAX
    lua_pushinteger(L, (lua_Integer)v);
#elif PHL_HAVE_INTEGERS
    if (v >= (int64_t)LUA_MININTEGER && v <= (int64_t)LUA_MAXINTEGER)
        lua_pushinteger(L, (lua_Integer)v);
    else
        lua_pushnumber(L, (lua_Number)v);
#else
    lua_pushnumber(L, (lua_Number)v);
#endif
}

/* 1 if the interpreter's numbers hold the integer v exactly as the value
 * phl_pushint64 pushes: always with 64-bit integers (Lua 5.3+), within
 * the lua_Integer range or +-2^53 with narrower ones, within +-2^53 (the
 * integers every double holds) in Lua 5.1 and LuaJIT. */
static inline int phl_int64_exact(int64_t v)
{
#if PHL_HAVE_INTEGERS && LUA_MAXINTEGER >= INT64_MAX
    (void)v;
    return 1;
#else
    const int64_t limit = (int64_t)1 << 53;
#if PHL_HAVE_INTEGERS
    if (v >= (int64_t)LUA_MININTEGER && v <= (int64_t)LUA_MAXINTEGER)
        return 1;
#endif
    return v >= -limit && v <= limit;
#endif
}

/*
 * Push the number written in `text` (a JSON number literal of `len`
 * bytes, as the core hands it to a sink) as a float: the core's
 * ph_parse_double, so the double is Python's float() of the text, and the
 * C locale's decimal point does not matter.  A literal beyond the double
 * range is pushed as an infinity.  Returns 0 if memory ran out (only a
 * literal past 19 significant digits can need any); calls no Lua function
 * before that, so nothing is left half done.
 */
static inline int phl_pushfloattext(lua_State *L, const char *text, size_t len)
{
    double d;

    if (ph_parse_double(text, len, &d) != PH_OK)
        return 0;
    lua_pushnumber(L, (lua_Number)d);
    return 1;
}

#endif
