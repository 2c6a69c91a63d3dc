/* Checks shared by the harnesses; see fuzz_common.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz_common.h"
#include "internal.h"

void fz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "\n*** payhook fuzz check failed at %s:%d: %s\n", file,
            line, what);
    abort();
}

/* A plain byte loop, not memcmp: libFuzzer hooks memcmp and would learn
 * the key from the comparisons. */
static int contains(const char *hay, size_t hay_len, const unsigned char *pin,
                    size_t pin_len)
{
    size_t i, k;

    if (pin_len == 0 || pin_len > hay_len)
        return 0;
    for (i = 0; i + pin_len <= hay_len; i++) {
        for (k = 0; k < pin_len; k++)
            if ((unsigned char)hay[i + k] != pin[k])
                break;
        if (k == pin_len)
            return 1;
    }
    return 0;
}

void fz_check_error(ph_status st, const ph_error *err,
                    const unsigned char *key, size_t key_len)
{
    size_t n, i, w;

    FZ_CHECK((unsigned)st < PH_STATUS_COUNT, "status out of range");
    FZ_CHECK(ph_status_name(st) != NULL && ph_strerror(st) != NULL,
             "status without a name or a sentence");
    if (st == PH_OK)
        return;
    FZ_CHECK(err->status == st, "the error record holds another status");
    n = strnlen(err->message, PH_MESSAGE_SIZE);
    FZ_CHECK(n < PH_MESSAGE_SIZE, "message not NUL-terminated");
    FZ_CHECK(n > 0, "empty error message");
    for (i = 0; i < n; i++)
        FZ_CHECK(err->message[i] >= 0x20 && err->message[i] < 0x7f,
                 "message holds a byte that is not printable ASCII");
    if (key == NULL || key_len == 0)
        return;
    w = key_len < FZ_KEY_WINDOW ? key_len : FZ_KEY_WINDOW;
    for (i = 0; i + w <= key_len; i++)
        FZ_CHECK(!contains(err->message, n, key + i, w),
                 "message holds key bytes");
}

static size_t run_of_digits(const char *s, size_t len, size_t i)
{
    size_t start = i;

    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    return i - start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and nothing more. */
int fz_json_number_ok(const char *s, size_t len)
{
    size_t i = 0, n;

    if (i < len && s[i] == '-')
        i++;
    n = run_of_digits(s, len, i);
    if (n == 0 || (n > 1 && s[i] == '0'))
        return 0;
    i += n;
    if (i < len && s[i] == '.') {
        n = run_of_digits(s, len, i + 1);
        if (n == 0)
            return 0;
        i += 1 + n;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        n = run_of_digits(s, len, i);
        if (n == 0)
            return 0;
        i += n;
    }
    return i == len;
}

static int b64url_digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* A bit accumulator, six bits in and eight out at a time. */
long fz_b64url_decode(const char *in, size_t len, unsigned char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t i;
    long n = 0;

    if (len % 4 == 1)
        return -1;
    for (i = 0; i < len; i++) {
        int d = b64url_digit((unsigned char)in[i]);
        if (d < 0)
            return -1;
        acc = ((acc << 6) | (uint32_t)d) & 0x3fff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (out != NULL)
                out[n] = (unsigned char)(acc >> bits);
            n++;
        }
    }
    if (acc & ((1u << bits) - 1))
        return -1;      /* a non-zero bit that carries no data */
    return n;
}

size_t fz_b64url_encode(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "abcdefghijklmnopqrstuvwxyz0123456789-_";
    uint32_t acc = 0;
    int bits = 0;
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        acc = ((acc << 8) | in[i]) & 0xffff;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[n++] = digits[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[n++] = digits[(acc << (6 - bits)) & 63];
    return n;
}

static int json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int fz_no_member(void *hctx, const char *name, size_t len)
{
    (void)hctx;
    (void)name;
    (void)len;
    return 0;
}

int fz_json_object_ok(const char *json, size_t len)
{
    ph_top_hook hook = {fz_no_member, NULL, NULL, NULL};
    ph_scratch s = PH_SCRATCH_INIT;
    ph_error err;
    void *root = NULL;
    int ok = ph_json_parse_hooked(json, len, NULL, NULL, &hook, &s, &root,
                                  &err) == PH_OK;
    ph_scratch_free(&s);
    return ok;
}

void fz_trim(const char **p, size_t *len)
{
    while (*len > 0 && json_space((*p)[0])) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && json_space((*p)[*len - 1]))
        (*len)--;
}

