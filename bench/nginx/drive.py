"""Time every location of a running bench nginx with wrk.

    python3 bench/nginx/drive.py URL BODIES_DIR OUT.json [options]

bench/nginx_bench.sh starts nginx (bench/nginx/nginx.conf.in) and runs
this; see bench/README.md. Steps:

1. GET /info: the worker's pid, its LuaJIT, the handlers it could prepare.
   A handler that is not ready (its peer library did not load) is skipped,
   with the reason, and never timed.
2. Each cell (a handler at a body size) is checked once: the genuine body
   must get 200 and exactly the expected field, the forged one 401 (for
   the handlers that verify). A cell that fails is an error, not timed.
3. Warm-up: every cell for --warmup seconds (LuaJIT compiles its traces).
4. --rounds rounds, each running every cell once for --seconds with
   `wrk -t1 -c16`, the order rotating by one cell each round, so that
   whatever else the machine does spreads over all cells alike. The
   worker's CPU time is read before and after each run. A run with any
   non-2xx answer or socket error makes its cell an error.
5. With --profile: the job alone timed inside the worker (/time), and,
   when perf works, perf record on the worker during a wrk run of the
   1.2 KB cells, summarised by shared object and by symbol.

With --pin 1 and two CPUs or more, the worker runs on the first CPU this
process may use and wrk on the second, so they never share a core. That
suits an idle machine; on one shared with other work, a pinned process
waits for its CPU while the other may be free, so the default leaves
placement to the scheduler.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
WRK_SCRIPT = os.path.join(HERE, "wrk_post.lua")

# (handler, title, location pattern, ready name pattern or None, verifies,
#  what the genuine body is answered with)
HANDLERS = [
    ("static", "static answer, body not read", "/static", None, False,
     "ok"),
    ("floor", "floor: read body + cjson.decode(envelope)", "/floor/{g}",
     "floor_{g}", False, "envelope"),
    ("resty-jwt", "lua-resty-jwt jwt:verify", "/resty-jwt/{g}",
     "resty_jwt_{g}", True, "field"),
    ("hand", "hand-written", "/hand/{g}", "hand_{g}", True, "field"),
    ("payhook", "payhook.{g}.new(key):decode", "/payhook/{g}",
     "payhook_{g}", True, "field"),
    ("helper", "payhook.openresty helper, no guard", "/helper/{g}",
     "helper_{g}", True, "field"),
    ("example", "examples/openresty handler (guard on)", "/example/{g}",
     None, True, "example"),
]
HAND_TITLES = {
    "leanx": "hand-written: cjson + resty.hmac + base64url",
    "superpay": "hand-written: cjson + FFI hex + resty.aes",
}
GATEWAYS = ["leanx", "superpay"]
# The jobs /time runs (bench_handlers.lua's names) for the profile.
# ("helper": the gateway decoder's verify, which payhook.openresty calls.)
TIMED_JOBS = {"floor": "floor_{g}", "resty-jwt": "resty_jwt_{g}",
              "hand": "hand_{g}", "payhook": "payhook_{g}",
              "helper": "verify_{g}"}
# The cells perf records: at the smallest size, and at the others all but
# the static answer and lua-resty-jwt (the hand-written handler's
# cjson.decode builds the same payload table payhook does).
PERF_HANDLERS = ["static", "floor", "payhook", "helper", "example", "hand",
                 "resty-jwt"]
PERF_HANDLERS_LARGE = ["floor", "payhook", "helper", "example", "hand"]
# ... and with call chains, at the largest size.
PERF_CHAINS = ["payhook", "helper", "example"]

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def say(msg: str) -> None:
    print(f"bench nginx: {msg}", file=sys.stderr, flush=True)


def http(url: str, body: bytes | None = None, timeout: float = 10):
    """(status, body) of a GET, or of a POST when body is given."""
    req = urllib.request.Request(url, data=body, method="POST" if body
                                 is not None else "GET")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with OPENER.open(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def worker_cpu_seconds(pid: int) -> float:
    """CPU time the process has used: /proc/PID/schedstat (nanoseconds)
    where the kernel keeps it, else utime + stime from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stat_counts(pid: int) -> tuple[int, float, float]:
    """Minor page faults (memory the allocator got from the kernel, again,
    and touched), user and system CPU seconds (in clock ticks: 10 ms
    steps, fine over a run of seconds), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[7]), int(fields[11]) / tick, int(fields[12]) / tick


class Bench:
    def __init__(self, args):
        self.args = args
        self.url = args.url.rstrip("/")
        with open(os.path.join(args.bodies, "manifest.json")) as f:
            self.manifest = json.load(f)
        status, text = http(self.url + "/info")
        if status != 200:
            raise SystemExit(f"GET /info: HTTP {status}")
        self.info = json.loads(text)
        self.pid = int(self.info["pid"])
        self.ready = set(self.info["ready"])
        cpus = sorted(os.sched_getaffinity(0))
        self.wrk_cpus = None
        self.pinning = "none (the scheduler places the worker and wrk)"
        if args.pin and len(cpus) >= 2:
            os.sched_setaffinity(self.pid, {cpus[0]})
            self.wrk_cpus = {cpus[1]}
            self.pinning = f"nginx worker on CPU {cpus[0]}, wrk on CPU {cpus[1]}"
        self.cells = self.make_cells()

    def body_path(self, name: str) -> str:
        return os.path.join(self.args.bodies, name)

    def make_cells(self) -> list[dict]:
        cells = []
        for size in self.manifest["sizes"]:
            for g in GATEWAYS:
                b = size[g]
                for hid, title, loc, ready, verifies, expects in HANDLERS:
                    if hid == "resty-jwt" and g != "leanx":
                        continue
                    if hid == "hand":
                        title = HAND_TITLES[g]
                    want = {"ok": "ok", "field": b["field"],
                            "envelope": b["envelope_field"],
                            "example": "OK " + b["field"]}[expects]
                    cell = {
                        "id": f"{size['label']}|{g}|{hid}",
                        "size": size["label"], "gateway": g,
                        "handler": hid, "title": title.format(g=g),
                        "location": loc.format(g=g),
                        "body": self.body_path(b["body"]),
                        "forged": self.body_path(b["forged"]),
                        "body_bytes": b["body_bytes"],
                        "payload_bytes": b["payload_bytes"],
                        "verifies": verifies, "want": want,
                        "status": "ok", "reason": None,
                        "runs": [], "warmup": None,
                    }
                    name = ready.format(g=g) if ready else None
                    if name is not None and name not in self.ready:
                        cell["status"] = "skipped"
                        cell["reason"] = (f"{name} not available in the "
                                          "worker (its library did not "
                                          "load; see nginx's error log)")
                    cells.append(cell)
        return cells

    # -- 2. correctness ----------------------------------------------------
    def check(self, cell: dict) -> None:
        with open(cell["body"], "rb") as f:
            body = f.read()
        status, text = http(self.url + cell["location"], body)
        got = text.decode("utf-8", "replace").strip()
        problems = []
        if status != 200 or got != cell["want"]:
            problems.append(f"genuine body: HTTP {status} {got[:80]!r}, "
                            f"want 200 {cell['want']!r}")
        if cell["handler"] == "example":
            # Again: the guard answers the gateway's reply (200, empty).
            status, text = http(self.url + cell["location"], body)
            if status != 200:
                problems.append(f"genuine body again: HTTP {status}")
        if cell["verifies"]:
            with open(cell["forged"], "rb") as f:
                status, _ = http(self.url + cell["location"], f.read())
            if status != 401:
                problems.append(f"forged body: HTTP {status}, want 401")
        if problems:
            cell["status"] = "error"
            cell["reason"] = "check failed: " + "; ".join(problems)
            say(f"{cell['id']}: {cell['reason']}")

    # -- 3, 4. wrk -----------------------------------------------------------
    def wrk(self, cell: dict, seconds: int) -> dict:
        cmd = ["wrk", "-t1", f"-c{self.args.connections}",
               f"-d{seconds}s", "--timeout", "10s", "-s", WRK_SCRIPT,
               self.url + cell["location"]]
        env = dict(os.environ, WRK_BODY=cell["body"])
        pin = self.wrk_cpus

        def preexec():
            if pin:
                os.sched_setaffinity(0, pin)

        cpu0 = worker_cpu_seconds(self.pid)
        flt0, user0, sys0 = stat_counts(self.pid)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=seconds + 60, preexec_fn=preexec)
        cpu1 = worker_cpu_seconds(self.pid)
        flt1, user1, sys1 = stat_counts(self.pid)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        m = re.search(r"^PAYHOOK_WRK (\{.*\})$", p.stdout, re.M)
        if p.returncode != 0 or not m:
            raise RuntimeError(f"wrk failed on {cell['location']}: "
                               f"{p.stdout[-400:]} {p.stderr[-400:]}")
        r = json.loads(m.group(1))
        secs = r["duration_us"] / 1e6
        r["rps"] = r["requests"] / secs if secs > 0 else 0.0
        r["socket_errors"] = (r["connect_errors"] + r["read_errors"] +
                              r["write_errors"] + r["timeouts"])
        r["worker_cpu_s"] = cpu1 - cpu0
        r["worker_busy"] = (cpu1 - cpu0) / secs if secs > 0 else None
        r["cpu_us_per_req"] = ((cpu1 - cpu0) / r["requests"] * 1e6
                               if r["requests"] else None)
        n = r["requests"] or None
        r["faults_per_req"] = (flt1 - flt0) / n if n else None
        # User and kernel time apart: perf run by a user other than root
        # samples user space only, and the report needs to know how much
        # of the CPU time that covers.
        r["user_us_per_req"] = (user1 - user0) / n * 1e6 if n else None
        r["sys_us_per_req"] = (sys1 - sys0) / n * 1e6 if n else None
        # wrk's own CPU time: near 1.0 busy, the client is what limits.
        wrk_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime +
                                                   ru0.ru_stime)
        r["wrk_busy"] = wrk_cpu / secs if secs > 0 else None
        return r

    def run(self) -> dict:
        cells = self.cells
        for cell in cells:
            if cell["status"] == "ok":
                self.check(cell)
        live = [c for c in cells if c["status"] == "ok"]
        say(f"{len(live)} cells to time, {len(cells) - len(live)} skipped "
            "or failed their check")
        if self.args.warmup > 0:
            say(f"warm-up: {self.args.warmup} s per cell")
            for cell in live:
                cell["warmup"] = self.wrk(cell, self.args.warmup)
        n = len(live)
        for rnd in range(self.args.rounds):
            t0 = time.monotonic()
            for j in range(n):
                cell = live[(rnd + j) % n]
                r = self.wrk(cell, self.args.seconds)
                r["round"] = rnd
                cell["runs"].append(r)
                if r["non2xx"] or r["socket_errors"]:
                    cell["status"] = "error"
                    cell["reason"] = (f"round {rnd}: {r['non2xx']} non-2xx "
                                      f"answers, {r['socket_errors']} "
                                      "socket errors")
            say(f"round {rnd + 1}/{self.args.rounds} done in "
                f"{time.monotonic() - t0:.0f} s")
        profile = self.profile(live) if self.args.profile else None
        status, text = http(self.url + "/info")
        pid_after = json.loads(text)["pid"] if status == 200 else None
        return {
            "url": self.url, "info": self.info,
            "worker_pid_after": pid_after,
            "settings": {
                "rounds": self.args.rounds, "seconds": self.args.seconds,
                "warmup": self.args.warmup,
                "connections": self.args.connections, "threads": 1,
                "pinning": self.pinning,
            },
            "note": self.args.note,
            "cells": cells, "profile": profile,
        }

    # -- 5. profile ----------------------------------------------------------
    def profile(self, live: list[dict]) -> dict:
        out = {"time": self.time_jobs(), "perf": None}
        perf = shutil.which("perf")
        if not perf:
            out["perf_reason"] = "perf is not installed"
            return out
        by_id = {c["id"]: c for c in live}
        chosen = []
        for i, size in enumerate(self.manifest["sizes"]):
            for g in GATEWAYS:
                for hid in PERF_HANDLERS if i == 0 else PERF_HANDLERS_LARGE:
                    cell = by_id.get(f"{size['label']}|{g}|{hid}")
                    if cell is not None:
                        chosen.append(cell)
        runs = {}
        with tempfile.TemporaryDirectory() as tmp:
            for cell in chosen:
                got = self.perf_cell(perf, cell, tmp)
                if "error" in got:
                    out["perf_reason"] = got["error"]
                    return out
                if (cell["size"] == self.manifest["sizes"][-1]["label"] and
                        cell["handler"] in PERF_CHAINS):
                    got["chains"] = self.perf_chains(perf, cell, tmp)
                runs[cell["id"]] = got
        out["perf"] = runs
        return out

    def time_jobs(self, rounds: int = 7) -> dict:
        """µs per call of each job alone in the worker: rounds of every
        job once (order rotating), median and minimum over the rounds."""
        todo = []
        for size in self.manifest["sizes"]:
            n = 2000 if size[GATEWAYS[0]]["body_bytes"] < 8192 else 100
            for g in GATEWAYS:
                with open(self.body_path(size[g]["body"]), "rb") as f:
                    body = f.read()
                for hid, pattern in TIMED_JOBS.items():
                    job = pattern.format(g=g)
                    if job in self.ready:
                        todo.append((f"{size['label']}|{g}|{hid}", job, n,
                                     body))
        samples = {key: [] for key, _, _, _ in todo}
        for rnd in range(rounds):
            for j in range(len(todo)):
                key, job, n, body = todo[(rnd + j) % len(todo)]
                status, text = http(f"{self.url}/time?job={job}&n={n}",
                                    body, timeout=120)
                if status == 200:
                    samples[key].append(json.loads(text)["us_per_call"])
        return {key: {"job": job, "n": n,
                      "us_per_call": statistics.median(samples[key]),
                      "min_us": min(samples[key]), "samples": samples[key]}
                for key, job, n, _ in todo if samples[key]}

    def perf_cell(self, perf: str, cell: dict, tmp: str) -> dict:
        data = os.path.join(tmp, "perf.data")
        secs = self.args.seconds
        rec = subprocess.Popen(
            [perf, "record", "-q", "-F", "1999", "-p", str(self.pid), "-o",
             data, "--", "sleep", str(secs + 0.5)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(0.25)
        r = self.wrk(cell, secs)
        _, err = rec.communicate(timeout=secs + 60)
        if rec.returncode != 0 or not os.path.exists(data):
            return {"error": f"perf record failed: {err.strip()[-300:]}"}
        by_dso = self.perf_report(perf, data, "dso")
        by_sym = self.perf_report(perf, data, "dso,sym")
        if not by_dso:
            return {"error": "perf recorded no samples of the worker"}
        return {"rps": r["rps"], "cpu_us_per_req": r["cpu_us_per_req"],
                "user_us_per_req": r["user_us_per_req"],
                "sys_us_per_req": r["sys_us_per_req"],
                "faults_per_req": r["faults_per_req"],
                "by_dso": by_dso, "top_symbols": by_sym[:40]}

    def perf_chains(self, perf: str, cell: dict, tmp: str) -> list:
        """The call chains of the hottest samples (perf --call-graph
        dwarf): where a stripped binary's address, or a parser function,
        is called from."""
        data = os.path.join(tmp, "perf-g.data")
        rec = subprocess.Popen(
            [perf, "record", "-q", "-F", "499", "--call-graph",
             "dwarf,16384", "-p", str(self.pid), "-o", data, "--", "sleep",
             "2.5"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(0.25)
        self.wrk(cell, 2)
        rec.communicate(timeout=120)
        if rec.returncode != 0 or not os.path.exists(data):
            return []
        p = subprocess.run(
            [perf, "report", "-i", data, "--stdio", "--no-children", "-G",
             "--sort", "dso,sym", "--percent-limit", "4"],
            capture_output=True, text=True, timeout=600)
        chains, entry = [], None
        for line in p.stdout.splitlines():
            m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*?)\s*$", line)
            if m:
                entry = {"percent": float(m.group(1)), "dso": m.group(2),
                         "symbol": m.group(3), "frames": [], "branches": 0}
                chains.append(entry)
                continue
            if entry is None or not line.strip() or line.startswith("#"):
                continue
            if "%--" in line:
                entry["branches"] += 1
            if entry["branches"] > 1:
                continue    # the first (largest) branch only
            name = re.sub(r"--[\d.]+%--", " ", line).strip(" |-")
            name = name.replace("(inlined)", "").strip()
            if re.match(r"^[A-Za-z_][\w.@]*$", name):
                entry["frames"].append(name)
        for c in chains:
            frames = c.pop("frames")
            if frames and frames[-1] == c["symbol"]:
                frames.pop()
            # The callers nearest the sample, the outermost first.
            c["chain"] = frames[-6:]
            del c["branches"]
        return chains

    @staticmethod
    def perf_report(perf: str, data: str, sort: str) -> list:
        p = subprocess.run(
            [perf, "report", "-i", data, "--stdio", "-q", "--sort", sort,
             "--percent-limit", "0.3"],
            capture_output=True, text=True, timeout=300)
        rows = []
        for line in p.stdout.splitlines():
            m = re.match(r"\s*([\d.]+)%\s+(\S+)(?:\s+\[.\]\s+(.*?))?\s*$",
                         line)
            if m:
                rows.append({"percent": float(m.group(1)),
                             "dso": m.group(2),
                             "symbol": (m.group(3) or "").strip() or None})
        return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("bodies")
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--profile", type=int, default=1)
    ap.add_argument("--pin", type=int, default=0)
    ap.add_argument("--note", action="append", default=[])
    args = ap.parse_args()
    result = Bench(args).run()
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
