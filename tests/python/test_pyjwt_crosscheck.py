"""payhook against the reference implementations on random payloads.

Seeded, so a failure names a case that can be replayed: LeanX bodies signed
by PyJWT decode to exactly what PyJWT's ``jwt.decode`` returns; SuperPay
bodies encrypted with the ``cryptography`` package decode to ``json.loads``
of the plaintext; and what payhook encodes, the references read back.
"""

from __future__ import annotations

import json
import random
import string
import struct

import pytest

import payhook
from conftest import (
    aes_cbc_decrypt,
    aes_cbc_encrypt,
    as_bytes,
    assert_strict_equal,
    b64url,
    superpay_iv,
)

pyjwt = pytest.importorskip("jwt")
pytest.importorskip("cryptography")

CASES = 300
SEED = 0x5EED_CAFE
REGISTERED = {"exp", "nbf", "iat", "aud", "iss", "sub", "jti"}


# ---------------------------------------------------------------------------
# Random values


def _code_point(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.45:
        return rng.choice(string.ascii_letters + string.digits + " -_.:/")
    if pick < 0.55:
        return rng.choice('"\\/\b\f\n\r\t\x00\x01\x1f\x7f')
    if pick < 0.75:
        return chr(rng.randint(0x80, 0x7FF))
    if pick < 0.9:
        cp = rng.randint(0x800, 0xFFFD)
        while 0xD800 <= cp <= 0xDFFF:
            cp = rng.randint(0x800, 0xFFFD)
        return chr(cp)
    return chr(rng.randint(0x10000, 0x10FFFF))


def _text(rng: random.Random, max_len: int = 24) -> str:
    return "".join(_code_point(rng) for _ in range(rng.randint(0, max_len)))


def _int(rng: random.Random) -> int:
    pick = rng.random()
    if pick < 0.4:
        return rng.randint(-1000, 1000)
    if pick < 0.7:
        return rng.randint(-2**63, 2**63 - 1)
    if pick < 0.8:
        return rng.choice([2**63, -2**63 - 1, 2**64, -2**64, 2**53 + 1,
                           10**30, -10**30, 0])
    return rng.getrandbits(rng.randint(64, 400)) * rng.choice([1, -1])


def _float(rng: random.Random) -> float:
    pick = rng.random()
    if pick < 0.3:
        return round(rng.uniform(0, 10000), rng.randint(0, 4))
    if pick < 0.5:
        return rng.choice([0.0, -0.0, 1.0, -1.0, 0.1, 3.1025, 1e-7, 1e300,
                           5e-324, 1.7976931348623157e308, 2.0**53, 1e16])
    while True:  # any finite double, bit pattern at random
        value = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if value == value and value not in (float("inf"), float("-inf")):
            return value


def _key_name(rng: random.Random) -> str:
    while True:
        name = _text(rng, 12)
        if name not in REGISTERED:
            return name


def _value(rng: random.Random, depth: int):
    kinds = ["int", "float", "str", "none", "bool"]
    if depth < 4:
        kinds += ["dict", "list"] * 2
    kind = rng.choice(kinds)
    if kind == "int":
        return _int(rng)
    if kind == "float":
        return _float(rng)
    if kind == "str":
        return _text(rng)
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "list":
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return {_key_name(rng): _value(rng, depth + 1)
            for _ in range(rng.randint(0, 5))}


def random_payload(rng: random.Random) -> dict:
    return {_key_name(rng): _value(rng, 1) for _ in range(rng.randint(0, 8))}


def random_hmac_key(rng: random.Random) -> str | bytes:
    pick = rng.randrange(7)
    if pick == 0:
        return bytes([rng.randrange(256)])  # one byte
    if pick == 1:
        return bytes(rng.randrange(256) for _ in range(200))
    if pick == 2:
        return "".join(_code_point(rng) for _ in range(rng.randint(1, 40))
                       ).replace("\x00", "") or "é"  # non-ASCII text
    if pick == 3:
        return "%0128x" % rng.getrandbits(512)  # a LeanX-style hash key
    if pick == 4:
        return "".join(rng.choice(string.printable) for _ in range(32))
    if pick == 5:
        return "ключ-🔑-" + str(rng.random())
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 100)))


