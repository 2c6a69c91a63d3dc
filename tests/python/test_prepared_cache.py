"""The one-call functions keep recently prepared decoders: that must never
change what a call returns or raises."""

import pytest

import payhook

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


def test_unhashable_arguments_are_not_cached_but_work():
    token = payhook.jwt.encode({"n": 1}, KEY)
    assert payhook.leanx.decode(token, ["old-key", KEY]) == {"n": 1}
    aud_token = payhook.jwt.encode({"aud": "b"}, KEY)
    assert payhook.jwt.decode(aud_token, KEY, ["HS256"], {"require": ["aud"]},
                              audience=["a", "b"]) == {"aud": "b"}


def test_superpay_cache_keeps_max_bytes_apart():
    body = payhook.superpay.encrypt({"a": "x" * 100}, SP_KEY)
    assert payhook.superpay.decode(body, SP_KEY)["a"] == "x" * 100
    with pytest.raises(payhook.PayloadTooLargeError):
        payhook.superpay.decode(body, SP_KEY, max_bytes=64)
    assert payhook.superpay.decode(body, SP_KEY)["a"] == "x" * 100
