/*
 * The shared vectors (every .json file in tests/vectors), which the
 * Python and Lua suites run too.  Each vector names a function of the
 * bindings' API; here it is mapped onto the core calls that function
 * makes:
 *
 *   jwt.decode        ph_jwt_verifier_new, ph_jwt_verify, ph_jwt_parse_claims
 *   leanx.decode      the same, after ph_leanx_token
 *   superpay.decode   ph_superpay_key_new, ph_superpay_open, ph_superpay_parse
 *   superpay.decrypt  ph_superpay_key_new, ph_superpay_decrypt_hex
 *   <gateway>.verify  ph_gateway_key_new, ph_gateway_open, ph_gateway_parse,
 *                     ph_gateway_event_id
 *
 * leanx.decode and superpay.decode vectors run a second time through the
 * gateway pipeline (ph_gateway_find("leanx") ...), which must give the
 * same outcome.
 *
 * Payloads are built with ph_cjson_sink and compared with t_json_equal.
 * Where cJSON cannot hold a value (a string with a NUL, an integer beyond
 * 2^53) the parse is run again through the test's exact sink, and the
 * result is compared as far as the expected cJSON value can show it: the
 * status, every member name, every number as a double, every string up to
 * its first NUL.  The bytes after a NUL and the exact value of big
 * integers are checked exactly by the Python and Lua suites, which compare
 * with json.loads / the Lua decoder of the vector file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner.h"

#define MAX_VEC_KEYS (PH_MAX_KEYS + 4)

/* One vector's inputs, decoded. */
typedef struct vec {
    const char *id, *function;
    unsigned char *body;
    size_t body_len;
    unsigned char *keys[MAX_VEC_KEYS];
    size_t key_lens[MAX_VEC_KEYS];
    size_t nkeys;
    unsigned char *iv;          /* 16 bytes or NULL */
    size_t max_bytes;
    unsigned algorithms;
    ph_claims claims;
    ph_str aud[8], iss[8], sub;
    int iv_wrong_size;          /* iv_hex given, not 16 bytes            */
    ph_header headers[64];
    size_t n_headers;
    unsigned char *query;       /* a redirect's query, or NULL          */
    size_t query_len;
    double tolerance;           /* -1: the gateway's default             */
    int bad;                    /* the vector itself could not be read */
} vec;

/* What a run produced. */
typedef struct outcome {
    ph_status st;
    ph_error err;
    cJSON *payload;             /* built with ph_cjson_sink */
    t_node *exact;              /* built with the exact sink instead */
    t_exact_ctx exact_ctx;
    unsigned char *plain;       /* superpay.decrypt */
    size_t plain_len;
    int gateway;                /* a ph_gateway_* run: event id and time */
    char event_id[PH_EVENT_ID_MAX];
    size_t event_id_len;
    int has_event_id, has_timestamp;
    int64_t timestamp;
} outcome;

static unsigned char *copy_bytes(const char *s, size_t len)
{
    unsigned char *p = malloc(len + 1);

    if (p == NULL)
        abort();
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* A text or hex byte string member: "name" (UTF-8 text) or "name_hex". */
static int get_bytes(const cJSON *obj, const char *name, unsigned char **out,
                     size_t *len)
{
    char hexname[64];
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, name), *h;

    snprintf(hexname, sizeof hexname, "%s_hex", name);
    h = cJSON_GetObjectItemCaseSensitive(obj, hexname);
    if (cJSON_IsString(t)) {
        *len = strlen(t->valuestring);
        *out = copy_bytes(t->valuestring, *len);
        return 1;
    }
    if (cJSON_IsString(h)) {
        *out = t_unhex(h->valuestring, len);
        return CHECK(*out != NULL, "%s is not hex", hexname) ? 1 : -1;
    }
    return 0;
}

static size_t get_strs(const cJSON *item, ph_str *out, size_t max,
                       const char *what)
{
    const cJSON *e;
    size_t n = 0;

    if (cJSON_IsString(item)) {
        out[0].ptr = item->valuestring;
        out[0].len = strlen(item->valuestring);
        return 1;
    }
    if (!CHECK(cJSON_IsArray(item), "%s must be a string or a list", what))
        return 0;
    cJSON_ArrayForEach(e, item) {
        if (!CHECK(cJSON_IsString(e) && n < max, "bad %s entry", what))
            break;
        out[n].ptr = e->valuestring;
        out[n].len = strlen(e->valuestring);
        n++;
    }
    return n;
}

