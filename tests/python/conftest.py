"""Shared helpers for payhook's pytest suite.

The helpers build tokens and ciphertexts with the standard library (and
the ``cryptography`` package where AES is needed), never with payhook
itself, so a test never checks payhook against its own output unless it
says so.  Test modules import them with ``from conftest import ...``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VECTORS = REPO / "tests" / "vectors"


# The public conformance data (Wycheproof, RFC 7515, RFC 7520), kept in the
# repository; tests/vectors/conformance/README.md says where it came from.
SHARED_VECTORS = VECTORS / "conformance"
SHARED_VECTOR_FILES = (
    "wycheproof/aes_cbc_pkcs5_test.json",
    "wycheproof/hmac_sha256_test.json",
    "wycheproof/hmac_sha384_test.json",
    "wycheproof/hmac_sha512_test.json",
    "jwt_rfc_vectors.json",
    "rfc7520/4_4.hmac-sha2_integrity_protection.json",
)


def missing_vector_files() -> list[Path]:
    """The conformance files that are not there (none in a checkout)."""
    return [SHARED_VECTORS / name for name in SHARED_VECTOR_FILES
            if not (SHARED_VECTORS / name).is_file()]


def pytest_sessionstart(session: pytest.Session) -> None:
    """A missing data file stops the run, naming the file: no test that
    needs it may be skipped or quietly left out."""
    missing = missing_vector_files()
    if missing:
        raise pytest.UsageError(
            "test data missing: " + ", ".join(str(p) for p in missing))

# Lines a test asks to have printed at the end of the run, whatever pytest's
# verbosity (the PyJWT compatibility suite's counts).
SUMMARY_LINES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in SUMMARY_LINES:
        terminalreporter.write_line(line)


# True when the suite runs against the ASan+UBSan build of the extension
# (scripts/test sets it): RSS numbers are meaningless under ASan.
UNDER_ASAN = os.environ.get("PAYHOOK_EXPECT_ASAN") == "1"

# The vendor's SuperPay sample: key, ciphertext and what it decrypts to.
SUPERPAY_VENDOR_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"
SUPERPAY_VENDOR_HEX = (
    "e4e9ac1120ed867a7af108af8b1ab918cbec6db7b4d7c29908085a73e2b29e97"
    "547da6eae91928b3330241f1fb898eebd8c3355105fdd5c68b6ceea761f41dc3"
    "085ed888d3c0473beef128ebd208c4f60299df64a622d04d21d81513c02e2d47"
    "bfcce2a6c246eabcc1c823aaf3d9133004cf7c4c08236395a05dc19a98c33a30"
    "1c8b73d4e7fd33cd911619de86dfdb45"
)
SUPERPAY_VENDOR_PAYLOAD = {
    "data": {
        "paymentUrl": "https://api.gggpay.org/checkout/payment?orderId="
                      "4cdcd4e7a712071ef54f83780b8bbd40",
        "transactionId": "10556",
    }
}

# The token of the LeanX vendor page ("before decode"); its key was never
# published, so it can be parsed but must never verify.
LEANX_VENDOR_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJvdXRwdXQiOnsiaW52b2ljZV9ubyI6"
    "IjE3MjU0NjEzODg2SEdQaXVSdSIsImVycm9yX2Rlc2NyaXB0aW9uIjpbXSwiYmFua19y"
    "ZXNwb25zZSI6eyJTdWNjZXNzIjp0cnVlLCJSZXN1bHQiOnsiT3JnbkZyb21BY2NvdW50"
    "Q3VycmVuY3kiOiJNWVIiLCJPcmduVGhpcmRQYXJ0eUFjY291bnRObyI6IjExNDA4NTgy"
    "NjUwOSIsIk9yZ25QYXltZW50RGVzY3JpcHRpb24iOiI2NmQ4NzM4YzJjMjNmIiwiQml6"
    "TXNnSUQiOiIyMDI0MDkwNE9DQkNNWUtMMDEwT0NCODk1NTA0OTEiLCJEaXNwbGF5TmFt"
    "ZSI6IkFaUlVMIEFOVUFSIEJJTiBEVUwiLCJCYW5rUmVmZXJlbmNlTm8iOiIyMDI0MDkw"
    "NDIyNDk0ODU0ODMzOCIsIk9yZ25UcmFuc2FjdGlvbkFtb3VudCI6IjEuMCIsIkZyb21B"
    "Y2NvdW50Tm8iOiI3OTAxMTA2MjQ4IiwiUGF5bWVudFN0YXR1cyI6IkFDU1AiLCJPcmdu"
    "VGhpcmRQYXJ0eUJhbmtCSUNDb2RlIjoiTUJCRU1ZS0wiLCJPcmduQ3VycmVuY3kiOiJN"
    "WVIiLCJPcmduUmVjaXBpZW50UmVmZXJlbmNlIjoiUk0xIEZvcmV2ZXIifX0sImNsaWVu"
    "dF9kYXRhIjp7InZpcnR1YWxfcG9vbF9yZWZlcmVuY2UiOiJQQVlPVVQtNUMxRToyMjQ5"
    "NDctTEVBTlgiLCJleHRlcm5hbF9pbnZvaWNlX3JlZiI6IlRFU1RJTkctUEFZT1VULTAy"
    "IiwicmVjaXBpZW50X3JlZmVyZW5jZSI6IlJNMSBGb3JldmVyIn0sImludm9pY2Vfc3Rh"
    "dHVzX2lkIjoyLCJpbnZvaWNlX3N0YXR1cyI6IlNVQ0NFU1MiLCJhbW91bnQiOiIxLjAw"
    "IiwicGF5b3V0X3NlcnZpY2VfaWQiOjc3LCJjbGllbnRfY2FsbGJhY2tfdXJsIjoiaHR0"
    "cHM6Ly9hcGkubGVhbnguaW8vYXBpL3YxL2NhbGxiYWNrLXVybC9jYWxsYmFjay1yZWRp"
    "cmVjdD9fdXVpZD03OTk0MTFlOC0zYTZjLTQ4YmYtYmM0NS05ZWQ5MWJjZWQ2MmQiLCJj"
    "bGllbnRfdHJhbnNhY3Rpb25fZGV0YWlscyI6bnVsbCwicGF5b3V0X3BheW1lbnQiOnsi"
    "aXRlbSI6eyJiYWxhbmNlIjoiNy4wMCIsInZpcnR1YWxfcG9vbF9yZWZlcmVuY2UiOiJW"
    "QS0yRkRCNUMtMTkzNDIwNDM5NTUwLVBBWU9VVCIsInJlY29yZF9zdGF0dXNfaWQiOjEs"
    "InZpcnR1YWxfcG9vbF9jb2xsZWN0aW9uX3R5cGVfaWQiOjEsImNyZWF0ZWRfYXQiOiIy"
    "MDIzLTAzLTE2VDA0OjQyOjAzLjAwMDAwMFoiLCJ1cGRhdGVkX2F0IjoiMjAyNC0wOS0w"
    "NFQxNDo0OTo1MS4wMDAwMDBaIiwidmlydHVhbF9wb29sX2FsaWFzIjoiTEVBTlggUEFZ"
    "T1VUIiwidmlydHVhbF9wb29sX3RyYW5zYWN0aW9uX2Ftb3VudCI6IjEuMDAiLCJwYXlv"
    "dXRfcGF5bWVudF9hbW91bnQiOiIxLjAwIn0sInJlc3BvbnNlX2NvZGUiOjIxMDB9fSwi"
    "cmVzcG9uc2VfY29kZSI6MjEwMH0.toZyryF0wiW1OxGzT_TmksvZV44t4jhoZbVNhR8i_gQ"
)

_DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
            "HS512": hashlib.sha512}


# ---------------------------------------------------------------------------
# Strict, type-aware equality


def _describe(path: str) -> str:
    return path or "<root>"


def strict_diff(got: Any, want: Any, ordered: bool = True,
                path: str = "") -> str | None:
    """None if equal; otherwise where and how ``got`` differs.

    Types must match exactly (``1``, ``1.0`` and ``True`` all differ),
    floats must have the same sign of zero (and NaN matches only NaN),
    strings must match code point for code point, and with ``ordered``
    dict keys must come in the same order (as ``json.loads`` gives them).
    """
    if type(got) is not type(want):
        return (f"{_describe(path)}: type {type(got).__name__} "
                f"({got!r:.80}) != {type(want).__name__} ({want!r:.80})")
    if isinstance(want, float):
        if math.isnan(want) and math.isnan(got):
            return None
        if got != want or math.copysign(1.0, got) != math.copysign(1.0, want):
            return f"{_describe(path)}: {got!r} != {want!r}"
        return None
    if isinstance(want, dict):
        if ordered and list(got) != list(want):
            return (f"{_describe(path)}: keys {list(got)!r:.200} != "
                    f"{list(want)!r:.200}")
        if set(got) != set(want):
            return (f"{_describe(path)}: keys {sorted(map(repr, got))!r:.200}"
                    f" != {sorted(map(repr, want))!r:.200}")
        for k in want:
            d = strict_diff(got[k], want[k], ordered, f"{path}[{k!r}]")
            if d:
                return d
        return None
    if isinstance(want, list):
        if len(got) != len(want):
            return f"{_describe(path)}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            d = strict_diff(g, w, ordered, f"{path}[{i}]")
            if d:
                return d
        return None
    if got != want:
        return f"{_describe(path)}: {got!r:.200} != {want!r:.200}"
    return None


def assert_strict_equal(got: Any, want: Any, ordered: bool = True) -> None:
    diff = strict_diff(got, want, ordered)
    assert diff is None, diff


# ---------------------------------------------------------------------------
# Tokens and ciphertexts built without payhook


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def as_bytes(key: str | bytes) -> bytes:
    return key.encode("utf-8") if isinstance(key, str) else key


def hs_tag(signing_input: bytes, key: str | bytes, alg: str = "HS256"
           ) -> bytes:
    return hmac.new(as_bytes(key), signing_input, _DIGESTS[alg]).digest()


def make_token(payload: Any, key: str | bytes, alg: str = "HS256",
               header: dict | None = None, *, raw_header: bytes | None = None,
               raw_payload: bytes | None = None) -> str:
    """A compact JWS signed with stdlib hmac.

    ``raw_header``/``raw_payload`` give the exact JSON bytes to sign (for
    duplicate keys, odd spacing or texts json.dumps cannot produce).
    """
    if raw_header is None:
        hdr = {"alg": alg, "typ": "JWT"} if header is None else header
        raw_header = json.dumps(hdr, separators=(",", ":")).encode()
    if raw_payload is None:
        raw_payload = json.dumps(payload, separators=(",", ":")).encode()
    signing_input = (b64url(raw_header) + "." + b64url(raw_payload)).encode()
    sig_alg = alg if alg in _DIGESTS else "HS256"
    return (signing_input.decode() + "." +
            b64url(hs_tag(signing_input, key, sig_alg)))


def leanx_body(token: str, **extra: Any) -> str:
    body = {"data": token, "response_code": 2100}
    body.update(extra)
    return json.dumps(body)


def superpay_iv(key: str | bytes) -> bytes:
    return hashlib.md5(as_bytes(key)).digest()


def aes_cbc_encrypt(plaintext: bytes, key: bytes, iv: bytes) -> bytes:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


def aes_cbc_encrypt_raw(padded: bytes, key: bytes, iv: bytes) -> bytes:
    """Encrypt blocks as given (no padding added): for bad-padding tests."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


