"""HS256/HS384/HS512 JSON Web Tokens, call-compatible with PyJWT 2.x.

``from payhook import jwt`` can replace ``import jwt`` in code that signs
and verifies HMAC tokens: ``jwt.encode``, ``jwt.decode``,
``jwt.decode_complete``, ``jwt.get_unverified_header``, the ``PyJWT`` and
``PyJWS`` classes, PyJWT's options, warnings and exception names, and
PyJWT's messages for the same failures.  PyJWT's own test suite runs
against this module (``tests/python/test_pyjwt_compat.py``).

Where payhook differs it is stricter, on purpose, and its message says why:

* only HS256, HS384 and HS512 exist (``none``, RSA, EC and EdDSA do not;
  neither do JWKs), and ``register_algorithm`` takes nothing else;
* ``options={"verify_signature": False}`` raises ``ValueError``: payhook
  never returns an unverified payload; unknown option names raise too;
* the header may not repeat a name or carry ``crit``, ``b64`` or ``enc``
  (so no detached or unencoded payloads), and ``encode`` refuses to make
  such headers;
* base64url takes no ``=`` padding;
* ``exp``, ``nbf`` and ``iat`` must be JSON numbers (a numeric string or a
  boolean is refused, where PyJWT would apply ``int()``);
* the JSON is strict: no NaN/Infinity, no lone surrogates, nesting at most
  128 deep, input at most ``max_bytes`` long (``encode`` refuses what
  ``decode`` would refuse).

payhook adds, as keywords PyJWT does not have: ``now=`` (pin the clock),
``max_bytes=``, ``parse_float=`` and a sequence of keys for a rotation.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import warnings
from calendar import timegm
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Callable, NamedTuple, TypedDict, Union

from . import _payhook
from ._keys import MAX_BYTES, key_bytes, key_tuple, max_bytes_value, prepared
from ._keys import seconds
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
    "decode_complete",
    "encode",
    "get_unverified_header",
    "register_algorithm",
    "unregister_algorithm",
    "get_algorithm_by_name",
    "Decoder",
    "PyJWT",
    "PyJWS",
    "HMACAlgorithm",
    "Options",
    "SigOptions",
    "InsecureKeyLengthWarning",
    "RemovedInPyjwt3Warning",
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


class InsecureKeyLengthWarning(UserWarning):
    """An HMAC key shorter than its hash's output (RFC 7518 section 3.2).

    PyJWT's name.  Warned at ``encode`` and ``decode``; with the option
    ``enforce_minimum_key_length`` the same message is an
    :class:`InvalidKeyError` instead.
    """


class RemovedInPyjwt3Warning(DeprecationWarning):
    """PyJWT's warning for keywords it ignores (``decode(..., foo=1)``)."""


class SigOptions(TypedDict, total=False):
    """The options of :class:`PyJWS` (PyJWT's ``jwt.types.SigOptions``)."""

    verify_signature: bool
    enforce_minimum_key_length: bool


class Options(TypedDict, total=False):
    """The options of :func:`decode` (PyJWT's ``jwt.types.Options``).

    ``verify_signature`` may only be true.  ``require`` lists claims that
    must be present and not null (any names).  The ``verify_*`` options
    switch one claim check off; ``strict_aud`` requires ``aud`` to be one
    string equal to ``audience``.
    """

    verify_signature: bool
    require: list[str]
    strict_aud: bool
    verify_aud: bool
    verify_exp: bool
    verify_iat: bool
    verify_iss: bool
    verify_jti: bool
    verify_nbf: bool
    verify_sub: bool
    enforce_minimum_key_length: bool


KeyArg = Union[str, bytes, Sequence[Union[str, bytes]]]
TokenArg = Union[str, bytes, bytearray, memoryview]

# name -> (core bit, digest bytes, hash name in PyJWT's key length message)
_HS = {"HS256": (_payhook.HS256, 32, "SHA256"),
       "HS384": (_payhook.HS384, 48, "SHA384"),
       "HS512": (_payhook.HS512, 64, "SHA512")}
# Names PyJWT implements and payhook does not (on purpose).
_NOT_HERE = frozenset({"none", "RS256", "RS384", "RS512", "PS256", "PS384",
                       "PS512", "ES256", "ES256K", "ES384", "ES512", "EdDSA",
                       "Ed25519", "Ed448"})
_CLAIM_BITS = {"exp": _payhook.CLAIM_EXP, "nbf": _payhook.CLAIM_NBF,
               "iat": _payhook.CLAIM_IAT, "aud": _payhook.CLAIM_AUD,
               "iss": _payhook.CLAIM_ISS, "sub": _payhook.CLAIM_SUB,
               "jti": _payhook.CLAIM_JTI}
_ALL_CLAIMS = sum(_CLAIM_BITS.values())
_SIG_OPTIONS = ("verify_signature", "enforce_minimum_key_length")
_OPTION_NAMES = frozenset(_SIG_OPTIONS) | {"require", "strict_aud"} | {
    f"verify_{c}" for c in _CLAIM_BITS}
_MAX_REQUIRED = 32
_MAX_CLAIM_NAME = 96
_MAX_DEPTH = _payhook.MAX_DEPTH
_UNSET: Any = object()

