"""payhook for Flask: a view decorator that verifies the callback.

    @app.post("/callbacks/stripe")
    @payhook.flask.callback("stripe", STRIPE_WHSEC, guard=guard)
    def stripe_callback(result):
        fulfil(result.payload)          # None: answer result.reply

Flask is imported when :func:`callback` is first called, never by
``import payhook``.
"""

from __future__ import annotations

import functools
import importlib
import logging
from typing import Any, Callable

from ._gateway import Reply, Result
from ._helpers import CONTENT_TYPE, DUPLICATE, Callback, Expect
from ._ratelog import DEFAULT_INTERVAL
from .errors import GuardError, PayhookError
from .guard import ReplayGuard

__all__ = ["callback"]

View = Callable[..., Any]


def _response(flask: Any, status: int, body: bytes, content_type: str
              ) -> Any:
    return flask.Response(body, status=status,
                          content_type=content_type or CONTENT_TYPE)


def _reply(flask: Any, reply: Reply) -> Any:
    return _response(flask, reply.status, reply.body, reply.content_type)


def callback(gateway: str, key: Any, *, guard: ReplayGuard | None = None,
             expect: Expect = None, logger: logging.Logger | None = None,
             log_interval: float = DEFAULT_INTERVAL,
             **options: Any) -> Callable[[View], View]:
    """A decorator for a Flask view that receives ``gateway``'s callbacks.

    The view is called as ``view(result, **url_values)`` with the
    :class:`~payhook.Result` of the raw body (``request.get_data()``) and
    ``request.headers``, verified with ``key`` (prepared once; a list of
    keys during a rotation; ``options`` go to :class:`~payhook.Decoder`:
    ``tolerance``, ``leeway``, ``max_bytes``, ``parse_float``).
    ``expect`` is a mapping for ``payhook.verify``'s ``expect=``, or a
    function of the request that returns one.

    When the view returns ``None`` the answer is ``result.reply`` (the
    status, body and content type the gateway expects); anything else it
    returns is the answer.  With a ``guard`` the view runs inside
    ``guard.once(result)``: a duplicate of a handled callback is answered
    with the reply without calling the view; a view that raises, or
    answers a status of 400 or more, releases the claim so that the
    gateway's retry is handled again.

    Refusals, with fixed short bodies: 401 for any verification failure
    (:class:`~payhook.PayhookError`), 409 when another delivery of the
    callback is being handled, 422 for a different payload under a handled
    event id or a callback without one, 503 when the guard's store is
    unreachable.  Each is logged through ``logger`` (default: the
    ``payhook`` logger) by its class name only, never the key, the body
    or the token, and at most once per kind every ``log_interval`` seconds
    (then one line with the count of the rest).
    """
    core = Callback(gateway, key, guard=guard, expect=expect, logger=logger,
                    log_interval=log_interval, **options)
    flask: Any = importlib.import_module("flask")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = flask.request
            try:
                core.check_length(request.content_length)
                result: Result = core.verify(request.get_data(),
                                             request.headers, request)
            except PayhookError as exc:
                return _response(flask, *core.refuse(exc), CONTENT_TYPE)

            def call() -> Any:
                answer = view(result, *args, **kwargs)
                return None if answer is None else flask.make_response(
                    answer)

            try:
                answer = core.run(result, call, lambda r: r is not None and
                                  r.status_code >= 400)
            except GuardError as exc:
                return _response(flask, *core.refuse(exc), CONTENT_TYPE)
            if answer is None or answer is DUPLICATE:
                return _reply(flask, result.reply)
            return answer

        return wrapper

    return decorate
