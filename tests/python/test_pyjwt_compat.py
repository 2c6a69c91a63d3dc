"""PyJWT's own test suite, run against payhook.jwt.

The sdist of PyJWT (pyjwt_expected.PYJWT_VERSION) ships its tests.  It is
fetched from the package index the first time (``pip download
--no-binary :all: --no-deps``) into build/pyjwt/ of the checkout and
unpacked there; nothing of it is kept in the repository.  Its test files
(pyjwt_expected.TEST_FILES) then run in a pytest of their own, with PyJWT's
own configuration (its pyproject.toml: every warning an error), and with
tests/python/pyjwt_shim first on the path, so that ``import jwt`` there is
payhook.jwt.

Each test's outcome is compared with tests/python/pyjwt_expected.py: a
failure that is not listed (stricter on purpose, or not applicable, each
with its reason), a skip that is not listed, and a listed test that passes
all fail this test.  The counts are printed at the end of the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import payhook
import pyjwt_expected as expected
from conftest import REPO, SUMMARY_LINES

HERE = Path(__file__).resolve().parent
SHIM = HERE / "pyjwt_shim"
CACHE = REPO / "build" / "pyjwt"
VERSION = expected.PYJWT_VERSION


def _archive() -> Path | None:
    found = [p for p in CACHE.glob("*.tar.gz")
             if p.name.lower() == f"pyjwt-{VERSION}.tar.gz"]
    return found[0] if found else None


def pyjwt_sources() -> Path:
    """The unpacked sdist, downloaded and unpacked when it is not there."""
    archive = _archive()
    if archive is None:
        CACHE.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet",
             "--disable-pip-version-check", "--no-binary", ":all:",
             "--no-deps", "--dest", str(CACHE), f"pyjwt=={VERSION}"],
            capture_output=True, text=True, check=False, timeout=600)
        archive = _archive()
        assert proc.returncode == 0 and archive is not None, (
            f"could not download PyJWT {VERSION}'s sdist into {CACHE}:\n"
            + proc.stdout + proc.stderr)
    tree = CACHE / f"pyjwt-{VERSION}"
    if not (tree / "tests" / "__init__.py").is_file():
        with tarfile.open(archive) as tar:
            top = {m.name.split("/", 1)[0] for m in tar.getmembers()}
            assert top == {tree.name}, f"unexpected sdist layout: {top}"
            if hasattr(tarfile, "data_filter"):
                tar.extractall(CACHE, filter="data")
            else:  # Python < 3.11.4: the layout was checked above
                tar.extractall(CACHE)  # noqa: S202
    for name in expected.TEST_FILES:
        assert (tree / name).is_file(), f"{name} is not in PyJWT {VERSION}"
    return tree


def run_pyjwt_tests(tree: Path, workdir: Path) -> tuple[dict, str, int]:
    """Outcomes by node id, pytest's output, its exit status."""
    report = workdir / "outcomes.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(SHIM)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["PAYHOOK_PYJWT_OUTCOMES"] = str(report)
    # --import-mode=append: PyJWT's tests are a package, and the default
    # would put the sdist's top (with PyJWT's own jwt/ in it) first on the
    # path.  Run from an empty directory for the same reason.
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         "-p", "pyjwt_outcomes", "--import-mode=append", "-q", "--tb=short",
         f"--rootdir={tree}", "-c", str(tree / "pyproject.toml"),
         *(str(tree / name) for name in expected.TEST_FILES)],
        cwd=workdir, env=env, capture_output=True, text=True, check=False,
        timeout=600)
    data = json.loads(report.read_text()) if report.exists() else {}
    assert data, "PyJWT's tests did not run:\n" + proc.stdout + proc.stderr
    modules = data["modules"]
    assert Path(modules["jwt"]).resolve().is_relative_to(SHIM), modules
    assert Path(modules["payhook.jwt"]).resolve() == Path(
        payhook.jwt.__file__).resolve(), modules
    return data["outcomes"], proc.stdout + proc.stderr, proc.returncode


