"""Training throughput: ours vs the textbook recipe at the same architecture and batch size, and ours
at the default settings as a share of the machine's matrix-multiply rate (measured in the same run).

    python bench/bench_train.py [--pairs 100000] [--epochs 6] [--rounds 2] [--textbook-steps 64]

The textbook model is compiled as a competent Keras user compiles it (`common.build_textbook_model`):
`jit_compile=True` (Keras' "auto" leaves XLA off without a GPU) and `steps_per_execution=64` (the same
number of steps per compiled call as our loop); `--textbook-steps` changes the latter.

"Same architecture" is the textbook's tower: three Dense layers of 128 (ours: hidden 128-128 and a
128-d embedding layer), batch 128, measured on two data sets:
- 100,000 random pairs of 64 features: each rate is the best epoch of the run (steady state, and the
  epoch least disturbed by anything else on the machine), for the textbook and for ours alike, over
  `--rounds` rounds in which the two take turns going first. `train` switches to XLA from its second
  epoch here (see XLA_MIN_PAIR_STEPS), so epochs 3 on are compiled; the textbook's first epoch (its
  tracing and XLA compilation) is left out the same way. This is the ratio printed last.
- the digits pairs of the time-to-quality benchmark (9,790 training pairs of 64 features): all epochs
  but the first (which traces and compiles), per-epoch costs included; too little work for our XLA
  switch to repay its compilation, so ours runs without it, while the textbook keeps `jit_compile=True`.
A minimal XLA loop of the same layers (`floor_rate`) shows what the machine does at batch 128 with
nothing else in the way.
"""

from __future__ import annotations

import argparse
import itertools
import time

from common import (
    TEXTBOOK_STEPS_PER_EXECUTION,
    build_textbook_model,
    digits_splits,
    matmul_flops,
    mlp_flops_per_pair,
    quiet_tensorflow,
    random_pairs,
    report,
    textbook_scale,
)

DIGITS_EPOCHS = 10


def textbook_rate(
    left,
    right,
    labels,
    epochs: int,
    batch_size: int = 128,
    whole: bool = False,
    steps_per_execution: int = 64,
) -> float:
    """Pairs/s of the textbook `model.fit` (XLA, `steps_per_execution` steps per call) in its best epoch
    (the first, with tracing and compilation, is left out), or with `whole`, over all its epochs but the
    first."""
    import keras

    model = build_textbook_model(left.shape[1], steps_per_execution=steps_per_execution)
    times = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            times.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            times[-1] = time.perf_counter() - times[-1]

    model.fit([left, right], labels, batch_size=batch_size, epochs=epochs + 1, verbose=0, callbacks=[Clock()])
    return len(labels) * epochs / sum(times[1:]) if whole else len(labels) / min(times[1:])


def our_rate(
    left, right, labels, epochs: int, whole: bool = False, **settings
) -> tuple[float, float, object]:
    """Pairs/s of `train` in its best epoch from the third on (after the switch to XLA and its
    compilation), or with `whole`, over all its epochs but the first; and the first epoch's seconds
    (set-up and tracing included)."""
    from siamese_core.config import TrainConfig
    from siamese_core.pairs import PairSet
    from siamese_core.training import train

    pairs = PairSet(left, right, labels, [f"f{i}" for i in range(left.shape[1])])
    config = TrainConfig(epochs=epochs + (1 if whole else 2), early_stopping_patience=0, **settings)
    ends = []

    def on_progress(progress):
        if progress.stage == "epoch":
            ends.append(time.perf_counter())

    start = time.perf_counter()
    config = train(pairs, None, config, on_progress=on_progress).config  # an "auto" batch size resolved
    pairs_per_epoch = len(labels) // min(config.batch_size, len(labels)) * min(config.batch_size, len(labels))
    if whole:
        return pairs_per_epoch * epochs / (ends[-1] - ends[0]), ends[0] - start, config
    best = min(later - earlier for earlier, later in itertools.pairwise(ends[1:]))
    return pairs_per_epoch / best, ends[0] - start, config


