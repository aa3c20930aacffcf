"""Training throughput: ours vs the textbook recipe at the same architecture and batch size, and ours
at the default settings as a share of the machine's matrix-multiply rate (measured in the same run).

    python bench/bench_train.py [--pairs 40000] [--epochs 8]

8 epochs of 40,000 pairs is long enough for `train` to use XLA (see XLA_MIN_PAIR_STEPS); shorter runs
use the plain compiled loop, about 1.5x slower per step but without the compilation second.
"""

from __future__ import annotations

import argparse

from common import (
    build_textbook_model,
    matmul_flops,
    mlp_flops_per_pair,
    quiet_tensorflow,
    random_pairs,
    report,
    timer,
)


def textbook_rate(left, right, labels, epochs: int, batch_size: int = 128) -> float:
    """Steady-state pairs/s of the textbook `model.fit` (after a warm-up epoch)."""
    model = build_textbook_model(left.shape[1])
    model.fit([left, right], labels, batch_size=batch_size, epochs=1, verbose=0)  # warm-up (tracing)
    with timer() as elapsed:
        model.fit([left, right], labels, batch_size=batch_size, epochs=epochs, verbose=0)
    return epochs * len(labels) / elapsed()


def our_rate(left, right, labels, epochs: int, **settings) -> tuple[float, float, object]:
    """Steady-state pairs/s of `train` (epochs 2..N, after XLA compilation) and the first epoch's seconds."""
    import time

    from siamese_core.config import TrainConfig
    from siamese_core.pairs import PairSet
    from siamese_core.training import train

    pairs = PairSet(left, right, labels, [f"f{i}" for i in range(left.shape[1])])
    config = TrainConfig(epochs=epochs + 1, early_stopping_patience=0, **settings)
    ends, steps = [], []

    def on_progress(progress):
        if progress.stage == "epoch":
            ends.append(time.perf_counter())
            steps.append(progress.batches)

    start = time.perf_counter()
    train(pairs, None, config, on_progress=on_progress)
    pairs_done = sum(steps[1:]) * min(config.batch_size, len(labels))
    return pairs_done / (ends[-1] - ends[0]), ends[0] - start, config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=40000)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    tf = quiet_tensorflow()
    left, right, labels = random_pairs(args.pairs)

    textbook = textbook_rate(left, right, labels, args.epochs)
    same, _, _ = our_rate(
        left,
        right,
        labels,
        args.epochs,
        hidden=(128, 128, 128),
        embedding_dim=128,
        dropout=0.0,
        batch_size=128,
    )
    default, first_epoch, config = our_rate(left, right, labels, args.epochs)
    matmul = matmul_flops(tf)
    achieved = default * mlp_flops_per_pair(left.shape[1], config.hidden, config.embedding_dim)
    report(
        "training throughput, 64-feature pairs",
        [
            ("textbook (MLP 128-128-128, Lambda, model.fit, batch 128)", f"{textbook:,.0f} pairs/s"),
            ("ours, same architecture, batch 128", f"{same:,.0f} pairs/s"),
            (
                f"ours, defaults (hidden {config.hidden}, emb {config.embedding_dim}, batch {config.batch_size})",
                f"{default:,.0f} pairs/s",
            ),
            ("ours, defaults: first epoch incl. XLA compilation", f"{first_epoch:.2f} s"),
            ("ours, defaults: achieved training FLOP/s", f"{achieved / 1e9:,.1f} GFLOP/s"),
            ("machine: float32 matmul 1024x1024 (best of 3)", f"{matmul / 1e9:,.1f} GFLOP/s"),
            ("ours, defaults: share of matmul rate", f"{achieved / matmul:.1%}"),
        ],
        "pairs/s ours / textbook, same architecture and batch 128",
        same / textbook,
    )


if __name__ == "__main__":
    main()
