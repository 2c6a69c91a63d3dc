/*
 * A validate-only JSON check whose time depends on the length alone.
 *
 * Why: SuperPay's plaintext is not authenticated, so whether it "looks
 * right" is all that keeps forged ciphertext out, and any difference in how
 * long a failure takes is an oracle (Vaudenay's padding oracle, or a format
 * oracle on the JSON).  The strict parser in json_parse.c stops at the first
 * error and skips through strings eight bytes at a time, so its time tells
 * where the text stopped being JSON.
 *
 * The check has two parts, which together accept exactly what
 * ph_json_parse_hooked accepts with a top-level object (tests/c and fuzz/
 * compare them):
 *
 * 1. ph_json_ct_scan reads every byte through the same table lookups, with
 *    no branch on the data and no early exit, and returns one bit at the
 *    end.  The automaton generated into json_ct_table.h covers tokens,
 *    strings (escapes, surrogate pairs, UTF-8), numbers, literals and which
 *    token may follow which; a counter bounds number literals.  Each byte's
 *    event (open, close, and the rules that need to know the enclosing
 *    container) is written to `events[i]`, at the byte's own position, so
 *    that the memory traffic is the same whatever the text.
 * 2. ph_json_ct_nesting then checks the events against a stack: matching
 *    bracket types, ':' only in objects, keyless items only in arrays, the
 *    depth limit, nothing after the top-level object.  It runs only on text
 *    that passed part 1, i.e. text that is well-formed JSON token by token:
 *    garbage from a wrong key or a forged block does not get there (a
 *    random 16-byte block passes part 1 far less often than once in 2^40
 *    tries), so its time, which does depend on the text, tells an attacker
 *    nothing about padding or format.
 *
 * Cache lines: the tables (about 9 KB) are read in full before the scan, so
 * which lines the text happens to use does not show in the time either.
 */
#include <string.h>

#include "internal.h"
#include "json_ct_table.h"

#if JCT_ESCAPE != PH_JSON_MARK_ESCAPE ||                                      \
    JCT_STRING_END != PH_JSON_MARK_STRING_END
#error "json_ct_table.h and internal.h disagree on the string marks"
#endif

/* Read every cache line of a table; the sum only keeps the loads. */
static unsigned touch(const void *table, size_t size)
{
    const volatile unsigned char *p = table;
    unsigned sum = 0;
    size_t i;

    for (i = 0; i < size; i += 64)
        sum += p[i];
    return sum + p[size - 1];
}

int ph_json_ct_scan(const unsigned char *text, size_t len,
                    unsigned char *events)
{
    unsigned s = JCT_START;
    uint64_t bad, digits = 0;
    size_t i;

    /* Starts at 0 whatever the tables hold: (x & 0) keeps the loads. */
    bad = (uint64_t)(touch(jct_class, sizeof jct_class) +
                     touch(jct_next, sizeof jct_next) +
                     touch(jct_event, sizeof jct_event)) &
          0;
    for (i = 0; i < len; i++) {
        /* The class picks the column first, off the chain of states, so
         * that each byte costs one dependent load. */
        unsigned c = jct_class[text[i]];
        const uint16_t *column = jct_next + c;
        unsigned ev = jct_event[s + c];

        s = column[s];
        events[i] = (unsigned char)ev;
        /* Characters of a number past its sign, as json_parse.c counts. */
        digits = (digits + 1) & (0 - (uint64_t)(ev >> 2 & 1));
        bad |= digits + (8191 - PH_MAX_NUMBER_CHARS);
    }
    /* Bit 13 of `bad` is set if some number had more than the limit. */
    return ((bad >> 13 & 1) | (uint64_t)(s != JCT_ACCEPT)) == 0;
}

int ph_json_ct_nesting(const unsigned char *events, size_t len)
{
    /* The bits the nesting walk does not use, in every byte of a word. */
    const uint64_t unused = UINT64_C(0x0101010101010101) *
                            (JCT_NUMBER | JCT_ESCAPE | JCT_STRING_END);
    /* Depth change of each stack step: none, push, push, pop. */
    static const signed char step[4] = { 0, 1, 1, -1 };
    /* The context of each open level: 1 object, 0 array; level 0 is
     * "nothing open" (2), before the top-level object and after it. */
    unsigned char open[PH_MAX_DEPTH + 2];
    size_t depth = 0, i = 0;

    open[0] = 2;
    /* Eight events at a time; only the bytes that hold one are looked at,
     * in order (the word's lowest byte is the first event).  The automaton
     * lets nothing but ',' and a close follow the top-level object, and
     * both break a rule at level 0, so no other check is needed there. */
    while (i < len) {
        uint64_t w;
        if (len - i >= 8) {
            w = ph_load_le64(events + i);
            i += 8;
        } else {
            w = events[i++];
        }
        w &= ~unused;
        while (w != 0) {
            unsigned shift = 8 * ph_lowest_byte(w);
            unsigned ev = (unsigned)(w >> shift) & 0xff;
            if (ev >> (JCT_BAD_SHIFT + open[depth]) & 1)
                return 0;
            /* Written on every step: above the top it is overwritten by
             * the next push before anything reads it. */
            open[depth + 1] = (ev & JCT_STACK) == JCT_PUSH_OBJ;
            depth += (size_t)(ptrdiff_t)step[ev & JCT_STACK];
            if (depth > PH_MAX_DEPTH)
                return 0;
            w &= ~(UINT64_C(0xff) << shift);
        }
    }
    return depth == 0;
}

int ph_json_ct_valid(const unsigned char *text, size_t len,
                     unsigned char *events)
{
    return ph_json_ct_scan(text, len, events) &&
           ph_json_ct_nesting(events, len);
}