_ALGORITHMS_REQUIRED = ('It is required that you pass in a value for the '
                        '"algorithms" argument when calling decode().')
_NEVER_UNVERIFIED = ("payhook never skips signature verification: "
                     "options={'verify_signature': False} is refused (use "
                     "get_unverified_header() to read a header before "
                     "verifying)")
_NOT_SUPPORTED = "Algorithm not supported"
_ONLY_HS = ("Algorithm not supported: payhook.jwt has HS256, HS384 and HS512 "
            "only")
_ISSUER_PARAM = 'Issuer param must be "str" or "Container[str]"'
_KID = "Key ID header parameter must be a string"


def _warn(message: str, category: type[Warning]) -> None:
    """Warn at the caller's line: the first frame outside this module."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        level += 1
        frame = frame.f_back  # type: ignore[assignment]
    warnings.warn(message, category, stacklevel=level)


def _extra_keywords(kwargs: Mapping[str, Any], function: str) -> None:
    if kwargs:
        _warn(f"passing additional kwargs to {function}() is deprecated and "
              "will be removed in pyjwt version 3. Unsupported kwargs: "
              f"{tuple(kwargs.keys())}", RemovedInPyjwt3Warning)


# ---------------------------------------------------------------------------
# Keys

# PEM labels of keys and certificates (RFC 7468, OpenSSH, RFC 4716): a key
# with a BEGIN and a later END marker of one of them is not a secret.
_PEM_LABELS = (b"CERTIFICATE", b"TRUSTED CERTIFICATE", b"X509 CRL",
               b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST",
               b"PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"PUBLIC KEY",
               b"RSA PRIVATE KEY", b"RSA PUBLIC KEY", b"DSA PRIVATE KEY",
               b"EC PRIVATE KEY", b"DH PARAMETERS", b"OPENSSH PRIVATE KEY",
               b"SSH2 PUBLIC KEY", b"SSH2 ENCRYPTED PRIVATE KEY")
_PEM_MARKER = re.compile(rb"-{4,5} ?(BEGIN|END) (" + b"|".join(
    re.escape(label) for label in sorted(_PEM_LABELS, key=len, reverse=True)
) + rb") ?-{4,5}")
# OpenSSH public key lines (and their security-key forms).
_SSH_PREFIXES = (b"ssh-rsa", b"ssh-dss", b"ssh-ed25519", b"ssh-ed448",
                 b"ecdsa-sha2-nistp256", b"ecdsa-sha2-nistp384",
                 b"ecdsa-sha2-nistp521", b"sk-ssh-ed25519@openssh.com",
                 b"sk-ecdsa-sha2-nistp256@openssh.com")
_ASYMMETRIC_KEY = ("The specified key is an asymmetric key or x509 "
                   "certificate and should not be used as an HMAC secret.")
_JWK_KEY = ("The specified key looks like a JWK and should not be used "
            "directly as an HMAC secret: pass the secret's bytes (its \"k\", "
            "base64url-decoded)")


def _is_pem(key: bytes) -> bool:
    begun: dict[bytes, int] = {}
    for m in _PEM_MARKER.finditer(key):
        if m.group(1) == b"BEGIN":
            begun.setdefault(m.group(2), m.end())
        elif m.group(2) in begun and begun[m.group(2)] <= m.start():
            return True
    return False


def _der_items(data: bytes, start: int, end: int) -> list[int] | None:
    """The tags of the DER items that exactly fill data[start:end], or
    None if they do not (definite lengths only, as DER has)."""
    tags, i = [], start
    while i < end:
        if end - i < 2:
            return None
        tag, n = data[i], data[i + 1]
        i += 2
        if n & 0x80:
            count = n & 0x7F
            if count == 0 or count > 4 or end - i < count:
                return None
            n = int.from_bytes(data[i:i + count], "big")
            i += count
        if n > end - i:
            return None
        tags.append(tag)
        i += n
    return tags


def _is_der(key: bytes) -> bool:
    """An X.509 SubjectPublicKeyInfo, a PKCS#1 RSA public key or an X.509
    certificate in DER: one SEQUENCE spanning the key whose items are
    (SEQUENCE, BIT STRING), (INTEGER, INTEGER) or (SEQUENCE, SEQUENCE,
    BIT STRING)."""
    outer = _der_items(key, 0, len(key))
    if outer != [0x30]:
        return False
    body = 2 + (key[1] & 0x7F if key[1] & 0x80 else 0)
    return _der_items(key, body, len(key)) in (
        [0x30, 0x03], [0x02, 0x02], [0x30, 0x30, 0x03])


def _is_jwk(key: bytes) -> bool:
    """JSON with a "kty" member in some object: a JWK or a JWK set."""
    if b"kty" not in key and b"\\u" not in key:
        return False
    try:
        value = json.loads(key, parse_int=lambda _: 0,
                           parse_float=lambda _: 0.0,
                           parse_constant=lambda _: 0.0)
    except RecursionError:
        return True             # nested past any JWK, and it says "kty"
    except ValueError:
        return False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "kty" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _hmac_secret(key: Any) -> bytes:
    """An HMAC secret as bytes, refused as PyJWT refuses it: empty, or a
    public or private key, a certificate or a JWK (the algorithm-confusion
    guard: an RS256 public key must never verify an HS256 token)."""
    data = key_bytes(key)
    if not data:
        raise InvalidKeyError("HMAC key must not be empty.")
    if data.startswith(_SSH_PREFIXES) or _is_pem(data) or _is_der(data):
        raise InvalidKeyError(_ASYMMETRIC_KEY)
    if _is_jwk(data):
        raise InvalidKeyError(_JWK_KEY)
    return data


def _short_key_message(length: int, name: str) -> str | None:
    _, size, hash_name = _HS[name]
    if length >= size:
        return None
    return (f"The HMAC key is {length} bytes long, which is below the minimum "
            f"recommended length of {size} bytes for {hash_name}. See RFC "
            "7518 Section 3.2.")


class HMACAlgorithm:
    """HS256, HS384 or HS512, as :class:`PyJWS`'s registry holds them.

    ``prepare_key(key)`` returns the secret's bytes or raises
    :class:`InvalidKeyError` as PyJWT does (empty, an asymmetric key, a
    certificate, a JWK); ``check_key_length(key)`` returns PyJWT's warning
    text for a key shorter than the hash, else ``None``.  The MAC itself is
    computed by the C core, never here.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if name not in _HS:
            raise NotImplementedError(_ONLY_HS)
        self.name = name

    def __repr__(self) -> str:
        return f"HMACAlgorithm({self.name!r})"

    @property
    def digest_size(self) -> int:
        """The hash's output in bytes (the recommended minimum key)."""
        return _HS[self.name][1]

    def prepare_key(self, key: str | bytes) -> bytes:
        """The secret's bytes; :class:`InvalidKeyError` if it is empty or
        shaped like a public or private key, a certificate or a JWK."""
        return _hmac_secret(key)

    def check_key_length(self, key: bytes) -> str | None:
        """PyJWT's warning text if the key is shorter than the hash."""
        return _short_key_message(len(key), self.name)


