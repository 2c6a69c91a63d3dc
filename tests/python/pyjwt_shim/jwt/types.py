"""PyJWT's ``jwt.types``: payhook.jwt's option types."""

from typing import Any

from payhook.jwt import Options, SigOptions  # noqa: F401

JWKDict = dict[str, Any]
