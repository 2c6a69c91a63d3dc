"""PyJWT's ``jwt.api_jwt``: payhook.jwt's PyJWT and its functions."""

from payhook.jwt import PyJWT, decode, decode_complete, encode  # noqa: F401
