/*
 * The gateway pipeline's Lua face (payhook.h, "Gateways"): one decoder
 * type for every gateway the core registers, the one-shot decode and
 * verify, and the signer for test callbacks.  Adding a gateway to the
 * core adds nothing here: payhook.lua builds payhook.<name> from
 * core.gateways().
 *
 *   core.gateways()                          -> list of descriptions
 *   core.gateway_new(name, key [, opts])     -> decoder | nil, msg, kind
 *   core.gateway_decode(name, body, key, headers [, opts])
 *   core.gateway_verify(name, body, key, headers [, opts])
 *   core.gateway_bind(name)                  -> new, decode, verify for
 *                                               one gateway (the same
 *                                               without the name)
 *   core.gateway_sign(name, payload, key, timestamp, event_id | nil)
 *                                            -> body, headers
 *   decoder:decode(body, headers [, now])
 *   decoder:verify(body, headers [, now [, expect]])
 *
 * Memory: the prepared key of a decoder lives in its userdata (freed and
 * wiped by __gc or close); a one-shot key, the scratch buffers and a
 * signed callback live in the call's work box.  The request's headers and
 * the expected fields are arrays on the C stack whose pointers go into Lua
 * strings that this call keeps on the Lua stack, so nothing a finaliser
 * does to the caller's tables while the call runs can leave a pointer to
 * memory payhook does not own, and nothing is allocated by hand that a
 * Lua error could orphan.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_binding.h"

/* The options each entry point takes. */
#define NEW_OPTS                                                              \
    (PHL_OPT_LEEWAY | PHL_OPT_MAX_BYTES | PHL_OPT_NUMBERS | PHL_OPT_TOLERANCE)
#define ONCE_OPTS (NEW_OPTS | PHL_OPT_NOW)

/* The most expected fields one call compares (as the Python binding). */
#define PHL_MAX_EXPECT 32

/* ------------------------------------------------------------------ */
/* Gateways by name                                                    */

/* The gateway named by the string argument; an unknown name raises. */
static const ph_gateway *check_gateway(lua_State *L, int arg)
{
    size_t len, i;
    const char *name = phl_check_string(L, arg, &len);
    const ph_gateway *g = ph_gateway_find(name, len);

    if (g != NULL)
        return g;
    lua_pushfstring(L, "unknown gateway '%s'; payhook knows", name);
    for (i = 0; ph_gateway_at(i) != NULL; i++)
        lua_pushfstring(L, "%s %s", i == 0 ? "" : ",",
                        ph_gateway_name(ph_gateway_at(i)));
    lua_concat(L, (int)i + 1);
    luaL_argerror(L, arg, lua_tostring(L, -1));
    return NULL;
}

