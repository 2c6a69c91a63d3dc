"""The one-call functions keep recently prepared decoders: that must never
change what a call returns or raises."""

import collections
import decimal
import gc
import sys
import types
from datetime import timedelta

import pytest

import payhook
import payhook._keys
from payhook._keys import MAX_BYTES

KEY = "prepared-cache-key-0123456789abcdef"
SP_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"


def test_same_key_reuses_one_prepared_decoder():
    token = payhook.jwt.encode({"n": 1}, KEY)
    payhook.leanx._prepared.cache_clear()
    for _ in range(5):
        assert payhook.leanx.decode(token, KEY) == {"n": 1}
    info = payhook.leanx._prepared.cache_info()
    assert (info.misses, info.hits) == (1, 4)


def test_a_cached_key_does_not_accept_another_keys_token():
    good = payhook.jwt.encode({"n": 1}, KEY)
    other = payhook.jwt.encode({"n": 1}, KEY + "x")
    assert payhook.leanx.decode(good, KEY) == {"n": 1}
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.leanx.decode(other, KEY)
    assert payhook.leanx.decode(other, KEY + "x") == {"n": 1}


def test_argument_types_stay_apart_in_the_cache():
    token = payhook.jwt.encode({"n": 1}, KEY)
    assert payhook.leanx.decode(token, KEY, leeway=0) == {"n": 1}
    with pytest.raises(TypeError):
        payhook.leanx.decode(token, KEY, leeway=False)
    assert payhook.leanx.decode(token, KEY, max_bytes=4096) == {"n": 1}
    with pytest.raises(TypeError):
        payhook.leanx.decode(token, KEY, max_bytes=4096.0)


def test_errors_are_raised_on_every_call():
    for _ in range(3):
        with pytest.raises(payhook.InvalidKeyError):
            payhook.leanx.decode("a.b.c", "")
        with pytest.raises(payhook.InvalidKeyError):
            payhook.superpay.decode("00" * 16, "short")


def test_rotation_lists_and_audience_lists_work_and_are_cached():
    token = payhook.jwt.encode({"n": 1}, KEY)
    payhook.leanx._prepared.cache_clear()
    for _ in range(3):
        assert payhook.leanx.decode(token, ["old-key", KEY]) == {"n": 1}
        assert payhook.leanx.decode(token, ("old-key", KEY)) == {"n": 1}
    info = payhook.leanx._prepared.cache_info()
    # A list and a tuple of the same keys are two entries, each reused.
    assert (info.misses, info.hits, info.currsize) == (2, 4, 2)
    aud_token = payhook.jwt.encode({"aud": "b"}, KEY)
    assert payhook.jwt.decode(aud_token, KEY, ["HS256"], {"require": ["aud"]},
                              audience=["a", "b"]) == {"aud": "b"}


def test_keys_that_could_hold_key_bytes_are_not_cached_but_work():
    token = payhook.jwt.encode({"n": 1}, KEY)
    body = payhook.superpay.encrypt({"a": 1}, SP_KEY)

    class Text(str):
        pass

    payhook.leanx._prepared.cache_clear()
    payhook.superpay._prepared.cache_clear()
    for _ in range(2):
        for key in (bytearray(KEY.encode()), memoryview(KEY.encode()),
                    Text(KEY), [bytearray(KEY.encode())],
                    collections.UserList([KEY])):
            assert payhook.leanx.decode(token, key) == {"n": 1}
        for key in (bytearray(SP_KEY.encode()), Text(SP_KEY)):
            assert payhook.superpay.decode(body, key) == {"a": 1}
    for memo in (payhook.leanx._prepared, payhook.superpay._prepared):
        info = memo.cache_info()
        assert (info.hits, info.misses, info.currsize) == (0, 0, 0)


# ---------------------------------------------------------------------------
# The memo holds no key as a Python object


