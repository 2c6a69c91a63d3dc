"""No memory growth under a flood of callbacks, good and forged.

100,000 decodes of each kind; after a warm-up, Python-level allocations
(tracemalloc) may not grow by 64 KiB and the process's resident set (which
also sees OpenSSL's and the core's malloc) may not grow by 2 MiB.
"""

from __future__ import annotations

import decimal
import gc
import json
import tracemalloc

import pytest

import payhook
from conftest import UNDER_ASAN, make_token, rss_bytes, superpay_hex

pytestmark = pytest.mark.slow

ITERATIONS = 100_000
WARMUP = 2_000
TRACEMALLOC_LIMIT = 64 * 1024
RSS_LIMIT = 2 * 1024 * 1024

LEANX_KEY = "memory-test-hash-key"
SP_KEY = "MemoryTestSymmetricKey0123456789"

PAYLOAD = {"output": {"invoice_no": "INV-1", "amount": "13.00",
                      "n": [1, 2.5, None, True, "é€😀", 2**70],
                      "d": {"a": {"b": [{}]}}}}
TOKEN = make_token(PAYLOAD, LEANX_KEY)
BODY = json.dumps({"data": TOKEN, "response_code": 2100}).encode()
SP_HEX = superpay_hex({"data": {"status": "SUCCESS", "amount": 3.1025,
                                "x": [1, None, "y" * 40]}}, SP_KEY)
SP_BODY = json.dumps({"encryptedData": SP_HEX}).encode()

FORGED = make_token(PAYLOAD, "not-the-key").encode()
BAD_JSON_TOKEN = make_token(None, LEANX_KEY, raw_payload=b'{"a": [1, 2')
SP_BAD = SP_HEX[:-2] + ("00" if not SP_HEX.endswith("00") else "11")
SP_NOT_OBJECT = superpay_hex(b'[1, 2, {"a": "b"}]', SP_KEY)

_leanx = payhook.leanx.Decoder(LEANX_KEY)
_superpay = payhook.superpay.Decoder(SP_KEY)
_jwt = payhook.jwt.Decoder(LEANX_KEY, ["HS256"], audience="m")
_jwt_token = make_token({"aud": "m", "exp": 2_000_000_000, "v": [1, 2]},
                        LEANX_KEY)


def _expect_error(cls, call):
    def run():
        try:
            call()
        except cls:
            return
        raise AssertionError("no error")
    return run


KINDS = {
    "leanx good": lambda: _leanx.decode(BODY),
    "leanx good str": lambda: payhook.leanx.decode(TOKEN, LEANX_KEY,
                                                   now=1.0),
    "leanx forged": _expect_error(
        payhook.InvalidSignatureError,
        lambda: _leanx.decode(FORGED)),
    "leanx malformed": _expect_error(
        payhook.DecodeError, lambda: _leanx.decode(b'{"data": "a.b"}')),
    "leanx bad payload json": _expect_error(
        payhook.DecodeError, lambda: _leanx.decode(BAD_JSON_TOKEN)),
    "superpay good": lambda: _superpay.decode(SP_BODY),
    "superpay decimal": lambda: payhook.superpay.decode(
        SP_HEX, SP_KEY, parse_float=decimal.Decimal),
    "superpay bad padding": _expect_error(
        payhook.DecryptionError, lambda: _superpay.decode(SP_BAD)),
    "superpay bad json": _expect_error(
        payhook.DecryptionError, lambda: _superpay.decode(SP_NOT_OBJECT)),
    "superpay decrypt": lambda: _superpay.decrypt(SP_HEX),
    "superpay encrypt": lambda: _superpay.encrypt(b'{"a":1}'),
    "jwt good": lambda: _jwt.decode(_jwt_token, now=1.0),
    "jwt claim error": _expect_error(
        payhook.ExpiredSignatureError,
        lambda: _jwt.decode(_jwt_token, now=3e9)),
    "jwt encode": lambda: payhook.jwt.encode({"a": 1}, LEANX_KEY),
    "superpay wrong key length": _expect_error(
        payhook.InvalidKeyError, lambda: payhook.superpay.decode(
            SP_HEX, "short")),
}

def _measure(call, n):
    for _ in range(WARMUP):
        call()
    gc.collect()
    tracemalloc.start()
    try:
        rss0 = rss_bytes()
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(n):
            call()
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
        rss1 = rss_bytes()
    finally:
        tracemalloc.stop()
    return after - before, rss1 - rss0


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_growth(kind):
    call = KINDS[kind]
    call()  # the expected outcome, once
    n = ITERATIONS if not kind.endswith(("encode", "decimal", "str",
                                         "wrong key length")) \
        else ITERATIONS // 4
    traced, rss = _measure(call, n)
    assert traced < TRACEMALLOC_LIMIT, f"{kind}: Python heap grew {traced} B"
    if not UNDER_ASAN and rss_bytes():
        assert rss < RSS_LIMIT, f"{kind}: RSS grew {rss} B"


def test_large_inputs_do_not_grow():
    big = {"blob": "z" * 100_000, "items": list(range(500))}
    token = make_token(big, LEANX_KEY).encode()
    sp = superpay_hex(big, SP_KEY).encode()
    forged = make_token(big, "other").encode()

    def call():
        _leanx.decode(token)
        _superpay.decode(sp)
        try:
            _leanx.decode(forged)
        except payhook.InvalidSignatureError:
            pass

    traced, rss = _measure(call, 1_000)
    assert traced < TRACEMALLOC_LIMIT, traced
    if not UNDER_ASAN and rss_bytes():
        assert rss < RSS_LIMIT, rss
