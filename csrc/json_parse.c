/*
 * Strict JSON (RFC 8259) straight into a caller's sink, in one pass.
 *
 * Why not a cJSON tree: cJSON stores every number as a double and every
 * string NUL-terminated, so 2**64 and "a\u0000b" would come back wrong, and
 * it is lenient where json.loads is not (leading zeros, "1.", raw control
 * characters, unchecked UTF-8).  Scanning the source once and handing each
 * literal to the sink as written keeps every value exact and saves building
 * a tree that would be thrown away.
 *
 * Strings without escapes are handed over in place; escaped ones are
 * unescaped into scratch->text, one after another, so every string of a
 * parse stays valid until the parse ends (the hooks rely on that).  An
 * unescaped string is never longer than its source, so one buffer of the
 * input's length always suffices and is reserved up front.
 */
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
/* Long plain runs 64 bytes at a time with AVX2, where the CPU has it. */
#if defined(__SSE2__) && defined(__x86_64__) && defined(__GNUC__)
#define WIDE_RUNS 1
#include <immintrin.h>
#else
#define WIDE_RUNS 0
#endif

#include "internal.h"

typedef struct parser {
    const unsigned char *start, *p, *end;
    const ph_json_sink *sink; /* NULL: validate only */
    void *ctx;
    const ph_top_hook *hook;
    unsigned char *text; /* unescape area, `text_used` bytes used */
    size_t text_used;
    int depth;
    ph_error *err;
} parser;

/* Handle used when validating without a sink: any non-NULL pointer. */
#define NO_SINK_VALUE ((void *)1)

static ph_status syntax(parser *ps, const char *what)
{
    return ph_fail(ps->err, PH_ERR_DECODE, "invalid JSON at byte %zu: %s",
                   (size_t)(ps->p - ps->start), what);
}

static ph_status sink_failed(parser *ps)
{
    return ph_fail(ps->err, PH_ERR_SINK, "the JSON value could not be built");
}

static void discard(parser *ps, void *v)
{
    if (ps->sink != NULL && v != NULL && ps->sink->discard != NULL)
        ps->sink->discard(ps->ctx, v);
}

/* Called between every two tokens, and compact JSON has no space there:
 * a byte above ' ' is never one, so one compare settles the usual case. */
static inline void skip_space(parser *ps)
{
    while (ps->p < ps->end && *ps->p <= ' ' && ph_is_json_space(*ps->p))
        ps->p++;
}

/* Length of the valid UTF-8 sequence at p (2-4), or 0 if it is not one:
 * overlong forms, surrogates (U+D800..DFFF) and values past U+10FFFF are
 * rejected, as Python's UTF-8 decoder does. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t avail = (size_t)(end - p);

    if (c >= 0xc2 && c <= 0xdf) {
        if (avail >= 2 && (p[1] & 0xc0) == 0x80)
            return 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        unsigned lo = 0x80, hi = 0xbf;
        if (c == 0xe0)
            lo = 0xa0; /* no overlong 3-byte forms */
        else if (c == 0xed)
            hi = 0x9f; /* no UTF-16 surrogates */
        if (avail >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80)
            return 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
        unsigned lo = 0x80, hi = 0xbf;
        if (c == 0xf0)
            lo = 0x90; /* no overlong 4-byte forms */
        else if (c == 0xf4)
            hi = 0x8f; /* nothing past U+10FFFF */
        if (avail >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 &&
            (p[3] & 0xc0) == 0x80)
            return 4;
    }
    return 0;
}

/* The valid UTF-8 sequences from p on (p[0] >= 0x80), up to the first
 * ASCII byte or invalid sequence: 0 if the one at p is not valid.  Text
 * in a script other than Latin is one sequence after another, and going
 * back to plain_run after each (a vector compare that finds the next
 * byte >= 0x80 at once) cost 10 ns a character. */
static size_t utf8_run(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *q = p;
    size_t n;

    while (q < end && *q >= 0x80 && (n = utf8_sequence(q, end)) != 0)
        q += n;
    return (size_t)(q - p);
}

static unsigned char *put_utf8(unsigned char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xc0 | cp >> 6);
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xe0 | cp >> 12);
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (unsigned char)(0xf0 | cp >> 18);
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    return o;
}

const unsigned char ph_json_escape[256] = {
    ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t',
};