void fz_check_jwt_canonical(const char *tok, size_t len)
{
    const char *p = tok, *dot;
    size_t left = len, seg_len;
    long n = 0;
    int i;

    /* No trimming: an accepted token is exactly its three segments. */
    for (i = 0; i < 3; i++) {
        dot = memchr(p, '.', left);
        seg_len = dot != NULL ? (size_t)(dot - p) : left;
        FZ_CHECK(i < 2 ? dot != NULL : dot == NULL,
                 "accepted token without three segments");
        n = fz_b64url_decode(p, seg_len, NULL);
        FZ_CHECK(n >= 0, "accepted token with a non-canonical segment");
        if (dot != NULL) {
            left -= seg_len + 1;
            p = dot + 1;
        }
    }
    FZ_CHECK(n == 32 || n == 48 || n == 64,
             "accepted signature that is not a digest long");
}

/* 0 not asked yet, 1 cJSON reads long numbers, 2 it cuts them short. */
static int cjson_numbers;

int fz_cjson_blind_spot(const char *json, size_t len)
{
    size_t i, run = 0;

    if (cjson_numbers == 0) {
        char probe[72];
        cJSON *v;
        probe[0] = '[';
        memset(probe + 1, '7', 70);
        probe[71] = ']';
        v = cJSON_ParseWithLength(probe, sizeof probe);
        cjson_numbers = cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1 &&
                                cJSON_IsNumber(cJSON_GetArrayItem(v, 0))
                            ? 1
                            : 2;
        cJSON_Delete(v);
    }
    if (cjson_numbers == 1)
        return 0;
    for (i = 0; i < len; i++) {
        char c = json[i];
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
            c == 'e' || c == 'E') {
            if (++run >= 63)
                return 1;
        } else {
            run = 0;
        }
    }
    return 0;
}

int fz_has_escaped_nul(const char *json, size_t len)
{
    size_t i;

    for (i = 0; i + 6 <= len; i++)
        if (json[i] == '\\' && json[i + 1] == 'u' &&
            memcmp(json + i + 2, "0000", 4) == 0)
            return 1;
    return 0;
}

long fz_object_members(const char *json, size_t len, size_t spans[][2],
                       size_t max)
{
    size_t i = 0, n = 0, start;
    int depth;

    while (i < len && json_space(json[i]))
        i++;
    if (i >= len || json[i] != '{')
        return -1;
    i++;
    for (;;) {
        while (i < len && json_space(json[i]))
            i++;
        if (i >= len)
            return -1;
        if (json[i] == '}')
            return (long)n;
        start = i;
        depth = 0;
        for (; i < len; i++) {
            char c = json[i];
            if (c == '"') {
                for (i++; i < len && json[i] != '"'; i++)
                    if (json[i] == '\\')
                        i++;
            } else if (c == '[' || c == '{') {
                depth++;
            } else if (c == ']' || c == '}') {
                if (depth == 0)
                    break;
                depth--;
            } else if (c == ',' && depth == 0) {
                break;
            }
        }
        if (i >= len || n == max)
            return -1;
        spans[n][0] = start;
        spans[n][1] = i;
        n++;
        if (json[i] == ',')
            i++;
    }
}

/* ------------------------------------------------------------------ */
/* The checking sink                                                   */

#define NODE_MAGIC 0x5a17c0deu

struct fz_node {
    unsigned magic;
    int type;
    int owned;              /* linked into a container                  */
    int is_key;
    unsigned char *bytes;   /* a string's bytes                         */
    size_t len;
    fz_node *key;           /* an object member's name                  */
    fz_node *first, *last;  /* children, in order                       */
    fz_node *next;
    size_t count;
    int closed;             /* end_array / end_object called on it      */
};

void fz_sink_init(fz_sink_ctx *c, const void *src, size_t src_len,
                  const ph_scratch *scratch, long fail_at)
{
    memset(c, 0, sizeof *c);
    c->src = src;
    c->src_len = src_len;
    c->scratch = scratch;
    c->fail_at = fail_at;
}

/* Count the call; zero when this is the one chosen to fail. */
static int call_ok(fz_sink_ctx *c)
{
    return ++c->calls != c->fail_at;
}

