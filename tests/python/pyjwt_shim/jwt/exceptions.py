"""PyJWT's ``jwt.exceptions``: payhook.jwt's classes, and the JWK family
payhook does not have (never raised by payhook)."""

from payhook.jwt import (  # noqa: F401
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
    PyJWTError,
)


class PyJWKError(PyJWTError):
    pass


class MissingCryptographyError(PyJWKError):
    pass


class PyJWKSetError(PyJWTError):
    pass


class PyJWKClientError(PyJWTError):
    pass


class PyJWKClientConnectionError(PyJWKClientError):
    pass
