"""Merge the bench outputs into results.json, table.md and chart.png.

Usage: python3 bench/report.py RUN_DIR RESULTS_DIR [--seconds S]

RUN_DIR holds stages.json, python.json, lua-luajit.json, lua-lua54.json,
memory-python.json, memory-luajit.json, memory-lua54.json, machine.json
(any may be missing: its section then says so).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rounds import paired_ratio  # noqa: E402

SIZES = ["1.2 KB", "16 KB", "256 KB"]
MiB = 1024 * 1024

# (section key, title, one-off payhook name, reusable payhook name)
PY_GROUPS = [
    ("leanx", "LeanX (HS256 JWT)", "payhook.leanx.decode",
     "payhook.leanx.Decoder.decode"),
    ("superpay", "SuperPay (AES-256-CBC)", "payhook.superpay.decode",
     "payhook.superpay.Decoder.decode"),
]
LUA_GROUPS = [
    ("leanx", "LeanX (HS256 JWT)", "payhook.leanx.decode",
     "payhook.leanx.new(key):decode"),
    ("superpay", "SuperPay (AES-256-CBC)", "payhook.superpay.decode",
     "payhook.superpay.new(key):decode"),
]
LUAS = [("luajit", "LuaJIT"), ("lua54", "Lua 5.4")]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def us(v):
    if v is None:
        return "n/a"
    if v < 10:
        return f"{v:.2f}"
    if v < 100:
        return f"{v:.1f}"
    return f"{v:,.0f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def rx(r):
    return "n/a" if r is None else f"{r:.2f}x"


def median(sec, size, group, name):
    try:
        entry = sec["sizes"][size][group][name]
    except (KeyError, TypeError):
        return None
    return entry.get("median_us")


def skipped(sec, size, group, name):
    try:
        return sec["sizes"][size][group][name].get("skipped")
    except (KeyError, TypeError, AttributeError):
        return None


def names_in(sec, group):
    seen = []
    for size in SIZES:
        try:
            for name in sec["sizes"][size][group]:
                if name not in seen:
                    seen.append(name)
        except (KeyError, TypeError):
            pass
    return seen


def impl_table(sec, group, one_off, reusable, floor_group="floor",
               floor_filter=None):
    """Rows: implementations; cells: median us and peer/payhook ratios."""
    lines = ["| implementation | " + " | ".join(SIZES) + " |",
             "|---|" + "---:|" * len(SIZES)]
    names = names_in(sec, group)
    ordered = [n for n in (one_off, reusable) if n in names] + sorted(
        n for n in names if n not in (one_off, reusable))
    for name in ordered:
        cells = []
        for size in SIZES:
            m = median(sec, size, group, name)
            if m is None:
                why = skipped(sec, size, group, name)
                cells.append("refused" if why else "n/a")
                continue
            base = median(sec, size, group, one_off)
            reuse = median(sec, size, group, reusable)
            if name == one_off:
                cells.append(f"**{us(m)}**")
            elif name == reusable:
                cells.append(f"**{us(m)}**")
            else:
                cells.append(f"{us(m)} ({rx(ratio(m, base))} / "
                             f"{rx(ratio(m, reuse))})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name in sorted(names_in(sec, floor_group)):
        if floor_filter and not floor_filter(name):
            continue
        cells = [f"{us(median(sec, s, floor_group, name))}" for s in SIZES]
        lines.append(f"| *floor:* {name} | " + " | ".join(cells) + " |")
    return lines


def amounts_table(py):
    """The float-bearing SuperPay payout next to its integer twin."""
    am = py.get("amounts")
    if not am:
        return ["(not measured in this run)"]
    sizes, times = am["sizes"], am["times"]
    lines = [f"| implementation | {sizes[0]} ({am['bytes'][sizes[0]]:,} B) "
             f"| {sizes[1]} ({am['bytes'][sizes[1]]:,} B) | floats / ints |",
             "|---|---:|---:|---:|"]
    for name in times.get("floats", {}):
        f = times["floats"][name].get("median_us")
        i = times.get("ints", {}).get(name, {}).get("median_us")
        lines.append(f"| {name} | {us(f)} | {us(i)} | {rx(ratio(f, i))} |")
    return lines


def paired(sec, size, group, peer, payhook_name, key):
    """Median over rounds of peer time / payhook time within one round.

    Both ran within the same round (a few tens of milliseconds apart), so
    whatever else the shared machine was doing then slowed both alike."""
    return paired_any(rounds_of(sec, size, group, peer, key),
                      rounds_of(sec, size, group, payhook_name, key))


def rounds_of(sec, size, group, name, key):
    try:
        return sec["sizes"][size][group][name][key]
    except (KeyError, TypeError):
        return None


def paired_any(a, b):
    """Median over rounds of a[i] / b[i] (two cases timed in the same
    rounds, whatever their groups); None where either has no rounds."""
    if not a or not b:
        return None
    return paired_ratio(a, b)


PY_FLOORS = {"leanx": "marshal.loads(LeanX payload objects)",
             "superpay": "marshal.loads(SuperPay plaintext objects)"}
LUA_FLOORS = {"leanx": "cjson.decode(LeanX payload)",
              "superpay": "cjson.decode(SuperPay plaintext)"}


def targets(py, lua, mem):
    """The targets of the performance issue, each with its measured ratio.

    A row with "le" set is met when the measured value is at most the
    goal (payhook's time over a floor's); the others when at least (a
    peer's time over payhook's)."""
    rows = []

    def add(what, goal, value, note="", of_medians=None, le=False):
        met = None if value is None else (
            value <= goal if le else value >= goal)
        rows.append({"target": what, "goal": goal, "measured": value,
                     "ratio_of_medians": of_medians, "met": met,
                     "note": note, "le": le})

    if py:
        size = "1.2 KB"
        old = [n for n in names_in(py, "leanx")
               if n.startswith("PyJWT") and "2.13" in n]
        for peer in old:
            for name in ("payhook.leanx.decode",
                         "payhook.leanx.Decoder.decode"):
                add(f"Python {size}: {name} vs {peer}", 6.0,
                    paired(py, size, "leanx", peer, name, "rounds_cpu_us"),
                    of_medians=ratio(median(py, size, "leanx", peer),
                                     median(py, size, "leanx", name)))
        peer = "cryptography (Cipher+PKCS7+json)"
        for name, goal in (("payhook.superpay.decode", 5.0),
                           ("payhook.superpay.Decoder.decode", 6.0)):
            add(f"Python {size}: {name} vs cryptography", goal,
                paired(py, size, "superpay", peer, name, "rounds_cpu_us"),
                of_medians=ratio(median(py, size, "superpay", peer),
                                 median(py, size, "superpay", name)))
        am = py.get("amounts")
        if am:
            times = am["times"].get("floats", {})
            label = am["sizes"][0]

            def am_rounds(n):
                return times.get(n, {}).get("rounds_cpu_us")

            def am_median(n):
                return times.get(n, {}).get("median_us")

            for name, goal in (("payhook.superpay.decode", 5.0),
                               ("payhook.superpay.Decoder.decode", 6.0)):
                add(f"Python {label}: {name} vs cryptography", goal,
                    paired_any(am_rounds(peer), am_rounds(name)),
                    of_medians=ratio(am_median(peer), am_median(name)))
        for group, name in (("leanx", "payhook.leanx.Decoder.decode"),
                            ("superpay", "payhook.superpay.Decoder.decode")):
            floor = PY_FLOORS[group]
            add(f"Python {size}: {name} ÷ {floor}", 1.2,
                paired_any(rounds_of(py, size, group, name, "rounds_cpu_us"),
                           rounds_of(py, size, "floor", floor,
                                     "rounds_cpu_us")),
                of_medians=ratio(median(py, size, group, name),
                                 median(py, size, "floor", floor)),
                le=True)
    for key, label in LUAS:
        sec = lua.get(key)
        if not sec:
            continue
        for group, _, _, reusable in LUA_GROUPS:
            floor = LUA_FLOORS[group]
            for size in ("1.2 KB", "16 KB"):
                add(f"{label} {size}: {reusable} ÷ {floor}", 1.0,
                    paired_any(rounds_of(sec, size, group, reusable,
                                         "rounds_us"),
                               rounds_of(sec, size, "floor", floor,
                                         "rounds_us")),
                    of_medians=ratio(median(sec, size, group, reusable),
                                     median(sec, size, "floor", floor)),
                    le=True)
    # Never slower than any peer, at any size: the lowest ratio of all.
    for label, sec, groups, key in (
            [("Python", py, ("leanx", "superpay"), "rounds_cpu_us")] +
            [(lbl, lua.get(k), ("leanx", "superpay"), "rounds_us")
             for k, lbl in LUAS]):
        if not sec:
            continue
        lowest = None
        for size in SIZES:
            for group in groups:
                ours = [n for n in names_in(sec, group)
                        if n.startswith("payhook")]
                peers = [n for n in names_in(sec, group)
                         if not n.startswith("payhook")]
                for peer in peers:
                    for name in ours:
                        r = paired(sec, size, group, peer, name, key)
                        if r is not None and (lowest is None
                                              or r < lowest[0]):
                            lowest = (r, f"{name} vs {peer}, {size}")
        if lowest is not None:
            add(f"{label}: never slower than any peer at any size (the "
                f"lowest ratio: {lowest[1]})", 1.0, lowest[0])
    worst = worst_half = None
    for name, m in mem.items():
        if not m:
            continue
        for kind, v in m["kinds"].items():
            d = v["delta"]
            if worst is None or abs(d) > abs(worst[0]):
                worst = (d, f"{name}: {kind}")
            h = v.get("delta_second_half")
            if h is not None and (worst_half is None
                                  or abs(h) > abs(worst_half[0])):
                worst_half = (h, f"{name}: {kind}")
    if worst is not None:
        note = worst[1]
        if worst_half is not None:
            note += (f"; largest change over the last 500,000 calls "
                     f"{worst_half[0] / 1024:+.0f} KiB ({worst_half[1]})")
        rows.append({"target": "RSS flat within 1 MiB over 1,000,000 decodes "
                     "(largest delta)", "goal": MiB, "measured": worst[0],
                     "met": abs(worst[0]) <= MiB, "note": note})
    return rows


# "Where the time goes": the pieces bench/stages.c times, per path, in
# the order of the path.  Each floor column is the fastest of the pieces
# listed for it; payhook's own pieces are those the core runs.
STAGE_PATHS = [
    ("leanx", "LeanX (HS256 JWT)",
     ["hmac_openssl_dup", "hmac_openssl_reinit", "hmac_payhook",
      "b64url_payhook", "b64_openssl", "parse_noop"],
     ["hmac_payhook", "b64url_payhook", "parse_noop"]),
    ("superpay", "SuperPay (AES-256-CBC)",
     ["hex_payhook", "aes_openssl", "aes_payhook", "hex_aes_payhook",
      "ct_scan", "parse_noop"],
     ["hex_payhook", "aes_payhook", "ct_scan", "parse_noop"]),
]
# (column, {path: stage names whose fastest is the floor}); None: the
# runtime's building floor.
FLOOR_COLUMNS = [
    ("MAC / cipher", {"leanx": ["hmac_openssl_dup", "hmac_openssl_reinit",
                                "hmac_payhook"],
                      "superpay": ["aes_openssl", "aes_payhook"]}),
    ("base64url / hex", {"leanx": ["b64url_payhook", "b64_openssl"],
                         "superpay": ["hex_payhook"]}),
    ("validation scan", {"superpay": ["ct_scan"]}),
    ("parse, no building", {"leanx": ["parse_noop"],
                            "superpay": ["parse_noop"]}),
    ("building", None),
]
# Per runtime: where its numbers are, its reusable decoder per path, its
# building floor per path, and which timing key to read (Python's tables
# show wall time; here every number is process CPU time, as in stages.c
# and the Lua bench).
RUNTIMES = [
    ("python", "Python", {"leanx": "payhook.leanx.Decoder.decode",
                          "superpay": "payhook.superpay.Decoder.decode"},
     {"leanx": "marshal.loads(LeanX payload objects)",
      "superpay": "marshal.loads(SuperPay plaintext objects)"},
     "cpu_median_us"),
    ("luajit", "LuaJIT", {"leanx": "payhook.leanx.new(key):decode",
                          "superpay": "payhook.superpay.new(key):decode"},
     {"leanx": "table constructor (LeanX payload)",
      "superpay": "table constructor (SuperPay plaintext)"},
     "median_us"),
    ("lua54", "Lua 5.4", {"leanx": "payhook.leanx.new(key):decode",
                          "superpay": "payhook.superpay.new(key):decode"},
     {"leanx": "table constructor (LeanX payload)",
      "superpay": "table constructor (SuperPay plaintext)"},
     "median_us"),
]


def stage_us(stages, size, path, name):
    try:
        return stages["sizes"][size][path][name]["median_us"]
    except (KeyError, TypeError):
        return None


def runtime_us(sec, size, group, name, key):
    try:
        entry = sec["sizes"][size][group][name]
    except (KeyError, TypeError):
        return None
    return entry.get(key, entry.get("median_us"))


def fastest(values):
    values = [v for v in values if v is not None]
    return min(values) if values else None


def stages_tables(stages):
    """The C pieces of each path, as the core and the raw libraries run
    them, and what the core does beyond them."""
    L = []
    for path, title, names, own in STAGE_PATHS:
        L += [f"#### C pieces: {title}", "",
              "| piece | " + " | ".join(SIZES) + " |",
              "|---|" + "---:|" * len(SIZES)]
        labels = stages.get("labels", {}).get(path, {})
        for name in names:
            cells = [us(stage_us(stages, s, path, name)) for s in SIZES]
            L.append(f"| {labels.get(name, name)} | " + " | ".join(cells)
                     + " |")
        core, rest = [], []
        for s in SIZES:
            c = stage_us(stages, s, path, "core_noop")
            parts = [stage_us(stages, s, path, n) for n in own]
            core.append(f"**{us(c)}**")
            rest.append("n/a" if c is None or None in parts
                        else us(c - sum(parts)))
        L.append(f"| **{labels.get('core_noop', 'payhook core, no-op sink')}"
                 "** | " + " | ".join(core) + " |")
        # What the core does besides those pieces: the envelope, the
        # JWT header and signature, the claims, PKCS#7, the wipes.
        L.append("| the rest of the core: core − (" + " + ".join(
            f"`{n}`" for n in own) + ") | " + " | ".join(rest) + " |")
        L.append("")
    return L


def where_time_goes(stages, py, lua):
    L = ["## Where the time goes", "",
         "Each path cut into the pieces a decode cannot avoid, each timed "
         "by itself in C (`bench/stages.c`, on the same inputs, process "
         "CPU time, medians of interleaved rounds), next to payhook's "
         "reusable decoder in each runtime. A floor is the fastest "
         "measured way to do that piece: the raw OpenSSL call or "
         "payhook's own, whichever is faster; the parse is payhook's "
         "strict parser into a sink that builds nothing; building is "
         "what the runtime needs to make the same objects with no parsing "
         "at all (Python: `marshal.loads` of the same objects; Lua: the "
         "payload's tables from compiled table constructors, whose strings "
         "are constants interned once, so it is below what any decoder "
         "can reach). \"core alone\" is payhook's core doing the whole "
         "job (`ph_gateway_open` + `ph_gateway_parse`, the scratch wiped) "
         "into the no-op sink; total − core is what the binding and the "
         "building add. Every number here is process CPU time (Python's "
         "own tables above show wall time). The C pieces link the core as "
         "the Makefile builds it (-O2), as the Lua modules do; the Python "
         "extension compiles the core with the CFLAGS of the interpreter "
         "that builds it (the -O in the machine lines above), so with "
         "another level its core can be a little faster or slower than "
         "the one timed here.", ""]
    missing = []
    if not stages:
        missing.append("the C pieces (`stages.json`: bench/stages.c did not "
                       "build or run)")
    else:
        L += [f"C pieces: {stages.get('openssl')}, "
              f"{stages.get('rounds')} rounds of "
              f"{stages.get('batch_ms')} ms batches, "
              f"{stages.get('clock')}.", ""]
        L += stages_tables(stages)
    secs = {"python": py, "luajit": lua.get("luajit"),
            "lua54": lua.get("lua54")}
    L += ["#### Floors beside payhook's total, per runtime", "",
          "| runtime | path | size | " + " | ".join(
              c for c, _ in FLOOR_COLUMNS) + " | sum of floors | payhook "
          "total | total ÷ sum | core alone | total − core |",
          "|---|---|---|" + "---:|" * (len(FLOOR_COLUMNS) + 5)]
    for key, label, totals, builders, tkey in RUNTIMES:
        sec = secs.get(key)
        if not sec:
            missing.append(f"{label} (its bench did not run)")
            continue
        for path, title, _, _ in STAGE_PATHS:
            for size in SIZES:
                cells, parts = [], []
                for col, by_path in FLOOR_COLUMNS:
                    if by_path is None:
                        v = runtime_us(sec, size, "floor", builders[path],
                                       tkey)
                        if v is None:
                            missing.append(f"{label}: {builders[path]} at "
                                           f"{size}")
                    elif path not in by_path:
                        cells.append("—")
                        continue
                    else:
                        v = fastest(stage_us(stages, size, path, n)
                                    for n in by_path[path])
                    cells.append(us(v))
                    parts.append(v)
                total = runtime_us(sec, size, path, totals[path], tkey)
                if total is None:
                    missing.append(f"{label}: {totals[path]} at {size}")
                floor = None if None in parts else sum(parts)
                core = stage_us(stages, size, path, "core_noop")
                rest = None if total is None or core is None else total - core
                L.append(f"| {label} | {title.split(' ')[0]} | {size} | "
                         + " | ".join(cells)
                         + f" | {us(floor)} | **{us(total)}** | "
                         f"{rx(ratio(total, floor))} | {us(core)} | "
                         f"{us(rest)} |")
    return L + [""] + missing_note(missing)


def missing_note(missing):
    """The line naming what a table shows as n/a, if anything."""
    if not missing:
        return []
    return ["Not measured in this run, so shown as n/a: "
            + "; ".join(missing) + ".", ""]


# The gateways bench/stages.c signs the shared event for, in its order.
FLOOR_GATEWAYS = ["standardwebhooks", "stripe", "razorpay", "chip"]


def gw_row_us(g, size, gateway, pred):
    """The fastest median among a gateways bench's rows at `size` for
    `gateway` whose implementation satisfies pred, or None."""
    return fastest(r["median_us"] for r in g.get("rows", [])
                   if gw_size(r) == size and r["gateway"] == gateway
                   and pred(r["implementation"]))


def gateway_floors(stages, gws):
    """The other JSON gateways cut as LeanX and SuperPay are above, and
    what each runtime's target leaves payhook: the fastest peer's time ÷
    the goal, beside the sum of the floors."""
    L = ["#### The other JSON gateways: floors beside payhook's total", "",
         "The shared event (1 KB, 16 KB, 256 KB) as each gateway signs it. "
         "From `bench/stages.c`: the core alone (open + parse into the "
         "no-op sink) and the strict parse of the event by itself; their "
         "difference is what verifying costs the core (the MAC or RSA "
         "check, the headers, the hex or base64 of the signature, the "
         "wipes). Building: `marshal.loads` of the event's objects "
         "(Python) and the event's tables from compiled table constructors "
         "(Lua), timed in the gateways benches' own rounds. Python's "
         "numbers here are wall time, as in its gateways tables. \"needed\" "
         "is the fastest peer the target is set against, divided by the "
         "goal (Python: 3x every SDK; LuaJIT: 2x the resty composition): "
         "the time payhook must reach, which \"needed ÷ sum\" sets against "
         "the sum of the floors.", ""]
    sizes = stages.get("gateway_sizes") if stages else None
    if not sizes:
        return L + ["(not measured in this run: bench/stages.c did not "
                    "build or run, or ran without the gateway cases)", ""]
    L += ["| runtime | gateway | size | core − parse | parse, no building "
          "| building | sum of floors | payhook total | total ÷ sum | "
          "needed | needed ÷ sum |",
          "|---|---|---|" + "---:|" * 8]
    missing = []
    parse_at = {size: pieces.get("event", {}).get("parse_noop", {})
                .get("median_us") for size, pieces in sizes.items()}
    for key, label, goal in GW_RUNTIMES:
        g = gws.get(key)
        if not g:
            missing.append(f"{label} (its gateways bench did not run)")
            continue
        floors = {f["size"]: f["median_us"] for f in g.get("floors", [])}
        missing += [f"{label}: the building floor at {size}"
                    for size in sizes if size not in floors]
        for gw in FLOOR_GATEWAYS:
            for size, pieces in sizes.items():
                parse = parse_at[size]
                core = pieces.get(gw, {}).get("core_noop", {}) \
                    .get("median_us")
                verify = None if core is None or parse is None \
                    else core - parse
                build = floors.get(size)
                total = gw_row_us(g, size, gw, lambda n: n == "payhook")
                if total is None:
                    continue
                parts = [verify, parse, build]
                floor = None if None in parts else sum(parts)
                needed = None
                if goal is not None and size == "1 KB":
                    peer = gw_row_us(g, size, gw, lambda n: n != "payhook" and (
                        key == "python" or n.startswith("resty")))
                    needed = None if peer is None else peer / goal
                L.append(f"| {label} | {gw} | {size} | {us(verify)} | "
                         f"{us(parse)} | {us(build)} | {us(floor)} | "
                         f"**{us(total)}** | {rx(ratio(total, floor))} | "
                         f"{us(needed) if needed else '—'} | "
                         f"{rx(ratio(needed, floor)) if needed else '—'} |")
    return L + [""] + missing_note(missing)


def cpu_features_line(features):
    if not features:
        return "- CPU features: not read"
    yes = lambda name: "yes" if features.get(name) else "no"  # noqa: E731
    vbmi = all(features.get(n) for n in ("avx512f", "avx512bw", "avx512vbmi"))
    scan = ("its composed form, eight runs at once" if vbmi
            else "a chain of table loads, not the composed form")
    return (f"- CPU features: AVX2 {yes('avx2')}, AVX-512 VBMI "
            f"{'yes' if vbmi else 'no'} (so SuperPay's constant-time scan "
            f"ran {scan}), SHA-NI {yes('sha_ni')}, AES-NI {yes('aes')}")


def python_build_text(machine):
    """The interpreter's executable, how libpython is linked and the
    extensions' -O, in brackets after its version."""
    b = machine.get("python_build")
    if not b:
        return ""
    parts = [f"`{b.get('executable')}`"]
    shared = b.get("libpython_shared")
    if shared is not None:
        parts.append("libpython a shared library" if shared
                     else "libpython linked into the executable")
    if b.get("extension_opt"):
        parts.append(f"extensions built with {b['extension_opt']}")
    return " (" + ", ".join(parts) + ")"


