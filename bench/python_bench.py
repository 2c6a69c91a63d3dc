"""Per-call cost of payhook's Python binding next to what users would write.

For each payload size, and for a float-bearing SuperPay payload next to its
integer twin (the "amounts" entry), every implementation is first checked
to return the same value as json.loads(payload), then timed in interleaved
rounds (bench/rounds.py): in each round every case runs one batch of calls
(time.perf_counter_ns and process CPU time around the batch, batch sized to
about BATCH_MS), in an order shuffled afresh each round. The number kept is
the median over rounds of the per-call time; the 25th/75th percentiles are
kept too, to show the noise, and every round's times, for ratios paired by
round.

Usage: python3 bench/python_bench.py OUT.json [--rounds N] [--batch-ms MS]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import hmac
import importlib
import json
import marshal
import os
import platform
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inputs  # noqa: E402
from rounds import interleaved_rounds  # noqa: E402

import payhook  # noqa: E402


def optional(module):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # authlib re-enables its own deprecation warning on import.
            warnings.showwarning = lambda *a, **k: None
            return importlib.import_module(module)
    except Exception:
        return None


PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".peers")
# PyJWT 2.14 added a per-character alphabet check on every segment (a Python
# generator over the bytes), which made it several times slower. The last
# release without it is timed too, from its own directory, so the ratio is
# also shown against the faster PyJWT many deployments still run.
OLD_PYJWT = "2.13.0"


def load_old_pyjwt():
    """PyJWT OLD_PYJWT from bench/.peers, imported as a separate package."""
    pkg = os.path.join(PEERS, f"pyjwt-{OLD_PYJWT}", "jwt")
    if not os.path.isfile(os.path.join(pkg, "__init__.py")):
        return None
    import importlib.util
    name = "jwt_" + OLD_PYJWT.replace(".", "_")
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(pkg, "__init__.py"),
        submodule_search_locations=[pkg])
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except Exception:
        del sys.modules[name]
        return None
    return mod


jwt = optional("jwt")
authlib_jwt = optional("authlib.jose")
crypto_ciphers = optional("cryptography.hazmat.primitives.ciphers")
crypto_padding = optional("cryptography.hazmat.primitives.padding")
cryptodome_aes = optional("Crypto.Cipher.AES")
cryptodome_padding = optional("Crypto.Util.Padding")


def find_pyjwt_rs():
    """pyjwt-rs, if installed (it calls itself a PyJWT-compatible API)."""
    for name in ("pyjwt_rs", "jwt_rs"):
        mod = optional(name)
        if mod is not None and hasattr(mod, "decode"):
            return mod
    return None


pyjwt_rs = find_pyjwt_rs()
old_jwt = load_old_pyjwt()


def leanx_cases(case):
    body = case["leanx_body"]
    key = inputs.LEANX_KEY
    # The reusable decoder is built once, as a server would at start-up.
    decoder = payhook.leanx.Decoder(key)
    cases = [
        ("payhook.leanx.decode", lambda: payhook.leanx.decode(body, key)),
        ("payhook.leanx.Decoder.decode", lambda: decoder.decode(body)),
    ]
    if jwt is not None:
        cases.append((f"PyJWT {jwt.__version__}", lambda: jwt.decode(
            json.loads(body)["data"], key, algorithms=["HS256"])))
    if old_jwt is not None:
        cases.append((f"PyJWT {old_jwt.__version__}", lambda: old_jwt.decode(
            json.loads(body)["data"], key, algorithms=["HS256"])))
    if authlib_jwt is not None:
        # HS256 only, like the other calls.  authlib refuses a token or a
        # segment over 256,000 characters: at 256 KB it is reported as
        # refused, not timed.
        ajwt = authlib_jwt.JsonWebToken(["HS256"])
        bkey = key.encode()
        cases.append(("authlib (jose.jwt)", lambda: ajwt.decode(
            json.loads(body)["data"], bkey)))
    if pyjwt_rs is not None:
        cases.append(("pyjwt-rs", lambda: pyjwt_rs.decode(
            json.loads(body)["data"], key, algorithms=["HS256"])))
    return cases


def superpay_cases(case):
    body = case["superpay_body"]
    key = inputs.SUPERPAY_KEY
    bkey = key.encode()
    # The peers get the IV computed once (their best case; MD5 of 32 bytes
    # is a fraction of a microsecond either way).
    iv = hashlib.md5(bkey).digest()
    decoder = payhook.superpay.Decoder(key)
    cases = [
        ("payhook.superpay.decode", lambda: payhook.superpay.decode(body, key)),
        ("payhook.superpay.Decoder.decode", lambda: decoder.decode(body)),
    ]
    if crypto_ciphers is not None:
        Cipher = crypto_ciphers.Cipher
        AES = crypto_ciphers.algorithms.AES
        CBC = crypto_ciphers.modes.CBC
        PKCS7 = crypto_padding.PKCS7

        def with_cryptography():
            ct = bytes.fromhex(json.loads(body)["encryptedData"])
            dec = Cipher(AES(bkey), CBC(iv)).decryptor()
            padded = dec.update(ct) + dec.finalize()
            unpadder = PKCS7(128).unpadder()
            return json.loads(unpadder.update(padded) + unpadder.finalize())
        cases.append(("cryptography (Cipher+PKCS7+json)", with_cryptography))
    if cryptodome_aes is not None:
        AESd = cryptodome_aes
        unpad = cryptodome_padding.unpad

        def with_pycryptodome():
            ct = bytes.fromhex(json.loads(body)["encryptedData"])
            cipher = AESd.new(bkey, AESd.MODE_CBC, iv)
            return json.loads(unpad(cipher.decrypt(ct), 16))
        cases.append(("pycryptodome (AES+unpad+json)", with_pycryptodome))
    return cases


def floor_cases(case):
    lp = case["leanx_payload"]
    sp = case["superpay_plaintext"]
    msg = case["leanx_signing_input"]
    bkey = inputs.LEANX_KEY.encode()
    # marshal.loads rebuilds the same dicts, lists, strings and numbers with
    # no parsing at all (repeated key strings shared, as payhook shares
    # them): about the least any decoder returning these objects can cost.
    lm = marshal.dumps(json.loads(lp))
    sm = marshal.dumps(json.loads(sp))
    return [
        ("json.loads(LeanX payload)", lambda: json.loads(lp)),
        ("marshal.loads(LeanX payload objects)", lambda: marshal.loads(lm)),
        ("json.loads(SuperPay plaintext)", lambda: json.loads(sp)),
        ("marshal.loads(SuperPay plaintext objects)",
         lambda: marshal.loads(sm)),
        ("hmac.digest(key, signing input, sha256)",
         lambda: hmac.digest(bkey, msg, "sha256")),
    ]


def amounts_cases(case):
    """The SuperPay decoders and json.loads on the float-bearing payload
    or its integer twin."""
    sp = case["superpay_plaintext"]
    return superpay_cases(case) + [
        ("json.loads(SuperPay plaintext)", lambda: json.loads(sp))]


def check(group, name, fn, case):
    """Every decoder must return exactly json.loads(payload).

    Returns None when it does, else why not.  payhook failing stops the run;
    a peer that refuses the input is reported as such and not timed.
    """
    if group == "floor":
        fn()
        return None
    want = json.loads(case["leanx_payload" if group == "leanx"
                          else "superpay_plaintext"])
    try:
        got = fn()
    except Exception as exc:
        if name.startswith("payhook"):
            raise
        return f"refused: {type(exc).__name__}: {exc}"
    if got != want:
        if name.startswith("payhook"):
            raise SystemExit(f"{name} at {case['size']}: result differs from "
                             f"json.loads(payload)")
        return "result differs from json.loads(payload)"
    return None


def run_size(case, rounds, batch_ms, groups=None):
    """Every case of `groups` ((group, make, input record) triples; by
    default the LeanX, SuperPay and floor groups of `case`), interleaved."""
    table = []
    out = {}
    if groups is None:
        groups = [(group, make, case) for group, make in (
            ("leanx", leanx_cases), ("superpay", superpay_cases),
            ("floor", floor_cases))]
    for group, make, record in groups:
        for name, fn in make(record):
            why = check(group, name, fn, record)
            if why is None:
                table.append([group, name, fn])
            else:
                print(f"python: {record['size']}: {name} not timed ({why})",
                      file=sys.stderr)
                out.setdefault(group, {})[name] = {"skipped": why}
    timings = interleaved_rounds([fn for _, _, fn in table], rounds,
                                 batch_ms)
    for (group, name, _), t in zip(table, timings):
        out.setdefault(group, {})[name] = t.summary()
    return out


def versions():
    def ver(dist):
        try:
            from importlib.metadata import version
            return version(dist)
        except Exception:
            return None
    return {
        "python": platform.python_version(),
        "payhook": ver("payhook"),
        "PyJWT": ver("PyJWT"),
        "PyJWT (old, bench/.peers)": old_jwt.__version__ if old_jwt else None,
        "Authlib": ver("Authlib"),
        "pyjwt-rs": ver("pyjwt-rs"),
        "cryptography": ver("cryptography"),
        "pycryptodome": ver("pycryptodome"),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=61)
    ap.add_argument("--batch-ms", type=float, default=2.0)
    args = ap.parse_args()
    gc.collect()
    result = {"versions": versions(), "clock": "time.perf_counter_ns",
              "rounds": args.rounds, "batch_ms": args.batch_ms,
              "sizes": {}, "bytes": {}}
    for case in inputs.build():
        t0 = time.monotonic()
        result["sizes"][case["size"]] = run_size(case, args.rounds,
                                                 args.batch_ms)
        result["bytes"][case["size"]] = {
            k: len(v) for k, v in case.items() if k != "size"}
        print(f"python: {case['size']} done in {time.monotonic() - t0:.1f} s",
              file=sys.stderr)
    # Floats against ints in one float-bearing payment shape, interleaved.
    t0 = time.monotonic()
    floats, ints = inputs.build_amounts()
    result["amounts"] = {
        "sizes": [floats["size"], ints["size"]],
        "bytes": {r["size"]: len(r["superpay_plaintext"])
                  for r in (floats, ints)},
        "times": run_size(floats, args.rounds, args.batch_ms, [
            ("floats", amounts_cases, floats),
            ("ints", amounts_cases, ints)]),
    }
    print(f"python: floats and ints done in {time.monotonic() - t0:.1f} s",
          file=sys.stderr)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
