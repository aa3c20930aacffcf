"""Gathering the held-out pairs of a streamed CSV: `PairStream.load_splits(["validation", "test"])`, one
pass over the file (what `fit_stream` does), against `load_split("validation")` then
`load_split("test")`, a pass each (what it did before), alternated in the same run (each first in
every other round) on a file scanned once beforehand. Both give the same pairs.

    python bench/bench_held_out.py [--pairs 2000000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_stream import N_FEATURES, write_csv
from common import ROOT, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    import sys

    sys.path.insert(0, str(ROOT))
    from siamese_core.streaming import PairStream

    folder = Path(tempfile.mkdtemp(prefix="siamese_bench_held_out_"))
    path = folder / "pairs.csv"
    write_csv(path, args.pairs, seed=0)
    stream = PairStream(path, validation_fraction=0.1, test_fraction=0.1, chunk_rows=65_536)
    start = time.perf_counter()
    scan = stream.scan()
    scanned = time.perf_counter() - start

    one_pass = two_passes = float("inf")
    for round_index in range(args.rounds):
        for way in ("two passes", "one pass") if round_index % 2 == 0 else ("one pass", "two passes"):
            start = time.perf_counter()
            if way == "two passes":
                separate = {split: stream.load_split(split, 200_000) for split in ("validation", "test")}
                two_passes = min(two_passes, time.perf_counter() - start)
            else:
                together = stream.load_splits(["validation", "test"], 200_000)
                one_pass = min(one_pass, time.perf_counter() - start)
    same = all(
        np.array_equal(together[split].left, separate[split].left)
        and np.array_equal(together[split].labels, separate[split].labels)
        for split in separate
    )
    report(
        f"held-out pairs of a streamed CSV, {args.pairs:,} pairs x 2 x {N_FEATURES} "
        f"({path.stat().st_size / 2**20:,.0f} MiB), best of {args.rounds}",
        [
            ("scan (once, before both)", f"{scanned:.2f} s"),
            (
                "pairs per split (scan)",
                ", ".join(f"{name} {count:,}" for name, count in scan.split_counts.items()),
            ),
            (
                "validation and test pairs",
                f"{together['validation'].n_pairs:,} and {together['test'].n_pairs:,}",
            ),
            ("load_split twice (a pass each)", f"{two_passes:.2f} s"),
            ("load_splits (one pass)", f"{one_pass:.2f} s"),
            ("the same pairs both ways", "yes" if same else "NO"),
        ],
        "seconds one pass / two passes",
        one_pass / two_passes,
    )
    path.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
