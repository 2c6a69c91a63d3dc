/* Files, directories, hex and error-record checks shared by the suites. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "runner.h"

char *t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, used = 0, n;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - used < 4096 + 1) {
            char *grown;
            cap = cap ? cap * 2 : 65536;
            if ((grown = realloc(buf, cap)) == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        n = fread(buf + used, 1, cap - used - 1, f);
        used += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[used] = '\0';
    if (len != NULL)
        *len = used;
    return buf;
}

cJSON *t_load_json(const char *path)
{
    size_t len = 0;
    char *text = t_read_file(path, &len);
    cJSON *root;

    if (!CHECK(text != NULL, "cannot read %s", path))
        return NULL;
    root = cJSON_ParseWithLength(text, len);
    CHECK(root != NULL, "%s is not JSON cJSON can read", path);
    free(text);
    return root;
}

char *t_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);

    if (p == NULL)
        abort();
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **t_list_dir(const char *dir, const char *suffix, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, sl = strlen(suffix);

    *count = 0;
    if (d == NULL)
        return NULL;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l <= sl ||
            strcmp(e->d_name + l - sl, suffix) != 0)
            continue;
        if (n == cap) {
            char **grown;
            cap = cap ? cap * 2 : 16;
            if ((grown = realloc(names, cap * sizeof *names)) == NULL)
                abort();
            names = grown;
        }
        if ((names[n] = malloc(l + 1)) == NULL)
            abort();
        memcpy(names[n], e->d_name, l + 1);
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, by_name);
    else if (names == NULL && (names = malloc(sizeof *names)) == NULL)
        abort();
    *count = n;
    return names;
}

void t_free_names(char **names, size_t count)
{
    size_t i;

    if (names == NULL)
        return;
    for (i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

unsigned t_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (unsigned)(*state >> 32);
}

unsigned char *t_unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex), i;
    unsigned char *out;

    if (n % 2 != 0)
        return NULL;
    if ((out = malloc(n / 2 + 1)) == NULL)
        abort();
    for (i = 0; i < n; i += 2) {
        int hi = model_hex_digit(hex[i]), lo = model_hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

char *t_tohex(const unsigned char *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = malloc(2 * len + 1);
    size_t i;

    if (out == NULL)
        abort();
    for (i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

int t_json_equal(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;
    int type;

    if (a == NULL || b == NULL)
        return a == b;
    type = a->type & 0xff;
    if (type != (b->type & 0xff))
        return 0;
    switch (type) {
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
        return a->valuestring != NULL && b->valuestring != NULL &&
               strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_Array:
        for (x = a->child, y = b->child; x != NULL && y != NULL;
             x = x->next, y = y->next)
            if (!t_json_equal(x, y))
                return 0;
        return x == NULL && y == NULL;
    case cJSON_Object:
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return 0;
        for (x = a->child; x != NULL; x = x->next) {
            if (x->string == NULL)
                return 0;
            y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (y == NULL || !t_json_equal(x, y))
                return 0;
        }
        return 1;
    default:
        return 1;   /* null, true, false */
    }
}

int t_contains(const void *hay, size_t hay_len, const void *needle,
               size_t needle_len)
{
    const unsigned char *h = hay;
    size_t i;

    if (needle_len == 0)
        return 1;
    for (i = 0; i + needle_len <= hay_len; i++)
        if (memcmp(h + i, needle, needle_len) == 0)
            return 1;
    return 0;
}

void t_error_reset(ph_error *err)
{
    err->status = PH_STATUS_COUNT;
    memset(err->message, 'X', sizeof err->message);
}

void t_check_error(const ph_error *err, ph_status st,
                   const unsigned char *const *secrets,
                   const size_t *secret_lens, size_t nsecrets)
{
    size_t i, mlen;

    CHECK(err->status == st, "ph_error.status is %s, the call returned %s",
          ph_status_name(err->status), ph_status_name(st));
    if (!CHECK(memchr(err->message, '\0', sizeof err->message) != NULL,
               "error message is not NUL-terminated (never written?)"))
        return;
    mlen = strlen(err->message);
    CHECK(mlen > 0, "error message is empty");
    for (i = 0; i < nsecrets; i++)
        if (secret_lens[i] >= 4)
            CHECK(!t_contains(err->message, mlen, secrets[i],
                              secret_lens[i]),
                  "error message \"%s\" contains key %zu", err->message, i);
}