static unsigned claim_bit(const char *name)
{
    static const char *const names[] = {"exp", "nbf", "iat", "aud",
                                        "iss", "sub", "jti"};
    static const unsigned bits[] = {PH_CLAIM_EXP, PH_CLAIM_NBF, PH_CLAIM_IAT,
                                    PH_CLAIM_AUD, PH_CLAIM_ISS, PH_CLAIM_SUB,
                                    PH_CLAIM_JTI};
    size_t i;

    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return bits[i];
    return 0;
}

static void read_options(vec *v, const cJSON *opt)
{
    const cJSON *o, *e;
    const char *const flags[] = {"exp", "nbf", "iat", "aud",
                                 "iss", "sub", "jti"};
    size_t i;

    o = cJSON_GetObjectItemCaseSensitive(opt, "now");
    ph_claims_init(&v->claims,
                   cJSON_IsNumber(o) ? o->valuedouble : (double)time(NULL));
    v->algorithms = PH_ALG_HS256;
    v->max_bytes = PH_DEFAULT_MAX_BYTES;
    if (opt == NULL)
        return;
    if (!CHECK(cJSON_IsObject(opt), "options must be an object")) {
        v->bad = 1;
        return;
    }
    if ((o = cJSON_GetObjectItemCaseSensitive(opt, "algorithms")) != NULL) {
        /* A name that is not one of ours is simply not allowed. */
        v->algorithms = 0;
        cJSON_ArrayForEach(e, o) {
            if (cJSON_IsString(e))
                v->algorithms |= ph_alg_from_name(e->valuestring,
                                                  strlen(e->valuestring));
        }
    }
    if (cJSON_IsNumber(o = cJSON_GetObjectItemCaseSensitive(opt, "leeway")))
        v->claims.leeway = o->valuedouble;
    if (cJSON_IsNumber(o = cJSON_GetObjectItemCaseSensitive(opt,
                                                            "max_bytes")))
        v->max_bytes = (size_t)o->valuedouble;
    if ((o = cJSON_GetObjectItemCaseSensitive(opt, "audience")) != NULL &&
        !cJSON_IsNull(o)) {
        v->claims.n_audience = get_strs(o, v->aud, 8, "audience");
        v->claims.audience = v->aud;
    }
    if ((o = cJSON_GetObjectItemCaseSensitive(opt, "issuer")) != NULL &&
        !cJSON_IsNull(o)) {
        v->claims.n_issuer = get_strs(o, v->iss, 8, "issuer");
        v->claims.issuer = v->iss;
    }
    if (cJSON_IsString(o = cJSON_GetObjectItemCaseSensitive(opt, "subject"))) {
        v->sub.ptr = o->valuestring;
        v->sub.len = strlen(o->valuestring);
        v->claims.subject = &v->sub;
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(opt, "require")) {
        unsigned bit = cJSON_IsString(e) ? claim_bit(e->valuestring) : 0;
        if (!CHECK(bit != 0, "require: \"%s\" is not a claim ph_claims knows",
                   cJSON_IsString(e) ? e->valuestring : "?"))
            v->bad = 1;
        v->claims.require |= bit;
    }
    for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "verify_%s", flags[i]);
        if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(opt, name)))
            v->claims.verify &= ~claim_bit(flags[i]);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(opt, "strict_aud")))
        v->claims.strict_aud = 1;
    /* strict_aud wants the audience as one string.  ph_claims cannot tell
     * a string from a list of one (the bindings refuse the list before
     * calling the core); a list is passed here as at least two entries so
     * that the core's own strict rule, exactly one audience, applies. */
    o = cJSON_GetObjectItemCaseSensitive(opt, "audience");
    if (v->claims.strict_aud && cJSON_IsArray(o) &&
        v->claims.n_audience == 1) {
        v->aud[1] = v->aud[0];
        v->claims.n_audience = 2;
    }
}

