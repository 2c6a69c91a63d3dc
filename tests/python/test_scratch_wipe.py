"""Nothing a call decrypted or decoded stays in the memory a decoder reuses.

Each decoder keeps the core's scratch buffers from call to call; the call
wipes what it was handed of them before it returns.  The decoders'
private ``_scratch_bytes()`` (for these tests only) copies the buffers
whole, so the tests look at everything the decoder still holds.

Each test first makes the buffers larger than the call under test needs,
so that the call writes into memory payhook already owns; the secret
marker is made afterwards, at random, so it cannot be in whatever the
allocator handed over before.
"""

from __future__ import annotations

import json
import os

import pytest

import payhook
from conftest import make_token, superpay_hex
from payhook._keys import MAX_BYTES

SP_KEY = "0123456789abcdef0123456789ABCDEF"
KEY = "scratch-wipe-leanx-key"
WARM = {"pad": "w" * 6000, "n": [1.5] * 200}


def marker() -> str:
    return "secret-" + os.urandom(12).hex()


def assert_nothing_left(decoder, secrets, plaintext_len: int) -> None:
    env, data, text = decoder._scratch_bytes()
    assert len(data) >= plaintext_len, "the scratch was never used"
    for secret in secrets:
        s = secret.encode() if isinstance(secret, str) else secret
        for name, buf in (("env", env), ("data", data), ("text", text)):
            assert s not in buf, f"{name} still holds {secret[:20]!r}"
    # The call decrypted or decoded into the start of `data`: those bytes
    # are zero now, not merely different.
    assert data[:plaintext_len] == bytes(plaintext_len)


def superpay_payload(m: str) -> dict:
    # One plain string, one with escapes (unescaped into `text`), a float.
    return {"account": m, "holder": "\u00e9" + m + "\n", "amount": 10.25}


def test_superpay_decoder_wipes_the_plaintext():
    d = payhook.superpay.Decoder(SP_KEY)
    d.decode(superpay_hex(WARM, SP_KEY))
    m = marker()
    plain = json.dumps(superpay_payload(m), separators=(",", ":"))
    hex_ = superpay_hex(plain, SP_KEY)
    for body in (hex_, json.dumps({"encryptedData": hex_}),
                 # An escape in the envelope: the hex is copied to `env`
                 # and the ciphertext goes to `text`.
                 '{"encryptedData":"\\u%04x%s"}' % (ord(hex_[0]), hex_[1:])):
        assert d.decode(body) == superpay_payload(m)
        assert_nothing_left(d, [m, plain[:24], plain[-24:]], len(plain))


def test_superpay_raw_decrypt_leaves_no_plaintext():
    d = payhook.superpay.Decoder(SP_KEY)
    d.decode(superpay_hex(WARM, SP_KEY))
    m = marker()
    assert d.decrypt(superpay_hex(m, SP_KEY)) == m.encode()
    env, data, text = d._scratch_bytes()
    assert m.encode() not in env + data + text


def test_superpay_failures_wipe_too():
    def boom(text):
        raise ValueError(text)

    d = payhook.superpay.Decoder(SP_KEY, parse_float=boom)
    d.decode(superpay_hex({"warm": WARM["pad"]}, SP_KEY))
    m = marker()
    plain = json.dumps(superpay_payload(m), separators=(",", ":"))
    # parse_float raises on `amount`, after the strings were built.
    with pytest.raises(payhook.DecryptionError):
        d.decode(superpay_hex(plain, SP_KEY))
    assert_nothing_left(d, [m], len(plain))
    # Valid padding, not JSON.
    m = marker()
    with pytest.raises(payhook.DecryptionError):
        d.decode(superpay_hex(m + " is not JSON", SP_KEY))
    assert_nothing_left(d, [m], len(m))


def test_superpay_one_call_function_wipes_its_prepared_decoder():
    payhook.superpay.decode(superpay_hex(WARM, SP_KEY), SP_KEY)
    m = marker()
    plain = json.dumps(superpay_payload(m), separators=(",", ":"))
    assert payhook.superpay.decode(superpay_hex(plain, SP_KEY),
                                   SP_KEY) == superpay_payload(m)
    # The same arguments find the decoder the call used.
    memo_decoder = payhook.superpay._prepared(SP_KEY, MAX_BYTES, None)
    assert_nothing_left(memo_decoder, [m], len(plain))


