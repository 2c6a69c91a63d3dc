/* Option tables of payhook's Lua functions, checked and converted to the
 * core's ph_claims.  A wrong name, type or value is a caller's mistake:
 * it raises.
 *
 * Each option is read once, with raw access: the names are checked in one
 * traversal (lua_next, which allocates nothing, so no finaliser can run
 * during it), then each known name is fetched with one rawget and
 * everything is taken from that value.  A list is traversed once by its
 * raw length, each element fetched once.  The audience, issuer and subject
 * strings are copied into C memory held by the caller's work box as they
 * are read, so nothing is read a second time, and a Lua error raised part
 * way leaves the copies to the box's __gc. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lua_binding.h"

static const struct {
    const char *name;
    unsigned bit;
} claim_bits[] = {
    { "exp", PH_CLAIM_EXP }, { "nbf", PH_CLAIM_NBF }, { "iat", PH_CLAIM_IAT },
    { "aud", PH_CLAIM_AUD }, { "iss", PH_CLAIM_ISS }, { "sub", PH_CLAIM_SUB },
    { "jti", PH_CLAIM_JTI },
};
#define N_CLAIMS (sizeof claim_bits / sizeof claim_bits[0])

/* The option names and the group each belongs to. */
static const struct {
    const char *name;
    unsigned group;
} option_names[] = {
    { "now", PHL_OPT_NOW },
    { "leeway", PHL_OPT_LEEWAY },
    { "max_bytes", PHL_OPT_MAX_BYTES },
    { "algorithms", PHL_OPT_JWT },
    { "audience", PHL_OPT_JWT },
    { "issuer", PHL_OPT_JWT },
    { "subject", PHL_OPT_JWT },
    { "require", PHL_OPT_JWT },
    { "strict_aud", PHL_OPT_JWT },
    { "verify_signature", PHL_OPT_JWT },
    { "verify_exp", PHL_OPT_JWT },
    { "verify_nbf", PHL_OPT_JWT },
    { "verify_iat", PHL_OPT_JWT },
    { "verify_aud", PHL_OPT_JWT },
    { "verify_iss", PHL_OPT_JWT },
    { "verify_sub", PHL_OPT_JWT },
    { "verify_jti", PHL_OPT_JWT },
    { "exact_numbers", PHL_OPT_NUMBERS },
    { "tolerance", PHL_OPT_TOLERANCE },
    { "expect", PHL_OPT_EXPECT },
};
#define N_OPTIONS (sizeof option_names / sizeof option_names[0])

/* Push opts[name] without metamethods; returns its type. */
static int get_option(lua_State *L, int idx, const char *name)
{
    lua_pushstring(L, name);
    lua_rawget(L, idx);
    return lua_type(L, -1);
}

static int option_error(lua_State *L, int arg, const char *name,
                        const char *what)
{
    lua_pushfstring(L, "option '%s' %s", name, what);
    return luaL_argerror(L, arg, lua_tostring(L, -1));
}

/* Every key of the table must be one of the allowed option names. */
static void check_names(lua_State *L, int idx, int arg, unsigned allowed)
{
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        const char *name;
        size_t i, len;
        int known = 0;

        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_argerror(L, arg, "option names must be strings");
        name = lua_tolstring(L, -1, &len);
        for (i = 0; i < N_OPTIONS; i++)
            if ((option_names[i].group & allowed) &&
                strlen(option_names[i].name) == len &&
                memcmp(option_names[i].name, name, len) == 0)
                known = 1;
        if (!known) {
            lua_pushfstring(L, "unknown option '%s'", name);
            luaL_argerror(L, arg, lua_tostring(L, -1));
        }
    }
}

/* A finite number option; returns 0 if absent. */
static int number_option(lua_State *L, int idx, int arg, const char *name,
                         double *out)
{
    int t = get_option(L, idx, name);

    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (t != LUA_TNUMBER)
        option_error(L, arg, name, "must be a number");
    *out = (double)lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!isfinite(*out))
        option_error(L, arg, name, "must be finite");
    return 1;
}

