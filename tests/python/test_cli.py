"""`python3 -m payhook`, run as a separate process the way a shell runs it:
exit status 0 decoded, 1 rejected, 2 usage; no traceback whatever goes
wrong, a closed pipe included; keys never echoed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, make_token, superpay_body

LEANX_KEY = "c0ffee" * 21 + "ab"          # 128 hex characters, used as text
SUPERPAY_KEY = "Kq3vTn8wZr1yLm5xPb7dHs2gFj4cNa6e"
PAYLOAD = {"output": {"invoice_no": "INV-1", "invoice_status": "SUCCESS",
                      "amount": "13.00", "note": "caf\u00e9 \u20ac"},
           "response_code": 2100}
SP_PAYLOAD = {"data": {"status": "SUCCESS",
                       "transaction": {"id": 10025, "amountWithdraw": 3.5}}}


def run(*args: str, env: dict | None = None, stdin: bytes = b"",
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("LEANX_HASH_KEY", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "payhook", *args],
                          input=stdin, capture_output=True, env=full_env,
                          cwd=cwd, timeout=60)


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    for key in (LEANX_KEY, SUPERPAY_KEY):
        assert key not in err and key.encode() not in proc.stdout


@pytest.fixture
def bodies(tmp_path: Path) -> dict[str, Path]:
    files = {
        "leanx": json.dumps({"data": make_token(PAYLOAD, LEANX_KEY),
                             "response_code": 2100}),
        "leanx_forged": json.dumps({"data": make_token(PAYLOAD, "x" * 128)}),
        "superpay": superpay_body(SP_PAYLOAD, SUPERPAY_KEY),
    }
    out = {}
    for name, text in files.items():
        out[name] = tmp_path / f"{name}.json"
        out[name].write_text(text, encoding="utf-8")
    key_file = tmp_path / "superpay.key"
    key_file.write_text(SUPERPAY_KEY + "\n", encoding="ascii")
    out["superpay_key"] = key_file
    return out


LEANX_ENV = {"LEANX_HASH_KEY": LEANX_KEY}


# ---------------------------------------------------------------------------
# 0: decoded


def test_leanx_file_decodes(bodies):
    proc = run("leanx", "--key-env", "LEANX_HASH_KEY", str(bodies["leanx"]),
               env=LEANX_ENV)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    assert json.loads(proc.stdout.decode("utf-8")) == PAYLOAD
    # Non-ASCII text comes out as UTF-8, not as \\u escapes.
    assert "caf\u00e9 \u20ac".encode("utf-8") in proc.stdout


def test_superpay_stdin_and_key_file(bodies):
    proc = run("superpay", "--key-file", str(bodies["superpay_key"]),
               stdin=bodies["superpay"].read_bytes())
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == SP_PAYLOAD


def test_several_files_one_payload_each(bodies):
    proc = run("leanx", "--key-env", "LEANX_HASH_KEY", str(bodies["leanx"]),
               str(bodies["leanx"]), env=LEANX_ENV)
    assert proc.returncode == 0, proc.stderr
    decoder = json.JSONDecoder()
    text = proc.stdout.decode("utf-8")
    first, end = decoder.raw_decode(text)
    second, _ = decoder.raw_decode(text[end:].lstrip())
    assert first == second == PAYLOAD


def test_example_callbacks_decode_with_their_keys():
    keys = dict(line.split("=", 1) for line in
                (REPO / "examples/callbacks/keys.env").read_text().split("\n")
                if line and not line.startswith("#"))
    cb = REPO / "examples" / "callbacks"
    proc = run("leanx", "--key-env", "LEANX_HASH_KEY",
               str(cb / "leanx-payout.json"),
               env={"LEANX_HASH_KEY": keys["LEANX_HASH_KEY"]})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["output"]["invoice_status"]
    proc = run("superpay", "--key-env", "K",
               str(cb / "superpay-vendor-sample.json"),
               env={"K": keys["SUPERPAY_SYMMETRIC_KEY"]})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["data"]["transactionId"] == "10556"


# ---------------------------------------------------------------------------
# 1: rejected


def test_forged_callback_is_rejected(bodies):
    proc = run("leanx", "--key-env", "LEANX_HASH_KEY",
               str(bodies["leanx_forged"]), env=LEANX_ENV)
    no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stdout == b""
    err = proc.stderr.decode()
    assert err.startswith(f"{bodies['leanx_forged']}: InvalidSignatureError: ")
    assert err.count("\n") == 1


def test_wrong_provider_body_is_rejected(bodies):
    proc = run("superpay", "--key-file", str(bodies["superpay_key"]),
               str(bodies["leanx"]))
    no_traceback(proc)
    assert proc.returncode == 1
    assert b"DecodeError" in proc.stderr


def test_one_rejected_body_does_not_stop_the_others(bodies):
    proc = run("leanx", "--key-env", "LEANX_HASH_KEY",
               str(bodies["leanx_forged"]), str(bodies["leanx"]),
               env=LEANX_ENV)
    no_traceback(proc)
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == PAYLOAD
    assert b"InvalidSignatureError" in proc.stderr


def test_empty_stdin_is_rejected():
    proc = run("leanx", "--key-env", "LEANX_HASH_KEY", env=LEANX_ENV)
    no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stderr.startswith(b"<stdin>: DecodeError: ")


# ---------------------------------------------------------------------------
# 2: usage


def usage_error(proc: subprocess.CompletedProcess, *words: str) -> str:
    no_traceback(proc)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == b""
    err = proc.stderr.decode()
    assert err.startswith("usage: "), err
    for w in words:
        assert w in err, err
    return err


def test_unset_key_variable(bodies):
    usage_error(run("leanx", "--key-env", "PAYHOOK_TEST_UNSET",
                    str(bodies["leanx"])),
                "PAYHOOK_TEST_UNSET is not set")


def test_empty_key_variable(bodies):
    usage_error(run("leanx", "--key-env", "EMPTY", str(bodies["leanx"]),
                    env={"EMPTY": ""}),
                "the key in the variable EMPTY cannot be used")


def test_superpay_key_of_the_wrong_length(bodies, tmp_path):
    short = tmp_path / "short.key"
    short.write_text("abc\n")
    usage_error(run("superpay", "--key-file", str(short),
                    str(bodies["superpay"])),
                f"the key in the file {short} cannot be used")


def test_missing_key_file(bodies, tmp_path):
    missing = tmp_path / "nope.key"
    usage_error(run("superpay", "--key-file", str(missing),
                    str(bodies["superpay"])),
                f"cannot read key file {missing}", "No such file")


def test_missing_body_file(tmp_path):
    missing = tmp_path / "nope.json"
    usage_error(run("leanx", "--key-env", "LEANX_HASH_KEY", str(missing),
                    env=LEANX_ENV),
                f"cannot read {missing}", "No such file")


def test_unreadable_body_file_stops_before_any_output(bodies, tmp_path):
    # A directory cannot be read as a file, whoever runs the test.
    usage_error(run("leanx", "--key-env", "LEANX_HASH_KEY",
                    str(bodies["leanx"]), str(tmp_path), env=LEANX_ENV),
                f"cannot read {tmp_path}", "Is a directory")


@pytest.mark.parametrize("args", [
    [],
    ["leanx"],
    ["paypal", "--key-env", "LEANX_HASH_KEY"],
    ["leanx", "--key-env", "LEANX_HASH_KEY", "--key-file", "k"],
    ["leanx", "--key-env"],
    ["leanx", "--key-env", "LEANX_HASH_KEY", "--bogus"],
], ids=["nothing", "no key source", "unknown provider", "two key sources",
        "no variable name", "unknown option"])
def test_bad_arguments(args):
    usage_error(run(*args, env=LEANX_ENV), "error:")


# ---------------------------------------------------------------------------
# --version, --help, a closed pipe


def test_version():
    proc = run("--version")
    no_traceback(proc)
    assert proc.returncode == 0
    version = (REPO / "VERSION").read_text().strip()
    assert proc.stdout.decode().strip() == f"payhook {version}"


def test_help_names_the_exit_statuses():
    proc = run("--help")
    assert proc.returncode == 0
    assert b"0 decoded, 1 rejected, 2 usage" in proc.stdout


def test_closed_pipe_ends_quietly(bodies):
    """`python3 -m payhook ... | head -1`: the reader stops after one line;
    the command ends with 141 (as if killed by SIGPIPE), no traceback."""
    files = [str(bodies["leanx"])] * 400     # far more than a pipe holds
    env = dict(os.environ, **LEANX_ENV)
    proc = subprocess.Popen(
        [sys.executable, "-m", "payhook", "leanx", "--key-env",
         "LEANX_HASH_KEY", *files],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"{\n"
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert err == b"", err


def test_closed_pipe_in_a_shell_pipeline(bodies):
    files = " ".join([str(bodies["leanx"])] * 400)
    cmd = (f"'{sys.executable}' -m payhook leanx --key-env LEANX_HASH_KEY "
           f"{files} | head -1")
    proc = subprocess.run(["sh", "-c", cmd], capture_output=True,
                          env=dict(os.environ, **LEANX_ENV), timeout=60)
    assert proc.returncode == 0
    assert proc.stdout == b"{\n"
    assert proc.stderr == b"", proc.stderr


# --- every gateway, headers, and the sign command ----------------------

STRIPE_KEY = "whsec_cli-test-secret"
CHIP_KEYS = REPO / "tests" / "vectors" / "keys"


def _signed(gateway: str, key_env: dict, payload: dict, *extra: str,
            tmp_path: Path) -> tuple[Path, list[str]]:
    src = tmp_path / "payload.json"
    src.write_text(json.dumps(payload), encoding="utf-8")
    proc = run("sign", gateway, "--key-env", "SIGN_KEY", *extra, str(src),
               env=key_env)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    made = json.loads(proc.stdout)
    body = tmp_path / "body.json"
    body.write_bytes(made["body"].encode("utf-8"))
    headers = []
    for name, value in made["headers"].items():
        headers += ["--header", f"{name}: {value}"]
    return body, headers


def test_sign_then_verify_stripe(tmp_path):
    env = {"SIGN_KEY": STRIPE_KEY, "KEY": STRIPE_KEY}
    body, headers = _signed("stripe", env, {"id": "evt_9", "amount": 5},
                            "--timestamp", "1700000000", tmp_path=tmp_path)
    proc = run("stripe", "--key-env", "KEY", *headers, "--now", "1700000010",
               "--result", str(body), env=env)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["payload"] == {"id": "evt_9", "amount": 5}
    assert result["event_id"] == "evt_9"
    assert result["timestamp"] == 1700000000
    assert STRIPE_KEY not in proc.stdout.decode()
    # Out of the window, and without the header: rejected (1), not usage.
    late = run("stripe", "--key-env", "KEY", *headers, "--now", "1800000000",
               str(body), env=env)
    assert late.returncode == 1 and b"InvalidTimestampError" in late.stderr
    bare = run("stripe", "--key-env", "KEY", str(body), env=env)
    assert bare.returncode == 1 and b"MissingSignatureError" in bare.stderr


def test_sign_then_verify_chip_with_the_private_key(tmp_path):
    env = {"SIGN_KEY": (CHIP_KEYS / "chip-2048-private.pem").read_text(),
           "KEY": (CHIP_KEYS / "chip-2048-public.pem").read_text()}
    body, headers = _signed("chip", env, {"id": "p1", "status": "paid"},
                            tmp_path=tmp_path)
    proc = run("chip", "--key-env", "KEY", *headers, str(body), env=env)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"id": "p1", "status": "paid"}
    assert b"PRIVATE" not in proc.stdout + proc.stderr


def test_header_and_sign_usage_errors(tmp_path):
    body = tmp_path / "b.json"
    body.write_text("{}")
    env = {"KEY": STRIPE_KEY}
    proc = run("stripe", "--key-env", "KEY", "--header", "no colon",
               str(body), env=env)
    assert proc.returncode == 2 and b"--header" in proc.stderr
    proc = run("sign", "paypal", "--key-env", "KEY", str(body), env=env)
    assert proc.returncode == 2
    proc = run("sign", "razorpay", "--key-env", "UNSET_VARIABLE", str(body))
    assert proc.returncode == 2
    proc = run("sign", "chip", "--key-env", "KEY", str(body), env=env)
    assert proc.returncode == 2 and b"InvalidKeyError" in proc.stderr
    no_traceback(proc)


def test_sign_then_verify_a_form_gateway(tmp_path):
    env = {"SIGN_KEY": "toyyib-secret", "KEY": "toyyib-secret"}
    fields = {"refno": "R-1", "status": "1", "order_id": "ORD-1",
              "amount": "100"}
    body, headers = _signed("toyyibpay", env, fields, tmp_path=tmp_path)
    assert headers == []
    assert b"hash=" in body.read_bytes()
    proc = run("toyyibpay", "--key-env", "KEY", "--result", str(body),
               env=env)
    no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["event_id"] == "R-1:1"
    assert sorted(result["signed_fields"]) == ["order_id", "refno", "status"]
    # Fields that are not all strings: a usage error.
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"refno": 1}))
    proc = run("sign", "toyyibpay", "--key-env", "KEY", str(bad), env=env)
    assert proc.returncode == 2
    no_traceback(proc)