def compare(outcomes: dict) -> list[str]:
    """What differs from the list in pyjwt_expected.py."""
    failing = {**expected.STRICTER, **expected.NOT_APPLICABLE}
    problems = []
    for nodeid, outcome in sorted(outcomes.items()):
        if nodeid in expected.SKIPPED:
            if outcome != "skipped":
                problems.append(f"{nodeid}: listed as skipped, but "
                                f"{outcome}")
        elif outcome == "skipped":
            problems.append(f"{nodeid}: skipped, and is not listed as "
                            "skipped")
        elif outcome == "failed" and nodeid not in failing:
            problems.append(f"{nodeid}: fails, and is not listed")
        elif outcome == "passed" and nodeid in failing:
            problems.append(f"{nodeid}: passes now; take it off the list")
    for nodeid in sorted(set(failing) | set(expected.SKIPPED)):
        if nodeid not in outcomes:
            problems.append(f"{nodeid}: listed, but PyJWT has no such test")
    return problems


def test_the_list_is_well_formed():
    both = set(expected.STRICTER) & set(expected.NOT_APPLICABLE)
    assert not both, f"listed as stricter and as not applicable: {both}"
    assert not set(expected.SKIPPED) & (set(expected.STRICTER) |
                                        set(expected.NOT_APPLICABLE))
    for table in (expected.STRICTER, expected.NOT_APPLICABLE,
                  expected.SKIPPED):
        for nodeid, reason in table.items():
            assert nodeid.split("::", 1)[0] in expected.TEST_FILES, nodeid
            assert isinstance(reason, str) and len(reason) > 20, nodeid
    assert not set(expected.TEST_FILES) & set(expected.NOT_RUN)


def test_the_comparison_reports_every_difference():
    listed = {n: "skipped" if n in expected.SKIPPED else "failed"
              for n in (*expected.STRICTER, *expected.NOT_APPLICABLE,
                        *expected.SKIPPED)}
    assert compare(listed) == []
    stricter = next(iter(expected.STRICTER))
    skipped = next(iter(expected.SKIPPED))
    new = "tests/test_api_jwt.py::TestJWT::test_something_new"
    changed = {**listed, stricter: "passed", skipped: "failed",
               new: "failed", new + "2": "skipped"}
    del changed[next(iter(expected.NOT_APPLICABLE))]
    problems = compare(changed)
    assert len(problems) == 5, problems
    assert any("passes now" in p for p in problems)
    assert any("listed as skipped, but failed" in p for p in problems)
    assert any("fails, and is not listed" in p for p in problems)
    assert any("skipped, and is not listed" in p for p in problems)
    assert any("PyJWT has no such test" in p for p in problems)
    assert compare({**listed, new: "passed"}) == []


def test_pyjwt_suite_against_payhook(tmp_path):
    tree = pyjwt_sources()
    outcomes, output, status = run_pyjwt_tests(tree, tmp_path)
    # 0: all passed, 1: some failed; anything else is a usage, collection
    # or internal error of that pytest.
    assert status in (0, 1), output
    closing = [line for line in output.splitlines() if " in " in line and
               ("passed" in line or "failed" in line)]
    counts = {k: sum(1 for v in outcomes.values() if v == k)
              for k in ("passed", "failed", "skipped")}
    for name in expected.TEST_FILES:
        assert any(n.startswith(name + "::") for n in outcomes), (
            f"no test of {name} ran:\n{output}")
    stricter = sum(1 for n in outcomes if n in expected.STRICTER)
    not_applicable = sum(1 for n in outcomes if n in expected.NOT_APPLICABLE)
    SUMMARY_LINES.append(
        f"PyJWT {VERSION}'s own tests against payhook.jwt "
        f"({len(outcomes)} in {len(expected.TEST_FILES)} files): "
        f"{counts['passed']} passed, {stricter} stricter by design, "
        f"{not_applicable + counts['skipped']} not applicable "
        f"({counts['skipped']} of them skipped by PyJWT's own markers); "
        f"PyJWT's pytest said: {closing[-1].strip('= ') if closing else '?'}")
    problems = compare(outcomes)
    assert not problems, ("PyJWT's tests against payhook.jwt differ from "
                          "tests/python/pyjwt_expected.py:\n  " +
                          "\n  ".join(problems) + "\n\n" + output[-20000:])
    # The README's figures are these.
    readme = (REPO / "README.md").read_text()
    assert f"runs PyJWT {VERSION}'s own tests" in readme
    assert f"Of the {len(outcomes)} tests" in readme
    for label, n in (("pass", counts["passed"]),
                     ("fail because payhook is stricter", stricter),
                     ("not applicable, failing", not_applicable),
                     ("not applicable, skipped", counts["skipped"])):
        rows = [line for line in readme.splitlines()
                if line.startswith(f"| {label}")]
        assert len(rows) == 1 and rows[0].endswith(f"| {n} |"), (label, n)
