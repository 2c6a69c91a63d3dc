"""Command line: verify callback bodies and print their payloads as JSON,
or build genuine callbacks for tests.

    python3 -m payhook leanx --key-env LEANX_HASH_KEY body.json
    python3 -m payhook superpay --key-file /etc/payhook/superpay.key < body
    python3 -m payhook stripe --key-env STRIPE_WHSEC \
        --header "Stripe-Signature: t=...,v1=..." body.json
    python3 -m payhook sign stripe --key-env STRIPE_WHSEC payload.json

Any gateway payhook knows may be named (see --help).  --header gives a
request header (repeat it for several); --now pins the clock (Unix
seconds) for timestamps and claims; --result prints the whole result
(payload, event id, timestamp, signed fields, reply) instead of the
payload.  `sign` prints {"body": ..., "headers": {...}} for the payload
read from the file or standard input (JSON text, sent as it is; for the
form gateways a JSON object of string fields, or the form's own text),
signed with the key (for CHIP the PEM private key); --timestamp and
--event-id fix what is otherwise now and random.

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

from . import GATEWAYS, PayhookError, __version__, leanx, sign, superpay
from ._gateway import Decoder

EXIT_REJECTED = 1
EXIT_USAGE = 2


class _Usage(Exception):
    """A usage error found after the arguments were parsed."""


def _key_source(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--key-env", metavar="VAR",
                        help="read the key from this environment variable")
    source.add_argument("--key-file", metavar="PATH",
                        help="read the key from this file (trailing "
                             "whitespace is dropped)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m payhook",
        description="Verify/decrypt callback bodies and print their "
                    "payloads as JSON.  `python3 -m payhook sign GATEWAY "
                    "...` builds a genuine callback instead (see `sign "
                    "--help`).",
        epilog="Exit status: 0 decoded, 1 rejected, 2 usage error.")
    parser.add_argument("--version", action="version",
                        version=f"payhook {__version__}")
    parser.add_argument("provider", metavar="GATEWAY",
                        choices=list(GATEWAYS),
                        help="one of: " + ", ".join(GATEWAYS))
    _key_source(parser)
    parser.add_argument("--header", action="append", default=[],
                        metavar="'NAME: VALUE'",
                        help="a request header (repeatable)")
    parser.add_argument("--now", type=float, metavar="SECONDS",
                        help="the clock, in Unix seconds (default: now)")
    parser.add_argument("--result", action="store_true",
                        help="print the whole result, not the payload")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="callback bodies (default: standard input)")
    return parser


def _sign_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m payhook sign",
        description="Build a genuine callback (for tests) and print "
                    '{"body": ..., "headers": {...}} as JSON.',
        epilog="Exit status: 0 signed, 2 usage error.")
    parser.add_argument("provider", metavar="GATEWAY",
                        choices=list(GATEWAYS),
                        help="one of: " + ", ".join(GATEWAYS))
    _key_source(parser)
    parser.add_argument("--timestamp", type=int, metavar="SECONDS",
                        help="the signed time (default: now)")
    parser.add_argument("--event-id", metavar="ID",
                        help="the event id, where the scheme carries one "
                             "in a header (default: random)")
    parser.add_argument("files", nargs="?", metavar="FILE",
                        help="the payload's JSON text (default: standard "
                             "input)")
    return parser


def _headers(lines: Sequence[str]) -> list[tuple[str, str]]:
    pairs = []
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise _Usage(f"--header wants 'Name: value', not {line!r:.60}")
        pairs.append((name.strip(), value.strip()))
    return pairs


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
        if provider == "superpay":
            return superpay.Decoder(key)
        return Decoder(provider, key)
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


def _form_fields(gateway: str, payload: bytes) -> dict[str, str] | None:
    """A form gateway's payload given as a JSON object of strings: its
    fields.  Anything else is the form's own text, sent as it is."""
    if GATEWAYS[gateway]["payload"] != "form":
        return None
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    if not all(isinstance(v, str) for v in value.values()):
        raise _Usage("a form's fields must all be strings")
    return value


def _sign_main(argv: Sequence[str]) -> int:
    parser = _sign_parser()
    args = parser.parse_intermixed_args(argv)
    try:
        key, where = _read_key(args)
        (_, payload), = _read_bodies([args.files] if args.files else [])
        fields = _form_fields(args.provider, payload)
        body, headers = sign(args.provider,
                             fields if fields is not None else payload, key,
                             timestamp=args.timestamp,
                             event_id=args.event_id)
    except _Usage as e:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except (PayhookError, TypeError) as e:
        print(f"{parser.prog}: error: {type(e).__name__}: {e}",
              file=sys.stderr)
        return EXIT_USAGE
    out = {"body": body.decode("utf-8", "surrogateescape"),
           "headers": headers}
    sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (argparse exits 2 itself
    on bad arguments, 0 for --help and --version)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sign"]:
        return _sign_main(argv[1:])
    parser = _parser()
    args = parser.parse_intermixed_args(argv)
    try:
        decoder = _decoder(args.provider, *_read_key(args))
        headers = _headers(args.header)
        bodies = _read_bodies(args.files)
    except _Usage as e:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE

    status = 0
    out = sys.stdout.buffer
    for name, body in bodies:
        try:
            if args.result:
                r = decoder.verify(body, headers, now=args.now)
                payload = {"payload": r.payload, "gateway": r.gateway,
                           "event_id": r.event_id, "timestamp": r.timestamp,
                           "signed_fields": list(r.signed_fields),
                           "reply": {"status": r.reply.status,
                                     "body": r.reply.body.decode("latin-1"),
                                     "content_type": r.reply.content_type}}
            elif args.provider in ("leanx", "superpay"):
                payload = decoder.decode(body, args.now)
            else:
                payload = decoder.decode(body, headers, now=args.now)
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
