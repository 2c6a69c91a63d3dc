"""Argument conversion shared by the public modules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable, Union

from .errors import InvalidKeyError

KeyLike = Union[str, bytes]
MAX_BYTES = 1 << 20


def key_bytes(key: Any, what: str = "key") -> bytes:
    """A key as bytes: str as its UTF-8 bytes (never hex-decoded)."""
    if isinstance(key, str):
        try:
            return key.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidKeyError(f"{what} is not valid text") from None
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    raise TypeError(f"{what} must be str or bytes, not {type(key).__name__}")


def key_tuple(key: Any) -> tuple[bytes, ...]:
    """One key, or a list/tuple of keys during a rotation."""
    if isinstance(key, (list, tuple)):
        if not key:
            raise InvalidKeyError("no key was given")
        return tuple(key_bytes(k) for k in key)
    return (key_bytes(key),)


def text_tuple(value: Any, what: str) -> tuple[bytes, ...] | None:
    """None, one string, or an iterable of strings, as UTF-8 bytes."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value.encode("utf-8", "surrogatepass"),)
    if isinstance(value, (bytes, bytearray)):
        raise TypeError(f"{what} must be str or an iterable of str")
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{what} must be str or an iterable of str") from None
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what} must be str or an iterable of str")
    return tuple(item.encode("utf-8", "surrogatepass") for item in items)


def seconds(value: Any, what: str) -> float:
    """A number of seconds from int, float or timedelta."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number or a timedelta")
    return float(value)


def max_bytes_value(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("max_bytes must be an int")
    if value < 0:
        raise ValueError("max_bytes must not be negative")
    return value


def names(value: Iterable[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        raise TypeError(f"{what} must be a list of names, not a str")
    return list(value)
