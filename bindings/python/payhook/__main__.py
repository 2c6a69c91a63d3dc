"""Command line: decode callback bodies and print their payloads as JSON.

    python3 -m payhook leanx --key-env LEANX_HASH_KEY body.json
    python3 -m payhook superpay --key-file /etc/payhook/superpay.key < body

Keys are read from an environment variable or a file, never from the
command line, where other users of the machine could see them.  Exit
status:

    0    every body decoded (each payload printed as JSON)
    1    a body was rejected (its name, the error class and message on
         stderr; the other bodies are still decoded)
    2    usage: bad arguments, the key variable unset, a key or body file
         missing or unreadable, a key payhook cannot use (empty; for
         SuperPay not 32 bytes); nothing is decoded
    130  interrupted
    141  standard output closed early (`| head -1`), as for a program
         killed by SIGPIPE

No error prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any, Sequence

from . import PayhookError, __version__, leanx, superpay

EXIT_REJECTED = 1
EXIT_USAGE = 2


class _Usage(Exception):
    """A usage error found after the arguments were parsed."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m payhook",
        description="Verify/decrypt payout callback bodies and print their "
                    "payloads as JSON.",
        epilog="Exit status: 0 decoded, 1 rejected, 2 usage error.")
    parser.add_argument("--version", action="version",
                        version=f"payhook {__version__}")
    parser.add_argument("provider", choices=["leanx", "superpay"])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--key-env", metavar="VAR",
                        help="read the key from this environment variable")
    source.add_argument("--key-file", metavar="PATH",
                        help="read the key from this file (trailing "
                             "whitespace is dropped)")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="callback bodies (default: standard input)")
    return parser


def _os_error(what: str, e: OSError) -> _Usage:
    # strerror only: the text of the error, never the file's content.
    return _Usage(f"cannot read {what}: {e.strerror or type(e).__name__}")


def _read_key(args: argparse.Namespace) -> tuple[str | bytes, str]:
    """The key, and where it came from (for messages: never the key)."""
    if args.key_env is not None:
        value = os.environ.get(args.key_env)
        if value is None:
            raise _Usage(f"environment variable {args.key_env} is not set")
        return value, f"the variable {args.key_env}"
    try:
        with open(args.key_file, "rb") as f:
            return f.read().rstrip(b" \t\r\n"), f"the file {args.key_file}"
    except OSError as e:
        raise _os_error(f"key file {args.key_file}", e) from None


def _decoder(provider: str, key: str | bytes, where: str) -> Any:
    try:
        if provider == "leanx":
            return leanx.Decoder(key)
        return superpay.Decoder(key)
    except PayhookError as e:
        raise _Usage(f"the key in {where} cannot be used: {e}") from None


def _read_bodies(files: Sequence[str]) -> list[tuple[str, bytes]]:
    if not files:
        return [("<stdin>", sys.stdin.buffer.read())]
    bodies = []
    for name in files:
        try:
            with open(name, "rb") as f:
                bodies.append((name, f.read()))
        except OSError as e:
            raise _os_error(name, e) from None
    return bodies


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (argparse exits 2 itself
    on bad arguments, 0 for --help and --version)."""
    parser = _parser()
    args = parser.parse_intermixed_args(argv)
    try:
        decoder = _decoder(args.provider, *_read_key(args))
        bodies = _read_bodies(args.files)
    except _Usage as e:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE

    status = 0
    out = sys.stdout.buffer
    for name, body in bodies:
        try:
            payload = decoder.decode(body)
        except PayhookError as e:
            sys.stdout.flush()
            print(f"{name}: {type(e).__name__}: {e}", file=sys.stderr)
            status = EXIT_REJECTED
            continue
        text = json.dumps(payload, indent=2, ensure_ascii=False)
        out.write(text.encode("utf-8", "surrogatepass") + b"\n")
    out.flush()
    return status


def run(argv: Sequence[str] | None = None) -> int:
    """main() with the process-level endings handled: a closed standard
    output or an interrupt ends the command quietly."""
    try:
        return main(argv)
    except BrokenPipeError:
        # The reader went away.  Point stdout at /dev/null so that the
        # interpreter's final flush does not fail a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(run())
