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

`python3 bench/inputs.py DIR` writes the bodies and a manifest for the Lua
bench into DIR.
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


def write(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    manifest = {"leanx_key": LEANX_KEY, "superpay_key": SUPERPAY_KEY,
                "cases": []}
    for i, case in enumerate(build()):
        entry = {"size": case["size"]}
        for name, value in case.items():
            if name == "size":
                continue
            fname = f"{i}-{name}.bin"
            with open(os.path.join(directory, fname), "wb") as f:
                f.write(value)
            entry[name] = fname
            entry[name + "_bytes"] = len(value)
        manifest["cases"].append(entry)
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else "bench/results/inputs.tmp")
