"""payhook.verify, payhook.sign and the payhook.<gateway> modules: the
API around the shared gateway vectors (which test_vectors.py runs).

Headers as Flask's, Django's and Starlette's own header objects; expect=;
the Result record; sign -> verify round trips for every gateway; errors;
memory under a flood of good and forged callbacks.
"""

from __future__ import annotations

import base64
import dataclasses
import decimal
import gc
import importlib
import json
import pathlib
import threading
import tracemalloc

import pytest

import payhook
from conftest import UNDER_ASAN, rss_bytes

KEYS = pathlib.Path(__file__).resolve().parents[1] / "vectors" / "keys"
CHIP_PUBLIC = (KEYS / "chip-2048-public.pem").read_text()
CHIP_PRIVATE = (KEYS / "chip-2048-private.pem").read_text()
OTHER_PUBLIC = (KEYS / "other-2048-public.pem").read_text()
WHSEC = "whsec_" + base64.b64encode(bytes(range(32))).decode()
NOW = 1_700_000_000

PAYLOAD = {"id": "evt_1", "status": "paid", "invoiceNo": "INV-1",
           "respCode": "0000", "amount": "124.10", "n": 12, "fee": 3.1025,
           "currency": "MYR",
           "data": {"status": "SUCCESS", "transaction": {"id": 7},
                    "order": {"amount": "124.10"}},
           "output": {"invoice_no": "BP1", "invoice_status": "SUCCESS"}}

KEY = {"leanx": "hash-key", "superpay": "0123456789abcdef0123456789abcdef",
       "twoc2p": "A" * 64, "standardwebhooks": WHSEC, "stripe": "whsec_x",
       "razorpay": "webhook-secret", "chip": CHIP_PUBLIC,
       "chip_send": CHIP_PUBLIC}
SIGN_KEY = dict(KEY, chip=CHIP_PRIVATE, chip_send=CHIP_PRIVATE)
EVENT_ID = {"leanx": "BP1:SUCCESS", "superpay": "7:SUCCESS",
            "twoc2p": "INV-1:0000", "stripe": "evt_1", "chip": "evt_1:paid",
            "chip_send": "evt_1:paid"}


def signed(gateway: str, **kw):
    return payhook.sign(gateway, PAYLOAD, SIGN_KEY[gateway],
                        timestamp=NOW, **kw)


def test_every_gateway_is_a_module():
    assert set(payhook.GATEWAYS) == set(KEY) | set(FORMS)
    for name in payhook.GATEWAYS:
        mod = importlib.import_module(f"payhook.{name}")
        assert mod is getattr(payhook, name)
        for fn in ("decode", "verify", "sign", "Decoder"):
            assert hasattr(mod, fn), (name, fn)
        assert name in payhook.__all__


@pytest.mark.parametrize("gateway", sorted(KEY))
def test_round_trip(gateway):
    body, headers = signed(gateway)
    r = payhook.verify(gateway, body, KEY[gateway], headers=headers,
                       now=NOW + 10)
    assert r.payload == PAYLOAD
    assert r.gateway == gateway
    if gateway in EVENT_ID:
        assert r.event_id == EVENT_ID[gateway]
    else:
        assert r.event_id and r.event_id.isascii()
    assert r.timestamp == (NOW if payhook.GATEWAYS[gateway]["signs_time"]
                           else None)
    covered = payhook.GATEWAYS[gateway]["covers_payload"]
    assert r.signed_fields == (tuple(PAYLOAD) if covered else ())
    assert r.reply.status == 200
    mod = getattr(payhook, gateway)
    assert mod.decode(body, KEY[gateway], headers=headers,
                      now=NOW + 10) == PAYLOAD
    dec = mod.Decoder(KEY[gateway])
    assert dec.verify(body, headers, now=NOW + 10).payload == PAYLOAD
    if gateway in ("leanx", "superpay"):
        # Their decoders keep the shape they always had: decode(body, now).
        assert dec.decode(body, NOW + 10) == PAYLOAD
    else:
        assert dec.decode(body, headers, now=NOW + 10) == PAYLOAD
    with pytest.raises(AttributeError):
        r.payload = {}  # type: ignore[misc]


def test_result_is_immutable_and_typed():
    body, headers = signed("stripe")
    r = payhook.stripe.verify(body, KEY["stripe"], headers=headers, now=NOW)
    assert isinstance(r, tuple) and isinstance(r.reply, payhook.Reply)
    assert not dataclasses.is_dataclass(r)
    assert r._replace(event_id="x") != r


