"""Each new gateway's verify next to its official SDK, in one run.

For every gateway that has an SDK on PyPI (Standard Webhooks: the
`standardwebhooks` and `svix` packages; Stripe: `stripe`; Curlec/Razorpay:
`razorpay`; CHIP: `cryptography`'s RSA verify, which CHIP's examples use),
one genuine callback is signed at each size (a JSON event of 1 KB, and the
same event with more charges at 16 KB and 256 KB; the form gateways post
their own small forms, at one size), every implementation is first checked
to accept it (and to refuse it with one byte changed), then each size's
cases are timed in interleaved rounds (bench/rounds.py): each round runs
one batch of each case, in an order shuffled afresh each round, and the
median per-call time over rounds is kept with the quartiles.  The ratio
is SDK time / payhook time, so more than 1 means payhook is faster (the
paired ratio, which report.py's targets take, is the median over rounds
of the two times within one round).  What is timed is what a handler
does: verify the body and headers and get the payload as a dict (the
SDK's signature check plus json.loads where the SDK does not parse).  Beside
them, in the same rounds and kept apart ("floors" in OUT.json), the
building floor of report.py's "Where the time goes": marshal.loads of the
event's objects, no parsing at all.

    python3 bench/gateways_bench.py [OUT.json] [--rounds N] [--batch-ms MS]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import marshal
import os
import sys
import time
import urllib.parse

import payhook

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inputs  # noqa: E402
from rounds import interleaved_rounds, paired_ratio  # noqa: E402

# Signed at the real time: the SDKs read their own clocks, and the run
# takes seconds, well inside the 300 s window.
NOW = int(time.time())


def event(charges: int) -> dict:
    """The shared event of bench/inputs.py, created now."""
    return inputs.gateway_event(charges, NOW)


compact = inputs.compact
SIZES = inputs.GATEWAY_SIZES
WHSEC = inputs.GATEWAY_WHSEC
TEXT_KEY = inputs.GATEWAY_TEXT_KEY
chip_keys = inputs.chip_keys
# The "gateway" of the floor rows, which are kept apart from the others.
FLOOR = "floor"


def cases(payload: dict, keys) -> list:
    """(gateway, name, call, expected) for payhook and each installed SDK,
    every JSON gateway signing `payload`."""
    out = []
    body_in = compact(payload)
    body, h = payhook.sign("standardwebhooks", body_in, WHSEC, timestamp=NOW,
                           event_id="msg_1")
    dec = payhook.standardwebhooks.Decoder(WHSEC)
    out.append(("standardwebhooks", "payhook",
                lambda: dec.decode(body, h)))
    try:
        import standardwebhooks
        wh = standardwebhooks.Webhook(WHSEC)
        out.append(("standardwebhooks", "standardwebhooks SDK",
                    lambda: wh.verify(body, h)))
    except ImportError:
        pass
    try:
        import svix.webhooks
        sv = svix.webhooks.Webhook(WHSEC)

        def svix_sdk():
            # svix 2.x checks and returns nothing: parse as a handler must.
            sv.verify(body, h)
            return json.loads(body)
        out.append(("standardwebhooks", "svix SDK + json.loads", svix_sdk))
    except ImportError:
        pass

    sbody, sh = payhook.sign("stripe", body_in, TEXT_KEY, timestamp=NOW)
    sdec = payhook.stripe.Decoder(TEXT_KEY)
    out.append(("stripe", "payhook", lambda: sdec.decode(sbody, sh)))
    try:
        import stripe
        sig = sh["Stripe-Signature"]

        def stripe_sdk():
            stripe.WebhookSignature.verify_header(sbody.decode(), sig,
                                                  TEXT_KEY, 300)
            return json.loads(sbody)
        out.append(("stripe", "stripe SDK (verify_header + json.loads)",
                    stripe_sdk))
        out.append(("stripe", "stripe SDK (construct_event)",
                    lambda: stripe.Webhook.construct_event(sbody, sig,
                                                           TEXT_KEY)))
    except ImportError:
        pass

    rbody, rh = payhook.sign("razorpay", body_in, TEXT_KEY,
                             event_id="evt_1")
    rdec = payhook.razorpay.Decoder(TEXT_KEY)
    out.append(("razorpay", "payhook", lambda: rdec.decode(rbody, rh)))
    try:
        import razorpay
        client = razorpay.Client(auth=("key", "secret"))
        rsig = rh["X-Razorpay-Signature"]

        def razorpay_sdk():
            client.utility.verify_webhook_signature(rbody.decode(), rsig,
                                                    TEXT_KEY)
            return json.loads(rbody)
        out.append(("razorpay", "razorpay SDK + json.loads", razorpay_sdk))
    except ImportError:
        pass

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    priv_pem, pub_pem = keys
    cbody, ch = payhook.sign("chip", body_in, priv_pem)
    cdec = payhook.chip.Decoder(pub_pem)
    out.append(("chip", "payhook", lambda: cdec.decode(cbody, ch)))
    pub = serialization.load_pem_public_key(pub_pem)
    csig = base64.b64decode(ch["X-Signature"])

    def chip_crypto():
        pub.verify(csig, cbody, padding.PKCS1v15(), hashes.SHA256())
        return json.loads(cbody)
    out.append(("chip", "cryptography + json.loads", chip_crypto))
    # The building floor of "Where the time goes": the event's dicts made
    # with no parsing at all, timed in the same rounds, no ratio.
    marshalled = marshal.dumps(payload)
    out.append((FLOOR, "marshal.loads(event objects)",
                lambda: marshal.loads(marshalled)))
    return [case + (payload,) for case in out]


# The form gateways' callbacks (fields as the gateways post them) and the
# standard library composition a merchant writes for each: parse_qsl, the
# signed string, hmac or hashlib, compare_digest.
BILLPLZ_FORM = {
    "id": "8X0Iyzaw", "collection_id": "inbmmepb", "paid": "true",
    "state": "paid", "amount": "4900", "paid_amount": "4900",
    "due_at": "2023-11-14", "email": "siti.nurhaliza+shop@example.com",
    "mobile": "", "name": "Siti Nurhaliza binti Tarudin",
    "url": "https://www.billplz.com/bills/8X0Iyzaw",
    "paid_at": "2023-11-14 22:13:20 +0800",
    "transaction_id": "AC4GC031F42H", "transaction_status": "completed"}
SENANGPAY_FORM = {"status_id": "1", "order_id": "ORD-20231114-0001",
                  "transaction_id": "165432109876543", "msg":
                  "Payment_was_successful", "amount": "124.10",
                  "hash_type": "sha256"}
TOYYIBPAY_FORM = {"refno": "TP2311141234567", "status": "1",
                  "reason": "Approved", "billcode": "gcbhict9",
                  "order_id": "ORD-20231114-0001", "amount": "12410",
                  "transaction_time": "2023-11-14 22:13:20"}
FORM_KEY = "merchant-secret-key-2023"
FORMS = {"billplz": BILLPLZ_FORM, "senangpay": SENANGPAY_FORM,
         "toyyibpay": TOYYIBPAY_FORM}


def _fields(body: bytes) -> dict:
    return dict(urllib.parse.parse_qsl(body.decode("utf-8"),
                                       keep_blank_values=True,
                                       strict_parsing=True))


def billplz_stdlib(body: bytes, key: bytes) -> dict:
    f = _fields(body)
    sig = f.pop("x_signature", "")
    # name+value of every field, sorted case-insensitively, '|' between.
    source = "|".join(sorted((k + v for k, v in f.items()),
                             key=lambda kv: (kv.lower(), kv)))
    mine = hmac.new(key, source.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mine, sig):
        raise ValueError("signature")
    f["x_signature"] = sig
    return f


def senangpay_stdlib(body: bytes, key: bytes) -> dict:
    f = _fields(body)
    source = key.decode() + "".join(
        f[k] for k in ("status_id", "order_id", "transaction_id", "msg"))
    mine = hmac.new(key, source.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mine, f.get("hash", "")):
        raise ValueError("signature")
    return f


def toyyibpay_stdlib(body: bytes, key: bytes) -> dict:
    f = _fields(body)
    source = key.decode() + f["status"] + f["order_id"] + f["refno"] + "ok"
    mine = hashlib.md5(source.encode("utf-8")).hexdigest()
    if not hmac.compare_digest(mine, f.get("hash", "")):
        raise ValueError("signature")
    return f


def form_cases():
    out = []
    key = FORM_KEY.encode()
    for gw, form, stdlib in (("billplz", BILLPLZ_FORM, billplz_stdlib),
                             ("senangpay", SENANGPAY_FORM, senangpay_stdlib),
                             ("toyyibpay", TOYYIBPAY_FORM, toyyibpay_stdlib)):
        body, _ = payhook.sign(gw, form, FORM_KEY)
        dec = payhook.Decoder(gw, FORM_KEY)
        expected = _fields(body)
        # Both must refuse a signed field changed.
        forged = body.replace(b"8X0Iyzaw", b"8X0Iyzax").replace(
            b"ORD-20231114-0001", b"ORD-20231114-0002")
        assert forged != body
        for check in (dec.decode, lambda b, f=stdlib: f(b, key)):
            try:
                check(forged)
            except ValueError:
                pass
            else:
                raise AssertionError(f"{gw}: a forged form was accepted")
        out.append((gw, "payhook", (lambda d=dec, b=body: d.decode(b)),
                    expected))
        out.append((gw, "stdlib hmac/hashlib + urllib.parse",
                    (lambda f=stdlib, b=body: f(b, key)), expected))
    return out


def timed(all_cases, rounds, batch_ms):
    """Check each case's answer, then time them in interleaved rounds
    (bench/rounds.py): rows of median, quartiles and every round's times,
    the ratio to payhook's median, and the paired ratio: the median over
    rounds of the case's CPU time over payhook's in the same round."""
    for gw, name, fn, want in all_cases:
        got = fn()
        got = got.to_dict() if hasattr(got, "to_dict") else got
        if isinstance(got, (bytes, str)):
            got = json.loads(got)
        assert got == want, (gw, name)
    timings = interleaved_rounds([fn for _, _, fn, _ in all_cases], rounds,
                                 batch_ms)
    rows = [dict(t.summary(), gateway=gw, implementation=name)
            for (gw, name, _, _), t in zip(all_cases, timings)]
    base = {r["gateway"]: r for r in rows if r["implementation"] == "payhook"}
    for r in rows:
        if r["gateway"] != FLOOR:
            b = base[r["gateway"]]
            r["ratio"] = r["median_us"] / b["median_us"]
            r["paired_ratio"] = paired_ratio(r["rounds_cpu_us"],
                                             b["rounds_cpu_us"])
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--batch-ms", type=float, default=40)
    args = ap.parse_args()
    keys = chip_keys()
    rows, sizes, floors = [], [], []
    for label, charges in SIZES:
        payload = event(charges)
        size_cases = cases(payload, keys)
        if label == SIZES[0][0]:
            size_cases += form_cases()
        body_bytes = len(compact(payload))
        sizes.append({"size": label, "body_bytes": body_bytes})
        for r in timed(size_cases, args.rounds, args.batch_ms):
            if r["gateway"] == FLOOR:
                floors.append(dict(r, size=label, body_bytes=body_bytes))
                continue
            rows.append(dict(r, size=label, body_bytes=(
                body_bytes if r["gateway"] not in FORMS else
                len(payhook.sign(r["gateway"], FORMS[r["gateway"]],
                                 FORM_KEY)[0]))))
    print("JSON bodies: " + ", ".join(
        f"{s['size']} {s['body_bytes']} B" for s in sizes) + "; forms: "
          + ", ".join(f"{gw} {len(payhook.sign(gw, form, FORM_KEY)[0])} B"
                      for gw, form in FORMS.items())
          + f"; {args.rounds} rounds; ratio = peer / payhook")
    print(f"{'size':7} {'gateway':18} {'implementation':42} "
          f"{'median µs':>10} {'ratio':>7}")
    for r in rows:
        print(f"{r['size']:7} {r['gateway']:18} {r['implementation']:42} "
              f"{r['median_us']:10.2f} {r['ratio']:7.2f}")
    for r in floors:
        print(f"{r['size']:7} {FLOOR:18} {r['implementation']:42} "
              f"{r['median_us']:10.2f}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"body_bytes": sizes[0]["body_bytes"], "sizes": sizes,
                       "rounds": args.rounds,
                       "python": sys.version.split()[0], "rows": rows,
                       "floors": floors}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
