"""Argument conversion shared by the public modules."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any, Callable, Iterable, TypeVar, Union

from .errors import InvalidKeyError

KeyLike = Union[str, bytes]
T = TypeVar("T")
MAX_BYTES = 1 << 20


def key_bytes(key: Any, what: str = "key") -> bytes:
    """A key as bytes: str as its UTF-8 bytes (never hex-decoded)."""
    if isinstance(key, str):
        try:
            return key.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidKeyError(f"{what} is not valid text") from None
    if isinstance(key, (bytes, bytearray, memoryview)):
        try:
            return bytes(key)
        except ValueError:  # a released memoryview
            raise TypeError(f"{what} is a released buffer") from None
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


def prepared(factory: Callable[..., T]) -> Callable[..., T]:
    """Memoise a decoder constructor on its arguments.

    The one-call functions (``payhook.leanx.decode(body, key)``) are usually
    called with the same key on every request; keeping the 32 most recent
    prepared decoders saves the key set-up (HMAC/AES contexts, MD5 of the
    key) and the argument checks on each call.  Decoders never change and
    are thread-safe, so sharing a cached one is safe.  Each argument's type
    is part of the cache key (so ``0`` and ``False`` stay apart), and
    arguments that cannot be hashed (a list of keys) are not cached.
    """

    @functools.lru_cache(maxsize=32)
    def cached(*typed: tuple[Any, type]) -> T:
        return factory(*(value for value, _ in typed))

    def make(*args: Any) -> T:
        typed = tuple((a, type(a)) for a in args)
        try:
            hash(typed)
        except TypeError:
            return factory(*args)
        return cached(*typed)

    make.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    make.cache_info = cached.cache_info  # type: ignore[attr-defined]
    return make
