"""The public Python API: exceptions, argument types, the vendor samples,
round trips, options, limits, json.loads exactness, the no-oracle property,
key secrecy and the version string."""

from __future__ import annotations

import base64
import collections.abc
import decimal
import hashlib
import importlib.metadata
import json
import math
import re
import traceback
from datetime import datetime, timedelta, timezone

import pytest

import payhook
from conftest import (
    LEANX_VENDOR_TOKEN,
    REPO,
    SUPERPAY_VENDOR_HEX,
    SUPERPAY_VENDOR_KEY,
    SUPERPAY_VENDOR_PAYLOAD,
    aes_cbc_decrypt,
    aes_cbc_encrypt,
    aes_cbc_encrypt_raw,
    as_bytes,
    assert_strict_equal,
    b64url,
    b64url_decode,
    hs_tag,
    leanx_body,
    make_token,
    superpay_body,
    superpay_hex,
    superpay_iv,
)

KEY = "merchant-hash-key"
SP_KEY = "0123456789abcdef0123456789ABCDEF"  # 32 ASCII bytes


# ---------------------------------------------------------------------------
# Exceptions

HIERARCHY = {
    "PayhookError": "ValueError",
    "InvalidKeyError": "PayhookError",
    "InvalidTokenError": "PayhookError",
    "DecodeError": "InvalidTokenError",
    "InvalidSignatureError": "DecodeError",
    "InvalidAlgorithmError": "InvalidTokenError",
    "ExpiredSignatureError": "InvalidTokenError",
    "ImmatureSignatureError": "InvalidTokenError",
    "InvalidIssuedAtError": "DecodeError",
    "InvalidAudienceError": "InvalidTokenError",
    "InvalidIssuerError": "InvalidTokenError",
    "InvalidSubjectError": "InvalidTokenError",
    "InvalidJTIError": "InvalidTokenError",
    "MissingRequiredClaimError": "InvalidTokenError",
    "DecryptionError": "PayhookError",
    "PayloadTooLargeError": "DecodeError",
    "GuardError": "PayhookError",
    "MissingEventIdError": "GuardError",
    "ReplayConflictError": "GuardError",
    "ReplayInProgressError": "GuardError",
    "GuardUnavailableError": "GuardError",
}

PYJWT_NAMES = [
    "PyJWTError", "InvalidTokenError", "DecodeError", "InvalidSignatureError",
    "ExpiredSignatureError", "InvalidAudienceError", "InvalidIssuerError",
    "InvalidIssuedAtError", "ImmatureSignatureError", "InvalidKeyError",
    "InvalidAlgorithmError", "MissingRequiredClaimError",
    "InvalidSubjectError", "InvalidJTIError",
]


@pytest.mark.parametrize("name", sorted(HIERARCHY))
def test_exception_importable_with_documented_base(name):
    cls = getattr(payhook, name)
    assert isinstance(cls, type) and issubclass(cls, Exception)
    assert name in payhook.__all__
    assert getattr(payhook.errors, name) is cls
    parent = HIERARCHY[name]
    base = ValueError if parent == "ValueError" else getattr(payhook, parent)
    assert cls.__bases__ == (base,)
    assert issubclass(cls, payhook.PayhookError)
    assert issubclass(cls, ValueError)
    assert cls.__doc__


def test_all_lists_only_real_names():
    for name in payhook.__all__:
        assert hasattr(payhook, name), name
    for module in (payhook.leanx, payhook.superpay, payhook.jwt,
                   payhook.errors):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
            assert getattr(module, name).__doc__, (module.__name__, name)


@pytest.mark.parametrize("name", PYJWT_NAMES)
def test_jwt_module_exposes_pyjwt_names(name):
    ours = getattr(payhook.jwt, name)
    if name == "PyJWTError":
        assert ours is payhook.PayhookError
    else:
        assert ours is getattr(payhook, name)


def test_jwt_hierarchy_is_at_least_pyjwts():
    """Wherever PyJWT has A below B, so does payhook: code that catches B
    from PyJWT catches our A too."""
    pyjwt = pytest.importorskip("jwt")
    for a in PYJWT_NAMES:
        for b in PYJWT_NAMES:
            theirs_a = getattr(pyjwt.exceptions, a, None)
            theirs_b = getattr(pyjwt.exceptions, b, None)
            if theirs_a is None or theirs_b is None:
                continue
            if issubclass(theirs_a, theirs_b):
                assert issubclass(getattr(payhook.jwt, a),
                                  getattr(payhook.jwt, b)), (a, b)


def test_missing_required_claim_names_the_claim():
    token = make_token({"a": 1}, KEY)
    with pytest.raises(payhook.MissingRequiredClaimError) as info:
        payhook.jwt.decode(token, KEY, ["HS256"], options={"require": ["exp"]})
    assert info.value.claim == "exp"


def test_public_callables_have_docstrings():
    for f in (payhook.leanx.decode, payhook.leanx.Decoder,
              payhook.leanx.Decoder.decode, payhook.superpay.decode,
              payhook.superpay.decrypt, payhook.superpay.encrypt,
              payhook.superpay.Decoder, payhook.superpay.Decoder.decode,
              payhook.jwt.decode, payhook.jwt.encode, payhook.jwt.Decoder):
        assert f.__doc__ and f.__doc__.strip(), f


# ---------------------------------------------------------------------------
# Input types and keys

INPUT_TYPES = {
    "str": lambda s: s,
    "bytes": lambda s: s.encode(),
    "bytearray": lambda s: bytearray(s.encode()),
    "memoryview": lambda s: memoryview(s.encode()),
    "memoryview-slice": lambda s: memoryview(b"xx" + s.encode() + b"yy")[2:-2],
    "memoryview-bytearray": lambda s: memoryview(bytearray(s.encode())),
}


@pytest.mark.parametrize("kind", sorted(INPUT_TYPES))
def test_every_input_type(kind):
    conv = INPUT_TYPES[kind]
    payload = {"output": {"invoice_no": "INV-1", "amount": "13.00"}}
    token = make_token(payload, KEY)
    assert payhook.leanx.decode(conv(leanx_body(token)), KEY) == payload
    assert payhook.leanx.decode(conv(token), KEY) == payload
    assert payhook.leanx.Decoder(KEY).decode(conv(token)) == payload
    assert payhook.jwt.decode(conv(token), KEY, ["HS256"]) == payload
    assert payhook.jwt.Decoder(KEY, ["HS256"]).decode(conv(token)) == payload

    sp = {"data": {"status": "SUCCESS"}}
    hex_ = superpay_hex(sp, SP_KEY)
    assert payhook.superpay.decode(conv(json.dumps({"encryptedData": hex_})),
                                   SP_KEY) == sp
    assert payhook.superpay.decode(conv(hex_), SP_KEY) == sp
    assert payhook.superpay.Decoder(SP_KEY).decode(conv(hex_)) == sp
    assert payhook.superpay.decrypt(conv(hex_), SP_KEY) == json.dumps(
        sp, separators=(",", ":")).encode()


def test_keys_as_str_and_bytes():
    for key in ("ascii-key", "kéy-ünïcødé-🔑", "x", "k" * 200):
        token = make_token({"a": 1}, key.encode("utf-8"))
        assert payhook.leanx.decode(token, key) == {"a": 1}
        assert payhook.leanx.decode(token, key.encode("utf-8")) == {"a": 1}
        assert payhook.jwt.decode(token, key, ["HS256"]) == {"a": 1}
        assert payhook.jwt.decode(token, bytearray(key.encode()),
                                  ["HS256"]) == {"a": 1}
    raw = bytes(range(256))
    token = make_token({"a": 2}, raw)
    assert payhook.leanx.decode(token, raw) == {"a": 2}

    sp_bytes = b"\x00\xff" * 16
    assert payhook.superpay.decode(superpay_hex({"b": 1}, sp_bytes),
                                   sp_bytes) == {"b": 1}
    unicode_key = "é" * 16  # 32 UTF-8 bytes
    assert payhook.superpay.decode(superpay_hex({"c": 1}, unicode_key),
                                   unicode_key) == {"c": 1}
    assert payhook.superpay.decode(superpay_hex({"c": 1}, SP_KEY),
                                   SP_KEY.encode()) == {"c": 1}


def test_leanx_hash_key_is_text_never_hex_decoded():
    hex_key = hashlib.sha512(b"portal").hexdigest()  # 128 hex characters
    assert len(hex_key) == 128
    token = make_token({"ok": True}, hex_key)
    assert payhook.leanx.decode(leanx_body(token), hex_key) == {"ok": True}
    forged = make_token({"ok": True}, bytes.fromhex(hex_key))
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.leanx.decode(leanx_body(forged), hex_key)


