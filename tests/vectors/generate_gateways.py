#!/usr/bin/env python3
"""Write the shared test vectors for the gateway verifiers.

    python3 tests/vectors/generate_gateways.py           # (re)write the files
    python3 tests/vectors/generate_gateways.py --check   # exit 1 if stale

The files are twoc2p.json, standardwebhooks.json, stripe.json,
razorpay.json, chip.json and chip_send.json; GATEWAY_VECTORS.md describes
them.  Only the standard library and `cryptography` make them, from fixed
secrets, the fixed RSA keys in keys/, fixed payloads and a fixed clock
(NOW), so every run writes the same bytes.

Before anything is written, every vector, as it reads back from its JSON
text, is run through the reference model below: a short, plain statement
of what payhook's gateway verifiers do, written from the gateway facts in
../shared/providers/GATEWAYS.md and not from payhook.  It must give every
expectation exactly, and it refuses a vector whose outcome would depend on
an order of checks the semantics leave open.

tests/python/test_gateway_sdks.py then asks each gateway's official SDK
about every vector.  SDK_DIFFERENCES (at the end of this file) lists the
vectors on which an SDK decides otherwise, with the outcome it gives and
the reason payhook differs; the test fails if a listed outcome is not what
the SDK really does, and this generator fails if an entry names no vector
or is no difference at all.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import math
import pathlib
import re
import sys
from typing import Any, Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding

HERE = pathlib.Path(__file__).resolve().parent
KEY_DIR = HERE / "keys"

# ---------------------------------------------------------------------------
# Fixed parameters (the semantics' limits and defaults)

NOW = 1_700_000_000                 # 2023-11-14T22:13:20Z, the pinned clock
DEFAULT_MAX_BYTES = 1 << 20
DEFAULT_TOLERANCE = 300
MAX_KEYS = 16
MAX_ENTRIES = 32                    # webhook-signature entries, Stripe items
MAX_DEPTH = 128
MAX_NUMBER_CHARS = 4300
RSA_MIN_BITS, RSA_MAX_BITS = 2048, 16384

GATEWAYS = ("twoc2p", "standardwebhooks", "stripe", "razorpay", "chip",
            "chip_send")
OPTIONS = {
    "twoc2p": {"now", "max_bytes"},
    "standardwebhooks": {"now", "tolerance", "max_bytes"},
    "stripe": {"now", "tolerance", "max_bytes"},
    "razorpay": {"now", "max_bytes"},
    "chip": {"now", "max_bytes"},
    "chip_send": {"now", "max_bytes"},
}
ERROR_KINDS = {
    "InvalidKeyError", "PayloadTooLargeError", "DecodeError",
    "InvalidSignatureError", "InvalidAlgorithmError", "ExpiredSignatureError",
    "ImmatureSignatureError", "MissingSignatureError",
    "InvalidTimestampError",
}
# The SDKs tests/python/test_gateway_sdks.py asks, per gateway.
SDKS = {
    "twoc2p": ("pyjwt",),
    "standardwebhooks": ("standardwebhooks", "svix"),
    "stripe": ("stripe.construct_event", "stripe.verify_header"),
    "razorpay": ("razorpay",),
    "chip": ("cryptography",),
    "chip_send": ("cryptography",),
}

# ---------------------------------------------------------------------------
# Small helpers


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def derive(label: str, n: int) -> bytes:
    """n fixed bytes named by label (SHA-256 in counter mode)."""
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(f"payhook gateway vectors: {label} {i}"
                              .encode()).digest()
        i += 1
    return out[:n]


def first(make: Callable[[int], Any], pred: Callable[[Any], bool]) -> Any:
    """The first of make(0), make(1), ... that satisfies pred."""
    for i in range(10_000):
        value = make(i)
        if pred(value):
            return value
    raise AssertionError("no candidate found")


def compact(value: Any, ascii_only: bool = True) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_only,
                      allow_nan=False).encode("utf-8")


def pretty(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def flip(body: bytes, where: str) -> bytes:
    """The body with one ASCII byte changed (its lowest bit flipped)."""
    i = {"first": 0, "middle": len(body) // 2, "last": len(body) - 1}[where]
    assert body[i] < 0x80, "tamper an ASCII byte"
    return body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


_B64_CHARS = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
              "0123456789+/")


def noncanonical(text: str, alphabet: str = _B64_CHARS) -> str:
    """Base64 text with its unused trailing bit set: the same bytes to a
    lenient decoder, not the canonical text."""
    stripped = text.rstrip("=")
    pad = len(text) - len(stripped)
    unused = {1: 2, 2: 4}[pad if pad else (-len(stripped)) % 4]
    value = alphabet.index(stripped[-1])
    assert value & ((1 << unused) - 1) == 0
    return stripped[:-1] + alphabet[value | 1] + "=" * pad


def key_pem(name: str) -> str:
    return (KEY_DIR / name).read_text()


def private_key(name: str) -> Any:
    return serialization.load_pem_private_key((KEY_DIR / name).read_bytes(),
                                              password=None)


# ---------------------------------------------------------------------------
# The vector files


NOTHING = object()


class VectorFile:
    def __init__(self, gateway: str, description: str, key: str):
        self.gateway, self.description, self.key = gateway, description, key
        self.name = gateway + ".json"
        self.vectors: list = []

    def add(self, vid: str, comment: str, body: bytes, headers: list, *,
            key: str | None = None, keys: list | None = None,
            options: dict | None = None, ok: Any = NOTHING,
            event_id: str | None = None, timestamp: int | None = None,
            error: str | None = None) -> None:
        assert isinstance(body, bytes), vid
        assert (ok is NOTHING) != (error is None), vid
        inp: dict = {}
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or "\x00" in text:
            inp["body_hex"] = body.hex()
        else:
            inp["body"] = text
        inp["headers"] = [[n, v] for n, v in headers]
        if keys is not None:
            assert key is None, vid
            inp["keys"] = list(keys)
        else:
            inp["key"] = self.key if key is None else key
        inp["options"] = {"now": NOW, **(options or {})}
        if error is not None:
            expect: dict = {"error": error}
        else:
            expect = {"payload": ok, "event_id": event_id,
                      "timestamp": timestamp}
        self.vectors.append({"id": vid, "comment": comment,
                             "function": self.gateway + ".verify",
                             "input": inp, "expect": expect})

    def text(self) -> str:
        doc = {"description": self.description, "vectors": self.vectors}
        return json.dumps(doc, indent=1, ensure_ascii=True) + "\n"


# ===========================================================================
# The reference model
#
# model(vector) -> {"payload", "event_id", "timestamp"} or {"error": kind}.
# Checks run in this order: key form, body size, headers and signature
# syntax, authentication, timestamp window, payload.


class Fail(Exception):
    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class Ambiguous(Exception):
    """The outcome would depend on an order the semantics leave open."""


# -- strict JSON -------------------------------------------------------------


class _Obj(dict):
    """A JSON object; .names keeps every member name in order."""
    names: list


class _Int(int):
    literal: str


class _Float(float):
    literal: str


def _object(pairs: list) -> _Obj:
    obj = _Obj(pairs)                   # duplicates: the last one wins
    obj.names = [k for k, _ in pairs]
    return obj


def _number(cls: type, literal: str) -> Any:
    if len(literal) - literal.startswith("-") > MAX_NUMBER_CHARS:
        raise ValueError("number literal too long")
    value = cls(literal)
    value.literal = literal
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(data: bytes) -> Any:
    """RFC 8259 JSON in UTF-8 without a BOM, nesting <= 128, no lone
    surrogates; otherwise Fail(DecodeError)."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise Fail("DecodeError")
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_object,
                           parse_int=lambda s: _number(_Int, s),
                           parse_float=lambda s: _number(_Float, s),
                           parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise Fail("DecodeError") from None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise Fail("DecodeError")
            inner = list(item) + list(item.values()) \
                if isinstance(item, dict) else item
            stack.extend((x, depth + 1) for x in inner)
        elif isinstance(item, str) and \
                any(0xD800 <= ord(c) <= 0xDFFF for c in item):
            raise Fail("DecodeError")
    return value


def json_object(data: bytes) -> _Obj:
    value = strict_json(data)
    if not isinstance(value, dict):
        raise Fail("DecodeError")
    return value


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, _Int):
        return int(value)
    if isinstance(value, _Float):
        return float(value)
    return value


def event_id_of(obj: dict, names: tuple) -> str | None:
    """Top-level fields joined with ":": a string gives its text, a number
    its literal as written; anything else (or absent) gives None."""
    parts = []
    for name in names:
        value = obj.get(name)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, (_Int, _Float)):
            parts.append(value.literal)
        else:
            return None
    return ":".join(parts)


# -- encodings ---------------------------------------------------------------

_STD_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_URL_B64 = re.compile(r"[A-Za-z0-9_-]*")
_LOWER_HEX_64 = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"0|[1-9][0-9]{0,14}")


def std_b64(text: str) -> bytes | None:
    """Canonical, padded standard base64, or None."""
    if len(text) % 4 or not _STD_B64.fullmatch(text):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        return None
    return raw if b64(raw) == text else None


def url_b64(text: str) -> bytes:
    """Canonical, unpadded base64url, or Fail(DecodeError)."""
    if not _URL_B64.fullmatch(text) or len(text) % 4 == 1:
        raise Fail("DecodeError")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(raw) != text:
        raise Fail("DecodeError")
    return raw


def timestamp_text(text: str) -> str:
    if not _TIMESTAMP.fullmatch(text):
        raise Fail("DecodeError")
    return text


# -- common steps ------------------------------------------------------------


def keys_of(inp: dict, check: Callable[[str], Any]) -> list:
    keys = inp["keys"] if "keys" in inp else [inp["key"]]
    if not 1 <= len(keys) <= MAX_KEYS:
        raise Fail("InvalidKeyError")
    return [check(k) for k in keys]


def text_key(key: str) -> bytes:
    if key == "":
        raise Fail("InvalidKeyError")
    return key.encode("utf-8")


def check_size(body: bytes, o: dict) -> None:
    if len(body) > o.get("max_bytes", DEFAULT_MAX_BYTES):
        raise Fail("PayloadTooLargeError")


def headers_named(headers: list, name: str) -> list:
    return [v for n, v in headers if n.lower() == name]


def needed_headers(headers: list, parsers: dict) -> dict:
    """Each needed header (lower-case name -> parser), parsed.  Absent or
    empty is MissingSignatureError, repeated is DecodeError, and the
    parser raises DecodeError; two different kinds at once are left open
    by the semantics."""
    values, kinds = {}, set()
    for name, parse in parsers.items():
        found = headers_named(headers, name)
        try:
            if len(found) > 1:
                raise Fail("DecodeError")
            if not found or found[0] == "":
                raise Fail("MissingSignatureError")
            values[name] = parse(found[0])
        except Fail as e:
            kinds.add(e.kind)
    if len(kinds) > 1:
        raise Ambiguous(f"header problems of two kinds: {sorted(kinds)}")
    if kinds:
        raise Fail(kinds.pop())
    return values


def check_window(ts: int, o: dict) -> None:
    if abs(o["now"] - ts) > o.get("tolerance", DEFAULT_TOLERANCE):
        raise Fail("InvalidTimestampError")


# -- Standard Webhooks -------------------------------------------------------


def swh_secret(key: str) -> bytes:
    text = key[len("whsec_"):] if key.startswith("whsec_") else key
    raw = std_b64(text)
    if raw is None or not 24 <= len(raw) <= 64:
        raise Fail("InvalidKeyError")
    return raw


def swh_id(value: str) -> str:
    if not 1 <= len(value) <= 256 or \
            any(not 0x21 <= ord(c) <= 0x7E or c == "." for c in value):
        raise Fail("DecodeError")
    return value


def swh_signatures(value: str) -> list:
    entries = value.split(" ")
    if "" in entries or len(entries) > MAX_ENTRIES:
        raise Fail("DecodeError")
    macs = []
    for entry in entries:
        version, comma, sig = entry.partition(",")
        if not comma or not version:
            raise Fail("DecodeError")
        if version != "v1":
            continue
        raw = std_b64(sig)
        if raw is None or len(raw) != 32:
            raise Fail("DecodeError")
        macs.append(raw)
    return macs


def model_standardwebhooks(body: bytes, inp: dict, o: dict) -> tuple:
    secrets = keys_of(inp, swh_secret)
    check_size(body, o)
    h = needed_headers(inp["headers"], {
        "webhook-id": swh_id, "webhook-timestamp": timestamp_text,
        "webhook-signature": swh_signatures})
    msg_id, ts = h["webhook-id"], h["webhook-timestamp"]
    signed = f"{msg_id}.{ts}.".encode("ascii") + body
    if not any(hmac.compare_digest(hmac_sha256(s, signed), mac)
               for s in secrets for mac in h["webhook-signature"]):
        raise Fail("InvalidSignatureError")
    check_window(int(ts), o)
    return json_object(body), msg_id, int(ts)


