"""Summarise a bench/nginx/drive.py run: nginx.json and nginx.md.

    python3 bench/nginx/report.py RAW.json MACHINE.json OUT.json OUT.md \
        [--lualib DIR]

RAW.json is drive.py's, MACHINE.json bench/machine.py's (taken at the end
of the run). The versions of nginx, its Lua module and wrk are read here,
from dpkg, in the same run. Medians are over the timed rounds; a cell
with any non-2xx answer or socket error in a timed run is an error and
has no number.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess

GATEWAY_TITLES = {"leanx": "LeanX", "superpay": "SuperPay"}
# Which rows payhook's decoder is compared with, per gateway.
PEERS = [("resty-jwt", "lua-resty-jwt"), ("hand", "hand-written"),
         ("floor", "floor"), ("static", "static")]
# The targets: (size, gateway, peer, at least).
TARGETS = [
    ("1.2 KB", "leanx", "resty-jwt", 4.0),
    ("1.2 KB", "leanx", "floor", 0.8),
    ("1.2 KB", "superpay", "hand", 2.5),
    ("1.2 KB", "superpay", "floor", 0.8),
    ("32 KB", "leanx", "floor", 0.5),
    ("32 KB", "superpay", "floor", 0.5),
]
PEER_WORDS = {"resty-jwt": "lua-resty-jwt",
              "hand": "the hand-written handler",
              "floor": "the floor", "static": "the static answer"}


def run(*cmd: str) -> str | None:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return (p.stdout + p.stderr).strip() or None


def dpkg(pkg: str) -> str | None:
    return run("dpkg-query", "-W", "-f=${Version}", pkg)


def lualib_versions(directory: str | None) -> list[str]:
    if not directory:
        return []
    try:
        with open(os.path.join(directory, "VERSIONS")) as f:
            return [ln.strip() for ln in f
                    if ln.strip() and not ln.startswith("#")]
    except OSError:
        return []


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise_cell(c: dict) -> dict:
    runs = c["runs"]
    out = {k: c[k] for k in ("id", "size", "gateway", "handler", "title",
                             "location", "body_bytes", "payload_bytes",
                             "status", "reason")}
    out["rounds"] = len(runs)
    out["non2xx_total"] = sum(r["non2xx"] for r in runs)
    out["socket_errors_total"] = sum(r["socket_errors"] for r in runs)
    if runs and c["status"] == "ok":
        rps = [r["rps"] for r in runs]
        out.update({
            "rps_median": med(rps), "rps_min": min(rps),
            "rps_max": max(rps),
            "cpu_us_per_req_median": med(r["cpu_us_per_req"] for r in runs),
            "worker_busy_median": med(r["worker_busy"] for r in runs),
            "wrk_busy_median": med(r.get("wrk_busy") for r in runs),
            "latency_p50_us_median": med(r["latency_p50_us"] for r in runs),
            "latency_p99_us_median": med(r["latency_p99_us"] for r in runs),
        })
    out["runs"] = runs
    out["warmup"] = c.get("warmup")
    return out


def find(cells, size, gateway, handler):
    for c in cells:
        if (c["size"], c["gateway"], c["handler"]) == (size, gateway,
                                                        handler):
            return c
    return None


def ratio(cells, size, gateway, peer):
    """payhook's req/s over the peer's, and the peer's worker CPU per
    request over payhook's (both > 1 when payhook is faster)."""
    p = find(cells, size, gateway, "payhook")
    q = find(cells, size, gateway, peer)
    if not p or not q:
        return None
    if "rps_median" not in p or "rps_median" not in q:
        why = [f"{c['handler']}: {c['status']}" for c in (p, q)
               if "rps_median" not in c]
        return {"size": size, "gateway": gateway, "peer": peer,
                "rps_ratio": None, "cpu_ratio": None,
                "why": ", ".join(why)}
    return {"size": size, "gateway": gateway, "peer": peer,
            "rps_ratio": p["rps_median"] / q["rps_median"],
            "cpu_ratio": (q["cpu_us_per_req_median"] /
                          p["cpu_us_per_req_median"]),
            "why": None}


def component(dso: str) -> str:
    if dso == "core.so":
        return "payhook (core.so)"
    if dso.startswith("libcrypto"):
        return "OpenSSL (libcrypto)"
    if dso.startswith("libluajit"):
        return "LuaJIT VM"
    if dso in ("[unknown]", "[JIT]") or dso.startswith(("perf-", "[JIT")):
        return "JIT-compiled Lua"
    if dso.startswith(("ngx_http_lua", "ndk_http")):
        return "lua-nginx-module"
    if dso == "nginx":
        return "nginx"
    if dso.startswith("[kernel"):
        return "kernel (TCP, syscalls)"
    if dso.startswith("libc.so"):
        return "libc"
    if "cjson" in dso:
        return "lua-cjson" if "lua" in dso else "cJSON"
    return "other"


