"""payhook.guard: the replay guard over each store (SQLite, a real Redis),
the inbox on SQLite and on a real PostgreSQL, the payload digest, retention
and the store going away.  The concurrent deliveries through the web
frameworks are in test_helpers.py."""

from __future__ import annotations

import decimal
import logging
import os
import shutil
import sqlite3
import time

import pytest

import payhook
from payhook.guard import (
    RETENTION,
    RedisStore,
    ReplayGuard,
    SQLiteStore,
    event_key,
    inbox_prune,
    inbox_record,
    inbox_schema,
    payload_digest,
)

SECRET = "whsec_guard_tests"


def stripe_result(payload=None, **extra):
    payload = payload or {"id": "evt_1", "type": "payment_intent.succeeded",
                          "data": {"object": {"amount": 12410}}}
    payload = dict(payload, **extra)
    body, headers = payhook.stripe.sign(payload, SECRET)
    return payhook.stripe.verify(body, SECRET, headers=headers)


def unique_result(tag: str, **extra):
    return stripe_result({"id": f"evt_{tag}_{time.monotonic_ns()}",
                          "type": "x", **extra})


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return SQLiteStore(tmp_path / "guard.sqlite3")
    url = request.getfixturevalue("redis_url")
    return RedisStore(url, prefix=f"test:{time.monotonic_ns()}:")


# ---------------------------------------------------------------------------
# The guard's contract, on every store


def test_first_delivery_runs_and_a_duplicate_does_not(store):
    guard = ReplayGuard(store)
    result = unique_result("once")
    with guard.once(result) as first:
        assert first is True
    for _ in range(3):
        with guard.once(result) as first:
            assert first is False


def test_a_retry_with_a_new_signature_is_a_duplicate(store):
    # Stripe signs each retry anew (a new t= and v1=): same event, same
    # payload, so the same key and digest.
    guard = ReplayGuard(store)
    payload = {"id": f"evt_retry_{time.monotonic_ns()}", "type": "x"}
    body1, h1 = payhook.stripe.sign(payload, SECRET,
                                    timestamp=int(time.time()))
    body2, h2 = payhook.stripe.sign(payload, SECRET,
                                    timestamp=int(time.time()) - 60)
    assert h1 != h2
    with guard.once(payhook.stripe.verify(body1, SECRET, headers=h1)) as f:
        assert f
    with guard.once(payhook.stripe.verify(body2, SECRET, headers=h2)) as f:
        assert not f


def test_a_different_payload_under_the_same_id_is_flagged(store):
    guard = ReplayGuard(store)
    result = unique_result("conflict", amount=1)
    with guard.once(result) as first:
        assert first
    other = stripe_result(dict(result.payload, amount=2))
    assert other.event_id == result.event_id
    with pytest.raises(payhook.ReplayConflictError):
        with guard.once(other):
            raise AssertionError("the block must not run")
    # ... and while the first is still in flight, too.
    pending = unique_result("conflict-in-flight", amount=1)
    with guard.once(pending) as first:
        assert first
        changed = stripe_result(dict(pending.payload, amount=2))
        with pytest.raises(payhook.ReplayConflictError):
            with guard.once(changed):
                pass


def test_a_claim_in_flight_is_busy(store):
    guard = ReplayGuard(store)
    result = unique_result("busy")
    with guard.once(result) as first:
        assert first
        with pytest.raises(payhook.ReplayInProgressError):
            with guard.once(result):
                raise AssertionError("the block must not run")
    with guard.once(result) as first:
        assert not first


def test_a_handler_that_raises_releases_the_claim(store):
    guard = ReplayGuard(store)
    result = unique_result("release")
    with pytest.raises(ZeroDivisionError):
        with guard.once(result) as first:
            assert first
            1 / 0
    with guard.once(result) as first:   # the gateway's retry is handled
        assert first
    with guard.once(result) as first:
        assert not first