static void read_vec(vec *v, const cJSON *jv)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(jv, "input"), *ks, *e;
    unsigned char *iv = NULL;
    size_t iv_len = 0;
    int r;

    memset(v, 0, sizeof *v);
    v->id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jv, "id"));
    v->function = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(jv, "function"));
    if (!CHECK(v->function != NULL && cJSON_IsObject(in),
               "vector needs \"function\" and \"input\"")) {
        v->bad = 1;
        return;
    }
    if ((r = get_bytes(in, "body", &v->body, &v->body_len)) <= 0) {
        CHECK(0, "input needs body or body_hex");
        v->bad = 1;
    }
    if ((r = get_bytes(in, "key", &v->keys[0], &v->key_lens[0])) > 0)
        v->nkeys = 1;
    else if (r < 0)
        v->bad = 1;
    ks = cJSON_GetObjectItemCaseSensitive(in, "keys");
    cJSON_ArrayForEach(e, ks) {
        if (!CHECK(cJSON_IsString(e) && v->nkeys < MAX_VEC_KEYS,
                   "keys must be a list of at most %d strings",
                   MAX_VEC_KEYS)) {
            v->bad = 1;
            break;
        }
        v->key_lens[v->nkeys] = strlen(e->valuestring);
        v->keys[v->nkeys] = copy_bytes(e->valuestring, v->key_lens[v->nkeys]);
        v->nkeys++;
    }
    if ((r = get_bytes(in, "iv", &iv, &iv_len)) > 0) {
        v->iv_wrong_size = iv_len != PH_AES_BLOCK;
        v->iv = iv;
    } else if (r < 0) {
        v->bad = 1;
    }
    read_options(v, cJSON_GetObjectItemCaseSensitive(in, "options"));
    if (get_bytes(in, "query", &v->query, &v->query_len) < 0)
        v->bad = 1;
    v->tolerance = -1;
    e = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(in, "options"), "tolerance");
    if (cJSON_IsNumber(e))
        v->tolerance = e->valuedouble;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(in, "headers")) {
        const cJSON *name = cJSON_GetArrayItem(e, 0);
        const cJSON *value = cJSON_GetArrayItem(e, 1);
        if (!CHECK(cJSON_IsString(name) && cJSON_IsString(value) &&
                       v->n_headers < 64,
                   "headers must be [name, value] pairs")) {
            v->bad = 1;
            break;
        }
        v->headers[v->n_headers].name = name->valuestring;
        v->headers[v->n_headers].name_len = strlen(name->valuestring);
        v->headers[v->n_headers].value = value->valuestring;
        v->headers[v->n_headers].value_len = strlen(value->valuestring);
        v->n_headers++;
    }
}

static void free_vec(vec *v)
{
    size_t i;

    free(v->body);
    free(v->query);
    for (i = 0; i < v->nkeys; i++)
        free(v->keys[i]);
    free(v->iv);
}

/* ------------------------------------------------------------------ */
/* Running                                                             */

/* Claims step: cJSON first, the exact sink if cJSON had to give up. */
static void parse_claims(const vec *v, const char *pl, size_t pl_len,
                         ph_scratch *s, outcome *out)
{
    void *root = NULL;

    out->st = ph_jwt_parse_claims(pl, pl_len, &v->claims, &ph_cjson_sink,
                                  NULL, s, &root, &out->err);
    if (out->st == PH_OK) {
        out->payload = root;
        return;
    }
    CHECK(root == NULL, "a value came back with %s", ph_status_name(out->st));
    if (out->st != PH_ERR_SINK)
        return;
    t_error_reset(&out->err);
    out->st = ph_jwt_parse_claims(pl, pl_len, &v->claims, &t_exact_sink,
                                  &out->exact_ctx, s, &root, &out->err);
    out->exact = root;
}

