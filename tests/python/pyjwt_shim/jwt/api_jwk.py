"""PyJWT's ``jwt.api_jwk``: payhook has no JWKs; these stand-ins refuse."""

from typing import Any


class PyJWK:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("payhook.jwt has no JWK support")

    @classmethod
    def from_dict(cls, *args: Any, **kwargs: Any) -> "PyJWK":
        raise NotImplementedError("payhook.jwt has no JWK support")

    @classmethod
    def from_json(cls, *args: Any, **kwargs: Any) -> "PyJWK":
        raise NotImplementedError("payhook.jwt has no JWK support")


class PyJWKSet(PyJWK):
    pass