@pytest.mark.parametrize("key", ["", b"", [], [""], ["ok", b""]])
def test_empty_leanx_keys(key):
    token = make_token({"a": 1}, "ok")
    with pytest.raises(payhook.InvalidKeyError):
        payhook.leanx.decode(token, key)
    with pytest.raises(payhook.InvalidKeyError):
        payhook.jwt.decode(token, key, ["HS256"])


@pytest.mark.parametrize("key", ["", "x" * 31, "x" * 33, b"x" * 16,
                                 b"x" * 64, "é" * 32])
def test_bad_superpay_key_lengths(key):
    with pytest.raises(payhook.InvalidKeyError):
        payhook.superpay.decode(superpay_hex({"a": 1}, SP_KEY), key)
    with pytest.raises(payhook.InvalidKeyError):
        payhook.superpay.Decoder(key)
    with pytest.raises(payhook.InvalidKeyError):
        payhook.superpay.encrypt({"a": 1}, key)


def test_lone_surrogates_in_text_inputs():
    with pytest.raises(payhook.DecodeError):
        payhook.leanx.decode("\ud800", KEY)
    with pytest.raises(payhook.DecodeError):
        payhook.superpay.decode('{"encryptedData": "\ud800"}', SP_KEY)
    with pytest.raises(payhook.InvalidKeyError):
        payhook.leanx.decode(make_token({}, KEY), "\udc00")


GOOD_TOKEN = make_token({"a": 1}, KEY)
GOOD_HEX = superpay_hex({"a": 1}, SP_KEY)

WRONG_TYPE_CALLS = {
    "leanx body None": lambda: payhook.leanx.decode(None, KEY),
    "leanx body int": lambda: payhook.leanx.decode(1, KEY),
    "leanx body dict": lambda: payhook.leanx.decode({"data": GOOD_TOKEN},
                                                    KEY),
    "leanx body list": lambda: payhook.leanx.decode([GOOD_TOKEN], KEY),
    "leanx key None": lambda: payhook.leanx.decode(GOOD_TOKEN, None),
    "leanx key int": lambda: payhook.leanx.decode(GOOD_TOKEN, 5),
    "leanx key list of int": lambda: payhook.leanx.decode(GOOD_TOKEN, [5]),
    "leanx now str": lambda: payhook.leanx.decode(GOOD_TOKEN, KEY, now="1"),
    "leanx leeway str": lambda: payhook.leanx.decode(GOOD_TOKEN, KEY,
                                                     leeway="1"),
    "leanx max_bytes float": lambda: payhook.leanx.decode(
        GOOD_TOKEN, KEY, max_bytes=10.0),
    "leanx max_bytes bool": lambda: payhook.leanx.decode(
        GOOD_TOKEN, KEY, max_bytes=True),
    "leanx parse_float": lambda: payhook.leanx.decode(
        GOOD_TOKEN, KEY, parse_float=1),
    "leanx Decoder.decode int": lambda: payhook.leanx.Decoder(KEY).decode(1),
    "leanx Decoder.decode now": lambda: payhook.leanx.Decoder(KEY).decode(
        GOOD_TOKEN, now=[1]),
    "superpay body None": lambda: payhook.superpay.decode(None, SP_KEY),
    "superpay body int": lambda: payhook.superpay.decode(7, SP_KEY),
    "superpay body dict": lambda: payhook.superpay.decode(
        {"encryptedData": GOOD_HEX}, SP_KEY),
    "superpay key None": lambda: payhook.superpay.decode(GOOD_HEX, None),
    "superpay key int": lambda: payhook.superpay.decode(GOOD_HEX, 32),
    "superpay key list": lambda: payhook.superpay.decode(GOOD_HEX, [SP_KEY]),
    "superpay max_bytes str": lambda: payhook.superpay.decode(
        GOOD_HEX, SP_KEY, max_bytes="9"),
    "superpay parse_float": lambda: payhook.superpay.decode(
        GOOD_HEX, SP_KEY, parse_float="x"),
    "superpay Decoder.decode None": lambda: payhook.superpay.Decoder(
        SP_KEY).decode(None),
    "decrypt data int": lambda: payhook.superpay.decrypt(3, SP_KEY),
    "decrypt iv str": lambda: payhook.superpay.decrypt(GOOD_HEX, SP_KEY,
                                                       "0" * 16),
    "encrypt key int": lambda: payhook.superpay.encrypt({"a": 1}, 1),
    "jwt key None": lambda: payhook.jwt.decode(GOOD_TOKEN, None, ["HS256"]),
    "jwt audience int": lambda: payhook.jwt.decode(GOOD_TOKEN, KEY, ["HS256"],
                                                   audience=1),
    "jwt subject int": lambda: payhook.jwt.decode(GOOD_TOKEN, KEY, ["HS256"],
                                                  subject=3),
    "jwt now str": lambda: payhook.jwt.decode(GOOD_TOKEN, KEY, ["HS256"],
                                              now="0"),
    "jwt leeway None": lambda: payhook.jwt.decode(GOOD_TOKEN, KEY, ["HS256"],
                                                  leeway=None),
    "jwt require str": lambda: payhook.jwt.decode(
        GOOD_TOKEN, KEY, ["HS256"], options={"require": "exp"}),
    "jwt encode payload list": lambda: payhook.jwt.encode([1], KEY),
    "jwt encode key None": lambda: payhook.jwt.encode({"a": 1}, None),
}


@pytest.mark.parametrize("name", sorted(WRONG_TYPE_CALLS))
def test_wrong_types_raise_type_error(name):
    with pytest.raises(TypeError):
        WRONG_TYPE_CALLS[name]()


def test_jwt_argument_mistakes_raise_what_pyjwt_raises():
    """Where PyJWT answers a strange argument with one of its exceptions
    (so that `except jwt.InvalidTokenError` answers 401, not 500),
    payhook.jwt raises the same class with the same message."""
    decode = payhook.jwt.decode
    aud = make_token({"aud": ["urn:me", "urn:other"], "iss": "123"}, KEY)
    for token in (None, 123, 1.5, ["a.b.c"]):
        with pytest.raises(payhook.DecodeError,
                           match="^Invalid token type. Token must be a "):
            decode(token, KEY, ["HS256"])
    # bytes are an iterable of ints, none of which is an audience
    with pytest.raises(payhook.InvalidAudienceError,
                       match="^Audience doesn't match$"):
        decode(aud, KEY, ["HS256"], audience=b"urn:me")
    with pytest.raises(payhook.InvalidAudienceError,
                       match="^Audience doesn't match$"):
        decode(aud, KEY, ["HS256"], audience=[1, b"urn:me"])
    assert decode(aud, KEY, ["HS256"], audience=[1, "urn:me"])["iss"] == "123"
    assert decode(aud, KEY, ["HS256"], audience={"urn:other"})
    with pytest.raises(payhook.InvalidAudienceError,
                       match=r"^Invalid audience \(strict\)$"):
        decode(aud, KEY, ["HS256"], audience=["urn:me"],
               options={"strict_aud": True})
    with pytest.raises(TypeError,
                       match="^audience must be a string, iterable or None$"):
        decode(aud, KEY, ["HS256"], audience=1)
    # an issuer that is not a container of str
    for issuer in (123, b"123", 1.5):
        with pytest.raises(payhook.InvalidIssuerError,
                           match='^Issuer param must be "str" or '
                                 r'"Container\[str\]"$'):
            decode(aud, KEY, ["HS256"], audience="urn:me", issuer=issuer)
    with pytest.raises(payhook.MissingRequiredClaimError) as info:
        decode(GOOD_TOKEN, KEY, ["HS256"], issuer=123)
    assert info.value.claim == "iss"
    for issuer in (["123"], ("x", "123"), {"123"}, {"123": 1}, "123"):
        assert decode(aud, KEY, ["HS256"], audience="urn:me", issuer=issuer)
    with pytest.raises(payhook.InvalidIssuerError, match="^Invalid issuer$"):
        decode(aud, KEY, ["HS256"], audience="urn:me", issuer=[123, "12"])


# ---------------------------------------------------------------------------
# The vendors' samples


def test_superpay_vendor_sample_every_way():
    key = SUPERPAY_VENDOR_KEY
    body = json.dumps({"encryptedData": SUPERPAY_VENDOR_HEX})
    forms = [
        body,
        body.encode(),
        '{\n"encryptedData": "%s"\n}\n' % SUPERPAY_VENDOR_HEX,
        SUPERPAY_VENDOR_HEX,
        SUPERPAY_VENDOR_HEX.upper(),
        json.dumps({"encryptedData": SUPERPAY_VENDOR_HEX.upper()}),
        "  " + SUPERPAY_VENDOR_HEX + "\r\n",
    ]
    decoder = payhook.superpay.Decoder(key)
    for form in forms:
        assert_strict_equal(payhook.superpay.decode(form, key),
                            SUPERPAY_VENDOR_PAYLOAD)
        assert_strict_equal(decoder.decode(form), SUPERPAY_VENDOR_PAYLOAD)
    assert payhook.superpay.decode(body, key.encode())["data"][
        "transactionId"] == "10556"