def test_a_claim_whose_lease_is_over_may_be_taken(store):
    # A process that died after claiming never commits nor releases.
    guard = ReplayGuard(store, lease=0.2, retention=60)
    result = unique_result("lease")
    assert store.claim(event_key(result), payload_digest(result), 0.2,
                       60) == "claimed"
    with pytest.raises(payhook.ReplayInProgressError):
        with guard.once(result):
            pass
    time.sleep(0.35)
    with guard.once(result) as first:
        assert first
    with guard.once(result) as first:
        assert not first


def test_a_handled_event_is_forgotten_after_the_retention(store):
    guard = ReplayGuard(store, lease=1, retention=1)
    result = unique_result("retention")
    with guard.once(result) as first:
        assert first
    with guard.once(result) as first:
        assert not first
    time.sleep(1.3)
    if isinstance(store, SQLiteStore):
        assert store.prune() == 1
    with guard.once(result) as first:
        assert first


def test_commit_and_release_leave_other_claims_alone(store):
    result = unique_result("cas")
    key, digest = event_key(result), payload_digest(result)
    assert store.claim(key, digest, 30, 60) == "claimed"
    assert store.release(key, "0" * 64) is False
    assert store.commit(key, "0" * 64) is False
    assert store.claim(key, digest, 30, 60) == "busy"
    assert store.commit(key, digest) is True
    assert store.release(key, digest) is False   # committed: stays
    assert store.claim(key, digest, 30, 60) == "duplicate"
    assert store.claim(key, "0" * 64, 30, 60) == "conflict"


def test_a_callback_without_an_event_id_is_refused(store):
    # A SuperPay payment-creation response decrypts, but has no
    # data.transaction.id: nothing to deduplicate on.
    key = "0123456789abcdef0123456789abcdef"
    body = payhook.superpay.encrypt({"data": {"paymentUrl": "x"}}, key)
    result = payhook.superpay.verify(body, key)
    assert result.event_id is None
    with pytest.raises(payhook.MissingEventIdError):
        with ReplayGuard(store).once(result):
            raise AssertionError("the block must not run")
    with pytest.raises(TypeError):
        with ReplayGuard(store).once({"event_id": "x"}):  # type: ignore
            pass


def test_settings_are_checked(tmp_path):
    store = SQLiteStore(tmp_path / "g.sqlite3")
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            ReplayGuard(store, lease=bad)
    with pytest.raises(TypeError):
        ReplayGuard(store, lease="60")
    with pytest.raises(ValueError):
        ReplayGuard(store, lease=60, retention=30)
    with pytest.raises(TypeError):
        ReplayGuard(object())
    guard = ReplayGuard(store)
    assert guard.lease == 60 and guard.retention == RETENTION == 7 * 86400
    assert guard.fail_open is False
    assert "SQLiteStore" in repr(guard)


# ---------------------------------------------------------------------------
# The digest


def test_digest_is_the_canonical_json_of_the_payload():
    a = stripe_result({"id": "evt_d", "b": [1, 2.5, None, True],
                       "a": {"y": "\u00e9", "x": 2**70}})
    body = b'{"a":{"x":1180591620717411303424,"y":"\\u00e9"},' \
           b'"b":[1,2.5,null,true],"id":"evt_d"}'
    import hashlib

    assert payload_digest(a) == hashlib.sha256(body).hexdigest()
    reordered = stripe_result({"a": {"x": 2**70, "y": "\u00e9"},
                               "id": "evt_d", "b": [1, 2.5, None, True]})
    assert payload_digest(reordered) == payload_digest(a)
    assert payload_digest(stripe_result({"id": "evt_d", "b": [1]})) != \
        payload_digest(a)


def test_digest_covers_only_the_signed_fields():
    # senangPay signs no amount: an attacker's changed amount is not a
    # different callback (and never trusted), but a signed field is.
    fields = {"status_id": "1", "order_id": "ORD-1", "transaction_id": "T-9",
              "msg": "Payment_was_successful", "amount": "124.10"}
    one = payhook.senangpay.verify(payhook.senangpay.sign(fields, "s")[0], "s")
    body, _ = payhook.senangpay.sign(fields, "s")
    tampered = body.replace(b"amount=124.10", b"amount=1.00")
    two = payhook.senangpay.verify(tampered, "s")
    assert two.payload["amount"] == "1.00"
    assert payload_digest(one) == payload_digest(two)
    other = payhook.senangpay.verify(
        payhook.senangpay.sign(dict(fields, msg="x"), "s")[0], "s")
    assert payload_digest(other) != payload_digest(one)


