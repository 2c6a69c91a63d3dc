"""Decoders shared between threads, large inputs decoded with the GIL
released, and payhook in sub-interpreters."""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import textwrap
import threading

import pytest

import payhook
from conftest import (
    SUPERPAY_VENDOR_HEX,
    SUPERPAY_VENDOR_KEY,
    SUPERPAY_VENDOR_PAYLOAD,
    assert_strict_equal,
    make_token,
    strict_diff,
    superpay_hex,
)

THREADS = 8
ROUNDS = 2000
LEANX_KEY = "thread-test-hash-key"
SP_KEY = "ThreadTestSymmetricKey0123456789"
GIL_RELEASE_BYTES = 64 * 1024


def _outcome(call):
    """('ok', value) or ('err', class name, message)."""
    try:
        return ("ok", call())
    except payhook.PayhookError as e:
        return ("err", type(e).__name__, str(e))


def _same(got, want) -> bool:
    if got[0] != want[0]:
        return False
    if got[0] == "ok":
        return strict_diff(got[1], want[1]) is None
    return got == want


def _run_threads(worker, n=THREADS):
    barrier = threading.Barrier(n)
    errors = []

    def wrapped(index):
        try:
            barrier.wait()
            worker(index)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append((index, repr(e)))

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads as often as possible
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        sys.setswitchinterval(old)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors[:5]


def _cases():
    leanx = payhook.leanx.Decoder(LEANX_KEY)
    superpay = payhook.superpay.Decoder(SP_KEY)
    jwt_dec = payhook.jwt.Decoder(LEANX_KEY, ["HS256", "HS512"],
                                  audience="merchant")
    cases = []
    for i in range(12):
        payload = {"output": {"invoice_no": f"INV-{i}", "n": i, "f": i / 7,
                              "big": 2**64 + i, "s": "é€😀" * i,
                              "list": list(range(i)), "none": None}}
        token = make_token(payload, LEANX_KEY)
        body = json.dumps({"data": token, "response_code": 2100})
        cases.append(lambda b=body: leanx.decode(b))
        cases.append(lambda b=body.encode(): leanx.decode(b))
        cases.append(lambda b=bytearray(body.encode()): leanx.decode(b))
        forged = make_token(payload, LEANX_KEY + "x")
        cases.append(lambda t=forged: leanx.decode(t))
        expired = make_token({"exp": 1000 + i}, LEANX_KEY)
        cases.append(lambda t=expired: leanx.decode(t, now=2000))
        cases.append(lambda t=expired: leanx.decode(t, now=500))
        hex_ = superpay_hex({"data": {"status": "SUCCESS", "i": i,
                                      "amount": 3.1025 * i}}, SP_KEY)
        cases.append(lambda h=hex_: superpay.decode(h))
        cases.append(lambda h=json.dumps({"encryptedData": hex_}).encode():
                     superpay.decode(h))
        bad = hex_[:-2] + ("00" if hex_[-2:] != "00" else "11")
        cases.append(lambda h=bad: superpay.decode(h))
        cases.append(lambda h=hex_[:-1]: superpay.decode(h))
        cases.append(lambda: superpay.decode('{"nope": 1}'))
        tok = make_token({"aud": "merchant", "i": i}, LEANX_KEY, "HS512")
        cases.append(lambda t=tok: jwt_dec.decode(t))
        cases.append(lambda t=tok[:-4]: jwt_dec.decode(t))
    return cases


def test_eight_threads_share_decoders():
    cases = _cases()
    expected = [_outcome(c) for c in cases]
    assert {e[0] for e in expected} == {"ok", "err"}
    mismatches = []

    def worker(index):
        n = len(cases)
        for r in range(ROUNDS):
            k = (index * 7919 + r * 31) % n
            got = _outcome(cases[k])
            if not _same(got, expected[k]):
                mismatches.append((index, r, k, got[:2], expected[k][:2]))

    _run_threads(worker)
    assert not mismatches, mismatches[:5]


def _large_inputs():
    big = {"output": {"invoice_no": "BIG", "blob": "x" * 70000,
                      "items": [{"i": i, "v": i * 0.5} for i in range(2000)],
                      "u": "é€😀" * 2000}}
    token = make_token(big, LEANX_KEY)
    body = json.dumps({"data": token, "response_code": 2100})
    assert len(token) > GIL_RELEASE_BYTES
    sp_body = json.dumps({"encryptedData": superpay_hex(big, SP_KEY)})
    assert len(sp_body) > GIL_RELEASE_BYTES
    return big, token, body, sp_body