# --- headers as the frameworks give them ------------------------------

def _framework_headers(kind: str, pairs):
    if kind == "dict":
        return dict(pairs)
    if kind == "pairs":
        return list(pairs)
    if kind == "tuple":
        return tuple(pairs)
    if kind == "asgi":  # an ASGI scope's headers: a list of byte pairs
        return [(k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in pairs]
    if kind == "iterator":
        return iter(list(pairs))
    if kind == "dict-subclass":
        class Headers(dict):
            def items(self):  # never asked: a dict is read as a dict
                raise AssertionError("items() called")
        return Headers(pairs)
    if kind == "flask":
        from werkzeug.datastructures import EnvironHeaders
        environ = {"HTTP_" + k.upper().replace("-", "_"): v
                   for k, v in pairs}
        return EnvironHeaders(environ)
    if kind == "django":
        from django.http.request import HttpHeaders
        return HttpHeaders({"HTTP_" + k.upper().replace("-", "_"): v
                            for k, v in pairs})
    if kind == "starlette":
        from starlette.datastructures import Headers
        return Headers(raw=[(k.lower().encode("latin-1"),
                             v.encode("latin-1")) for k, v in pairs])
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["dict", "pairs", "tuple", "asgi",
                                  "iterator", "dict-subclass", "flask",
                                  "django", "starlette"])
@pytest.mark.parametrize("gateway", ["standardwebhooks", "stripe",
                                     "razorpay", "chip"])
def test_framework_headers(kind, gateway):
    body, headers = signed(gateway)
    pairs = list(headers.items()) + [("Content-Type", "application/json")]
    h = _framework_headers(kind, pairs)
    r = payhook.verify(gateway, body, KEY[gateway], headers=h, now=NOW)
    assert r.payload == PAYLOAD


def test_starlette_repeated_header_is_refused():
    from starlette.datastructures import Headers
    body, headers = signed("stripe")
    (name, value), = headers.items()
    raw = [(name.lower().encode(), value.encode()),
           (name.encode(), value.encode())]
    with pytest.raises(payhook.DecodeError, match="more than once"):
        payhook.stripe.verify(body, KEY["stripe"], headers=Headers(raw=raw),
                              now=NOW)


def test_headers_wrong_types():
    body, headers = signed("razorpay")
    with pytest.raises(TypeError):
        payhook.razorpay.verify(body, KEY["razorpay"], headers=42)
    with pytest.raises(TypeError):
        payhook.razorpay.verify(body, KEY["razorpay"],
                                headers=[("X-Razorpay-Signature", 1)])
    with pytest.raises(TypeError):
        payhook.razorpay.verify(body, KEY["razorpay"], headers=[("a",)])
    with pytest.raises(payhook.MissingSignatureError):
        payhook.razorpay.verify(body, KEY["razorpay"])
    with pytest.raises(TypeError):
        payhook.razorpay.verify(body, KEY["razorpay"],
                                headers={"X-Razorpay-Signature": None})
    with pytest.raises(TypeError):
        payhook.razorpay.verify(body, KEY["razorpay"],
                                headers=(("a", "b"), "ab"))
    with pytest.raises(payhook.DecodeError, match="valid text"):
        payhook.razorpay.verify(body, KEY["razorpay"],
                                headers={"X-Razorpay-Signature": "\ud800"})
    too_many = [(f"x-{i}", "v") for i in range(300)] + list(headers.items())
    for form in (too_many, tuple(too_many), dict(too_many)):
        with pytest.raises(payhook.DecodeError, match="headers"):
            payhook.razorpay.verify(body, KEY["razorpay"], headers=form)
    # Names are matched in any case, and only whole.
    sig = headers["X-Razorpay-Signature"]
    assert payhook.razorpay.verify(
        body, KEY["razorpay"],
        headers={"x-RAZORPAY-signature": sig}).payload == PAYLOAD
    for near in ("X-Razorpay-Signatur", "X-Razorpay-Signaturee",
                 "X-Razorpay-Signature\0"):
        with pytest.raises(payhook.MissingSignatureError):
            payhook.razorpay.verify(body, KEY["razorpay"],
                                    headers={near: sig})


# --- expect= ----------------------------------------------------------