def test_digest_of_decimal_amounts():
    body, headers = payhook.stripe.sign('{"id":"evt_m","amount":3.1025}',
                                        SECRET)
    as_float = payhook.stripe.verify(body, SECRET, headers=headers)
    as_decimal = payhook.stripe.verify(body, SECRET, headers=headers,
                                       parse_float=decimal.Decimal)
    assert isinstance(as_decimal.payload["amount"], decimal.Decimal)
    assert len(payload_digest(as_decimal)) == 64
    assert payload_digest(as_float) == payload_digest(as_decimal)


# ---------------------------------------------------------------------------
# The store going away: fail closed by default


def test_sqlite_store_unreachable(tmp_path):
    root = tmp_path / "gone"
    root.mkdir()
    store = SQLiteStore(root / "guard.sqlite3")
    guard = ReplayGuard(store)
    shutil.rmtree(root)
    with pytest.raises(payhook.GuardUnavailableError):
        with guard.once(unique_result("down")):
            raise AssertionError("the block must not run")
    assert not root.exists()        # a failed call makes no new database
    with pytest.raises(payhook.GuardUnavailableError):
        SQLiteStore(tmp_path / "missing-dir" / "guard.sqlite3")


def test_redis_store_unreachable():
    from conftest import free_port, require_module

    require_module("redis")

    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(payhook.GuardUnavailableError):
        with ReplayGuard(store).once(unique_result("down")):
            raise AssertionError("the block must not run")


def test_fail_open_runs_the_handler_and_says_so(tmp_path, caplog):
    root = tmp_path / "gone"
    root.mkdir()
    store = SQLiteStore(root / "guard.sqlite3")
    shutil.rmtree(root)
    guard = ReplayGuard(store, fail_open=True)
    with caplog.at_level(logging.ERROR, logger="payhook.guard"):
        for _ in range(3):
            with guard.once(unique_result("open")) as first:
                assert first
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "unguarded" in lines[0], lines


def test_a_commit_that_cannot_be_recorded_is_logged(tmp_path, caplog):
    root = tmp_path / "gone"
    root.mkdir()
    guard = ReplayGuard(SQLiteStore(root / "guard.sqlite3"))
    with caplog.at_level(logging.ERROR, logger="payhook.guard"):
        with guard.once(unique_result("late")) as first:
            assert first
            shutil.rmtree(root)     # the store goes away mid-handler
    assert any("could not commit" in r.getMessage() for r in caplog.records)


