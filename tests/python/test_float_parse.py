"""payhook's floats are float()'s floats, bit for bit.

The core converts JSON number literals itself (csrc/float_parse.c: Clinger's
fast path, Eisel-Lemire, strtod for the rest).  Here millions of literals,
random and adversarial, go through the public API in big batches (a signed
HS256 token whose payload is {"v": [literal, ...]}, decoded by
payhook.jwt.decode) and every value is compared with float() of the same
text by its IEEE bytes (struct.pack('<d')), so -0.0 and 0.0 differ.

Shapes: money-like decimals (124.1, 3.1025), repr() and %.17g / %.15g of
random doubles, random digit strings with random exponents, literals near
2^53 and 2^64, the exact halfway points between neighbouring doubles with
literals just above and below them, and hand-picked hard cases.  Every
literal has a fraction or an exponent: JSON integers are ints, as in
json.loads.
"""

from __future__ import annotations

import locale
import math
import os
import random
import shutil
import struct
import subprocess
import sys

import pytest
from conftest import make_token

import payhook

KEY = b"float-parse-test-key-0123456789abcdef"
BATCH = 40_000
MAX_BYTES = 16 << 20
TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def decode_all(literals: list[str]) -> list[float]:
    """Each literal as payhook reads it, in batches of BATCH."""
    out: list[float] = []
    for i in range(0, len(literals), BATCH):
        chunk = literals[i:i + BATCH]
        raw = ('{"v":[' + ",".join(chunk) + "]}").encode()
        token = make_token(None, KEY, raw_payload=raw)
        got = payhook.jwt.decode(token, KEY, algorithms=["HS256"],
                                 max_bytes=MAX_BYTES)["v"]
        assert len(got) == len(chunk)
        out.extend(got)
    return out


def is_float_literal(text: str) -> bool:
    return "." in text or "e" in text or "E" in text


def check(literals: list[str]) -> None:
    """payhook and float() agree on every literal, to the bit."""
    assert all(map(is_float_literal, literals))
    got = decode_all(literals)
    want = list(map(float, literals))
    fmt = f"<{len(literals)}d"
    if struct.pack(fmt, *got) == struct.pack(fmt, *want):
        return
    bad = [(s, g, w) for s, g, w in zip(literals, got, want)
           if struct.pack("<d", g) != struct.pack("<d", w)]
    shown = "; ".join(f"{s[:80]!r}: payhook {g!r}, float() {w!r}"
                      for s, g, w in bad[:5])
    pytest.fail(f"{len(bad)} of {len(literals)} differ: {shown}")


def random_doubles(rng: random.Random, n: int) -> list[float]:
    """n finite doubles with uniformly random bits (every exponent)."""
    out = []
    while len(out) < n:
        for (x,) in struct.iter_unpack("<d", rng.randbytes(8 * n)):
            if math.isfinite(x):
                out.append(x)
    return out[:n]


def as_float_literal(text: str) -> str:
    """`text`, with "e0" added if it reads as an integer."""
    return text if is_float_literal(text) else text + "e0"


_POW5: dict[int, int] = {}


def halfway(x: float) -> tuple[str, str, str]:
    """The exact decimal of the point halfway between the non-negative
    double x and the next one up, and literals just above and just below
    it (a 1 appended after 30 more zero digits, or the last digit lowered
    with 30 nines appended)."""
    (bits,) = struct.unpack("<Q", struct.pack("<d", x))
    field, frac = bits >> 52, bits & ((1 << 52) - 1)
    mant = frac | (1 << 52) if field else frac
    e2 = (field - 1075 if field else -1074) - 1
    num = 2 * mant + 1           # the halfway point is num * 2^e2
    if e2 >= 0:
        digits, e = str(num << e2), 0
    else:
        if -e2 not in _POW5:
            _POW5[-e2] = 5 ** -e2
        digits, e = str(num * _POW5[-e2]), e2
    exact = f"{digits}e{e}"
    above = f"{digits}{'0' * 30}1e{e - 31}"
    below = f"{int(digits) - 1}{'9' * 30}e{e - 30}"
    return exact, above, below


HARD = [
    "0.0", "-0.0", "0e0", "-0e-0", "0.000e999", "-0E+5",
    "124.1", "3.1025", "0.1", "0.2", "0.3", "1e23", "1e22", "1e-22",
    "8.98846567431158e307", "9007199254740993e0", "9007199254740995.0",
    "9007199254740993.0000000000000000001", "4503599627370497.5",
    "18446744073709551616.0", "9999999999999999999e0", "1e19",
    "1.00000000000000011102230246251565404236316680908203125",
    "1.00000000000000011102230246251565404236316680908203126",
    "1.7976931348623157e308", "1.7976931348623158e308",
    "1.7976931348623159e308", "2.2250738585072014e-308",
    "2.2250738585072011e-308", "2.2250738585072012e-308",
    "4.9406564584124654e-324", "2.4703282292062327e-324",
    "2.4703282292062328e-324", "1e-400", "-1e-400", "1e400", "-1e400",
    "1e99999999999999999999", "1e-99999999999999999999",
    "1e0000000000000000000000000000000000000000000000000000000000000001",
    "0." + "0" * 4000 + "1e4000", "9007199254740993." + "0" * 4000 + "1",
    "1" + "0" * 400 + "e-400",
]


