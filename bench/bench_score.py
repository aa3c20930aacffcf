"""Scoring throughput: distances for 1,000,000 pairs, ours (`SiameseBundle.distances`: both sides in one
encoder call, compiled with XLA, 16,384 pairs per call) against the textbook model's `model.predict`
compiled as a competent user compiles it (`jit_compile=True`, `steps_per_execution=64`) and called with a
large batch: `model.predict(..., batch_size=4096)` is the baseline.

    python bench/bench_score.py [--pairs 1000000] [--rounds 3] [--batches 4096 16384]

- The textbook at each batch size of `--batches` and ours take turns `--rounds` times (each going first
  in every other round); each keeps its fastest run, so XLA's compilation of a new input shape (the
  first run of each) and a busy spell on the machine count for neither.
- The ratio printed last is ours at the textbook's architecture (hidden 128-128 then a 128-d embedding:
  three Dense layers of 128, as the textbook's tower) against the textbook at batch_size=4096 (the other
  sizes of `--batches` are shown beside it, and which one was fastest). Ours at
  the default architecture (256-256 then 128: about 2.8x the multiply-adds per sample) is shown beside it.
- `predict` at Keras' default batch of 32 is shown for reference on the first 100,000 pairs only (it is
  the slowest way to call it, and not what a competent user scoring a million pairs does).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import build_textbook_model, quiet_tensorflow, random_pairs, report

DEFAULT_BATCH_PAIRS = 100_000
BASELINE_BATCH = 4096  # the baseline: model.predict(..., batch_size=4096)


def seconds_of(call) -> float:
    """Wall-clock seconds of `call()`."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="all in turn, fastest of each")
    parser.add_argument(
        "--batches",
        type=int,
        nargs="+",
        default=[BASELINE_BATCH, 16384],
        help=f"the textbook's batch sizes ({BASELINE_BATCH}, the baseline, is always run)",
    )
    args = parser.parse_args()
    args.batches = [BASELINE_BATCH, *(batch for batch in args.batches if batch != BASELINE_BATCH)]
    quiet_tensorflow()
    from siamese_core.bundle import SiameseBundle
    from siamese_core.config import TrainConfig
    from siamese_core.model import build_encoder, build_siamese_model

    left, right, _ = random_pairs(args.pairs)
    names = [f"f{i}" for i in range(left.shape[1])]
    textbook = build_textbook_model(left.shape[1])

    def our_bundle(hidden, embedding_dim):
        encoder = build_encoder(left.shape[1], hidden=hidden, embedding_dim=embedding_dim)
        return SiameseBundle(build_siamese_model(encoder, left.shape[1]), names)

    defaults = TrainConfig()
    same_architecture = our_bundle((128, 128), 128)
    default_architecture = our_bundle(defaults.hidden, defaults.embedding_dim)
    outputs = {}

    def textbook_at(batch_size):
        def call():
            outputs[f"textbook {batch_size}"] = textbook.predict(
                [left, right], batch_size=batch_size, verbose=0
            )

        return call

    def ours_with(bundle, label):
        def call():
            outputs[label] = bundle.distances(left, right)

        return call

    contenders = {f"textbook batch {batch}": textbook_at(batch) for batch in args.batches}
    contenders["ours, same architecture"] = ours_with(same_architecture, "ours same")
    contenders["ours, defaults"] = ours_with(default_architecture, "ours defaults")
    best = dict.fromkeys(contenders, float("inf"))
    for round_index in range(args.rounds):
        order = list(contenders) if round_index % 2 == 0 else list(contenders)[::-1]
        for name in order:
            best[name] = min(best[name], seconds_of(contenders[name]))

    head = min(args.pairs, DEFAULT_BATCH_PAIRS)
    textbook.predict([left[:1000], right[:1000]], verbose=0)  # compiles the batch-32 shapes
    default_seconds = seconds_of(lambda: textbook.predict([left[:head], right[:head]], verbose=0))

    for label, distances in outputs.items():
        distances = np.asarray(distances).reshape(-1)
        assert distances.shape == (args.pairs,) and np.isfinite(distances).all(), label
    rates = {name: args.pairs / seconds for name, seconds in best.items()}
    textbook_names = [f"textbook batch {batch}" for batch in args.batches]
    fastest_textbook = max(textbook_names, key=rates.get)
    same, baseline = rates["ours, same architecture"], rates[f"textbook batch {BASELINE_BATCH}"]
    report(
        f"scoring {args.pairs:,} pairs of 64 features, fastest of {args.rounds} alternated runs each",
        [
            (
                f"textbook model.predict (MLP 128-128-128, XLA), batch_size={batch}",
                f"{rates[f'textbook batch {batch}']:,.0f} pairs/s",
            )
            for batch in args.batches
        ]
        + [
            (
                f"reference: textbook predict at Keras' default batch 32 ({head:,} pairs)",
                f"{head / default_seconds:,.0f} pairs/s",
            ),
            ("ours: bundle.distances, same architecture (128-128, emb 128)", f"{same:,.0f} pairs/s"),
            (
                f"ours: bundle.distances, defaults (MLP {'-'.join(map(str, defaults.hidden))}, "
                f"emb {defaults.embedding_dim})",
                f"{rates['ours, defaults']:,.0f} pairs/s",
            ),
            ("textbook's fastest batch size", fastest_textbook.removeprefix("textbook batch ")),
            (
                f"ours, defaults / textbook batch {BASELINE_BATCH}",
                f"{rates['ours, defaults'] / baseline:.2f}",
            ),
        ],
        f"pairs/s ours (same architecture) / textbook model.predict at batch_size={BASELINE_BATCH}",
        same / baseline,
    )


if __name__ == "__main__":
    main()
