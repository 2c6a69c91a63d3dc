"""HS256/HS384/HS512 JSON Web Tokens, call-compatible with PyJWT.

``from payhook import jwt`` can replace ``import jwt`` in code that uses
``jwt.decode``/``jwt.encode`` with HMAC keys and catches PyJWT's exception
names.  The differences are deliberate and all stricter:

* ``algorithms`` defaults to ``["HS256"]``; only HS256/HS384/HS512 exist,
  and an unknown name raises ``InvalidAlgorithmError`` at call time;
* ``options={"verify_signature": False}`` raises ``ValueError``: payhook
  never returns an unverified payload; unknown option names raise too;
* the header may not repeat a name or carry ``crit``, ``b64`` or ``enc``;
* ``exp``, ``nbf`` and ``iat`` must be JSON numbers (a numeric string or a
  boolean is a ``DecodeError``, where PyJWT would coerce it);
* the JSON is strict: no NaN/Infinity, no lone surrogates, nesting at most
  128 deep, input at most ``max_bytes`` long.
"""

from __future__ import annotations

import json
from calendar import timegm
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import _payhook
from ._keys import (
    MAX_BYTES,
    key_bytes,
    key_tuple,
    max_bytes_value,
    names,
    prepared,
    seconds,
    text_tuple,
)
from .errors import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidJTIError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidSubjectError,
    InvalidTokenError,
    MissingRequiredClaimError,
    PayhookError,
)

__all__ = [
    "decode",
    "encode",
    "Decoder",
    "PyJWTError",
    "InvalidTokenError",
    "DecodeError",
    "InvalidSignatureError",
    "InvalidAlgorithmError",
    "ExpiredSignatureError",
    "ImmatureSignatureError",
    "InvalidIssuedAtError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidSubjectError",
    "InvalidJTIError",
    "InvalidKeyError",
    "MissingRequiredClaimError",
]

#: PyJWT's root exception name.
PyJWTError = PayhookError

_ALGORITHMS = {"HS256": _payhook.HS256, "HS384": _payhook.HS384,
               "HS512": _payhook.HS512}
_DIGEST_SIZES = {"HS256": 32, "HS384": 48, "HS512": 64}
_CLAIM_BITS = {"exp": _payhook.CLAIM_EXP, "nbf": _payhook.CLAIM_NBF,
               "iat": _payhook.CLAIM_IAT, "aud": _payhook.CLAIM_AUD,
               "iss": _payhook.CLAIM_ISS, "sub": _payhook.CLAIM_SUB,
               "jti": _payhook.CLAIM_JTI}
_ALL_CLAIMS = sum(_CLAIM_BITS.values())
_OPTION_NAMES = {"verify_signature", "require", "strict_aud",
                 "enforce_minimum_key_length"} | {
                     f"verify_{c}" for c in _CLAIM_BITS}


def _algorithm_mask(algorithms: Iterable[str] | None) -> int:
    wanted = ["HS256"] if algorithms is None else names(algorithms,
                                                        "algorithms")
    if not wanted:
        raise InvalidAlgorithmError("no algorithm is allowed")
    mask = 0
    for name in wanted:
        if name not in _ALGORITHMS:
            raise InvalidAlgorithmError(
                f"algorithm {name!r} is not supported (HS256, HS384, HS512)")
        mask |= _ALGORITHMS[name]
    return mask


def _options(options: Mapping[str, Any] | None) -> tuple[int, int, bool,
                                                         bool]:
    """(verify bits, require bits, strict_aud, enforce_minimum_key_length)."""
    verify, require = _ALL_CLAIMS, 0
    strict_aud = enforce_min = False
    if not options:
        return verify, require, strict_aud, enforce_min
    unknown = set(options) - _OPTION_NAMES
    if unknown:
        raise ValueError(f"unknown option(s): {', '.join(sorted(unknown))}")
    if not options.get("verify_signature", True):
        raise ValueError("payhook never skips signature verification")
    for claim, bit in _CLAIM_BITS.items():
        if not options.get(f"verify_{claim}", True):
            verify &= ~bit
    for claim in names(options.get("require"), "require"):
        if claim not in _CLAIM_BITS:
            raise ValueError(f"cannot require unknown claim {claim!r}")
        require |= _CLAIM_BITS[claim]
    strict_aud = bool(options.get("strict_aud", False))
    enforce_min = bool(options.get("enforce_minimum_key_length", False))
    return verify, require, strict_aud, enforce_min


def verifier_args(key: Any, algorithms: Iterable[str] | None,
                  options: Mapping[str, Any] | None, audience: Any,
                  issuer: Any, subject: str | None, leeway: Any,
                  max_bytes: int, parse_float: Callable[[str], Any] | None,
                  envelope: bool) -> tuple[Any, ...]:
    """The arguments of the native Verifier, from PyJWT-style ones."""
    keys = key_tuple(key)
    mask = _algorithm_mask(algorithms)
    verify, require, strict_aud, enforce_min = _options(options)
    if enforce_min:
        for name, bit in _ALGORITHMS.items():
            if mask & bit and any(len(k) < _DIGEST_SIZES[name] for k in keys):
                raise InvalidKeyError(
                    f"a key is shorter than the {name} minimum of "
                    f"{_DIGEST_SIZES[name]} bytes")
    if strict_aud and audience is not None and not isinstance(audience, str):
        raise InvalidAudienceError("Invalid audience (strict)")
    if subject is not None and not isinstance(subject, str):
        raise TypeError("subject must be a str")
    return (keys, mask, envelope, max_bytes_value(max_bytes),
            seconds(leeway, "leeway"), verify, require,
            text_tuple(audience, "audience"), strict_aud,
            text_tuple(issuer, "issuer"),
            None if subject is None else subject.encode("utf-8",
                                                        "surrogatepass"),
            parse_float)


