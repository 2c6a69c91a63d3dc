"""Payloads of unusual shape, for shapes_bench.py and shapes_bench.lua.

The main bench times the vendors' own sample shapes, grown to 16 and 256
KB.  A callback can hold other text: customers' names in Chinese or
Tamil, text that a producer escaped (json.dumps's default ensure_ascii
writes every non-ASCII character as \\uXXXX), descriptions with newlines,
an object keyed by ids with thousands of members, a name repeated, deep
nesting.  Each shape here is one such payload of about 256 KB, in the
claims of a LeanX token signed as the vendor signs it (inputs.py), so
that "never slower than a peer" is checked on each.

Usage: python3 bench/shapes.py OUT_DIR   (writes the bodies, the payloads
and manifest.json, which shapes_bench.lua reads)
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inputs  # noqa: E402

TARGET = 256 * 1024

NAMES_CJK = ["陈大文", "李明辉", "黄美玲", "吴志强", "林秀英"]
NAMES_TAMIL = ["சுப்பிரமணியம்", "கலைச்செல்வி", "முருகன்"]
STREETS = ["Jalan Ampang", "Jalan Sultan Ismail", "Lorong Haji Taib"]


def _repeat(make, per_item: int) -> list:
    return [make(i) for i in range(TARGET // per_item)]


def _person(i: int, names: list[str], city: str) -> str:
    return (f"{names[i % len(names)]} {STREETS[i % len(STREETS)]} "
            f"{i % 97 + 1}, {city}")


def _nest(value, depth: int):
    for _ in range(depth):
        value = [value]
    return value


def shapes() -> list[tuple[str, dict, bool]]:
    """(name, payload, written with ensure_ascii) for every shape."""
    ascii_people = _repeat(
        lambda i: _person(i, ["Tan Ah Kow", "Siti Aminah", "Raj Kumar"],
                          "Kuala Lumpur"), 48)
    cjk_people = _repeat(lambda i: _person(i, NAMES_CJK, "吉隆坡"), 52)
    tamil_people = _repeat(lambda i: _person(i, NAMES_TAMIL, "கோலாலம்பூர்"),
                           90)
    emoji = _repeat(lambda i: "Terima kasih 🙏😀 order " + str(i), 40)
    notes = _repeat(lambda i: f"Line {i}\n\tPaid by card\n\t\"ok\"", 40)
    members = {f"txn_{i:06d}": i for i in range(TARGET // 17)}
    text = ",".join(f'"status":{i}' for i in range(TARGET // 12))
    ints = list(range(TARGET // 7))
    floats = [round(i * 1.0137 + 0.25, 4) for i in range(TARGET // 10)]
    items = [{"id": i, "amount": "12.50", "paid": True, "ref": None}
             for i in range(TARGET // 55)]
    nested = [_nest({"a": [i]}, 10) for i in range(TARGET // 40)]
    return [
        ("ASCII names and addresses", {"people": ascii_people}, False),
        ("Chinese names and addresses (UTF-8)", {"people": cjk_people},
         False),
        ("the same, ensure_ascii (\\u escapes)", {"people": cjk_people},
         True),
        ("Tamil names and addresses (UTF-8)", {"people": tamil_people},
         False),
        ("text with emoji (4-byte UTF-8)", {"notes": emoji}, False),
        ("text with \\n, \\t and \\\" escapes", {"notes": notes}, False),
        (f"one object of {len(members):,} members", {"by_id": members},
         False),
        # json.dumps cannot repeat a name: this one is written as text.
        (f"one name {TARGET // 12:,} times in an object",
         {"__text__": "{" + text + "}"}, False),
        (f"{len(ints):,} integers", {"values": ints}, False),
        (f"{len(floats):,} floats", {"values": floats}, False),
        (f"{len(items):,} small objects", {"items": items}, False),
        ("arrays nested 10 deep, many times", {"tree": nested}, False),
    ]


def payload_bytes(payload: dict, ensure_ascii: bool) -> bytes:
    if "__text__" in payload:
        return payload["__text__"].encode()
    return json.dumps(payload, separators=(",", ":"),
                      ensure_ascii=ensure_ascii).encode()


def build() -> list[dict]:
    """Every shape as {"name", "payload", "body"} (body: a LeanX body)."""
    out = []
    for name, payload, ensure_ascii in shapes():
        text = payload_bytes(payload, ensure_ascii)
        token = inputs.leanx_token(text, inputs.LEANX_KEY)
        out.append({"name": name, "payload": text,
                    "body": inputs.leanx_body(token)})
    return out


def write(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    manifest = {"leanx_key": inputs.LEANX_KEY, "shapes": []}
    for i, shape in enumerate(build()):
        entry = {"name": shape["name"]}
        for part in ("payload", "body"):
            fname = f"shape{i}-{part}.bin"
            with open(os.path.join(directory, fname), "wb") as f:
                f.write(shape[part])
            entry[part] = fname
            entry[part + "_bytes"] = len(shape[part])
        manifest["shapes"].append(entry)
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else "bench/results/shapes.tmp")