def test_large_inputs_from_threads():
    big, token, body, sp_body = _large_inputs()
    leanx = payhook.leanx.Decoder(LEANX_KEY)
    superpay = payhook.superpay.Decoder(SP_KEY)
    jwt_dec = payhook.jwt.Decoder(LEANX_KEY, ["HS256"])
    forged = make_token(big, "other-key")
    bad_sp = sp_body[:-40] + "0" * 38 + '"}'
    failures = []

    shared_array = bytearray(body.encode())
    shared_view = memoryview(bytearray(sp_body.encode())).toreadonly()

    def worker(index):
        for r in range(25):
            pick = (index + r) % 8
            try:
                if pick == 6:
                    got = leanx.decode(shared_array)
                elif pick == 7:
                    got = superpay.decode(shared_view)
                elif pick == 0:
                    got = leanx.decode(body.encode())
                elif pick == 1:
                    got = leanx.decode(body)
                elif pick == 2:
                    got = jwt_dec.decode(memoryview(token.encode()))
                elif pick == 3:
                    got = superpay.decode(sp_body.encode())
                elif pick == 4:
                    with pytest.raises(payhook.InvalidSignatureError):
                        leanx.decode(forged.encode())
                    continue
                else:
                    with pytest.raises(payhook.DecryptionError):
                        superpay.decode(bad_sp.encode())
                    continue
            except BaseException as e:  # noqa: BLE001
                failures.append((index, r, pick, repr(e)[:200]))
                continue
            d = strict_diff(got, big)
            if d:
                failures.append((index, r, pick, d))

    _run_threads(worker)
    assert not failures, failures[:5]


@pytest.mark.parametrize("gateway", ["billplz", "senangpay", "fiuu",
                                     "toyyibpay"])
def test_form_gateways_share_prepared_keys_between_threads(gateway):
    """Large forms (the GIL released) through one Decoder with two keys in
    eight threads: the prepared HMAC contexts are shared under a try-lock
    and copied when busy, and no thread sees another's MAC."""
    keys = ["first-form-secret", "second-form-secret"]
    big = "x" * (GIL_RELEASE_BYTES + 100)
    fields = {"billplz": {"id": "b1", "state": "paid", "name": big},
              "senangpay": {"status_id": "1", "order_id": "o1",
                            "transaction_id": "t1", "msg": big},
              "fiuu": {"tranID": "1", "orderid": "o1", "status": "00",
                       "domain": "shop", "amount": "1.00", "currency": "MYR",
                       "paydate": "2023-11-14 22:13:20", "appcode": big,
                       "skey": ""},
              "toyyibpay": {"status": "1", "order_id": "o1", "refno": big}}
    form = dict(fields[gateway])
    if gateway == "fiuu":
        form.pop("skey")
    genuine, _ = payhook.sign(gateway, form, keys[1])
    other, _ = payhook.sign(gateway, form, "a third merchant's secret")
    dec = payhook.Decoder(gateway, keys)
    want = dec.decode(genuine)
    assert len(genuine) > GIL_RELEASE_BYTES
    wrong = []

    def worker(index):
        for r in range(60):
            if (index + r) % 2:
                if dec.decode(genuine) != want:
                    wrong.append((index, r, "genuine"))
            else:
                try:
                    dec.decode(other)
                except payhook.InvalidSignatureError:
                    pass
                else:
                    wrong.append((index, r, "forged accepted"))

    _run_threads(worker)
    assert not wrong, wrong[:5]


def test_mutating_a_bytearray_while_it_is_decoded():
    """A bytearray may change between calls; each decode sees one
    consistent body and either succeeds or raises a payhook error."""
    big, token, body, _ = _large_inputs()
    buf = bytearray(body.encode())
    leanx = payhook.leanx.Decoder(LEANX_KEY)
    stop = threading.Event()
    outcomes = {"ok": 0, "err": 0}
    failures = []
    pos = body.index(token) + len(token) - 10

    def mutator():
        flip = 0
        while not stop.is_set():
            buf[pos] ^= 1  # toggles a signature character back and forth
            flip += 1
            try:
                buf.append(0x20)  # resizing while exported must fail cleanly
                del buf[-1]
            except BufferError:
                pass

    def decoder_loop():
        for _ in range(60):
            try:
                got = leanx.decode(buf)
            except payhook.PayhookError:
                outcomes["err"] += 1
            except BaseException as e:  # noqa: BLE001
                failures.append(repr(e)[:200])
            else:
                d = strict_diff(got, big)
                if d:
                    failures.append(d)
                outcomes["ok"] += 1

    m = threading.Thread(target=mutator)
    d = threading.Thread(target=decoder_loop)
    m.start()
    d.start()
    d.join(120)
    stop.set()
    m.join(10)
    assert not failures, failures[:3]
    assert outcomes["ok"] + outcomes["err"] == 60


