/*
 * Lua values to JSON text, for building test callbacks (jwt.encode,
 * superpay.encrypt).  cJSON holds the tree and prints it.
 *
 * Memory: the tree hangs from the caller's work box (phl_work.tree) from
 * the moment its root exists, and every item is attached to its parent as
 * soon as it is created, so a Lua error raised anywhere below (an
 * unsupported value, out of memory) leaves nothing unreachable: the box's
 * __gc deletes the whole tree.  The one temporary malloc (an escaped
 * string) is freed before anything that can raise.
 *
 * Hostile tables: tables are read raw (no __index, __len or __pairs runs),
 * and every value is fetched once.  Any allocation can run a finaliser
 * that changes a table being encoded, so nothing read before an
 * allocation is trusted after it: a table's shape is decided once and
 * then used; an array's elements are fetched once each (a changed one is
 * written as it is then, nil as null); an object's names are copied into
 * a table the encoder owns before they are sorted, so they stay alive
 * whatever happens to the original, and each member is fetched once (a
 * member removed meanwhile is left out).
 *
 * Mapping:
 *   table with the array metatable, or whose metatable's __jsontype is
 *   "array"                              -> array of t[1..#t] (nil: null)
 *   __jsontype "object"                  -> object
 *   otherwise a sequence t[1..n], n > 0  -> array; any other table (the
 *   empty one included)                  -> object, keys strings only,
 *                                           written in byte order
 *   payhook.null (lightuserdata NULL)    -> null
 *   boolean, string (valid UTF-8)        -> true/false, string
 *   integer (Lua 5.3+)                   -> integer, exactly
 *   float                                -> number that reads back
 *                                           exactly; 1.0 stays "1.0" in
 *                                           Lua 5.3+; NaN/inf raise
 *   anything else                        -> raises
 */
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_binding.h"

typedef struct encoder {
    lua_State *L;
    int arg;      /* argument number for error messages */
    int array_mt; /* stack index of the array metatable */
    phl_work *w;  /* holds the tree */
} encoder;

static int encode_error(encoder *e, const char *what)
{
    return luaL_argerror(e->L, e->arg, what);
}

static void out_of_memory(encoder *e)
{
    luaL_error(e->L, "payhook: out of memory while encoding JSON");
}

/* Length of the valid UTF-8 sequence at p (1-4), 0 if invalid: no
 * overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    size_t avail = (size_t)(end - p);
    unsigned c = p[0], lo = 0x80, hi = 0xbf;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
        return avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80
                   ? 3
                   : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
        return avail >= 4 && p[1] >= lo && p[1] <= hi &&
                       (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

/* 1 if s[0..len) is valid UTF-8 (NUL bytes counted in *nul). */
static int utf8_valid(const char *s, size_t len, int *nul)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;

    *nul = 0;
    while (p < end) {
        size_t n = utf8_len(p, end);
        if (n == 0)
            return 0;
        if (*p == 0)
            *nul = 1;
        p += n;
    }
    return 1;
}

/* A JSON string literal for s (valid UTF-8, NUL bytes allowed) as a raw
 * cJSON item.  cJSON's own strings stop at the first NUL, so the literal
 * is written here. */
