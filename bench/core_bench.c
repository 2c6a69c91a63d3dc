/*
 * ns/byte of the core's byte loops on their own, without a binding around
 * them: the constant-time JSON scan (SuperPay's check), in the form this
 * CPU gets and as the one-load-a-byte chain, with its time on the document
 * over its time on random bytes (which must be 1), hex and base64url
 * decoding, the strict parser through one long string (plain, with
 * escapes and UTF-8 every few bytes, or all Chinese text), and the parser
 * into the C API's cJSON sink on an object of many members.  Built
 * against a libpayhook.a (`make bench-core`, or the command in
 * bench/README.md against an older tree), so two builds of the same
 * program compare two trees byte loop by byte loop.
 *
 *     build/bench/core_bench [ROUNDS]
 *
 * Each figure is the median of ROUNDS (default 31) rounds, each timing a
 * batch of calls long enough (about 2 ms) for the clock not to matter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "internal.h"

static const size_t sizes[] = { 344, 1295, 16432, 262362 };
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* SuperPay's callback (bench/inputs.py), then as many of its orders as
 * fit in an "items" array, padded with spaces to exactly `len` bytes. */
static const char payout[] =
    "\"status\":\"SUCCESS\",\"transaction\":{\"id\":10025,"
    "\"amountWithdraw\":1,\"confirmedAt\":1725461388,\"commissionFee\":0},"
    "\"order\":{\"id\":\"10006\",\"amount\":\"1\",\"currencyType\":\"MYR\"},"
    "\"recipient\":{\"name\":\"Long Wan\",\"phone\":\"0123456789\","
    "\"email\":\"longwan@gmail.com\",\"methodType\":\"CIBBMYKL\","
    "\"methodValue\":\"8044591766\",\"methodRef\":null}";

static char *json_object(size_t len)
{
    char *t = malloc(len + 64);
    size_t n, item = 0;

    if (t == NULL)
        return NULL;
    n = (size_t)sprintf(t, "{\"message\":\"Success\",\"data\":{%s}", payout);
    if (n + 16 + sizeof payout < len) {
        n += (size_t)sprintf(t + n, ",\"items\":[");
        while (n + sizeof payout + 8 < len)
            n += (size_t)sprintf(t + n, "%s{%s}", item++ > 0 ? "," : "",
                                 payout);
        t[n++] = ']';
    }
    while (n < len - 1)
        t[n++] = ' ';
    t[n++] = '}';
    t[n] = '\0';
    return t;
}

/* What the long string of string_object holds besides letters. */
enum { PLAIN, MARKED, CJK };

/* {"k":"..."} of exactly `len` bytes: one long string of letters (PLAIN),
 * with an escape every 24 bytes and a 2-byte UTF-8 character every 40, so
 * that the scanner stops often (MARKED), or of Chinese text, one 3-byte
 * character after another, padded with letters to the length (CJK). */
static char *string_object(size_t len, int kind)
{
    char *t = malloc(len + 1);
    size_t n = 6, i;

    if (t == NULL)
        return NULL;
    memcpy(t, "{\"k\":\"", 6);
    for (i = 0; n < len - 2; i++) {
        if (kind == CJK && n + 3 <= len - 2) {
            memcpy(t + n, "\xe6\x9d\x8e", 3);
            n += 3;
        } else if (kind == MARKED && i % 24 == 23 && n + 2 <= len - 2) {
            t[n++] = '\\';
            t[n++] = 'n';
        } else if (kind == MARKED && i % 40 == 39 && n + 2 <= len - 2) {
            t[n++] = (char)0xc3;
            t[n++] = (char)0xa9;
        } else {
            t[n++] = (char)('a' + i % 26);
        }
    }
    t[n++] = '"';
    t[n++] = '}';
    t[n] = '\0';
    return t;
}

/* An object of as many members "m0000001":1 as fit in `len` bytes
 * (padded with spaces): for the cJSON sink, whose repeated names are
 * settled when the object closes. */
