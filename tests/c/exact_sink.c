/*
 * The test's exact sink: a tree that keeps every value as the parser
 * handed it over, checks the sink protocol as it goes (indexes, counts,
 * NUL-terminated number text, the `ascii` flag, number kinds), and can fail
 * on purpose after a given number of calls so the parser's clean-up paths
 * can be counted (every handle must come back through `discard`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

static int out_of_budget(t_exact_ctx *c)
{
    c->calls++;
    return c->budget >= 0 && c->calls > c->budget;
}

static void protocol_error(const char *what)
{
    CHECK(0, "sink protocol: %s", what);
}

static t_node *node_new(t_exact_ctx *c, int type, const char *text,
                        size_t len)
{
    t_node *n = calloc(1, sizeof *n);

    if (n == NULL)
        abort();
    n->type = type;
    if (text != NULL) {
        if ((n->text = malloc(len + 1)) == NULL)
            abort();
        memcpy(n->text, text, len);
        n->text[len] = '\0';
        n->len = len;
    }
    c->live++;
    return n;
}

void t_node_free(t_exact_ctx *c, t_node *n)
{
    while (n != NULL) {
        t_node *next = n->next;
        t_node_free(c, n->child);
        if (n->name != NULL)
            t_node_free(c, n->name);
        free(n->text);
        free(n);
        c->live--;
        n = next;
    }
}

/* Frees one node (with what it holds) but not its siblings. */
static void free_one(t_exact_ctx *c, t_node *n)
{
    if (n != NULL) {
        n->next = NULL;
        t_node_free(c, n);
    }
}

static void *x_null(void *ctx)
{
    t_exact_ctx *c = ctx;
    return out_of_budget(c) ? NULL : node_new(c, cJSON_NULL, NULL, 0);
}

static void *x_bool(void *ctx, int value)
{
    t_exact_ctx *c = ctx;
    if (out_of_budget(c))
        return NULL;
    return node_new(c, value ? cJSON_True : cJSON_False, NULL, 0);
}

static int has_fraction_or_exponent(const char *text, size_t len)
{
    return memchr(text, '.', len) != NULL || memchr(text, 'e', len) != NULL ||
           memchr(text, 'E', len) != NULL;
}

static void *x_number(void *ctx, ph_number_kind kind, int64_t i,
                      const char *text, size_t len)
{
    t_exact_ctx *c = ctx;
    t_node *n;

    if (text[len] != '\0')
        protocol_error("number text is not NUL-terminated at text[len]");
    if (kind == PH_NUMBER_FLOAT) {
        if (!has_fraction_or_exponent(text, len))
            protocol_error("FLOAT for a literal without '.' or exponent");
    } else if (has_fraction_or_exponent(text, len)) {
        protocol_error("integer kind for a literal with '.' or exponent");
    } else {
        long long v;
        errno = 0;
        v = strtoll(text, NULL, 10);
        if (kind == PH_NUMBER_INT64 && (errno != 0 || v != i))
            protocol_error("INT64 value differs from the literal");
        if (kind == PH_NUMBER_BIGINT && errno != ERANGE)
            protocol_error("BIGINT for a literal that fits int64");
    }
    if (out_of_budget(c))
        return NULL;
    n = node_new(c, cJSON_Number, text, len);
    n->kind = kind;
    n->ival = kind == PH_NUMBER_INT64 ? (long long)i : 0;
    return n;
}

static void *x_string(void *ctx, const char *s, size_t len, int ascii,
                      int is_key)
{
    t_exact_ctx *c = ctx;
    size_t k;
    int all_ascii = 1;

    (void)is_key;
    for (k = 0; k < len; k++)
        if ((unsigned char)s[k] >= 0x80)
            all_ascii = 0;
    if ((ascii != 0) != all_ascii)
        protocol_error("the ascii flag does not describe the bytes");
    if (out_of_budget(c))
        return NULL;
    return node_new(c, cJSON_String, s, len);
}

static void *x_array(void *ctx)
{
    t_exact_ctx *c = ctx;
    return out_of_budget(c) ? NULL : node_new(c, cJSON_Array, NULL, 0);
}