def test_superpay_vendor_sample_raw_decrypt():
    key = SUPERPAY_VENDOR_KEY.encode()
    want = aes_cbc_decrypt(bytes.fromhex(SUPERPAY_VENDOR_HEX), key,
                           hashlib.md5(key).digest())
    assert json.loads(want) == SUPERPAY_VENDOR_PAYLOAD
    assert payhook.superpay.decrypt(SUPERPAY_VENDOR_HEX, key) == want
    assert payhook.superpay.decrypt(SUPERPAY_VENDOR_HEX, key,
                                    hashlib.md5(key).digest()) == want
    assert payhook.superpay.decrypt(SUPERPAY_VENDOR_HEX.upper(), key) == want


def test_superpay_vendor_page_trailing_comma_is_not_json():
    page_body = '{\n"encryptedData": "%s",\n}' % SUPERPAY_VENDOR_HEX
    with pytest.raises(payhook.DecodeError):
        payhook.superpay.decode(page_body, SUPERPAY_VENDOR_KEY)


def test_superpay_example_callbacks_in_repo():
    folder = REPO / "examples" / "callbacks"
    if not (folder / "superpay-vendor-sample.json").exists():
        pytest.skip("examples/callbacks/superpay-vendor-sample.json missing")
    body = (folder / "superpay-vendor-sample.json").read_bytes()
    assert_strict_equal(payhook.superpay.decode(body, SUPERPAY_VENDOR_KEY),
                        SUPERPAY_VENDOR_PAYLOAD)


def test_leanx_vendor_token_is_well_formed_but_never_verifies():
    header_b64, payload_b64, sig_b64 = LEANX_VENDOR_TOKEN.split(".")
    assert json.loads(b64url_decode(header_b64)) == {"alg": "HS256",
                                                     "typ": "JWT"}
    payload = json.loads(b64url_decode(payload_b64))
    assert payload["output"]["invoice_no"] == "17254613886HGPiuRu"
    assert len(b64url_decode(sig_b64)) == 32

    demo_key = ("7d3b1f0c9a2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b"
                "2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0"
                "d2f4a")
    body = json.dumps({"data": LEANX_VENDOR_TOKEN, "response_code": 2100},
                      indent=4)
    for key in ("", "x", "hash-key", demo_key, "secret", b"\x00" * 32,
                ["a", "b", "c"]):
        for data in (body, LEANX_VENDOR_TOKEN):
            with pytest.raises(payhook.InvalidKeyError if key == ""
                               else payhook.InvalidSignatureError):
                payhook.leanx.decode(data, key)

    # The same signing input re-signed with our own key verifies to exactly
    # what json.loads makes of the payload.
    signing_input = f"{header_b64}.{payload_b64}".encode()
    ours = signing_input.decode() + "." + b64url(hs_tag(signing_input, "k"))
    assert_strict_equal(payhook.leanx.decode(leanx_body(ours), "k"), payload)
    assert payload["output"]["client_transaction_details"] is None
    assert payhook.leanx.decode(ours, "k")["output"][
        "error_description"] == []


# ---------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_jwt_encode_decode_round_trip(alg):
    payload = {"output": {"invoice_no": "A1", "amount": "13.00"},
               "n": [1, 2.5, None, True, False, "é€😀", {"x": []}],
               "big": 2**70}
    token = payhook.jwt.encode(payload, KEY, algorithm=alg)
    assert isinstance(token, str)
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header["alg"] == alg
    assert_strict_equal(payhook.jwt.decode(token, KEY, algorithms=[alg]),
                        payload)
    if alg == "HS256":
        assert_strict_equal(payhook.leanx.decode(leanx_body(token), KEY),
                            payload)
    else:
        with pytest.raises(payhook.InvalidAlgorithmError):
            payhook.leanx.decode(leanx_body(token), KEY)
        with pytest.raises(payhook.InvalidAlgorithmError):
            payhook.jwt.decode(token, KEY, ["HS256"])
    # The signature is what stdlib hmac computes over the signing input.
    signing_input, _, sig = token.rpartition(".")
    assert b64url_decode(sig) == hs_tag(signing_input.encode(), KEY, alg)


def test_jwt_encode_headers_and_errors():
    encode = payhook.jwt.encode
    token = encode({"a": 1}, KEY, headers={"kid": "k1"})
    assert json.loads(b64url_decode(token.split(".")[0]))["kid"] == "k1"
    assert payhook.jwt.decode(token, KEY, ["HS256"]) == {"a": 1}
    # An algorithm payhook does not have: PyJWT's NotImplementedError, and
    # for the ones PyJWT has, why.
    for alg in ("none", "RS256", "ES256", "EdDSA", None):
        with pytest.raises(NotImplementedError,
                           match="^Algorithm not supported: payhook.jwt has "
                                 "HS256, HS384 and HS512 only$"):
            encode({"a": 1}, KEY, algorithm=alg)
    for alg in ("hs256", "HS1024", ""):
        with pytest.raises(NotImplementedError,
                           match="^Algorithm not supported$"):
            encode({"a": 1}, KEY, algorithm=alg)
    with pytest.raises(NotImplementedError):
        encode({"a": 1}, KEY, headers={"alg": "none"})
    # The header's alg wins, as in PyJWT.
    token = encode({"a": 1}, KEY, algorithm="HS256", headers={"alg": "HS512"})
    assert payhook.jwt.get_unverified_header(token)["alg"] == "HS512"
    assert payhook.jwt.decode(token, KEY, ["HS512"]) == {"a": 1}
    with pytest.raises(payhook.InvalidKeyError,
                       match="^HMAC key must not be empty.$"):
        encode({"a": 1}, "")
    # What decode would refuse is not made.
    for headers in ({"kid": 123}, {"kid": None}):
        with pytest.raises(payhook.InvalidTokenError,
                           match="^Key ID header parameter must be a "
                                 "string$"):
            encode({"a": 1}, KEY, headers=headers)
    for headers in ({"b64": False}, {"crit": ["exp"]}, {"enc": "A128GCM"}):
        with pytest.raises(payhook.InvalidTokenError, match="payhook"):
            encode({"a": 1}, KEY, headers=headers)
    with pytest.raises(payhook.InvalidTokenError, match="detached"):
        payhook.jwt.PyJWS().encode(b"x", KEY, is_payload_detached=True)
    token = encode({"a": 1}, KEY, headers={"b64": True})    # the default
    assert "b64" not in payhook.jwt.get_unverified_header(token)
    deep: list = []
    for _ in range(200):
        deep = [deep]
    for payload in ({"a": math.nan}, {"a": [math.inf]}, {"a": "\ud800"},
                    {"a": deep}):
        with pytest.raises(ValueError, match="payhook's decode refuses"):
            encode(payload, KEY)
    assert encode({"a": "\ud83d\ude00"}, KEY)             # a pair is fine
    with pytest.raises(TypeError, match=r"^Issuer \(iss\) must be a "):
        encode({"iss": 123}, KEY)
    with pytest.raises(TypeError, match="^Expecting a dict object"):
        encode([("a", 1)], KEY)  # type: ignore[arg-type]


def test_jwt_encode_datetime_claims():
    exp = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    iat = datetime(2029, 1, 1, tzinfo=timezone.utc)
    token = payhook.jwt.encode({"exp": exp, "iat": iat, "nbf": iat}, KEY)
    exp_s, iat_s = int(exp.timestamp()), int(iat.timestamp())
    claims = payhook.jwt.decode(token, KEY, ["HS256"], now=iat_s + 10)
    assert_strict_equal(claims, {"exp": exp_s, "iat": iat_s, "nbf": iat_s})
    assert payhook.leanx.decode(token, KEY, now=exp_s - 1)["exp"] == exp_s
    with pytest.raises(payhook.ExpiredSignatureError):
        payhook.jwt.decode(token, KEY, ["HS256"], now=exp_s)
    with pytest.raises(payhook.ExpiredSignatureError):
        payhook.leanx.decode(leanx_body(token), KEY, now=exp_s + 0.5)
    with pytest.raises(payhook.ImmatureSignatureError):
        payhook.jwt.decode(token, KEY, ["HS256"], now=iat_s - 1)


