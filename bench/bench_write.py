"""Writing scores: `score_file` on a pair CSV, ours (rows written by Arrow's CSV writer,
`scoring.csv_bytes`) against the same `score_file` writing each chunk with pandas' `DataFrame.to_csv`
(what it did before), alternated in the same run (each first in every other round); then the two
writers alone on one scored chunk.
Both outputs are read back and compared value by value.

    python bench/bench_write.py [--pairs 200000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_stream import N_FEATURES, write_csv
from common import quiet_tensorflow, report


def pandas_writer(frame: pd.DataFrame, *, header: bool = True) -> bytes:
    return frame.to_csv(index=False, header=header).encode("utf-8")


def timed_score(bundle, source: Path, output: Path) -> float:
    from siamese_core.scoring import score_file

    start = time.perf_counter()
    score_file(bundle, source, output, threshold=bundle.threshold)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    quiet_tensorflow()
    from siamese_core import scoring
    from siamese_core.config import TrainConfig
    from siamese_core.data import load_pair_csv
    from siamese_core.pipeline import fit

    folder = Path(tempfile.mkdtemp(prefix="siamese_bench_write_"))
    source = folder / "pairs.csv"
    write_csv(source, args.pairs, seed=0)
    pairs = load_pair_csv(source)
    bundle = fit(pairs.subset(np.arange(min(20_000, pairs.n_pairs))), TrainConfig(epochs=1)).bundle

    arrow_output, pandas_output = folder / "arrow.csv", folder / "pandas.csv"
    ours = baseline = float("inf")
    ours_writer = scoring.csv_bytes
    for round_index in range(args.rounds):
        # Each goes first in every other round: the first pass also warms the page cache and XLA's shapes.
        for writer in ("pandas", "ours") if round_index % 2 == 0 else ("ours", "pandas"):
            if writer == "ours":
                ours = min(ours, timed_score(bundle, source, arrow_output))
                continue
            scoring.csv_bytes = pandas_writer
            try:
                baseline = min(baseline, timed_score(bundle, source, pandas_output))
            finally:
                scoring.csv_bytes = ours_writer

    written, expected = pd.read_csv(arrow_output), pd.read_csv(pandas_output)
    same = list(written.columns) == list(expected.columns) and all(
        np.array_equal(written[column].to_numpy(), expected[column].to_numpy()) for column in expected.columns
    )

    chunk = scoring.score_frame(
        bundle, pd.read_csv(source, nrows=scoring.SCORE_CHUNK_ROWS), threshold=1.0, name="x"
    )
    timings = {}
    for name, writer in (("pandas", pandas_writer), ("ours", scoring.csv_bytes)):
        start = time.perf_counter()
        writer(chunk)
        timings[name] = time.perf_counter() - start

    report(
        f"writing scores, {args.pairs:,} pairs x 2 x {N_FEATURES} features "
        f"({source.stat().st_size / 2**20:,.0f} MiB CSV), best of {args.rounds}",
        [
            ("score_file, chunks written by pandas' to_csv", f"{baseline:.2f} s"),
            ("score_file, chunks written by Arrow (ours)", f"{ours:.2f} s"),
            ("both outputs read back to the same values", "yes" if same else "NO"),
            (f"one chunk of {len(chunk):,} scored rows: pandas' to_csv", f"{timings['pandas']:.2f} s"),
            (f"one chunk of {len(chunk):,} scored rows: ours", f"{timings['ours']:.2f} s"),
        ],
        "score_file seconds, ours / writing with pandas",
        ours / baseline,
    )
    for path in (source, arrow_output, pandas_output):
        path.unlink(missing_ok=True)
    folder.rmdir()


if __name__ == "__main__":
    main()
