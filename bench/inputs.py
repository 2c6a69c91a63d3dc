"""Benchmark inputs: vendor-shaped LeanX and SuperPay callbacks in three sizes.

Everything here is built with the standard library and `cryptography`, not
with payhook, so the inputs do not depend on the code under test.

Sizes are the size of the decoded payload (the JSON the merchant reads):

- "1.2 KB": LeanX is the payload of the vendor's "after decode" sample as
  published (1,153 bytes compact); SuperPay is the documented payout
  plaintext (344 bytes) grown with payout records to about 1.2 KB.
- "16 KB" and "256 KB": the same shapes grown with more items (LeanX:
  `output.payout_payment.items`, copies of the `item` object with varied
  values; SuperPay: `data.items`, transaction + order + recipient records).

Beside them (build_amounts, Python only): a float-bearing SuperPay payout
of 1.3 KB with 60 float amounts, and its twin with integer amounts.

The other JSON gateways (Standard Webhooks, Stripe, Razorpay, CHIP) all
sign one Stripe-shaped event (gateway_event): 1,000 bytes with six charges
("1 KB"), and more charges up to 16 and 256 KiB (GATEWAY_SIZES).
gateways_bench.py signs it with payhook.sign; bench/stages.c signs it with
the core, under the keys written here.

`python3 bench/inputs.py DIR` writes the bodies, the events, the CHIP key
pair and a manifest for the Lua bench and bench/stages.c into DIR.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# Demo keys of examples/callbacks/keys.env: the LeanX hash key is a
# 128-character hex string used as text; the SuperPay key is the vendor's.
LEANX_KEY = ("7d3b1f0c9a2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d"
             "4f6a8c0e2b4d6f8a0c2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a")
LEANX_WRONG_KEY = "0" * 128
SUPERPAY_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"

SIZES = [("1.2 KB", 1200), ("16 KB", 16 * 1024), ("256 KB", 256 * 1024)]

# The keys the other gateways' event is signed with in bench/stages.c (and
# in gateways_bench.py): a text secret for Stripe and Razorpay, a whsec_
# secret for Standard Webhooks; CHIP's RSA pair is made by write().
GATEWAY_TEXT_KEY = "whsec_stripe_or_razorpay_secret"
GATEWAY_WHSEC = "whsec_" + base64.b64encode(bytes(range(32))).decode()


def leanx_vendor_payload() -> dict:
    """The LeanX vendor page's "after decode" sample, field for field."""
    return {
        "output": {
            "invoice_no": "17254613886HGPiuRu",
            "error_description": [],
            "bank_response": {
                "Success": True,
                "Result": {
                    "OrgnFromAccountCurrency": "MYR",
                    "OrgnThirdPartyAccountNo": "114085826509",
                    "OrgnPaymentDescription": "66d8738c2c23f",
                    "BizMsgID": "20240904OCBCMYKL010OCB89550491",
                    "DisplayName": "John Doe",
                    "BankReferenceNo": "20240904224948548338",
                    "OrgnTransactionAmount": "13.0",
                    "PaymentStatus": "ACSP",
                    "OrgnThirdPartyBankBICCode": "MBBEMYKL",
                    "OrgnCurrency": "MYR",
                    "OrgnRecipientReference": "Test",
                },
            },
            "client_data": {
                "virtual_pool_reference": "PAYOUT-5C1E:224947-LEANX",
                "external_invoice_ref": "INVOICE1234",
                "recipient_reference": "Test",
            },
            "invoice_status_id": 2,
            "invoice_status": "SUCCESS",
            "amount": "13.00",
            "payout_service_id": 33,
            "client_callback_url": "https://api.leanx.io/api/v1/callback-url/"
                                   "callback-redirect?_uuid=799411e8-3a6c-48bf"
                                   "-bc45-9ed91bced62d",
            "client_transaction_details": None,
            "payout_payment": {
                "item": {
                    "balance": "7.00",
                    "virtual_pool_reference": "VA-2FDB5C-193420439550-PAYOUT",
                    "record_status_id": 1,
                    "virtual_pool_collection_type_id": 1,
                    "created_at": "2023-03-16T04:42:03.000000Z",
                    "updated_at": "2024-09-04T14:49:51.000000Z",
                },
                "response_code": 2100,
            },
        },
        "response_code": 2100,
    }


