"""payhook inside real web frameworks: a Flask app and a Django view, driven
by their own test clients with real callback bodies."""

from __future__ import annotations

import json
import sys
import types

import pytest

import payhook
from conftest import (
    SUPERPAY_VENDOR_HEX,
    SUPERPAY_VENDOR_KEY,
    make_token,
    superpay_body,
    superpay_hex,
)

LEANX_KEY = "7d3b1f0c9a2e4b6d8f0a1c3e5b7d9f1a-demo-hash-key"
SUPERPAY_KEY = SUPERPAY_VENDOR_KEY

LEANX_PAYLOAD = {
    "output": {
        "invoice_no": "17254613886HGPiuRu",
        "error_description": [],
        "bank_response": {"Success": True,
                          "Result": {"PaymentStatus": "ACSP",
                                     "OrgnTransactionAmount": "13.0"}},
        "invoice_status_id": 2,
        "invoice_status": "SUCCESS",
        "amount": "13.00",
        "client_transaction_details": None,
    },
    "response_code": 2100,
}
SUPERPAY_PAYLOAD = {
    "message": "Success",
    "data": {"status": "SUCCESS",
             "transaction": {"id": 10025, "amountWithdraw": 3.1025,
                             "confirmedAt": 1700000000, "commissionFee": 0},
             "order": {"id": "10006", "amount": "1", "currencyType": "MYR"},
             "recipient": {"name": "Long Wan", "phone": None}},
}


def leanx_callback(key: str = LEANX_KEY) -> bytes:
    token = make_token(LEANX_PAYLOAD, key)
    return json.dumps({"data": token, "response_code": 2100}).encode()


def superpay_callback(key: str = SUPERPAY_KEY) -> bytes:
    return superpay_body(SUPERPAY_PAYLOAD, key).encode()


def _tampered_superpay() -> bytes:
    ct = bytearray(bytes.fromhex(superpay_hex(SUPERPAY_PAYLOAD, SUPERPAY_KEY)))
    ct[-17] ^= 0x01  # a padding-oracle probe
    return json.dumps({"encryptedData": ct.hex()}).encode()


FORGED = {
    "leanx wrong key": ("leanx", leanx_callback("attacker-key"), 401),
    "leanx alg none": ("leanx", json.dumps({"data": make_token(
        LEANX_PAYLOAD, LEANX_KEY, header={"alg": "none"})}).encode(), 401),
    "leanx not a callback": ("leanx", b'{"hello": "world"}', 400),
    "leanx empty": ("leanx", b"", 400),
    "leanx invalid utf-8": ("leanx", b"\xff\xfe{", 400),
    "superpay wrong key": ("superpay",
                           superpay_callback("X" * 32), 400),
    "superpay tampered": ("superpay", _tampered_superpay(), 400),
    "superpay not hex": ("superpay", b'{"encryptedData": "zz"}', 400),
    "superpay not a callback": ("superpay", b'{"data": 1}', 400),
}


# ---------------------------------------------------------------------------
# Flask


def make_flask_app():
    flask = pytest.importorskip("flask")
    app = flask.Flask("payhook_test_app")
    leanx = payhook.leanx.Decoder(LEANX_KEY)
    superpay = payhook.superpay.Decoder(SUPERPAY_KEY)
    processed = []

    @app.post("/callbacks/leanx")
    def leanx_callback_view():
        try:
            payload = leanx.decode(flask.request.get_data())
        except (payhook.InvalidSignatureError,
                payhook.InvalidAlgorithmError):
            return {"error": "forged"}, 401
        except payhook.PayhookError as e:
            return {"error": type(e).__name__}, 400
        invoice = payload["output"]["invoice_no"]
        processed.append(invoice)  # a real handler is idempotent on this
        return {"invoice_no": invoice,
                "status": payload["output"]["invoice_status"]}

    @app.post("/callbacks/superpay")
    def superpay_callback_view():
        try:
            payload = superpay.decode(flask.request.get_data())
        except payhook.PayhookError as e:
            return {"error": type(e).__name__}, 400
        data = payload.get("data")
        if not isinstance(data, dict) or "status" not in data:
            return {"error": "not a payout callback"}, 422
        return {"status": data["status"],
                "transaction": data["transaction"]["id"]}

    app.config["processed"] = processed
    return app


@pytest.fixture(scope="module")
def flask_client():
    app = make_flask_app()
    app.testing = True
    return app.test_client()


def test_flask_leanx_callback(flask_client):
    r = flask_client.post("/callbacks/leanx", data=leanx_callback(),
                          content_type="application/json")
    assert r.status_code == 200
    assert r.get_json() == {"invoice_no": "17254613886HGPiuRu",
                            "status": "SUCCESS"}


