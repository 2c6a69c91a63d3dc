#!/usr/bin/env python3
"""Write csrc/json_ct_table.h: the automaton of the constant-time JSON check.

The check (csrc/json_ct.c) takes every byte of a decrypted SuperPay
plaintext through the same steps, whatever the bytes are, so that its time
depends on the length alone.  The automaton covers everything of the strict
parser's grammar (json_parse.c, with a top-level object) that needs no
memory: tokens, strings (escapes, \\u with surrogate pairs, UTF-8 as
Python's decoder accepts it, no raw control characters), numbers, literals,
and which token may follow which.  What needs memory (bracket types, the
depth limit, ':' only in objects, nothing after the top-level object, the
length of a number) is left to the parse that follows (see json_ct.c).

The states are minimised, and there must be at most 64 of them: the fast
form of the scan holds one state per byte lane of a 64-byte vector.  The
distinct two-step functions (one class, then another) are tabulated too,
for the forms that take two bytes per load; there must be at most 256.

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

# NEXT[state][class] = the next state; ERR unless set
NEXT = [[ERR] * NCLASSES for _ in range(NSTATES)]


def on(src: str, classes, dst: str) -> None:
    if isinstance(classes, int):
        classes = [classes]
    for c in classes:
        NEXT[S[src]][c] = dst


# START: whitespace, then the top-level object.
on(START, WS, START)
on(START, C["LBRACE"], OPEN)   # the only step at the top


def value_start(src: str, string_to: str) -> None:
    """What may begin a value in `src`.  In item position (after '{', '['
    or ',') a string may still turn out to be a key; whether a value with
    no key is in an array is the parse's to check."""
    on(src, C["LBRACE"], OPEN)
    on(src, C["LBRACK"], OPEN)
    on(src, C["QUOTE"], string_to)
    on(src, C["MINUS"], "NM")
    on(src, C["ZERO"], "NZ")
    on(src, chars("D1_7", "D8_9"), "NI")
    on(src, C["t"], "T1")
    on(src, C["f"], "F1")
    on(src, C["n"], "L1")


def close(src: str) -> None:
    """',' and the closing brackets after a complete item."""
    on(src, C["COMMA"], ITEM)
    on(src, C["RBRACE"], AFTER)
    on(src, C["RBRACK"], AFTER)


for src in (OPEN, ITEM, VALUE):
    on(src, WS, src)
value_start(OPEN, "K_IN")
value_start(ITEM, "K_IN")
value_start(VALUE, "V_IN")
# An empty container closes straight away (the parse matches the type).
on(OPEN, C["RBRACE"], AFTER)
on(OPEN, C["RBRACK"], AFTER)

# A string in item position: a key if ':' follows, else an array item.
on(AFTER_KEY, WS, AFTER_KEY)
on(AFTER_KEY, C["COLON"], VALUE)
on(AFTER_KEY, C["COMMA"], ITEM)
on(AFTER_KEY, C["RBRACK"], AFTER)
# '}' straight after a string item is an object member without a value.

on(AFTER, WS, AFTER)
close(AFTER)

# Numbers: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
on("NM", C["ZERO"], "NZ")
on("NM", chars("D1_7", "D8_9"), "NI")
on("NI", DIGITS, "NI")
for src in ("NZ", "NI"):
    on(src, C["DOT"], "ND")
on("ND", DIGITS, "NF")
on("NF", DIGITS, "NF")
for src in ("NZ", "NI", "NF"):
    on(src, chars("e", "E"), "NE")
on("NE", chars("PLUS", "MINUS"), "NS")
for src in ("NE", "NS", "NX"):
    on(src, DIGITS, "NX")
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
    on(k("IN"), C["QUOTE"], done)
    on(k("IN"), C["BSLASH"], k("ESC"))
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
    on(k("PBS"), C["BSLASH"], k("PU"))      # ... must be followed by
    on(k("PU"), C["u"], k("PD"))            # \uDC00-\uDFFF
    on(k("PD"), HEX_LEAD_D, k("PC"))
    on(k("PC"), HEX_LOW2, k("U3"))

ACCEPT = AFTER      # after a value: with the parse's nesting check, the
                    # top-level object has closed


# --------------------------------------------------------------- minimise

def minimise() -> tuple[list[int], int]:
    """Merge the states no text can tell apart (Moore's refinement: the
    same acceptance, and the same class of next state on every byte
    class).  Returns each state's number in the minimal automaton, numbered
    in the order of the states above (so ERR stays 0), and the count."""
    block = [int(STATES[s] == ACCEPT) + 2 * int(STATES[s] == ERR)
             for s in range(NSTATES)]
    while True:
        seen: dict[tuple, int] = {}
        refined = [seen.setdefault(
            (block[s],) + tuple(block[S[NEXT[s][c]]] for c in range(NCLASSES)),
            len(seen)) for s in range(NSTATES)]
        done = len(seen) == len(set(block))
        block = refined
        if done:
            break
    number: dict[int, int] = {}
    for b in block:
        number.setdefault(b, len(number))
    return [number[b] for b in block], len(number)


