/* Option tables of payhook's Lua functions, checked and converted to the
 * core's ph_claims.  A wrong name, type or value is a caller's mistake:
 * it raises.  No C memory is held here, so raising is always safe. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lua_binding.h"

static const struct {
    const char *name;
    unsigned bit;
} claim_bits[] = {
    {"exp", PH_CLAIM_EXP}, {"nbf", PH_CLAIM_NBF}, {"iat", PH_CLAIM_IAT},
    {"aud", PH_CLAIM_AUD}, {"iss", PH_CLAIM_ISS}, {"sub", PH_CLAIM_SUB},
    {"jti", PH_CLAIM_JTI},
};
#define N_CLAIMS (sizeof claim_bits / sizeof claim_bits[0])

/* The option names and the group each belongs to. */
static const struct {
    const char *name;
    unsigned group;
} option_names[] = {
    {"now", PHL_OPT_NOW},
    {"leeway", PHL_OPT_LEEWAY},
    {"max_bytes", PHL_OPT_MAX_BYTES},
    {"algorithms", PHL_OPT_JWT},
    {"audience", PHL_OPT_JWT},
    {"issuer", PHL_OPT_JWT},
    {"subject", PHL_OPT_JWT},
    {"require", PHL_OPT_JWT},
    {"strict_aud", PHL_OPT_JWT},
    {"verify_signature", PHL_OPT_JWT},
    {"verify_exp", PHL_OPT_JWT},
    {"verify_nbf", PHL_OPT_JWT},
    {"verify_iat", PHL_OPT_JWT},
    {"verify_aud", PHL_OPT_JWT},
    {"verify_iss", PHL_OPT_JWT},
    {"verify_sub", PHL_OPT_JWT},
    {"verify_jti", PHL_OPT_JWT},
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

/* The list at the top of the stack: its length, checking every element is
 * a string.  Returns the total byte count through *bytes. */
static size_t string_list(lua_State *L, int arg, const char *name,
                          size_t *bytes)
{
    size_t i, n = phl_rawlen(L, -1);

    for (i = 1; i <= n; i++) {
        phl_rawgeti(L, -1, i);
        if (lua_type(L, -1) != LUA_TSTRING)
            option_error(L, arg, name, "must be a list of strings");
        *bytes += phl_rawlen(L, -1);
        lua_pop(L, 1);
    }
    return n;
}

/* audience / issuer: a string or a list of strings.  Returns 0 if
 * absent, 1 for a string, 2 for a list. */
static int text_option(lua_State *L, int idx, int arg, const char *name,
                       size_t *count, size_t *bytes)
{
    int kind = 1;

    int t = get_option(L, idx, name);

    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (t == LUA_TSTRING) {
        *count = 1;
        *bytes += phl_rawlen(L, -1);
    } else if (t == LUA_TTABLE) {
        *count = string_list(L, arg, name, bytes);
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
                    phl_opts *o)
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
    if (!(allowed & PHL_OPT_JWT))
        return;

    algorithms_option(L, idx, arg, o);
    require_option(L, idx, arg, o);
    o->has_audience = text_option(L, idx, arg, "audience", &o->n_audience,
                                  &o->str_bytes);
    o->audience_is_list = o->has_audience == 2;
    o->has_issuer = text_option(L, idx, arg, "issuer", &o->n_issuer,
                                &o->str_bytes);
    t = get_option(L, idx, "subject");
    if (t != LUA_TNIL && t != LUA_TSTRING)
        option_error(L, arg, "subject", "must be a string");
    if (t == LUA_TSTRING) {
        o->has_subject = 1;
        o->str_bytes += phl_rawlen(L, -1);
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
        memcpy(name + 7, claim_bits[i].name, 4);  /* with its NUL */
        boolean_option(L, idx, arg, name, &on);
        if (!on)
            o->verify &= ~claim_bits[i].bit;
    }
}

/* Copy the string at the top of the stack to *bytes; fill `s`. */
static void copy_top(lua_State *L, ph_str *s, char **bytes)
{
    size_t len;
    const char *p = lua_tolstring(L, -1, &len);

    if (len > 0)
        memcpy(*bytes, p, len);
    s->ptr = *bytes;
    s->len = len;
    *bytes += len;
}

/* strs[0..] from opts[name]: a string or a list of strings (checked). */
static void copy_texts(lua_State *L, int idx, const char *name, ph_str *strs,
                       char **bytes)
{
    if (get_option(L, idx, name) == LUA_TSTRING) {
        copy_top(L, strs, bytes);
    } else {
        size_t i, n = phl_rawlen(L, -1);
        for (i = 1; i <= n; i++) {
            phl_rawgeti(L, -1, i);
            copy_top(L, &strs[i - 1], bytes);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

void phl_opts_claims(lua_State *L, int idx, const phl_opts *o, ph_str *strs,
                     char *bytes, ph_claims *claims)
{
    ph_claims_init(claims, 0);
    claims->leeway = o->leeway;
    claims->verify = o->verify;
    claims->require = o->require;
    claims->strict_aud = o->strict_aud;
    if (!o->has_audience && !o->has_issuer && !o->has_subject)
        return;
    idx = phl_absindex(L, idx);
    if (o->has_audience) {
        copy_texts(L, idx, "audience", strs, &bytes);
        claims->audience = strs;
        claims->n_audience = o->n_audience;
    }
    if (o->has_issuer) {
        copy_texts(L, idx, "issuer", strs + o->n_audience, &bytes);
        claims->issuer = strs + o->n_audience;
        claims->n_issuer = o->n_issuer;
    }
    if (o->has_subject) {
        ph_str *s = strs + o->n_audience + o->n_issuer;
        get_option(L, idx, "subject");
        copy_top(L, s, &bytes);
        lua_pop(L, 1);
        claims->subject = s;
    }
}
