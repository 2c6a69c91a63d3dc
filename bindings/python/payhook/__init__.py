"""payhook: verify and decrypt payment-gateway payout callbacks.

``payhook.leanx.decode(body, hash_key)`` and
``payhook.superpay.decode(body, symmetric_key)`` turn the raw body a
gateway posted into a verified ``dict``; ``payhook.jwt`` is a drop-in for
PyJWT's HS256 ``decode``/``encode``.  Every error is a
:class:`PayhookError` (a ``ValueError``).
"""

from __future__ import annotations

from . import jwt, leanx, superpay
from ._payhook import __version__
from .errors import (
    DecodeError,
    DecryptionError,
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
    PayloadTooLargeError,
)

__all__ = [
    "__version__",
    "jwt",
    "leanx",
    "superpay",
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
]
