"""The decoder's cache of member-name strings (bindings/python/callcache.h).

A reused decoder hands out the same str for a name it has seen, from a
slot chosen by the name's length and its first and last bytes; the slot
keeps those bytes beside the str, and compares the middle only for names
longer than 16.  These names are made to land on the cache's edges: every
length up to past its 48-byte limit, names that share their length and
both ends and differ in one middle byte, names that differ only in the
byte a 1- to 3-byte name is read at, non-ASCII names (never cached).  Each
payload, decoded many times over by one decoder in varying orders, must
give json.loads's dict, names for names.  The slots are two-way sets: two
names of one payload that share a set must both stay cached (the set is
found here as callcache.h finds it, with ph_name_set).  Names that differ
in their last bytes only must not share a set, and more names than the
cache holds must not make it give a wrong one.
"""

from __future__ import annotations

import json
import random
import struct
import sys

import payhook
from conftest import assert_strict_equal, make_token, superpay_hex

KEY = "name-cache-hash-key"
SP_KEY = "NameCacheSymmetricKey89abcdefABC"


def _names() -> list[str]:
    out = []
    for n in range(1, 53):
        base = "".join(chr(ord("a") + i % 26) for i in range(n))
        out.append(base)
        # Same length, same first and last 8 bytes: only a middle byte,
        # or (for short names) each position in turn, differs.
        for at in range(n):
            out.append(base[:at] + "Z" + base[at + 1:])
    out += ["é", "ém", "naïve", "x" * 20 + "é" + "x" * 20, "\u00ff" * 3]
    return out


def _payloads(rng: random.Random, names: list[str]) -> list[bytes]:
    out = []
    for _ in range(40):
        picked = rng.sample(names, rng.randrange(1, 60))
        obj = {name: i for i, name in enumerate(picked)}
        obj["nested"] = [{name: name for name in rng.sample(names, 5)}]
        out.append(json.dumps(obj, separators=(",", ":"),
                              ensure_ascii=False).encode())
    return out


def test_a_reused_decoder_gives_every_name_right():
    rng = random.Random(20261203)
    names = _names()
    texts = _payloads(rng, names)
    leanx = payhook.leanx.Decoder(KEY)
    superpay = payhook.superpay.Decoder(SP_KEY)
    tokens = [make_token(None, KEY, raw_payload=t) for t in texts]
    hexes = [superpay_hex(t, SP_KEY) for t in texts]
    for _ in range(5):
        order = list(range(len(texts)))
        rng.shuffle(order)
        for i in order:
            want = json.loads(texts[i])
            got = leanx.decode(tokens[i])
            assert_strict_equal(got, want)
            assert list(got) == list(want)
            assert_strict_equal(superpay.decode(hexes[i]), want)


def test_a_cached_name_is_one_str_shared_by_calls():
    dec = payhook.leanx.Decoder(KEY)
    token = make_token(None, KEY, raw_payload=b'{"merchant_invoice_no":1}')
    first = next(iter(dec.decode(token)))
    second = next(iter(dec.decode(token)))
    assert first == "merchant_invoice_no"
    assert first is second


