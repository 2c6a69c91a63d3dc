#!/usr/bin/env python3
"""Write csrc/json_ct_table.h: the automaton of the constant-time JSON check.

The check (csrc/json_ct.c) reads every byte of a decrypted SuperPay
plaintext through one table lookup, whatever the bytes are, so that its time
depends on the length alone.  The grammar it accepts is exactly the one of
the strict parser in json_parse.c with a top-level object:

- the automaton below covers everything that needs no memory of nesting:
  tokens, strings (escapes, \\u with surrogate pairs, UTF-8 as Python's
  decoder accepts it, no raw control characters), numbers, literals, and
  which token may follow which;
- each transition also carries an event for the nesting check that
  json_ct.c keeps beside it (a stack of container types in two registers):
  open an object or array, close one (the type must match), and the two
  rules the automaton cannot see without that stack: a key and ':' only in
  an object, an item without a key only in an array.

Run it after changing the grammar: `python3 csrc/gen_json_ct.py`; the C test
suite checks that the header is what this script writes.
"""

from __future__ import annotations

import os
import sys

# ---------------------------------------------------------------- classes

CLASSES: list[str] = []
CLASS_OF: dict[int, int] = {}


def cls(name: str, chars) -> None:
    CLASSES.append(name)
    for c in chars:
        b = ord(c) if isinstance(c, str) else c
        assert b not in CLASS_OF, (name, b)
        CLASS_OF[b] = len(CLASSES) - 1


cls("SPACE", " ")
cls("WSCTL", "\t\n\r")                # whitespace outside strings only
cls("LBRACE", "{")
cls("RBRACE", "}")
cls("LBRACK", "[")
cls("RBRACK", "]")
cls("COLON", ":")
cls("COMMA", ",")
cls("QUOTE", '"')
cls("BSLASH", "\\")
cls("SLASH", "/")
cls("ZERO", "0")
cls("D1_7", "1234567")
cls("D8_9", "89")
cls("MINUS", "-")
cls("PLUS", "+")
cls("DOT", ".")
cls("a", "a")                         # hex; "false"
cls("b", "b")                         # hex; escape \b
cls("c", "c")                         # hex
cls("d", "d")                         # hex; surrogate lead
cls("e", "e")                         # hex; exponent; "true", "false"
cls("f", "f")                         # hex; escape \f; "false"
cls("AB", "AB")                       # hex
cls("CF", "CF")                       # hex
cls("D", "D")                         # hex; surrogate lead
cls("E", "E")                         # hex; exponent
cls("l", "l")                         # "false", "null"
cls("n", "n")                         # escape \n; "null"
cls("r", "r")                         # escape \r; "true"
cls("s", "s")                         # "false"
cls("t", "t")                         # escape \t; "true"
cls("u", "u")                         # escape \u; "true", "null"
cls("CTL", [b for b in range(0x20) if b not in (9, 10, 13)])
cls("U80_8F", range(0x80, 0x90))
cls("U90_9F", range(0x90, 0xA0))
cls("UA0_BF", range(0xA0, 0xC0))
cls("UC2_DF", range(0xC2, 0xE0))
cls("UE0", [0xE0])
cls("UE1_EF", [b for b in range(0xE1, 0xF0) if b != 0xED])
cls("UED", [0xED])
cls("UF0", [0xF0])
cls("UF1_F3", range(0xF1, 0xF4))
cls("UF4", [0xF4])
cls("UBAD", [0xC0, 0xC1] + list(range(0xF5, 0x100)))
cls("OTHER", [b for b in range(0x20, 0x80) if b not in CLASS_OF])
assert len(CLASS_OF) == 256

C = {name: i for i, name in enumerate(CLASSES)}


def chars(*names: str) -> list[int]:
    return [C[n] for n in names]


HEX = chars("ZERO", "D1_7", "D8_9", "a", "b", "c", "d", "e", "f", "AB", "CF",
            "D", "E")