def reachable(root):
    """Everything reachable from `root` through gc.get_referents, without
    going into types, modules or a function's globals and code: those lead
    to the whole program, not to what the memo keeps.  A function is
    followed into its closure and defaults only."""
    seen, out, stack = set(), [], [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        out.append(obj)
        if isinstance(obj, (type, types.ModuleType, types.CodeType)):
            continue
        if isinstance(obj, types.FunctionType):
            for cell in obj.__closure__ or ():
                try:
                    stack.append(cell.cell_contents)
                except ValueError:      # an empty cell
                    pass
            stack.extend(obj.__defaults__ or ())
            stack.extend((obj.__kwdefaults__ or {}).values())
            continue
        stack.extend(gc.get_referents(obj))
    return out


def holds_secret(objects, secrets):
    forms = set()
    for s in secrets:
        forms |= {s, s.encode()} if isinstance(s, str) else {s, s.decode(
            "latin-1")}
    found = []
    for obj in objects:
        if isinstance(obj, (str, bytes, bytearray)):
            for form in forms:
                if type(form) is (str if isinstance(obj, str) else bytes) \
                        and form in obj:
                    found.append(obj)
    return found


def test_memo_holds_no_key_bytes_or_text():
    rotation = ["old-rotation-key-4f1e", KEY]
    bytes_key = b"bytes-leanx-key-\x00\xff-9c2d"
    jwt_key = "jwt-only-key-7ab3c"
    sp_bytes_key = b"B" * 16 + b"\x01" * 16
    for memo in (payhook.leanx._prepared, payhook.superpay._prepared,
                 payhook.jwt._plans):
        memo.cache_clear()

    want = {}
    for _ in range(3):
        token = payhook.jwt.encode({"n": 1.5}, KEY)
        got = [
            payhook.leanx.decode(token, KEY),
            payhook.leanx.decode(token, rotation),
            payhook.leanx.decode(token, tuple(rotation)),
            payhook.leanx.decode(payhook.jwt.encode({"n": 2}, bytes_key),
                                 bytes_key, parse_float=decimal.Decimal),
            payhook.jwt.decode(payhook.jwt.encode({"aud": "svc"}, jwt_key),
                               jwt_key, ["HS256"], audience="svc"),
            payhook.superpay.decode(
                payhook.superpay.encrypt({"a": 0.5}, SP_KEY), SP_KEY),
            payhook.superpay.decode(
                payhook.superpay.encrypt({"a": 0.5}, sp_bytes_key),
                sp_bytes_key, parse_float=decimal.Decimal),
        ]
        # Results unchanged, and the same as from fresh decoders.
        assert got == [
            {"n": 1.5}, {"n": 1.5}, {"n": 1.5}, {"n": 2}, {"aud": "svc"},
            {"a": 0.5}, {"a": decimal.Decimal("0.5")}]
        assert got[0] == payhook.leanx.Decoder(KEY).decode(token)
        want.setdefault("first", got)
        assert got == want["first"]

    secrets = [KEY, rotation[0], bytes_key, jwt_key, SP_KEY, sp_bytes_key]
    for memo, cls in ((payhook.leanx._prepared, payhook.leanx.Decoder),
                      (payhook.superpay._prepared, payhook.superpay.Decoder),
                      (payhook.jwt._plans, payhook._payhook.Verifier)):
        objects = reachable(memo)
        # The walk does reach the prepared decoders (so it looks where the
        # keys would be), and the memo hit on every repeat.
        assert any(isinstance(o, cls) for o in objects), memo
        info = memo.cache_info()
        assert info.misses == info.currsize > 0, info
        assert info.hits >= 2 * info.misses, info
        assert holds_secret(objects, secrets) == [], memo


def test_memo_still_hands_back_the_same_decoder():
    payhook.superpay._prepared.cache_clear()
    first = payhook.superpay._prepared(SP_KEY, MAX_BYTES, None)
    assert payhook.superpay._prepared(SP_KEY, MAX_BYTES, None) is first
    assert payhook.superpay._prepared(SP_KEY.encode(), MAX_BYTES,
                                      None) is not first
    assert payhook.superpay._prepared(SP_KEY, MAX_BYTES + 1,
                                      None) is not first
    body = payhook.superpay.encrypt({"a": 1}, SP_KEY)
    assert payhook.superpay.decode(body, SP_KEY) == {"a": 1}
    assert payhook.superpay._prepared(SP_KEY, MAX_BYTES, None) is first


def test_memo_keeps_the_32_most_recent():
    memo = payhook.leanx._prepared
    memo.cache_clear()
    keys = [f"lru-key-{i}" for i in range(40)]
    for k in keys:
        payhook.leanx.decode(payhook.jwt.encode({"k": k}, k), k)
    assert memo.cache_info().currsize == 32
    recent = memo(keys[-1], 0, MAX_BYTES, None)
    assert memo(keys[-1], 0, MAX_BYTES, None) is recent
    hits = memo.cache_info().hits
    memo(keys[0], 0, MAX_BYTES, None)           # evicted: made again
    assert memo.cache_info().hits == hits


def test_memo_keys_are_unambiguous():
    lists = [
        (b"ab", b"c"), (b"a", b"bc"), (b"abc",), ("abc",), (("ab", "c"),),
        (["ab", "c"],), ((b"ab", b"c"),), (0,), (False,), (0.0,), (-0.0,),
        (None,), ((),), ([],), ("",), (b"",), (1, 2), (12,), ("1", "2"),
        ("12",), (timedelta(seconds=1),), (1,), (1.0,), (True,),
        ((("a",),),), (("a",),),
    ]
    keys = [payhook._keys._memo_key(args) for args in lists]
    assert len(set(keys)) == len(lists)
    assert payhook._keys._memo_key((b"ab", b"c")) == keys[0]


def test_memo_key_ignores_the_int_digit_limit():
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        a = payhook._keys._memo_key((10 ** 700,))
        b = payhook._keys._memo_key((10 ** 700 + 1,))
    finally:
        sys.set_int_max_str_digits(old)
    assert a != b


def test_superpay_cache_keeps_max_bytes_apart():
    body = payhook.superpay.encrypt({"a": "x" * 100}, SP_KEY)
    assert payhook.superpay.decode(body, SP_KEY)["a"] == "x" * 100
    with pytest.raises(payhook.PayloadTooLargeError):
        payhook.superpay.decode(body, SP_KEY, max_bytes=64)
    assert payhook.superpay.decode(body, SP_KEY)["a"] == "x" * 100


def test_memo_digest_takes_the_usual_arguments_and_hands_back_the_rest():
    digest = payhook._payhook.memo_digest
    usual = [
        (KEY, 0, MAX_BYTES, None), (KEY.encode(), 0, MAX_BYTES, None),
        ([KEY, "old"], 1.5, 10, None), ((KEY, b"old"), -3, 2 ** 62, True),
        ("", b"", (), []), ((("a",),),),
    ]
    for args in usual:
        d = digest(args)
        assert type(d) is bytes and len(d) == 16, args
        assert digest(args) == d                  # the same in a process
        assert payhook._keys._memo_key(args) == (d,)
    # What the Python path digests (or refuses to cache) instead.
    handed_back = [
        (KEY, 0, MAX_BYTES, decimal.Decimal), (timedelta(seconds=1),),
        (2 ** 64,), (-(2 ** 63) - 1,), ("\ud800",), (bytearray(b"k"),),
        (memoryview(b"k"),), (type("S", (str,), {})("k"),),
        ((((("deep",),),),),), ("x" * 70000,), ({"k": 1},),
    ]
    for args in handed_back:
        assert digest(args) is None, args
    with pytest.raises(TypeError):
        digest([KEY])
    # Every boundary of the encoding keeps arguments apart.
    lists = [
        (b"ab", b"c"), (b"a", b"bc"), (b"abc",), ("abc",), (("ab", "c"),),
        (["ab", "c"],), (0,), (False,), (0.0,), (-0.0,), (None,), ((),),
        ([],), ("",), (b"",), (1, 2), (12,), (-1,), (1,), (1.0,), (True,),
        (2 ** 63 - 1,), (-(2 ** 63),), (float("nan"),), (float("inf"),),
    ]
    keys = [digest(args) for args in lists]
    assert None not in keys and len(set(keys)) == len(lists)


def test_memo_digest_keys_still_decode_with_every_argument_path():
    memo = payhook.leanx._prepared
    memo.cache_clear()
    token = payhook.jwt.encode({"n": 1}, KEY)
    long_key = "k" * 70000                        # the Python path
    long_token = payhook.jwt.encode({"n": 2}, long_key)
    for _ in range(2):
        assert payhook.leanx.decode(token, KEY) == {"n": 1}
        assert payhook.leanx.decode(long_token, long_key) == {"n": 2}
        with pytest.raises(payhook.InvalidSignatureError):
            payhook.leanx.decode(token, long_key)
    info = memo.cache_info()
    assert info.misses == info.currsize == 2 and info.hits == 4, info
