"""Exactly-once handling of callbacks: the replay guard and its stores.

Gateways retry deliveries, and a captured genuine callback of a gateway
that signs no timestamp (LeanX, SuperPay, Curlec, CHIP, the forms)
verifies forever.  :class:`ReplayGuard` runs a handler once per event:

    guard = ReplayGuard(SQLiteStore("/var/lib/shop/payhook-guard.sqlite3"))
    with guard.once(result) as first:
        if first:
            ship(result.payload)

``once`` *claims* the event (the gateway and ``result.event_id``) before
the block runs, *commits* it when the block ends normally and *releases*
it when the block raises, so that the gateway's retry of a delivery that
failed half-way is processed.  Each claim carries a digest of the
authenticated payload: a different payload under an id already claimed
is :class:`~payhook.ReplayConflictError`, never a silent duplicate.

The stores share one small interface (:class:`Store`):

* :class:`SQLiteStore`: a file, safe across the processes of one machine
  (WAL mode, ``BEGIN IMMEDIATE``); the embedded default.
* :class:`RedisStore`: one Redis for several machines (``SET NX PX`` to
  claim, compare-and-set and compare-and-delete scripts to commit and
  release).
* :func:`inbox_record`: no store at all, but a row in the merchant's own
  database, written in the same transaction as the merchant's own change
  (the inbox pattern; SQLite through ``sqlite3``, PostgreSQL through
  ``psycopg``).
"""

from __future__ import annotations

import contextlib
import decimal
import hashlib
import json
import logging
import math
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any, Literal, Protocol

from ._gateway import Result
from ._ratelog import RateLimitedLog
from .errors import (
    GuardUnavailableError,
    MissingEventIdError,
    ReplayConflictError,
    ReplayInProgressError,
)

__all__ = [
    "ReplayGuard",
    "Store",
    "SQLiteStore",
    "RedisStore",
    "inbox_record",
    "inbox_schema",
    "inbox_prune",
    "event_key",
    "payload_digest",
    "LEASE",
    "RETENTION",
]

Outcome = Literal["claimed", "duplicate", "busy", "conflict"]

LEASE = 60.0
"""Seconds a claim holds before another delivery may take it over (a
process that died after claiming never commits nor releases)."""

RETENTION = 7 * 86400.0
"""Seconds a handled event is remembered: longer than the gateways' retry
windows (Stripe retries for up to 3 days)."""


# ---------------------------------------------------------------------------
# What an event is


def event_key(result: Result) -> str:
    """``gateway:event_id``, the key the guard claims.

    Raises :class:`~payhook.MissingEventIdError` when the callback carries
    no event id: without one nothing can be deduplicated, and the guard
    refuses rather than run a handler that may run twice.
    """
    if not isinstance(result, Result):
        raise TypeError("the guard takes the payhook.Result of "
                        "payhook.verify")
    if not result.event_id:
        raise MissingEventIdError(f"this {result.gateway} callback carries "
                                  "no event id to deduplicate on")
    return f"{result.gateway}:{result.event_id}"


