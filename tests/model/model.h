/*
 * Reference models: the rules of a payhook parser written again, plainly,
 * one byte at a time, with no shared code and none of the parser's tricks
 * (word-at-a-time runs, lookup tables, lead-byte ranges).  The C suite
 * (tests/c) and the fuzz harnesses (fuzz/) both hold the library to these,
 * so there is one model of each rule set to keep in step with the code.
 */
#ifndef PAYHOOK_TEST_MODEL_H
#define PAYHOOK_TEST_MODEL_H

#include <stddef.h>

/* The value of a hexadecimal digit in either case, or -1. */
int model_hex_digit(int c);

/* Whether s[0..len) is UTF-8 as RFC 3629 allows it: each sequence is
 * decoded and then judged by its value (no overlong form, no surrogate,
 * nothing above U+10FFFF), where the library judges by the lead byte. */
int model_utf8_ok(const unsigned char *s, size_t len);

/* One field of a decoded form; the bytes are in the caller's buffer. */
typedef struct model_form_field {
    const unsigned char *name, *value;
    size_t name_len, value_len;
} model_form_field;

/*
 * ph_form_parse's rules: an empty text is no fields; otherwise every
 * '&'-separated segment has a '=', a name that decodes to at least one
 * byte, '+' for a space, '%' only before two hex digits, a name and a
 * value that decode to valid UTF-8, no name twice and at most `max`
 * fields.  Returns the number of fields, or -1 when the form is refused.
 * The decoded bytes are written to `buf`, which needs room for `len`
 * bytes (decoding never makes a part longer).
 */
long model_form_parse(const char *text, size_t len, model_form_field *f,
                      size_t max, unsigned char *buf);

#endif
