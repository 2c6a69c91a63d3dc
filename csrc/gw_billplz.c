/* Billplz: the X Signature, HMAC-SHA256 in lower hex over every received
 * field but x_signature, each as name+value, sorted case-insensitively
 * (folded to lower case) and joined with '|'.  Bill callbacks and payout
 * (mass payment instruction) callbacks are form POSTs; the redirect is a
 * GET whose query names its fields billplz[...], read flattened:
 * billplz[id] is billplzid.  A present field with an empty value adds
 * its bare name. */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define SIGNATURE          "x_signature"
#define REDIRECT_SIGNATURE "billplzx_signature"

static int is_signature(const ph_str *name)
{
    return (name->len == sizeof SIGNATURE - 1 &&
            memcmp(name->ptr, SIGNATURE, name->len) == 0) ||
           (name->len == sizeof REDIRECT_SIGNATURE - 1 &&
            memcmp(name->ptr, REDIRECT_SIGNATURE, name->len) == 0);
}

static int covers_field(const char *name, size_t len)
{
    ph_str n = { name, len };

    return !is_signature(&n);
}

/* The lower-case fold of one byte (ASCII only: the guide's sort). */
static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* name+value against name+value, folded, then as bytes for a tie. */
static int compare_pairs(const ph_form_field *a, const ph_form_field *b)
{
    const ph_str *pa[2] = { &a->name, &a->value },
                 *pb[2] = { &b->name, &b->value };
    size_t ia = 0, ja = 0, ib = 0, jb = 0;
    int pass, tie = 0;

    for (pass = 0; pass < 2; pass++) {
        ia = ja = ib = jb = 0;
        for (;;) {
            int ea, eb;
            unsigned char ca, cb;
            while (ia < 2 && ja == pa[ia]->len) {
                ia++;
                ja = 0;
            }
            while (ib < 2 && jb == pb[ib]->len) {
                ib++;
                jb = 0;
            }
            ea = ia == 2;
            eb = ib == 2;
            if (ea || eb) {
                if (ea != eb)
                    return ea ? -1 : 1;
                break;
            }
            ca = (unsigned char)pa[ia]->ptr[ja++];
            cb = (unsigned char)pb[ib]->ptr[jb++];
            if (pass == 0) {
                ca = fold(ca);
                cb = fold(cb);
            }
            if (ca != cb)
                return ca < cb ? -1 : 1;
        }
        (void)tie;
    }
    return 0;
}

static ph_status billplz_digest(const ph_gateway_key *k, size_t key_index,
                                const ph_result *r, ph_scratch *s,
                                unsigned char *out, ph_error *err)
{
    const ph_form_field *order[PH_FORM_MAX_FIELDS];
    ph_str parts[3 * PH_FORM_MAX_FIELDS];
    size_t n = 0, i, j, np = 0, len;

    (void)s;
    for (i = 0; i < r->n_fields; i++)
        if (!is_signature(&r->fields[i].name))
            order[n++] = &r->fields[i];
    /* Insertion sort: 128 fields at most. */
    for (i = 1; i < n; i++) {
        const ph_form_field *x = order[i];
        for (j = i; j > 0 && compare_pairs(order[j - 1], x) > 0; j--)
            order[j] = order[j - 1];
        order[j] = x;
    }
    for (i = 0; i < n; i++) {
        if (i > 0)
            parts[np++] = (ph_str){ "|", 1 };
        parts[np++] = order[i]->name;
        parts[np++] = order[i]->value;
    }
    return ph_hmac_keys_mac_at(&k->hmac, key_index, parts, np, out, &len, err);
}

static const char *const no_fields[] = { NULL };

static const ph_form_scheme billplz_form = {
    .signature = SIGNATURE,
    .redirect_signature = REDIRECT_SIGNATURE,
    .required = no_fields,
    .digest_len = 32,
    .hmac = 1,
    .digest = billplz_digest,
    .redirect_sent_as = "billplz[x_signature]",
    .redirect_sent_encoded = "billplz%5Bx_signature%5D",
};

const ph_gateway ph_gw_billplz = {
    .name = "billplz",
    .title = "Billplz",
    .key_kind = PH_KEY_SECRET_TEXT,
    .digest = PH_DIGEST_SHA256, /* the X Signature's HMAC */
    .covers = PH_COVERS_FIELDS,
    .payload_kind = PH_PAYLOAD_FORM,
    .covers_field = covers_field,
    /* Bills, payouts (mass payment instructions), redirects. */
    .event = { { { "id", "state", NULL } },
               { { "id", "status", NULL } },
               { { "billplzid", "billplzpaid", NULL } } },
    .reply = { 200, "", 0, "text/plain", NULL, 0 },
    .authenticate = ph_form_authenticate,
    .parse = ph_form_parse_step,
    .sign = ph_form_sign,
    .form = &billplz_form,
};
