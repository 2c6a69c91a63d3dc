"""How the Python sink builds containers (bindings/python/pysink.c).

Results equal json.loads on random and edge documents: empty containers,
nesting at the depth limit, repeated names, and lists and dicts of every
size around where they outgrow their room, up to far past 4,096 values
(where a sink that keeps values waiting for a container's close on a
bounded stack, as the Lua sink does, has to fall back).  Every failure
leaves no reference behind (counted on a sentinel object parse_float
returns), a success holds exactly its own, and a decode started from
inside another (parse_float, __del__) leaves both right.
"""

from __future__ import annotations

import gc
import json
import random
import sys

import pytest

import payhook
from conftest import assert_strict_equal, make_token, superpay_hex

KEY = "sink-building-hash-key"
SP_KEY = "SinkBuildingSymmetricKey01234567"

# The Lua sink's WAITING_MAX (bindings/lua/lua_sink.c), the size where a
# bounded builder falls back; and the core's PH_MAX_DEPTH.
BOUND = 4096
MAX_DEPTH = 128
BIG = 1 << 24  # max_bytes for the big documents

parse = payhook._payhook.parse_payload


def _text(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _check(text: bytes) -> None:
    """Every entry point that builds with the sink gives json.loads's
    value for the object `text`."""
    want = json.loads(text)
    assert_strict_equal(parse(text), want)
    token = make_token(None, KEY, raw_payload=text)
    assert_strict_equal(
        payhook.leanx.Decoder(KEY, max_bytes=BIG).decode(token), want)
    assert_strict_equal(payhook.leanx.decode(token, KEY, max_bytes=BIG), want)
    hex_ = superpay_hex(text, SP_KEY)
    assert_strict_equal(
        payhook.superpay.Decoder(SP_KEY, max_bytes=BIG).decode(hex_), want)


def _random_value(rng: random.Random, depth: int):
    kind = rng.random()
    if depth > 4 or kind < 0.45:
        return rng.choice([
            None, True, False, 0, -1, 2**63, -2**70, 1.5, -0.0, 1e300,
            "", "a", "é€😀", "x" * rng.randrange(60),
            rng.randrange(-10**6, 10**6), rng.random()])
    # Around the sizes where a list or a dict outgrows its first room.
    n = rng.choice([0, 1, 2, 5, 6, 9, 11, 17, rng.randrange(40)])
    if depth >= 2:
        n = min(n, 6)
    if kind < 0.72:
        return [_random_value(rng, depth + 1) for _ in range(n)]
    return {f"k{rng.randrange(2 * n + 1)}": _random_value(rng, depth + 1)
            for _ in range(n)}


def _random_text(rng: random.Random) -> bytes:
    """A random object, written with some of its names repeated (json.dumps
    cannot write those)."""
    members = []
    for _ in range(rng.randrange(1, 14)):
        name = f"m{rng.randrange(8)}"
        members.append(json.dumps(name) + ":" +
                       _text(_random_value(rng, 0)).decode())
    return ("{" + ",".join(members) + "}").encode()


@pytest.mark.parametrize("seed", range(40))
def test_random_documents_equal_json_loads(seed):
    rng = random.Random(seed)
    for _ in range(10):
        _check(_random_text(rng))


def test_empty_containers_everywhere():
    for text in (b'{}', b'{"a":[]}', b'{"a":{}}', b'{"a":[[],{},[[]],[{}]]}',
                 b'{"a":{"b":{},"c":[],"d":{"e":[]}}}',
                 b'{"a":[],"a":{},"b":[]}'):
        _check(text)


def test_repeated_names_first_position_last_value():
    text = (b'{"a":1,"b":[1,2],"a":{"x":[3]},"c":null,"b":2,'
            b'"d":{"k":1,"k":[1],"k":{"z":2}},"a":[{"a":1,"a":2}]}')
    got = parse(text)
    assert list(got) == ["a", "b", "c", "d"]
    _check(text)


def test_nesting_at_the_depth_limit():
    for inner in (b"[]", b"{}", b"1", b'"s"'):
        # The top object, then lists and dicts in turn, then `inner`: a
        # container there is at the limit.
        text = inner
        for level in range(MAX_DEPTH - 2):
            text = (b"[" + text + b",2]" if level % 2
                    else b'{"a":' + text + b',"b":[]}')
        _check(b'{"top":' + text + b"}")
    too_deep = b'{"a":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"
    with pytest.raises(payhook.DecodeError):
        parse(too_deep)


@pytest.mark.parametrize("n", [BOUND - 3, BOUND - 2, BOUND - 1, BOUND,
                               BOUND + 1, BOUND + 2, 3 * BOUND])
def test_arrays_around_the_bound(n):
    _check(_text({"a": list(range(n))}))
    _check(_text({"a": [[i] for i in range(n)]}))
    _check(_text({"a": [{"i": i} if i % 2 else [i, None] for i in range(n)],
                  "after": [1, 2, 3]}))


@pytest.mark.parametrize("n", [BOUND // 2 - 2, BOUND // 2 - 1, BOUND // 2,
                               BOUND // 2 + 1, 2 * BOUND])
def test_objects_around_the_bound(n):
    _check(_text({f"k{i}": i for i in range(n)}))
    # Container values, each closed before its dict takes it.
    _check(_text({f"k{i}": [i] if i % 3 else {"v": i} for i in range(n)}))
    _check(_text({"o": {f"k{i}": str(i) for i in range(n)}, "z": {}}))


def test_objects_past_the_bound_with_repeated_names():
    members = [f'"k{i % 700}":{i}' if i % 5 else f'"k{i % 700}":[{i}]'
               for i in range(3 * BOUND)]
    _check(("{" + ",".join(members) + "}").encode())


def test_bound_reached_inside_nested_containers():
    # The outer list holds many values when an inner one reaches the
    # bound, and more come after it.
    for outer in (BOUND // 2, BOUND - 10, BOUND - 1):
        doc = {"a": list(range(outer)) + [list(range(BOUND)),
                                          {f"n{i}": i for i in range(BOUND)},
                                          [[1, [2, {"x": [3]}]]]] +
               list(range(50))}
        _check(_text(doc))
    # Many containers, each of them big, open at once.
    doc = {"a": [[[list(range(1500))] * 2] * 2, {"b": [list(range(1500))]}]}
    _check(_text(doc))


def test_huge_array_past_the_bound():
    doc = {"a": [i if i % 7 else {"i": [i, str(i)]} for i in range(50_000)]}
    _check(_text(doc))


def test_jwt_header_and_claims():
    header = {"alg": "HS256", "typ": "JWT", "kid": "k1",
              "x": [1, {"y": [2, 3]}, []], "z": {}}
    token = make_token({"a": [1, 2], "b": {}}, KEY, header=header)
    assert_strict_equal(payhook.jwt.get_unverified_header(token), header)
    got = payhook.jwt.decode_complete(token, KEY, ["HS256"])
    assert_strict_equal(got["header"], header)
    assert_strict_equal(got["payload"], {"a": [1, 2], "b": {}})


# ---------------------------------------------------------------------------
# References: failures leave none behind, successes hold exactly theirs


class Sentinel:
    """What parse_float returns: one object, so its reference count tells
    how many references a parse holds or left behind."""


SENTINEL = Sentinel()


def _sentinel(text):
    return SENTINEL


def _refs() -> int:
    gc.collect()
    return sys.getrefcount(SENTINEL)


# Texts that fail at their end, with containers open and holding values:
# past the bound, nested, and with an object's name waiting for its value.
FLOATS = ",".join(["1.5"] * (BOUND + 100))
FAILING = [
    b'{"a":[1.5,2.5,{"b":1.5,"c":[1.5',
    b'{"a":[1.5,2.5,{"b":1.5,"c":[1.5]}',
    b'{"a":{"b":1.5,"c":',
    b'{"a":{"b":1.5,"c":1.5,"d"}',
    b'{"a":[1.5,[1.5,{"x":[]}],x]}',
    ('{"a":[' + FLOATS + ',[' + FLOATS + ',{"k":1.5,"j":[1.5]').encode(),
    ('{"a":[' + FLOATS + '],"b":{' +
     ",".join(f'"k{i}":[1.5]' for i in range(BOUND)) + ',"z":').encode(),
    ('{"a":[' + FLOATS + ']} x').encode(),
    ('{"a":[' + ",".join(["[1.5]"] * (BOUND + 5)) + '],"b":[1.5').encode(),
]


@pytest.mark.parametrize("text", FAILING, ids=range(len(FAILING)))
def test_failure_mid_parse_leaves_no_reference(text):
    decoder = payhook.leanx.Decoder(KEY, parse_float=_sentinel)
    token = make_token(None, KEY, raw_payload=text)
    hex_ = superpay_hex(text, SP_KEY)
    sp = payhook.superpay.Decoder(SP_KEY, parse_float=_sentinel)
    before = _refs()
    for _ in range(3):
        with pytest.raises(payhook.DecodeError):
            decoder.decode(token)
        with pytest.raises(payhook.DecodeError):
            payhook.leanx.decode(token, KEY, parse_float=_sentinel)
        with pytest.raises(payhook.DecryptionError):
            sp.decode(hex_)
    assert _refs() == before


def test_success_holds_exactly_its_references():
    text = ('{"a":[' + FLOATS + '],"b":{"x":1.5,"x":1.5,"y":[1.5,{}]},'
            '"c":{' + ",".join(f'"k{i % 3000}":1.5' for i in range(BOUND * 2))
            + '}}').encode()
    decoder = payhook.leanx.Decoder(KEY, parse_float=_sentinel)
    token = make_token(None, KEY, raw_payload=text)
    before = _refs()
    got = decoder.decode(token)
    # One per float in a list, one per distinct name of a dict.
    assert _refs() == before + (BOUND + 100) + 2 + 3000
    del got
    assert _refs() == before


def test_failing_parse_float_leaves_no_reference():
    for stop in (1, 2, 5, BOUND - 1, BOUND, BOUND + 3, 2 * BOUND + 50):
        calls = 0

        def counting(text):
            nonlocal calls
            calls += 1
            if calls == stop:
                raise ArithmeticError(text)
            return SENTINEL

        text = ('{"a":[' + FLOATS + '],"b":{' +
                ",".join(f'"k{i}":[1.5,{{"z":1.5}}]' for i in range(BOUND))
                + '}}').encode()
        token = make_token(None, KEY, raw_payload=text)
        before = _refs()
        with pytest.raises(ArithmeticError):
            payhook.leanx.Decoder(KEY, parse_float=counting).decode(token)
        assert _refs() == before, stop


def test_claim_failure_after_the_parse_leaves_no_reference():
    token = make_token({"aud": "other", "a": [1.5, {"b": 1.5}]}, KEY)
    decoder = payhook.jwt.Decoder(KEY, ["HS256"], audience="me",
                                  parse_float=_sentinel)
    before = _refs()
    for _ in range(3):
        with pytest.raises(payhook.InvalidAudienceError):
            decoder.decode(token)
    assert _refs() == before


def test_out_of_memory_at_every_step_leaves_no_reference():
    testcapi = pytest.importorskip("_testcapi")
    text = ('{"a":[1.5,[1.5,{"k":1.5,"k":1.5}],' +
            ",".join(["1.5"] * 100) + '],"b":{' +
            ",".join(f'"n{i}":[1.5]' for i in range(80)) + '}}').encode()
    token = make_token(None, KEY, raw_payload=text)
    decoder = payhook.leanx.Decoder(KEY, parse_float=_sentinel)
    before = _refs()
    want = decoder.decode(token)
    assert _refs() == before + 101 + 2 + 80
    del want
    failed = 0
    # Each round fails one allocation of the decode: the first, the
    # second, and so on past the last.
    for start in range(1, 600):
        got = None
        testcapi.set_nomemory(start, start + 1)
        try:
            got = decoder.decode(token)
        except MemoryError:
            failed += 1
        finally:
            testcapi.remove_mem_hooks()
        del got
        # No cycle holds the sentinel: its count needs no collection.
        assert sys.getrefcount(SENTINEL) == before, start
    assert failed > 0


# ---------------------------------------------------------------------------
# Re-entrancy: a decode from inside another


INNER = {"inner": [list(range(BOUND + 10)), {"k": [1, 2, {"v": "x"}]}],
         "names": {f"n{i}": i for i in range(40)}}
INNER_TOKEN = make_token(INNER, KEY)


def test_reentry_from_parse_float_with_containers_open():
    seen = []

    def reenter(text):
        seen.append(decoder.decode(INNER_TOKEN))
        return float(text)

    decoder = payhook.leanx.Decoder(KEY, parse_float=reenter)
    outer = {"a": [1, 2.5, [3, 4.5, {"b": 5.5, "c": [6.5] * 3}]],
             "big": [7] * (BOUND + 5) + [8.5],
             "d": {f"k{i}": 0.5 if i % 10 == 0 else i for i in range(100)}}
    assert_strict_equal(decoder.decode(make_token(outer, KEY)), outer)
    assert len(seen) == 1 + 1 + 1 + 3 + 1 + 10
    for got in seen:
        assert_strict_equal(got, INNER)


class DecodesWhenFreed:
    """A parse_float value whose __del__ decodes with the same decoder."""

    decoder = None
    seen: list = []

    def __init__(self, text):
        self.text = text

    def __del__(self):
        self.seen.append(self.decoder.decode(INNER_TOKEN))


def test_reentry_from_del_during_a_decode():
    decoder = payhook.leanx.Decoder(KEY, parse_float=DecodesWhenFreed)
    DecodesWhenFreed.decoder = decoder
    DecodesWhenFreed.seen = []
    # A repeated name drops its earlier values while the dict is built
    # (in a small dict and in one past the bound), and a failure drops all.
    rep = ",".join(f'"r":{i}.5' for i in range(5))
    text = ('{"a":[1,{' + rep + '},[2,{' + rep + '}]],"p":{' +
            ",".join(f'"k{i}":[{i}]' for i in range(BOUND)) + ',' + rep +
            '},"z":[3]}').encode()
    got = decoder.decode(make_token(None, KEY, raw_payload=text))
    assert got["a"][1]["r"].text == "4.5"
    assert got["p"]["r"].text == "4.5" and got["p"]["k7"] == [7]
    assert got["z"] == [3]
    assert len(DecodesWhenFreed.seen) == 3 * 4
    del got
    gc.collect()
    assert len(DecodesWhenFreed.seen) == 3 * 5
    DecodesWhenFreed.seen = []
    failing = text[:-1] + b",x}"
    with pytest.raises(payhook.DecodeError):
        decoder.decode(make_token(None, KEY, raw_payload=failing))
    gc.collect()
    assert len(DecodesWhenFreed.seen) == 3 * 5
    for inner in DecodesWhenFreed.seen:
        assert_strict_equal(inner, INNER)
    DecodesWhenFreed.seen = []
