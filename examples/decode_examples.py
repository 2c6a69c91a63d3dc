"""Decode every example callback in examples/callbacks/ and print it.

This is what a merchant's handler does with a real POST body; the keys are
the demo keys in examples/callbacks/keys.env.
"""

import json
import os
import sys

import payhook

HERE = os.path.dirname(os.path.abspath(__file__))
CALLBACKS = os.path.join(HERE, "callbacks")


def load_keys(path):
    keys = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                keys[name] = value
    return keys


def main():
    keys = load_keys(os.path.join(CALLBACKS, "keys.env"))
    decoders = {
        "leanx": payhook.leanx.Decoder(keys["LEANX_HASH_KEY"]),
        "superpay": payhook.superpay.Decoder(keys["SUPERPAY_SYMMETRIC_KEY"]),
    }
    failures = 0
    for name in sorted(os.listdir(CALLBACKS)):
        if not name.endswith(".json"):
            continue
        provider = name.split("-", 1)[0]
        with open(os.path.join(CALLBACKS, name), "rb") as f:
            body = f.read()
        print(f"== {name} ({provider})")
        try:
            payload = decoders[provider].decode(body)
        except payhook.PayhookError as e:
            print(f"   rejected: {type(e).__name__}: {e}")
            failures += 1
            continue
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    print(f"payhook {payhook.__version__}: decoded "
          f"{len([n for n in os.listdir(CALLBACKS) if n.endswith('.json')]) - failures} "
          f"callbacks, {failures} rejected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
