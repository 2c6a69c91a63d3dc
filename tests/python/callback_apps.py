"""Small Flask, FastAPI and Django apps around payhook's framework
helpers, for test_helpers.py and the processes it starts (python
callback_apps.py SPEC.json: one delivery through one framework's test
client, once the parent says go).

Every app receives Stripe callbacks on /callbacks/stripe; its handler
records a side effect per handled callback, and the payload's "action"
makes it fail: "raise" raises, "refuse" answers 400.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import sqlite3
import sys
import time
from typing import Any, Callable

import payhook
from payhook.guard import (RedisStore, ReplayGuard, SQLiteStore,
                           inbox_record, inbox_schema)

SECRET = "whsec_helpers_tests"
GATEWAY = "stripe"
PATH = "/callbacks/stripe"

Handle = Callable[[payhook.Result], "int | None"]


class HandlerFailed(RuntimeError):
    """What a handler raises when the payload asks it to."""


def actions(effect: Callable[[payhook.Result], None]) -> Handle:
    """A handler: the payload's action, else the side effect."""
    def handle(result: payhook.Result) -> int | None:
        action = result.payload.get("action")
        if action == "raise":
            raise HandlerFailed("the handler failed half-way")
        if action == "refuse":
            return 400
        effect(result)
        return None
    return handle


# ---------------------------------------------------------------------------
# The three frameworks


class Answer:
    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.status, self.body, self.content_type = status, body, content_type

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.body!r})"


def flask_client(handle: Handle, path: str = PATH,
                 **helper: Any) -> Callable[..., Answer]:
    from flask import Flask

    import payhook.flask

    app = Flask("payhook_helpers_test")

    @app.post(path)
    @payhook.flask.callback(GATEWAY, SECRET, **helper)
    def stripe_callback(result: payhook.Result) -> Any:
        status = handle(result)
        return None if status is None else ("refused by the view", status)

    client = app.test_client()

    def send(body: bytes | None, headers: dict[str, str] | None = None
             ) -> Answer:
        if body is None:
            r = client.get(path)
        else:
            r = client.post(path, data=body, headers=headers or {},
                            content_type="application/json")
        return Answer(r.status_code, r.get_data(), r.content_type)
    return send


def fastapi_client(handle: Handle, path: str = PATH,
                   **helper: Any) -> Callable[..., Answer]:
    import warnings

    from fastapi import Depends, FastAPI, HTTPException

    import payhook.fastapi

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient

    app = FastAPI()
    verified = payhook.fastapi.callback(GATEWAY, SECRET, **helper)

    @app.post(path)
    def stripe_callback(result: payhook.Result = Depends(verified)) -> Any:
        status = handle(result)
        if status is not None:
            raise HTTPException(status, "refused by the view")
        return payhook.fastapi.reply(result)

    payhook.fastapi.install(app)
    client = TestClient(app, raise_server_exceptions=False)

    def send(body: bytes | None, headers: dict[str, str] | None = None
             ) -> Answer:
        if body is None:
            r = client.get(path)
        else:
            r = client.post(path, content=body,
                            headers={"content-type": "application/json",
                                     **(headers or {})})
        return Answer(r.status_code, r.content,
                      r.headers.get("content-type", ""))
    return send


def django_client(handle: Handle, path: str = PATH,
                  **helper: Any) -> Callable[..., Answer]:
    """Django's test client over a URLconf made here; configures Django's
    settings (once), so only in a process of its own."""
    import types

    import django
    from django.conf import settings

    urls = sys.modules.get("payhook_helpers_urls")
    if urls is None:
        urls = types.ModuleType("payhook_helpers_urls")
        urls.urlpatterns = []  # type: ignore[attr-defined]
        sys.modules[urls.__name__] = urls
        settings.configure(
            DEBUG=False, SECRET_KEY="payhook-tests-only",
            ALLOWED_HOSTS=["testserver"], ROOT_URLCONF=urls.__name__,
            MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
            INSTALLED_APPS=[], DATABASES={}, LOGGING_CONFIG=None)
        django.setup()
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import clear_url_caches
    from django.urls import path as route

    import payhook.django

    @payhook.django.callback(GATEWAY, SECRET, **helper)
    def stripe_callback(request: Any, result: payhook.Result) -> Any:
        status = handle(result)
        return None if status is None else HttpResponse(
            b"refused by the view", status=status)

    urls.urlpatterns.append(route(path.lstrip("/"), stripe_callback))
    clear_url_caches()
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)

    def send(body: bytes | None, headers: dict[str, str] | None = None
             ) -> Answer:
        if body is None:
            r = client.get(path)
        else:
            r = client.post(path, data=body, content_type="application/json",
                            headers=headers or {})
        return Answer(r.status_code, r.content, r.get("Content-Type", ""))
    return send


