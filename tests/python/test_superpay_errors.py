"""SuperPay: once the hex is found, every failure is the one DecryptionError.

Nothing authenticates a SuperPay ciphertext, so a failure that a caller can
tell apart from a bad padding (a different class, message, cause or
context) is an oracle.  A value the host cannot build is such a failure: a
parse_float that raises, or an integer longer than
sys.get_int_max_str_digits() allows.  LeanX and JWT keep raising what the
sink raised: their payload is authenticated before it is parsed.
"""

from __future__ import annotations

import json
import sys
import traceback

import pytest

import payhook
from conftest import (aes_cbc_encrypt_raw, make_token, superpay_hex,
                      superpay_iv)

SP_KEY = "0123456789abcdef0123456789ABCDEF"
KEY = "superpay-errors-leanx-key"
# Text that must not reach the caller through the error.
LEAK = "LEAKED-DETAIL-5d1c"


class Boom(Exception):
    pass


def raise_value_error(text):
    raise ValueError(f"{LEAK} {text}")


def raise_boom(text):
    raise Boom(f"{LEAK} {text}")


def raise_zero_division(text):
    return 1 / 0


def _bad_padding_error() -> payhook.DecryptionError:
    ct = aes_cbc_encrypt_raw(b'{"amount":"1.5"}' + b"\x00" * 15 + b"\x05",
                             SP_KEY.encode(), superpay_iv(SP_KEY))
    try:
        payhook.superpay.decode(ct.hex(), SP_KEY)
    except payhook.DecryptionError as e:
        return e
    raise AssertionError("a bad padding decoded")


REFERENCE = _bad_padding_error()


def bodies(hex_: str) -> list:
    return [hex_, hex_.upper().encode(), json.dumps({"encryptedData": hex_}),
            bytearray(json.dumps({"encryptedData": hex_}).encode())]


def calls(parse_float):
    decoder = payhook.superpay.Decoder(SP_KEY, parse_float=parse_float)
    return {
        "superpay.decode": lambda b: payhook.superpay.decode(
            b, SP_KEY, parse_float=parse_float),
        "Decoder.decode": decoder.decode,
    }


def caught(call, body) -> BaseException:
    try:
        call(body)
    except BaseException as e:  # noqa: BLE001 - the point is which one
        return e
    raise AssertionError("decoded")


def assert_is_the_decryption_error(e: BaseException, where: str) -> None:
    assert type(e) is payhook.DecryptionError, (where, type(e), e)
    assert str(e) == str(REFERENCE), where
    assert e.args == REFERENCE.args, where
    assert repr(e) == repr(REFERENCE), where
    assert e.__cause__ is None, where
    assert e.__context__ is None, where
    text = "".join(traceback.format_exception(e))
    for word in (LEAK, "ValueError", "ZeroDivisionError", "Boom",
                 "Exceeds the limit", "int_max_str_digits"):
        assert word not in text, (where, word)


def test_reference_is_the_padding_failure():
    assert type(REFERENCE) is payhook.DecryptionError
    assert REFERENCE.__cause__ is None and REFERENCE.__context__ is None


@pytest.mark.parametrize("parse_float", [raise_value_error, raise_boom,
                                         raise_zero_division],
                         ids=["ValueError", "Exception subclass",
                              "ZeroDivisionError"])
def test_raising_parse_float_is_the_decryption_error(parse_float):
    hex_ = superpay_hex({"amount": 12.5, "account": "123-456"}, SP_KEY)
    for name, call in calls(parse_float).items():
        for body in bodies(hex_):
            assert_is_the_decryption_error(caught(call, body), name)
    # The same decoders still work with floats they can build.
    assert payhook.superpay.decode(hex_, SP_KEY) == {"amount": 12.5,
                                                     "account": "123-456"}


def test_parse_float_raising_late_in_a_long_payload():
    # Values built before the failure are released; the error is the same.
    payload = {f"k{i}": [i, "v" * i] for i in range(200)}
    payload["zz"] = 0.5
    hex_ = superpay_hex(payload, SP_KEY)
    for name, call in calls(raise_boom).items():
        assert_is_the_decryption_error(caught(call, hex_), name)


@pytest.fixture
def low_int_digit_limit():
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        yield 640
    finally:
        sys.set_int_max_str_digits(old)


@pytest.mark.parametrize("sign", ["", "-"])
def test_int_past_the_lowered_digit_limit_is_the_decryption_error(
        low_int_digit_limit, sign):
    number = sign + "9" * (low_int_digit_limit + 1)
    hex_ = superpay_hex('{"amount":' + number + '}', SP_KEY)
    with pytest.raises(ValueError):     # what json.loads does with it
        json.loads('{"amount":' + number + '}')
    for name, call in calls(None).items():
        for body in bodies(hex_):
            assert_is_the_decryption_error(caught(call, body), name)
    # At the limit, the integer is built.
    at = sign + "9" * low_int_digit_limit
    got = payhook.superpay.decode(superpay_hex('{"a":' + at + '}', SP_KEY),
                                  SP_KEY)
    assert got == {"a": int(at)}


def test_every_failure_of_the_plaintext_is_one_error(low_int_digit_limit):
    """Padding, JSON and building failures side by side: one class, one
    message, one repr, no cause or context."""
    hexes = {
        "not JSON": superpay_hex(b"hello", SP_KEY),
        "array": superpay_hex(b"[1]", SP_KEY),
        "float": superpay_hex(b'{"a":1.25}', SP_KEY),
        "long int": superpay_hex(b'{"a":' + b"1" * 700 + b"}", SP_KEY),
    }
    seen = set()
    for parse_float in (raise_value_error, raise_boom):
        for name, call in calls(parse_float).items():
            for what, hex_ in hexes.items():
                e = caught(call, hex_)
                assert_is_the_decryption_error(e, f"{name}: {what}")
                seen.add((type(e), str(e), repr(e)))
    assert seen == {(type(REFERENCE), str(REFERENCE), repr(REFERENCE))}


def test_an_interruption_is_not_turned_into_a_decryption_error():
    # No input can raise these; they belong to the program, not the body.
    def interrupt(text):
        raise KeyboardInterrupt

    hex_ = superpay_hex({"a": 1.5}, SP_KEY)
    for name, call in calls(interrupt).items():
        with pytest.raises(KeyboardInterrupt):
            call(hex_)


def test_raw_decrypt_is_unchanged_by_parse_float():
    # decrypt() returns bytes and never parses: a raising parse_float on
    # the decoder has nothing to do with it.
    hex_ = superpay_hex(b'{"a":1.5}', SP_KEY)
    decoder = payhook.superpay.Decoder(SP_KEY, parse_float=raise_boom)
    assert decoder.decrypt(hex_) == b'{"a":1.5}'


def test_leanx_and_jwt_keep_raising_what_the_sink_raised(low_int_digit_limit):
    token = make_token({"a": 1.5}, KEY)
    with pytest.raises(Boom):
        payhook.leanx.decode(token, KEY, parse_float=raise_boom)
    with pytest.raises(Boom):
        payhook.jwt.Decoder(KEY, ["HS256"],
                            parse_float=raise_boom).decode(token)
    # An integer past the lowered limit: CPython's own ValueError.
    token = make_token(None, KEY, raw_payload=b'{"n":' + b"7" * (
        low_int_digit_limit + 1) + b"}")
    with pytest.raises(ValueError) as info:
        payhook.leanx.decode(token, KEY)
    assert not isinstance(info.value, payhook.PayhookError)
