"""The package type-checks under mypy --strict, and so does code using it:
the stubs say what the runtime does."""

import subprocess
import sys
import textwrap

import pytest

import payhook

pytest.importorskip("mypy", reason="mypy is installed by scripts/install-deps "
                    "test")


def mypy(*args):
    """mypy in its own process: it is a large program of its own, and what
    it leaves behind at exit is not ours to account for (the sanitizer run
    checks this process for leaks)."""
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict",
                           "--no-incremental", *args], capture_output=True,
                          text=True, check=False)
    return proc.stdout, proc.stderr, proc.returncode

USER_CODE = textwrap.dedent('''
    import decimal
    from typing import Any
    import payhook
    from payhook import jwt

    def handle(body: bytes, key: str) -> str:
        try:
            payload: dict[str, Any] = payhook.leanx.decode(body, key)
        except payhook.InvalidSignatureError as e:
            err: ValueError = e
            return str(err)
        except jwt.PyJWTError:
            return "rejected"
        d = payhook.superpay.Decoder(key, parse_float=decimal.Decimal)
        other: dict[str, Any] = d.decode(body)
        raw: bytes = payhook.superpay.decrypt(body, key)
        token: str = jwt.encode({"a": 1}, key)
        claims: dict[str, Any] = jwt.decode(token, key, ["HS256"],
                                            leeway=5, now=1.0)
        return str(payload) + str(other) + str(raw) + str(claims)

    def rotate(body: bytes, token: str, old: str, new: str,
               raw_old: bytes, raw_new: bytes) -> list[dict[str, Any]]:
        # Rotation keys: any sequence of str or bytes.
        texts: list[str] = [old, new]
        raws: tuple[bytes, ...] = (raw_old, raw_new)
        mixed: tuple[str, bytes] = (old, raw_new)
        out = [payhook.leanx.decode(body, texts),
               payhook.leanx.decode(body, raws),
               payhook.leanx.Decoder(texts).decode(body),
               payhook.leanx.Decoder(raws, leeway=1).decode(body),
               jwt.decode(token, texts, ["HS256"]),
               jwt.decode(token, raws, "HS256"),
               jwt.decode(token, mixed, algorithms=("HS256", "HS512")),
               jwt.Decoder(texts, ["HS256"]).decode(token),
               jwt.Decoder(raws, "HS256").decode(token, now=1.0)]
        return out
''')

# The replay guard and the framework helpers, as a merchant types them
# (the helpers' frameworks are not needed to type-check this).
GUARD_USER_CODE = textwrap.dedent('''
    import sqlite3
    from typing import Any

    import payhook
    import payhook.django
    import payhook.fastapi
    import payhook.flask
    from payhook.guard import (RedisStore, ReplayGuard, SQLiteStore, Store,
                               inbox_record, inbox_schema)

    def handle(result: payhook.Result, conn: sqlite3.Connection) -> bool:
        store: Store = SQLiteStore("guard.sqlite3")
        guard = ReplayGuard(store, lease=30, retention=86400.0)
        with guard.once(result) as first:
            ran: bool = first
        conn.execute(inbox_schema("sqlite"))
        fresh: bool = inbox_record(conn, result)
        pruned: int = SQLiteStore("guard.sqlite3").prune()
        other: Store = RedisStore("redis://127.0.0.1:6379/0")
        return ran and fresh and pruned >= 0 and other is not store

    def views(guard: ReplayGuard) -> list[Any]:
        flask_view = payhook.flask.callback("stripe", "whsec_x",
                                            guard=guard)(lambda r: None)
        django_view = payhook.django.callback(
            "leanx", ["old", "new"], expect={"amount": "1.00"})(
                lambda request, r: None)
        dependency = payhook.fastapi.callback("chip", "pem",
                                              tolerance=60)
        return [flask_view, django_view, dependency]
''')

# A handler written against PyJWT: it picks the key by the token's kid
# (get_unverified_header), then verifies with decode_complete, PyJWT's
# options and classes, and catches PyJWT's exceptions.
PYJWT_HANDLER = textwrap.dedent('''
    from typing import Any, Optional
    import warnings
    from payhook import jwt

    KEYS: dict[str, bytes] = {"2024-07": b"k" * 32, "2024-01": b"o" * 32}

    def handle(token: str) -> tuple[int, Optional[dict[str, Any]]]:
        try:
            header: dict[str, Any] = jwt.get_unverified_header(token)
            key = KEYS[str(header.get("kid", ""))]
            options: jwt.Options = {"require": ["exp", "sub"],
                                    "verify_aud": True}
            decoded: dict[str, Any] = jwt.decode_complete(
                token, key, algorithms=["HS256", "HS512"], options=options,
                audience="payhook", leeway=5)
        except KeyError:
            return 401, None
        except jwt.ExpiredSignatureError:
            return 401, {"error": "expired"}
        except jwt.MissingRequiredClaimError as e:
            claim: str = e.claim
            return 401, {"missing": claim}
        except jwt.InvalidTokenError:
            return 401, None
        payload: dict[str, Any] = decoded["payload"]
        signature: bytes = decoded["signature"]
        return 200, {"sub": payload["sub"], "mac": signature.hex(),
                     "alg": decoded["header"]["alg"]}

    def issue(sub: str) -> str:
        return jwt.encode({"sub": sub, "aud": "payhook"}, KEYS["2024-07"],
                          algorithm="HS256", headers={"kid": "2024-07"})

    def with_classes(token: str, raw: bytes) -> bytes:
        verifier = jwt.PyJWT(options={"verify_iat": False})
        claims: dict[str, Any] = verifier.decode(token, KEYS["2024-07"],
                                                 algorithms="HS256",
                                                 audience=["payhook"])
        jws = jwt.PyJWS(algorithms=["HS512"])
        signed: str = jws.encode(raw, KEYS["2024-01"], algorithm="HS512")
        out: bytes = jws.decode(signed, KEYS["2024-01"], algorithms=["HS512"])
        complete: dict[str, Any] = jws.decode_complete(
            signed, KEYS["2024-01"], algorithms=["HS512"])
        again: bytes = complete["payload"]
        with warnings.catch_warnings():
            warnings.simplefilter("error", jwt.InsecureKeyLengthWarning)
            jwt.decode(token, KEYS["2024-07"], ["HS256"], audience="payhook")
        return out + str(claims).encode() + again

    def prepared(token: str) -> dict[str, Any]:
        d = jwt.Decoder(KEYS["2024-07"], ["HS256"], audience="payhook")
        whole: dict[str, Any] = d.decode_complete(token, now=1.0)
        return whole
''')