def aes_cbc_decrypt(ciphertext: bytes, key: bytes, iv: bytes) -> bytes:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = dec.update(ciphertext) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def superpay_hex(plaintext: bytes | str | Any, key: str | bytes) -> str:
    """SuperPay ciphertext (lower-case hex) made with ``cryptography``."""
    if isinstance(plaintext, str):
        plaintext = plaintext.encode("utf-8")
    elif not isinstance(plaintext, bytes):
        plaintext = json.dumps(plaintext, separators=(",", ":")).encode()
    k = as_bytes(key)
    return aes_cbc_encrypt(plaintext, k, superpay_iv(k)).hex()


def superpay_body(plaintext: bytes | str | Any, key: str | bytes) -> str:
    return json.dumps({"encryptedData": superpay_hex(plaintext, key)})


# ---------------------------------------------------------------------------
# Process memory


def rss_bytes() -> int:
    """Resident set size from /proc/self/statm (0 where unavailable)."""
    try:
        with open("/proc/self/statm") as f:
            resident_pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(autouse=True)
def _quiet_short_key_warnings():
    """PyJWT warns about short HMAC keys; the short keys here are on
    purpose."""
    with warnings.catch_warnings():
        try:
            from jwt.warnings import InsecureKeyLengthWarning
        except ImportError:  # older PyJWT has no such warning
            pass
        else:
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        yield


