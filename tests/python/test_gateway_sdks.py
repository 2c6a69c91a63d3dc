"""The gateway vectors, cross-checked against each gateway's official SDK.

Every vector of tests/vectors/{twoc2p,standardwebhooks,stripe,razorpay,
chip,chip_send}.json is put to the SDK that gateway publishes (for CHIP,
whose SDKs wrap an RSA verify, to the `cryptography` package; for 2C2P, to
PyJWT after taking the token out of the envelope with json.loads).  The
SDK must accept exactly the vectors that expect a payload and refuse the
ones that expect an error, unless the vector is listed in SDK_DIFFERENCES
(tests/vectors/generate_gateways.py) for that SDK: then the SDK must give
the listed outcome, so the table cannot go stale.  The table describes the
SDK versions pinned in tests/python/sdk-versions.txt; with another version
installed, that SDK's cases fail and say so.

How a vector becomes an SDK call:

* The SDKs take one header value per name: repeated headers are joined
  with ", " under the lower-case name, as HTTP servers combine them.
* A key list is tried key by key; the SDK accepts if it accepts any key.
* The clock is pinned to the vector's `now`: standardwebhooks' (and so
  svix's) and PyJWT's `datetime`, and stripe's `time`, are patched.
* Anything the SDK raises, of any class, counts as a refusal (the
  standardwebhooks library raises a bare ValueError on some headers).

These tests do not use payhook.  An SDK that is not installed has its
cases skipped, with a warning naming it.
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import types
import warnings
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import pytest

# Not in the ASan+UBSan run of scripts/test (the SDKs are pure Python:
# nothing of payhook's C runs here); the plain run has them.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"
GENERATOR = VECTORS / "generate_gateways.py"
FILES = ("twoc2p", "standardwebhooks", "stripe", "razorpay", "chip",
         "chip_send")


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_gateways",
                                                  GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()
SDK_DIFFERENCES: dict = GEN.SDK_DIFFERENCES

# Each SDK name: the module it needs, and the distribution whose pinned
# version SDK_DIFFERENCES describes.
SDK_PACKAGES = {
    "pyjwt": ("jwt", "pyjwt"),
    "standardwebhooks": ("standardwebhooks.webhooks", "standardwebhooks"),
    "svix": ("svix.webhooks", "svix"),
    "stripe.construct_event": ("stripe._webhook", "stripe"),
    "stripe.verify_header": ("stripe._webhook", "stripe"),
    "razorpay": ("razorpay", "razorpay"),
    "cryptography": ("cryptography.hazmat.primitives.asymmetric.rsa",
                     "cryptography"),
}
PINS_FILE = REPO / "tests" / "python" / "sdk-versions.txt"


def read_pins() -> dict:
    """sdk-versions.txt as {distribution: version}: the versions whose
    verdicts SDK_DIFFERENCES describes."""
    pins = {}
    for line in PINS_FILE.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, ver = line.partition("==")
        assert sep and name and ver, f"{PINS_FILE.name}: not name==version: {line}"
        pins[name.strip().lower()] = ver.strip()
    return pins


PINS = read_pins()


def installed_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


MISSING = sorted({sdk for sdk, (mod, _) in SDK_PACKAGES.items()
                  if _import(mod) is None})
if MISSING:
    _msg = ("GATEWAY SDK CROSS-CHECK INCOMPLETE: not installed: "
            + ", ".join(MISSING) + "; their cases are SKIPPED")
    print("\n" + "!" * 72 + "\n" + _msg + "\n" + "!" * 72, file=sys.stderr)
    warnings.warn(_msg, UserWarning)


def load(name: str) -> list:
    return json.loads((VECTORS / f"{name}.json").read_text())["vectors"]


def body_of(inp: dict) -> bytes:
    if "body_hex" in inp:
        return bytes.fromhex(inp["body_hex"])
    return inp["body"].encode("utf-8")


def headers_of(inp: dict) -> dict:
    merged: dict = {}
    for name, value in inp["headers"]:
        k = name.lower()
        merged[k] = value if k not in merged else merged[k] + ", " + value
    return merged


def keys_of(inp: dict) -> list:
    return inp["keys"] if "keys" in inp else [inp["key"]]


def pinned_datetime(now: float) -> type:
    class Pinned(_dt.datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: D102 - datetime.now's contract
            return _dt.datetime.fromtimestamp(now, tz)
    return Pinned


def any_key(inp: dict, attempt: Callable[[str], Any]) -> tuple:
    """("accept", value, None) for the first key the SDK accepts, else
    ("refuse", None, what each key raised)."""
    errors = []
    for key in keys_of(inp):
        try:
            return "accept", attempt(key), None
        except Exception as e:          # any refusal, whatever its class
            errors.append(f"{type(e).__name__}: {e}"[:160])
    return "refuse", None, "; ".join(errors)


# ---------------------------------------------------------------------------
# One runner per SDK: vector -> (outcome, value returned, detail)


def run_pyjwt(v: dict) -> tuple:
    import jwt
    inp = v["input"]
    body = body_of(inp)

    def attempt(key: str) -> Any:
        token = json.loads(body.decode("utf-8"))["payload"]
        return jwt.decode(token, key, algorithms=["HS256"])

    with mock.patch.object(importlib.import_module("jwt.api_jwt"),
                           "datetime",
                           pinned_datetime(inp["options"]["now"])):
        return any_key(inp, attempt)


def _standard_webhooks(v: dict, make: Callable[[str], Any]) -> tuple:
    inp = v["input"]
    body, headers = body_of(inp), headers_of(inp)
    with mock.patch.object(importlib.import_module(
            "standardwebhooks.webhooks"), "datetime",
            pinned_datetime(inp["options"]["now"])):
        return any_key(inp, lambda key: make(key).verify(body, headers))


def run_standardwebhooks(v: dict) -> tuple:
    from standardwebhooks.webhooks import Webhook
    return _standard_webhooks(v, Webhook)


def run_svix(v: dict) -> tuple:
    from svix.webhooks import Webhook
    return _standard_webhooks(v, Webhook)


def _stripe(v: dict, call: Callable[..., Any]) -> tuple:
    inp = v["input"]
    body = body_of(inp)
    header = headers_of(inp).get("stripe-signature")
    tolerance = inp["options"].get("tolerance",
                                   GEN.DEFAULT_TOLERANCE)
    clock = types.SimpleNamespace(time=lambda: float(inp["options"]["now"]))
    with mock.patch.object(importlib.import_module("stripe._webhook"),
                           "time", clock):
        return any_key(inp, lambda key: call(body, header, key, tolerance))


def run_stripe_construct_event(v: dict) -> tuple:
    import stripe
    return _stripe(v, lambda b, h, k, t: stripe.Webhook.construct_event(
        b, h, k, tolerance=t))


def run_stripe_verify_header(v: dict) -> tuple:
    import stripe
    return _stripe(v, stripe.WebhookSignature.verify_header)


def run_razorpay(v: dict) -> tuple:
    import razorpay
    inp = v["input"]
    # The SDK signs text; a body that is not UTF-8 can only reach it as
    # bytes, which it refuses (razorpay-python#121).
    body = inp["body"] if "body" in inp else body_of(inp)
    sig = headers_of(inp).get("x-razorpay-signature")
    utility = razorpay.Utility()
    return any_key(inp, lambda key: utility.verify_webhook_signature(
        body, sig, key))


def _cryptography(v: dict, digest: str) -> tuple:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    inp = v["input"]
    body = body_of(inp)
    sig_text = headers_of(inp).get("x-signature")
    algorithm = {"sha256": hashes.SHA256, "sha512": hashes.SHA512}[digest]

    def attempt(key: str) -> None:
        public = serialization.load_pem_public_key(key.encode("utf-8"))
        if not isinstance(public, rsa.RSAPublicKey):
            raise TypeError("not an RSA public key")
        sig = base64.b64decode(sig_text, validate=True)
        public.verify(sig, body, padding.PKCS1v15(), algorithm())

    return any_key(inp, attempt)


RUNNERS = {
    "pyjwt": run_pyjwt,
    "standardwebhooks": run_standardwebhooks,
    "svix": run_svix,
    "stripe.construct_event": run_stripe_construct_event,
    "stripe.verify_header": run_stripe_verify_header,
    "razorpay": run_razorpay,
}


def runner(gateway: str, sdk: str) -> Callable[[dict], tuple]:
    if sdk == "cryptography":
        digest = "sha512" if gateway == "chip_send" else "sha256"
        return lambda v: _cryptography(v, digest)
    return RUNNERS[sdk]


def _missing(why: str) -> None:
    # The test command installs every SDK (scripts/install-deps): there a
    # missing one is a failure, not a quiet skip.  A developer's own run
    # without them skips, loudly.
    if os.environ.get("CI") or os.environ.get("PAYHOOK_REQUIRE_SDKS"):
        pytest.fail(why)
    pytest.skip(why)


def same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


CASES = [(gw, v, sdk) for gw in FILES for v in load(gw)
         for sdk in GEN.SDKS[gw]]


@pytest.mark.parametrize(
    "gateway,vector,sdk", CASES,
    ids=[f"{gw}/{v['id']}/{sdk}" for gw, v, sdk in CASES])
def test_sdk_outcome(gateway: str, vector: dict, sdk: str) -> None:
    if sdk in MISSING:
        _missing(f"SDK NOT INSTALLED: {sdk} ({SDK_PACKAGES[sdk][0]}); this "
                 "vector is not cross-checked")
    dist = SDK_PACKAGES[sdk][1]
    have, pinned = installed_version(dist), PINS[dist]
    if have != pinned:
        pytest.fail(f"{dist} {have} is installed; SDK_DIFFERENCES describes "
                    f"{pinned} (tests/python/sdk-versions.txt): install that "
                    "(scripts/install-deps test), or move the pin and review "
                    "the table")
    outcome, value, detail = runner(gateway, sdk)(vector)
    key = f"{gateway}/{vector['id']}"
    expect = vector["expect"]
    listed = SDK_DIFFERENCES.get(key, {}).get(sdk)
    if listed is not None:
        assert outcome == listed[0], (
            f"{key}: SDK_DIFFERENCES says {sdk} gives {listed[0]}, but it "
            f"gives {outcome} ({detail})")
        return
    wanted = "accept" if "payload" in expect else "refuse"
    assert outcome == wanted, (
        f"{key}: expected {expect}, {sdk} gives {outcome} ({detail})")
    if outcome != "accept":
        return
    payload = expect["payload"]
    if sdk in ("pyjwt", "standardwebhooks"):
        assert same(value, payload), f"{key}: {sdk} returned {value!r:.300}"
    elif sdk == "stripe.construct_event":
        assert same(value.to_dict(), payload), key


def test_every_sdk_is_pinned() -> None:
    # Every SDK the cross-check asks has one pinned version, and every pin
    # is an SDK it asks.
    assert set(PINS) == {dist for _, dist in SDK_PACKAGES.values()}
    assert set(SDK_PACKAGES) == {s for gw in FILES for s in GEN.SDKS[gw]}


def test_every_difference_names_a_vector_and_sdk() -> None:
    ids = {f"{gw}/{v['id']}" for gw in FILES for v in load(gw)}
    for key, sdks in SDK_DIFFERENCES.items():
        assert key in ids, key
        assert set(sdks) <= set(GEN.SDKS[key.split("/")[0]]), key


PIN_CASES = [
    ("standardwebhooks", "genuine-invoice-paid", "standardwebhooks"),
    ("standardwebhooks", "genuine-invoice-paid", "svix"),
    ("stripe", "genuine-payment-intent-succeeded", "stripe.construct_event"),
    ("stripe", "genuine-payment-intent-succeeded", "stripe.verify_header"),
    ("twoc2p", "exp-in-future", "pyjwt"),
]


@pytest.mark.parametrize("gateway,vid,sdk", PIN_CASES,
                         ids=[f"{g}/{i}/{s}" for g, i, s in PIN_CASES])
def test_clock_pin_reaches_the_sdk(gateway: str, vid: str, sdk: str) -> None:
    """A genuine vector is accepted at its own now and refused when the
    pinned clock is moved a day on: the SDK reads the pinned clock."""
    if sdk in MISSING:
        _missing(f"SDK NOT INSTALLED: {sdk}")
    v, = [x for x in load(gateway) if x["id"] == vid]
    run = runner(gateway, sdk)
    assert run(v)[0] == "accept", run(v)
    later = copy.deepcopy(v)
    later["input"]["options"]["now"] += 86400
    assert run(later)[0] == "refuse"


def test_gateway_vectors_md_counts() -> None:
    """The table in GATEWAY_VECTORS.md gives each file's vector count."""
    text = (VECTORS / "GATEWAY_VECTORS.md").read_text()
    listed = dict(re.findall(r"^\| `(\w+)\.json` \| `\w+\.verify` \| "
                             r"(\d+) \|", text, re.M))
    assert listed == {name: str(len(load(name))) for name in FILES}


def test_generated_files_are_current() -> None:
    done = subprocess.run([sys.executable, str(GENERATOR), "--check"],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