def _default_algorithms() -> dict[str, HMACAlgorithm]:
    return {name: HMACAlgorithm(name) for name in _HS}


# ---------------------------------------------------------------------------
# Strict JSON for encode: what decode refuses is not made


def _depth_ok(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            if depth > _MAX_DEPTH:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children)
    return True


def _json_bytes(value: Any, json_encoder: type[json.JSONEncoder] | None,
                sort_keys: bool, what: str) -> bytes:
    """json.dumps as PyJWT calls it, refusing what payhook's decode would
    refuse: NaN/Infinity, lone surrogates, nesting past 128."""
    try:
        text = json.dumps(value, separators=(",", ":"), cls=json_encoder,
                          sort_keys=sort_keys, allow_nan=False)
    except ValueError as e:
        if "Out of range float" in str(e):
            raise ValueError(f"the {what} holds NaN or Infinity, which are "
                             "not JSON: payhook's decode refuses them") from e
        raise
    if "\\ud" in text:
        # Escaped surrogates: paired ones decode to one character; a lone
        # one has no UTF-8 form.
        try:
            json.dumps(json.loads(text), ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"the {what} holds a lone surrogate, which has "
                             "no UTF-8 form: payhook's decode refuses it"
                             ) from None
    if not _depth_ok(value):
        raise ValueError(f"the {what} nests deeper than {_MAX_DEPTH}, which "
                         "payhook's decode refuses")
    return text.encode("utf-8")


# ---------------------------------------------------------------------------
# Decoding: arguments to the native verifier


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def _audience(audience: Any, strict: bool) -> tuple[bytes, ...] | None:
    """PyJWT's audience: a str, or an iterable whose str items are the
    audiences (anything else in it can never equal a claim, nor can a
    bytes value's ints); strict mode takes a str only."""
    if audience is None:
        return None
    if isinstance(audience, str):
        return (_text(audience),)
    if not isinstance(audience, Iterable):
        raise TypeError("audience must be a string, iterable or None")
    if strict or isinstance(audience, (bytes, bytearray, memoryview)):
        return ()
    return tuple(_text(a) for a in audience if isinstance(a, str))


def _issuer(issuer: Any) -> tuple[tuple[bytes, ...] | None, bool]:
    """PyJWT's issuer: a str, or a container of str.  Returns the issuers
    and whether the argument is unusable (PyJWT says so only when a str
    iss meets it)."""
    if issuer is None:
        return None, False
    if isinstance(issuer, str):
        return (_text(issuer),), False
    try:
        "" in issuer  # noqa: B015 - PyJWT's own test of a container
    except TypeError:
        return (), True
    if not isinstance(issuer, Iterable):
        raise TypeError("issuer must be a str or an iterable container of "
                        "str (payhook lists the issuers for the core)")
    return tuple(_text(i) for i in issuer if isinstance(i, str)), False


def _required(names: Any) -> tuple[bytes, ...]:
    if names is None:
        return ()
    if isinstance(names, (str, bytes)):
        raise TypeError("options['require'] must be a list of claim names, "
                        "not a single string")
    out = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError("options['require'] must hold claim names (str)")
        data = _text(name)
        if len(data) > _MAX_CLAIM_NAME or b"\0" in data:
            raise ValueError(f"a required claim name is at most "
                             f"{_MAX_CLAIM_NAME} bytes, without NUL")
        out.append(data)
    if len(out) > _MAX_REQUIRED:
        raise ValueError(f"at most {_MAX_REQUIRED} required claims")
    return tuple(out)


