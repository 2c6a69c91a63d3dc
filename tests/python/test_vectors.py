"""Every vector in tests/vectors/*.json, through the public Python API.

The files are shared with the C and Lua suites; their shape:

    {"description": ..., "vectors": [
      {"id", "comment",
       "function": "leanx.decode" | "superpay.decode" | "jwt.decode"
                   | "superpay.decrypt" | "<gateway>.verify",
       "input": {"body" | "body_hex", "key" | "key_hex" | "keys", "iv_hex",
                 "options": {algorithms, now, leeway, audience, issuer,
                             subject, max_bytes, require, verify_*,
                             strict_aud}},
       "expect": {"payload" | "plaintext_hex" | "error"}}]}

A "<gateway>.verify" vector (tests/vectors/GATEWAY_VECTORS.md) also has
"headers" ([name, value] pairs) in its input and "event_id" and
"timestamp" beside its payload; it runs through payhook.verify and through
payhook.<gateway>.decode.  leanx.decode and superpay.decode vectors run a
second time through payhook.verify("leanx" / "superpay", ...).

Payloads are compared with a strict, type-aware equality (1, 1.0 and True
differ); errors by exception class name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import payhook
from conftest import VECTORS, strict_diff

FUNCTIONS = ("leanx.decode", "superpay.decode", "jwt.decode",
             "superpay.decrypt") + tuple(
                 f"{name}.verify" for name in payhook.GATEWAYS)
JWT_OPTION_NAMES = {"require", "strict_aud", "enforce_minimum_key_length"}
JWT_KWARGS = {"audience", "issuer", "subject", "leeway", "now", "max_bytes"}


def _load_vectors() -> list[tuple[str, dict, Path]]:
    found = []
    for path in sorted(VECTORS.glob("*.json")):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        for v in data.get("vectors", []):
            found.append((f"{path.stem}:{v.get('id')}", v, path))
    return found


VECTOR_LIST = _load_vectors()
IDS = [name for name, _, _ in VECTOR_LIST]


def test_vectors_present_and_well_formed():
    if not VECTOR_LIST:
        pytest.skip(f"no vectors in {VECTORS} yet")
    assert len(set(IDS)) == len(IDS), "duplicate vector ids"
    for name, v, path in VECTOR_LIST:
        assert v.get("id"), (path.name, v)
        assert v.get("function") in FUNCTIONS, name
        assert isinstance(v.get("input"), dict), name
        expect = v.get("expect")
        assert isinstance(expect, dict), name
        assert len({"payload", "payload_json", "plaintext_hex",
                    "error"} & set(expect)) == 1, name
        if "error" in expect:
            kind = _error_kind(expect["error"])
            cls = getattr(payhook, kind, None)
            assert isinstance(cls, type) and issubclass(
                cls, payhook.PayhookError), f"{name}: unknown error {kind}"


def _error_kind(error: Any) -> str:
    if isinstance(error, dict):
        return error.get("kind") or error.get("class") or error["name"]
    return error


def _data(inp: dict) -> str | bytes:
    if "body" in inp:
        return inp["body"]
    if "body_hex" in inp:
        return bytes.fromhex(inp["body_hex"])
    if "token" in inp:
        return inp["token"]
    raise AssertionError(f"no body in input: {sorted(inp)}")


def _one_key(item: Any) -> str | bytes:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        if "key_hex" in item or "hex" in item:
            return bytes.fromhex(item.get("key_hex", item.get("hex")))
        return item["key"]
    raise AssertionError(f"unusable key entry {item!r}")


def _key(inp: dict) -> Any:
    if "key" in inp:
        return inp["key"]
    if "key_hex" in inp:
        return bytes.fromhex(inp["key_hex"])
    if "keys" in inp:
        return [_one_key(k) for k in inp["keys"]]
    raise AssertionError(f"no key in input: {sorted(inp)}")


def _call(v: dict, as_bytes: bool = False, pipeline: str = "") -> Any:
    fn = v["function"]
    inp = v["input"]
    opts = dict(inp.get("options") or {})
    data = _data(inp)
    if as_bytes and isinstance(data, str):
        data = data.encode("utf-8")
    key = _key(inp)

    if fn.endswith(".verify") or pipeline:
        gateway = fn.split(".")[0]
        headers = [tuple(h) for h in inp.get("headers", [])]
        kwargs = {k: opts.pop(k) for k in ("now", "max_bytes", "leeway",
                                            "tolerance") if k in opts}
        if "query" in inp:
            kwargs["query"] = inp["query"]
        opts.pop("algorithms", None) if gateway == "leanx" else None
        assert not opts, f"options {fn} does not take: {opts}"
        if pipeline == "module":
            kwargs.pop("leeway", None)
            return getattr(payhook, gateway).decode(
                data, key, headers=headers, **kwargs)
        return payhook.verify(gateway, data, key, headers=headers, **kwargs)

    if fn == "leanx.decode":
        algs = opts.pop("algorithms", None)
        assert algs in (None, ["HS256"]), "LeanX is HS256 only"
        kwargs = {k: opts.pop(k) for k in ("now", "max_bytes", "leeway")
                  if k in opts}
        assert not opts, f"options leanx.decode does not take: {opts}"
        return payhook.leanx.decode(data, key, **kwargs)

    if fn == "superpay.decode":
        kwargs = {k: opts.pop(k) for k in ("max_bytes",) if k in opts}
        assert not opts, f"options superpay.decode does not take: {opts}"
        return payhook.superpay.decode(data, key, **kwargs)

    if fn == "superpay.decrypt":
        iv = bytes.fromhex(inp["iv_hex"]) if "iv_hex" in inp else None
        kwargs = {k: opts.pop(k) for k in ("max_bytes",) if k in opts}
        assert not opts, f"options superpay.decrypt does not take: {opts}"
        return payhook.superpay.decrypt(data, key, iv, **kwargs)

    assert fn == "jwt.decode", fn
    # The vector format's default (tests/vectors/README.md): decode itself
    # requires algorithms, as PyJWT does.
    algorithms = opts.pop("algorithms", ["HS256"])
    kwargs = {k: opts.pop(k) for k in JWT_KWARGS if k in opts}
    options = {k: opts.pop(k) for k in list(opts)
               if k in JWT_OPTION_NAMES or k.startswith("verify_")}
    assert not opts, f"options jwt.decode does not take: {opts}"
    return payhook.jwt.decode(data, key, algorithms, options or None,
                              **kwargs)


def _utf8_encodable(vector: dict) -> bool:
    body = vector["input"].get("body")
    if not isinstance(body, str):
        return False
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check(vector: dict, as_bytes: bool, pipeline: str = "") -> None:
    expect = vector["expect"]
    note = f"{vector['id']}: {vector.get('comment', '')}"
    if "error" in expect:
        kind = _error_kind(expect["error"])
        with pytest.raises(Exception) as info:
            _call(vector, as_bytes, pipeline)
        e = info.value
        assert type(e).__name__ == kind, (
            f"{note}\n  expected {kind}, got {type(e).__name__}: {e}")
        assert isinstance(e, payhook.PayhookError), note
        assert isinstance(e, ValueError), note
        return
    got = _call(vector, as_bytes, pipeline)
    if isinstance(got, payhook.Result):
        gateway = vector["function"].split(".")[0]
        assert got.gateway == gateway, note
        if "event_id" in expect:
            assert got.event_id == expect["event_id"], note
            assert got.timestamp == expect["timestamp"], note
        info = payhook.GATEWAYS[gateway]
        if "signed_fields" in expect:
            assert sorted(got.signed_fields) == expect["signed_fields"], note
        else:
            assert got.signed_fields == (
                tuple(got.payload) if info["covers_payload"] else ()), note
        if "reply" in expect:
            want = expect["reply"]
            assert got.reply.status == want["status"], note
            assert got.reply.body == want["body"].encode(), note
            assert got.reply.repost == (
                None if want["repost"] is None
                else want["repost"].encode()), note
        else:
            assert got.reply == payhook.Reply(*info["reply"]), note
        got = got.payload
    if "plaintext_hex" in expect:
        assert got == bytes.fromhex(expect["plaintext_hex"]), note
        return
    if "payload_json" in expect:
        want = json.loads(expect["payload_json"])
    elif isinstance(expect["payload"], str):
        want = json.loads(expect["payload"])
    else:
        # The vector file was read with json.load: this is json.loads of
        # the expected JSON text.
        want = expect["payload"]
    diff = strict_diff(got, want, ordered=False)
    assert diff is None, f"{note}\n  {diff}"


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
@pytest.mark.parametrize("vector", [v for _, v, _ in VECTOR_LIST], ids=IDS)
def test_vector(vector, as_bytes):
    """The body as given (text), and as its UTF-8 bytes."""
    if as_bytes and not _utf8_encodable(vector):
        pytest.skip("body is not text that has a UTF-8 form")
    _check(vector, as_bytes)


PIPELINE = [(name, v) for name, v, _ in VECTOR_LIST
            if v["function"] in ("leanx.decode", "superpay.decode")
            or v["function"].endswith(".verify")]


@pytest.mark.parametrize("name,vector", PIPELINE,
                         ids=[n for n, _ in PIPELINE])
def test_vector_other_entry(name, vector):
    """LeanX and SuperPay vectors through payhook.verify (the gateway
    pipeline); gateway vectors through payhook.<gateway>.decode."""
    pipeline = "module" if vector["function"].endswith(".verify") else "verify"
    _check(vector, False, pipeline)
