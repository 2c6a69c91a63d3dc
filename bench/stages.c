/*
 * Where the time of a decode goes, in C: each piece of the LeanX and the
 * SuperPay path timed by itself, as payhook's core runs it and as the raw
 * libraries run it, beside the whole core (open + parse) into a sink that
 * builds nothing; and for the other JSON gateways (Standard Webhooks,
 * Stripe, Razorpay, CHIP), each signing the shared event of inputs.py,
 * the whole core beside the parse of the event alone.
 *
 *   bench/.build/stages INPUTS_DIR OUT.json [ROUNDS] [BATCH_MS]
 *
 * INPUTS_DIR is what `python3 bench/inputs.py DIR` writes.  Every piece is
 * run once and its output checked (the MAC against the token's signature,
 * the decoded payload and plaintext against the inputs, the JSON checks
 * accepting) before anything is timed.  Then, per size, rounds: every
 * piece runs one batch of calls (sized to about BATCH_MS) per round, the
 * order rotating by one each round; the per-call time of a batch is one
 * sample, and the JSON holds the median, quartiles and every sample per
 * piece.  The clock is CLOCK_PROCESS_CPUTIME_ID, as os.clock() in the Lua
 * bench.
 *
 * Built by bench/run.sh against build/libpayhook.a and the core's private
 * headers (csrc/), since some pieces (the prepared HMAC keys, the AES step
 * on a prepared context, the constant-time scan) are internal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "gateway.h"

/* ------------------------------------------------------------------ */
/* A sink that builds nothing                                          */

/* Every value is this one handle: never NULL, so the parser never sees a
 * failure, and nothing is allocated.  `ctx`, when not NULL, counts the
 * calls (the checks compare counts; the timed runs pass NULL). */
static const char nothing = 0;

static void *noop_value(void *ctx)
{
    if (ctx != NULL)
        ++*(size_t *)ctx;
    return (void *)&nothing;
}

static void *noop_null(void *ctx)
{
    return noop_value(ctx);
}

static void *noop_bool(void *ctx, int value)
{
    (void)value;
    return noop_value(ctx);
}

static void *noop_number(void *ctx, ph_number_kind kind, int64_t i,
                         const char *text, size_t len)
{
    (void)kind;
    (void)i;
    (void)text;
    (void)len;
    return noop_value(ctx);
}

static void *noop_string(void *ctx, const char *s, size_t len, int ascii,
                         int is_key)
{
    (void)s;
    (void)len;
    (void)ascii;
    (void)is_key;
    return noop_value(ctx);
}

static int noop_append(void *ctx, void *array, size_t index, void *item)
{
    (void)ctx;
    (void)array;
    (void)index;
    (void)item;
    return 0;
}

static int noop_set(void *ctx, void *object, void *key, void *value)
{
    (void)ctx;
    (void)object;
    (void)key;
    (void)value;
    return 0;
}

static void noop_discard(void *ctx, void *value)
{
    (void)ctx;
    (void)value;
}

static const ph_json_sink noop_sink = {
    noop_null,  noop_bool, noop_number, noop_string, noop_value,   noop_append,
    noop_value, noop_set,  NULL,        NULL,        noop_discard,
};

/* ------------------------------------------------------------------ */
/* Inputs and the state of one size                                    */

static void die(const char *what)
{
    fprintf(stderr, "stages: %s\n", what);
    exit(1);
}

static char *read_file(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    FILE *f;
    char *buf;
    long size;

    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        die("path too long");
    if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
        (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "stages: cannot read %s\n", path);
        exit(1);
    }
    if ((buf = malloc((size_t)size + 1)) == NULL)
        die("out of memory");
    if (fread(buf, 1, (size_t)size, f) != (size_t)size)
        die("short read");
    fclose(f);
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n > 0 ? n : 1);

    if (p == NULL)
        die("out of memory");
    return p;
}