@pytest.mark.parametrize("payload", [
    {"data": {"status": "SUCCESS", "transaction": {"id": 10025}}},
    {},
    {"message": "é€😀\u0000", "n": [1, 1.5, None, True]},
    {"big": "x" * 5000},
])
def test_superpay_encrypt_decode_round_trip(payload):
    hex_ = payhook.superpay.encrypt(payload, SP_KEY)
    assert re.fullmatch(r"(?:[0-9a-f]{32})+", hex_)
    assert_strict_equal(payhook.superpay.decode(hex_, SP_KEY), payload)
    assert_strict_equal(
        payhook.superpay.decode(json.dumps({"encryptedData": hex_}), SP_KEY),
        payload)
    # Independent check: cryptography decrypts it to compact JSON.
    key = SP_KEY.encode()
    plain = aes_cbc_decrypt(bytes.fromhex(hex_), key, superpay_iv(key))
    assert_strict_equal(json.loads(plain), payload)


def test_superpay_encrypt_str_and_bytes_payloads():
    text = '{"a": 1, "b": "é"}'
    for payload in (text, text.encode("utf-8")):
        hex_ = payhook.superpay.encrypt(payload, SP_KEY)
        assert payhook.superpay.decrypt(hex_, SP_KEY) == text.encode("utf-8")
        assert payhook.superpay.decode(hex_, SP_KEY) == {"a": 1, "b": "é"}
    assert hex_ == superpay_hex(text.encode("utf-8"), SP_KEY)


# ---------------------------------------------------------------------------
# parse_float


def test_parse_float_decimal_everywhere():
    text = ('{"amount":3.1025,"n":5,"big":100000000000000000000000000000,'
            '"one":1.0,"tiny":1e-7,"neg":-0.5,"list":[2.50,3]}')
    want = json.loads(text, parse_float=decimal.Decimal)
    assert want["amount"] == decimal.Decimal("3.1025")
    token = make_token(None, KEY, raw_payload=text.encode())
    hex_ = superpay_hex(text, SP_KEY)
    results = [
        payhook.leanx.decode(token, KEY, parse_float=decimal.Decimal),
        payhook.leanx.Decoder(KEY, parse_float=decimal.Decimal).decode(token),
        payhook.jwt.decode(token, KEY, ["HS256"], parse_float=decimal.Decimal),
        payhook.superpay.decode(hex_, SP_KEY, parse_float=decimal.Decimal),
        payhook.superpay.Decoder(SP_KEY,
                                 parse_float=decimal.Decimal).decode(hex_),
    ]
    for got in results:
        assert_strict_equal(got, want)
        assert str(got["amount"]) == "3.1025"
        assert str(got["list"][0]) == "2.50"
        assert type(got["n"]) is int and type(got["big"]) is int
    # Without parse_float, floats are floats.
    assert_strict_equal(payhook.superpay.decode(hex_, SP_KEY),
                        json.loads(text))


def test_parse_float_exception_propagates_from_jwt_and_leanx():
    class Boom(Exception):
        pass

    def explode(text):
        raise Boom(text)

    token = make_token({"x": 2.5}, KEY)
    with pytest.raises(Boom):
        payhook.leanx.decode(token, KEY, parse_float=explode)
    with pytest.raises(Boom):
        payhook.jwt.decode(token, KEY, ["HS256"], parse_float=explode)
    # Once a failing parse_float is done, the decoder still works.
    assert payhook.leanx.decode(token, KEY) == {"x": 2.5}


def test_parse_float_exception_is_the_decryption_error_in_superpay():
    # SuperPay has no MAC: a failure of the decrypted text, whatever it is,
    # must look like any other (tests/python/test_superpay_errors.py has
    # the details).
    class Boom(Exception):
        pass

    def explode(text):
        raise Boom(text)

    hex_ = superpay_hex('{"x": [1, 2.5]}', SP_KEY)
    with pytest.raises(payhook.DecryptionError) as info:
        payhook.superpay.decode(hex_, SP_KEY, parse_float=explode)
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert payhook.superpay.decode(hex_, SP_KEY) == {"x": [1, 2.5]}


def test_parse_float_may_reenter_the_same_decoder():
    inner_payload = {"inner": [1, 2, {"k": "v"}], "x": "y"}
    inner_token = make_token(inner_payload, KEY)
    inner_hex = superpay_hex(inner_payload, SP_KEY)
    outer = {"a": 1.5, "b": {"c": 2.5, "d": [3.5, 4.5]},
             "names": {f"n{i}": i for i in range(40)}}
    seen = []

    def reenter_leanx(text):
        seen.append(leanx.decode(inner_token))
        return float(text)

    def reenter_superpay(text):
        seen.append(superpay.decode(inner_hex))
        assert superpay.decrypt(inner_hex) == json.dumps(
            inner_payload, separators=(",", ":")).encode()
        return float(text)

    leanx = payhook.leanx.Decoder(KEY, parse_float=reenter_leanx)
    superpay = payhook.superpay.Decoder(SP_KEY, parse_float=reenter_superpay)
    assert_strict_equal(leanx.decode(make_token(outer, KEY)), outer)
    assert_strict_equal(superpay.decode(superpay_hex(outer, SP_KEY)), outer)
    assert len(seen) == 8
    for got in seen:
        assert_strict_equal(got, inner_payload)


# ---------------------------------------------------------------------------
# max_bytes


def _padded_leanx_body(token: str, size: int) -> str:
    base = json.dumps({"data": token, "pad": ""})
    extra = size - len(base.encode())
    assert extra >= 0
    return json.dumps({"data": token, "pad": "p" * extra})


def test_max_bytes_exact_boundary_leanx():
    token = make_token({"a": 1}, KEY)
    for limit in (len(token), len(token) + 1, 1000):
        body = _padded_leanx_body(token, limit) if limit > len(token) + 40 \
            else token
        n = len(body.encode())
        assert payhook.leanx.decode(body, KEY, max_bytes=n) == {"a": 1}
        assert payhook.leanx.Decoder(KEY, max_bytes=n).decode(body) == {
            "a": 1}
        with pytest.raises(payhook.PayloadTooLargeError):
            payhook.leanx.decode(body, KEY, max_bytes=n - 1)
        with pytest.raises(payhook.PayloadTooLargeError):
            payhook.leanx.Decoder(KEY, max_bytes=n - 1).decode(body.encode())


def test_max_bytes_counts_utf8_bytes():
    token = make_token({"a": 1}, KEY)
    body = json.dumps({"data": token, "note": "ééé€"}, ensure_ascii=False)
    n = len(body.encode("utf-8"))
    assert n > len(body)
    assert payhook.leanx.decode(body, KEY, max_bytes=n) == {"a": 1}
    with pytest.raises(payhook.PayloadTooLargeError):
        payhook.leanx.decode(body, KEY, max_bytes=n - 1)


def test_max_bytes_exact_boundary_jwt_and_superpay():
    token = make_token({"a": "x" * 300}, KEY)
    n = len(token)
    assert payhook.jwt.decode(token, KEY, ["HS256"],
                              max_bytes=n)["a"] == "x" * 300
    with pytest.raises(payhook.PayloadTooLargeError):
        payhook.jwt.decode(token, KEY, ["HS256"], max_bytes=n - 1)

    hex_ = superpay_hex({"a": "y" * 300}, SP_KEY)
    body = json.dumps({"encryptedData": hex_})
    for data in (hex_, body):
        n = len(data)
        assert payhook.superpay.decode(data, SP_KEY, max_bytes=n)["a"] == \
            "y" * 300
        with pytest.raises(payhook.PayloadTooLargeError):
            payhook.superpay.decode(data, SP_KEY, max_bytes=n - 1)
        with pytest.raises(payhook.PayloadTooLargeError):
            payhook.superpay.Decoder(SP_KEY, max_bytes=n - 1).decode(data)
    assert payhook.superpay.decrypt(hex_, SP_KEY, max_bytes=len(hex_))
    with pytest.raises(payhook.PayloadTooLargeError):
        payhook.superpay.decrypt(hex_, SP_KEY, max_bytes=len(hex_) - 1)