static void superpay_parse(const char *pl, size_t pl_len, ph_scratch *s,
                           outcome *out)
{
    void *root = NULL;

    out->st = ph_superpay_parse(pl, pl_len, &ph_cjson_sink, NULL, s, &root,
                                &out->err);
    if (out->st == PH_OK) {
        out->payload = root;
        return;
    }
    CHECK(root == NULL, "a value came back with %s", ph_status_name(out->st));
    /* The plaintext passed the JSON check when it was opened, so a failure
     * here is cJSON's sink refusing a value it cannot hold exactly, which
     * SuperPay reports as its one decryption error. */
    if (out->st != PH_ERR_DECRYPT)
        return;
    t_error_reset(&out->err);
    out->st = ph_superpay_parse(pl, pl_len, &t_exact_sink, &out->exact_ctx, s,
                                &root, &out->err);
    out->exact = root;
}

static void run_jwt(const vec *v, int leanx, ph_scratch *s, outcome *out)
{
    ph_jwt_verifier *jv = NULL;
    const char *tok = (const char *)v->body, *pl;
    size_t tok_len = v->body_len, pl_len;

    out->st = ph_jwt_verifier_new((const unsigned char *const *)v->keys,
                                  v->key_lens, v->nkeys, v->algorithms, &jv,
                                  &out->err);
    if (out->st != PH_OK)
        return;
    if (leanx)
        out->st = ph_leanx_token(tok, tok_len, v->max_bytes, s, &tok,
                                 &tok_len, &out->err);
    if (out->st == PH_OK)
        out->st = ph_jwt_verify(jv, tok, tok_len, v->max_bytes, s, &pl,
                                &pl_len, &out->err);
    if (out->st == PH_OK)
        parse_claims(v, pl, pl_len, s, out);
    ph_jwt_verifier_free(jv);
}

static ph_status iv_size_error(ph_error *err, ph_status st)
{
    err->status = st;
    snprintf(err->message, sizeof err->message, "the IV must be 16 bytes");
    return st;
}

static void run_superpay(const vec *v, int decrypt_only, ph_scratch *s,
                         outcome *out)
{
    ph_superpay_key *k = NULL;
    const unsigned char *pt;
    const char *plain;
    size_t len;

    out->st = ph_superpay_key_new(v->nkeys ? v->keys[0] : NULL,
                                  v->nkeys ? v->key_lens[0] : 0, &k,
                                  &out->err);
    if (out->st != PH_OK)
        return;
    if (decrypt_only && v->iv_wrong_size) {
        /* The C API takes a 16-byte IV by type; the bindings refuse any
         * other length as a key error before calling it. */
        out->st = iv_size_error(&out->err, PH_ERR_KEY);
    } else if (decrypt_only) {
        out->st = ph_superpay_decrypt_hex(k, v->iv, (const char *)v->body,
                                          v->body_len, v->max_bytes, s, &pt,
                                          &len, &out->err);
        if (out->st == PH_OK) {
            out->plain = copy_bytes((const char *)pt, len);
            out->plain_len = len;
        }
    } else {
        out->st = ph_superpay_open(k, (const char *)v->body, v->body_len,
                                   v->max_bytes, s, &plain, &len, &out->err);
        if (out->st == PH_OK)
            superpay_parse(plain, len, s, out);
    }
    ph_superpay_key_free(k);
}

/* The pipeline: cJSON first, the exact sink if cJSON had to give up. */
static void run_gateway(const vec *v, const ph_gateway *g, ph_scratch *s,
                        outcome *out)
{
    ph_gateway_key *k = NULL;
    ph_request rq = {(const char *)v->body, v->body_len, v->headers,
                     v->n_headers, (const char *)v->query, v->query_len};
    ph_options o;
    ph_result r;
    void *root = NULL;

    out->gateway = 1;
    ph_options_init(&o, v->claims.now);
    o.leeway = v->claims.leeway;
    o.tolerance = v->tolerance;
    o.max_bytes = v->max_bytes;
    out->st = ph_gateway_key_new(g, (const unsigned char *const *)v->keys,
                                 v->key_lens, v->nkeys, &k, &out->err);
    if (out->st != PH_OK)
        return;
    out->st = ph_gateway_open(k, &rq, &o, s, &r, &out->err);
    if (out->st == PH_OK) {
        out->st = ph_gateway_parse(k, &r, &o, &ph_cjson_sink, NULL, s, &root,
                                   &out->err);
        if (out->st == PH_OK) {
            out->payload = root;
        } else if (out->st == PH_ERR_SINK ||
                   (out->st == PH_ERR_DECRYPT && r.payload != NULL)) {
            CHECK(root == NULL, "a value came back with %s",
                  ph_status_name(out->st));
            t_error_reset(&out->err);
            out->st = ph_gateway_parse(k, &r, &o, &t_exact_sink,
                                       &out->exact_ctx, s, &root, &out->err);
            out->exact = root;
        }
    }
    if (out->st == PH_OK) {
        ph_error e2;
        CHECK_STATUS(ph_gateway_event_id(&r, out->event_id, &out->event_id_len,
                                         &out->has_event_id, &e2),
                     PH_OK, "event id");
        out->has_timestamp = r.has_timestamp;
        out->timestamp = r.timestamp;
    }
    ph_gateway_key_free(k);
}