typedef struct size_state {
    /* LeanX */
    char *lbody, *lsigning, *lpayload;
    size_t lbody_len, lsigning_len, lpayload_len;
    const char *seg; /* the payload segment of the token */
    size_t seg_len;
    char *std_b64; /* the segment in the standard alphabet, padded */
    size_t std_len;
    unsigned char sig[EVP_MAX_MD_SIZE];
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t sig_len;
    EVP_MAC_CTX *mac_template, *mac_work;
    ph_hmac_keys hkeys;
    ph_gateway_key *lkey;
    /* SuperPay */
    char *sbody, *splain;
    size_t sbody_len, splain_len;
    const char *hex; /* the encryptedData string, inside sbody */
    size_t hex_len;
    unsigned char *ct, *pt, *padded, *work;
    size_t ct_len;
    unsigned char aes_key[PH_AES_KEY_LEN], iv[PH_AES_BLOCK];
    EVP_CIPHER_CTX *raw_aes, *ph_aes;
    ph_aes_chain ph_chain; /* where ph_aes's CBC stream stands */
    ph_superpay_key *skey;
    ph_gateway_key *sgkey;
    /* The other JSON gateways, each with the event signed by the core */
    char *event;
    size_t event_len;
    struct gw_callback {
        ph_gateway_key *key;
        ph_signed cb; /* body and headers from ph_gateway_sign */
    } gw[4];
    /* All */
    unsigned char *out;
    size_t out_len;
    ph_scratch scratch;
    ph_options opts;
    size_t *count; /* the sink's counter, checks only */
} size_state;

/* The value of the JSON string member `name` of `body` (no escapes in
 * it): where it starts inside body. */
static const char *member(const char *body, const char *name, size_t *len)
{
    char pattern[64];
    const char *p, *end;

    snprintf(pattern, sizeof pattern, "\"%s\":\"", name);
    if ((p = strstr(body, pattern)) == NULL)
        die("member not found in a body");
    p += strlen(pattern);
    if ((end = strchr(p, '"')) == NULL)
        die("unterminated member in a body");
    *len = (size_t)(end - p);
    return p;
}

