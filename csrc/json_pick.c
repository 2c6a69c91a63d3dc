/* One value out of JSON text that the parser has already accepted: the
 * event id's fields and the merchant's expected fields.  Because the text
 * is known to be valid, this only skips and compares; it still never reads
 * past `len`, whatever it is given. */
#include <string.h>

#include "gateway.h"

typedef struct cursor {
    const unsigned char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && ph_is_json_space(*c->p))
        c->p++;
}

static unsigned hex_digit(unsigned char h)
{
    if (h >= '0' && h <= '9')
        return h - '0';
    if (h >= 'a' && h <= 'f')
        return h - 'a' + 10;
    if (h >= 'A' && h <= 'F')
        return h - 'A' + 10;
    return 0;
}

static unsigned hex4(const unsigned char *p)
{
    return hex_digit(p[0]) << 12 | hex_digit(p[1]) << 8 |
           hex_digit(p[2]) << 4 | hex_digit(p[3]);
}

/* Append one byte to the output, counting past `cap` without writing. */
static void put(unsigned char *buf, size_t cap, size_t *n, unsigned char b)
{
    if (*n < cap)
        buf[*n] = b;
    (*n)++;
}

static void put_utf8(unsigned char *buf, size_t cap, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        put(buf, cap, n, (unsigned char)cp);
    } else if (cp < 0x800) {
        put(buf, cap, n, (unsigned char)(0xc0 | cp >> 6));
        put(buf, cap, n, (unsigned char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        put(buf, cap, n, (unsigned char)(0xe0 | cp >> 12));
        put(buf, cap, n, (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
        put(buf, cap, n, (unsigned char)(0x80 | (cp & 0x3f)));
    } else {
        put(buf, cap, n, (unsigned char)(0xf0 | cp >> 18));
        put(buf, cap, n, (unsigned char)(0x80 | (cp >> 12 & 0x3f)));
        put(buf, cap, n, (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
        put(buf, cap, n, (unsigned char)(0x80 | (cp & 0x3f)));
    }
}

/* A string at c->p (the opening quote): decoded into buf when buf is not
 * NULL, its decoded length in *n; the cursor ends after the closing quote.
 * 0 if the text ends first. */
static int read_string(cursor *c, unsigned char *buf, size_t cap, size_t *n)
{
    *n = 0;
    c->p++;
    while (c->p < c->end && *c->p != '"') {
        unsigned char b = *c->p;
        if (b != '\\') {
            if (buf != NULL)
                put(buf, cap, n, b);
            c->p++;
            continue;
        }
        if (c->end - c->p < 2)
            return 0;
        b = c->p[1];
        c->p += 2;
        if (b == 'u') {
            unsigned cp;
            if (c->end - c->p < 4)
                return 0;
            cp = hex4(c->p);
            c->p += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && c->end - c->p >= 6 &&
                c->p[0] == '\\' && c->p[1] == 'u') {
                unsigned lo = hex4(c->p + 2);
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                c->p += 6;
            }
            if (buf != NULL)
                put_utf8(buf, cap, n, cp);
            continue;
        }
        if (buf != NULL) {
            static const char from[] = "\"\\/bfnrt";
            static const char to[] = "\"\\/\b\f\n\r\t";
            const char *at = memchr(from, b, sizeof from - 1);
            put(buf, cap, n, at != NULL ? (unsigned char)to[at - from] : b);
        }
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    return 1;
}

/* Skip one value of any kind; 0 if the text ends first. */
static int skip_value(cursor *c)
{
    size_t depth = 0, n;

    do {
        skip_space(c);
        if (c->p >= c->end)
            return 0;
        switch (*c->p) {
        case '"':
            if (!read_string(c, NULL, 0, &n))
                return 0;
            break;
        case '{':
        case '[':
            depth++;
            c->p++;
            break;
        case '}':
        case ']':
            if (depth == 0)
                return 0;
            depth--;
            c->p++;
            break;
        case ',':
        case ':':
            c->p++;
            break;
        default: /* a number or a literal */
            while (c->p < c->end && !ph_is_json_space(*c->p) &&
                   memchr(",:]}", *c->p, 4) == NULL)
                c->p++;
        }
    } while (depth > 0);
    return 1;
}

static int value_type(unsigned char b)
{
    switch (b) {
    case '"':
        return PH_JT_STRING;
    case '{':
        return PH_JT_OBJECT;
    case '[':
        return PH_JT_ARRAY;
    case 't':
        return PH_JT_TRUE;
    case 'f':
        return PH_JT_FALSE;
    case 'n':
        return PH_JT_NULL;
    default:
        return PH_JT_NUMBER;
    }
}

/* Within the object at c->p, move to the value of the last member called
 * name[0..len); 0 if there is none. */
static int find_member(cursor *c, const char *name, size_t len)
{
    unsigned char key[PH_EVENT_ID_MAX];
    const unsigned char *found = NULL;
    size_t n;

    skip_space(c);
    if (c->p >= c->end || *c->p != '{')
        return 0;
    c->p++;
    for (;;) {
        skip_space(c);
        if (c->p >= c->end || *c->p == '}')
            break;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p != '"' || !read_string(c, key, sizeof key, &n))
            return 0;
        skip_space(c);
        if (c->p >= c->end || *c->p != ':')
            return 0;
        c->p++;
        skip_space(c);
        if (n == len && n <= sizeof key && memcmp(key, name, len) == 0)
            found = c->p; /* the last one wins, as in the parser */
        if (!skip_value(c))
            return 0;
    }
    if (found == NULL)
        return 0;
    c->p = found;
    return 1;
}

int ph_json_pick(const char *json, size_t len, const char *path,
                 size_t path_len, int *type, char *buf, size_t cap,
                 size_t *out_len)
{
    cursor c = { (const unsigned char *)json,
                 (const unsigned char *)json + len };
    const char *seg = path, *end = path + path_len;

    *out_len = 0;
    while (seg <= end) {
        const char *dot = memchr(seg, '.', (size_t)(end - seg));
        const char *seg_end = dot != NULL ? dot : end;
        if (!find_member(&c, seg, (size_t)(seg_end - seg)))
            return 0;
        if (dot == NULL)
            break;
        seg = dot + 1;
    }
    skip_space(&c);
    if (c.p >= c.end)
        return 0;
    *type = value_type(*c.p);
    if (*type == PH_JT_STRING) {
        size_t n;
        if (!read_string(&c, (unsigned char *)buf, cap, &n))
            return 0;
        *out_len = n > cap ? cap + 1 : n;
    } else if (*type == PH_JT_NUMBER) {
        const unsigned char *start = c.p;
        size_t n;
        while (c.p < c.end && !ph_is_json_space(*c.p) &&
               memchr(",:]}", *c.p, 4) == NULL)
            c.p++;
        n = (size_t)(c.p - start);
        if (n <= cap)
            memcpy(buf, start, n);
        *out_len = n > cap ? cap + 1 : n;
    }
    return 1;
}