def random_superpay_key(rng: random.Random) -> str | bytes:
    if rng.random() < 0.7:
        return "".join(rng.choice(string.ascii_letters + string.digits)
                       for _ in range(32))
    return bytes(rng.randrange(256) for _ in range(32))


def _other_key(key: str | bytes) -> str | bytes:
    if isinstance(key, str):
        return key + "x"
    return bytes([key[0] ^ 1]) + key[1:]


def _case(i: int):
    rng = random.Random(SEED + i)
    return rng, random_payload(rng), random_hmac_key(rng)


# ---------------------------------------------------------------------------
# LeanX / JWT against PyJWT


@pytest.mark.parametrize("i", range(CASES))
def test_leanx_body_signed_by_pyjwt(i):
    rng, payload, key = _case(i)
    token = pyjwt.encode(payload, key, algorithm="HS256")
    want = pyjwt.decode(token, key, algorithms=["HS256"])
    body_shape = rng.randrange(3)
    if body_shape == 0:
        body = json.dumps({"data": token, "response_code": 2100})
    elif body_shape == 1:
        body = json.dumps({"response_code": 2100, "data": token}, indent=4)
    else:
        body = token
    as_type = rng.choice([str, lambda s: s.encode(),
                          lambda s: bytearray(s.encode()),
                          lambda s: memoryview(s.encode())])
    got = payhook.leanx.decode(as_type(body), key)
    assert_strict_equal(got, want)
    assert_strict_equal(payhook.jwt.decode(token, key, ["HS256"]), want)
    assert_strict_equal(payhook.leanx.Decoder([_other_key(key), key])
                        .decode(body), want)

    other = _other_key(key)
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(token, other, algorithms=["HS256"])
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.leanx.decode(body, other)
    forged = pyjwt.encode(payload, other, algorithm="HS256")
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.leanx.decode(json.dumps({"data": forged}), key)


@pytest.mark.parametrize("i", range(0, CASES, 3))
def test_alg_none_and_other_hs_algorithms(i):
    rng, payload, key = _case(i)
    unsigned = pyjwt.encode(payload, None, algorithm="none")
    with pytest.raises(payhook.InvalidAlgorithmError):
        payhook.leanx.decode(json.dumps({"data": unsigned}), key)
    with pytest.raises(payhook.InvalidAlgorithmError):
        payhook.jwt.decode(unsigned, key, ["HS256", "HS384", "HS512"])
    # alg none carrying a real HS256 MAC is still refused.
    head, body, _ = unsigned.split(".")
    mac = pyjwt.encode(payload, key, algorithm="HS256").split(".")[2]
    with pytest.raises(payhook.InvalidAlgorithmError):
        payhook.leanx.decode(f"{head}.{body}.{mac}", key)

    alg = rng.choice(["HS384", "HS512"])
    token = pyjwt.encode(payload, key, algorithm=alg,
                         headers={"kid": "k-%d" % i})
    want = pyjwt.decode(token, key, algorithms=[alg])
    assert_strict_equal(payhook.jwt.decode(token, key, [alg]), want)
    with pytest.raises(payhook.InvalidAlgorithmError):
        payhook.leanx.decode(token, key)


@pytest.mark.parametrize("i", range(0, CASES, 2))
def test_payhook_encode_verifies_with_pyjwt(i):
    rng, payload, key = _case(i)
    alg = rng.choice(["HS256", "HS384", "HS512"])
    token = payhook.jwt.encode(payload, key, algorithm=alg)
    assert_strict_equal(pyjwt.decode(token, key, algorithms=[alg]), payload)
    assert pyjwt.get_unverified_header(token)["alg"] == alg
    assert_strict_equal(payhook.jwt.decode(token, key, [alg]), payload)