/* One backslash escape at ps->p (pointing at the backslash), written to
 * *o.  Surrogate pairs must be complete; a lone half is an error because
 * it cannot be carried as UTF-8 into any of our host languages. */
static ph_status unescape_one(parser *ps, unsigned char **o, int *ascii)
{
    const unsigned char *p = ps->p;
    unsigned cp, lo;

    if (ps->end - p < 2)
        return syntax(ps, "unterminated string");
    if (ph_json_escape[p[1]] != 0) {
        *(*o)++ = ph_json_escape[p[1]];
        ps->p += 2;
        return PH_OK;
    }
    if (p[1] != 'u')
        return syntax(ps, "invalid escape");
    if (ps->end - p < 6 || ph_hex4(p + 2, &cp) < 0)
        return syntax(ps, "invalid \\u escape");
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return syntax(ps, "lone low surrogate");
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (ps->end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
            ph_hex4(p + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
            return syntax(ps, "lone high surrogate");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        ps->p += 6;
    }
    if (cp >= 0x80)
        *ascii = 0;
    *o = put_utf8(*o, cp);
    ps->p += 6;
    return PH_OK;
}

/* The bytes of the word at p that need a look: '"', '\\', a control
 * character or a byte >= 0x80, each marked by its top bit (ph_byte_marks,
 * and the same trick against 0x20 for the controls): the lowest mark is
 * exact; marks above it may be wrong, and nothing reads them. */
static uint64_t special_in_word(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t v = ph_load_le64(p), control = (v - ones * 0x20) & ~v;

    return ph_byte_marks(v, '"') | ph_byte_marks(v, '\\') |
           ((control | v) & high);
}

#if defined(__SSE2__)
/* special_in_word for 16 bytes, as a mask of bit i for byte p[i] (exact
 * here): a signed compare puts bytes >= 0x80 below 0x20 with the control
 * characters.  SSE2 is there on every x86-64. */
static unsigned special_in_16(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                     _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    return (unsigned)_mm_movemask_epi8(hit);
}

#endif

#if WIDE_RUNS
/* The bytes of 32 that need a look, as special_in_16 finds them. */
__attribute__((target("avx2"))) static inline __m256i special_in_32(
    const unsigned char *p)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)p);

    return _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')),
                        _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\'))),
        _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v));
}

/* plain_run's bulk: the plain bytes from p on in whole 64-byte blocks,
 * up to the first block with a byte that needs a look (plain_run's
 * 16-byte steps find it within that block).  Loads lie within [p, end). */
__attribute__((target("avx2"))) static size_t plain_blocks_avx2(
    const unsigned char *p, const unsigned char *end)
{
    const unsigned char *q = p;

    for (; end - q >= 64; q += 64) {
        __m256i hit = _mm256_or_si256(special_in_32(q), special_in_32(q + 32));
        if (!_mm256_testz_si256(hit, hit))
            break;
    }
    return (size_t)(q - p);
}
#endif

/*
 * How many bytes from p on are plain string text, up to `end`: the offset
 * of the first '"', '\\', control character or byte >= 0x80.  Sixteen
 * bytes at a time where there is SSE2 (after the first sixteen, 64 at a
 * time with AVX2 where the CPU has it), eight at a time (and for what is
 * left) otherwise, then one at a time: the envelope of a LeanX or SuperPay
 * body is one long base64url or hex string, and this loop is most of the
 * cost of finding its end.  Every load lies within [p, end).
 */
