"""What the framework helpers (payhook.flask, payhook.django,
payhook.fastapi) share: verify one request, run the view once under the
guard, and answer a refusal with a fixed body and a rate-limited log line.

Nothing here imports a web framework.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable, TypeVar, Union

from ._gateway import Body, Decoder, Headers, Result
from ._keys import MAX_BYTES
from ._ratelog import DEFAULT_INTERVAL, RateLimitedLog
from .errors import (
    GuardUnavailableError,
    MissingEventIdError,
    PayhookError,
    PayloadTooLargeError,
    ReplayConflictError,
    ReplayInProgressError,
)
from .guard import ReplayGuard

T = TypeVar("T")

# What the merchant may pass as expect=: fixed fields, or a function of the
# framework's request that returns them (None: nothing to bind).
Expect = Union[Mapping[str, Any], Callable[[Any], Union[Mapping[str, Any],
                                                       None]], None]

CONTENT_TYPE = "text/plain; charset=utf-8"

# Fixed answers: the status tells the gateway what to do, and the body
# tells an attacker nothing about why.
REFUSED = (401, b"refused\n")
IN_PROGRESS = (409, b"in progress, retry later\n")
CONFLICT = (422, b"conflicting payload for this event id\n")
NO_EVENT_ID = (422, b"no event id\n")
UNAVAILABLE = (503, b"unavailable, retry later\n")


def refusal(exc: PayhookError) -> tuple[int, bytes]:
    """The status and fixed body that answer ``exc``.

    401 for every verification failure (forged, malformed, expired,
    ``expect`` mismatch), 409 when another delivery holds the claim (the
    gateway retries), 422 for another payload under a handled event id or
    a callback without an event id (flagged: someone must look; a retry
    gets the same answer), 503 when the guard's store is unreachable (the
    gateway retries later).
    """
    if isinstance(exc, ReplayInProgressError):
        return IN_PROGRESS
    if isinstance(exc, GuardUnavailableError):
        return UNAVAILABLE
    if isinstance(exc, ReplayConflictError):
        return CONFLICT
    if isinstance(exc, MissingEventIdError):
        return NO_EVENT_ID
    return REFUSED


class Duplicate:
    """The marker :meth:`Callback.run` returns for a duplicate delivery."""

    def __repr__(self) -> str:
        return "DUPLICATE"


DUPLICATE = Duplicate()


class _ViewRefused(Exception):
    """Raised inside the guard's block to release the claim when the view
    answered an error status: nothing was handled, so the next delivery
    is judged afresh."""

    def __init__(self, answer: Any) -> None:
        super().__init__()
        self.answer = answer


class Callback:
    """One helper's settings: the prepared key, the guard, ``expect`` and
    the rate-limited log of its refusals."""

    def __init__(self, gateway: str, key: Any, *,
                 guard: ReplayGuard | None = None, expect: Expect = None,
                 logger: logging.Logger | None = None,
                 log_interval: float = DEFAULT_INTERVAL,
                 **options: Any) -> None:
        if guard is not None and not isinstance(guard, ReplayGuard):
            raise TypeError("guard must be a payhook.guard.ReplayGuard")
        if expect is not None and not (isinstance(expect, Mapping) or
                                       callable(expect)):
            raise TypeError("expect must be a mapping, or a function of "
                            "the request that returns one")
        self.decoder = Decoder(gateway, key, **options)
        self.gateway = gateway
        self.guard = guard
        self.expect = expect
        self.max_bytes = int(options.get("max_bytes", MAX_BYTES))
        self.log = RateLimitedLog(
            logger if logger is not None else logging.getLogger("payhook"),
            log_interval)

    def check_length(self, length: int | None) -> None:
        """Refuse a body longer than ``max_bytes`` by its Content-Length,
        before it is read (``PayloadTooLargeError``)."""
        if length is not None and length > self.max_bytes:
            raise PayloadTooLargeError("the body is longer than max_bytes")

    def verify(self, body: Body, headers: Headers, request: Any) -> Result:
        """The request's Result; raises what ``payhook.verify`` raises."""
        expect = self.expect
        if expect is not None and not isinstance(expect, Mapping):
            expect = expect(request)
        return self.decoder.verify(body, headers, expect=expect)

    def refuse(self, exc: PayhookError) -> tuple[int, bytes]:
        """The answer to ``exc``, logged (the class name only, never the
        key, the body or the message) at most once a kind per interval."""
        status, body = refusal(exc)
        name = type(exc).__name__
        level = logging.ERROR if status == 503 else logging.WARNING
        self.log.log(name, level, "payhook: refused a %s callback: %s "
                     "(answered %d)", self.gateway, name, status)
        return status, body

    def run(self, result: Result, view: Callable[[], T],
            failed: Callable[[T], bool]) -> T | Duplicate:
        """Call ``view`` once per event: under the guard when there is
        one, and :data:`DUPLICATE` instead for a handled event.  An answer
        for which ``failed`` is true releases the claim.  Raises the
        guard's :class:`~payhook.GuardError` before the view runs."""
        if self.guard is None:
            return view()
        try:
            with self.guard.once(result) as first:
                if not first:
                    self.log.log("duplicate", logging.INFO,
                                 "payhook: a %s callback already handled "
                                 "came again: answered the gateway's "
                                 "reply", self.gateway)
                    return DUPLICATE
                answer = view()
                if failed(answer):
                    raise _ViewRefused(answer)
                return answer
        except _ViewRefused as refused:
            return refused.answer  # type: ignore[no-any-return]