def test_claims_agree_with_pyjwt_at_the_boundaries():
    """exp/nbf/iat decisions around now, as PyJWT makes them (PyJWT reads
    the real clock, so the claims are placed relative to it with a margin
    far larger than the test's run time)."""
    import time

    key = "claims-key-for-crosscheck-000000"
    now = int(time.time())
    for claims, leeway in [
        ({"exp": now - 100}, 0), ({"exp": now + 100}, 0),
        ({"exp": now - 100}, 200), ({"nbf": now + 100}, 0),
        ({"nbf": now + 100}, 200), ({"nbf": now - 100}, 0),
        ({"iat": now + 100}, 0), ({"iat": now - 100}, 0),
        ({"iat": now + 100}, 200),
        ({"exp": now + 100, "nbf": now - 100, "iat": now - 100}, 0),
    ]:
        token = pyjwt.encode(claims, key, algorithm="HS256")
        try:
            want = pyjwt.decode(token, key, algorithms=["HS256"],
                                leeway=leeway)
        except pyjwt.PyJWTError as e:
            with pytest.raises(getattr(payhook, type(e).__name__)):
                payhook.leanx.decode(token, key, leeway=leeway)
        else:
            assert_strict_equal(payhook.leanx.decode(token, key,
                                                     leeway=leeway), want)


# ---------------------------------------------------------------------------
# SuperPay against cryptography


@pytest.mark.parametrize("i", range(CASES))
def test_superpay_body_encrypted_by_cryptography(i):
    rng, payload, _ = _case(i)
    key = random_superpay_key(rng)
    plaintext = json.dumps(payload, ensure_ascii=rng.random() < 0.5,
                           indent=rng.choice([None, 2])).encode("utf-8")
    hex_ = aes_cbc_encrypt(plaintext, as_bytes(key), superpay_iv(key)).hex()
    if rng.random() < 0.3:
        hex_ = hex_.upper()
    body = rng.choice([hex_, json.dumps({"encryptedData": hex_}),
                       '{ "encryptedData" : "%s" }\n' % hex_])
    want = json.loads(plaintext)
    assert_strict_equal(payhook.superpay.decode(body, key), want)
    assert_strict_equal(payhook.superpay.Decoder(key).decode(body.encode()),
                        want)
    assert payhook.superpay.decrypt(hex_, key) == plaintext


@pytest.mark.parametrize("i", range(0, CASES, 2))
def test_superpay_encrypt_decrypts_with_cryptography(i):
    rng, payload, _ = _case(i)
    key = random_superpay_key(rng)
    hex_ = payhook.superpay.encrypt(payload, key)
    plain = aes_cbc_decrypt(bytes.fromhex(hex_), as_bytes(key),
                            superpay_iv(key))
    assert_strict_equal(json.loads(plain), payload)
    assert_strict_equal(payhook.superpay.decode(hex_, key), payload)


def test_random_generator_covers_the_interesting_values():
    """Guard against a generator that quietly stopped producing them."""
    seen = set()

    def walk(v):
        seen.add(type(v).__name__)
        if isinstance(v, int) and not isinstance(v, bool) and \
                abs(v) >= 2**64:
            seen.add("bigint")
        if isinstance(v, str):
            if "\x00" in v:
                seen.add("nul")
            if any(ord(c) > 0xFFFF for c in v):
                seen.add("astral")
        if isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        if isinstance(v, list):
            for x in v:
                walk(x)

    for i in range(CASES):
        walk(_case(i)[1])
    assert {"dict", "list", "int", "float", "str", "NoneType", "bool",
            "bigint", "nul", "astral"} <= seen
    keys = [_case(i)[2] for i in range(CASES)]
    assert any(isinstance(k, bytes) and len(k) == 1 for k in keys)
    assert any(isinstance(k, bytes) and len(k) == 200 for k in keys)
    assert any(isinstance(k, str) and not k.isascii() for k in keys)
    assert b64url(b"\xff") == "_w"  # the helper the signers rely on


# ---------------------------------------------------------------------------
# Claim checks: the same decision, with the same exception name, as PyJWT

CLAIM_KEY = "claims-crosscheck-key-0123456789"


def _outcome(call):
    try:
        return ("ok", call())
    except Exception as e:  # noqa: BLE001 - compared by name and text
        return ("err", type(e).__name__, str(e))