/* The gateway of a function made by core.gateway_bind. */
static const ph_gateway *bound_gateway(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* ------------------------------------------------------------------ */
/* Headers                                                             */

#define HEADERS_USAGE                                                         \
    "headers must be nil, a table of name = value (a list of values for "     \
    "a repeated header), or a list of {name, value} pairs"

/* One more than the core takes is enough for it to refuse the request. */
#define HEADERS_CAP (PH_MAX_HEADERS + 1)

typedef struct phl_headers {
    ph_header items[HEADERS_CAP];
    size_t n;
} phl_headers;

static void header_error(lua_State *L, int arg, const char *what)
{
    lua_pushfstring(L, "%s (%s)", what, HEADERS_USAGE);
    luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* A list of {name, value} pairs, as the shared vectors write them.  Each
 * name and value is left on the stack, which anchors it. */
static void read_header_pairs(lua_State *L, int arg, phl_headers *h)
{
    size_t i, n = phl_rawlen(L, arg);

    for (i = 1; i <= n && h->n < HEADERS_CAP; i++) {
        ph_header *x = &h->items[h->n];

        phl_rawgeti(L, arg, i);
        if (lua_type(L, -1) != LUA_TTABLE)
            header_error(L, arg, "a header pair must be a table");
        phl_rawgeti(L, -1, 1);
        phl_rawgeti(L, -2, 2);
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
            header_error(L, arg, "header names and values must be strings");
        lua_remove(L, -3); /* the pair; name and value stay */
        x->name = lua_tolstring(L, -2, &x->name_len);
        x->value = lua_tolstring(L, -1, &x->value_len);
        h->n++;
    }
}

/* name = value or name = {value, ...}: ngx.req.get_headers() gives a
 * repeated header as a list, and each value is passed as its own header
 * so that the core sees the repetition.  Copies of the name and each value
 * are left on the stack below the traversal's key. */
static void read_header_map(lua_State *L, int arg, phl_headers *h)
{
    lua_pushnil(L);
    while (lua_next(L, arg) != 0) {
        int vt = lua_type(L, -1);
        int name_idx;
        size_t j, m;

        if (lua_type(L, -2) != LUA_TSTRING)
            header_error(L, arg, "header names must be strings");
        if (vt != LUA_TSTRING && vt != LUA_TTABLE)
            header_error(L, arg,
                         "header values must be strings or lists of strings");
        if (h->n == HEADERS_CAP) {
            lua_pop(L, 2);
            break;
        }
        /* An empty list is no header, and keeps no name on the stack
         * (so the names never outnumber the headers). */
        if (vt == LUA_TTABLE && phl_rawlen(L, -1) == 0) {
            lua_pop(L, 1);
            continue;
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -3); /* [name key value] */
        name_idx = lua_gettop(L) - 2;
        if (vt == LUA_TSTRING) {
            ph_header *x = &h->items[h->n++];
            lua_insert(L, -2); /* [name value key] */
            x->name = lua_tolstring(L, name_idx, &x->name_len);
            x->value = lua_tolstring(L, -2, &x->value_len);
            continue;
        }
        m = phl_rawlen(L, -1);
        for (j = 1; j <= m && h->n < HEADERS_CAP; j++) {
            ph_header *x = &h->items[h->n];
            phl_rawgeti(L, -1, j);
            if (lua_type(L, -1) != LUA_TSTRING)
                header_error(L, arg,
                             "header values must be strings or lists of "
                             "strings");
            lua_insert(L, -3); /* [name ... value key list] */
            x->name = lua_tolstring(L, name_idx, &x->name_len);
            x->value = lua_tolstring(L, -3, &x->value_len);
            h->n++;
        }
        lua_pop(L, 1); /* the list; the key is on top */
    }
}

/* The headers argument: nil, a name = value table or a list of pairs
 * (told apart by a first element).  Raises on a wrong type.  Reads raw,
 * each entry once; nothing here allocates but the stack check, so the
 * table cannot change while it is read. */
static void read_headers(lua_State *L, int arg, phl_headers *h)
{
    int t = lua_type(L, arg), pairs;

    h->n = 0;
    if (t == LUA_TNONE || t == LUA_TNIL)
        return;
    if (t != LUA_TTABLE)
        luaL_argerror(L, arg, HEADERS_USAGE);
    luaL_checkstack(L, 2 * HEADERS_CAP + 8, "payhook: headers");
    phl_rawgeti(L, arg, 1);
    pairs = lua_type(L, -1) != LUA_TNIL;
    lua_pop(L, 1);
    if (pairs)
        read_header_pairs(L, arg, h);
    else
        read_header_map(L, arg, h);
}

/* ------------------------------------------------------------------ */
/* Expected fields                                                     */

typedef struct phl_expect {
    ph_str paths[PHL_MAX_EXPECT];
    ph_str values[PHL_MAX_EXPECT];
    char digits[PHL_MAX_EXPECT][24]; /* integers written out */
    size_t n;
} phl_expect;

static void expect_error(lua_State *L, int arg, const char *path,
                         const char *what)
{
    lua_pushfstring(L, "expect[\"%s\"] %s", path, what);
    luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* An integer value as the text a JSON literal would have; a float raises
 * (money in a float is already inexact: write "124.10").  In LuaJIT every
 * number is a double, so a whole one within 2^53 is taken as an integer. */
static void expect_integer(lua_State *L, int arg, const char *path, int vidx,
                           char *buf, size_t cap, ph_str *out)
{
    int n;

#if PHL_HAVE_INTEGERS
    if (!lua_isinteger(L, vidx))
        expect_error(L, arg, path,
                     "must be a string or an integer, not a float (money "
                     "in a float is inexact: write it as a string)");
    n = snprintf(buf, cap, "%lld", (long long)lua_tointeger(L, vidx));
#else
    double d = (double)lua_tonumber(L, vidx);

    if (d != floor(d) || fabs(d) > 9007199254740992.0)
        expect_error(L, arg, path,
                     "must be a string or a whole number within 2^53 (money "
                     "in a float is inexact: write it as a string)");
    n = snprintf(buf, cap, "%.0f", d == 0 ? 0.0 : d);
#endif
    out->ptr = buf;
    out->len = (size_t)n;
}

/* expect: nil or a table of path = string or integer.  The paths and
 * string values are left on the stack below the traversal's key, which
 * anchors them.  Raises on anything else, or on more than PHL_MAX_EXPECT
 * fields. */
static void read_expect(lua_State *L, int idx, int arg, phl_expect *e)
{
    int t = lua_type(L, idx);

    e->n = 0;
    if (t == LUA_TNONE || t == LUA_TNIL)
        return;
    if (t != LUA_TTABLE)
        luaL_argerror(L, arg, "expect must be a table of field path = value");
    idx = phl_absindex(L, idx);
    luaL_checkstack(L, 2 * PHL_MAX_EXPECT + 8, "payhook: expect");
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        size_t i = e->n;
        const char *path;
        int vt = lua_type(L, -1);

        if (lua_type(L, -2) != LUA_TSTRING || phl_rawlen(L, -2) == 0)
            luaL_argerror(L, arg,
                          "expect's names must be non-empty strings (field "
                          "paths such as \"data.order.amount\")");
        path = lua_tostring(L, -2);
        if (i == PHL_MAX_EXPECT) {
            lua_pushfstring(L, "expect may hold at most %d fields",
                            PHL_MAX_EXPECT);
            luaL_argerror(L, arg, lua_tostring(L, -1));
        }
        if (vt == LUA_TNUMBER)
            expect_integer(L, arg, path, lua_gettop(L), e->digits[i],
                           sizeof e->digits[i], &e->values[i]);
        else if (vt != LUA_TSTRING)
            expect_error(L, arg, path, "must be a string or an integer");
        lua_pushvalue(L, -2);
        lua_insert(L, -3); /* [path key value] */
        lua_insert(L, -2); /* [path value key] */
        e->paths[i].ptr = lua_tolstring(L, -3, &e->paths[i].len);
        if (vt == LUA_TSTRING)
            e->values[i].ptr = lua_tolstring(L, -2, &e->values[i].len);
        e->n++;
    }
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

static int compare_names(const void *a, const void *b)
{
    const ph_str *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n > 0 ? memcmp(x->ptr, y->ptr, n) : 0;

    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* The payload's top-level names in byte order (an array), or an empty
 * array when the signature covers nothing.  The names are keys of the
 * payload, which nothing else can reach yet, so they stay alive while they
 * are sorted (in a userdata: Lua memory, collected whatever happens). */
static void push_signed_fields(lua_State *L, int payload, int covered)
{
    size_t n = 0, i = 0;
    ph_str *names;

    lua_newtable(L);
    lua_getfield(L, LUA_REGISTRYINDEX, PHL_ARRAY_MT);
    lua_setmetatable(L, -2);
    if (!covered)
        return;
    lua_pushnil(L);
    while (lua_next(L, payload) != 0) {
        lua_pop(L, 1);
        n++;
    }
    if (n == 0)
        return;
    names = phl_newuserdata(L, n * sizeof *names);
    lua_pushnil(L);
    while (lua_next(L, payload) != 0) {
        lua_pop(L, 1);
        if (i < n && lua_type(L, -1) == LUA_TSTRING) {
            names[i].ptr = lua_tolstring(L, -1, &names[i].len);
            i++;
        }
    }
    qsort(names, i, sizeof *names, compare_names);
    for (n = 0; n < i; n++) {
        lua_pushlstring(L, names[n].ptr, names[n].len);
        phl_rawseti(L, -3, n + 1);
    }
    lua_pop(L, 1); /* the userdata */
}

/* {status =, body =, content_type = [, repost =]}: what the gateway
 * expects back (repost: Fiuu's form to POST back, with treq=1). */
static void push_reply(lua_State *L, const ph_reply *rp)
{
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, rp->status);
    lua_setfield(L, -2, "status");
    lua_pushlstring(L, rp->body, rp->body_len);
    lua_setfield(L, -2, "body");
    lua_pushstring(L, rp->content_type);
    lua_setfield(L, -2, "content_type");
    if (rp->repost != NULL) {
        lua_pushlstring(L, rp->repost, rp->repost_len);
        lua_setfield(L, -2, "repost");
    }
}

/* A form gateway's covered fields, in byte order (an array). */
static void push_covered_fields(lua_State *L, const ph_result *r)
{
    ph_str *names;
    size_t i, n = 0;

    lua_newtable(L);
    lua_getfield(L, LUA_REGISTRYINDEX, PHL_ARRAY_MT);
    lua_setmetatable(L, -2);
    if (r->n_fields == 0)
        return;
    names = phl_newuserdata(L, r->n_fields * sizeof *names);
    for (i = 0; i < r->n_fields; i++)
        if (ph_result_covers(r, r->fields[i].name.ptr, r->fields[i].name.len))
            names[n++] = r->fields[i].name;
    qsort(names, n, sizeof *names, compare_names);
    for (i = 0; i < n; i++) {
        lua_pushlstring(L, names[i].ptr, names[i].len);
        phl_rawseti(L, -3, i + 1);
    }
    lua_pop(L, 1); /* the userdata */
}

/* What verify found, besides the payload (at index `payload`). */
typedef struct phl_found {
    char event_id[PH_EVENT_ID_MAX];
    size_t id_len;
    int has_id;
    int has_timestamp;
    int64_t timestamp;
} phl_found;

static void push_result(lua_State *L, const ph_gateway *g, int payload,
                        const phl_found *f, const ph_result *r)
{
    lua_createtable(L, 0, 6);
    lua_pushvalue(L, payload);
    lua_setfield(L, -2, "payload");
    lua_pushstring(L, ph_gateway_name(g));
    lua_setfield(L, -2, "gateway");
    if (f->has_id) {
        /* Any bytes a header carried, as they are. */
        lua_pushlstring(L, f->event_id, f->id_len);
        lua_setfield(L, -2, "event_id");
    }
    if (f->has_timestamp) {
        phl_pushint64(L, f->timestamp);
        lua_setfield(L, -2, "timestamp");
    }
    if (ph_gateway_covers(g) == PH_COVERS_FIELDS)
        push_covered_fields(L, r);
    else
        push_signed_fields(L, payload,
                           ph_gateway_covers(g) == PH_COVERS_PAYLOAD);
    lua_setfield(L, -2, "signed_fields");
    push_reply(L, &r->reply);
    lua_setfield(L, -2, "reply");
}

/* ------------------------------------------------------------------ */
/* The steps of one call                                               */

/* An upper bound of the values parsing an opened result builds: a JSON
 * payload's, or a form's names and values. */
static size_t payload_values(const ph_result *r)
{
    return phl_json_max_values(r->payload_len) + 2 * r->n_fields;
}

/* A number the sink would not build (1e400) stopped nothing: the parse
 * went on so that the core's claim checks had their say first.  They
 * passed; what a refused value means is the gateway's to say (SuperPay
 * makes it its one decryption error), so the payload is parsed once more
 * with a sink that fails at the number, and the core's verdict is
 * reported.  A plain sink failure is the refused number's DecodeError. */
static ph_status refused_number(lua_State *L, const ph_gateway_key *key,
                                const ph_result *r, const ph_options *o,
                                int base, phl_work *w, ph_error *err)
{
    phl_sink_ctx ctx;
    void *root = NULL;
    ph_status rc;

    lua_settop(L, base);
    phl_sink_begin(L, &ctx, payload_values(r), 0, 0);
    rc = ph_gateway_parse(key, r, o, &phl_lua_sink, &ctx, &w->scratch, &root,
                          err);
    lua_settop(L, base);
    if (rc == PH_OK || rc == PH_ERR_SINK) {
        err->status = PH_ERR_DECODE;
        snprintf(err->message, sizeof err->message, "%s", PHL_NUMBER_REFUSED);
        return PH_ERR_DECODE;
    }
    return rc;
}

/* Open, parse and (with `e`, for verify) read the event id and compare
 * the expected fields; push the payload, or the result table, or nil,
 * message, kind.  `w` is a work box on the stack; it is released here. */
static int gateway_run(lua_State *L, const ph_gateway_key *key,
                       const ph_options *o, int exact_numbers,
                       phl_names *names, const char *body, size_t len,
                       const phl_headers *h, const phl_expect *e, phl_work *w)
{
    const ph_gateway *g = ph_gateway_key_gateway(key);
    int base = lua_gettop(L);
    phl_sink_ctx ctx;
    phl_found found;
    ph_request rq;
    ph_result r;
    void *root = NULL;
    ph_error err;
    ph_status rc;

    memset(&ctx, 0, sizeof ctx);
    memset(&found, 0, sizeof found);
    phl_clear_error(&err);
    rq.body = body;
    rq.body_len = len;
    rq.headers = h->items;
    rq.n_headers = h->n;
    rq.query = NULL;
    rq.query_len = 0;
    rc = ph_gateway_open(key, &rq, o, &w->scratch, &r, &err);
    if (rc == PH_OK) {
        phl_sink_begin(L, &ctx, payload_values(&r), exact_numbers, 1);
        if (names != NULL)
            phl_sink_names(L, &ctx, names);
        rc = ph_gateway_parse(key, &r, o, &phl_lua_sink, &ctx, &w->scratch,
                              &root, &err);
        if (rc == PH_OK && ctx.refused) {
            rc = refused_number(L, key, &r, o, base, w, &err);
        } else if (rc == PH_OK && (intptr_t)root != lua_gettop(L)) {
            rc = err.status = PH_ERR_SINK;
            snprintf(err.message, sizeof err.message,
                     "the value could not be built");
        }
    }
    if (rc == PH_OK && e != NULL) {
        rc = ph_gateway_event_id(&r, found.event_id, &found.id_len,
                                 &found.has_id, &err);
        if (rc == PH_OK)
            rc = ph_gateway_expect(&r, e->paths, e->values, e->n, &err);
        found.has_timestamp = r.has_timestamp;
        found.timestamp = r.timestamp;
    }
    if (rc != PH_OK) {
        phl_work_done(w);
        lua_settop(L, base);
        return phl_push_failure(L, &err);
    }
    /* A form's fields and Fiuu's re-post live in the scratch: the result
     * is built before it is released (if building it raises, the box's
     * __gc releases a call's own box; a decoder's kept box is wiped by
     * the protected call's end). */
    if (e != NULL)
        push_result(L, g, lua_gettop(L), &found, &r);
    phl_work_done(w);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Decoder: core.gateway_new                                           */

/*
 * `busy` counts the calls running on the decoder.  close() during one
 * (from a finaliser the call's own allocations ran) marks it closed and
 * leaves the key to the last call to finish, so a running call never
 * finds its key freed.  The calls run protected (lua_pcall), so one that a
 * Lua error ends is counted out too before the error goes on.  The first
 * call (busy 0) uses the decoder's kept work box and wipes it at its end,
 * however it ends; a call made from inside it gets a box of its own.
 */
typedef struct phl_gateway {
    const ph_gateway *g;
    ph_gateway_key *key; /* NULL once freed                    */
    int closed;
    int busy;
    ph_options options; /* `now` filled in per call           */
    int exact_numbers;
    phl_work work;   /* the scratch of its calls           */
    phl_names names; /* member names of its payloads       */
} phl_gateway;

static phl_gateway *check_decoder(lua_State *L, int arg)
{
    phl_gateway *ud = luaL_checkudata(L, arg, PHL_GATEWAY_MT);

    if (ud->closed || ud->key == NULL)
        luaL_argerror(L, arg, "the decoder is closed");
    return ud;
}

/* The key and the kept box, once no call is running. */
static void free_key(phl_gateway *ud)
{
    ph_gateway_key_free(ud->key); /* wipes the keys */
    ud->key = NULL;
    phl_work_release(&ud->work);
}

/* The `now` of a call given none: the current time, or 0 for a gateway
 * whose opening and parsing never read it (ph_gateway_uses_clock), which
 * then costs no clock read, as in the Python binding. */
static double now_for(const ph_gateway *g)
{
    return ph_gateway_uses_clock(g) ? phl_now() : 0;
}

static void options_from(const phl_opts *o, ph_options *out)
{
    ph_options_init(out, 0);
    out->max_bytes = o->max_bytes;
    out->leeway = o->leeway;
    if (o->has_tolerance)
        out->tolerance = o->tolerance;
}

/* new(key [, opts]) with the key at `a`. */
static int new_at(lua_State *L, const ph_gateway *g, int a)
{
    phl_gateway *ud;
    phl_keys keys;
    phl_opts o;
    ph_error err;

    lua_settop(L, a + 1);
    phl_read_keys(L, a, &keys);
    phl_opts_parse(L, a + 1, a + 1, NEW_OPTS, &o, NULL);
    ud = phl_newuserdata(L, sizeof *ud);
    memset(ud, 0, sizeof *ud);
    ud->work.kept = 1;
    phl_names_init(&ud->names);
    luaL_getmetatable(L, PHL_GATEWAY_MT);
    lua_setmetatable(L, -2);
    ud->g = g;
    options_from(&o, &ud->options);
    ud->exact_numbers = o.exact_numbers;
    phl_clear_error(&err);
    /* Nothing below raises: the core's allocation is never orphaned. */
    if (ph_gateway_key_new(g, keys.ptrs, keys.lens, keys.n, &ud->key, &err) !=
        PH_OK)
        return phl_push_failure(L, &err);
    phl_names_open(L, &ud->names);
    return 1;
}

/* gateway_run's arguments, for running it protected. */
typedef struct phl_run {
    const ph_gateway_key *key;
    const ph_options *o;
    int exact_numbers;
    phl_names *names;
    const char *body;
    size_t len;
    const phl_headers *h;
    const phl_expect *e;
    phl_work *w;
} phl_run;

static int run_protected(lua_State *L)
{
    const phl_run *a = lua_touserdata(L, 1);

    lua_pop(L, 1);
    return gateway_run(L, a->key, a->o, a->exact_numbers, a->names, a->body,
                       a->len, a->h, a->e, a->w);
}

/* decoder:decode(body, headers [, now]) and, with `record`,
 * decoder:verify(body, headers [, now [, expect]]). */
static int decoder_call(lua_State *L, int record)
{
    phl_gateway *ud = check_decoder(L, 1);
    const char *body;
    phl_headers h;
    phl_expect e;
    ph_options o;
    phl_work *w;
    phl_run run;
    size_t len;
    int top, status;

    lua_settop(L, 5);
    body = phl_check_string(L, 2, &len);
    o = ud->options;
    o.now = lua_isnoneornil(L, 4) ? now_for(ud->g) : phl_check_now(L, 4);
    read_headers(L, 3, &h);
    e.n = 0;
    if (record)
        read_expect(L, 5, 5, &e);
    else if (!lua_isnil(L, 5))
        luaL_argerror(L, 5, "decode takes no expect: use verify");
    /* Inside a running call the kept box is in use: this one gets its
     * own (busy cannot change before the count below: a call that a
     * finaliser makes in between ends before this one goes on). */
    w = ud->busy > 0 ? phl_work_new(L) : &ud->work;
    run.o = &o;
    run.exact_numbers = ud->exact_numbers;
    run.names = &ud->names;
    run.body = body;
    run.len = len;
    run.h = &h;
    run.e = record ? &e : NULL;
    run.w = w;
    /* run_protected, kept as the method's upvalue: in LuaJIT pushing a C
     * function makes a new closure each time. */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushlightuserdata(L, &run);
    top = lua_gettop(L) - 2;
    /* The allocations since check_decoder may have run a finaliser that
     * closed this decoder (its key then freed, busy being 0): look again,
     * and count the call before anything else can run. */
    if (ud->key == NULL) {
        phl_work_done(w);
        return luaL_error(L, "the decoder is closed");
    }
    run.key = ud->key;
    /* Nothing between the count and the call can raise. */
    ud->busy++;
    status = lua_pcall(L, 1, LUA_MULTRET, 0);
    phl_work_done(w); /* a Lua error skipped the call's own */
    if (--ud->busy == 0 && ud->closed)
        free_key(ud);
    if (status != 0)
        return lua_error(L);
    return lua_gettop(L) - top;
}

static int decoder_decode(lua_State *L)
{
    return decoder_call(L, 0);
}

static int decoder_verify(lua_State *L)
{
    return decoder_call(L, 1);
}

/* close(), and __close in Lua 5.4. */
static int decoder_close(lua_State *L)
{
    phl_gateway *ud = luaL_checkudata(L, 1, PHL_GATEWAY_MT);

    ud->closed = 1;
    if (ud->busy == 0)
        free_key(ud);
    phl_names_close(L, &ud->names); /* a running call keeps its table */
    return 0;
}

/* __gc: no call can be running (it would hold the decoder). */
static int decoder_gc(lua_State *L)
{
    phl_gateway *ud = luaL_checkudata(L, 1, PHL_GATEWAY_MT);

    ud->closed = 1;
    free_key(ud);
    phl_names_close(L, &ud->names);
    return 0;
}

static int decoder_tostring(lua_State *L)
{
    phl_gateway *ud = luaL_checkudata(L, 1, PHL_GATEWAY_MT);

    lua_pushfstring(L, "payhook.%s decoder%s: %p", ph_gateway_name(ud->g),
                    ud->closed ? " (closed)" : "", (void *)ud);
    return 1;
}

/* ------------------------------------------------------------------ */
/* One-shot decode and verify                                          */

/* decode / verify(body, key, headers [, opts]) with the body at `a`: the
 * prepared key is freed (and wiped) as soon as the call is done. */
static int once_at(lua_State *L, const ph_gateway *g, int a, int record)
{
    const char *body;
    phl_headers h;
    phl_expect e;
    phl_keys keys;
    ph_options po;
    phl_opts o;
    phl_work *w;
    ph_error err;
    size_t len;

    lua_settop(L, a + 3);
    body = phl_check_string(L, a, &len);
    phl_read_keys(L, a + 1, &keys);
    read_headers(L, a + 2, &h);
    phl_opts_parse(L, a + 3, a + 3, ONCE_OPTS | (record ? PHL_OPT_EXPECT : 0),
                   &o, NULL);
    e.n = 0;
    if (record && lua_type(L, a + 3) == LUA_TTABLE) {
        lua_pushliteral(L, "expect");
        lua_rawget(L, a + 3);
        read_expect(L, lua_gettop(L), a + 3, &e);
    }
    options_from(&o, &po);
    po.now = o.has_now ? o.now : now_for(g);
    w = phl_work_new(L);
    phl_clear_error(&err);
    if (ph_gateway_key_new(g, keys.ptrs, keys.lens, keys.n, &w->gkey, &err) !=
        PH_OK) {
        phl_work_release(w);
        return phl_push_failure(L, &err);
    }
    return gateway_run(L, w->gkey, &po, o.exact_numbers, NULL, body, len, &h,
                       record ? &e : NULL, w);
}

static int gateway_new(lua_State *L)
{
    return new_at(L, check_gateway(L, 1), 2);
}

static int gateway_decode(lua_State *L)
{
    return once_at(L, check_gateway(L, 1), 2, 0);
}

static int gateway_verify(lua_State *L)
{
    return once_at(L, check_gateway(L, 1), 2, 1);
}

static int bound_new(lua_State *L)
{
    return new_at(L, bound_gateway(L), 1);
}

static int bound_decode(lua_State *L)
{
    return once_at(L, bound_gateway(L), 1, 0);
}

static int bound_verify(lua_State *L)
{
    return once_at(L, bound_gateway(L), 1, 1);
}

/* core.gateway_bind(name) -> new, decode, verify: the functions of
 * payhook.<name>, the gateway an upvalue (a pointer to the core's
 * constant description). */
static int gateway_bind(lua_State *L)
{
    const ph_gateway *g = check_gateway(L, 1);
    lua_CFunction fns[3] = { bound_new, bound_decode, bound_verify };
    int i;

    for (i = 0; i < 3; i++) {
        lua_pushlightuserdata(L, (void *)g);
        lua_pushcclosure(L, fns[i], 1);
    }
    return 3;
}

/* ------------------------------------------------------------------ */
/* Signing and the list                                                */

/* A signed timestamp: whole seconds from 0, at most 15 digits. */
static int64_t check_timestamp(lua_State *L, int arg)
{
    double d;

    luaL_checktype(L, arg, LUA_TNUMBER);
#if PHL_HAVE_INTEGERS
    if (lua_isinteger(L, arg)) {
        lua_Integer i = lua_tointeger(L, arg);
        if (i < 0 || i >= (lua_Integer)1000000000000000)
            luaL_argerror(L, arg,
                          "timestamp must be whole seconds from 0 "
                          "to 10^15 - 1");
        return (int64_t)i;
    }
#endif
    d = (double)lua_tonumber(L, arg);
    if (!(d >= 0 && d < 1e15) || d != floor(d))
        luaL_argerror(L, arg,
                      "timestamp must be whole seconds from 0 to "
                      "10^15 - 1");
    return (int64_t)d;
}

/* core.gateway_sign(name, payload_json, key, timestamp, event_id | nil)
 * -> body, {name = value}: a genuine callback, for tests.  A bad key is
 * nil, message, kind; an event id given to a gateway whose id comes from
 * the payload raises. */
static int gateway_sign(lua_State *L)
{
    const ph_gateway *g = check_gateway(L, 1);
    ph_sign_input in;
    phl_work *w;
    ph_error err;
    size_t i;

    memset(&in, 0, sizeof in);
    in.payload = phl_check_string(L, 2, &in.payload_len);
    in.key = (const unsigned char *)phl_check_string(L, 3, &in.key_len);
    in.timestamp = check_timestamp(L, 4);
    if (!lua_isnoneornil(L, 5))
        in.event_id = phl_check_string(L, 5, &in.event_id_len);
    lua_settop(L, 5);
    w = phl_work_new(L);
    phl_clear_error(&err);
    if (ph_gateway_sign(g, &in, &w->sig, &err) != PH_OK) {
        phl_work_release(w);
        return phl_push_failure(L, &err);
    }
    lua_pushlstring(L, w->sig.body, w->sig.body_len);
    lua_createtable(L, 0, (int)w->sig.n_headers);
    for (i = 0; i < w->sig.n_headers; i++) {
        const ph_header *x = &w->sig.headers[i];
        lua_pushlstring(L, x->name, x->name_len);
        lua_pushlstring(L, x->value, x->value_len);
        lua_rawset(L, -3);
    }
    phl_work_release(w);
    return 2;
}

/* A number of seconds: an integer where it is whole. */
static void push_seconds(lua_State *L, double s)
{
    if (s == floor(s) && fabs(s) < 9007199254740992.0)
        phl_pushint64(L, (int64_t)s);
    else
        lua_pushnumber(L, (lua_Number)s);
}

/* core.gateways() -> {{name, title, covers_payload, covers ("payload",
 * "fields", "nothing"), payload ("json", "form"), signs_time, tolerance,
 * reply = {status, body, content_type}}, ...} in the core's order. */
static int gateways(lua_State *L)
{
    const ph_gateway *g;
    size_t i;

    lua_newtable(L);
    for (i = 0; (g = ph_gateway_at(i)) != NULL; i++) {
        lua_createtable(L, 0, 6);
        lua_pushstring(L, ph_gateway_name(g));
        lua_setfield(L, -2, "name");
        lua_pushstring(L, ph_gateway_title(g));
        lua_setfield(L, -2, "title");
        lua_pushboolean(L, ph_gateway_covers(g) == PH_COVERS_PAYLOAD);
        lua_setfield(L, -2, "covers_payload");
        lua_pushboolean(L, ph_gateway_signs_time(g));
        lua_setfield(L, -2, "signs_time");
        push_seconds(L, ph_gateway_default_tolerance(g));
        lua_setfield(L, -2, "tolerance");
        push_reply(L, ph_gateway_reply(g));
        lua_setfield(L, -2, "reply");
        lua_pushstring(L, ph_gateway_covers(g) == PH_COVERS_PAYLOAD ? "payload"
                          : ph_gateway_covers(g) == PH_COVERS_FIELDS
                              ? "fields"
                              : "nothing");
        lua_setfield(L, -2, "covers");
        lua_pushstring(L, ph_gateway_payload_kind(g) == PH_PAYLOAD_FORM
                              ? "form"
                              : "json");
        lua_setfield(L, -2, "payload");
        phl_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* Registration                                                        */

/* decode and verify are added by phl_gateway_types, with an upvalue. */
static const luaL_Reg decoder_methods[] = {
    { "close", decoder_close },
    { NULL, NULL },
};

static const luaL_Reg gateway_functions[] = {
    { "gateways", gateways },
    { "gateway_new", gateway_new },
    { "gateway_decode", gateway_decode },
    { "gateway_verify", gateway_verify },
    { "gateway_bind", gateway_bind },
    { "gateway_sign", gateway_sign },
    { NULL, NULL },
};

void phl_gateway_types(lua_State *L)
{
    static const luaL_Reg calls[] = {
        { "decode", decoder_decode },
        { "verify", decoder_verify },
    };
    size_t i;

    phl_new_type(L, PHL_GATEWAY_MT, decoder_methods, decoder_gc,
                 decoder_tostring);
    /* Each with run_protected as its upvalue (decoder_call). */
    lua_getfield(L, -1, "__index");
    for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        lua_pushcfunction(L, run_protected);
        lua_pushcclosure(L, calls[i].func, 1);
        lua_setfield(L, -2, calls[i].name);
    }
    lua_pop(L, 1);
#if PHL_HAVE_CLOSE
    /* A to-be-closed decoder closes as close() does, calls running or
     * not. */
    lua_pushcfunction(L, decoder_close);
    lua_setfield(L, -2, "__close");
#endif
    lua_pop(L, 1);
}

void phl_gateway_functions(lua_State *L)
{
    phl_setfuncs(L, gateway_functions);
}