HEX_LEAD_D = chars("d", "D")                         # \uD...
HEX_HIGH2 = chars("D8_9", "a", "b", "AB")            # \uD8..\uDB
HEX_LOW2 = chars("c", "d", "e", "f", "CF", "D", "E")  # \uDC..\uDF
DIGITS = chars("ZERO", "D1_7", "D8_9")
WS = chars("SPACE", "WSCTL")
STRING_PLAIN = [i for i in range(len(CLASSES))
                if CLASSES[i] not in ("QUOTE", "BSLASH", "WSCTL", "CTL")
                and not CLASSES[i].startswith("U")]
ESCAPES = chars("QUOTE", "BSLASH", "SLASH", "b", "f", "n", "r", "t")

# ----------------------------------------------------------------- events
# What a step does to the nesting check in json_ct.c, as the bits of its
# event byte.  The rules are written as "the step is wrong when the
# innermost open container is ...", for the three cases json_ct.c tells
# apart: 0 an array, 1 an object, 2 nothing open (before the top-level
# object or after it closed).
PUSH_ARR = 1      # open an array
PUSH_OBJ = 2      # open an object
POP = 3           # close the innermost container (bits 0-1 together)
NUMBER = 4        # this byte is part of a number, past its sign
IN_ARR, IN_OBJ, AT_TOP = 8, 16, 32           # bad when the context is ...
# Two marks for the parser that builds the values afterwards (json_parse.c
# reads them to skip through strings): a backslash inside a string, and a
# string's closing quote.
ESCAPE = 64
STRING_END = 128

NEED_OBJ = IN_ARR | AT_TOP                    # ':' after a key
NEED_ARR = IN_OBJ | AT_TOP                    # an item with no key
NEED_OPEN = AT_TOP                            # ',' after a value
CLOSE_OBJ = POP | NEED_OBJ                    # '}'
CLOSE_ARR = POP | NEED_ARR                    # ']'

# ----------------------------------------------------------------- states

STATES: list[str] = []


def state(name: str) -> str:
    STATES.append(name)
    return name


ERR = state("ERR")
START = state("START")        # before the top-level '{'
OPEN = state("OPEN")          # after '{' or '[': an item or the close
ITEM = state("ITEM")          # after ',': an item
AFTER_KEY = state("AFTER_KEY")  # after a string in item position
VALUE = state("VALUE")        # after ':'
AFTER = state("AFTER")        # after a value: ',' or a close
NUM_STATES = {
    "NM": "after '-'", "NZ": "after a leading 0", "NI": "integer digits",
    "ND": "after '.'", "NF": "fraction digits", "NE": "after e/E",
    "NS": "after the exponent sign", "NX": "exponent digits",
}
for n in NUM_STATES:
    state(n)
LITERALS = {"true": "T", "false": "F", "null": "L"}
for word, tag in LITERALS.items():
    for i in range(1, len(word)):
        state(f"{tag}{i}")    # T1 = seen "t", T2 = "tr", ...
STRING_SUB = ["IN", "ESC", "U1", "U2", "U2D", "U3", "U3H", "U4", "U4H",
              "PBS", "PU", "PD", "PC", "C1", "C2", "C3", "E0", "ED", "F0",
              "F4"]
for kind in ("K", "V"):       # K: may be a key; V: a value after ':'
    for sub in STRING_SUB:
        state(f"{kind}_{sub}")

NSTATES = len(STATES)
NCLASSES = len(CLASSES)
S = {name: i for i, name in enumerate(STATES)}

# NEXT[state][class] = (state, event); ERR unless set
NEXT = [[(ERR, 0)] * NCLASSES for _ in range(NSTATES)]


def on(src: str, classes, dst: str, event: int = 0) -> None:
    if isinstance(classes, int):
        classes = [classes]
    for c in classes:
        NEXT[S[src]][c] = (dst, event)


# START: whitespace, then the top-level object.
on(START, WS, START)
on(START, C["LBRACE"], OPEN, PUSH_OBJ)   # the only step at the top


