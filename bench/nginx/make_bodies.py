"""The callback bodies bench/nginx_bench.sh posts, and what each answers.

    python3 bench/nginx/make_bodies.py DIR

Built with bench/inputs.py's shapes and builders (standard library and
`cryptography`, not payhook), so the inputs do not depend on the code
under test. Two sizes:

- "1.2 KB": the payload sizes of bench/inputs.py's smallest case (the
  LeanX vendor sample as published, the SuperPay payout grown to 1.2 KB).
- "32 KB": bodies of 24-34 KB on the wire, the size nginx reads and the
  handlers parse: a LeanX payload of 24 KB (base64url makes the token a
  third larger) and a SuperPay payload of 16 KB (hex doubles it).

Each payout has an event id of its own (LeanX's invoice number, SuperPay's
transaction id), so the example handler's replay guard sees two different
callbacks and not one callback with two bodies (which it answers 409).

DIR gets, per size and gateway, the genuine body, a forged one (LeanX: the
same payload signed with another key; SuperPay: a ciphertext whose padding
can never be valid) and manifest.json with the keys, the byte counts and
the expected answers.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import inputs  # noqa: E402  (bench/inputs.py)

# (label, LeanX payload target, SuperPay payload target, event id suffix);
# a target of 0 keeps the vendor sample as it is.
SIZES = [
    ("1.2 KB", 0, 1200, 0),
    ("32 KB", 24 * 1024, 16 * 1024, 1),
]


def leanx_case(target: int, n: int) -> tuple[bytes, dict]:
    base = inputs.leanx_vendor_payload()
    if n:
        base["output"]["invoice_no"] = f"17254613886HGPiu{n:02d}"
    payload = inputs.grown(base, "leanx", target)
    return inputs.compact(payload), payload


def superpay_case(target: int, n: int) -> tuple[bytes, dict]:
    base = inputs.superpay_vendor_payload()
    base["data"]["transaction"]["id"] += 10000 * n
    payload = inputs.grown(base, "superpay", target)
    return inputs.compact(payload), payload


def write(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    manifest = {"leanx_key": inputs.LEANX_KEY,
                "superpay_key": inputs.SUPERPAY_KEY, "sizes": []}

    def put(name: str, data: bytes) -> str:
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        return name

    for i, (label, l_target, s_target, n) in enumerate(SIZES):
        lp, lobj = leanx_case(l_target, n)
        lbody = inputs.leanx_body(inputs.leanx_token(lp, inputs.LEANX_KEY))
        lbad = inputs.leanx_body(inputs.leanx_token(lp,
                                                    inputs.LEANX_WRONG_KEY))
        sp, sobj = superpay_case(s_target, n)
        sbody = inputs.superpay_body(sp, inputs.SUPERPAY_KEY)
        sbad = inputs.superpay_body(sp, inputs.SUPERPAY_KEY, bad_padding=True)
        envelope = json.loads(sbody)
        manifest["sizes"].append({
            "label": label,
            "leanx": {
                "body": put(f"{i}-leanx.json", lbody),
                "forged": put(f"{i}-leanx-forged.json", lbad),
                "payload_bytes": len(lp),
                "body_bytes": len(lbody),
                # The payload's field the handlers answer, and the
                # envelope's the floor answers.
                "field": lobj["output"]["invoice_no"],
                "envelope_field": str(json.loads(lbody)["response_code"]),
            },
            "superpay": {
                "body": put(f"{i}-superpay.json", sbody),
                "forged": put(f"{i}-superpay-forged.json", sbad),
                "payload_bytes": len(sp),
                "body_bytes": len(sbody),
                "field": str(sobj["data"]["transaction"]["id"]),
                "envelope_field": str(len(envelope["encryptedData"])),
            },
        })
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_bodies.py DIR")
    write(sys.argv[1])
