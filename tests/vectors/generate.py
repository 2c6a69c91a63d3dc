#!/usr/bin/env python3
"""Write payhook's shared, language-independent test vectors.

    python3 tests/vectors/generate.py            # (re)write the JSON files
    python3 tests/vectors/generate.py --check    # exit 1 if they are stale
    python3 tests/vectors/generate.py --report   # also list PyJWT differences

Only the standard library and `cryptography` produce the vectors; PyJWT 2.x
is used to cross-check them, never to make them.  Everything comes from
fixed keys, fixed payloads and a fixed clock, so the output is the same
byte for byte on every run.

Before anything is written, every vector (as it reads back from its JSON
text) is checked three ways:

1. against the reference model below: a short, independent Python
   statement of the semantics payhook implements (strict base64url and
   JSON, header rules, HMAC, claims, envelopes, AES-256-CBC/PKCS#7);
2. jwt.decode and leanx.decode vectors against PyJWT with its clock
   pinned: it must return the same payload or raise the same exception
   class, unless the vector is listed in PYJWT_DIFFERENCES with the outcome
   PyJWT gives and the reason payhook differs on purpose;
3. superpay vectors against the `cryptography` package (its AES-256-CBC
   and its PKCS#7 unpadder), including that each bad-padding vector really
   fails in the unpadder and nowhere else.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as _dt
import hashlib
import hmac
import json
import math
import pathlib
import re
import sys
import unicodedata
import warnings
from typing import Any, Callable
from unittest import mock

from cryptography.hazmat.primitives import padding as _padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = pathlib.Path(__file__).resolve().parent

# ---------------------------------------------------------------------------
# Fixed parameters

NOW = 1_700_000_000                  # 2023-11-14T22:13:20Z, the pinned clock
DEFAULT_MAX_BYTES = 1 << 20
MAX_DEPTH = 128
MAX_NUMBER_CHARS = 4300
JSON_SPACE = b" \t\r\n"
BOM = b"\xef\xbb\xbf"

HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
          "HS512": hashlib.sha512}
DIGEST_LEN = {"HS256": 32, "HS384": 48, "HS512": 64}

ERROR_KINDS = {
    "InvalidKeyError", "PayloadTooLargeError", "DecodeError",
    "InvalidSignatureError", "InvalidAlgorithmError", "ExpiredSignatureError",
    "ImmatureSignatureError", "InvalidIssuedAtError", "InvalidAudienceError",
    "InvalidIssuerError", "InvalidSubjectError", "InvalidJTIError",
    "MissingRequiredClaimError", "DecryptionError",
}

JWT_OPTIONS = {"algorithms", "now", "leeway", "audience", "issuer", "subject",
               "max_bytes", "require", "verify_exp", "verify_nbf",
               "verify_iat", "verify_aud", "verify_iss", "strict_aud"}
OPTIONS_BY_FUNCTION = {
    "jwt.decode": JWT_OPTIONS,
    "leanx.decode": {"now", "leeway", "max_bytes"},
    "superpay.decode": {"max_bytes"},
    "superpay.decrypt": set(),
}

# Keys.  Text keys are used as their UTF-8 bytes.
JWT_KEY = "payhook-vectors-jwt-key-0001"
JWT_KEY_2 = "payhook-vectors-jwt-key-0002"
JWT_KEY_3 = "payhook-vectors-jwt-key-0003"
# LeanX hash keys look like 128 hex digits; they are text, never hex-decoded.
LEANX_KEY = hashlib.sha512(b"payhook vectors: LeanX hash key 1").hexdigest()
LEANX_KEY_OLD = hashlib.sha512(b"payhook vectors: LeanX hash key 0").hexdigest()
LEANX_KEY_OTHER = hashlib.sha512(b"payhook vectors: someone else").hexdigest()
SP_KEY = "payhook-vectors-superpay-key-032"
SP_KEY_2 = "payhook-vectors-superpay-key-064"
SP_VENDOR_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"

# The SuperPay vendor page's sample (superpay-payout-callback.md).
SP_VENDOR_HEX = (
    "e4e9ac1120ed867a7af108af8b1ab918cbec6db7b4d7c29908085a73e2b29e97547da6ea"
    "e91928b3330241f1fb898eebd8c3355105fdd5c68b6ceea761f41dc3085ed888d3c0473b"
    "eef128ebd208c4f60299df64a622d04d21d81513c02e2d47bfcce2a6c246eabcc1c823aa"
    "f3d9133004cf7c4c08236395a05dc19a98c33a301c8b73d4e7fd33cd911619de86dfdb45")
SP_VENDOR_PAYLOAD = {"data": {
    "paymentUrl": "https://api.gggpay.org/checkout/payment?orderId="
                  "4cdcd4e7a712071ef54f83780b8bbd40",
    "transactionId": "10556"}}

# The LeanX vendor page's sample token: it parses, but the key that signed
# it is not published, so no key verifies it (PROVIDERS.md).
LEANX_VENDOR_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJvdXRwdXQiOnsiaW52b2ljZV9ubyI6IjE3"
    "MjU0NjEzODg2SEdQaXVSdSIsImVycm9yX2Rlc2NyaXB0aW9uIjpbXSwiYmFua19yZXNwb25zZ"
    "SI6eyJTdWNjZXNzIjp0cnVlLCJSZXN1bHQiOnsiT3JnbkZyb21BY2NvdW50Q3VycmVuY3kiOi"
    "JNWVIiLCJPcmduVGhpcmRQYXJ0eUFjY291bnRObyI6IjExNDA4NTgyNjUwOSIsIk9yZ25QYXl"
    "tZW50RGVzY3JpcHRpb24iOiI2NmQ4NzM4YzJjMjNmIiwiQml6TXNnSUQiOiIyMDI0MDkwNE9D"
    "QkNNWUtMMDEwT0NCODk1NTA0OTEiLCJEaXNwbGF5TmFtZSI6IkFaUlVMIEFOVUFSIEJJTiBEV"
    "UwiLCJCYW5rUmVmZXJlbmNlTm8iOiIyMDI0MDkwNDIyNDk0ODU0ODMzOCIsIk9yZ25UcmFuc2"
    "FjdGlvbkFtb3VudCI6IjEuMCIsIkZyb21BY2NvdW50Tm8iOiI3OTAxMTA2MjQ4IiwiUGF5bWV"
    "udFN0YXR1cyI6IkFDU1AiLCJPcmduVGhpcmRQYXJ0eUJhbmtCSUNDb2RlIjoiTUJCRU1ZS0wi"
    "LCJPcmduQ3VycmVuY3kiOiJNWVIiLCJPcmduUmVjaXBpZW50UmVmZXJlbmNlIjoiUk0xIEZvc"
    "mV2ZXIifX0sImNsaWVudF9kYXRhIjp7InZpcnR1YWxfcG9vbF9yZWZlcmVuY2UiOiJQQVlPVV"
    "QtNUMxRToyMjQ5NDctTEVBTlgiLCJleHRlcm5hbF9pbnZvaWNlX3JlZiI6IlRFU1RJTkctUEF"
    "ZT1VULTAyIiwicmVjaXBpZW50X3JlZmVyZW5jZSI6IlJNMSBGb3JldmVyIn0sImludm9pY2Vf"
    "c3RhdHVzX2lkIjoyLCJpbnZvaWNlX3N0YXR1cyI6IlNVQ0NFU1MiLCJhbW91bnQiOiIxLjAwI"
    "iwicGF5b3V0X3NlcnZpY2VfaWQiOjc3LCJjbGllbnRfY2FsbGJhY2tfdXJsIjoiaHR0cHM6Ly"
    "9hcGkubGVhbnguaW8vYXBpL3YxL2NhbGxiYWNrLXVybC9jYWxsYmFjay1yZWRpcmVjdD9fdXV"
    "pZD03OTk0MTFlOC0zYTZjLTQ4YmYtYmM0NS05ZWQ5MWJjZWQ2MmQiLCJjbGllbnRfdHJhbnNh"
    "Y3Rpb25fZGV0YWlscyI6bnVsbCwicGF5b3V0X3BheW1lbnQiOnsiaXRlbSI6eyJiYWxhbmNlI"
    "joiNy4wMCIsInZpcnR1YWxfcG9vbF9yZWZlcmVuY2UiOiJWQS0yRkRCNUMtMTkzNDIwNDM5NT"
    "UwLVBBWU9VVCIsInJlY29yZF9zdGF0dXNfaWQiOjEsInZpcnR1YWxfcG9vbF9jb2xsZWN0aW9"
    "uX3R5cGVfaWQiOjEsImNyZWF0ZWRfYXQiOiIyMDIzLTAzLTE2VDA0OjQyOjAzLjAwMDAwMFoi"
    "LCJ1cGRhdGVkX2F0IjoiMjAyNC0wOS0wNFQxNDo0OTo1MS4wMDAwMDBaIiwidmlydHVhbF9wb"
    "29sX2FsaWFzIjoiTEVBTlggUEFZT1VUIiwidmlydHVhbF9wb29sX3RyYW5zYWN0aW9uX2Ftb3"
    "VudCI6IjEuMDAiLCJwYXlvdXRfcGF5bWVudF9hbW91bnQiOiIxLjAwIn0sInJlc3BvbnNlX2N"
    "vZGUiOjIxMDB9fSwicmVzcG9uc2VfY29kZSI6MjEwMH0.toZyryF0wiW1OxGzT_TmksvZV44t"
    "4jhoZbVNhR8i_gQ")

# RFC 7515 Appendix A.1 and RFC 7520 section 4.4 (public specification
# data; the same values are in /work/shared/vectors/jwt_rfc_vectors.json).
RFC7515_A1_TOKEN = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEz"
    "MDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4C"
    "VP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
RFC7515_A1_KEY_B64 = ("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75a"
                      "KtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
RFC7520_44_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjN"
    "zAzNyJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvd"
    "XIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIH"
    "lvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB"
    "0IG9mZiB0by4.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0")
RFC7520_44_KEY_B64 = "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg"
RFC_SHARED_FILE = (pathlib.Path(__file__).resolve().parent / "conformance" /
                   "jwt_rfc_vectors.json")

# ---------------------------------------------------------------------------
# Encoding helpers


def b64u(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_loose(text: str | bytes) -> bytes:
    """Decode base64url leniently (for the generator's own bookkeeping)."""
    if isinstance(text, str):
        text = text.encode("ascii")
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def to_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def compact(value: Any, ascii_only: bool = True) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_only,
                      allow_nan=False).encode("utf-8")


def json_bytes(value: Any) -> bytes:
    """Raw JSON text: str/bytes are taken as written, anything else dumped."""
    if isinstance(value, (str, bytes)):
        return to_bytes(value)
    return compact(value)