def decode(
    jwt: str | bytes | bytearray | memoryview,
    key: str | bytes | Sequence[str | bytes],
    algorithms: Sequence[str] | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    audience: str | Iterable[str] | None = None,
    issuer: str | Iterable[str] | None = None,
    subject: str | None = None,
    leeway: float | Any = 0,
    now: float | None = None,
    max_bytes: int = MAX_BYTES,
    parse_float: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """Verify a compact JWT and return its claims, as PyJWT's ``decode``.

    ``key`` is the HMAC secret (str as UTF-8, or bytes), or a sequence of
    them (a list or tuple) during a key rotation.  ``now`` pins the clock
    (Unix seconds).

    Raises :class:`DecodeError` (malformed), :class:`InvalidSignatureError`,
    :class:`InvalidAlgorithmError`, :class:`ExpiredSignatureError`,
    :class:`ImmatureSignatureError`, :class:`InvalidIssuedAtError`,
    :class:`InvalidAudienceError`, :class:`InvalidIssuerError`,
    :class:`InvalidSubjectError`, :class:`InvalidJTIError`,
    :class:`MissingRequiredClaimError`, :class:`PayloadTooLargeError`,
    :class:`InvalidKeyError` (empty key); ``TypeError`` for a wrong
    argument type; ``ValueError`` for unusable options.
    """
    return _prepared_verifier(*verifier_args(
        key, algorithms, options, audience, issuer, subject, leeway,
        max_bytes, parse_float, False)).decode(jwt, now)


#: The native verifier for given (normalised) arguments, memoised.
_prepared_verifier = prepared(_payhook.Verifier)


class Decoder(_payhook.Verifier):
    """A prepared verifier for many tokens with the same key and options.

    ``Decoder(key, algorithms=None, options=None, *, audience=None, ...)``
    takes :func:`decode`'s arguments (less the token and ``now``);
    ``decoder.decode(token, now=None)`` then does the per-token work only.
    Safe to share between threads.
    """

    def __new__(cls, key: str | bytes | Sequence[str | bytes],
                algorithms: Sequence[str] | None = None,
                options: Mapping[str, Any] | None = None, *,
                audience: str | Iterable[str] | None = None,
                issuer: str | Iterable[str] | None = None,
                subject: str | None = None, leeway: float | Any = 0,
                max_bytes: int = MAX_BYTES,
                parse_float: Callable[[str], Any] | None = None) -> Decoder:
        return super().__new__(cls, *verifier_args(
            key, algorithms, options, audience, issuer, subject, leeway,
            max_bytes, parse_float, False))


def _timestamps(payload: dict[str, Any]) -> dict[str, Any]:
    """PyJWT turns datetime values of exp/iat/nbf into Unix seconds."""
    out = dict(payload)
    for claim in ("exp", "iat", "nbf"):
        if isinstance(out.get(claim), datetime):
            out[claim] = timegm(out[claim].utctimetuple())
    return out


def encode(
    payload: dict[str, Any],
    key: str | bytes,
    algorithm: str = "HS256",
    headers: dict[str, Any] | None = None,
    json_encoder: type[json.JSONEncoder] | None = None,
    sort_headers: bool = True,
) -> str:
    """Sign ``payload`` as a compact JWT, as PyJWT's ``encode`` does.

    For building test callbacks.  Raises ``TypeError`` if ``payload`` is not
    a dict, :class:`InvalidAlgorithmError` for anything but HS256/HS384/
    HS512 (``none`` included), :class:`InvalidKeyError` for an empty key.
    """
    if not isinstance(payload, dict):
        raise TypeError("JWT payload must be a dict")
    if algorithm not in _ALGORITHMS:
        raise InvalidAlgorithmError(f"algorithm {algorithm!r} is not "
                                    "supported (HS256, HS384, HS512)")
    header: dict[str, Any] = {"typ": "JWT", "alg": algorithm}
    if headers:
        header.update(headers)
        if header.get("alg") != algorithm:
            raise InvalidAlgorithmError("headers may not change alg")
    if not header.get("typ"):
        header.pop("typ", None)
    header_json = json.dumps(header, separators=(",", ":"), cls=json_encoder,
                             sort_keys=sort_headers, allow_nan=False)
    payload_json = json.dumps(_timestamps(payload), separators=(",", ":"),
                              cls=json_encoder, allow_nan=False)
    return _payhook.sign(header_json.encode("utf-8"),
                         payload_json.encode("utf-8"),
                         _ALGORITHMS[algorithm], key_bytes(key))
