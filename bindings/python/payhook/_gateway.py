"""The gateway pipeline's Python face: one Decoder class, ``verify`` and
``sign`` for every gateway the core registers.

``payhook.<gateway>`` modules for the gateways without a module of their
own (``payhook.stripe``, ``payhook.chip``, ...) are made here from the
core's list, so a gateway added to the core needs no Python code.
"""

from __future__ import annotations

import decimal
import json
import sys
import time
import types
import urllib.parse
from collections.abc import Mapping
from typing import Any, Callable, Iterable, NamedTuple, Sequence, Union

from . import _payhook
from .errors import DecodeError
from ._keys import (MAX_BYTES, key_bytes, key_tuple, max_bytes_value,
                    prepared, seconds)

Headers = Union[Mapping[str, str], Iterable[tuple[Any, Any]], None]
Body = Union[str, bytes, bytearray, memoryview]

GATEWAYS: dict[str, dict[str, Any]] = {
    g["name"]: g for g in _payhook.gateways()}


class Reply(NamedTuple):
    """What to answer the gateway once the callback was handled.

    ``repost``: for Fiuu's return and notification posts, the form to POST
    back to Fiuu's ``returnipn.php`` (the received fields and ``treq=1``)
    instead of a reply body; else ``None``.
    """
    status: int
    body: bytes
    content_type: str
    repost: bytes | None = None


class Result(NamedTuple):
    """An authenticated callback.

    ``payload``: the decoded JSON object.  ``gateway``: its name.
    ``event_id``: the id to deduplicate on (``None`` when the callback
    carries none).  ``timestamp``: the signed Unix time, for schemes that
    sign one, else ``None``.  ``signed_fields``: the payload's top-level
    names the signature covers (all of them, or none for SuperPay, which is
    encrypted but not signed).  ``reply``: what the gateway expects back.
    """
    payload: dict[str, Any]
    gateway: str
    event_id: str | None
    timestamp: int | None
    signed_fields: tuple[str, ...]
    reply: Reply


def _name(gateway: str) -> dict[str, Any]:
    if not isinstance(gateway, str):
        raise TypeError("the gateway name must be a str")
    try:
        return GATEWAYS[gateway]
    except KeyError:
        raise ValueError(f"unknown gateway {gateway!r}; payhook knows "
                         f"{', '.join(GATEWAYS)}") from None


def _tolerance(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("tolerance must be a number of seconds")
    return float(value)


def _expect_text(path: str, value: Any) -> bytes:
    # Exact text, as the callback writes it: a float is refused because
    # money in a float is already inexact (write "124.10" or a Decimal).
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, bool) or value is None:
        raise TypeError(f"expect[{path!r}] must be str, int or Decimal")
    if isinstance(value, int):
        return str(value).encode("ascii")
    if isinstance(value, decimal.Decimal):
        return str(value).encode("ascii")
    raise TypeError(f"expect[{path!r}] must be str, int or Decimal, not "
                    f"{type(value).__name__}")


def _expect(expect: Mapping[str, Any] | None
            ) -> tuple[tuple[bytes, bytes], ...] | None:
    if expect is None:
        return None
    if not isinstance(expect, Mapping):
        raise TypeError("expect must be a mapping of field path to value")
    pairs = []
    for path, value in expect.items():
        if not isinstance(path, str) or not path:
            raise TypeError("expect's keys must be non-empty str paths")
        pairs.append((path.encode("utf-8"), _expect_text(path, value)))
    return tuple(pairs)


def _result(name: str, raw: tuple[Any, ...]) -> Result:
    payload, event_id, timestamp, fields, reply = raw
    return Result(payload, name, event_id, timestamp, fields, Reply(*reply))


def _form_text(fields: Mapping[str, Any]) -> bytes:
    """An already-parsed form (Django's request.POST, Flask's request.form,
    a dict) as form text, for the core to check like a raw body.  A field
    given twice in a multi-value mapping is refused, as the parser refuses
    a repeated name."""
    getlist = getattr(fields, "getlist", None)
    pairs = []
    for name in fields:
        if not isinstance(name, str):
            raise TypeError("form field names must be str")
        values = getlist(name) if getlist is not None else [fields[name]]
        if len(values) != 1:
            raise DecodeError(f"the form field {name!r:.40} is given "
                              f"{len(values)} times")
        value = values[0]
        if not isinstance(value, str):
            raise TypeError("form field values must be str")
        pairs.append((name, value))
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote,
                                  safe="").encode("ascii")