def machine_lines(machine, seconds):
    if not machine:
        return ["(machine description missing)"]
    out = [
        f"- CPU: {machine.get('cpu_model')} ({machine.get('nproc')} cores "
        f"visible, shared with other work while the bench ran; load average "
        f"before/after: {machine.get('load_before')} / "
        f"{machine.get('load_after')})",
        cpu_features_line(machine.get("cpu_features")),
        f"- OS: {machine.get('os')}, kernel {machine.get('kernel')}",
        f"- Python {machine.get('python')}{python_build_text(machine)}; "
        f"{machine.get('lua54')}; {machine.get('luajit')}",
        f"- OpenSSL {machine.get('openssl')}; cJSON {machine.get('cjson')}; "
        f"lua-cjson {machine.get('lua_cjson')}; luaossl "
        f"{machine.get('luaossl')}",
        f"- payhook measured: {machine.get('measured')}; bench run "
        f"{machine.get('date')}",
    ]
    if seconds is not None:
        out.append(f"- `bench/run.sh` took {seconds:.0f} s in all")
    return out


# (results key, label, the goal against an SDK / a resty composition)
GW_RUNTIMES = [("python", "Python", 3.0), ("luajit", "LuaJIT", 2.0),
               ("lua54", "Lua 5.4", None)]