static fz_node *live_node(void *v)
{
    fz_node *n = v;

    FZ_CHECK(n != NULL, "NULL handle given to the sink");
    FZ_CHECK(n->magic == NODE_MAGIC, "dead or foreign handle");
    return n;
}

static fz_node *node_new(fz_sink_ctx *c, int type)
{
    fz_node *n;

    if (!call_ok(c))
        return NULL;
    if ((n = calloc(1, sizeof *n)) == NULL)
        return NULL;
    n->magic = NODE_MAGIC;
    n->type = type;
    c->live++;
    return n;
}

static void node_free(fz_sink_ctx *c, fz_node *n)
{
    fz_node *ch, *next;

    if (n == NULL)
        return;
    for (ch = n->first; ch != NULL; ch = next) {
        next = ch->next;
        node_free(c, ch);
    }
    node_free(c, n->key);
    free(n->bytes);
    n->magic = 0;
    free(n);
    c->live--;
}

static int within(const unsigned char *p, size_t len, const unsigned char *lo,
                  size_t lo_len)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)lo;

    return lo != NULL && a >= b && a <= b + lo_len && len <= b + lo_len - a;
}

static void check_place(const fz_sink_ctx *c, const void *p, size_t len)
{
    const unsigned char *q = p;

    FZ_CHECK(within(q, len, c->src, c->src_len) ||
                 (c->scratch != NULL &&
                  within(q, len, c->scratch->text, c->scratch->text_cap)),
             "sink given a pointer outside the input and the scratch");
}

static void *s_null(void *ctx)
{
    return node_new(ctx, FZ_NULL);
}

static void *s_bool(void *ctx, int value)
{
    FZ_CHECK(value == 0 || value == 1, "bool is neither 0 nor 1");
    return node_new(ctx, FZ_BOOL);
}

static void *s_number(void *ctx, ph_number_kind kind, int64_t i,
                      const char *text, size_t len)
{
    fz_sink_ctx *c = ctx;
    int integer;

    check_place(c, text, len + 1);
    FZ_CHECK(text[len] == '\0', "number text not NUL-terminated");
    FZ_CHECK(fz_json_number_ok(text, len), "number outside the grammar");
    FZ_CHECK(len - (text[0] == '-') <= PH_MAX_NUMBER_CHARS,
             "number longer than the limit");
    integer = memchr(text, '.', len) == NULL &&
              memchr(text, 'e', len) == NULL &&
              memchr(text, 'E', len) == NULL;
    /* The claim checks read numbers with ph_number_to_double, which must
     * round as strtod does (glibc's is correctly rounded, as float() is),
     * to the bit: -0.0 included. */
    {
        double mine = ph_number_to_double(text, len),
               theirs = strtod(text, NULL);
        FZ_CHECK(memcmp(&mine, &theirs, sizeof mine) == 0,
                 "ph_number_to_double differs from strtod");
    }
    if (!integer) {
        FZ_CHECK(kind == PH_NUMBER_FLOAT, "fraction not called a float");
    } else {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(text, &end, 10);
        FZ_CHECK(end == text + len, "strtoll disagrees on the length");
        if (errno == ERANGE) {
            FZ_CHECK(kind == PH_NUMBER_BIGINT, "big integer not BIGINT");
        } else {
            FZ_CHECK(kind == PH_NUMBER_INT64, "int64 not called INT64");
            FZ_CHECK(i == v, "int64 value differs from the text");
        }
    }
    return node_new(c, FZ_NUMBER);
}

static void *s_string(void *ctx, const char *s, size_t len, int ascii,
                      int is_key)
{
    fz_sink_ctx *c = ctx;
    fz_node *n;
    size_t k;
    int all_ascii = 1;

    check_place(c, s, len);
    FZ_CHECK(model_utf8_ok((const unsigned char *)s, len),
             "string is not valid UTF-8");
    for (k = 0; k < len; k++)
        if ((unsigned char)s[k] >= 0x80)
            all_ascii = 0;
    FZ_CHECK(!ascii == !all_ascii, "ascii flag is wrong");
    FZ_CHECK(is_key == 0 || is_key == 1, "is_key is neither 0 nor 1");
    if ((n = node_new(c, FZ_STRING)) == NULL)
        return NULL;
    n->is_key = is_key;
    n->len = len;
    if ((n->bytes = malloc(len + 1)) == NULL) {
        node_free(c, n);
        return NULL;
    }
    memcpy(n->bytes, s, len);
    return n;
}

