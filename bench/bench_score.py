"""Scoring throughput: distances for 1,000,000 pairs, ours (`SiameseBundle.distances`: both sides in one
encoder call, compiled with XLA, large batches) against the textbook model's `model.predict`, with its
defaults (batch 32) and with a large batch (4096), though our encoder has one more 128x128 layer.

    python bench/bench_score.py [--pairs 1000000]
"""

from __future__ import annotations

import argparse

import numpy as np
from common import build_textbook_model, quiet_tensorflow, random_pairs, report, timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    args = parser.parse_args()
    quiet_tensorflow()
    from siamese_core.bundle import SiameseBundle
    from siamese_core.config import TrainConfig
    from siamese_core.model import build_encoder, build_siamese_model

    left, right, _ = random_pairs(args.pairs)
    textbook = build_textbook_model(left.shape[1])
    textbook.predict([left[:1000], right[:1000]], verbose=0)  # warm-up
    with timer() as textbook_seconds:
        textbook_distances = textbook.predict([left, right], verbose=0)
    with timer() as tuned_seconds:
        textbook.predict([left, right], batch_size=4096, verbose=0)

    config = TrainConfig()
    encoder = build_encoder(left.shape[1], hidden=config.hidden, embedding_dim=config.embedding_dim)
    bundle = SiameseBundle(build_siamese_model(encoder, left.shape[1]), [f"f{i}" for i in range(left.shape[1])])
    bundle.distances(left[:1000], right[:1000])  # warm-up
    with timer() as our_seconds:
        distances = bundle.distances(left, right)
    assert distances.shape == (args.pairs,) and np.isfinite(distances).all()
    assert np.asarray(textbook_distances).size == args.pairs
    textbook_rate, our_rate = args.pairs / textbook_seconds(), args.pairs / our_seconds()
    tuned_rate = args.pairs / tuned_seconds()
    report(
        f"scoring {args.pairs:,} pairs of 64 features",
        [
            ("textbook model.predict (MLP 128-128-128, defaults: batch 32)", f"{textbook_rate:,.0f} pairs/s"),
            ("textbook model.predict, batch_size=4096", f"{tuned_rate:,.0f} pairs/s"),
            ("ratio ours / textbook batch 4096", f"{our_rate / tuned_rate:.2f}"),
            (f"ours: bundle.distances (MLP {'-'.join(map(str, config.hidden))}, emb {config.embedding_dim})",
             f"{our_rate:,.0f} pairs/s"),
        ],
        "pairs/s ours / textbook model.predict (defaults)",
        our_rate / textbook_rate,
    )


if __name__ == "__main__":
    main()