def gw_size(row):
    """A gateways row's size label (results before sizes were added: 1 KB)."""
    return row.get("size", "1 KB")


def gateways_section(gws):
    """Every gateway of the pipeline without a LeanX/SuperPay history, next
    to its SDK (Python) or a hand-written composition (Lua), per size."""
    L = ["## Every other gateway next to its SDK or a hand-written "
         "composition", "",
         "`bench/gateways_bench.py` (Python) and "
         "`bench/lua_gateways_bench.lua` (LuaJIT, Lua 5.4): one genuine "
         "callback per gateway and size (a 1 KB JSON event, and the same "
         "event with more charges at 16 KB and 256 KB; 2C2P's payment "
         "result and the form gateways' own forms at their one size), "
         "accepted by every implementation and refused with one byte "
         "changed before timing; medians of interleaved rounds; ratio = "
         "the other's time ÷ payhook's at the same size.", ""]
    for key, label, _ in GW_RUNTIMES:
        g = gws.get(key)
        if not g:
            L += [f"### {label}", "", "(not measured in this run)", ""]
            continue
        sizes = g.get("sizes") or [{"size": "1 KB",
                                    "body_bytes": g.get("body_bytes")}]
        L += [f"### {label}", "",
              f"{g.get('rounds')} rounds; JSON bodies "
              + ", ".join(f"{s['size']} {s['body_bytes']:,} B"
                          for s in sizes) + ".", ""]
        for s in sizes:
            rows = [r for r in g["rows"] if gw_size(r) == s["size"]]
            if not rows:
                continue
            L += [f"#### {label}, {s['size']}", "",
                  "| gateway | implementation | median µs | p25-p75 µs "
                  "| ratio |", "|---|---|---:|---:|---:|"]
            for row in rows:
                name = row["implementation"]
                cell = (f"**{us(row['median_us'])}**" if name == "payhook"
                        else us(row["median_us"]))
                L += [f"| {row['gateway']} | {name} | {cell} | "
                      f"{us(row.get('p25_us'))}-{us(row.get('p75_us'))} | "
                      f"{rx(row.get('ratio'))} |"]
            L += [""]
        L += skipped_notes(g.get("skipped", []))
        L += [""]
    return L