def test_expect_binds_the_callback_to_the_order():
    body, headers = signed("chip")
    ok = {"amount": "124.10", "currency": "MYR", "n": 12,
          "data.order.amount": "124.10", "fee": decimal.Decimal("3.1025")}
    r = payhook.chip.verify(body, KEY["chip"], headers=headers, expect=ok)
    assert r.payload == PAYLOAD
    for bad, why in [({"amount": "124.1"}, "differs"),
                     ({"amount": "124.100"}, "differs"),
                     ({"n": "12.0"}, "differs"),
                     ({"currency": "myr"}, "differs"),
                     ({"missing": "x"}, "absent"),
                     ({"data.order": "x"}, "not a string or a number"),
                     ({"data.order.amount.x": "1"}, "absent")]:
        with pytest.raises(payhook.FieldMismatchError, match=why):
            payhook.chip.verify(body, KEY["chip"], headers=headers,
                                expect=bad)
    for bad_type in [{"amount": 124.1}, {"amount": None}, {"n": True},
                     {"": "x"}, {1: "x"}]:
        with pytest.raises(TypeError):
            payhook.chip.verify(body, KEY["chip"], headers=headers,
                                expect=bad_type)
    with pytest.raises(TypeError):
        payhook.chip.verify(body, KEY["chip"], headers=headers,
                            expect=[("amount", "1")])


def test_expect_fails_closed_when_nothing_is_signed():
    body, _ = signed("superpay")
    with pytest.raises(payhook.FieldMismatchError, match="not signed"):
        payhook.superpay.verify(body, KEY["superpay"],
                                expect={"data.status": "SUCCESS"})
    # Without expect the callback decrypts: the merchant is told, by the
    # empty signed_fields, that nothing in it is authenticated.
    r = payhook.superpay.verify(body, KEY["superpay"])
    assert r.signed_fields == () and r.event_id == "7:SUCCESS"


def test_expect_error_is_checked_after_the_signature():
    body, headers = signed("razorpay")
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.razorpay.verify(body + b" ", KEY["razorpay"], headers=headers,
                                expect={"amount": "0"})


# --- the window, rotation, keys ---------------------------------------

def test_tolerance_and_clock():
    body, headers = signed("stripe")
    payhook.stripe.verify(body, KEY["stripe"], headers=headers, now=NOW + 300)
    with pytest.raises(payhook.InvalidTimestampError):
        payhook.stripe.verify(body, KEY["stripe"], headers=headers,
                              now=NOW + 301)
    with pytest.raises(payhook.InvalidTimestampError):
        payhook.stripe.verify(body, KEY["stripe"], headers=headers,
                              now=NOW - 301)
    payhook.stripe.verify(body, KEY["stripe"], headers=headers,
                          now=NOW + 3600, tolerance=3600)
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            payhook.stripe.Decoder(KEY["stripe"], tolerance=bad)
    with pytest.raises(TypeError):
        payhook.stripe.Decoder(KEY["stripe"], tolerance="300")
    with pytest.raises(TypeError):
        payhook.stripe.verify(body, KEY["stripe"], headers=headers, now="1")


def test_rotation_and_key_errors():
    body, headers = signed("chip_send")
    payhook.chip_send.verify(body, [OTHER_PUBLIC, CHIP_PUBLIC],
                             headers=headers)
    with pytest.raises(payhook.InvalidSignatureError):
        payhook.chip_send.verify(body, [OTHER_PUBLIC], headers=headers)
    with pytest.raises(payhook.InvalidKeyError):
        payhook.chip.Decoder(CHIP_PRIVATE)
    with pytest.raises(payhook.InvalidKeyError):
        payhook.standardwebhooks.Decoder("whsec_short")
    with pytest.raises(payhook.InvalidKeyError):
        payhook.stripe.Decoder("")
    with pytest.raises(payhook.InvalidKeyError):
        payhook.stripe.Decoder([])
    with pytest.raises(ValueError, match="unknown gateway"):
        payhook.verify("paypal", b"{}", "k")
    with pytest.raises(ValueError, match="unknown gateway"):
        payhook.Decoder("Stripe", "k")


def test_errors_never_echo_the_key_or_the_signature():
    body, headers = signed("stripe")
    forged = {k: v[:-4] + "abcd" for k, v in headers.items()}
    try:
        payhook.stripe.verify(body, KEY["stripe"], headers=forged, now=NOW)
    except payhook.InvalidSignatureError as e:
        text = str(e)
    else:
        raise AssertionError("forged callback verified")
    assert KEY["stripe"] not in text
    assert forged["Stripe-Signature"][-20:] not in text