COMPONENTS = ["kernel (TCP, syscalls)", "nginx", "lua-nginx-module",
              "LuaJIT VM", "JIT-compiled Lua", "lua-cjson",
              "payhook (core.so)", "OpenSSL (libcrypto)", "libc", "cJSON",
              "other"]


def perf_components(p: dict) -> dict:
    shares = {}
    for row in p["by_dso"]:
        name = component(row["dso"])
        shares[name] = shares.get(name, 0.0) + row["percent"]
    total = sum(shares.values()) or 1.0
    cpu = p.get("cpu_us_per_req") or 0.0
    kernel = "kernel (TCP, syscalls)"
    if kernel not in shares and p.get("user_us_per_req") is not None:
        # perf saw user space only (not root): its samples cover the user
        # time, and the kernel's share is the system time from /proc.
        cpu = p["user_us_per_req"]
        out = {k: {"percent": v, "us_per_req": v / total * cpu}
               for k, v in shares.items()}
        out[kernel] = {"percent": None,
                       "us_per_req": p.get("sys_us_per_req") or 0.0,
                       "from_proc": True}
        return out
    # µs per request of each component: its share of the samples (scaled
    # to the rows reported, each >= 0.3%) times the run's CPU per request.
    return {k: {"percent": v, "us_per_req": v / total * cpu}
            for k, v in shares.items()}


def fmt_int(x) -> str:
    return f"{x:,.0f}"


def fmt2(x) -> str:
    return f"{x:.2f}" if x is not None else "n/a"


def fmt_ratio(x) -> str:
    return f"{x:.2f}x" if x is not None else "n/a"


def build(raw: dict, machine: dict, lualib: str | None) -> dict:
    cells = [summarise_cell(c) for c in raw["cells"]]
    sizes = []
    for c in cells:
        if c["size"] not in sizes:
            sizes.append(c["size"])
    ratios = []
    for size in sizes:
        for g in GATEWAY_TITLES:
            for peer, _ in PEERS:
                r = ratio(cells, size, g, peer)
                if r:
                    ratios.append(r)
    targets = []
    for size, g, peer, least in TARGETS:
        r = ratio(cells, size, g, peer) or {"rps_ratio": None,
                                            "cpu_ratio": None,
                                            "why": "no such cells"}
        targets.append({
            "size": size, "gateway": g, "peer": peer, "at_least": least,
            "what": (f"{size} {GATEWAY_TITLES[g]}: payhook >= {least:g}x "
                     f"{PEER_WORDS[peer]}"),
            "rps_ratio": r["rps_ratio"], "cpu_ratio": r["cpu_ratio"],
            "met": None if r["rps_ratio"] is None else r["rps_ratio"] >= least,
            "met_by_cpu": (None if r["cpu_ratio"] is None
                           else r["cpu_ratio"] >= least),
            "why": r["why"],
        })
    prof = raw.get("profile") or {}
    if prof.get("perf"):
        for p in prof["perf"].values():
            p["components"] = perf_components(p)
    versions = {
        "nginx": run("nginx", "-v"),
        "nginx_deb": dpkg("nginx"),
        "libnginx-mod-http-lua": dpkg("libnginx-mod-http-lua"),
        "lua-resty-core": dpkg("lua-resty-core"),
        "lua-cjson": dpkg("lua-cjson"),
        "luajit_in_nginx": raw["info"].get("luajit"),
        "luajit2_deb": dpkg("luajit2"),
        "ngx_lua": raw["info"].get("ngx_lua"),
        "wrk": dpkg("wrk"),
        "payhook": raw["info"].get("payhook"),
        "peers": lualib_versions(lualib),
    }
    return {"machine": machine, "versions": versions,
            "settings": raw["settings"], "notes": raw.get("note") or [],
            "worker_pid": raw["info"].get("pid"),
            "worker_pid_after": raw.get("worker_pid_after"),
            "sizes": sizes, "cells": cells, "ratios": ratios,
            "targets": targets, "profile": prof}


def size_line(cells, size) -> str:
    parts = []
    for g, title in GATEWAY_TITLES.items():
        c = find(cells, size, g, "payhook") or find(cells, size, g, "floor")
        if c:
            parts.append(f"{title} body {c['body_bytes']:,} B, payload "
                         f"{c['payload_bytes']:,} B")
    return "; ".join(parts)


