#!/usr/bin/env python3
"""Write the shared test vectors for the form-posting gateways.

    python3 tests/vectors/generate_forms.py           # (re)write the files
    python3 tests/vectors/generate_forms.py --check   # exit 1 if stale

The files are billplz.json, fiuu.json, senangpay.json, senangpay_md5.json
and toyyibpay.json; FORM_VECTORS.md describes them.  Only the standard
library makes them, from fixed keys, fixed fields and a fixed clock (NOW),
so every run writes the same bytes.

Before anything is written, every vector, as it reads back from its JSON
text, is run through the reference model below: a short, plain statement
of what payhook's form gateways do, written from the gateway facts in
../shared/providers/GATEWAYS.md and not from payhook.  It has its own
form parser (urllib is not used anywhere in this file).  It must give
every expectation exactly, and it refuses a vector whose outcome would
depend on something the semantics leave open.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import pathlib
import re
import sys
from typing import Any, Callable

HERE = pathlib.Path(__file__).resolve().parent

# ---------------------------------------------------------------------------
# Fixed parameters (the semantics' limits and defaults)

NOW = 1_700_000_000                 # 2023-11-14T22:13:20Z, the pinned clock
DEFAULT_MAX_BYTES = 1 << 20
MAX_FIELDS = 128
MAX_KEYS = 16                       # as the JSON gateways; not exercised here

GATEWAYS = ("billplz", "fiuu", "senangpay", "senangpay_md5", "toyyibpay")
ERROR_KINDS = {
    "InvalidKeyError", "PayloadTooLargeError", "DecodeError",
    "MissingSignatureError", "InvalidSignatureError",
}


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def hmac_sha256_hex(key: str, text: str) -> str:
    return hmac.new(key.encode("utf-8"), text.encode("utf-8"),
                    hashlib.sha256).hexdigest()


# ===========================================================================
# The reference model
#
# model(vector) -> the expectation, or {"error": kind}.  Checks run in this
# order: key, size, form parsing (with the bracketed names), signature field
# absent or empty, required fields absent, signature syntax, the MAC.


class Fail(Exception):
    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class Ambiguous(Exception):
    """The outcome would depend on something the semantics leave open."""


# -- the form parser ---------------------------------------------------------

_HEX_DIGITS = b"0123456789abcdefABCDEF"


def form_unescape(raw: bytes) -> str:
    """`+` is a space, `%XX` the byte XX (hex, either case); any other `%`
    is DecodeError; the bytes must then be valid UTF-8 (Python's strict
    decoder refuses overlong forms, surrogates and anything past
    U+10FFFF)."""
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x2B:                                   # "+"
            out.append(0x20)
            i += 1
        elif c == 0x25:                                 # "%"
            pair = raw[i + 1:i + 3]
            if len(pair) != 2 or pair[0] not in _HEX_DIGITS \
                    or pair[1] not in _HEX_DIGITS:
                raise Fail("DecodeError")
            out.append(int(pair.decode("ascii"), 16))
            i += 3
        else:
            out.append(c)
            i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise Fail("DecodeError") from None


def parse_form(text: bytes) -> list:
    """The (name, value) pairs of an application/x-www-form-urlencoded
    text: split on `&` only, every segment holds a `=`, names non-empty
    and unique once decoded, at most MAX_FIELDS fields."""
    if text == b"":
        return []
    segments = text.split(b"&")
    if len(segments) > MAX_FIELDS:
        raise Fail("DecodeError")
    pairs, seen = [], set()
    for segment in segments:
        raw_name, eq, raw_value = segment.partition(b"=")
        if not eq:
            raise Fail("DecodeError")
        name, value = form_unescape(raw_name), form_unescape(raw_value)
        if name == "" or name in seen:
            raise Fail("DecodeError")
        seen.add(name)
        pairs.append((name, value))
    return pairs


_BRACKETED = re.compile(r"[^\[\]]+(?:\[[^\[\]]+\])+")


def flatten(name: str) -> str:
    """`a[b][c]` -> `abc`; a name with a bracket in any other shape is
    DecodeError."""
    if "[" not in name and "]" not in name:
        return name
    if not _BRACKETED.fullmatch(name):
        raise Fail("DecodeError")
    return name.replace("[", "").replace("]", "")


def form_payload(pairs: list) -> dict:
    payload: dict = {}
    for name, value in pairs:
        flat = flatten(name)
        if flat in payload:
            raise Fail("DecodeError")
        payload[flat] = value
    return payload


# -- common steps ------------------------------------------------------------


def signature_field(payload: dict, names: tuple) -> tuple:
    """(name, value) of the signature field; absent or empty is
    MissingSignatureError."""
    present = [n for n in names if n in payload]
    if len(present) > 1:
        raise Ambiguous(f"two signature fields: {present}")
    if not present or payload[present[0]] == "":
        raise Fail("MissingSignatureError")
    return present[0], payload[present[0]]


def require(payload: dict, names: tuple) -> None:
    if any(n not in payload for n in names):
        raise Fail("DecodeError")


def lower_hex(value: str, length: int) -> str:
    if len(value) != length or any(c not in "0123456789abcdef"
                                   for c in value):
        raise Fail("DecodeError")
    return value


def any_matches(sig: str, macs: list) -> None:
    if not any(hmac.compare_digest(m.encode(), sig.encode()) for m in macs):
        raise Fail("InvalidSignatureError")


def reply(body: str = "", repost: str | None = None) -> dict:
    return {"status": 200, "body": body, "repost": repost}


# -- Billplz -----------------------------------------------------------------

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                             "abcdefghijklmnopqrstuvwxyz")


def billplz_source(payload: dict, sig_name: str) -> str:
    items = [name + value for name, value in payload.items()
             if name != sig_name]
    ordered = sorted(items, key=lambda s: (s.lower(), s))
    if ordered != sorted(items, key=lambda s: (s.translate(_ASCII_LOWER),
                                               s)):
        raise Ambiguous("Unicode and ASCII case folding order differently")
    return "|".join(ordered)


def model_billplz(payload: dict, text: str, keys: list) -> dict:
    sig_name, sig = signature_field(payload, ("x_signature",
                                              "billplzx_signature"))
    lower_hex(sig, 64)
    source = billplz_source(payload, sig_name)
    any_matches(sig, [hmac_sha256_hex(k, source) for k in keys])
    if "id" in payload and "state" in payload:
        event_id = payload["id"] + ":" + payload["state"]
    elif "id" in payload and "status" in payload:
        event_id = payload["id"] + ":" + payload["status"]
    elif "billplzid" in payload and "billplzpaid" in payload:
        event_id = payload["billplzid"] + ":" + payload["billplzpaid"]
    else:
        event_id = None
    return {"event_id": event_id,
            "signed_fields": sorted(n for n in payload if n != sig_name),
            "reply": reply()}


# -- Fiuu --------------------------------------------------------------------

FIUU_REQUIRED = ("tranID", "orderid", "status", "domain", "amount",
                 "currency", "paydate")


def model_fiuu(payload: dict, text: str, keys: list) -> dict:
    _, sig = signature_field(payload, ("skey",))
    require(payload, FIUU_REQUIRED)
    lower_hex(sig, 32)
    p = payload
    key0 = md5_hex(p["tranID"] + p["orderid"] + p["status"] + p["domain"]
                   + p["amount"] + p["currency"])
    appcode = p.get("appcode", "")
    any_matches(sig, [md5_hex(p["paydate"] + p["domain"] + key0 + appcode
                              + k) for k in keys])
    if p.get("nbcb") == "1":
        answer = reply("CBTOKEN:MPSTATOK")
    else:
        answer = reply("", text + "&treq=1")
    signed = [n for n in FIUU_REQUIRED + ("appcode",) if n in p]
    return {"event_id": p["tranID"] + ":" + p["status"],
            "signed_fields": sorted(signed), "reply": answer}


# -- senangPay ---------------------------------------------------------------

SENANGPAY_SIGNED = ("status_id", "order_id", "transaction_id", "msg")


def model_senangpay_common(payload: dict, keys: list, length: int,
                           mac: Callable[[str, str], str]) -> dict:
    _, sig = signature_field(payload, ("hash",))
    require(payload, SENANGPAY_SIGNED)
    lower_hex(sig, length)
    fields = "".join(payload[n] for n in SENANGPAY_SIGNED)
    any_matches(sig, [mac(k, k + fields) for k in keys])
    return {"event_id": payload["transaction_id"] + ":"
            + payload["status_id"],
            "signed_fields": sorted(SENANGPAY_SIGNED), "reply": reply("OK")}


def model_senangpay(payload: dict, text: str, keys: list) -> dict:
    return model_senangpay_common(payload, keys, 64, hmac_sha256_hex)


def model_senangpay_md5(payload: dict, text: str, keys: list) -> dict:
    return model_senangpay_common(payload, keys, 32,
                                  lambda key, msg: md5_hex(msg))


# -- toyyibPay ---------------------------------------------------------------

TOYYIBPAY_SIGNED = ("status", "order_id", "refno")


def model_toyyibpay(payload: dict, text: str, keys: list) -> dict:
    _, sig = signature_field(payload, ("hash",))
    require(payload, TOYYIBPAY_SIGNED)
    lower_hex(sig, 32)
    fields = "".join(payload[n] for n in TOYYIBPAY_SIGNED)
    any_matches(sig, [md5_hex(k + fields + "ok") for k in keys])
    return {"event_id": payload["refno"] + ":" + payload["status"],
            "signed_fields": sorted(TOYYIBPAY_SIGNED), "reply": reply()}


MODELS = {
    "billplz": model_billplz, "fiuu": model_fiuu,
    "senangpay": model_senangpay, "senangpay_md5": model_senangpay_md5,
    "toyyibpay": model_toyyibpay,
}


def body_of(inp: dict) -> bytes:
    if "body_hex" in inp:
        return bytes.fromhex(inp["body_hex"])
    return inp["body"].encode("utf-8")


def model(v: dict) -> dict:
    gateway = v["function"].split(".")[0]
    inp = v["input"]
    keys = inp["keys"] if "keys" in inp else [inp["key"]]
    if not 1 <= len(keys) <= MAX_KEYS:
        raise Ambiguous("the key count is left open")
    try:
        if any(k == "" for k in keys):
            raise Fail("InvalidKeyError")
        body = body_of(inp)
        text = body if body else inp.get("query", "").encode("utf-8")
        if len(text) > inp["options"].get("max_bytes", DEFAULT_MAX_BYTES):
            raise Fail("PayloadTooLargeError")
        payload = form_payload(parse_form(text))
        # The text parsed, so it is UTF-8: every byte is in a name or value.
        result = MODELS[gateway](payload, text.decode("utf-8"), keys)
    except Fail as e:
        return {"error": e.kind}
    return {"payload": payload, "event_id": result["event_id"],
            "timestamp": None, "signed_fields": result["signed_fields"],
            "reply": result["reply"]}


# ===========================================================================
# Building the vectors
#
# The builders write forms the way the gateways' PHP senders do
# (http_build_query: letters, digits and -._ kept, space as +, every other
# byte %XX in upper case) unless a vector says otherwise, and state each
# expectation from the fields they put in.


def encode(text: str, space: str = "+", safe: str = "") -> str:
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if byte < 0x80 and (ch.isalnum() or ch in "-._" or ch in safe):
            out.append(ch)
        elif ch == " ":
            out.append(space)
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def form(pairs: list, space: str = "+", safe: str = "",
         name_safe: str = "[]") -> str:
    return "&".join(encode(n, space, name_safe) + "=" + encode(v, space, safe)
                    for n, v in pairs)


def flat(name: str) -> str:
    """The flattened form of a well-formed name (the builders write no
    other kind where a result is expected)."""
    return name.replace("[", "").replace("]", "")


def kebab(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def tweak(value: str) -> str:
    """The value with its last character changed (or "0" if empty)."""
    if value == "":
        return "0"
    return value[:-1] + ("1" if value[-1] == "0" else "0")


def replace(pairs: list, name: str, value: str) -> list:
    assert any(n == name for n, _ in pairs), name
    return [(n, value if n == name else v) for n, v in pairs]


def without(pairs: list, *names: str) -> list:
    assert all(any(n == x for n, _ in pairs) for x in names), names
    return [(n, v) for n, v in pairs if n not in names]


class Spec:
    """How one gateway signs and what a verified form gives, as the
    builders state it."""

    def __init__(self, gateway: str, *, key: str, key_old: str,
                 key_other: str, sig_name: str, sig_len: int,
                 required: tuple, sign: Callable[[dict, str], str],
                 signed: Callable[[dict], list],
                 event_id: Callable[[dict], str | None],
                 answer: Callable[[dict, str], dict],
                 sig_names: tuple | None = None):
        self.gateway, self.key = gateway, key
        self.key_old, self.key_other = key_old, key_other
        self.sig_name, self.sig_len = sig_name, sig_len
        self.sig_names = sig_names or (sig_name,)
        self.required, self._sign, self._signed = required, sign, signed
        self._event_id, self._answer = event_id, answer

    def sig(self, pairs: list, key: str | None = None) -> str:
        """The signature over pairs (any signature field in them left
        out), keyed with key."""
        d = {flat(n): v for n, v in pairs if flat(n) not in self.sig_names}
        return self._sign(d, self.key if key is None else key)

    def signed(self, pairs: list, key: str | None = None,
               sig_name: str | None = None) -> list:
        return pairs + [(sig_name or self.sig_name, self.sig(pairs, key))]

    def expect(self, pairs: list, text: str) -> dict:
        payload = {flat(n): v for n, v in pairs}
        assert len(payload) == len(pairs)
        return {"payload": payload, "event_id": self._event_id(payload),
                "timestamp": None, "signed_fields": sorted(
                    self._signed(payload)),
                "reply": self._answer(payload, text)}


class VectorFile:
    def __init__(self, spec: Spec, description: str):
        self.spec, self.description = spec, description
        self.name = spec.gateway + ".json"
        self.vectors: list = []

    def add(self, vid: str, comment: str, pairs: Any = None, *,
            body: str | bytes | None = None, query: str | None = None,
            key: str | None = None, keys: list | None = None,
            max_bytes: int | None = None, ok: bool = False,
            error: str | None = None) -> None:
        """One vector.  The body is form(pairs) unless body or query is
        given (a query alone means an empty body).  ok: expect success,
        stated from pairs; else error."""
        assert ok != (error is not None), vid
        if body is None:
            body = "" if query is not None else form(pairs)
        raw = body if isinstance(body, bytes) else body.encode("utf-8")
        inp: dict = {}
        try:
            inp["body"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            inp["body_hex"] = raw.hex()
        if query is not None:
            inp["query"] = query
        if keys is not None:
            assert key is None, vid
            inp["keys"] = list(keys)
        else:
            inp["key"] = self.spec.key if key is None else key
        inp["options"] = {"now": NOW}
        if max_bytes is not None:
            inp["options"]["max_bytes"] = max_bytes
        if error is not None:
            expect: dict = {"error": error}
        else:
            expect = self.spec.expect(pairs, inp["body"] or query or "")
        self.vectors.append({"id": vid, "comment": comment,
                             "function": self.spec.gateway + ".verify",
                             "input": inp, "expect": expect})

    def text(self) -> str:
        doc = {"description": self.description, "vectors": self.vectors}
        return json.dumps(doc, indent=1, ensure_ascii=True) + "\n"


# -- cases every gateway has -------------------------------------------------


# The parser's refusals, and the other cases that need not be in every
# file: each file holds a share of them (its `shared` argument), and
# together the files hold them all (build_all checks).
REFUSALS = (
    "escape-bad-hex", "escape-truncated", "escape-bare-percent",
    "escape-in-name", "escape-plus-after-percent", "utf8-raw-invalid-byte",
    "utf8-raw-truncated", "utf8-escaped-invalid", "utf8-overlong",
    "utf8-surrogate", "utf8-beyond-max", "segment-empty",
    "segment-trailing-ampersand", "segment-leading-ampersand",
    "segment-without-equals", "name-empty", "separator-semicolon",
    "bracket-unclosed", "bracket-stray-close", "bracket-empty-word",
    "bracket-leading", "bracket-text-after", "bracket-nested",
)
SHARED = frozenset(REFUSALS + (
    "duplicate-field-escaped-name", "duplicate-signature",
    "signature-extended", "signature-not-hex", "signature-trailing-space",
    "signature-name-other-case", "key-case-changed",
    "keys-rotation-one-empty", "everything-percent-encoded",
    "flatten-collision-signature", "fields-128", "fields-129",
    "key-before-size", "body-wins-tampered-body", "body-and-query-empty",
    "query-when-body-empty", "query-at-limit", "long-query-ignored",
    "required-absent-and-wrong-mac",
))


def common_cases(f: VectorFile, base: list, *, tampered: dict,
                 unsigned: tuple | None, dup: str, space_pairs: list,
                 shared: set) -> None:
    """The cases every file has, around one genuine field list (base,
    without its signature), and the share of SHARED named in shared.
    tampered: signed field -> the forged value; unsigned: (field, forged
    value), the field added if base has none of that name, or None when
    every field is signed; dup: a signed field to repeat; space_pairs:
    fields (without the signature) with a space in a value."""
    assert shared <= SHARED, shared - SHARED
    s = f.spec
    good = s.signed(base)
    sig = dict(good)[s.sig_name]

    def wanted(vid):
        return vid not in SHARED or vid in shared

    def err(vid, comment, pairs=None, kind="DecodeError", **kw):
        if wanted(vid):
            f.add(vid, comment, good if pairs is None else pairs,
                  error=kind, **kw)

    def ok(vid, comment, pairs=None, **kw):
        if wanted(vid):
            f.add(vid, comment, good if pairs is None else pairs, ok=True,
                  **kw)

    # -- tampering -----------------------------------------------------------
    for name, forged in tampered.items():
        err(f"tampered-{kebab(name)}", f"The signed field {name} changed "
            f"to {forged!r} after signing.", replace(good, name, forged),
            "InvalidSignatureError")
    if unsigned is not None and unsigned[0] in dict(good):
        name, forged = unsigned
        ok(f"unsigned-{kebab(name)}-tampered", f"{name} changed to "
           f"{forged!r} after signing still verifies: the signature does "
           f"not cover it (check it against the order).",
           replace(good, name, forged))
    elif unsigned is not None:
        name, forged = unsigned
        ok(f"unsigned-{kebab(name)}-added", f"{name}={forged!r} added after "
           f"signing still verifies: the signature does not cover it "
           f"(check it against the order).", good + [(name, forged)])
    else:
        err("extra-field-added", "A field added after signing: every "
            "received field is signed.", good + [("discount", "4900")],
            "InvalidSignatureError")
    ok("fields-reordered", "The same fields in reverse order: the order "
       "on the wire does not matter.", list(reversed(good)))

    # -- duplicates ----------------------------------------------------------
    forged = tampered.get(dup, tweak(dict(good)[dup]))
    i = [n for n, _ in good].index(dup)
    err("duplicate-field-forged-first", f"{dup} twice, a forged value "
        f"before the genuine one.", good[:i] + [(dup, forged)] + good[i:])
    err("duplicate-field-forged-last", f"{dup} twice, a forged value after "
        f"the genuine one.", good + [(dup, forged)])
    err("duplicate-field-escaped-name", f"{dup} twice, once with its first "
        "letter percent-encoded: names are compared decoded.",
        body=form(good) + f"&%{ord(dup[0]):02X}{encode(dup[1:])}="
        + encode(forged))
    err("duplicate-signature", f"{s.sig_name} twice with the same value.",
        good + [(s.sig_name, sig)])

    # -- the signature field -------------------------------------------------
    assert any(c in "abcdef" for c in sig)
    other_len = md5_hex("x") if s.sig_len == 64 else \
        hmac_sha256_hex("x", "x")
    for vid, comment, value in (
            ("signature-upper-hex", "The right signature in upper-case hex.",
             sig.upper()),
            ("signature-truncated", "The signature one hex digit short.",
             sig[:-1]),
            ("signature-extended", "The signature with one hex digit more.",
             sig + "0"),
            ("signature-not-hex", "The last digit of the signature replaced "
             "by g.", sig[:-1] + "g"),
            ("signature-trailing-space", "The signature followed by + (a "
             "space once decoded): values are not trimmed.", sig + " "),
            ("signature-other-digest-length", f"Lower-case hex of "
             f"{len(other_len) // 2} bytes where {s.sig_len // 2} are "
             f"expected.", other_len)):
        err(vid, comment, replace(good, s.sig_name, value))
    err("signature-missing", f"No {s.sig_name} field.",
        without(good, s.sig_name), "MissingSignatureError")
    err("signature-empty", f"{s.sig_name} present but empty.",
        replace(good, s.sig_name, ""), "MissingSignatureError")
    err("signature-name-other-case", f"The signature sent as "
        f"{s.sig_name.upper()}: names are case-sensitive, so it is absent.",
        [(s.sig_name.upper() if n == s.sig_name else n, v) for n, v in good],
        "MissingSignatureError")

    # -- keys ----------------------------------------------------------------
    err("key-other-merchant", "Another merchant's key.", key=s.key_other,
        kind="InvalidSignatureError")
    err("key-case-changed", "The key upper-cased: keys are exact text.",
        key=s.key.upper(), kind="InvalidSignatureError")
    err("key-empty", "An empty key, with the form signed under the empty "
        "key (an unset secret).", s.signed(base, ""), key="",
        kind="InvalidKeyError")
    ok("keys-rotation-second-matches", "A rotation: the form is signed "
       "with the old key, the second in the list.", s.signed(base, s.key_old),
       keys=[s.key, s.key_old])
    err("keys-rotation-none-matches", "A rotation in which no key matches.",
        keys=[s.key_old, s.key_other], kind="InvalidSignatureError")
    err("keys-rotation-one-empty", "A rotation holding an empty key, though "
        "the other one matches.", keys=[s.key, ""], kind="InvalidKeyError")

    # -- encodings -----------------------------------------------------------
    spaced = s.signed(space_pairs)
    ok("space-as-plus", "A value with spaces written as +.", spaced,
       body=form(spaced, "+"))
    ok("space-as-percent-20", "The same form with spaces written as %20: "
       "the same decoded value, so the same signature.", spaced,
       body=form(spaced, "%20"))
    ok("everything-percent-encoded", "Every byte of every name and value "
       "written as %XX (lower-case hex digits).", good,
       body="&".join(
           "".join(f"%{b:02x}" for b in n.encode()) + "="
           + "".join(f"%{b:02x}" for b in v.encode()) for n, v in good))
    bracketed = s.signed(base + [("extra[note]", "ref 1001")])
    ok("bracketed-extra-field", "An extra field extra[note]: it flattens "
       "to extranote in the payload.", bracketed)

    # -- the parser's refusals (a share of them per file) ---------------------
    text = form(good)
    refusals: dict[str, tuple[str, str | bytes]] = {
        "escape-bad-hex": ("%zz in a value.", text + "&note=100%zz"),
        "escape-truncated": ("A value ending in %4.", text + "&note=%4"),
        "escape-bare-percent": ("A lone % at the end of the form.",
                                text + "&note=%"),
        "escape-in-name": ("%G1 in a name.", text + "&n%G1te=x"),
        "escape-plus-after-percent": ("%+4 in a value: + is not a hex "
                                      "digit.", text + "&note=%+41"),
        "utf8-raw-invalid-byte": ("A raw 0xFF byte in a value.",
                                  text.encode() + b"&note=\xff"),
        "utf8-raw-truncated": ("A raw UTF-8 sequence cut short (0xC3 at the "
                               "end).", text.encode() + b"&note=caf\xc3"),
        "utf8-escaped-invalid": ("%C3%28: an escaped lead byte followed by "
                                 "a non-continuation byte.",
                                 text + "&note=%C3%28"),
        "utf8-overlong": ("%C0%AF: an overlong form of /.",
                          text + "&note=%C0%AF"),
        "utf8-surrogate": ("%ED%A0%80: an encoded surrogate (U+D800).",
                           text + "&note=%ED%A0%80"),
        "utf8-beyond-max": ("%F4%90%80%80: a code point past U+10FFFF.",
                            text + "&note=%F4%90%80%80"),
        "segment-empty": ("An empty segment (&&) between two fields.",
                          text.replace("&", "&&", 1)),
        "segment-trailing-ampersand": ("A trailing &.", text + "&"),
        "segment-leading-ampersand": ("A leading &.", "&" + text),
        "segment-without-equals": ("A segment without =.", text + "&note"),
        "name-empty": ("A segment with an empty name (=x).", text + "&=x"),
        "separator-semicolon": ("Fields joined by ;: only & separates, so "
                                "this is one field whose value holds the "
                                "rest, and the signature is missing.",
                                ";".join(form([p]) for p in good)),
        "bracket-unclosed": ("A name with [ never closed.",
                             text + "&extra[note=x"),
        "bracket-stray-close": ("A name with a stray ].",
                                text + "&extra]note=x"),
        "bracket-empty-word": ("A name with an empty [].",
                               text + "&extra[]=x"),
        "bracket-leading": ("A name starting with [.",
                            text + "&[extra]=x"),
        "bracket-text-after": ("Text after the closing ].",
                               text + "&extra[a]b=x"),
        "bracket-nested": ("Brackets inside brackets.",
                           text + "&extra[[a]]=x"),
    }
    assert tuple(refusals) == REFUSALS
    for vid in REFUSALS:
        if not wanted(vid):
            continue
        comment, b = refusals[vid]
        if vid == "separator-semicolon":
            f.add(vid, comment, body=b, error="MissingSignatureError")
        else:
            f.add(vid, comment + " Refused before the signature is looked "
                  "at.", body=b, error="DecodeError")
    err("flatten-collision", "extra[note] and extranote both present: they "
        "flatten to the same name.", s.signed(base + [("extra[note]", "a"),
                                                      ("extranote", "a")]))
    err("flatten-collision-signature", f"{s.sig_name} and a bracketed name "
        f"that flattens to it, {s.sig_name[:1]}[{s.sig_name[1:]}].",
        good + [(f"{s.sig_name[:1]}[{s.sig_name[1:]}]", sig)])

    # -- field count ---------------------------------------------------------
    def padded(n):
        extra = [(f"f{i:03d}", str(i)) for i in range(n - len(good))]
        return s.signed(base + extra)

    ok("fields-128", "Exactly 128 fields.", padded(MAX_FIELDS))
    err("fields-129", "129 fields, correctly signed: one too many.",
        padded(MAX_FIELDS + 1))

    # -- required fields -----------------------------------------------------
    for name in s.required:
        err(f"required-{kebab(name)}-absent", f"{name} absent, the rest "
            f"signed as if it were empty.",
            s.signed(without(base, name)))
    if s.required:
        name = s.required[-1]
        ok(f"required-{kebab(name)}-empty", f"{name} present with an empty "
           f"value is fine: it is signed as empty.",
           s.signed(replace(base, name, "")))
        err("signature-missing-and-required-absent", f"No {s.sig_name} and "
            f"no {s.required[0]}: the signature is looked at first.",
            without(base, s.required[0]), "MissingSignatureError")
        err("required-absent-and-signature-upper-hex", f"No "
            f"{s.required[0]} and an upper-case signature: both are "
            f"DecodeError.", without(replace(good, s.sig_name, sig.upper()),
                                     s.required[0]))
        err("required-absent-and-wrong-mac", f"No {s.required[0]} and a "
            f"wrong MAC: the required fields come before the MAC.",
            without(s.signed(base, s.key_other), s.required[0]))

    # -- size ----------------------------------------------------------------
    n = len(text.encode())
    ok("max-bytes-at-limit", "A form exactly max_bytes long.", max_bytes=n)
    err("max-bytes-one-over", "A correctly signed form one byte over "
        "max_bytes.", max_bytes=n - 1, kind="PayloadTooLargeError")
    err("max-bytes-before-parsing", "One byte over with a bad escape in it: "
        "the size is checked before parsing.", body=text[:-3] + "%zz",
        max_bytes=n - 1, kind="PayloadTooLargeError")
    err("key-before-size", "An empty key and a form over max_bytes: the key "
        "is checked first.", key="", max_bytes=n - 1,
        kind="InvalidKeyError")

    # -- body or query -------------------------------------------------------
    ok("query-when-body-empty", "An empty body: the fields are read from "
       "the query.", good, query=text)
    ok("body-wins-over-query", "A non-empty body is read and the query "
       "ignored, even a malformed one.", good, body=text,
       query="note=%zz&&")
    err("body-wins-tampered-body", "A forged body with the genuine form in "
        "the query: the body is what is read.",
        body=form(replace(good, dup, forged)), query=text,
        kind="InvalidSignatureError")
    err("body-and-query-empty", "An empty body and an empty query: no "
        "fields, so no signature.", body="", query="",
        kind="MissingSignatureError")
    ok("query-at-limit", "An empty body and a query exactly max_bytes long.",
       good, query=text, max_bytes=n)
    err("query-one-over", "An empty body and a query one byte over "
        "max_bytes.", good, query=text, max_bytes=n - 1,
        kind="PayloadTooLargeError")
    ok("long-query-ignored", "A body within max_bytes and a longer query: "
       "only the body is measured.", good, body=text,
       query=text + "&note=" + "x" * 64, max_bytes=n)


# ===========================================================================
# Billplz

BPZ_KEY = "S-pAyh00kBillplzXSig2023_Qm7v"
BPZ_KEY_OLD = "S-pAyh00kBillplzXSig2022_Lw4k"
BPZ_KEY_OTHER = "S-an0therMerchantXSigKey_9Tq2"


def billplz_sign(d: dict, key: str) -> str:
    items = [n + v for n, v in d.items()]
    return hmac_sha256_hex(key, "|".join(
        sorted(items, key=lambda s: (s.lower(), s))))


def billplz_event_id(p: dict) -> str | None:
    for a, b in (("id", "state"), ("id", "status"),
                 ("billplzid", "billplzpaid")):
        if a in p and b in p:
            return f"{p[a]}:{p[b]}"
    return None


BILLPLZ = Spec(
    "billplz", key=BPZ_KEY, key_old=BPZ_KEY_OLD, key_other=BPZ_KEY_OTHER,
    sig_name="x_signature", sig_len=64, required=(),
    sig_names=("x_signature", "billplzx_signature"), sign=billplz_sign,
    signed=lambda p: [n for n in p
                      if n not in ("x_signature", "billplzx_signature")],
    event_id=billplz_event_id, answer=lambda p, text: reply())

BILL = [
    ("id", "8X0Iyzaw"), ("collection_id", "inbmmepb"), ("paid", "true"),
    ("state", "paid"), ("amount", "4900"), ("paid_amount", "4900"),
    ("due_at", "2023-11-14"), ("email", "siti.nurhaliza+shop@example.com"),
    ("mobile", ""), ("name", "Siti Nurhaliza binti Tarudin"),
    ("url", "https://www.billplz.com/bills/8X0Iyzaw"),
    ("paid_at", "2023-11-14 22:13:20 +0800"),
    ("transaction_id", "AC4GC031F42H"), ("transaction_status", "completed"),
]

PAYOUT = [
    ("id", "afae4bqf"), ("mass_payment_instruction_collection_id",
                         "4po8no8h"),
    ("bank_code", "MBBEMYKL"), ("bank_account_number", "514356789012"),
    ("identity_number", "900101145678"), ("name", "Ahmad bin Abdullah"),
    ("description", "Refund for order #1001 / November"),
    ("email", "ahmad.abdullah@example.com"), ("status", "completed"),
    ("notification", "false"), ("recipient_notification", "true"),
    ("reference_id", "REF-1001"), ("total", "4900"),
    ("paid_at", "2023-11-14 22:13:20 +0800"),
]

REDIRECT = [
    ("billplz[id]", "8X0Iyzaw"), ("billplz[paid]", "true"),
    ("billplz[paid_at]", "2023-11-14 22:13:20 +0800"),
]


def build_billplz() -> VectorFile:
    s = BILLPLZ
    f = VectorFile(s, (
        "billplz.verify(body, query, key, options): Billplz bill and payout "
        "callbacks (form POST) and redirects (query, billplz[...] names). "
        "x_signature (or billplz[x_signature]) is lower-case hex HMAC-SHA256, "
        "keyed with the X Signature key's text, over every other field's "
        "flattened name + value, sorted case-insensitively (lower-case "
        "folding, ties by the string) and joined by |. now is 1700000000."))
    good = s.signed(BILL)

    def ok(vid, comment, pairs, **kw):
        f.add(vid, comment, pairs, ok=True, **kw)

    def err(vid, comment, pairs, kind, **kw):
        f.add(vid, comment, pairs, error=kind, **kw)

    # -- genuine -------------------------------------------------------------
    ok("genuine-bill-paid", "A paid bill callback with every field Billplz "
       "sends: mobile empty (it is signed as the bare name), an email with "
       "+ (%2B), a URL with / and :, paid_at with spaces and +0800. "
       "event_id is id:state.", good)
    due = [("id", "Wq3LzX7b"), ("collection_id", "inbmmepb"),
           ("paid", "false"), ("state", "due"), ("amount", "12050"),
           ("paid_amount", "0"), ("due_at", "2023-11-20"),
           ("email", "nguyen.minh@example.com"), ("mobile", "+60123456789"),
           ("name", "Nguyễn Thị Minh Khai"),
           ("url", "https://www.billplz.com/bills/Wq3LzX7b"),
           ("paid_at", ""), ("transaction_id", ""),
           ("transaction_status", "")]
    ok("genuine-bill-due-unicode", "A bill still due: paid false, empty "
       "paid_at and transaction fields, a Vietnamese name in raw UTF-8 "
       "percent-encoded.", s.signed(due))
    zoe = replace(BILL, "name", "Zoë Tan 陈美玲")
    ok("genuine-bill-slashes-raw", "A bill callback whose sender left / and "
       ": unescaped and the name holds Latin and CJK letters.",
       s.signed(zoe), body=form(s.signed(zoe), safe="/:@"))
    ok("genuine-payout", "A payout (mass payment instruction) callback: "
       "event_id is id:status.", s.signed(PAYOUT))
    upper = replace(PAYOUT, "id", "Tk2b9QxA")
    ok("payout-upper-case-id-order", "A payout id starting with T: folded "
       "to lower case, idtk2b... sorts after identity_number... (t > e), "
       "where a case-sensitive sort would put it first (T < e).",
       s.signed(upper))
    items = sorted((flat(n) + v for n, v in upper), key=lambda x: x)
    case_sensitive = hmac_sha256_hex(BPZ_KEY, "|".join(items))
    assert case_sensitive != s.sig(upper)
    err("payout-signed-case-sensitively", "The same payout signed over a "
        "case-sensitive sort (PHP sort without a string flag): refused.",
        upper + [("x_signature", case_sensitive)], "InvalidSignatureError")
    tie = BILL + [("refa", ""), ("ref", "A")]
    items = [flat(n) + v for n, v in tie]
    stable = sorted(items, key=str.lower)
    assert stable.index("refa") < stable.index("refA")
    ok("sort-tie-broken-by-string", "refa (an empty refa) and refA (ref=A), "
       "sent in that order, fold to the same text; the tie is broken by "
       "the string itself, so refA comes first (a stable sort on the "
       "folded text alone would keep refa first).", s.signed(tie))
    ok("redirect", "A redirect: billplz[id], billplz[paid], billplz[paid_at] "
       "and billplz[x_signature] in the query, flattened to billplzid, ... "
       "event_id is billplzid:billplzpaid.",
       s.signed(REDIRECT, sig_name="billplz[x_signature]"),
       query=form(s.signed(REDIRECT, sig_name="billplz[x_signature]")))
    red_tx = REDIRECT + [("billplz[transaction_id]", "AC4GC031F42H"),
                         ("billplz[transaction_status]", "completed")]
    red_tx_s = s.signed(red_tx, sig_name="billplz[x_signature]")
    ok("redirect-with-transaction", "A redirect with billplz[transaction_id] "
       "and billplz[transaction_status] enabled.", red_tx_s,
       query=form(red_tx_s))
    ok("redirect-brackets-encoded", "The same redirect with the brackets "
       "written %5B and %5D, as PHP's http_build_query writes them: names "
       "are flattened after decoding.", red_tx_s,
       query=form(red_tx_s, name_safe=""))
    unpaid = replace(REDIRECT, "billplz[paid]", "false")
    forged = replace(s.signed(unpaid, sig_name="billplz[x_signature]"),
                     "billplz[paid]", "true")
    err("redirect-paid-forged", "A redirect signed with billplz[paid] false "
        "and changed to true.", forged, "InvalidSignatureError",
        query=form(forged))
    no_mobile = without(BILL, "mobile")
    err("mobile-absent-signed-as-empty", "mobile absent, but the signature "
        "made with a bare mobile (jomweb/billplz's quirk): an absent field "
        "contributes nothing.", no_mobile + [("x_signature", s.sig(BILL))],
        "InvalidSignatureError")
    ok("extra-field-signed", "A field Billplz might add later, signed with "
       "the rest: everything received is signed.",
       s.signed(BILL + [("payment_method", "fpx")]))
    ok("no-event-id", "A signed form with none of id, billplz[id]: "
       "event_id is null.", s.signed([("note", "test")]))

    common_cases(
        f, BILL,
        tampered={n: tweak(v) if n != "paid" else "false"
                  for n, v in BILL},
        unsigned=None, dup="amount",
        space_pairs=BILL,
        shared={"escape-bad-hex", "utf8-raw-invalid-byte", "segment-empty",
                "bracket-unclosed", "bracket-text-after", "fields-128",
                "fields-129", "long-query-ignored"})
    return f


# ===========================================================================
# Fiuu (MOLPay / Razer Merchant Services)

FIUU_KEY = "5f8d2c4a9b1e7f3605d4c2b8a1e9f7c3"          # the secret key
FIUU_KEY_OLD = "0c7e4a1f9d2b8e6c3a5f1d7b9e2c4a60"
FIUU_KEY_OTHER = "e2b9d4f7a1c8e3b6d0f5a2c9e7b4d1f8"
FIUU_VERIFY_KEY = "8a3c6e9f2b5d1a7c4e0f3b6d9a2c5e7f"   # signs requests only
FIUU_SIGNED = ("tranID", "orderid", "status", "domain", "amount",
               "currency", "paydate", "appcode")


def fiuu_sign(d: dict, key: str) -> str:
    def g(name):
        return d.get(name, "")
    key0 = md5_hex(g("tranID") + g("orderid") + g("status") + g("domain")
                   + g("amount") + g("currency"))
    return md5_hex(g("paydate") + g("domain") + key0 + g("appcode") + key)


def fiuu_answer(p: dict, text: str) -> dict:
    if p.get("nbcb") == "1":
        return reply("CBTOKEN:MPSTATOK")
    return reply("", text + "&treq=1")


FIUU = Spec(
    "fiuu", key=FIUU_KEY, key_old=FIUU_KEY_OLD, key_other=FIUU_KEY_OTHER,
    sig_name="skey", sig_len=32, required=FIUU_SIGNED[:-1], sign=fiuu_sign,
    signed=lambda p: [n for n in FIUU_SIGNED if n in p],
    event_id=lambda p: f"{p['tranID']}:{p['status']}", answer=fiuu_answer)

FIUU_NOTIFY = [
    ("nbcb", "2"), ("tranID", "30456789"), ("orderid", "ORD-1001"),
    ("status", "00"), ("domain", "payhook_Dev"), ("amount", "49.00"),
    ("currency", "MYR"), ("paydate", "2023-11-14 22:13:20"),
    ("appcode", "123456"), ("channel", "fpx_mb2u"), ("error_code", ""),
    ("error_desc", ""),
]


def build_fiuu() -> VectorFile:
    s = FIUU
    f = VectorFile(s, (
        "fiuu.verify(body, query, key, options): Fiuu (MOLPay) payment "
        "notifications (nbcb=2), callbacks (nbcb=1) and return posts (no "
        "nbcb). skey = md5_hex(paydate + domain + key0 + appcode + "
        "secret_key), key0 = md5_hex(tranID + orderid + status + domain + "
        "amount + currency); the key is the secret key's text. The reply is "
        "CBTOKEN:MPSTATOK for nbcb=1, else a re-post of the form with "
        "&treq=1. now is 1700000000."))

    def ok(vid, comment, pairs, **kw):
        f.add(vid, comment, pairs, ok=True, **kw)

    base = FIUU_NOTIFY
    ok("genuine-notification", "A notification (nbcb=2): the reply is "
       "empty and the form is to be re-posted with &treq=1 appended. "
       "event_id is tranID:status.", s.signed(base))
    ok("genuine-callback", "A callback (nbcb=1): the reply body is "
       "CBTOKEN:MPSTATOK and nothing is re-posted.",
       s.signed(replace(base, "nbcb", "1")))
    ok("genuine-return", "A return post (no nbcb): re-posted like a "
       "notification.", s.signed(without(base, "nbcb")))
    failed = replace(replace(replace(replace(
        base, "status", "11"), "appcode", ""), "error_code", "PEX01"),
        "error_desc", "Transaction declined: insufficient funds (51)")
    ok("genuine-failed", "A failed payment (status 11) with an empty "
       "appcode and an error description: the error fields are not "
       "signed.", s.signed(failed))
    pending = without(replace(base, "status", "22"), "appcode")
    ok("genuine-pending-appcode-absent", "A pending payment (status 22) "
       "without appcode: signed as an empty appcode, and appcode is not "
       "among signed_fields.", s.signed(pending))
    for vid, value in (("nbcb-01", "01"), ("nbcb-with-space", "1 ")):
        ok(vid, f"nbcb={value!r} is not exactly 1: the form is re-posted.",
           s.signed(replace(base, "nbcb", value)))
    f.add("verify-key-instead-of-secret", "skey made with the verify key "
          "(which signs outgoing requests), checked with the secret key.",
          s.signed(base, FIUU_VERIFY_KEY), error="InvalidSignatureError")

    common_cases(
        f, base,
        tampered={"tranID": "30456780", "orderid": "ORD-1002",
                  "status": "11", "domain": "other_Dev", "amount": "4900.00",
                  "currency": "RM", "paydate": "2023-11-14 22:13:21",
                  "appcode": "123457"},
        unsigned=("channel", "credit"), dup="amount", space_pairs=base,
        shared={"escape-truncated", "utf8-escaped-invalid",
                "segment-without-equals", "bracket-stray-close",
                "duplicate-field-escaped-name", "key-case-changed",
                "body-wins-tampered-body", "everything-percent-encoded",
                "required-absent-and-wrong-mac"})
    return f


# ===========================================================================
# senangPay (the HMAC-SHA256 and the MD5 profile)

SP_KEY = "2781-49Xq7Lp3"
SP_KEY_OLD = "2781-31Hm2Rk8"
SP_KEY_OTHER = "5530-88Tz6Wn1"
SP_SIGNED = ("status_id", "order_id", "transaction_id", "msg")


def sp_string(d: dict, key: str) -> str:
    return key + "".join(d.get(n, "") for n in SP_SIGNED)


def sp_spec(gateway: str, sig_len: int,
            sign: Callable[[dict, str], str]) -> Spec:
    return Spec(
        gateway, key=SP_KEY, key_old=SP_KEY_OLD, key_other=SP_KEY_OTHER,
        sig_name="hash", sig_len=sig_len, required=SP_SIGNED, sign=sign,
        signed=lambda p: list(SP_SIGNED),
        event_id=lambda p: f"{p['transaction_id']}:{p['status_id']}",
        answer=lambda p, text: reply("OK"))


SENANGPAY = sp_spec("senangpay", 64,
                    lambda d, k: hmac_sha256_hex(k, sp_string(d, k)))
SENANGPAY_MD5 = sp_spec("senangpay_md5", 32,
                        lambda d, k: md5_hex(sp_string(d, k)))

SP_RETURN = [("status_id", "1"), ("order_id", "1001"),
             ("transaction_id", "1700000000123456"),
             ("msg", "Payment_was_successful")]


def build_senangpay(s: Spec, other: Spec, shared: set) -> VectorFile:
    md5 = s is SENANGPAY_MD5
    scheme = "MD5" if md5 else "HMAC-SHA256"
    f = VectorFile(s, (
        f"{s.gateway}.verify(body, query, key, options): senangPay return "
        f"URLs (query) and callbacks (form POST), the merchant having "
        f"picked {scheme} in the dashboard. hash = "
        + ("md5_hex(secret + status_id + order_id + transaction_id + msg)"
           if md5 else "lower-case hex HMAC-SHA256 keyed with the secret "
           "key's text over secret + status_id + order_id + transaction_id "
           "+ msg") + ". The reply is OK. now is 1700000000."))

    def ok(vid, comment, pairs, **kw):
        f.add(vid, comment, pairs, ok=True, **kw)

    def err(vid, comment, pairs, kind, **kw):
        f.add(vid, comment, pairs, error=kind, **kw)

    base = SP_RETURN
    good = s.signed(base)
    ok("genuine-return", "The return URL: a browser GET, the fields in the "
       "query and the body empty. event_id is transaction_id:status_id.",
       good, query=form(good))
    ok("genuine-callback", "The callback: the same fields posted as a "
       "form.", good)
    failed = s.signed(replace(replace(base, "status_id", "0"), "msg",
                              "Payment_was_declined_by_the_bank"))
    ok("genuine-failed", "A failed payment (status_id 0), returned in the "
       "query.", failed, query=form(failed))
    pending = replace(replace(base, "status_id", "2"), "msg",
                      "Pending_authorisation")
    ok("genuine-pending", "Pending authorisation (status_id 2).",
       s.signed(pending))
    ok("msg-percent-decoded-once", "msg sent as Discount_10%25_applied: "
       "decoded once, to Discount_10%_applied, which is what is signed.",
       s.signed(replace(base, "msg", "Discount_10%_applied")))
    err("msg-signed-double-decoded", "msg sent as Ref_%2541 (Ref_%41 "
        "decoded once) but signed over Ref_A, decoded twice as the official "
        "plugins do.", replace(base, "msg", "Ref_%41")
        + [("hash", s.sig(replace(base, "msg", "Ref_A")))],
        "InvalidSignatureError")
    err("signature-from-other-profile", f"The hash the "
        f"{'HMAC-SHA256' if md5 else 'MD5'} profile gives: of the wrong "
        f"length for this one.", base + [("hash", other.sig(base))],
        "DecodeError")
    if not md5:
        plain = hashlib.sha256(sp_string(dict(base), SP_KEY).encode())
        err("signature-plain-sha256", "Plain SHA-256 of the same string "
            "(the recurring-payment scheme): the right length, not the "
            "HMAC.", base + [("hash", plain.hexdigest())],
            "InvalidSignatureError")

    common_cases(
        f, base, tampered={"status_id": "2", "order_id": "1002",
                           "transaction_id": "1700000000123457",
                           "msg": "Payment_was_successful_"},
        unsigned=("amount_paid", "0.01"), dup="status_id",
        space_pairs=replace(base, "msg", "Payment was successful"),
        shared=shared)
    return f


# ===========================================================================
# toyyibPay

TP_KEY = "k3v9q2zt-8m4w-5r1p-x7c6-h2n8d4f6j9s1"
TP_KEY_OLD = "p7d2w9xk-3f6h-8j1m-q4s5-t0v2y7b9c3n6"
TP_KEY_OTHER = "z1x4c7v0-b3n6-m9q2-w5e8-r1t4y7u0i3o6"
TP_SIGNED = ("status", "order_id", "refno")


def toyyibpay_sign(d: dict, key: str) -> str:
    return md5_hex(key + "".join(d.get(n, "") for n in TP_SIGNED) + "ok")


TOYYIBPAY = Spec(
    "toyyibpay", key=TP_KEY, key_old=TP_KEY_OLD, key_other=TP_KEY_OTHER,
    sig_name="hash", sig_len=32, required=TP_SIGNED, sign=toyyibpay_sign,
    signed=lambda p: list(TP_SIGNED),
    event_id=lambda p: f"{p['refno']}:{p['status']}",
    answer=lambda p, text: reply())

TP_CALLBACK = [
    ("refno", "TP2311142213200001"), ("status", "1"), ("reason", "Approved"),
    ("billcode", "k6f3q9zd"), ("order_id", "1001"), ("amount", "49.00"),
    ("transaction_time", "2023-11-14 22:13:20"),
]


def build_toyyibpay() -> VectorFile:
    s = TOYYIBPAY
    f = VectorFile(s, (
        "toyyibpay.verify(body, query, key, options): toyyibPay payment "
        "callbacks (form POST). hash = md5_hex(userSecretKey + status + "
        "order_id + refno + \"ok\"), the key being the user secret key's "
        "text. event_id is refno:status. now is 1700000000."))

    def ok(vid, comment, pairs, **kw):
        f.add(vid, comment, pairs, ok=True, **kw)

    base = TP_CALLBACK
    ok("genuine-success", "A successful payment (status 1). event_id is "
       "refno:status.", s.signed(base))
    ok("genuine-pending", "A pending payment (status 2).",
       s.signed(replace(replace(base, "status", "2"), "reason", "Pending")))
    failed = replace(replace(base, "status", "3"), "reason",
                     "Insufficient Fund / Bank declined (51)")
    ok("genuine-failed", "A failed payment (status 3) with a reason holding "
       "spaces, / and parentheses.", s.signed(failed))
    ok("genuine-reason-empty", "An empty reason.",
       s.signed(replace(base, "reason", "")))
    ok("unsigned-billcode-tampered", "billcode changed after signing still "
       "verifies: check it against the bill created for the order.",
       replace(s.signed(base), "billcode", "zzzzzzzz"))
    d = dict(base)
    for vid, comment, text in (
            ("suffix-upper-case", "Signed with OK instead of the literal "
             "lower-case ok.", TP_KEY + d["status"] + d["order_id"]
             + d["refno"] + "OK"),
            ("suffix-missing", "Signed without the ok suffix.",
             TP_KEY + d["status"] + d["order_id"] + d["refno"]),
            ("signed-in-other-order", "Signed over secret + refno + status "
             "+ order_id + ok.", TP_KEY + d["refno"] + d["status"]
             + d["order_id"] + "ok")):
        f.add(vid, comment, base + [("hash", md5_hex(text))],
              error="InvalidSignatureError")

    common_cases(
        f, base, tampered={"status": "3", "order_id": "1002",
                           "refno": "TP2311142213200002"},
        unsigned=("amount", "0.01"), dup="status",
        space_pairs=replace(base, "order_id", "INV 1001"),
        shared={"escape-in-name", "escape-bad-hex", "utf8-raw-invalid-byte",
                "bracket-nested", "segment-empty",
                "duplicate-field-escaped-name", "signature-not-hex",
                "signature-name-other-case", "keys-rotation-one-empty",
                "query-when-body-empty", "required-absent-and-wrong-mac",
                "everything-percent-encoded", "key-before-size"})
    return f


def build_all() -> dict:
    built = [
        build_billplz(), build_fiuu(),
        build_senangpay(SENANGPAY, SENANGPAY_MD5, {
            "escape-bare-percent", "escape-plus-after-percent",
            "utf8-overlong", "utf8-surrogate", "segment-trailing-ampersand",
            "name-empty", "bracket-empty-word", "duplicate-signature",
            "signature-extended", "signature-trailing-space",
            "body-and-query-empty", "query-at-limit",
            "flatten-collision-signature"}),
        build_senangpay(SENANGPAY_MD5, SENANGPAY, {
            "utf8-beyond-max", "utf8-raw-truncated",
            "segment-leading-ampersand", "separator-semicolon",
            "bracket-leading", "signature-not-hex",
            "signature-name-other-case", "keys-rotation-one-empty",
            "key-before-size", "fields-128", "fields-129"}),
        build_toyyibpay(),
    ]
    held = {v["id"] for f in built for v in f.vectors}
    assert SHARED <= held, f"held by no file: {sorted(SHARED - held)}"
    return {f.name: f.text() for f in built}


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
        assert set(i) <= {"body", "body_hex", "query", "key", "keys",
                          "options"}, vid
        assert all(isinstance(i[k], str) for k in ("body", "body_hex",
                                                   "query") if k in i), vid
        if "body_hex" in i:
            try:
                bytes.fromhex(i["body_hex"]).decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                raise AssertionError(f"{vid}: body_hex holds UTF-8")
        keys = i["keys"] if "keys" in i else [i["key"]]
        assert all(isinstance(k, str) for k in keys), vid
        o = i["options"]
        assert o.get("now") == NOW and set(o) <= {"now", "max_bytes"}, vid
        assert all(isinstance(o[k], int) and not isinstance(o[k], bool)
                   for k in o), vid
        e = v["expect"]
        if "error" in e:
            assert set(e) == {"error"} and e["error"] in ERROR_KINDS, vid
            continue
        assert set(e) == {"payload", "event_id", "timestamp",
                          "signed_fields", "reply"}, vid
        p = e["payload"]
        assert isinstance(p, dict) and all(isinstance(x, str)
                                           for x in p.values()), vid
        assert e["event_id"] is None or isinstance(e["event_id"], str), vid
        assert e["timestamp"] is None, vid
        sf = e["signed_fields"]
        assert sf == sorted(sf) and len(set(sf)) == len(sf), vid
        assert set(sf) <= set(p), vid
        r = e["reply"]
        assert set(r) == {"status", "body", "repost"}, vid
        assert r["status"] == 200 and isinstance(r["body"], str), vid
        assert r["repost"] is None or isinstance(r["repost"], str), vid


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
            assert got == v["expect"], \
                f"{name}/{v['id']}: model {got} != expected {v['expect']}"

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
    print(f"total: {sum(len(d['vectors']) for d in files.values())}")
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