static size_t plain_run(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *q = p;

#if defined(__SSE2__)
    if (end - q >= 16) {
        unsigned m = special_in_16(q);
        if (m != 0)
            return ph_lowest_bit(m);
        q += 16;
#if WIDE_RUNS
        /* Only runs longer than sixteen bytes pay for the call. */
        if (end - q >= 64 && __builtin_cpu_supports("avx2"))
            q += plain_blocks_avx2(q, end);
#endif
    }
    for (; end - q >= 16; q += 16) {
        unsigned m = special_in_16(q);
        if (m != 0)
            return (size_t)(q - p) + ph_lowest_bit(m);
    }
#endif
    for (; end - q >= 8; q += 8) {
        uint64_t m = special_in_word(q);
        if (m != 0)
            return (size_t)(q - p) + ph_lowest_byte(m);
    }
    while (q < end && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
        q++;
    return (size_t)(q - p);
}

/* scan_string for any string: escapes, UTF-8, longer ones.  The first
 * `plain` bytes after the opening quote are already known to be plain
 * text (scan_string looked at them), so the search starts after them. */
static ph_status scan_string_any(parser *ps, size_t plain, const char **s,
                                 size_t *len, int *ascii)
{
    const unsigned char *begin = ++ps->p, *end = ps->end;
    unsigned char *o, *o_start;
    ph_status st;

    ps->p += plain;
    *ascii = 1;
    /* Fast path: plain text up to the closing quote. */
    for (;;) {
        const unsigned char *p = ps->p + plain_run(ps->p, end);
        ps->p = p;
        if (p >= end)
            return syntax(ps, "unterminated string");
        if (*p == '"') {
            *s = (const char *)begin;
            *len = (size_t)(p - begin);
            ps->p++;
            return PH_OK;
        }
        if (*p == '\\')
            break;
        if (*p < 0x20)
            return syntax(ps, "control character in string");
        {
            size_t n = utf8_run(p, end);
            if (n == 0)
                return syntax(ps, "invalid UTF-8");
            *ascii = 0;
            ps->p += n;
        }
    }
    /* Slow path: copy what was scanned, then unescape the rest. */
    o_start = o = ps->text + ps->text_used;
    memcpy(o, begin, (size_t)(ps->p - begin));
    o += ps->p - begin;
    for (;;) {
        /* Plain text is copied a run at a time, found as above. */
        size_t run = plain_run(ps->p, end);
        unsigned c;
        if (run != 0) {
            memcpy(o, ps->p, run);
            o += run;
            ps->p += run;
        }
        if (ps->p >= end)
            return syntax(ps, "unterminated string");
        c = *ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c == '\\') {
            /* Escapes come in rows (\u escapes for all of a non-Latin
             * text): the next is taken without a plain_run between. */
            do {
                if ((st = unescape_one(ps, &o, ascii)) != PH_OK)
                    return st;
            } while (ps->p < end && *ps->p == '\\');
        } else if (c < 0x20) {
            return syntax(ps, "control character in string");
        } else {
            size_t n = utf8_run(ps->p, end);
            if (n == 0)
                return syntax(ps, "invalid UTF-8");
            *ascii = 0;
            memcpy(o, ps->p, n);
            o += n;
            ps->p += n;
        }
    }
    *s = (const char *)o_start;
    *len = (size_t)(o - o_start);
    ps->text_used += *len;
    return PH_OK;
}

/* A string at ps->p (the opening quote).  On success (*s, *len) is the
 * unescaped UTF-8, in the source when it had no escapes.  Most strings of
 * a payload (member names, ids, states) are plain ASCII that ends within
 * the sixteen bytes after the quote: one compare of those bytes finds the
 * closing quote here, inline, and anything else is scan_string_any's
 * (told when all sixteen were plain, so that it starts after them). */
static inline ph_status scan_string(parser *ps, const char **s, size_t *len,
                                    int *ascii)
{
#if defined(__SSE2__)
    const unsigned char *begin = ps->p + 1;

    if (ps->end - begin >= 16) {
        unsigned m = special_in_16(begin);
        if (m == 0)
            return scan_string_any(ps, 16, s, len, ascii);
        if (begin[ph_lowest_bit(m)] == '"') {
            *ascii = 1;
            *s = (const char *)begin;
            *len = ph_lowest_bit(m);
            ps->p = begin + *len + 1;
            return PH_OK;
        }
    }
#endif
    return scan_string_any(ps, 0, s, len, ascii);
}

/* A number literal at ps->p, checked against the RFC 8259 grammar.  The
 * literal is copied NUL-terminated into the free end of the text area
 * (which always has room: see the file comment) without using it up. */