static void *x_object(void *ctx)
{
    t_exact_ctx *c = ctx;
    return out_of_budget(c) ? NULL : node_new(c, cJSON_Object, NULL, 0);
}

static size_t count_children(const t_node *n)
{
    size_t k = 0;
    for (n = n->child; n != NULL; n = n->next)
        k++;
    return k;
}

static void append_child(t_node *parent, t_node *item)
{
    t_node **tail = &parent->child;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = item;
}

/* A container must be closed, once, before it goes into another. */
static void check_closed(const t_node *n)
{
    if ((n->type == cJSON_Array || n->type == cJSON_Object) &&
        n->closes != 1)
        protocol_error("a container handed over before its close");
}

/* Takes over `item` whether it succeeds or not. */
static int x_append(void *ctx, void *array, size_t index, void *item)
{
    t_exact_ctx *c = ctx;
    t_node *a = array;

    if (a->type != cJSON_Array)
        protocol_error("array_append on something that is not an array");
    if (index != count_children(a))
        protocol_error("array_append index is not the item's position");
    if (a->closes != 0)
        protocol_error("array_append after end_array");
    check_closed(item);
    a->added++;
    if (out_of_budget(c)) {
        free_one(c, item);
        return -1;
    }
    append_child(a, item);
    return 0;
}

/* Takes over key and value whether it succeeds or not.  A repeated name
 * keeps the first one's place and takes the last one's value. */
static int x_set(void *ctx, void *object, void *key, void *value)
{
    t_exact_ctx *c = ctx;
    t_node *o = object, *k = key, *v = value, **m;

    if (o->type != cJSON_Object)
        protocol_error("object_set on something that is not an object");
    if (k->type != cJSON_String)
        protocol_error("object_set with a key that is not a string");
    if (o->closes != 0)
        protocol_error("object_set after end_object");
    check_closed(v);
    o->added++;
    if (out_of_budget(c)) {
        free_one(c, k);
        free_one(c, v);
        return -1;
    }
    for (m = &o->child; *m != NULL; m = &(*m)->next) {
        t_node *old = *m;
        if (old->name->len == k->len &&
            memcmp(old->name->text, k->text, k->len) == 0) {
            v->name = old->name;
            v->next = old->next;
            old->name = NULL;
            free_one(c, old);
            *m = v;
            free_one(c, k);
            return 0;
        }
    }
    v->name = k;
    append_child(o, v);
    return 0;
}

static int x_end_array(void *ctx, void *array, size_t count)
{
    t_exact_ctx *c = ctx;
    t_node *a = array;

    if (a->type != cJSON_Array)
        protocol_error("end_array on something that is not an array");
    if (count != count_children(a) || count != a->added)
        protocol_error("end_array count differs from the items appended");
    a->closes++;
    a->closed_with = count;
    return out_of_budget(c) ? -1 : 0;
}

/* The count is of object_set calls: a repeated name counts each time,
 * though the tree keeps one member for it. */
static int x_end_object(void *ctx, void *object, size_t count)
{
    t_exact_ctx *c = ctx;
    t_node *o = object;

    if (o->type != cJSON_Object)
        protocol_error("end_object on something that is not an object");
    if (count != o->added)
        protocol_error("end_object count differs from the members set");
    o->closes++;
    o->closed_with = count;
    return out_of_budget(c) ? -1 : 0;
}

static void x_discard(void *ctx, void *value)
{
    free_one(ctx, value);
}

const ph_json_sink t_exact_sink = {
    x_null, x_bool, x_number, x_string, x_array,
    x_append, x_object, x_set, x_end_array, x_end_object, x_discard,
};

/* ------------------------------------------------------------------ */
/* Comparing with cJSON                                                */

/* Bytes against a cJSON string: exact when the bytes hold no NUL; with a
 * NUL, cJSON's copy ends there, so only the part before it can be seen. */
static int bytes_match(const char *text, size_t len, const char *want)
{
    const char *nul = memchr(text, '\0', len);
    size_t upto = nul != NULL ? (size_t)(nul - text) : len;

    return want != NULL && strlen(want) == upto &&
           memcmp(text, want, upto) == 0;
}

