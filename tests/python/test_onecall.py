"""_payhook.OneCall, the one-call functions run in C (payhook.leanx.decode,
payhook.superpay.decode): every call must answer what the Python function
it stands for (its __wrapped__) answers, the same value or the same
error, for every way of passing the arguments."""

import inspect
import json

import pytest

import payhook
from payhook import _keys, _payhook, leanx, superpay

LEANX_KEY = "a-leanx-hash-key"
SUPERPAY_KEY = "0123456789abcdef0123456789abcdef"
NOW = 1_700_000_000


def outcome(function, *args, **kwargs):
    """(value) or (exception class, message) of one call."""
    try:
        return ("value", function(*args, **kwargs))
    except Exception as e:  # noqa: BLE001 - every error is compared
        return ("error", type(e), str(e))


@pytest.fixture(scope="module")
def leanx_body():
    token = payhook.jwt.encode({"amount": 12.5, "invoice_no": "INV-1",
                                "iat": NOW - 10}, LEANX_KEY)
    return json.dumps({"data": token}).encode()


@pytest.fixture(scope="module")
def superpay_body():
    return json.dumps({"encryptedData": superpay.encrypt(
        {"amountPaid": 124.1, "status": "paid"}, SUPERPAY_KEY)}).encode()


def leanx_calls(body):
    bad = body.replace(b"INV", b"INX")
    return [
        ((body, LEANX_KEY), {}),
        ((body,), {"hash_key": LEANX_KEY}),
        ((), {"body": body, "hash_key": LEANX_KEY}),
        ((body, LEANX_KEY), {"now": NOW, "leeway": 5}),
        ((body, LEANX_KEY), {"max_bytes": 10}),
        ((body, LEANX_KEY), {"parse_float": str}),
        ((body, LEANX_KEY), {"headers": {"X": "y"}}),
        ((body, [LEANX_KEY, "another"]), {}),
        ((bad, LEANX_KEY), {}),
        ((body, "wrong key"), {}),
        ((body, ""), {}),
        ((body, 5), {}),
        ((body, LEANX_KEY), {"leeway": -1}),
        ((body, LEANX_KEY), {"max_bytes": "10"}),
        ((body, LEANX_KEY, 0), {}),
        ((body,), {}),
        ((), {}),
        ((body, LEANX_KEY), {"hash_kye": 1}),
        ((body,), {"hash_key": LEANX_KEY, "body": body}),
        ((body, LEANX_KEY), {"body": body}),
        ((b"{}", LEANX_KEY), {}),
        ((None, LEANX_KEY), {}),
    ]


def superpay_calls(body):
    return [
        ((body, SUPERPAY_KEY), {}),
        ((), {"symmetric_key": SUPERPAY_KEY, "body": body}),
        ((body, SUPERPAY_KEY), {"parse_float": str, "now": 1, "headers": {}}),
        ((body, SUPERPAY_KEY), {"max_bytes": 3}),
        ((body.replace(b'"encryptedData": "', b'"encryptedData": "00'),
          SUPERPAY_KEY), {}),
        ((body, "short"), {}),
        ((body, SUPERPAY_KEY, 1), {}),
        ((body,), {}),
        ((body, SUPERPAY_KEY), {"nope": 1}),
    ]


@pytest.mark.parametrize("module, calls, fixture", [
    (leanx, leanx_calls, "leanx_body"),
    (superpay, superpay_calls, "superpay_body"),
])
def test_the_c_function_answers_what_the_python_function_does(
        module, calls, fixture, request):
    body = request.getfixturevalue(fixture)
    c_function, py_function = module.decode, module.decode.__wrapped__
    assert isinstance(c_function, _payhook.OneCall)
    errors = 0
    for args, kwargs in calls(body):
        want = outcome(py_function, *args, **kwargs)
        got = outcome(c_function, *args, **kwargs)
        if want[0] == "error" and want[1] is TypeError:
            # The argument binding's messages: the same words, the
            # function's name without the module path CPython adds.
            assert got[0] == "error" and got[1] is TypeError, (args, kwargs)
            assert got[2].split("() ", 1)[-1] == want[2].split("() ", 1)[-1]
            errors += 1
        else:
            assert got == want, (args, kwargs)
    assert errors >= 3


def test_a_good_call_is_the_decoders_answer(leanx_body):
    assert leanx.decode(leanx_body, LEANX_KEY) == \
        leanx.Decoder(LEANX_KEY).decode(leanx_body)


def test_introspection_is_the_python_functions():
    for module in (leanx, superpay):
        f = module.decode
        assert f.__name__ == "decode"
        assert f.__module__ == module.__name__
        assert f.__doc__ == f.__wrapped__.__doc__
        assert inspect.signature(f) == inspect.signature(f.__wrapped__)


def test_the_memo_is_shared_with_the_python_function(leanx_body):
    memo = leanx._prepared
    memo.cache_clear()
    leanx.decode(leanx_body, LEANX_KEY)
    leanx.decode.__wrapped__(leanx_body, LEANX_KEY)
    info = memo.cache_info()
    assert (info.hits, info.misses) == (1, 1)


def test_construction_is_checked():
    memo = _keys.prepared(lambda *a: a)
    good = dict(memo=memo, method="m", params=("a", "b"), npositional=2,
                defaults=(), key_args=(0,), call_args=(1,))
    _payhook.OneCall(**good)
    for change in ({"memo": object()}, {"params": ("a", 1)},
                   {"params": tuple("abcdefghijklmnopq")},
                   {"defaults": (1, 2, 3)}, {"npositional": 3},
                   {"key_args": (2,)}, {"call_args": ("0",)},
                   {"key_args": tuple(range(17))}):
        with pytest.raises((TypeError, ValueError)):
            _payhook.OneCall(**{**good, **change})


def test_required_params_must_come_first_in_one_call():
    memo = _keys.prepared(lambda *a: a)

    def wrong(a, b=1, *, c):
        return memo(a).m(b, c)
    with pytest.raises(TypeError):
        _keys.one_call(memo, "m", ("a",), ("b", "c"))(wrong)