/* ------------------------------------------------------------------ */
/* Checking                                                            */

/* Nothing of the body (16-byte windows) may show up in a message. */
static void check_no_input_echo(const vec *v, const ph_error *err)
{
    size_t mlen, i;

    if (memchr(err->message, '\0', sizeof err->message) == NULL ||
        v->body_len > 65536)
        return;
    mlen = strlen(err->message);
    for (i = 0; i + 16 <= v->body_len; i++)
        if (!CHECK(!t_contains(err->message, mlen, v->body + i, 16),
                   "message \"%s\" repeats input bytes at %zu", err->message,
                   i))
            return;
}

/* A <gateway>.verify vector also says what the result record holds. */
static void check_record(const cJSON *expect, const outcome *out)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(expect, "event_id");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(expect, "timestamp");

    if (!out->gateway || (id == NULL && ts == NULL))
        return;
    if (cJSON_IsString(id))
        CHECK(out->has_event_id &&
                  out->event_id_len == strlen(id->valuestring) &&
                  memcmp(out->event_id, id->valuestring,
                         out->event_id_len) == 0,
              "event id %.*s, want %s", (int)out->event_id_len,
              out->has_event_id ? out->event_id : "(none)", id->valuestring);
    else if (cJSON_IsNull(id))
        CHECK(!out->has_event_id, "event id %.*s, want none",
              (int)out->event_id_len, out->event_id);
    if (cJSON_IsNumber(ts))
        CHECK(out->has_timestamp && (double)out->timestamp == ts->valuedouble,
              "timestamp %lld, want %.0f", (long long)out->timestamp,
              ts->valuedouble);
    else if (cJSON_IsNull(ts))
        CHECK(!out->has_timestamp, "a timestamp came back");
}

/* Vectors whose payload went through the exact sink (for the summary). */
static size_t exact_compared;

static void check_expect(const vec *v, const cJSON *expect, outcome *out)
{
    const cJSON *e_err = cJSON_GetObjectItemCaseSensitive(expect, "error");
    const cJSON *e_pl = cJSON_GetObjectItemCaseSensitive(expect, "payload");
    const cJSON *e_hex =
        cJSON_GetObjectItemCaseSensitive(expect, "plaintext_hex");

    if (cJSON_IsString(e_err)) {
        CHECK(strcmp(ph_status_name(out->st), e_err->valuestring) == 0,
              "got %s (%s), want %s", ph_status_name(out->st),
              out->st == PH_OK ? "no error" : out->err.message,
              e_err->valuestring);
        if (out->st != PH_OK) {
            t_check_error(&out->err, out->st,
                          (const unsigned char *const *)v->keys, v->key_lens,
                          v->nkeys);
            check_no_input_echo(v, &out->err);
        }
        return;
    }
    if (!CHECK(out->st == PH_OK, "got %s: %.128s", ph_status_name(out->st),
               out->err.message))
        return;
    if (e_pl != NULL) {
        if (out->payload != NULL) {
            char *got = cJSON_PrintUnformatted(out->payload);
            CHECK(t_json_equal(out->payload, e_pl),
                  "payload differs: got %.300s", got ? got : "?");
            free(got);
        } else if (CHECK(out->exact != NULL, "no payload came back")) {
            t_node_matches(out->exact, e_pl, "payload (exact sink)");
            exact_compared++;
        }
    } else if (cJSON_IsString(e_hex)) {
        size_t n = 0;
        unsigned char *want = t_unhex(e_hex->valuestring, &n);
        char *got = t_tohex(out->plain, out->plain_len);
        CHECK(want != NULL && out->plain != NULL && n == out->plain_len &&
                  memcmp(want, out->plain, n) == 0,
              "plaintext %.200s, want %.200s", got, e_hex->valuestring);
        free(got);
        free(want);
    } else {
        CHECK(0, "expect needs error, payload or plaintext_hex");
    }
    check_record(expect, out);
}