def test_max_bytes_default_is_one_mib():
    assert payhook._payhook.DEFAULT_MAX_BYTES == 1 << 20
    token = make_token({"a": 1}, KEY)
    body = _padded_leanx_body(token, 1 << 20)
    assert payhook.leanx.decode(body, KEY) == {"a": 1}
    with pytest.raises(payhook.PayloadTooLargeError):
        payhook.leanx.decode(body + " ", KEY)
    big_hex = "00" * ((1 << 20) // 2 + 8)
    with pytest.raises(payhook.PayloadTooLargeError):
        payhook.superpay.decode(big_hex, SP_KEY)


def test_max_bytes_zero_and_negative():
    token = make_token({"a": 1}, KEY)
    with pytest.raises(payhook.PayloadTooLargeError):
        payhook.leanx.decode(token, KEY, max_bytes=0)
    with pytest.raises(ValueError):
        payhook.leanx.decode(token, KEY, max_bytes=-1)
    with pytest.raises(ValueError):
        payhook.superpay.decode(GOOD_HEX, SP_KEY, max_bytes=-1)


# ---------------------------------------------------------------------------
# Clock: now and leeway


@pytest.mark.parametrize("now,ok", [
    (999, True), (999.0, True), (999.999, True), (1000, False),
    (1000.0, False), (1000.001, False), (5000, False), (0, True),
])
def test_now_int_and_float_against_exp(now, ok):
    token = make_token({"exp": 1000}, KEY)
    body = leanx_body(token)
    if ok:
        assert payhook.jwt.decode(token, KEY, ["HS256"],
                                  now=now) == {"exp": 1000}
        assert payhook.leanx.decode(body, KEY, now=now) == {"exp": 1000}
        assert payhook.leanx.Decoder(KEY).decode(body, now=now) == {
            "exp": 1000}
        assert payhook.leanx.Decoder(KEY).decode(body, now) == {"exp": 1000}
    else:
        with pytest.raises(payhook.ExpiredSignatureError):
            payhook.jwt.decode(token, KEY, ["HS256"], now=now)
        with pytest.raises(payhook.ExpiredSignatureError):
            payhook.leanx.decode(body, KEY, now=now)


def test_nbf_and_iat_boundaries():
    nbf = make_token({"nbf": 1000}, KEY)
    iat = make_token({"iat": 1000}, KEY)
    for token in (nbf, iat):
        assert payhook.jwt.decode(token, KEY, ["HS256"], now=1000)
        assert payhook.jwt.decode(token, KEY, ["HS256"], now=1000.5)
        with pytest.raises(payhook.ImmatureSignatureError):
            payhook.jwt.decode(token, KEY, ["HS256"], now=999.5)
        assert payhook.jwt.decode(token, KEY, ["HS256"], now=995, leeway=5)
        with pytest.raises(payhook.ImmatureSignatureError):
            payhook.jwt.decode(token, KEY, ["HS256"], now=994, leeway=5)


def test_now_nan_does_not_switch_the_clock_checks_off():
    """A NaN clock compares false with everything; it must be refused (or
    the token rejected), not accepted as if no time claim were there."""
    now = math.nan
    expired = make_token({"exp": 1000}, KEY)
    immature = make_token({"nbf": 5000, "iat": 5000}, KEY)
    for token in (expired, immature):
        with pytest.raises(ValueError):
            payhook.jwt.decode(token, KEY, ["HS256"], now=now)
        with pytest.raises(ValueError):
            payhook.leanx.decode(leanx_body(token), KEY, now=now)
        with pytest.raises(ValueError):
            payhook.leanx.Decoder(KEY).decode(token, now=now)


def test_now_infinities_fail_closed():
    expired = make_token({"exp": 1000}, KEY)
    immature = make_token({"nbf": 5000}, KEY)
    with pytest.raises(ValueError):
        payhook.jwt.decode(expired, KEY, ["HS256"], now=math.inf)
    with pytest.raises(ValueError):
        payhook.jwt.decode(immature, KEY, ["HS256"], now=-math.inf)


@pytest.mark.parametrize("leeway", [10, 10.0, timedelta(seconds=10)])
def test_leeway_number_and_timedelta(leeway):
    token = make_token({"exp": 1000}, KEY)
    assert payhook.jwt.decode(token, KEY, ["HS256"], now=1009, leeway=leeway)
    assert payhook.leanx.decode(token, KEY, now=1009.5, leeway=leeway)
    assert payhook.leanx.Decoder(KEY, leeway=leeway).decode(token, now=1009)
    with pytest.raises(payhook.ExpiredSignatureError):
        payhook.jwt.decode(token, KEY, ["HS256"], now=1010, leeway=leeway)
    with pytest.raises(payhook.ExpiredSignatureError):
        payhook.leanx.decode(token, KEY, now=1010, leeway=leeway)


def test_negative_leeway_rejected():
    token = make_token({"a": 1}, KEY)
    with pytest.raises(ValueError):
        payhook.jwt.decode(token, KEY, ["HS256"], leeway=-1)
    with pytest.raises(ValueError):
        payhook.leanx.decode(token, KEY, leeway=timedelta(seconds=-1))


def test_default_now_is_the_current_time():
    import time
    past = make_token({"exp": int(time.time()) - 60}, KEY)
    future = make_token({"exp": int(time.time()) + 3600}, KEY)
    with pytest.raises(payhook.ExpiredSignatureError):
        payhook.leanx.decode(past, KEY)
    assert payhook.leanx.decode(future, KEY)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ['"1000"', "true", "null", "[1]", "{}"])
def test_time_claims_must_be_numbers(claim, value):
    token = make_token(None, KEY,
                       raw_payload=f'{{"{claim}":{value}}}'.encode())
    with pytest.raises(payhook.DecodeError):
        payhook.jwt.decode(token, KEY, ["HS256"], now=500)


# ---------------------------------------------------------------------------
# Options


def test_verify_signature_false_is_refused():
    token = make_token({"a": 1}, KEY)
    for opts in ({"verify_signature": False}, {"verify_signature": 0}):
        with pytest.raises(ValueError) as info:
            payhook.jwt.decode(token, KEY, ["HS256"], options=opts)
        assert not isinstance(info.value, payhook.InvalidTokenError)
    assert payhook.jwt.decode(token, KEY, ["HS256"],
                              options={"verify_signature": True}) == {"a": 1}


@pytest.mark.parametrize("opts", [{"verify_everything": False},
                                  {"verify_exp": True, "bogus": 1},
                                  {"require": ["not-a-claim"]}])
def test_unknown_option_is_value_error(opts):
    with pytest.raises(ValueError):
        payhook.jwt.decode(make_token({"a": 1}, KEY), KEY, ["HS256"],
                           options=opts)


def test_verify_claim_options():
    token = make_token({"exp": 1000, "nbf": 2000, "iat": 3000}, KEY)
    claims = payhook.jwt.decode(token, KEY, ["HS256"], now=1500, options={
        "verify_exp": False, "verify_nbf": False, "verify_iat": False})
    assert claims == {"exp": 1000, "nbf": 2000, "iat": 3000}
    with pytest.raises(payhook.ExpiredSignatureError):
        payhook.jwt.decode(token, KEY, ["HS256"], now=1500, options={
            "verify_nbf": False, "verify_iat": False})


def test_require_and_claims():
    token = make_token({"exp": 5000, "iss": "leanx", "aud": ["m1", "m2"],
                        "sub": "merchant", "jti": "j1"}, KEY)
    got = payhook.jwt.decode(token, KEY, ["HS256"], now=1, audience="m2",
                             issuer="leanx", subject="merchant",
                             options={"require": ["exp", "iss", "aud"]})
    assert got["jti"] == "j1"
    assert payhook.jwt.decode(token, KEY, ["HS256"], now=1,
                              audience=["x", "m1"],
                              issuer=["other", "leanx"])
    with pytest.raises(payhook.InvalidAudienceError):
        # aud present, none asked
        payhook.jwt.decode(token, KEY, ["HS256"], now=1)
    with pytest.raises(payhook.InvalidAudienceError):
        payhook.jwt.decode(token, KEY, ["HS256"], now=1, audience="m3")
    with pytest.raises(payhook.InvalidIssuerError):
        payhook.jwt.decode(token, KEY, ["HS256"], now=1, audience="m1",
                           issuer="x")
    with pytest.raises(payhook.InvalidSubjectError):
        payhook.jwt.decode(token, KEY, ["HS256"], now=1, audience="m1",
                           subject="y")
    with pytest.raises(payhook.MissingRequiredClaimError):
        payhook.jwt.decode(token, KEY, ["HS256"], now=1, audience="m1",
                           options={"require": ["nbf"]})
    with pytest.raises(payhook.InvalidAudienceError):
        payhook.jwt.decode(token, KEY, ["HS256"], now=1, audience="m1",
                           options={"strict_aud": True})
    single = make_token({"aud": "m1"}, KEY)
    assert payhook.jwt.decode(single, KEY, ["HS256"], audience="m1",
                              options={"strict_aud": True})


