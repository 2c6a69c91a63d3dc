"""Command line: decode a callback body and print its payload as JSON.

    python3 -m payhook leanx --key-env LEANX_HASH_KEY body.json
    python3 -m payhook superpay --key-file /etc/payhook/superpay.key < body

Keys are read from an environment variable or a file, never from the
command line, where other users of the machine could see them.  Exit
status: 0 decoded, 1 rejected (the error class and message on stderr),
2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from . import PayhookError, leanx, superpay


def _read_key(args: argparse.Namespace) -> str:
    if args.key_env:
        value = os.environ.get(args.key_env)
        if value is None:
            raise SystemExit(f"payhook: environment variable {args.key_env} "
                             "is not set")
        return value
    with open(args.key_file, encoding="utf-8") as f:
        return f.read().strip()


def _decode(provider: str, body: bytes, key: str) -> Any:
    if provider == "leanx":
        return leanx.decode(body, key)
    return superpay.decode(body, key)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m payhook",
        description="Verify/decrypt a payout callback body and print its "
                    "payload as JSON.")
    parser.add_argument("provider", choices=["leanx", "superpay"])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--key-env", metavar="VAR",
                        help="read the key from this environment variable")
    source.add_argument("--key-file", metavar="PATH",
                        help="read the key from this file (trailing "
                             "whitespace is dropped)")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="callback bodies (default: standard input)")
    args = parser.parse_intermixed_args(argv)
    key = _read_key(args)

    status = 0
    bodies = [(name, open(name, "rb").read()) for name in args.files] or [
        ("<stdin>", sys.stdin.buffer.read())]
    for name, body in bodies:
        try:
            payload = _decode(args.provider, body, key)
        except PayhookError as e:
            print(f"{name}: {type(e).__name__}: {e}", file=sys.stderr)
            status = 1
            continue
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    return status


if __name__ == "__main__":
    sys.exit(main())
