"""Describe the machine and the software versions a bench run used.

Usage: python3 bench/machine.py OUT.json [LOAD_BEFORE]
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import sysconfig


def run(*cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return (p.stdout + p.stderr).strip() or None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


# The CPU features that decide which code runs: payhook's core picks its
# AVX2 loops and SuperPay's composed constant-time scan (AVX-512 VBMI) from
# the CPU, and OpenSSL its SHA-256 and AES code.
FEATURES = ("avx2", "avx512f", "avx512bw", "avx512vbmi", "sha_ni", "aes")


def cpu_features():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    have = set(line.split(":", 1)[1].split())
                    return {name: name in have for name in FEATURES}
    except OSError:
        pass
    return None


def os_name():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def python_build():
    """Which interpreter ran the Python rows, and how it was built.

    Two builds of one CPython can differ by a third in speed: Debian's
    /usr/bin/python3 has libpython linked into the executable, while a
    build with --enable-shared (pyenv's, say) calls its own functions
    through the PLT.  The peers written in Python and marshal.loads move
    with the interpreter, payhook's C core does not, so every Python ratio
    depends on which one ran; the table names it.  The optimisation level
    is the one extensions, payhook's included, inherit from the
    interpreter's CFLAGS."""
    shared = None
    try:
        with open("/proc/self/maps") as f:
            shared = any("libpython" in line for line in f)
    except OSError:
        pass
    cflags = (sysconfig.get_config_var("CFLAGS") or "").split()
    levels = [f for f in cflags if f.startswith("-O")]
    return {
        "executable": os.path.realpath(sys.executable),
        "libpython_shared": shared,
        "extension_opt": levels[-1] if levels else None,
    }


def dpkg_version(pkg):
    return run("dpkg-query", "-W", "-f=${Version}", pkg)


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    out = sys.argv[1]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commit = run("git", "-C", repo, "rev-parse", "--short", "HEAD")
    info = {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "cpu_features": cpu_features(),
        "os": os_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "python_build": python_build(),
        "lua54": (run("lua5.4", "-v") or "lua5.4 missing").split("  ")[0],
        "luajit": (run("luajit", "-v") or "luajit missing").split(" -- ")[0],
        "openssl": run("pkg-config", "--modversion", "libcrypto"),
        "cjson": run("pkg-config", "--modversion", "libcjson"),
        "lua_cjson": dpkg_version("lua-cjson"),
        "luaossl": dpkg_version("lua-luaossl"),
        "commit": commit,
        "measured": os.environ.get("BENCH_SOURCE_DESC"),
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "load_before": sys.argv[2] if len(sys.argv) > 2 else None,
        "load_after": load_average(),
    }
    with open(out, "w") as f:
        json.dump(info, f, indent=1)


if __name__ == "__main__":
    main()
