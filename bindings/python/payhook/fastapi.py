"""payhook for FastAPI: a dependency that yields the verified callback.

    stripe_callback = payhook.fastapi.callback("stripe", WHSEC, guard=guard)

    @app.post("/callbacks/stripe")
    def stripe(result: payhook.Result = Depends(stripe_callback)):
        fulfil(result.payload)
        return payhook.fastapi.reply(result)

    payhook.fastapi.install(app)     # before the first request

``install`` answers refusals and duplicates with their exact body, and
settles the guard's claim as the response starts: committed when the
endpoint's answer is below 400, released otherwise.  That must happen
before the gateway sees the answer: FastAPI closes a ``yield``
dependency only after the response is sent, so a claim committed there
would still look in progress to a retry that came at once.

FastAPI is imported when a function here is first called, never by
``import payhook`` or ``import payhook.fastapi``.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any, Callable

from ._gateway import Result
from ._helpers import CONTENT_TYPE, Callback, Expect
from ._ratelog import DEFAULT_INTERVAL
from .errors import GuardError, PayhookError
from .guard import ReplayGuard

# The scope key under which the middleware keeps a request's claims.
_CLAIMS = "payhook.claims"

__all__ = ["callback", "reply", "install", "answer_class"]

_made: list[type[Exception]] = []
_making = threading.Lock()


def answer_class() -> type[Exception]:
    """``GatewayAnswer``: what the dependency raises instead of calling
    the endpoint, a refusal (401, 409, 422, 503 with a fixed short body)
    or, for a duplicate of a handled callback, the gateway's reply.

    It subclasses FastAPI's ``HTTPException`` (so the class is made when
    first asked for, once; also as ``payhook.fastapi.GatewayAnswer``):
    without :func:`install` FastAPI answers it with its status and a JSON
    ``{"detail": ...}``; with it, with exactly its ``body`` and
    ``content_type``.
    """
    with _making:
        if not _made:
            base: Any = importlib.import_module("fastapi").HTTPException

            class GatewayAnswer(base):  # type: ignore[misc]
                __doc__ = answer_class.__doc__

                def __init__(self, status: int, body: bytes,
                             content_type: str) -> None:
                    super().__init__(
                        status_code=status,
                        detail=body.decode("utf-8", "replace").strip())
                    self.body = body
                    self.content_type = content_type or CONTENT_TYPE

            GatewayAnswer.__module__ = __name__
            _made.append(GatewayAnswer)
        return _made[0]


def __getattr__(name: str) -> Any:
    if name == "GatewayAnswer":
        return answer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _answer(status: int, body: bytes, content_type: str) -> Exception:
    made: Any = answer_class()
    return made(status, body, content_type)  # type: ignore[no-any-return]


def reply(result: Result) -> Any:
    """The gateway's expected answer (``result.reply``) as a Starlette
    ``Response``, for the endpoint to return."""
    responses: Any = importlib.import_module("starlette.responses")
    r = result.reply
    return responses.Response(r.body, status_code=r.status,
                              media_type=r.content_type or CONTENT_TYPE)


async def _answer_handler(request: Any, exc: Any) -> Any:
    responses: Any = importlib.import_module("starlette.responses")
    return responses.Response(exc.body, status_code=exc.status_code,
                              media_type=exc.content_type)


class _Claim:
    """One delivery's claim on its event, settled exactly once: by the
    middleware as the response starts, else when the dependency closes."""

    __slots__ = ("once", "settled")

    def __init__(self, once: Any) -> None:
        self.once = once
        self.settled = False

    async def settle(self, failure: BaseException | None) -> None:
        """Commit (``failure`` None) or release (the endpoint raised, or
        answered 400 or more).  A store that fails here is logged by the
        guard: the endpoint's outcome stands."""
        if self.settled:
            return
        self.settled = True
        in_thread = importlib.import_module(
            "starlette.concurrency").run_in_threadpool
        if failure is None:
            await in_thread(self.once.__exit__, None, None, None)
        else:
            await in_thread(self.once.__exit__, type(failure), failure,
                            failure.__traceback__)


class _SettleBeforeResponse:
    """ASGI middleware: settle the request's claims just before the
    response's first message goes out, so that a retry the gateway sends
    as soon as it has our answer finds the event committed."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        claims: list[_Claim] = []
        scope[_CLAIMS] = claims

        async def settled_send(message: Any) -> None:
            if message.get("type") == "http.response.start":
                status = int(message.get("status", 500))
                failure = _ErrorAnswer(status) if status >= 400 else None
                for claim in claims:
                    await claim.settle(failure)
            await send(message)

        await self.app(scope, receive, settled_send)


class _ErrorAnswer(Exception):
    """What releases a claim whose endpoint answered an error status:
    nothing was handled, so the gateway's retry is judged afresh."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the endpoint answered {status}")