static void setup_leanx(size_state *st, const char *key)
{
    const unsigned char *k = (const unsigned char *)key;
    size_t key_len = strlen(key), tok_len, i;
    const char *tok, *dot1, *dot2;
    const ph_gateway *g = ph_gateway_find("leanx", 5);
    OSSL_PARAM params[2];
    EVP_MAC *hmac;

    tok = member(st->lbody, "data", &tok_len);
    dot1 = memchr(tok, '.', tok_len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', tok_len - (size_t)(dot1 + 1 - tok))
                : NULL;
    if (dot2 == NULL)
        die("the LeanX token has no two dots");
    if ((size_t)(dot2 - tok) != st->lsigning_len ||
        memcmp(tok, st->lsigning, st->lsigning_len) != 0)
        die("the LeanX signing input is not the token's");
    st->seg = dot1 + 1;
    st->seg_len = (size_t)(dot2 - st->seg);
    if (ph_b64url_decode(dot2 + 1, tok_len - (size_t)(dot2 + 1 - tok), st->sig,
                         &st->sig_len) != PH_OK ||
        st->sig_len != 32)
        die("the LeanX signature is not 32 bytes of base64url");
    /* The standard alphabet with '=' padding, for EVP_DecodeBlock. */
    st->std_len = (st->seg_len + 3) / 4 * 4;
    st->std_b64 = xmalloc(st->std_len);
    for (i = 0; i < st->std_len; i++) {
        char c = i < st->seg_len ? st->seg[i] : '=';
        st->std_b64[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    st->out = xmalloc(st->std_len);

    if ((hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
        (st->mac_template = EVP_MAC_CTX_new(hmac)) == NULL)
        die("HMAC is not available");
    EVP_MAC_free(hmac);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(st->mac_template, k, key_len, params) ||
        (st->mac_work = EVP_MAC_CTX_dup(st->mac_template)) == NULL)
        die("HMAC setup failed");
    if (ph_hmac_keys_new(PH_DIGEST_SHA256, &k, &key_len, 1, &st->hkeys,
                         NULL) != PH_OK ||
        g == NULL ||
        ph_gateway_key_new(g, &k, &key_len, 1, &st->lkey, NULL) != PH_OK)
        die("payhook's LeanX keys failed");
}

static void setup_superpay(size_state *st, const char *key)
{
    const unsigned char *k = (const unsigned char *)key;
    size_t key_len = strlen(key);
    const ph_gateway *g = ph_gateway_find("superpay", 8);

    if (key_len != PH_AES_KEY_LEN)
        die("the SuperPay key is not 32 bytes");
    st->hex = member(st->sbody, "encryptedData", &st->hex_len);
    st->ct_len = st->hex_len / 2;
    if (st->ct_len % PH_AES_BLOCK != 0 || st->ct_len <= st->splain_len)
        die("the SuperPay ciphertext has a wrong length");
    st->ct = xmalloc(st->ct_len);
    st->pt = xmalloc(st->ct_len);
    st->work = xmalloc(st->ct_len);
    /* The plaintext as the core scans it: padding turned into spaces. */
    st->padded = xmalloc(st->ct_len);
    memcpy(st->padded, st->splain, st->splain_len);
    memset(st->padded + st->splain_len, ' ', st->ct_len - st->splain_len);
    memcpy(st->aes_key, key, PH_AES_KEY_LEN);
    if (ph_superpay_key_new(k, key_len, &st->skey, NULL) != PH_OK)
        die("payhook's SuperPay key failed");
    ph_superpay_key_iv(st->skey, st->iv);
    /* Both contexts get the key schedule once, as a prepared key does;
     * OpenSSL's sets the IV on each call, payhook's carries its CBC stream
     * on and mends the first block, as a SuperPay key does. */
    if ((st->raw_aes = EVP_CIPHER_CTX_new()) == NULL ||
        (st->ph_aes = EVP_CIPHER_CTX_new()) == NULL ||
        !EVP_DecryptInit_ex2(st->raw_aes, EVP_aes_256_cbc(), st->aes_key,
                             st->iv, NULL) ||
        !EVP_CIPHER_CTX_set_padding(st->raw_aes, 0) ||
        !EVP_DecryptInit_ex2(st->ph_aes, EVP_aes_256_cbc(), st->aes_key,
                             st->iv, NULL) ||
        !EVP_CIPHER_CTX_set_padding(st->ph_aes, 0))
        die("AES-256-CBC is not available");
    st->ph_chain.valid = 0; /* the first call sets the IV */
    if (g == NULL ||
        ph_gateway_key_new(g, &k, &key_len, 1, &st->sgkey, NULL) != PH_OK)
        die("payhook's SuperPay gateway key failed");
}

/* The gateways of st->gw, in order, and the keys the event is signed
 * with: a text secret (Stripe, Razorpay), a whsec_ secret (Standard
 * Webhooks), an RSA pair (CHIP signs with the private key, the decoder
 * takes the public one). */
static const char *const gw_names[] = { "standardwebhooks", "stripe",
                                        "razorpay", "chip" };
#define NGATEWAYS (sizeof gw_names / sizeof gw_names[0])

typedef struct gw_keys {
    const char *text, *whsec, *chip_private, *chip_public;
} gw_keys;

static void setup_gateways(size_state *st, const gw_keys *keys)
{
    size_t i;

    if (NGATEWAYS != sizeof st->gw / sizeof st->gw[0])
        die("gw_names and size_state.gw differ");
    for (i = 0; i < NGATEWAYS; i++) {
        const ph_gateway *g =
            ph_gateway_find(gw_names[i], strlen(gw_names[i]));
        int chip = strcmp(gw_names[i], "chip") == 0;
        const char *sign_key = chip ? keys->chip_private
                               : strcmp(gw_names[i], "standardwebhooks") == 0
                                   ? keys->whsec
                                   : keys->text;
        const char *open_key = chip ? keys->chip_public : sign_key;
        const unsigned char *k = (const unsigned char *)open_key;
        size_t key_len = strlen(open_key);
        /* Signed at the options' `now`, so no clock is read later. */
        ph_sign_input in = { .payload = st->event,
                             .payload_len = st->event_len,
                             .key = (const unsigned char *)sign_key,
                             .key_len = strlen(sign_key),
                             .timestamp = (int64_t)st->opts.now };

        if (g == NULL ||
            ph_gateway_sign(g, &in, &st->gw[i].cb, NULL) != PH_OK ||
            ph_gateway_key_new(g, &k, &key_len, 1, &st->gw[i].key, NULL) !=
                PH_OK) {
            fprintf(stderr, "stages: %s: signing or its key failed\n",
                    gw_names[i]);
            exit(1);
        }
    }
}

static void free_state(size_state *st)
{
    size_t i;

    for (i = 0; i < sizeof st->gw / sizeof st->gw[0]; i++) {
        ph_gateway_key_free(st->gw[i].key);
        ph_signed_free(&st->gw[i].cb);
    }
    free(st->event);
    EVP_MAC_CTX_free(st->mac_template);
    EVP_MAC_CTX_free(st->mac_work);
    ph_hmac_keys_free(&st->hkeys);
    ph_gateway_key_free(st->lkey);
    ph_gateway_key_free(st->sgkey);
    ph_superpay_key_free(st->skey);
    EVP_CIPHER_CTX_free(st->raw_aes);
    EVP_CIPHER_CTX_free(st->ph_aes);
    ph_scratch_free(&st->scratch);
    free(st->lbody);
    free(st->lsigning);
    free(st->lpayload);
    free(st->std_b64);
    free(st->sbody);
    free(st->splain);
    free(st->ct);
    free(st->pt);
    free(st->padded);
    free(st->work);
    free(st->out);
}

/* ------------------------------------------------------------------ */
/* The pieces: each returns 0 when the call did its job                */

static int hmac_dup(size_state *st)
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(st->mac_template);
    size_t n = 0;
    int ok = ctx != NULL &&
             EVP_MAC_update(ctx, (const unsigned char *)st->lsigning,
                            st->lsigning_len) &&
             EVP_MAC_final(ctx, st->mac, &n, sizeof st->mac) && n == 32;

    EVP_MAC_CTX_free(ctx);
    return !ok;
}

static int hmac_reinit(size_state *st)
{
    size_t n = 0;

    /* A NULL key starts again from the key already set. */
    return !(EVP_MAC_init(st->mac_work, NULL, 0, NULL) &&
             EVP_MAC_update(st->mac_work, (const unsigned char *)st->lsigning,
                            st->lsigning_len) &&
             EVP_MAC_final(st->mac_work, st->mac, &n, sizeof st->mac) &&
             n == 32);
}

static int hmac_payhook(size_state *st)
{
    ph_str part = { st->lsigning, st->lsigning_len };

    /* What the verifier does: the MAC under every key of the set,
     * compared in constant time with the token's signature. */
    return ph_hmac_keys_match(&st->hkeys, &part, 1, st->sig, 1, NULL) != PH_OK;
}

static int b64url_payhook(size_state *st)
{
    return ph_b64url_decode(st->seg, st->seg_len, st->out, &st->out_len) !=
           PH_OK;
}

static int b64_openssl(size_state *st)
{
    int n = EVP_DecodeBlock(st->out, (const unsigned char *)st->std_b64,
                            (int)st->std_len);

    st->out_len = n < 0 ? 0 : (size_t)n;
    return n < 0;
}

static int leanx_parse(size_state *st)
{
    void *root;

    return ph_json_parse(st->lpayload, st->lpayload_len, &noop_sink, st->count,
                         &st->scratch, &root, NULL) != PH_OK;
}

static int leanx_core(size_state *st)
{
    ph_request rq = { st->lbody, st->lbody_len, NULL, 0, NULL, 0 };
    ph_result r;
    void *root;
    int bad;

    bad = ph_gateway_open(st->lkey, &rq, &st->opts, &st->scratch, &r, NULL) !=
              PH_OK ||
          ph_gateway_parse(st->lkey, &r, &st->opts, &noop_sink, st->count,
                           &st->scratch, &root, NULL) != PH_OK;
    ph_scratch_wipe(&st->scratch); /* as the bindings do after each call */
    return bad;
}

static int hex_payhook(size_state *st)
{
    return ph_hex_decode(st->hex, st->hex_len, st->ct) != PH_OK;
}

static int aes_openssl(size_state *st)
{
    int n = 0;

    return !(
        EVP_DecryptInit_ex2(st->raw_aes, NULL, NULL, st->iv, NULL) &&
        EVP_DecryptUpdate(st->raw_aes, st->pt, &n, st->ct, (int)st->ct_len) &&
        (size_t)n == st->ct_len);
}

static int aes_payhook(size_state *st)
{
    return ph_aes_cbc_chained(st->ph_aes, &st->ph_chain, st->iv, st->ct,
                              st->ct_len, st->pt, NULL) != PH_OK;
}

static int hex_aes_payhook(size_state *st)
{
    const unsigned char *pt;
    size_t n;
    int bad;

    /* Hex, AES and the PKCS#7 check, on the key's prepared context. */
    bad = ph_superpay_decrypt_hex(st->skey, NULL, st->hex, st->hex_len,
                                  st->hex_len, &st->scratch, &pt, &n,
                                  NULL) != PH_OK ||
          n != st->splain_len;
    if (!bad && st->count != NULL)
        bad = memcmp(pt, st->splain, n) != 0;
    ph_scratch_wipe(&st->scratch);
    return bad;
}

static int ct_scan(size_state *st)
{
    return !ph_json_ct_scan(st->padded, st->ct_len, st->work);
}

static int superpay_parse(size_state *st)
{
    void *root;

    return ph_json_parse(st->splain, st->splain_len, &noop_sink, st->count,
                         &st->scratch, &root, NULL) != PH_OK;
}

static int superpay_core(size_state *st)
{
    ph_request rq = { st->sbody, st->sbody_len, NULL, 0, NULL, 0 };
    ph_result r;
    void *root;
    int bad;

    bad = ph_gateway_open(st->sgkey, &rq, &st->opts, &st->scratch, &r, NULL) !=
              PH_OK ||
          ph_gateway_parse(st->sgkey, &r, &st->opts, &noop_sink, st->count,
                           &st->scratch, &root, NULL) != PH_OK;
    ph_scratch_wipe(&st->scratch);
    return bad;
}

static int event_parse(size_state *st)
{
    void *root;

    return ph_json_parse(st->event, st->event_len, &noop_sink, st->count,
                         &st->scratch, &root, NULL) != PH_OK;
}

static int gateway_core(size_state *st, size_t i)
{
    const ph_signed *cb = &st->gw[i].cb;
    ph_request rq = { cb->body,      cb->body_len, cb->headers,
                      cb->n_headers, NULL,         0 };
    ph_result r;
    void *root;
    int bad;

    bad = ph_gateway_open(st->gw[i].key, &rq, &st->opts, &st->scratch, &r,
                          NULL) != PH_OK ||
          ph_gateway_parse(st->gw[i].key, &r, &st->opts, &noop_sink, st->count,
                           &st->scratch, &root, NULL) != PH_OK;
    ph_scratch_wipe(&st->scratch);
    return bad;
}

/* One per entry of gw_names, in its order. */
static int gw0_core(size_state *st)
{
    return gateway_core(st, 0);
}
static int gw1_core(size_state *st)
{
    return gateway_core(st, 1);
}
static int gw2_core(size_state *st)
{
    return gateway_core(st, 2);
}
static int gw3_core(size_state *st)
{
    return gateway_core(st, 3);
}

typedef struct stage {
    const char *path; /* "leanx", "superpay", "event" or a gateway */
    const char *name; /* its key in the JSON */
    const char *label;
    int (*run)(size_state *st);
} stage;

static const stage stages[] = {
    { "leanx", "hmac_openssl_dup",
      "HMAC-SHA256 of the signing input, OpenSSL (EVP_MAC_CTX_dup of a "
      "keyed context per call)",
      hmac_dup },
    { "leanx", "hmac_openssl_reinit",
      "HMAC-SHA256 of the signing input, OpenSSL (one keyed context, "
      "EVP_MAC_init with the key kept)",
      hmac_reinit },
    { "leanx", "hmac_payhook",
      "HMAC-SHA256 of the signing input, payhook (prepared key, constant-"
      "time compare)",
      hmac_payhook },
    { "leanx", "b64url_payhook", "base64url of the payload segment, payhook",
      b64url_payhook },
    { "leanx", "b64_openssl",
      "base64 of the payload segment, OpenSSL EVP_DecodeBlock (standard "
      "alphabet, padded)",
      b64_openssl },
    { "leanx", "parse_noop", "strict JSON parse of the payload, no-op sink",
      leanx_parse },
    { "leanx", "core_noop",
      "payhook core: ph_gateway_open + ph_gateway_parse, no-op sink",
      leanx_core },
    { "superpay", "hex_payhook",
      "hex of the ciphertext, payhook (constant time)", hex_payhook },
    { "superpay", "aes_openssl",
      "AES-256-CBC decryption, OpenSSL (key schedule set once, no padding)",
      aes_openssl },
    { "superpay", "aes_payhook",
      "AES-256-CBC decryption, payhook (ph_aes_cbc_chained on a prepared "
      "context)",
      aes_payhook },
    { "superpay", "hex_aes_payhook",
      "hex + AES-256-CBC + PKCS#7 check, payhook (ph_superpay_decrypt_hex)",
      hex_aes_payhook },
    { "superpay", "ct_scan",
      "constant-time JSON scan of the plaintext (ph_json_ct_scan)", ct_scan },
    { "superpay", "parse_noop",
      "strict JSON parse of the plaintext, no-op sink", superpay_parse },
    { "superpay", "core_noop",
      "payhook core: ph_gateway_open + ph_gateway_parse, no-op sink",
      superpay_core },
};

#define NSTAGES (sizeof stages / sizeof stages[0])

/* The other gateways' cases, timed in rounds of their own (their sizes
 * are the event's, not the LeanX and SuperPay inputs'). */
#define GW_CORE_LABEL                                                         \
    "payhook core: ph_gateway_open + ph_gateway_parse of "                    \
    "the signed event, no-op sink"
static const stage gateway_stages[] = {
    { "event", "parse_noop", "strict JSON parse of the event, no-op sink",
      event_parse },
    { "standardwebhooks", "core_noop", GW_CORE_LABEL, gw0_core },
    { "stripe", "core_noop", GW_CORE_LABEL, gw1_core },
    { "razorpay", "core_noop", GW_CORE_LABEL, gw2_core },
    { "chip", "core_noop", GW_CORE_LABEL, gw3_core },
};

#define NGATEWAY_STAGES (sizeof gateway_stages / sizeof gateway_stages[0])

/* ------------------------------------------------------------------ */
/* Checks                                                              */

static void fail_check(const stage *sg, const char *size, const char *why)
{
    fprintf(stderr, "stages: %s %s at %s: %s\n", sg->path, sg->name, size,
            why);
    exit(1);
}

/* Each piece of `list` once, its output compared with what it must
 * give; every core ("core_noop") must hand the sink as many values as
 * the parse ("parse_noop") before it in the list.  The order matters:
 * hex before AES (the ciphertext). */
static void check_all(const stage *list, size_t n, size_state *st,
                      const char *size)
{
    size_t i, parse_count = 0, count = 0;

    st->count = &count;
    for (i = 0; i < n; i++) {
        const stage *sg = &list[i];
        count = 0;
        memset(st->mac, 0, sizeof st->mac);
        if (sg->run(st) != 0)
            fail_check(sg, size, "the call failed");
        if (sg->run == hmac_dup || sg->run == hmac_reinit) {
            if (memcmp(st->mac, st->sig, 32) != 0)
                fail_check(sg, size, "the MAC is not the token's signature");
        } else if (sg->run == b64url_payhook || sg->run == b64_openssl) {
            if (st->out_len < st->lpayload_len ||
                st->out_len > st->lpayload_len + 2 ||
                memcmp(st->out, st->lpayload, st->lpayload_len) != 0)
                fail_check(sg, size, "the decoded segment is not the payload");
        } else if (sg->run == hex_payhook) {
            char *again = xmalloc(st->hex_len);
            ph_hex_encode(st->ct, st->ct_len, again);
            if (memcmp(again, st->hex, st->hex_len) != 0)
                fail_check(sg, size, "hex does not round-trip");
            free(again);
        } else if (sg->run == aes_openssl || sg->run == aes_payhook) {
            if (memcmp(st->pt, st->splain, st->splain_len) != 0)
                fail_check(sg, size, "the decryption is not the plaintext");
            memset(st->pt, 0, st->ct_len);
        } else if (strcmp(sg->name, "parse_noop") == 0) {
            parse_count = count;
            if (count == 0)
                fail_check(sg, size, "the sink saw no value");
        } else if (strcmp(sg->name, "core_noop") == 0) {
            /* The same values as the plain parse of the same text. */
            if (count != parse_count)
                fail_check(sg, size, "a different number of values");
        }
    }
    st->count = NULL;
}

/* gateway_stages' cores run st->gw[0..3], which setup_gateways fills in
 * gw_names' order: the two lists must agree. */
static void check_gateway_order(void)
{
    size_t i;

    if (NGATEWAY_STAGES != NGATEWAYS + 1)
        die("gateway_stages is not the parse and one core per gateway");
    for (i = 0; i < NGATEWAYS; i++)
        if (strcmp(gateway_stages[i + 1].path, gw_names[i]) != 0)
            die("gateway_stages and gw_names are in different orders");
}

/* ------------------------------------------------------------------ */
/* Timing                                                              */

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double batch(const stage *sg, size_state *st, long n)
{
    double t0 = now_seconds();
    long i;
    int bad = 0;

    for (i = 0; i < n; i++)
        bad |= sg->run(st);
    if (bad)
        die("a piece failed while being timed");
    return now_seconds() - t0;
}

static long calibrate(const stage *sg, size_state *st, double target)
{
    long n = 1;

    for (;;) {
        double t = batch(sg, st, n);
        if (t >= target / 8 || n >= 1L << 22) {
            long m = (long)((double)n * target / (t > 1e-9 ? t : 1e-9));
            return m > 0 ? m : 1;
        }
        n *= 4;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double quantile(const double *sorted, int n, double q)
{
    double pos = (n - 1) * q;
    int lo = (int)pos, hi = lo + 1 < n ? lo + 1 : n - 1;

    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

static void add_stats(cJSON *obj, const double *samples, int rounds, long n)
{
    double *sorted = xmalloc(sizeof *sorted * (size_t)rounds);
    cJSON *by_round = cJSON_AddArrayToObject(obj, "rounds_us");
    int i;

    memcpy(sorted, samples, sizeof *sorted * (size_t)rounds);
    qsort(sorted, (size_t)rounds, sizeof *sorted, cmp_double);
    cJSON_AddNumberToObject(obj, "median_us", quantile(sorted, rounds, 0.5));
    cJSON_AddNumberToObject(obj, "p25_us", quantile(sorted, rounds, 0.25));
    cJSON_AddNumberToObject(obj, "p75_us", quantile(sorted, rounds, 0.75));
    cJSON_AddNumberToObject(obj, "min_us", sorted[0]);
    cJSON_AddNumberToObject(obj, "rounds", rounds);
    cJSON_AddNumberToObject(obj, "calls_per_batch", (double)n);
    for (i = 0; i < rounds; i++)
        cJSON_AddItemToArray(
            by_round,
            cJSON_CreateNumber((double)(long)(samples[i] * 1e4) / 1e4));
    free(sorted);
}

/* The n pieces of `list` on one size's state, in interleaved rounds. */
static cJSON *time_size(const stage *list, size_t n_stages, size_state *st,
                        int rounds, double batch_ms)
{
    double target = batch_ms / 1000, **samples;
    long *n;
    cJSON *out = cJSON_CreateObject();
    size_t i;
    int r;

    samples = xmalloc(sizeof *samples * n_stages);
    n = xmalloc(sizeof *n * n_stages);
    for (i = 0; i < n_stages; i++) {
        batch(&list[i], st, calibrate(&list[i], st, target));
        n[i] = calibrate(&list[i], st, target);
        samples[i] = xmalloc(sizeof **samples * (size_t)rounds);
    }
    for (r = 0; r < rounds; r++)
        for (i = 0; i < n_stages; i++) {
            size_t k = ((size_t)r + i) % n_stages;
            samples[k][r] = batch(&list[k], st, n[k]) / (double)n[k] * 1e6;
        }
    for (i = 0; i < n_stages; i++) {
        cJSON *group = cJSON_GetObjectItemCaseSensitive(out, list[i].path);
        cJSON *entry;
        if (group == NULL)
            group = cJSON_AddObjectToObject(out, list[i].path);
        entry = cJSON_AddObjectToObject(group, list[i].name);
        add_stats(entry, samples[i], rounds, n[i]);
        free(samples[i]);
    }
    free(samples);
    free(n);
    return out;
}

/* Each piece's label, under its path, into `labels`. */
static void add_labels(cJSON *labels, const stage *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        cJSON *group = cJSON_GetObjectItemCaseSensitive(labels, list[i].path);
        if (group == NULL)
            group = cJSON_AddObjectToObject(labels, list[i].path);
        if (cJSON_GetObjectItemCaseSensitive(group, list[i].name) == NULL)
            cJSON_AddStringToObject(group, list[i].name, list[i].label);
    }
}

/* A fresh state for one size of the manifest, its options' `now` the
 * current time; returns the size's label and notes when it began. */
static const char *begin_size(size_state *st, const cJSON *entry, double *t0);

/* One size's state: checked, timed into `into` under its size, freed. */
static void measure(const stage *list, size_t n, size_state *st,
                    const char *size, cJSON *into, int rounds, double batch_ms)
{
    check_all(list, n, st, size);
    cJSON_AddItemToObject(into, size,
                          time_size(list, n, st, rounds, batch_ms));
}

static void finished(size_state *st, const char *what, const char *size,
                     double t0)
{
    free_state(st);
    fprintf(stderr, "stages: %s at %s done in %.1f s (CPU)\n", what, size,
            now_seconds() - t0);
}

/* ------------------------------------------------------------------ */

static const char *manifest_string(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (!cJSON_IsString(item))
        die("the manifest lacks a name it needs");
    return item->valuestring;
}

static const char *begin_size(size_state *st, const cJSON *entry, double *t0)
{
    *t0 = now_seconds();
    memset(st, 0, sizeof *st);
    ph_options_init(&st->opts, (double)time(NULL));
    return manifest_string(entry, "size");
}

int main(int argc, char **argv)
{
    const char *dir, *out_path, *leanx_key, *superpay_key;
    int rounds = 61;
    double batch_ms = 2;
    size_t len;
    char *text, *json;
    cJSON *manifest, *cases, *entry, *result, *sizes, *bytes, *labels;
    cJSON *gw_cases, *gw_sizes, *gw_bytes;
    char *chip_private, *chip_public;
    gw_keys keys;
    FILE *f;

    if (argc < 3) {
        fprintf(stderr,
                "usage: stages INPUTS_DIR OUT.json [ROUNDS] [BATCH_MS]\n");
        return 2;
    }
    dir = argv[1];
    out_path = argv[2];
    if (argc > 3 && (rounds = atoi(argv[3])) < 1)
        die("ROUNDS must be at least 1");
    if (argc > 4 && (batch_ms = atof(argv[4])) <= 0)
        die("BATCH_MS must be positive");
    text = read_file(dir, "manifest.json", &len);
    if ((manifest = cJSON_Parse(text)) == NULL)
        die("manifest.json is not JSON");
    free(text);
    leanx_key = manifest_string(manifest, "leanx_key");
    superpay_key = manifest_string(manifest, "superpay_key");
    cases = cJSON_GetObjectItemCaseSensitive(manifest, "cases");
    if (!cJSON_IsArray(cases))
        die("the manifest has no cases");
    gw_cases = cJSON_GetObjectItemCaseSensitive(manifest, "gateway_cases");
    if (!cJSON_IsArray(gw_cases))
        die("the manifest has no gateway_cases");
    check_gateway_order();
    keys.text = manifest_string(manifest, "gateway_text_key");
    keys.whsec = manifest_string(manifest, "gateway_whsec");
    keys.chip_private = chip_private =
        read_file(dir, manifest_string(manifest, "chip_private_pem"), &len);
    keys.chip_public = chip_public =
        read_file(dir, manifest_string(manifest, "chip_public_pem"), &len);

    result = cJSON_CreateObject();
    cJSON_AddStringToObject(result, "clock", "CLOCK_PROCESS_CPUTIME_ID");
    cJSON_AddStringToObject(result, "openssl",
                            OpenSSL_version(OPENSSL_VERSION));
    cJSON_AddStringToObject(result, "payhook", ph_version());
    cJSON_AddNumberToObject(result, "rounds", rounds);
    cJSON_AddNumberToObject(result, "batch_ms", batch_ms);
    labels = cJSON_AddObjectToObject(result, "labels");
    add_labels(labels, stages, NSTAGES);
    add_labels(labels, gateway_stages, NGATEWAY_STAGES);
    sizes = cJSON_AddObjectToObject(result, "sizes");
    bytes = cJSON_AddObjectToObject(result, "bytes");
    cJSON_ArrayForEach(entry, cases)
    {
        size_state st;
        double t0;
        const char *size = begin_size(&st, entry, &t0);
        cJSON *b;

        st.lbody = read_file(dir, manifest_string(entry, "leanx_body"),
                             &st.lbody_len);
        st.lsigning =
            read_file(dir, manifest_string(entry, "leanx_signing_input"),
                      &st.lsigning_len);
        st.lpayload = read_file(dir, manifest_string(entry, "leanx_payload"),
                                &st.lpayload_len);
        st.sbody = read_file(dir, manifest_string(entry, "superpay_body"),
                             &st.sbody_len);
        st.splain = read_file(
            dir, manifest_string(entry, "superpay_plaintext"), &st.splain_len);
        setup_leanx(&st, leanx_key);
        setup_superpay(&st, superpay_key);
        measure(stages, NSTAGES, &st, size, sizes, rounds, batch_ms);
        b = cJSON_AddObjectToObject(bytes, size);
        cJSON_AddNumberToObject(b, "leanx_body", (double)st.lbody_len);
        cJSON_AddNumberToObject(b, "leanx_signing_input",
                                (double)st.lsigning_len);
        cJSON_AddNumberToObject(b, "leanx_payload", (double)st.lpayload_len);
        cJSON_AddNumberToObject(b, "superpay_body", (double)st.sbody_len);
        cJSON_AddNumberToObject(b, "superpay_plaintext",
                                (double)st.splain_len);
        finished(&st, "LeanX and SuperPay", size, t0);
    }
    gw_sizes = cJSON_AddObjectToObject(result, "gateway_sizes");
    gw_bytes = cJSON_AddObjectToObject(result, "gateway_bytes");
    cJSON_ArrayForEach(entry, gw_cases)
    {
        size_state st;
        double t0;
        const char *size = begin_size(&st, entry, &t0);
        size_t g;
        cJSON *b;

        st.event =
            read_file(dir, manifest_string(entry, "event"), &st.event_len);
        setup_gateways(&st, &keys);
        measure(gateway_stages, NGATEWAY_STAGES, &st, size, gw_sizes, rounds,
                batch_ms);
        b = cJSON_AddObjectToObject(gw_bytes, size);
        cJSON_AddNumberToObject(b, "event", (double)st.event_len);
        for (g = 0; g < NGATEWAYS; g++)
            cJSON_AddNumberToObject(b, gw_names[g],
                                    (double)st.gw[g].cb.body_len);
        finished(&st, "the other gateways", size, t0);
    }
    free(chip_private);
    free(chip_public);
    cJSON_Delete(manifest);
    if ((json = cJSON_Print(result)) == NULL)
        die("out of memory");
    if ((f = fopen(out_path, "w")) == NULL || fputs(json, f) < 0 ||
        fputc('\n', f) == EOF || fclose(f) != 0)
        die("cannot write the output");
    free(json);
    cJSON_Delete(result);
    return 0;
}