static void boolean_option(lua_State *L, int idx, int arg, const char *name,
                           int *out)
{
    int t = get_option(L, idx, name);

    if (t != LUA_TNIL) {
        if (t != LUA_TBOOLEAN)
            option_error(L, arg, name, "must be a boolean");
        *out = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
}

/* ------------------------------------------------------------------ */
/* Copied strings                                                      */

void phl_texts_release(phl_texts *t)
{
    free(t->bytes);
    free(t->lens);
    memset(t, 0, sizeof *t);
}

/* Room for `n` more of `size`-byte items in *buf (capacity *cap). */
static int reserve(void **buf, size_t *cap, size_t used, size_t n, size_t size)
{
    size_t want, next;
    void *p;

    if (n > SIZE_MAX / size - used)
        return 0;
    want = used + n;
    if (want <= *cap)
        return 1;
    next = *cap < 16 ? 16 : *cap;
    while (next < want)
        next = next > SIZE_MAX / 2 ? want : next * 2;
    if (next > SIZE_MAX / size || (p = realloc(*buf, next * size)) == NULL)
        return 0;
    *buf = p;
    *cap = next;
    return 1;
}

/* Append the string at the top of the stack (checked to be one) to `t`. */
static void copy_top(lua_State *L, phl_texts *t)
{
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    void *bytes = t->bytes, *lens = t->lens;
    int ok = reserve(&bytes, &t->cap, t->used, len, 1);

    t->bytes = bytes;
    ok = ok && reserve(&lens, &t->lens_cap, t->count, 1, sizeof(size_t));
    t->lens = lens;
    if (!ok)
        luaL_error(L, "payhook: out of memory while reading options");
    if (len > 0)
        memcpy(t->bytes + t->used, s, len);
    t->used += len;
    t->lens[t->count++] = len;
}

/* audience / issuer: a string or a list of strings, copied into `t`.
 * Returns 0 if absent, 1 for a string, 2 for a list; *count is the number
 * of strings. */
static int text_option(lua_State *L, int idx, int arg, const char *name,
                       phl_texts *t, size_t *count)
{
    int kind = 1;
    int type = get_option(L, idx, name);

    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (type == LUA_TSTRING) {
        copy_top(L, t);
        *count = 1;
    } else if (type == LUA_TTABLE) {
        size_t i, n = phl_rawlen(L, -1);

        for (i = 1; i <= n; i++) {
            phl_rawgeti(L, -1, i);
            if (lua_type(L, -1) != LUA_TSTRING)
                option_error(L, arg, name, "must be a list of strings");
            copy_top(L, t);
            lua_pop(L, 1);
        }
        *count = n;
        kind = 2;
    } else {
        option_error(L, arg, name, "must be a string or a list of strings");
    }
    lua_pop(L, 1);
    return kind;
}

static void algorithms_option(lua_State *L, int idx, int arg, phl_opts *o)
{
    size_t i, n, len;
    int t = get_option(L, idx, "algorithms");

    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (t != LUA_TTABLE)
        option_error(L, arg, "algorithms", "must be a list of names");
    n = phl_rawlen(L, -1);
    if (n == 0)
        option_error(L, arg, "algorithms", "must name at least one algorithm");
    o->algorithms = 0;
    for (i = 1; i <= n; i++) {
        const char *s;
        unsigned bit;

        phl_rawgeti(L, -1, i);
        if (lua_type(L, -1) != LUA_TSTRING)
            option_error(L, arg, "algorithms", "must be a list of names");
        s = lua_tolstring(L, -1, &len);
        bit = ph_alg_from_name(s, len);
        if (bit == 0)
            option_error(L, arg, "algorithms",
                         "may only name HS256, HS384 and HS512");
        o->algorithms |= bit;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void require_option(lua_State *L, int idx, int arg, phl_opts *o)
{
    size_t i, j, n, len;
    int t = get_option(L, idx, "require");

    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (t != LUA_TTABLE)
        option_error(L, arg, "require", "must be a list of claim names");
    n = phl_rawlen(L, -1);
    for (i = 1; i <= n; i++) {
        const char *s;
        unsigned bit = 0;

        phl_rawgeti(L, -1, i);
        if (lua_type(L, -1) != LUA_TSTRING)
            option_error(L, arg, "require", "must be a list of claim names");
        s = lua_tolstring(L, -1, &len);
        for (j = 0; j < N_CLAIMS; j++)
            if (len == 3 && memcmp(s, claim_bits[j].name, 3) == 0)
                bit = claim_bits[j].bit;
        if (bit == 0)
            option_error(L, arg, "require",
                         "may only name exp, nbf, iat, aud, iss, sub, jti");
        o->require |= bit;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

void phl_opts_parse(lua_State *L, int idx, int arg, unsigned allowed,
                    phl_opts *o, phl_texts *texts)
{
    int t = lua_type(L, idx);
    size_t i;

    memset(o, 0, sizeof *o);
    o->algorithms = PH_ALG_HS256;
    o->max_bytes = PH_DEFAULT_MAX_BYTES;
    o->verify = PH_CLAIM_EXP | PH_CLAIM_NBF | PH_CLAIM_IAT | PH_CLAIM_AUD |
                PH_CLAIM_ISS | PH_CLAIM_SUB | PH_CLAIM_JTI;
    if (t == LUA_TNONE || t == LUA_TNIL)
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    idx = phl_absindex(L, idx);
    luaL_checkstack(L, 8, "payhook: options");
    check_names(L, idx, arg, allowed);

    if (allowed & PHL_OPT_NOW)
        o->has_now = number_option(L, idx, arg, "now", &o->now);
    if ((allowed & PHL_OPT_LEEWAY) &&
        number_option(L, idx, arg, "leeway", &o->leeway) && o->leeway < 0)
        option_error(L, arg, "leeway", "must not be negative");
    if (allowed & PHL_OPT_MAX_BYTES) {
        double m;
        if (number_option(L, idx, arg, "max_bytes", &m)) {
            if (m < 0 || m != floor(m))
                option_error(L, arg, "max_bytes",
                             "must be a non-negative integer");
            o->max_bytes = m >= (double)SIZE_MAX ? SIZE_MAX : (size_t)m;
        }
    }
    if (allowed & PHL_OPT_NUMBERS)
        boolean_option(L, idx, arg, "exact_numbers", &o->exact_numbers);
    /* At most 10^15 s, as in the Python package (timestamps have at
     * most 15 digits). */
    if ((allowed & PHL_OPT_TOLERANCE) &&
        (o->has_tolerance =
             number_option(L, idx, arg, "tolerance", &o->tolerance)) &&
        (o->tolerance < 0 || o->tolerance > 1e15))
        option_error(L, arg, "tolerance",
                     "must be a number of seconds from 0 to 1e15");
    if (!(allowed & PHL_OPT_JWT))
        return;

    algorithms_option(L, idx, arg, o);
    require_option(L, idx, arg, o);
    /* The strings, in the order phl_opts_claims lays them out. */
    o->texts = texts;
    o->has_audience =
        text_option(L, idx, arg, "audience", texts, &o->n_audience);
    o->audience_is_list = o->has_audience == 2;
    o->has_issuer = text_option(L, idx, arg, "issuer", texts, &o->n_issuer);
    t = get_option(L, idx, "subject");
    if (t != LUA_TNIL && t != LUA_TSTRING)
        option_error(L, arg, "subject", "must be a string");
    if (t == LUA_TSTRING) {
        copy_top(L, texts);
        o->has_subject = 1;
    }
    lua_pop(L, 1);

    boolean_option(L, idx, arg, "strict_aud", &o->strict_aud);
    {
        int verify_signature = 1;
        boolean_option(L, idx, arg, "verify_signature", &verify_signature);
        if (!verify_signature)
            option_error(L, arg, "verify_signature",
                         "cannot be false: payhook never skips signature "
                         "verification");
    }
    for (i = 0; i < N_CLAIMS; i++) {
        char name[16];
        int on = 1;
        memcpy(name, "verify_", 7);
        memcpy(name + 7, claim_bits[i].name, 4); /* with its NUL */
        boolean_option(L, idx, arg, name, &on);
        if (!on)
            o->verify &= ~claim_bits[i].bit;
    }
}

size_t phl_opts_nstrs(const phl_opts *o)
{
    return o->texts != NULL ? o->texts->count : 0;
}

size_t phl_opts_nbytes(const phl_opts *o)
{
    return o->texts != NULL ? o->texts->used : 0;
}

void phl_opts_claims(const phl_opts *o, ph_str *strs, char *bytes,
                     ph_claims *claims)
{
    size_t i, n = phl_opts_nstrs(o);

    ph_claims_init(claims, 0);
    claims->leeway = o->leeway;
    claims->verify = o->verify;
    claims->require = o->require;
    claims->strict_aud = o->strict_aud;
    if (n == 0)
        return;
    if (o->texts->used > 0)
        memcpy(bytes, o->texts->bytes, o->texts->used);
    for (i = 0; i < n; i++) {
        strs[i].ptr = bytes;
        strs[i].len = o->texts->lens[i];
        bytes += strs[i].len;
    }
    if (o->has_audience) {
        claims->audience = strs;
        claims->n_audience = o->n_audience;
    }
    if (o->has_issuer) {
        claims->issuer = strs + o->n_audience;
        claims->n_issuer = o->n_issuer;
    }
    if (o->has_subject)
        claims->subject = strs + o->n_audience + o->n_issuer;
}
