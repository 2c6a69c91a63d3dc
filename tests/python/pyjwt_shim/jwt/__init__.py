"""``import jwt`` resolving to payhook.jwt, for running PyJWT's own tests.

Only the compatibility suite (tests/python/test_pyjwt_compat.py) puts this
directory on sys.path, ahead of the installed PyJWT.  Every name PyJWT's
tests import is here: payhook.jwt's own where it has one, and a stand-in
that refuses to work where payhook has nothing of the kind (JWKs, the
``none`` and asymmetric algorithms); the tests that reach a stand-in are
in tests/python/pyjwt_expected.py as not applicable.
"""

from payhook.jwt import *  # noqa: F401,F403
from payhook.jwt import __all__ as _payhook_names

from .api_jwk import PyJWK, PyJWKSet
from .exceptions import (
    PyJWKClientConnectionError,
    PyJWKClientError,
    PyJWKError,
    PyJWKSetError,
)
from .jwks_client import PyJWKClient

__all__ = [*_payhook_names, "PyJWK", "PyJWKSet", "PyJWKClient",
           "PyJWKError", "PyJWKSetError", "PyJWKClientError",
           "PyJWKClientConnectionError"]