def test_flask_superpay_callback(flask_client):
    r = flask_client.post("/callbacks/superpay", data=superpay_callback(),
                          content_type="application/json")
    assert r.status_code == 200
    assert r.get_json() == {"status": "SUCCESS", "transaction": 10025}


def test_flask_superpay_vendor_sample_is_not_a_payout(flask_client):
    body = json.dumps({"encryptedData": SUPERPAY_VENDOR_HEX})
    r = flask_client.post("/callbacks/superpay", data=body,
                          content_type="application/json")
    # It decrypts (it is a payment-creation response), but has no
    # data.status: payhook accepted it, the handler's own check did not.
    assert r.status_code == 422
    assert r.get_json() == {"error": "not a payout callback"}


@pytest.mark.parametrize("name", sorted(FORGED))
def test_flask_forged_callbacks(flask_client, name):
    provider, body, status = FORGED[name]
    r = flask_client.post(f"/callbacks/{provider}", data=body,
                          content_type="application/json")
    assert r.status_code == status, r.get_data()
    if provider == "superpay" and status == 400:
        err = r.get_json()["error"]
        assert err in ("DecryptionError", "DecodeError")


def test_flask_tampered_superpay_answers_are_identical(flask_client):
    """An attacker sees the same answer for every bad ciphertext."""
    answers = set()
    good = bytes.fromhex(superpay_hex(SUPERPAY_PAYLOAD, SUPERPAY_KEY))
    for i in range(len(good) - 32, len(good) - 16):
        for bit in (1, 0x40):
            ct = bytearray(good)
            ct[i] ^= bit
            r = flask_client.post(
                "/callbacks/superpay",
                data=json.dumps({"encryptedData": ct.hex()}),
                content_type="application/json")
            answers.add((r.status_code, r.get_data()))
    assert len(answers) == 1, answers


# ---------------------------------------------------------------------------
# Django


def _django_setup():
    django = pytest.importorskip("django")
    from django.conf import settings

    urls = types.ModuleType("payhook_test_django_urls")
    sys.modules[urls.__name__] = urls
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="payhook-tests-only",
            ALLOWED_HOSTS=["testserver"],
            ROOT_URLCONF=urls.__name__,
            MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
            INSTALLED_APPS=[],
            DATABASES={},
            USE_TZ=True,
        )
        django.setup()
    elif settings.ROOT_URLCONF != urls.__name__:
        pytest.skip("Django was configured elsewhere in this process")

    from django.http import JsonResponse
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt
    from django.views.decorators.http import require_POST

    leanx = payhook.leanx.Decoder(LEANX_KEY)
    superpay = payhook.superpay.Decoder(SUPERPAY_KEY)

    @csrf_exempt
    @require_POST
    def leanx_view(request):
        try:
            payload = leanx.decode(request.body)
        except (payhook.InvalidSignatureError,
                payhook.InvalidAlgorithmError):
            return JsonResponse({"error": "forged"}, status=401)
        except payhook.PayhookError as e:
            return JsonResponse({"error": type(e).__name__}, status=400)
        return JsonResponse({"invoice_no": payload["output"]["invoice_no"]})

    @csrf_exempt
    @require_POST
    def superpay_view(request):
        try:
            payload = superpay.decode(request.body)
        except payhook.PayhookError as e:
            return JsonResponse({"error": type(e).__name__}, status=400)
        return JsonResponse({"status": payload["data"]["status"],
                             "amount": payload["data"]["transaction"][
                                 "amountWithdraw"]})

    urls.urlpatterns = [
        path("callbacks/leanx", leanx_view),
        path("callbacks/superpay", superpay_view),
    ]
    from django.urls import clear_url_caches
    clear_url_caches()


@pytest.fixture(scope="module")
def django_client():
    _django_setup()
    from django.test import Client
    from django.test.utils import (setup_test_environment,
                                   teardown_test_environment)

    setup_test_environment()
    try:
        yield Client(enforce_csrf_checks=True)
    finally:
        teardown_test_environment()


def test_django_leanx_callback(django_client):
    r = django_client.post("/callbacks/leanx", data=leanx_callback(),
                           content_type="application/json")
    assert r.status_code == 200
    assert r.json() == {"invoice_no": "17254613886HGPiuRu"}


def test_django_superpay_callback(django_client):
    r = django_client.post("/callbacks/superpay", data=superpay_callback(),
                           content_type="application/json")
    assert r.status_code == 200
    assert r.json() == {"status": "SUCCESS", "amount": 3.1025}


def test_django_rejects_get(django_client):
    assert django_client.get("/callbacks/leanx").status_code == 405


@pytest.mark.parametrize("name", sorted(FORGED))
def test_django_forged_callbacks(django_client, name):
    provider, body, status = FORGED[name]
    r = django_client.post(f"/callbacks/{provider}", data=body,
                           content_type="application/json")
    assert r.status_code == status, r.content
