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

/* The last of duplicate names wins, in the place of the first, as
 * json.loads does. */
static int cj_set(void *ctx, void *object, void *key, void *value)
{
    cJSON *k = key;
    int ok;

    (void)ctx;
    if (cJSON_GetObjectItemCaseSensitive(object, k->valuestring) != NULL)
        ok = cJSON_ReplaceItemInObjectCaseSensitive(object, k->valuestring,
                                                    value);
    else
        ok = cJSON_AddItemToObject(object, k->valuestring, value);
    cJSON_Delete(k);
    if (!ok) {
        cJSON_Delete(value);
        return -1;
    }
    return 0;
}

static void cj_discard(void *ctx, void *value)
{
    (void)ctx;
    cJSON_Delete(value);
}

/* No end_array or end_object: cJSON links each item in as it comes, so a
 * container is complete when its last item is in. */
const ph_json_sink ph_cjson_sink = {
    cj_null,   cj_bool, cj_number, cj_string, cj_array,   cj_append,
    cj_object, cj_set,  NULL,      NULL,      cj_discard,
};
