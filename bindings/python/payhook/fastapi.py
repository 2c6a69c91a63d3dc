"""payhook for FastAPI: a dependency that yields the verified callback.

    stripe_callback = payhook.fastapi.callback("stripe", WHSEC, guard=guard)

    @app.post("/callbacks/stripe")
    def stripe(result: payhook.Result = Depends(stripe_callback)):
        fulfil(result.payload)
        return payhook.fastapi.reply(result)

    payhook.fastapi.install(app)     # refusals and duplicates as plain text

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


def install(app: Any) -> None:
    """Answer ``GatewayAnswer`` with its exact body and content type (the
    gateway's reply for duplicates, plain text for refusals)."""
    app.add_exception_handler(answer_class(), _answer_handler)


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
    gateway's reply, so the endpoint is not called.  The claim is
    committed when the endpoint returns and released when it raises
    (an ``HTTPException`` included), so that the gateway's retry is
    handled again: refuse by raising, since a returned error response
    commits.  A :class:`~payhook.GuardError` the endpoint raises (its own
    ``inbox_record``) is answered as the guard's refusals are.  With plain ``Depends`` the commit runs after the response
    is sent; ``Depends(..., scope="function")`` (in the FastAPI versions
    that have ``scope``) commits before it.  The store's calls run in the
    thread pool.
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
        try:
            yield result
        except BaseException as exc:
            await in_thread(once.__exit__, type(exc), exc, exc.__traceback__)
            if isinstance(exc, GuardError):
                raise refused(exc) from None
            raise
        await in_thread(once.__exit__, None, None, None)

    # FastAPI reads the parameter's type to hand it the request; the
    # annotation must be Starlette's class itself, not a string.
    setattr(dependency, "__signature__", inspect.Signature([
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          annotation=request_class)]))
    return dependency
