/*
 * Out-of-memory injection for payhook.core (Lua 5.4).
 *
 *   oom_harness tests/lua/oom_cases.lua
 *
 * The cases file returns a table of name -> function, each one payhook
 * call with its inputs prepared.  For every case, and for N = 0, 1, 2, ...
 * the harness lets the Nth Lua allocation inside the call fail (and every
 * one after it, so Lua's emergency collection cannot rescue it) until the
 * call completes.  Each failed call must end in a plain Lua memory error,
 * never a crash or another error (a case named *_raises must end in its
 * own error once memory suffices); payhook's C memory (scratch, prepared
 * keys, cJSON trees, tokens) must be released by the __gc of the box that
 * holds it, which valgrind checks after lua_close: a block the binding
 * lost track of is "definitely lost".
 *
 * Prints one line per case and "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#define MAX_STEPS 20000

typedef struct limiter {
    size_t count;       /* growing allocations so far */
    size_t fail_from;   /* fail every growing allocation from this count */
    int armed;
} limiter;

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    limiter *lim = ud;

    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    /* Lua relies on shrinking never failing. */
    if (ptr == NULL || nsize > osize) {
        if (lim->armed && lim->count >= lim->fail_from)
            return NULL;
        lim->count++;
    }
    return realloc(ptr, nsize);
}

/* Load the cases file; leaves the cases table on the stack. */
static int load_cases(lua_State *L, const char *path)
{
    luaL_openlibs(L);
    if (luaL_loadfile(L, path) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        fprintf(stderr, "oom: %s\n", lua_tostring(L, -1));
        return -1;
    }
    if (!lua_istable(L, -1)) {
        fprintf(stderr, "oom: %s must return a table\n", path);
        return -1;
    }
    return 0;
}

/* Run one case under increasing limits.  Returns 1 if it behaved. */
static int run_case(const char *path, const char *name)
{
    limiter lim = {0, 0, 0};
    lua_State *L = lua_newstate(limited_alloc, &lim);
    size_t n, len = strlen(name);
    int ok = 0, failures = 0;
    int raises = len > 7 && strcmp(name + len - 7, "_raises") == 0;

    if (L == NULL || load_cases(L, path) < 0) {
        if (L != NULL)
            lua_close(L);
        return 0;
    }
    for (n = 0; n < MAX_STEPS; n++) {
        int rc;

        lua_getfield(L, -1, name);
        lim.fail_from = lim.count + n;
        lim.armed = 1;
        rc = lua_pcall(L, 0, 0, 0);
        lim.armed = 0;
        if (rc == LUA_OK && !raises) {
            ok = 1;
            break;
        }
        if (rc == LUA_ERRRUN && raises) {
            ok = 1;
            lua_pop(L, 1);
            break;
        }
        if (rc != LUA_ERRMEM) {
            fprintf(stderr, "oom: %s at step %zu: %s\n", name, n,
                    rc == LUA_OK ? "completed without its error"
                                 : lua_tostring(L, -1));
            failures++;
            lua_settop(L, 1);
            break;
        }
        lua_pop(L, 1);
        /* The boxes of the failed call are garbage now; collecting them
         * frees their C memory. */
        lua_gc(L, LUA_GCCOLLECT, 0);
    }
    printf("oom: %-28s %5zu failing allocation points, then %s\n", name, n,
           ok ? "completed" : "did NOT complete");
    lua_close(L);
    return ok && failures == 0;
}

int main(int argc, char **argv)
{
    lua_State *L;
    int passed = 0, failed = 0;
    const char **names;
    size_t count = 0, i;

    if (argc != 2) {
        fprintf(stderr, "usage: oom_harness CASES.lua\n");
        return 2;
    }
    /* List the case names with an unlimited state. */
    L = luaL_newstate();
    if (L == NULL || load_cases(L, argv[1]) < 0)
        return 2;
    names = calloc(64, sizeof *names);
    lua_pushnil(L);
    while (names != NULL && count < 64 && lua_next(L, -2) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING)
            names[count++] = strdup(lua_tostring(L, -1));
    }
    lua_close(L);

    for (i = 0; i < count; i++) {
        if (run_case(argv[1], names[i]))
            passed++;
        else
            failed++;
        free((void *)names[i]);
    }
    free(names);
    printf("oom: %d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