CLIENTS = {"flask": flask_client, "fastapi": fastapi_client,
           "django": django_client}


# ---------------------------------------------------------------------------
# Side effects that other processes can count


def file_effect(path: str, hold: float = 0.0
                ) -> Callable[[payhook.Result], None]:
    """Append the event id to a file, after holding the claim a while."""
    def effect(result: payhook.Result) -> None:
        time.sleep(hold)
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{result.event_id}\n")
    return effect


def count_lines(path: str) -> int:
    try:
        with open(path, encoding="utf-8") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def sqlite_inbox_effect(path: str, hold: float = 0.0
                        ) -> Callable[[payhook.Result], None]:
    """The inbox row and a payout row in one SQLite transaction."""
    def effect(result: payhook.Result) -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            conn.execute("BEGIN IMMEDIATE")
            if inbox_record(conn, result):
                conn.execute("INSERT INTO payouts (event_id) VALUES (?)",
                             (result.event_id,))
                time.sleep(hold)
            conn.execute("COMMIT")
        finally:
            conn.close()
    return effect


def sqlite_inbox_setup(path: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(inbox_schema("sqlite"))
        conn.execute("CREATE TABLE IF NOT EXISTS payouts (event_id TEXT)")


def postgres_inbox_effect(dsn: str, hold: float = 0.0
                          ) -> Callable[[payhook.Result], None]:
    """The inbox row and a payout row in one PostgreSQL transaction."""
    def effect(result: payhook.Result) -> None:
        import psycopg

        with psycopg.connect(dsn) as conn:   # commits at the end
            if inbox_record(conn, result):
                conn.execute("INSERT INTO payouts (event_id) VALUES (%s)",
                             (result.event_id,))
                time.sleep(hold)
    return effect


def postgres_inbox_setup(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn) as conn:
        conn.execute(inbox_schema("postgresql"))
        conn.execute("CREATE TABLE IF NOT EXISTS payouts (event_id text)")
        conn.execute("DELETE FROM payhook_inbox")
        conn.execute("DELETE FROM payouts")


def count_rows(kind: str, target: str) -> int:
    if kind == "sqlite-inbox":
        with sqlite3.connect(target) as conn:
            return int(conn.execute("SELECT count(*) FROM payouts")
                       .fetchone()[0])
    import psycopg

    with psycopg.connect(target) as conn:
        row = conn.execute("SELECT count(*) FROM payouts").fetchone()
        assert row is not None
        return int(row[0])


def from_spec(spec: dict[str, Any]) -> Callable[..., Answer]:
    """The client a SPEC describes: framework, store (sqlite, redis,
    sqlite-inbox, postgres-inbox), target (file, URL or DSN), effects (a
    file, for the stores), hold, lease, crash, log (a file)."""
    store, target = spec["store"], spec["target"]
    guard = None
    if store == "sqlite":
        guard = ReplayGuard(SQLiteStore(target), lease=spec.get("lease", 60))
    elif store == "redis":
        guard = ReplayGuard(RedisStore(target, prefix=spec["prefix"]),
                            lease=spec.get("lease", 60))
    hold = spec.get("hold", 0.0)
    if store == "sqlite-inbox":
        effect = sqlite_inbox_effect(target, hold)
    elif store == "postgres-inbox":
        effect = postgres_inbox_effect(target, hold)
    else:
        effect = file_effect(spec["effects"], hold)
    if spec.get("crash"):
        def crash(result: payhook.Result) -> None:
            os._exit(17)     # a process that dies after the claim
        effect = crash
    logger = file_logger(spec["log"]) if spec.get("log") else None
    return CLIENTS[spec["framework"]](actions(effect), guard=guard,
                                      logger=logger)


# ---------------------------------------------------------------------------
# What test_helpers.py checks in every framework, run here so that Django
# can run it in a process of its own


def file_logger(path: str) -> logging.Logger:
    logger = logging.getLogger(f"payhook.test.{path}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        logger.addHandler(logging.FileHandler(path))
    return logger


def signed(payload: dict[str, Any], secret: str = SECRET
           ) -> tuple[bytes, dict[str, str]]:
    return payhook.stripe.sign(payload, secret)


def scenarios(framework: str, root: str) -> dict[str, Any]:
    """Good, replayed, forged, conflicting, busy, failing and refused
    deliveries, a store that went away, GET, expect= and no guard:
    each answer as [status, body, content type], and what the handler
    did."""
    from payhook.guard import event_key, payload_digest

    make = CLIENTS[framework]
    handled: list[str] = []
    store = SQLiteStore(os.path.join(root, "guard.sqlite3"))
    guard = ReplayGuard(store)
    log = os.path.join(root, "refusals.log")
    send = make(actions(lambda r: handled.append(str(r.event_id))),
                guard=guard, logger=file_logger(log))
    out: dict[str, Any] = {}

    def note(name: str, answer: Answer) -> None:
        out[name] = [answer.status, answer.body.decode("utf-8", "replace"),
                     answer.content_type]

    good = {"id": "evt_good", "type": "payment_intent.succeeded",
            "data": {"object": {"amount": 12410}}}
    note("good", send(*signed(good)))
    note("replayed", send(*signed(good)))
    note("replayed again", send(*signed(good)))
    out["handled after replays"] = list(handled)
    body, headers = signed(good, "whsec_attacker")
    note("forged", send(body, headers))
    body, headers = signed(good)
    note("tampered", send(body.replace(b"12410", b"99999"), headers))
    note("unsigned", send(body, {}))
    note("conflict", send(*signed(dict(good, type="charge.refunded"))))

    busy = {"id": "evt_busy", "type": "x"}
    result = payhook.stripe.verify(*signed(busy)[:1], SECRET,
                                   headers=signed(busy)[1])
    store.claim(event_key(result), payload_digest(result), 60, 60)
    note("busy", send(*signed(busy)))

    def claim_state(payload: dict[str, Any]) -> str:
        body, headers = signed(payload)
        r = payhook.stripe.verify(body, SECRET, headers=headers)
        state = store.claim(event_key(r), payload_digest(r), 60, 60)
        if state == "claimed":
            store.release(event_key(r), payload_digest(r))
        return state

    failing = {"id": "evt_raise", "type": "x", "action": "raise"}
    note("handler raised", send(*signed(failing)))
    out["claim after raise"] = claim_state(failing)
    refusing = {"id": "evt_refuse", "type": "x", "action": "refuse"}
    note("view refused", send(*signed(refusing)))
    note("view refused again", send(*signed(refusing)))
    out["claim after refusal"] = claim_state(refusing)
    note("no event id", send(*signed({"type": "x"})))
    note("GET", send(None))

    gone = os.path.join(root, "gone")
    os.mkdir(gone)
    down = make(actions(lambda r: handled.append("down")), path="/down",
                guard=ReplayGuard(SQLiteStore(os.path.join(gone, "g.db"))),
                logger=file_logger(log))
    os.remove(os.path.join(gone, "g.db"))
    os.rmdir(gone)
    note("store down", down(*signed({"id": "evt_down", "type": "x"})))
    unguarded = make(actions(lambda r: handled.append("unguarded")),
                     path="/unguarded", logger=file_logger(log),
                     expect={"data.object.amount": 12410})
    note("unguarded", unguarded(*signed(good)))
    note("unguarded again", unguarded(*signed(good)))
    note("expect mismatch", unguarded(*signed(
        dict(good, data={"object": {"amount": 1}}))))
    out["handled"] = handled
    with open(log, encoding="utf-8") as f:
        out["log"] = f.read()
    return out


def flood(framework: str, root: str, count: int) -> dict[str, Any]:
    """``count`` forged deliveries of three kinds: how they were answered,
    and what the helper's log got."""
    log = os.path.join(root, "flood.log")
    guard = ReplayGuard(SQLiteStore(os.path.join(root, "flood.sqlite3")))
    send = CLIENTS[framework](actions(lambda r: None), path="/flood",
                              guard=guard, logger=file_logger(log))
    good_body, good_headers = signed({"id": "evt_flood", "type": "x"})
    forged_body, forged_headers = signed({"id": "evt_flood", "type": "x"},
                                         "whsec_attacker")
    kinds = [(forged_body, forged_headers), (good_body, {}),
             (b"\xff not json", good_headers)]
    statuses: dict[str, int] = {}
    started = time.monotonic()
    for i in range(count):
        answer = send(*kinds[i % 3])
        statuses[str(answer.status)] = statuses.get(str(answer.status), 0) + 1
    seconds = time.monotonic() - started
    with open(log, "rb") as f:
        text = f.read()
    return {"statuses": statuses, "log": text.decode("utf-8", "replace"),
            "log_bytes": len(text), "seconds": seconds}


def delivery(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    send = from_spec(spec)
    body = base64.b64decode(spec["body"])
    print("ready", flush=True)
    sys.stdin.readline()        # every process waits for the same moment
    answer = send(body, spec["headers"])
    print(json.dumps({"status": answer.status,
                      "body": answer.body.decode("utf-8", "replace")}),
          flush=True)


def main() -> None:
    if sys.argv[1] == "scenarios":
        print(json.dumps(scenarios(sys.argv[2], sys.argv[3])))
    elif sys.argv[1] == "flood":
        print(json.dumps(flood(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
    else:
        delivery(sys.argv[1])


if __name__ == "__main__":
    main()