MIN_OF, MIN_STATES = minimise()
assert MIN_STATES <= 64, MIN_STATES
assert MIN_OF[S[ERR]] == 0


def class_rows() -> list[list[int]]:
    """Each class's row over the 64 lanes: the minimised next state of each
    minimised state, the lanes past MIN_STATES going to the error state."""
    rep: dict[int, int] = {}
    for s in range(NSTATES):
        rep.setdefault(MIN_OF[s], s)
    return [[MIN_OF[S[NEXT[rep[m]][ci]]] if m in rep else 0
             for m in range(64)] for ci in range(NCLASSES)]


def pair_rows() -> tuple[list[list[int]], list[list[int]]]:
    """The distinct two-step functions (class a, then class b), in the
    order first met, and for each pair of classes the index of its own."""
    index: dict[tuple, int] = {}
    of = [[index.setdefault(tuple(ROWS[b][ROWS[a][s]] for s in range(64)),
                            len(index))
           for b in range(NCLASSES)] for a in range(NCLASSES)]
    return [list(f) for f in index], of


ROWS = class_rows()
PAIR_ROWS, PAIR_OF = pair_rows()
# One byte holds a pair's index; the rows must also fit beside the others
# in a first-level data cache (all of them are read before each scan).
assert len(PAIR_ROWS) <= 256, len(PAIR_ROWS)


# ------------------------------------------------------------------ write

def rows_table(out: list[str], decl: str, rows: list) -> None:
    """A table of 64-byte rows, aligned to a cache line; each row is
    (comment or None, its 64 values)."""
    out.append(f"static const _Alignas(64) uint8_t {decl} = {{")
    for comment, vals in rows:
        assert len(vals) == 64
        out.append(f"    {{ /* {comment} */" if comment else "    {")
        text = [str(v) for v in vals]
        for i in range(0, 64, 16):
            out.append("        " + ", ".join(text[i:i + 16]) + ",")
        out.append("    },")
    out.append("};")


def render() -> str:
    out = []
    out.append("/* Generated by csrc/gen_json_ct.py: do not edit. */")
    out.append("#ifndef PAYHOOK_JSON_CT_TABLE_H")
    out.append("#define PAYHOOK_JSON_CT_TABLE_H")
    out.append("")
    out.append("#include <stdint.h>")
    out.append("")
    out.append(f"#define JCT_CLASSES {NCLASSES}")
    out.append(f"#define JCT_STATES {MIN_STATES} /* minimised from "
               f"{NSTATES}; at most 64 */")
    out.append(f"#define JCT_START {MIN_OF[S[START]]}")
    out.append(f"#define JCT_ACCEPT {MIN_OF[S[ACCEPT]]}")
    out.append("")
    out.append("/* Byte to its class. */")
    out.append("static const uint8_t jct_class[256] = {")
    row = [str(CLASS_OF[b]) for b in range(256)]
    for i in range(0, 256, 16):
        out.append("    " + ", ".join(row[i:i + 16]) + ",")
    out.append("};")
    out.append("")
    # One 64-byte row per class, indexed by the state: the state read from
    # the table is the index into the next byte's row as it is, and a row
    # is one vector for the composed form of the scan.
    out.append("/* jct_next[class][state]: the next state (rows of 64, "
               "the lanes past")
    out.append(" * JCT_STATES go to state 0, the error state). */")
    rows_table(out, "jct_next[JCT_CLASSES][64]",
               [(name, ROWS[ci]) for ci, name in enumerate(CLASSES)])
    out.append("")
    # Two bytes at a time: the pair of classes names one of the distinct
    # two-step functions, and that function's row is one load, so a chain
    # of states has half the loads.
    out.append(f"#define JCT_PAIRS {len(PAIR_ROWS)}")
    out.append("")
    out.append("/* jct_pair[first class][second class]: the row of "
               "jct_next2 for the two")
    out.append(" * bytes (columns past JCT_CLASSES are never read; they "
               "pad a row to 64). */")
    rows_table(out, "jct_pair[JCT_CLASSES][64]",
               [(f"{name}, then each class",
                 PAIR_OF[a] + [0] * (64 - NCLASSES))
                for a, name in enumerate(CLASSES)])
    out.append("")
    out.append("/* jct_next2[pair][state]: the state after the two bytes. */")
    rows_table(out, "jct_next2[JCT_PAIRS][64]",
               [(None, f) for f in PAIR_ROWS])
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