def test_jwt_algorithms_argument():
    decode = payhook.jwt.decode
    token = make_token({"a": 1}, KEY, "HS512")
    assert decode(token, KEY, ["HS256", "HS512"]) == {"a": 1}
    assert decode(token, KEY, algorithms=("HS512",)) == {"a": 1}
    assert decode(token, KEY, algorithms="HS512") == {"a": 1}
    # Names payhook does not have are names no token of ours matches.
    assert decode(token, KEY, ["RS256", "HS512"]) == {"a": 1}
    for algs in (None, [], (), ""):
        with pytest.raises(payhook.DecodeError,
                           match='^It is required that you pass in a value '
                                 'for the "algorithms" argument when '
                                 r'calling decode\(\).$'):
            decode(token, KEY, algs)
    for algs in (["HS256"], ["HS384"], ["RS256"], ["none"],
                 ["HS256", "hs512"], "HS256"):
        with pytest.raises(payhook.InvalidAlgorithmError,
                           match="^The specified alg value is not allowed$"):
            decode(token, KEY, algs)
    # The token names an algorithm that the caller allows and payhook does
    # not have: PyJWT's words.
    rs = make_token({"a": 1}, KEY, header={"alg": "RS256"})
    for algs in (["RS256"], ["HS256", "RS256"]):
        with pytest.raises(payhook.InvalidAlgorithmError,
                           match="^Algorithm not supported$"):
            decode(rs, KEY, algs)
    no_alg = make_token({"a": 1}, KEY, header={"typ": "JWT"})
    for algs in (["RS256"], ["HS256"]):
        with pytest.raises(payhook.InvalidAlgorithmError,
                           match="^Algorithm not specified$"):
            decode(no_alg, KEY, algs)
    # Decoder is checked once, when it is made.
    with pytest.raises(payhook.InvalidAlgorithmError):
        payhook.jwt.Decoder(KEY, ["RS256"])
    with pytest.raises(payhook.DecodeError):
        payhook.jwt.Decoder(KEY)


# ---------------------------------------------------------------------------
# Key rotation


def test_key_rotation_lists():
    old, new = "old-hash-key", "new-hash-key"
    t_old = make_token({"v": "old"}, old)
    t_new = make_token({"v": "new"}, new)
    for keys in ([old, new], [new, old], (old, new), [old.encode(), new]):
        assert payhook.leanx.decode(leanx_body(t_old), keys) == {"v": "old"}
        assert payhook.leanx.decode(leanx_body(t_new), keys) == {"v": "new"}
        assert payhook.leanx.Decoder(keys).decode(t_new) == {"v": "new"}
        assert payhook.jwt.decode(t_old, keys, ["HS256"]) == {"v": "old"}
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.leanx.decode(t_old, ["a", "b", "c"])
    sixteen = [f"k{i}" for i in range(15)] + [new]
    assert payhook.leanx.decode(t_new, sixteen) == {"v": "new"}
    with pytest.raises(payhook.InvalidKeyError):
        payhook.leanx.decode(t_new, ["x"] + sixteen)


class _KeyRing(collections.abc.Sequence):
    """A user's own sequence of keys."""

    def __init__(self, *keys):
        self._keys = list(keys)

    def __getitem__(self, i):
        return self._keys[i]

    def __len__(self):
        return len(self._keys)


def test_key_rotation_takes_any_sequence():
    old, new = "old-hash-key", "new-hash-key"
    t_old = make_token({"v": "old"}, old)
    t_new = make_token({"v": "new"}, new)
    for keys in ((old.encode(), new.encode()), [old, new], _KeyRing(old, new),
                 _KeyRing(old.encode(), new), (new, old)):
        assert payhook.leanx.decode(t_old, keys) == {"v": "old"}
        assert payhook.leanx.Decoder(keys).decode(t_new) == {"v": "new"}
        assert payhook.jwt.decode(t_new, keys, ["HS256"]) == {"v": "new"}
        assert payhook.jwt.Decoder(keys, ["HS256"]).decode(t_old) == {
            "v": "old"}
    # str and bytes are sequences, but each is one key, never its letters.
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.leanx.decode(make_token({"v": 1}, "o"), "old")
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.jwt.decode(make_token({"v": 1}, b"o"), b"old", ["HS256"])
    for empty in ((), [], _KeyRing()):
        with pytest.raises(payhook.InvalidKeyError):
            payhook.leanx.decode(t_old, empty)
    # Not sequences, or not of keys: TypeError, as before.
    for bad in ({old, new}, iter([old, new]), (old, 1), range(2)):
        with pytest.raises(TypeError):
            payhook.leanx.decode(t_old, bad)
        with pytest.raises(TypeError):
            payhook.jwt.Decoder(bad, ["HS256"])


# ---------------------------------------------------------------------------
# Envelopes


def test_leanx_envelopes():
    token = make_token({"a": 1}, KEY)
    ok = [
        token, " \n" + token + "\r\n\t", json.dumps({"data": token}),
        json.dumps({"response_code": 2100, "data": token, "x": [1, {}]}),
        json.dumps({"data": token}, indent=4),
    ]
    for body in ok:
        assert payhook.leanx.decode(body, KEY) == {"a": 1}, body
    bad = [
        "", "   ", "{}", "[]", "null", json.dumps({"data": 1}),
        json.dumps({"data": None}), json.dumps({"Data": token}),
        '{"data": "%s", "data": "%s"}' % (token, token),
        '{"data": "%s"' % token, json.dumps([token]),
        token + " " + token, json.dumps({"data": token}) + "x",
    ]
    for body in bad:
        with pytest.raises(payhook.DecodeError):
            payhook.leanx.decode(body, KEY)


def test_superpay_envelopes():
    hex_ = superpay_hex({"a": 1}, SP_KEY)
    for body in (hex_, "\n" + hex_ + " ", json.dumps({"encryptedData": hex_}),
                 json.dumps({"encryptedData": hex_}, indent=2)):
        assert payhook.superpay.decode(body, SP_KEY) == {"a": 1}
    for body in ("", "{}", "[]", json.dumps({"encrypteddata": hex_}),
                 json.dumps({"encryptedData": 5}), json.dumps([hex_]),
                 '{"encryptedData": "%s",}' % hex_):
        with pytest.raises((payhook.DecodeError, payhook.DecryptionError)):
            payhook.superpay.decode(body, SP_KEY)


def test_leanx_rejects_other_algorithms():
    payload = {"a": 1}
    for header in ({"alg": "none"}, {"alg": "HS384"}, {"alg": "RS256"},
                   {"alg": "None"}, {"alg": "NONE"}, {"typ": "JWT"}):
        token = make_token(payload, KEY, header=header)
        with pytest.raises(payhook.InvalidAlgorithmError):
            payhook.leanx.decode(leanx_body(token), KEY)
    unsigned = (b64url(b'{"alg":"none"}') + "." + b64url(b'{"a":1}') + ".")
    with pytest.raises(payhook.InvalidAlgorithmError):
        payhook.leanx.decode(unsigned, KEY)


# ---------------------------------------------------------------------------
# json.loads exactness

EXACT_TEXTS = {
    "2**64": '{"v":18446744073709551616}',
    "10**30": '{"v":1000000000000000000000000000000}',
    "-2**63-1": '{"v":-9223372036854775809}',
    "-2**63": '{"v":-9223372036854775808}',
    "2**63-1": '{"v":9223372036854775807}',
    "2**63": '{"v":9223372036854775808}',
    "2**53+1": '{"v":9007199254740993}',
    "minus zero int": '{"v":-0}',
    "1.0": '{"v":1.0}',
    "minus zero float": '{"v":-0.0}',
    "1e400": '{"v":1e400}',
    "-1e400": '{"v":-1e400}',
    "1e-400": '{"v":1e-400}',
    "exponent forms": '{"v":[1E2,1e+2,1e-2,2.5E-3,0e0]}',
    "denormal": '{"v":5e-324}',
    "max double": '{"v":1.7976931348623157e308}',
    "long fraction": '{"v":0.1000000000000000055511151231257827}',
    "big with fraction": '{"v":12345678901234567890.5}',
    "4000 digits": '{"v":%s}' % ("7" * 4000),
    "NUL": '{"v":"\\u0000"}',
    "a NUL b": '{"v":"a\\u0000b"}',
    "NUL key": '{"\\u0000":1,"k\\u0000":2}',
    "escapes": '{"v":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac"}',
    "surrogate pair": '{"v":"\\ud83d\\ude00","w":"\\uD834\\uDD1E"}',
    "raw utf8": '{"v":"é€😀 \u2028\u2029 ﻿","ключ":"значение"}',
    "duplicates": '{"a":1,"b":2,"a":3}',
    "duplicate type change": '{"a":{"x":1},"b":[],"a":"s","c":null,"b":true}',
    "nested duplicates": '{"o":{"k":1,"k":2,"j":[{"z":0,"z":1}]}}',
    "empty containers": '{"a":{},"b":[],"c":[[],[{}]],"d":""}',
    "literals": '{"t":true,"f":false,"n":null}',
    "whitespace": ' \t\r\n{ "a" : [ 1 , 2 ] , "b" : { } }\n ',
    "deep": '{"d":' + "[" * 100 + "]" * 100 + "}",
    "unicode keys": '{"é":1,"\\u00e9x":2,"😀":3}',
    "long string": '{"v":"%s"}' % ("ab\\n" * 3000),
}


