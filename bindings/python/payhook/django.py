"""payhook for Django: a view decorator that verifies the callback.

    @payhook.django.callback("stripe", STRIPE_WHSEC, guard=guard)
    def stripe_callback(request, result):
        fulfil(result.payload)          # None: answer result.reply

Django is imported when :func:`callback` is first called, never by
``import payhook``.
"""

from __future__ import annotations

import functools
import importlib
import logging
from typing import Any, Callable

from ._gateway import Result
from ._helpers import CONTENT_TYPE, DUPLICATE, Callback, Expect
from ._ratelog import DEFAULT_INTERVAL
from .errors import GuardError, PayhookError
from .guard import ReplayGuard

__all__ = ["callback"]

View = Callable[..., Any]


def _content_length(request: Any) -> int | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if length >= 0 else None


def callback(gateway: str, key: Any, *, guard: ReplayGuard | None = None,
             expect: Expect = None, logger: logging.Logger | None = None,
             log_interval: float = DEFAULT_INTERVAL,
             **options: Any) -> Callable[[View], View]:
    """A decorator for a Django view that receives ``gateway``'s callbacks.

    The view is called as ``view(request, result, *args, **kwargs)`` with
    the :class:`~payhook.Result` of ``request.body`` and
    ``request.headers``, verified with ``key`` (prepared once; ``options``
    go to :class:`~payhook.Decoder`).  The view is CSRF-exempt (a gateway
    has no CSRF token) and takes POST only: any other method is answered
    405.  Everything else is as in :func:`payhook.flask.callback`: ``None``
    from the view answers ``result.reply``; with a ``guard`` the view runs
    once per event, a duplicate is answered with the reply, and a view
    that raises or answers 400 or more releases the claim; refusals are
    401, 409, 422 and 503 with fixed bodies, logged by class name at most
    once per kind every ``log_interval`` seconds (and not again, one line
    a request, on Django's ``django.request`` logger).
    """
    core = Callback(gateway, key, guard=guard, expect=expect, logger=logger,
                    log_interval=log_interval, **options)
    http: Any = importlib.import_module("django.http")
    csrf: Any = importlib.import_module("django.views.decorators.csrf")

    def refused(exc: PayhookError) -> Any:
        status, body = core.refuse(exc)
        response = http.HttpResponse(body, status=status,
                                     content_type=CONTENT_TYPE)
        # Django logs every 4xx and 5xx response on its django.request
        # logger, one line each: a flood of forgeries would be a flood of
        # lines.  The refusal is logged (rate-limited) above; this marks
        # it as logged, as Django's own log_response does.
        response._has_been_logged = True
        return response

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            if request.method != "POST":
                return http.HttpResponseNotAllowed(["POST"])
            try:
                core.check_length(_content_length(request))
                result: Result = core.verify(request.body, request.headers,
                                             request)
            except PayhookError as exc:
                return refused(exc)
            try:
                answer = core.run(
                    result, lambda: view(request, result, *args, **kwargs),
                    lambda r: r is not None and r.status_code >= 400)
            except GuardError as exc:
                return refused(exc)
            if answer is None or answer is DUPLICATE:
                reply = result.reply
                return http.HttpResponse(
                    reply.body, status=reply.status,
                    content_type=reply.content_type or CONTENT_TYPE)
            return answer

        return csrf.csrf_exempt(wrapper)  # type: ignore[no-any-return]

    return decorate
