"""The two base64url helpers PyJWT's tests build tokens with.

Test scaffolding only (payhook's base64url is in its C core): written here
with the standard library, padding stripped as RFC 7515 writes it.
"""

import base64


def base64url_encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def base64url_decode(data: "str | bytes") -> bytes:
    if isinstance(data, str):
        data = data.encode("ascii")
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


def force_bytes(value: "str | bytes") -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    raise TypeError("Expected a string value")
