"""SuperPay's constant-time opening, seen from Python.

Every failure after the hex is found is one DecryptionError with one
message, and nothing is built from a plaintext that fails the padding or
the constant-time JSON scan (what a wrong key, a tampered block or a
padding probe decrypts to): `parse_float` counts the floats the decoder
builds, and on those it is never called.  Text that is JSON token by token
but wrongly nested is refused by the strict parse that follows, with the
same error.  (How long each failure takes is
measured by bench/superpay_timing.py, not asserted here.)
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import payhook

KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"
TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def encrypt(plain: bytes, key: str = KEY) -> bytes:
    k = key.encode()
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(k), modes.CBC(hashlib.md5(k).digest()))
    e = enc.encryptor()
    return e.update(data) + e.finalize()


def body(ct: bytes) -> bytes:
    return b'{"encryptedData":"' + ct.hex().encode() + b'"}'


def callback(n_items: int) -> bytes:
    """A payout-shaped plaintext full of floats, long strings last."""
    items = [{"fee": 1.25 + i, "amount": 100.5 * i, "name": "x" * 40}
             for i in range(n_items)]
    return json.dumps({"data": {"transactionId": "10556", "items": items,
                                "status": "SUCCESS"}},
                      separators=(",", ":")).encode()


def probe(ct: bytes, last_plain: bytes) -> bytes:
    """C1..C(n-2) || X || Cn with X chosen so the last block decrypts to
    `last_plain` (the attacker's probe; they learn from its timing)."""
    k = KEY.encode()
    blocks = [ct[i:i + 16] for i in range(0, len(ct), 16)]
    d = Cipher(algorithms.AES(k), modes.ECB()).decryptor()
    d_last = d.update(blocks[-1]) + d.finalize()
    x = bytes(a ^ b for a, b in zip(d_last, last_plain))
    return b"".join(blocks[:-2]) + x + blocks[-1]


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self, text):
        self.calls += 1
        return float(text)


def failing_bodies():
    plain = callback(30)
    ct = encrypt(plain)
    cases = {}
    for pad in range(0, 18):
        last = bytes(range(16 - max(pad, 1))) + bytes([pad]) * max(pad, 1)
        cases[f"probe-pad-{pad}"] = body(probe(ct, last[-16:]))
    cases["wrong-key"] = body(encrypt(plain, "Q" * 32))
    cases["truncated"] = body(ct[:-16])
    cases["bad-hex"] = body(ct)[:-4] + b'zz"}'
    cases["bit-flip-first-block"] = body(bytes([ct[0] ^ 1]) + ct[1:])
    # Right key, JSON wrong token by token: the scan refuses it before
    # anything is built.
    for text in (b'{"a":[1.5:2]}', b'[1.5]', b'{"a":1.5}x', b'\xef\xbb\xbf{}',
                 b'{"a":1.5,"b":"\xff"}', b'{"a":1.5,"b":01}',
                 b'{"a":"\\ud800"}', b'{"a":1.5,}'):
        cases[f"json-{text[:12]!r}"] = body(encrypt(text))
    return cases


def wrongly_nested_bodies():
    """Right key, every token right, the structure wrong: what needs memory
    of the text, which the strict parse checks after the scan."""
    texts = {
        "bracket-types": b'{"a":[1.5}]',
        "unclosed": b'{"a":1.5,"b":[2.5]',
        "keyless-member": b'{"a":{2.5}}',
        "colon-in-array": b'{"a":["k":1]}',
        "after-the-object": b'{"a":1.5}}',
        "two-objects": b'{"a":1.5},{}',
        "too-deep": b'{"a":' + b"[" * 200 + b"]" * 200 + b"}",
        "number-too-long": b'{"a":1.5,"n":1' + b"0" * 5000 + b"}",
    }
    return {name: body(encrypt(text)) for name, text in texts.items()}


@pytest.fixture(scope="module")
def reference_error():
    with pytest.raises(payhook.DecryptionError) as info:
        payhook.superpay.decode(body(b"\x00" * 32), KEY)
    return str(info.value)


@pytest.mark.parametrize("name", sorted(failing_bodies()))
def test_failure_is_one_error_and_builds_nothing(name, reference_error):
    b = failing_bodies()[name]
    count = Counter()
    dec = payhook.superpay.Decoder(KEY, parse_float=count)
    with pytest.raises(payhook.DecryptionError) as info:
        dec.decode(b)
    assert type(info.value) is payhook.DecryptionError
    assert str(info.value) == reference_error
    assert count.calls == 0


@pytest.mark.parametrize("name", sorted(wrongly_nested_bodies()))
def test_wrong_nesting_fails_with_the_one_error(name, reference_error):
    dec = payhook.superpay.Decoder(KEY, parse_float=Counter())
    with pytest.raises(payhook.DecryptionError) as info:
        dec.decode(wrongly_nested_bodies()[name])
    assert type(info.value) is payhook.DecryptionError
    assert str(info.value) == reference_error


def test_probe_pads_that_are_valid_fail_like_the_rest(reference_error):
    """Half of the probes have a valid padding; all fail the same way."""
    ct = encrypt(callback(30))
    for pad in range(1, 17):
        last = b"\x00" * (16 - pad) + bytes([pad]) * pad
        with pytest.raises(payhook.DecryptionError) as info:
            payhook.superpay.decode(body(probe(ct, last)), KEY)
        assert str(info.value) == reference_error


def test_genuine_callback_builds_every_float():
    plain = callback(30)
    count = Counter()
    got = payhook.superpay.Decoder(KEY, parse_float=count).decode(
        body(encrypt(plain)))
    assert got == json.loads(plain)
    assert count.calls == 60


@pytest.mark.parametrize("pad", range(1, 17))
def test_every_padding_length_decodes(pad):
    """Plaintexts whose padding is 1..16 bytes (the blanked padding must
    never show in the result)."""
    for extra in range(16):
        text = json.dumps({"k": "v" * extra}, separators=(",", ":")).encode()
        if 16 - len(text) % 16 == pad:
            assert payhook.superpay.decode(body(encrypt(text)), KEY) == \
                json.loads(text)
            assert payhook.superpay.decrypt(encrypt(text).hex(), KEY) == text
            return
    pytest.fail(f"no plaintext with padding {pad}")


def test_generated_json_table_is_current():
    """csrc/json_ct_table.h is what csrc/gen_json_ct.py writes."""
    r = subprocess.run([sys.executable,
                        os.path.join(TOP, "csrc", "gen_json_ct.py"),
                        "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
