"""payhook's form parser, differentially, against Python's urllib.

`payhook._payhook.parse_form(data)` reads an
application/x-www-form-urlencoded text (the body or query of the Billplz,
Fiuu, senangPay and toyyibPay callbacks) into a list of (name, value)
pairs, or raises payhook.DecodeError.  The reference is

    urllib.parse.parse_qsl(text, keep_blank_values=True,
                           strict_parsing=True, errors="strict",
                           separator="&")

on the input decoded as strict UTF-8.  parse_qsl takes text, so an input
that is not UTF-8 as it stands cannot be handed to it that way; payhook
checks the *decoded* names and values (FORM_VECTORS.md), so `%C3` followed
by a raw 0xA9 byte is a valid é.  Such an input is read byte for byte
(latin-1 in, latin-1 out) by the same parse_qsl call, and each decoded
name and value must then be UTF-8 (test_urllib_readings_agree shows the
two readings agree wherever both apply).  Either reading raising
ValueError or UnicodeDecodeError is urllib refusing.

The relation checked:

* urllib refuses: payhook refuses.
* urllib accepts, and the input has no empty name, no name twice (once
  decoded), no `%` without two hex digits after it, and at most 128
  fields: payhook returns exactly urllib's list.
* urllib accepts one of those four: payhook refuses (it is stricter there
  on purpose; parse_qsl keeps both values of a repeated name, takes an
  empty name and leaves a bad escape as it is).

The inputs are a few thousand from a fixed-seed generator biased toward
the characters that matter (`&`, `=`, `+`, `%`, hex digits, `%C3`, `%FF`,
`%zz`, multibyte UTF-8, raw bytes that are not UTF-8, empty segments) and
a hand-written hostile list, each entry with its outcome written out, so
that the reference itself is checked too.  The same inputs also go through
the reference model of tests/vectors/generate_forms.py.

The module is skipped until the core's parse_form is built.
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

import payhook
from payhook import _payhook

if not hasattr(_payhook, "parse_form"):
    pytest.skip("payhook._payhook.parse_form is not built yet",
                allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"
GENERATOR = VECTORS / "generate_forms.py"
FILES = ("billplz", "fiuu", "senangpay", "senangpay_md5", "toyyibpay")
MAX_FIELDS = 128
SEED = 20231114
REFUSE = "refuse"


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_forms",
                                                  GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------
# The reference


def _qsl(text: str, encoding: str = "utf-8") -> list:
    return parse_qsl(text, keep_blank_values=True, strict_parsing=True,
                     encoding=encoding, errors="strict", separator="&")


def urllib_utf8(data: bytes) -> list:
    """parse_qsl on the input as UTF-8 text (raises if either refuses)."""
    return _qsl(data.decode("utf-8"))


def urllib_bytes(data: bytes) -> list:
    """parse_qsl reading the input byte for byte, then each decoded name
    and value as strict UTF-8 (raises if either refuses)."""
    pairs = _qsl(data.decode("latin-1"), "latin-1")
    return [(n.encode("latin-1").decode("utf-8"),
             v.encode("latin-1").decode("utf-8")) for n, v in pairs]


def urllib_reading(data: bytes) -> list:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return urllib_bytes(data)
    return urllib_utf8(data)


_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def expected(data: bytes) -> tuple:
    """(pairs, None) where payhook must return pairs, or (REFUSE, why)."""
    try:
        pairs = urllib_reading(data)
    except (ValueError, UnicodeDecodeError) as e:
        return REFUSE, f"urllib refuses ({type(e).__name__})"
    names = [n for n, _ in pairs]
    if "" in names:
        return REFUSE, "an empty name"
    if len(set(names)) != len(names):
        return REFUSE, "a name twice"
    if _BAD_ESCAPE.search(data):
        return REFUSE, "a % without two hex digits"
    if len(pairs) > MAX_FIELDS:
        return REFUSE, "more than 128 fields"
    return pairs, None


def payhook_reading(data: bytes) -> Any:
    """What parse_form gives, or REFUSE for DecodeError; anything else it
    raises is a failure."""
    try:
        return _payhook.parse_form(data)
    except payhook.DecodeError:
        return REFUSE


def model_reading(data: bytes) -> Any:
    model = GEN
    try:
        return model.parse_form(data)
    except model.Fail as e:
        assert e.kind == "DecodeError"
        return REFUSE


GEN = _load_generator()


# ---------------------------------------------------------------------------
# The random inputs

_PIECES = (
    ["&"] * 8 + ["="] * 8 + ["+"] * 3 + ["%"] * 4
    + ["%C3", "%A9", "%FF", "%zz", "%2", "%25", "%26", "%3D", "%2B", "%20",
       "%41", "%e9", "%c3%a9", "%C3%A9", "%E2%82%AC", "%F0%9F%98%80",
       "%ED%A0%80", "%C0%AF", "%F4%90%80%80", "%00"]
    + list("0123456789abcdefABCDEF")
    + ["x", "n", "[", "]", ";", " ", "é", "€", "😀", "中"]
)
_PIECES_B = [p.encode("utf-8") for p in _PIECES]
_RAW = [b"\xff", b"\xc3", b"\xa9", b"\x80", b"\xe2\x82", b"\xed\xa0\x80"]
_NAMES = [b"a", b"b", b"c", b"A", b"id", b"amount", b"x_signature",
          b"billplz[id]", b"a+b", b"a%20b", b"a b", b"%61", b"\xc3\xa9",
          b"%C3%A9", b"%c3%a9", b"hash", b"skey"]


# Pieces that keep a value well formed, for the structured inputs.
_TAME = [p.encode("utf-8") for p in (
    list("0123456789abcdefABCDEFxn") + ["+", " ", "=", ";", "[", "]", "é",
                                        "€", "😀", "中", "%20", "%41",
                                        "%e9", "%C3%A9", "%c3%a9", "%25",
                                        "%26", "%3D", "%2B", "%00",
                                        "%E2%82%AC", "%F0%9F%98%80"])] + [
    # not UTF-8 as they stand, UTF-8 once decoded
    b"%C3\xa9", b"\xc3%A9", b"%E2\x82\xac", b"\xe2%82%AC", b"\xf0%9F\x98%80"]


_BAD_ESCAPES = [b"%", b"%zz", b"%2", b"%+1", b"%g0", b"%%", b"%\xc3\xa9"]


def _soup(rng: random.Random, most: int, avoid: bytes = b"",
          pieces: list = _PIECES_B, raw: float = 0.04) -> bytes:
    out = []
    for _ in range(rng.randint(0, most)):
        piece = rng.choice(_RAW) if rng.random() < raw else \
            rng.choice(pieces)
        if avoid and any(c in piece for c in avoid):
            continue
        out.append(piece)
    return b"".join(out)


def _fields(rng: random.Random) -> bytes:
    """name=value segments joined by &, mostly well formed."""
    segments = []
    for _ in range(rng.randint(0, 7)):
        roll = rng.random()
        if roll < 0.25:
            name = rng.choice(_NAMES[:4])           # often repeated
        elif roll < 0.6:
            name = rng.choice(_NAMES)
        else:
            name = _soup(rng, 4, b"&=", _TAME, 0.005)
        value = _soup(rng, 6, b"&", _TAME, 0.005) if rng.random() < 0.85 \
            else _soup(rng, 6, b"&")
        if rng.random() < 0.04:
            value += rng.choice(_BAD_ESCAPES) + _soup(rng, 2, b"&", _TAME, 0)
        roll = rng.random()
        if roll < 0.02:
            segments.append(b"")
        elif roll < 0.04:
            segments.append(name)
        else:
            segments.append(name + b"=" + value)
    text = b"&".join(segments)
    roll = rng.random()
    if roll < 0.03:
        text = b"&" + text
    elif roll < 0.06:
        text += b"&"
    return text


def random_inputs() -> list:
    rng = random.Random(SEED)
    out = [_soup(rng, 24) for _ in range(2000)]
    out += [_fields(rng) for _ in range(2500)]
    return out


RANDOM = random_inputs()


# ---------------------------------------------------------------------------
# The hostile list: (input, what payhook must give, note)

_128 = b"&".join(b"f%d=%d" % (i, i) for i in range(128))
HOSTILE = [
    (b"", [], "empty: no fields"),
    (b"a=", [("a", "")], "an empty value is kept"),
    (b"a=&b=", [("a", ""), ("b", "")], "two empty values"),
    (b"a==", [("a", "=")], "the value holds ="),
    (b"a=b=c", [("a", "b=c")], "split at the first ="),
    (b"+=+", [(" ", " ")], "+ is a space in the name and the value"),
    (b"a+b=c+d", [("a b", "c d")], "+ inside"),
    (b"a b=c d", [("a b", "c d")], "raw spaces"),
    (b"%2B=%2b", [("+", "+")], "an escaped +, either case"),
    (b"a=%26b%3D2", [("a", "&b=2")], "escaped & and ="),
    (b"%26=1&%3D=2", [("&", "1"), ("=", "2")], "escaped & and = as names"),
    (b"a=1;b=2", [("a", "1;b=2")], "; does not separate"),
    (b"A=1&a=2", [("A", "1"), ("a", "2")], "names are case-sensitive"),
    (b"billplz[id]=1&billplz[paid]=true",
     [("billplz[id]", "1"), ("billplz[paid]", "true")],
     "bracketed names are kept as they are"),
    (b"a[=1&]b=2", [("a[", "1"), ("]b", "2")],
     "the parser does not judge brackets"),
    (b"a=%00", [("a", "\x00")], "an escaped NUL"),
    (b"%00=x", [("\x00", "x")], "a NUL name"),
    (b"a=\x00b", [("a", "\x00b")], "a raw NUL"),
    (b"a=1\r\n", [("a", "1\r\n")], "no trimming of a trailing newline"),
    (b" =1", [(" ", "1")], "a space as the name"),
    (b"a=%C3%A9", [("a", "é")], "escaped UTF-8"),
    (b"a=%c3%a9", [("a", "é")], "lower-case hex"),
    (b"a=%C3%a9", [("a", "é")], "mixed-case hex"),
    (b"a=\xc3\xa9", [("a", "é")], "raw UTF-8"),
    (b"a=%C3\xa9", [("a", "é")], "an escaped lead byte and a raw "
     "continuation byte make é once decoded"),
    (b"a=\xc3%A9", [("a", "é")], "a raw lead byte and an escaped "
     "continuation byte"),
    (b"%C3\xa9=1", [("é", "1")], "the same in a name"),
    (b"\xc3\xa9=1&e\xcc\x81=2", [("\u00e9", "1"), ("e\u0301", "2")],
     "composed and decomposed é are different names"),
    (b"a=%F4%8F%BF%BF", [("a", "\U0010ffff")], "U+10FFFF, the last"),
    (b"a=%EF%BB%BF", [("a", "\ufeff")], "an escaped byte order mark"),
    (b"\xef\xbb\xbfa=1", [("\ufeffa", "1")], "a raw byte order mark is "
     "part of the first name"),
    (b"a=%F0%9F%98%80&b=\xf0\x9f\x98\x80", [("a", "😀"), ("b", "😀")],
     "outside the BMP, escaped and raw"),
    (b"a=" + b"x" * 65536, [("a", "x" * 65536)], "a 64 KiB value"),
    (_128, [(f"f{i}", str(i)) for i in range(128)], "128 fields"),
    # refused
    (b"=", REFUSE, "an empty name"),
    (b"==", REFUSE, "an empty name, value ="),
    (b"=a", REFUSE, "an empty name with a value"),
    (b"a=1&=", REFUSE, "an empty name after a field"),
    (b"a", REFUSE, "no ="),
    (b"a&b=1", REFUSE, "a segment without ="),
    (b"a=1&b", REFUSE, "a last segment without ="),
    (b"&", REFUSE, "only a separator"),
    (b"&&", REFUSE, "two separators"),
    (b"a=1&", REFUSE, "a trailing &"),
    (b"&a=1", REFUSE, "a leading &"),
    (b"a=1&&b=2", REFUSE, "an empty segment"),
    (b"=&=", REFUSE, "empty names around &"),
    (b"a=1&a=2", REFUSE, "a name twice"),
    (b"a=&a=", REFUSE, "a name twice, empty values"),
    (b"a=1&a=1", REFUSE, "a name twice, the same value"),
    (b"a=1&%61=2", REFUSE, "a name twice, once escaped"),
    (b"a b=1&a+b=2", REFUSE, "a name twice: a raw space and +"),
    (b"a%20b=1&a+b=2", REFUSE, "a name twice: %20 and +"),
    (b"\xc3\xa9=1&%C3%A9=2", REFUSE, "a name twice: raw and escaped é"),
    (b"a=%", REFUSE, "a lone % at the end"),
    (b"a=%4", REFUSE, "one hex digit at the end"),
    (b"a=%4&b=1", REFUSE, "one hex digit before &"),
    (b"a=%zz", REFUSE, "%zz"),
    (b"a=%2g", REFUSE, "%2g"),
    (b"a=%g2", REFUSE, "%g2"),
    (b"a=%%41", REFUSE, "%% then 41"),
    (b"a=%25%", REFUSE, "an escaped % then a lone %"),
    (b"a=%+41", REFUSE, "%+4: + is not a hex digit"),
    (b"a=%-1", REFUSE, "%-1"),
    (b"a=% 1", REFUSE, "% then a space"),
    (b"%=1", REFUSE, "a lone % as the name"),
    (b"a%=1", REFUSE, "a % at the end of a name"),
    (b"a=%\xef\xbc\x91\xef\xbc\x92", REFUSE, "% then fullwidth digits"),
    (b"a=%\xd9\xa1\xd9\xa2", REFUSE, "% then Arabic-Indic digits"),
    (b"a=%\xc3\xa9", REFUSE, "% then a raw é"),
    (b"a=\xff", REFUSE, "a raw 0xFF"),
    (b"a=\x80", REFUSE, "a raw continuation byte"),
    (b"a=\xc3", REFUSE, "a raw lead byte at the end"),
    (b"\xff=1", REFUSE, "a raw 0xFF in a name"),
    (b"a=%FF", REFUSE, "an escaped 0xFF"),
    (b"a=%C3", REFUSE, "an escaped lead byte alone"),
    (b"a=%C3&b=%A9", REFUSE, "a lead byte and its continuation in two "
     "fields"),
    (b"a=%C3%28", REFUSE, "a lead byte and a non-continuation"),
    (b"a=%C0%AF", REFUSE, "an overlong /"),
    (b"a=%C0%80", REFUSE, "an overlong NUL"),
    (b"a=%E0%80%80", REFUSE, "an overlong three-byte NUL"),
    (b"a=%F0%80%80%80", REFUSE, "an overlong four-byte NUL"),
    (b"a=%ED%A0%80", REFUSE, "a high surrogate"),
    (b"a=%ED%BF%BF", REFUSE, "a low surrogate"),
    (b"a=%ED%A0%BD%ED%B8%80", REFUSE, "a surrogate pair in UTF-8 (CESU-8)"),
    (b"a=\xed\xa0\x80", REFUSE, "a raw surrogate"),
    (b"a=%F4%90%80%80", REFUSE, "past U+10FFFF"),
    (b"a=%F5%80%80%80", REFUSE, "a lead byte past F4"),
    (b"a=%E2%82", REFUSE, "a truncated three-byte sequence"),
    (b"%C3=1", REFUSE, "a bad escaped name"),
    (_128 + b"&f128=128", REFUSE, "129 fields"),
    (_128 + b"&", REFUSE, "128 fields and a trailing &"),
    (b"&".join(b"f%d=" % i for i in range(1000)), REFUSE, "1000 fields"),
]


# ---------------------------------------------------------------------------
# The tests


def _show(data: bytes) -> str:
    text = repr(data)
    return text if len(text) < 120 else text[:117] + "..."


def test_random_inputs_reach_every_outcome() -> None:
    """The generator is not degenerate: each outcome occurs often."""
    counts: dict = {}
    for data in RANDOM:
        pairs, why = expected(data)
        key = "accept" if why is None else why.split(" (")[0]
        counts[key] = counts.get(key, 0) + 1
    for key in ("accept", "urllib refuses", "an empty name", "a name twice",
                "a % without two hex digits"):
        assert counts.get(key, 0) >= 100, counts
    assert sum(1 for d in RANDOM if expected(d)[1] is None and
               any(b >= 0x80 for b in d)) >= 50, "few accepted non-ASCII"


def test_urllib_readings_agree() -> None:
    """On UTF-8 input, reading it byte for byte gives what parse_qsl gives
    on the text, so the byte reading is only an extension of it."""
    def outcome(read, data):
        try:
            return read(data)
        except (ValueError, UnicodeDecodeError):
            return REFUSE

    utf8 = [d for d in RANDOM + [h[0] for h in HOSTILE] if _is_utf8(d)]
    assert len(utf8) > 1000
    bad = [d for d in utf8 if outcome(urllib_utf8, d) !=
           outcome(urllib_bytes, d)]
    assert not bad, [_show(d) for d in bad[:10]]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_random_inputs() -> None:
    bad = []
    for data in RANDOM:
        want, why = expected(data)
        got = payhook_reading(data)
        if got != want:
            bad.append(f"{_show(data)}: payhook {got!r}, expected "
                       f"{want!r}" + (f" ({why})" if why else ""))
    assert not bad, f"{len(bad)} of {len(RANDOM)} differ:\n" + \
        "\n".join(bad[:20])


@pytest.mark.parametrize("data,want,note", HOSTILE,
                         ids=[f"{i:03d}" for i in range(len(HOSTILE))])
def test_hostile(data: bytes, want: Any, note: str) -> None:
    assert expected(data)[0] == want, f"the reference disagrees: {note}"
    assert payhook_reading(data) == want, note


def test_reference_model_agrees() -> None:
    """The vector generator's own form parser gives what urllib gives,
    with the same stricter cases."""
    bad = [d for d in RANDOM + [h[0] for h in HOSTILE]
           if model_reading(d) != expected(d)[0]]
    assert not bad, [_show(d) for d in bad[:10]]


def test_returns_a_list_of_str_pairs() -> None:
    got = _payhook.parse_form(b"a=1&b=%C3%A9")
    assert type(got) is list and all(
        type(p) is tuple and len(p) == 2 and
        all(type(x) is str for x in p) for p in got)


def test_form_vectors_are_current() -> None:
    done = subprocess.run([sys.executable, str(GENERATOR), "--check"],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_form_vectors_md_counts() -> None:
    """The table in FORM_VECTORS.md gives each file's vector count."""
    text = (VECTORS / "FORM_VECTORS.md").read_text()
    listed = dict(re.findall(r"^\| `(\w+)\.json` \| `\w+\.verify` \| "
                             r"(\d+) \|", text, re.M))
    counts = {name: str(len(json.loads(
        (VECTORS / f"{name}.json").read_text())["vectors"]))
        for name in FILES}
    assert listed == counts
