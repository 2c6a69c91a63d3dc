"""Logging that a flood cannot turn into a flood of log lines.

Anyone can POST forged callbacks as fast as the network carries them, and
one log line per refusal turns that into gigabytes of log.  A
:class:`RateLimitedLog` logs the first event of each kind per interval in
full, counts the rest quietly, and logs the count in one line when the
kind next comes up after the interval (or at :meth:`flush`).  The kinds
are a small fixed set (exception class names), so the table stays small.
It is process-local, and thread-safe.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

DEFAULT_INTERVAL = 60.0


class RateLimitedLog:
    """The first event of each kind per ``interval`` seconds, then counts.

    ``log(kind, level, message, *args)`` logs ``message % args`` through
    ``logger`` when ``kind`` was not logged in the last ``interval``
    seconds, and otherwise only counts it.  The count of a kind's quiet
    events is logged as one line before its next full one, or by
    :meth:`flush`.
    """

    def __init__(self, logger: logging.Logger | None = None,
                 interval: float = DEFAULT_INTERVAL, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(interval, bool) or not isinstance(interval,
                                                        (int, float)):
            raise TypeError("interval must be a number of seconds")
        if not interval >= 0:
            raise ValueError("interval must not be negative")
        self.logger = logger if logger is not None else logging.getLogger(
            "payhook")
        self.interval = float(interval)
        self._clock = clock
        self._lock = threading.Lock()
        # kind -> [start of its window, events counted but not logged,
        #          the level of the last of them]
        self._windows: dict[str, list[Any]] = {}

    def log(self, kind: str, level: int, message: str, *args: Any) -> None:
        """Log one event of ``kind``, or count it if one was logged in the
        current interval."""
        now = self._clock()
        with self._lock:
            window = self._windows.get(kind)
            if window is not None and now - window[0] < self.interval:
                window[1] += 1
                window[2] = max(window[2], level)
                return
            quiet = window[1] if window is not None else 0
            quiet_level = window[2] if window is not None else level
            self._windows[kind] = [now, 0, logging.NOTSET]
        if quiet:
            self._summary(kind, quiet, quiet_level)
        self.logger.log(level, message, *args)

    def flush(self) -> None:
        """Log the counts not logged yet, and start every kind afresh."""
        with self._lock:
            pending = [(kind, w[1], w[2]) for kind, w in self._windows.items()
                       if w[1]]
            self._windows.clear()
        for kind, quiet, level in pending:
            self._summary(kind, quiet, level)

    def _summary(self, kind: str, quiet: int, level: int) -> None:
        self.logger.log(level, "payhook: %d more %s not logged one by one "
                        "(at most one a kind every %g s)", quiet, kind,
                        self.interval)
