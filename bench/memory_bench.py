"""RSS before and after 1,000,000 decodes of each kind, good and bad inputs.

Kinds (1.2 KB inputs of bench/inputs.py, prepared decoders as a server
holds them):
  leanx good      Decoder.decode of a correctly signed callback
  leanx bad       wrong signature (InvalidSignatureError every time)
  superpay good   Decoder.decode of the payout callback
  superpay bad    bad PKCS#7 padding (DecryptionError every time)

RSS is read from /proc/self/statm (resident pages x page size) after a
warm-up of WARMUP calls and a gc.collect(), at each quarter of the N calls, and after the N calls and
a gc.collect(). A leak of even 1 byte per call would show as about 1 MiB.

Usage: python3 bench/memory_bench.py OUT.json [--calls N]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inputs  # noqa: E402

import payhook  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
WARMUP = 20_000


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def measure(run, calls):
    """RSS around ``run(calls)`` after a warm-up, with the RSS at each
    quarter: a leak grows with the calls, a one-off allocator step does
    not (delta_second_half tells them apart)."""
    run(WARMUP)
    gc.collect()
    before = rss_bytes()
    quarters = []
    t0 = time.monotonic()
    for _ in range(4):
        run(calls // 4)
        quarters.append(rss_bytes())
    seconds = time.monotonic() - t0
    gc.collect()
    after = rss_bytes()
    return {"rss_before": before, "rss_after": after, "delta": after - before,
            "rss_quarters": quarters,
            "delta_second_half": quarters[3] - quarters[1],
            "seconds": seconds}


def good_loop(fn, body, n):
    for _ in itertools.repeat(None, n):
        fn(body)


def bad_loop(fn, body, n, error):
    for _ in itertools.repeat(None, n):
        try:
            fn(body)
        except error:
            pass
        else:
            raise SystemExit("a bad input was accepted")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--calls", type=int, default=1_000_000)
    args = ap.parse_args()
    case = inputs.build()[0]
    leanx = payhook.leanx.Decoder(inputs.LEANX_KEY)
    superpay = payhook.superpay.Decoder(inputs.SUPERPAY_KEY)
    kinds = [
        ("leanx good", lambda n: good_loop(leanx.decode, case["leanx_body"],
                                           n)),
        ("leanx bad signature", lambda n: bad_loop(
            leanx.decode, case["leanx_bad_body"], n,
            payhook.InvalidSignatureError)),
        ("superpay good", lambda n: good_loop(
            superpay.decode, case["superpay_body"], n)),
        ("superpay bad padding", lambda n: bad_loop(
            superpay.decode, case["superpay_bad_body"], n,
            payhook.DecryptionError)),
    ]
    out = {"calls": args.calls, "warmup": WARMUP, "kinds": {}}
    start = rss_bytes()
    for name, run in kinds:
        got = out["kinds"][name] = measure(run, args.calls)
        print(f"memory python: {name}: {got['rss_before'] / 1048576:.2f} -> "
              f"{got['rss_after'] / 1048576:.2f} MiB "
              f"({got['seconds']:.1f} s)", file=sys.stderr)
    out["rss_start"] = start
    out["rss_end"] = rss_bytes()
    out["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