def markdown(rep: dict) -> str:
    m, v, s = rep["machine"], rep["versions"], rep["settings"]
    cells = rep["cells"]
    out = []
    w = out.append
    w("# payhook in nginx: requests per second")
    w("")
    w(f"`bench/nginx_bench.sh`, {m.get('date')}, measuring the "
      f"{m.get('measured') or 'checkout'} (commit {m.get('commit')}).")
    w("")
    w(f"One nginx worker on 127.0.0.1, `wrk -t{s['threads']} "
      f"-c{s['connections']}`, {s['rounds']} rounds of {s['seconds']} s "
      f"per location, every location once per round in an order rotating "
      f"by one each round, after a {s['warmup']} s warm-up of each; "
      f"pinning: {s['pinning']}. Each handler reads the body, verifies it "
      "(not the floors), decodes it to a table and answers one field; "
      "each was checked to answer 200 and the right field for the genuine "
      "body (and 401 for a forged one) before timing.")
    w("")
    w("| machine | |")
    w("|---|---|")
    w(f"| CPU | {m.get('cpu_model')} x {m.get('nproc')} (shared) |")
    w(f"| OS | {m.get('os')}, kernel {m.get('kernel')} |")
    w(f"| nginx | {v.get('nginx')} (Debian {v.get('nginx_deb')}), "
      f"libnginx-mod-http-lua {v.get('libnginx-mod-http-lua')}, "
      f"lua-resty-core {v.get('lua-resty-core')} |")
    w(f"| LuaJIT | {v.get('luajit_in_nginx')} (luajit2 "
      f"{v.get('luajit2_deb')}), lua-cjson {v.get('lua-cjson')} |")
    w(f"| OpenSSL, cJSON | {m.get('openssl')}, {m.get('cjson')} |")
    w(f"| wrk | {v.get('wrk')} |")
    peers = "; ".join(p.split()[0] + " " + p.split()[2]
                      for p in v.get("peers") or [] if len(p.split()) > 2)
    w(f"| peers (../shared/lualib) | {peers or 'not found'} |")
    w(f"| load average | {m.get('load_before')} before, "
      f"{m.get('load_after')} after |")
    w("")
    for note in rep["notes"]:
        w(f"**Note:** {note}")
        w("")
    if rep["worker_pid_after"] != rep["worker_pid"]:
        w("**The worker was replaced during the run "
          f"(pid {rep['worker_pid']} -> {rep['worker_pid_after']}).**")
        w("")

    w(f"## Requests per second (median of {s['rounds']} rounds)")
    w("")
    w("Worker CPU is the nginx worker's CPU time per request in the same "
      "runs; busy is its CPU time over the run's length (near 1.0, the "
      "worker is the limit; wrk busy near 1.0, the client is). "
      "\"payhook ÷ this\" is payhook's prepared decoder's req/s over the "
      "row's.")
    for size in rep["sizes"]:
        w("")
        w(f"### {size} ({size_line(cells, size)})")
        w("")
        w("| gateway | handler | req/s | min-max | worker CPU µs/req | "
          "worker busy | wrk busy | p99 ms | non-2xx | payhook ÷ this |")
        w("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        for g, title in GATEWAY_TITLES.items():
            p = find(cells, size, g, "payhook")
            for c in cells:
                if (c["size"], c["gateway"]) != (size, g):
                    continue
                if "rps_median" not in c:
                    w(f"| {title} | {c['title']} | {c['status']} | "
                      f"{c['reason']} | | | | | "
                      f"{c['non2xx_total']} | |")
                    continue
                rel = ""
                if p and "rps_median" in p:
                    rel = fmt_ratio(p["rps_median"] / c["rps_median"])
                w(f"| {title} | {c['title']} | {fmt_int(c['rps_median'])} "
                  f"| {fmt_int(c['rps_min'])}-{fmt_int(c['rps_max'])} | "
                  f"{c['cpu_us_per_req_median']:.1f} | "
                  f"{fmt2(c['worker_busy_median'])} | "
                  f"{fmt2(c['wrk_busy_median'])} | "
                  f"{c['latency_p99_us_median'] / 1000:.2f} | "
                  f"{c['non2xx_total']} | {rel} |")
    w("")
    w("## Ratios")
    w("")
    w("payhook's prepared decoder (`payhook.<gateway>.new(key):decode`) "
      "over each other handler: by median req/s, and in brackets by the "
      "worker's CPU time per request (the other's over payhook's; less "
      "sensitive to what else the shared machine runs).")
    w("")
    w("| size | gateway | vs lua-resty-jwt | vs hand-written | vs floor | "
      "vs static |")
    w("|---|---|--:|--:|--:|--:|")
    for size in rep["sizes"]:
        for g, title in GATEWAY_TITLES.items():
            row = [size, title]
            for peer, _ in PEERS:
                r = next((r for r in rep["ratios"]
                          if (r["size"], r["gateway"], r["peer"]) ==
                          (size, g, peer)), None)
                if r is None:
                    row.append("")
                elif r["rps_ratio"] is None:
                    row.append(f"n/a ({r['why']})")
                else:
                    row.append(f"{fmt_ratio(r['rps_ratio'])} "
                               f"({fmt_ratio(r['cpu_ratio'])})")
            w("| " + " | ".join(row) + " |")
    w("")
    w("## The issue's targets")
    w("")
    w("| target | req/s ratio | met | CPU/req ratio | met by CPU |")
    w("|---|--:|---|--:|---|")
    for t in rep["targets"]:
        if t["rps_ratio"] is None:
            w(f"| {t['what']} | n/a | n/a ({t['why']}) | | |")
            continue
        w(f"| {t['what']} | {fmt_ratio(t['rps_ratio'])} | "
          f"{'met' if t['met'] else 'not met'} | "
          f"{fmt_ratio(t['cpu_ratio'])} | "
          f"{'met' if t['met_by_cpu'] else 'not met'} |")
    w("")
    out.extend(time_section(rep))
    return "\n".join(out) + "\n"


def time_section(rep: dict) -> list[str]:
    out = []
    w = out.append
    prof = rep["profile"] or {}
    cells = rep["cells"]
    w("## Where the time goes")
    w("")
    if not prof:
        w("Not profiled in this run (BENCH_NGINX_PROFILE=0).")
        return out
    jobs = prof.get("time") or {}
    w("The worker's CPU per request (the timed rounds' median) next to the "
      "job alone, timed inside the same worker on the same body (`POST "
      "/time`: the handler's body-to-field function in a loop, "
      "`os.clock`; for the payhook.openresty helper, the gateway "
      "decoder's `verify` it calls, with the request's headers). What the "
      "request costs beyond its job is nginx, the kernel's loopback TCP, "
      "reading the body and answering (and, for the helper, its own Lua). "
      "The two columns are measured at different moments of a shared "
      "machine (the job alone after the timed rounds), so a rest can come "
      "out negative: that is noise, not a cost.")
    w("")
    w("| size | gateway | handler | worker CPU µs/req | job alone µs | "
      "rest µs | page faults/req |")
    w("|---|---|---|--:|--:|--:|--:|")
    for size in rep["sizes"]:
        for g, title in GATEWAY_TITLES.items():
            for hid in ("static", "floor", "payhook", "helper", "hand",
                        "resty-jwt"):
                c = find(cells, size, g, hid)
                if not c or "cpu_us_per_req_median" not in c:
                    continue
                cpu = c["cpu_us_per_req_median"]
                j = jobs.get(c["id"])
                job = j["us_per_call"] if j else (0.0 if hid == "static"
                                                 else None)
                faults = med(r.get("faults_per_req") for r in c["runs"])
                w(f"| {size} | {title} | {c['title']} | {cpu:.1f} | "
                  + (f"{job:.1f} | {cpu - job:.1f} | " if job is not None
                     else " | | ")
                  + (f"{faults:.2f} |" if faults is not None else " |"))
    w("")
    perf = prof.get("perf")
    if not perf:
        w(f"No perf profile: {prof.get('perf_reason', 'not run')}.")
        return out
    w("perf record on the worker (1999 Hz, one wrk run per handler, "
      "after the timed rounds): each component's share of the samples, as "
      "µs of worker CPU per request (the share times that run's CPU per "
      "request). libluajit is stripped, so the VM (and the Lua C API "
      "calls that build payhook's tables) shows as one block.")
    for size in rep["sizes"]:
        for g, title in GATEWAY_TITLES.items():
            ids = [(hid, f"{size}|{g}|{hid}") for hid in
                   ("static", "floor", "payhook", "helper", "example",
                    "hand", "resty-jwt")]
            ids = [(hid, i) for hid, i in ids if i in perf]
            if not ids:
                continue
            w("")
            w(f"{size} {title}, µs per request:")
            w("")
            w("| component | " + " | ".join(h for h, _ in ids) + " |")
            w("|---|" + "--:|" * len(ids))
            for comp in COMPONENTS:
                vals = [perf[i]["components"].get(comp) for _, i in ids]
                if all(x is None or x["us_per_req"] < 0.05 for x in vals):
                    continue
                label = comp
                if any(x and x.get("from_proc") for x in vals):
                    label += " (system time from /proc: perf saw user space only)"
                w(f"| {label} | " + " | ".join(
                    f"{x['us_per_req']:.1f}" if x else "-" for x in vals)
                  + " |")
            w("| **total** | " + " | ".join(
                f"**{perf[i]['cpu_us_per_req']:.1f}**" for _, i in ids)
              + " |")
            for hid in ("payhook", "helper", "example"):
                p = perf.get(f"{size}|{g}|{hid}")
                if not p:
                    continue
                # Symbols perf could name (libluajit's and nginx's are
                # addresses: both are stripped).
                top = [r for r in p["top_symbols"] if r["symbol"] and
                       not r["symbol"].startswith("0x")][:8]
                if top:
                    w("")
                    w(f"Hottest named symbols in the {size} {title} {hid} "
                      "run (% of the worker's samples): " +
                      ", ".join(f"`{r['symbol']}` ({r['dso']}) "
                                f"{r['percent']:.1f}%" for r in top) + ".")
                chains = [c for c in p.get("chains") or [] if c["chain"]]
                if chains:
                    w("")
                    w("Where its hottest samples come from (perf "
                      "--call-graph dwarf, the nearest callers):")
                    w("")
                for c in chains:
                    if c["chain"]:
                        w(f"- {c['percent']:.1f}% in `{c['symbol']}` "
                          f"({c['dso']}), called from "
                          + " → ".join(f"`{f}`" for f in c["chain"]))
    w("")
    w(summary_lines(rep))
    return out


def summary_lines(rep: dict) -> str:
    """The findings in a few sentences, from this run's numbers."""
    prof = rep["profile"]
    cells = rep["cells"]
    jobs = prof.get("time") or {}
    perf = prof.get("perf") or {}
    lines = ["In short, payhook's prepared decoder next to the floor:"]
    for size in rep["sizes"]:
        for g, title in GATEWAY_TITLES.items():
            p = find(cells, size, g, "payhook")
            f = find(cells, size, g, "floor")
            if not p or not f or "cpu_us_per_req_median" not in p or \
                    "cpu_us_per_req_median" not in f:
                continue
            pc, fc = p["cpu_us_per_req_median"], f["cpu_us_per_req_median"]
            text = (f"- {size} {title}: {pc:.1f} µs of worker CPU per "
                    f"request against {fc:.1f} µs ({pc - fc:+.1f} µs).")
            pj = jobs.get(p["id"], {}).get("us_per_call")
            fj = jobs.get(f["id"], {}).get("us_per_call")
            if pj is not None and fj is not None:
                text += (f" The decode alone is {pj:.1f} µs, the floor's "
                         f"cjson.decode {fj:.1f} µs ({pj - fj:+.1f} µs).")
            pf = med(r.get("faults_per_req") for r in p["runs"])
            ff = med(r.get("faults_per_req") for r in f["runs"])
            if pf is not None and ff is not None:
                text += (f" Page faults per request: {pf:.2f} against "
                         f"{ff:.2f}.")
            pp, fp = perf.get(p["id"]), perf.get(f["id"])
            if pp and fp:
                def us(run, comp):
                    return run["components"].get(comp, {}).get("us_per_req",
                                                               0.0)
                text += " In perf: " + ", ".join(
                    f"{name} {us(pp, comp):.1f} µs ({us(fp, comp):.1f})"
                    for comp, name in (
                        ("payhook (core.so)", "core.so"),
                        ("OpenSSL (libcrypto)", "libcrypto"),
                        ("LuaJIT VM", "the LuaJIT VM"),
                        ("lua-cjson", "lua-cjson"),
                        ("libc", "libc"),
                        ("kernel (TCP, syscalls)", "the kernel"))) + \
                    " (the floor's in brackets)."
            lines.append(text)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw")
    ap.add_argument("machine")
    ap.add_argument("out_json")
    ap.add_argument("out_md")
    ap.add_argument("--lualib")
    args = ap.parse_args()
    with open(args.raw) as f:
        raw = json.load(f)
    with open(args.machine) as f:
        machine = json.load(f)
    rep = build(raw, machine, args.lualib)
    with open(args.out_json, "w") as f:
        json.dump(rep, f, indent=1)
    with open(args.out_md, "w") as f:
        f.write(markdown(rep))


if __name__ == "__main__":
    main()