def loads_or_none(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()


# ---------------------------------------------------------------------------
# Building tokens


class Token(str):
    """A compact token, with the parts that went into it."""

    header: bytes
    payload: bytes
    claims: Any
    h64: str
    p64: str
    s64: str


def hmac_tag(alg: str, key: str | bytes, signing_input: str) -> bytes:
    return hmac.new(to_bytes(key), signing_input.encode("utf-8"),
                    HASHES[alg]).digest()


def token(payload: Any = None, key: str | bytes = JWT_KEY, alg: Any = "HS256",
          header: Any = None, mac_alg: str | None = None,
          h64: str | None = None, p64: str | None = None,
          sig: bytes | str | None = None) -> Token:
    """Sign a token.

    payload/header: dict (dumped compactly), or str/bytes taken as the exact
    JSON text.  header None is {"alg": alg, "typ": "JWT"}.  h64/p64 replace
    the encoded segments verbatim (the MAC is then over those).  mac_alg is
    the HMAC used (default: alg when it is HS*, else HS256).  sig replaces
    the signature: bytes are encoded, str is used verbatim.
    """
    if header is None:
        header = {"alg": alg, "typ": "JWT"}
    hb = json_bytes(header)
    pb = json_bytes({} if payload is None else payload)
    h = b64u(hb) if h64 is None else h64
    p = b64u(pb) if p64 is None else p64
    signing_input = h + "." + p
    if sig is None:
        use = mac_alg or (alg if alg in HASHES else "HS256")
        sig = hmac_tag(use, key, signing_input)
    s = b64u(sig) if isinstance(sig, bytes) else sig
    out = Token(signing_input + "." + s)
    out.header, out.payload = hb, pb
    out.claims = loads_or_none(pb) if p64 is None else None
    out.h64, out.p64, out.s64 = h, p, s
    return out


def tamper_last_bits(segment: str) -> str:
    """Set the unused low bits of a segment's last character (len%4 2 or 3)."""
    alphabet = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789-_")
    rem = len(segment) % 4
    assert rem in (2, 3), segment
    value = alphabet.index(segment[-1])
    value |= 0x0F if rem == 2 else 0x03
    out = segment[:-1] + alphabet[value]
    assert out != segment and b64u_loose(out) == b64u_loose(segment)
    return out


def header_with_b64_len_mod(rem: int, alg: str = "HS256") -> dict:
    """A valid header whose base64url length is rem (mod 4)."""
    for n in range(1, 10):
        h = {"alg": alg, "typ": "JWT", "kid": "k" * n}
        if len(b64u(compact(h))) % 4 == rem:
            return h
    raise AssertionError(rem)


def payload_with_b64(predicate: Callable[[str], bool], base: dict) -> dict:
    """base plus a counter member, the first whose encoding fits."""
    for n in range(10000):
        p = {"n": n, **base}
        if predicate(b64u(compact(p))):
            return p
    raise AssertionError("no payload found")


def key_for_signature(predicate: Callable[[str], bool], payload: dict,
                      alg: str = "HS256") -> str:
    """A key (JWT_KEY plus a suffix) whose signature's encoding fits."""
    for n in range(10000):
        key = f"{JWT_KEY}/{n}"
        if predicate(token(payload, key, alg).s64):
            return key
    raise AssertionError("no key found")


def depth_arrays(depth: int) -> str:
    """A payload object whose nesting, the object included, is `depth`."""
    return '{"a":' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def depth_objects(depth: int) -> str:
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


# ---------------------------------------------------------------------------
# AES-256-CBC helpers (cryptography does the block cipher)


def pkcs7(data: bytes) -> bytes:
    n = 16 - len(data) % 16
    return data + bytes([n]) * n


def cbc_encrypt_raw(key: bytes, iv: bytes, data: bytes) -> bytes:
    assert len(data) % 16 == 0
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def cbc_decrypt_raw(key: bytes, iv: bytes, data: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


class Hex(str):
    """Lower-case ciphertext hex, with the plaintext it came from."""

    plain: bytes


def sp_encrypt(plain: Any, key: str | bytes = SP_KEY, iv: bytes | None = None,
               pad: bool = True) -> Hex:
    """SuperPay-encrypt: key bytes, IV = MD5(key), PKCS#7 unless pad=False
    (then `plain` must already be whole blocks: its last block carries
    whatever padding the caller built)."""
    k = to_bytes(key)
    data = json_bytes(plain) if not isinstance(plain, bytes) else plain
    blocks = pkcs7(data) if pad else data
    out = Hex(cbc_encrypt_raw(k, md5(k) if iv is None else iv, blocks).hex())
    out.plain = data
    return out


# ---------------------------------------------------------------------------
# The reference model: payhook's semantics, stated independently in Python


class Fail(Exception):
    def __init__(self, kind: str, stage: str = ""):
        super().__init__(kind, stage)
        self.kind, self.stage = kind, stage


class Ambiguous(Exception):
    """The vector's outcome would depend on an order the spec leaves open."""


class _Obj(dict):
    """A JSON object that remembers its member names in order (duplicates
    included); json.loads' own rule, last one wins, fills the dict."""

    names: list


def _pairs(pairs: list) -> _Obj:
    obj = _Obj(pairs)
    obj.names = [k for k, _ in pairs]
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _literal_chars(literal: str) -> int:
    """The length the limit applies to: a leading '-' is not counted, as
    CPython's int limit counts only digits; a float's fraction and
    exponent are counted (CPython has no limit for floats)."""
    return len(literal) - literal.startswith("-")


def _int(literal: str) -> int:
    if _literal_chars(literal) > MAX_NUMBER_CHARS:
        raise ValueError("number literal too long")
    return int(literal)


def _float(literal: str) -> float:
    if _literal_chars(literal) > MAX_NUMBER_CHARS:
        raise ValueError("number literal too long")
    return float(literal)


def strict_json(data: bytes) -> Any:
    """RFC 8259 JSON with payhook's limits, or Fail(DecodeError)."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise Fail("DecodeError", "bom")
    try:
        text = data.decode("utf-8")          # strict: no surrogates/overlong
        value = json.loads(text, object_pairs_hook=_pairs, parse_int=_int,
                           parse_float=_float,
                           parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise Fail("DecodeError", "json") from None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise Fail("DecodeError", "depth")
            children = list(item.values()) if isinstance(item, dict) else item
            if isinstance(item, dict):
                children += list(item.keys())
            stack.extend((c, depth + 1) for c in children)
        elif isinstance(item, str):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in item):
                raise Fail("DecodeError", "surrogate")
    return value


def plain(value: Any) -> Any:
    """_Obj -> dict, recursively (depth is bounded by strict_json)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          b"0123456789-_")


def b64u_strict(segment: bytes) -> bytes:
    if any(c not in _B64_ALPHABET for c in segment) or len(segment) % 4 == 1:
        raise Fail("DecodeError", "base64url")
    raw = b64u_loose(segment)
    if b64u(raw).encode("ascii") != segment:     # unused bits not zero
        raise Fail("DecodeError", "base64url")
    return raw


def trim(data: bytes) -> bytes:
    return data.strip(JSON_SPACE)


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def time_value(v: Any, kind: str) -> int:
    """A time claim truncated like int(), or Fail(kind)."""
    if not is_number(v) or (isinstance(v, float) and not math.isfinite(v)):
        raise Fail(kind, "claim-type")
    return math.trunc(v)


def check_claims(p: dict, o: dict) -> None:
    now = o["now"] if "now" in o else _dt.datetime.now(
        _dt.timezone.utc).timestamp()
    leeway = o.get("leeway", 0)
    for claim in o.get("require", []):
        if p.get(claim) is None:
            raise Fail("MissingRequiredClaimError", "require")
    if "iat" in p and o.get("verify_iat", True):
        if time_value(p["iat"], "InvalidIssuedAtError") > now + leeway:
            raise Fail("ImmatureSignatureError", "iat")
    if "nbf" in p and o.get("verify_nbf", True):
        if time_value(p["nbf"], "DecodeError") > now + leeway:
            raise Fail("ImmatureSignatureError", "nbf")
    if "exp" in p and o.get("verify_exp", True):
        if time_value(p["exp"], "DecodeError") <= now - leeway:
            raise Fail("ExpiredSignatureError", "exp")
    issuer = o.get("issuer")
    if issuer is not None and o.get("verify_iss", True):
        if "iss" not in p:
            raise Fail("MissingRequiredClaimError", "iss")
        if not isinstance(p["iss"], str):
            raise Fail("InvalidIssuerError", "iss-type")
        wanted = [issuer] if isinstance(issuer, str) else issuer
        if p["iss"] not in wanted:
            raise Fail("InvalidIssuerError", "iss")
    if o.get("verify_aud", True):
        audience = o.get("audience")
        aud = p.get("aud")
        if audience is None:
            if aud:
                raise Fail("InvalidAudienceError", "aud-unexpected")
        elif not aud:
            raise Fail("MissingRequiredClaimError", "aud")
        elif o.get("strict_aud", False):
            if not isinstance(audience, str) or not isinstance(aud, str) \
                    or aud != audience:
                raise Fail("InvalidAudienceError", "aud-strict")
        else:
            auds = [aud] if isinstance(aud, str) else aud
            if not isinstance(auds, list) or \
                    not all(isinstance(a, str) for a in auds):
                raise Fail("InvalidAudienceError", "aud-type")
            wanted = [audience] if isinstance(audience, str) else audience
            if not any(a in auds for a in wanted):
                raise Fail("InvalidAudienceError", "aud")
    if "sub" in p:
        if not isinstance(p["sub"], str):
            raise Fail("InvalidSubjectError", "sub-type")
        if o.get("subject") is not None and p["sub"] != o["subject"]:
            raise Fail("InvalidSubjectError", "sub")
    if "jti" in p and not isinstance(p["jti"], str):
        raise Fail("InvalidJTIError", "jti")


def model_token(tok: bytes, keys: list, o: dict) -> Any:
    """PyJWT's order: the segments; the header's base64url and JSON; the
    payload's and the signature's base64url; the header rules; the
    algorithm; the MAC; then the payload's JSON and the claims."""
    parts = tok.split(b".")
    if len(parts) != 3:
        raise Fail("DecodeError", "segments")
    h, p, s = parts
    header = strict_json(b64u_strict(h))
    if not isinstance(header, dict):
        raise Fail("DecodeError", "header-type")
    raw = b64u_strict(p)
    sig = b64u_strict(s)
    if len(set(header.names)) != len(header.names):
        raise Fail("DecodeError", "header-duplicate")
    if "kid" in header and not isinstance(header["kid"], str):
        raise Fail("DecodeError", "header-kid")
    if {"crit", "b64", "enc"} & set(header.names):
        raise Fail("DecodeError", "header-forbidden")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in HASHES or \
            alg not in o.get("algorithms", ["HS256"]):
        raise Fail("InvalidAlgorithmError", "alg")
    signing_input = h + b"." + p
    if len(sig) != DIGEST_LEN[alg] or not any(
            hmac.compare_digest(hmac.new(k, signing_input,
                                         HASHES[alg]).digest(), sig)
            for k in keys):
        raise Fail("InvalidSignatureError", "mac")
    payload = strict_json(raw)
    if not isinstance(payload, dict):
        raise Fail("DecodeError", "payload-type")
    check_claims(payload, o)
    return plain(payload)


def check_jwt_keys(keys: list) -> None:
    if not keys or any(len(k) == 0 for k in keys):
        raise Fail("InvalidKeyError", "key")


def check_size(body: bytes, o: dict) -> None:
    if len(body) > o.get("max_bytes", DEFAULT_MAX_BYTES):
        raise Fail("PayloadTooLargeError", "size")


def envelope_member(body: bytes, name: str) -> bytes:
    obj = strict_json(body)
    if not isinstance(obj, dict) or obj.names.count(name) != 1 or \
            not isinstance(obj[name], str):
        raise Fail("DecodeError", "envelope")
    return obj[name].encode("utf-8")


def leanx_token(body: bytes) -> bytes:
    """The token of a LeanX body: the whole body may be surrounded by
    whitespace, the "data" string may not (it is the token exactly)."""
    t = trim(body)
    if t.startswith(BOM):
        raise Fail("DecodeError", "bom")
    if not t.startswith(b"{"):
        return t
    tok = envelope_member(t, "data")
    if trim(tok) != tok:
        raise Fail("DecodeError", "data-whitespace")
    return tok


def model_jwt(body: bytes, keys: list, o: dict) -> Any:
    """A token exactly as given: no whitespace is trimmed around it."""
    check_jwt_keys(keys)
    check_size(body, o)
    tok = body
    if tok.startswith(BOM):
        raise Fail("DecodeError", "bom")
    return model_token(tok, keys, o)


def model_leanx(body: bytes, keys: list, o: dict) -> Any:
    check_jwt_keys(keys)
    check_size(body, o)
    tok = leanx_token(body)
    return model_jwt(tok, keys, dict(o, max_bytes=DEFAULT_MAX_BYTES * 64))


_HEX = re.compile(rb"[0-9a-fA-F]*")


def unpad_pkcs7(data: bytes) -> bytes:
    n = data[-1]
    if not 1 <= n <= 16 or data[-n:] != bytes([n]) * n:
        raise Fail("DecryptionError", "padding")
    return data[:-n]


def model_decrypt_hex(hex_text: bytes, key: bytes, iv: bytes) -> bytes:
    if not hex_text or len(hex_text) % 2 or not _HEX.fullmatch(hex_text):
        raise Fail("DecryptionError", "hex")
    ct = bytes.fromhex(hex_text.decode("ascii"))
    if len(ct) % 16:
        raise Fail("DecryptionError", "length")
    return unpad_pkcs7(cbc_decrypt_raw(key, iv, ct))


def superpay_hex(body: bytes) -> bytes:
    t = trim(body)
    return envelope_member(t, "encryptedData") if t.startswith(b"{") else t


def model_superpay(body: bytes, key: bytes, o: dict) -> Any:
    if len(key) != 32:
        raise Fail("InvalidKeyError", "key")
    check_size(body, o)
    pt = model_decrypt_hex(superpay_hex(body), key, md5(key))
    try:
        value = strict_json(pt)
    except Fail:
        raise Fail("DecryptionError", "json") from None
    if not isinstance(value, dict):
        raise Fail("DecryptionError", "object")
    return plain(value)


def model_decrypt(hex_text: bytes, key: bytes, iv: bytes | None) -> bytes:
    if len(key) != 32 or (iv is not None and len(iv) != 16):
        raise Fail("InvalidKeyError", "key")
    return model_decrypt_hex(hex_text, key, md5(key) if iv is None else iv)


# ---------------------------------------------------------------------------
# Vector files


NOTHING = object()
DEFAULT = object()
KEBAB = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def clean_text(data: bytes) -> str | None:
    """data as text when that is exact and portable, else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def loose_payload(function: str, body: bytes) -> Any:
    """The payload object of a jwt/leanx body, best effort, no checks."""
    try:
        tok = trim(body)
        if function == "leanx.decode" and tok.startswith(b"{"):
            tok = json.loads(tok)["data"].encode("utf-8").strip()
        return json.loads(b64u_loose(tok.split(b".")[1]))
    except Exception:
        return None


class VectorFile:
    def __init__(self, name: str, function: str, default_key: Any,
                 description: str):
        self.name, self.function = name, function
        self.default_key = default_key
        self.description = description
        self.vectors: list = []
        self.stages: dict = {}

    def add(self, vid: str, comment: str, body: str | bytes, *,
            key: Any = DEFAULT, keys: list | None = None,
            iv: bytes | None = None, options: dict | None = None,
            ok: Any = NOTHING, error: str | None = None,
            plaintext: bytes | None = None, stage: str | None = None) -> None:
        assert KEBAB.fullmatch(vid), vid
        assert comment.strip(), vid
        assert sum(x is not NOTHING and x is not None
                   for x in (ok, error, plaintext)) == 1, vid
        inp: dict = {}
        raw = to_bytes(body)
        text = clean_text(raw)
        if text is not None:
            inp["body"] = text
        else:
            inp["body_hex"] = raw.hex()
        if keys is not None:
            assert key is DEFAULT and all(isinstance(k, str) for k in keys)
            inp["keys"] = list(keys)
        else:
            k = self.default_key if key is DEFAULT else key
            if isinstance(k, bytes) or "\x00" in k:
                inp["key_hex"] = to_bytes(k).hex()
            else:
                inp["key"] = k
        if iv is not None:
            inp["iv_hex"] = iv.hex()
        opts = dict(options or {})
        if self.function in ("jwt.decode", "leanx.decode") and \
                "now" not in opts:
            p = loose_payload(self.function, raw)
            if isinstance(p, dict) and {"exp", "nbf", "iat"} & set(p):
                opts["now"] = NOW
        if opts:
            inp["options"] = opts
        if ok is not NOTHING:
            expect = {"payload": ok}
        elif plaintext is not None:
            expect = {"plaintext_hex": plaintext.hex()}
        else:
            expect = {"error": error}
        self.vectors.append({"id": vid, "comment": comment,
                             "function": self.function, "input": inp,
                             "expect": expect})
        if stage is not None:
            self.stages[vid] = stage

    def text(self) -> str:
        doc = {"description": self.description, "vectors": self.vectors}
        return json.dumps(doc, indent=1, ensure_ascii=True) + "\n"


# ---------------------------------------------------------------------------
# jwt.json


def build_jwt() -> VectorFile:
    f = VectorFile(
        "jwt.json", "jwt.decode", JWT_KEY,
        "jwt.decode(token, key, options): compact JWS HS256/HS384/HS512 with "
        "PyJWT-style claim checks. Tokens are signed with the generator's own "
        "keys. Every vector whose payload has exp, nbf or iat carries "
        "options.now (1700000000 unless the case needs another clock).")
    a = f.add
    base = {"sub": "payout-callback", "amount": "13.00"}
    t = token(base)

    # -- valid tokens -------------------------------------------------------
    a("hs256-valid", "An ordinary HS256 token with the default allowlist "
      "[\"HS256\"].", t, ok=t.claims)
    t0 = token({})
    a("hs256-valid-empty-payload-object", "The payload {} is a JSON object "
      "and is returned as an empty object.", t0, ok={})
    for alg in ("HS384", "HS512"):
        t1 = token(base, alg=alg)
        a(f"{alg.lower()}-valid", f"An {alg} token with the allowlist "
          f"[\"{alg}\"]: the digest length is {DIGEST_LEN[alg]} bytes.", t1,
          options={"algorithms": [alg]}, ok=t1.claims)
        a(f"{alg.lower()}-valid-all-allowed", f"An {alg} token with all three "
          "HS algorithms allowed.", t1,
          options={"algorithms": ["HS256", "HS384", "HS512"]}, ok=t1.claims)
    t1 = token(base, header={"alg": "HS256"})
    a("header-without-typ", "typ is optional and never checked.", t1,
      ok=t1.claims)
    t1 = token(base, header='{"typ":"JWT","alg":"HS256"}')
    a("header-alg-not-first", "Member order in the header does not matter.",
      t1, ok=t1.claims)
    t1 = token(base, header={"alg": "HS256", "typ": "JWT", "kid": "2024-07",
                             "cty": "JWT", "x-extra": [1, {"y": None}]})
    a("header-extra-members-ignored", "kid as a string, cty and unknown "
      "members are allowed and ignored.", t1, ok=t1.claims)
    t1 = token(base, header={"alg": "HS256", "kid": ""})
    a("header-kid-empty-string", "An empty kid is still a string.", t1,
      ok=t1.claims)
    t1 = token(base, header='\r\n {"alg" : "HS256" ,\t"typ":"JWT"} \n')
    a("header-json-whitespace", "JSON whitespace inside and around the "
      "header text is fine (it is signed as it is).", t1, ok=t1.claims)
    t1 = token(base, header='{"alg":"HS\\u0032\\u0035\\u0036"}')
    a("header-alg-escaped", "alg written with \\u escapes is \"HS256\" once "
      "unescaped, and compared unescaped.", t1, ok=t1.claims)

    # -- algorithms ---------------------------------------------------------
    for name in ("none", "None", "NONE"):
        t1 = token(base, header={"alg": name, "typ": "JWT"})
        a(f"alg-{name.lower()}-{'lower' if name == 'none' else 'upper' if name == 'NONE' else 'capital'}-with-signature",
          f"alg \"{name}\" is never accepted, even with a signature "
          "present (an HMAC of the token under the right key).", t1,
          error="InvalidAlgorithmError")
        t2 = Token(t1.h64 + "." + t1.p64 + ".")
        a(f"alg-{name.lower()}-{'lower' if name == 'none' else 'upper' if name == 'NONE' else 'capital'}-empty-signature",
          f"The classic unsecured token: alg \"{name}\" and an empty "
          "signature segment. The header is checked first, so this is "
          "an algorithm error (as PyJWT reports it).", t2,
          error="InvalidAlgorithmError")
    t1 = token(base, header={"typ": "JWT"})
    a("alg-missing", "A header without alg.", t1,
      error="InvalidAlgorithmError")
    t1 = token(base, header={})
    a("header-empty-object", "The header {} has no alg.", t1,
      error="InvalidAlgorithmError")
    for label, value in (("number", 256), ("null", None),
                         ("list", ["HS256"]), ("object", {"name": "HS256"}),
                         ("true", True), ("empty-string", "")):
        t1 = token(base, header={"alg": value, "typ": "JWT"})
        a(f"alg-{label}", f"alg must be a string naming an allowed "
          f"algorithm; here it is {json.dumps(value)}.", t1,
          error="InvalidAlgorithmError")
    for label, value, why in (
            ("lowercase", "hs256", "names are case-sensitive"),
            ("trailing-space", "HS256 ", "no trimming of the name"),
            ("embedded-nul", "HS256\u0000", "the name is compared with its "
             "length, not up to a NUL"),
            ("hs256-long", "HS2560", "a longer name is not a prefix match"),
            ("hs1", "HS1", "not one of HS256/HS384/HS512"),
            ("rs256", "RS256", "an asymmetric alg on an HMAC-signed token is "
             "the key-confusion attack"),
            ("es256", "ES256", "asymmetric algorithms do not exist here"),
            ("ps256", "PS256", "asymmetric algorithms do not exist here")):
        t1 = token(base, header={"alg": value, "typ": "JWT"})
        a(f"alg-{label}", f"alg {json.dumps(value)} is refused: {why}. The "
          "token carries a valid HS256 MAC under the key.", t1,
          error="InvalidAlgorithmError")
    t1 = token(base, alg="HS384")
    a("alg-hs384-token-hs256-allowlist", "A valid HS384 token is refused "
      "when only HS256 is allowed.", t1, error="InvalidAlgorithmError")
    a("alg-hs256-token-hs384-hs512-allowlist", "A valid HS256 token is "
      "refused when only HS384 and HS512 are allowed.", t,
      options={"algorithms": ["HS384", "HS512"]},
      error="InvalidAlgorithmError")
    t1 = token(base, alg="HS512")
    a("alg-hs512-token-hs256-hs384-allowlist", "A valid HS512 token is "
      "refused when HS512 is not allowed.", t1,
      options={"algorithms": ["HS256", "HS384"]},
      error="InvalidAlgorithmError")
    t1 = token(base, alg="HS384", mac_alg="HS256")
    a("alg-header-hs384-mac-hs256", "Header says HS384 but the signature is "
      "an HS256 MAC (32 bytes, 48 expected).", t1,
      options={"algorithms": ["HS384"]}, error="InvalidSignatureError")
    t1 = token(base, alg="HS256", mac_alg="HS512")
    a("alg-header-hs256-mac-hs512", "Header says HS256 but the signature is "
      "an HS512 MAC (64 bytes, 32 expected).", t1,
      error="InvalidSignatureError")
    t1 = token(base, alg="HS512", mac_alg="HS384")
    a("alg-header-hs512-mac-hs384", "Header says HS512 but the signature is "
      "an HS384 MAC (48 bytes, 64 expected).", t1,
      options={"algorithms": ["HS512"]}, error="InvalidSignatureError")

    # -- header -------------------------------------------------------------
    t1 = token(base, header='{"alg":"none","alg":"HS256"}')
    a("header-duplicate-alg-none-first", "Duplicate header names are "
      "rejected: a parser keeping the first alg would see none, one keeping "
      "the last sees HS256.", t1, error="DecodeError")
    t1 = token(base, header='{"alg":"HS256","alg":"none"}')
    a("header-duplicate-alg-none-last", "Duplicate alg, the last one none.",
      t1, error="DecodeError")
    t1 = token(base, header='{"alg":"HS256","alg":"HS256"}')
    a("header-duplicate-alg-same", "Duplicate alg even with equal values.",
      t1, error="DecodeError")
    t1 = token(base, header='{"alg":"HS256","typ":"JWT","typ":"JWT"}')
    a("header-duplicate-typ", "Any duplicate header name is rejected, not "
      "only alg.", t1, error="DecodeError")
    t1 = token(base, header='{"alg":"HS256","\\u0061lg":"HS256"}')
    a("header-duplicate-escaped-name", "\"\\u0061lg\" is \"alg\": names are "
      "compared after unescaping.", t1, error="DecodeError")
    for vid, hdr, why in (
            ("header-crit-b64", {"alg": "HS256", "crit": ["b64"], "b64": True},
             "crit is not supported (payhook understands no extension)"),
            ("header-crit-exp", {"alg": "HS256", "crit": ["exp"], "exp": 1},
             "crit naming an unknown extension"),
            ("header-crit-empty", {"alg": "HS256", "crit": []},
             "an empty crit list"),
            ("header-b64-false", {"alg": "HS256", "b64": False},
             "b64 (RFC 7797) would change what is signed"),
            ("header-b64-true", {"alg": "HS256", "b64": True},
             "b64 is refused whatever its value"),
            ("header-enc", {"alg": "HS256", "enc": "A256GCM"},
             "enc marks a JWE, never an HS256 callback"),
            ("header-kid-number", {"alg": "HS256", "kid": 7},
             "kid present and not a string"),
            ("header-kid-null", {"alg": "HS256", "kid": None},
             "kid present as null is not a string"),
            ("header-kid-object", {"alg": "HS256", "kid": {"id": "a"}},
             "kid as an object")):
        t1 = token(base, header=hdr)
        a(vid, f"Header member rule: {why}. Checked before the MAC.", t1,
          error="DecodeError")
    for vid, raw, why in (
            ("header-array", '["HS256"]', "a JSON array"),
            ("header-string", '"HS256"', "a JSON string"),
            ("header-number", "256", "a JSON number"),
            ("header-null", "null", "JSON null"),
            ("header-invalid-json", '{"alg":"HS256"', "truncated JSON"),
            ("header-trailing-comma", '{"alg":"HS256",}', "a trailing comma"),
            ("header-single-quotes", "{'alg':'HS256'}", "single quotes"),
            ("header-bom", b'\xef\xbb\xbf{"alg":"HS256"}',
             "a UTF-8 byte order mark before the object"),
            ("header-nan-member", '{"alg":"HS256","x":NaN}',
             "NaN, which is not JSON"),
            ("header-not-utf8", b'{"alg":"HS256","x":"\xff"}',
             "a byte that is not UTF-8"),
            ("header-nested-10000", '{"alg":"HS256","x":' + "[" * 10000 +
             "]" * 10000 + "}", "nesting 10,000 deep")):
        t1 = token(base, header=raw)
        a(vid, f"The header must decode to a strict JSON object; this one is "
          f"{why}.", t1, error="DecodeError")

    # -- base64url ------------------------------------------------------------
    h2 = header_with_b64_len_mod(2)
    t1 = token(base, header=h2)
    t2 = token(base, header=h2, h64=t1.h64 + "==")
    a("b64-header-padding", "A header segment with '=' padding (the MAC is "
      "computed over the padded text): padding is not base64url.", t2,
      error="DecodeError")
    p3 = payload_with_b64(lambda s: len(s) % 4 == 3, base)
    t1 = token(p3)
    t2 = token(p3, p64=t1.p64 + "=")
    a("b64-payload-padding", "A payload segment with '=' padding, correctly "
      "signed as written.", t2, error="DecodeError")
    t2 = token(p3, p64=t1.p64[:8] + "=" + t1.p64[8:])
    a("b64-payload-equals-inside", "An '=' inside the payload segment.", t2,
      error="DecodeError")
    a("b64-signature-padding", "The 43-character HS256 signature with one "
      "'=' appended.", Token(t.h64 + "." + t.p64 + "." + t.s64 + "="),
      error="DecodeError")
    for ch, std in (("-", "+"), ("_", "/")):
        # '-' and '_' (62, 63) need a byte such as '~' or '?' in ASCII JSON
        p = payload_with_b64(lambda s, ch=ch: ch in s,
                             dict(base, note="~?>~?>"))
        t1 = token(p)
        t2 = token(p, p64=t1.p64.replace(ch, std))
        a(f"b64-payload-standard-alphabet-{'plus' if std == '+' else 'slash'}",
          f"The payload in the standard base64 alphabet ('{std}' for "
          f"'{ch}'), correctly signed as written.", t2, error="DecodeError")
        k = key_for_signature(lambda s, ch=ch: ch in s, base)
        t1 = token(base, key=k)
        t2 = Token(t1.h64 + "." + t1.p64 + "." + t1.s64.replace(ch, std))
        a(f"b64-signature-standard-alphabet-{'plus' if std == '+' else 'slash'}",
          f"The right MAC, encoded with '{std}' instead of '{ch}'.", t2,
          key=k, error="DecodeError")
    h3 = header_with_b64_len_mod(3)
    t1 = token(base, header=h3)
    t2 = token(base, header=h3, h64=t1.h64[:6] + "+" + t1.h64[7:])
    a("b64-header-plus", "A '+' in the header segment.", t2,
      error="DecodeError")
    for label, ws in (("space", " "), ("tab", "\t"), ("newline", "\n"),
                      ("crlf", "\r\n")):
        t2 = token(base, p64=t.p64[:10] + ws + t.p64[10:])
        a(f"b64-payload-inner-{label}", f"Whitespace ({label}) inside the "
          "payload segment, correctly signed as written.", t2,
          error="DecodeError")
    t2 = token(base, h64=t.h64[:5] + " " + t.h64[5:])
    a("b64-header-inner-space", "A space inside the header segment.", t2,
      error="DecodeError")
    a("b64-signature-inner-newline", "A line break inside the signature.",
      Token(t.h64 + "." + t.p64 + "." + t.s64[:20] + "\n" + t.s64[20:]),
      error="DecodeError")
    a("b64-around-dot-space", "A space after the first dot (signed as "
      "written).", token(base, p64=" " + t.p64), error="DecodeError")
    t1 = token(base, header=h2)
    t2 = token(base, header=h2, h64=tamper_last_bits(t1.h64))
    a("b64-header-nonzero-trailing-bits", "The header's last character has "
      "its unused low bits set: same bytes, non-canonical text.", t2,
      error="DecodeError")
    p2 = payload_with_b64(lambda s: len(s) % 4 == 2, base)
    t1 = token(p2)
    t2 = token(p2, p64=tamper_last_bits(t1.p64))
    a("b64-payload-nonzero-trailing-bits", "The payload's last character "
      "has its 4 unused bits set; signed as written.", t2,
      error="DecodeError")
    a("b64-signature-nonzero-trailing-bits", "The HS256 signature (43 "
      "characters, 2 unused bits) with the unused bits set: the decoded "
      "bytes are the right MAC.",
      Token(t.h64 + "." + t.p64 + "." + tamper_last_bits(t.s64)),
      error="DecodeError")
    t1 = token(base, alg="HS512")
    a("b64-signature-hs512-nonzero-trailing-bits", "The HS512 signature (86 "
      "characters, 4 unused bits) with the unused bits set.",
      Token(t1.h64 + "." + t1.p64 + "." + tamper_last_bits(t1.s64)),
      options={"algorithms": ["HS512"]}, error="DecodeError")
    h0 = header_with_b64_len_mod(0)
    t1 = token(base, header=h0)
    t2 = token(base, header=h0, h64=t1.h64 + "A")
    a("b64-header-length-mod4-1", "A header segment whose length is 1 "
      "mod 4 cannot be base64url.", t2, error="DecodeError")
    p0 = payload_with_b64(lambda s: len(s) % 4 == 0, base)
    t1 = token(p0)
    t2 = token(p0, p64=t1.p64 + "A")
    a("b64-payload-length-mod4-1", "A payload segment of length 1 mod 4, "
      "signed as written.", t2, error="DecodeError")
    a("b64-signature-length-mod4-1", "The HS256 signature plus two "
      "characters: 45 characters, 1 mod 4.",
      Token(t.h64 + "." + t.p64 + "." + t.s64 + "AA"), error="DecodeError")
    t2 = token(base, p64=t.p64[:-1] + "\u00e9")
    a("b64-payload-non-ascii", "A non-ASCII character in the payload "
      "segment.", t2, error="DecodeError")
    t2 = token(base, h64="!!!!")
    a("b64-header-junk", "A header segment of non-alphabet characters.", t2,
      error="DecodeError")
    std = base64.b64encode(compact(base)).decode()
    t2 = token(base, p64=std)
    if std != t.p64:
        a("b64-payload-standard-base64-padded", "The payload in standard, "
          "padded base64, signed as written.", t2, error="DecodeError")

    # -- segments -----------------------------------------------------------
    for vid, text, why in (
            ("segments-one", t.h64, "only a header segment"),
            ("segments-two", t.h64 + "." + t.p64, "no signature segment"),
            ("segments-four", t + "." + t.s64, "four segments"),
            ("segments-five", t + "." + t.p64 + "." + t.s64, "five segments"),
            ("segments-trailing-dot", t + ".", "a fourth, empty segment"),
            ("segments-leading-dot", "." + t, "an empty segment in front"),
            ("segments-empty-header", "." + t.p64 + "." + t.s64,
             "an empty header segment"),
            ("segments-all-empty", "..", "three empty segments"),
            ("segments-dot", ".", "a single dot"),
            ("token-empty", "", "the empty string"),
            ("token-whitespace-only", " \r\n\t ", "only whitespace"),
            ("token-jws-json-serialization",
             json.dumps({"payload": t.p64, "protected": t.h64,
                         "signature": t.s64}),
             "the JWS JSON serialization, which is not accepted")):
        a(vid, f"A token must be exactly three segments with a header that "
          f"decodes to a JSON object; this is {why}.", text,
          error="DecodeError")
    t1 = token(base, p64="")
    a("segments-empty-payload", "An empty payload segment, with a correct "
      "MAC over \"<header>.\".", t1, error="DecodeError")
    a("segments-empty-signature", "An empty signature segment with a valid "
      "HS256 header and payload: zero bytes are not a 32-byte MAC.",
      Token(t.h64 + "." + t.p64 + "."), error="InvalidSignatureError")

    # -- surrounding whitespace ---------------------------------------------
    # The token is taken exactly as given, as PyJWT takes it: one token is
    # one accepted string (LeanX bodies trim their own whitespace).
    a("whitespace-around-space", "Spaces around a token are not trimmed: "
      "the leading one breaks the header segment.", " " + t + " ",
      error="DecodeError")
    a("whitespace-around-crlf-tab", "CR, LF and tab around the token are "
      "not trimmed either.", "\r\n\t" + t + "\r\n", error="DecodeError")
    a("whitespace-trailing-newline", "A token with only a trailing newline "
      "(read from a file or a header line): refused, since the newline "
      "would be part of the signature segment.", t + "\n",
      error="DecodeError")
    a("whitespace-trailing-space", "A token with only a trailing space.",
      t + " ", error="DecodeError")
    for label, ch in (("vertical-tab", "\x0b"), ("form-feed", "\x0c"),
                      ("nbsp", "\u00a0"), ("ideographic-space", "\u3000")):
        a(f"whitespace-around-{label}", f"{label} is not JSON whitespace, "
          "so it is part of the token and breaks the header segment.",
          ch + t, error="DecodeError")
    a("whitespace-around-nul", "A trailing NUL byte is not whitespace.",
      t + "\x00", error="DecodeError")
    a("bom-before-token", "A UTF-8 byte order mark before the token is not "
      "whitespace: refused.", "\ufeff" + t, error="DecodeError",
      stage="bom")
    a("bom-after-whitespace", "Whitespace, then a byte order mark, then the "
      "token.", "\r\n\ufeff" + t, error="DecodeError", stage="base64url")

    # -- signatures ---------------------------------------------------------
    mac = hmac_tag("HS256", JWT_KEY, t.h64 + "." + t.p64)
    for vid, sig, why in (
            ("signature-one-byte-short", mac[:31], "31 bytes: one short"),
            ("signature-one-byte-long", mac + b"\x00",
             "33 bytes: the right MAC plus a zero byte"),
            ("signature-truncated-16", mac[:16],
             "the right MAC truncated to 16 bytes (a truncated-HMAC tag)"),
            ("signature-first-bit-flipped",
             bytes([mac[0] ^ 0x80]) + mac[1:], "one bit flipped"),
            ("signature-last-bit-flipped",
             mac[:-1] + bytes([mac[-1] ^ 0x01]), "the last bit flipped"),
            ("signature-all-zero", bytes(32), "32 zero bytes"),
            ("signature-hex-text", mac.hex().encode(),
             "the MAC as 64 hex characters instead of raw bytes")):
        a(vid, f"The signature is {why}.",
          Token(t.h64 + "." + t.p64 + "." + b64u(sig)),
          error="InvalidSignatureError")
    t1 = token(b"not json at all", sig=bytes(32))
    a("signature-bad-payload-not-json", "A bad MAC and a payload that is not "
      "JSON: the MAC is checked before the payload is parsed.", t1,
      error="InvalidSignatureError")
    t1 = token([1, 2, 3], sig=bytes(32))
    a("signature-bad-payload-array", "A bad MAC and a payload that is an "
      "array: the signature error wins.", t1, error="InvalidSignatureError")
    t1 = token({"exp": NOW - 3600}, sig=bytes(32))
    a("signature-bad-and-expired", "A bad MAC on an expired token: claims "
      "are never looked at before the MAC passes.", t1,
      options={"now": NOW}, error="InvalidSignatureError")
    t1 = token(dict(base, amount="9999.00"))
    a("signature-payload-spliced", "Header and signature of one token with "
      "the payload of another.", Token(t.h64 + "." + t1.p64 + "." + t.s64),
      error="InvalidSignatureError")
    t1 = token(base, header={"alg": "HS256"})
    a("signature-header-spliced", "The signature of a token whose header "
      "had typ, on the same payload without it.",
      Token(t1.h64 + "." + t.p64 + "." + t.s64),
      error="InvalidSignatureError")
    raw_mac = hmac.new(JWT_KEY.encode(), t.header + b"." + t.payload,
                       hashlib.sha256).digest()
    a("signature-over-decoded-json", "A MAC over the decoded JSON texts "
      "instead of over the base64url segments.",
      Token(t.h64 + "." + t.p64 + "." + b64u(raw_mac)),
      error="InvalidSignatureError")
    a("signature-from-other-key", "A valid token signed with another key.",
      token(base, key=JWT_KEY_2), error="InvalidSignatureError")

    # -- size limit ---------------------------------------------------------
    n = len(t)
    a("max-bytes-exact", f"The token is exactly max_bytes ({n}) long: "
      "allowed.", t, options={"max_bytes": n}, ok=t.claims)
    a("max-bytes-one-over", f"The token is max_bytes + 1 long: refused "
      "before anything is parsed.", t, options={"max_bytes": n - 1},
      error="PayloadTooLargeError")
    a("max-bytes-counts-whitespace", "The limit is on the raw input, "
      "surrounding whitespace included.", t + "\n",
      options={"max_bytes": n}, error="PayloadTooLargeError")
    a("max-bytes-before-parsing", "Garbage over the limit is "
      "PayloadTooLargeError, not DecodeError: the length is checked first.",
      "x" * 100, options={"max_bytes": 99}, error="PayloadTooLargeError")
    a("max-bytes-before-signature", "A token with a bad MAC over the limit.",
      Token(t.h64 + "." + t.p64 + "." + b64u(bytes(32))),
      options={"max_bytes": 64}, error="PayloadTooLargeError")

    # -- payload JSON -------------------------------------------------------
    def good(vid, comment, payload_text, **kw):
        t1 = token(payload_text)
        value = kw.pop("value", NOTHING)
        a(vid, comment, t1, ok=t1.claims if value is NOTHING else value,
          **kw)

    def bad(vid, comment, payload_text, **kw):
        a(vid, comment, token(payload_text), error="DecodeError", **kw)

    for vid, text, why in (
            ("payload-array", "[1,2]", "an array"),
            ("payload-string", '"sub"', "a string"),
            ("payload-number", "42", "a number"),
            ("payload-null", "null", "null"),
            ("payload-true", "true", "true"),
            ("payload-whitespace-only", "  ", "only whitespace")):
        bad(vid, f"A correctly signed payload that is {why}, not an object.",
            text)
    for vid, text, why in (
            ("payload-truncated", '{"a":1', "truncated"),
            ("payload-trailing-comma-object", '{"a":1,}',
             "an object with a trailing comma"),
            ("payload-trailing-comma-array", '{"a":[1,2,]}',
             "an array with a trailing comma"),
            ("payload-leading-zero", '{"a":01}', "a number with a leading "
             "zero"),
            ("payload-negative-leading-zero", '{"a":-01}', "-01"),
            ("payload-plus-sign", '{"a":+1}', "a number with a plus sign"),
            ("payload-bare-decimal-point", '{"a":1.}', "1. (no fraction "
             "digits)"),
            ("payload-leading-decimal-point", '{"a":.5}', ".5"),
            ("payload-empty-exponent", '{"a":1e}', "1e"),
            ("payload-hex-number", '{"a":0x1F}', "a hex number"),
            ("payload-single-quotes", "{'a':1}", "single-quoted"),
            ("payload-unquoted-key", "{a:1}", "an unquoted name"),
            ("payload-comment", '{"a":1 /* c */}', "a comment"),
            ("payload-trailing-garbage", '{"a":1} x', "followed by text"),
            ("payload-two-objects", '{"a":1}{"b":2}', "two objects"),
            ("payload-trailing-nul", b'{"a":1}\x00', "followed by a NUL "
             "byte"),
            ("payload-nan", '{"a":NaN}', "NaN"),
            ("payload-infinity", '{"a":Infinity}', "Infinity"),
            ("payload-negative-infinity", '{"a":-Infinity}', "-Infinity"),
            ("payload-true-capitalised", '{"a":True}', "True"),
            ("payload-raw-control-char", b'{"a":"x\x01y"}',
             "a raw U+0001 inside a string"),
            ("payload-raw-newline-in-string", b'{"a":"x\ny"}',
             "a raw line feed inside a string"),
            ("payload-raw-tab-in-string", b'{"a":"x\ty"}',
             "a raw tab inside a string"),
            ("payload-raw-nul-in-string", b'{"a":"x\x00y"}',
             "a raw NUL byte inside a string"),
            ("payload-invalid-escape", '{"a":"\\x41"}', "the escape \\x"),
            ("payload-short-unicode-escape", '{"a":"\\u12"}', "\\u with two "
             "hex digits"),
            ("payload-upper-u-escape", '{"a":"\\U0041"}', "\\U"),
            ("payload-unterminated-string", '{"a":"abc}', "an unterminated "
             "string"),
            ("payload-bom", b'\xef\xbb\xbf{"a":1}', "UTF-8 with a byte order "
             "mark"),
            ("payload-utf16le", '{"a":1}'.encode("utf-16-le"), "UTF-16LE"),
            ("payload-utf16-bom", '{"a":1}'.encode("utf-16"),
             "UTF-16 with a byte order mark"),
            ("payload-invalid-utf8-byte", b'{"a":"\xff"}', "0xFF, never "
             "valid in UTF-8"),
            ("payload-overlong-utf8", b'{"a":"\xc0\xaf"}', "an overlong "
             "encoding of '/'"),
            ("payload-utf8-encoded-surrogate", b'{"a":"\xed\xa0\x80"}',
             "a surrogate (U+D800) encoded as UTF-8 bytes"),
            ("payload-truncated-utf8", b'{"a":"\xe2\x82"}', "a truncated "
             "3-byte sequence"),
            ("payload-utf8-beyond-max", b'{"a":"\xf4\x90\x80\x80"}',
             "a 4-byte sequence above U+10FFFF"),
            ("payload-latin1", '{"name":"Jos\u00e9"}'.encode("latin-1"),
             "Latin-1, not UTF-8"),
            ("payload-lone-high-surrogate", '{"a":"\\ud800"}',
             "an escaped lone high surrogate"),
            ("payload-lone-low-surrogate", '{"a":"\\udc00"}',
             "an escaped lone low surrogate"),
            ("payload-reversed-surrogates", '{"a":"\\ude00\\ud83d"}',
             "a surrogate pair in the wrong order"),
            ("payload-high-surrogate-then-ascii", '{"a":"\\ud83dx"}',
             "a high surrogate followed by an ASCII letter"),
            ("payload-high-surrogate-then-escape", '{"a":"\\ud83d\\u0041"}',
             "a high surrogate followed by an escaped non-surrogate"),
            ("payload-lone-surrogate-in-name", '{"\\udfff":1}',
             "a lone surrogate in a member name")):
        bad(vid, f"The payload must be strict JSON (RFC 8259); this one is "
            f"{why}.", text)
    good("payload-surrogate-pair-escaped", "An emoji written as an escaped "
         "surrogate pair becomes one character (U+1F600).",
         '{"a":"\\ud83d\\ude00"}')
    good("payload-surrogate-pair-escaped-uppercase", "Upper-case hex digits "
         "in \\u escapes.", '{"a":"\\uD83D\\uDE00 \\u00E9"}')
    good("payload-utf8-raw", "Raw UTF-8 of 2, 3 and 4 bytes (\u00e9, \u20ac, "
         "\u4e2d, \U0001f600).", '{"a":"\u00e9\u20ac\u4e2d\U0001f600"}'
         .encode("utf-8"))
    good("payload-utf8-noncharacter", "U+FFFF and U+FFFE are noncharacters "
         "but valid code points: accepted.",
         '{"a":"\uffff\ufffe"}'.encode("utf-8"))
    good("payload-line-separators", "U+2028 and U+2029 are allowed raw in "
         "JSON strings.", '{"a":"\u2028\u2029"}'.encode("utf-8"))
    good("payload-raw-del", "A raw DEL (0x7F) is not a control character "
         "for JSON.", b'{"a":"x\x7fy"}')
    good("payload-all-escapes", "Every short escape.",
         '{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t"}')
    good("payload-nul-escaped", "\\u0000 inside a string is kept (the string "
         "is 3 characters long).", '{"a":"x\\u0000y","\\u0000":0}')
    good("payload-duplicate-keys", "Duplicate payload names: the last one "
         "wins, as with json.loads.", '{"a":1,"b":2,"a":3}')
    good("payload-duplicate-keys-types", "A repeated name whose last value "
         "is of another type.", '{"a":{"x":1},"a":[null]}')
    good("payload-empty-name", "An empty member name.", '{"":1}')
    good("payload-whitespace-around", "JSON whitespace before and after the "
         "payload object.", ' \t\r\n{ "a" : [ 1 , 2 ] } \r\n')
    good("payload-nested-mixed", "Nested objects and arrays with null, "
         "booleans, empty containers.",
         '{"a":{"b":[null,true,false,{},[],""],"c":{"d":{"e":[{"f":0}]}}}}')
    for vid, literal, value, why in (
            ("int-2-64", "18446744073709551616", 2 ** 64, "2**64"),
            ("int-10-30", "1000000000000000000000000000000", 10 ** 30,
             "10**30"),
            ("int-int64-max", "9223372036854775807", 2 ** 63 - 1,
             "2**63-1 (int64 max)"),
            ("int-int64-max-plus-1", "9223372036854775808", 2 ** 63,
             "2**63 (one past int64)"),
            ("int-int64-min", "-9223372036854775808", -2 ** 63,
             "-2**63 (int64 min)"),
            ("int-int64-min-minus-1", "-9223372036854775809", -2 ** 63 - 1,
             "-2**63-1 (one past int64 min)"),
            ("int-2-53-plus-1", "9007199254740993", 2 ** 53 + 1,
             "2**53+1 (not a double)"),
            ("int-negative-zero", "-0", 0, "-0, which json.loads reads as the "
             "int 0"),
            ("float-one-point-zero", "1.0", 1.0, "1.0, which stays a float"),
            ("float-negative-zero", "-0.0", -0.0, "-0.0"),
            ("float-0-1", "0.1", 0.1, "0.1"),
            ("float-3-1025", "3.1025", 3.1025, "3.1025"),
            ("float-0-1-long", "0.1000000000000000055511151231257827",
             0.1, "0.1 written with 34 digits (same double)"),
            ("float-exponent", "1e2", 100.0, "1e2, a float"),
            ("float-exponent-upper-plus", "1E+2", 100.0, "1E+2"),
            ("float-exponent-negative", "1.5e-3", 0.0015, "1.5e-3"),
            ("float-1e300", "1e300", 1e300, "1e300"),
            ("float-max", "1.7976931348623157e308", 1.7976931348623157e308,
             "the largest double"),
            ("float-min-subnormal", "5e-324", 5e-324, "the smallest "
             "subnormal"),
            ("float-2-2250738585072011e-308", "2.2250738585072011e-308",
             2.2250738585072011e-308, "2.2250738585072011e-308 (a "
             "historically troublesome literal)"),
            ("float-underflow", "1e-400", 0.0, "1e-400, which underflows to "
             "0.0")):
        good(f"payload-{vid}", f"A number: {why}; the exact value json.loads "
             "gives.", '{"n":' + literal + "}", value={"n": value})
    big = "9" * MAX_NUMBER_CHARS
    good("payload-int-4300-digits", "An integer literal of exactly 4300 "
         "characters is allowed and exact.", '{"n":' + big + "}",
         value={"n": int(big)})
    bad("payload-int-4301-digits", "An integer literal of 4301 characters "
        "is longer than the limit.", '{"n":1' + "0" * MAX_NUMBER_CHARS + "}")
    good("payload-negative-int-4301-chars", "'-' and 4300 digits: the "
         "sign is not counted (as in CPython's int limit), so this is "
         "allowed and exact.", '{"n":-' + big + "}",
         value={"n": -int(big)})
    bad("payload-negative-int-4301-digits", "'-' and 4301 digits: over the "
        "limit, as for json.loads.", '{"n":-1' + "0" * MAX_NUMBER_CHARS + "}")
    good("payload-float-4300-chars", "A float literal of exactly 4300 "
         "characters (1.000...0) is allowed.",
         '{"n":1.' + "0" * (MAX_NUMBER_CHARS - 2) + "}", value={"n": 1.0})
    bad("payload-float-4301-chars", "A float literal of 4301 characters.",
        '{"n":1.' + "0" * (MAX_NUMBER_CHARS - 1) + "}")
    good("payload-negative-float-4301-chars", "'-' and a float literal of "
         "4300 characters: the leading sign is not counted.",
         '{"n":-1.' + "0" * (MAX_NUMBER_CHARS - 2) + "}", value={"n": -1.0})
    bad("payload-negative-float-4302-chars", "'-' and a float literal of "
        "4301 characters: the fraction counts.",
        '{"n":-1.' + "0" * (MAX_NUMBER_CHARS - 1) + "}")
    bad("payload-float-exponent-sign-counted", "A float of 4301 characters "
        "whose exponent has a '-': only a leading sign is free.",
        '{"n":1.' + "0" * (MAX_NUMBER_CHARS - 4) + "e-1}")
    good("payload-depth-128-arrays", "Nesting of exactly 128 (the payload "
         "object and 127 arrays) is allowed.", depth_arrays(128))
    bad("payload-depth-129-arrays", "Nesting of 129 (the object and 128 "
        "arrays) is over the limit.", depth_arrays(129))
    good("payload-depth-128-objects", "128 nested objects are allowed.",
         depth_objects(128))
    bad("payload-depth-129-objects", "129 nested objects are over the "
        "limit.", depth_objects(129))
    bad("payload-depth-10000", "Arrays nested 10,000 deep: rejected without "
        "exhausting any stack.", depth_arrays(10000))
    good("payload-long-string", "A 20,000-character string.",
         compact({"a": "x" * 20000}))
    good("payload-many-members", "An object with 1,000 members.",
         compact({f"k{i}": i for i in range(1000)}))

    # -- exp ------------------------------------------------------------------
    def claims(vid, comment, payload, *, options=None, **kw):
        t1 = token(payload)
        o = {"now": NOW}
        o.update(options or {})
        if "error" not in kw:
            kw["ok"] = t1.claims
        a(vid, comment, t1, options=o, **kw)

    claims("exp-future", "exp an hour ahead.", {"exp": NOW + 3600})
    claims("exp-equal-now", "exp == now is expired (now must be before exp).",
           {"exp": NOW}, error="ExpiredSignatureError")
    claims("exp-now-plus-1", "exp == now + 1 is valid.", {"exp": NOW + 1})
    claims("exp-now-minus-1", "exp == now - 1 is expired.", {"exp": NOW - 1},
           error="ExpiredSignatureError")
    claims("exp-leeway-boundary-expired", "With leeway 10, exp == now - 10 "
           "is expired.", {"exp": NOW - 10}, options={"leeway": 10},
           error="ExpiredSignatureError")
    claims("exp-leeway-boundary-valid", "With leeway 10, exp == now - 9 is "
           "valid.", {"exp": NOW - 9}, options={"leeway": 10})
    claims("exp-fractional-leeway-valid", "With leeway 1.5, exp == now - 1 "
           "is valid (now - 1 > now - 1.5).", {"exp": NOW - 1},
           options={"leeway": 1.5})
    claims("exp-fractional-leeway-expired", "With leeway 1.5, exp == now - 2 "
           "is expired.", {"exp": NOW - 2}, options={"leeway": 1.5},
           error="ExpiredSignatureError")
    claims("exp-float-truncated-expired", "exp 1700000000.9 truncates to "
           "1700000000, which is <= now 1700000000.5.",
           '{"exp":1700000000.9}', options={"now": NOW + 0.5},
           error="ExpiredSignatureError")
    claims("exp-float-fraction-expired", "exp now + 0.5 truncates to now: "
           "expired.", '{"exp":1700000000.5}', error="ExpiredSignatureError")
    claims("exp-float-whole-valid", "exp now + 1 written as a float.",
           '{"exp":1700000001.0}')
    claims("exp-float-rounds-before-truncation", "1700000000.99999999999 is "
           "the double 1700000001.0 (as json.loads reads it), so it is not "
           "expired at now.", '{"exp":1700000000.99999999999}')
    claims("exp-exponent-notation", "exp 1e10 (a float literal) is in the "
           "future.", '{"exp":1e10}')
    claims("exp-negative", "A negative exp is long expired.", {"exp": -1},
           error="ExpiredSignatureError")
    claims("exp-zero", "exp 0 is expired.", {"exp": 0},
           error="ExpiredSignatureError")
    claims("exp-negative-fraction", "exp -0.5 truncates to 0: expired.",
           '{"exp":-0.5}', error="ExpiredSignatureError")
    claims("exp-2-64", "exp 2**64 is a valid (far) future time.",
           {"exp": 2 ** 64})
    claims("exp-1e30-float", "exp 1e30 is a finite float in the future.",
           '{"exp":1e30}')
    claims("exp-int-beyond-double", "exp is the integer 10**400: a JSON "
           "number whose int() is exact and in the future. Only the float "
           "literal 1e400 (infinity) is refused.",
           '{"exp":1' + "0" * 400 + "}")
    claims("exp-negative-int-beyond-double", "exp is the integer -10**400: "
           "exact, and long past.", '{"exp":-1' + "0" * 400 + "}",
           error="ExpiredSignatureError")
    claims("exp-1e400", "exp 1e400 reads as infinity, which int() cannot "
           "take.", '{"exp":1e400}', error="DecodeError")
    claims("exp-minus-1e400", "exp -1e400 (minus infinity).",
           '{"exp":-1e400}', error="DecodeError")
    for vid, value, why in (
            ("exp-numeric-string", '"1700003600"', "a numeric string"),
            ("exp-string", '"tomorrow"', "a non-numeric string"),
            ("exp-true", "true", "true (a boolean is not a number)"),
            ("exp-false", "false", "false"),
            ("exp-null", "null", "null"),
            ("exp-object", '{"t":1}', "an object"),
            ("exp-array", "[1700003600]", "an array")):
        claims(vid, f"exp must be a JSON number; here it is {why}.",
               '{"exp":' + value + "}", error="DecodeError")
    claims("exp-verify-disabled-expired", "verify_exp false skips an expired "
           "exp.", {"exp": NOW - 3600}, options={"verify_exp": False})
    claims("exp-verify-disabled-wrong-type", "verify_exp false skips the type "
           "check too.", {"exp": "soon"}, options={"verify_exp": False})
    claims("exp-duplicate-last-wins-valid", "Two exp members: the last (in "
           "the future) counts.",
           '{"exp":%d,"exp":%d}' % (NOW - 10, NOW + 10))
    claims("exp-duplicate-last-wins-expired", "Two exp members: the last "
           "(expired) counts.", '{"exp":%d,"exp":%d}' % (NOW + 10, NOW - 10),
           error="ExpiredSignatureError")

    # -- nbf ----------------------------------------------------------------
    claims("nbf-past", "nbf an hour ago.", {"nbf": NOW - 3600})
    claims("nbf-equal-now", "nbf == now is valid.", {"nbf": NOW})
    claims("nbf-now-plus-1", "nbf == now + 1 is not yet valid.",
           {"nbf": NOW + 1}, error="ImmatureSignatureError")
    claims("nbf-leeway-boundary-valid", "With leeway 5, nbf == now + 5 is "
           "valid.", {"nbf": NOW + 5}, options={"leeway": 5})
    claims("nbf-leeway-boundary-immature", "With leeway 5, nbf == now + 6 is "
           "not yet valid.", {"nbf": NOW + 6}, options={"leeway": 5},
           error="ImmatureSignatureError")
    claims("nbf-float-truncated-valid", "nbf now + 0.9 truncates to now: "
           "valid.", '{"nbf":1700000000.9}')
    claims("nbf-float-truncated-immature", "nbf now + 1.5 truncates to now "
           "+ 1: not yet valid.", '{"nbf":1700000001.5}',
           error="ImmatureSignatureError")
    claims("nbf-int-beyond-double", "nbf 10**400 (an exact integer) is far in "
           "the future.", '{"nbf":1' + "0" * 400 + "}",
           error="ImmatureSignatureError")
    for vid, value, why in (
            ("nbf-numeric-string", '"1699990000"', "a numeric string"),
            ("nbf-true", "true", "true"),
            ("nbf-null", "null", "null"),
            ("nbf-1e400", "1e400", "1e400 (infinity)"),
            ("nbf-list", "[1]", "an array")):
        claims(vid, f"nbf must be a JSON number; here it is {why}.",
               '{"nbf":' + value + "}", error="DecodeError")
    claims("nbf-verify-disabled", "verify_nbf false skips a future nbf.",
           {"nbf": NOW + 3600}, options={"verify_nbf": False})

    # -- iat ------------------------------------------------------------------
    claims("iat-past", "iat an hour ago.", {"iat": NOW - 3600})
    claims("iat-equal-now", "iat == now is valid.", {"iat": NOW})
    claims("iat-now-plus-1", "iat in the future (now + 1): the token is not "
           "yet valid.", {"iat": NOW + 1}, error="ImmatureSignatureError")
    claims("iat-leeway-valid", "With leeway 30, iat == now + 30 is valid.",
           {"iat": NOW + 30}, options={"leeway": 30})
    claims("iat-leeway-immature", "With leeway 30, iat == now + 31 is not.",
           {"iat": NOW + 31}, options={"leeway": 30},
           error="ImmatureSignatureError")
    claims("iat-float-truncated-valid", "iat now + 0.5 truncates to now.",
           '{"iat":1700000000.5}')
    claims("iat-negative", "A negative iat is in the past.", {"iat": -5})
    for vid, value, why in (
            ("iat-numeric-string", '"1700000000"', "a numeric string"),
            ("iat-string", '"yesterday"', "a non-numeric string"),
            ("iat-true", "true", "true"),
            ("iat-null", "null", "null"),
            ("iat-1e400", "1e400", "1e400 (infinity)"),
            ("iat-object", "{}", "an object")):
        claims(vid, f"iat must be a JSON number; here it is {why}.",
               '{"iat":' + value + "}", error="InvalidIssuedAtError")
    claims("iat-verify-disabled", "verify_iat false skips a future iat.",
           {"iat": NOW + 3600}, options={"verify_iat": False})
    claims("iat-verify-disabled-wrong-type", "verify_iat false skips the "
           "type check too.", {"iat": "x"}, options={"verify_iat": False})

    # -- order of claim checks ----------------------------------------------
    claims("order-require-before-iat", "require fails before iat is looked "
           "at.", {"iat": "bad"}, options={"require": ["exp"]},
           error="MissingRequiredClaimError")
    claims("order-iat-type-before-nbf", "A bad iat type is reported before a "
           "future nbf.", {"iat": "bad", "nbf": NOW + 100},
           error="InvalidIssuedAtError")
    claims("order-iat-before-nbf-type", "A future iat is reported before a "
           "bad nbf type.", {"iat": NOW + 100, "nbf": None},
           error="ImmatureSignatureError")
    claims("order-nbf-before-exp", "Not yet valid and expired: nbf is "
           "checked first.", {"nbf": NOW + 100, "exp": NOW - 100},
           error="ImmatureSignatureError")
    claims("order-nbf-type-before-exp", "A null nbf is reported before an "
           "expired exp.", {"nbf": None, "exp": NOW - 100},
           error="DecodeError")
    claims("order-exp-before-iss", "Expired and the wrong issuer: exp first.",
           {"exp": NOW - 100, "iss": "mallory"},
           options={"issuer": "leanx"}, error="ExpiredSignatureError")
    claims("order-iss-before-aud", "Wrong issuer and wrong audience: iss "
           "first.", {"iss": "mallory", "aud": "other"},
           options={"issuer": "leanx", "audience": "merchant"},
           error="InvalidIssuerError")
    claims("order-iss-missing-before-aud", "Missing issuer and wrong "
           "audience: iss first.", {"aud": "other"},
           options={"issuer": "leanx", "audience": "merchant"},
           error="MissingRequiredClaimError")
    claims("order-aud-before-sub", "Wrong audience and a bad sub: aud first.",
           {"aud": "other", "sub": 5}, options={"audience": "merchant"},
           error="InvalidAudienceError")
    claims("order-sub-before-jti", "A bad sub and a bad jti: sub first.",
           {"sub": 5, "jti": 6}, error="InvalidSubjectError")
    claims("order-claims-after-signature-ok", "All claims fine together.",
           {"iat": NOW - 5, "nbf": NOW - 5, "exp": NOW + 5, "iss": "leanx",
            "aud": ["merchant", "ops"], "sub": "payout", "jti": "j-1"},
           options={"issuer": "leanx", "audience": "merchant",
                    "subject": "payout"})

    # -- require --------------------------------------------------------------
    claims("require-exp-absent", "require [\"exp\"] and no exp.", {"a": 1},
           options={"require": ["exp"]}, error="MissingRequiredClaimError")
    claims("require-exp-null", "require [\"exp\"] and exp null: null counts "
           "as absent for require.", {"exp": None},
           options={"require": ["exp"]}, error="MissingRequiredClaimError")
    claims("require-exp-present", "require [\"exp\"] and a valid exp.",
           {"exp": NOW + 60}, options={"require": ["exp"]})
    claims("require-several-present", "require five claims, all present.",
           {"exp": NOW + 60, "iat": NOW, "nbf": NOW, "iss": "x", "sub": "y"},
           options={"require": ["exp", "iat", "nbf", "iss", "sub"]})
    claims("require-jti-absent", "require [\"jti\"] with no jti.",
           {"exp": NOW + 60}, options={"require": ["exp", "jti"]},
           error="MissingRequiredClaimError")
    claims("require-sub-null", "require [\"sub\"] with sub null.",
           {"sub": None}, options={"require": ["sub"]},
           error="MissingRequiredClaimError")
    claims("require-iat-string", "require passes (iat is present and not "
           "null), then the iat type check fails.", {"iat": "x"},
           options={"require": ["iat"]}, error="InvalidIssuedAtError")
    claims("require-aud-empty-string", "require [\"aud\"] passes for \"\" "
           "(not null); with no audience asked for, an empty aud is fine.",
           {"aud": ""}, options={"require": ["aud"]})
    claims("require-iss-false", "require [\"iss\"] passes for false (not "
           "null); iss is not checked when no issuer is given.",
           {"iss": False}, options={"require": ["iss"]})

    # -- iss ----------------------------------------------------------------
    claims("iss-match", "iss equals the issuer.", {"iss": "leanx"},
           options={"issuer": "leanx"})
    claims("iss-mismatch", "iss differs from the issuer.", {"iss": "mallory"},
           options={"issuer": "leanx"}, error="InvalidIssuerError")
    claims("iss-absent", "An issuer is given and iss is absent.", {"a": 1},
           options={"issuer": "leanx"}, error="MissingRequiredClaimError")
    claims("iss-null", "iss null is present but not a string.", {"iss": None},
           options={"issuer": "leanx"}, error="InvalidIssuerError")
    claims("iss-number", "iss must be a string.", {"iss": 7},
           options={"issuer": "7"}, error="InvalidIssuerError")
    claims("iss-array", "iss as a one-element array is not a string.",
           {"iss": ["leanx"]}, options={"issuer": "leanx"},
           error="InvalidIssuerError")
    claims("iss-in-list", "issuer given as a list; iss is one of them.",
           {"iss": "gggpay"}, options={"issuer": ["leanx", "gggpay"]})
    claims("iss-not-in-list", "issuer given as a list; iss is none of them.",
           {"iss": "mallory"}, options={"issuer": ["leanx", "gggpay"]},
           error="InvalidIssuerError")
    claims("iss-substring-of-issuer", "iss is a substring of the issuer "
           "string: equality, not containment.", {"iss": "lean"},
           options={"issuer": "leanx"}, error="InvalidIssuerError")
    claims("iss-case", "Issuer comparison is case-sensitive.",
           {"iss": "LeanX"}, options={"issuer": "leanx"},
           error="InvalidIssuerError")
    claims("iss-not-checked-without-issuer", "With no issuer given, iss may "
           "be anything.", {"iss": 42})
    claims("iss-verify-disabled", "verify_iss false skips a wrong issuer.",
           {"iss": "mallory"},
           options={"issuer": "leanx", "verify_iss": False})

    # -- aud ----------------------------------------------------------------
    for vid, value, why in (
            ("aud-unexpected-string", "merchant", "a string"),
            ("aud-unexpected-list", ["merchant"], "a non-empty list"),
            ("aud-unexpected-number", 1, "a non-zero number"),
            ("aud-unexpected-true", True, "true"),
            ("aud-unexpected-object", {"a": 1}, "a non-empty object")):
        claims(vid, f"No audience was asked for but the token names one "
               f"({why}).", {"aud": value}, error="InvalidAudienceError")
    for vid, value, why in (
            ("aud-falsy-empty-string", "", "\"\""),
            ("aud-falsy-empty-list", [], "[]"),
            ("aud-falsy-null", None, "null"),
            ("aud-falsy-zero", 0, "0"),
            ("aud-falsy-zero-float", 0.0, "0.0"),
            ("aud-falsy-false", False, "false"),
            ("aud-falsy-empty-object", {}, "{}")):
        claims(vid, f"No audience asked for and aud is falsy ({why}): "
               "accepted.", {"aud": value})
    claims("aud-match-string", "aud equals the audience.",
           {"aud": "merchant"}, options={"audience": "merchant"})
    claims("aud-match-in-list", "aud is a list containing the audience.",
           {"aud": ["ops", "merchant"]}, options={"audience": "merchant"})
    claims("aud-audience-list-overlap", "audience given as a list; one "
           "element is in aud.", {"aud": ["ops", "billing"]},
           options={"audience": ["merchant", "billing"]})
    claims("aud-audience-list-no-overlap", "audience list and aud list do not "
           "overlap.", {"aud": ["ops"]},
           options={"audience": ["merchant", "billing"]},
           error="InvalidAudienceError")
    claims("aud-mismatch", "aud names another audience.", {"aud": "ops"},
           options={"audience": "merchant"}, error="InvalidAudienceError")
    claims("aud-case", "Audience comparison is case-sensitive.",
           {"aud": "Merchant"}, options={"audience": "merchant"},
           error="InvalidAudienceError")
    claims("aud-unicode-normalisation", "No Unicode normalisation: NFC "
           "\u00e9 is not NFD e + U+0301.",
           {"aud": unicodedata.normalize("NFD", "caf\u00e9")},
           options={"audience": "caf\u00e9"}, error="InvalidAudienceError")
    claims("aud-unicode-match", "A non-ASCII audience matching exactly.",
           {"aud": "caf\u00e9-\u5546\u5e97"},
           options={"audience": "caf\u00e9-\u5546\u5e97"})
    for vid, value, why in (
            ("aud-absent", NOTHING, "absent"),
            ("aud-empty-string", "", "\"\""),
            ("aud-empty-list", [], "[]"),
            ("aud-null", None, "null"),
            ("aud-false", False, "false"),
            ("aud-zero", 0, "0")):
        claims(vid, f"An audience is asked for and aud is {why}: the claim is "
               "missing.", {"a": 1} if value is NOTHING else {"aud": value},
               options={"audience": "merchant"},
               error="MissingRequiredClaimError")
    for vid, value, why in (
            ("aud-number", 1, "a number"),
            ("aud-true", True, "true"),
            ("aud-object", {"merchant": True}, "an object"),
            ("aud-list-with-number", ["merchant", 1], "a list holding a "
             "number"),
            ("aud-nested-list", [["merchant"]], "a list of lists")):
        claims(vid, f"aud must be a string or a list of strings; it is {why}.",
               {"aud": value}, options={"audience": "merchant"},
               error="InvalidAudienceError")
    claims("aud-strict-match", "strict_aud: one string equal to the "
           "audience.", {"aud": "merchant"},
           options={"audience": "merchant", "strict_aud": True})
    claims("aud-strict-list-claim", "strict_aud: aud as a list is refused "
           "even when it holds the audience.", {"aud": ["merchant"]},
           options={"audience": "merchant", "strict_aud": True},
           error="InvalidAudienceError")
    claims("aud-strict-mismatch", "strict_aud: a different string.",
           {"aud": "ops"}, options={"audience": "merchant",
                                    "strict_aud": True},
           error="InvalidAudienceError")
    claims("aud-strict-audience-list", "strict_aud with the audience given "
           "as a list is refused.", {"aud": "merchant"},
           options={"audience": ["merchant"], "strict_aud": True},
           error="InvalidAudienceError")
    claims("aud-strict-absent", "strict_aud and no aud: missing claim.",
           {"a": 1}, options={"audience": "merchant", "strict_aud": True},
           error="MissingRequiredClaimError")
    claims("aud-strict-no-audience", "strict_aud without an audience behaves "
           "as no audience: a present aud is refused.", {"aud": "merchant"},
           options={"strict_aud": True}, error="InvalidAudienceError")
    claims("aud-verify-disabled", "verify_aud false skips a wrong audience.",
           {"aud": "ops"},
           options={"audience": "merchant", "verify_aud": False})
    claims("aud-verify-disabled-unexpected", "verify_aud false also skips an "
           "aud that no audience asked for.", {"aud": 5},
           options={"verify_aud": False})

    # -- sub, jti -------------------------------------------------------------
    claims("sub-string", "sub is a string.", {"sub": "payout"})
    for vid, value, why in (("sub-number", 5, "a number"),
                            ("sub-null", None, "null"),
                            ("sub-list", ["payout"], "a list")):
        claims(vid, f"sub present must be a string; it is {why}.",
               {"sub": value}, error="InvalidSubjectError")
    claims("sub-match", "subject given and equal.", {"sub": "payout"},
           options={"subject": "payout"})
    claims("sub-mismatch", "subject given and different.", {"sub": "refund"},
           options={"subject": "payout"}, error="InvalidSubjectError")
    claims("sub-case", "subject comparison is case-sensitive.",
           {"sub": "Payout"}, options={"subject": "payout"},
           error="InvalidSubjectError")
    claims("sub-absent-with-subject", "subject given and sub absent: "
           "accepted, as in PyJWT (use require [\"sub\"] to insist).",
           {"a": 1}, options={"subject": "payout"})
    claims("jti-string", "jti is a string.", {"jti": "8f1c"})
    claims("jti-empty-string", "An empty jti is still a string.", {"jti": ""})
    for vid, value, why in (("jti-number", 8, "a number"),
                            ("jti-null", None, "null"),
                            ("jti-list", [], "an empty list"),
                            ("jti-object", {"id": "x"}, "an object")):
        claims(vid, f"jti present must be a string; it is {why}.",
               {"jti": value}, error="InvalidJTIError")
    claims("unknown-claims-ignored", "Unregistered claims of any type are "
           "never checked.", {"scope": ["a"], "amount": 1.5, "x": None})

    # -- keys ---------------------------------------------------------------
    a("key-empty", "An empty key is refused whatever the token.", t, key="",
      error="InvalidKeyError")
    a("key-empty-before-parsing", "The key is checked first: an empty key "
      "with a malformed token is InvalidKeyError.", "not.a.token", key="",
      error="InvalidKeyError")
    a("key-empty-before-size", "The key is checked before the size limit.",
      "x" * 40, key="", options={"max_bytes": 10}, error="InvalidKeyError")
    a("keys-list-with-empty", "A key list in which one key is empty is "
      "refused.", t, keys=[JWT_KEY, ""], error="InvalidKeyError")
    for vid, key, alg, why in (
            ("key-one-byte", "k", "HS256", "a one-byte key"),
            ("key-32-bytes", "K" * 32, "HS256", "a 32-byte key"),
            ("key-64-bytes", "0123456789abcdef" * 4, "HS256",
             "a 64-byte key (exactly the SHA-256 block size)"),
            ("key-65-bytes", "0123456789abcdef" * 4 + "!", "HS256",
             "a 65-byte key (longer than the SHA-256 block, so hashed "
             "first)"),
            ("key-128-bytes-hs512", "k" * 128, "HS512",
             "a 128-byte key with HS512 (its block size)"),
            ("key-129-bytes-hs512", "k" * 129, "HS512",
             "a 129-byte key with HS512 (hashed first)"),
            ("key-200-bytes-hs256", "abcdefghij" * 20, "HS256",
             "a 200-byte key"),
            ("key-200-bytes-hs384", "ABCDEFGHIJ" * 20, "HS384",
             "a 200-byte key with HS384"),
            ("key-200-bytes-hs512", "0123456789" * 20, "HS512",
             "a 200-byte key with HS512"),
            ("key-non-ascii", "cl\u00e9-\u043a\u043b\u044e\u0447-"
             "\u5bc6\u94a5-\U0001f511", "HS256",
             "non-ASCII text, used as its UTF-8 bytes")):
        t1 = token(base, key=key, alg=alg)
        a(vid, f"Signed and verified with {why}.", t1, key=key,
          options={"algorithms": [alg]} if alg != "HS256" else None,
          ok=t1.claims)
    t1 = token(base, key=b"\xff\x00\xfe\x80payhook")
    a("key-raw-bytes", "A raw key that is not UTF-8 (given as key_hex).", t1,
      key=b"\xff\x00\xfe\x80payhook", ok=t1.claims)
    t1 = token(base, key=b"abc\x00def")
    a("key-with-nul", "A key with a NUL byte in the middle: all 7 bytes "
      "count.", t1, key=b"abc\x00def", ok=t1.claims)
    a("key-truncated-at-nul", "The same token verified with the key cut at "
      "the NUL: it must fail.", t1, key="abc", error="InvalidSignatureError")
    long_key = "payhook-long-key-" * 6
    t1 = token(base, key=hashlib.sha256(long_key.encode()).digest())
    a("key-long-prehash-equivalence", "HMAC hashes a key longer than the "
      "block: a token signed with SHA-256(key) verifies under the long "
      "key itself.", t1, key=long_key, ok=t1.claims)
    t1 = token(base, key=unicodedata.normalize("NFC", "cl\u00e9"))
    a("key-unicode-not-normalised", "Keys are bytes: NFD text does not "
      "verify a token signed with the NFC form.", t1,
      key=unicodedata.normalize("NFD", "cl\u00e9"),
      error="InvalidSignatureError")
    a("key-trailing-space", "Keys are not trimmed.", t, key=JWT_KEY + " ",
      error="InvalidSignatureError")
    a("key-prefix", "A prefix of the right key.", t, key=JWT_KEY[:-1],
      error="InvalidSignatureError")
    a("key-wrong", "An unrelated key.", t, key=JWT_KEY_3,
      error="InvalidSignatureError")

    # -- rotation -----------------------------------------------------------
    t2 = token(base, key=JWT_KEY_2)
    a("rotation-second-key", "Two keys; the token is signed with the second.",
      t2, keys=[JWT_KEY, JWT_KEY_2], ok=t2.claims)
    a("rotation-first-key", "Two keys; the token is signed with the first.",
      t, keys=[JWT_KEY, JWT_KEY_2], ok=t.claims)
    a("rotation-no-key", "Two keys; the token is signed with a third.",
      token(base, key=JWT_KEY_3), keys=[JWT_KEY, JWT_KEY_2],
      error="InvalidSignatureError")
    many = [f"rotation-key-{i:02d}" for i in range(16)]
    t1 = token(base, key=many[-1])
    a("rotation-sixteen-keys-last", "Sixteen keys; the last one signed.", t1,
      keys=many, ok=t1.claims)
    t1 = token({"exp": NOW - 1}, key=JWT_KEY_2)
    a("rotation-match-then-expired", "The second key matches, then the "
      "claims are checked: expired.", t1, keys=[JWT_KEY, JWT_KEY_2],
      options={"now": NOW}, error="ExpiredSignatureError")
    t1 = token(base, key=JWT_KEY_2, alg="HS512")
    a("rotation-hs512", "Rotation with HS512.", t1,
      keys=[JWT_KEY, JWT_KEY_2], options={"algorithms": ["HS512"]},
      ok=t1.claims)

    # -- RFC vectors -----------------------------------------------------------
    a1_key = b64u_loose(RFC7515_A1_KEY_B64)
    a1_payload = {"iss": "joe", "exp": 1300819380,
                  "http://example.com/is_root": True}
    a("rfc7515-a1", "RFC 7515 Appendix A.1 (also RFC 7519 3.1): CRLF "
      "whitespace inside header and payload JSON; verified one second "
      "before exp.", RFC7515_A1_TOKEN, key=a1_key,
      options={"now": 1300819379}, ok=a1_payload)
    a("rfc7515-a1-exp-boundary", "Derived: the A.1 token at now == exp.",
      RFC7515_A1_TOKEN, key=a1_key, options={"now": 1300819380},
      error="ExpiredSignatureError")
    a("rfc7515-a1-alg-not-allowed", "Derived: the A.1 token with the "
      "allowlist [\"HS384\", \"HS512\"].", RFC7515_A1_TOKEN, key=a1_key,
      options={"now": 1300819379, "algorithms": ["HS384", "HS512"]},
      error="InvalidAlgorithmError")
    a("rfc7515-a1-wrong-key", "Derived: the A.1 token under the RFC 7520 "
      "key.", RFC7515_A1_TOKEN, key=b64u_loose(RFC7520_44_KEY_B64),
      options={"now": 1300819379}, error="InvalidSignatureError")
    a("rfc7520-4-4", "RFC 7520 4.4: a valid HS256 JWS (with a kid) whose "
      "payload is plain text, not JSON: a JWT decoder must refuse it.",
      RFC7520_44_TOKEN, key=b64u_loose(RFC7520_44_KEY_B64),
      error="DecodeError")
    return f


# ---------------------------------------------------------------------------
# leanx.json


def leanx_payload(**changes: Any) -> dict:
    """A payout callback payload shaped like the LeanX sample."""
    p = {
        "output": {
            "invoice_no": "17300000000PAYHOOK",
            "error_description": [],
            "bank_response": {
                "Success": True,
                "Result": {
                    "OrgnFromAccountCurrency": "MYR",
                    "OrgnThirdPartyAccountNo": "100200300400",
                    "OrgnPaymentDescription": "vectors-0001",
                    "BizMsgID": "20231114PAYHOOKMYKL010TST00000001",
                    "DisplayName": "Test Recipient",
                    "BankReferenceNo": "20231114221320000001",
                    "OrgnTransactionAmount": "13.0",
                    "PaymentStatus": "ACSP",
                    "OrgnThirdPartyBankBICCode": "MBBEMYKL",
                    "OrgnCurrency": "MYR",
                    "OrgnRecipientReference": "Test",
                },
            },
            "client_data": {
                "virtual_pool_reference": "PAYOUT-TEST:000001-LEANX",
                "external_invoice_ref": "INVOICE-VECTORS-1",
                "recipient_reference": "Test",
            },
            "invoice_status_id": 2,
            "invoice_status": "SUCCESS",
            "amount": "13.00",
            "payout_service_id": 33,
            "client_callback_url": "https://merchant.example/callbacks/leanx"
                                   "?_uuid=00000000-0000-4000-8000-000000000001",
            "client_transaction_details": None,
            "payout_payment": {
                "item": {
                    "balance": "7.00",
                    "virtual_pool_reference": "VA-TEST-000000000001-PAYOUT",
                    "record_status_id": 1,
                    "virtual_pool_collection_type_id": 1,
                    "created_at": "2023-03-16T04:42:03.000000Z",
                    "updated_at": "2023-11-14T22:13:20.000000Z",
                },
                "response_code": 2100,
            },
        },
        "response_code": 2100,
    }
    p["output"].update(changes)
    return p


def envelope(tok: str, **extra: Any) -> str:
    body = {"data": tok, "response_code": 2100}
    body.update(extra)
    return json.dumps(body)


def build_leanx() -> VectorFile:
    f = VectorFile(
        "leanx.json", "leanx.decode", LEANX_KEY,
        "leanx.decode(body, hash_key, options): the LeanX payout callback "
        "body {\"data\": \"<HS256 JWT>\", ...} or the bare token. The hash "
        "keys are 128-character hex-looking strings used as their UTF-8 "
        "text. Only now, leeway and max_bytes options are used.")
    a = f.add
    t = token(leanx_payload(), key=LEANX_KEY)
    tok_claims = t.claims

    # -- vendor-shaped --------------------------------------------------------
    a("vendor-shape-envelope", "The callback as LeanX posts it: "
      "{\"data\": token, \"response_code\": 2100}, the payload shaped like "
      "the vendor sample, signed with a 128-character hash key.",
      envelope(t), ok=tok_claims)
    a("vendor-shape-pretty-printed", "The same envelope pretty-printed with "
      "4-space indentation and CRLF line ends.",
      json.dumps({"data": t, "response_code": 2100}, indent=4)
      .replace("\n", "\r\n"), ok=tok_claims)
    a("vendor-shape-bare-token", "The bare token (no envelope).", t,
      ok=tok_claims)
    vendor_body = ('{\n    "data": "' + LEANX_VENDOR_TOKEN +
                   '",\n    "response_code": 2100\n}')
    a("vendor-sample-unverifiable", "The vendor page's own sample body: it "
      "parses, but its hash key was never published, so no key verifies "
      "it.", vendor_body, error="InvalidSignatureError")
    a("vendor-sample-bare-unverifiable", "The vendor sample token, bare.",
      LEANX_VENDOR_TOKEN, error="InvalidSignatureError")
    hex_signed = token(leanx_payload(), key=bytes.fromhex(LEANX_KEY))
    a("hash-key-not-hex-decoded", "A token signed with the hash key's "
      "hex-decoded bytes does not verify: the key is the text.",
      envelope(hex_signed), error="InvalidSignatureError")
    a("hash-key-uppercase", "The hash key upper-cased is another key.",
      envelope(t), key=LEANX_KEY.upper(), error="InvalidSignatureError")
    a("hash-key-wrong", "Another merchant's hash key.", envelope(t),
      key=LEANX_KEY_OTHER, error="InvalidSignatureError")
    a("hash-key-empty", "An empty hash key.", envelope(t), key="",
      error="InvalidKeyError")

    # -- envelope variants ----------------------------------------------------
    a("envelope-surrounding-whitespace", "JSON whitespace around the "
      "envelope.", "\r\n\t " + envelope(t) + " \r\n", ok=tok_claims)
    a("bare-token-surrounding-whitespace", "JSON whitespace around a bare "
      "token.", "\n " + t + "\r\n", ok=tok_claims)
    a("envelope-data-last", "data after the other members.",
      '{"response_code":2100,"note":"x","data":"' + t + '"}', ok=tok_claims)
    a("envelope-only-data", "An envelope with data alone.",
      '{"data":"' + t + '"}', ok=tok_claims)
    a("envelope-extra-members-ignored", "Unknown members of any type are "
      "ignored.", json.dumps({"meta": {"a": [1, 2, {"b": None}]},
                              "data": t, "ok": True, "n": 2 ** 64,
                              "f": 1.5, "s": "data"}), ok=tok_claims)
    a("envelope-data-escaped-dots", "The token inside the JSON string with "
      "its dots written as \\u002e: the string value is the token.",
      '{"data":"' + t.replace(".", "\\u002e") + '"}', ok=tok_claims)
    a("envelope-data-all-escaped", "Every character of the token written as "
      "a \\u escape.",
      '{"data":"' + "".join(f"\\u{ord(c):04x}" for c in t) + '"}',
      ok=tok_claims)
    a("envelope-member-name-escaped", "The member name written "
      "\"\\u0064ata\" is \"data\".", '{"\\u0064ata":"' + t + '"}',
      ok=tok_claims)
    # The data string is the token exactly: whitespace around the body is
    # fine, whitespace inside the string around the token is not.
    for vid, body, why in (
            ("envelope-data-inner-whitespace", '{"data":" ' + t + '\\n"}',
             "a space before and an escaped newline after the token"),
            ("envelope-data-leading-space", '{"data":" ' + t + '"}',
             "a space before the token"),
            ("envelope-data-trailing-space", '{"data":"' + t + ' "}',
             "a space after the token"),
            ("envelope-data-trailing-newline", '{"data":"' + t + '\\n"}',
             "an escaped newline after the token (a token copied with its "
             "line end)"),
            ("envelope-data-leading-tab", '{"data":"\\t' + t + '"}',
             "an escaped tab before the token"),
            ("envelope-data-trailing-crlf", '{"data":"' + t + '\\r\\n"}',
             "an escaped CRLF after the token"),
            ("envelope-data-space-escaped", '{"data":"\\u0020' + t + '"}',
             "a space written \\u0020 before the token"),
            ("envelope-data-whitespace-only", '{"data":" \\n"}',
             "only whitespace"),
            ("envelope-data-empty", '{"data":""}', "empty"),
            ("envelope-data-nbsp", '{"data":"\\u00a0' + t + '"}',
             "a no-break space (not JSON whitespace: it breaks the header "
             "segment)"),
            ("envelope-data-bom", '{"data":"\ufeff' + t + '"}',
             "a raw byte order mark before the token"),
            ("envelope-data-bom-escaped", '{"data":"\\ufeff' + t + '"}',
             "a byte order mark written \\ufeff before the token")):
        a(vid, f"The data string must be exactly the token; it has {why}. "
          "(Whitespace around the whole body is allowed.)", body,
          error="DecodeError")
    t1 = token(leanx_payload(), key=LEANX_KEY, p64="/" + t.p64[1:])
    a("envelope-data-escaped-slash", "\"\\/\" unescapes to '/', which is "
      "not base64url (the MAC is right for the text with '/').",
      '{"data":"' + t1.replace("/", "\\/") + '"}', error="DecodeError")
    for vid, body, why in (
            ("envelope-duplicate-data", '{"data":"%s","data":"%s"}' % (t, t),
             "\"data\" twice (even with equal values)"),
            ("envelope-duplicate-data-escaped",
             '{"data":"%s","\\u0064ata":"%s"}' % (t, t),
             "\"data\" twice, once escaped"),
            ("envelope-data-number", '{"data":12345}', "data as a number"),
            ("envelope-data-null", '{"data":null}', "data null"),
            ("envelope-data-object", '{"data":{"token":"%s"}}' % t,
             "data as an object"),
            ("envelope-data-array", '{"data":["%s"]}' % t,
             "data as an array"),
            ("envelope-data-true", '{"data":true}', "data true"),
            ("envelope-missing-data", '{"response_code":2100}',
             "no data member"),
            ("envelope-data-wrong-case", '{"Data":"%s"}' % t,
             "\"Data\" (names are case-sensitive)"),
            ("envelope-data-nested", '{"output":{"data":"%s"}}' % t,
             "data only inside a nested object"),
            ("envelope-empty-object", "{}", "an empty object"),
            ("envelope-truncated", '{"data":"%s"' % t, "truncated JSON"),
            ("envelope-single-quotes", "{'data':'%s'}" % t, "single quotes"),
            ("envelope-trailing-comma", '{"data":"%s",}' % t,
             "a trailing comma"),
            ("envelope-trailing-garbage", '{"data":"%s"} x' % t,
             "text after the object"),
            ("envelope-two-objects", '{"data":"%s"}{"data":"%s"}' % (t, t),
             "two objects in a row"),
            ("envelope-nan-member", '{"data":"%s","x":NaN}' % t,
             "NaN in another member"),
            ("envelope-lone-surrogate-member",
             '{"data":"%s","x":"\\ud800"}' % t,
             "a lone surrogate in another member"),
            ("envelope-raw-control-char", '{"data":"%s","x":"a\x01b"}' % t,
             "a raw control character in another member"),
            ("envelope-not-utf8", b'{"data":"' + t.encode() +
             b'","x":"\xff"}', "a byte that is not UTF-8"),
            ("envelope-bom", "\ufeff" + envelope(t),
             "a byte order mark before '{' (not whitespace; a LeanX body "
             "may not start with one)"),
            ("envelope-whitespace-then-bom", "\r\n \ufeff" + envelope(t),
             "whitespace, then a byte order mark, then the envelope"),
            ("bare-token-bom", "\ufeff" + t, "a byte order mark before a "
             "bare token"),
            ("bare-token-bom-after-whitespace", " \ufeff" + t,
             "whitespace and a byte order mark before a bare token"),
            ("envelope-array", '["%s"]' % t, "a JSON array (not an "
             "envelope: taken as a bare token, which it is not)"),
            ("envelope-json-string", json.dumps(str(t)), "a JSON string "
             "(taken as a bare token with quotes)"),
            ("envelope-form-encoded", "data=" + t, "form-encoded, not JSON"),
            ("envelope-depth-129", '{"data":"%s","x":%s}' % (
                t, "[" * 128 + "]" * 128),
             "another member nested past 128 levels"),
            ("body-empty", "", "empty"),
            ("body-whitespace-only", " \r\n ", "only whitespace")):
        a(vid, f"The body is {why}.", body, error="DecodeError")
    a("envelope-depth-128", "Another member nested to exactly 128 levels "
      "(the envelope object included) is fine.",
      '{"data":"%s","x":%s}' % (t, "[" * 127 + "]" * 127), ok=tok_claims)

    # -- keys and rotation -----------------------------------------------------
    old = token(leanx_payload(), key=LEANX_KEY_OLD)
    a("rotation-new-key-second", "Keys [old, new]; the callback is signed "
      "with the new key (second in the list).", envelope(t),
      keys=[LEANX_KEY_OLD, LEANX_KEY], ok=tok_claims)
    a("rotation-old-key-first", "Keys [old, new]; the callback is signed "
      "with the old key.", envelope(old), keys=[LEANX_KEY_OLD, LEANX_KEY],
      ok=old.claims)
    a("rotation-no-match", "Keys [old, new]; signed by a third key.",
      envelope(token(leanx_payload(), key=LEANX_KEY_OTHER)),
      keys=[LEANX_KEY_OLD, LEANX_KEY], error="InvalidSignatureError")
    a("rotation-with-empty-key", "A key list with an empty key.",
      envelope(t), keys=[LEANX_KEY, ""], error="InvalidKeyError")
    t1 = token(leanx_payload(), key="x")
    a("key-one-byte", "A one-byte hash key.", envelope(t1), key="x",
      ok=t1.claims)
    k200 = (LEANX_KEY + LEANX_KEY_OLD)[:200]
    t1 = token(leanx_payload(), key=k200)
    a("key-200-bytes", "A 200-byte hash key.", envelope(t1), key=k200,
      ok=t1.claims)

    # -- algorithms -----------------------------------------------------------
    t1 = token(leanx_payload(), key=LEANX_KEY, alg="HS384")
    a("alg-hs384-refused", "LeanX allows HS256 only: a valid HS384 token is "
      "refused.", envelope(t1), error="InvalidAlgorithmError")
    t1 = token(leanx_payload(), key=LEANX_KEY, header={"alg": "none"})
    a("alg-none-refused", "alg none in a LeanX envelope.",
      envelope(t1.h64 + "." + t1.p64 + "." + t1.s64),
      error="InvalidAlgorithmError")
    t1 = token(leanx_payload(), key=LEANX_KEY)
    a("tampered-amount", "The payload's amount changed after signing.",
      envelope(t1.h64 + "." + b64u(compact(leanx_payload(amount="9999.00")))
               + "." + t1.s64), error="InvalidSignatureError")

    # -- payload contents -----------------------------------------------------
    def signed(vid, comment, payload, **kw):
        t1 = token(payload, key=LEANX_KEY)
        a(vid, comment, envelope(t1), ok=t1.claims, **kw)

    signed("payload-nulls-and-empty-lists", "null and [] values survive "
           "(client_transaction_details null, error_description []).",
           leanx_payload(client_transaction_details=None,
                         error_description=[], client_data=None))
    signed("payload-failed-payout", "A failed payout with an error list.",
           leanx_payload(invoice_status_id=3, invoice_status="FAILED",
                         error_description=[{"code": "E01",
                                             "message": "Account closed"}]))
    signed("payload-big-integers", "Integers beyond 64 bits stay exact.",
           leanx_payload(payout_service_id=2 ** 64, big=10 ** 30,
                         small=-2 ** 63 - 1))
    signed("payload-floats", "Floats, including 1.0, stay floats.",
           leanx_payload(amount_num=13.0, fee=0.35, rate=3.1025))
    signed("payload-unicode-escaped", "Non-ASCII text escaped as \\u, an "
           "emoji as a surrogate pair.",
           leanx_payload(DisplayName="J\u00f6rg \u738b \U0001f4b8"))
    t1 = token(compact(leanx_payload(DisplayName="J\u00f6rg \u738b "
                                     "\U0001f4b8"), ascii_only=False),
               key=LEANX_KEY)
    a("payload-unicode-raw", "The same text as raw UTF-8 in the payload.",
      envelope(t1), ok=t1.claims)
    signed("payload-nul-char", "\\u0000 inside a string is kept.",
           leanx_payload(note="a\u0000b"))
    t1 = token('{"response_code":2100,"output":{"amount":"1.00"},'
               '"response_code":2101}', key=LEANX_KEY)
    a("payload-duplicate-keys", "Duplicate payload names: the last wins.",
      envelope(t1), ok=t1.claims)
    t1 = token('{"output":"\\ud800"}', key=LEANX_KEY)
    a("payload-lone-surrogate", "A correctly signed payload with a lone "
      "surrogate.", envelope(t1), error="DecodeError")
    t1 = token("[1,2,3]", key=LEANX_KEY)
    a("payload-not-object", "A correctly signed payload that is an array.",
      envelope(t1), error="DecodeError")
    t1 = token(BOM + compact(leanx_payload()), key=LEANX_KEY)
    a("payload-bom", "A correctly signed payload whose JSON starts with a "
      "UTF-8 byte order mark: refused (json.loads(bytes) would skip it).",
      envelope(t1), error="DecodeError", stage="bom")
    t1 = token(compact(leanx_payload(DisplayName="\ufeffTest"),
                       ascii_only=False), key=LEANX_KEY)
    a("payload-bom-inside-string", "U+FEFF inside a string is an ordinary "
      "character and is kept.", envelope(t1), ok=t1.claims)

    # -- claims when present --------------------------------------------------
    t1 = token(dict(leanx_payload(), exp=NOW - 1), key=LEANX_KEY)
    a("claims-exp-expired", "LeanX payloads carry no exp, but one that is "
      "present is checked.", envelope(t1), options={"now": NOW},
      error="ExpiredSignatureError")
    t1 = token(dict(leanx_payload(), exp=NOW + 60), key=LEANX_KEY)
    a("claims-exp-valid", "A present exp in the future.", envelope(t1),
      options={"now": NOW}, ok=t1.claims)
    t1 = token(dict(leanx_payload(), exp=NOW - 5), key=LEANX_KEY)
    a("claims-exp-leeway", "exp five seconds ago with leeway 10.",
      envelope(t1), options={"now": NOW, "leeway": 10}, ok=t1.claims)
    t1 = token(dict(leanx_payload(), nbf=NOW + 60), key=LEANX_KEY)
    a("claims-nbf-immature", "A present nbf in the future.", envelope(t1),
      options={"now": NOW}, error="ImmatureSignatureError")
    t1 = token(dict(leanx_payload(), iat="2023-11-14"), key=LEANX_KEY)
    a("claims-iat-not-number", "A present iat that is a date string.",
      envelope(t1), options={"now": NOW}, error="InvalidIssuedAtError")
    t1 = token(dict(leanx_payload(), aud="merchant"), key=LEANX_KEY)
    a("claims-aud-unexpected", "leanx.decode asks for no audience, so a "
      "token naming one is refused.", envelope(t1),
      error="InvalidAudienceError")

    # -- size -----------------------------------------------------------------
    body = envelope(t)
    n = len(body.encode())
    a("max-bytes-exact", "The body is exactly max_bytes long.", body,
      options={"max_bytes": n}, ok=tok_claims)
    a("max-bytes-one-over", "The body is one byte over max_bytes.", body,
      options={"max_bytes": n - 1}, error="PayloadTooLargeError")
    a("max-bytes-counts-whitespace", "Surrounding whitespace counts toward "
      "the limit.", body + "\n", options={"max_bytes": n},
      error="PayloadTooLargeError")
    a("max-bytes-before-envelope", "Over the limit and not JSON: the size is "
      "checked first.", "{" * 64, options={"max_bytes": 32},
      error="PayloadTooLargeError")
    return f


# ---------------------------------------------------------------------------
# superpay.json


def sp_payout(status: str = "SUCCESS", **changes: Any) -> dict:
    """A payout callback plaintext shaped like SuperPay's documentation."""
    p = {
        "message": "Success",
        "data": {
            "status": status,
            "transaction": {"id": 10025, "amountWithdraw": 150.75,
                            "confirmedAt": 1699999999, "commissionFee": 1.5},
            "order": {"id": "ORD-20231114-0001", "amount": "150.75",
                      "currencyType": "MYR"},
            "recipient": {"name": "Test Recipient", "phone": "0123456789",
                          "email": "recipient@example.com",
                          "methodType": "CIBBMYKL",
                          "methodValue": "8000000001", "methodRef": ""},
        },
    }
    p["data"].update(changes)
    return p


def build_superpay() -> VectorFile:
    f = VectorFile(
        "superpay.json", "superpay.decode", SP_KEY,
        "superpay.decode(body, key, options): SuperPay (GGGPay) payout "
        "callbacks, {\"encryptedData\": \"<hex>\"} or bare hex; AES-256-CBC, "
        "PKCS#7, IV = MD5(key), key exactly 32 bytes. Once the hex is found "
        "every failure is DecryptionError. Only the max_bytes option is "
        "used.")
    a = f.add

    def env(hex_text: str, **extra: Any) -> str:
        body = {"encryptedData": hex_text}
        body.update(extra)
        return json.dumps(body)

    vk = SP_VENDOR_KEY
    # -- the vendor sample ----------------------------------------------------
    a("vendor-sample", "The vendor page's ciphertext and key, in a strict "
      "JSON envelope: decrypts (IV = MD5(key)) to a payment-creation "
      "response.", env(SP_VENDOR_HEX), key=vk, ok=SP_VENDOR_PAYLOAD)
    a("vendor-sample-page-verbatim", "The vendor page's body as printed, "
      "with its trailing comma: not JSON.",
      '{\n"encryptedData": "' + SP_VENDOR_HEX + '",\n}', key=vk,
      error="DecodeError")
    a("vendor-sample-bare-hex", "The vendor ciphertext as a bare hex body.",
      SP_VENDOR_HEX, key=vk, ok=SP_VENDOR_PAYLOAD)
    a("vendor-sample-uppercase-hex", "Upper-case hex is accepted.",
      env(SP_VENDOR_HEX.upper()), key=vk, ok=SP_VENDOR_PAYLOAD)
    mixed = "".join(c.upper() if i % 2 else c
                    for i, c in enumerate(SP_VENDOR_HEX))
    a("vendor-sample-mixed-case-hex", "Mixed-case hex is accepted.", mixed,
      key=vk, ok=SP_VENDOR_PAYLOAD)
    a("vendor-sample-bare-hex-whitespace", "JSON whitespace around bare "
      "hex.", "\r\n\t " + SP_VENDOR_HEX + " \n", key=vk,
      ok=SP_VENDOR_PAYLOAD)
    a("vendor-sample-pretty-envelope", "The envelope pretty-printed, with "
      "surrounding whitespace.",
      "\n" + json.dumps({"encryptedData": SP_VENDOR_HEX}, indent=2) + "\n",
      key=vk, ok=SP_VENDOR_PAYLOAD)
    a("vendor-sample-wrong-key", "The vendor ciphertext under another "
      "32-byte key.", env(SP_VENDOR_HEX), key=SP_KEY,
      error="DecryptionError")

    # -- payout payloads --------------------------------------------------------
    def good(vid, comment, payload, *, key=SP_KEY, body=None, **kw):
        h = sp_encrypt(payload, key)
        expect = json.loads(h.plain)
        a(vid, comment, env(h) if body is None else body(h), key=key,
          ok=expect, **kw)

    good("payout-success", "A successful payout: numbers, strings and an "
         "empty methodRef.", sp_payout())
    good("payout-pending-documented", "The payout shape of the vendor page "
         "(PENDING, confirmedAt 0, amount as the string \"1\").",
         {"message": "Success", "data": {
             "status": "PENDING",
             "transaction": {"id": 10025, "amountWithdraw": 0,
                             "confirmedAt": 0, "commissionFee": 0},
             "order": {"id": "10006", "amount": "1", "currencyType": "MYR"},
             "recipient": {"name": "Long Wan", "phone": "0123456789",
                           "email": "longwan@gmail.com",
                           "methodType": "CIBBMYKL",
                           "methodValue": "8044591766", "methodRef": ""}}})
    good("payout-paying-amount-number", "PAYING with data.order.amount as a "
         "number.", sp_payout("PAYING", order={"id": "ORD-2", "amount": 1,
                                               "currencyType": "MYR"}))
    good("payout-failed-null-recipient", "FAILED with every recipient field "
         "null.", sp_payout("FAILED", recipient={
             "name": None, "phone": None, "email": None, "methodType": None,
             "methodValue": None, "methodRef": None}))
    good("payout-float-amounts", "Floats like 3.1025 and 1.0 stay floats.",
         sp_payout(transaction={"id": 1, "amountWithdraw": 3.1025,
                                "confirmedAt": "2023-11-14 22:13:20",
                                "commissionFee": 1.0}))
    good("payout-big-integer", "A transaction id beyond 64 bits stays "
         "exact.", sp_payout(transaction={"id": 2 ** 64 + 1,
                                          "amountWithdraw": 10 ** 30,
                                          "confirmedAt": 0,
                                          "commissionFee": -2 ** 63 - 1}))
    good("payout-unicode-raw", "Raw UTF-8 recipient name.",
         compact(sp_payout(recipient={"name": "\u9648\u5927\u6587 "
                                      "\u00e9\U0001f600"}), ascii_only=False))
    good("payout-unicode-escaped", "The same name as \\u escapes.",
         sp_payout(recipient={"name": "\u9648\u5927\u6587 \u00e9\U0001f600"}))
    good("payout-nul-char", "\\u0000 inside a string is kept.",
         sp_payout(message="ok\u0000"))
    good("payout-pretty-printed-plaintext", "Plaintext JSON with "
         "indentation and a trailing newline.",
         json.dumps(sp_payout(), indent=2) + "\n")
    good("plaintext-exactly-one-block", "A 16-byte plaintext: the padding "
         "is a whole extra block of 0x10.", '{"a":"12345678"}')
    good("plaintext-pad-one", "A 15-byte plaintext: one byte of padding "
         "(0x01).", '{"a":"1234567"}')
    good("plaintext-duplicate-keys", "Duplicate names: the last wins.",
         '{"message":"a","message":"b"}')
    good("plaintext-trailing-whitespace", "Spaces between the object and "
         "the padding are JSON whitespace after the object: accepted.",
         b'{"a":1}' + b" " * 8)
    good("plaintext-bom-inside-string", "U+FEFF inside a string, raw and "
         "escaped, is an ordinary character and is kept.",
         '{"a":"\ufeff","b":"\\ufeff"}'.encode("utf-8"))
    good("plaintext-depth-128", "Nesting of exactly 128 is allowed.",
         depth_arrays(128))
    good("envelope-extra-members", "Other members of the envelope are "
         "ignored.", sp_payout(), body=lambda h: json.dumps(
             {"merchantId": 42, "encryptedData": h, "sign": None}))
    good("envelope-member-name-escaped", "\"\\u0065ncryptedData\" is "
         "\"encryptedData\".", sp_payout(),
         body=lambda h: '{"\\u0065ncryptedData":"' + h + '"}')
    good("envelope-hex-escaped", "Hex digits written as \\u escapes inside "
         "the string.", sp_payout(),
         body=lambda h: '{"encryptedData":"' + "".join(
             f"\\u{ord(c):04x}" for c in h[:4]) + h[4:] + '"}')
    k_utf8 = "\u00e9" * 16
    good("key-32-bytes-non-ascii", "A key of 16 '\u00e9' characters is 32 "
         "UTF-8 bytes: valid.", sp_payout(), key=k_utf8)
    k_raw = bytes(range(200, 232))
    good("key-raw-bytes", "A raw 32-byte key that is not UTF-8 (key_hex).",
         sp_payout(), key=k_raw)

    # -- keys -----------------------------------------------------------------
    h = sp_encrypt(sp_payout())
    for vid, key, why in (
            ("key-31-bytes", SP_KEY[:31], "31 bytes"),
            ("key-33-bytes", SP_KEY + "x", "33 bytes"),
            ("key-empty", "", "empty"),
            ("key-32-chars-33-bytes", "\u00e9" + SP_KEY[:31],
             "32 characters but 33 UTF-8 bytes"),
            ("key-hex-encoded", SP_KEY.encode().hex(),
             "the key's hex (64 bytes)")):
        a(vid, f"The key must be exactly 32 bytes; it is {why}.", env(h),
          key=key, error="InvalidKeyError")
    a("key-checked-before-body", "A bad key and a body that is not an "
      "envelope: the key is reported.", "{nonsense", key=SP_KEY[:31],
      error="InvalidKeyError")
    a("key-checked-before-size", "A bad key and a body over max_bytes: the "
      "key is reported.", env(h), key=SP_KEY[:31], options={"max_bytes": 8},
      error="InvalidKeyError")
    a("key-wrong", "Another 32-byte key.", env(h), key=SP_KEY_2,
      error="DecryptionError")
    a("key-vendor-on-own-ciphertext", "The vendor key on our ciphertext.",
      env(h), key=vk, error="DecryptionError")

    # -- bad padding ----------------------------------------------------------
    def blocks(vid, comment, data: bytes, stage="padding"):
        assert len(data) % 16 == 0
        a(vid, comment, env(sp_encrypt(data, pad=False)),
          error="DecryptionError", stage=stage)

    obj = b'{"a":1}'                                  # 7 bytes
    blocks("padding-zero", "The last plaintext byte is 0x00: a pad of 0 is "
           "invalid.", obj + b"\x00" * 9)
    blocks("padding-17", "Pad bytes 0x11 (17) across two blocks: more than a "
           "block.", obj + b"\x00" * 8 + b"\x11" * 17)
    blocks("padding-255", "The last byte is 0xFF.", obj + b" " * 8 + b"\xff")
    blocks("padding-inconsistent", "Pad 4 but the bytes are 03 04 04 04.",
           obj + b" " * 5 + b"\x03\x04\x04\x04")
    blocks("padding-two-as-01-02", "Pad 2 written 01 02.",
           obj + b" " * 7 + b"\x01\x02")
    blocks("padding-full-block-one-wrong", "A whole block of 0x10 with one "
           "byte 0x0f.", obj + b" " * 9 + b"\x10" * 7 + b"\x0f" +
           b"\x10" * 8)
    blocks("padding-none", "A 16-byte JSON plaintext encrypted without "
           "padding: its last byte '}' (0x7d) is not a pad.",
           b'{"a":"12345678"}')
    blocks("padding-17-single-block", "A single block of sixteen 0x11 "
           "bytes: the pad claims more bytes than the message has.",
           b"\x11" * 16)
    blocks("padding-ansi-x923", "ANSI X.923 padding (zeros then the count) "
           "is not PKCS#7.", obj + b"\x00" * 8 + b"\x09")
    blocks("padding-iso7816", "ISO/IEC 7816-4 padding (0x80 then zeros).",
           obj + b"\x80" + b"\x00" * 8)

    # -- every padding value; a wrong byte at every padding position ---------
    # A constant-time padding check has no branch on the pad bytes, so each
    # of these must end the same way as any other bad padding.
    def object_of(length: int) -> bytes:
        """A JSON object of exactly `length` bytes (at least 15)."""
        text = b'{"padding":"' + b"x" * (length - 14) + b'"}'
        assert len(text) == length and json.loads(text)
        return text

    for n in range(18):
        if 1 <= n <= 16:
            obj_n = object_of(32 - n)
            data = obj_n + bytes([n]) * n
            assert data == pkcs7(obj_n)
            a(f"padding-value-{n}", f"The last block ends in {n} bytes of "
              f"0x{n:02x}: valid PKCS#7, and the rest is a JSON object.",
              env(sp_encrypt(data, pad=False)), ok=json.loads(obj_n))
            for i in range(n):
                # One bit flipped; never into 0x01, which would be a
                # valid one-byte padding when it is the last byte.
                wrong = n ^ (1 << (i % 5))
                if wrong == 1:
                    wrong = n ^ 0x20
                bad_data = bytearray(data)
                bad_data[32 - n + i] = wrong
                blocks(f"padding-{n}-wrong-byte-{i + 1}", f"Padding of {n} "
                       f"bytes whose byte {i + 1} of {n} is 0x{wrong:02x} "
                       f"instead of 0x{n:02x}.", bytes(bad_data))
        elif n == 0:
            blocks("padding-value-0", "The last block ends in 0x00: no "
                   "PKCS#7 padding has length 0.", object_of(31) + b"\x00")
        else:
            blocks("padding-value-17", "The last 17 bytes are 0x11: longer "
                   "than a block.", object_of(15) + b"\x11" * 17)

    # -- the padding-oracle probe ---------------------------------------------
    # From a genuine callback C1..Cn the attacker sends C1..C(n-2) || X || Cn:
    # the last block decrypts to D(Cn) xor X, chosen by the attacker, and
    # the block before it to garbage.  Whether the padding of that last
    # block is valid must not show: with valid padding the plaintext is the
    # genuine prefix, a garbage block and a chosen tail, which is not JSON;
    # with invalid padding it fails earlier.  Both are DecryptionError.
    def probes(name: str, what: str, hex_text: str, key: str) -> None:
        kb = key.encode()
        ct = bytes.fromhex(hex_text)
        n = len(ct) // 16
        assert n >= 3 and len(ct) % 16 == 0
        c_prev = ct[-32:-16]
        inner = cbc_decrypt_raw(kb, bytes(16), ct[-16:])   # D(Cn)
        garbage = hashlib.sha256(b"payhook probe " + name.encode()).digest()
        for label, tail, valid in (
                ("valid-pad-1", garbage[:15] + b"\x01", True),
                ("valid-pad-2", garbage[:14] + b"\x02\x02", True),
                ("valid-pad-16", b"\x10" * 16, True),
                ("invalid-pad-0", garbage[:15] + b"\x00", False),
                ("invalid-pad-inconsistent", garbage[:14] + b"\x03\x02",
                 False),
                ("invalid-pad-17", garbage[:15] + b"\x11", False)):
            x = bytes(i ^ t for i, t in zip(inner, tail))
            assert x != c_prev
            probe = ct[:-32] + x + ct[-16:]
            pt = cbc_decrypt_raw(kb, md5(kb), probe)
            assert pt[-16:] == tail and pt[:-32] == \
                cbc_decrypt_raw(kb, md5(kb), ct)[:-32]
            a(f"probe-{name}-{label}", f"The padding-oracle probe on {what} "
              f"({n} blocks): C(n-1) replaced so that the last block "
              f"decrypts to {'valid' if valid else 'invalid'} padding "
              f"({tail[-2:].hex()} at its end). "
              + ("The padding passes and the plaintext, the genuine prefix "
                 "then garbage, is not JSON." if valid else
                 "The padding fails.") + " The same DecryptionError either "
              "way.", env(probe.hex()), key=key, error="DecryptionError",
              stage="json" if valid else "padding")
        # The attacker's first step: only the last byte of C(n-1) changed.
        p_last = cbc_decrypt_raw(kb, md5(kb), ct)[-1]
        for label, target, valid in (("valid", 0x01, True),
                                     ("invalid", 0x00, False)):
            x = c_prev[:15] + bytes([c_prev[15] ^ p_last ^ target])
            probe = ct[:-32] + x + ct[-16:]
            a(f"probe-{name}-last-byte-{label}", f"The probe on {what} "
              f"with only the last byte of C(n-1) changed, so that the "
              f"plaintext ends in 0x{target:02x}: the garbled block before "
              f"it " + ("leaves a valid one-byte padding and no JSON." if
                        valid else "does not matter, the padding fails.")
              + " DecryptionError.", env(probe.hex()), key=key,
              error="DecryptionError", stage="json" if valid else "padding")

    probes("payout", "a payout callback", h, SP_KEY)
    long_payout = sp_payout(recipient={
        "name": "Test Recipient " * 20, "phone": "0123456789",
        "email": "recipient@example.com", "methodType": "CIBBMYKL",
        "methodValue": "8000000001", "methodRef": "r" * 600})
    long_h = sp_encrypt(long_payout)
    assert 1100 <= len(long_h.plain) <= 1300, len(long_h.plain)
    probes("long-payout", "a 1.2 KB payout callback", long_h, SP_KEY)
    probes("vendor", "the vendor sample", SP_VENDOR_HEX, vk)

    # -- wrong keys ----------------------------------------------------------
    # A wrong key (and with it a wrong IV, MD5 of the key) decrypts to
    # noise, whose padding is valid about once in 256 keys: found by
    # counting up, so that both outcomes are covered.
    found: dict = {}
    for i in range(100000):
        wk = f"payhook-wrong-key-{i:014d}"
        assert len(wk) == 32
        noise = cbc_decrypt_raw(wk.encode(), md5(wk.encode()),
                                bytes.fromhex(h))
        valid = 1 <= noise[-1] <= 16 and \
            noise[-noise[-1]:] == bytes([noise[-1]]) * noise[-1]
        found.setdefault(valid, wk)
        if len(found) == 2:
            break
    a("key-wrong-padding-valid", "A wrong key under which the padding "
      "happens to be valid: the noise is not JSON. DecryptionError, as for "
      "any wrong key.", env(h), key=found[True], error="DecryptionError",
      stage="json")
    a("key-wrong-padding-invalid", "A wrong key under which the padding is "
      "invalid.", env(h), key=found[False], error="DecryptionError",
      stage="padding")
    near = SP_KEY[:-1] + chr(ord(SP_KEY[-1]) ^ 1)
    a("key-wrong-last-bit", "The right key with one bit of its last byte "
      "flipped.", env(h), key=near, error="DecryptionError")
    a("key-wrong-vendor-sample-bare", "The vendor sample as bare hex under "
      "another merchant's key.", SP_VENDOR_HEX, key=SP_KEY_2,
      error="DecryptionError")

    # -- tampering ------------------------------------------------------------
    ct = bytes.fromhex(h)
    flipped = ct[:-1] + bytes([ct[-1] ^ 0x01])
    a("tamper-last-byte", "One bit of the last ciphertext byte flipped.",
      env(flipped.hex()), error="DecryptionError")
    a("tamper-truncated-block", "The last ciphertext block removed.",
      env(ct[:-16].hex()), error="DecryptionError")
    a("tamper-extra-block", "A block of zeros appended.",
      env((ct + bytes(16)).hex()), error="DecryptionError")
    first = bytes([ct[0] ^ 0x01]) + ct[1:]
    a("tamper-first-byte", "One bit of the first ciphertext byte flipped: "
      "the first plaintext block is garbled.", env(first.hex()),
      error="DecryptionError")
    zero_iv = sp_encrypt(sp_payout(), iv=bytes(16))
    a("iv-zero-at-encryption", "Encrypted with a zero IV instead of "
      "MD5(key): the first block decrypts to garbage.", env(zero_iv),
      error="DecryptionError")

    # -- hex errors -------------------------------------------------------------
    for vid, body, why, stage in (
            ("hex-odd-length", env(h[:-1]), "odd-length hex", "hex"),
            ("hex-non-hex-char", env(h[:10] + "g" + h[11:]),
             "a 'g' among the hex digits", "hex"),
            ("hex-0x-prefix", env("0x" + h), "hex with a 0x prefix", "hex"),
            ("hex-inner-space", env(h[:32] + " " + h[32:]),
             "a space inside the hex", "hex"),
            ("hex-inner-whitespace-in-string", env(" " + h + "\n"),
             "whitespace inside the JSON string around the hex (only the "
             "body is trimmed)", "hex"),
            ("hex-colons", env(":".join(h[i:i + 2]
                                        for i in range(0, 64, 2))),
             "hex bytes separated by colons", "hex"),
            ("hex-base64", env(base64.b64encode(ct).decode()),
             "the ciphertext in base64 instead of hex", "hex"),
            ("hex-empty-string", env(""), "an empty encryptedData", "hex"),
            ("hex-15-bytes", env(h[:30]), "15 bytes", "length"),
            ("hex-17-bytes", env(h[:34]), "17 bytes", "length"),
            ("hex-31-bytes", env(h[:62]), "31 bytes", "length"),
            ("body-empty", "", "an empty body (bare hex of length 0)", "hex"),
            ("body-whitespace-only", " \r\n", "only whitespace", "hex"),
            ("body-json-array", json.dumps([str(h)]),
             "a JSON array: not an envelope, so taken as bare hex", "hex"),
            ("body-json-string", json.dumps(str(h)),
             "a JSON string: taken as bare hex with quotes", "hex"),
            ("body-bom-envelope", "\ufeff" + env(h),
             "an envelope after a byte order mark (not whitespace: bare hex)",
             "hex"),
            ("body-whitespace-bom-envelope", "\r\n\ufeff" + env(h),
             "whitespace, a byte order mark, then the envelope", "hex"),
            ("body-bom-bare-hex", "\ufeff" + h,
             "a byte order mark before bare hex", "hex"),
            ("hex-bom-in-string", env("\ufeff" + h),
             "a byte order mark inside encryptedData before the hex", "hex"),
            ("body-form-encoded", "encryptedData=" + h, "form-encoded",
             "hex")):
        a(vid, f"Once the body is taken as ciphertext, every failure is "
          f"DecryptionError; here: {why}.", body, error="DecryptionError",
          stage=stage)

    # -- plaintext errors --------------------------------------------------------
    for vid, pt, why, stage in (
            ("plaintext-not-json", b"Success", "plain text", "json"),
            ("plaintext-array", b'[{"a":1}]', "a JSON array", "object"),
            ("plaintext-string", b'"Success"', "a JSON string", "object"),
            ("plaintext-number", b"42", "a JSON number", "object"),
            ("plaintext-null", b"null", "JSON null", "object"),
            ("plaintext-empty", b"", "empty (the ciphertext is one block of "
             "padding)", "json"),
            ("plaintext-bom", b'\xef\xbb\xbf{"a":1}', "UTF-8 with a byte "
             "order mark", "json"),
            ("plaintext-bom-payout", BOM + compact(sp_payout()), "a payout "
             "callback after a byte order mark", "json"),
            ("plaintext-bom-only", BOM, "only a byte order mark", "json"),
            ("plaintext-whitespace-then-bom", b' \xef\xbb\xbf{"a":1}',
             "a byte order mark after leading whitespace", "json"),
            ("plaintext-bom-after-object", b'{"a":1}\xef\xbb\xbf', "an "
             "object followed by a byte order mark", "json"),
            ("plaintext-not-utf8", b'{"a":"\xff"}', "not UTF-8", "json"),
            ("plaintext-lone-surrogate", b'{"a":"\\udc00"}', "a lone "
             "surrogate escape", "json"),
            ("plaintext-nan", b'{"a":NaN}', "NaN", "json"),
            ("plaintext-trailing-comma", b'{"a":1,}', "a trailing comma",
             "json"),
            ("plaintext-trailing-garbage", b'{"a":1}xyz', "followed by text",
             "json"),
            ("plaintext-raw-control", b'{"a":"\x01"}', "a raw control "
             "character", "json"),
            ("plaintext-depth-129", depth_arrays(129).encode(), "nested 129 "
             "deep", "json"),
            ("plaintext-utf16", '{"a":1}'.encode("utf-16-le"), "UTF-16",
             "json")):
        a(vid, f"The plaintext must be a strict JSON object; it is {why}. "
          "Reported as DecryptionError like a padding failure.",
          env(sp_encrypt(pt)), error="DecryptionError", stage=stage)

    # -- envelope errors ----------------------------------------------------------
    for vid, body, why in (
            ("envelope-missing", '{"data":"%s"}' % h, "no encryptedData"),
            ("envelope-wrong-case", '{"encrypteddata":"%s"}' % h,
             "\"encrypteddata\" (case-sensitive)"),
            ("envelope-number", '{"encryptedData":1234}',
             "encryptedData a number"),
            ("envelope-null", '{"encryptedData":null}', "encryptedData null"),
            ("envelope-object", '{"encryptedData":{"hex":"%s"}}' % h,
             "encryptedData an object"),
            ("envelope-array", '{"encryptedData":["%s"]}' % h,
             "encryptedData an array"),
            ("envelope-duplicate", '{"encryptedData":"%s",'
             '"encryptedData":"%s"}' % (h, h), "encryptedData twice"),
            ("envelope-duplicate-escaped", '{"encryptedData":"%s",'
             '"\\u0065ncryptedData":"%s"}' % (h, h),
             "encryptedData twice, once escaped"),
            ("envelope-truncated", '{"encryptedData":"%s"' % h,
             "truncated JSON"),
            ("envelope-trailing-comma", '{"encryptedData":"%s",}' % h,
             "a trailing comma"),
            ("envelope-trailing-garbage", '{"encryptedData":"%s"}}' % h,
             "an extra '}'"),
            ("envelope-single-quotes", "{'encryptedData':'%s'}" % h,
             "single quotes"),
            ("envelope-lone-surrogate", '{"encryptedData":"%s",'
             '"x":"\\ud800"}' % h, "a lone surrogate in another member"),
            ("envelope-not-utf8", b'{"encryptedData":"' + h.encode() +
             b'","x":"\xc3"}', "a truncated UTF-8 sequence"),
            ("envelope-depth-129", '{"encryptedData":"%s","x":%s}' % (
                h, "[" * 128 + "]" * 128), "nested 129 deep"),
            ("envelope-nested-only", '{"body":{"encryptedData":"%s"}}' % h,
             "encryptedData only in a nested object")):
        a(vid, f"A body starting with '{{' must be a JSON object with one "
          f"string member encryptedData; this one has {why}.", body,
          error="DecodeError")

    # -- size -----------------------------------------------------------------
    body = env(h)
    n = len(body)
    a("max-bytes-exact", "The body is exactly max_bytes long.", body,
      options={"max_bytes": n}, ok=json.loads(h.plain))
    a("max-bytes-one-over", "The body is one byte over max_bytes.", body,
      options={"max_bytes": n - 1}, error="PayloadTooLargeError")
    a("max-bytes-counts-whitespace", "Surrounding whitespace counts.",
      " " + body, options={"max_bytes": n}, error="PayloadTooLargeError")
    a("max-bytes-before-decryption", "Over the limit with bad hex: the size "
      "is checked first.", "zz" * 64, options={"max_bytes": 100},
      error="PayloadTooLargeError")
    return f


# ---------------------------------------------------------------------------
# superpay_decrypt.json


def build_decrypt() -> VectorFile:
    f = VectorFile(
        "superpay_decrypt.json", "superpay.decrypt", SP_KEY,
        "superpay.decrypt(data_hex, key, iv): raw AES-256-CBC with PKCS#7 "
        "on hex text, no envelope, no trimming, no JSON. iv defaults to "
        "MD5(key). The Wycheproof AES-CBC file covers the primitive "
        "further.")
    a = f.add
    vk = SP_VENDOR_KEY.encode()
    vendor_pt = cbc_decrypt_raw(vk, md5(vk), bytes.fromhex(SP_VENDOR_HEX))
    vendor_pt = vendor_pt[:-vendor_pt[-1]]
    a("vendor-default-iv", "The vendor sample with the default IV MD5(key).",
      SP_VENDOR_HEX, key=SP_VENDOR_KEY, plaintext=vendor_pt)
    a("vendor-explicit-iv", "The same with iv given explicitly as MD5(key).",
      SP_VENDOR_HEX, key=SP_VENDOR_KEY, iv=md5(vk), plaintext=vendor_pt)
    a("vendor-uppercase-hex", "Upper-case hex.", SP_VENDOR_HEX.upper(),
      key=SP_VENDOR_KEY, plaintext=vendor_pt)
    zero = cbc_decrypt_raw(vk, bytes(16), bytes.fromhex(SP_VENDOR_HEX))
    zero = zero[:-zero[-1]]
    assert zero[16:] == vendor_pt[16:] and zero[:16] != vendor_pt[:16]
    a("vendor-zero-iv", "A wrong (zero) IV garbles only the first block; "
      "the padding still checks out, so the raw primitive returns it (CBC "
      "alone does not detect this).", SP_VENDOR_HEX, key=SP_VENDOR_KEY,
      iv=bytes(16), plaintext=zero)
    a("bom-plaintext-kept", "The raw primitive does not look at the "
      "plaintext: a leading byte order mark is returned as it is.",
      sp_encrypt(BOM + b'{"a":1}'), plaintext=BOM + b'{"a":1}')
    binary = bytes(range(256))
    a("binary-plaintext", "The raw primitive returns any bytes, JSON or "
      "not.", sp_encrypt(binary), plaintext=binary)
    a("empty-plaintext", "One block of 0x10 padding decrypts to empty "
      "bytes.", sp_encrypt(b""), plaintext=b"")
    iv = bytes(range(16))
    h = Hex(cbc_encrypt_raw(SP_KEY.encode(), iv, pkcs7(b"payhook")).hex())
    a("explicit-iv", "An explicit IV that is not MD5(key).", h, iv=iv,
      plaintext=b"payhook")
    good = sp_encrypt(b"payhook raw primitive")
    a("padding-bad", "A last byte of 0x00.",
      sp_encrypt(b"abcdefghijklmno\x00", pad=False), error="DecryptionError",
      stage="padding")
    a("padding-inconsistent", "Pad 3 written 02 03 03.",
      sp_encrypt(b"abcdefghijklm\x02\x03\x03", pad=False),
      error="DecryptionError", stage="padding")
    a("length-15-bytes", "15 bytes of ciphertext.", good[:30],
      error="DecryptionError", stage="length")
    a("empty", "No ciphertext at all.", "", error="DecryptionError",
      stage="hex")
    a("odd-hex", "Odd-length hex.", good[:-1], error="DecryptionError",
      stage="hex")
    a("non-hex", "A non-hex character.", "x" + good[1:],
      error="DecryptionError", stage="hex")
    a("no-trimming", "The raw primitive does not trim whitespace.",
      " " + good, error="DecryptionError", stage="hex")
    a("wrong-key", "Another 32-byte key.", good, key=SP_KEY_2,
      error="DecryptionError")
    a("key-31-bytes", "A 31-byte key.", good, key=SP_KEY[:31],
      error="InvalidKeyError")
    a("key-33-bytes", "A 33-byte key.", good, key=SP_KEY + "!",
      error="InvalidKeyError")
    a("iv-15-bytes", "An IV that is not 16 bytes is refused like a bad key.",
      good, iv=bytes(15), error="InvalidKeyError")
    return f


# ---------------------------------------------------------------------------
# Reading vectors back, running the model


def inputs(v: dict) -> tuple:
    i = v["input"]
    body = i["body"].encode("utf-8") if "body" in i else \
        bytes.fromhex(i["body_hex"])
    if "keys" in i:
        keys = [k.encode("utf-8") for k in i["keys"]]
    elif "key" in i:
        keys = [i["key"].encode("utf-8")]
    else:
        keys = [bytes.fromhex(i["key_hex"])]
    iv = bytes.fromhex(i["iv_hex"]) if "iv_hex" in i else None
    return body, keys, iv, dict(i.get("options", {}))


def run_model(v: dict) -> dict:
    body, keys, iv, o = inputs(v)
    fn = v["function"]
    try:
        if fn == "jwt.decode":
            return {"payload": model_jwt(body, keys, o)}
        if fn == "leanx.decode":
            return {"payload": model_leanx(body, keys, o)}
        if fn == "superpay.decode":
            return {"payload": model_superpay(body, keys[0], o)}
        return {"plaintext_hex": model_decrypt(body, keys[0], iv).hex()}
    except Fail as e:
        return {"error": e.kind, "stage": e.stage}


def same_json(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 and True from 1."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same_json, a, b))
    if isinstance(a, float) and a == 0.0:
        return math.copysign(1, a) == math.copysign(1, b)
    return a == b


# ---------------------------------------------------------------------------
# PyJWT cross-check

# PyJWT's own outcome for vectors where payhook deliberately differs, and
# why.  The generator fails if PyJWT's outcome changes or an entry is stale.
R_SIZE = "payhook's max_bytes limit; PyJWT has none"
R_KEY_FIRST = ("payhook checks the key before the input; PyJWT reads the "
               "token first")
R_PAD = "payhook's base64url takes no '=' padding; PyJWT accepts it"
R_HDR_DUP = "payhook rejects duplicate header names; PyJWT keeps the last"
R_HDR_EXT = ("payhook refuses crit, b64 and enc outright; PyJWT accepts "
             "b64 true, ignores enc and treats crit itself")
R_HDR_EXT_CLASS = ("payhook reports crit as DecodeError; PyJWT raises its "
                   "base InvalidTokenError")
R_KEY_LIST = ("payhook refuses a key list that holds an empty key; PyJWT "
              "takes one key (emulated here by trying each in turn, and the "
              "first one matches)")
R_KID = ("payhook reports a non-string kid as DecodeError; PyJWT raises its "
         "base InvalidTokenError")
R_JSON = ("payhook's JSON is strict RFC 8259 (no BOM, no UTF-16, no "
          "NaN/Infinity, no lone surrogates, escaped or UTF-8-encoded, "
          "nesting <= 128, number literals <= 4300 characters besides a "
          "leading '-'); PyJWT uses "
          "json.loads, which decodes bytes with 'surrogatepass'")
R_TIME_TYPE = ("payhook requires exp/nbf/iat to be JSON numbers; PyJWT "
               "applies int(), which takes numeric strings and booleans")

PYJWT_DIFFERENCES: dict = {
    "jwt/max-bytes-one-over": ("ok", R_SIZE),
    "jwt/max-bytes-counts-whitespace": ("DecodeError", R_SIZE),
    "jwt/max-bytes-before-parsing": ("DecodeError", R_SIZE),
    "jwt/max-bytes-before-signature": ("InvalidSignatureError", R_SIZE),
    "jwt/key-empty-before-parsing": ("DecodeError", R_KEY_FIRST),
    "jwt/key-empty-before-size": ("DecodeError", R_KEY_FIRST),
    "jwt/b64-header-padding": ("ok", R_PAD),
    "jwt/b64-payload-padding": ("ok", R_PAD),
    "jwt/b64-signature-padding": ("ok", R_PAD),
    "jwt/header-duplicate-alg-none-first": ("ok", R_HDR_DUP),
    "jwt/header-duplicate-alg-none-last": ("InvalidAlgorithmError",
                                           R_HDR_DUP),
    "jwt/header-duplicate-alg-same": ("ok", R_HDR_DUP),
    "jwt/header-duplicate-typ": ("ok", R_HDR_DUP),
    "jwt/header-duplicate-escaped-name": ("ok", R_HDR_DUP),
    "jwt/header-crit-b64": ("ok", R_HDR_EXT),
    "jwt/header-b64-true": ("ok", R_HDR_EXT),
    "jwt/header-enc": ("ok", R_HDR_EXT),
    "jwt/header-crit-exp": ("InvalidTokenError", R_HDR_EXT_CLASS),
    "jwt/header-crit-empty": ("InvalidTokenError", R_HDR_EXT_CLASS),
    "jwt/header-kid-number": ("InvalidTokenError", R_KID),
    "jwt/header-kid-null": ("InvalidTokenError", R_KID),
    "jwt/header-kid-object": ("InvalidTokenError", R_KID),
    "jwt/header-bom": ("ok", R_JSON),
    "jwt/header-nan-member": ("ok", R_JSON),
    "jwt/payload-nan": ("ok", R_JSON),
    "jwt/payload-infinity": ("ok", R_JSON),
    "jwt/payload-negative-infinity": ("ok", R_JSON),
    "jwt/payload-bom": ("ok", R_JSON),
    "jwt/payload-utf16le": ("ok", R_JSON),
    "jwt/payload-utf16-bom": ("ok", R_JSON),
    "jwt/payload-lone-high-surrogate": ("ok", R_JSON),
    "jwt/payload-lone-low-surrogate": ("ok", R_JSON),
    "jwt/payload-reversed-surrogates": ("ok", R_JSON),
    "jwt/payload-high-surrogate-then-ascii": ("ok", R_JSON),
    "jwt/payload-high-surrogate-then-escape": ("ok", R_JSON),
    "jwt/payload-lone-surrogate-in-name": ("ok", R_JSON),
    "jwt/payload-utf8-encoded-surrogate": ("ok", R_JSON),
    "jwt/payload-float-4301-chars": ("ok", R_JSON),
    "jwt/payload-negative-float-4302-chars": ("ok", R_JSON),
    "jwt/payload-float-exponent-sign-counted": ("ok", R_JSON),
    "jwt/payload-depth-129-arrays": ("ok", R_JSON),
    "jwt/payload-depth-129-objects": ("ok", R_JSON),
    "jwt/exp-numeric-string": ("ok", R_TIME_TYPE),
    "jwt/exp-true": ("ExpiredSignatureError", R_TIME_TYPE),
    "jwt/exp-false": ("ExpiredSignatureError", R_TIME_TYPE),
    "jwt/nbf-numeric-string": ("ok", R_TIME_TYPE),
    "jwt/nbf-true": ("ok", R_TIME_TYPE),
    "jwt/iat-numeric-string": ("ok", R_TIME_TYPE),
    "jwt/iat-true": ("ok", R_TIME_TYPE),
    "jwt/keys-list-with-empty": ("ok", R_KEY_LIST),
    "leanx/rotation-with-empty-key": ("ok", R_KEY_LIST),
    "leanx/payload-bom": ("ok", R_JSON),
    "leanx/payload-lone-surrogate": ("ok", R_JSON),
    "leanx/max-bytes-one-over": ("ok", R_SIZE),
    "leanx/max-bytes-counts-whitespace": ("ok", R_SIZE),
}

# Vectors PyJWT cannot judge at all, by reason.
NOT_JUDGED_ENVELOPE = "the failure is in the LeanX envelope, which PyJWT " \
                      "does not read"


class _PinnedClock(_dt.datetime):
    """Stands in for datetime in jwt.api_jwt so that now() is fixed."""

    pinned: float | None = None

    @classmethod
    def now(cls, tz=None):  # noqa: D102 - same contract as datetime.now
        if cls.pinned is None:
            return _dt.datetime.now(tz)
        return _dt.datetime.fromtimestamp(cls.pinned, tz)


def pyjwt_outcome(jwt_mod: Any, tok: bytes, keys: list, o: dict) -> tuple:
    """("ok", payload) or ("error", exception class name)."""
    kw: dict = {"algorithms": o.get("algorithms", ["HS256"]),
                "leeway": o.get("leeway", 0)}
    for name in ("audience", "issuer", "subject"):
        if name in o:
            kw[name] = o[name]
    opts = {k: o[k] for k in ("require", "verify_exp", "verify_nbf",
                              "verify_iat", "verify_aud", "verify_iss",
                              "strict_aud") if k in o}
    if opts:
        kw["options"] = opts
    _PinnedClock.pinned = o.get("now")
    last = "InvalidSignatureError"
    with mock.patch.object(jwt_mod.api_jwt, "datetime", _PinnedClock), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in keys:
            try:
                return ("ok", jwt_mod.decode(tok, key, **kw))
            except jwt_mod.InvalidSignatureError:
                continue                    # rotation: try the next key
            except Exception as e:          # noqa: BLE001 - class is compared
                return ("error", type(e).__name__)
    return ("error", last)


def pyjwt_self_test(jwt_mod: Any) -> None:
    """The pinned clock must really drive PyJWT's claim checks."""
    key = b"payhook-clock-check"
    for exp, want in ((NOW + 1, "ok"), (NOW, "ExpiredSignatureError")):
        tok = token({"exp": exp}, key=key).encode()
        got = pyjwt_outcome(jwt_mod, tok, [key], {"now": NOW})
        assert got[0] == want or got[1] == want, (exp, got)
    tok = token({"nbf": NOW + 1}, key=key).encode()
    got = pyjwt_outcome(jwt_mod, tok, [key], {"now": NOW + 1.5})
    assert got[0] == "ok", got


def cross_check_pyjwt(files: list, report: list) -> dict:
    import jwt as jwt_mod                   # PyJWT, for checking only
    assert int(jwt_mod.__version__.split(".")[0]) == 2, jwt_mod.__version__
    pyjwt_self_test(jwt_mod)
    used = set()
    problems: list = []
    stats = {"agree": 0, "differ": 0, "not_judged": 0}
    for name, vectors in files:
        prefix = name.split(".")[0]
        for v in vectors:
            if v["function"] not in ("jwt.decode", "leanx.decode"):
                continue
            body, keys, _, o = inputs(v)
            tok = body
            if v["function"] == "leanx.decode":
                try:
                    tok = leanx_token(body)
                except Fail:
                    stats["not_judged"] += 1
                    continue
            got = pyjwt_outcome(jwt_mod, tok, keys, o)
            exp = v["expect"]
            agree = (got[0] == "ok" and "payload" in exp and
                     same_json(plain(got[1]), exp["payload"])) or \
                    (got[0] == "error" and exp.get("error") == got[1])
            vid = f"{prefix}/{v['id']}"
            seen = "ok" if got[0] == "ok" else got[1]
            if agree:
                if vid in PYJWT_DIFFERENCES:
                    problems.append(f"{vid}: PyJWT agrees ({seen}); remove "
                                    "it from PYJWT_DIFFERENCES")
                stats["agree"] += 1
                continue
            if vid not in PYJWT_DIFFERENCES:
                problems.append(f"{vid}: PyJWT gives {seen}, the vector "
                                f"expects {exp.get('error', 'a payload')}")
                continue
            want, reason = PYJWT_DIFFERENCES[vid]
            if seen != want:
                problems.append(f"{vid}: PyJWT now gives {seen}, not {want}")
            used.add(vid)
            stats["differ"] += 1
            report.append((vid, exp.get("error", "ok"), seen, reason))
    problems += [f"{vid}: stale PYJWT_DIFFERENCES entry"
                 for vid in sorted(set(PYJWT_DIFFERENCES) - used)
                 if not any(p.startswith(vid + ":") for p in problems)]
    if problems:
        raise AssertionError("PyJWT cross-check:\n  " +
                             "\n  ".join(problems))
    return stats


# ---------------------------------------------------------------------------
# cryptography cross-check


def cross_check_cryptography(files: list) -> int:
    checked = 0
    for _, vectors in files:
        for v in vectors:
            fn = v["function"]
            if fn not in ("superpay.decode", "superpay.decrypt"):
                continue
            body, keys, iv, o = inputs(v)
            key = keys[0]
            exp = v["expect"]
            if exp.get("error") in ("InvalidKeyError", "PayloadTooLargeError",
                                    "DecodeError"):
                continue                    # decided before any cipher work
            try:
                hex_text = superpay_hex(body) if fn == "superpay.decode" \
                    else body
            except Fail:
                raise AssertionError(f"{v['id']}: envelope fails but the "
                                     f"vector expects {exp}") from None
            stage, result = "hex", None
            try:
                text = hex_text.decode("ascii")
                if not text or re.search(r"[^0-9a-fA-F]", text):
                    raise ValueError("not hex")
                ct = binascii.unhexlify(text)
                stage = "length"
                dec = Cipher(algorithms.AES(key), modes.CBC(
                    md5(key) if iv is None else iv)).decryptor()
                padded = dec.update(ct) + dec.finalize()
                stage = "padding"
                unpadder = _padding.PKCS7(128).unpadder()
                pt = unpadder.update(padded) + unpadder.finalize()
                stage = "done"
                if fn == "superpay.decrypt":
                    result = {"plaintext_hex": pt.hex()}
                else:
                    stage = "json"
                    value = strict_json(pt)
                    stage = "object"
                    if not isinstance(value, dict):
                        raise ValueError("not an object")
                    result = {"payload": plain(value)}
            except (ValueError, UnicodeDecodeError, Fail):
                result = {"error": "DecryptionError", "stage": stage}
            if "error" in exp:
                assert result.get("error") == exp["error"], (v["id"], result)
            elif "payload" in exp:
                assert same_json(result.get("payload"), exp["payload"]), \
                    v["id"]
            else:
                assert result == exp, (v["id"], result)
            v["_crypto_stage"] = result.get("stage")
            checked += 1
    return checked


# ---------------------------------------------------------------------------
# Main


def lint(files: list, stages: dict) -> None:
    seen = set()
    for name, vectors in files:
        for v in vectors:
            vid = v["id"]
            assert (name, vid) not in seen, f"duplicate id {name}/{vid}"
            seen.add((name, vid))
            assert set(v) == {"id", "comment", "function", "input",
                              "expect"}, vid
            fn = v["function"]
            i = v["input"]
            assert ("body" in i) != ("body_hex" in i), vid
            assert sum(k in i for k in ("key", "key_hex", "keys")) == 1, vid
            assert "keys" not in i or fn in ("jwt.decode", "leanx.decode")
            assert "iv_hex" not in i or fn == "superpay.decrypt", vid
            assert set(i.get("options", {})) <= OPTIONS_BY_FUNCTION[fn], vid
            (kind, value), = v["expect"].items()
            assert kind in ("payload", "plaintext_hex", "error"), vid
            assert kind != "error" or value in ERROR_KINDS, vid
            assert kind != "plaintext_hex" or fn == "superpay.decrypt", vid
            if fn in ("jwt.decode", "leanx.decode"):
                p = loose_payload(fn, inputs(v)[0])
                if isinstance(p, dict) and {"exp", "nbf", "iat"} & set(p):
                    assert "now" in i.get("options", {}), vid
            want = stages.get((name, vid))
            try:
                model = run_model(v)
            except Ambiguous as e:
                raise AssertionError(f"{name}/{vid}: {e}") from None
            assert want is None or model.get("stage") == want, \
                (name, vid, model, want)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if a file would change")
    ap.add_argument("--report", action="store_true",
                    help="print the vectors on which PyJWT differs")
    args = ap.parse_args()

    if RFC_SHARED_FILE.exists():            # the RFC constants, re-checked
        shared = {v["id"]: v for v in
                  json.loads(RFC_SHARED_FILE.read_text())["vectors"]}
        assert shared["rfc7515-A.1"]["token"] == RFC7515_A1_TOKEN
        assert shared["rfc7515-A.1"]["key_b64url"] == RFC7515_A1_KEY_B64
        assert shared["rfc7520-4.4"]["token"] == RFC7520_44_TOKEN
        assert shared["rfc7520-4.4"]["key_b64url"] == RFC7520_44_KEY_B64
    for k in (SP_KEY, SP_KEY_2, SP_VENDOR_KEY):
        assert len(k.encode()) == 32, k
    assert len(LEANX_KEY) == 128
    probe = _padding.PKCS7(128).padder()    # our PKCS#7 matches theirs
    assert probe.update(b"abc") + probe.finalize() == pkcs7(b"abc")

    built = [build_jwt(), build_leanx(), build_superpay(), build_decrypt()]
    texts = {f.name: f.text() for f in built}
    stages = {(f.name, vid): s for f in built for vid, s in f.stages.items()}
    files = [(name, json.loads(text)["vectors"])
             for name, text in texts.items()]

    # 1. the reference model must give every expectation exactly
    lint(files, stages)
    for name, vectors in files:
        for v in vectors:
            try:
                got = run_model(v)
            except Ambiguous as e:
                raise AssertionError(f"{name}/{v['id']}: {e}") from None
            got.pop("stage", None)
            exp = v["expect"]
            ok = same_json(got.get("payload"), exp["payload"]) \
                if "payload" in exp else got == exp
            assert ok, f"{name}/{v['id']}: model {got} != expected {exp}"

    # 2. PyJWT, 3. cryptography
    report: list = []
    stats = cross_check_pyjwt(files, report)
    crypto = cross_check_cryptography(files)
    for name, vectors in files:
        for v in vectors:
            want = stages.get((name, v["id"]))
            if want in ("hex", "length", "padding") and "_crypto_stage" in v:
                assert v["_crypto_stage"] == want, (v["id"], v["_crypto_stage"])
            if want in ("json", "object"):
                assert v.get("_crypto_stage") in ("json", "object"), v["id"]

    for name, text in texts.items():
        assert len(text.encode()) < 1_000_000, name
    stale = []
    for name, text in texts.items():
        path = HERE / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    total = sum(len(v) for _, v in files)
    for name, vectors in files:
        print(f"{name}: {len(vectors)} vectors")
    print(f"total: {total}; PyJWT agrees on {stats['agree']}, differs "
          f"deliberately on {stats['differ']}, cannot judge "
          f"{stats['not_judged']} ({NOT_JUDGED_ENVELOPE}); cryptography "
          f"checked {crypto}")
    if args.report:
        for vid, ours, theirs, reason in report:
            print(f"  {vid}: payhook {ours}, PyJWT {theirs}: {reason}")
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
