"""bench/results/shapes.md and shapes.json from the shapes benches of one
run.

Usage: python3 bench/shapes_report.py RUN_DIR RESULTS_DIR

RUN_DIR holds shapes-python.json (shapes_bench.py) and shapes-luajit.json
and shapes-lua54.json (shapes_bench.lua); a missing one is said to be
missing.  Per runtime: each shape's payhook time next to the composition
of the same job and to the JSON parse alone, with the ratios.
"""

from __future__ import annotations

import json
import os
import sys

RUNTIMES = [
    ("python", "Python", "payhook.leanx.Decoder.decode",
     "hmac + base64 + json.loads (stdlib)", "json.loads(payload) alone"),
    ("luajit", "LuaJIT", "payhook.leanx.new(key):decode",
     "lua-cjson + luaossl hmac + Lua base64url",
     "cjson.decode(payload) alone"),
    ("lua54", "Lua 5.4", "payhook.leanx.new(key):decode",
     "lua-cjson + luaossl hmac + Lua base64url",
     "cjson.decode(payload) alone"),
]


def section(data, label, mine, peer, floor):
    L = [f"## {label} ({data.get('interpreter') or data.get('python')})", "",
         f"payhook is `{mine}`; the composition is `{peer}`, the same job; "
         f"the floor is `{floor}`, which does less (no envelope, no HMAC, "
         "no base64url). Medians over "
         f"{data['rounds']} interleaved rounds, ms a call.", "",
         "| shape | payload | payhook | composition | composition ÷ payhook "
         "| floor | payhook ÷ floor |",
         "|---|---:|---:|---:|---:|---:|---:|"]
    worst_peer = worst_floor = None
    for s in data["shapes"]:
        c = s["cases"]
        p, q, f = (c[n]["median_us"] / 1000 for n in (mine, peer, floor))
        L.append(f"| {s['name']} | {s['payload_bytes'] / 1024:.0f} KB | "
                 f"{p:.3f} | {q:.3f} | {q / p:.2f}x | {f:.3f} | "
                 f"{p / f:.2f}x |")
        if worst_peer is None or q / p < worst_peer[0]:
            worst_peer = (q / p, s["name"])
        if worst_floor is None or p / f > worst_floor[0]:
            worst_floor = (p / f, s["name"])
    slower = [s["name"] for s in data["shapes"]
              if s["cases"][peer]["median_us"] < s["cases"][mine]["median_us"]]
    L += ["", f"Against the composition, the least is {worst_peer[0]:.2f}x "
          f"({worst_peer[1]}); "
          + (f"payhook is slower on: {', '.join(slower)}." if slower
             else "payhook is faster on every shape.")
          + f" Against the floor, the most is {worst_floor[0]:.2f}x "
          f"({worst_floor[1]}).", ""]
    return L


def main():
    run, results = sys.argv[1], sys.argv[2]
    raw = {}
    L = ["# Unusual payload shapes, about 256 KB each", "",
         "From `bench/run.sh` (`bench/shapes.py` makes the payloads, each in "
         "the claims of a LeanX token; `shapes_bench.py` and "
         "`shapes_bench.lua` time them). The vendors' own shapes are in "
         "`table.md`.", ""]
    for key, label, mine, peer, floor in RUNTIMES:
        path = os.path.join(run, f"shapes-{key}.json")
        if not os.path.isfile(path):
            L += [f"## {label}", "", "(not measured in this run)", ""]
            continue
        with open(path) as f:
            raw[key] = json.load(f)
        L += section(raw[key], label, mine, peer, floor)
    with open(os.path.join(results, "shapes.md"), "w") as f:
        f.write("\n".join(L))
    with open(os.path.join(results, "shapes.json"), "w") as f:
        json.dump(raw, f, indent=1, ensure_ascii=False)
    print("\n".join(L))


if __name__ == "__main__":
    main()