def floor_rate(tf, n_features: int = 64, batch_size: int = 128, widths=(128, 128, 128)) -> float:
    """Pairs/s of a minimal XLA training loop of the same layers: no Keras, plain SGD, the batches
    already in TensorFlow (what this machine does at this batch size with nothing else in the way).
    A reference for what is left to gain, not a competitor: it has no scaling, no Adam, no data feed."""
    steps = 32
    sizes = [n_features, *widths]
    weights = [tf.Variable(tf.random.normal((a, b), stddev=0.1)) for a, b in itertools.pairwise(sizes)]
    biases = [tf.Variable(tf.zeros((b,))) for b in sizes[1:]]
    variables = weights + biases
    samples = tf.random.normal((steps, 2 * batch_size, n_features))
    labels = tf.cast(tf.random.uniform((steps, batch_size)) < 0.5, tf.float32)

    def step(index, total):
        with tf.GradientTape() as tape:
            hidden = samples[index]
            for layer, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
                hidden = tf.matmul(hidden, weight) + bias
                hidden = tf.nn.relu(hidden) if layer < len(weights) - 1 else hidden
            squared = tf.reduce_sum(tf.square(hidden[:batch_size] - hidden[batch_size:]), axis=1)
            distance = tf.sqrt(tf.maximum(squared, 1e-12))
            label = labels[index]
            loss = tf.reduce_mean(
                (1 - label) * 0.5 * squared + label * 0.5 * tf.square(tf.nn.relu(1.0 - distance))
            )
        gradients = tape.gradient(loss, variables)
        updates = [
            variable.assign_sub(1e-3 * gradient)
            for variable, gradient in zip(variables, gradients, strict=True)
        ]
        with tf.control_dependencies(updates):
            return index + 1, total + loss

    loop = tf.function(
        lambda: tf.while_loop(lambda index, _: index < steps, step, (0, 0.0))[1],
        jit_compile=True,
        autograph=False,
    )
    float(loop())
    best = 0.0
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(30):
            loss = loop()
        float(loss)
        best = max(best, 30 * steps * batch_size / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2, help="textbook and ours in turn, best of each")
    parser.add_argument(
        "--textbook-steps",
        type=int,
        default=TEXTBOOK_STEPS_PER_EXECUTION,
        help="the textbook's steps_per_execution",
    )
    args = parser.parse_args()
    tf = quiet_tensorflow()
    left, right, labels = random_pairs(args.pairs)

    same_architecture = dict(hidden=(128, 128), embedding_dim=128, dropout=0.0, batch_size=128)
    textbook_rates, same_rates = [], []
    for round_index in range(args.rounds):
        # Alternated, and each goes first in every other round, so neither a busy spell on the machine
        # nor being first in the process (allocator, thread pools) favours either.
        runs = [
            lambda: textbook_rates.append(
                textbook_rate(left, right, labels, args.epochs, steps_per_execution=args.textbook_steps)
            ),
            lambda: same_rates.append(our_rate(left, right, labels, args.epochs, **same_architecture)[0]),
        ]
        for run in runs if round_index % 2 == 0 else runs[::-1]:
            run()
    textbook, same = max(textbook_rates), max(same_rates)
    digits = digits_splits().train  # the 64-feature pairs: epochs of 76 steps at batch 128
    digits_left, digits_right = textbook_scale(digits.left, digits.right)
    textbook_digits = textbook_rate(
        digits_left,
        digits_right,
        digits.labels,
        DIGITS_EPOCHS,
        whole=True,
        steps_per_execution=args.textbook_steps,
    )
    same_digits, _, _ = our_rate(
        digits.left, digits.right, digits.labels, DIGITS_EPOCHS, whole=True, **same_architecture
    )
    default, first_epoch, config = our_rate(left, right, labels, args.epochs)
    floor = floor_rate(tf)
    matmul = matmul_flops(tf)
    achieved = default * mlp_flops_per_pair(left.shape[1], config.hidden, config.embedding_dim)
    report(
        "training throughput, 64-feature pairs",
        [
            (
                f"digits ({digits.n_pairs:,} pairs), epochs 2 to {DIGITS_EPOCHS + 1}: textbook, batch 128, XLA",
                f"{textbook_digits:,.0f} pairs/s",
            ),
            ("digits: ours, same architecture, batch 128 (no XLA)", f"{same_digits:,.0f} pairs/s"),
            ("digits: ours / textbook", f"{same_digits / textbook_digits:.2f}"),
            (
                f"{len(labels):,} random pairs, best epoch: textbook, batch 128, XLA, {args.textbook_steps} steps/call",
                f"{textbook:,.0f} pairs/s",
            ),
            ("ours, same architecture (128-128 + 128-d embedding), batch 128", f"{same:,.0f} pairs/s"),
            ("each round's best epoch: textbook", ", ".join(f"{rate:,.0f}" for rate in textbook_rates)),
            (
                "each round's best epoch: ours, same architecture",
                ", ".join(f"{rate:,.0f}" for rate in same_rates),
            ),
            ("reference: minimal XLA loop, same layers, SGD, data in TF, batch 128", f"{floor:,.0f} pairs/s"),
            (
                f"ours, defaults (hidden {config.hidden}, emb {config.embedding_dim}, batch {config.batch_size})",
                f"{default:,.0f} pairs/s",
            ),
            ("ours, defaults: first epoch incl. set-up and tracing", f"{first_epoch:.2f} s"),
            ("ours, defaults: achieved training FLOP/s", f"{achieved / 1e9:,.1f} GFLOP/s"),
            ("machine: float32 matmul 1024x1024 (best of 3)", f"{matmul / 1e9:,.1f} GFLOP/s"),
            ("ours, defaults: share of matmul rate", f"{achieved / matmul:.1%}"),
        ],
        "pairs/s ours / textbook, same architecture and batch 128",
        same / textbook,
    )


if __name__ == "__main__":
    main()