static ph_status scan_number(parser *ps, ph_number_kind *kind, int64_t *ival,
                             const char **text, size_t *len, int *nonzero)
{
    const unsigned char *begin = ps->p, *p = ps->p, *end = ps->end;
    uint64_t mag = 0;
    int neg = 0, overflow = 0, is_float = 0;
    unsigned char *copy;

    *nonzero = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9')
        return syntax(ps, "invalid number");
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return syntax(ps, "leading zero in number");
    } else {
        /* No leading zero: up to 19 digits fit a uint64, and 20 or more
         * are past int64 either way, so the digits are counted rather
         * than each step checked (mag wraps then, unused). */
        const unsigned char *first = p;
        while (p < end && *p >= '0' && *p <= '9')
            mag = mag * 10 + (unsigned)(*p++ - '0');
        overflow = p - first > 19;
        *nonzero = 1;
    }
    if (p < end && *p == '.') {
        is_float = 1;
        p++;
        if (p >= end || *p < '0' || *p > '9') {
            ps->p = p;
            return syntax(ps, "digit expected after decimal point");
        }
        while (p < end && *p >= '0' && *p <= '9') {
            if (*p != '0')
                *nonzero = 1;
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_float = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9') {
            ps->p = p;
            return syntax(ps, "digit expected in exponent");
        }
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    *len = (size_t)(p - begin);
    /* As CPython's int limit, the sign is not counted; unlike it, the
     * fraction and exponent of a float are. */
    if (*len - (size_t)neg > PH_MAX_NUMBER_CHARS)
        return syntax(ps, "number literal too long");
    if (is_float) {
        *kind = PH_NUMBER_FLOAT;
    } else if (!overflow && !neg && mag <= (uint64_t)INT64_MAX) {
        *kind = PH_NUMBER_INT64;
        *ival = (int64_t)mag;
    } else if (!overflow && neg && mag <= (uint64_t)INT64_MAX + 1) {
        *kind = PH_NUMBER_INT64;
        *ival = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        *kind = PH_NUMBER_BIGINT;
    }
    copy = ps->text + ps->text_used;
    memcpy(copy, begin, *len);
    copy[*len] = '\0';
    *text = (const char *)copy;
    ps->p = p;
    return PH_OK;
}

/* Whether `word` (4 or 5 bytes: true, false, null) is at ps->p, and past
 * it if so.  Its last four bytes are compared as one word, the first
 * byte of "false" before them: a memcmp call for four bytes cost more
 * than the rest of a literal. */
static int literal(parser *ps, const char *word, size_t n)
{
    uint32_t have, want;

    if ((size_t)(ps->end - ps->p) < n || (n == 5 && ps->p[0] != word[0]))
        return 0;
    memcpy(&have, ps->p + n - 4, 4);
    memcpy(&want, word + n - 4, 4);
    if (have != want)
        return 0;
    ps->p += n;
    return 1;
}

/* capture: 0 plain, 1 a top-level member's value the hook asked for,
 * 2 an element of such a value when it is an array. */
static ph_status parse_value(parser *ps, void **out, int capture);

/* A string value at ps->p, handed to the sink; its text for the hook. */
static inline ph_status string_value(parser *ps, void **out, const char **text,
                                     size_t *len)
{
    int ascii;
    ph_status st;

    if ((st = scan_string(ps, text, len, &ascii)) != PH_OK)
        return st;
    if (ps->sink != NULL &&
        (*out = ps->sink->string(ps->ctx, *text, *len, ascii, 0)) == NULL)
        return sink_failed(ps);
    return PH_OK;
}

/* A number value at ps->p, likewise; `nonzero` for the hook's truth. */
static inline ph_status number_value(parser *ps, void **out, const char **text,
                                     size_t *len, int *nonzero)
{
    ph_number_kind kind = PH_NUMBER_FLOAT;
    int64_t ival = 0;
    ph_status st;

    if ((st = scan_number(ps, &kind, &ival, text, len, nonzero)) != PH_OK)
        return st;
    if (ps->sink != NULL &&
        (*out = ps->sink->number(ps->ctx, kind, ival, *text, *len)) == NULL)
        return sink_failed(ps);
    return PH_OK;
}

/* A member's or element's value where no hook looks at it.  Strings and
 * numbers, most of any payload, are read here rather than through
 * parse_value, whose frame (it holds the captured value for the hook and
 * recurses into containers) costs more than scanning a short one. */
static inline ph_status plain_value(parser *ps, void **out)
{
    const char *text = NULL;
    size_t len = 0;
    int nonzero = 0;

    *out = NO_SINK_VALUE;
    if (ps->p < ps->end) {
        unsigned char c = *ps->p;
        if (c == '"')
            return string_value(ps, out, &text, &len);
        if (c == '-' || (c >= '0' && c <= '9'))
            return number_value(ps, out, &text, &len, &nonzero);
    }
    return parse_value(ps, out, 0);
}