# Let test modules import this file by name.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


# ---------------------------------------------------------------------------
# Real servers for the replay guard's tests: a redis-server and a throwaway
# PostgreSQL cluster, each on a free port of 127.0.0.1, started once per
# session and removed afterwards.

# A server must not inherit the sanitizer preload of the ASan run.
_SANITIZER_ENV = ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS",
                  "LSAN_OPTIONS", "PYTHONMALLOC")


def server_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _SANITIZER_ENV}


def require_program(name: str, *candidates: str) -> str:
    """The program's path.  Missing, it fails the test under CI (``CI``
    set) and skips it elsewhere, with a warning so the skip is seen."""
    import shutil

    found = shutil.which(name)
    for path in candidates:
        if found is None and os.access(path, os.X_OK):
            found = path
    if found:
        return found
    message = f"{name} is missing: scripts/install-deps test installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    warnings.warn(message + " (test skipped)")
    pytest.skip(message)


def require_module(name: str) -> Any:
    """The module, imported.  Missing, it fails the test under CI and
    skips it elsewhere, with a warning, as :func:`require_program`."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        pass
    message = f"{name} is missing: scripts/install-deps test installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    warnings.warn(message + " (test skipped)")
    pytest.skip(message)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(ready: Any, proc: Any, what: str, log: Path,
              seconds: float = 15.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        if ready():
            return
        time.sleep(0.05)
    text = log.read_text(errors="replace") if log.exists() else ""
    raise RuntimeError(f"{what} did not start:\n{text[-2000:]}")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    """redis://127.0.0.1:PORT/0 of a redis-server of this session (no
    persistence), stopped at the end."""
    import subprocess

    redis = require_module("redis")
    exe = require_program("redis-server")
    root = tmp_path_factory.mktemp("redis")
    port = free_port()
    log = root / "redis.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(root)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=server_env())
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)

    def ready() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    try:
        _wait_for(ready, proc, "redis-server", log)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _postgres_bin(name: str) -> str:
    import glob

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(p.split("/")[4]) if
                   p.split("/")[4].isdigit() else 0)
    return require_program(name, *reversed(found))


@pytest.fixture(scope="session")
def postgres_dsn():
    """The connection string of a throwaway PostgreSQL cluster on
    127.0.0.1 (initdb + pg_ctl, run as 'nobody' when the tests run as
    root: PostgreSQL refuses root), removed at the end."""
    import pwd
    import shutil
    import subprocess
    import tempfile

    psycopg = require_module("psycopg")
    initdb = _postgres_bin("initdb")
    pg_ctl = str(Path(initdb).with_name("pg_ctl"))
    root = Path(tempfile.mkdtemp(prefix="payhook-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
        as_user = [require_program("runuser"), "-u", "nobody", "--"]
    data, log = root / "data", root / "server.log"
    port = free_port()

    def run(*args: str) -> None:
        proc = subprocess.run([*as_user, *args], cwd=root, env=server_env(),
                              capture_output=True, text=True, timeout=120,
                              check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed:\n{proc.stdout}\n"
                               f"{proc.stderr}")

    dsn = f"host=127.0.0.1 port={port} user=payhook dbname=postgres"
    started = False
    try:
        run(initdb, "-D", str(data), "-A", "trust", "-U", "payhook",
            "-E", "UTF8", "--no-sync")
        run(pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60",
            "-o", f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off "
            "-c max_connections=40", "start")
        started = True
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SELECT 1")
        yield dsn
    finally:
        if started:
            subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m",
                            "immediate", "-w", "stop"], cwd=root,
                           env=server_env(), capture_output=True,
                           timeout=60, check=False)
        shutil.rmtree(root, ignore_errors=True)