def install(app: Any) -> None:
    """Prepare ``app`` for :func:`callback`, before its first request:
    ``GatewayAnswer`` is answered with its exact body and content type
    (the gateway's reply for duplicates, plain text for refusals), and the
    guard's claim is settled as the response starts (committed below 400,
    released from 400 on), not after the response is sent."""
    app.add_exception_handler(answer_class(), _answer_handler)
    app.add_middleware(_SettleBeforeResponse)


def _content_length(headers: Any) -> int | None:
    try:
        length = int(headers.get("content-length") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


def callback(gateway: str, key: Any, *, guard: ReplayGuard | None = None,
             expect: Expect = None, logger: logging.Logger | None = None,
             log_interval: float = DEFAULT_INTERVAL,
             **options: Any) -> Callable[[Any], AsyncIterator[Result]]:
    """A FastAPI dependency (``Depends(...)``) that yields the callback's
    :class:`~payhook.Result`.

    It reads ``await request.body()`` once, verifies it and
    ``request.headers`` with ``key`` (prepared once; ``options`` go to
    :class:`~payhook.Decoder`) and ``expect`` (a mapping, or a function
    of the request), and yields the Result to the endpoint.  A failure
    raises ``GatewayAnswer`` (an ``HTTPException``: :func:`answer_class`):
    401 for any
    verification failure, and with a guard 409 (another delivery is being
    handled), 422 (a different payload under a handled event id, or no
    event id) and 503 (the store is unreachable); each is logged by class
    name only, at most once a kind every ``log_interval`` seconds.

    With a ``guard`` the event is claimed before the endpoint runs; a
    duplicate of a handled callback raises ``GatewayAnswer`` with the
    gateway's reply, so the endpoint is not called.  With
    :func:`install`, the claim is settled as the response starts:
    committed when the answer's status is below 400, released when it is
    400 or more or the endpoint raised (an ``HTTPException`` included), so
    that the gateway's retry is handled again.  Without
    :func:`install` the claim is settled when FastAPI closes the
    dependency, after the response is sent (a warning says so): a retry
    that comes at once gets 409, and a returned error response commits.
    A :class:`~payhook.GuardError` the endpoint raises (its own
    ``inbox_record``) is answered as the guard's refusals are.  The
    store's calls run in the thread pool.
    """
    core = Callback(gateway, key, guard=guard, expect=expect, logger=logger,
                    log_interval=log_interval, **options)
    in_thread = importlib.import_module(
        "starlette.concurrency").run_in_threadpool
    request_class = importlib.import_module("starlette.requests").Request
    answer_class()

    def refused(exc: PayhookError) -> Exception:
        status, body = core.refuse(exc)
        return _answer(status, body, CONTENT_TYPE)

    async def dependency(request: Any) -> AsyncIterator[Result]:
        try:
            core.check_length(_content_length(request.headers))
            result = core.verify(await request.body(), request.headers,
                                 request)
        except PayhookError as exc:
            raise refused(exc) from None
        if guard is None:
            try:
                yield result
            except GuardError as exc:    # the endpoint's own inbox_record
                raise refused(exc) from None
            return
        once = guard.once(result)
        try:
            first = await in_thread(once.__enter__)
        except GuardError as exc:
            raise refused(exc) from None
        if not first:
            await in_thread(once.__exit__, None, None, None)
            core.log.log("duplicate", logging.INFO, "payhook: a %s callback "
                         "already handled came again: answered the "
                         "gateway's reply", gateway)
            r = result.reply
            raise _answer(r.status, r.body, r.content_type)
        claim = _Claim(once)
        claims = request.scope.get(_CLAIMS)
        if claims is not None:
            claims.append(claim)   # settled as the response starts
        else:
            core.log.log("not installed", logging.WARNING, "payhook: "
                         "payhook.fastapi.install(app) was not called: the "
                         "%s claim is committed only after the response is "
                         "sent, so a prompt retry is answered 409", gateway)
        try:
            yield result
        except BaseException as exc:
            await claim.settle(exc)
            if isinstance(exc, GuardError):
                raise refused(exc) from None
            raise
        # Without the middleware (or if no response started): now.
        await claim.settle(None)

    # FastAPI reads the parameter's type to hand it the request; the
    # annotation must be Starlette's class itself, not a string.
    setattr(dependency, "__signature__", inspect.Signature([
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=request_class)]))
    return dependency
