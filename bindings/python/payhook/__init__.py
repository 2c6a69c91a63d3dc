"""payhook: verify and decrypt payment-gateway callbacks.

``payhook.<gateway>.decode(body, key, headers=...)`` turns the raw body a
gateway posted into a verified ``dict`` (``payhook.leanx``,
``payhook.superpay``, ``payhook.twoc2p``, ``payhook.standardwebhooks``,
``payhook.stripe``, ``payhook.razorpay``, ``payhook.chip``,
``payhook.chip_send``, and the signed forms ``payhook.billplz``,
``payhook.fiuu``, ``payhook.senangpay``, ``payhook.senangpay_md5``,
``payhook.toyyibpay``); ``payhook.verify(gateway, body, key, ...)``
returns the whole :class:`Result` (payload, event id, signed timestamp,
signed fields, reply).  ``payhook.jwt`` is a drop-in for PyJWT's HS256
``decode``/``encode``.  Every error is a :class:`PayhookError` (a
``ValueError``).
"""

from __future__ import annotations

from . import _gateway, jwt, leanx, superpay
from ._gateway import GATEWAYS, Decoder, Reply, Result, sign, verify
from ._payhook import __version__
from .errors import (
    DecodeError,
    DecryptionError,
    ExpiredSignatureError,
    FieldMismatchError,
    GuardError,
    GuardUnavailableError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidJTIError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidSubjectError,
    InvalidTimestampError,
    InvalidTokenError,
    MissingEventIdError,
    MissingRequiredClaimError,
    MissingSignatureError,
    PayhookError,
    PayloadTooLargeError,
    ReplayConflictError,
    ReplayInProgressError,
)

# payhook.stripe, payhook.chip, ...: made from the core's list of gateways.
for _name in _gateway.install(__name__, ("leanx", "superpay")):
    globals()[_name] = __import__("sys").modules[f"{__name__}.{_name}"]
del _name

__all__ = [
    "__version__",
    "jwt",
    "leanx",
    "superpay",
    "twoc2p",
    "standardwebhooks",
    "stripe",
    "razorpay",
    "chip",
    "chip_send",
    "billplz",
    "fiuu",
    "senangpay",
    "senangpay_md5",
    "toyyibpay",
    "GATEWAYS",
    "Decoder",
    "Result",
    "Reply",
    "verify",
    "sign",
    "PayhookError",
    "InvalidKeyError",
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
    "MissingRequiredClaimError",
    "DecryptionError",
    "PayloadTooLargeError",
    "MissingSignatureError",
    "InvalidTimestampError",
    "FieldMismatchError",
    "GuardError",
    "MissingEventIdError",
    "ReplayConflictError",
    "ReplayInProgressError",
    "GuardUnavailableError",
]