def skipped_notes(notes):
    """One line per implementation and reason, naming its gateways, in
    place of one line per gateway (lua_gateways_bench.lua's notes:
    gateway, implementation, reason)."""
    grouped = {}
    for note in notes:
        key = (note["implementation"], note["reason"])
        grouped.setdefault(key, []).append(note["gateway"])
    return [f"- {impl} not timed for {', '.join(gateways)}: {reason}"
            for (impl, reason), gateways in grouped.items()]


def gateway_targets(gws):
    """Each gateway at least 3x its SDK in Python and 2x the hand-written
    resty composition in LuaJIT (1 KB), and never slower than any
    composition at any size."""
    rows = []

    def add(what, goal, row):
        # Paired by round where the bench kept every round (the ratio of
        # medians beside it); a bench run before that gives the latter.
        r = row.get("paired_ratio", row["ratio"])
        of_medians = row["ratio"] if "paired_ratio" in row else None
        rows.append({"target": what, "goal": goal, "measured": r,
                     "ratio_of_medians": of_medians,
                     "met": None if r is None else r >= goal,
                     "note": "", "le": False})

    for key, label, goal in GW_RUNTIMES:
        g = gws.get(key)
        if not g:
            continue
        lowest = None
        for row in g["rows"]:
            name = row["implementation"]
            r = row.get("paired_ratio", row.get("ratio"))
            if name == "payhook" or r is None:
                continue
            size = gw_size(row)
            if lowest is None or r < lowest[0]:
                lowest = (r, f"{row['gateway']} vs {name}, {size}", row)
            if size == "1 KB" and (key == "python" or (
                    key == "luajit" and name.startswith("resty"))):
                add(f"{label} 1 KB: payhook {row['gateway']} vs {name}",
                    goal, row)
        if lowest is not None:
            sizes = ", ".join(s["size"] for s in g.get("sizes", [])) \
                or "1 KB"
            add(f"{label}: every other gateway never slower than any "
                f"composition at any size ({sizes}; the lowest: "
                f"{lowest[1]})", 1.0, lowest[2])
    return rows