# Code that misuses the new API: mypy must refuse it.
BAD_PYJWT_HANDLER = textwrap.dedent('''
    from payhook import jwt

    def wrong(token: str) -> int:
        header = jwt.get_unverified_header(token)
        n: int = jwt.decode_complete(token, b"k", ["HS256"])
        return n + len(header)
''')

# Code that must not type-check: what the runtime refuses.
BAD_USER_CODE = textwrap.dedent('''
    import payhook

    def keys_are_not_ints(body: bytes) -> object:
        return payhook.leanx.decode(body, [1, 2])
''')


def test_package_passes_mypy_strict():
    # -p finds the installed, py.typed package (stubs of the native module
    # included), as a user's type checker would.
    out, err, status = mypy("-p", "payhook")
    assert status == 0, out + err


def test_user_code_type_checks(tmp_path):
    path = tmp_path / "user.py"
    path.write_text(USER_CODE)
    out, err, status = mypy(str(path))
    assert status == 0, out + err


def test_guard_and_helper_user_code_type_checks(tmp_path):
    path = tmp_path / "guard_user.py"
    path.write_text(GUARD_USER_CODE)
    out, err, status = mypy(str(path))
    assert status == 0, out + err


def test_user_code_with_wrong_key_types_does_not_type_check(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text(BAD_USER_CODE)
    out, err, status = mypy(str(path))
    assert status == 1, out + err
    assert 'incompatible type "int"; expected "str | bytes"' in out, out


def test_rotation_types_in_user_code_work_at_runtime():
    # The shapes the typed user code passes, run for real.
    from conftest import make_token

    old, new = "typing-old-key", "typing-new-key"
    token = make_token({"v": 1}, new)
    for keys in ([old, new], (old.encode(), new.encode()),
                 (old, new.encode())):
        assert payhook.leanx.decode(token, keys) == {"v": 1}
        assert payhook.jwt.Decoder(keys, ["HS256"]).decode(token) == {"v": 1}


def test_pyjwt_style_handler_type_checks(tmp_path):
    path = tmp_path / "handler.py"
    path.write_text(PYJWT_HANDLER)
    out, err, status = mypy(str(path))
    assert status == 0, out + err


def test_pyjwt_style_handler_misuse_does_not_type_check(tmp_path):
    path = tmp_path / "bad_handler.py"
    path.write_text(BAD_PYJWT_HANDLER)
    out, err, status = mypy(str(path))
    assert status == 1, out + err
    assert 'Incompatible types in assignment (expression has type ' \
           '"dict[str, Any]", variable has type "int")' in out, out


def test_pyjwt_style_handler_runs():
    # The typed handler above, run for real against payhook.jwt.
    space: dict = {}
    exec(compile(PYJWT_HANDLER, "handler.py", "exec"), space)
    token = space["issue"]("user-1")
    assert space["handle"](token) == (401, {"missing": "exp"})
    exp = payhook.jwt.encode(
        {"sub": "user-1", "aud": "payhook", "exp": 4_000_000_000},
        b"k" * 32, headers={"kid": "2024-07"})
    status, body = space["handle"](exp)
    assert status == 200 and body["sub"] == "user-1" and body["alg"] == "HS256"
    stale = payhook.jwt.encode({"sub": "u", "aud": "payhook", "exp": 1},
                               b"k" * 32, headers={"kid": "2024-07"})
    assert space["handle"](stale) == (401, {"error": "expired"})
    assert space["handle"](exp.replace("eyJ", "eyK", 1))[0] == 401
    assert space["with_classes"](token, b"raw").startswith(b"raw")
    assert space["prepared"](token)["payload"]["sub"] == "user-1"


def test_stub_exception_bases_match_runtime():
    # The exceptions are plain Python classes; their bases are what mypy
    # sees, so checking the runtime hierarchy checks the typing too.
    assert issubclass(payhook.InvalidSignatureError, payhook.DecodeError)
    assert issubclass(payhook.DecodeError, payhook.InvalidTokenError)
    assert issubclass(payhook.PayhookError, ValueError)
    assert subprocess.run([sys.executable, "-c", "import payhook"],
                          check=False).returncode == 0