static char *members_object(size_t len)
{
    char *t = malloc(len + 32);
    size_t n = 1, i = 0;

    if (t == NULL)
        return NULL;
    t[0] = '{';
    for (; n + 24 < len; i++)
        n += (size_t)sprintf(t + n, "%s\"m%07zu\":%zu", i ? "," : "", i, i);
    while (n < len - 1)
        t[n++] = ' ';
    t[n++] = '}';
    t[n] = '\0';
    return t;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct job {
    const char *name;
    const unsigned char *in;
    size_t len;
    unsigned char *out;
    ph_scratch *s;
} job;

static volatile unsigned sink_bits;

static int no_member(void *hctx, const char *name, size_t len)
{
    (void)hctx;
    (void)name;
    (void)len;
    return 0;
}

/* The chain of loads, written out where the CPU is x86-64. */
static ph_json_ct_form chain_form(void)
{
    return ph_json_ct_form_available(PH_JSON_CT_CHAIN) ? PH_JSON_CT_CHAIN
                                                       : PH_JSON_CT_C;
}

static void run_one(const job *j)
{
    size_t out_len;
    void *root = NULL;
    ph_error err;
    ph_top_hook hook = { no_member, NULL, NULL, NULL };

    if (strcmp(j->name, "json_ct_scan") == 0)
        sink_bits += (unsigned)ph_json_ct_scan(j->in, j->len, j->out);
    else if (strcmp(j->name, "json_ct_chain") == 0)
        sink_bits += (unsigned)ph_json_ct_scan_with(j->in, j->len, j->out,
                                                    chain_form());
    else if (strcmp(j->name, "hex_decode") == 0)
        sink_bits +=
            (unsigned)ph_hex_decode((const char *)j->in, j->len, j->out);
    else if (strcmp(j->name, "b64url_decode") == 0)
        sink_bits += (unsigned)ph_b64url_decode((const char *)j->in, j->len,
                                                j->out, &out_len);
    else if (strcmp(j->name, "cjson_members") == 0) {
        sink_bits +=
            (unsigned)ph_json_parse((const char *)j->in, j->len,
                                    &ph_cjson_sink, NULL, j->s, &root, &err);
        cJSON_Delete(root);
    } else
        sink_bits += (unsigned)ph_json_parse_hooked(
            (const char *)j->in, j->len, NULL, NULL, &hook, j->s, &root, &err);
}

/* Median ns per byte of `j` over `rounds` batches. */
static double time_job(const job *j, int rounds)
{
    double *ns = malloc((size_t)rounds * sizeof *ns), t0, med;
    long reps = 1, r;
    int i;

    /* Grow the batch until it takes about 2 ms. */
    for (;;) {
        t0 = now_ns();
        for (r = 0; r < reps; r++)
            run_one(j);
        if (now_ns() - t0 > 2e6 || reps > (1L << 24))
            break;
        reps *= 2;
    }
    for (i = 0; i < rounds; i++) {
        t0 = now_ns();
        for (r = 0; r < reps; r++)
            run_one(j);
        ns[i] = (now_ns() - t0) / (double)reps / (double)j->len;
    }
    qsort(ns, (size_t)rounds, sizeof *ns, cmp_double);
    med = ns[rounds / 2];
    free(ns);
    return med;
}

/* The constant-time scan on the document and on random bytes of the same
 * length (what a wrong key decrypts to), the two batches back to back in
 * each round so that the machine's phases hit both: the median over
 * rounds of document time / random time, which must be 1. */
static double ct_ratio(const unsigned char *text, size_t n, unsigned char *out,
                       int rounds)
{
    unsigned char *noise = malloc(n);
    double *ratio = malloc((size_t)rounds * sizeof *ratio), med, t0, t1;
    uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);
    long reps = 1 + (long)(200000 / n), r;
    size_t i;
    int k;

    if (noise == NULL || ratio == NULL)
        exit(1);
    for (i = 0; i < n; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        noise[i] = (unsigned char)(rng >> 56);
    }
    for (k = 0; k < rounds; k++) {
        /* Which goes first alternates, so that order cancels out. */
        const unsigned char *first = k % 2 ? noise : text;
        const unsigned char *second = k % 2 ? text : noise;
        double t2;
        t0 = now_ns();
        for (r = 0; r < reps; r++)
            sink_bits += (unsigned)ph_json_ct_scan(first, n, out);
        t1 = now_ns();
        for (r = 0; r < reps; r++)
            sink_bits += (unsigned)ph_json_ct_scan(second, n, out);
        t2 = now_ns();
        ratio[k] = k % 2 ? (t2 - t1) / (t1 - t0) : (t1 - t0) / (t2 - t1);
    }
    qsort(ratio, (size_t)rounds, sizeof *ratio, cmp_double);
    med = ratio[rounds / 2];
    free(ratio);
    free(noise);
    return med;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 31;
    ph_scratch s = PH_SCRATCH_INIT;
    size_t k, i;

    if (rounds < 1)
        rounds = 1;
    printf("%-18s %10s %10s\n", "loop", "bytes", "ns/byte");
    for (k = 0; k < NSIZES; k++) {
        size_t n = sizes[k];
        char *text = json_object(n), *str = string_object(n, PLAIN);
        char *marked = string_object(n, MARKED), *cjk = string_object(n, CJK);
        char *members = members_object(n);
        unsigned char *out = malloc(n);
        char *hex = malloc(2 * n), *b64 = malloc(n / 3 * 4 + 4);
        job jobs[8];

        if (!text || !str || !marked || !cjk || !members || !out || !hex ||
            !b64)
            return 1;
        if (!ph_json_ct_scan((unsigned char *)text, n, out)) {
            fprintf(stderr, "core_bench: the %zu-byte object is refused\n", n);
            return 1;
        }
        ph_hex_encode((const unsigned char *)text, n, hex);
        ph_b64url_encode((const unsigned char *)text, n, b64);
        jobs[0] = (job){ "json_ct_scan", (unsigned char *)text, n, out, &s };
        jobs[1] = (job){ "json_ct_chain", (unsigned char *)text, n, out, &s };
        jobs[2] = (job){ "hex_decode", (unsigned char *)hex, 2 * n, out, &s };
        jobs[3] = (job){ "b64url_decode", (unsigned char *)b64,
                         ph_b64url_encoded_len(n), out, &s };
        jobs[4] = (job){ "parse_string", (unsigned char *)str, n, out, &s };
        jobs[5] =
            (job){ "parse_escaped", (unsigned char *)marked, n, out, &s };
        jobs[6] = (job){ "parse_cjk", (unsigned char *)cjk, n, out, &s };
        jobs[7] =
            (job){ "cjson_members", (unsigned char *)members, n, out, &s };
        for (i = 0; i < 8; i++)
            printf("%-18s %10zu %10.3f\n", jobs[i].name, jobs[i].len,
                   time_job(&jobs[i], rounds));
        printf("%-18s %10zu %10.3f  (document / random bytes, median of "
               "%d rounds)\n",
               "json_ct_ratio", n,
               ct_ratio((unsigned char *)text, n, out, 6 * rounds + 1),
               6 * rounds + 1);
        free(text);
        free(str);
        free(marked);
        free(cjk);
        free(members);
        free(out);
        free(hex);
        free(b64);
    }
    ph_scratch_free(&s);
    return 0;
}
