#!/usr/bin/env python3
"""Write the seed corpora of the libFuzzer harnesses.

    python3 fuzz/make_seeds.py [--out DIR] [--quiet]

DIR (default fuzz/corpus) gets one folder per harness, emptied and filled
again, so the output depends only on this file, examples/callbacks/ and
tests/vectors/*.json: running it twice gives the same files.  Standard
library only; it works from a clean checkout and when tests/vectors/ is
missing or still being written (an unreadable vector file is skipped with
a note).

Each seed carries the option bytes its harness reads first; the layouts
are in the comment at the top of each fuzz/fuzz_*.c.  Vectors in the
shared shape are routed by their "function": a jwt.decode token becomes a
fuzz_jwt_verify seed that the harness re-signs with its own key (so it gets
past the MAC to the header, payload and claims, with the vector's options
mapped onto the option block), plus its header and payload JSON; LeanX and
SuperPay bodies go to their envelope harnesses.  Strings in files of any
other shape are sorted by what they look like: a compact JWT, hex
ciphertext, JSON text, or other text (for base64url/hex).  At most
PER_SOURCE_CAP seeds per harness come from the vectors, taken evenly.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

HARNESSES = ["fuzz_jwt_verify", "fuzz_superpay", "fuzz_leanx_envelope",
             "fuzz_superpay_envelope", "fuzz_json", "fuzz_base64url"]

# The keys the harnesses hold (keep in step with the .c files).
JWT_KEY = b"payhook-fuzz-jwt-key:7Qx!vR2@mT9#"
LEANX_KEY = (b"7d3b1f0c9a2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d"
             b"4f6a8c0e2b4d6f8a0c2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a")
NOW = 1700000000

# The body of the SuperPay documentation (key PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ,
# which the SuperPay harnesses use), should examples/ be absent.
VENDOR_HEX = (
    "e4e9ac1120ed867a7af108af8b1ab918cbec6db7b4d7c29908085a73e2b29e97547da6"
    "eae91928b3330241f1fb898eebd8c3355105fdd5c68b6ceea761f41dc3085ed888d3c0"
    "473beef128ebd208c4f60299df64a622d04d21d81513c02e2d47bfcce2a6c246eabcc1"
    "c823aaf3d9133004cf7c4c08236395a05dc19a98c33a301c8b73d4e7fd33cd911619de"
    "86dfdb45")

VENDOR_PLAIN = (
    '{"message":"Success","data":{"status":"PENDING","transaction":'
    '{"id":10025,"amountWithdraw":0,"confirmedAt":0,"commissionFee":0},'
    '"order":{"id":"10006","amount":"1","currencyType":"MYR"},"recipient":'
    '{"name":"Long Wan","phone":"0123456789","email":"longwan@gmail.com",'
    '"methodType":"CIBBMYKL","methodValue":"8044591766","methodRef":""}}}')

JSON_SAMPLES = [
    "{}", "[]", "0", "-0", "1.5e-7", "\"\"", "null", "true", "false",
    '{"a":[1,2.5,-3e+2,"x\\u00e9\\ud834\\udd1e",true,false,null,{}]}',
    '{"big":18446744073709551616,"min":-9223372036854775808,'
    '"exact":9007199254740993,"neg":-1}',
    '{"k":"v","k":"w"}',
    '["\\"\\\\\\/\\b\\f\\n\\r\\t","caf\u00e9","\u4e2d","\U0001f600"]',
    ' \t\r\n[ 1 , [ 2 , [ 3 ] ] ] \n',
    "[" * 40 + "]" * 40,
    '{"s":"a\\u0000b"}',
    '["' + "x" * 300 + '"]',
    VENDOR_PLAIN,
]

MAX_LEN = {"fuzz_json": 8192, "fuzz_jwt_verify": 4096,
           "fuzz_leanx_envelope": 4096, "fuzz_superpay": 2048,
           "fuzz_superpay_envelope": 2048, "fuzz_base64url": 1024}
PER_SOURCE_CAP = 48     # seeds one harness takes from the vector files
ALGS = ["HS256", "HS384", "HS512"]
CLAIMS = ["exp", "nbf", "iat", "aud", "iss", "sub", "jti"]  # PH_CLAIM_* order

JWT_RE = re.compile(r"^\s*[A-Za-z0-9_=+/-]*\.[A-Za-z0-9_=+/-]*"
                    r"\.[A-Za-z0-9_=+/-]*\s*$")
HEX_RE = re.compile(r"^\s*(?:[0-9a-fA-F]{2})+\s*$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(header: dict | str, payload: dict | str, key: bytes,
         alg: str = "HS256") -> str:
    def text(part):
        if isinstance(part, str):
            return part.encode("utf-8")
        return json.dumps(part, separators=(",", ":")).encode("utf-8")
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
              "HS512": hashlib.sha512}[alg]
    signing_input = b64url(text(header)) + "." + b64url(text(payload))
    mac = hmac.new(key, signing_input.encode("ascii"), digest).digest()
    return signing_input + "." + b64url(mac)


def jwt_opts(mode=0, alg_index=0, allow=0, verify=0x80, require=0,
             audience=False, issuer=False, subject=False, leeway=0,
             now=NOW) -> bytes:
    """The 9-byte option block of fuzz_jwt_verify."""
    b0 = mode | (alg_index << 4) | (0x80 if subject else 0)
    b1 = allow | (8 if audience else 0) | (32 if issuer else 0) | leeway << 6
    return bytes([b0, b1, verify, require, 0]) + struct.pack("<I", now)


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return None


def builtin() -> dict[str, list[bytes]]:
    seeds: dict[str, list[bytes]] = {h: [] for h in HARNESSES}
    hs = {"alg": "HS256", "typ": "JWT"}
    claims = {"iss": "leanx", "sub": "payout", "aud": "merchant-42",
              "exp": NOW + 60, "nbf": NOW - 10, "iat": NOW, "jti": "j-1",
              "output": {"invoice_no": "X1", "amount": "1.00"}}

    # fuzz_jwt_verify
    jv = seeds["fuzz_jwt_verify"]
    for i, alg in enumerate(["HS256", "HS384", "HS512"]):
        tok = sign({"alg": alg, "typ": "JWT"}, claims, JWT_KEY, alg)
        jv.append(jwt_opts(audience=True, issuer=True, subject=True)
                  + tok.encode())
        jv.append(jwt_opts(allow=1 << i, require=0x7f, audience=True)
                  + tok.encode())
    jv.append(jwt_opts() + sign(hs, {"exp": NOW - 1}, JWT_KEY).encode())
    jv.append(jwt_opts(leeway=1) + sign(hs, {"nbf": NOW + 1},
                                        JWT_KEY).encode())
    jv.append(jwt_opts(audience=True) + sign(
        hs, {"aud": ["x", "merchant-42"]}, JWT_KEY).encode())
    jv.append(jwt_opts() + b"eyJhbGciOiJub25lIn0.e30.")
    jv.append(jwt_opts(mode=1) + (b64url(b'{"alg":"HS256","alg":"none"}')
                                  + ".e30.").encode())
    jv.append(jwt_opts(mode=1) + (b64url(b'{"alg":"HS256","crit":["b64"]}')
                                  + ".e30.").encode())
    jv.append(jwt_opts(mode=2) + b'{"alg":"HS256"}\0{"iat":"now"}')
    jv.append(jwt_opts(mode=2, alg_index=1)
              + b'{"alg":"HS384","kid":7}\0{"exp":1e400}')
    jv.append(jwt_opts(mode=2, audience=True, issuer=True)
              + json.dumps(claims).encode())
    jv.append(jwt_opts(mode=2, verify=0) + b'{"aud":[1],"iss":2,"sub":3}')
    jv.append(jwt_opts(mode=2, require=0x7f) + b'{"exp":null}')
    jv.append(jwt_opts(mode=2, audience=True, issuer=True) + json.dumps(
        {"aud": ["urn:other", "merchant-42"], "exp": NOW + 60,
         "iss": "leanx"}, separators=(",", ":")).encode())
    jv.append(jwt_opts(mode=2, audience=True) + json.dumps(
        {"nbf": NOW - 5, "aud": ["merchant-42", "x"], "jti": "j"},
        separators=(",", ":")).encode())
    # Regression (fixed in fc64604): a later claim reset the verdict on a
    # non-string aud element; the reordering check catches it.
    jv.append(jwt_opts(mode=2, audience=True)
              + b'{"aud":[1,"merchant-42"],"exp":%d}' % (NOW + 60))

    # fuzz_leanx_envelope
    lx = seeds["fuzz_leanx_envelope"]
    example = read_text(os.path.join(TOP, "examples", "callbacks",
                                     "leanx-payout.json"))
    if example is not None:
        lx.append(b"\0\0\0" + example.encode())
    tok = sign(hs, {"output": {"invoice_no": "X1"}, "response_code": 2100},
               LEANX_KEY)
    lx.append(b"\0\0\0" + ('{"data": "%s", "response_code": 2100}'
                           % tok).encode())
    lx.append(b"\0\0\0" + (" \n%s\r\n" % tok).encode())
    lx.append(b"\0\0\0" + ('{"data":"%s"}' % tok.replace(".", "\\u002e"))
              .encode())
    prefix = b'{"response_code":2100,"data":"'
    lx.append(bytes([1, len(prefix), 0]) + prefix + b'"}')
    lx.append(bytes([1, 0, 0]) + b"  ")
    lx.append(b"\0\0\0" + b'{"data":1}')
    lx.append(b"\0\0\0" + b'{"data":"a.b.c","data":"a.b.c"}')

    # fuzz_superpay and fuzz_superpay_envelope
    sp, se = seeds["fuzz_superpay"], seeds["fuzz_superpay_envelope"]
    vendor = read_text(os.path.join(TOP, "examples", "callbacks",
                                    "superpay-vendor-sample.json"))
    body = (vendor or '{"encryptedData": "%s"}' % VENDOR_HEX).encode()
    sp.append(b"\0\0" + body)
    sp.append(b"\0\0" + VENDOR_HEX.upper().encode())
    sp.append(b"\0\0" + b'{"encryptedData":"%s","x":[]}' % VENDOR_HEX[:64]
              .encode())
    sp.append(b"\0\0" + b'{"encryptedData":"' + "".join(
        "\\u00%02x" % ord(c) for c in VENDOR_HEX[:32]).encode() + b'"}')
    for plain in [VENDOR_PLAIN, "{}", "[]", "not json", "{\"a\":1}x", ""]:
        sp.append(bytes([1, 0]) + plain.encode())
        sp.append(bytes([1 | 4 | 8, 0]) + plain.encode())
    sp.append(bytes([2, 0]) + bytes(16) + VENDOR_HEX.encode())
    sp.append(bytes([3, 0]) + bytes.fromhex(VENDOR_HEX))
    sp.append(bytes([3, 0]) + bytes.fromhex(VENDOR_HEX)[:32])
    se.append(b"\0\0\0" + body)
    se.append(b"\0\0\0" + VENDOR_HEX.encode())
    prefix = b'{"encryptedData": "'
    se.append(bytes([1, len(prefix), 0]) + prefix + b'"}')
    se.append(bytes([1, 0, 0]) + b"\t")
    se.append(b"\0\0\0" + b'{"encryptedData":null}')
    se.append(b"\0\0\0" + b'{"encryptedData":"00","encryptedData":"00"}')

    # fuzz_json
    js = seeds["fuzz_json"]
    for i, sample in enumerate(JSON_SAMPLES):
        js.append(bytes([0]) + sample.encode("utf-8"))
        js.append(bytes([1 + i * 7 % 255]) + sample.encode("utf-8"))
    js.append(b"\0" + b"[" * 129 + b"]" * 129)
    js.append(b"\0" + b"1" * 4301)
    js.append(b"\0" + b'["\xed\xa0\x80","\xc0\xaf","\xf4\x90\x80\x80"]')
    js.append(b"\0" + b'["\\ud800","\\udc00x"]')
    # A special byte on either side of the string scanner's 8- and 16-byte
    # steps (csrc/json_parse.c, plain_run).
    for n in (7, 8, 9, 15, 16, 17, 31, 32, 33):
        for special in (b"\\n", b"\xc3\xa9", b"\x1f", b"\\u00e9", b'"'):
            js.append(b"\0" + b'["' + b"a" * n + special + b"b" * (40 - n)
                      + b'"]')

    # fuzz_base64url
    bu = seeds["fuzz_base64url"]
    for text in ["", "AA", "AAA", "AAAA", "QQ", "QR", "_-_-", "YQ==", "a+b/",
                 "0123456789abcdefABCDEF", "eyJhbGciOiJIUzI1NiJ9", " AA"]:
        bu.append(text.encode())
    return seeds


def strings_in(value, found: list[str]) -> None:
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, list):
        for item in value:
            strings_in(item, found)
    elif isinstance(value, dict):
        for k, item in value.items():
            strings_in(k, found)
            strings_in(item, found)


def b64url_decode(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None


def jwt_seeds(token: str, options: dict) -> list[bytes]:
    """A vector's token for fuzz_jwt_verify: re-signed with the harness key
    (the options mapped onto the option block), and its header and payload
    JSON for mode 2."""
    names = options.get("algorithms") or ["HS256"]
    allow = sum(1 << i for i, a in enumerate(ALGS) if a in names) or 1
    verify = 0x80
    if any(k.startswith("verify_") for k in options):
        verify = sum(1 << i for i, c in enumerate(CLAIMS)
                     if options.get("verify_" + c, True))
    require = sum(1 << i for i, c in enumerate(CLAIMS)
                  if c in (options.get("require") or []))
    leeway = options.get("leeway") or 0
    leeway = 0 if leeway <= 0 else 1 if leeway <= 1 else 2 if leeway <= 120 \
        else 3
    now = options.get("now", NOW)
    now = int(now) if isinstance(now, (int, float)) and 0 <= now < 2**32 \
        else NOW
    segs = token.strip().split(".")
    header = b64url_decode(segs[0]) if len(segs) == 3 else None
    alg = 0
    if header is not None:
        for i, a in enumerate(ALGS):
            if a.encode() in header:
                alg = i
    common = dict(allow=allow, verify=verify, require=require,
                  audience="audience" in options, issuer="issuer" in options,
                  leeway=leeway, now=now, alg_index=alg)
    out = [jwt_opts(mode=1, **common) + token.encode("utf-8",
                                                     "surrogatepass")]
    payload = b64url_decode(segs[1]) if len(segs) == 3 else None
    if header is not None and payload is not None and b"\0" not in header:
        out.append(jwt_opts(mode=2, **common) + header + b"\0" + payload)
    return out


def spread(items: list[bytes], cap: int) -> list[bytes]:
    """At most cap items, taken evenly from the whole list."""
    if len(items) <= cap:
        return items
    return [items[i * len(items) // cap] for i in range(cap)]


def from_vectors(note) -> dict[str, list[bytes]]:
    """Seeds from tests/vectors/*.json.  Vectors in the shared shape
    ({"vectors": [{"function", "input": {"body", "options", ...}}]}) are
    routed by function; any other file gives its strings, sorted by what
    they look like."""
    seeds: dict[str, list[bytes]] = {h: [] for h in HARNESSES}
    folder = os.path.join(TOP, "tests", "vectors")
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except OSError:
        note("no tests/vectors/: built-in seeds only")
        return seeds
    loose: list[str] = []
    for name in names:
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            note(f"skipped tests/vectors/{name}: {e}")
            continue
        vectors = doc.get("vectors") if isinstance(doc, dict) else None
        if not isinstance(vectors, list):
            strings_in(doc, loose)
            continue
        for v in vectors:
            inp = v.get("input") if isinstance(v, dict) else None
            body = inp.get("body") if isinstance(inp, dict) else None
            if not isinstance(body, str):
                continue
            options = inp.get("options") or {}
            if not isinstance(options, dict):
                options = {}
            raw = body.encode("utf-8", "surrogatepass")
            fn = v.get("function")
            if fn == "jwt.decode":
                seeds["fuzz_jwt_verify"] += jwt_seeds(body, options)
            elif fn == "leanx.decode":
                seeds["fuzz_leanx_envelope"].append(b"\0\0\0" + raw)
                try:
                    token = json.loads(body).get("data")
                except (ValueError, AttributeError):
                    token = body
                if isinstance(token, str):
                    seeds["fuzz_jwt_verify"] += jwt_seeds(token, options)
            elif fn == "superpay.decode":
                seeds["fuzz_superpay"].append(b"\0\0" + raw)
                seeds["fuzz_superpay_envelope"].append(b"\0\0\0" + raw)
            elif fn == "superpay.decrypt":
                iv = bytes.fromhex(inp.get("iv_hex") or "00" * 16)[:16]
                seeds["fuzz_superpay"].append(
                    bytes([2, 0]) + iv.ljust(16, b"\0") + raw)
            else:
                loose.append(body)
            if body.lstrip()[:1] in ("{", "["):
                seeds["fuzz_json"].append(b"\0" + raw)
    for s in sorted(set(loose)):
        raw = s.encode("utf-8", "surrogatepass")
        if JWT_RE.match(s):
            seeds["fuzz_jwt_verify"] += jwt_seeds(s, {})
            seeds["fuzz_leanx_envelope"].append(b"\0\0\0" + raw)
        elif HEX_RE.match(s) and len(s.strip()) >= 32:
            seeds["fuzz_superpay"].append(b"\0\0" + raw)
            seeds["fuzz_superpay_envelope"].append(
                b"\0\0\0" + b'{"encryptedData":' + json.dumps(s).encode()
                + b"}")
        elif s.lstrip()[:1] in ("{", "["):
            seeds["fuzz_json"].append(b"\0" + raw)
            seeds["fuzz_superpay"].append(bytes([1, 0]) + raw)
        elif len(raw) <= 256:
            seeds["fuzz_base64url"].append(raw)
    for h in HARNESSES:
        kept = [x for x in dict.fromkeys(seeds[h]) if len(x) <= MAX_LEN[h]]
        seeds[h] = spread(kept, PER_SOURCE_CAP)
    return seeds


def write(out: str, seeds: dict[str, list[bytes]], note) -> None:
    for h in HARNESSES:
        folder = os.path.join(out, h)
        os.makedirs(folder, exist_ok=True)
        for old in os.listdir(folder):
            os.remove(os.path.join(folder, old))
        kept = 0
        for data in seeds[h]:
            if len(data) > MAX_LEN[h]:
                continue
            name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            kept += 1
        note(f"{h}: {kept} seeds")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    def note(msg: str) -> None:
        if not args.quiet:
            print("make_seeds: " + msg)

    seeds = builtin()
    extra = from_vectors(note)
    for h in HARNESSES:
        seeds[h] += extra[h]
    write(args.out, seeds, note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