def _compare(token, pyjwt_kwargs, payhook_kwargs, label):
    """The same payload, or the same exception class with the same
    message."""
    want = _outcome(lambda: pyjwt.decode(token, CLAIM_KEY,
                                         algorithms=["HS256"],
                                         **pyjwt_kwargs))
    got = _outcome(lambda: payhook.jwt.decode(token, CLAIM_KEY, ["HS256"],
                                              **payhook_kwargs))
    assert got[0] == want[0] and (
        got[0] == "ok" or got[1:] == want[1:]), (label, want, got)
    if got[0] == "ok":
        assert_strict_equal(got[1], want[1])


AUD_VALUES = ["absent", "a", "b", "", ["a"], ["a", "b"], [], ["b", "c"], 1,
              None, [1], {"a": 1}, True]
AUDIENCE_ARGS = [None, "a", ["a"], ["x", "a"], ["x"], "b", [], "", b"a",
                 [1, "a"], {"a"}, ("x",)]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("aud", AUD_VALUES, ids=repr)
def test_audience_decisions_match_pyjwt(aud, strict):
    token = make_claims_token({} if aud == "absent" else {"aud": aud})
    for audience in AUDIENCE_ARGS:
        kwargs = {"audience": audience, "options": {"strict_aud": strict}}
        _compare(token, kwargs, kwargs, (aud, audience, strict))


@pytest.mark.parametrize("iss", ["absent", "i", "j", "", 1, ["i"], True,
                                 None], ids=repr)
def test_issuer_decisions_match_pyjwt(iss):
    token = make_claims_token({} if iss == "absent" else {"iss": iss})
    for issuer in (None, "i", ["i", "z"], ["z"], "", ("i",), {"i"},
                   {"i": 0}, [1, "i"], 1, b"i"):
        _compare(token, {"issuer": issuer}, {"issuer": issuer},
                 (iss, issuer))


@pytest.mark.parametrize("claims", [
    {}, {"sub": "s"}, {"sub": 1}, {"sub": ""}, {"sub": ["s"]},
    {"sub": None}, {"jti": "j"}, {"jti": 1}, {"jti": ""}, {"jti": None},
    {"jti": ["j"]},
], ids=repr)
def test_subject_and_jti_decisions_match_pyjwt(claims):
    token = make_claims_token(claims)
    for subject in (None, "s", "t"):
        _compare(token, {"subject": subject}, {"subject": subject},
                 (claims, subject))


@pytest.mark.parametrize("require", ["exp", "iat", "nbf", "iss", "aud",
                                     "sub", "jti"])
def test_required_claims_match_pyjwt(require):
    full = {"exp": 4_000_000_000, "iat": 1, "nbf": 1, "iss": "i",
            "aud": "a", "sub": "s", "jti": "j"}
    for claims in ({}, full, {k: None for k in full},
                   {k: v for k, v in full.items() if k != require}):
        token = make_claims_token(claims)
        for verify in (True, False):
            opts = {"require": [require], f"verify_{require}": verify}
            kwargs = {"audience": "a", "options": opts}
            _compare(token, kwargs, kwargs, (claims, opts))


TIME_VALUES = ["999", "999.4", "999.5", "999.9", "1000", "1000.0", "1000.1",
               "1000.5", "1000.9", "1001", "-1", "0", "1e300", "-1e300",
               "9223372036854775808", "18446744073709551616", "1e20", "1e3",
               "-0.5", "1e400"]


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_time_claim_decisions_match_pyjwt(claim, monkeypatch):
    """PyJWT's clock pinned to the same `now` payhook is given."""
    import datetime as dt

    import jwt.api_jwt

    if not hasattr(jwt.api_jwt, "datetime"):
        pytest.skip("this PyJWT reads the clock differently")
    clock = [0.0]

    class PinnedDatetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.fromtimestamp(clock[0], tz=dt.timezone.utc)

    monkeypatch.setattr(jwt.api_jwt, "datetime", PinnedDatetime)
    for value in TIME_VALUES:
        token = make_claims_token(None, f'{{"{claim}":{value}}}')
        for now in (999, 999.5, 1000, 1000.5, 1001):
            for leeway in (0, 0.5, 1):
                clock[0] = now
                _compare(token, {"leeway": leeway},
                         {"leeway": leeway, "now": now},
                         (claim, value, now, leeway))
        for verify in (False,):
            clock[0] = 5000
            opts = {f"verify_{claim}": verify}
            _compare(token, {"options": opts},
                     {"options": opts, "now": 5000}, (claim, value, opts))


