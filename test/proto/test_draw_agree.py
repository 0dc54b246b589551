#!/usr/bin/env python3
"""test_draw_agree.py: `livegw verify-draw` (C) and proto/tools/verify_draw.py (Python)
agree, output line for line and exit status, on random draws: honest ones, tampered
winners, tampered participant lists, wrong seeds, messy input files.

Needs LIVEGW_BIN (the livegw binary). The random inputs come from DRAW_AGREE_SEED when
set, else from a fresh seed that is printed, so that a failure can be replayed."""
import io
import os
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "proto", "tools"))
import verify_draw  # noqa: E402

LIVEGW = os.environ.get("LIVEGW_BIN", "")
ID_CHARS = "abcABC019_-xyzXYZ"
EXAMPLE_SEED = bytes(range(32))


def rand_id(rng, maxlen=12):
    return "".join(rng.choice(ID_CHARS) for _ in range(rng.randint(1, maxlen)))


def run_python(args):
    out, err = io.StringIO(), io.StringIO()
    rc = verify_draw.main(args, out=out, err=err)
    return rc, out.getvalue()


def run_c(args, stdin=None):
    p = subprocess.run([LIVEGW, "verify-draw"] + args, input=stdin, capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout.decode()


class FakeStream(verify_draw.Stream):
    def __init__(self, values):
        super().__init__(b"\0" * 32, b"b")
        self.values = list(values)

    def next(self):
        return self.values.pop(0)


class DrawAgree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        seed = os.environ.get("DRAW_AGREE_SEED") or str(random.SystemRandom().getrandbits(48))
        print(f"DRAW_AGREE_SEED={seed}", file=sys.stderr)
        cls.rng = random.Random(int(seed))
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        return path

    def test_reference_vectors(self):
        # DRAW.md's worked example, and the rejection rule, as in test_proto_draw.c.
        uids = ["carol", "alice", "bob", "dave", "alice", "erin"]
        self.assertEqual(verify_draw.commitment(EXAMPLE_SEED),
                         "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd")
        self.assertEqual(verify_draw.draw(EXAMPLE_SEED, "bag1", uids, 3),
                         ["alice", "erin", "carol"])
        self.assertEqual(verify_draw.draw(EXAMPLE_SEED, "bag1", uids, 10),
                         ["alice", "erin", "carol", "dave", "bob"])
        self.assertEqual(verify_draw.draw(EXAMPLE_SEED, "bag2", uids, 3),
                         ["alice", "dave", "bob"])
        self.assertEqual(FakeStream([0, 1]).below(3), 1)
        half = 1 << 63
        self.assertEqual(FakeStream([half - 2, half - 1]).below(half + 1), half - 1)
        self.assertEqual(FakeStream([2**64 - 1]).below(half + 1), half - 2)
        self.assertEqual(FakeStream([0]).below(1), 0)

    def check(self, args, what, stdin=None):
        c = run_c(args, stdin=stdin)
        if stdin is not None:
            # The Python tool reads the same bytes from a file instead of stdin.
            i = args.index("--participants") + 1
            args = args[:i] + [self.write("stdin.txt", stdin.decode())] + args[i + 1:]
        py = run_python(args)
        self.assertEqual(c, py, f"{what}: C and Python disagree for {args}")
        return py[0]

    def test_random_draws(self):
        rng = self.rng
        counts = {}
        for case in range(120):
            seed = bytes(rng.getrandbits(8) for _ in range(32))
            bag = rand_id(rng, 64)
            pool = [rand_id(rng) for _ in range(rng.randint(0, 40))]
            listed = [rng.choice(pool) for _ in range(rng.randint(0, 60))] if pool else []
            n_winners = rng.choice([1, 2, 3, 5, 10, rng.randint(1, 1000)])
            winners = verify_draw.draw(seed, bag, listed, n_winners)
            # Messy but valid input: blank lines, spaces, tabs, CRLF.
            lines = []
            for u in listed:
                if rng.random() < 0.1:
                    lines.append(rng.choice(["", "  ", "\t"]))
                lines.append(rng.choice(["", " ", "\t"]) + u + rng.choice(["", " ", "\r"]))
            text = "\n".join(lines) + rng.choice(["", "\n"])
            parts = self.write("parts.txt", text)
            commit = verify_draw.commitment(seed)
            announced = list(winners)
            variant = rng.choice(["honest", "honest_file", "stdin", "none", "reorder", "swap",
                                  "drop", "wrong_seed", "added_uid", "empty"])
            participants = parts
            stdin = None
            if variant == "reorder" and len(announced) > 1:
                announced.reverse()
            elif variant == "swap":
                others = [u for u in set(listed) if u not in winners]
                if others and announced:
                    announced[rng.randrange(len(announced))] = rng.choice(others)
            elif variant == "drop" and announced:
                announced.pop(rng.randrange(len(announced)))
            elif variant == "wrong_seed":
                commit = verify_draw.commitment(bytes(32 - len(b"x")) + b"x")
            elif variant == "added_uid":
                participants = self.write("parts.txt", text + "\nsockpuppet_" + bag[:8] + "\n")
            elif variant == "empty":
                participants = self.write("parts.txt", "\n \n")
            elif variant == "stdin":
                participants = "-"
                stdin = text.encode()
            args = ["--bag", bag, "--commit", commit, "--seed", seed.hex(),
                    "--winners", str(n_winners), "--participants", participants]
            if variant == "honest_file":
                args += ["--announced-file", self.write("ann.txt", "\n".join(announced) + "\n")]
            elif variant != "none":
                args += ["--announced", ",".join(announced)]
            rc = self.check(args, f"case {case} ({variant})", stdin=stdin)
            if variant in ("honest", "honest_file", "stdin", "none"):
                self.assertEqual(rc, 0, f"case {case} ({variant})")
            if variant == "wrong_seed":
                self.assertEqual(rc, 1, f"case {case} ({variant})")
            counts[(variant, rc)] = counts.get((variant, rc), 0) + 1
        print("outcomes:", sorted(counts.items()), file=sys.stderr)

    def test_large_draw(self):
        rng = self.rng
        seed = bytes(rng.getrandbits(8) for _ in range(32))
        listed = [f"u{rng.getrandbits(40):x}" for _ in range(5000)]
        parts = self.write("large.txt", "\n".join(listed))
        winners = verify_draw.draw(seed, "big", listed, 1000)
        args = ["--bag", "big", "--commit", verify_draw.commitment(seed), "--seed",
                seed.hex().upper(), "--winners", "1000", "--participants", parts,
                "--announced", ",".join(winners)]
        self.assertEqual(self.check(args, "large"), 0)

    def test_bad_input_agrees_on_status(self):
        seed = EXAMPLE_SEED.hex()
        commit = verify_draw.commitment(EXAMPLE_SEED)
        good = self.write("good.txt", "alice\nbob\n")
        bad = self.write("bad.txt", "alice\nbob smith\n")
        base = ["--bag", "b1", "--commit", commit, "--seed", seed, "--winners", "1"]
        for args in (base + ["--participants", bad],
                     base + ["--participants", os.path.join(self.tmp.name, "missing")],
                     base + ["--participants", good, "--announced", "al ice"],
                     base + ["--participants", good, "--announced", "a", "--announced-file",
                             good],
                     ["--bag", "b 1"] + base[2:] + ["--participants", good],
                     ["--bag", "b1", "--commit", commit[:-1], "--seed", seed, "--winners", "1",
                      "--participants", good],
                     ["--bag", "b1", "--commit", commit, "--seed", seed, "--winners", "0",
                      "--participants", good],
                     ["--bag", "b1", "--commit", commit, "--seed", seed, "--winners", "1001",
                      "--participants", good],
                     base + ["--participants"],
                     base + ["--bogus", "x", "--participants", good],
                     base):
            c, py = run_c(args)[0], run_python(args)[0]
            self.assertEqual((c, py), (2, 2), f"{args}")


if __name__ == "__main__":
    if not LIVEGW or not os.access(LIVEGW, os.X_OK):
        print("LIVEGW_BIN must name the livegw binary", file=sys.stderr)
        sys.exit(2)
    unittest.main(verbosity=2)
