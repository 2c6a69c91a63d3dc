"""LeanX payout callbacks: an HS256 JWT in ``{"data": "<jwt>", ...}``.

The token is signed with the merchant's *hash key* from the LeanX portal,
used as its UTF-8 text (a 128-character hex string is not hex-decoded).
The payload has no ``exp``: a captured callback verifies forever, so make
the handler idempotent on ``output.invoice_no``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from . import _payhook
from . import _gateway
from ._gateway import module_functions
from ._keys import MAX_BYTES, one_call, prepared

__all__ = ["decode", "verify", "sign", "Decoder"]


class Decoder(_gateway.Decoder):
    """A prepared LeanX decoder holding the hash key (wiped when freed).

    ``Decoder(hash_key).decode(body, now=None)`` takes the raw POST body
    (``str``, ``bytes``, ``bytearray`` or ``memoryview``), verifies it and
    returns the payload ``dict``; ``verify(body, now=..., expect=...)``
    returns the whole :class:`payhook.Result`.  ``hash_key`` may be a
    sequence of keys (a list or tuple, of str or bytes) during a rotation.
    Safe to share between threads.
    """

    def __new__(cls, hash_key: str | bytes | Sequence[str | bytes], *,
                leeway: float = 0, max_bytes: int = MAX_BYTES,
                parse_float: Callable[[str], Any] | None = None) -> Decoder:
        made = super().__new__(cls, "leanx", hash_key, leeway=leeway,
                               max_bytes=max_bytes, parse_float=parse_float)
        assert isinstance(made, Decoder)
        return made

    # LeanX needs no header: decode(body, now=None), as it always was.
    decode = _payhook.Gateway.decode_at  # type: ignore[assignment]


_prepared = prepared(lambda key, leeway, max_bytes, parse_float: Decoder(
    key, leeway=leeway, max_bytes=max_bytes, parse_float=parse_float))


@one_call(_prepared, "decode", key=("hash_key", "leeway", "max_bytes",
                                      "parse_float"),
          call=("body", "now"))
def decode(body: str | bytes | bytearray | memoryview,
           hash_key: str | bytes | Sequence[str | bytes], *,
           leeway: float = 0, now: float | None = None,
           max_bytes: int = MAX_BYTES,
           parse_float: Callable[[str], Any] | None = None,
           headers: Any = None) -> dict[str, Any]:
    """Verify a LeanX callback body and return the JWT payload.

    The prepared key is kept for the next call with the same key (the 32
    most recent are kept), so calling this on every request costs about
    what a :class:`Decoder` does.

    The body is ``{"data": "<jwt>", ...}`` or the bare token.  HS256 only.
    Registered claims (``exp``, ``nbf``, ``iat``) are checked when present.
    ``headers`` is accepted for the same shape as every gateway module and
    not needed.

    Raises :class:`~payhook.InvalidKeyError` (empty key),
    :class:`~payhook.PayloadTooLargeError` (body over ``max_bytes``),
    :class:`~payhook.DecodeError` (not a LeanX body, malformed token or
    JSON), :class:`~payhook.InvalidAlgorithmError` (``alg`` other than
    HS256, ``none`` included), :class:`~payhook.InvalidSignatureError`
    (wrong key or tampered), and the claim errors of
    :func:`payhook.jwt.decode`; ``TypeError`` for wrong argument types.
    """
    return _prepared(hash_key, leeway, max_bytes,
                     parse_float).decode(body, now)


# The whole result (event id, reply, expect=) through the gateway pipeline.
_, verify, sign = module_functions("leanx")
