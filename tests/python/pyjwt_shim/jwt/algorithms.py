"""PyJWT's ``jwt.algorithms``: payhook.jwt's HMACAlgorithm, and stand-ins.

``has_crypto`` is False: payhook.jwt has no asymmetric algorithm, whatever
is installed, so PyJWT's tests marked ``crypto_required`` skip themselves.
``Algorithm`` and ``NoneAlgorithm`` are stand-ins that payhook's registry
refuses (it takes only its own HMACAlgorithm).
"""

from typing import Any

from payhook.jwt import HMACAlgorithm, PyJWS

has_crypto = False
requires_cryptography = frozenset({"RS256", "RS384", "RS512", "ES256",
                                   "ES256K", "ES384", "ES512", "PS256",
                                   "PS384", "PS512", "EdDSA"})


class Algorithm:
    """Not payhook's: an algorithm payhook cannot run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass


class NoneAlgorithm(Algorithm):
    """The unsigned algorithm payhook refuses."""


def get_default_algorithms() -> dict[str, Any]:
    jws = PyJWS()
    return {name: jws.get_algorithm_by_name(name)
            for name in jws.get_algorithms()}


__all__ = ["Algorithm", "HMACAlgorithm", "NoneAlgorithm", "has_crypto",
           "get_default_algorithms", "requires_cryptography"]
