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
found here as callcache.h finds it).
"""

from __future__ import annotations

import json
import random
import struct

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
    """The cache set callcache.h picks for a name (up to 16 bytes)."""
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
    return ((h * 0xFF51AFD7ED558CCD) & mask) >> 40


def test_two_names_of_one_set_both_stay_cached():
    # Two names that agree on the hash's low 8 bits share a set however
    # many sets (up to 256) the cache has.
    seen: dict[int, str] = {}
    for i in range(100000):
        name = f"member_{i}"
        other = seen.setdefault(_set_of(name.encode()) & 255, name)
        if other != name:
            break
    pair = [other, name]
    dec = payhook.leanx.Decoder(KEY)
    token = make_token(None, KEY, raw_payload=json.dumps(
        {pair[0]: 1, pair[1]: 2, "z": [pair[1], pair[0]]}).encode())
    first, second = list(dec.decode(token)), list(dec.decode(token))
    assert first[:2] == pair
    assert first[0] is second[0] and first[1] is second[1]