static int matches(const t_node *n, const cJSON *w, char *path, size_t plen,
                   const char *where)
{
    int wt = w->type & 0xff;
    size_t used = strlen(path);

    if (n->type != wt)
        return CHECK(0, "%s: %s: type %d, want %d", where, path, n->type, wt);
    switch (wt) {
    case cJSON_Number: {
        double d = strtod(n->text, NULL);
        return CHECK(d == w->valuedouble, "%s: %s: number %s, want %.17g",
                     where, path, n->text, w->valuedouble);
    }
    case cJSON_String:
        return CHECK(bytes_match(n->text, n->len, w->valuestring),
                     "%s: %s: string differs", where, path);
    case cJSON_Array: {
        const t_node *e = n->child;
        const cJSON *we = w->child;
        size_t i = 0;
        for (; e != NULL && we != NULL; e = e->next, we = we->next, i++) {
            snprintf(path + used, plen - used, "[%zu]", i);
            if (!matches(e, we, path, plen, where))
                return 0;
        }
        path[used] = '\0';
        return CHECK(e == NULL && we == NULL, "%s: %s: array length differs",
                     where, path);
    }
    case cJSON_Object: {
        const t_node *m;
        const cJSON *wm;
        size_t have = 0, want = 0;
        for (wm = w->child; wm != NULL; wm = wm->next)
            want++;
        for (m = n->child; m != NULL; m = m->next, have++) {
            for (wm = w->child; wm != NULL; wm = wm->next)
                if (bytes_match(m->name->text, m->name->len, wm->string))
                    break;
            snprintf(path + used, plen - used, ".%s", m->name->text);
            if (!CHECK(wm != NULL, "%s: %s: unexpected member", where, path))
                return 0;
            if (!matches(m, wm, path, plen, where))
                return 0;
        }
        path[used] = '\0';
        return CHECK(have == want, "%s: %s: %zu members, want %zu", where,
                     path, have, want);
    }
    default:
        return 1;   /* null, true, false: the type says it all */
    }
}

int t_node_matches(const t_node *n, const cJSON *want, const char *where)
{
    char path[512] = "$";

    if (!CHECK(n != NULL && want != NULL, "%s: nothing to compare", where))
        return 0;
    return matches(n, want, path, sizeof path, where);
}

/* ------------------------------------------------------------------ */
/* Canonical dump                                                      */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *grown;
        while (cap < b->len + n + 1)
            cap *= 2;
        if ((grown = realloc(b->p, cap)) == NULL)
            abort();
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void put_string(buf *b, const char *s, size_t len)
{
    size_t i;

    put(b, "\"", 1);
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == '"' || ch == '\\') {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            put(b, esc, 6);
        } else {
            put(b, s + i, 1);
        }
    }
    put(b, "\"", 1);
}

static void dump(buf *b, const t_node *n)
{
    const t_node *e;

    switch (n->type) {
    case cJSON_NULL: put(b, "null", 4); break;
    case cJSON_True: put(b, "true", 4); break;
    case cJSON_False: put(b, "false", 5); break;
    case cJSON_Number: put(b, n->text, n->len); break;
    case cJSON_String: put_string(b, n->text, n->len); break;
    case cJSON_Array:
        put(b, "[", 1);
        for (e = n->child; e != NULL; e = e->next) {
            dump(b, e);
            if (e->next != NULL)
                put(b, ",", 1);
        }
        put(b, "]", 1);
        break;
    case cJSON_Object:
        put(b, "{", 1);
        for (e = n->child; e != NULL; e = e->next) {
            put_string(b, e->name->text, e->name->len);
            put(b, ":", 1);
            dump(b, e);
            if (e->next != NULL)
                put(b, ",", 1);
        }
        put(b, "}", 1);
        break;
    default:
        put(b, "?", 1);
    }
}

char *t_node_dump(const t_node *n, size_t *len)
{
    buf b = {NULL, 0, 0};

    put(&b, "", 0);
    if (n != NULL)
        dump(&b, n);
    if (len != NULL)
        *len = b.len;
    return b.p;
}