# -- Stripe ------------------------------------------------------------------


def stripe_header(value: str) -> tuple:
    items = value.split(",")
    if len(items) > MAX_ENTRIES:
        raise Fail("DecodeError")
    times, macs = [], []
    for item in items:
        name, eq, val = item.partition("=")
        if not eq:
            raise Fail("DecodeError")
        if name == "t":
            times.append(val)
        elif name == "v1":
            if not _LOWER_HEX_64.fullmatch(val):
                raise Fail("DecodeError")
            macs.append(val)
    if len(times) != 1:
        raise Fail("DecodeError")
    return timestamp_text(times[0]), macs


def model_stripe(body: bytes, inp: dict, o: dict) -> tuple:
    secrets = keys_of(inp, text_key)
    check_size(body, o)
    ts, macs = needed_headers(inp["headers"],
                              {"stripe-signature": stripe_header}
                              )["stripe-signature"]
    signed = ts.encode("ascii") + b"." + body
    if not any(hmac.compare_digest(hmac_sha256(s, signed).hex(), mac)
               for s in secrets for mac in macs):
        raise Fail("InvalidSignatureError")
    check_window(int(ts), o)
    payload = json_object(body)
    return payload, event_id_of(payload, ("id",)), int(ts)


# -- Razorpay / Curlec -------------------------------------------------------


def razorpay_signature(value: str) -> str:
    if not _LOWER_HEX_64.fullmatch(value):
        raise Fail("DecodeError")
    return value


def model_razorpay(body: bytes, inp: dict, o: dict) -> tuple:
    secrets = keys_of(inp, text_key)
    check_size(body, o)
    ids = headers_named(inp["headers"], "x-razorpay-event-id")
    try:
        sig = needed_headers(inp["headers"], {
            "x-razorpay-signature": razorpay_signature
        })["x-razorpay-signature"]
    except Fail as e:
        if len(ids) > 1 and e.kind != "DecodeError":
            raise Ambiguous("repeated event id and a signature problem")
        raise
    if len(ids) > 1:
        raise Fail("DecodeError")
    if not any(hmac.compare_digest(hmac_sha256(s, body).hex(), sig)
               for s in secrets):
        raise Fail("InvalidSignatureError")
    return json_object(body), (ids[0] if ids and ids[0] else None), None


# -- CHIP Collect and CHIP Send ----------------------------------------------

_PEM = re.compile(r"-----BEGIN (PUBLIC KEY|RSA PUBLIC KEY)-----\n"
                  r"((?:[A-Za-z0-9+/=]{1,64}\n)+)"
                  r"-----END \1-----\n?")