static cJSON *string_item(const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    char *buf, *o;
    cJSON *item;
    size_t i;

    if (len > ((size_t)-1 - 3) / 6)
        return NULL;
    if ((buf = malloc(6 * len + 3)) == NULL)
        return NULL;
    o = buf;
    *o++ = '"';
    for (i = 0; i < len; i++) {
        unsigned c = p[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (c == '\r') {
            *o++ = '\\';
            *o++ = 'r';
        } else if (c == '\t') {
            *o++ = '\\';
            *o++ = 't';
        } else if (c < 0x20) {
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = '\0';
    item = cJSON_CreateRaw(buf); /* copies */
    free(buf);
    return item;
}

/* The shortest of %.15g, %.16g and %.17g that reads back as exactly `d`,
 * with '.' as the decimal point whatever the C locale says.  (cJSON's own
 * printer accepts a near miss and writes 0.30000000000000004 as 0.3.) */
static void format_double(double d, char *buf, size_t size)
{
    const char *dp = localeconv()->decimal_point;
    size_t dp_len = dp != NULL ? strlen(dp) : 0;
    char *p;
    int prec;

    for (prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (dp_len > 0 && !(dp_len == 1 && dp[0] == '.') &&
        (p = strstr(buf, dp)) != NULL) {
        *p = '.';
        memmove(p + 1, p + dp_len, strlen(p + dp_len) + 1);
    }
}

/* A number item: integers exactly, floats so they read back exactly. */
static cJSON *number_item(encoder *e, int idx)
{
    char buf[64];

    if (phl_isinteger(e->L, idx)) {
#if PHL_HAVE_INTEGERS
        snprintf(buf, sizeof buf, LUA_INTEGER_FMT,
                 (LUAI_UACINT)lua_tointeger(e->L, idx));
#endif
    } else {
        double d = (double)lua_tonumber(e->L, idx);
        if (!isfinite(d))
            encode_error(e, "cannot encode NaN or infinity as JSON");
        format_double(d, buf, sizeof buf - 2);
#if PHL_HAVE_INTEGERS
        /* A float that printed like an integer gets ".0", so it decodes
         * as a float again, as with Python's json. */
        if (strspn(buf, "-0123456789") == strlen(buf))
            strcat(buf, ".0");
#endif
    }
    return cJSON_CreateRaw(buf);
}

/* How a table encodes: 1 array (*n elements), 0 object. */
static int table_is_array(encoder *e, int idx, size_t *n)
{
    lua_State *L = e->L;
    size_t count = 0;
    double max = 0;

    if (lua_getmetatable(L, idx)) {
        int as_array = lua_rawequal(L, -1, e->array_mt), as_object = 0;
        if (!as_array) {
            lua_pushliteral(L, "__jsontype");
            lua_rawget(L, -2);
            if (lua_type(L, -1) == LUA_TSTRING) {
                as_array = strcmp(lua_tostring(L, -1), "array") == 0;
                as_object = strcmp(lua_tostring(L, -1), "object") == 0;
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        if (as_array) {
            *n = phl_rawlen(L, idx);
            return 1;
        }
        if (as_object)
            return 0;
    }
    /* A sequence: only the keys 1..n, n > 0. */
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        double k;
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TNUMBER) {
            lua_pop(L, 1);
            return 0;
        }
        k = (double)lua_tonumber(L, -1);
        if (k < 1 || k != floor(k)) {
            lua_pop(L, 1);
            return 0;
        }
        if (k > max)
            max = k;
        count++;
    }
    if (count == 0 || max != (double)count)
        return 0;
    *n = count;
    return 1;
}

static void add_value(encoder *e, cJSON *parent, const char *key, int idx,
                      int depth);

static void fill_array(encoder *e, cJSON *arr, int idx, size_t n, int depth)
{
    size_t i;

    for (i = 1; i <= n; i++) {
        phl_rawgeti(e->L, idx, i);
        add_value(e, arr, NULL, lua_gettop(e->L), depth);
        lua_pop(e->L, 1);
    }
}

typedef struct key_ref {
    const char *s;
    size_t len;
    size_t slot; /* its index in the name table */
} key_ref;

static int key_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);

    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static void check_key(encoder *e, int idx)
{
    if (lua_type(e->L, idx) != LUA_TSTRING)
        encode_error(e, "JSON object keys must be strings (a table that is "
                        "neither a sequence nor marked as an array is an "
                        "object)");
}

/* Members in byte order of their names, so the text does not depend on
 * the table's traversal order.
 *
 * The names are counted in one traversal, then copied into a new table of
 * exactly that many slots in a second one.  Neither traversal allocates
 * (the slots exist already), so no finaliser can change the table while
 * it is traversed; between the two one may have, so the second checks
 * every name again and takes at most the counted number.  The sorted
 * references point into the strings the name table keeps alive. */
static void fill_object(encoder *e, cJSON *obj, int idx, int depth)
{
    lua_State *L = e->L;
    size_t i, n = 0;
    key_ref *keys;
    int names;

    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        check_key(e, -1);
        n++;
    }
    if (n == 0)
        return;
    if (n > (size_t)INT_MAX)
        out_of_memory(e);
    lua_createtable(L, (int)n, 0);
    names = lua_gettop(L);
    i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        check_key(e, -1);
        if (i < n) {
            lua_pushvalue(L, -1);
            phl_rawseti(L, names, ++i);
        }
    }
    n = i;
    keys = phl_newuserdata(L, n * sizeof *keys + 1);
    for (i = 0; i < n; i++) {
        phl_rawgeti(L, names, i + 1);
        keys[i].s = lua_tolstring(L, -1, &keys[i].len);
        keys[i].slot = i + 1;
        lua_pop(L, 1);
    }
    qsort(keys, n, sizeof *keys, key_cmp);
    for (i = 0; i < n; i++) {
        int nul;
        if (!utf8_valid(keys[i].s, keys[i].len, &nul) || nul)
            encode_error(e, "JSON object keys must be UTF-8 without NUL "
                            "bytes");
        phl_rawgeti(L, names, keys[i].slot);
        lua_rawget(L, idx);
        if (lua_type(L, -1) != LUA_TNIL)
            add_value(e, obj, keys[i].s, lua_gettop(L), depth);
        lua_pop(L, 1);
    }
    lua_pop(L, 2); /* the references and the name table */
}

/* Attach `item` to `parent` (under `key` for an object), or make it the
 * root.  On failure the item is deleted before raising. */
static void attach(encoder *e, cJSON *parent, const char *key, cJSON *item)
{
    int ok;

    if (item == NULL)
        out_of_memory(e);
    if (parent == NULL) {
        e->w->tree = item;
        return;
    }
    ok = key != NULL ? cJSON_AddItemToObject(parent, key, item)
                     : cJSON_AddItemToArray(parent, item);
    if (!ok) {
        cJSON_Delete(item);
        out_of_memory(e);
    }
}

/* The table at idx, whose shape the caller decided (once). */
static void add_table(encoder *e, cJSON *parent, const char *key, int idx,
                      int depth, int is_array, size_t n)
{
    cJSON *item = is_array ? cJSON_CreateArray() : cJSON_CreateObject();

    attach(e, parent, key, item);
    if (is_array)
        fill_array(e, item, idx, n, depth + 1);
    else
        fill_object(e, item, idx, depth + 1);
}

static void add_value(encoder *e, cJSON *parent, const char *key, int idx,
                      int depth)
{
    lua_State *L = e->L;
    cJSON *item = NULL;
    size_t len, n = 0;
    const char *s;
    int nul, is_array;

    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        item = cJSON_CreateNull();
        break;
    case LUA_TBOOLEAN:
        item = cJSON_CreateBool(lua_toboolean(L, idx));
        break;
    case LUA_TNUMBER:
        item = number_item(e, idx);
        break;
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &len);
        if (!utf8_valid(s, len, &nul))
            encode_error(e, "JSON strings must be valid UTF-8");
        item = string_item(s, len);
        break;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) != NULL)
            encode_error(e, "only payhook.null can be encoded as a "
                            "lightuserdata");
        item = cJSON_CreateNull();
        break;
    case LUA_TTABLE:
        if (depth >= PH_MAX_DEPTH)
            encode_error(e, "value nested too deeply for JSON (or it "
                            "contains itself)");
        luaL_checkstack(L, 8, "payhook: JSON nesting");
        is_array = table_is_array(e, idx, &n);
        add_table(e, parent, key, idx, depth, is_array, n);
        return;
    default:
        lua_pushfstring(L, "cannot encode a %s as JSON",
                        luaL_typename(L, idx));
        encode_error(e, lua_tostring(L, -1));
        return;
    }
    attach(e, parent, key, item);
}

void phl_json_encode(lua_State *L, int idx, int arg, int want, phl_work *w)
{
    encoder e;
    size_t n;

    idx = phl_absindex(L, idx);
    luaL_checkstack(L, 8, "payhook: JSON nesting");
    e.L = L;
    e.arg = arg;
    lua_getfield(L, LUA_REGISTRYINDEX, PHL_ARRAY_MT);
    e.array_mt = lua_gettop(L);
    e.w = w;
    if (want == PHL_JSON_OBJECT) {
        /* The shape checked is the shape written: it is decided once. */
        if (lua_type(L, idx) != LUA_TTABLE || table_is_array(&e, idx, &n))
            luaL_argerror(L, arg,
                          "must be a table that encodes as a JSON object");
        add_table(&e, NULL, NULL, idx, 0, 0, 0);
    } else {
        add_value(&e, NULL, NULL, idx, 0);
    }
    lua_pop(L, 1);
    if ((w->text = cJSON_PrintUnformatted(w->tree)) == NULL)
        out_of_memory(&e);
    cJSON_Delete(w->tree);
    w->tree = NULL;
}
