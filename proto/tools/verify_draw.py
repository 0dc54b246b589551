#!/usr/bin/env python3
"""verify_draw.py: checks a livegw lucky-bag draw (the procedure of proto/DRAW.md).

A standalone reference: Python 3 standard library only (hashlib, hmac), sharing no code
with the gateway. Usage (the same as `livegw verify-draw`):

    verify_draw.py --bag BAG --commit HEX --seed HEX --winners N
                   --participants FILE|- [--announced U1,U2,... | --announced-file FILE]

The participants file holds one uid per line (blank lines are skipped; surrounding
spaces, tabs and a CR are ignored). The announced winners are compared in draw order.
Exit status: 0 when the seed matches the commitment and the announced winners (if
given) are exactly the draw's; 1 when either does not hold; 2 for bad arguments or
input.

As a module: commitment(seed), draw(seed, bag, uids, n_winners) and prepare(uids).
"""
import hashlib
import hmac
import re
import sys

DOMAIN = b"livegw-draw"
ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
WINNERS_MAX = 1000
TWO64 = 1 << 64


def commitment(seed: bytes) -> str:
    """Lowercase hex SHA-256 of the 32 seed bytes."""
    return hashlib.sha256(seed).hexdigest()


def prepare(uids):
    """The participant list of the draw: sorted byte-wise, duplicates removed."""
    return sorted(set(u.encode() if isinstance(u, str) else bytes(u) for u in uids))


class Stream:
    """The uint64 stream: HMAC-SHA256(seed, DOMAIN || bag || counter as 8 bytes
    big-endian) for counter 0, 1, 2, ..., each block cut into four big-endian uint64s."""

    def __init__(self, seed: bytes, bag: bytes):
        self.seed, self.bag, self.counter, self.buf = seed, bag, 0, []

    def next(self) -> int:
        if not self.buf:
            msg = DOMAIN + self.bag + self.counter.to_bytes(8, "big")
            block = hmac.new(self.seed, msg, hashlib.sha256).digest()
            self.buf = [int.from_bytes(block[i:i + 8], "big") for i in range(0, 32, 8)]
            self.counter += 1
        return self.buf.pop(0)

    def below(self, r: int) -> int:
        """Uniform in [0, r): reject u < 2^64 mod r, then u mod r."""
        t = TWO64 % r
        while True:
            u = self.next()
            if u >= t:
                return u % r


def draw(seed: bytes, bag: str, uids, n_winners: int):
    """Winners in draw order: a partial Fisher-Yates shuffle of the prepared list."""
    p = prepare(uids)
    k = min(n_winners, len(p))
    s = Stream(seed, bag.encode())
    for i in range(k):
        j = i + s.below(len(p) - i)
        p[i], p[j] = p[j], p[i]
    return [u.decode() for u in p[:k]]


def _hex32(s):
    if not re.fullmatch(r"[0-9A-Fa-f]{64}", s or ""):
        return None
    return bytes.fromhex(s)


def _read_uids(path, what):
    """uids of a file ('-' = stdin), one per line; raises ValueError naming the line."""
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    out = []
    for n, raw in enumerate(data.split(b"\n"), 1):
        line = raw.strip(b" \t\r")
        if not line:
            continue
        text = line.decode("ascii", "replace")
        if not ID_RE.match(text):
            raise ValueError(f"{what} line {n}: not a uid ([A-Za-z0-9_-]{{1,64}})")
        out.append(text)
    return out


USAGE = ("usage: verify-draw --bag BAG --commit HEX --seed HEX --winners N "
         "--participants FILE|- [--announced U1,U2,... | --announced-file FILE]")


def main(argv, out=sys.stdout, err=sys.stderr):
    opts = {}
    names = ("--bag", "--commit", "--seed", "--winners", "--participants", "--announced",
             "--announced-file")
    i = 0
    while i < len(argv):
        if argv[i] not in names or i + 1 >= len(argv):
            print(f"verify-draw: unknown option or missing value: {argv[i]}", file=err)
            print(USAGE, file=err)
            return 2
        opts[argv[i]] = argv[i + 1]
        i += 2
    for need in ("--bag", "--commit", "--seed", "--winners", "--participants"):
        if need not in opts:
            print(USAGE, file=err)
            return 2
    if "--announced" in opts and "--announced-file" in opts:
        print("verify-draw: give --announced or --announced-file, not both", file=err)
        return 2
    bag = opts["--bag"]
    if not ID_RE.match(bag):
        print("verify-draw: --bag must be [A-Za-z0-9_-]{1,64}", file=err)
        return 2
    seed, commit = _hex32(opts["--seed"]), _hex32(opts["--commit"])
    if seed is None or commit is None:
        print("verify-draw: --seed and --commit must be 64 hex digits", file=err)
        return 2
    w = opts["--winners"]
    if not re.fullmatch(r"[0-9]{1,4}", w) or not 1 <= int(w) <= WINNERS_MAX:
        print(f"verify-draw: --winners must be 1-{WINNERS_MAX}", file=err)
        return 2
    try:
        listed = _read_uids(opts["--participants"], "participants")
        announced = None
        if "--announced" in opts:
            announced = [u.strip(" \t") for u in opts["--announced"].split(",")]
            announced = [u for u in announced if u]
            for u in announced:
                if not ID_RE.match(u):
                    raise ValueError("announced winners: not a uid: " + u)
        elif "--announced-file" in opts:
            announced = _read_uids(opts["--announced-file"], "announced winners")
    except (OSError, ValueError) as e:
        print(f"verify-draw: {e}", file=err)
        return 2

    p = prepare(listed)
    winners = draw(seed, bag, listed, int(w))
    commit_ok = hmac.compare_digest(hashlib.sha256(seed).digest(), commit)
    print(f"bag: {bag}", file=out)
    print(f"participants: {len(p)} distinct ({len(listed) - len(p)} repeated lines ignored)",
          file=out)
    if commit_ok:
        print(f"commit: ok, sha256(seed) = {commitment(seed)}", file=out)
    else:
        print(f"commit: MISMATCH, sha256(seed) = {commitment(seed)}, announced {commit.hex()}",
              file=out)
    print(f"winners: {len(winners)} of {int(w)} requested, in draw order", file=out)
    for n, u in enumerate(winners, 1):
        print(f"{n} {u}", file=out)
    if not commit_ok:
        print("result: FAILED: the seed does not match the commitment", file=out)
        return 1
    if announced is None:
        print("result: ok (no announced winners given to compare)", file=out)
        return 0
    if announced == winners:
        print("result: ok, the announced winners are the draw's", file=out)
        return 0
    if sorted(announced) == sorted(winners):
        print("result: FAILED: the announced winners are the draw's in another order", file=out)
        return 1
    print("result: FAILED: the announced winners differ from the draw: "
          + (",".join(announced) or "(none)"), file=out)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