def _canonical(value: Any, out: list[str]) -> None:
    # Sorted keys, no spaces, ASCII escapes, numbers as Python writes
    # them: one text for one value, whatever order the gateway used.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a payload number is not finite")
        out.append(float.__repr__(value))
    elif isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError("a payload number is not finite")
        out.append(str(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for i, name in enumerate(sorted(value)):
            if not isinstance(name, str):
                raise TypeError("payload member names must be str")
            if i:
                out.append(",")
            out.append(json.dumps(name))
            out.append(":")
            _canonical(value[name], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _canonical(item, out)
        out.append("]")
    else:
        raise TypeError(f"a payload value of type {type(value).__name__} "
                        "has no JSON form")


def payload_digest(result: Result) -> str:
    """SHA-256 (hex) of the canonical JSON of the authenticated payload.

    Only the fields the signature covers count (``result.signed_fields``):
    a form gateway's unsigned fields (senangPay's amount, Fiuu's ``nbcb``)
    may differ between deliveries of one event, and an attacker may change
    them at will.  SuperPay signs nothing, so all of its payload counts.
    """
    payload = result.payload
    fields = result.signed_fields or tuple(payload)
    covered = {name: payload[name] for name in fields if name in payload}
    out: list[str] = []
    _canonical(covered, out)
    return hashlib.sha256("".join(out).encode("ascii")).hexdigest()


# ---------------------------------------------------------------------------
# The store interface


class Store(Protocol):
    """Where a guard keeps its claims.

    ``claim`` records ``key`` as claimed with ``digest`` for ``lease``
    seconds, atomically, unless it is recorded already, and says what it
    found: ``"claimed"`` (the caller must run the handler), ``"duplicate"``
    (committed with the same digest), ``"busy"`` (claimed with the same
    digest, lease not over) or ``"conflict"`` (recorded with another
    digest).  ``commit`` turns the caller's claim into a record kept for
    the ``retention`` given at the claim; ``release`` removes the caller's
    claim.  Both compare the digest first and leave anyone else's record
    alone; they return whether they changed it.  Every method raises
    :class:`~payhook.GuardUnavailableError` when the store cannot be
    reached, and nothing else for a store failure.
    """

    def claim(self, key: str, digest: str, lease: float,
              retention: float) -> Outcome: ...

    def commit(self, key: str, digest: str) -> bool: ...

    def release(self, key: str, digest: str) -> bool: ...


def _seconds(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{what} must be a positive number of seconds")
    return float(value)


# ---------------------------------------------------------------------------
# SQLite

_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS payhook_guard (
    key       TEXT PRIMARY KEY,
    digest    TEXT NOT NULL,
    state     TEXT NOT NULL CHECK (state IN ('claimed', 'committed')),
    expires   REAL NOT NULL,
    retention REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS payhook_guard_expires ON payhook_guard (expires);
"""


class SQLiteStore:
    """Claims in a SQLite file, shared by every process of one machine.

    The file and its table are made when missing (the directory must
    exist).  The database runs in WAL mode and every claim is one
    ``BEGIN IMMEDIATE`` transaction, so two processes never both claim
    one event; each call opens its own connection, so a store may be
    shared between threads and survives ``fork``.  ``timeout`` is how long
    a call waits for another process's transaction.  A file on a network
    file system is not safe (SQLite's locks are not): use one file per
    machine, or :class:`RedisStore` for several.

    Handled events are kept for the guard's retention; :meth:`prune`
    deletes those past it (run it now and then, e.g. daily).  Raises
    :class:`~payhook.GuardUnavailableError` when the file cannot be opened,
    read or written.
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 timeout: float = 10.0) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.timeout = _seconds(timeout, "timeout")
        self._uri = "file:" + urllib.parse.quote(self.path) + "?mode=rw"
        try:
            with contextlib.closing(sqlite3.connect(
                    self.path, timeout=self.timeout,
                    isolation_level=None)) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SQLITE_SCHEMA)
        except sqlite3.Error as exc:
            raise GuardUnavailableError(
                f"the SQLite guard store cannot be opened: {exc}") from exc

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # mode=rw: a file that went away is an error, not a new empty
        # database without the table.
        try:
            conn = sqlite3.connect(self._uri, uri=True, timeout=self.timeout,
                                   isolation_level=None)
        except sqlite3.Error as exc:
            raise GuardUnavailableError(
                f"the SQLite guard store cannot be opened: {exc}") from exc
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise GuardUnavailableError(
                f"the SQLite guard store failed: {exc}") from exc
        finally:
            conn.close()  # rolls back whatever was not committed

    def claim(self, key: str, digest: str, lease: float,
              retention: float) -> Outcome:
        with self._transaction() as conn:
            now = time.time()
            row = conn.execute(
                "SELECT digest, state, expires FROM payhook_guard "
                "WHERE key = ?", (key,)).fetchone()
            if row is not None and row[2] > now:
                if row[0] != digest:
                    return "conflict"
                return "duplicate" if row[1] == "committed" else "busy"
            # Absent, a claim whose lease is over, or a record past its
            # retention: this delivery takes it.
            conn.execute(
                "INSERT OR REPLACE INTO payhook_guard "
                "(key, digest, state, expires, retention) "
                "VALUES (?, ?, 'claimed', ?, ?)",
                (key, digest, now + lease, retention))
            return "claimed"

    def commit(self, key: str, digest: str) -> bool:
        with self._transaction() as conn:
            cur = conn.execute(
                "UPDATE payhook_guard SET state = 'committed', "
                "expires = ? + retention "
                "WHERE key = ? AND digest = ? AND state = 'claimed'",
                (time.time(), key, digest))
            return cur.rowcount == 1

    def release(self, key: str, digest: str) -> bool:
        with self._transaction() as conn:
            cur = conn.execute(
                "DELETE FROM payhook_guard "
                "WHERE key = ? AND digest = ? AND state = 'claimed'",
                (key, digest))
            return cur.rowcount == 1

    def prune(self) -> int:
        """Delete the records past their retention (and claims past their
        lease); returns how many."""
        with self._transaction() as conn:
            cur = conn.execute("DELETE FROM payhook_guard WHERE expires <= ?",
                               (time.time(),))
            return cur.rowcount


# ---------------------------------------------------------------------------
# Redis

# KEYS[1] the key; ARGV[1] the claim's value prefix "claimed:<digest>:",
# ARGV[2] the digest.  The claim's value ends with its retention (whole
# seconds), which the committed record is kept for.
_REDIS_COMMIT = """
local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, #ARGV[1]) ~= ARGV[1] then return 0 end
local keep = tonumber(string.sub(v, #ARGV[1] + 1))
redis.call('SET', KEYS[1], 'committed:' .. ARGV[2], 'EX', keep)
return 1
"""

_REDIS_RELEASE = """
local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, #ARGV[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""


class RedisStore:
    """Claims in Redis, for several machines sharing one server.

    ``client_or_url`` is a ``redis.Redis`` client (from the ``redis``
    package) or a URL such as ``redis://127.0.0.1:6379/0`` (the client is
    then made with 2-second timeouts).  A claim is ``SET key value NX PX
    lease``, so a claim whose process died expires by itself; a commit
    compares the value and rewrites it with ``EX retention`` in one script
    (``EVAL``), and a release compares it and deletes it in another.  Keys
    are ``prefix`` + ``gateway:event_id``.  Redis forgets the records past
    their retention by itself.

    Raises :class:`~payhook.GuardUnavailableError` when the server cannot
    be reached or answers an error.  For the guard to be exact, the server
    must not lose writes it acknowledged (persistence on, no failover that
    drops the last writes), and must keep the keys until they expire
    (``maxmemory-policy noeviction`` or a ``volatile-*`` policy with room).
    """

    def __init__(self, client_or_url: Any, *,
                 prefix: str = "payhook:guard:") -> None:
        if isinstance(client_or_url, str):
            import redis

            self.client = redis.Redis.from_url(client_or_url,
                                               socket_timeout=2.0,
                                               socket_connect_timeout=2.0)
        else:
            self.client = client_or_url
        if not isinstance(prefix, str):
            raise TypeError("prefix must be a str")
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"RedisStore({self.client!r})"

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return getattr(self.client, method)(*args, **kwargs)
        except redis.RedisError as exc:
            raise GuardUnavailableError(
                f"the Redis guard store failed: {type(exc).__name__}"
            ) from exc

    def claim(self, key: str, digest: str, lease: float,
              retention: float) -> Outcome:
        name = self.prefix + key
        value = f"claimed:{digest}:{max(1, math.ceil(retention))}"
        lease_ms = max(1, math.ceil(lease * 1000))
        for _ in range(3):
            if self._call("set", name, value, nx=True, px=lease_ms):
                return "claimed"
            found = self._call("get", name)
            if found is None:
                continue  # released or expired in between: try again
            if isinstance(found, bytes):
                found = found.decode("ascii", "replace")
            state, _, rest = str(found).partition(":")
            if rest.split(":", 1)[0] != digest:
                return "conflict"
            return "duplicate" if state == "committed" else "busy"
        return "busy"

    def commit(self, key: str, digest: str) -> bool:
        return bool(self._call("eval", _REDIS_COMMIT, 1, self.prefix + key,
                               f"claimed:{digest}:", digest))

    def release(self, key: str, digest: str) -> bool:
        return bool(self._call("eval", _REDIS_RELEASE, 1, self.prefix + key,
                               f"claimed:{digest}:"))


# ---------------------------------------------------------------------------
# The guard


class ReplayGuard:
    """Run each callback's handler once: see :meth:`once`.

    ``store`` keeps the claims (:class:`SQLiteStore`, :class:`RedisStore`
    or any :class:`Store`).  ``lease`` (seconds, default 60) is how long a
    claim holds: longer than the handler ever takes, since a claim whose
    lease is over may be taken by another delivery.  ``retention``
    (seconds, default 7 days) is how long a handled event is remembered; a
    replay after that runs the handler again, so the handler should still
    refuse to pay one order twice.  ``fail_open=True`` runs the handler
    unguarded when the store is unreachable (logged, rate-limited) instead
    of raising :class:`~payhook.GuardUnavailableError`: it trades
    exactly-once for availability, and is off by default.
    """

    def __init__(self, store: Store, *, lease: float = LEASE,
                 retention: float = RETENTION, fail_open: bool = False,
                 logger: logging.Logger | None = None) -> None:
        for method in ("claim", "commit", "release"):
            if not callable(getattr(store, method, None)):
                raise TypeError(f"the store has no {method}() method")
        self.store = store
        self.lease = _seconds(lease, "lease")
        self.retention = _seconds(retention, "retention")
        if self.retention < self.lease:
            raise ValueError("retention must not be shorter than the lease")
        self.fail_open = bool(fail_open)
        self.log = RateLimitedLog(logger if logger is not None else
                                  logging.getLogger("payhook.guard"))

    def __repr__(self) -> str:
        return (f"ReplayGuard({self.store!r}, lease={self.lease:g}, "
                f"retention={self.retention:g}, fail_open={self.fail_open})")

    @contextlib.contextmanager
    def once(self, result: Result) -> Iterator[bool]:
        """A context manager: ``True`` when this delivery must run the
        handler, ``False`` when it is a duplicate of a handled one.

        On ``True`` the event is claimed; a normal exit commits it, an
        exception releases it (and propagates) so that the gateway's retry
        runs the handler again.  Raises
        :class:`~payhook.MissingEventIdError` (the callback has no event
        id), :class:`~payhook.ReplayConflictError` (another payload under
        this id), :class:`~payhook.ReplayInProgressError` (another delivery
        holds the claim: answer 409 so the gateway retries) and
        :class:`~payhook.GuardUnavailableError` (the store is unreachable,
        unless ``fail_open``), all before the block runs.
        """
        key = event_key(result)
        digest = payload_digest(result)
        outcome: str | None = None
        try:
            outcome = self.store.claim(key, digest, self.lease,
                                       self.retention)
        except GuardUnavailableError as exc:
            if not self.fail_open:
                raise
            self.log.log("GuardUnavailableError", logging.ERROR,
                         "payhook: the guard's store is unreachable (%s): "
                         "running the %s handler unguarded (fail_open)",
                         type(exc.__cause__ or exc).__name__, result.gateway)
        if outcome is None:  # fail_open, and the store is unreachable
            yield True
            return
        if outcome == "duplicate":
            yield False
            return
        if outcome == "busy":
            raise ReplayInProgressError(
                f"another delivery of this {result.gateway} callback is "
                "being handled")
        if outcome == "conflict":
            raise ReplayConflictError(
                f"a different {result.gateway} payload arrived under an "
                "event id already seen")
        if outcome != "claimed":
            raise GuardUnavailableError(
                f"the guard's store answered {outcome!r}")
        try:
            yield True
        except BaseException:
            self._finish(self.store.release, key, digest, "release")
            raise
        self._finish(self.store.commit, key, digest, "commit")

    def _finish(self, step: Any, key: str, digest: str, what: str) -> None:
        # The handler has run (or failed): its outcome stands, whatever the
        # store says now.  A commit that could not be recorded lets a
        # later delivery run the handler again once the lease is over; it
        # is logged so that someone looks.
        try:
            done = step(key, digest)
        except GuardUnavailableError as exc:
            self.log.log(f"{what} failed", logging.ERROR,
                         "payhook: the guard could not %s a claim (%s): a "
                         "later delivery may run the handler again", what,
                         type(exc.__cause__ or exc).__name__)
            return
        if not done:
            self.log.log(f"{what} found no claim", logging.WARNING,
                         "payhook: the guard's claim was gone at %s (a "
                         "handler ran longer than the %g s lease?)", what,
                         self.lease)


# ---------------------------------------------------------------------------
# The inbox: a row in the merchant's own transaction

_INBOX_SCHEMA = {
    "sqlite": (
        "CREATE TABLE IF NOT EXISTS payhook_inbox ("
        "gateway TEXT NOT NULL, event_id TEXT NOT NULL, "
        "digest TEXT NOT NULL, received_at REAL NOT NULL, "
        "PRIMARY KEY (gateway, event_id))"),
    "postgresql": (
        "CREATE TABLE IF NOT EXISTS payhook_inbox ("
        "gateway text NOT NULL, event_id text NOT NULL, "
        "digest text NOT NULL, received_at double precision NOT NULL, "
        "PRIMARY KEY (gateway, event_id))"),
}


def inbox_schema(dialect: str) -> str:
    """The one ``CREATE TABLE IF NOT EXISTS payhook_inbox`` statement for
    ``"sqlite"`` or ``"postgresql"`` (``received_at`` in Unix seconds);
    ``ValueError`` for any other dialect."""
    try:
        return _INBOX_SCHEMA[dialect]
    except (KeyError, TypeError):
        raise ValueError(f"no inbox schema for {dialect!r}: "
                         "'sqlite' or 'postgresql'") from None


def _mark(conn: Any) -> str:
    # sqlite3 takes qmark parameters, psycopg (and most others) format.
    return "?" if isinstance(conn, sqlite3.Connection) else "%s"


def inbox_record(conn: Any, result: Result) -> bool:
    """Record the callback in ``payhook_inbox`` inside the caller's open
    transaction on ``conn`` (a ``sqlite3`` or ``psycopg`` connection).

    Returns ``True`` for a first delivery: do the work in the same
    transaction and commit it, and the record and the work stand or fall
    together.  Returns ``False`` for a duplicate with the same digest:
    answer the gateway's reply and do nothing.  Raises
    :class:`~payhook.ReplayConflictError` when a different payload is
    recorded under this event id, :class:`~payhook.MissingEventIdError`
    when the callback has none, and
    :class:`~payhook.ReplayInProgressError` when the transaction's
    snapshot cannot see the row that blocked it (PostgreSQL at REPEATABLE
    READ or above; retry).  The database's own errors propagate.

    A concurrent delivery waits on the unique key until this transaction
    ends, then sees the row (or inserts it, if this transaction rolled
    back). With SQLite, begin the transaction with ``BEGIN IMMEDIATE``.
    """
    key = event_key(result)
    event_id = key[len(result.gateway) + 1:]
    digest = payload_digest(result)
    m = _mark(conn)
    cur = conn.cursor()
    try:
        cur.execute(
            f"INSERT INTO payhook_inbox (gateway, event_id, digest, "
            f"received_at) VALUES ({m}, {m}, {m}, {m}) "
            "ON CONFLICT (gateway, event_id) DO NOTHING",
            (result.gateway, event_id, digest, time.time()))
        if cur.rowcount == 1:
            return True
        cur.execute(f"SELECT digest FROM payhook_inbox WHERE gateway = {m} "
                    f"AND event_id = {m}", (result.gateway, event_id))
        row = cur.fetchone()
    finally:
        cur.close()
    if row is None:
        raise ReplayInProgressError(
            f"this {result.gateway} callback is recorded by a transaction "
            "this one cannot see yet")
    found = row[0] if not isinstance(row, Mapping) else row["digest"]
    if found != digest:
        raise ReplayConflictError(
            f"a different {result.gateway} payload is recorded under this "
            "event id")
    return False


def inbox_prune(conn: Any, *, retention: float = RETENTION) -> int:
    """Delete the inbox rows older than ``retention`` seconds, in the
    caller's transaction; returns how many.  A replay of a pruned event
    is a first delivery again, so prune only past the window in which a
    replay must be refused (or never: the rows are small)."""
    keep = _seconds(retention, "retention")
    cur = conn.cursor()
    try:
        cur.execute(f"DELETE FROM payhook_inbox WHERE received_at < "
                    f"{_mark(conn)}", (time.time() - keep,))
        return int(cur.rowcount)
    finally:
        cur.close()