def _set_of(name: bytes) -> int:
    """The top 8 bits of the hash callcache.h picks a name's set by
    (ph_name_set in csrc/name_words.h; for a name of up to 16 bytes): its
    set is their top NAME_CACHE_SET_BITS."""
    mask = (1 << 64) - 1
    n = len(name)
    if n >= 8:
        head, tail = struct.unpack("<Q", name[:8])[0], struct.unpack(
            "<Q", name[-8:])[0]
    elif n >= 4:
        head, tail = struct.unpack("<I", name[:4])[0], struct.unpack(
            "<I", name[-4:])[0]
    else:
        head, tail = name[0] | name[n // 2] << 8 | name[-1] << 16, 0
    h = head ^ ((tail * 0x9E3779B97F4A7C15) & mask) ^ n
    return ((h * 0xFF51AFD7ED558CCD) & mask) >> 56


def test_two_names_of_one_set_both_stay_cached():
    # Two names that agree on the hash's top 8 bits share a set however
    # many sets (up to 256) the cache has.
    seen: dict[int, str] = {}
    for i in range(100000):
        name = f"member_{i}"
        other = seen.setdefault(_set_of(name.encode()), name)
        if other != name:
            break
    pair = [other, name]
    dec = payhook.leanx.Decoder(KEY)
    token = make_token(None, KEY, raw_payload=json.dumps(
        {pair[0]: 1, pair[1]: 2, "z": [pair[1], pair[0]]}).encode())
    swapped = make_token(None, KEY, raw_payload=json.dumps(
        {pair[1]: 1, pair[0]: 2, "z": 3}).encode())
    first, second = list(dec.decode(token)), list(dec.decode(swapped))
    assert first[:2] == pair and second[:2] == pair[::-1]
    assert first[0] is second[1] and first[1] is second[0]


def _decode_all(dec, payloads: list[dict]) -> list[dict]:
    out = []
    for obj in payloads:
        text = json.dumps(obj, separators=(",", ":")).encode()
        got = dec.decode(make_token(None, KEY, raw_payload=text))
        assert_strict_equal(got, json.loads(text))
        assert list(got) == list(obj)
        out.append(got)
    return out


def _same_strs(dicts: list[dict]) -> None:
    """Every name seen twice across `dicts` is one str."""
    strs: dict[str, str] = {}
    for d in dicts:
        for name in d:
            assert strs.setdefault(name, name) is name, name


def test_names_that_differ_in_their_last_bytes_all_stay_cached():
    # The set comes from the top bits of the hash's product.  From its
    # bits 40-46, as before, every name of 8 bytes or more that differs
    # from the others in its last two bytes only was in one set: of
    # field_00 to field_11, each call made all twelve anew.
    for names in ([f"field_{i:02d}" for i in range(12)],
                  [f"address{i}" for i in range(1, 4)],
                  [f"order_item_quantity_{i:02d}" for i in range(40)]):
        dec = payhook.leanx.Decoder(KEY)
        obj = {n: i for i, n in enumerate(names)}
        _same_strs(_decode_all(dec, [obj, obj, obj]))


def test_a_payload_whose_shape_changes_keeps_its_names():
    # Names go missing, appear, move and are replaced by names with the
    # same length and both ends; each payload must give its own names,
    # and a name seen before must be the same str.
    long_a = "transaction_" + "a" * 10 + "_reference"
    long_b = "transaction_" + "b" * 10 + "_reference"
    base = [f"member_{i:02d}" for i in range(12)]
    shapes = [
        base,
        base[:3] + base[4:],                    # one gone
        base[:5] + ["inserted"] + base[5:],     # one more
        base[6:] + base[:6],                    # rotated
        base[:4] + [long_a] + base[4:],
        base[:4] + [long_b] + base[4:],         # same words as long_a
        base,
    ]
    dec = payhook.leanx.Decoder(KEY)
    got = _decode_all(dec, [{n: i for i, n in enumerate(s)} for s in shapes])
    _same_strs(got)
    assert long_a in got[4] and long_b in got[5] and long_a not in got[5]


def test_more_names_than_the_cache_holds():
    # 300 names for 256 slots: some are made anew each call, and every
    # payload still gives its own names.
    names = [f"n{i:03d}_{'x' * (i % 30)}" for i in range(300)]
    dec = payhook.leanx.Decoder(KEY)
    obj = {"outer": [{n: i for i, n in enumerate(names[:150])},
                     {n: n for n in names[150:]}]}
    got = _decode_all(dec, [obj, obj, obj])
    fresh = sum(x is not y
                for a, b in zip(got, got[1:])
                for da, db in zip(a["outer"], b["outer"])
                for x, y in zip(da, db))
    assert 0 < fresh < 2 * 300


def test_the_cache_holds_no_reference_a_call_does_not_give_back():
    dec = payhook.leanx.Decoder(KEY)
    text = b'{"merchant_invoice_no":1,"status":"ok","items":[{"status":2}]}'
    token = make_token(None, KEY, raw_payload=text)
    name = next(iter(dec.decode(token)))
    before = sys.getrefcount(name)
    for _ in range(1000):
        dec.decode(token)
    assert sys.getrefcount(name) == before
    # The decoder's set holds the name; once the decoder is gone, only
    # this test's reference is left.
    del dec
    assert sys.getrefcount(name) == 2