@pytest.mark.parametrize("name", sorted(EXACT_TEXTS))
def test_values_exactly_as_json_loads(name):
    text = EXACT_TEXTS[name]
    want = json.loads(text)
    raw = text.encode("utf-8")
    token = make_token(None, KEY, raw_payload=raw)
    hex_ = superpay_hex(raw, SP_KEY)
    for got in (payhook.leanx.decode(leanx_body(token), KEY),
                payhook.jwt.decode(token, KEY, ["HS256"]),
                payhook.superpay.decode(hex_, SP_KEY)):
        assert_strict_equal(got, want)


def test_specific_exact_values():
    def lx(text):
        return payhook.leanx.decode(
            make_token(None, KEY, raw_payload=text.encode()), KEY)["v"]

    assert lx('{"v":18446744073709551616}') == 2**64
    assert lx('{"v":1000000000000000000000000000000}') == 10**30
    assert lx('{"v":-9223372036854775809}') == -2**63 - 1
    v = lx('{"v":1.0}')
    assert type(v) is float and v == 1.0
    v = lx('{"v":1}')
    assert type(v) is int and v == 1
    assert lx('{"v":1e400}') == math.inf
    assert len(lx('{"v":"a\\u0000b"}')) == 3
    assert lx('{"v":"\\u0000"}') == "\x00"
    d = payhook.leanx.decode(make_token(
        None, KEY, raw_payload=b'{"a":1,"b":2,"a":3}'), KEY)
    assert list(d.items()) == [("a", 3), ("b", 2)]


@pytest.mark.parametrize("text", [
    b'{"v":NaN}', b'{"v":Infinity}', b'{"v":-Infinity}', b'{"v":01}',
    b'{"v":1.}', b'{"v":.5}', b'{"v":+1}', b'{"v":"\\ud800"}',
    b'{"v":"\\udc00x"}', b'{"v":"\xff"}', b'{"v":"\xc0\xaf"}',
    b'{"v":"\xed\xa0\x80"}', b'{"v":"a\x01"}', b'{"v":1,}', b"{'v':1}",
    b'\xef\xbb\xbf{"v":1}', b'{"v":1} x', b'[1,2]', b'"str"', b"1",
    b'{"v":' + b"[" * 200 + b"]" * 200 + b"}",
    b'{"v":%s}' % (b"9" * 5000),
])
def test_strict_json_rejections(text):
    token = make_token(None, KEY, raw_payload=text)
    with pytest.raises(payhook.DecodeError):
        payhook.leanx.decode(token, KEY)
    with pytest.raises(payhook.DecryptionError):
        payhook.superpay.decode(superpay_hex(text, SP_KEY), SP_KEY)


# ---------------------------------------------------------------------------
# No padding oracle


def _bad_superpay_ciphertexts() -> dict[str, str]:
    """Every kind of bad SuperPay ciphertext, as hex."""
    key = SP_KEY.encode()
    iv = superpay_iv(key)
    good = bytes.fromhex(superpay_hex({"data": {"status": "SUCCESS"}}, key))
    out = {
        "bad hex": "zz" * 32,
        "bad hex one char": good.hex()[:-1] + "g",
        "hex with space": good.hex()[:32] + " " + good.hex()[33:],
        "odd length": good.hex()[:-1],
        "one nibble": "a",
        "15 bytes": good[:15].hex(),
        "17 bytes": good[:17].hex(),
        "not a multiple of 16": good[:-1].hex(),
        "empty": "",
        "wrong key": superpay_hex({"data": 1}, b"W" * 32),
        "vendor sample under our key": SUPERPAY_VENDOR_HEX,
        "only the IV-sized block of garbage": ("00" * 16),
    }
    message = b'{"data":{"status":"SUCCESS"}}'  # 29 bytes: 2 blocks
    body = message[:16]
    paddings = {
        "pad byte 0": b"\x00",
        "pad byte 17": b"\x11",
        "pad byte 255": b"\xff",
        "pad byte 16 in a partial block": b"\x10",
        "ANSI X.923": b"\x00" * 7 + b"\x08",
        "ISO 10126": b"\x9a\x33\x01\x7e\x05\x02\xaa" + b"\x08",
        "ISO 7816-4": b"\x80" + b"\x00" * 7,
        "0xff fill": b"\xff" * 8,
        "inconsistent": b"\x03" * 7 + b"\x08",
        "zero fill": b"\x00" * 8,
    }
    for name, tail in paddings.items():
        block = (b"ABCDEFGH" + tail)[-16:] if len(tail) < 16 else tail
        block = block.rjust(16, b"Q")
        out[f"padding: {name}"] = aes_cbc_encrypt_raw(body + block, key,
                                                      iv).hex()
    out["padding: full block of 0x11"] = aes_cbc_encrypt_raw(
        body + b"\x11" * 16, key, iv).hex()
    out["padding: full block of 0x00"] = aes_cbc_encrypt_raw(
        body + b"\x00" * 16, key, iv).hex()
    out["padding: longer than the message"] = aes_cbc_encrypt_raw(
        b"\x20" * 32, key, iv).hex()
    # Bit flips in the block before the last: the classic padding-oracle
    # probe.  Some leave valid padding (and garbled JSON); the name says so.
    for pos in (15, 14, 13, 12, 8, 0):
        for bit in (1, 2, 4, 0x80):
            ct = bytearray(aes_cbc_encrypt(message, key, iv))
            ct[-32 + pos] ^= bit
            try:
                aes_cbc_decrypt(bytes(ct), key, iv)
            except ValueError:
                out[f"flip byte {pos} bit {bit}"] = ct.hex()
            else:
                out[f"flip byte {pos} bit {bit} (valid padding)"] = ct.hex()
    # Valid padding, plaintext not acceptable.
    not_objects = {
        "not JSON": b"hello world",
        "JSON array": b"[1,2,3]",
        "JSON string": b'"data"',
        "JSON number": b"12",
        "JSON null": b"null",
        "truncated JSON": b'{"data":',
        "trailing garbage": b'{"a":1}x',
        "invalid UTF-8": b'{"a":"\xff"}',
        "lone surrogate": b'{"a":"\\ud800"}',
        "NaN": b'{"a":NaN}',
        "too deep": b'{"a":' + b"[" * 300 + b"]" * 300 + b"}",
        "BOM": b'\xef\xbb\xbf{"a":1}',
        "empty plaintext": b"",
        "NUL": b"\x00",
    }
    for name, plain in not_objects.items():
        out[f"plaintext: {name}"] = aes_cbc_encrypt(plain, key, iv).hex()
    return out


BAD_CIPHERTEXTS = _bad_superpay_ciphertexts()


def test_no_padding_oracle_one_class_one_message():
    decoder = payhook.superpay.Decoder(SP_KEY)
    seen = {}
    for name, hex_ in BAD_CIPHERTEXTS.items():
        for body in (hex_, json.dumps({"encryptedData": hex_}),
                     json.dumps({"encryptedData": hex_.upper()})):
            for call in (lambda b: payhook.superpay.decode(b, SP_KEY),
                         decoder.decode,
                         lambda b: decoder.decode(b.encode())):
                try:
                    call(body)
                except Exception as e:  # noqa: BLE001 - collecting them
                    seen.setdefault((type(e), str(e), repr(e)),
                                    []).append(name)
                else:
                    raise AssertionError(f"{name}: decoded")
    assert len(seen) == 1, {k[:2]: v[:3] for k, v in seen.items()}
    ((cls, _msg, _r),) = seen
    assert cls is payhook.DecryptionError


def test_no_padding_oracle_raw_decrypt():
    """The raw primitive fails the same way for every byte-level cause."""
    seen = set()
    for name, hex_ in BAD_CIPHERTEXTS.items():
        if (name.startswith(("plaintext:", "vendor")) or
                name.endswith("(valid padding)")):
            continue
        try:
            payhook.superpay.decrypt(hex_, SP_KEY)
        except payhook.PayhookError as e:
            seen.add((type(e), str(e)))
        else:
            if name == "wrong key":  # padding may happen to be valid
                continue
            raise AssertionError(f"{name}: decrypted")
    assert len(seen) == 1, seen
    assert next(iter(seen))[0] is payhook.DecryptionError
    # And it is the same error the JSON-level decode gives.
    with pytest.raises(payhook.DecryptionError) as info:
        payhook.superpay.decode(superpay_hex(b"[]", SP_KEY), SP_KEY)
    assert (type(info.value), str(info.value)) in seen


# ---------------------------------------------------------------------------
# Secrets never appear in errors

MARKER = "SECRET-KEY-MARKER-0123456789ABCD"
assert len(MARKER) == 32


