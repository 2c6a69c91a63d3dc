"""Summarise a callgrind output file: top functions by inclusive and by self
cost, as callgrind_annotate counts them, with shortened names.

Usage: python3 bench/profile_summary.py CALLGRIND_OUT OUT.txt
           --title T --calls N --command CMD [--top K]
"""

from __future__ import annotations

import argparse
import os
import sys
import re
import subprocess

LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*\S)\s*$")


# Interpreter dispatch frames: in a toggled profile they only carry the
# cost of the payhook entry points they called.
DISPATCH_FILES = {"call.c", "pycore_call.h", "ceval.c", "pycore_ceval.h",
                  "pycore_pystate.h", "typeobject.c", "descrobject.c",
                  "methodobject.c", "pythonrun.c", "main.c", "python.c",
                  "libc-start.c", "libc_start_call_main.h"}


def component(raw):
    """Which part of the process a callgrind_annotate row belongs to."""
    obj = raw.rsplit("[", 1)[1] if raw.endswith("]") else ""
    file = raw.split(":", 1)[0]
    if ("/csrc/" in file or "/bindings/" in file or "payhook" in obj
            or "core.so" in obj):
        return "payhook (core + binding)"
    if "libcrypto" in obj or "libssl" in obj:
        return "OpenSSL (libcrypto)"
    if "python" in obj or "Objects/" in file or "Python/" in file:
        return "CPython runtime (objects, dicts, allocator)"
    if "luajit" in obj or "liblua" in obj or "lua5" in obj:
        return "Lua VM / C API (unsymbolised LuaJIT internals)"
    if "libc.so" in obj or "ld-linux" in obj:
        return "libc (memcpy, memcmp, malloc, ...)"
    if file == "???" and not obj:
        return "JIT-compiled code"
    return "other (inlined header code, unknown object)"


def annotate(path, inclusive):
    out = subprocess.run(
        ["callgrind_annotate", "--auto=no", "--threshold=100",
         f"--inclusive={'yes' if inclusive else 'no'}", path],
        capture_output=True, text=True, check=True).stdout
    total = None
    rows = []
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        what = m.group(3)
        if what.startswith("PROGRAM TOTALS"):
            total = ir
            continue
        rows.append((ir, float(m.group(2)), shorten(what), what))
    return total, rows


def shorten(what):
    """'/long/path/file.c:func [/lib/obj.so]' -> 'func  (file.c, obj.so)'."""
    obj = None
    m = re.match(r"^(.*?)\s+\[(.*)\]$", what)
    if m:
        what, obj = m.group(1), os.path.basename(m.group(2))
    if ":" in what:
        file, func = what.rsplit(":", 1)
        file = os.path.basename(file)
    else:
        file, func = "???", what
    where = ", ".join(x for x in (file if file != "???" else None, obj) if x)
    return f"{func}  ({where})" if where else func


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("callgrind_out")
    ap.add_argument("out")
    ap.add_argument("--title", required=True)
    ap.add_argument("--calls", type=int, required=True)
    ap.add_argument("--command", default="")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--entry", action="append", default=[],
                    help="a toggled entry point: callers that show 100%% "
                         "only because they were on the stack are dropped")
    args = ap.parse_args()
    total, incl = annotate(args.callgrind_out, True)
    _, self_rows = annotate(args.callgrind_out, False)
    # Inclusive view: recursive cycles ("'2", counted more than once, over
    # 100%), and, when collection was toggled on entry points, the
    # interpreter frames above them (100% only because they were on the
    # stack) say nothing; the same function attributed to several source
    # files (inlined header code) is listed once, at its largest.
    seen = set()
    kept = []
    for ir, pct, name, raw in incl:
        func = name.split("  (")[0]
        if pct > 100.05 or "'" in func or func in seen:
            continue
        if args.entry and func not in args.entry:
            if total and ir >= total:
                continue
            if os.path.basename(raw.split(":", 1)[0]) in DISPATCH_FILES:
                continue
        seen.add(func)
        kept.append((ir, pct, name))
    incl = kept
    groups = {}
    for ir, _, _, raw in self_rows:
        g = component(raw)
        groups[g] = groups.get(g, 0) + ir
    cmd = args.command.replace(os.getcwd() + "/", "")
    lines = [
        f"# {args.title}",
        f"# command: {cmd}",
        f"# instructions collected (Ir): {total:,} for {args.calls:,} "
        f"decodes = {total / args.calls:,.0f} per decode" if total else
        "# no instructions collected",
        "# % = share of all collected instructions; produced by "
        "bench/profile.sh",
        "# valgrind has no AVX-512 and no SHA-NI: code that picks its form "
        "from the CPU runs another form here (SuperPay's constant-time "
        "scan: the two-bytes-a-load chain, as on a CPU without AVX-512 "
        "VBMI; OpenSSL's SHA-256: its scalar code, several times the "
        "instructions of the SHA-NI one)",
        "",
        f"## Inclusive (function and everything it calls), top {args.top}",
        "",
        f"{'Ir per decode':>14} {'%':>6}  function",
    ]
    for ir, pct, name in incl[:args.top]:
        lines.append(f"{ir / args.calls:>14,.0f} {pct:>5.1f}%  {name}")
    lines += ["", "## Self cost by component", "",
              f"{'Ir per decode':>14} {'%':>6}  component"]
    for g, ir in sorted(groups.items(), key=lambda kv: -kv[1]):
        lines.append(f"{ir / args.calls:>14,.0f} "
                     f"{100.0 * ir / total if total else 0:>5.1f}%  {g}")
    lines += ["", f"## Self (the function's own instructions), top "
              f"{args.top}", "", f"{'Ir per decode':>14} {'%':>6}  function"]
    for ir, pct, name, _ in self_rows[:args.top]:
        lines.append(f"{ir / args.calls:>14,.0f} {pct:>5.1f}%  {name}")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    if not total:
        # A toggled entry point that the code no longer runs collects
        # nothing: that is a broken profile, not an empty one.
        sys.exit(f"{args.out}: no instructions collected (is the entry "
                 f"point {args.entry} still the one the code runs?)")


if __name__ == "__main__":
    main()