def write_table(path, py, lua, mem, machine, target_rows, seconds,
                stages=None, gws=None):
    L = ["# payhook benchmark", "",
         "Produced by `bench/run.sh` (one command: installs, builds, runs, "
         "writes this file, `results.json` and `chart.png`).", "",
         "## Machine", ""]
    L += machine_lines(machine, seconds)
    if py:
        shares = [e["cpu_share"] for g in py["sizes"].values()
                  for grp in g.values() for e in grp.values()
                  if "cpu_share" in e]
        if shares:
            shares.sort()
            L += [f"- Contention during the Python timing: median CPU time / "
                  f"wall time of a batch {shares[len(shares) // 2]:.2f} "
                  f"(lowest {shares[0]:.2f}; 1.00 = the process had a core "
                  f"to itself)"]
    L += ["", "## How it is measured", "",
          "Per call, median of interleaved rounds after a warm-up: each "
          "round runs one batch (a few milliseconds) of every case of a "
          "size, in an order shuffled afresh each round, so that no case "
          "pays for the collector's debt of the same neighbour every "
          "round (`bench/rounds.py`, `bench/lua_common.lua`); every "
          "result is "
          "first checked to equal `json.loads(payload)` "
          "(Lua: `cjson.decode(payload)`). Python times with "
          "`time.perf_counter_ns`, Lua with `os.clock()` (process CPU "
          "time). Sizes are those of the decoded payload: 1.2 KB is the "
          "LeanX vendor sample as published (1,153 bytes) and the SuperPay "
          "payout plaintext grown to 1,295 bytes; 16 KB and 256 KB grow "
          "the same shapes with more items (see `bench/inputs.py`).", "",
          "Cells: median µs per call. For a peer, `(a / b)` follows: "
          "a = peer time ÷ payhook's one-off call, b = peer time ÷ "
          "payhook's reusable decoder; above 1x payhook is faster. Floors "
          "(in italics) are one step of the job done by the language's "
          "own fastest tool, for scale, not a full decode.", ""]
    if py:
        v = py.get("versions", {})
        L += [f"## Python {v.get('python')}", "",
              "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()
                                       if val and k != "python") + "."]
        if not v.get("pyjwt-rs"):
            L += ["pyjwt-rs: no wheel for this platform on the package "
                  "index and the source build needs a Rust toolchain, so it "
                  "is not measured."]
        L += [""]
        for group, title, one_off, reusable in PY_GROUPS:
            L += [f"### Python: {title}", ""]
            if group == "leanx":
                flt = lambda n: "LeanX" in n or "hmac" in n  # noqa: E731
            else:
                flt = lambda n: "SuperPay" in n  # noqa: E731
            L += impl_table(py, group, one_off, reusable, floor_filter=flt)
            L += [""]
        L += ["### Python: SuperPay payout with float amounts", "",
              "30 transactions whose `amountPaid` and `commissionFee` are "
              "JSON floats (124.1, 3.1025), and the same shape with "
              "integer amounts, timed in the same interleaved rounds "
              "(`inputs.build_amounts`).", ""]
        L += amounts_table(py) + [""]
        refused = [(s, n, skipped(py, s, g, n)) for g, *_ in PY_GROUPS
                   for s in SIZES for n in names_in(py, g)
                   if skipped(py, s, g, n)]
        for s, n, why in refused:
            L += [f"- {n} at {s}: {why}"]
        if refused:
            L += [""]
    for key, label in LUAS:
        sec = lua.get(key)
        if not sec:
            L += [f"## {label}", "", "(not measured in this run)", ""]
            continue
        L += [f"## {label} ({sec.get('interpreter')})", ""]
        for group, title, one_off, reusable in LUA_GROUPS:
            L += [f"### {label}: {title}", ""]
            if group == "leanx":
                flt = lambda n: "LeanX" in n or "hmac" in n  # noqa: E731
            else:
                flt = lambda n: "SuperPay" in n  # noqa: E731
            L += impl_table(sec, group, one_off, reusable, floor_filter=flt)
            L += [""]
    L += gateways_section(gws or {})
    L += where_time_goes(stages, py, lua)
    L += gateway_floors(stages, gws or {})
    L += ["## Memory: RSS over 1,000,000 decodes (prepared decoders)", "",
          "The first four kinds use the 1.2 KB inputs; \"<gateway> "
          "genuine/forged\" use each gateway's first genuine vector and a "
          "forged one under the same key (tests/vectors/).", "",
          "RSS from `/proc/self/statm` after a warm-up of 20,000 calls and "
          "after the 1,000,000 calls (both after a full collection); "
          "\"2nd half\" is the change from call 500,000 to call 1,000,000, "
          "which a leak would make grow with the calls and a one-off "
          "allocator step would not. Python, LuaJIT and Lua 5.4 ran side "
          "by side.", ""]
    kinds = []
    for m in mem.values():
        if m:
            for k in m["kinds"]:
                if k not in kinds:
                    kinds.append(k)
    heads = [(n, t) for n, t in (("python", "Python"), ("luajit", "LuaJIT"),
                                 ("lua54", "Lua 5.4")) if mem.get(n)]
    L += ["| kind | " + " | ".join(f"{t}: before → after MiB (Δ KiB)"
                                   for _, t in heads) + " |",
          "|---|" + "---:|" * len(heads)]
    for k in kinds:
        cells = []
        for n, _ in heads:
            v = mem[n]["kinds"].get(k)
            if not v:
                cells.append("n/a")
                continue
            half = v.get("delta_second_half")
            half = "" if half is None else f"; 2nd half {half / 1024:+.0f}"
            cells.append(f"{v['rss_before'] / MiB:.2f} → "
                         f"{v['rss_after'] / MiB:.2f} "
                         f"({v['delta'] / 1024:+.0f}{half})")
        L += [f"| {k} | " + " | ".join(cells) + " |"]
    L += ["", "## Targets of the issue (same run)", "",
          "Measured: the median over rounds of peer time ÷ payhook time "
          "(≥ rows), or payhook time ÷ the floor's (≤ rows), in the same "
          "round (process CPU time of the two batches; Lua: os.clock), so "
          "that what else the shared machine was doing at that moment "
          "slows both sides of each ratio alike; in brackets, the ratio "
          "of the medians shown in the tables above (Python's: wall "
          "clock). The nginx "
          "targets are in [nginx.md](nginx.md).", "",
          "| target | goal | measured | met |", "|---|---:|---:|:---:|"]
    for row in target_rows:
        if row["goal"] == MiB:
            goal = "≤ 1 MiB"
            meas = ("n/a" if row["measured"] is None else
                    f"{row['measured'] / 1024:+.0f} KiB ({row['note']})")
        else:
            goal = f"{'≤' if row.get('le') else '≥'} {row['goal']:.1f}x"
            meas = rx(row["measured"])
            if row["met"] is False and row["measured"] is not None and \
                    rx(row["measured"]) == rx(row["goal"]):
                meas = f"{row['measured']:.3f}x"
            if row.get("ratio_of_medians") is not None:
                meas += f" ({rx(row['ratio_of_medians'])})"
        met = {True: "yes", False: "**no**", None: "n/a"}[row["met"]]
        L += [f"| {row['target']} | {goal} | {meas} | {met} |"]
    profiles = sorted(f for f in os.listdir(os.path.dirname(path) or ".")
                      if f.startswith("profile-") and f.endswith(".txt"))
    if profiles:
        L += ["", "## Profiles", "",
              "`bench/profile.sh` (callgrind, run separately) writes where "
              "the instructions go, by function and by component: " +
              ", ".join(f"[{f}]({f})" for f in profiles) + "."]
    L += [""]
    text = "\n".join(L)
    with open(path, "w") as f:
        f.write(text)
    return text


