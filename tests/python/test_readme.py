"""Every Python code block of README.md, and the Lua blocks of
bindings/lua/README.md, run as a reader would paste them (the Lua snippet
that reads `body` and LEANX_HASH_KEY with good and forged bodies, the
others as scripts).

* A block that builds a Flask app is imported as a module and driven by
  Flask's test client; one that defines Django views and ``urlpatterns``
  is driven by Django's test client in a process of its own (Django's
  settings are per process).  A good callback must get 200 (and, sent
  again, 200 without the merchant's code running twice), a forged one
  401, and nothing may get 500.  Each gets a replay guard file of its own
  (PAYHOOK_GUARD_DB).
* Any other Python block is run as a script, and must not raise.
* A block that cannot run on its own is marked by the line just above its
  fence: ``<!-- not run: <why> -->``.  It must still compile, and there
  may be at most one such block: a fragment is the exception.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO, make_token, superpay_body

README = REPO / "README.md"
LUA_README = REPO / "bindings" / "lua" / "README.md"

LEANX_KEY = "5e" * 64                      # 128 hex characters, as text
SUPERPAY_KEY = "Vb3kR8nQ2xT7mW4zL9pC6hJ1sD5fG0aY"
KEYS = {"LEANX_HASH_KEY": LEANX_KEY, "SUPERPAY_SYMMETRIC_KEY": SUPERPAY_KEY}

LEANX_PAYLOAD = {"output": {"invoice_no": "INV-2024-0001",
                            "invoice_status": "SUCCESS", "amount": "13.00"},
                 "response_code": 2100}
SUPERPAY_PAYLOAD = {"message": "Success",
                    "data": {"status": "SUCCESS",
                             "transaction": {"id": 10025,
                                             "amountWithdraw": 3.1025}}}

MARK = re.compile(r"^<!--\s*not run:\s*(?P<why>.+?)\s*-->$")


@dataclass
class Block:
    path: Path
    line: int          # of the opening fence, 1-based
    lang: str
    code: str
    not_run: str | None

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def fenced_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(`{3,})\s*([\w+-]*)", lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(1), m.group(2).lower(), i
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        assert i < len(lines), f"{path}:{start + 1}: unclosed code block"
        i += 1
        above = next((lines[j].strip() for j in range(start - 1, -1, -1)
                      if lines[j].strip()), "")
        mark = MARK.match(above)
        blocks.append(Block(path, start + 1, lang, "\n".join(body) + "\n",
                            mark.group("why") if mark else None))
    return blocks


PY_BLOCKS = [b for b in fenced_blocks(README) if b.lang in ("python", "py")]
LUA_BLOCKS = [b for b in fenced_blocks(LUA_README) if b.lang == "lua"]


def kind(block: Block) -> str:
    if block.not_run is not None:
        return "not run"
    if re.search(r"^\s*from flask import", block.code, re.M):
        return "flask"
    if re.search(r"^\s*from django\.", block.code, re.M):
        return "django"
    return "script"


def by_kind(name: str) -> list[Block]:
    return [b for b in PY_BLOCKS if kind(b) == name]


def block_id(block: Block) -> str:
    return f"{block.where}({kind(block)})"


# ---------------------------------------------------------------------------
# Callback bodies (built without payhook)


def leanx_body(key: str = LEANX_KEY, payload=LEANX_PAYLOAD,
               header: dict | None = None) -> bytes:
    return json.dumps({"data": make_token(payload, key, header=header),
                       "response_code": 2100}).encode()


GOOD = {
    "leanx": leanx_body(),
    "superpay": superpay_body(SUPERPAY_PAYLOAD, SUPERPAY_KEY).encode(),
}
FORGED = {
    "leanx wrong key": ("leanx", leanx_body("f" * 128)),
    "leanx alg none": ("leanx", leanx_body(header={"alg": "none"})),
    "leanx not a callback": ("leanx", b'{"hello": "world"}'),
    "leanx empty": ("leanx", b""),
    "superpay wrong key": ("superpay", superpay_body(
        SUPERPAY_PAYLOAD, "Z" * 32).encode()),
    "superpay not hex": ("superpay", b'{"encryptedData": "zz"}'),
    "superpay empty": ("superpay", b""),
}
# Authentic bodies (right key) whose payload is not a payout callback: a
# handler refuses them with a 4xx, never a 500.
ODD = {
    "leanx payload without output": ("leanx", leanx_body(
        payload={"response_code": 2100})),
    "superpay payment-creation response": ("superpay", superpay_body(
        {"data": {"paymentUrl": "https://example.invalid/pay",
                  "transactionId": "10556"}}, SUPERPAY_KEY).encode()),
    "superpay data not an object": ("superpay", superpay_body(
        {"data": [1, 2]}, SUPERPAY_KEY).encode()),
}


# ---------------------------------------------------------------------------
# What the README holds


def test_readme_has_the_framework_blocks():
    assert len(by_kind("flask")) == 1, [b.where for b in PY_BLOCKS]
    assert len(by_kind("django")) == 1, [b.where for b in PY_BLOCKS]


def test_blocks_not_run_are_few_and_say_why():
    marked = by_kind("not run")
    assert len(marked) <= 1, [b.where for b in marked]
    for b in marked:
        assert len(b.not_run.split()) >= 4, f"{b.where}: give a reason"
        compile(b.code, b.where, "exec")


def test_lua_readme_has_a_runnable_block():
    assert [b for b in LUA_BLOCKS if b.not_run is None]


# ---------------------------------------------------------------------------
# Plain Python blocks


def test_every_other_python_block_runs(tmp_path):
    """The API examples, the FastAPI app (which drives itself with
    FastAPI's test client) and the replay guard's examples, each in a
    fresh directory."""
    for block in by_kind("script"):
        proc = subprocess.run([sys.executable, "-c", block.code],
                              cwd=tmp_path, env=dict(os.environ, **KEYS),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{block.where}:\n{proc.stderr}"


# ---------------------------------------------------------------------------
# Flask


def load_module(block: Block, name: str, monkeypatch,
                guard_db: Path) -> types.ModuleType:
    for k, v in KEYS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("PAYHOOK_GUARD_DB", str(guard_db))
    module = types.ModuleType(name)
    module.__file__ = str(block.path)
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(block.code, block.where, "exec"), module.__dict__)
    return module


@pytest.fixture(params=by_kind("flask"), ids=block_id)
def flask_app(request, monkeypatch, tmp_path):
    from flask import Flask

    module = load_module(request.param, "readme_flask_app", monkeypatch,
                         tmp_path / "payhook-guard.sqlite3")

    apps = [v for v in vars(module).values() if isinstance(v, Flask)]
    assert len(apps) == 1, f"{request.param.where}: one Flask app expected"
    apps[0].testing = True
    return module, apps[0]


def post(client, provider: str, body: bytes):
    return client.post(f"/callbacks/{provider}", data=body,
                       content_type="application/json")


def test_flask_block_as_pasted_accepts_good_callbacks(flask_app):
    _, app = flask_app
    routes = {r.rule for r in app.url_map.iter_rules()}
    assert {"/callbacks/leanx", "/callbacks/superpay"} <= routes
    client = app.test_client()
    for provider, body in GOOD.items():
        r = post(client, provider, body)
        assert r.status_code == 200, (provider, r.get_data())


def test_flask_block_refuses_forged_callbacks(flask_app):
    _, app = flask_app
    client = app.test_client()
    for name, (provider, body) in FORGED.items():
        r = post(client, provider, body)
        assert r.status_code == 401, (name, r.status_code)


def test_flask_block_never_answers_500(flask_app):
    _, app = flask_app
    client = app.test_client()
    for name, (provider, body) in ODD.items():
        r = post(client, provider, body)
        assert 400 <= r.status_code < 500, (name, r.status_code)
    assert client.get("/callbacks/leanx").status_code == 405


def test_flask_block_hands_the_payout_to_the_merchant(flask_app):
    """The placeholders the merchant fills in get the right values, and
    only for callbacks that verified."""
    module, app = flask_app
    calls = []
    module.record_payout = lambda *a: calls.append(("leanx", *a))
    module.schedule_status_check = lambda *a: calls.append(("superpay", *a))
    client = app.test_client()
    for name, (provider, body) in {**FORGED, **ODD}.items():
        post(client, provider, body)
    assert calls == []
    for _ in range(3):          # the gateway's retries, or a replay
        for provider, body in GOOD.items():
            assert post(client, provider, body).status_code == 200
    assert calls == [("leanx", "INV-2024-0001", "SUCCESS"),
                     ("superpay", 10025)]


# ---------------------------------------------------------------------------
# Django, in a process of its own

DJANGO_RUNNER = r"""
import base64, json, sys, types

import django
from django.conf import settings

request = json.load(sys.stdin)
block, where, cases = request["block"], request["where"], request["cases"]
settings.configure(
    DEBUG=False, SECRET_KEY="readme-test-only", ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF="readme_django_app",
    MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
    INSTALLED_APPS=[], DATABASES={})
django.setup()
module = types.ModuleType("readme_django_app")
sys.modules[module.__name__] = module
exec(compile(block, where, "exec"), module.__dict__)
calls = []
module.record_payout = lambda *a: calls.append(["leanx", *a])
module.schedule_status_check = lambda *a: calls.append(["superpay", *a])

from django.test import Client

client = Client(enforce_csrf_checks=True)
out = {}
for name, (method, path, body) in cases.items():
    if method == "GET":
        r = client.get(path)
    else:
        r = client.post(path, data=base64.b64decode(body),
                        content_type="application/json")
    out[name] = r.status_code
out["calls"] = calls
print(json.dumps(out))
"""


@pytest.mark.parametrize("block", by_kind("django"), ids=block_id)
def test_django_block(block, tmp_path):
    cases = {}
    for provider, body in GOOD.items():
        cases[f"good {provider}"] = ("POST", f"/callbacks/{provider}", body)
    for provider, body in GOOD.items():
        cases[f"again {provider}"] = ("POST", f"/callbacks/{provider}", body)
    for name, (provider, body) in {**FORGED, **ODD}.items():
        cases[name] = ("POST", f"/callbacks/{provider}", body)
    cases["GET"] = ("GET", "/callbacks/leanx", b"")
    request = {"block": block.code, "where": block.where,
               "cases": {k: (m, p, base64.b64encode(b).decode())
                         for k, (m, p, b) in cases.items()}}
    env = dict(os.environ, **KEYS,
               PAYHOOK_GUARD_DB=str(tmp_path / "payhook-guard.sqlite3"))
    proc = subprocess.run([sys.executable, "-c", DJANGO_RUNNER],
                          input=json.dumps(request), cwd=tmp_path,
                          env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"{block.where}:\n{proc.stderr}"
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got.pop("calls") == [["leanx", "INV-2024-0001", "SUCCESS"],
                                ["superpay", 10025]]
    for provider in GOOD:
        assert got.pop(f"good {provider}") == 200, (provider, proc.stderr)
        assert got.pop(f"again {provider}") == 200, (provider, proc.stderr)
    assert got.pop("GET") == 405
    for name in FORGED:
        assert got.pop(name) == 401, (name, proc.stderr)
    for name, status in got.items():
        assert 400 <= status < 500, (name, status, proc.stderr)


# ---------------------------------------------------------------------------
# Lua: the snippet of bindings/lua/README.md, with the names it leaves to
# its surroundings (body, LEANX_HASH_KEY, and ngx.exit as in OpenResty)


LUA_RUNNER = r"""
local code = assert(io.open(arg[1], "rb")):read("*a")
body = assert(io.open(arg[2], "rb")):read("*a")
LEANX_HASH_KEY = os.getenv("LEANX_HASH_KEY")
ngx = { exit = function(status) print("ngx.exit " .. status) end }
local chunk = assert((loadstring or load)(code, "=" .. arg[3]))
chunk()
"""


# Each interpreter, and where `make lua` puts its payhook/core.so.
LUA_INTERPRETERS = [("lua5.4", "lua54"), ("luajit", "luajit")]


@pytest.fixture(scope="module")
def lua_modules():
    """payhook.core for both interpreters, built as `make lua` builds it.
    The sanitizer preload of the ASan run is not passed to make or Lua."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    for tool in ("make", "lua5.4", "luajit"):
        assert shutil.which(tool), f"{tool} is missing (scripts/install-deps test)"
    proc = subprocess.run(["make", "-s", "lua"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return env


@pytest.mark.parametrize("interp,build", LUA_INTERPRETERS,
                         ids=[i for i, _ in LUA_INTERPRETERS])
@pytest.mark.parametrize("block", [b for b in LUA_BLOCKS if b.not_run is None],
                         ids=block_id)
def test_lua_block(block, interp, build, lua_modules, tmp_path):
    (tmp_path / "snippet.lua").write_text(block.code, encoding="utf-8")
    (tmp_path / "runner.lua").write_text(LUA_RUNNER, encoding="utf-8")
    env = dict(lua_modules, LEANX_HASH_KEY=LEANX_KEY,
               LUA_PATH=f"{REPO}/bindings/lua/?.lua;;",
               LUA_CPATH=f"{REPO}/build/{build}/?.so;;")

    def run(body: bytes) -> str:
        (tmp_path / "body").write_bytes(body)
        proc = subprocess.run(
            [interp, str(tmp_path / "runner.lua"), str(tmp_path / "snippet.lua"),
             str(tmp_path / "body"), block.where],
            env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{block.where}:\n{proc.stderr}"
        return proc.stdout

    if "LEANX_HASH_KEY" not in block.code:
        # A self-contained example (it signs its own callbacks): it runs
        # to the end, its asserts holding.
        run(b"")
        return
    assert run(GOOD["leanx"]) == "INV-2024-0001\n"
    for name, (provider, body) in FORGED.items():
        if provider == "leanx":
            assert run(body) == "ngx.exit 401\n", name