/* The gateway a "<name>.verify" function names, or NULL. */
static const ph_gateway *verify_gateway(const char *function)
{
    const char *dot = strchr(function, '.');

    if (dot == NULL || strcmp(dot, ".verify") != 0)
        return NULL;
    return ph_gateway_find(function, (size_t)(dot - function));
}

/* `pipeline`: run leanx.decode / superpay.decode through the gateway
 * pipeline instead of the per-gateway calls. */
static void run_vector(const char *file, const cJSON *jv, int pipeline)
{
    vec v;
    outcome out;
    ph_scratch s = PH_SCRATCH_INIT;
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(jv, "expect");
    const ph_gateway *g;

    read_vec(&v, jv);
    if (pipeline && v.function != NULL &&
        strcmp(v.function, "leanx.decode") != 0 &&
        strcmp(v.function, "superpay.decode") != 0) {
        free_vec(&v);
        return;
    }
    t_begin("%s: %s%s", file, v.id ? v.id : "(no id)",
            pipeline ? " (through the gateway pipeline)" : "");
    memset(&out, 0, sizeof out);
    out.exact_ctx.budget = -1;
    t_error_reset(&out.err);
    if (!v.bad && CHECK(cJSON_IsObject(expect), "no expect object")) {
        if (pipeline)
            run_gateway(&v,
                        ph_gateway_find(v.function,
                                        strcspn(v.function, ".")),
                        &s, &out);
        else if ((g = verify_gateway(v.function)) != NULL)
            run_gateway(&v, g, &s, &out);
        else if (strcmp(v.function, "jwt.decode") == 0)
            run_jwt(&v, 0, &s, &out);
        else if (strcmp(v.function, "leanx.decode") == 0)
            run_jwt(&v, 1, &s, &out);
        else if (strcmp(v.function, "superpay.decode") == 0)
            run_superpay(&v, 0, &s, &out);
        else if (strcmp(v.function, "superpay.decrypt") == 0)
            run_superpay(&v, 1, &s, &out);
        else
            v.bad = !CHECK(0, "unknown function \"%s\"", v.function);
        if (!v.bad)
            check_expect(&v, expect, &out);
    }
    cJSON_Delete(out.payload);
    t_node_free(&out.exact_ctx, out.exact);
    CHECK(out.exact_ctx.live == 0, "%ld exact-sink handles leaked",
          out.exact_ctx.live);
    free(out.plain);
    ph_scratch_free(&s);
    free_vec(&v);
    t_end();
}

void run_shared_vectors(const char *dir)
{
    size_t n = 0, i, total = 0;
    char **names = t_list_dir(dir, ".json", &n);

    for (i = 0; i < n; i++) {
        char *path = t_join(dir, names[i]);
        cJSON *root, *vs, *jv;
        t_begin("%s: a vector file", names[i]);
        root = t_load_json(path);
        vs = cJSON_GetObjectItemCaseSensitive(root, "vectors");
        if (root != NULL)
            CHECK(cJSON_IsArray(vs) && cJSON_GetArraySize(vs) > 0,
                  "%s has no \"vectors\" list", path);
        t_end();
        cJSON_ArrayForEach(jv, vs) {
            run_vector(names[i], jv, 0);
            run_vector(names[i], jv, 1);
            total++;
        }
        cJSON_Delete(root);
        free(path);
    }
    t_begin("shared vectors found in %s", dir);
    CHECK(names != NULL, "%s does not exist", dir);
    CHECK(total > 0, "no vectors in %s", dir);
    t_end();
    printf("# shared vectors: %zu vectors in %zu files, %zu payloads "
           "compared through the exact sink\n", total, n, exact_compared);
    t_free_names(names, n);
}
