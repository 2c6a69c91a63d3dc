/* Case bookkeeping, failure reports and main(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "runner.h"

static struct {
    char name[256];
    int open;
    int failures; /* in the open case */
    long passed, failed;
    int verbose;
} run;

const char *t_vectors_dir = "tests/vectors";

void t_begin(const char *fmt, ...)
{
    va_list ap;

    if (run.open)
        t_end();
    va_start(ap, fmt);
    vsnprintf(run.name, sizeof run.name, fmt, ap);
    va_end(ap);
    run.open = 1;
    run.failures = 0;
}

int t_end(void)
{
    int ok;

    if (!run.open)
        return 1;
    run.open = 0;
    ok = run.failures == 0;
    if (ok) {
        run.passed++;
        if (run.verbose)
            printf("ok   %s\n", run.name);
    } else {
        run.failed++;
        printf("FAIL %s\n", run.name);
    }
    return ok;
}

const char *t_case_name(void)
{
    return run.open ? run.name : "(no case)";
}

int t_check(int ok, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    if (ok)
        return 1;
    printf("  %s:%d: [%s] ", file, line, t_case_name());
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (run.open)
        run.failures++;
    else
        run.failed++; /* a check outside any case counts on its own */
    return 0;
}

int t_check_status(ph_status got, ph_status want, const char *what,
                   const char *file, int line)
{
    return t_check(got == want, file, line, "%s: got %s, want %s", what,
                   ph_status_name(got), ph_status_name(want));
}

static void suite(const char *name, void (*fn)(void))
{
    long before = run.passed + run.failed;

    fn();
    t_end();
    printf("# %s: %ld cases\n", name, run.passed + run.failed - before);
}

/* tests/vectors, and the public conformance data (Wycheproof, RFC 7515 and
 * RFC 7520) in its conformance/ directory unless a second argument names
 * another directory.  A file missing from either is a failed case that
 * names it. */
/* units_scratch.c */
void run_units_scratch(void);
/* units_gateways.c */
void run_units_gateways(void);
/* units_json_ct.c */
void run_units_json_ct(void);
/* units_json_strings.c */
void run_units_json_strings(void);
/* units_simd_loops.c */
void run_units_simd_loops(void);
/* units_float.c */
void run_units_float(void);
/* units_siphash.c */
void run_units_siphash(void);
/* units_form.c */
void run_units_form(void);
/* units_mac_key.c */
void run_units_mac_key(void);

static const char *vectors_dir, *shared_dir;

static void shared_suite(void)
{
    run_shared_vectors(vectors_dir);
}

static void wycheproof_suite(void)
{
    run_wycheproof(shared_dir);
}

static void rfc_suite(void)
{
    run_rfc_vectors(shared_dir);
}

int main(int argc, char **argv)
{
    const char *v = getenv("T_VERBOSE");

    run.verbose = v != NULL && v[0] != '\0' && v[0] != '0';
    vectors_dir = argc > 1 ? argv[1] : "tests/vectors";
    shared_dir = argc > 2 ? argv[2] : "tests/vectors/conformance";
    t_vectors_dir = vectors_dir;
    setvbuf(stdout, NULL, _IOLBF, 0);

    suite("units: encodings", run_units_encoding);
    suite("units: base64url and hex through each loop", run_units_simd_loops);
    suite("units: JSON parser", run_units_json);
    suite("units: JSON strings at every offset", run_units_json_strings);
    suite("units: decimal to double", run_units_float);
    suite("units: constant-time JSON and PKCS#7 checks", run_units_json_ct);
    suite("units: status, version, scratch", run_units_status);
    suite("units: scratch wipe", run_units_scratch);
    suite("units: SipHash and fingerprints", run_units_siphash);
    suite("units: prepared HMAC keys", run_units_mac_key);
    suite("units: JWT verify and sign", run_units_jwt);
    suite("units: LeanX and SuperPay", run_units_providers);
    suite("units: claims", run_units_claims);
    suite("units: gateway pipeline and its primitives", run_units_gateways);
    suite("units: the form parser against a model", run_units_form);
    suite("threads", run_threads);
    suite("threads: RSA", run_threads_rsa);
    suite("shared vectors", shared_suite);
    suite("wycheproof", wycheproof_suite);
    suite("RFC JWS vectors", rfc_suite);

    printf("%ld passed, %ld failed\n", run.passed, run.failed);
    return run.failed == 0 && run.passed > 0 ? 0 : 1;
}
