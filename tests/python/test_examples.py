"""The example apps (examples/flask_app.py, fastapi_app.py, django_app.py)
as written: each driven by its framework's test client, and each started
the way its docstring says and sent real HTTP requests on 127.0.0.1.

Every one gets the example callbacks of examples/callbacks/ with their demo
keys: a payout is recorded once however often it comes, a forged one is
401, a callback without an event id 422, a GET 405.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# Not in the ASan+UBSan run of scripts/test (the apps run in processes of their own);
# the plain run has them.
pytestmark = pytest.mark.slow

from conftest import REPO, free_port, make_token, require_module

EXAMPLES = REPO / "examples"
CALLBACKS = EXAMPLES / "callbacks"


def demo_keys() -> dict[str, str]:
    keys = {}
    for line in (CALLBACKS / "keys.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            keys[name] = value
    return keys


KEYS = demo_keys()
LEANX = (CALLBACKS / "leanx-payout.json").read_bytes()
SUPERPAY = (CALLBACKS / "superpay-payout.json").read_bytes()
FORGED = json.dumps({"data": make_token(
    {"output": {"invoice_no": "INV-FORGED", "invoice_status": "SUCCESS",
                "amount": "9999.00"}}, "an attacker's key"),
    "response_code": 2100}).encode()

# (name, method, path, body) and the status each must get.
CASES = [
    ("leanx", "POST", "/callbacks/leanx", LEANX, 200),
    ("leanx again", "POST", "/callbacks/leanx", LEANX, 200),
    ("superpay", "POST", "/callbacks/superpay", SUPERPAY, 200),
    ("superpay again", "POST", "/callbacks/superpay", SUPERPAY, 200),
    ("leanx forged", "POST", "/callbacks/leanx", FORGED, 401),
    ("superpay garbage", "POST", "/callbacks/superpay",
     b'{"encryptedData": "00"}', 401),
    ("superpay without an event id", "POST", "/callbacks/superpay",
     (CALLBACKS / "superpay-vendor-sample.json").read_bytes(), 422),
    ("leanx again, later", "POST", "/callbacks/leanx", LEANX, 200),
    ("GET", "GET", "/callbacks/leanx", b"", 405),
]
PAYOUTS = [("leanx", "17254613886HGPiuRu", "SUCCESS", "13.00"),
           ("superpay", "10025", "to confirm", "1")]


def app_env(root: Path) -> dict[str, str]:
    return {**KEYS, "PAYHOOK_GUARD_DB": str(root / "guard.sqlite3"),
            "SHOP_DB": str(root / "shop.sqlite3"),
            "ALLOWED_HOSTS": "testserver,127.0.0.1"}


def check(root: Path, got: dict[str, int]) -> None:
    assert got == {name: status for name, _, _, _, status in CASES}
    with sqlite3.connect(root / "shop.sqlite3") as conn:
        rows = conn.execute("SELECT * FROM payouts ORDER BY gateway")
        assert [tuple(r) for r in rows] == PAYOUTS


def load(name: str, monkeypatch, root: Path):
    for k, v in app_env(root).items():
        monkeypatch.setenv(k, v)
    spec = importlib.util.spec_from_file_location(f"example_{name}",
                                                  EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------
# Through the test clients


def test_flask_example(monkeypatch, tmp_path):
    require_module("flask")
    client = load("flask_app", monkeypatch, tmp_path).app.test_client()
    got = {}
    for name, method, path, body, _ in CASES:
        r = client.open(path, method=method, data=body or None,
                        content_type="application/json")
        got[name] = r.status_code
    check(tmp_path, got)


def test_fastapi_example(monkeypatch, tmp_path):
    require_module("fastapi")
    from fastapi.testclient import TestClient

    client = TestClient(load("fastapi_app", monkeypatch, tmp_path).app)
    got = {}
    for name, method, path, body, _ in CASES:
        r = client.request(method, path, content=body or None)
        got[name] = r.status_code
    check(tmp_path, got)


DJANGO_RUNNER = r"""
import base64, json, sys

sys.path.insert(0, sys.argv[1])
import django_app          # configures the settings, ROOT_URLCONF itself
import django
django.setup()
from django.test import Client

client = Client(enforce_csrf_checks=True)
got = {}
for name, method, path, body in json.loads(sys.stdin.read()):
    if method == "GET":
        got[name] = client.get(path).status_code
    else:
        got[name] = client.post(path, data=base64.b64decode(body),
                                content_type="application/json").status_code
print(json.dumps(got))
"""


def test_django_example(tmp_path):
    require_module("django")
    cases = [(n, m, p, base64.b64encode(b).decode()) for n, m, p, b, _ in
             CASES]
    proc = subprocess.run([sys.executable, "-c", DJANGO_RUNNER,
                           str(EXAMPLES)], input=json.dumps(cases),
                          cwd=tmp_path, env={**os.environ,
                                             **app_env(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    check(tmp_path, json.loads(proc.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------------------
# As the docstrings say to run them, with real HTTP


def http(port: int, method: str, path: str, body: bytes) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 data=body if method == "POST" else None,
                                 method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def serve(command: list[str], port: int, root: Path) -> dict[str, int]:
    log = root / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=root, stdout=out,
                                stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL,
                                env={**os.environ, **app_env(root),
                                     "PORT": str(port)})
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                http(port, "GET", "/", b"")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.1)
        return {name: http(port, method, path, body)
                for name, method, path, body, _ in CASES}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("example,module,args", [
    ("flask_app", "flask", []),
    ("fastapi_app", "uvicorn", []),
    ("django_app", "django", ["runserver", "127.0.0.1:{port}", "--noreload"]),
])
def test_example_runs_as_written(example, module, args, tmp_path):
    require_module(module)
    port = free_port()
    command = [sys.executable, str(EXAMPLES / f"{example}.py"),
               *[a.format(port=port) for a in args]]
    check(tmp_path, serve(command, port, tmp_path))
