"""payhook.flask, payhook.django and payhook.fastapi through each
framework's own test client (Django's in a process of its own): good,
forged, replayed and conflicting callbacks, a busy claim, a handler that
fails, a store that went away, a flood of forgeries against the log, and
8 processes delivering one callback at once against every store."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import payhook
from conftest import HERE, require_module

for _framework in ("flask", "django", "fastapi", "httpx"):
    require_module(_framework)

import callback_apps  # noqa: E402  (tests/python, after the skips)
import payhook.django  # noqa: E402
import payhook.fastapi  # noqa: E402
import payhook.flask  # noqa: E402
from callback_apps import SECRET  # noqa: E402
from payhook._ratelog import RateLimitedLog  # noqa: E402

APPS = str(HERE / "callback_apps.py")
FRAMEWORKS = ["flask", "fastapi", "django"]


def in_process(framework: str) -> bool:
    # Django's settings are per process (and test_frameworks.py configures
    # its own): Django runs in a child.
    return framework != "django"


def run_apps(*args: str, timeout: float = 120) -> dict:
    proc = subprocess.run([sys.executable, "-W", "ignore", APPS, *args],
                          cwd=HERE, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    got["stderr"] = proc.stderr
    return got


def run_scenarios(framework: str, root: Path) -> dict:
    if in_process(framework):
        return callback_apps.scenarios(framework, str(root))
    return run_apps("scenarios", framework, str(root))


# ---------------------------------------------------------------------------
# Every helper, the same answers


@pytest.fixture(scope="module", params=FRAMEWORKS)
def scenario(request, tmp_path_factory):
    framework = request.param
    return framework, run_scenarios(framework,
                                    tmp_path_factory.mktemp(framework))


def test_good_callback_gets_the_gateways_reply(scenario):
    _, got = scenario
    status, body, content_type = got["good"]
    assert (status, body) == (200, "")
    assert content_type.startswith("text/plain")


def test_replayed_callback_runs_the_handler_once(scenario):
    _, got = scenario
    assert got["replayed"][:2] == got["replayed again"][:2] == [200, ""]
    assert got["handled after replays"] == ["evt_good"]


@pytest.mark.parametrize("case", ["forged", "tampered", "unsigned",
                                  "expect mismatch"])
def test_refused_callbacks_get_401_and_a_fixed_body(scenario, case):
    _, got = scenario
    assert got[case] == [401, "refused\n", "text/plain; charset=utf-8"]


def test_guard_refusals(scenario):
    _, got = scenario
    assert got["conflict"][:2] == [422,
                                   "conflicting payload for this event id\n"]
    assert got["busy"][:2] == [409, "in progress, retry later\n"]
    assert got["no event id"][:2] == [422, "no event id\n"]
    assert got["store down"][:2] == [503, "unavailable, retry later\n"]


def test_a_failed_handler_releases_the_claim(scenario):
    _, got = scenario
    assert got["handler raised"][0] == 500
    assert got["claim after raise"] == "claimed"
    # A view that answers an error handled nothing: the same delivery gets
    # the same answer again, not the gateway's reply.
    assert got["view refused"][:2] == got["view refused again"][:2]
    assert got["view refused"][0] == 400
    assert got["claim after refusal"] == "claimed"


def test_only_post(scenario):
    _, got = scenario
    assert got["GET"][0] == 405


def test_without_a_guard_the_view_runs_every_time(scenario):
    _, got = scenario
    assert got["unguarded"][:2] == got["unguarded again"][:2] == [200, ""]
    assert got["handled"] == ["evt_good", "unguarded", "unguarded"]


def test_the_log_names_classes_and_nothing_of_the_callback(scenario):
    _, got = scenario
    log = got["log"]
    for name in ("InvalidSignatureError", "MissingSignatureError",
                 "ReplayConflictError", "ReplayInProgressError",
                 "MissingEventIdError", "GuardUnavailableError",
                 "FieldMismatchError"):
        assert log.count(f": {name} (answered") == 1, (name, log)
    for secret in (SECRET, "whsec_attacker", "evt_good", "12410", "99999",
                   "t=", "v1="):
        assert secret not in log, secret
    lines = log.splitlines()
    assert all(len(line) < 120 for line in lines), lines


# ---------------------------------------------------------------------------
# The gateway's own reply, and other settings


@pytest.mark.parametrize("framework", ["flask", "fastapi"])
def test_reply_body_is_the_gateways(framework, tmp_path):
    # senangPay expects the text OK; a duplicate gets it too.
    from payhook import guard

    fields = {"status_id": "1", "order_id": "ORD-1", "transaction_id": "T-9",
              "msg": "Payment_was_successful", "amount": "124.10"}
    body, _ = payhook.senangpay.sign(fields, "senang-secret")
    handled = []

    def handle(result):
        handled.append(result.event_id)

    g = guard.ReplayGuard(guard.SQLiteStore(tmp_path / "g.sqlite3"))
    if framework == "flask":
        from flask import Flask


        app = Flask("senangpay")

        @app.post("/cb")
        @payhook.flask.callback("senangpay", "senang-secret", guard=g)
        def view(result):
            handle(result)

        client = app.test_client()
        answers = [client.post("/cb", data=body,
                               content_type="application/"
                               "x-www-form-urlencoded") for _ in range(2)]
        got = [(r.status_code, r.get_data()) for r in answers]
    else:
        from fastapi import Depends, FastAPI
        from fastapi.testclient import TestClient


        app = FastAPI()
        dep = payhook.fastapi.callback("senangpay", "senang-secret", guard=g)

        @app.post("/cb")
        def endpoint(result: payhook.Result = Depends(dep)):
            handle(result)
            return payhook.fastapi.reply(result)

        payhook.fastapi.install(app)
        client = TestClient(app)
        answers = [client.post("/cb", content=body, headers={
            "content-type": "application/x-www-form-urlencoded"})
            for _ in range(2)]
        got = [(r.status_code, r.content) for r in answers]
    assert got == [(200, b"OK"), (200, b"OK")]
    assert handled == ["T-9:1"]


@pytest.mark.parametrize("framework", ["flask", "fastapi"])
def test_the_inbox_in_a_view(framework, tmp_path):
    """No guard=: the view records the callback in its own transaction;
    a conflicting payload it finds there is answered 422."""
    path = str(tmp_path / "shop.sqlite3")
    callback_apps.sqlite_inbox_setup(path)
    send = callback_apps.CLIENTS[framework](
        callback_apps.actions(callback_apps.sqlite_inbox_effect(path)))
    payload = {"id": "evt_inbox", "type": "x"}
    got = [send(*callback_apps.signed(payload)).status for _ in range(3)]
    got.append(send(*callback_apps.signed(dict(payload, type="y"))).status)
    assert got == [200, 200, 200, 422]
    assert callback_apps.count_rows("sqlite-inbox", path) == 1


def test_fastapi_without_install_still_answers_the_status(tmp_path):
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient


    app = FastAPI()
    dep = payhook.fastapi.callback("stripe", SECRET)

    @app.post("/cb")
    def endpoint(result: payhook.Result = Depends(dep)):
        return payhook.fastapi.reply(result)

    r = TestClient(app).post("/cb", content=b"{}",
                             headers={"stripe-signature": "t=1,v1=00"})
    assert r.status_code == 401 and r.json() == {"detail": "refused"}
    assert issubclass(payhook.fastapi.GatewayAnswer,
                      __import__("fastapi").HTTPException)


def _fastapi_watched(tmp_path, endpoint_status: int | None):
    """A FastAPI app under payhook.fastapi.install, wrapped so that the
    moment its response starts the guard's verdict on a second delivery
    of the same callback is read: what a gateway retrying at once gets."""
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response

    from payhook.errors import ReplayInProgressError
    from payhook.guard import ReplayGuard, SQLiteStore

    guard = ReplayGuard(SQLiteStore(str(tmp_path / "guard.sqlite3")))
    body, headers = callback_apps.signed({"id": "evt_prompt", "type": "x"})
    result = payhook.verify("stripe", body, SECRET, headers=headers)
    app = FastAPI()
    dep = payhook.fastapi.callback("stripe", SECRET, guard=guard)
    runs = []

    @app.post("/cb")
    def endpoint(r: payhook.Result = Depends(dep)):
        runs.append(r.event_id)
        if endpoint_status is not None:
            return Response(b"no\n", status_code=endpoint_status)
        return payhook.fastapi.reply(r)

    payhook.fastapi.install(app)
    seen = []

    def verdict() -> str:
        try:
            with guard.once(result) as first:
                if first:
                    raise RuntimeError("claimable: the claim was released")
                return "committed"
        except ReplayInProgressError:
            return "in progress"
        except RuntimeError:
            return "released"

    async def watched(scope, receive, send):
        async def send_watched(message):
            if message["type"] == "http.response.start":
                seen.append(await run_in_threadpool(verdict))
            await send(message)
        await app(scope, receive, send_watched)

    client = TestClient(watched)
    return client, body, headers, seen, runs


def test_fastapi_commits_before_the_response_starts(tmp_path):
    """FastAPI closes a yield dependency after the response is sent: the
    claim must be committed before, or a gateway that retries as soon as
    it has the answer is told 409 for a callback already handled."""
    client, body, headers, seen, runs = _fastapi_watched(tmp_path, None)
    first = client.post("/cb", content=body, headers=headers)
    again = client.post("/cb", content=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert seen[0] == "committed"
    assert len(runs) == 1


def test_fastapi_a_returned_error_status_releases_the_claim(tmp_path):
    """As in the Flask and Django helpers, an answer of 400 or more
    releases the claim, returned or raised, so the retry is handled."""
    client, body, headers, seen, runs = _fastapi_watched(tmp_path, 500)
    got = [client.post("/cb", content=body, headers=headers).status_code
           for _ in range(2)]
    assert got == [500, 500]
    assert seen == ["released", "released"]
    assert len(runs) == 2


def test_fastapi_without_install_warns_that_the_commit_is_late(
        tmp_path, caplog):
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient

    from payhook.guard import ReplayGuard, SQLiteStore

    guard = ReplayGuard(SQLiteStore(str(tmp_path / "guard.sqlite3")))
    app = FastAPI()
    dep = payhook.fastapi.callback("stripe", SECRET, guard=guard)

    @app.post("/cb")
    def endpoint(result: payhook.Result = Depends(dep)):
        return payhook.fastapi.reply(result)

    body, headers = callback_apps.signed({"id": "evt_late", "type": "x"})
    with caplog.at_level(logging.WARNING, logger="payhook"):
        assert TestClient(app).post("/cb", content=body,
                                    headers=headers).status_code == 200
    assert "install(app) was not called" in caplog.text
    # The claim was still committed, after the response.
    assert TestClient(app).post("/cb", content=body,
                                headers=headers).status_code == 200


def test_flask_oversized_body_is_refused_before_it_is_read(tmp_path):
    from flask import Flask


    app = Flask("big")
    calls = []

    @app.post("/cb")
    @payhook.flask.callback("stripe", SECRET, max_bytes=100)
    def view(result):
        calls.append(result)

    body, headers = payhook.stripe.sign({"id": "evt_big", "pad": "x" * 200},
                                        SECRET)
    r = app.test_client().post("/cb", data=body, headers=headers)
    assert r.status_code == 401 and calls == []


def test_flask_expect_from_the_request_and_fail_open(tmp_path):
    from flask import Flask

    from payhook.guard import ReplayGuard, SQLiteStore

    root = tmp_path / "store"
    root.mkdir()
    store = SQLiteStore(root / "g.sqlite3")
    (root / "g.sqlite3").unlink()
    guard = ReplayGuard(store, fail_open=True,
                        logger=logging.getLogger("payhook.test.open"))
    app = Flask("open")
    calls = []

    @app.post("/orders/<order>/paid")
    @payhook.flask.callback(
        "stripe", SECRET, guard=guard,
        expect=lambda request: {"data.object.order":
                                request.view_args["order"]})
    def view(result, order):
        calls.append(order)
        return {"order": order}

    client = app.test_client()
    body, headers = payhook.stripe.sign(
        {"id": "evt_o", "data": {"object": {"order": "A-1"}}}, SECRET)
    r = client.post("/orders/A-1/paid", data=body, headers=headers)
    assert (r.status_code, r.get_json()) == (200, {"order": "A-1"})
    assert client.post("/orders/B-2/paid", data=body,
                       headers=headers).status_code == 401
    assert calls == ["A-1"]


def test_helpers_check_their_arguments():
    import payhook.fastapi

    for module in (payhook.flask, payhook.django, payhook.fastapi):
        with pytest.raises(TypeError):
            module.callback("stripe", SECRET, guard=object())
        with pytest.raises(TypeError):
            module.callback("stripe", SECRET, expect=42)
        with pytest.raises(ValueError):
            module.callback("no-such-gateway", SECRET)
        with pytest.raises(payhook.InvalidKeyError):
            module.callback("stripe", "")


def test_import_payhook_imports_no_framework():
    code = ("import sys, payhook, payhook.guard\n"
            "bad = [m for m in ('flask', 'django', 'fastapi', 'starlette', "
            "'redis', 'psycopg') if m in sys.modules]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# Rate-limited refusals


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_rate_limited_log_counts_the_rest(caplog):
    clock = FakeClock()
    log = RateLimitedLog(logging.getLogger("payhook.test.rate"), 60,
                         clock=clock)
    with caplog.at_level(logging.INFO, logger="payhook.test.rate"):
        for _ in range(100):
            log.log("InvalidSignatureError", logging.WARNING, "full %s", "A")
        log.log("DecodeError", logging.WARNING, "full %s", "B")
        clock.now += 59
        log.log("InvalidSignatureError", logging.WARNING, "full %s", "A")
        clock.now += 1
        log.log("InvalidSignatureError", logging.WARNING, "full %s", "A")
        log.log("DecodeError", logging.WARNING, "full %s", "B")
        log.log("DecodeError", logging.WARNING, "full %s", "B")
        log.flush()
        log.flush()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "full A", "full B",
        "payhook: 100 more InvalidSignatureError not logged one by one "
        "(at most one a kind every 60 s)",
        "full A", "full B",
        "payhook: 1 more DecodeError not logged one by one "
        "(at most one a kind every 60 s)",
    ]
    with pytest.raises(ValueError):
        RateLimitedLog(None, -1)
    with pytest.raises(TypeError):
        RateLimitedLog(None, "60")


def test_rate_limited_log_is_thread_safe(caplog):
    log = RateLimitedLog(logging.getLogger("payhook.test.threads"), 3600)
    with caplog.at_level(logging.INFO, logger="payhook.test.threads"):
        threads = [threading.Thread(target=lambda: [
            log.log("X", logging.WARNING, "full") for _ in range(2000)])
            for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log.flush()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "full" and len(lines) == 2, lines
    assert lines[1].startswith("payhook: 15999 more X "), lines


@pytest.mark.slow
@pytest.mark.parametrize("framework,count", [("flask", 5000),
                                             ("django", 5000),
                                             ("fastapi", 300)])
def test_a_flood_of_forgeries_keeps_the_log_small(framework, count,
                                                  tmp_path):
    """Every forgery is answered 401, and the log gets one line per kind
    (FastAPI's test client is slower per request: fewer of them)."""
    if in_process(framework):
        got = callback_apps.flood(framework, str(tmp_path), count)
    else:
        got = run_apps("flood", framework, str(tmp_path), str(count))
    assert got["statuses"] == {"401": count}
    assert got["log_bytes"] < 400, got["log"]
    assert got["log"].count("\n") == 2, got["log"]
    # Nor does the framework log each refusal (Django's django.request
    # logger would, one line a 4xx, to stderr here).
    assert len(got.get("stderr", "")) < 400, got["stderr"][-2000:]


# ---------------------------------------------------------------------------
# 8 processes deliver one callback at once


def deliver_at_once(spec: dict, tmp_path: Path, processes: int = 8
                    ) -> list[dict]:
    """Start ``processes`` children with the same delivery, let each get
    ready (imports, app, client), then say go to all of them."""
    spec_path = tmp_path / f"spec-{time.monotonic_ns()}.json"
    spec_path.write_text(json.dumps(spec))
    procs = [subprocess.Popen([sys.executable, "-W", "ignore", APPS,
                               str(spec_path)], cwd=HERE,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(processes)]
    try:
        for p in procs:
            line = p.stdout.readline()
            assert line.strip() == "ready", p.stderr.read()[-3000:]
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        answers = []
        for p in procs:
            out, err = p.communicate(timeout=60)
            answers.append({"code": p.returncode, "err": err,
                            **(json.loads(out.strip().splitlines()[-1])
                               if out.strip() else {})})
        return answers
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def delivery_spec(framework: str, store: str, target: str, tmp_path: Path,
                  event: str, **extra) -> dict:
    body, headers = callback_apps.signed({"id": event, "type": "x",
                                          "data": {"amount": 12410}})
    return {"framework": framework, "store": store, "target": target,
            "prefix": f"test:{event}:", "effects": str(tmp_path / "effects"),
            "body": base64.b64encode(body).decode(), "headers": headers,
            **extra}


def store_target(store: str, request, tmp_path: Path) -> str:
    if store == "sqlite":
        return str(tmp_path / "guard.sqlite3")
    if store == "redis":
        return request.getfixturevalue("redis_url")
    if store == "sqlite-inbox":
        path = str(tmp_path / "shop.sqlite3")
        callback_apps.sqlite_inbox_setup(path)
        return path
    dsn = request.getfixturevalue("postgres_dsn")
    callback_apps.postgres_inbox_setup(dsn)
    return dsn


def side_effects(store: str, target: str, tmp_path: Path) -> int:
    if store in ("sqlite", "redis"):
        return callback_apps.count_lines(str(tmp_path / "effects"))
    return callback_apps.count_rows(store, target)


# Every store, every framework.
CONCURRENT = [("flask", "sqlite"), ("django", "sqlite"),
              ("fastapi", "redis"), ("flask", "redis"),
              ("flask", "sqlite-inbox"), ("django", "postgres-inbox")]


@pytest.mark.slow
@pytest.mark.parametrize("framework,store", CONCURRENT,
                         ids=[f"{f}-{s}" for f, s in CONCURRENT])
def test_eight_concurrent_deliveries_have_one_side_effect(framework, store,
                                                          request, tmp_path):
    target = store_target(store, request, tmp_path)
    if store == "sqlite":
        from payhook.guard import SQLiteStore

        SQLiteStore(target)   # made once, before the processes race
    event = f"evt_race_{framework}_{store}_{time.monotonic_ns()}"
    # The first holds its claim (or its transaction) half a second, so
    # that the others arrive while it is in flight.
    spec = delivery_spec(framework, store, target, tmp_path, event, hold=0.5)
    answers = deliver_at_once(spec, tmp_path)
    statuses = sorted(a.get("status", a["code"]) for a in answers)
    for a in answers:
        assert a["code"] == 0, a["err"][-3000:]
    assert side_effects(store, target, tmp_path) == 1, statuses
    # Each got the reply (first or duplicate) or, for the guard's stores,
    # 409 while the first was in flight: the gateway retries those.
    allowed = {200, 409} if store in ("sqlite", "redis") else {200}
    assert set(statuses) <= allowed, statuses
    busy = statuses.count(409)
    # The gateway's retries, here through Flask in this process (the
    # store is what counts), are duplicates.
    retry = delivery_spec("flask", store, target, tmp_path, event)
    send = callback_apps.from_spec(retry)
    for _ in range(2):
        assert send(base64.b64decode(retry["body"]),
                    retry["headers"]).status == 200
    assert side_effects(store, target, tmp_path) == 1
    print(f"\n{framework}/{store}: 8 at once: {statuses.count(200)} x 200, "
          f"{busy} x 409; side effects: 1")


@pytest.mark.slow
@pytest.mark.parametrize("framework,store", [("flask", "sqlite"),
                                             ("fastapi", "redis")])
def test_a_crash_after_the_claim_is_handled_on_the_retry(framework, store,
                                                         request, tmp_path):
    """The handler's process dies after the claim (os._exit): until the
    lease is over a retry is 409, then the retry is handled, once."""
    target = store_target(store, request, tmp_path)
    event = f"evt_crash_{framework}_{store}_{time.monotonic_ns()}"
    lease = 2.0
    crash = delivery_spec(framework, store, target, tmp_path, event,
                          lease=lease, crash=True)
    [dead] = deliver_at_once(crash, tmp_path, processes=1)
    claimed_by = time.monotonic()     # the claim was made just before
    assert dead["code"] == 17 and "status" not in dead, dead
    retry = delivery_spec(framework, store, target, tmp_path, event,
                          lease=lease)
    send = callback_apps.from_spec(retry)
    body = base64.b64decode(retry["body"])
    assert send(body, retry["headers"]).status == 409
    time.sleep(max(0.0, claimed_by + lease + 0.2 - time.monotonic()))
    assert send(body, retry["headers"]).status == 200
    assert send(body, retry["headers"]).status == 200
    assert side_effects(store, target, tmp_path) == 1
