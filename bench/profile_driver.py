"""N decodes of one kind, for bench/profile.sh to run under callgrind.

Usage: python3 bench/profile_driver.py leanx|superpay SIZE_INDEX N [oneoff]

SIZE_INDEX: 0 = 1.2 KB, 1 = 16 KB, 2 = 256 KB (bench/inputs.py). With
"oneoff", the module-level decode(body, key) is called (key setup included);
otherwise a Decoder built once.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inputs  # noqa: E402

import payhook  # noqa: E402


def main():
    provider, size, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    oneoff = len(sys.argv) > 4 and sys.argv[4] == "oneoff"
    case = inputs.build()[size]
    module = getattr(payhook, provider)
    key = inputs.LEANX_KEY if provider == "leanx" else inputs.SUPERPAY_KEY
    body = case[f"{provider}_body"]
    if oneoff:
        decode = module.decode
        for _ in range(n):
            decode(body, key)
    else:
        decode = module.Decoder(key).decode
        for _ in range(n):
            decode(body)


if __name__ == "__main__":
    main()
