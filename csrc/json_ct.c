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
 * Cache lines: the tables (about 6.5 KB) are read in full before the scan, so
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

/* Count characters of a number past its sign, as json_parse.c does: the
 * count goes back to 0 on any other byte, and bit 13 of `bad` is set
 * from the byte that takes it past the limit on. */
#define NUMBER_BIAS (8191 - PH_MAX_NUMBER_CHARS)

/*
 * The loop over the bytes, in C.  Each byte's class picks a column of
 * jct_step from the byte alone, off the chain of states, and the state is
 * the row within it, so that each byte costs the latency of one load...
 * if the compiler leaves the load as "column plus state".  gcc does not:
 * it rewrites `jct_step[0] + offset + s` as `jct_step[0] + (offset + s)`,
 * which puts an add on the chain (six cycles a byte where four do), and
 * so on x86-64 the loop is written out below.
 */
static void c_loop(const unsigned char *text, size_t len,
                   unsigned char *events, size_t *state, uint64_t *bad_bits)
{
    size_t s = *state, i;
    uint64_t bad = *bad_bits, digits = 0;

    for (i = 0; i < len; i++) {
        size_t offset = jct_column[text[i]];
        unsigned ev = jct_step[1][offset + s];

        s = jct_step[0][offset + s];
        events[i] = (unsigned char)ev;
        digits = (digits + 1) & (0 - (uint64_t)(ev >> 2 & 1));
        bad |= digits + NUMBER_BIAS;
    }
    *state = s;
    *bad_bits = bad;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(PH_JSON_CT_PORTABLE)
#define HAVE_ASM_LOOP 1
#if JCT_NUMBER != 4u
#error "asm_loop tests bit 2 for JCT_NUMBER"
#endif
/*
 * c_loop in x86-64 assembly: the chain of states is the one `movzbl
 * (column, s)` a byte, and the rest is fewer instructions than gcc makes
 * of the C (bt/sbb for the number mask, one counter that runs up to 0),
 * which matters when a hyperthread shares the core.  Like the C, it has
 * no branch but the loop's own and writes events[i] at every i.  len > 0.
 */
static void asm_loop(const unsigned char *text, size_t len,
                     unsigned char *events, size_t *state, uint64_t *bad_bits)
{
    const unsigned char *text_end = text + len;
    unsigned char *events_end = events + len;
    intptr_t i = -(intptr_t)len;
    uint64_t s = *state, bad = *bad_bits, digits = 0, column, ev, t;

    __asm__("1:\n\t"
            "movzbl (%[text_end],%[i]), %k[column]\n\t"
            "movzwl (%[columns],%[column],2), %k[column]\n\t"
            "add %[step], %[column]\n\t"
            "movzbl %c[cells](%[column],%[s]), %k[ev]\n\t"
            "movzbl (%[column],%[s]), %k[s]\n\t"
            "movb %b[ev], (%[events_end],%[i])\n\t"
            "add $1, %[digits]\n\t"
            "bt $2, %k[ev]\n\t"
            "sbb %[t], %[t]\n\t"
            "and %[t], %[digits]\n\t"
            "lea %c[bias](%[digits]), %[t]\n\t"
            "or %[t], %[bad]\n\t"
            "add $1, %[i]\n\t"
            "jnz 1b"
            : [s] "+r"(s), [bad] "+r"(bad), [digits] "+r"(digits), [i] "+r"(i),
              [column] "=&r"(column), [ev] "=&r"(ev), [t] "=&r"(t)
            : [text_end] "r"(text_end), [events_end] "r"(events_end),
              [columns] "r"(jct_column), [step] "r"(jct_step),
              [cells] "i"(JCT_CELLS), [bias] "i"(NUMBER_BIAS)
            : "cc", "memory");
    *state = (size_t)s;
    *bad_bits = bad;
}
#else
#define HAVE_ASM_LOOP 0
#endif

/* The scan, with the written-out loop (`use_asm`, a constant at each call)
 * or the C one; the two give the same results (tests/c compares them). */
static int scan(const unsigned char *text, size_t len, unsigned char *events,
                int use_asm)
{
    size_t s = JCT_START;
    /* Starts at 0 whatever the tables hold: (x & 0) keeps the loads. */
    uint64_t bad = (uint64_t)(touch(jct_column, sizeof jct_column) +
                              touch(jct_step, sizeof jct_step)) &
                   0;

#if HAVE_ASM_LOOP
    if (use_asm && len > 0)
        asm_loop(text, len, events, &s, &bad);
    else
#endif
        c_loop(text, len, events, &s, &bad);
    (void)use_asm;
    /* Bit 13 of `bad` is set if some number had more than the limit. */
    return ((bad >> 13 & 1) | (uint64_t)(s != JCT_ACCEPT)) == 0;
}

int ph_json_ct_scan(const unsigned char *text, size_t len,
                    unsigned char *events)
{
    return scan(text, len, events, HAVE_ASM_LOOP);
}

int ph_json_ct_scan_portable(const unsigned char *text, size_t len,
                             unsigned char *events)
{
    return scan(text, len, events, 0);
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
