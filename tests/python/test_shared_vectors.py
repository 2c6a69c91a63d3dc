"""The public conformance data in tests/vectors/conformance, through payhook's
API.

* Wycheproof AES-CBC-PKCS5 (256-bit keys) through the raw primitive
  ``payhook.superpay.decrypt(hex, key, iv)``;
* Wycheproof HMAC-SHA256/384/512 mapped onto JWS HS256/384/512: the
  Wycheproof key signs a token, and each ModifiedTag case's change to the
  tag is carried over onto the token's signature;
* the RFC 7515 A.1 and RFC 7520 4.4 JWS vectors.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

import payhook
from conftest import (
    SHARED_VECTORS,
    aes_cbc_encrypt,
    assert_strict_equal,
    b64url,
    b64url_decode,
)

WYCHEPROOF = SHARED_VECTORS / "wycheproof"

# A missing directory is an error naming it, never a skip (conftest.py also
# stops the run before this when a file is missing).
if not WYCHEPROOF.is_dir():
    raise FileNotFoundError(f"conformance vectors not found at {WYCHEPROOF}")


def _load(name: str) -> dict:
    with open(WYCHEPROOF / name, encoding="utf-8") as f:
        return json.load(f)


def _cases(data: dict):
    for group in data["testGroups"]:
        for test in group["tests"]:
            yield group, test


# ---------------------------------------------------------------------------
# AES-256-CBC with PKCS#7

AES = _load("aes_cbc_pkcs5_test.json")
AES_CASES = {t["tcId"]: (g, t) for g, t in _cases(AES)}


def test_aes_vector_file_shape():
    assert AES["algorithm"] == "AES-CBC-PKCS5"
    assert len(AES_CASES) == AES["numberOfTests"] == 72
    results = [t["result"] for _, t in AES_CASES.values()]
    assert results.count("valid") == 24 and results.count("invalid") == 48
    assert all(g["keySize"] == 256 and g["ivSize"] == 128
               for g, _ in AES_CASES.values())


@pytest.mark.parametrize("tc_id", sorted(AES_CASES))
def test_wycheproof_aes_cbc_pkcs5(tc_id):
    _, t = AES_CASES[tc_id]
    key, iv = bytes.fromhex(t["key"]), bytes.fromhex(t["iv"])
    if t["result"] == "valid":
        msg = bytes.fromhex(t["msg"])
        assert payhook.superpay.decrypt(t["ct"], key, iv) == msg
        assert payhook.superpay.decrypt(t["ct"].upper(), key, iv) == msg
        assert payhook.superpay.decrypt(t["ct"].encode(), key, iv) == msg
        # The vector itself: msg encrypts to ct.
        assert aes_cbc_encrypt(msg, key, iv).hex() == t["ct"]
    else:
        with pytest.raises(payhook.DecryptionError):
            payhook.superpay.decrypt(t["ct"], key, iv)


def test_wycheproof_aes_invalid_cases_share_one_error():
    seen = set()
    for _, t in AES_CASES.values():
        if t["result"] != "invalid":
            continue
        key, iv = bytes.fromhex(t["key"]), bytes.fromhex(t["iv"])
        for data in (t["ct"], t["ct"].upper(), bytearray(t["ct"].encode())):
            try:
                payhook.superpay.decrypt(data, key, iv)
            except Exception as e:  # noqa: BLE001 - collecting them
                seen.add((type(e).__name__, str(e)))
            else:
                raise AssertionError(f"tcId {t['tcId']} decrypted")
    assert len(seen) == 1, seen
    assert next(iter(seen))[0] == "DecryptionError"


def test_wycheproof_aes_default_iv_is_md5_of_key():
    """With iv omitted, the IV is MD5(key): re-encrypt a valid vector's
    message that way and decrypt it without an IV."""
    for _, t in AES_CASES.values():
        if t["result"] != "valid":
            continue
        key, msg = bytes.fromhex(t["key"]), bytes.fromhex(t["msg"])
        ct = aes_cbc_encrypt(msg, key, hashlib.md5(key).digest()).hex()
        assert payhook.superpay.decrypt(ct, key) == msg
        assert payhook.superpay.decrypt(ct, key, None) == msg


def test_wycheproof_aes_one_prepared_key_many_ivs():
    """A prepared key reused for every vector of its key, with the IV given
    per call, interleaved with its own default IV and with failures: no
    state may leak from one call into the next."""
    decoders = {}
    for _ in range(2):
        for _, t in AES_CASES.values():
            key, iv = bytes.fromhex(t["key"]), bytes.fromhex(t["iv"])
            decoder = decoders.setdefault(key, payhook.superpay.Decoder(key))
            if t["result"] == "valid":
                assert decoder.decrypt(t["ct"], iv) == bytes.fromhex(t["msg"])
            else:
                with pytest.raises(payhook.DecryptionError):
                    decoder.decrypt(t["ct"], iv)
            own = aes_cbc_encrypt(b"interleaved", key,
                                  hashlib.md5(key).digest()).hex()
            assert decoder.decrypt(own) == b"interleaved"
            assert decoder.decrypt(own, None) == b"interleaved"
    assert len(decoders) > 1


# ---------------------------------------------------------------------------
# HMAC-SHA2 as JWS HS256/HS384/HS512

HMAC_FILES = {
    "HS256": ("hmac_sha256_test.json", hashlib.sha256),
    "HS384": ("hmac_sha384_test.json", hashlib.sha384),
    "HS512": ("hmac_sha512_test.json", hashlib.sha512),
}
HMAC_DATA = {alg: _load(name) for alg, (name, _) in HMAC_FILES.items()}
HMAC_CASES = [
    (alg, group["keySize"], group["tagSize"], test["tcId"])
    for alg, data in HMAC_DATA.items()
    for group, test in _cases(data)
]
_HMAC_INDEX = {
    (alg, group["tagSize"], test["tcId"]): (group, test)
    for alg, data in HMAC_DATA.items()
    for group, test in _cases(data)
}


def _case_id(case) -> str:
    alg, key_size, tag_size, tc_id = case
    return f"{alg}-key{key_size}-tag{tag_size}-tc{tc_id}"


def _signing_input(alg: str, tc_id: int, tag_size: int) -> bytes:
    header = json.dumps({"alg": alg, "typ": "JWT"},
                        separators=(",", ":")).encode()
    payload = json.dumps({"wycheproof": alg, "tcId": tc_id,
                          "tagSize": tag_size}, separators=(",", ":")).encode()
    return (b64url(header) + "." + b64url(payload)).encode()


def test_hmac_vector_file_shapes():
    for alg, data in HMAC_DATA.items():
        assert data["numberOfTests"] == 174
        assert sum(len(g["tests"]) for g in data["testGroups"]) == 174
        digest_bits = HMAC_FILES[alg][1]().digest_size * 8
        full = sum(len(g["tests"]) for g in data["testGroups"]
                   if g["tagSize"] == digest_bits)
        assert full == 87, alg


@pytest.mark.parametrize("case", HMAC_CASES, ids=_case_id)
def test_wycheproof_hmac_as_jws(case):
    alg, _, tag_size, tc_id = case
    group, t = _HMAC_INDEX[(alg, tag_size, tc_id)]
    digest = HMAC_FILES[alg][1]
    key, msg = bytes.fromhex(t["key"]), bytes.fromhex(t["msg"])
    tag = bytes.fromhex(t["tag"])
    assert len(tag) * 8 == tag_size

    # The vector against the stdlib.
    full = hmac.new(key, msg, digest).digest()
    expected = full[: tag_size // 8]
    if t["result"] == "valid":
        assert expected == tag
    else:
        assert expected != tag

    signing_input = _signing_input(alg, tc_id, tag_size)
    good_sig = hmac.new(key, signing_input, digest).digest()
    payload = json.loads(b64url_decode(signing_input.decode().split(".")[1]))
    head = signing_input.decode() + "."

    if tag_size == len(full) * 8:
        # Full-length tag: the Wycheproof key verifies the token, and the
        # vector's modification of its tag, carried over to our signature,
        # is caught.
        assert_strict_equal(
            payhook.jwt.decode(head + b64url(good_sig), key, [alg]), payload)
        delta = bytes(a ^ b for a, b in zip(tag, expected))
        carried = bytes(a ^ b for a, b in zip(good_sig, delta))
        if t["result"] == "valid":
            assert carried == good_sig
            assert payhook.jwt.decode(head + b64url(carried), key,
                                      algorithms=[alg]) == payload
        else:
            assert carried != good_sig
            with pytest.raises(payhook.InvalidSignatureError):
                payhook.jwt.decode(head + b64url(carried), key, [alg])
        # The same token under the other algorithms' allowlists.
        for other in HMAC_FILES:
            if other != alg:
                with pytest.raises(payhook.InvalidAlgorithmError):
                    payhook.jwt.decode(head + b64url(good_sig), key, [other])
    else:
        # Truncated tag: a JWS verifier never accepts it, valid or not.
        truncated = good_sig[: tag_size // 8]
        with pytest.raises(payhook.InvalidSignatureError):
            payhook.jwt.decode(head + b64url(truncated), key, [alg])
        with pytest.raises(payhook.InvalidSignatureError):
            payhook.jwt.decode(head + b64url(tag), key, [alg])
        with pytest.raises(payhook.InvalidSignatureError):
            payhook.jwt.decode(head + b64url(truncated), key,
                               ["HS256", "HS384", "HS512"])


@pytest.mark.parametrize("alg", sorted(HMAC_FILES))
def test_hmac_empty_key_is_invalid_key(alg):
    digest = HMAC_FILES[alg][1]
    signing_input = _signing_input(alg, 0, digest().digest_size * 8)
    token = (signing_input.decode() + "." +
             b64url(hmac.new(b"", signing_input, digest).digest()))
    for key in (b"", "", [b""]):
        with pytest.raises(payhook.InvalidKeyError):
            payhook.jwt.decode(token, key, [alg])
    with pytest.raises(payhook.InvalidKeyError):
        payhook.jwt.encode({"a": 1}, b"", alg)


# ---------------------------------------------------------------------------
# RFC 7515 A.1 and RFC 7520 4.4

with open(SHARED_VECTORS / "jwt_rfc_vectors.json", encoding="utf-8") as _f:
    RFC = json.load(_f)
RFC_CASES = {v["id"]: v for v in RFC["vectors"]}

RFC_ERRORS = {
    "expired": payhook.ExpiredSignatureError,
    "bad_algorithm": payhook.InvalidAlgorithmError,
    "bad_json": payhook.DecodeError,
    "bad_signature": payhook.InvalidSignatureError,
    "immature": payhook.ImmatureSignatureError,
}


def _rfc_kwargs(v: dict) -> dict:
    opts = v.get("options") or {}
    kwargs = {}
    if "now" in opts:
        kwargs["now"] = opts["now"]
    if "leeway" in opts:
        kwargs["leeway"] = opts["leeway"]
    return kwargs


def test_rfc_vector_file_shape():
    assert len(RFC_CASES) == 4
    assert set(RFC_CASES) == {"rfc7515-A.1", "rfc7515-A.1-exp-boundary",
                              "rfc7515-A.1-alg-not-allowed", "rfc7520-4.4"}


@pytest.mark.parametrize("vid", sorted(RFC_CASES))
def test_rfc_jws_vectors(vid):
    v = RFC_CASES[vid]
    key = b64url_decode(v["key_b64url"])
    kwargs = _rfc_kwargs(v)
    if v["expect"] == "valid":
        got = payhook.jwt.decode(v["token"], key, v["algorithms"], **kwargs)
        assert_strict_equal(got, v["payload"])
        assert_strict_equal(
            payhook.jwt.Decoder(key, v["algorithms"]).decode(
                v["token"], kwargs.get("now")), v["payload"])
    else:
        cls = RFC_ERRORS[v["error"]]
        with pytest.raises(cls) as info:
            payhook.jwt.decode(v["token"], key, v["algorithms"], **kwargs)
        # The exact class: bad_json must not come out as a bad signature.
        assert type(info.value) is cls


def test_rfc7515_a1_signature_and_leanx():
    v = RFC_CASES["rfc7515-A.1"]
    key = b64url_decode(v["key_b64url"])
    signing_input, _, sig = v["token"].rpartition(".")
    assert hmac.new(key, signing_input.encode(),
                    hashlib.sha256).digest() == b64url_decode(sig)
    # The header and payload carry CRLF whitespace; the LeanX path (HS256
    # only) reads the same token, bare or in its envelope.
    now = v["options"]["now"]
    for body in (v["token"], json.dumps({"data": v["token"]})):
        assert_strict_equal(payhook.leanx.decode(body, key, now=now),
                            v["payload"])
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.jwt.decode(v["token"], key[:-1], ["HS256"], now=now)
    with pytest.raises(payhook.ExpiredSignatureError):
        payhook.jwt.decode(v["token"], key, ["HS256"], now=now + 1)
    assert payhook.jwt.decode(v["token"], key, ["HS256"], now=now + 1,
                              leeway=2)


def test_rfc7520_signature_valid_payload_not_json():
    v = RFC_CASES["rfc7520-4.4"]
    key = b64url_decode(v["key_b64url"])
    header_b64, payload_b64, sig_b64 = v["token"].split(".")
    signing_input = f"{header_b64}.{payload_b64}".encode()
    assert v["jws_signature_valid"] is True
    assert hmac.new(key, signing_input,
                    hashlib.sha256).digest() == b64url_decode(sig_b64)
    assert b64url_decode(payload_b64).decode("utf-8") == v["jws_payload_utf8"]

    # The MAC is checked before the payload is parsed: a wrong key or a
    # flipped signature bit is a signature error, not a JSON error.
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.jwt.decode(v["token"], key + b"x", ["HS256"])
    sig = bytearray(b64url_decode(sig_b64))
    sig[0] ^= 1
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.jwt.decode(f"{header_b64}.{payload_b64}.{b64url(sig)}", key,
                           ["HS256"])
    with pytest.raises(payhook.DecodeError) as info:
        payhook.jwt.decode(v["token"], key, ["HS256"])
    assert type(info.value) is payhook.DecodeError


def test_rfc7520_machine_readable_copy_agrees():
    path = SHARED_VECTORS / "rfc7520" / "4_4.hmac-sha2_integrity_protection.json"
    with open(path, encoding="utf-8") as f:
        cookbook = json.load(f)
    v = RFC_CASES["rfc7520-4.4"]
    assert cookbook["output"]["compact"] == v["token"]
    assert cookbook["input"]["key"]["k"] == v["key_b64url"]
    assert cookbook["input"]["payload"] == v["jws_payload_utf8"]
    # Re-sign the cookbook's payload as a JSON string (a JSON text, but not
    # an object) and as an object: only the object is a JWT payload.
    key = b64url_decode(cookbook["input"]["key"]["k"])
    header = cookbook["signing"]["protected_b64u"]
    for payload, ok in ((json.dumps(cookbook["input"]["payload"]), False),
                        (json.dumps({"text": cookbook["input"]["payload"]}),
                         True)):
        signing_input = f"{header}.{b64url(payload.encode())}".encode()
        token = (signing_input.decode() + "." +
                 b64url(hmac.new(key, signing_input, hashlib.sha256).digest()))
        if ok:
            assert payhook.jwt.decode(token, key,
                                      ["HS256"]) == json.loads(payload)
        else:
            with pytest.raises(payhook.DecodeError):
                payhook.jwt.decode(token, key, ["HS256"])
