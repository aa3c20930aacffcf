"""CSV ingest with validation: 200,000 pairs x 2 x 64 features (about 235 MB).

Ours (`load_pair_csv`: sniffing, header checks, parse, validation, float32 pairs) against plain
`pandas.read_csv` with its defaults and with `engine="pyarrow"` (Arrow's multi-threaded parser, what a
user who knows pandas reaches for on a large file), each in a fresh interpreter: seconds, and peak memory
above the interpreter's (after imports) as a multiple of the float32 pair matrix (n x 2 x d x 4 bytes).
The three are run in turn `--rounds` times, the order reversed every other round, and the fastest run of
each is kept (a run takes about a second, and a busy spell on the machine would otherwise decide the
ratio); memory is that of the same run. The ratio printed last is against the faster of the two pandas
readers. Neither baseline validates anything, so they are a floor for ours, not an equal.

    python bench/bench_ingest.py [--pairs 200000] [--features 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from common import measure_in_subprocess, report


def make_csv(path: Path, n_pairs: int, n_features: int) -> None:
    """A pair CSV of random values printed like real measurements (6 significant digits)."""
    rng = np.random.default_rng(0)
    header = ["label"] + [f"a_f{i}" for i in range(n_features)] + [f"b_f{i}" for i in range(n_features)]
    with open(path, "w") as stream:
        stream.write(",".join(header) + "\n")
        for start in range(0, n_pairs, 20000):
            rows = min(20000, n_pairs - start)
            values = rng.normal(size=(rows, 2 * n_features)).astype(np.float32)
            labels = rng.integers(0, 2, size=(rows, 1))
            np.savetxt(
                stream, np.hstack([labels, values]), fmt=["%d"] + ["%.6g"] * (2 * n_features), delimiter=","
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument(
        "--rounds", type=int, default=3, help="the pandas readers and ours in turn, fastest of each"
    )
    args = parser.parse_args()
    folder = Path(tempfile.gettempdir()) / "siamese_bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"pairs_{args.pairs}x{args.features}.csv"
    if not path.exists():
        make_csv(path, args.pairs, args.features)
    matrix_bytes = args.pairs * 2 * args.features * 4

    readers = {
        "plain": ("import pandas as pd", f"frame = pd.read_csv({str(path)!r})"),
        # pyarrow is imported before the clock starts, as pandas' own parser is.
        "arrow": (
            "import pandas as pd, pyarrow.csv",
            f"frame = pd.read_csv({str(path)!r}, engine='pyarrow')",
        ),
        "ours": ("from siamese_core.data import load_pair_csv", f"pairs = load_pair_csv({str(path)!r})"),
    }
    runs = {name: [] for name in readers}
    for round_index in range(args.rounds):
        for name in list(readers) if round_index % 2 == 0 else list(readers)[::-1]:
            runs[name].append(measure_in_subprocess(*readers[name]))
    plains, arrows, ours_runs = runs["plain"], runs["arrow"], runs["ours"]
    plain = min(plains, key=lambda run: run["seconds"])
    arrow = min(arrows, key=lambda run: run["seconds"])
    ours = min(ours_runs, key=lambda run: run["seconds"])
    fastest_name, fastest = min(
        (("read_csv (defaults)", plain), ("read_csv(engine='pyarrow')", arrow)),
        key=lambda item: item[1]["seconds"],
    )
    report(
        f"CSV ingest, {args.pairs:,} pairs x 2 x {args.features} features ({path.stat().st_size / 2**20:,.0f} MiB)",
        [
            (
                "plain pandas.read_csv (defaults), each run",
                ", ".join(f"{run['seconds']:.2f} s" for run in plains),
            ),
            (
                "pandas.read_csv(engine='pyarrow'), each run",
                ", ".join(f"{run['seconds']:.2f} s" for run in arrows),
            ),
            ("ours: load_pair_csv, each run", ", ".join(f"{run['seconds']:.2f} s" for run in ours_runs)),
            ("plain pandas.read_csv (defaults), fastest", f"{plain['seconds']:.2f} s"),
            ("pandas.read_csv(engine='pyarrow'), fastest", f"{arrow['seconds']:.2f} s"),
            ("ours: load_pair_csv (parse + validate + float32 pairs), fastest", f"{ours['seconds']:.2f} s"),
            ("seconds ours / plain pandas.read_csv (defaults)", f"{ours['seconds'] / plain['seconds']:.2f}"),
            ("seconds ours / pandas.read_csv(engine='pyarrow')", f"{ours['seconds'] / arrow['seconds']:.2f}"),
            ("the faster pandas reader", fastest_name),
            ("float32 pair matrix", f"{matrix_bytes / 2**20:,.0f} MiB"),
            (
                "plain pandas: peak memory / pair matrix",
                f"{plain['peak_above_baseline_bytes'] / matrix_bytes:.2f}x",
            ),
            (
                "pandas, pyarrow engine: peak memory / pair matrix",
                f"{arrow['peak_above_baseline_bytes'] / matrix_bytes:.2f}x",
            ),
            ("ours: peak memory / pair matrix", f"{ours['peak_above_baseline_bytes'] / matrix_bytes:.2f}x"),
        ],
        "seconds ours / the faster of the two pandas readers, fastest of each",
        ours["seconds"] / fastest["seconds"],
    )


if __name__ == "__main__":
    main()
