/*
 * Work boxes: the C memory of a call (the core's scratch buffers, a
 * one-shot key, a cJSON tree, a token or hex string) in a userdata whose
 * __gc frees it, so a Lua error raised anywhere leaks nothing.
 *
 * A one-shot function makes a box per call.  A prepared decoder keeps one
 * (phl_kept) for all its calls, so the scratch buffers are allocated once
 * and not malloc'd and freed for every callback; what a call decrypted or
 * decoded is wiped from them before the call returns, whichever way it
 * ends.
 */
#include <string.h>

#include "lua_binding.h"

/* Everything but the scratch buffers, which the caller frees or wipes. */
static void release_extras(phl_work *w)
{
    if (w->tree != NULL) {
        cJSON_Delete(w->tree);
        w->tree = NULL;
    }
    if (w->text != NULL) {
        cJSON_free(w->text);
        w->text = NULL;
    }
    if (w->out != NULL) {
        ph_free(w->out, w->out_len); /* wipes */
        w->out = NULL;
        w->out_len = 0;
    }
    ph_jwt_verifier_free(w->verifier); /* wipes the key copies */
    w->verifier = NULL;
    ph_superpay_key_free(w->key); /* wipes key and IV */
    w->key = NULL;
    ph_gateway_key_free(w->gkey); /* wipes the keys */
    w->gkey = NULL;
    /* Most calls sign nothing and keep no texts: no call, no memset. */
    if (w->sig.body != NULL || w->sig.store != NULL)
        ph_signed_free(&w->sig); /* wipes body and headers */
    if (w->texts.bytes != NULL || w->texts.lens != NULL)
        phl_texts_release(&w->texts);
}

void phl_work_release(phl_work *w)
{
    ph_scratch_free(&w->scratch); /* wipes */
    release_extras(w);
}

void phl_work_done(phl_work *w)
{
    if (!w->kept) {
        phl_work_release(w);
        return;
    }
    ph_scratch_wipe(&w->scratch); /* the bytes used; buffers stay */
    release_extras(w);
}

phl_work *phl_work_new(lua_State *L)
{
    phl_work *w = phl_newuserdata(L, sizeof *w);

    memset(w, 0, sizeof *w);
    luaL_getmetatable(L, PHL_WORK_MT);
    lua_setmetatable(L, -2);
    return w;
}

static int work_gc(lua_State *L)
{
    phl_work_release(luaL_checkudata(L, 1, PHL_WORK_MT));
    return 0;
}

void phl_work_type(lua_State *L)
{
    phl_new_type(L, PHL_WORK_MT, NULL, work_gc, NULL);
    lua_pop(L, 1);
}

/* ------------------------------------------------------------------ */
/* A decoder's kept box                                                */

void phl_kept_init(phl_kept *k)
{
    memset(k, 0, sizeof *k);
    k->work.kept = 1;
}

/* What phl_kept_run hands to the protected call. */
typedef struct kept_call {
    phl_work_fn fn;
    void *args;
    phl_work *w;
} kept_call;

static int kept_call_run(lua_State *L)
{
    const kept_call *c = lua_touserdata(L, 1);

    lua_pop(L, 1);
    return c->fn(L, c->args, c->w);
}

/*
 * `busy` says a call is using the kept box.  A call that starts while it
 * is set was entered from inside that one (a finaliser or a metamethod
 * that ran during one of its allocations, calling the same decoder), and
 * takes a box of its own, as one-shot calls do, so two calls never share
 * a scratch.
 *
 * The call runs under lua_pcall, so however it ends (a result, nil and a
 * message, or a Lua error such as out of memory) control comes back
 * here: the box is wiped, `busy` cleared, and only then is an error
 * raised again.  So the flag never outlives the call that set it, and
 * nothing has to guess later whether a set flag is stale (a later call
 * cannot tell a call that raised from one still running further down the
 * stack).  Between the test of `busy` and setting it only the pushes of
 * the function and its argument can allocate: a finaliser run there may
 * use the box, but it finishes, wiped, before this call takes it.
 */
int phl_kept_run(lua_State *L, phl_kept *k, phl_work_fn fn, void *args)
{
    kept_call c;
    int top, status;

    if (k->busy)
        return fn(L, args, phl_work_new(L));
    c.fn = fn;
    c.args = args;
    c.w = &k->work;
    top = lua_gettop(L);
    lua_pushcfunction(L, kept_call_run);
    lua_pushlightuserdata(L, &c);
    /* Nothing between here and the call can raise. */
    k->busy = 1;
    status = lua_pcall(L, 1, LUA_MULTRET, 0);
    phl_work_done(&k->work);
    k->busy = 0;
    if (k->closing) {
        phl_work_release(&k->work);
        k->closing = 0;
    }
    if (status != 0)
        return lua_error(L);
    return lua_gettop(L) - top;
}

void phl_kept_close(phl_kept *k)
{
    if (k->busy)
        k->closing = 1; /* the running call releases it when done */
    else
        phl_work_release(&k->work);
}