_RSA_OID = bytes.fromhex("2a864886f70d010101")        # 1.2.840.113549.1.1.1
_DIGEST_INFO = {                                      # RFC 8017 section 9.2
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


def der_items(data: bytes) -> list:
    """The (tag, content) items of DER data, all of it."""
    items, pos = [], 0
    while pos < len(data):
        tag, length = data[pos], data[pos + 1]
        pos += 2
        if length & 0x80:
            n = length & 0x7F
            if not 1 <= n <= 4:
                raise ValueError("bad DER length")
            length = int.from_bytes(data[pos:pos + n], "big")
            pos += n
        if pos + length > len(data):
            raise ValueError("truncated DER")
        items.append((tag, data[pos:pos + length]))
        pos += length
    return items


def rsa_public_key(key: str) -> tuple:
    """(n, e) of a PEM RSA public key (SubjectPublicKeyInfo or PKCS#1) of
    2048..16384 bits, or Fail(InvalidKeyError)."""
    m = _PEM.fullmatch(key)
    if not m:
        raise Fail("InvalidKeyError")
    try:
        der = base64.b64decode(m.group(2).replace("\n", ""), validate=True)
        (tag, body), = der_items(der)
        assert tag == 0x30
        if m.group(1) == "PUBLIC KEY":
            (t1, alg), (t2, bits) = der_items(body)
            assert (t1, t2) == (0x30, 0x03) and bits[0] == 0
            assert der_items(alg)[0] == (0x06, _RSA_OID)
            (tag, body), = der_items(bits[1:])
            assert tag == 0x30
        (t1, n), (t2, e) = der_items(body)
        assert (t1, t2) == (0x02, 0x02)
        n, e = int.from_bytes(n, "big"), int.from_bytes(e, "big")
    except (ValueError, AssertionError, IndexError, binascii.Error):
        raise Fail("InvalidKeyError") from None
    if not RSA_MIN_BITS <= n.bit_length() <= RSA_MAX_BITS:
        raise Fail("InvalidKeyError")
    return n, e


def pkcs1_v15_verify(n: int, e: int, sig: bytes, msg: bytes,
                     digest: str) -> bool:
    k = (n.bit_length() + 7) // 8
    if len(sig) != k or int.from_bytes(sig, "big") >= n:
        return False
    em = pow(int.from_bytes(sig, "big"), e, n).to_bytes(k, "big")
    t = _DIGEST_INFO[digest] + hashlib.new(digest, msg).digest()
    return em == b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


def chip_signature(value: str) -> bytes:
    raw = std_b64(value)
    if raw is None:
        raise Fail("DecodeError")
    return raw


def model_chip_common(body: bytes, inp: dict, o: dict, digest: str) -> tuple:
    keys = keys_of(inp, rsa_public_key)
    check_size(body, o)
    sig = needed_headers(inp["headers"],
                         {"x-signature": chip_signature})["x-signature"]
    if not any(pkcs1_v15_verify(n, e, sig, body, digest) for n, e in keys):
        raise Fail("InvalidSignatureError")
    payload = json_object(body)
    return payload, event_id_of(payload, ("id", "status")), None


def model_chip(body: bytes, inp: dict, o: dict) -> tuple:
    return model_chip_common(body, inp, o, "sha256")


def model_chip_send(body: bytes, inp: dict, o: dict) -> tuple:
    return model_chip_common(body, inp, o, "sha512")


# -- 2C2P PGW v4 -------------------------------------------------------------


def twoc2p_claims(claims: dict, now: float) -> None:
    """exp, nbf and iat against now with no leeway (jwt.json's rules)."""
    kinds = set()
    for name in ("iat", "nbf", "exp"):
        if name not in claims:
            continue
        v = claims[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or \
                (isinstance(v, float) and not math.isfinite(v)):
            if name == "iat":
                raise Ambiguous("a non-numeric iat is InvalidIssuedAtError")
            kinds.add("DecodeError")
        elif name == "exp" and math.trunc(v) <= now:
            kinds.add("ExpiredSignatureError")
        elif name != "exp" and math.trunc(v) > now:
            kinds.add("ImmatureSignatureError")
    if len(kinds) > 1:
        raise Ambiguous(f"two claim failures: {sorted(kinds)}")
    if kinds:
        raise Fail(kinds.pop())


def model_twoc2p(body: bytes, inp: dict, o: dict) -> tuple:
    secrets = keys_of(inp, text_key)
    check_size(body, o)
    envelope = json_object(body)
    if envelope.names.count("payload") != 1 or \
            not isinstance(envelope["payload"], str):
        raise Fail("DecodeError")
    parts = envelope["payload"].split(".")
    if len(parts) != 3 or "" in parts:
        raise Fail("DecodeError")
    h, p, s = parts
    # The core's order (PyJWT's): every segment decoded, then the header
    # rules, the algorithm and the MAC.
    header = json_object(url_b64(h))
    raw = url_b64(p)
    sig = url_b64(s)
    if len(set(header.names)) != len(header.names) or \
            {"crit", "b64", "enc"} & set(header.names) or \
            ("kid" in header and not isinstance(header["kid"], str)):
        raise Fail("DecodeError")
    if header.get("alg") != "HS256":
        raise Fail("InvalidAlgorithmError")
    signing_input = f"{h}.{p}".encode("ascii")
    if not any(hmac.compare_digest(hmac_sha256(k, signing_input), sig)
               for k in secrets):
        raise Fail("InvalidSignatureError")
    claims = json_object(raw)
    twoc2p_claims(claims, o["now"])
    return claims, event_id_of(claims, ("invoiceNo", "respCode")), None


MODELS = {
    "twoc2p": model_twoc2p, "standardwebhooks": model_standardwebhooks,
    "stripe": model_stripe, "razorpay": model_razorpay, "chip": model_chip,
    "chip_send": model_chip_send,
}


def body_of(inp: dict) -> bytes:
    if "body_hex" in inp:
        return bytes.fromhex(inp["body_hex"])
    return inp["body"].encode("utf-8")


def model(v: dict) -> dict:
    gateway = v["function"].split(".")[0]
    inp = v["input"]
    try:
        payload, event_id, ts = MODELS[gateway](body_of(inp), inp,
                                                inp["options"])
    except Fail as e:
        return {"error": e.kind}
    return {"payload": plain(payload), "event_id": event_id, "timestamp": ts}


# ===========================================================================
# Standard Webhooks vectors

SWH_RAW = first(lambda i: derive(f"standard webhooks secret {i}", 32),
                lambda raw: "+" in b64(raw) or "/" in b64(raw))
SWH_KEY = "whsec_" + b64(SWH_RAW)
SWH_RAW_2 = derive("standard webhooks secret (rotated)", 24)
SWH_KEY_2 = "whsec_" + b64(SWH_RAW_2)
SWH_RAW_OTHER = derive("standard webhooks: another merchant", 32)
SWH_KEY_OTHER = "whsec_" + b64(SWH_RAW_OTHER)
SWH_ID = "msg_2YbZ3kQ7vN1pXr8TfLw0hC5dJs4"


def swh_sig(raw: bytes, msg_id: str, ts: str, body: bytes) -> str:
    return "v1," + b64(hmac_sha256(raw, f"{msg_id}.{ts}.".encode() + body))


def swh_headers(msg_id: str, ts: str, sig: str) -> list:
    return [["webhook-id", msg_id], ["webhook-timestamp", ts],
            ["webhook-signature", sig]]


def swh_event(kind: str = "invoice.paid", **data: Any) -> dict:
    base = {"id": "inv_7Qh2Lw9Xc", "status": "paid", "amount_due": 4900,
            "currency": "MYR", "customer": "cus_3Jd8Ws1Ke"}
    base.update(data)
    return {"type": kind, "timestamp": "2023-11-14T22:13:20.000Z",
            "data": base}


def build_standardwebhooks() -> VectorFile:
    f = VectorFile(
        "standardwebhooks",
        "standardwebhooks.verify(body, headers, key, options): the Standard "
        "Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature; "
        "HMAC-SHA256 over id.timestamp.body with the base64-decoded whsec_ "
        "secret). Secrets and payloads are the generator's own; now is "
        "1700000000 unless stated.", SWH_KEY)
    ts = str(NOW)
    ev = swh_event()
    body = compact(ev)
    good_sig = swh_sig(SWH_RAW, SWH_ID, ts, body)
    good = swh_headers(SWH_ID, ts, good_sig)
    other_sig = swh_sig(SWH_RAW_OTHER, SWH_ID, ts, body)

    def a(vid, comment, b=body, headers=None, **kw):
        f.add(vid, comment, b, good if headers is None else headers, **kw)

    def ok(vid, comment, b=body, headers=None, payload=ev, ts_int=NOW, **kw):
        a(vid, comment, b, headers, ok=payload, event_id=SWH_ID,
          timestamp=ts_int, **kw)

    def with_sig(sig, msg_id=SWH_ID, t=ts):
        return swh_headers(msg_id, t, sig)

    # -- genuine ------------------------------------------------------------
    ok("genuine-invoice-paid", "A genuine message: one v1 entry, signed with "
       "the whsec_ secret's decoded 32 bytes. event_id is webhook-id.")
    ev_u = swh_event("customer.updated", name="Zoë Tan 陈美玲",
                     note="café ☕ 😀", address="Jalan Ampang, Kuala Lumpur")
    b_u = compact(ev_u, ascii_only=False)
    ok("genuine-unicode", "Raw UTF-8 in the body (Latin, CJK, an emoji "
       "outside the BMP): the body's bytes are signed as they are.", b_u,
       with_sig(swh_sig(SWH_RAW, SWH_ID, ts, b_u)), payload=ev_u)
    ev_n = swh_event("usage.recorded", units=2 ** 64, balance=-2 ** 63 - 1,
                     total=10 ** 30, rate=0.1, tiny=1e-07, price=12.5)
    b_n = compact(ev_n)
    ok("genuine-big-integers-and-floats", "Integers beyond 64 bits stay "
       "exact; floats stay floats.", b_n,
       with_sig(swh_sig(SWH_RAW, SWH_ID, ts, b_n)), payload=ev_n)
    b_p = pretty(ev)
    ok("genuine-pretty-printed", "An indented body ending in a newline: the "
       "whitespace is part of what was signed.", b_p,
       with_sig(swh_sig(SWH_RAW, SWH_ID, ts, b_p)))

    # -- keys ----------------------------------------------------------------
    ok("key-without-prefix", "The secret's base64 without whsec_ is the same "
       "secret.", key=b64(SWH_RAW))
    ok("key-24-bytes", "A 24-byte secret, the smallest the spec allows.",
       headers=with_sig(swh_sig(SWH_RAW_2, SWH_ID, ts, body)), key=SWH_KEY_2)
    raw64 = derive("standard webhooks secret (64 bytes)", 64)
    ok("key-64-bytes", "A 64-byte secret, the largest the spec allows.",
       headers=with_sig(swh_sig(raw64, SWH_ID, ts, body)),
       key="whsec_" + b64(raw64))
    for n in (23, 65):
        raw = derive(f"standard webhooks secret ({n} bytes)", n)
        a(f"key-{n}-bytes", f"A {n}-byte secret is outside 24..64 bytes, even "
          "though the message is signed with it.",
          headers=with_sig(swh_sig(raw, SWH_ID, ts, body)),
          key="whsec_" + b64(raw), error="InvalidKeyError")
    a("key-unpadded", "The secret's base64 without its = padding.",
      key=SWH_KEY.rstrip("="), error="InvalidKeyError")
    a("key-noncanonical-bits", "The secret's base64 with an unused trailing "
      "bit set: it decodes to the same bytes only under a lenient decoder.",
      key="whsec_" + noncanonical(b64(SWH_RAW)), error="InvalidKeyError")
    a("key-base64url-alphabet", "The secret written in the base64url "
      "alphabet (- and _ for + and /).",
      key=SWH_KEY.replace("+", "-").replace("/", "_"),
      error="InvalidKeyError")
    a("key-empty", "An empty key.", key="", error="InvalidKeyError")
    a("key-plain-text", "A secret that is not base64 at all, as a merchant "
      "might type one; the message is signed with its text bytes.",
      headers=with_sig(swh_sig(b"my webhook secret", SWH_ID, ts, body)),
      key="whsec_my webhook secret", error="InvalidKeyError")
    ok("keys-rotation-second-matches", "A key rotation: the second of two "
       "keys matches.", keys=[SWH_KEY_2, SWH_KEY])
    a("keys-rotation-none-matches", "A key rotation in which neither key "
      "matches.", keys=[SWH_KEY_2, SWH_KEY_OTHER],
      error="InvalidSignatureError")
    extra = ["whsec_" + b64(derive(f"standard webhooks filler {i}", 32))
             for i in range(16)]
    ok("keys-16", "Sixteen keys, the most allowed; the last one matches.",
       keys=extra[:15] + [SWH_KEY])
    a("keys-17", "Seventeen keys are one too many, though the last matches.",
      keys=extra + [SWH_KEY], error="InvalidKeyError")
    a("key-other-merchant", "Another merchant's secret.", key=SWH_KEY_OTHER,
      error="InvalidSignatureError")
    flipped = bytes([SWH_RAW[0] ^ 1]) + SWH_RAW[1:]
    a("key-one-bit-flipped", "The secret with one bit flipped.",
      key="whsec_" + b64(flipped), error="InvalidSignatureError")

    # -- tampering -----------------------------------------------------------
    for where in ("first", "middle", "last"):
        a(f"tampered-{where}-byte", f"The {where} byte of the body changed "
          "after signing.", flip(body, where), error="InvalidSignatureError")
    a("body-trailing-newline-added", "A newline appended to the signed body.",
      body + b"\n", error="InvalidSignatureError")
    a("tampered-webhook-id", "Another webhook-id than the one signed.",
      headers=with_sig(good_sig, msg_id=SWH_ID + "x"),
      error="InvalidSignatureError")

    # -- webhook-signature entries ------------------------------------------
    ok("signature-second-entry-matches", "Two v1 entries (a rotation on the "
       "sender's side); the second matches.",
       headers=with_sig(other_sig + " " + good_sig))
    ok("signature-unknown-version-skipped", "An entry of an unknown version "
       "is skipped, whatever follows its comma.",
       headers=with_sig("v2,not-base64!!" + " " + good_sig))
    v1a = "v1a," + b64(derive("an ed25519 signature", 64))
    ok("signature-v1a-skipped", "An asymmetric v1a entry is skipped (payhook "
       "does not implement v1a); the v1 entry matches.",
       headers=with_sig(v1a + " " + good_sig))
    a("signature-only-v1a", "Only a v1a entry: there is no v1 entry to "
      "match.", headers=with_sig(v1a), error="InvalidSignatureError")
    a("signature-valid-mac-as-v2", "The right MAC under version v2 does not "
      "count.", headers=with_sig("v2," + good_sig[3:]),
      error="InvalidSignatureError")
    a("signature-trailing-junk", "Text after the 44 base64 characters.",
      headers=with_sig(good_sig + "junk"), error="DecodeError")
    a("signature-noncanonical-bits", "The MAC's base64 with an unused "
      "trailing bit set.",
      headers=with_sig("v1," + noncanonical(good_sig[3:])),
      error="DecodeError")
    a("signature-unpadded", "The MAC's base64 without its = padding.",
      headers=with_sig(good_sig.rstrip("=")), error="DecodeError")
    assert "+" in good_sig or "/" in good_sig
    a("signature-base64url", "The MAC in the base64url alphabet.",
      headers=with_sig(good_sig.replace("+", "-").replace("/", "_")),
      error="DecodeError")
    mac = hmac_sha256(SWH_RAW, f"{SWH_ID}.{ts}.".encode() + body)
    a("signature-hex", "The MAC as hex: valid base64 text, but 48 bytes.",
      headers=with_sig("v1," + mac.hex()), error="DecodeError")
    a("signature-truncated", "The MAC's base64 cut to 40 characters "
      "(30 bytes).", headers=with_sig(good_sig[:43]), error="DecodeError")
    a("signature-entry-without-comma", "An entry without a comma makes the "
      "header malformed, though a valid entry follows.",
      headers=with_sig("v1 " + good_sig), error="DecodeError")
    a("signature-empty-version", "An entry with an empty version.",
      headers=with_sig(",abc " + good_sig), error="DecodeError")
    a("signature-double-space", "Two spaces between entries (an empty "
      "entry).", headers=with_sig(other_sig + "  " + good_sig),
      error="DecodeError")
    a("signature-trailing-space", "A space after the last entry.",
      headers=with_sig(good_sig + " "), error="DecodeError")
    fill = " ".join(f"v2,{i}" for i in range(31))
    ok("signature-32-entries", "32 entries, the most allowed; the last "
       "matches.", headers=with_sig(fill + " " + good_sig))
    a("signature-33-entries", "33 entries are one too many, though one "
      "matches.", headers=with_sig(fill + " v2,x " + good_sig),
      error="DecodeError")

    # -- headers -------------------------------------------------------------
    for i, name in enumerate(("webhook-id", "webhook-timestamp",
                              "webhook-signature")):
        a(f"header-missing-{name[8:]}", f"No {name} header.",
          headers=good[:i] + good[i + 1:], error="MissingSignatureError")
    a("header-empty-signature", "webhook-signature present but empty.",
      headers=with_sig(""), error="MissingSignatureError")
    a("header-repeated-signature", "webhook-signature twice, both valid.",
      headers=good + [["webhook-signature", good_sig]], error="DecodeError")
    a("header-repeated-signature-other-case", "webhook-signature and "
      "Webhook-Signature: the same header twice.",
      headers=good + [["Webhook-Signature", good_sig]], error="DecodeError")
    ok("header-names-odd-case", "Header names are case-insensitive.",
       headers=[["WEBHOOK-ID", SWH_ID], ["Webhook-Timestamp", ts],
                ["wEbHoOk-SiGnAtUrE", good_sig]])
    a("header-names-svix", "The svix-id/svix-timestamp/svix-signature names "
      "are not the webhook-* headers this verifier reads.",
      headers=[["svix-id", SWH_ID], ["svix-timestamp", ts],
               ["svix-signature", good_sig]], error="MissingSignatureError")
    dotted = "msg.2YbZ3kQ7"
    a("webhook-id-with-dot", "A webhook-id holding '.', which would make "
      "the signed content ambiguous.",
      headers=with_sig(swh_sig(SWH_RAW, dotted, ts, body), msg_id=dotted),
      error="DecodeError")
    long_id = "msg_" + "x" * 252
    f.add("webhook-id-256-chars", "A webhook-id of 256 characters, the "
          "longest allowed.", body,
          with_sig(swh_sig(SWH_RAW, long_id, ts, body), msg_id=long_id),
          ok=ev, event_id=long_id, timestamp=NOW)
    a("webhook-id-257-chars", "A webhook-id of 257 characters, one too many.",
      headers=with_sig(swh_sig(SWH_RAW, long_id + "x", ts, body),
                       msg_id=long_id + "x"), error="DecodeError")

    # -- timestamp -----------------------------------------------------------
    def at(t_int, t_text=None, signed_text=None):
        t_text = str(t_int) if t_text is None else t_text
        return with_sig(swh_sig(SWH_RAW, SWH_ID, signed_text or t_text, body),
                        t=t_text)

    ok("timestamp-300s-old", "Exactly 300 s old: the window is inclusive.",
       headers=at(NOW - 300), ts_int=NOW - 300)
    ok("timestamp-300s-ahead", "Exactly 300 s in the future: inclusive.",
       headers=at(NOW + 300), ts_int=NOW + 300)
    a("timestamp-301s-old", "One second too old.", headers=at(NOW - 301),
      error="InvalidTimestampError")
    a("timestamp-301s-ahead", "One second too far in the future.",
      headers=at(NOW + 301), error="InvalidTimestampError")
    ok("tolerance-600-at-600s-old", "A custom tolerance of 600 s, at its "
       "edge.", headers=at(NOW - 600), ts_int=NOW - 600,
       options={"tolerance": 600})
    a("tolerance-60-at-61s-old", "A custom tolerance of 60 s, one second "
      "past it.", headers=at(NOW - 61), options={"tolerance": 60},
      error="InvalidTimestampError")
    a("timestamp-zero", "\"0\" is well formed and correctly signed, but far "
      "outside the window.", headers=at(0), error="InvalidTimestampError")
    a("timestamp-leading-zero", "A leading zero; signed over the digits "
      "without it.", headers=at(NOW, "0" + ts, ts), error="DecodeError")
    a("timestamp-plus-sign", "A + sign; signed over the digits without it.",
      headers=at(NOW, "+" + ts, ts), error="DecodeError")
    a("timestamp-fraction", "A fractional timestamp; signed over its whole "
      "seconds.", headers=at(NOW, ts + ".5", ts), error="DecodeError")
    a("timestamp-letters", "Letters after the digits, signed as written.",
      headers=at(NOW, ts + "abc"), error="DecodeError")
    a("timestamp-16-digits", "Sixteen digits, one more than allowed.",
      headers=at(10 ** 15), error="DecodeError")

    # -- size and payload ----------------------------------------------------
    ok("max-bytes-at-limit", "A body exactly max_bytes long.",
       options={"max_bytes": len(body)})
    a("max-bytes-one-over", "A correctly signed body one byte over "
      "max_bytes.", options={"max_bytes": len(body) - 1},
      error="PayloadTooLargeError")
    a("max-bytes-before-signature", "One byte over max_bytes with a wrong "
      "signature: the size is checked first.",
      headers=with_sig(other_sig), options={"max_bytes": len(body) - 1},
      error="PayloadTooLargeError")
    for vid, comment, b in (
            ("body-not-json", "A correctly signed body that is not JSON.",
             b"payment received"),
            ("body-json-array", "A correctly signed JSON array: the payload "
             "must be one object.", b'[{"type":"invoice.paid"}]'),
            ("body-nan", "A correctly signed body with NaN, which is not "
             "JSON.", b'{"type":"invoice.paid","amount":NaN}'),
            ("body-bom", "A correctly signed body that starts with a UTF-8 "
             "byte order mark.", b"\xef\xbb\xbf" + body),
            ("body-not-utf8", "A correctly signed body that is not UTF-8.",
             b'{"type":"invoice.paid","name":"Ren\xe9"}')):
        a(vid + "-signed", comment, b,
          with_sig(swh_sig(SWH_RAW, SWH_ID, ts, b)), error="DecodeError")
    a("body-not-json-bad-signature", "The same non-JSON body with a wrong "
      "signature: the signature is checked first.", b"payment received",
      with_sig(other_sig), error="InvalidSignatureError")
    return f


# ===========================================================================
# Stripe vectors

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(data: bytes, n: int) -> str:
    v = int.from_bytes(data, "big")
    out = ""
    for _ in range(n):
        v, r = divmod(v, 62)
        out += _B62[r]
    return out


STRIPE_KEY = "whsec_" + base62(derive("stripe endpoint secret", 32), 32)
STRIPE_KEY_2 = "whsec_" + base62(derive("stripe endpoint secret (new)", 32),
                                 32)
STRIPE_KEY_OTHER = "whsec_" + base62(derive("stripe: another merchant", 32),
                                     32)
STRIPE_EVT = "evt_3OCm9kLx2R4yT7uQ1aBcD5eF"


def stripe_mac(secret: str, t: str, body: bytes) -> str:
    return hmac_sha256(secret.encode(), t.encode() + b"." + body).hex()


def stripe_event(evt_id: Any = STRIPE_EVT, **obj: Any) -> dict:
    pi = {"id": "pi_3OCm9kLx2R4yT7uQ0x1y2z3w", "object": "payment_intent",
          "amount": 2000, "amount_received": 2000, "currency": "myr",
          "customer": "cus_P1gQ8ZkT3Lw9Xc", "description": "Order 1001",
          "latest_charge": "ch_3OCm9kLx2R4yT7uQ0a1b2c3d",
          "metadata": {"order_id": "1001"}, "status": "succeeded",
          "livemode": False}
    pi.update(obj)
    ev = {"id": evt_id, "object": "event", "api_version": "2023-10-16",
          "created": NOW - 2, "data": {"object": pi}, "livemode": False,
          "pending_webhooks": 1,
          "request": {
              "id": "req_Xy7Qw2Lk9Pm3Ns",
              "idempotency_key": "7f1c9b2e-3d4a-4e5f-8a6b-0c1d2e3f4a5b"},
          "type": "payment_intent.succeeded"}
    if evt_id is NOTHING:
        del ev["id"]
    return ev


def build_stripe() -> VectorFile:
    f = VectorFile(
        "stripe",
        "stripe.verify(body, headers, key, options): Stripe's "
        "Stripe-Signature scheme (t=<unix>,v1=<hex>; HMAC-SHA256 over "
        "t.body keyed with the whole secret text, whsec_ included). Bodies "
        "are shaped like Stripe events, pretty-printed as Stripe sends "
        "them. now is 1700000000 unless stated.", STRIPE_KEY)
    ts = str(NOW)
    ev = stripe_event()
    body = pretty(ev)
    mac = stripe_mac(STRIPE_KEY, ts, body)
    good = [["Stripe-Signature", f"t={ts},v1={mac}"]]
    other = stripe_mac(STRIPE_KEY_OTHER, ts, body)

    def h(value):
        return [["Stripe-Signature", value]]

    def a(vid, comment, b=body, headers=None, **kw):
        f.add(vid, comment, b, good if headers is None else headers, **kw)

    def ok(vid, comment, b=body, headers=None, payload=ev, ts_int=NOW,
           event_id=STRIPE_EVT, **kw):
        a(vid, comment, b, headers, ok=payload, event_id=event_id,
          timestamp=ts_int, **kw)

    def signed(b, t=ts, key=STRIPE_KEY):
        return h(f"t={t},v1={stripe_mac(key, t, b)}")

    # -- genuine ------------------------------------------------------------
    ok("genuine-payment-intent-succeeded", "A genuine event: t and one v1. "
       "event_id is the event's id, timestamp is t.")
    v0 = stripe_mac(STRIPE_KEY_OTHER, ts, body)
    ok("genuine-with-v0", "A test-mode header with a v0 item, which is "
       "ignored.", headers=h(f"t={ts},v1={mac},v0={v0}"))
    ev_u = stripe_event("evt_3OCm9kLx2R4yT7uQUnic0de1",
                        description="Kopi & kuih for Zoë 陈 ☕😀",
                        metadata={"customer_name": "Nur Aisyah binti Ahmad",
                                  "city": "Pulau Pinang 槟城"})
    b_u = pretty(ev_u)
    ok("genuine-unicode", "Raw UTF-8 in the description and metadata.", b_u,
       signed(b_u), payload=ev_u, event_id=ev_u["id"])
    ev_n = stripe_event("evt_3OCm9kLx2R4yT7uQNumb3rs", amount=10 ** 20,
                        amount_received=2 ** 64 + 1,
                        application_fee_percent=12.5, exchange_rate=0.0375)
    b_n = pretty(ev_n)
    ok("genuine-big-integers-and-floats", "Integers beyond 64 bits stay "
       "exact; floats stay floats.", b_n, signed(b_n), payload=ev_n,
       event_id=ev_n["id"])
    new = stripe_mac(STRIPE_KEY_2, ts, body)
    ok("genuine-two-v1-second-matches", "While a secret is rolled, Stripe "
       "sends one v1 per secret; the second matches this key.",
       headers=h(f"t={ts},v1={mac},v1={new}"), key=STRIPE_KEY_2)
    ev_x = stripe_event(NOTHING)
    b_x = pretty(ev_x)
    ok("event-id-absent", "No top-level id: event_id is null.", b_x,
       signed(b_x), payload=ev_x, event_id=None)
    b_i = b'{"id":12345678901234567890,"object":"event","data":{}}'
    ok("event-id-number", "A numeric id gives its literal as written.", b_i,
       signed(b_i), payload={"id": 12345678901234567890, "object": "event",
                             "data": {}}, event_id="12345678901234567890")
    b_0 = b'{"id":null,"object":"event","data":{}}'
    ok("event-id-null", "An id that is neither string nor number gives "
       "null.", b_0, signed(b_0),
       payload={"id": None, "object": "event", "data": {}}, event_id=None)

    # -- keys ----------------------------------------------------------------
    a("key-without-prefix", "The secret without its whsec_ prefix: Stripe "
      "signs with the whole text.", key=STRIPE_KEY[6:],
      error="InvalidSignatureError")
    a("key-empty", "An empty key.", key="", error="InvalidKeyError")
    ok("keys-rotation-second-matches", "A key rotation: the second key "
       "matches.", keys=[STRIPE_KEY_2, STRIPE_KEY])
    a("keys-rotation-none-matches", "Neither key matches.",
      keys=[STRIPE_KEY_2, STRIPE_KEY_OTHER], error="InvalidSignatureError")
    fill = ["whsec_" + base62(derive(f"stripe filler {i}", 32), 32)
            for i in range(16)]
    a("keys-17", "Seventeen keys are one too many, though one matches.",
      keys=fill + [STRIPE_KEY], error="InvalidKeyError")
    a("key-other-merchant", "Another merchant's secret.",
      key=STRIPE_KEY_OTHER, error="InvalidSignatureError")
    a("key-case-changed", "The secret upper-cased: keys are exact text.",
      key=STRIPE_KEY.upper(), error="InvalidSignatureError")

    # -- tampering -----------------------------------------------------------
    for where in ("first", "middle", "last"):
        a(f"tampered-{where}-byte", f"The {where} byte of the body changed.",
          flip(body, where), error="InvalidSignatureError")
    a("body-trailing-newline-added", "A second newline appended.",
      body + b"\n", error="InvalidSignatureError")
    a("body-reserialised", "The event re-serialised compactly, as a "
      "framework that parses and re-dumps the JSON would.", compact(ev),
      error="InvalidSignatureError")
    a("timestamp-changed", "t moved by one second after signing.",
      headers=h(f"t={NOW - 1},v1={mac}"), error="InvalidSignatureError")

    # -- the v1 values -------------------------------------------------------
    raw_mac = bytes.fromhex(mac)
    for vid, comment, value in (
            ("v1-upper-hex", "The MAC in upper-case hex.", mac.upper()),
            ("v1-base64", "The MAC in base64.", b64(raw_mac)),
            ("v1-truncated", "The MAC cut to 63 characters.", mac[:63]),
            ("v1-empty", "An empty v1 value.", "")):
        a(vid, comment, headers=h(f"t={ts},v1={value}"), error="DecodeError")
    a("only-v0", "Only a v0 item (it carries the right MAC): there is no v1 "
      "to match.", headers=h(f"t={ts},v0={mac}"),
      error="InvalidSignatureError")
    a("v1-name-with-space", "\" v1\" (a space after the comma) is another "
      "name, so it is ignored and nothing matches.",
      headers=h(f"t={ts}, v1={mac}"), error="InvalidSignatureError")
    a("item-without-equals", "An item without '=' makes the header "
      "malformed, though t and v1 are valid.",
      headers=h(f"t={ts},v1={mac},junk"), error="DecodeError")
    a("trailing-comma", "A trailing comma (an empty item).",
      headers=h(f"t={ts},v1={mac},"), error="DecodeError")
    a("v1-value-with-second-equals", "The v1 value is everything after the "
      "first '=', here the MAC, '=' and more.",
      headers=h(f"t={ts},v1={mac}=x"), error="DecodeError")
    fill_items = ",".join(f"v0={i}" for i in range(30))
    ok("items-32", "32 items, the most allowed.",
       headers=h(f"t={ts},{fill_items},v1={mac}"))
    a("items-33", "33 items are one too many.",
      headers=h(f"t={ts},{fill_items},v0=x,v1={mac}"), error="DecodeError")

    # -- t -------------------------------------------------------------------
    a("t-missing", "No t item.", headers=h(f"v1={mac}"), error="DecodeError")
    a("t-repeated", "t twice with the same value.",
      headers=h(f"t={ts},t={ts},v1={mac}"), error="DecodeError")
    for vid, comment, t_text, sign_text in (
            ("t-leading-zero", "A leading zero; signed over the digits "
             "without it.", "0" + ts, ts),
            ("t-plus-sign", "A + sign; signed over the digits without it.",
             "+" + ts, ts),
            ("t-underscores", "Digits grouped with _; signed over the plain "
             "digits.", "1_700_000_000", ts),
            ("t-fraction", "A fraction, signed as written.", ts + ".5",
             ts + ".5"),
            ("t-letters", "Letters after the digits, signed as written.",
             ts + "abc", ts + "abc"),
            ("t-empty", "An empty t.", "", "")):
        a(vid, comment, headers=h(
            f"t={t_text},v1={stripe_mac(STRIPE_KEY, sign_text, body)}"),
          error="DecodeError")

    # -- window --------------------------------------------------------------
    for delta, within in ((-300, True), (300, True), (-301, False),
                          (301, False), (86400, False)):
        t = NOW + delta
        name = (f"{abs(delta)}s-{'old' if delta < 0 else 'ahead'}"
                if delta != 86400 else "one-day-ahead")
        if within:
            ok(f"timestamp-{name}", "At the edge of the default 300 s "
               "window, which is inclusive.", headers=signed(body, str(t)),
               ts_int=t)
        else:
            a(f"timestamp-{name}", "Outside the default 300 s window; "
              "payhook refuses both directions.",
              headers=signed(body, str(t)), error="InvalidTimestampError")
    ok("tolerance-600-at-600s-old", "A custom tolerance of 600 s at its edge.",
       headers=signed(body, str(NOW - 600)), ts_int=NOW - 600,
       options={"tolerance": 600})
    a("tolerance-60-at-61s-old", "A custom tolerance of 60 s, one second "
      "past it.", headers=signed(body, str(NOW - 61)),
      options={"tolerance": 60}, error="InvalidTimestampError")
    a("tolerance-60-at-61s-ahead", "A custom tolerance of 60 s, one second "
      "into the future past it.", headers=signed(body, str(NOW + 61)),
      options={"tolerance": 60}, error="InvalidTimestampError")

    # -- headers -------------------------------------------------------------
    a("header-missing", "No Stripe-Signature header.",
      headers=[["Content-Type", "application/json"]],
      error="MissingSignatureError")
    a("header-empty", "Stripe-Signature present but empty.", headers=h(""),
      error="MissingSignatureError")
    a("header-repeated", "Stripe-Signature twice, both valid.",
      headers=good + good, error="DecodeError")
    a("header-repeated-other-case", "Stripe-Signature and stripe-signature.",
      headers=good + [["stripe-signature", good[0][1]]], error="DecodeError")
    ok("header-name-odd-case", "The header name in another case.",
       headers=[["STRIPE-signature", good[0][1]]])

    # -- size and payload ----------------------------------------------------
    ok("max-bytes-at-limit", "A body exactly max_bytes long.",
       options={"max_bytes": len(body)})
    a("max-bytes-one-over", "A correctly signed body one byte over "
      "max_bytes.", options={"max_bytes": len(body) - 1},
      error="PayloadTooLargeError")
    a("max-bytes-before-signature", "One byte over with a wrong signature: "
      "the size is checked first.", headers=h(f"t={ts},v1={other}"),
      options={"max_bytes": len(body) - 1}, error="PayloadTooLargeError")
    for vid, comment, b in (
            ("body-not-json", "A correctly signed body that is not JSON.",
             b"payment_intent.succeeded"),
            ("body-json-array", "A correctly signed JSON array.",
             b'[{"id":"evt_1","object":"event"}]'),
            ("body-nan", "A correctly signed body with NaN.",
             b'{"id":"evt_1","object":"event","amount":NaN}'),
            ("body-not-utf8", "A correctly signed body that is not UTF-8.",
             b'{"id":"evt_1","object":"event","name":"Ren\xe9"}')):
        a(vid + "-signed", comment, b, signed(b), error="DecodeError")
    a("body-not-json-bad-signature", "The same non-JSON body with a wrong "
      "signature.", b"payment_intent.succeeded",
      h(f"t={ts},v1={other}"), error="InvalidSignatureError")
    return f


# ===========================================================================
# Razorpay / Curlec vectors

RZP_KEY = "pAyh00k-curlec-webhook-secret-2023"
RZP_KEY_OLD = "pAyh00k-curlec-webhook-secret-2022"
RZP_KEY_OTHER = "another-merchant-webhook-secret"
RZP_EVENT_ID = "NbGx2wQ7LpT3sK"


def rzp_mac(secret: str, body: bytes) -> str:
    return hmac_sha256(secret.encode(), body).hex()


def rzp_event(event: str = "payment.captured", **payment: Any) -> dict:
    entity = {"id": "pay_NbGx1aB2cD3eF4", "entity": "payment",
              "amount": 5000, "currency": "MYR", "status": "captured",
              "order_id": "order_NbGw9zY8xW7vU6", "invoice_id": None,
              "international": False, "method": "fpx",
              "amount_refunded": 0, "refund_status": None, "captured": True,
              "description": "Order 1001", "bank": "MB2U0227",
              "email": "buyer@example.com", "contact": "+60123456789",
              "notes": {"order_id": "1001"}, "fee": 100, "tax": 0,
              "error_code": None, "error_description": None,
              "created_at": NOW - 60}
    entity.update(payment)
    return {"entity": "event", "account_id": "acc_Mq3Lk8Zp2Wn7Yx",
            "event": event, "contains": ["payment"],
            "payload": {"payment": {"entity": entity}},
            "created_at": NOW - 5}


def build_razorpay() -> VectorFile:
    f = VectorFile(
        "razorpay",
        "razorpay.verify(body, headers, key, options): Curlec/Razorpay "
        "webhooks (X-Razorpay-Signature: lower-case hex HMAC-SHA256 over "
        "the raw body keyed with the webhook secret's text). event_id is "
        "the x-razorpay-event-id header when present. now is 1700000000; "
        "no timestamp is signed.", RZP_KEY)
    ev = rzp_event()
    body = compact(ev)
    mac = rzp_mac(RZP_KEY, body)

    def hdrs(sig, event_id=RZP_EVENT_ID):
        out = [["Content-Type", "application/json"]]
        if event_id is not None:
            out.append(["X-Razorpay-Event-Id", event_id])
        return out + [["X-Razorpay-Signature", sig]]

    good = hdrs(mac)

    def a(vid, comment, b=body, headers=None, **kw):
        f.add(vid, comment, b, good if headers is None else headers, **kw)

    def ok(vid, comment, b=body, headers=None, payload=ev,
           event_id=RZP_EVENT_ID, **kw):
        a(vid, comment, b, headers, ok=payload, event_id=event_id, **kw)

    # -- genuine ------------------------------------------------------------
    ok("genuine-payment-captured", "A genuine payment.captured webhook.")
    ev_o = rzp_event("order.paid")
    ev_o["contains"] = ["payment", "order"]
    ev_o["payload"]["order"] = {"entity": {
        "id": "order_NbGw9zY8xW7vU6", "entity": "order", "amount": 5000,
        "amount_paid": 5000, "amount_due": 0, "currency": "MYR",
        "receipt": "rcpt-1001", "status": "paid", "attempts": 1,
        "notes": [], "created_at": NOW - 120}}
    b_o = compact(ev_o)
    ok("genuine-order-paid", "An order.paid webhook carrying the payment and "
       "the order.", b_o, hdrs(rzp_mac(RZP_KEY, b_o)), payload=ev_o)
    ev_u = rzp_event(description="Kuih raya for Zoë ☕😀",
                     notes={"customer": "Siti Nurhaliza binti Tarudin",
                            "address": "Jalan Ampang, 吉隆坡"})
    b_u = compact(ev_u, ascii_only=False)
    ok("genuine-unicode", "Raw UTF-8 in the notes and description.", b_u,
       hdrs(rzp_mac(RZP_KEY, b_u)), payload=ev_u)
    ev_n = rzp_event(amount=2 ** 64, fee=-2 ** 63 - 1,
                     notes={"rate": 0.125, "units": 10 ** 30})
    b_n = compact(ev_n)
    ok("genuine-big-integers-and-floats", "Integers beyond 64 bits stay "
       "exact; floats stay floats.", b_n, hdrs(rzp_mac(RZP_KEY, b_n)),
       payload=ev_n)
    ok("event-id-absent", "No x-razorpay-event-id header: event_id is null.",
       headers=hdrs(mac, None), event_id=None)
    ok("event-id-empty", "An empty x-razorpay-event-id: event_id is null.",
       headers=hdrs(mac, ""), event_id=None)
    ok("event-id-odd-case", "The event id header name in another case.",
       headers=[["x-razorpay-event-id", RZP_EVENT_ID],
                ["X-RAZORPAY-SIGNATURE", mac]])
    a("event-id-repeated", "x-razorpay-event-id twice.",
      headers=[["X-Razorpay-Event-Id", RZP_EVENT_ID]] + good,
      error="DecodeError")

    # -- keys ----------------------------------------------------------------
    ok("keys-rotation-old-secret", "After a secret change Curlec retries "
       "older events with the old secret: the second key matches.",
       headers=hdrs(rzp_mac(RZP_KEY_OLD, body)), keys=[RZP_KEY, RZP_KEY_OLD])
    a("keys-rotation-none-matches", "Neither key matches.",
      keys=[RZP_KEY_OLD, RZP_KEY_OTHER], error="InvalidSignatureError")
    a("keys-17", "Seventeen keys are one too many, though one matches.",
      keys=[f"filler-secret-{i}" for i in range(16)] + [RZP_KEY],
      error="InvalidKeyError")
    a("key-other-merchant", "Another merchant's secret.", key=RZP_KEY_OTHER,
      error="InvalidSignatureError")
    a("key-case-changed", "The secret upper-cased: keys are exact text.",
      key=RZP_KEY.upper(), error="InvalidSignatureError")
    a("key-empty", "An empty key, with the body signed under the empty key "
      "(an unset secret).", headers=hdrs(rzp_mac("", body)), key="",
      error="InvalidKeyError")

    # -- tampering -----------------------------------------------------------
    for where in ("first", "middle", "last"):
        a(f"tampered-{where}-byte", f"The {where} byte of the body changed.",
          flip(body, where), error="InvalidSignatureError")
    a("body-trailing-newline-added", "A newline appended to the body.",
      body + b"\n", error="InvalidSignatureError")
    a("body-reserialised", "The event re-serialised with spaces, as "
      "JSON.stringify-and-hash integrations do.",
      json.dumps(ev).encode(), error="InvalidSignatureError")

    # -- the signature header ------------------------------------------------
    for vid, comment, value in (
            ("signature-upper-hex", "The MAC in upper-case hex.", mac.upper()),
            ("signature-base64", "The MAC in base64.",
             b64(bytes.fromhex(mac))),
            ("signature-truncated", "The MAC cut to 63 characters.",
             mac[:63]),
            ("signature-sha256-prefix", "The MAC written sha256=<hex>.",
             "sha256=" + mac),
            ("signature-trailing-space", "A space after the MAC (values are "
             "not trimmed).", mac + " ")):
        a(vid, comment, headers=hdrs(value), error="DecodeError")
    a("signature-wrong-mac", "64 lower-case hex digits that are not the MAC.",
      headers=hdrs(rzp_mac(RZP_KEY_OTHER, body)),
      error="InvalidSignatureError")
    a("header-missing", "No X-Razorpay-Signature.",
      headers=[["X-Razorpay-Event-Id", RZP_EVENT_ID]],
      error="MissingSignatureError")
    a("header-empty", "X-Razorpay-Signature present but empty.",
      headers=hdrs(""), error="MissingSignatureError")
    a("header-repeated", "X-Razorpay-Signature twice, both valid.",
      headers=good + [["X-Razorpay-Signature", mac]], error="DecodeError")
    a("header-repeated-other-case", "X-Razorpay-Signature and "
      "x-razorpay-signature.", headers=good + [["x-razorpay-signature", mac]],
      error="DecodeError")
    ok("header-name-lower-case", "The signature header name in lower case.",
       headers=[["x-razorpay-event-id", RZP_EVENT_ID],
                ["x-razorpay-signature", mac]])

    # -- size and payload ----------------------------------------------------
    ok("max-bytes-at-limit", "A body exactly max_bytes long.",
       options={"max_bytes": len(body)})
    a("max-bytes-one-over", "A correctly signed body one byte over "
      "max_bytes.", options={"max_bytes": len(body) - 1},
      error="PayloadTooLargeError")
    a("max-bytes-before-signature", "One byte over with a wrong signature: "
      "the size is checked first.", headers=hdrs(rzp_mac(RZP_KEY_OTHER, body)),
      options={"max_bytes": len(body) - 1}, error="PayloadTooLargeError")
    for vid, comment, b in (
            ("body-not-json", "A correctly signed body that is not JSON.",
             b"event=payment.captured"),
            ("body-json-array", "A correctly signed JSON array.",
             b'[{"entity":"event"}]'),
            ("body-bom", "A correctly signed body that starts with a byte "
             "order mark.", b"\xef\xbb\xbf" + body),
            ("body-not-utf8", "A correctly signed body that is not UTF-8.",
             b'{"entity":"event","name":"Ren\xe9"}')):
        a(vid + "-signed", comment, b, hdrs(rzp_mac(RZP_KEY, b)),
          error="DecodeError")
    a("body-not-json-bad-signature", "The same non-JSON body with a wrong "
      "signature.", b"event=payment.captured",
      hdrs(rzp_mac(RZP_KEY_OTHER, b"event=payment.captured")),
      error="InvalidSignatureError")
    return f


# ===========================================================================
# CHIP Collect and CHIP Send vectors

CHIP_PUB = key_pem("chip-2048-public.pem")
CHIP_PUB_PKCS1 = key_pem("chip-2048-public-pkcs1.pem")
CHIP_PUB_4096 = key_pem("chip-4096-public.pem")
OTHER_PUB = key_pem("other-2048-public.pem")
SMALL_PUB = key_pem("small-1024-public.pem")
EC_PUB = key_pem("ec-p256-public.pem")
CHIP_PRIV_PEM = key_pem("chip-2048-private.pem")
CHIP_PRIV = private_key("chip-2048-private.pem")
CHIP_PRIV_4096 = private_key("chip-4096-private.pem")
OTHER_PRIV = private_key("other-2048-private.pem")
SMALL_PRIV = private_key("small-1024-private.pem")

_HASHES = {"sha256": hashes.SHA256, "sha512": hashes.SHA512}


def rsa_sign(priv: Any, body: bytes, digest: str) -> bytes:
    return priv.sign(body, rsa_padding.PKCS1v15(), _HASHES[digest]())


def chip_purchase(status: str = "paid", **changes: Any) -> dict:
    p = {"id": "9bf2c1e6-5a7d-4c8e-b0f3-2d41a6e87c55", "type": "purchase",
         "status": status, "brand_id": "4d7e2a90-1c3b-4f5e-9a8d-6b0c1e2f3a4b",
         "client": {"email": "buyer@example.com", "full_name": "Ahmad bin Ali",
                    "phone": "+60123456789", "country": "MY"},
         "purchase": {"currency": "MYR", "total": 1000, "language": "en",
                      "products": [{"name": "Order 1001", "price": 1000,
                                    "quantity": "1.0000", "discount": 0,
                                    "tax_percent": "0.00", "category": ""}],
                      "notes": ""},
         "payment": {"amount": 1000, "currency": "MYR", "net_amount": 970,
                     "fee_amount": 30, "pending_amount": 0,
                     "paid_on": NOW, "payment_type": "purchase",
                     "is_outgoing": False},
         "reference": "ORDER-1001", "event_type": "purchase." + status,
         "created_on": NOW - 600, "updated_on": NOW, "is_test": True}
    p.update(changes)
    return p


def chip_send_instruction(status: str = "completed", **changes: Any) -> dict:
    s = {"id": 84213, "bank_account_id": 1207, "amount": "150.00",
         "status": status, "email": "payee@example.com",
         "description": "Payout for invoice INV-2023-11",
         "reference": "PAYOUT-1001", "created_at": "2023-11-14T22:00:00.000Z",
         "updated_at": "2023-11-14T22:13:20.000Z"}
    s.update(changes)
    return s


def build_chip_file(gateway: str) -> VectorFile:
    send = gateway == "chip_send"
    digest, wrong_digest = ("sha512", "sha256") if send else \
        ("sha256", "sha512")
    scheme = "CHIP Send" if send else "CHIP Collect"
    shown = "SHA-512" if send else "SHA-256"
    f = VectorFile(
        gateway,
        f"{gateway}.verify(body, headers, key, options): {scheme} callbacks "
        f"(X-Signature: base64 RSASSA-PKCS1-v1_5 with {shown} over "
        "the raw body; the key is a PEM RSA public key, 2048 to 16384 "
        "bits). The keys are the fixed test keys in keys/. event_id is "
        "id:status from the body. now is 1700000000; no timestamp is "
        "signed.", CHIP_PUB)
    if send:
        ev = chip_send_instruction()
        ev_2 = chip_send_instruction("rejected", id=84214,
                                     description="Bank account closed")
        ev_u = chip_send_instruction(
            id=84215, description="Bayaran untuk Zoë 陈 ☕😀",
            reference="PAYOUT-東京-1")
        ev_n = chip_send_instruction(id=2 ** 64, bank_account_id=10 ** 30,
                                     fee=1.5, rate=0.0375)
    else:
        ev = chip_purchase()
        ev_2 = chip_purchase("created",
                             id="0c7d9e1f-2a3b-4c5d-8e6f-7a8b9c0d1e2f",
                             payment=None)
        ev_u = chip_purchase(id="5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
                             client={"email": "zoe@example.com",
                                     "full_name": "Zoë Tan 陈美玲"},
                             reference="ORDER-☕-😀")
        ev_n = chip_purchase(id="7a8b9c0d-1e2f-4a3b-b4c5-d6e7f8a9b0c1",
                             purchase={"currency": "MYR", "total": 2 ** 64,
                                       "products": [{"name": "Bulk",
                                                     "price": 10 ** 30,
                                                     "quantity": 1.5}]},
                             fx_rate=0.0375)

    def eid(e: dict) -> str:
        return f"{e['id']}:{e['status']}"

    body = compact(ev)
    sig_raw = rsa_sign(CHIP_PRIV, body, digest)
    sig = b64(sig_raw)
    good = [["Content-Type", "application/json"], ["X-Signature", sig]]

    def h(value):
        return [["X-Signature", value]]

    def signed(b, priv=CHIP_PRIV, dg=digest):
        return h(b64(rsa_sign(priv, b, dg)))

    def a(vid, comment, b=body, headers=None, **kw):
        f.add(vid, comment, b, good if headers is None else headers, **kw)

    def ok(vid, comment, b=body, headers=None, payload=ev, **kw):
        a(vid, comment, b, headers, ok=payload, event_id=eid(payload), **kw)

    # -- genuine ------------------------------------------------------------
    what = "send instruction" if send else "purchase"
    ok(f"genuine-{what.replace(' ', '-')}-{ev['status']}",
       f"A genuine {scheme} callback for a {ev['status']} {what}. event_id "
       "is id:status" + (" (the id is a number, so its literal)." if send
                         else "."))
    b_2 = compact(ev_2)
    ok(f"genuine-{what.replace(' ', '-')}-{ev_2['status']}",
       f"A {ev_2['status']} {what}.", b_2, signed(b_2), payload=ev_2)
    b_u = compact(ev_u, ascii_only=False)
    ok("genuine-unicode", "Raw UTF-8 in the body.", b_u, signed(b_u),
       payload=ev_u)
    b_n = compact(ev_n)
    ok("genuine-big-integers-and-floats", "Integers beyond 64 bits stay "
       "exact; floats stay floats.", b_n, signed(b_n), payload=ev_n)
    b_x = compact({k: v for k, v in ev.items() if k != "status"})
    f.add("event-id-without-status", "No status member: event_id is null.",
          b_x, signed(b_x), ok=json.loads(b_x), event_id=None, timestamp=None)

    # -- keys ----------------------------------------------------------------
    ok("key-pkcs1-form", "The same public key as PKCS#1 (BEGIN RSA PUBLIC "
       "KEY).", key=CHIP_PUB_PKCS1)
    ok("key-4096-bits", "A 4096-bit key.",
       headers=signed(body, CHIP_PRIV_4096), key=CHIP_PUB_4096)
    ok("keys-rotation-second-matches", "A key rotation: the second key "
       "matches.", keys=[OTHER_PUB, CHIP_PUB])
    ok("keys-rotation-mixed-sizes", "A rotation from a 2048-bit to a "
       "4096-bit key; the 4096-bit one signed.",
       headers=signed(body, CHIP_PRIV_4096), keys=[CHIP_PUB, CHIP_PUB_4096])
    a("keys-rotation-none-matches", "Neither key matches.",
      keys=[OTHER_PUB, CHIP_PUB_4096], error="InvalidSignatureError")
    a("key-other-merchant", "Another merchant's key.", key=OTHER_PUB,
      error="InvalidSignatureError")
    a("key-1024-bits", "A 1024-bit key is too small, though it made the "
      "signature.", headers=signed(body, SMALL_PRIV), key=SMALL_PUB,
      error="InvalidKeyError")
    a("keys-one-too-small", "A key list holding a 1024-bit key is refused, "
      "though the other key matches.", keys=[SMALL_PUB, CHIP_PUB],
      error="InvalidKeyError")
    a("key-ec", "An EC P-256 public key is not RSA.", key=EC_PUB,
      error="InvalidKeyError")
    a("key-private-pem", "The private key PEM instead of the public key.",
      key=CHIP_PRIV_PEM, error="InvalidKeyError")
    a("key-empty", "An empty key.", key="", error="InvalidKeyError")
    bare = "".join(CHIP_PUB.splitlines()[1:-1])
    a("key-base64-without-armor", "The key's base64 without the PEM BEGIN "
      "and END lines.", key=bare, error="InvalidKeyError")
    a("key-json-escaped-newlines", "The PEM with literal \\n sequences, as "
      "the /public_key/ response holds it before JSON decoding.",
      key=CHIP_PUB.rstrip("\n").replace("\n", "\\n"), error="InvalidKeyError")

    # -- tampering and other schemes -----------------------------------------
    for where in ("first", "middle", "last"):
        a(f"tampered-{where}-byte", f"The {where} byte of the body changed.",
          flip(body, where), error="InvalidSignatureError")
    a("body-trailing-newline-added", "A newline appended to the body.",
      body + b"\n", error="InvalidSignatureError")
    other_scheme = "CHIP Collect's SHA-256" if send else "SHA-512 (CHIP " \
        "Send's scheme)"
    a(f"signature-{wrong_digest}", f"Signed with {other_scheme} instead of "
      f"{shown}.", headers=signed(body, dg=wrong_digest),
      error="InvalidSignatureError")
    pss = CHIP_PRIV.sign(body, rsa_padding.PSS(
        mgf=rsa_padding.MGF1(_HASHES[digest]()), salt_length=0),
        _HASHES[digest]())
    a("signature-pss", "An RSASSA-PSS signature (salt length 0, so the "
      "vector is fixed) is not PKCS#1 v1.5.", headers=h(b64(pss)),
      error="InvalidSignatureError")
    a("signature-of-another-key-size", "A 4096-bit key's signature (512 "
      "bytes) under the 2048-bit key.", headers=signed(body, CHIP_PRIV_4096),
      error="InvalidSignatureError")

    # -- the signature's encoding --------------------------------------------
    a("signature-hex", "The signature as hex: valid base64 text, but 384 "
      "bytes.", headers=h(sig_raw.hex()), error="InvalidSignatureError")
    assert "+" in sig or "/" in sig
    a("signature-base64url", "The signature in the base64url alphabet.",
      headers=h(sig.replace("+", "-").replace("/", "_")), error="DecodeError")
    a("signature-unpadded", "The signature's base64 without = padding.",
      headers=h(sig.rstrip("=")), error="DecodeError")
    a("signature-noncanonical-bits", "The signature's base64 with an unused "
      "trailing bit set.", headers=h(noncanonical(sig)), error="DecodeError")
    a("signature-with-spaces", "The signature's base64 split into "
      "76-character groups by spaces, as a folding proxy might.",
      headers=h(" ".join(sig[i:i + 76] for i in range(0, len(sig), 76))),
      error="DecodeError")
    a("signature-truncated", "The signature without its last byte (255 "
      "bytes, canonical base64).", headers=h(b64(sig_raw[:-1])),
      error="InvalidSignatureError")
    a("signature-one-byte-longer", "The signature with a zero byte appended.",
      headers=h(b64(sig_raw + b"\x00")), error="InvalidSignatureError")

    # -- headers -------------------------------------------------------------
    a("header-missing", "No X-Signature.",
      headers=[["Content-Type", "application/json"]],
      error="MissingSignatureError")
    a("header-empty", "X-Signature present but empty.", headers=h(""),
      error="MissingSignatureError")
    a("header-repeated", "X-Signature twice, both valid.",
      headers=good + [["X-Signature", sig]], error="DecodeError")
    a("header-repeated-other-case", "X-Signature and x-signature.",
      headers=good + [["x-signature", sig]], error="DecodeError")
    ok("header-name-lower-case", "The header name in lower case.",
       headers=[["x-signature", sig]])

    # -- size and payload ----------------------------------------------------
    ok("max-bytes-at-limit", "A body exactly max_bytes long.",
       options={"max_bytes": len(body)})
    a("max-bytes-one-over", "A correctly signed body one byte over "
      "max_bytes.", options={"max_bytes": len(body) - 1},
      error="PayloadTooLargeError")
    a("max-bytes-before-signature", "One byte over with a wrong signature: "
      "the size is checked first.", headers=signed(body, OTHER_PRIV),
      options={"max_bytes": len(body) - 1}, error="PayloadTooLargeError")
    for vid, comment, b in (
            ("body-not-json", "A correctly signed body that is not JSON.",
             b"status=paid"),
            ("body-json-array", "A correctly signed JSON array.",
             b'[{"id":"1","status":"paid"}]'),
            ("body-not-utf8", "A correctly signed body that is not UTF-8.",
             b'{"id":"1","status":"paid","name":"Ren\xe9"}')):
        a(vid + "-signed", comment, b, signed(b), error="DecodeError")
    a("body-not-json-bad-signature", "The same non-JSON body with a wrong "
      "signature.", b"status=paid", signed(b"status=paid", OTHER_PRIV),
      error="InvalidSignatureError")
    return f


# ===========================================================================
# 2C2P vectors

TWOC2P_KEY = hashlib.sha256(b"payhook gateway vectors: 2C2P SHA key"
                            ).hexdigest().upper()
TWOC2P_KEY_2 = hashlib.sha256(b"payhook gateway vectors: 2C2P SHA key (new)"
                              ).hexdigest().upper()
TWOC2P_KEY_OTHER = hashlib.sha256(b"payhook gateway vectors: 2C2P other"
                                  ).hexdigest().upper()


def twoc2p_response(**changes: Any) -> dict:
    p = {"merchantID": "JT04", "invoiceNo": "1700000000ORD1001",
         "cardNo": "411111XXXXXX1111", "amount": "1000.00",
         "currencyCode": "MYR", "tranRef": "4488311",
         "referenceNo": "4260151", "approvalCode": "154021", "eci": "05",
         "transactionDateTime": "20231115061320", "agentCode": "OCBC",
         "channelCode": "VI", "issuerCountry": "MY",
         "issuerBank": "OCBC BANK (MALAYSIA) BERHAD",
         "installmentMerchantAbsorbRate": None, "cardType": "CREDIT",
         "idempotencyID": "", "paymentScheme": "VI", "respCode": "0000",
         "respDesc": "Success"}
    p.update(changes)
    return p


def jwt_token(claims: Any, key: bytes | str = TWOC2P_KEY,
              header: Any = None, digest: Any = hashlib.sha256,
              raw_claims: bytes | None = None) -> str:
    if isinstance(key, str):
        key = key.encode()
    hdr = {"alg": "HS256", "typ": "JWT"} if header is None else header
    h = b64url(compact(hdr))
    p = b64url(compact(claims) if raw_claims is None else raw_claims)
    mac = hmac.new(key, f"{h}.{p}".encode(), digest).digest()
    return f"{h}.{p}.{b64url(mac)}"


def twoc2p_body(token: str) -> bytes:
    return compact({"payload": token})


def build_twoc2p() -> VectorFile:
    f = VectorFile(
        "twoc2p",
        "twoc2p.verify(body, headers, key, options): 2C2P PGW v4 backend "
        "notifications, body {\"payload\": \"<JWT>\"}, JWT HS256 keyed with "
        "the 64-character SHA key as text (never hex-decoded). Claims "
        "exp/nbf/iat are checked against now when present. event_id is "
        "invoiceNo:respCode. No header is needed. now is 1700000000.",
        TWOC2P_KEY)
    claims = twoc2p_response()
    tok = jwt_token(claims)
    body = twoc2p_body(tok)
    h_, p_, s_ = tok.split(".")
    no_headers: list = []
    ct = [["Content-Type", "application/json"]]

    def a(vid, comment, b=body, headers=None, **kw):
        f.add(vid, comment, b, ct if headers is None else headers, **kw)

    def ok(vid, comment, b=body, payload=claims, **kw):
        a(vid, comment, b, ok=payload,
          event_id=f"{payload['invoiceNo']}:{payload['respCode']}", **kw)

    def tok_ok(vid, comment, c, **kw):
        ok(vid, comment, twoc2p_body(jwt_token(c)), payload=c, **kw)

    def tok_err(vid, comment, t, error, **kw):
        a(vid, comment, twoc2p_body(t), error=error, **kw)

    # -- genuine ------------------------------------------------------------
    ok("genuine-payment-success", "A genuine backend notification: "
       "respCode 0000. The JWT's payload is returned.")
    tok_ok("genuine-payment-declined", "A declined payment.",
           twoc2p_response(invoiceNo="1700000000ORD1002", respCode="4200",
                           respDesc="Transaction declined", approvalCode=""))
    tok_ok("genuine-unicode", "Non-ASCII text in the claims.",
           twoc2p_response(issuerBank="ธนาคารกรุงเทพ (Bangkok Bank)",
                           respDesc="Berjaya ✓ 成功 😀"))
    tok_ok("genuine-big-integers-and-floats", "2C2P sends amounts as decimal "
           "strings, but any signed JSON is returned exactly: big integers "
           "and floats included.",
           twoc2p_response(userDefined1=2 ** 64, userDefined2=0.1,
                           userDefined3=10 ** 30))
    a("genuine-no-headers", "No headers at all: 2C2P needs none.",
      headers=no_headers, ok=claims,
      event_id=f"{claims['invoiceNo']}:0000")
    ok("envelope-pretty-printed", "The envelope indented: only the JWT is "
       "signed.", json.dumps({"payload": tok}, indent=2).encode())
    ok("envelope-trailing-newline", "A newline after the envelope: only the "
       "JWT is signed.", body + b"\n")
    ok("envelope-extra-members", "Members other than payload are ignored.",
       compact({"version": "4.3", "payload": tok, "extra": [1, None]}))
    tok_ok("exp-in-future", "An exp claim a minute ahead of now.",
           dict(claims, exp=NOW + 60))
    tok_ok("iat-in-past", "An iat claim a minute before now.",
           dict(claims, iat=NOW - 60))
    c_x = {k: v for k, v in claims.items() if k != "respCode"}
    a("event-id-without-resp-code", "No respCode claim: event_id is null.",
      twoc2p_body(jwt_token(c_x)), ok=c_x, event_id=None)

    # -- keys ----------------------------------------------------------------
    tok_err("key-hex-decoded-by-signer", "The 2C2P JWT guide's trap: a token "
            "signed with the SHA key hex-decoded to 32 bytes does not verify "
            "under the key's text.",
            jwt_token(claims, bytes.fromhex(TWOC2P_KEY)),
            "InvalidSignatureError")
    tok_err("key-lower-cased-by-signer", "A token signed with the key "
            "lower-cased: the key is exact text.",
            jwt_token(claims, TWOC2P_KEY.lower()), "InvalidSignatureError")
    a("key-other-merchant", "Another merchant's SHA key.",
      key=TWOC2P_KEY_OTHER, error="InvalidSignatureError")
    a("key-empty", "An empty key.", key="", error="InvalidKeyError")
    ok("keys-rotation-second-matches", "A key rotation: the second key "
       "matches.", keys=[TWOC2P_KEY_2, TWOC2P_KEY])
    a("keys-rotation-none-matches", "Neither key matches.",
      keys=[TWOC2P_KEY_2, TWOC2P_KEY_OTHER], error="InvalidSignatureError")
    a("keys-17", "Seventeen keys are one too many, though one matches.",
      keys=[hashlib.sha256(b"filler %d" % i).hexdigest().upper()
            for i in range(16)] + [TWOC2P_KEY], error="InvalidKeyError")

    # -- algorithms and claims -----------------------------------------------
    tok_err("alg-none", "alg none, carrying an HS256 MAC.",
            jwt_token(claims, header={"alg": "none", "typ": "JWT"}),
            "InvalidAlgorithmError")
    tok_err("alg-hs512", "A token correctly signed with HS512: only HS256 is "
            "allowed.", jwt_token(claims, header={"alg": "HS512",
                                                   "typ": "JWT"},
                                  digest=hashlib.sha512),
            "InvalidAlgorithmError")
    tok_err("alg-hs384", "A token correctly signed with HS384.",
            jwt_token(claims, header={"alg": "HS384", "typ": "JWT"},
                      digest=hashlib.sha384), "InvalidAlgorithmError")
    tok_err("alg-rs256", "alg RS256 on an HMAC token.",
            jwt_token(claims, header={"alg": "RS256", "typ": "JWT"}),
            "InvalidAlgorithmError")
    tok_err("exp-in-past", "exp a minute before now.",
            jwt_token(dict(claims, exp=NOW - 60)), "ExpiredSignatureError")
    tok_err("exp-equal-to-now", "exp equal to now has expired (no leeway).",
            jwt_token(dict(claims, exp=NOW)), "ExpiredSignatureError")
    tok_err("nbf-in-future", "nbf a minute after now.",
            jwt_token(dict(claims, nbf=NOW + 60)), "ImmatureSignatureError")
    tok_err("iat-in-future", "iat a minute after now.",
            jwt_token(dict(claims, iat=NOW + 60)), "ImmatureSignatureError")

    # -- tampering and the signature segment ----------------------------------
    forged = twoc2p_response(amount="1.00")
    tok_err("tampered-amount", "The payload re-encoded with another amount, "
            "keeping the original signature.",
            f"{h_}.{b64url(compact(forged))}.{s_}", "InvalidSignatureError")
    tok_err("tampered-signature-first-char", "The signature's first "
            "character changed.",
            f"{h_}.{p_}.{'A' if s_[0] != 'A' else 'B'}{s_[1:]}",
            "InvalidSignatureError")
    # the last character carries two unused bits: change it to another
    # character whose unused bits are also zero
    last = _B64_CHARS.index(s_[-1].replace("-", "+").replace("_", "/"))
    url_chars = _B64_CHARS.replace("+", "-").replace("/", "_")
    tok_err("tampered-signature-last-char", "The signature's last character "
            "changed (its unused bits stay zero).",
            f"{h_}.{p_}.{s_[:-1]}{url_chars[last ^ 4]}",
            "InvalidSignatureError")
    tok_err("signature-noncanonical-bits", "The signature's last character "
            "with an unused bit set.",
            f"{h_}.{p_}.{noncanonical(s_, url_chars)}", "DecodeError")
    tok_err("signature-padded", "The signature with = padding.",
            f"{tok}=", "DecodeError")
    std = first(lambda i: jwt_token(twoc2p_response(
        invoiceNo=f"1700000000ORD{2000 + i}")),
        lambda t: "-" in t.split(".")[2] or "_" in t.split(".")[2])
    std_claims = json.loads(base64.urlsafe_b64decode(
        std.split(".")[1] + "=="))
    ok("genuine-signature-with-url-characters", "A token whose signature "
       "holds - or _ (the base for the next vector).", twoc2p_body(std),
       payload=std_claims)
    std_h, std_p, std_s = std.split(".")
    tok_err("signature-standard-base64", "The same signature in the standard "
            "base64 alphabet (+ and /).",
            f"{std_h}.{std_p}." + std_s.replace("-", "+").replace("_", "/"),
            "DecodeError")
    mac = base64.urlsafe_b64decode(s_ + "=")
    tok_err("signature-as-hex", "The MAC as hex text: valid base64url, but "
            "48 bytes.", f"{h_}.{p_}.{mac.hex()}", "InvalidSignatureError")

    # -- the envelope --------------------------------------------------------
    for vid, comment, b in (
            ("envelope-missing-payload", "No payload member.",
             compact({"token": tok})),
            ("envelope-duplicate-payload", "payload twice (the second "
             "valid).", b'{"payload":"x.y.z","payload":"' + tok.encode()
             + b'"}'),
            ("envelope-payload-not-string", "payload holds an object.",
             compact({"payload": {"jwt": tok}})),
            ("envelope-payload-with-space", "A space before the token inside "
             "the string.", compact({"payload": " " + tok})),
            ("envelope-payload-with-newline", "A newline after the token "
             "inside the string.", compact({"payload": tok + "\n"})),
            ("envelope-payload-empty", "An empty payload string.",
             compact({"payload": ""})),
            ("envelope-payload-wrong-case", "Payload is not payload.",
             compact({"Payload": tok})),
            ("envelope-bare-token", "The token without the envelope.",
             tok.encode()),
            ("envelope-array", "The envelope inside an array.",
             compact([{"payload": tok}])),
            ("envelope-truncated", "The envelope cut short.", body[:-2]),
            ("envelope-bom", "A byte order mark before the envelope.",
             b"\xef\xbb\xbf" + body)):
        a(vid, comment, b, error="DecodeError")

    # -- size and payload ----------------------------------------------------
    ok("max-bytes-at-limit", "A body exactly max_bytes long.",
       options={"max_bytes": len(body)})
    a("max-bytes-one-over", "A genuine body one byte over max_bytes.",
      options={"max_bytes": len(body) - 1}, error="PayloadTooLargeError")
    a("max-bytes-before-signature", "One byte over with a wrong key: the "
      "size is checked first.", key=TWOC2P_KEY_OTHER,
      options={"max_bytes": len(body) - 1}, error="PayloadTooLargeError")
    arr = jwt_token(None, raw_claims=b'[{"invoiceNo":"1"}]')
    tok_err("payload-json-array", "A correctly signed JWT whose payload is "
            "an array.", arr, "DecodeError")
    txt = jwt_token(None, raw_claims=b"respCode=0000")
    tok_err("payload-not-json", "A correctly signed JWT whose payload is not "
            "JSON.", txt, "DecodeError")
    bad = jwt_token(None, TWOC2P_KEY_OTHER, raw_claims=b"respCode=0000")
    tok_err("payload-not-json-bad-signature", "The same payload under "
            "another key: the signature is checked first.", bad,
            "InvalidSignatureError")
    return f


# ===========================================================================
# SDK differences: the vectors on which an official SDK decides otherwise.
# Key: "<gateway>/<vector id>"; value: {sdk: (outcome the SDK gives, reason
# payhook differs)}.  Outcomes are "accept" or "refuse".

R_SIZE = ("the SDK has no size limit; payhook refuses a body over max_bytes "
          "before any work")
R_KEYLIST = ("the SDK takes one key, so the test tries each in turn; payhook "
             "refuses a key list that is too long or holds a bad key, "
             "before looking at the body")
R_NOT_PARSED = ("the SDK checks only the signature and does not parse the "
                "body; payhook returns the payload, so it must be one JSON "
                "object")
R_LENIENT_JSON = ("json.loads accepts it (NaN, or a list when the SDK "
                  "returns whatever the body holds); payhook requires one "
                  "strict JSON object")
R_SWH_SECRET = ("the Python library decodes the secret leniently (appends "
                "'==', skips non-alphabet characters, ignores trailing bits) "
                "and checks no length; payhook wants canonical padded base64 "
                "of 24 to 64 bytes, as the spec describes the secret")
R_SWH_TS = ("the Python library reads webhook-timestamp with float() and "
            "signs its whole seconds; payhook accepts only plain digits, so "
            "one time has one text")
R_SWH_TOKENS = ("the Python library splits webhook-signature at each "
                "single space and accepts if any piece equals the expected "
                "'v1,<base64>' text, passing over pieces that are empty or "
                "malformed and counting none; payhook parses the whole "
                "header and refuses a malformed one")
R_SWH_ID = ("the SDK does not check webhook-id; payhook refuses an id with "
            "'.' (which makes id.timestamp.body ambiguous) or of more than "
            "256 characters")
R_SWH_TOLERANCE = ("the SDK's window is fixed at 300 s; payhook's tolerance "
                   "is an option")
R_SVIX_NAMES = ("svix also reads the older svix-* header names; payhook's "
                "standardwebhooks verifier reads only the webhook-* headers")
R_STRIPE_FUTURE = ("stripe-python rejects only timestamps older than the "
                   "tolerance; payhook refuses both directions, since a "
                   "future-dated capture would otherwise stay valid for "
                   "longer")
R_STRIPE_HEADER = ("stripe-python splits the header loosely: an item without "
                   "'=' (an empty one too) is ignored, a v1 value ends at a "
                   "second '=', the first t wins and items are not counted; "
                   "payhook refuses a malformed header")
R_STRIPE_T = ("stripe-python reads t with int(), which also takes a sign, "
              "leading zeros and underscores, and signs the number again; "
              "payhook accepts only plain digits")
R_REPEATED = ("the test joins a repeated header into one value with ', ' "
              "as HTTP servers do, and the SDK still finds a valid MAC in "
              "it; payhook refuses a repeated signature header")
R_RZP_EMPTY = ("the SDK computes an HMAC under an empty secret; payhook "
               "refuses an empty key (an unset secret)")
R_RZP_EVENT_ID = ("the SDK ignores the event id header; payhook refuses a "
                  "repeated one, since it is the deduplication key")
R_CHIP_SMALL = ("cryptography verifies with any RSA key; payhook refuses "
                "keys under 2048 bits")
R_CHIP_B64 = ("base64.b64decode(validate=True) ignores unused trailing "
              "bits; payhook accepts only canonical base64 so that one "
              "signature has one text")
R_PYJWT_ENVELOPE = ("the test takes the token out with json.loads, where "
                    "the last duplicate wins; payhook refuses an envelope "
                    "with two payload members")
R_PYJWT_PADDING = ("PyJWT accepts '=' padding on a segment (some issuers "
                   "send it); payhook accepts only unpadded base64url, as "
                   "in jwt.json, so one token has one text")

SDK_DIFFERENCES: dict = {}


def _differ(ids: list, sdks: tuple, outcome: str, reason: str) -> None:
    for vid in ids:
        for sdk in sdks:
            SDK_DIFFERENCES.setdefault(vid, {})[sdk] = (outcome, reason)


_SWH = ("standardwebhooks", "svix")
_STRIPE = ("stripe.construct_event", "stripe.verify_header")
_differ(["standardwebhooks/max-bytes-one-over", "stripe/max-bytes-one-over",
         "razorpay/max-bytes-one-over", "chip/max-bytes-one-over",
         "chip_send/max-bytes-one-over", "twoc2p/max-bytes-one-over"],
        _SWH + _STRIPE + ("razorpay", "cryptography", "pyjwt"), "accept",
        R_SIZE)
for _vid in list(SDK_DIFFERENCES):          # only each gateway's own SDKs
    _gw = _vid.split("/")[0]
    SDK_DIFFERENCES[_vid] = {s: v for s, v in SDK_DIFFERENCES[_vid].items()
                             if s in SDKS[_gw]}
_differ(["standardwebhooks/keys-17"], _SWH, "accept", R_KEYLIST)
_differ(["stripe/keys-17"], _STRIPE, "accept", R_KEYLIST)
_differ(["razorpay/keys-17"], ("razorpay",), "accept", R_KEYLIST)
_differ(["chip/keys-one-too-small", "chip_send/keys-one-too-small"],
        ("cryptography",), "accept", R_KEYLIST + "; " + R_CHIP_SMALL)
_differ(["twoc2p/keys-17"], ("pyjwt",), "accept", R_KEYLIST)
# Standard Webhooks
_differ([f"standardwebhooks/key-{n}" for n in
         ("23-bytes", "65-bytes", "unpadded", "noncanonical-bits")],
        _SWH, "accept", R_SWH_SECRET)
_differ(["standardwebhooks/signature-empty-version",
         "standardwebhooks/signature-33-entries",
         "standardwebhooks/signature-trailing-space",
         "standardwebhooks/signature-double-space",
         "standardwebhooks/signature-entry-without-comma"], _SWH, "accept",
        R_SWH_TOKENS)
_differ(["standardwebhooks/header-repeated-signature",
         "standardwebhooks/header-repeated-signature-other-case"], _SWH,
        "accept", R_REPEATED + " (the first copy's piece keeps the ',' of "
        "the join and is passed over)")
_differ(["standardwebhooks/webhook-id-with-dot",
         "standardwebhooks/webhook-id-257-chars"], _SWH, "accept", R_SWH_ID)
_differ(["standardwebhooks/timestamp-leading-zero",
         "standardwebhooks/timestamp-plus-sign",
         "standardwebhooks/timestamp-fraction"], _SWH, "accept", R_SWH_TS)
_differ(["standardwebhooks/tolerance-600-at-600s-old"], _SWH, "refuse",
        R_SWH_TOLERANCE)
_differ(["standardwebhooks/tolerance-60-at-61s-old"], _SWH, "accept",
        R_SWH_TOLERANCE)
_differ(["standardwebhooks/header-names-svix"], ("svix",), "accept",
        R_SVIX_NAMES)
_differ(["standardwebhooks/body-json-array-signed",
         "standardwebhooks/body-nan-signed",
         "standardwebhooks/body-bom-signed"], ("standardwebhooks",),
        "accept", R_LENIENT_JSON + " (json.loads of bytes also passes over "
        "a UTF-8 byte order mark)")
_differ(["standardwebhooks/body-not-json-signed",
         "standardwebhooks/body-bom-signed",
         "standardwebhooks/body-json-array-signed",
         "standardwebhooks/body-nan-signed",
         "standardwebhooks/body-not-utf8-signed"], ("svix",), "accept",
        R_NOT_PARSED)
# Stripe
_differ(["stripe/timestamp-301s-ahead", "stripe/timestamp-one-day-ahead",
         "stripe/tolerance-60-at-61s-ahead"], _STRIPE, "accept",
        R_STRIPE_FUTURE)
_differ(["stripe/item-without-equals", "stripe/trailing-comma",
         "stripe/v1-value-with-second-equals", "stripe/t-repeated",
         "stripe/items-33"], _STRIPE, "accept", R_STRIPE_HEADER)
_differ(["stripe/t-leading-zero", "stripe/t-plus-sign",
         "stripe/t-underscores"], _STRIPE, "accept", R_STRIPE_T)
_differ(["stripe/header-repeated", "stripe/header-repeated-other-case"],
        _STRIPE, "accept", R_REPEATED + " (the second copy's ' t' item has "
        "another name and is ignored)")
_differ(["stripe/body-nan-signed"], ("stripe.construct_event",), "accept",
        R_LENIENT_JSON)
_differ(["stripe/body-not-json-signed", "stripe/body-json-array-signed",
         "stripe/body-nan-signed"], ("stripe.verify_header",), "accept",
        R_NOT_PARSED)
# Razorpay
_differ(["razorpay/key-empty"], ("razorpay",), "accept", R_RZP_EMPTY)
_differ(["razorpay/event-id-repeated"], ("razorpay",), "accept",
        R_RZP_EVENT_ID)
_differ(["razorpay/body-not-json-signed", "razorpay/body-json-array-signed",
         "razorpay/body-bom-signed"], ("razorpay",), "accept", R_NOT_PARSED)
# CHIP
for _gw in ("chip", "chip_send"):
    _differ([f"{_gw}/key-1024-bits"], ("cryptography",), "accept",
            R_CHIP_SMALL)
    _differ([f"{_gw}/signature-noncanonical-bits"], ("cryptography",),
            "accept", R_CHIP_B64)
    _differ([f"{_gw}/body-not-json-signed", f"{_gw}/body-json-array-signed",
             f"{_gw}/body-not-utf8-signed"], ("cryptography",), "accept",
            R_NOT_PARSED)
# 2C2P (PyJWT for the token; the test opens the envelope with json.loads)
_differ(["twoc2p/envelope-duplicate-payload"], ("pyjwt",), "accept",
        R_PYJWT_ENVELOPE)
_differ(["twoc2p/signature-padded"], ("pyjwt",), "accept", R_PYJWT_PADDING)


# ===========================================================================
# Checks and output

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def lint(name: str, doc: dict) -> None:
    gateway = name[:-len(".json")]
    assert set(doc) == {"description", "vectors"}, name
    seen = set()
    for v in doc["vectors"]:
        vid = v.get("id")
        assert set(v) == {"id", "comment", "function", "input", "expect"}, vid
        assert _ID.fullmatch(vid) and vid not in seen, (name, vid)
        seen.add(vid)
        assert isinstance(v["comment"], str) and v["comment"], vid
        assert v["function"] == gateway + ".verify", vid
        i = v["input"]
        assert ("body" in i) != ("body_hex" in i), vid
        assert ("key" in i) != ("keys" in i), vid
        assert set(i) <= {"body", "body_hex", "headers", "key", "keys",
                          "options"}, vid
        for pair in i["headers"]:
            assert isinstance(pair, list) and len(pair) == 2, vid
            n, val = pair
            assert n and all(0x21 <= ord(c) <= 0x7E for c in n), vid
            assert all(0x20 <= ord(c) <= 0x7E for c in val), vid
        keys = i["keys"] if "keys" in i else [i["key"]]
        assert all(isinstance(k, str) for k in keys), vid
        o = i["options"]
        assert "now" in o and set(o) <= OPTIONS[gateway], vid
        assert all(isinstance(o[k], int) and not isinstance(o[k], bool)
                   for k in o), vid
        e = v["expect"]
        if "error" in e:
            assert set(e) == {"error"} and e["error"] in ERROR_KINDS, vid
        else:
            assert set(e) == {"payload", "event_id", "timestamp"}, vid
            assert isinstance(e["payload"], dict), vid
            assert e["event_id"] is None or isinstance(e["event_id"], str)
            assert e["timestamp"] is None or isinstance(e["timestamp"], int)
            assert (e["timestamp"] is not None) == \
                (gateway in ("stripe", "standardwebhooks")), vid


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values, types included (1 is not 1.0 or true)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def check_differences(files: dict) -> None:
    index = {f"{name[:-5]}/{v['id']}": v for name, doc in files.items()
             for v in doc["vectors"]}
    for key, sdks in SDK_DIFFERENCES.items():
        assert key in index, f"SDK_DIFFERENCES names no vector: {key}"
        gateway = key.split("/")[0]
        expected = "accept" if "payload" in index[key]["expect"] else "refuse"
        for sdk, (outcome, reason) in sdks.items():
            assert sdk in SDKS[gateway], (key, sdk)
            assert outcome in ("accept", "refuse") and reason, (key, sdk)
            assert outcome != expected, f"{key}/{sdk} is no difference"


def build_all() -> dict:
    built = [build_twoc2p(), build_standardwebhooks(), build_stripe(),
             build_razorpay(), build_chip_file("chip"),
             build_chip_file("chip_send")]
    return {f.name: f.text() for f in built}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if a file would change")
    args = ap.parse_args()

    texts = build_all()
    files = {name: json.loads(text) for name, text in texts.items()}
    for name, doc in files.items():
        lint(name, doc)
        for v in doc["vectors"]:
            try:
                got = model(v)
            except Ambiguous as e:
                raise AssertionError(f"{name}/{v['id']}: {e}") from None
            assert same(got, v["expect"]), \
                f"{name}/{v['id']}: model {got} != expected {v['expect']}"
    check_differences(files)

    stale = []
    for name, text in texts.items():
        path = HERE / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    for name, doc in files.items():
        print(f"{name}: {len(doc['vectors'])} vectors")
    print(f"total: {sum(len(d['vectors']) for d in files.values())}; "
          f"SDK differences listed: "
          f"{sum(len(s) for s in SDK_DIFFERENCES.values())} "
          f"({len(SDK_DIFFERENCES)} vectors)")
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