def _check_options(options: Any, allowed: frozenset[str]) -> Mapping[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError("options must be a dict")
    unknown = [k for k in options if k not in allowed]
    if unknown:
        raise ValueError("unknown option(s): " +
                         ", ".join(sorted(map(str, unknown))))
    return options


def _algorithm_names(algorithms: Any) -> list[Any]:
    if not algorithms:
        raise DecodeError(_ALGORITHMS_REQUIRED)
    if isinstance(algorithms, str):
        return [algorithms]
    return list(algorithms)


def _make_verifier(keys: tuple[bytes, ...], *args: Any) -> Any:
    """The native verifier, once the keys pass PyJWT's key checks."""
    for k in keys:
        _hmac_secret(k)
    return _payhook.Verifier(keys, *args)


class _Plan(NamedTuple):
    """What one decode call needs, from its arguments."""

    args: tuple[Any, ...]       # the native Verifier's; () once memoised
    verifier: Any               # None when no HS algorithm is allowed
    names: list[Any]            # the caller's algorithms
    others: list[Any]           # names payhook's registry does not hold
    single: str | None          # the one HS algorithm allowed, if one
    short: dict[str, str]       # HS algorithm -> key length message
    enforce: bool
    issuer_bad: bool


def _plan(registry: Mapping[str, HMACAlgorithm], key: Any, algorithms: Any,
          options: Mapping[str, Any], audience: Any, issuer: Any,
          subject: Any, leeway: Any, max_bytes: Any, parse_float: Any,
          build: bool = True) -> _Plan:
    if not options.get("verify_signature", True):
        raise ValueError(_NEVER_UNVERIFIED)
    names = _algorithm_names(algorithms)
    mask, allowed, others = 0, [], []
    for name in names:
        if isinstance(name, str) and name in registry:
            if not mask & _HS[name][0]:
                mask |= _HS[name][0]
                allowed.append(name)
        else:
            others.append(name)
    verify = _ALL_CLAIMS
    for claim, bit in _CLAIM_BITS.items():
        if not options.get(f"verify_{claim}", True):
            verify &= ~bit
    strict = bool(options.get("strict_aud", False))
    if subject is not None and not isinstance(subject, str):
        raise TypeError("subject must be a str")
    aud = _audience(audience, strict)
    iss, issuer_bad = _issuer(issuer)
    required = _required(options.get("require"))
    keys = key_tuple(key)
    lifetime = seconds(leeway, "leeway")
    limit = max_bytes_value(max_bytes)
    if parse_float is not None and not callable(parse_float):
        raise TypeError("parse_float must be callable")
    args = (keys, mask, False, limit, lifetime, verify, 0, aud, strict, iss,
            None if subject is None else _text(subject), parse_float,
            required)
    verifier = _make_verifier(*args) if mask and build else None
    shortest = min(len(k) for k in keys)
    short = {}
    for name in allowed:
        message = _short_key_message(shortest, name)
        if message is not None:
            short[name] = message
    return _Plan(args, verifier, names, others,
                 allowed[0] if len(allowed) == 1 else None, short,
                 bool(options.get("enforce_minimum_key_length", False)),
                 issuer_bad)


# The plans of the most recent calls, by a salted digest of their arguments
# (payhook._keys.prepared): a call with the same key and options as one
# before it skips the argument checks and the key set-up.  A plan keeps
# the prepared native verifier (which holds the keys, and wipes them when
# freed) and never the keys themselves.
_plans = prepared(_plan)
_TOKENS = itertools.count()


def _state_token(owner: Any, options: dict[str, Any], jws: PyJWS) -> int:
    """A number that changes whenever the owner's options or its registry
    do (they are public and may be changed in place)."""
    seen = owner.__dict__.get("_seen")
    if (seen is None or seen[0] is not options or seen[1] != options or
            seen[2] != jws._generation):
        copy = {k: list(v) if isinstance(v, list) else v
                for k, v in options.items()}
        seen = (options, copy, jws._generation, next(_TOKENS))
        owner._seen = seen
    token: int = seen[3]
    return token


def _call_options(options: Any) -> Any:
    """The call's options as a tuple the memo can digest (None if none);
    anything else is not memoised."""
    if options is None:
        return None
    if isinstance(options, Mapping):
        return tuple(options.items())
    return _NOT_MEMOISED


_NOT_MEMOISED: dict[str, Any] = {}      # a dict: the memo will not take it


def _planned(owner: Any, jws: PyJWS, key: Any, algorithms: Any,
             options: Any, merge: Callable[[Any], Mapping[str, Any]],
             audience: Any, issuer: Any, subject: Any, leeway: Any,
             max_bytes: Any, parse_float: Any) -> _Plan:
    state = _state_token(owner, owner.options, jws)
    if (options is None and audience is None and issuer is None and
            subject is None and parse_float is None and
            type(leeway) is int and leeway == 0 and
            type(max_bytes) is int and max_bytes == MAX_BYTES):
        args: tuple[Any, ...] = (state, key, algorithms)   # the usual call
    else:
        args = (state, key, algorithms, _call_options(options), audience,
                issuer, subject, leeway, max_bytes, parse_float)
    return _plans.get(args, lambda: _plan(
        jws._algorithms, key, algorithms, merge(options), audience, issuer,
        subject, leeway, max_bytes, parse_float)._replace(args=()))


def _header_alg(jwt: Any, max_bytes: Any) -> Any:
    """The token's alg, or None when there is none or it cannot be read
    (the verification that follows says why)."""
    try:
        header = _payhook.jwt_header(jwt, max_bytes_value(max_bytes))
    except (PayhookError, TypeError):
        return None
    return header.get("alg")


def _check_token_type(jwt: Any) -> None:
    if not isinstance(jwt, (str, bytes, bytearray, memoryview)):
        raise DecodeError(f"Invalid token type. Token must be a {bytes}")


def _run(plan: _Plan, jwt: Any, now: float | None, max_bytes: Any,
         give: str) -> Any:
    """Verify (give "payload", "complete" or "raw") as the plan says."""
    if plan.short:
        name = plan.single or _header_alg(jwt, max_bytes)
        message = plan.short.get(name) if isinstance(name, str) else None
        if message is not None:
            if plan.enforce:
                raise InvalidKeyError(message)
            _warn(message, InsecureKeyLengthWarning)
    try:
        if plan.verifier is None:
            _no_algorithm(plan, jwt, max_bytes)
        if give == "payload":
            return plan.verifier.decode(jwt, now)
        if give == "complete":
            return plan.verifier.decode_complete(jwt, now)
        return plan.verifier.verify(jwt)
    except InvalidAlgorithmError:
        if plan.others:
            alg = _header_alg(jwt, max_bytes)
            if isinstance(alg, str) and alg in plan.others:
                raise InvalidAlgorithmError(_NOT_SUPPORTED) from None
        raise
    except InvalidIssuerError as e:
        if plan.issuer_bad and str(e) == "Invalid issuer":
            raise InvalidIssuerError(_ISSUER_PARAM) from None
        raise


def _no_algorithm(plan: _Plan, jwt: Any, max_bytes: Any) -> None:
    """None of the caller's algorithms is one payhook has: the token is
    read (and refused if malformed) for PyJWT's message about its alg."""
    header = _payhook.jwt_header(jwt, max_bytes_value(max_bytes))
    if "alg" not in header:
        raise InvalidAlgorithmError("Algorithm not specified")
    alg = header["alg"]
    if isinstance(alg, str) and alg and alg in plan.names:
        raise InvalidAlgorithmError(_NOT_SUPPORTED)
    raise InvalidAlgorithmError("The specified alg value is not allowed")


def _complete(parts: tuple[Any, Any, bytes]) -> dict[str, Any]:
    header, payload, signature = parts
    return {"header": header, "payload": payload, "signature": signature}


def _refuse_detached(detached_payload: Any) -> None:
    if detached_payload is not None:
        raise DecodeError('It is only valid to pass "detached_payload" when '
                          'the protected header has "b64" set to false, and '
                          'payhook refuses b64: no detached payloads')


# ---------------------------------------------------------------------------
# PyJWS and PyJWT


class PyJWS:
    """PyJWT's ``PyJWS``: sign and verify bytes payloads (HS* only).

    ``PyJWS(algorithms=None, options=None)``: ``algorithms`` narrows the
    registry (HS256, HS384, HS512); ``options`` are :class:`SigOptions`.
    """

    header_typ = "JWT"

    def __init__(self, algorithms: Iterable[str] | None = None,
                 options: SigOptions | None = None) -> None:
        self._generation = next(_TOKENS)
        self._algorithms = _default_algorithms()
        if algorithms is not None:
            keep = set(algorithms)
            for name in list(self._algorithms):
                if name not in keep:
                    del self._algorithms[name]
        self.options: dict[str, Any] = self._get_default_options()
        if options is not None:
            self.options = self._merged(options)

    @staticmethod
    def _get_default_options() -> dict[str, Any]:
        return {"verify_signature": True, "enforce_minimum_key_length": False}

    # -- the registry -------------------------------------------------------

    def register_algorithm(self, alg_id: str, alg_obj: Any) -> None:
        """Add one of payhook's algorithms back (after an unregister).

        ``ValueError`` if the name is registered, ``TypeError`` for any
        object but an :class:`HMACAlgorithm` of that name: payhook verifies
        HS256, HS384 and HS512 in its C core and nothing else.
        """
        if alg_id in self._algorithms:
            raise ValueError("Algorithm already has a handler.")
        if not isinstance(alg_obj, HMACAlgorithm):
            raise TypeError("Object is not of type `Algorithm`: payhook.jwt "
                            "takes only its own HMACAlgorithm (HS256, HS384, "
                            "HS512)")
        if alg_obj.name != alg_id:
            raise ValueError(f"{alg_obj!r} cannot be registered as "
                             f"{alg_id!r}: payhook names each algorithm by "
                             "its hash")
        self._algorithms[alg_id] = alg_obj
        self._generation = next(_TOKENS)

    def unregister_algorithm(self, alg_id: str) -> None:
        """Remove an algorithm: tokens naming it are then refused (``KeyError``
        if it is not registered)."""
        if alg_id not in self._algorithms:
            raise KeyError("The specified algorithm could not be removed "
                           "because it is not registered.")
        del self._algorithms[alg_id]
        self._generation = next(_TOKENS)

    def get_algorithms(self) -> list[str]:
        """The names of the registered algorithms."""
        return list(self._algorithms)

    def get_algorithm_by_name(self, alg_name: str) -> HMACAlgorithm:
        """The registered :class:`HMACAlgorithm` of that name;
        ``NotImplementedError`` for any other name."""
        found = self._algorithms.get(alg_name) if isinstance(
            alg_name, str) else None
        if found is None:
            known = isinstance(alg_name, str) and alg_name in _NOT_HERE
            raise NotImplementedError(_ONLY_HS if known else _NOT_SUPPORTED)
        return found

    # -- encoding -----------------------------------------------------------

    def encode(self, payload: bytes, key: str | bytes,
               algorithm: str | None = _UNSET,
               headers: dict[str, Any] | None = None,
               json_encoder: type[json.JSONEncoder] | None = None,
               is_payload_detached: bool = False,
               sort_headers: bool = True) -> str:
        """Sign ``payload`` (bytes) as a compact JWS.

        The header's ``alg``, if given, wins over ``algorithm``.  Raises
        ``NotImplementedError`` for an algorithm payhook does not have,
        :class:`InvalidKeyError` for an unusable key, and
        :class:`InvalidTokenError` for a header payhook's decode would
        refuse (a non-string ``kid``; ``crit``, ``b64`` false or ``enc``;
        a detached payload).
        """
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise TypeError("a JWS payload must be bytes")
        if algorithm is _UNSET:
            alg: Any = "HS256"
        elif algorithm is None:
            alg = "none"
        else:
            alg = algorithm
        if headers:
            if headers.get("alg"):
                alg = headers["alg"]
            if headers.get("b64") is False:
                is_payload_detached = True
        if is_payload_detached:
            raise InvalidTokenError("payhook does not make detached or "
                                    "unencoded payloads (b64 false): its "
                                    "decode refuses them")
        header: dict[str, Any] = {"typ": self.header_typ, "alg": alg}
        if headers:
            if "kid" in headers and not isinstance(headers["kid"], str):
                raise InvalidTokenError(_KID)
            for name in ("crit", "enc"):
                if name in headers:
                    raise InvalidTokenError(
                        f"payhook does not make a header with {name!r}: its "
                        "decode refuses crit, b64 and enc")
            header.update(headers)
        if not header["typ"]:
            del header["typ"]
        header.pop("b64", None)             # True is the default: dropped
        header_json = _json_bytes(header, json_encoder, sort_headers,
                                  "header")
        alg_obj = self.get_algorithm_by_name(alg)
        secret = alg_obj.prepare_key(key)
        message = alg_obj.check_key_length(secret)
        if message is not None:
            if self.options.get("enforce_minimum_key_length", False):
                raise InvalidKeyError(message)
            _warn(message, InsecureKeyLengthWarning)
        return _payhook.sign(header_json, bytes(payload), _HS[alg][0], secret)

    # -- decoding -----------------------------------------------------------

    def _merged(self, options: Any) -> dict[str, Any]:
        return {**self.options, **_check_options(options,
                                                 frozenset(_SIG_OPTIONS))}

    def decode_complete(self, jwt: TokenArg, key: KeyArg = "",
                        algorithms: Sequence[str] | str | None = None,
                        options: SigOptions | None = None,
                        detached_payload: bytes | None = None, *,
                        max_bytes: int = MAX_BYTES,
                        **kwargs: Any) -> dict[str, Any]:
        """Verify and return ``{"header", "payload" (bytes), "signature"}``."""
        _extra_keywords(kwargs, "decode_complete")
        return _complete(self._verify(jwt, key, algorithms, options,
                                      detached_payload, max_bytes))

    def decode(self, jwt: TokenArg, key: KeyArg = "",
               algorithms: Sequence[str] | str | None = None,
               options: SigOptions | None = None,
               detached_payload: bytes | None = None, *,
               max_bytes: int = MAX_BYTES, **kwargs: Any) -> bytes:
        """Verify and return the payload bytes."""
        _extra_keywords(kwargs, "decode")
        payload: bytes = self._verify(jwt, key, algorithms, options,
                                      detached_payload, max_bytes)[1]
        return payload

    def _verify(self, jwt: Any, key: Any, algorithms: Any, options: Any,
                detached_payload: Any, max_bytes: Any) -> Any:
        _check_token_type(jwt)
        plan = _planned(self, self, key, algorithms, options, self._merged,
                        None, None, None, 0, max_bytes, None)
        _refuse_detached(detached_payload)
        return _run(plan, jwt, None, max_bytes, "raw")

    def get_unverified_header(self, jwt: TokenArg, *,
                              max_bytes: int = MAX_BYTES) -> dict[str, Any]:
        """The header of a token that is NOT verified (to choose a key by
        ``kid``): every check but the algorithm and the signature.  Never
        trust it before :meth:`decode` has verified the token."""
        _check_token_type(jwt)
        header: dict[str, Any] = _payhook.jwt_header(
            jwt, max_bytes_value(max_bytes))
        return header


class PyJWT:
    """PyJWT's ``PyJWT``: sign and verify JSON claims (HS* only).

    ``PyJWT(options=None)``: :class:`Options` that every call starts from.
    A subclass may override ``_encode_payload`` and ``_decode_payload``
    (to compress the payload, say), as PyJWT documents.
    """

    def __init__(self, options: Options | None = None) -> None:
        self.options: dict[str, Any] = self._get_default_options()
        if options is not None:
            self.options = self._merge_options(options)
        self._jws = PyJWS(options={  # type: ignore[arg-type]
            k: self.options[k] for k in _SIG_OPTIONS})

    @staticmethod
    def _get_default_options() -> dict[str, Any]:
        return {"verify_signature": True, "verify_exp": True,
                "verify_nbf": True, "verify_iat": True, "verify_aud": True,
                "verify_iss": True, "verify_sub": True, "verify_jti": True,
                "require": [], "strict_aud": False,
                "enforce_minimum_key_length": False}

    def _merge_options(self, options: Any = None) -> dict[str, Any]:
        if options is None:
            return self.options
        merged = dict(_check_options(options, _OPTION_NAMES))
        if not merged.get("verify_signature", True):
            for claim in _CLAIM_BITS:
                merged.setdefault(f"verify_{claim}", False)
        return {**self.options, **merged}

    # -- encoding -----------------------------------------------------------

    def encode(self, payload: dict[str, Any], key: str | bytes,
               algorithm: str | None = _UNSET,
               headers: dict[str, Any] | None = None,
               json_encoder: type[json.JSONEncoder] | None = None,
               sort_headers: bool = True) -> str:
        """Sign ``payload`` (a dict) as a compact JWT.

        ``datetime`` values of ``exp``, ``iat`` and ``nbf`` become Unix
        seconds.  Raises ``TypeError`` if ``payload`` is not a dict or its
        ``iss`` is not a str, ``ValueError`` for JSON payhook's decode
        would refuse, and what :meth:`PyJWS.encode` raises.
        """
        if not isinstance(payload, dict):
            raise TypeError("Expecting a dict object, as JWT only supports "
                            "JSON objects as payloads.")
        payload = payload.copy()
        for claim in ("exp", "iat", "nbf"):
            if isinstance(payload.get(claim), datetime):
                payload[claim] = timegm(payload[claim].utctimetuple())
        if "iss" in payload and not isinstance(payload["iss"], str):
            raise TypeError("Issuer (iss) must be a string.")
        body = self._encode_payload(payload, headers=headers,
                                    json_encoder=json_encoder)
        return self._jws.encode(body, key, algorithm, headers, json_encoder,
                                sort_headers=sort_headers)

    def _encode_payload(self, payload: dict[str, Any],
                        headers: dict[str, Any] | None = None,
                        json_encoder: type[json.JSONEncoder] | None = None
                        ) -> bytes:
        """The bytes to sign (a subclass may compress them, say)."""
        return _json_bytes(payload, json_encoder, False, "payload")

    # -- decoding -----------------------------------------------------------

    def decode_complete(self, jwt: TokenArg, key: KeyArg = "",
                        algorithms: Sequence[str] | str | None = None,
                        options: Options | None = None,
                        verify: bool | None = None,
                        detached_payload: bytes | None = None,
                        audience: str | Iterable[str] | None = None,
                        issuer: str | Iterable[str] | None = None,
                        subject: str | None = None,
                        leeway: float | timedelta = 0, *,
                        now: float | None = None,
                        max_bytes: int = MAX_BYTES,
                        parse_float: Callable[[str], Any] | None = None,
                        **kwargs: Any) -> dict[str, Any]:
        """Verify, and return ``{"header", "payload", "signature"}``: the
        header and the claims as dicts, the signature as bytes."""
        _extra_keywords(kwargs, "decode_complete")
        decoded: dict[str, Any] = self._decode(
            jwt, key, algorithms, options, verify, detached_payload,
            audience, issuer, subject, leeway, now, max_bytes, parse_float,
            True)
        return decoded

    def decode(self, jwt: TokenArg, key: KeyArg = "",
               algorithms: Sequence[str] | str | None = None,
               options: Options | None = None, verify: bool | None = None,
               detached_payload: bytes | None = None,
               audience: str | Iterable[str] | None = None,
               subject: str | None = None,
               issuer: str | Iterable[str] | None = None,
               leeway: float | timedelta = 0, *, now: float | None = None,
               max_bytes: int = MAX_BYTES,
               parse_float: Callable[[str], Any] | None = None,
               **kwargs: Any) -> dict[str, Any]:
        """Verify a compact JWT and return its claims.

        ``key`` is the HMAC secret (str as UTF-8, or bytes), or a sequence
        of them during a key rotation; ``algorithms`` is required.  Raises
        :class:`DecodeError` (malformed, or no ``algorithms``),
        :class:`InvalidSignatureError`, :class:`InvalidAlgorithmError`,
        :class:`ExpiredSignatureError`, :class:`ImmatureSignatureError`,
        :class:`InvalidIssuedAtError`, :class:`InvalidAudienceError`,
        :class:`InvalidIssuerError`, :class:`InvalidSubjectError`,
        :class:`InvalidJTIError`, :class:`MissingRequiredClaimError`,
        :class:`PayloadTooLargeError`, :class:`InvalidKeyError`;
        ``TypeError`` for a wrong argument type (``audience=1``);
        ``ValueError`` for options payhook refuses.
        """
        _extra_keywords(kwargs, "decode")
        if type(self).decode_complete is not PyJWT.decode_complete:
            found = self.decode_complete(
                jwt, key, algorithms, options, verify=verify,
                detached_payload=detached_payload, audience=audience,
                subject=subject, issuer=issuer, leeway=leeway, now=now,
                max_bytes=max_bytes, parse_float=parse_float)
            claims: dict[str, Any] = found["payload"]
            return claims
        claims = self._decode(jwt, key, algorithms, options, verify,
                              detached_payload, audience, issuer, subject,
                              leeway, now, max_bytes, parse_float, False)
        return claims

    def _decode(self, jwt: Any, key: Any, algorithms: Any, options: Any,
                verify: Any, detached_payload: Any, audience: Any,
                issuer: Any, subject: Any, leeway: Any, now: Any,
                max_bytes: Any, parse_float: Any, complete: bool) -> Any:
        given = options if isinstance(options, Mapping) else {}
        if verify is not None and verify != bool(
                given.get("verify_signature", True)):
            _warn("The `verify` argument to `decode` does nothing in PyJWT "
                  "2.0 and newer. The equivalent is setting "
                  "`verify_signature` to False in the `options` dictionary. "
                  "This invocation has a mismatch between the kwarg and the "
                  "option entry.", DeprecationWarning)
        _check_token_type(jwt)
        plan = _planned(self, self._jws, key, algorithms, options,
                        self._merge_options, audience, issuer, subject,
                        leeway, max_bytes, parse_float)
        _refuse_detached(detached_payload)
        if type(self)._decode_payload is not PyJWT._decode_payload:
            return self._decode_own_way(plan, jwt, now, max_bytes, complete)
        if complete:
            return _complete(_run(plan, jwt, now, max_bytes, "complete"))
        return _run(plan, jwt, now, max_bytes, "payload")

    def _decode_own_way(self, plan: _Plan, jwt: Any, now: Any,
                        max_bytes: Any, complete: bool) -> Any:
        """A subclass's _decode_payload reads the verified bytes; the
        claims it returns are then checked by the core, as sent again."""
        decoded = _complete(_run(plan, jwt, now, max_bytes, "raw"))
        payload = self._decode_payload(decoded)
        if not isinstance(payload, dict):
            raise DecodeError("Invalid payload string: must be a json object")
        plan.verifier.claims(_json_bytes(payload, None, False, "payload"),
                             now)
        decoded["payload"] = payload
        return decoded if complete else payload

    def _decode_payload(self, decoded: dict[str, Any]) -> dict[str, Any]:
        """The claims from ``decoded["payload"]`` (the verified bytes): a
        subclass may override it to decompress them, say.  This one parses
        them as payhook's decode does (strict JSON, an object)."""
        data = decoded["payload"]
        payload: dict[str, Any] = _payhook.parse_payload(data)
        return payload


_jws_global_obj = PyJWS()
_jwt_global_obj = PyJWT()
_jwt_global_obj._jws = _jws_global_obj

encode = _jwt_global_obj.encode
decode = _jwt_global_obj.decode
decode_complete = _jwt_global_obj.decode_complete
get_unverified_header = _jws_global_obj.get_unverified_header
register_algorithm = _jws_global_obj.register_algorithm
unregister_algorithm = _jws_global_obj.unregister_algorithm
get_algorithm_by_name = _jws_global_obj.get_algorithm_by_name


# ---------------------------------------------------------------------------
# payhook's prepared decoder


class Decoder(_payhook.Verifier):
    """A prepared verifier for many tokens with the same key and options.

    ``Decoder(key, algorithms, options=None, *, audience=None, ...)`` takes
    :func:`decode`'s arguments (less the token and ``now``); the key, the
    algorithms and the key length are checked once, here.
    ``decoder.decode(token, now=None)`` then does the per-token work only;
    ``decoder.decode_complete(token, now=None)`` returns the header and the
    signature too.  Safe to share between threads.
    """

    def __new__(cls, key: KeyArg,
                algorithms: Sequence[str] | str | None = None,
                options: Options | None = None, *,
                audience: str | Iterable[str] | None = None,
                issuer: str | Iterable[str] | None = None,
                subject: str | None = None, leeway: float | timedelta = 0,
                max_bytes: int = MAX_BYTES,
                parse_float: Callable[[str], Any] | None = None) -> Decoder:
        plan = _plan(_default_algorithms(), key, algorithms,
                     _check_options(options, _OPTION_NAMES), audience,
                     issuer, subject, leeway, max_bytes, parse_float,
                     build=False)
        keys, mask = plan.args[0], plan.args[1]
        if not mask:
            raise InvalidAlgorithmError(_ONLY_HS)
        for k in keys:
            _hmac_secret(k)
        # Warned (or refused) once, here: the shortest hash it is short for.
        if plan.short:
            message = next(iter(plan.short.values()))
            if plan.enforce:
                raise InvalidKeyError(message)
            _warn(message, InsecureKeyLengthWarning)
        return super().__new__(cls, *plan.args)

    def decode_complete(  # type: ignore[override]
            self, data: TokenArg, now: float | None = None) -> dict[str, Any]:
        """decode, with the header (a dict) and the signature (bytes)."""
        return _complete(super().decode_complete(data, now))