def superpay_vendor_payload() -> dict:
    """The SuperPay payout plaintext documented on the vendor page."""
    return {
        "message": "Success",
        "data": {
            "status": "SUCCESS",
            "transaction": {"id": 10025, "amountWithdraw": 1,
                            "confirmedAt": 1725461388, "commissionFee": 0},
            "order": {"id": "10006", "amount": "1", "currencyType": "MYR"},
            "recipient": {"name": "Long Wan", "phone": "0123456789",
                          "email": "longwan@gmail.com",
                          "methodType": "CIBBMYKL",
                          "methodValue": "8044591766", "methodRef": None},
        },
    }


def superpay_amounts_payload(floats: bool = True) -> dict:
    """A SuperPay payout batch of 30 transactions whose amounts are JSON
    floats, as live callbacks send them (amountPaid 124.1, commissionFee
    3.1025): 60 floats in about 1.3 KB.  With floats=False, the same shape
    and size with integer amounts (cents, ten-thousandths), so that the
    difference is the cost of the floats."""
    items = []
    for i in range(30):
        paid = round(124.1 + 7.3 * i, 1)
        fee = round(paid * 0.025, 4)
        if floats:
            items.append({"amountPaid": paid, "commissionFee": fee})
        else:
            items.append({"amountPaid": round(paid * 10),
                          "commissionFee": round(fee * 10000)})
    return {"message": "Success",
            "data": {"status": "SUCCESS", "transactions": items}}


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _leanx_item(i: int) -> dict:
    return {
        "balance": f"{7 + i % 1000}.{i % 100:02d}",
        "virtual_pool_reference": f"VA-2FDB5C-{193420439550 + i}-PAYOUT",
        "record_status_id": 1 + i % 3,
        "virtual_pool_collection_type_id": 1,
        "amount": 13.25 + i,
        "created_at": f"2023-03-16T04:{i % 60:02d}:03.000000Z",
        "updated_at": f"2024-09-04T14:49:{i % 60:02d}.000000Z",
        "note": None if i % 4 else "Bayaran gaji \u00e9t\u00e9 \u2013 ok",
    }


def _superpay_item(i: int) -> dict:
    return {
        "status": ("PAYING", "PENDING", "SUCCESS", "FAILED")[i % 4],
        "transaction": {"id": 10025 + i, "amountWithdraw": 1 + i,
                        "confirmedAt": 0 if i % 4 else 1725461388 + i,
                        "commissionFee": 0.35},
        "order": {"id": str(10006 + i), "amount": str(1 + i),
                  "currencyType": "MYR"},
        "recipient": {"name": "Long Wan", "phone": "0123456789",
                      "email": f"payee{i}@example.com",
                      "methodType": "CIBBMYKL", "methodValue": str(8044591766 + i),
                      "methodRef": None},
    }


def grown(base: dict, provider: str, target: int) -> dict:
    """`base` with items appended until its compact JSON is >= target."""
    obj = copy.deepcopy(base)
    if len(compact(obj)) >= target:
        return obj
    if provider == "leanx":
        items = obj["output"]["payout_payment"].setdefault("items", [])
        make = _leanx_item
    else:
        items = obj["data"].setdefault("items", [])
        make = _superpay_item
    # Grow in one step by estimate, then one item at a time.
    size = len(compact(obj))
    one = len(compact(make(0))) + 1
    for i in range(max(0, (target - size) // one - 1)):
        items.append(make(i))
    while len(compact(obj)) < target:
        items.append(make(len(items)))
    return obj


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def leanx_token(payload: bytes, key: str) -> bytes:
    header = compact({"alg": "HS256", "typ": "JWT"})
    signing_input = b64url(header) + b"." + b64url(payload)
    sig = hmac.digest(key.encode(), signing_input, "sha256")
    return signing_input + b"." + b64url(sig)


def leanx_body(token: bytes) -> bytes:
    return b'{"data":"' + token + b'","response_code":2100}'


def superpay_iv(key: str) -> bytes:
    return hashlib.md5(key.encode()).digest()


def superpay_body(plaintext: bytes, key: str, bad_padding=False) -> bytes:
    if bad_padding:
        # Zero bytes up to the block size: the last byte is 0, never valid
        # PKCS#7, so the decryptor fails at the padding check.
        padded = plaintext + b"\0" * (16 - len(plaintext) % 16)
    else:
        padder = padding.PKCS7(128).padder()
        padded = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key.encode()),
                 modes.CBC(superpay_iv(key))).encryptor()
    ct = enc.update(padded) + enc.finalize()
    return b'{"encryptedData":"' + ct.hex().encode() + b'"}'