/* What a top-level member's value looks like, for the hook. */
typedef struct captured {
    int type;
    const char *text;
    size_t len;
    int truthy;
} captured;

/* After a container's item: 1 after a ',' (another item follows), 0 after
 * the closing `close`, -1 at anything else (left unconsumed). */
static int next_member(parser *ps, unsigned char close)
{
    skip_space(ps);
    if (ps->p < ps->end && (*ps->p == ',' || *ps->p == close))
        return *ps->p++ == ',';
    return -1;
}

static ph_status parse_array(parser *ps, void **out, int capture,
                             captured *cap)
{
    const ph_json_sink *sink = ps->sink;
    void *arr = NO_SINK_VALUE;
    size_t count = 0;
    int more;
    ph_status st;

    if (++ps->depth > PH_MAX_DEPTH)
        return syntax(ps, "nesting too deep");
    ps->p++;
    if (sink != NULL && (arr = sink->new_array(ps->ctx)) == NULL)
        return sink_failed(ps);
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
    } else {
        for (;;) {
            void *item;
            skip_space(ps);
            /* Elements of a captured top-level array go to the hook. */
            st = capture == 1 ? parse_value(ps, &item, 2)
                              : plain_value(ps, &item);
            if (st != PH_OK) {
                discard(ps, arr);
                return st;
            }
            if (sink != NULL &&
                sink->array_append(ps->ctx, arr, count, item) != 0) {
                discard(ps, arr);
                return sink_failed(ps);
            }
            count++;
            if ((more = next_member(ps, ']')) < 0) {
                discard(ps, arr);
                return syntax(ps, "',' or ']' expected");
            }
            if (!more)
                break;
        }
    }
    if (sink != NULL && sink->end_array != NULL &&
        sink->end_array(ps->ctx, arr, count) != 0) {
        discard(ps, arr);
        return sink_failed(ps);
    }
    ps->depth--;
    cap->type = PH_JT_ARRAY;
    cap->truthy = count > 0;
    *out = arr;
    return PH_OK;
}

static ph_status parse_object(parser *ps, void **out, int top, captured *cap)
{
    const ph_json_sink *sink = ps->sink;
    void *obj = NO_SINK_VALUE;
    size_t count = 0;
    int more;
    ph_status st;

    if (++ps->depth > PH_MAX_DEPTH)
        return syntax(ps, "nesting too deep");
    ps->p++;
    if (sink != NULL && (obj = sink->new_object(ps->ctx)) == NULL)
        return sink_failed(ps);
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
    } else {
        for (;;) {
            const char *name;
            size_t name_len;
            int ascii, capture = 0;
            void *key = NO_SINK_VALUE, *value;

            skip_space(ps);
            if (ps->p >= ps->end || *ps->p != '"') {
                discard(ps, obj);
                return syntax(ps, "member name expected");
            }
            if ((st = scan_string(ps, &name, &name_len, &ascii)) != PH_OK) {
                discard(ps, obj);
                return st;
            }
            if (top && ps->hook != NULL)
                capture = ps->hook->on_member(ps->hook->hctx, name, name_len);
            if (sink != NULL && (key = sink->string(ps->ctx, name, name_len,
                                                    ascii, 1)) == NULL) {
                discard(ps, obj);
                return sink_failed(ps);
            }
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                discard(ps, key);
                discard(ps, obj);
                return syntax(ps, "':' expected");
            }
            ps->p++;
            skip_space(ps);
            st = capture ? parse_value(ps, &value, capture)
                         : plain_value(ps, &value);
            if (st != PH_OK) {
                discard(ps, key);
                discard(ps, obj);
                return st;
            }
            if (sink != NULL &&
                sink->object_set(ps->ctx, obj, key, value) != 0) {
                discard(ps, obj);
                return sink_failed(ps);
            }
            count++;
            if ((more = next_member(ps, '}')) < 0) {
                discard(ps, obj);
                return syntax(ps, "',' or '}' expected");
            }
            if (!more)
                break;
        }
    }
    if (sink != NULL && sink->end_object != NULL &&
        sink->end_object(ps->ctx, obj, count) != 0) {
        discard(ps, obj);
        return sink_failed(ps);
    }
    ps->depth--;
    cap->type = PH_JT_OBJECT;
    cap->truthy = count > 0;
    *out = obj;
    return PH_OK;
}