def value_start(src: str, item: bool, string_to: str) -> None:
    """What may begin a value in `src`.  In item position (after '{', '['
    or ',') a value with no key is only allowed in an array; a string may
    still turn out to be a key."""
    need = NEED_ARR if item else 0
    on(src, C["LBRACE"], OPEN, PUSH_OBJ | need)
    on(src, C["LBRACK"], OPEN, PUSH_ARR | need)
    on(src, C["QUOTE"], string_to)
    on(src, C["MINUS"], "NM", need)
    on(src, C["ZERO"], "NZ", need | NUMBER)
    on(src, chars("D1_7", "D8_9"), "NI", need | NUMBER)
    on(src, C["t"], "T1", need)
    on(src, C["f"], "F1", need)
    on(src, C["n"], "L1", need)


def close(src: str, event: int = 0) -> None:
    """',' and the closing brackets after a complete item."""
    on(src, C["COMMA"], ITEM, NEED_OPEN | event)
    on(src, C["RBRACE"], AFTER, CLOSE_OBJ | event)
    on(src, C["RBRACK"], AFTER, CLOSE_ARR | event)


for src in (OPEN, ITEM, VALUE):
    on(src, WS, src)
value_start(OPEN, True, "K_IN")
value_start(ITEM, True, "K_IN")
value_start(VALUE, False, "V_IN")
# An empty container closes straight away (the type still has to match).
on(OPEN, C["RBRACE"], AFTER, CLOSE_OBJ)
on(OPEN, C["RBRACK"], AFTER, CLOSE_ARR)

# A string in item position: a key if ':' follows, else an array item.
on(AFTER_KEY, WS, AFTER_KEY)
on(AFTER_KEY, C["COLON"], VALUE, NEED_OBJ)
on(AFTER_KEY, C["COMMA"], ITEM, NEED_ARR)
on(AFTER_KEY, C["RBRACK"], AFTER, CLOSE_ARR)
# '}' straight after a string item is an object member without a value.

on(AFTER, WS, AFTER)
close(AFTER)

# Numbers: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
on("NM", C["ZERO"], "NZ", NUMBER)
on("NM", chars("D1_7", "D8_9"), "NI", NUMBER)
on("NI", DIGITS, "NI", NUMBER)
for src in ("NZ", "NI"):
    on(src, C["DOT"], "ND", NUMBER)
on("ND", DIGITS, "NF", NUMBER)
on("NF", DIGITS, "NF", NUMBER)
for src in ("NZ", "NI", "NF"):
    on(src, chars("e", "E"), "NE", NUMBER)
on("NE", chars("PLUS", "MINUS"), "NS", NUMBER)
for src in ("NE", "NS", "NX"):
    on(src, DIGITS, "NX", NUMBER)
for src in ("NZ", "NI", "NF", "NX"):      # a number ends at a delimiter
    on(src, WS, AFTER)
    close(src)

# Literals: each letter in turn; the last one completes the value.
for word, tag in LITERALS.items():
    for i in range(1, len(word)):
        nxt = f"{tag}{i + 1}" if i + 1 < len(word) else AFTER
        on(f"{tag}{i}", C[word[i]], nxt)

# Strings.
for kind, done in (("K", AFTER_KEY), ("V", AFTER)):
    def k(sub: str) -> str:
        return f"{kind}_{sub}"

    on(k("IN"), STRING_PLAIN, k("IN"))
    on(k("IN"), C["QUOTE"], done, STRING_END)
    on(k("IN"), C["BSLASH"], k("ESC"), ESCAPE)
    # UTF-8 as Python decodes it: no overlong forms, no surrogates, nothing
    # past U+10FFFF.
    on(k("IN"), C["UC2_DF"], k("C1"))
    on(k("IN"), C["UE0"], k("E0"))
    on(k("IN"), C["UE1_EF"], k("C2"))
    on(k("IN"), C["UED"], k("ED"))
    on(k("IN"), C["UF0"], k("F0"))
    on(k("IN"), C["UF1_F3"], k("C3"))
    on(k("IN"), C["UF4"], k("F4"))
    CONT = chars("U80_8F", "U90_9F", "UA0_BF")
    on(k("C1"), CONT, k("IN"))
    on(k("C2"), CONT, k("C1"))
    on(k("C3"), CONT, k("C2"))
    on(k("E0"), C["UA0_BF"], k("C1"))
    on(k("ED"), chars("U80_8F", "U90_9F"), k("C1"))
    on(k("F0"), chars("U90_9F", "UA0_BF"), k("C2"))
    on(k("F4"), C["U80_8F"], k("C2"))
    # Escapes.
    on(k("ESC"), ESCAPES, k("IN"))
    on(k("ESC"), C["u"], k("U1"))
    on(k("U1"), HEX_LEAD_D, k("U2D"))
    on(k("U1"), [h for h in HEX if h not in HEX_LEAD_D], k("U2"))
    on(k("U2"), HEX, k("U3"))
    on(k("U2D"), [h for h in HEX if h not in HEX_HIGH2 + HEX_LOW2], k("U3"))
    on(k("U2D"), HEX_HIGH2, k("U3H"))       # a high surrogate ...
    # ... and \uDC00-\uDFFF on its own is an error.
    on(k("U3"), HEX, k("U4"))
    on(k("U4"), HEX, k("IN"))
    on(k("U3H"), HEX, k("U4H"))
    on(k("U4H"), HEX, k("PBS"))
    on(k("PBS"), C["BSLASH"], k("PU"), ESCAPE)  # ... must be followed by
    on(k("PU"), C["u"], k("PD"))            # \uDC00-\uDFFF
    on(k("PD"), HEX_LEAD_D, k("PC"))
    on(k("PC"), HEX_LOW2, k("U3"))

