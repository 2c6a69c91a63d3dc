"""Argument conversion shared by the public modules."""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
from collections.abc import Sequence
from datetime import timedelta
from typing import (Any, Callable, Iterable, NamedTuple, TypeVar, Union,
                    cast)

from . import _payhook
from .errors import InvalidKeyError

KeyLike = Union[str, bytes]
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
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
    """One key, or a sequence of keys (list, tuple, ...) during a rotation.

    str and the bytes-like types are sequences too, but each is one key.
    """
    if isinstance(key, (str, bytes, bytearray, memoryview)):
        return (key_bytes(key),)
    if isinstance(key, Sequence):
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


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int
    currsize: int


class _NotCached(Exception):
    """An argument the memo cannot key on without holding key bytes."""


# Keys the memo by a digest, so that it never holds a key as a Python str
# or bytes (those cannot be wiped); only the prepared C objects hold key
# bytes, and they wipe them when freed.  The digest is keyed with a random
# salt of this process, so it is no unsalted hash of a key either.
_SALT = os.urandom(32)


def _feed(h: Any, value: Any, others: list[Any]) -> None:
    """Feed one argument to the digest in a form that no other argument
    list shares: a type tag, then a length or a terminator.

    Exact str, bytes, int, bool, float, None, timedelta and lists/tuples of
    them are digested.  A callable (parse_float) stands for itself: it is
    kept in the memo key, compared as lru_cache would, and the digest only
    marks its place.  Anything else (a bytearray or memoryview key, a
    subclass of str, bytes, list or tuple, another sequence) raises
    _NotCached: it could hold key bytes, so it is not cached.
    """
    t = type(value)
    if t is bytes:
        h.update(b"b%x:" % len(value))
        h.update(value)
    elif t is str:
        data = value.encode("utf-8", "surrogatepass")
        h.update(b"s%x:" % len(data))
        h.update(data)
    elif t is bool:
        h.update(b"?1" if value else b"?0")
    elif t is int:
        # Hex: no digit limit applies to it (sys.set_int_max_str_digits).
        h.update(b"i%x;" % value)
    elif t is float:
        h.update(b"f%s;" % value.hex().encode("ascii"))
    elif value is None:
        h.update(b"n")
    elif t is timedelta:
        h.update(b"d%x,%x,%x;" % (value.days, value.seconds,
                                  value.microseconds))
    elif t is tuple or t is list:
        h.update(b"%s%x:" % (b"t" if t is tuple else b"l", len(value)))
        for item in value:
            _feed(h, item, others)
    elif isinstance(value, (str, bytes, bytearray, memoryview, Sequence)):
        raise _NotCached
    elif callable(value):
        h.update(b"o")
        others.append((value, t))
    else:
        raise _NotCached


def _memo_key(args: tuple[Any, ...]) -> tuple[Any, ...]:
    # The extension's salted HMAC takes the usual arguments (str and bytes
    # keys, lists of them, numbers, None) at a small part of this path's
    # cost; it answers None for the rest (a parse_float callable, a
    # timedelta, a subclass), which is digested here.  A C key is a
    # 1-tuple and a key made here has a different MAC, so they never meet.
    fast = _payhook.memo_digest(args)
    if fast is not None:
        return (fast,)
    return _python_key(args)


def _python_key(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The Python path of _memo_key: a salted BLAKE2b of _feed's form."""
    h = hashlib.blake2b(key=_SALT, digest_size=32)
    others: list[Any] = []
    h.update(b"a%x:" % len(args))
    for a in args:
        _feed(h, a, others)
    return (h.digest(), *others)


def _slow_key(args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The memo key of arguments _payhook.Memo does not fingerprint
    itself (it has tried already), or None: not cached."""
    try:
        key = _python_key(args)
        hash(key)
    except (_NotCached, TypeError):
        return None
    return key


# How many prepared decoders each one-call function keeps.
MEMO_SIZE = 32


def prepared(factory: Callable[..., T]) -> _payhook.Memo[T]:
    """A decoder constructor memoised on its arguments.

    The one-call functions (``payhook.leanx.decode(body, key)``) are usually
    called with the same key on every request; keeping the 32 most recent
    prepared decoders saves the key set-up (HMAC/AES contexts, MD5 of the
    key) and the argument checks on each call.  Decoders never change and
    are thread-safe, so sharing a cached one is safe.

    The memo (``_payhook.Memo``, memo.c) is keyed by a salted digest of the
    arguments, so it holds no key as a Python object.  Each argument's
    type is part of the digest (so ``0`` and ``False`` stay apart), and
    arguments that cannot be digested without keeping them are not
    cached.  It digests the usual arguments in C; the rest come to
    _slow_key.
    """
    return _payhook.Memo(factory, _slow_key, CacheInfo, MEMO_SIZE)


def one_call(memo: _payhook.Memo[Any], method: str, key: Sequence[str],
             call: Sequence[str]) -> Callable[[F], F]:
    """The one-call function ``function`` stands for, run in C.

    ``function(...)`` must do exactly ``memo(*key).method(*call)`` (the
    names are its parameters): ``_payhook.OneCall`` (onecall.c) binds the
    arguments as Python would and does that without a Python frame.  The
    function stays as ``__wrapped__``, so ``inspect.signature`` and
    ``help`` show it; the tests hold the two to the same answers.
    """
    def wrap(function: F) -> F:
        sig = inspect.signature(function)
        params = list(sig.parameters.values())
        names = tuple(p.name for p in params)
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                 inspect.Parameter.KEYWORD_ONLY)
        if any(p.kind not in kinds for p in params):
            raise TypeError("one_call: plain and keyword-only parameters "
                            "only")
        npositional = sum(p.kind is kinds[0] for p in params)
        first_default = next((i for i, p in enumerate(params)
                              if p.default is not p.empty), len(params))
        if any(p.default is p.empty for p in params[first_default:]):
            raise TypeError("one_call: the required parameters come first")
        defaults = tuple(p.default for p in params[first_default:])
        made = _payhook.OneCall(memo, method, names, npositional, defaults,
                                tuple(names.index(n) for n in key),
                                tuple(names.index(n) for n in call))
        functools.update_wrapper(made, function)
        return cast(F, made)
    return wrap