def make_claims_token(claims, raw: str | None = None) -> str:
    from conftest import make_token

    if raw is not None:
        return make_token(None, CLAIM_KEY, raw_payload=raw.encode())
    return make_token(claims, CLAIM_KEY)


# ---------------------------------------------------------------------------
# A malformed or forged token: PyJWT's exception class and PyJWT's words

def _malformed_tokens() -> dict:
    from conftest import make_token

    good = make_claims_token({"a": 1})
    head, body, sig = good.split(".")
    one = b64url(b"1")
    return {
        "two segments": f"{head}.{body}",
        "empty": "",
        "one dot": ".",
        "header not base64url": f"!!.{body}.{sig}",
        "header a length of 1 mod 4": f"a{head}.{body}.{sig}",
        "header not an object": f"{one}.{body}.{sig}",
        "header an array": f"{b64url(b'[1]')}.{body}.{sig}",
        "header not JSON": f"{b64url(b'{x')}.{body}.{sig}",
        "payload a length of 1 mod 4": f"{head}.a{body}.{sig}",
        "payload not base64url": f"{head}.{body}!.{sig}",
        "signature a length of 1 mod 4": f"{head}.{body}.a{sig}",
        "signature with junk": f"{head}.{body}.{sig}!!!!",
        "no alg": make_token({"a": 1}, CLAIM_KEY, header={"typ": "JWT"}),
        "alg none": make_token({"a": 1}, CLAIM_KEY, header={"alg": "none"}),
        "alg HS512": make_token({"a": 1}, CLAIM_KEY, "HS512"),
        "alg a number": make_token({"a": 1}, CLAIM_KEY, header={"alg": 1}),
        "alg empty": make_token({"a": 1}, CLAIM_KEY, header={"alg": ""}),
        "kid a number": make_token({"a": 1}, CLAIM_KEY,
                                   header={"alg": "HS256", "kid": 1}),
        "wrong signature": f"{head}.{body}.{sig[:-2]}AA",
        "payload not an object": make_token(1, CLAIM_KEY),
        "payload a list": make_token([1], CLAIM_KEY),
        "payload not JSON": make_token(None, CLAIM_KEY,
                                       raw_payload=b"not json"),
    }


@pytest.mark.parametrize("name", sorted(_malformed_tokens()))
def test_malformed_tokens_fail_as_in_pyjwt(name):
    """Class and message as PyJWT's; a JSON error's detail is the parser's
    own (payhook's is strict JSON), after PyJWT's prefix."""
    token = _malformed_tokens()[name]
    want = _outcome(lambda: pyjwt.decode(token, CLAIM_KEY,
                                         algorithms=["HS256"]))
    got = _outcome(lambda: payhook.jwt.decode(token, CLAIM_KEY, ["HS256"]))
    assert want[0] == got[0] == "err", (want, got)
    theirs = getattr(payhook, want[1])
    assert isinstance(_raised(token), theirs), (want, got)
    if name == "kid a number":
        # PyJWT raises its base InvalidTokenError; payhook the DecodeError
        # below it (the vectors' R_KID), with the same words.
        assert got[1] == "DecodeError" and want[1] == "InvalidTokenError"
    else:
        assert got[1] == want[1], (want, got)
    if want[2].startswith(("Invalid header string: ",
                           "Invalid payload string: ")) and \
            "must be a json object" not in want[2]:
        assert got[2].split(":")[0] == want[2].split(":")[0], (want, got)
    else:
        assert got[2] == want[2], (want, got)


def _raised(token):
    try:
        payhook.jwt.decode(token, CLAIM_KEY, ["HS256"])
    except payhook.PayhookError as e:
        return e
    raise AssertionError("accepted")
