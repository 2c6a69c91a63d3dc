"""Fail on LeakSanitizer reports that involve payhook's own code.

CPython deliberately leaves objects alive at exit, so LSan reports leaks for
any Python process; those are not ours.  A leak report block counts when
one of its stack frames lies in payhook's sources (csrc/ or
bindings/python/).  Usage: lsan_filter.py LOG...
"""

import re
import sys

OURS = re.compile(r"(csrc/|bindings/python/)[\w./-]+\.c|_payhook\.cpython")


def blocks(text):
    current = []
    for line in text.splitlines():
        if line.startswith(("Direct leak", "Indirect leak")):
            if current:
                yield current
            current = [line]
        elif current:
            current.append(line)
    if current:
        yield current


def main(paths):
    ours = 0
    total = 0
    for path in paths:
        with open(path, errors="replace") as f:
            text = f.read()
        if "ERROR: AddressSanitizer" in text or "runtime error:" in text:
            print(f"{path}: sanitizer error", file=sys.stderr)
            print(text[:4000], file=sys.stderr)
            return 1
        for block in blocks(text):
            total += 1
            if any(OURS.search(line) for line in block):
                ours += 1
                print("\n".join(block[:25]), file=sys.stderr)
    print(f"lsan: {total} leak reports, {ours} in payhook code")
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