def chart(path, py, lua):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    if py:
        for group, title, one_off, reusable in PY_GROUPS:
            panels.append((f"Python: {title}", py, group, one_off, reusable))
    for key, label in LUAS:
        if lua.get(key):
            for group, title, one_off, reusable in LUA_GROUPS:
                panels.append((f"{label}: {title}", lua[key], group, one_off,
                               reusable))
    if not panels:
        return
    rows = (len(panels) + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(14, 4.6 * rows), squeeze=False)
    for ax, (title, sec, group, one_off, reusable) in zip(axes.flat, panels):
        names = names_in(sec, group)
        names = [n for n in (one_off, reusable) if n in names] + sorted(
            n for n in names if n not in (one_off, reusable))
        width = 0.8 / max(1, len(names))
        peer_colors = iter(["#e6862e", "#c0392b", "#8e5ea2", "#6b8e23",
                            "#7f7f7f"])
        for i, name in enumerate(names):
            xs, ys = [], []
            for j, size in enumerate(SIZES):
                m = median(sec, size, group, name)
                if m is not None:
                    xs.append(j - 0.4 + width * (i + 0.5))
                    ys.append(m)
            if name.startswith("payhook"):
                hatch = None
                color = "#1f4e9c" if i == 0 else "#5b9bd5"
            else:
                hatch = "//"
                color = next(peer_colors, "#999999")
            bars = ax.bar(xs, ys, width, label=name, hatch=hatch,
                          color=color, edgecolor="black", linewidth=0.4)
            for b, y in zip(bars, ys):
                ax.text(b.get_x() + b.get_width() / 2, y * 1.08, us(y),
                        ha="center", va="bottom", fontsize=6, rotation=90)
        ax.set_yscale("log")
        ax.set_xticks(range(len(SIZES)))
        ax.set_xticklabels([f"{s} payload" for s in SIZES])
        ax.set_ylabel("µs per call (median, log scale)")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(axis="y", which="both", alpha=0.25)
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi * 4)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle("payhook vs peers, per-call cost (lower is better; "
                 "payhook solid, peers hatched)", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("results_dir")
    ap.add_argument("--seconds", type=float)
    args = ap.parse_args()
    d = args.run_dir
    py = load(os.path.join(d, "python.json"))
    lua = {k: load(os.path.join(d, f"lua-{k}.json")) for k, _ in LUAS}
    mem = {k: load(os.path.join(d, f"memory-{k}.json"))
           for k in ("python", "luajit", "lua54")}
    # Every gateway's genuine and forged callbacks (memory_gateways.py,
    # lua_memory_gateways.lua): more kinds of the same measurement.
    for k, m in mem.items():
        extra = load(os.path.join(d, f"memory-gateways-{k}.json"))
        if m and extra:
            m["kinds"].update(extra["kinds"])
    machine = load(os.path.join(d, "machine.json"))
    stages = load(os.path.join(d, "stages.json"))
    gws = {k: load(os.path.join(d, f"gateways-{k}.json"))
           for k, _, _ in GW_RUNTIMES}
    rows = targets(py, lua, mem) + gateway_targets(gws)
    os.makedirs(args.results_dir, exist_ok=True)
    combined = {"machine": machine, "seconds": args.seconds, "python": py,
                "lua": lua, "stages": stages, "memory": mem,
                "gateways": gws, "targets": rows}
    text = json.dumps(combined, indent=1, ensure_ascii=False)
    # Lists of numbers (per-round samples) on one line each.
    text = re.sub(r"\[\s*(-?[\d.eE+-]+(?:,\s*-?[\d.eE+-]+)*)\s*\]",
                  lambda m: "[" + re.sub(r"\s+", " ", m.group(1)) + "]",
                  text)
    with open(os.path.join(args.results_dir, "results.json"), "w") as f:
        f.write(text + "\n")
    text = write_table(os.path.join(args.results_dir, "table.md"), py, lua,
                       mem, machine, rows, args.seconds, stages, gws)
    chart(os.path.join(args.results_dir, "chart.png"), py, lua)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
