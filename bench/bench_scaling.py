"""Cost growth: training (2 epochs, defaults) and scoring at 1x, 10x and 100x the pairs, each in a fresh
interpreter: seconds, seconds per million pairs, and peak memory above the baseline compared with the
data's own size. Linear growth shows as a flat "s per M pairs"; memory should stay near one copy of the
data plus a batch.

The baseline is the resident memory once the data is built (float32 from the generator, never a float64
copy), the model made and its distance function traced; the peak is then reset (`common.
measure_in_subprocess`), so "peak +X MiB" is what training or scoring itself added, not what the set-up
reached.

    python bench/bench_scaling.py [--base 10000] [--features 64]
"""

from __future__ import annotations

import argparse

from common import measure_in_subprocess, report

SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
from siamese_core.cli import import_tensorflow_quietly
import_tensorflow_quietly()
import numpy as np
from siamese_core.pairs import PairSet
rng = np.random.default_rng(0)
n, d = {n}, {d}
# float32 straight from the generator: no float64 copy of the data, even during the set-up.
pairs = PairSet(rng.standard_normal((n, d), dtype=np.float32), rng.standard_normal((n, d), dtype=np.float32),
                (rng.random(n, dtype=np.float32) < 0.5).astype(np.float32), [f"f{{i}}" for i in range(d)])
from siamese_core.config import TrainConfig
from siamese_core.training import train
from siamese_core.bundle import SiameseBundle
from siamese_core.model import build_encoder, build_siamese_model
config = TrainConfig(epochs=2, early_stopping_patience=0)
bundle = SiameseBundle(build_siamese_model(build_encoder(d, hidden=config.hidden, embedding_dim=config.embedding_dim), d),
                       pairs.feature_names)
bundle.distances(pairs.left[:100], pairs.right[:100])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=64)
    args = parser.parse_args()
    rows, per_pair = [], {}
    for factor in (1, 10, 100):
        n = args.base * factor
        setup = SETUP.format(n=n, d=args.features)
        data_bytes = n * 2 * args.features * 4
        for task, work in (
            ("train 2 epochs", "train(pairs, None, config)"),
            ("score", "bundle.distances(pairs.left, pairs.right)"),
        ):
            result = measure_in_subprocess(setup, work)
            per_million = result["seconds"] / n * 1e6
            per_pair.setdefault(task, []).append(per_million)
            rows.append(
                (
                    f"{task}, {n:,} pairs ({data_bytes / 2**20:,.0f} MiB of data)",
                    f"{result['seconds']:.2f} s, {per_million:.1f} s per M pairs, "
                    f"peak +{result['peak_above_baseline_bytes'] / 2**20:,.0f} MiB "
                    f"({result['peak_above_baseline_bytes'] / data_bytes:.2f}x data)"
                    + ("" if result["peak_reset"] else " [peak not reset: includes the set-up]"),
                )
            )
    growth = per_pair["train 2 epochs"][-1] / per_pair["train 2 epochs"][0]
    rows.append(
        ("scoring: s per M pairs at 100x / at 1x", f"{per_pair['score'][-1] / per_pair['score'][0]:.2f}")
    )
    report(
        "cost growth with the number of pairs",
        rows,
        "training seconds per pair at 100x / at 1x (1.0 = linear)",
        growth,
    )


if __name__ == "__main__":
    main()
