"""The exceptions payhook raises.

Every class is a ``ValueError`` through :class:`PayhookError`, so a handler
that already catches ``ValueError`` for bad input keeps working.  The JWT
classes carry PyJWT's names and PyJWT's hierarchy below
:class:`InvalidTokenError`, so code written against PyJWT's exceptions
catches ours.  The C core reports errors by these class names; the
replay guard's classes (below :class:`GuardError`) are the Python
package's own.
"""

from __future__ import annotations

__all__ = [
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


class PayhookError(ValueError):
    """Root of every payhook error (and PyJWT's ``PyJWTError`` here)."""


class InvalidKeyError(PayhookError):
    """The key is unusable: empty, or a SuperPay key that is not 32 bytes."""


class InvalidTokenError(PayhookError):
    """The token or callback was rejected (PyJWT's base class name)."""


class DecodeError(InvalidTokenError):
    """Malformed body, envelope, token, base64url, header or JSON."""


class InvalidSignatureError(DecodeError):
    """The signature does not match the key (or any of the keys)."""


class InvalidAlgorithmError(InvalidTokenError):
    """``alg`` is missing, ``none``, or not in the allowed algorithms."""


class ExpiredSignatureError(InvalidTokenError):
    """The ``exp`` claim is in the past (beyond the leeway)."""


class ImmatureSignatureError(InvalidTokenError):
    """The ``nbf`` or ``iat`` claim is in the future (beyond the leeway)."""


class InvalidIssuedAtError(DecodeError):
    """The ``iat`` claim is not a number."""


class InvalidAudienceError(InvalidTokenError):
    """The ``aud`` claim does not match, or has the wrong form."""


class InvalidIssuerError(InvalidTokenError):
    """The ``iss`` claim does not match, or is not a string."""


class InvalidSubjectError(InvalidTokenError):
    """The ``sub`` claim is not a string, or does not match."""


class InvalidJTIError(InvalidTokenError):
    """The ``jti`` claim is not a string."""


class MissingRequiredClaimError(InvalidTokenError):
    """A claim that was required (or needed for a check) is absent.

    Made as PyJWT makes it, from the claim's name:
    ``MissingRequiredClaimError("exp").claim == "exp"``, and its text is
    ``Token is missing the "exp" claim``.
    """

    claim: str

    def __init__(self, claim: str) -> None:
        super().__init__(claim)
        self.claim = claim

    def __str__(self) -> str:
        return f'Token is missing the "{self.claim}" claim'


class DecryptionError(PayhookError):
    """A SuperPay body could not be decrypted.

    Deliberately one class and one message for every cause (bad hex, bad
    length, bad padding, wrong key, plaintext that is not a JSON object):
    telling them apart would hand an attacker a padding oracle.
    """


class PayloadTooLargeError(DecodeError):
    """The body or token is longer than ``max_bytes``."""


class MissingSignatureError(InvalidSignatureError):
    """A header or field the signature needs is absent or empty."""


class InvalidTimestampError(InvalidTokenError):
    """A signed timestamp is outside the tolerance window (either side)."""


class FieldMismatchError(InvalidTokenError):
    """An ``expect=`` field differs from the callback, is absent, or is not
    covered by the gateway's signature (the callback is authentic but is
    not the one the merchant's order expects)."""


class GuardError(PayhookError):
    """The replay guard (``payhook.guard``) could not let this delivery
    through: the callback is authentic, but running its handler now could
    act on it twice."""


class MissingEventIdError(GuardError):
    """The callback carries no event id (``Result.event_id`` is ``None``),
    so the guard has nothing to deduplicate on and refuses to run the
    handler rather than risk running it twice."""


class ReplayConflictError(GuardError):
    """A different authenticated payload arrived under an event id already
    claimed or handled: flagged, never silently taken as a duplicate."""


class ReplayInProgressError(GuardError):
    """Another delivery of the same callback holds the claim and has not
    finished: answer 409 so that the gateway retries later."""


class GuardUnavailableError(GuardError):
    """The guard's store (SQLite file, Redis server, database) could not be
    reached or failed: answer 503 so that the gateway retries later."""