def _secret_forms(key: str) -> list[str]:
    raw = key.encode()
    forms = [key, key.lower(), raw.hex(), raw.hex().upper(),
             base64.b64encode(raw).decode(), b64url(raw), "SECRET-KEY",
             "MARKER", repr(raw)[2:-1]]
    return forms


def _error_path_calls(key: str):
    """(name, callable) pairs; each must raise a PayhookError."""
    other = "another-key-entirely-32-bytes-xx"
    good = make_token({"a": 1}, key)
    sig = good.rsplit(".", 1)[1]
    forged = make_token({"a": 1}, other)
    h_sp = superpay_hex({"a": 1}, key)
    calls = {
        "leanx bad signature": lambda: payhook.leanx.decode(forged, key),
        "leanx bad signature list": lambda: payhook.leanx.decode(
            forged, [key, key + "2"]),
        "leanx alg none": lambda: payhook.leanx.decode(
            make_token({"a": 1}, key, header={"alg": "none"}), key),
        "leanx alg HS512": lambda: payhook.leanx.decode(
            make_token({"a": 1}, key, "HS512"), key),
        "leanx bad base64": lambda: payhook.leanx.decode(
            good[:-2] + "==", key),
        "leanx sig short": lambda: payhook.leanx.decode(good[:-3], key),
        "leanx sig long": lambda: payhook.leanx.decode(good + "AAAA", key),
        "leanx two segments": lambda: payhook.leanx.decode(
            good.rsplit(".", 1)[0], key),
        "leanx bad envelope": lambda: payhook.leanx.decode('{"x": 1}', key),
        "leanx not json": lambda: payhook.leanx.decode(
            make_token(None, key, raw_payload=b"nope"), key),
        "leanx expired": lambda: payhook.leanx.decode(
            make_token({"exp": 1}, key), key, now=10),
        "leanx immature": lambda: payhook.leanx.decode(
            make_token({"nbf": 100}, key), key, now=10),
        "leanx iat type": lambda: payhook.leanx.decode(
            make_token({"iat": "x"}, key), key, now=10),
        "leanx aud": lambda: payhook.leanx.decode(
            make_token({"aud": key}, key), key),
        "leanx too large": lambda: payhook.leanx.decode(good, key,
                                                        max_bytes=5),
        "leanx empty key in list": lambda: payhook.leanx.decode(
            good, [key, ""]),
        "leanx too many keys": lambda: payhook.leanx.decode(
            good, [key] * 17),
        "jwt bad signature": lambda: payhook.jwt.decode(forged, key,
                                                        ["HS256"]),
        "jwt aud mismatch": lambda: payhook.jwt.decode(
            make_token({"aud": "a"}, key), key, ["HS256"], audience=key),
        "jwt iss mismatch": lambda: payhook.jwt.decode(
            make_token({"iss": "a"}, key), key, ["HS256"], issuer=key),
        "jwt sub mismatch": lambda: payhook.jwt.decode(
            make_token({"sub": "a"}, key), key, ["HS256"], subject=key),
        "jwt jti type": lambda: payhook.jwt.decode(
            make_token({"jti": 5}, key), key, ["HS256"]),
        "jwt missing claim": lambda: payhook.jwt.decode(
            good, key, ["HS256"], options={"require": ["exp"]}),
        "jwt algorithms": lambda: payhook.jwt.decode(good, key, ["HS384"]),
        "jwt crit": lambda: payhook.jwt.decode(make_token(
            {"a": 1}, key, header={"alg": "HS256", "crit": ["x"]}), key,
            ["HS256"]),
        "jwt header dup": lambda: payhook.jwt.decode(make_token(
            {"a": 1}, key, raw_header=b'{"alg":"HS256","alg":"HS256"}'),
            key, ["HS256"]),
        "jwt min key length": lambda: payhook.jwt.decode(
            good, key, ["HS512"],
            options={"enforce_minimum_key_length": True}),
        "encode kid": lambda: payhook.jwt.encode({"a": 1}, key,
                                                 headers={"kid": 1}),
        "superpay wrong key length": lambda: payhook.superpay.decode(
            h_sp, key + "X"),
        "superpay wrong key length 31": lambda: payhook.superpay.decode(
            h_sp, key[:-1]),
        "superpay Decoder key length": lambda: payhook.superpay.Decoder(
            key * 2),
        "superpay bad envelope": lambda: payhook.superpay.decode(
            '{"encryptedData": 1}', key),
        "superpay too large": lambda: payhook.superpay.decode(
            h_sp, key, max_bytes=4),
        "decrypt bad iv": lambda: payhook.superpay.decrypt(h_sp, key,
                                                           b"short"),
        "decrypt bad": lambda: payhook.superpay.decrypt("00" * 16, key),
        "decrypt too large": lambda: payhook.superpay.decrypt(
            h_sp, key, max_bytes=4),
    }
    for name, hex_ in BAD_CIPHERTEXTS.items():
        if name.startswith("plaintext:"):
            # Re-encrypt the same kinds of plaintext under the marker key.
            continue
        calls[f"superpay {name}"] = (
            lambda h=hex_: payhook.superpay.decode(h, key))
    for plain in (b"not json", b"[1]", b'{"a":', b"\xff"):
        calls[f"superpay plaintext {plain!r}"] = (
            lambda p=plain: payhook.superpay.decode(superpay_hex(p, key),
                                                    key))
    return calls, sig


def test_no_error_message_or_repr_contains_the_key():
    key = MARKER
    calls, sig = _error_path_calls(key)
    secrets = _secret_forms(key)
    expected_mac = b64url(hs_tag(
        make_token({"a": 1}, "another-key-entirely-32-bytes-xx")
        .rsplit(".", 1)[0].encode(), key))
    for name, call in calls.items():
        with pytest.raises(payhook.PayhookError) as info:
            call()
        e = info.value
        text = "\n".join([str(e), repr(e), repr(e.args)] +
                         traceback.format_exception(type(e), e,
                                                    e.__traceback__)[-1:])
        chained = e.__cause__ or e.__context__
        if chained is not None:
            text += "\n" + repr(chained)
        for s in secrets:
            assert s not in text, (name, s, text)
        assert sig not in text, (name, "token signature echoed")
        assert expected_mac not in text, (name, "expected MAC echoed")


def test_decoder_objects_do_not_show_the_key():
    for obj in (payhook.leanx.Decoder(MARKER),
                payhook.jwt.Decoder(MARKER, ["HS256"]),
                payhook.superpay.Decoder(MARKER)):
        text = repr(obj) + str(obj) + repr(getattr(obj, "__dict__", {}))
        for s in _secret_forms(MARKER):
            assert s not in text
        for attr in dir(obj):
            if attr.startswith("__"):
                continue
            value = getattr(obj, attr)
            if isinstance(value, (str, bytes)):
                assert MARKER not in str(value)


# ---------------------------------------------------------------------------
# Version


def test_version_agrees_everywhere():
    version = (REPO / "VERSION").read_text().strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert payhook.__version__ == version
    assert payhook._payhook.__version__ == version
    try:
        assert importlib.metadata.version("payhook") == version
    except importlib.metadata.PackageNotFoundError:
        pass  # running from a build directory (the sanitizer run)


def test_version_matches_rockspec():
    version = (REPO / "VERSION").read_text().strip()
    specs = sorted(REPO.glob("payhook-*.rockspec"))
    if not specs:
        pytest.skip("no payhook-*.rockspec at the repo top yet")
    for spec in specs:
        m = re.fullmatch(r"payhook-(.+)-(\d+)\.rockspec", spec.name)
        assert m, spec.name
        assert m.group(1) == version, spec.name
        text = spec.read_text()
        vm = re.search(r'^\s*version\s*=\s*"([^"]+)"', text, re.M)
        assert vm and vm.group(1) == f"{version}-{m.group(2)}", spec.name


# ---------------------------------------------------------------------------
# Typing


def test_native_stub_matches_the_runtime():
    import ast
    from pathlib import Path

    package = Path(payhook.__file__).parent
    assert (package / "py.typed").exists()
    stub = ast.parse((package / "_payhook.pyi").read_text())
    declared = {}
    for node in stub.body:
        if isinstance(node, ast.ClassDef):
            declared[node.name] = {
                n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        elif isinstance(node, ast.FunctionDef):
            declared[node.name] = None
        elif isinstance(node, ast.AnnAssign):
            declared[node.target.id] = None
    runtime = {n for n in dir(payhook._payhook) if not n.startswith("_")}
    runtime.add("__version__")
    assert set(declared) == runtime
    for cls_name in ("Verifier", "SuperPayKey"):
        cls = getattr(payhook._payhook, cls_name)
        methods = {n for n in vars(cls) if not n.startswith("_")}
        assert declared[cls_name] - {"__new__"} == methods, cls_name
