"""A pytest plugin for the compatibility suite: each test's outcome.

Loaded with ``-p pyjwt_outcomes`` into the pytest that runs PyJWT's tests;
writes ``{"outcomes": {node id: "passed" | "failed" | "skipped"},
"modules": {...}}`` as JSON to the file named by PAYHOOK_PYJWT_OUTCOMES,
"modules" saying which files ``jwt`` and ``payhook.jwt`` were.  A test
fails if any of its phases (setup, call, teardown) failed.
"""

from __future__ import annotations

import json
import os
from typing import Any

_outcomes: dict[str, str] = {}


def pytest_runtest_logreport(report: Any) -> None:
    seen = _outcomes.get(report.nodeid)
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped and seen != "failed":
        _outcomes[report.nodeid] = "skipped"
    elif report.when == "call" and seen is None:
        _outcomes[report.nodeid] = "passed"


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    import jwt
    import payhook.jwt

    path = os.environ.get("PAYHOOK_PYJWT_OUTCOMES")
    if path:
        # Which modules the tests really ran against.
        modules = {"jwt": jwt.__file__, "payhook.jwt": payhook.jwt.__file__}
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"outcomes": _outcomes, "modules": modules}, f,
                      indent=1, sort_keys=True)
