"""PyJWT's ``jwt.jwks_client``: payhook fetches no JWK sets."""

from typing import Any


class PyJWKClient:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("payhook.jwt has no JWKS client")