def test_payload_is_the_one_verified_even_if_the_buffer_changes():
    """Only bytes that passed the MAC may be returned.

    A read-only memoryview over a bytearray is read-only for payhook, not
    immutable: its owner can still write to it.  A large token (so the GIL
    is released) in such a view is decoded while another thread flips one
    payload character between two valid base64url letters; the MAC fails
    for the flipped text, so every decode must return the signed payload
    or raise InvalidSignatureError, never the flipped payload.
    """
    payload = {"a": "A", "blob": "x" * 600_000}
    token = make_token(payload, LEANX_KEY)
    assert len(token) > GIL_RELEASE_BYTES
    seg = token.index(".") + 1
    # "eHh4" encodes "xxx"; "fHh4" encodes "|xx": both valid base64url.
    pos = next(seg + i for i in range(0, 400, 4)
               if token[seg + i: seg + i + 4] == "eHh4")
    buf = bytearray(token.encode())
    view = memoryview(buf).toreadonly()
    decoder = payhook.jwt.Decoder(LEANX_KEY, ["HS256"])
    stop = threading.Event()

    def flipper():
        while not stop.is_set():
            buf[pos] ^= 0x03  # 'e' <-> 'f'

    t = threading.Thread(target=flipper)
    t.start()
    tampered = []
    counts = {"ok": 0, "InvalidSignatureError": 0, "other": []}
    try:
        for _ in range(300):
            try:
                got = decoder.decode(view)
            except payhook.InvalidSignatureError:
                counts["InvalidSignatureError"] += 1
                continue
            except payhook.PayhookError as e:
                counts["other"].append(f"{type(e).__name__}: {e}")
                continue
            if got == payload:
                counts["ok"] += 1
            else:
                tampered.append(got["blob"][:4])
                break
    finally:
        stop.set()
        t.join(10)
    view.release()
    assert not tampered, (
        f"decode returned a payload whose bytes were never verified "
        f"(blob starts {tampered[0]!r}); outcomes so far: {counts}")
    assert not counts["other"], counts["other"][:3]


# ---------------------------------------------------------------------------
# Sub-interpreters


def _interpreters_module():
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def test_sub_interpreters():
    interp = _interpreters_module()
    if interp is None:
        pytest.skip("this Python has no _interpreters/_xxsubinterpreters")
    token = make_token({"sub-interpreter": True, "n": 2**70}, LEANX_KEY)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        script = textwrap.dedent(f"""
            import json
            import payhook
            got = payhook.leanx.decode({json.dumps({"data": token})!r},
                                       {LEANX_KEY!r})
            assert got == {{"sub-interpreter": True, "n": 2**70}}, got
            sp = payhook.superpay.decode({SUPERPAY_VENDOR_HEX!r},
                                         {SUPERPAY_VENDOR_KEY!r})
            try:
                payhook.leanx.decode({token!r}, "wrong")
            except payhook.InvalidSignatureError as e:
                err = type(e).__name__
            else:
                raise AssertionError("forged token accepted")
            try:
                payhook.superpay.decode("00" * 16, {SUPERPAY_VENDOR_KEY!r})
            except payhook.DecryptionError:
                pass
            with open({out!r}, "w") as f:
                json.dump({{"leanx": got["n"] == 2**70, "superpay": sp,
                           "error": err,
                           "version": payhook.__version__}}, f)
        """)
        for _ in range(3):  # create and destroy repeatedly
            if os.path.exists(out):
                os.unlink(out)
            iid = interp.create()
            try:
                result = interp.run_string(iid, script)
            except Exception as e:  # noqa: BLE001 - 3.11/3.12 raise here
                pytest.fail(f"sub-interpreter failed: {e!r}")
            finally:
                interp.destroy(iid)
            if result is not None:  # 3.13+ returns the exception info
                pytest.fail(f"sub-interpreter failed: {result!r}")
            with open(out) as f:
                data = json.load(f)
            assert data["leanx"] is True
            assert_strict_equal(data["superpay"], SUPERPAY_VENDOR_PAYLOAD)
            assert data["error"] == "InvalidSignatureError"
            assert data["version"] == payhook.__version__
    # The main interpreter's module is untouched.
    assert payhook.leanx.decode(token, LEANX_KEY)["n"] == 2**70
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.leanx.decode(token, "wrong")
