/* A sink that builds a cJSON tree: the value type of the C API.  Where
 * cJSON cannot hold a value exactly (a string with an embedded NUL, an
 * integer beyond 2^53) the sink fails rather than return it changed. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"

#define EXACT_DOUBLE_INT ((int64_t)1 << 53)

static void *cj_null(void *ctx)
{
    (void)ctx;
    return cJSON_CreateNull();
}

static void *cj_bool(void *ctx, int value)
{
    (void)ctx;
    return cJSON_CreateBool(value);
}

static void *cj_number(void *ctx, ph_number_kind kind, int64_t i,
                       const char *text, size_t len)
{
    double d;

    (void)ctx;
    if (kind == PH_NUMBER_BIGINT)
        return NULL;
    if (kind == PH_NUMBER_INT64) {
        if (i > EXACT_DOUBLE_INT || i < -EXACT_DOUBLE_INT)
            return NULL;
        return cJSON_CreateNumber((double)i);
    }
    d = ph_number_to_double(text, len);
    return d == d ? cJSON_CreateNumber(d) : NULL; /* NaN: out of memory */
}

static void *cj_string(void *ctx, const char *s, size_t len, int ascii,
                       int is_key)
{
    char *copy;
    cJSON *item;

    (void)ctx;
    (void)ascii;
    (void)is_key;
    if (memchr(s, '\0', len) != NULL)
        return NULL;
    if ((copy = malloc(len + 1)) == NULL)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    item = cJSON_CreateString(copy);
    free(copy);
    return item;
}

static void *cj_array(void *ctx)
{
    (void)ctx;
    return cJSON_CreateArray();
}

static int cj_append(void *ctx, void *array, size_t index, void *item)
{
    (void)ctx;
    (void)index;
    if (!cJSON_AddItemToArray(array, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}

static void *cj_object(void *ctx)
{
    (void)ctx;
    return cJSON_CreateObject();
}

/* Each member is linked in as it comes; a repeated name is dealt with
 * when its object closes (cj_end_object).  Looking each name up among
 * those before it, as this did, made an object of n members cost n*n/2
 * compares: 40,000 members (669 KB, under the default 1 MiB) took 3.7 s. */
static int cj_set(void *ctx, void *object, void *key, void *value)
{
    cJSON *k = key;
    int ok;

    (void)ctx;
    ok = cJSON_AddItemToObject(object, k->valuestring, value);
    cJSON_Delete(k);
    if (!ok) {
        cJSON_Delete(value);
        return -1;
    }
    return 0;
}

/* A member and its place in its object. */
typedef struct member {
    cJSON *item;
    size_t place;
} member;

static int by_name_then_place(const void *a, const void *b)
{
    const member *x = a, *y = b;
    int c = strcmp(x->item->string, y->item->string);

    if (c != 0)
        return c;
    return (x->place > y->place) - (x->place < y->place);
}

/* Objects of up to this many members are sorted on the stack. */
#define SMALL_OBJECT 16

/* The last of duplicate names wins, in the place of the first, as
 * json.loads does.  The members are sorted by name, then place, so the
 * names that repeat are side by side, in O(n log n) with no hash for a
 * payload to flood; for each, the last value replaces the first and the
 * ones between are dropped. */
static int cj_end_object(void *ctx, void *object, size_t count)
{
    member small[SMALL_OBJECT], *m = small;
    cJSON *o = object, *item;
    size_t n = 0, i, j, k;

    (void)ctx;
    if (count < 2)
        return 0;
    if (count > SMALL_OBJECT && (m = malloc(count * sizeof *m)) == NULL)
        return -1;
    /* One member a set: count is the length of the list. */
    for (item = o->child; item != NULL && n < count; item = item->next) {
        m[n].item = item;
        m[n].place = n;
        n++;
    }
    qsort(m, n, sizeof *m, by_name_then_place);
    for (i = 0; i < n; i = j) {
        for (j = i + 1;
             j < n && strcmp(m[i].item->string, m[j].item->string) == 0; j++)
            ;
        if (j - i < 2)
            continue;
        for (k = i + 1; k + 1 < j; k++)
            cJSON_Delete(cJSON_DetachItemViaPointer(o, m[k].item));
        cJSON_ReplaceItemViaPointer(
            o, m[i].item, cJSON_DetachItemViaPointer(o, m[j - 1].item));
    }
    if (m != small)
        free(m);
    return 0;
}

static void cj_discard(void *ctx, void *value)
{
    (void)ctx;
    cJSON_Delete(value);
}

/* No end_array: cJSON links each item in as it comes, so an array is
 * complete when its last item is in. */
const ph_json_sink ph_cjson_sink = {
    cj_null,   cj_bool, cj_number, cj_string,     cj_array,   cj_append,
    cj_object, cj_set,  NULL,      cj_end_object, cj_discard,
};