ACCEPT = AFTER      # with nothing open: the top-level object has closed


# ------------------------------------------------------------------ write

def render() -> str:
    cells = NCLASSES * NSTATES
    out = []
    out.append("/* Generated by csrc/gen_json_ct.py: do not edit. */")
    out.append("#ifndef PAYHOOK_JSON_CT_TABLE_H")
    out.append("#define PAYHOOK_JSON_CT_TABLE_H")
    out.append("")
    out.append("#include <stdint.h>")
    out.append("")
    out.append(f"#define JCT_CLASSES {NCLASSES}")
    out.append(f"#define JCT_STATES {NSTATES}")
    out.append(f"#define JCT_START {S[START]}")
    out.append(f"#define JCT_ACCEPT {S[ACCEPT]}")
    for name, bit in (("PUSH_ARR", PUSH_ARR), ("PUSH_OBJ", PUSH_OBJ),
                      ("POP", POP), ("NUMBER", NUMBER), ("ESCAPE", ESCAPE),
                      ("STRING_END", STRING_END)):
        out.append(f"#define JCT_{name} {bit}u")
    out.append("#define JCT_STACK 3u      /* bits 0-1: the stack step */")
    out.append("#define JCT_BAD_SHIFT 3   /* bits 3-5: bad in context 0-2 */")
    out.append("")
    # Column-major, one byte per state: the state read from the table is
    # the index into the next byte's column as it is, so the chain of
    # states in json_ct.c is one load per byte with nothing to add.
    out.append("/* Byte to the offset of its class's column (class * "
               "JCT_STATES). */")
    out.append("static const uint16_t jct_column[256] = {")
    row = [str(CLASS_OF[b] * NSTATES) for b in range(256)]
    for i in range(0, 256, 12):
        out.append("    " + ", ".join(row[i:i + 12]) + ",")
    out.append("};")
    out.append("")
    out.append(f"#define JCT_CELLS {cells}")
    out.append("")
    out.append("/* Column plus state: [0] the next state, [1] the event of "
               "that step.  One")
    out.append(" * array, so that both are at fixed distances from the "
               "column's start. */")
    out.append("static const uint8_t jct_step[2][JCT_CELLS] = {")
    for pick, what in ((0, "next state"), (1, "event")):
        out.append(f"    {{ /* {what} */")
        for ci, name in enumerate(CLASSES):
            vals = [str(S[NEXT[si][ci][0]] if pick == 0 else NEXT[si][ci][1])
                    for si in range(NSTATES)]
            out.append(f"        /* {name} */")
            for i in range(0, NSTATES, 16):
                out.append("        " + ", ".join(vals[i:i + 16]) + ",")
        out.append("    },")
    out.append("};")
    out.append("")
    out.append("#endif")
    return "\n".join(out) + "\n"


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "json_ct_table.h")
    text = render()
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        with open(path, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{path} is out of date: run {sys.argv[0]}")
                return 1
        return 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