def test_sign_api():
    body, headers = payhook.razorpay.sign(PAYLOAD, KEY["razorpay"],
                                          event_id="evt_fixed")
    assert headers["X-Razorpay-Event-Id"] == "evt_fixed"
    with pytest.raises(ValueError, match="payload"):
        payhook.stripe.sign(PAYLOAD, KEY["stripe"], event_id="evt_x")
    with pytest.raises(TypeError):
        payhook.stripe.sign(PAYLOAD, KEY["stripe"], timestamp=1.5)
    raw = b'{"a": 1, "b": [1.0]}'
    body, headers = payhook.stripe.sign(raw, KEY["stripe"], timestamp=NOW)
    assert body == raw
    body, headers = payhook.sign("standardwebhooks", "{}", WHSEC)
    assert headers["webhook-id"].startswith("msg_")
    with pytest.raises(payhook.InvalidKeyError):
        payhook.chip.sign(PAYLOAD, CHIP_PUBLIC)


def test_decoder_shared_between_threads():
    dec = payhook.standardwebhooks.Decoder(WHSEC)
    cases = [signed("standardwebhooks", event_id=f"msg_{i}")
             for i in range(8)]
    errors = []

    def work(i):
        body, headers = cases[i % 8]
        for _ in range(300):
            r = dec.verify(body, headers, now=NOW)
            if r.event_id != f"msg_{i % 8}":
                errors.append(r.event_id)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


@pytest.mark.slow
@pytest.mark.parametrize("gateway", ["standardwebhooks", "chip", "superpay",
                                     "twoc2p"])
def test_no_memory_growth(gateway):
    body, headers = signed(gateway)
    dec = payhook.Decoder(gateway, KEY[gateway])
    forged = body[:-2] + b"x}"

    def once():
        dec.verify(body, headers, now=NOW, expect=None)
        try:
            dec.decode(forged, headers, now=NOW)
        except payhook.PayhookError:
            pass

    for _ in range(500):
        once()
    gc.collect()
    tracemalloc.start()
    rss0 = rss_bytes()
    before, _ = tracemalloc.get_traced_memory()
    for _ in range(5_000 if gateway.startswith("chip") else 20_000):
        once()
    gc.collect()
    after, _ = tracemalloc.get_traced_memory()
    rss1 = rss_bytes()
    tracemalloc.stop()
    assert after - before < 64 * 1024
    if not UNDER_ASAN and rss0:
        assert rss1 - rss0 < 2 * 1024 * 1024


# --- the signed-form gateways -----------------------------------------

FORM_KEY = "form-gateway-secret"
FORMS = {
    "billplz": {"id": "W_79pJDk", "collection_id": "inbmmepb", "paid": "true",
                "state": "paid", "amount": "20000", "paid_amount": "20000",
                "mobile": "", "email": "a@example.com", "name": "Siti Aminah",
                "paid_at": "2023-11-14 22:13:20 +0800", "url": "https://x/y"},
    "fiuu": {"tranID": "30512", "orderid": "ORD-1", "status": "00",
             "domain": "merchant", "amount": "124.10", "currency": "MYR",
             "paydate": "2023-11-14 22:13:20", "appcode": "", "channel": "fpx",
             "nbcb": "2"},
    "senangpay": {"status_id": "1", "order_id": "ORD-1",
                  "transaction_id": "T-9", "msg": "Payment_was_successful",
                  "amount": "124.10"},
    "senangpay_md5": {"status_id": "1", "order_id": "ORD-1",
                      "transaction_id": "T-9",
                      "msg": "Payment_was_successful"},
    "toyyibpay": {"refno": "R-1", "status": "1", "order_id": "ORD-1",
                  "amount": "12410", "billcode": "b1", "reason": "Approved"},
}
FORM_EVENT = {"billplz": "W_79pJDk:paid", "fiuu": "30512:00",
              "senangpay": "T-9:1", "senangpay_md5": "T-9:1",
              "toyyibpay": "R-1:1"}
SIGNATURE_FIELD = {"billplz": "x_signature", "fiuu": "skey"}