def _body(gateway: str, body: Any) -> Any:
    if isinstance(body, Mapping):
        if GATEWAYS[gateway]["payload"] != "form":
            raise TypeError(f"a {gateway} body is bytes or str, not a "
                            "mapping")
        return _form_text(body)
    return body


class Decoder(_payhook.Gateway):
    """A prepared key for one gateway (wiped when freed; thread-safe).

    ``Decoder("stripe", key)``; ``key`` may be a sequence of keys during a
    rotation (any one may match).  ``decode(body, headers)`` returns the
    payload; ``verify(body, headers, expect=...)`` the whole
    :class:`Result`.  ``tolerance`` (seconds) applies to gateways that sign
    a timestamp (default: the gateway's, 300 s); ``leeway`` to the JWT
    claims of LeanX and 2C2P.
    """

    def __new__(cls, gateway: str, key: Any, *,
                tolerance: float | None = None, leeway: float = 0,
                max_bytes: int = MAX_BYTES,
                parse_float: Callable[[str], Any] | None = None) -> Decoder:
        _name(gateway)
        leeway = seconds(leeway, "leeway")
        if not leeway >= 0:
            raise ValueError("leeway must not be negative")
        return super().__new__(cls, gateway, key_tuple(key),
                               max_bytes_value(max_bytes),
                               _tolerance(tolerance), leeway, parse_float)

    def verify(self, body: Body | Mapping[str, str],  # type: ignore[override]
               headers: Headers = None, *, now: float | None = None,
               expect: Mapping[str, Any] | None = None,
               query: str | bytes | None = None) -> Result:
        return _result(self.gateway,
                       super().verify(_body(self.gateway, body), headers, now,
                                      _expect(expect), query))


_prepared = prepared(
    lambda gateway, key, tolerance, leeway, max_bytes, parse_float: Decoder(
        gateway, key, tolerance=tolerance, leeway=leeway,
        max_bytes=max_bytes, parse_float=parse_float))


def verify(gateway: str, body: Body | Mapping[str, str], key: Any, *,
           headers: Headers = None, now: float | None = None,
           expect: Mapping[str, Any] | None = None,
           query: str | bytes | None = None,
           tolerance: float | None = None, leeway: float = 0,
           max_bytes: int = MAX_BYTES,
           parse_float: Callable[[str], Any] | None = None) -> Result:
    """Authenticate one callback of any gateway and return its Result.

    The prepared key is kept for the next call with the same arguments
    (the 32 most recent), as the per-gateway ``decode`` functions do.
    Raises :class:`~payhook.InvalidKeyError`,
    :class:`~payhook.PayloadTooLargeError`,
    :class:`~payhook.MissingSignatureError`, :class:`~payhook.DecodeError`,
    :class:`~payhook.InvalidSignatureError`,
    :class:`~payhook.InvalidTimestampError`,
    :class:`~payhook.FieldMismatchError` (``expect``), and per gateway the
    JWT claim errors (LeanX, 2C2P) or :class:`~payhook.DecryptionError`
    (SuperPay); ``ValueError`` for an unknown gateway, ``TypeError`` for
    wrong argument types.
    """
    return _prepared(gateway, key, tolerance, leeway, max_bytes,
                     parse_float).verify(body, headers, now=now,
                                         expect=expect, query=query)