def leanx_payload(m: str) -> dict:
    return {"output": {"invoice_no": m, "name": "\u00e9" + m + "\t"},
            "amount": 12.5}


def test_leanx_decoder_wipes_body_token_and_payload():
    d = payhook.leanx.Decoder(KEY)
    d.decode(make_token(WARM, KEY))
    m = marker()
    token = make_token(leanx_payload(m), KEY)
    payload_len = len(json.dumps(leanx_payload(m), separators=(",", ":")))
    # The token's first letter escaped: the envelope's copy is in `env`.
    escaped = '{"data":"\\u%04x%s"}' % (ord(token[0]), token[1:])
    for body in (token, json.dumps({"data": token}), escaped):
        assert d.decode(body) == leanx_payload(m)
        assert_nothing_left(d, [m, token[1:]], payload_len)


def test_leanx_claim_failure_wipes_too():
    d = payhook.leanx.Decoder(KEY)
    d.decode(make_token(WARM, KEY))
    m = marker()
    payload = {"exp": 1000, "secret": m}
    with pytest.raises(payhook.ExpiredSignatureError):
        d.decode(make_token(payload, KEY), now=2000)
    assert_nothing_left(d, [m], len(json.dumps(payload,
                                               separators=(",", ":"))))


def test_jwt_decoder_and_one_call_function_wipe():
    d = payhook.jwt.Decoder(KEY, ["HS256"], audience="svc")
    d.decode(make_token(dict(WARM, aud="svc"), KEY))
    m = marker()
    payload = {"aud": "svc", "sub": m, "deep": [{"x": m}]}
    token = make_token(payload, KEY)
    assert d.decode(token) == payload
    n = len(json.dumps(payload, separators=(",", ":")))
    assert_nothing_left(d, [m], n)
    # The one-call function's prepared verifier.
    payhook.jwt.decode(make_token(WARM, KEY), KEY, ["HS256"])
    m = marker()
    payload = {"sub": m}
    assert payhook.jwt.decode(make_token(payload, KEY), KEY,
                              ["HS256"]) == payload
    one = payhook.jwt._jwt_global_obj        # behind payhook.jwt.decode
    verifier = payhook.jwt._planned(
        one, one._jws, KEY, ["HS256"], None, one._merge_options, None, None,
        None, 0, MAX_BYTES, None).verifier
    assert_nothing_left(verifier, [m], len(json.dumps(payload)))


def test_the_scratch_cannot_be_read_while_a_call_holds_it():
    seen = []

    def peek(text):
        with pytest.raises(RuntimeError):
            d._scratch_bytes()
        seen.append(text)
        return float(text)

    d = payhook.superpay.Decoder(SP_KEY, parse_float=peek)
    assert d.decode(superpay_hex({"a": 1.5}, SP_KEY)) == {"a": 1.5}
    assert seen == ["1.5"]
    d._scratch_bytes()      # free again once the call is over


def test_reentrant_calls_leave_nothing_in_either_scratch():
    # The inner call finds the cache taken and works in fresh memory, which
    # is freed (and wiped) when it ends; the outer one wipes the cache.
    m_in, m_out = marker(), marker()
    inner_hex = superpay_hex({"inner": m_in}, SP_KEY)

    def reenter(text):
        assert d.decode(inner_hex) == {"inner": m_in}
        return float(text)

    d = payhook.superpay.Decoder(SP_KEY, parse_float=reenter)
    d.decode(superpay_hex({"warm": WARM["pad"]}, SP_KEY))
    plain = json.dumps({"outer": m_out, "f": 2.5}, separators=(",", ":"))
    assert d.decode(superpay_hex(plain, SP_KEY)) == {"outer": m_out,
                                                     "f": 2.5}
    assert_nothing_left(d, [m_in, m_out], len(plain))
