/* The HMAC algorithms a JWT may name, shared by verify and sign. */
#ifndef PAYHOOK_JWT_INTERNAL_H
#define PAYHOOK_JWT_INTERNAL_H

#include <stdlib.h>

#include "mac_key.h"

#define PH_ALG_COUNT 3
#define PH_ALG_ALL   (PH_ALG_HS256 | PH_ALG_HS384 | PH_ALG_HS512)

typedef struct ph_alg {
    unsigned bit;
    const char *name;   /* as in the JWS "alg" header */
    const char *digest; /* OpenSSL digest name */
    ph_mac_hash hash;
    size_t digest_len;
} ph_alg;

extern const ph_alg ph_alg_info[PH_ALG_COUNT];

#endif
