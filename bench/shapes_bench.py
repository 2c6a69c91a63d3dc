"""payhook's Python LeanX decoder on the payloads of bench/shapes.py, next
to the stdlib composition a careful user would write and json.loads of
the payload alone.

The composition does the same job: the envelope's JSON, the token's
parts, the header's alg, HMAC-SHA256 of the signing input compared in
constant time, base64url, json.loads.  json.loads(payload) does less (no
envelope, no signature, no base64url) and is shown as a floor.  Every
implementation must return json.loads(payload); then the cases of all
shapes are timed in interleaved rounds, as python_bench.py times its own
(bench/rounds.py), with one difference: a full collection (gc.collect, not
timed) before each batch.  A call here makes up to 78,636 containers, and
the cyclic collector's work is then most of its time; without the
collection a case paid for what the case before it left (when the order
rotated, the same neighbour every round), and the nested arrays read
0.88x the composition for payhook in one run and 1.10x with it.

Usage: python3 bench/shapes_bench.py OUT.json [--rounds N] [--batch-ms MS]
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inputs  # noqa: E402
import shapes  # noqa: E402
from rounds import interleaved_rounds  # noqa: E402

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
    timings = interleaved_rounds([fn for _, _, fn in table], args.rounds,
                                 args.batch_ms, collect=True)
    out = {"python": sys.version.split()[0], "rounds": args.rounds,
           "clock": "time.perf_counter_ns", "shapes": []}
    by_shape = {}
    for (shape, name, _), t in zip(table, timings):
        entry = by_shape.get(shape["name"])
        if entry is None:
            entry = by_shape[shape["name"]] = {
                "name": shape["name"],
                "payload_bytes": len(shape["payload"]), "cases": {}}
            out["shapes"].append(entry)
        summary = t.summary()
        entry["cases"][name] = {
            k: summary[k]
            for k in ("median_us", "p25_us", "p75_us", "calls_per_batch")}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