static void *s_array(void *ctx)
{
    return node_new(ctx, FZ_ARRAY);
}

static void *s_object(void *ctx)
{
    return node_new(ctx, FZ_OBJECT);
}

static int is_container(const fz_node *n)
{
    return n->type == FZ_ARRAY || n->type == FZ_OBJECT;
}

static void link_child(fz_node *parent, fz_node *child)
{
    child->owned = 1;
    if (parent->last != NULL)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
    parent->count++;
}

static int s_append(void *ctx, void *array, size_t index, void *item)
{
    fz_sink_ctx *c = ctx;
    fz_node *a = live_node(array), *it = live_node(item);

    FZ_CHECK(a->type == FZ_ARRAY, "append to a non-array");
    FZ_CHECK(!a->owned, "append to an array already inside another");
    FZ_CHECK(!it->owned && it != a, "item already owned");
    FZ_CHECK(!it->is_key, "a member name appended as an item");
    FZ_CHECK(index == a->count, "index does not count up from 0");
    FZ_CHECK(!is_container(it) || it->closed,
             "a container appended before its close");
    if (!call_ok(c)) {
        node_free(c, it);   /* taken over even on failure */
        return -1;
    }
    link_child(a, it);
    return 0;
}

static int s_set(void *ctx, void *object, void *key, void *value)
{
    fz_sink_ctx *c = ctx;
    fz_node *o = live_node(object), *k = live_node(key);
    fz_node *v = live_node(value), *m;

    FZ_CHECK(o->type == FZ_OBJECT, "member set on a non-object");
    FZ_CHECK(!o->owned, "member set on an object already inside another");
    FZ_CHECK(k->type == FZ_STRING && k->is_key && !k->owned,
             "member name is not a fresh name string");
    FZ_CHECK(!v->owned && !v->is_key && v != o, "member value owned");
    FZ_CHECK(!is_container(v) || v->closed,
             "a container set as a value before its close");
    if (!call_ok(c)) {
        node_free(c, k);
        node_free(c, v);
        return -1;
    }
    for (m = o->first; m != NULL; m = m->next)
        if (m->key->len == k->len &&
            memcmp(m->key->bytes, k->bytes, k->len) == 0)
            c->duplicate_names = 1;
    k->owned = 1;
    v->key = k;
    link_child(o, v);
    return 0;
}

static int s_end_array(void *ctx, void *array, size_t count)
{
    fz_node *a = live_node(array);

    FZ_CHECK(a->type == FZ_ARRAY, "end_array on a non-array");
    FZ_CHECK(!a->closed, "end_array twice");
    FZ_CHECK(count == a->count, "end_array count differs from appends");
    a->closed = 1;
    return call_ok(ctx) ? 0 : -1;
}

/* Every object_set links its value, repeated names too, so the children
 * are what the count must be. */
static int s_end_object(void *ctx, void *object, size_t count)
{
    fz_node *o = live_node(object);

    FZ_CHECK(o->type == FZ_OBJECT, "end_object on a non-object");
    FZ_CHECK(!o->closed, "end_object twice");
    FZ_CHECK(count == o->count, "end_object count differs from sets");
    o->closed = 1;
    return call_ok(ctx) ? 0 : -1;
}

static void s_discard(void *ctx, void *value)
{
    fz_node *n = live_node(value);

    FZ_CHECK(!n->owned, "discard of a handle a container owns");
    node_free(ctx, n);
}

const ph_json_sink fz_sink = {
    s_null, s_bool, s_number, s_string, s_array,
    s_append, s_object, s_set, s_end_array, s_end_object, s_discard,
};

long fz_sink_count(const void *root)
{
    const fz_node *n = root, *ch;
    long total = 1;

    if (n == NULL)
        return 0;
    if (n->key != NULL)
        total++;
    for (ch = n->first; ch != NULL; ch = ch->next)
        total += fz_sink_count(ch);
    return total;
}

int fz_sink_type(const void *root)
{
    return live_node((void *)root)->type;
}

void fz_sink_free(fz_sink_ctx *c, void *root)
{
    if (root != NULL) {
        fz_node *n = live_node(root);
        FZ_CHECK(!n->owned, "root is inside a container");
        FZ_CHECK(c->live == fz_sink_count(n),
                 "handles alive beside the returned root");
        node_free(c, n);
    }
    FZ_CHECK(c->live == 0, "handles not given back to the sink");
}