def test_hand_picked() -> None:
    check(HARD)
    got = decode_all(["-0.0", "-0e0", "-1e-400", "0.0"])
    assert [math.copysign(1, g) for g in got] == [-1, -1, -1, 1]


def test_money_like_decimals() -> None:
    rng = random.Random(1)
    lits = []
    for _ in range(400_000):
        units = rng.randrange(10 ** rng.randint(1, 7))
        places = rng.randint(1, 4)
        lits.append(f"{'-' if rng.random() < 0.1 else ''}{units}."
                    f"{rng.randrange(10 ** places):0{places}d}")
    check(lits)


def test_repr_of_random_doubles() -> None:
    xs = random_doubles(random.Random(2), 600_000)
    check(list(map(repr, xs)))


def test_17_16_and_15_digits_of_random_doubles() -> None:
    xs = random_doubles(random.Random(3), 200_000)
    check([as_float_literal(format(x, spec)) for spec in (".17g", ".16g",
                                                          ".15g")
           for x in xs])


def test_random_digit_strings() -> None:
    rng = random.Random(4)
    rand = rng.random
    lits = []
    for _ in range(400_000):
        n = 1 + int(rand() * 40)
        digits = f"{rng.getrandbits(133):040d}"[-n:]
        if digits[0] == "0":
            digits = "7" + digits[1:]
        point = int(rand() * (n + 1))
        if point == 0:
            text = "0." + "0" * int(rand() * 21) + digits
        elif point == n:
            text = digits
        else:
            text = digits[:point] + "." + digits[point:]
        if rand() < 0.75 or point == n:
            text += "eE"[rand() < 0.5] + ("", "+", "-")[int(rand() * 3)] + \
                str(int(rand() * 381))
        lits.append("-" + text if rand() < 0.2 else text)
    check(lits)


def test_near_two_to_the_53_and_64() -> None:
    rng = random.Random(5)
    lits = [f"{2 ** 53 + rng.randint(-5000, 5000)}e0"
            for _ in range(50_000)]
    lits += [f"{2 ** 53 + rng.randint(-5000, 5000)}.{rng.randint(0, 9)}"
             for _ in range(50_000)]
    lits += [str(rng.randrange(2 ** 64)) + ".0" for _ in range(50_000)]
    check(lits)


def test_halfway_points() -> None:
    rng = random.Random(6)
    xs = [math.ldexp(1.0, k) for k in range(-1074, 1024)]
    xs += [math.nextafter(x, 0.0) for x in xs]
    xs += [abs(x) for x in random_doubles(rng, 20_000)]
    xs += [0.0, 5e-324, 2.2250738585072014e-308, 9007199254740992.0, 0.1,
           124.1, 3.1025, 1e23]
    lits = []
    for x in xs:
        if x < 1.7976931348623157e308:
            lits.extend(halfway(x))
    check(lits)


def test_largest_double_and_beyond() -> None:
    exact, above, below = halfway(1.7976931348623157e308)
    got = decode_all([exact, above, below])
    assert got == [math.inf, math.inf, 1.7976931348623157e308]
    check([exact, above, below])


def test_under_a_decimal_comma_locale(tmp_path) -> None:
    """The slow path (strtod) reads JSON's '.' whatever LC_NUMERIC says.
    Where the system has no such locale, one is compiled with localedef
    (as tests/lua/run_all.sh does) and the test runs again in a process
    that has LOCPATH pointing at it."""
    old = locale.setlocale(locale.LC_NUMERIC)
    for name in ("de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8"):
        try:
            locale.setlocale(locale.LC_NUMERIC, name)
            break
        except locale.Error:
            continue
    else:
        assert not os.environ.get("LOCPATH"), (
            "LOCPATH is set but holds no de_DE.UTF-8 locale")
        localedef = shutil.which("localedef")
        assert localedef, "no locale with a decimal comma, and no localedef"
        made = subprocess.run([localedef, "-i", "de_DE", "-f", "UTF-8",
                               str(tmp_path / "de_DE.UTF-8")],
                              capture_output=True, text=True)
        assert (tmp_path / "de_DE.UTF-8").is_dir(), made.stderr
        again = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             f"{__file__}::test_under_a_decimal_comma_locale"],
            capture_output=True, text=True, cwd=os.path.dirname(__file__),
            env=dict(os.environ, LOCPATH=str(tmp_path)))
        assert again.returncode == 0 and "1 passed" in again.stdout, (
            again.stdout[-2000:] + again.stderr[-2000:])
        return
    try:
        assert locale.localeconv()["decimal_point"] == ","
        check(HARD + [halfway(x)[0] for x in (0.1, 1e-300, 5e-324)])
    finally:
        locale.setlocale(locale.LC_NUMERIC, old)


def test_power_of_five_table_is_current() -> None:
    """csrc/float_pow5_table.h is what csrc/gen_pow5.py writes."""
    r = subprocess.run([sys.executable,
                        os.path.join(TOP, "csrc", "gen_pow5.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
