/* One value out of JSON text that the parser has already accepted: the
 * event id's fields and the merchant's expected fields.  Because the text
 * is known to be valid, this only skips and compares; it still never reads
 * past `len`, whatever it is given (on text that is not JSON it returns
 * some answer or none, never reads out of bounds).
 *
 * Speed matters because `verify` picks every event-id field after the
 * parse, and a "last one wins" lookup reads the whole object each time:
 * strings are skipped with memchr to their closing quote, and a member
 * name without a backslash is compared in place, not decoded. */
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

/* The four hex digits at p; on text that is not JSON, a character that is
 * not a digit counts 0 (ph_hex_value's 0x100 masked off). */
static unsigned hex4(const unsigned char *p)
{
    return (ph_hex_value[p[0]] & 0xf) << 12 | (ph_hex_value[p[1]] & 0xf) << 8 |
           (ph_hex_value[p[2]] & 0xf) << 4 | (ph_hex_value[p[3]] & 0xf);
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

/* The closing quote of the string whose first content byte is at p: the
 * first '"' not escaped, i.e. not preceded by an odd run of backslashes.
 * NULL if the text ends first. */
static const unsigned char *string_end(const unsigned char *p,
                                       const unsigned char *end)
{
    const unsigned char *start = p, *q;

    while ((q = memchr(p, '"', (size_t)(end - p))) != NULL) {
        const unsigned char *b = q;
        while (b > start && b[-1] == '\\')
            b--;
        if (((size_t)(q - b) & 1) == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}

/* Skip the string at c->p (the opening quote); 0 if the text ends first. */
static int skip_string(cursor *c)
{
    const unsigned char *q = string_end(c->p + 1, c->end);

    if (q == NULL)
        return 0;
    c->p = q + 1;
    return 1;
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
        /* A letter no escape has (text that is not JSON): itself. */
        if (buf != NULL)
            put(buf, cap, n, ph_json_escape[b] != 0 ? ph_json_escape[b] : b);
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    return 1;
}

/* The end of a number or a literal starting at p: the first space,
 * separator or closing bracket. */
static const unsigned char *literal_end(const unsigned char *p,
                                        const unsigned char *end)
{
    for (; p < end; p++) {
        switch (*p) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
        case ',':
        case ':':
        case ']':
        case '}':
            return p;
        default:
            break;
        }
    }
    return p;
}

/* Skip one value of any kind; 0 if the text ends first. */
static int skip_value(cursor *c)
{
    size_t depth = 0;

    do {
        skip_space(c);
        if (c->p >= c->end)
            return 0;
        switch (*c->p) {
        case '"':
            if (!skip_string(c))
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
            c->p = literal_end(c->p, c->end);
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

/* The member name at c->p (the opening quote), for comparing: in place
 * when it has no escape, else decoded into key[] (a name longer than the
 * buffer compares unequal to every path segment, which are shorter).  The
 * cursor ends after the closing quote; 0 if the text ends first. */
static int read_name(cursor *c, unsigned char *key, size_t cap,
                     const unsigned char **name, size_t *n)
{
    const unsigned char *raw = c->p + 1, *q = string_end(raw, c->end);

    if (q == NULL)
        return 0;
    *n = (size_t)(q - raw);
    if (memchr(raw, '\\', *n) == NULL) {
        *name = raw;
        c->p = q + 1;
        return 1;
    }
    if (!read_string(c, key, cap, n))
        return 0;
    if (*n > cap)
        *n = cap + 1; /* longer than any segment */
    *name = key;
    return 1;
}

/* The segment of spot i's path that starts at off[i]: its length. */
static size_t segment_len(const ph_json_spot *s, const size_t *off)
{
    const char *seg = s->path + *off;
    const char *dot = memchr(seg, '.', s->path_len - *off);

    return dot != NULL ? (size_t)(dot - seg) : s->path_len - *off;
}

/*
 * The object at c->p, for the spots in `active` (a bit per spot) whose
 * paths have matched up to off[i]: a member whose name is a spot's next
 * segment either ends that path (the spot records where the value starts;
 * a later member of the same name overwrites it: the last one wins, as in
 * the parser) or continues it into the value, which is walked in turn if
 * it is an object.  A member that continues a path first clears what an
 * earlier member of that name found, so that inside a repeated name too
 * only the last one counts.  Every other value is skipped.  The walk
 * descends only along the paths' segments and the text's objects, so its
 * depth is bounded by both (the parser allows PH_MAX_DEPTH levels).  0 if
 * the text ends first.
 */
typedef struct walk {
    ph_json_spot *spots;
    size_t off[PH_JSON_SPOTS_MAX]; /* where each path's next segment starts */
    /* A name with escapes, decoded; shared by every level, as a name is
     * compared before the walk goes down. */
    unsigned char key[PH_EVENT_ID_MAX];
} walk;

static int walk_object(cursor *c, walk *w, unsigned active)
{
    ph_json_spot *spots = w->spots;
    size_t *off = w->off;

    skip_space(c);
    if (c->p >= c->end || *c->p != '{')
        return 0;
    c->p++;
    for (;;) {
        const unsigned char *name;
        unsigned into = 0, bits;
        size_t n, i;

        skip_space(c);
        if (c->p >= c->end)
            return 0;
        if (*c->p == '}') {
            c->p++;
            return 1;
        }
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p != '"' || !read_name(c, w->key, sizeof w->key, &name, &n))
            return 0;
        skip_space(c);
        if (c->p >= c->end || *c->p != ':')
            return 0;
        c->p++;
        skip_space(c);
        for (bits = active, i = 0; bits != 0; bits >>= 1, i++) {
            size_t seg;
            if (!(bits & 1))
                continue;
            seg = segment_len(&spots[i], &off[i]);
            if (seg != n || memcmp(spots[i].path + off[i], name, n) != 0)
                continue;
            spots[i].at = NULL;
            if (off[i] + seg == spots[i].path_len)
                spots[i].at = c->p;
            else
                into |= 1u << i;
        }
        if (into != 0 && c->p < c->end && *c->p == '{') {
            size_t saved[PH_JSON_SPOTS_MAX];
            for (i = 0; i < PH_JSON_SPOTS_MAX; i++) {
                saved[i] = off[i];
                if (into >> i & 1)
                    off[i] += segment_len(&spots[i], &off[i]) + 1;
            }
            if (!walk_object(c, w, into))
                return 0;
            memcpy(off, saved, sizeof saved);
        } else if (!skip_value(c)) {
            return 0;
        }
    }
}

int ph_json_locate(const char *json, size_t len, ph_json_spot *spots, size_t n)
{
    cursor c = { (const unsigned char *)json,
                 (const unsigned char *)json + len };
    walk w;
    size_t i;
    unsigned active = 0;

    if (n > PH_JSON_SPOTS_MAX)
        return 0;
    w.spots = spots;
    memset(w.off, 0, sizeof w.off);
    /* An empty segment names the member called "" (a legal name). */
    for (i = 0; i < n; i++) {
        spots[i].at = NULL;
        active |= 1u << i;
    }
    return walk_object(&c, &w, active);
}

int ph_json_read_at(const char *json, size_t len, const unsigned char *at,
                    int *type, char *buf, size_t cap, size_t *out_len)
{
    cursor c = { at, (const unsigned char *)json + len };

    *out_len = 0;
    if (at == NULL || at < (const unsigned char *)json || at >= c.end)
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
        c.p = literal_end(c.p, c.end);
        n = (size_t)(c.p - start);
        if (n <= cap)
            memcpy(buf, start, n);
        *out_len = n > cap ? cap + 1 : n;
    }
    return 1;
}

int ph_json_pick(const char *json, size_t len, const char *path,
                 size_t path_len, int *type, char *buf, size_t cap,
                 size_t *out_len)
{
    ph_json_spot spot = { path, path_len, NULL };

    *out_len = 0;
    if (!ph_json_locate(json, len, &spot, 1) || spot.at == NULL)
        return 0;
    return ph_json_read_at(json, len, spot.at, type, buf, cap, out_len);
}