def test_sqlite_store_is_in_wal_mode(tmp_path):
    path = tmp_path / "guard.sqlite3"
    SQLiteStore(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# ---------------------------------------------------------------------------
# The inbox, in the merchant's own transaction


def test_inbox_schema():
    for dialect in ("sqlite", "postgresql"):
        sql = inbox_schema(dialect)
        assert sql.startswith("CREATE TABLE IF NOT EXISTS payhook_inbox")
        assert "PRIMARY KEY (gateway, event_id)" in sql
        assert ";" not in sql
    for bad in ("mysql", "", None):
        with pytest.raises(ValueError):
            inbox_schema(bad)  # type: ignore[arg-type]


def sqlite_inbox(path):
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute(inbox_schema("sqlite"))
    conn.execute("CREATE TABLE IF NOT EXISTS payouts (event_id TEXT)")
    return conn


def postgres_inbox(dsn):
    import psycopg

    conn = psycopg.connect(dsn)
    with conn.transaction():
        conn.execute(inbox_schema("postgresql"))
        conn.execute("CREATE TABLE IF NOT EXISTS payouts (event_id text)")
    return conn


@pytest.fixture(params=["sqlite", "postgresql"])
def inbox(request, tmp_path):
    """(connection, begin, commit, rollback) on a fresh database."""
    if request.param == "sqlite":
        conn = sqlite_inbox(tmp_path / "shop.sqlite3")
        ops = (lambda: conn.execute("BEGIN IMMEDIATE"),
               lambda: conn.execute("COMMIT"),
               lambda: conn.execute("ROLLBACK"))
    else:
        conn = postgres_inbox(request.getfixturevalue("postgres_dsn"))
        with conn.transaction():   # the cluster is the session's: start empty
            conn.execute("DELETE FROM payhook_inbox")
            conn.execute("DELETE FROM payouts")
        ops = (lambda: None, conn.commit, conn.rollback)
    try:
        yield (conn, *ops)
    finally:
        conn.close()


def test_inbox_records_once_in_the_callers_transaction(inbox):
    conn, begin, commit, rollback = inbox
    result = unique_result("inbox")
    # A transaction that fails leaves nothing behind: the retry is new.
    begin()
    assert inbox_record(conn, result) is True
    rollback()
    begin()
    assert inbox_record(conn, result) is True
    conn.execute("INSERT INTO payouts (event_id) VALUES ('x')")
    commit()
    begin()
    assert inbox_record(conn, result) is False
    rollback()
    other = stripe_result(dict(result.payload, type="changed"))
    begin()
    with pytest.raises(payhook.ReplayConflictError):
        inbox_record(conn, other)
    rollback()
    begin()
    key = "0123456789abcdef0123456789abcdef"
    no_id = payhook.superpay.verify(
        payhook.superpay.encrypt({"data": {"x": 1}}, key), key)
    with pytest.raises(payhook.MissingEventIdError):
        inbox_record(conn, no_id)
    rollback()
    rows = conn.execute("SELECT gateway, event_id, digest FROM "
                        "payhook_inbox").fetchall()
    assert [tuple(r) for r in rows] == [
        ("stripe", result.event_id, payload_digest(result))]


def test_inbox_prune(inbox):
    conn, begin, commit, rollback = inbox
    begin()
    assert inbox_record(conn, unique_result("old")) is True
    commit()
    begin()
    assert inbox_prune(conn) == 0
    commit()
    time.sleep(0.05)
    begin()
    assert inbox_prune(conn, retention=0.01) == 1
    commit()
    with pytest.raises(ValueError):
        inbox_prune(conn, retention=0)


def test_postgres_inbox_waits_for_the_first_transaction(postgres_dsn):
    """Two transactions record the same event: the second waits on the
    unique key, then finds the first's row (or takes the event when the
    first rolled back)."""
    import threading

    first, second = postgres_inbox(postgres_dsn), postgres_inbox(postgres_dsn)
    try:
        for outcome in ("rollback", "commit"):
            result = unique_result(f"pg-{outcome}")
            assert inbox_record(first, result) is True
            got = []
            t = threading.Thread(target=lambda: got.append(
                inbox_record(second, result)))
            t.start()
            time.sleep(0.3)
            assert t.is_alive() and not got     # blocked on the key
            getattr(first, outcome)()
            t.join(10)
            second.commit()
            assert got == [outcome == "rollback"], outcome
    finally:
        first.close()
        second.close()


def test_postgres_repeatable_read_sees_no_row_and_says_retry(postgres_dsn):
    import psycopg

    result = unique_result("pg-rr")
    a, b = postgres_inbox(postgres_dsn), postgres_inbox(postgres_dsn)
    try:
        b.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        b.execute("SELECT 1")                    # b's snapshot starts now
        assert inbox_record(a, result) is True
        a.commit()
        with pytest.raises((payhook.ReplayInProgressError,
                            psycopg.errors.SerializationFailure)):
            inbox_record(b, result)
        b.rollback()
        assert inbox_record(b, result) is False
        b.rollback()
    finally:
        a.close()
        b.close()


def test_guard_module_all_is_documented():
    import payhook.guard as guard

    for name in guard.__all__:
        assert hasattr(guard, name), name
    assert not hasattr(payhook, "guard") or payhook.guard is guard
    assert os.path.basename(guard.__file__) == "guard.py"
