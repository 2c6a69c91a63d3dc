"""RSS over N decodes per gateway, genuine and forged, for every gateway.

For each gateway in payhook.GATEWAYS the shared vectors
(tests/vectors/<gateway>.json) give the inputs: the first genuine
callback, and a forged one under the same key (the first vector refused
with InvalidSignatureError, DecryptionError for SuperPay).  One prepared
Decoder per gateway, as a server holds them, decodes the genuine one N
times and refuses the forged one N times.  RSS is read from
/proc/self/statm after a warm-up and a gc.collect(), at each quarter of
the N calls, and after them: a leak of one byte per call shows as about
1 MiB per million calls, and delta_second_half tells a leak (grows with
the calls) from a one-off allocator step.

Usage: python3 bench/memory_gateways.py OUT.json [--calls N] [--only GW,...]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memory_bench import WARMUP, measure  # noqa: E402

import payhook  # noqa: E402

TOP = Path(__file__).resolve().parent.parent
VECTORS = TOP / "tests" / "vectors"
# What a forged callback of each kind raises.
FORGED = {"superpay": "DecryptionError"}
# Options that belong to the call; the rest prepare the Decoder.
CALL_OPTIONS = ("now",)


def body_of(inp: dict) -> Any:
    if "body" in inp:
        return inp["body"].encode("utf-8")
    if "body_hex" in inp:
        return bytes.fromhex(inp["body_hex"])
    return inp["token"].encode("utf-8")


def key_of(inp: dict) -> Any:
    if "key" in inp:
        return inp["key"]
    if "key_hex" in inp:
        return bytes.fromhex(inp["key_hex"])
    return inp.get("keys")


def calls_for(gateway: str) -> tuple[Callable[[], Any], Callable[[], Any],
                                     type[Exception]]:
    """(genuine call, forged call, what the forged one raises)."""
    vectors = json.loads((VECTORS / f"{gateway}.json").read_text())
    vectors = vectors["vectors"]
    good = next(v for v in vectors if "error" not in v["expect"]
                and "payload" in v["expect"])
    forged_kind = FORGED.get(gateway, "InvalidSignatureError")
    key = key_of(good["input"])
    bad = next(v for v in vectors if v["expect"].get("error") == forged_kind
               and key_of(v["input"]) == key)
    error = getattr(payhook, forged_kind)
    prepare = {k: v for k, v in (good["input"].get("options") or {}).items()
               if k not in CALL_OPTIONS and k != "algorithms"}
    decoder = payhook.Decoder(gateway, key, **prepare)

    def call(v: dict) -> Callable[[], Any]:
        inp = v["input"]
        body = body_of(inp)
        headers = [tuple(h) for h in inp.get("headers", [])] or None
        now = (inp.get("options") or {}).get("now")
        query = inp.get("query")
        return lambda: decoder.verify(body, headers, now=now, query=query)

    return call(good), call(bad), error


def good_loop(fn: Callable[[], Any], n: int) -> None:
    for _ in itertools.repeat(None, n):
        fn()


def bad_loop(fn: Callable[[], Any], n: int, error: type[Exception]) -> None:
    for _ in itertools.repeat(None, n):
        try:
            fn()
        except error:
            pass
        else:
            raise SystemExit("a forged callback was accepted")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    names = [g for g in payhook.GATEWAYS
             if not args.only or g in args.only.split(",")]
    out: dict[str, Any] = {"calls": args.calls, "warmup": WARMUP,
                           "kinds": {}}
    for gateway in names:
        good, bad, error = calls_for(gateway)
        good()  # a genuine one must verify before it is timed
        for kind, run in (
                ("genuine", lambda n: good_loop(good, n)),
                ("forged", lambda n: bad_loop(bad, n, error))):
            name = f"{gateway} {kind}"
            got = out["kinds"][name] = measure(run, args.calls)
            print(f"memory python: {name}: "
                  f"{got['rss_before'] / 1048576:.2f} -> "
                  f"{got['rss_after'] / 1048576:.2f} MiB "
                  f"({got['seconds']:.1f} s)", file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
