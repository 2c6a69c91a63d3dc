#!/usr/bin/env python3
"""The Python binding under atheris: no input may escape the error contract.

    python3 fuzz/atheris_payhook.py [libFuzzer flags] [corpus dirs]
    (fuzz/run_atheris.sh runs it for a bounded time)

Each input picks an entry point and a body type, then the rest of the bytes
become the body:

  0  payhook.leanx.decode(body, key)
  1  payhook.superpay.decode(body, key)
  2  payhook.jwt.decode(token, key, ...) with fuzzed options
  3  payhook.jwt.decode of a token the harness signs over fuzzed header and
     payload JSON, so the JSON reaches the Python value builder
  4  payhook.superpay.decode of fuzzed plaintext encrypted with the key

The body is passed as bytes, str (lone surrogates included), bytearray,
a contiguous memoryview, a strided (non-contiguous) memoryview, or a
released memoryview.

What must hold:
  - only payhook.PayhookError subclasses or TypeError are raised; anything
    else (BufferError, a bare ValueError, UnicodeError, SystemError, ...)
    is a finding, and so is a crash;
  - no exception text holds the key;
  - a success returns a dict; for entry points 3 and 4 it equals what
    json.loads makes of the same JSON (payhook is stricter than json.loads,
    never laxer, and must not change a value).

PAYHOOK_FUZZ_SKIP=strided,released leaves out body types whose failure is
already known, so a run can look for something else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys

try:
    import atheris
except ImportError:
    print("atheris_payhook: atheris is not installed (pip install atheris); "
          "skipped")
    sys.exit(0)

with atheris.instrument_imports():
    import payhook

JWT_KEY = "payhook-fuzz-jwt-key:7Qx!vR2@mT9#"
LEANX_KEY = ("7d3b1f0c9a2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d"
             "4f6a8c0e2b4d6f8a0c2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a")
SP_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"
NOW = 1700000000
ALGS = ["HS256", "HS384", "HS512"]
DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
           "HS512": hashlib.sha512}

# A skipped kind becomes bytes, so an input means the same call whatever
# is skipped and a saved reproducer stays valid.
SKIP = set(filter(None, os.environ.get("PAYHOOK_FUZZ_SKIP", "").split(",")))
KINDS = [k if k not in SKIP else "bytes"
         for k in ("bytes", "str", "bytearray", "memoryview", "strided",
                   "released")]


class Finding(AssertionError):
    """A broken promise; atheris reports it with the input."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def as_kind(kind: str, raw: bytes, text: str):
    if kind == "str":
        return text
    if kind == "bytearray":
        return bytearray(raw)
    if kind == "memoryview":
        return memoryview(raw)
    if kind == "strided":
        return memoryview(raw + raw)[::2]
    if kind == "released":
        view = memoryview(raw)
        view.release()
        return view
    return raw


def signed_token(header: bytes, payload: bytes, alg: str) -> str:
    signing_input = b64url(header) + "." + b64url(payload)
    mac = hmac.new(JWT_KEY.encode(), signing_input.encode("ascii"),
                   DIGESTS[alg]).digest()
    return signing_input + "." + b64url(mac)


def same_as_json_loads(got, text: bytes) -> None:
    # Decoded here: json.loads on bytes would guess UTF-16 or UTF-32.
    try:
        want = json.loads(text.decode("utf-8"))
    except ValueError:
        raise Finding("payhook accepted JSON that json.loads rejects")
    if got != want:
        raise Finding(f"payhook built {got!r}, json.loads {want!r}")


def call(target: int, fdp) -> None:
    kind = KINDS[fdp.ConsumeIntInRange(0, len(KINDS) - 1)]
    if target == 0:
        raw = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4096))
        body = as_kind(kind, raw, raw.decode("utf-8", "surrogateescape"))
        return payhook.leanx.decode(body, LEANX_KEY, now=NOW), None
    if target == 1:
        raw = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4096))
        body = as_kind(kind, raw, raw.decode("utf-8", "surrogateescape"))
        return payhook.superpay.decode(body, SP_KEY), None
    if target == 2:
        algs = [a for i, a in enumerate(ALGS) if fdp.ConsumeBool() or i == 0]
        options = {"verify_exp": fdp.ConsumeBool(),
                   "verify_aud": fdp.ConsumeBool(),
                   "strict_aud": fdp.ConsumeBool(),
                   "require": [c for c in ("exp", "iat", "nbf")
                               if fdp.ConsumeBool()]}
        audience = ["merchant-42", "urn:payhook"] if fdp.ConsumeBool() else None
        leeway = fdp.ConsumeIntInRange(0, 120)
        text = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 4096))
        token = as_kind(kind, text.encode("utf-8", "surrogatepass"), text)
        return payhook.jwt.decode(token, JWT_KEY, algs, options,
                                  audience=audience, leeway=leeway,
                                  now=NOW), None
    if target == 3:
        alg = ALGS[fdp.ConsumeIntInRange(0, 2)]
        header = (b'{"alg":"%s","typ":"JWT"}' % alg.encode()
                  if fdp.ConsumeBool()
                  else fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)))
        payload = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4096))
        token = signed_token(header, payload, alg)
        raw = token.encode("ascii")
        got = payhook.jwt.decode(as_kind(kind, raw, token), JWT_KEY, ALGS,
                                 {"verify_exp": False, "verify_nbf": False,
                                  "verify_iat": False, "verify_aud": False},
                                 now=NOW)
        return got, payload
    plain = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4096))
    hex_text = payhook.superpay.encrypt(plain, SP_KEY)
    raw = ('{"encryptedData": "%s"}' % hex_text).encode("ascii")
    return payhook.superpay.decode(as_kind(kind, raw, raw.decode()),
                                   SP_KEY), plain


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    target = fdp.ConsumeIntInRange(0, 4)
    try:
        got, source = call(target, fdp)
    except payhook.PayhookError as e:
        for key in (JWT_KEY, LEANX_KEY, SP_KEY):
            if key in str(e) or key in repr(e):
                raise Finding("an exception message holds the key")
        return
    except TypeError:
        return
    if not isinstance(got, dict):
        raise Finding(f"success returned {type(got).__name__}, not dict")
    if source is not None:
        same_as_json_loads(got, source)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