def _payload_bytes(gateway: str, payload: Any) -> bytes:
    if isinstance(payload, Mapping) and GATEWAYS[gateway]["payload"] == "form":
        return _form_text(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    return json.dumps(payload, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def sign(gateway: str, payload: Any, key: Any, *,
         timestamp: int | None = None, event_id: str | None = None
         ) -> tuple[bytes, dict[str, str]]:
    """A genuine callback of ``gateway``: ``(body, headers)``.

    For handler tests: ``payload`` (a dict, serialised compactly as JSON,
    or for the form gateways as a form; or the exact text or bytes) signed
    with ``key`` the way the gateway does it (for CHIP, ``key`` is the PEM
    *private* key).  For a form gateway the body is the form with the
    signature field added; a Billplz redirect (fields named billplz[...])
    is the query string to put after ``?``.  ``timestamp``
    defaults to now, ``event_id`` (Standard Webhooks, Razorpay) to a random
    one.
    """
    _name(gateway)
    if timestamp is None:
        timestamp = int(time.time())
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise TypeError("timestamp must be an int")
    eid = None if event_id is None else key_bytes(event_id, "event_id")
    body, headers = _payhook.gateway_sign(
        gateway, _payload_bytes(gateway, payload), key_bytes(key), timestamp,
        eid)
    return body, dict(headers)


def module_functions(gateway: str) -> tuple[Callable[..., Any], ...]:
    """decode, verify and sign bound to one gateway."""
    def decode(body: Body | Mapping[str, str], key: Any, *,
               headers: Headers = None, now: float | None = None,
               query: str | bytes | None = None,
               tolerance: float | None = None, leeway: float = 0,
               max_bytes: int = MAX_BYTES,
               parse_float: Callable[[str], Any] | None = None
               ) -> dict[str, Any]:
        return _payhook.Gateway.decode(
            _prepared(gateway, key, tolerance, leeway, max_bytes,
                      parse_float), _body(gateway, body), headers, now,
            query)

    def verify_one(body: Body | Mapping[str, str], key: Any, *,
                   headers: Headers = None, now: float | None = None,
                   expect: Mapping[str, Any] | None = None,
                   query: str | bytes | None = None,
                   tolerance: float | None = None, leeway: float = 0,
                   max_bytes: int = MAX_BYTES,
                   parse_float: Callable[[str], Any] | None = None
                   ) -> Result:
        return verify(gateway, body, key, headers=headers, now=now,
                      expect=expect, query=query, tolerance=tolerance,
                      leeway=leeway,
                      max_bytes=max_bytes, parse_float=parse_float)

    def sign_one(payload: Any, key: Any, *, timestamp: int | None = None,
                 event_id: str | None = None
                 ) -> tuple[bytes, dict[str, str]]:
        return sign(gateway, payload, key, timestamp=timestamp,
                    event_id=event_id)

    title = GATEWAYS[gateway]["title"]
    decode.__doc__ = (f"Authenticate a {title} callback and return its "
                      "payload (see payhook.verify for the errors).")
    verify_one.__doc__ = f"Authenticate a {title} callback: its Result."
    sign_one.__doc__ = f"A genuine {title} callback (body, headers)."
    verify_one.__name__ = "verify"
    sign_one.__name__ = "sign"
    return decode, verify_one, sign_one


def gateway_module(gateway: str) -> types.ModuleType:
    """``payhook.<gateway>``: decode, verify, sign and a Decoder class."""
    decode, verify_one, sign_one = module_functions(gateway)
    info = GATEWAYS[gateway]
    mod = types.ModuleType(f"payhook.{gateway}",
                           f"{info['title']} callbacks (payhook.verify).")

    class GatewayDecoder(Decoder):
        __doc__ = f"A prepared {info['title']} key (see payhook.Decoder)."

        def __new__(cls, key: Any, **options: Any) -> GatewayDecoder:
            made = super().__new__(cls, gateway, key, **options)
            assert isinstance(made, GatewayDecoder)
            return made

    GatewayDecoder.__name__ = GatewayDecoder.__qualname__ = "Decoder"
    GatewayDecoder.__module__ = mod.__name__
    mod.decode = decode  # type: ignore[attr-defined]
    mod.verify = verify_one  # type: ignore[attr-defined]
    mod.sign = sign_one  # type: ignore[attr-defined]
    mod.Decoder = GatewayDecoder  # type: ignore[attr-defined]
    mod.GATEWAY = gateway  # type: ignore[attr-defined]
    mod.__all__ = ["decode", "verify", "sign", "Decoder"]  # type: ignore[attr-defined]
    return mod


def install(package: str, own: Sequence[str]) -> list[str]:
    """Register payhook.<gateway> for every gateway not in ``own``."""
    made = []
    for name in GATEWAYS:
        if name in own:
            continue
        sys.modules[f"{package}.{name}"] = gateway_module(name)
        made.append(name)
    return made
