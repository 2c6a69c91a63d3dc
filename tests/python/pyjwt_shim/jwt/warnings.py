"""PyJWT's ``jwt.warnings``: the classes payhook.jwt warns with."""

from payhook.jwt import (  # noqa: F401
    InsecureKeyLengthWarning,
    RemovedInPyjwt3Warning,
)