static ph_status parse_value(parser *ps, void **out, int capture)
{
    const ph_json_sink *sink = ps->sink;
    captured cap = { PH_JT_NULL, NULL, 0, 0 };
    void *v = NO_SINK_VALUE;
    ph_status st;

    if (ps->p >= ps->end)
        return syntax(ps, "value expected");
    switch (*ps->p) {
    case '{':
        if ((st = parse_object(ps, &v, 0, &cap)) != PH_OK)
            return st;
        break;
    case '[':
        if ((st = parse_array(ps, &v, capture, &cap)) != PH_OK)
            return st;
        break;
    case '"':
        if ((st = string_value(ps, &v, &cap.text, &cap.len)) != PH_OK)
            return st;
        cap.type = PH_JT_STRING;
        cap.truthy = cap.len > 0;
        break;
    case 't':
        if (!literal(ps, "true", 4))
            return syntax(ps, "invalid literal");
        cap.type = PH_JT_TRUE;
        cap.truthy = 1;
        if (sink != NULL && (v = sink->bool_value(ps->ctx, 1)) == NULL)
            return sink_failed(ps);
        break;
    case 'f':
        if (!literal(ps, "false", 5))
            return syntax(ps, "invalid literal");
        cap.type = PH_JT_FALSE;
        if (sink != NULL && (v = sink->bool_value(ps->ctx, 0)) == NULL)
            return sink_failed(ps);
        break;
    case 'n':
        if (!literal(ps, "null", 4))
            return syntax(ps, "invalid literal");
        if (sink != NULL && (v = sink->null_value(ps->ctx)) == NULL)
            return sink_failed(ps);
        break;
    default:
        if ((st = number_value(ps, &v, &cap.text, &cap.len, &cap.truthy)) !=
            PH_OK)
            return st;
        cap.type = PH_JT_NUMBER;
        break;
    }
    if (capture == 1)
        ps->hook->on_value(ps->hook->hctx, cap.type, cap.text, cap.len,
                           cap.truthy);
    else if (capture == 2 && ps->hook->on_element != NULL)
        ps->hook->on_element(ps->hook->hctx, cap.type, cap.text, cap.len);
    *out = v;
    return PH_OK;
}

static ph_status parse_document(const char *json, size_t len,
                                const ph_json_sink *sink, void *ctx,
                                const ph_top_hook *hook, ph_scratch *s,
                                void **root, ph_error *err)
{
    parser ps;
    void *v = NULL;
    ph_status st;

    *root = NULL;
    ps.start = ps.p = (const unsigned char *)json;
    ps.end = ps.start + len;
    ps.sink = sink;
    ps.ctx = ctx;
    ps.hook = hook;
    ps.text_used = 0;
    ps.depth = 0;
    ps.err = err;
    /* len + 1: a number literal at the very end also needs its NUL. */
    if ((ps.text = ph_scratch_text(s, len + 1, err)) == NULL)
        return PH_ERR_MEMORY;
    skip_space(&ps);
    if (hook != NULL) {
        captured cap;
        if (ps.p >= ps.end || *ps.p != '{')
            return syntax(&ps, "object expected");
        st = parse_object(&ps, &v, 1, &cap);
    } else {
        st = parse_value(&ps, &v, 0);
    }
    if (st != PH_OK)
        return st;
    skip_space(&ps);
    if (ps.p != ps.end) {
        discard(&ps, v);
        return syntax(&ps, "extra data after the value");
    }
    *root = sink != NULL ? v : NULL;
    return PH_OK;
}

ph_status ph_json_parse(const char *json, size_t len, const ph_json_sink *sink,
                        void *ctx, ph_scratch *s, void **root, ph_error *err)
{
    return parse_document(json, len, sink, ctx, NULL, s, root, err);
}

ph_status ph_json_parse_hooked(const char *json, size_t len,
                               const ph_json_sink *sink, void *ctx,
                               const ph_top_hook *hook, ph_scratch *s,
                               void **root, ph_error *err)
{
    return parse_document(json, len, sink, ctx, hook, s, root, err);
}
