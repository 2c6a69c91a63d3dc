"""payhook's Python LeanX decoder on the payloads of bench/shapes.py, next
to the stdlib composition a careful user would write and json.loads of
the payload alone.

The composition does the same job: the envelope's JSON, the token's
parts, the header's alg, HMAC-SHA256 of the signing input compared in
constant time, base64url, json.loads.  json.loads(payload) does less (no
envelope, no signature, no base64url) and is shown as a floor.  Every
implementation must return json.loads(payload); then the cases of all
shapes are timed in interleaved rounds, as python_bench.py times its own
(its batch and calibration helpers), with one difference: a full
collection (gc.collect, not timed) before each batch.  A call here makes
up to 78,636 containers, and the cyclic collector's work is then most of
its time; without the collection a case paid for what the case before it
left, the same neighbour every round in the rotating order, and the
nested arrays read 0.88x the composition for payhook in one run and
1.10x with it.

Usage: python3 bench/shapes_bench.py OUT.json [--rounds N] [--batch-ms MS]
"""

from __future__ import annotations

import argparse
import base64
import gc
import hmac
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inputs  # noqa: E402
import shapes  # noqa: E402
from python_bench import batch_both_ns, calibrate, quantile  # noqa: E402

import payhook  # noqa: E402


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def stdlib_leanx(key: str):
    bkey = key.encode()

    def decode(body: bytes):
        token = json.loads(body)["data"]
        head, payload, sig = token.split(".")
        if json.loads(b64url_decode(head)).get("alg") != "HS256":
            raise ValueError("alg")
        mac = hmac.digest(bkey, f"{head}.{payload}".encode(), "sha256")
        if not hmac.compare_digest(mac, b64url_decode(sig)):
            raise ValueError("signature")
        return json.loads(b64url_decode(payload))
    return decode


def cases(shape, decoder, composition):
    body, payload = shape["body"], shape["payload"]
    return [
        ("payhook.leanx.Decoder.decode", lambda: decoder.decode(body)),
        ("hmac + base64 + json.loads (stdlib)", lambda: composition(body)),
        ("json.loads(payload) alone", lambda: json.loads(payload)),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=61)
    ap.add_argument("--batch-ms", type=float, default=2.0)
    args = ap.parse_args()
    decoder = payhook.leanx.Decoder(inputs.LEANX_KEY)
    composition = stdlib_leanx(inputs.LEANX_KEY)
    table = []
    for shape in shapes.build():
        want = json.loads(shape["payload"])
        for name, fn in cases(shape, decoder, composition):
            if fn() != want:
                raise SystemExit(f"{name} on {shape['name']}: result differs "
                                 "from json.loads(payload)")
            table.append([shape, name, fn])
    target = args.batch_ms * 1e6
    for entry in table:
        fn = entry[2]
        calibrate(fn, target)
        entry += [calibrate(fn, target), []]
    k = len(table)
    for r in range(args.rounds):
        for j in range(k):
            shape, name, fn, n, samples = table[(r + j) % k]
            gc.collect()
            wall, _ = batch_both_ns(fn, n)
            samples.append(wall / n)
    out = {"python": sys.version.split()[0], "rounds": args.rounds,
           "clock": "time.perf_counter_ns", "shapes": []}
    by_shape = {}
    for shape, name, fn, n, samples in table:
        entry = by_shape.get(shape["name"])
        if entry is None:
            entry = by_shape[shape["name"]] = {
                "name": shape["name"],
                "payload_bytes": len(shape["payload"]), "cases": {}}
            out["shapes"].append(entry)
        entry["cases"][name] = {
            "median_us": statistics.median(samples) / 1000,
            "p25_us": quantile(samples, 0.25) / 1000,
            "p75_us": quantile(samples, 0.75) / 1000,
            "calls_per_batch": n}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
