/*
 * payhook.core: the Lua face of the C core.  It checks arguments, calls
 * the core and converts what comes back; payhook.lua arranges the
 * functions into the public module.  This file has LeanX, SuperPay and
 * JWT and the helpers the others share; lua_gateway.c has the gateway
 * pipeline (every gateway, one decoder type).
 *
 * Contract (as OpenResty's own libraries): a caller's mistake (a wrong
 * argument type, an unknown option or algorithm name) raises a Lua error;
 * bad input (a forged, malformed or over-long callback, an unusable key)
 * returns nil, message, kind, where kind is ph_status_name().
 *
 * Memory: every C allocation of a call (the core's scratch buffers, a
 * one-shot prepared key, a cJSON tree, a token or hex string) lives in a
 * work box (lua_work.c), a userdata whose __gc frees it, created after the
 * arguments are checked and before the first allocation.  Prepared keys
 * of the reusable decoders, and the work box a decoder keeps for its
 * calls, live in the decoder's userdata with __gc.  So a Lua error raised
 * anywhere (out of memory while building a table) leaks nothing.  There is
 * no C global that changes: each lua_State (each OpenResty worker) has its
 * own metatables in its registry.
 */
#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200809L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lua_binding.h"

#ifndef PH_VERSION
#error "PH_VERSION must be defined by the build (from the VERSION file)"
#endif

double phl_now(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (double)time(NULL);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Results                                                             */

/* nil, message, kind for a core failure; a caller's mistake (an option
 * the core refuses) raises instead.  Release the work box first: pushing
 * may raise, and nothing should be held then. */
int phl_push_failure(lua_State *L, const ph_error *err)
{
    const char *msg =
        err->message[0] != '\0' ? err->message : ph_strerror(err->status);

    if (err->status == PH_ERR_ARGUMENT)
        return luaL_error(L, "payhook: %s", msg);
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, ph_status_name(err->status));
    return 3;
}

int phl_fail_status(lua_State *L, ph_status status, const char *msg)
{
    ph_error err;

    err.status = status;
    snprintf(err.message, sizeof err.message, "%s", msg);
    return phl_push_failure(L, &err);
}

void phl_clear_error(ph_error *err)
{
    err->status = PH_OK;
    err->message[0] = '\0';
}

/* A string argument; numbers are not converted (a number where a body or
 * key belongs is a mistake). */
