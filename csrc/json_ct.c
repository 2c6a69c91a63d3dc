/*
 * A JSON check whose time depends on the length alone.
 *
 * Why: SuperPay's plaintext is not authenticated, so whether it "looks
 * right" is all that keeps forged ciphertext out, and any difference in how
 * long a failure takes is an oracle (Vaudenay's padding oracle, or a format
 * oracle on the JSON).  The strict parser in json_parse.c stops at the first
 * error and skips through strings sixteen bytes at a time, so its time tells
 * where the text stopped being JSON.
 *
 * The check is an automaton (generated into json_ct_table.h) that every
 * byte goes through by the same table lookups, with no branch on the data
 * and no early exit; one bit comes out at the end.  It covers everything of
 * the parser's grammar that needs no memory: tokens, strings (escapes,
 * surrogate pairs, UTF-8), numbers, literals and which token may follow
 * which.  What needs memory (bracket types, the depth limit, ':' only in an
 * object, nothing after the top-level object, the length of a number) is
 * checked by the strict parse that follows, and every failure there is the
 * same error (superpay.c).  That parse's time depends on the text, but only
 * text that passed the automaton gets to it: the text of a forged or
 * tampered ciphertext holds at least one block of 16 bytes nobody can
 * predict (CBC decrypts a changed block to garbage), which passes the
 * automaton about once in 400,000 tries at best (a block inside a long
 * string; bench/superpay_forgery.py measures it on real decodes).  Such
 * text is then a forgery the parse accepts or refuses on its merits, as
 * with any unauthenticated cipher; the padding and the format of all the
 * rest take the same time, so the time tells an attacker nothing.
 *
 * Three forms of the same automaton, with the same answer on every text
 * (the C tests and fuzz_json compare them):
 * - composed (x86-64 with AVX-512 VBMI, chosen once from the CPU): the text
 *   is cut into eight runs, and for each run a 64-byte vector holds the
 *   state the run would end in from each of the (at most 64) states it
 *   could start in; one byte is one VPERMB of that vector by the byte's
 *   row.  The eight runs are independent, so the bytes cost the
 *   throughput of VPERMB rather than the latency of a chain of loads; the
 *   eight vectors are then composed in order, and the start state read off.
 * - pairs, everywhere else: one chain of states with one load per two
 *   bytes.  The classes of two bytes name one of the distinct two-step
 *   functions of the automaton (jct_pair; there are 176), and that
 *   function's row takes the state across both bytes (jct_next2).  Each
 *   load on the chain costs its latency, so half the loads is nearly half
 *   the time on a long text (`make bench-core`: 1.55 against 0.75 ns a
 *   byte at 16 KB on a Zen 3), less on a short one, where reading the
 *   larger tables first is a fixed cost; the class and pair lookups hang
 *   off the text, not the chain.  A text of odd length takes its last byte
 *   through jct_next.
 * - one chain of states, one load per byte: the reference the others are
 *   held to.
 *
 * Cache lines: the tables a form uses (about 3.2 KB for the chain and the
 * composition, 17.4 KB for pairs, within a first-level data cache) are
 * read in full before the scan, so which lines the text happens to use
 * does not show in the time either.
 */
#include <stdatomic.h>
#include <string.h>

#include "internal.h"
#include "json_ct_table.h"

#if JCT_STATES > 64
#error "the composed scan holds one state per byte of a 64-byte vector"
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

static unsigned touch_tables(void)
{
    return touch(jct_class, sizeof jct_class) +
           touch(jct_next, sizeof jct_next);
}

static unsigned touch_pair_tables(void)
{
    return touch_tables() + touch(jct_pair, sizeof jct_pair) +
           touch(jct_next2, sizeof jct_next2);
}

/* The last byte of a text of odd length, and the pair forms' answer. */
static unsigned last_byte(const unsigned char *text, size_t len, size_t s)
{
    if (len & 1)
        s = jct_next[jct_class[text[len - 1]]][s];
    return (unsigned)s;
}

/* Pairs in C (see the file comment).  As with c_chain, the compiler may
 * put an add on the chain; pair_chain below is the x86-64 form. */
static unsigned c_pairs(const unsigned char *text, size_t len)
{
    const uint8_t *rows = &jct_next2[0][0];
    size_t s = JCT_START, i;

    for (i = 0; i + 2 <= len; i += 2) {
        size_t pair = jct_pair[jct_class[text[i]]][jct_class[text[i + 1]]];

        s = rows[(pair << 6) + s];
    }
    return last_byte(text, len, s);
}

