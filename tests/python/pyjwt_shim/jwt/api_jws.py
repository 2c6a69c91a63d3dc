"""PyJWT's ``jwt.api_jws``: payhook.jwt's PyJWS and its functions."""

from payhook.jwt import (  # noqa: F401
    PyJWS,
    get_algorithm_by_name,
    get_unverified_header,
    register_algorithm,
    unregister_algorithm,
)