const char *phl_check_string(lua_State *L, int arg, size_t *len)
{
    luaL_checktype(L, arg, LUA_TSTRING);
    return lua_tolstring(L, arg, len);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */

/* Read the key argument: a string, or a list of strings during a
 * rotation, by its raw length and raw elements (no metamethod runs).
 * Raises on a wrong type.  Pushes up to PH_MAX_KEYS + 1 strings.  Nothing
 * here allocates but the stack check, so the list cannot change while it
 * is read. */
void phl_read_keys(lua_State *L, int arg, phl_keys *k)
{
    size_t i, n;

    k->n = 0;
    if (lua_type(L, arg) == LUA_TSTRING) {
        k->ptrs[0] = (const unsigned char *)lua_tolstring(L, arg, &k->lens[0]);
        k->n = 1;
        return;
    }
    if (lua_type(L, arg) != LUA_TTABLE)
        luaL_argerror(L, arg, "key must be a string or a list of strings");
    luaL_checkstack(L, PH_MAX_KEYS + 4, "payhook: keys");
    n = phl_rawlen(L, arg);
    for (i = 1; i <= n; i++) {
        phl_rawgeti(L, arg, i);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_argerror(L, arg, "key must be a string or a list of strings");
        if (k->n == PH_MAX_KEYS + 1) {
            lua_pop(L, 1);
            continue;
        }
        /* Left on the stack: it anchors the string. */
        k->ptrs[k->n] =
            (const unsigned char *)lua_tolstring(L, -1, &k->lens[k->n]);
        k->n++;
    }
}

/* ------------------------------------------------------------------ */
/* Verifier: payhook.jwt.new, payhook.leanx.new                        */

typedef struct phl_verifier {
    ph_jwt_verifier *v; /* NULL once closed                     */
    int envelope;       /* LeanX: the token is inside {"data"}  */
    int exact_numbers;
    size_t max_bytes;
    phl_kept kept;    /* the scratch of its calls             */
    phl_names *names; /* member names of its payloads, in the
                         same block after strs; NULL for a
                         one-call decode, which keeps none    */
    ph_claims claims; /* `now` filled in per call             */
    ph_str strs[];    /* audience, issuer, subject, then the
                                   bytes they point to                  */
} phl_verifier;

/* Push a verifier userdata for the keys `k` and the parsed options `o`.
 * Returns it, or NULL with `err` filled when the key or the options are
 * refused (a userdata may have been pushed).  Reads no Lua table: `k` and
 * `o` hold everything. */
static phl_verifier *verifier_push(lua_State *L, const phl_keys *k,
                                   const phl_opts *o, int envelope,
                                   int keep_names, ph_error *err)
{
    size_t nstr = phl_opts_nstrs(o), nbytes = phl_opts_nbytes(o);
    size_t align = _Alignof(phl_names), names_at;
    phl_verifier *ud;

    phl_clear_error(err);
    if (o->strict_aud && o->audience_is_list) {
        /* PyJWT's rule, kept so both bindings agree: strict_aud compares
         * one audience string, and a list (even of one) is refused.  The
         * core cannot tell {"a"} from "a", so the check is here. */
        err->status = PH_ERR_AUDIENCE;
        snprintf(err->message, sizeof err->message,
                 "invalid audience (strict): audience must be a string");
        return NULL;
    }
    /* A prepared decoder's name cache (a few KB) is in the same block; a
     * one-call decode, which would only allocate and clear it, has none. */
    names_at = (sizeof *ud + nstr * sizeof(ph_str) + nbytes + align - 1) /
               align * align;
    ud = phl_newuserdata(L,
                         keep_names ? names_at + sizeof(phl_names) : names_at);
    memset(ud, 0, sizeof *ud);
    phl_kept_init(&ud->kept);
    if (keep_names) {
        ud->names = (phl_names *)(void *)((char *)ud + names_at);
        phl_names_init(ud->names);
    }
    luaL_getmetatable(L, PHL_VERIFIER_MT);
    lua_setmetatable(L, -2);
    ud->envelope = envelope;
    ud->exact_numbers = o->exact_numbers;
    ud->max_bytes = o->max_bytes;
    phl_opts_claims(o, ud->strs, (char *)(ud->strs + nstr), &ud->claims);
    /* Nothing below raises: the core's allocation is never orphaned. */
    if (ph_jwt_verifier_new(k->ptrs, k->lens, k->n, o->algorithms, &ud->v,
                            err) != PH_OK)
        return NULL;
    return ud;
}

static phl_verifier *check_verifier(lua_State *L, int arg)
{
    phl_verifier *ud = luaL_checkudata(L, arg, PHL_VERIFIER_MT);

    if (ud->v == NULL)
        luaL_argerror(L, arg, "the decoder is closed");
    return ud;
}

/* Verify `in` (a LeanX body or a bare token) and push the payload, or
 * nil, message, kind.  `w` is a work box on the stack. */
static int verifier_run(lua_State *L, phl_verifier *ud, const char *in,
                        size_t len, double now, phl_work *w)
{
    ph_claims claims = ud->claims;
    const char *token = in, *payload = NULL;
    size_t token_len = len, payload_len = 0;
    int base = lua_gettop(L);
    phl_sink_ctx ctx;
    void *root = NULL;
    ph_error err;
    ph_status rc = PH_OK;

    memset(&ctx, 0, sizeof ctx);
    phl_clear_error(&err);
    claims.now = now;
    if (ud->envelope)
        rc = ph_leanx_token(in, len, ud->max_bytes, &w->scratch, &token,
                            &token_len, &err);
    if (rc == PH_OK)
        rc = ph_jwt_verify(ud->v, token, token_len, ud->max_bytes, &w->scratch,
                           &payload, &payload_len, &err);
    if (rc == PH_OK) {
        /* A refused number lets the parse finish: a token that fails its
         * claims reports that, as in the other bindings. */
        phl_sink_begin(L, &ctx, phl_json_max_values(payload_len),
                       ud->exact_numbers, 1);
        if (ud->names != NULL)
            phl_sink_names(L, &ctx, ud->names);
        rc = ph_jwt_parse_claims(payload, payload_len, &claims, &phl_lua_sink,
                                 &ctx, &w->scratch, &root, &err);
    }
    phl_work_done(w);
    if (rc != PH_OK || ctx.refused || (intptr_t)root != lua_gettop(L)) {
        lua_settop(L, base);
        if (rc == PH_OK && ctx.refused)
            return phl_fail_status(L, PH_ERR_DECODE, PHL_NUMBER_REFUSED);
        if (rc == PH_OK)
            return phl_fail_status(L, PH_ERR_SINK,
                                   "the value could not be built");
        return phl_push_failure(L, &err);
    }
    return 1;
}

/* A `now` argument: a finite number, or nil for the current time. */
double phl_check_now(lua_State *L, int arg)
{
    double now;

    if (lua_isnoneornil(L, arg))
        return phl_now();
    luaL_checktype(L, arg, LUA_TNUMBER);
    now = (double)lua_tonumber(L, arg);
    if (now != now || now - now != 0)
        luaL_argerror(L, arg, "now must be finite");
    return now;
}

/* verifier_run's arguments, for phl_kept_run. */
typedef struct verifier_args {
    phl_verifier *ud;
    const char *in;
    size_t len;
    double now;
} verifier_args;

/* The allocations since check_verifier (the argument checks, the
 * protected call) may have run a finaliser that closed the decoder: look
 * again before the key is used. */
static int verifier_body(lua_State *L, void *args, phl_work *w)
{
    const verifier_args *a = args;

    if (a->ud->v == NULL)
        return luaL_error(L, "the decoder is closed");
    return verifier_run(L, a->ud, a->in, a->len, a->now, w);
}

/* decoder:decode(body [, now]), with the decoder's kept work box. */
static int verifier_decode(lua_State *L)
{
    phl_verifier *ud = check_verifier(L, 1);
    verifier_args a;

    a.in = phl_check_string(L, 2, &a.len);
    a.now = phl_check_now(L, 3);
    a.ud = ud;
    lua_settop(L, 3);
    return phl_kept_run(L, &ud->kept, verifier_body, &a);
}

/* close(), __close and __gc.  A call is done with the key once the token
 * is verified, and a finaliser can run only after that (while the payload
 * is built), so it can go at once; the kept box waits for the call. */
static int verifier_close(lua_State *L)
{
    phl_verifier *ud = luaL_checkudata(L, 1, PHL_VERIFIER_MT);

    ph_jwt_verifier_free(ud->v);
    ud->v = NULL;
    phl_kept_close(&ud->kept);
    if (ud->names != NULL)
        phl_names_close(L, ud->names);
    return 0;
}

static int verifier_tostring(lua_State *L)
{
    phl_verifier *ud = luaL_checkudata(L, 1, PHL_VERIFIER_MT);

    lua_pushfstring(L, "payhook.%s decoder%s: %p",
                    ud->envelope ? "leanx" : "jwt",
                    ud->v == NULL ? " (closed)" : "", (void *)ud);
    return 1;
}

/* new(key [, opts]) for LeanX (`envelope`) or plain JWTs. */
static int verifier_new(lua_State *L, int envelope)
{
    phl_verifier *ud;
    phl_keys keys;
    phl_work *w;
    phl_opts o;
    ph_error err;

    lua_settop(L, 2);
    phl_read_keys(L, 1, &keys);
    w = phl_work_new(L);
    phl_opts_parse(L, 2, 2,
                   envelope
                       ? PHL_OPT_LEEWAY | PHL_OPT_MAX_BYTES | PHL_OPT_NUMBERS
                       : PHL_OPT_LEEWAY | PHL_OPT_MAX_BYTES | PHL_OPT_NUMBERS |
                             PHL_OPT_JWT,
                   &o, &w->texts);
    if ((ud = verifier_push(L, &keys, &o, envelope, 1, &err)) == NULL) {
        phl_work_release(w);
        return phl_push_failure(L, &err);
    }
    phl_work_release(w);
    phl_names_open(L, ud->names);
    return 1;
}

static int leanx_new(lua_State *L)
{
    return verifier_new(L, 1);
}

static int jwt_new(lua_State *L)
{
    return verifier_new(L, 0);
}

/* decode(input, key [, opts]) in one call: the prepared key is freed (and
 * wiped) as soon as the call is done. */
static int verifier_decode_once(lua_State *L, int envelope)
{
    size_t len;
    const char *in = phl_check_string(L, 1, &len);
    phl_verifier *ud;
    phl_keys keys;
    phl_work *w;
    phl_opts o;
    ph_error err;
    int n;

    lua_settop(L, 3);
    phl_read_keys(L, 2, &keys);
    w = phl_work_new(L);
    phl_opts_parse(L, 3, 3,
                   envelope
                       ? PHL_OPT_NOW | PHL_OPT_LEEWAY | PHL_OPT_MAX_BYTES |
                             PHL_OPT_NUMBERS
                       : PHL_OPT_NOW | PHL_OPT_LEEWAY | PHL_OPT_MAX_BYTES |
                             PHL_OPT_NUMBERS | PHL_OPT_JWT,
                   &o, &w->texts);
    if ((ud = verifier_push(L, &keys, &o, envelope, 0, &err)) == NULL) {
        phl_work_release(w);
        return phl_push_failure(L, &err);
    }
    /* The option strings are copied into the verifier: the box is free
     * for the call's own memory. */
    phl_texts_release(&w->texts);
    n = verifier_run(L, ud, in, len, o.has_now ? o.now : phl_now(), w);
    ph_jwt_verifier_free(ud->v);
    ud->v = NULL;
    return n;
}

static int leanx_decode(lua_State *L)
{
    return verifier_decode_once(L, 1);
}

static int jwt_decode(lua_State *L)
{
    return verifier_decode_once(L, 0);
}

/* ------------------------------------------------------------------ */
/* JWT signing: payhook.jwt.encode and the raw core.jwt_sign            */

static unsigned check_algorithm(lua_State *L, int arg)
{
    size_t len = 5;
    const char *name = "HS256";
    unsigned bit;

    if (!lua_isnoneornil(L, arg))
        name = phl_check_string(L, arg, &len);
    bit = ph_alg_from_name(name, len);

    if (bit == 0)
        luaL_argerror(L, arg, "algorithm must be HS256, HS384 or HS512");
    return bit;
}

/* Sign header and payload JSON texts; push the token or nil, msg, kind. */
static int sign_and_push(lua_State *L, phl_work *w, const char *header,
                         size_t header_len, const char *payload,
                         size_t payload_len, unsigned alg,
                         const unsigned char *key, size_t key_len)
{
    ph_error err;

    phl_clear_error(&err);
    if (ph_jwt_sign(header, header_len, payload, payload_len, alg, key,
                    key_len, &w->out, &err) != PH_OK) {
        phl_work_release(w);
        return phl_push_failure(L, &err);
    }
    w->out_len = strlen(w->out);
    lua_pushlstring(L, w->out, w->out_len);
    phl_work_release(w);
    return 1;
}

/* jwt.encode(payload, key [, alg]): header {"alg":..,"typ":"JWT"}. */
static int jwt_encode(lua_State *L)
{
    size_t key_len;
    const char *key;
    unsigned alg;
    char header[48];
    phl_work *w;

    luaL_checktype(L, 1, LUA_TTABLE);
    key = phl_check_string(L, 2, &key_len);
    alg = check_algorithm(L, 3);
    lua_settop(L, 3);
    w = phl_work_new(L);
    phl_json_encode(L, 1, 1, PHL_JSON_OBJECT, w);
    snprintf(header, sizeof header, "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
             alg == PH_ALG_HS512   ? "HS512"
             : alg == PH_ALG_HS384 ? "HS384"
                                   : "HS256");
    return sign_and_push(L, w, header, strlen(header), w->text,
                         strlen(w->text), alg, (const unsigned char *)key,
                         key_len);
}

/* core.jwt_sign(header_json, payload_json, alg, key): the core's signer on
 * texts as given, for building malformed test tokens. */
static int jwt_sign(lua_State *L)
{
    size_t header_len, payload_len, key_len;
    const char *header = phl_check_string(L, 1, &header_len);
    const char *payload = phl_check_string(L, 2, &payload_len);
    unsigned alg = check_algorithm(L, 3);
    const char *key = phl_check_string(L, 4, &key_len);
    phl_work *w;

    lua_settop(L, 4);
    w = phl_work_new(L);
    return sign_and_push(L, w, header, header_len, payload, payload_len, alg,
                         (const unsigned char *)key, key_len);
}

/* core.json_encode(value): the text jwt.encode and superpay.encrypt use. */
static int json_encode(lua_State *L)
{
    phl_work *w;

    luaL_checkany(L, 1);
    lua_settop(L, 1);
    w = phl_work_new(L);
    phl_json_encode(L, 1, 1, PHL_JSON_ANY, w);
    lua_pushstring(L, w->text);
    phl_work_release(w);
    return 1;
}

/* ------------------------------------------------------------------ */
/* SuperPay                                                            */

typedef struct phl_superpay {
    ph_superpay_key *k; /* NULL once closed          */
    size_t max_bytes;
    int exact_numbers;
    phl_kept kept;   /* the scratch of decode and decrypt */
    phl_names names; /* member names of its payloads      */
} phl_superpay;

static phl_superpay *check_superpay(lua_State *L, int arg)
{
    phl_superpay *ud = luaL_checkudata(L, arg, PHL_SUPERPAY_MT);

    if (ud->k == NULL)
        luaL_argerror(L, arg, "the decoder is closed");
    return ud;
}

/* Decrypt a body and push its JSON object, or nil, message, kind. */
static int superpay_run(lua_State *L, const ph_superpay_key *k,
                        size_t max_bytes, int exact_numbers, phl_names *names,
                        const char *body, size_t len, phl_work *w)
{
    const char *plain = NULL;
    size_t plain_len = 0;
    int base = lua_gettop(L);
    phl_sink_ctx ctx;
    void *root = NULL;
    ph_error err;
    ph_status rc;

    memset(&ctx, 0, sizeof ctx);
    phl_clear_error(&err);
    rc = ph_superpay_open(k, body, len, max_bytes, &w->scratch, &plain,
                          &plain_len, &err);
    if (rc == PH_OK) {
        /* A number the sink refuses fails as any other bad plaintext
         * does: the core makes it the one decryption error. */
        phl_sink_begin(L, &ctx, phl_json_max_values(plain_len), exact_numbers,
                       0);
        if (names != NULL)
            phl_sink_names(L, &ctx, names);
        rc = ph_superpay_parse(plain, plain_len, &phl_lua_sink, &ctx,
                               &w->scratch, &root, &err);
    }
    phl_work_done(w);
    if (rc != PH_OK || (intptr_t)root != lua_gettop(L)) {
        lua_settop(L, base);
        if (rc == PH_OK)
            return phl_fail_status(L, PH_ERR_SINK,
                                   "the value could not be built");
        return phl_push_failure(L, &err);
    }
    return 1;
}

/* An optional IV argument: NULL for the key's own (MD5 of the key).  The
 * length is checked here because the core takes a fixed 16-byte array. */
static const unsigned char *check_iv(lua_State *L, int arg, int *bad)
{
    size_t len;
    const char *iv;

    *bad = 0;
    if (lua_isnoneornil(L, arg))
        return NULL;
    iv = phl_check_string(L, arg, &len);
    *bad = len != PH_AES_BLOCK;
    return (const unsigned char *)iv;
}

/* Decrypt hex and push the plaintext bytes, or nil, message, kind. */
static int decrypt_run(lua_State *L, const ph_superpay_key *k,
                       const unsigned char *iv, size_t max_bytes,
                       const char *hex, size_t len, phl_work *w)
{
    const unsigned char *plain = NULL;
    size_t plain_len = 0;
    ph_error err;

    phl_clear_error(&err);
    if (ph_superpay_decrypt_hex(k, iv, hex, len, max_bytes, &w->scratch,
                                &plain, &plain_len, &err) != PH_OK) {
        phl_work_done(w);
        return phl_push_failure(L, &err);
    }
    lua_pushlstring(L, (const char *)plain, plain_len);
    phl_work_done(w);
    return 1;
}

/* The plaintext to encrypt: a table's compact JSON (held by w) or the
 * string as given. */
static const char *payload_text(lua_State *L, int arg, phl_work *w,
                                size_t *len)
{
    if (lua_type(L, arg) == LUA_TTABLE) {
        phl_json_encode(L, arg, arg, PHL_JSON_ANY, w);
        *len = strlen(w->text);
        return w->text;
    }
    return lua_tolstring(L, arg, len);
}

/* Encrypt and push the hex, or nil, message, kind. */
static int encrypt_run(lua_State *L, const ph_superpay_key *k, const char *pt,
                       size_t pt_len, phl_work *w)
{
    ph_error err;

    phl_clear_error(&err);
    if (ph_superpay_encrypt(k, (const unsigned char *)pt, pt_len, &w->out,
                            &err) != PH_OK) {
        phl_work_release(w);
        return phl_push_failure(L, &err);
    }
    w->out_len = strlen(w->out);
    lua_pushlstring(L, w->out, w->out_len);
    phl_work_release(w);
    return 1;
}

static void check_payload(lua_State *L, int arg)
{
    int t = lua_type(L, arg);

    if (t != LUA_TTABLE && t != LUA_TSTRING)
        luaL_argerror(L, arg, "payload must be a table or a string");
}

/* A one-shot key in the work box; on refusal pushes nil, msg, kind and
 * returns NULL (the caller returns 3). */
static ph_superpay_key *work_key(lua_State *L, phl_work *w, int karg)
{
    size_t len;
    const char *key = lua_tolstring(L, karg, &len);
    ph_error err;

    phl_clear_error(&err);
    if (ph_superpay_key_new((const unsigned char *)key, len, &w->key, &err) !=
        PH_OK) {
        phl_work_release(w);
        phl_push_failure(L, &err);
        return NULL;
    }
    return w->key;
}

/* superpay.new(key [, opts]) */
static int superpay_new(lua_State *L)
{
    size_t len;
    const char *key = phl_check_string(L, 1, &len);
    phl_superpay *ud;
    phl_opts o;
    ph_error err;

    phl_opts_parse(L, 2, 2, PHL_OPT_MAX_BYTES | PHL_OPT_NUMBERS, &o, NULL);
    lua_settop(L, 2);
    ud = phl_newuserdata(L, sizeof *ud);
    memset(ud, 0, sizeof *ud);
    phl_kept_init(&ud->kept);
    phl_names_init(&ud->names);
    luaL_getmetatable(L, PHL_SUPERPAY_MT);
    lua_setmetatable(L, -2);
    ud->max_bytes = o.max_bytes;
    ud->exact_numbers = o.exact_numbers;
    phl_clear_error(&err);
    if (ph_superpay_key_new((const unsigned char *)key, len, &ud->k, &err) !=
        PH_OK)
        return phl_push_failure(L, &err);
    phl_names_open(L, &ud->names);
    return 1;
}

/* superpay.decode(body, key [, opts]) */
static int superpay_decode(lua_State *L)
{
    size_t len;
    const char *body = phl_check_string(L, 1, &len);
    phl_work *w;
    phl_opts o;

    phl_check_string(L, 2, NULL);
    phl_opts_parse(L, 3, 3, PHL_OPT_MAX_BYTES | PHL_OPT_NUMBERS, &o, NULL);
    lua_settop(L, 3);
    w = phl_work_new(L);
    if (work_key(L, w, 2) == NULL)
        return 3;
    return superpay_run(L, w->key, o.max_bytes, o.exact_numbers, NULL, body,
                        len, w);
}

/* superpay.decrypt(data_hex, key [, iv [, opts]]) -> plaintext bytes */
static int superpay_decrypt(lua_State *L)
{
    size_t len;
    const char *hex = phl_check_string(L, 1, &len);
    const unsigned char *iv;
    int bad_iv;
    phl_work *w;
    phl_opts o;

    phl_check_string(L, 2, NULL);
    iv = check_iv(L, 3, &bad_iv);
    phl_opts_parse(L, 4, 4, PHL_OPT_MAX_BYTES, &o, NULL);
    lua_settop(L, 4);
    if (bad_iv)
        return phl_fail_status(L, PH_ERR_KEY, "the IV must be 16 bytes");
    w = phl_work_new(L);
    if (work_key(L, w, 2) == NULL)
        return 3;
    return decrypt_run(L, w->key, iv, o.max_bytes, hex, len, w);
}

/* superpay.encrypt(payload, key) -> hex */
static int superpay_encrypt(lua_State *L)
{
    const char *pt;
    size_t pt_len;
    phl_work *w;

    check_payload(L, 1);
    phl_check_string(L, 2, NULL);
    lua_settop(L, 2);
    w = phl_work_new(L);
    /* The payload is encoded first: a mistake in it raises whatever the
     * key is. */
    pt = payload_text(L, 1, w, &pt_len);
    if (work_key(L, w, 2) == NULL)
        return 3;
    return encrypt_run(L, w->key, pt, pt_len, w);
}

/* The arguments of decode and decrypt, for phl_kept_run. */
typedef struct sp_args {
    phl_superpay *ud;
    const char *in; /* body, or data hex */
    size_t len;
    const unsigned char *iv;
} sp_args;

/* As verifier_body, the key is looked at again. */
static int sp_decode_body(lua_State *L, void *args, phl_work *w)
{
    const sp_args *a = args;

    if (a->ud->k == NULL)
        return luaL_error(L, "the decoder is closed");
    return superpay_run(L, a->ud->k, a->ud->max_bytes, a->ud->exact_numbers,
                        &a->ud->names, a->in, a->len, w);
}

static int sp_decrypt_body(lua_State *L, void *args, phl_work *w)
{
    const sp_args *a = args;

    if (a->ud->k == NULL)
        return luaL_error(L, "the decoder is closed");
    return decrypt_run(L, a->ud->k, a->iv, a->ud->max_bytes, a->in, a->len, w);
}

/* decoder:decode(body) */
static int sp_decode(lua_State *L)
{
    phl_superpay *ud = check_superpay(L, 1);
    sp_args a;

    a.in = phl_check_string(L, 2, &a.len);
    a.ud = ud;
    a.iv = NULL;
    lua_settop(L, 2);
    return phl_kept_run(L, &ud->kept, sp_decode_body, &a);
}

/* decoder:decrypt(data_hex [, iv]) */
static int sp_decrypt(lua_State *L)
{
    phl_superpay *ud = check_superpay(L, 1);
    int bad_iv;
    sp_args a;

    a.in = phl_check_string(L, 2, &a.len);
    a.iv = check_iv(L, 3, &bad_iv);
    a.ud = ud;
    lua_settop(L, 3);
    if (bad_iv)
        return phl_fail_status(L, PH_ERR_KEY, "the IV must be 16 bytes");
    return phl_kept_run(L, &ud->kept, sp_decrypt_body, &a);
}

/* decoder:encrypt(payload) */
static int sp_encrypt(lua_State *L)
{
    phl_superpay *ud = check_superpay(L, 1);
    const char *pt;
    size_t pt_len;
    phl_work *w;

    check_payload(L, 2);
    lua_settop(L, 2);
    w = phl_work_new(L);
    pt = payload_text(L, 2, w, &pt_len);
    return encrypt_run(L, ud->k, pt, pt_len, w);
}

/* close(), __close and __gc.  The key is not used once a call has
 * decrypted, and a finaliser can run only after that (while the payload
 * is built), so it can go at once; the kept box waits for the call. */
static int sp_close(lua_State *L)
{
    phl_superpay *ud = luaL_checkudata(L, 1, PHL_SUPERPAY_MT);

    ph_superpay_key_free(ud->k);
    ud->k = NULL;
    phl_kept_close(&ud->kept);
    phl_names_close(L, &ud->names);
    return 0;
}

static int sp_tostring(lua_State *L)
{
    phl_superpay *ud = luaL_checkudata(L, 1, PHL_SUPERPAY_MT);

    lua_pushfstring(L, "payhook.superpay decoder%s: %p",
                    ud->k == NULL ? " (closed)" : "", (void *)ud);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Module                                                              */

/* core.set_array_mt(mt): use `mt` (for instance cjson.array_mt) as the
 * metatable of decoded arrays in this Lua state; its __jsontype field is
 * set to "array".  Returns mt. */
static int set_array_mt(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_pushliteral(L, "__jsontype");
    lua_pushliteral(L, "array");
    lua_rawset(L, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, PHL_ARRAY_MT);
    return 1;
}

/* core.status_names(): every kind string decode functions can return. */
static int status_names(lua_State *L)
{
    int s;

    lua_createtable(L, PH_STATUS_COUNT, 0);
    for (s = 0; s < PH_STATUS_COUNT; s++) {
        lua_pushstring(L, ph_status_name((ph_status)s));
        phl_rawseti(L, -2, (size_t)s + 1);
    }
    return 1;
}

/* core.sha1_hex(s): the SHA-1 of a string as 40 hex digits, for the
 * OpenResty replay guard's record of a body (OpenSSL's, not nginx's slower
 * ngx.sha1_bin, and hex without a Lua call per byte). */
static int sha1_hex(lua_State *L)
{
    size_t len;
    const char *s = phl_check_string(L, 1, &len);
    char hex[PH_SHA1_HEX_LEN + 1];
    ph_error err;

    if (ph_sha1_hex(s, len, hex, &err) != PH_OK)
        return luaL_error(L, "payhook: %s", err.message);
    lua_pushlstring(L, hex, PH_SHA1_HEX_LEN);
    return 1;
}

static const luaL_Reg verifier_methods[] = {
    { "decode", verifier_decode },
    { "close", verifier_close },
    { NULL, NULL },
};

static const luaL_Reg superpay_methods[] = {
    { "decode", sp_decode },
    { "decrypt", sp_decrypt },
    { "encrypt", sp_encrypt },
    { "close", sp_close },
    { NULL, NULL },
};

static const luaL_Reg module_functions[] = {
    { "leanx_decode", leanx_decode },
    { "leanx_new", leanx_new },
    { "jwt_decode", jwt_decode },
    { "jwt_new", jwt_new },
    { "jwt_encode", jwt_encode },
    { "jwt_sign", jwt_sign },
    { "superpay_decode", superpay_decode },
    { "superpay_new", superpay_new },
    { "superpay_decrypt", superpay_decrypt },
    { "superpay_encrypt", superpay_encrypt },
    { "json_encode", json_encode },
    { "set_array_mt", set_array_mt },
    { "status_names", status_names },
    { "sha1_hex", sha1_hex },
    { NULL, NULL },
};

void phl_new_type(lua_State *L, const char *name, const luaL_Reg *methods,
                  lua_CFunction gc, lua_CFunction tostring)
{
    luaL_newmetatable(L, name);
    if (methods != NULL) {
        lua_newtable(L);
        phl_setfuncs(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
#if PHL_HAVE_CLOSE
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__close");
#endif
    if (tostring != NULL) {
        lua_pushcfunction(L, tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
}

int luaopen_payhook_core(lua_State *L);

int luaopen_payhook_core(lua_State *L)
{
    phl_new_type(L, PHL_VERIFIER_MT, verifier_methods, verifier_close,
                 verifier_tostring);
    phl_new_type(L, PHL_SUPERPAY_MT, superpay_methods, sp_close, sp_tostring);
    lua_pop(L, 2);
    phl_work_type(L);
    phl_gateway_types(L);

    /* One array metatable per Lua state, kept if the module is loaded
     * again so that arrays decoded before and after share it. */
    lua_getfield(L, LUA_REGISTRYINDEX, PHL_ARRAY_MT);
    if (lua_type(L, -1) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushliteral(L, "array");
        lua_setfield(L, -2, "__jsontype");
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, PHL_ARRAY_MT);
    }

    lua_newtable(L);
    phl_setfuncs(L, module_functions);
    phl_gateway_functions(L);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "array_mt");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    lua_pushstring(L, ph_version());
    lua_setfield(L, -2, "version");
    lua_pushinteger(L, PH_DEFAULT_MAX_BYTES);
    lua_setfield(L, -2, "DEFAULT_MAX_BYTES");
    lua_pushinteger(L, PH_MAX_DEPTH);
    lua_setfield(L, -2, "MAX_DEPTH");
    return 1;
}