@pytest.mark.parametrize("gateway", sorted(FORMS))
def test_form_round_trip_body_query_and_mapping(gateway):
    body, headers = payhook.sign(gateway, FORMS[gateway], FORM_KEY)
    assert headers == {}
    r = payhook.verify(gateway, body, FORM_KEY)
    sig = SIGNATURE_FIELD.get(gateway, "hash")
    assert {k: v for k, v in r.payload.items() if k != sig} == FORMS[gateway]
    assert r.event_id == FORM_EVENT[gateway]
    assert sig not in r.signed_fields and r.signed_fields
    # A redirect's query string, and an already-parsed form (Django's
    # QueryDict, Werkzeug's MultiDict, a dict), check the same.
    assert payhook.verify(gateway, b"", FORM_KEY, query=body).payload == \
        r.payload
    from werkzeug.datastructures import MultiDict
    assert payhook.verify(gateway, MultiDict(r.payload), FORM_KEY).payload \
        == r.payload
    assert payhook.verify(gateway, dict(r.payload), FORM_KEY).event_id == \
        FORM_EVENT[gateway]


def test_form_a_field_given_twice_in_a_multi_value_mapping_is_refused():
    from werkzeug.datastructures import MultiDict
    body, _ = payhook.sign("toyyibpay", FORMS["toyyibpay"], FORM_KEY)
    fields = MultiDict(payhook.verify("toyyibpay", body, FORM_KEY).payload)
    fields.add("status", "3")
    with pytest.raises(payhook.DecodeError, match="2 times"):
        payhook.toyyibpay.verify(fields, FORM_KEY)
    with pytest.raises(payhook.DecodeError, match="same name"):
        payhook.toyyibpay.verify(body + b"&status=3", FORM_KEY)
    with pytest.raises(TypeError):
        payhook.stripe.verify({"a": "b"}, "k")


def test_form_expect_binds_only_what_the_hash_covers():
    body, _ = payhook.sign("senangpay", FORMS["senangpay"], FORM_KEY)
    r = payhook.senangpay.verify(body, FORM_KEY, expect={"order_id": "ORD-1"})
    assert "amount" not in r.signed_fields
    # senangPay does not sign the amount: binding it fails closed, even
    # when the value matches.
    with pytest.raises(payhook.FieldMismatchError, match="not covered"):
        payhook.senangpay.verify(body, FORM_KEY, expect={"amount": "124.10"})
    with pytest.raises(payhook.FieldMismatchError, match="differs"):
        payhook.senangpay.verify(body, FORM_KEY, expect={"order_id": "ORD-2"})
    # An unsigned field may be changed at will: still verifies.
    tampered = body.replace(b"amount=124.10", b"amount=1.00")
    assert payhook.senangpay.verify(tampered, FORM_KEY).payload["amount"] \
        == "1.00"
    body, _ = payhook.sign("billplz", FORMS["billplz"], FORM_KEY)
    payhook.billplz.verify(body, FORM_KEY,
                           expect={"amount": "20000", "id": "W_79pJDk"})


def test_fiuu_reply_and_repost():
    ack = dict(FORMS["fiuu"], nbcb="1")
    body, _ = payhook.fiuu.sign(ack, FORM_KEY)
    r = payhook.fiuu.verify(body, FORM_KEY)
    assert r.reply.body == b"CBTOKEN:MPSTATOK" and r.reply.repost is None
    body, _ = payhook.fiuu.sign(FORMS["fiuu"], FORM_KEY)
    r = payhook.fiuu.verify(body, FORM_KEY)
    assert r.reply.body == b"" and r.reply.repost == body + b"&treq=1"
    assert "channel" not in r.signed_fields and "nbcb" not in r.signed_fields


def test_billplz_redirect_flattens_and_signs_in_brackets():
    fields = {"billplz[id]": "W_79pJDk", "billplz[paid]": "true",
              "billplz[paid_at]": "2023-11-14 22:13:20 +0800"}
    query, _ = payhook.billplz.sign(fields, FORM_KEY)
    assert b"billplz%5Bx_signature%5D=" in query
    r = payhook.billplz.verify(b"", FORM_KEY, query=query)
    assert r.payload["billplzid"] == "W_79pJDk"
    assert r.event_id == "W_79pJDk:true"
    assert "billplzx_signature" not in r.signed_fields


def test_form_parser_is_reachable_for_differential_tests():
    assert payhook._payhook.parse_form(b"a=1&b=%C3%A9+x") == [("a", "1"),
                                                             ("b", "é x")]
    with pytest.raises(payhook.DecodeError):
        payhook._payhook.parse_form(b"a=1&a=2")