/*
 * The chain in C.  The row comes from the byte alone, off the chain of
 * states, and the state is the index within it, so that each byte costs
 * the latency of one load... if the compiler leaves the load as "row plus
 * state".  gcc does not: it rewrites `jct_next[0] + row + s` as
 * `jct_next[0] + (row + s)`, which puts an add on the chain, and so on
 * x86-64 the loop is written out below.
 */
static unsigned c_chain(const unsigned char *text, size_t len)
{
    const uint8_t *rows = &jct_next[0][0];
    size_t s = JCT_START, i;

    for (i = 0; i < len; i++)
        s = rows[((size_t)jct_class[text[i]] << 6) + s];
    return (unsigned)s;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(PH_JSON_CT_PORTABLE)
#define HAVE_X86 1
/* c_chain with the chain of states the one `movzbl (row, s)` a byte; no
 * branch but the loop's own.  len > 0. */
static unsigned asm_chain(const unsigned char *text, size_t len)
{
    const unsigned char *text_end = text + len;
    intptr_t i = -(intptr_t)len;
    uint64_t s = JCT_START, row;

    __asm__("1:\n\t"
            "movzbl (%[text_end],%[i]), %k[row]\n\t"
            "movzbl (%[classes],%[row]), %k[row]\n\t"
            "shl $6, %k[row]\n\t"
            "add %[rows], %[row]\n\t"
            "movzbl (%[row],%[s]), %k[s]\n\t"
            "add $1, %[i]\n\t"
            "jnz 1b"
            : [s] "+r"(s), [i] "+r"(i), [row] "=&r"(row)
            : [text_end] "r"(text_end), [classes] "r"(jct_class),
              [rows] "r"(&jct_next[0][0])
            : "cc", "memory");
    return (unsigned)s;
}

/* c_pairs with the one `movzbl (row, s)` per two bytes on the chain.
 * len >= 2; the odd byte, if any, is left to last_byte. */
static unsigned pair_chain(const unsigned char *text, size_t len)
{
    const unsigned char *pairs_end = text + (len & ~(size_t)1);
    intptr_t i = -(intptr_t)(len & ~(size_t)1);
    uint64_t s = JCT_START, row, second;

    __asm__(
        "1:\n\t"
        "movzbl (%[pairs_end],%[i]), %k[row]\n\t"
        "movzbl 1(%[pairs_end],%[i]), %k[second]\n\t"
        "movzbl (%[classes],%[row]), %k[row]\n\t"
        "movzbl (%[classes],%[second]), %k[second]\n\t"
        "shl $6, %k[row]\n\t"
        "add %k[second], %k[row]\n\t"
        "movzbl (%[pair],%[row]), %k[row]\n\t"
        "shl $6, %k[row]\n\t"
        "add %[rows], %[row]\n\t"
        "movzbl (%[row],%[s]), %k[s]\n\t"
        "add $2, %[i]\n\t"
        "jnz 1b"
        : [s] "+r"(s), [i] "+r"(i), [row] "=&r"(row), [second] "=&r"(second)
        : [pairs_end] "r"(pairs_end), [classes] "r"(jct_class),
          [pair] "r"(&jct_pair[0][0]), [rows] "r"(&jct_next2[0][0])
        : "cc", "memory");
    return last_byte(text, len, s);
}

#include <immintrin.h>

/* The classes of 64 bytes at once: the 256-byte class table is held in
 * four registers, so no load depends on the text. */
PH_VBMI_TARGET static void classes_64(const unsigned char *text,
                                      unsigned char *out, const __m512i t[4])
{
    __m512i v = _mm512_loadu_si512((const void *)text);
    __m512i low = _mm512_permutex2var_epi8(t[0], v, t[1]);
    __m512i high = _mm512_permutex2var_epi8(t[2], v, t[3]);

    _mm512_storeu_si512((void *)out, _mm512_mask_blend_epi8(
                                         _mm512_movepi8_mask(v), low, high));
}

#define ROW(c) _mm512_load_si512((const void *)jct_next[(c)])
/* Run f through one more byte of class c: f[j] = row[f[j]]. */
#define STEP(f, c) ((f) = _mm512_permutexvar_epi8((f), ROW(c)))
/* f, then g: (f then g)[j] = g[f[j]]. */
#define THEN(f, g) _mm512_permutexvar_epi8((f), (g))

/* The composed scan (see the file comment).  `work` holds len bytes: the
 * classes of the text, found first 64 at a time. */
PH_VBMI_TARGET static unsigned composed(const unsigned char *text, size_t len,
                                        unsigned char *work)
{
    __m512i t[4], f0, f1, f2, f3, f4, f5, f6, f7, all;
    const unsigned char *c = work;
    size_t run = len / 8, i;
    unsigned char lanes[64];

    for (i = 0; i < 4; i++)
        t[i] = _mm512_loadu_si512((const void *)(jct_class + 64 * i));
    for (i = 0; i + 64 <= len; i += 64)
        classes_64(text + i, work + i, t);
    for (; i < len; i++)
        work[i] = jct_class[text[i]];
    for (i = 0; i < 64; i++)
        lanes[i] = (unsigned char)i;
    f0 = f1 = f2 = f3 = f4 = f5 = f6 = f7 =
        _mm512_loadu_si512((const void *)lanes);
    for (i = 0; i < run; i++) {
        STEP(f0, c[i]);
        STEP(f1, c[run + i]);
        STEP(f2, c[2 * run + i]);
        STEP(f3, c[3 * run + i]);
        STEP(f4, c[4 * run + i]);
        STEP(f5, c[5 * run + i]);
        STEP(f6, c[6 * run + i]);
        STEP(f7, c[7 * run + i]);
    }
    for (i = 8 * run; i < len; i++) /* fewer than eight bytes */
        STEP(f7, c[i]);
    all = THEN(THEN(THEN(THEN(THEN(THEN(THEN(f0, f1), f2), f3), f4), f5), f6),
               f7);
    _mm512_storeu_si512((void *)lanes, all);
    return lanes[JCT_START];
}

#else
#define HAVE_X86 0
#endif

/* Which form runs, decided from the CPU alone (never from the text). */
static unsigned end_state(const unsigned char *text, size_t len,
                          unsigned char *work, ph_json_ct_form form)
{
    switch (form) {
#if HAVE_X86
    case PH_JSON_CT_COMPOSED:
        return composed(text, len, work);
    case PH_JSON_CT_CHAIN:
        return len > 0 ? asm_chain(text, len) : JCT_START;
    case PH_JSON_CT_PAIRS:
        return len >= 2 ? pair_chain(text, len)
                        : last_byte(text, len, JCT_START);
#endif
    case PH_JSON_CT_PAIRS_C:
        return c_pairs(text, len);
    default:
        (void)work;
        return c_chain(text, len);
    }
}

int ph_json_ct_form_available(ph_json_ct_form form)
{
    switch (form) {
    case PH_JSON_CT_C:
    case PH_JSON_CT_PAIRS_C:
        return 1;
#if HAVE_X86
    case PH_JSON_CT_CHAIN:
    case PH_JSON_CT_PAIRS:
        return 1;
    case PH_JSON_CT_COMPOSED:
        return ph_cpu_has_vbmi();
#endif
    default:
        return 0;
    }
}

int ph_json_ct_scan_with(const unsigned char *text, size_t len,
                         unsigned char *work, ph_json_ct_form form)
{
    /* The tables first; (x & 0) keeps the loads whatever they hold. */
    int pairs = form == PH_JSON_CT_PAIRS || form == PH_JSON_CT_PAIRS_C;
    unsigned warm = (pairs ? touch_pair_tables() : touch_tables()) & 0;

    return (end_state(text, len, work, form) | warm) == JCT_ACCEPT;
}

int ph_json_ct_scan(const unsigned char *text, size_t len, unsigned char *work)
{
    /* 0 until decided; threads that race decide the same. */
    static atomic_int best;
    int form = atomic_load_explicit(&best, memory_order_relaxed);

    if (form == 0) {
        form = ph_json_ct_form_available(PH_JSON_CT_COMPOSED)
                   ? PH_JSON_CT_COMPOSED
               : HAVE_X86 ? PH_JSON_CT_PAIRS
                          : PH_JSON_CT_PAIRS_C;
        atomic_store_explicit(&best, form, memory_order_relaxed);
    }
    return ph_json_ct_scan_with(text, len, work, (ph_json_ct_form)form);
}