def gateway_event(charges: int, created: int) -> dict:
    """A Stripe-shaped event with `charges` entries in its list."""
    return {
        "id": "evt_1PmZ3k2eZvKYlo2C", "object": "event", "type":
        "payment_intent.succeeded", "created": created, "livemode": False,
        "data": {"object": {
            "id": "pi_3PmZ3k2eZvKYlo2C0a1b2c3d", "amount": 12410,
            "currency": "myr", "status": "succeeded",
            "metadata": {"order_id": "ORD-20231114-0001",
                         "customer": "Siti"},
            "charges": [{"id": f"ch_{i:04d}", "amount": 12410, "paid": True,
                         "fee": 3.1025, "description": "x" * 40}
                        for i in range(charges)]}},
        "status": "paid"}


def _charges_for(target: int) -> int:
    """The fewest charges (six at least) that make the event `target`
    bytes or more; its length does not depend on `created` (ten digits)."""
    size = lambda n: len(compact(gateway_event(n, 1_700_000_000)))  # noqa
    n = 6 + max(0, -(-(target - size(6)) // (size(7) - size(6))))
    while size(n) < target:
        n += 1
    return n


# (label, charges): six make the 1,000-byte event of the 1 KB rows.
GATEWAY_SIZES = [("1 KB", 6), ("16 KB", _charges_for(16 << 10)),
                 ("256 KB", _charges_for(256 << 10))]


def chip_keys() -> tuple[bytes, bytes]:
    """A fresh RSA-2048 key pair as CHIP's: (private PEM, public PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (private.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()),
            private.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo))


def build() -> list[dict]:
    """One record per size with every body the benches use."""
    out = []
    for label, target in SIZES:
        # The LeanX vendor sample is used as published at the smallest size.
        lp = compact(grown(leanx_vendor_payload(), "leanx",
                           target if target > 1200 else 0))
        sp = compact(grown(superpay_vendor_payload(), "superpay", target))
        token = leanx_token(lp, LEANX_KEY)
        out.append({
            "size": label,
            "leanx_payload": lp,
            "leanx_signing_input": token.rsplit(b".", 1)[0],
            "leanx_body": leanx_body(token),
            "leanx_bad_body": leanx_body(leanx_token(lp, LEANX_WRONG_KEY)),
            "superpay_plaintext": sp,
            "superpay_body": superpay_body(sp, SUPERPAY_KEY),
            "superpay_bad_body": superpay_body(sp, SUPERPAY_KEY, True),
        })
    return out


def build_amounts() -> list[dict]:
    """The float-bearing SuperPay payload and its integer twin, as records
    in build()'s shape (only the SuperPay entries)."""
    out = []
    for label, floats in (("1.3 KB, 60 floats", True),
                          ("1.3 KB, 60 ints", False)):
        sp = compact(superpay_amounts_payload(floats))
        out.append({"size": label, "superpay_plaintext": sp,
                    "superpay_body": superpay_body(sp, SUPERPAY_KEY)})
    return out


def _put(directory: str, fname: str, data: bytes) -> str:
    with open(os.path.join(directory, fname), "wb") as f:
        f.write(data)
    return fname


def write(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    private, public = chip_keys()
    manifest = {"leanx_key": LEANX_KEY, "superpay_key": SUPERPAY_KEY,
                "gateway_text_key": GATEWAY_TEXT_KEY,
                "gateway_whsec": GATEWAY_WHSEC,
                "chip_private_pem": _put(directory, "chip-private.pem",
                                         private),
                "chip_public_pem": _put(directory, "chip-public.pem", public),
                "cases": [], "gateway_cases": []}
    for i, case in enumerate(build()):
        entry = {"size": case["size"]}
        for name, value in case.items():
            if name == "size":
                continue
            entry[name] = _put(directory, f"{i}-{name}.bin", value)
            entry[name + "_bytes"] = len(value)
        manifest["cases"].append(entry)
    for i, (label, charges) in enumerate(GATEWAY_SIZES):
        event = compact(gateway_event(charges, 1_700_000_000))
        manifest["gateway_cases"].append({
            "size": label, "event": _put(directory, f"gw{i}-event.bin", event),
            "event_bytes": len(event)})
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else "bench/results/inputs.tmp")
