"""SuperPay (GGGPay) payout callbacks: AES-256-CBC, IV = MD5(key), hex.

The body is ``{"encryptedData": "<hex>"}``.  Nothing authenticates the
ciphertext: anyone who can post to the endpoint can send altered
ciphertext, so every decryption failure raises the same
:class:`~payhook.DecryptionError` with the same message, and a callback
that moves money must be confirmed with SuperPay's query API first.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from . import _payhook
from . import _gateway
from ._gateway import module_functions
from ._keys import (MAX_BYTES, key_bytes, max_bytes_value, one_call,
                    prepared)

__all__ = ["decode", "verify", "sign", "decrypt", "encrypt", "Decoder"]


class Decoder(_gateway.Decoder):
    """A prepared SuperPay key (32 bytes; the IV, MD5(key), computed once).

    ``Decoder(key).decode(body)`` decrypts a callback body and returns its
    JSON object; ``verify(body, expect=...)`` returns the whole
    :class:`payhook.Result` (its ``signed_fields`` are empty: SuperPay
    encrypts, it does not sign).  ``decrypt`` and ``encrypt`` are the raw
    AES-256-CBC primitive with the same key.  Key material is wiped when
    the decoder is freed.  Safe to share between threads.
    """

    def __new__(cls, symmetric_key: str | bytes, *,
                max_bytes: int = MAX_BYTES,
                parse_float: Callable[[str], Any] | None = None) -> Decoder:
        key = key_bytes(symmetric_key, "key")
        made = super().__new__(cls, "superpay", key, max_bytes=max_bytes,
                               parse_float=parse_float)
        assert isinstance(made, Decoder)
        made._raw = _payhook.SuperPayKey(key, max_bytes_value(max_bytes))
        return made

    _raw: _payhook.SuperPayKey

    # SuperPay needs no header and signs no time: decode(body).
    decode = _payhook.Gateway.decode_at  # type: ignore[assignment]

    def decrypt(self, data: str | bytes | bytearray | memoryview,
                iv: bytes | None = None) -> bytes:
        """Raw AES-256-CBC/PKCS#7 decryption of hex text (see
        :func:`decrypt`)."""
        return self._raw.decrypt(data, iv)

    def encrypt(self, plaintext: bytes) -> str:
        """Raw AES-256-CBC/PKCS#7 encryption to lower-case hex."""
        return self._raw.encrypt(plaintext)


_prepared = prepared(lambda key, max_bytes, parse_float: Decoder(
    key, max_bytes=max_bytes, parse_float=parse_float))


@one_call(_prepared, "decode",
          key=("symmetric_key", "max_bytes", "parse_float"), call=("body",))
def decode(body: str | bytes | bytearray | memoryview,
           symmetric_key: str | bytes, *, max_bytes: int = MAX_BYTES,
           parse_float: Callable[[str], Any] | None = None,
           headers: Any = None, now: float | None = None) -> dict[str, Any]:
    """Decrypt a SuperPay callback body and return the payload ``dict``.

    The prepared key is kept for the next call with the same key (the 32
    most recent are kept, found by a salted digest of the arguments: the
    key itself is held only by the prepared key, which wipes it when freed).

    The body is ``{"encryptedData": "<hex>"}`` or the bare hex (either
    case).  Raises :class:`~payhook.InvalidKeyError` (key not 32 bytes),
    :class:`~payhook.PayloadTooLargeError`, :class:`~payhook.DecodeError`
    (the body is not that envelope), and :class:`~payhook.DecryptionError`
    for every failure once the hex is found, with one message and no cause:
    bad hex or padding, a plaintext that is not a JSON object, and a value
    that cannot be built (``parse_float`` raising, an integer longer than
    ``sys.get_int_max_str_digits()``); ``TypeError`` for wrong types.
    ``headers`` and ``now`` are accepted for the same shape as every
    gateway module and not needed (SuperPay signs neither).
    """
    return _prepared(symmetric_key, max_bytes, parse_float).decode(body)


def decrypt(data: str | bytes | bytearray | memoryview,
            key: str | bytes, iv: bytes | None = None, *,
            max_bytes: int = MAX_BYTES) -> bytes:
    """Raw AES-256-CBC/PKCS#7 decryption of hex text; returns the bytes.

    ``iv`` defaults to MD5(key).  Raises :class:`~payhook.InvalidKeyError`
    (key not 32 bytes, IV not 16 bytes), :class:`~payhook.DecryptionError`
    (any failure), :class:`~payhook.PayloadTooLargeError`.
    """
    return _prepared(key, max_bytes, None).decrypt(data, iv)


def encrypt(payload: Any, key: str | bytes) -> str:
    """Encrypt a payload the way SuperPay does; returns lower-case hex.

    ``payload`` is JSON-serialised compactly unless it is already ``str``
    or ``bytes``.  For building test callbacks.
    """
    if isinstance(payload, str):
        data = payload.encode("utf-8")
    elif isinstance(payload, (bytes, bytearray, memoryview)):
        data = bytes(payload)
    else:
        data = json.dumps(payload, separators=(",", ":"),
                          allow_nan=False).encode("utf-8")
    return _prepared(key, MAX_BYTES, None).encrypt(data)


# The whole result (event id, reply, expect=) through the gateway pipeline.
_, verify, sign = module_functions("superpay")
