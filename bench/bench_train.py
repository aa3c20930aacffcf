"""Training throughput per input width: ours at defaults against three Keras engines, and ours as a share
of the machine's float32 matrix-multiply rate (measured in the same run).

    python bench/bench_train.py [--features 32,64,512,1024,2048] [--rounds 2] [--seconds 3]

For each width, in turns (each round starts the turn at a different contender, the fastest epoch of
each kept over all rounds):
- textbook: the textbook Keras recipe (`common.build_textbook_model`: three Dense layers of 128, a
  `Lambda` distance, RMSprop) with `model.fit` at batch 128, compiled as a competent user compiles it
  (`jit_compile=True`, 64 steps per call);
- ours: `siamese_core.training.train` with `TrainConfig()` (only early stopping off, and a time limit);
- ours, textbook's model: the same with the textbook's layers (`hidden=(128, 128)` and a 128-d embedding:
  three Dense layers of 128), so that our engine meets the textbook on the same work per pair;
- fit + our step, XLA and no XLA: our model and optimizer (the defaults: hidden 256-256, a 128-d
  embedding, Adam, batch "auto"), trained by Keras' `fit` with our step as its `train_step` (both sides
  encoded in one encoder call) and 64 steps per call, with `jit_compile` True or False.

Each contender trains random pairs (65,536 below 512 features, 16,384 from 512 up: about half a second
an epoch for ours) for about `--seconds` seconds; its rate is its fastest whole epoch after the first
(ours: after the second, where a run that switches to XLA compiles; ours at defaults does not, see
`siamese_core.training.xla_pays`), so tracing and compiling are left out for all. From 512 features up, ours is also shown as a share of the matmul rate: training
FLOPs per pair are 2 per multiply-add, 2 samples, forward and backward (3 passes) of every layer, less
the first layer's input gradient, which nobody computes. Each width's line also shows the textbook's and
our achieved FLOP/s: the textbook's smaller model does a third to a half of our work per pair.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import build_textbook_model, matmul_flops, mlp_flops_per_pair, quiet_tensorflow, random_pairs

CONTENDERS = ("textbook", "ours", "ours, textbook's model", "fit + our step, XLA", "fit + our step, no XLA")
FIT_ENGINES = ("fit + our step, XLA", "fit + our step, no XLA")
# Our settings for the textbook's three Dense layers of 128 (two hidden, then the embedding layer).
TEXTBOOK_LAYERS = {"hidden": (128, 128), "embedding_dim": 128}


def pairs_for(n_features: int) -> int:
    """Pairs trained per width: about half a second an epoch for ours, at least the 16,384 that keep the
    "auto" batch at 512."""
    return 65_536 if n_features < 512 else 16_384


def fit_rate(model, left, right, labels, batch_size: int, seconds: float) -> float:
    """Pairs/s of `model.fit` in its fastest epoch after the first, epochs run until `seconds` are up."""
    import keras

    times: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            times.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            times[-1] = time.perf_counter() - times[-1]
            self.model.stop_training = len(times) >= 3 and sum(times) > seconds

    model.fit([left, right], labels, batch_size=batch_size, epochs=1000, verbose=0, callbacks=[Clock()])
    return len(labels) // batch_size * batch_size / min(times[1:])


def textbook_rate(left, right, labels, seconds: float) -> float:
    return fit_rate(build_textbook_model(left.shape[1]), left, right, labels, 128, seconds)


def our_step_model(n_features: int, xla: bool, mean, variance):
    """Our default model and optimizer, trained by `fit` with our step (one encoder call on both sides,
    the contrastive loss, the optimizer's update) as its `train_step`."""
    import keras
    import tensorflow as tf

    from siamese_core.config import TrainConfig
    from siamese_core.losses import contrastive_loss_per_pair
    from siamese_core.model import DISTANCE_NAME, encoder_of
    from siamese_core.training import build_compiled_model

    config = TrainConfig()
    siamese = build_compiled_model(n_features, config, mean, variance)

    class OneCall(keras.Model):
        def __init__(self):
            super().__init__()
            self.encoder, self.distance = encoder_of(siamese), siamese.get_layer(DISTANCE_NAME)

        def call(self, inputs):
            return siamese(inputs)

        def train_step(self, data):
            (left, right), labels = data
            with tf.GradientTape() as tape:
                embeddings = self.encoder(tf.concat([left, right], axis=0), training=True)
                n = tf.shape(left)[0]
                distances = self.distance([embeddings[:n], embeddings[n:]])
                loss = tf.reduce_mean(contrastive_loss_per_pair(labels, distances, config.margin))
            variables = self.encoder.trainable_variables
            self.optimizer.apply(tape.gradient(loss, variables), variables)
            return {"loss": loss}

    model = OneCall()
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate), jit_compile=xla, steps_per_execution=64
    )
    return model, config


def our_step_rate(left, right, labels, seconds: float, xla: bool) -> float:
    from siamese_core.model import scaling_statistics

    mean, variance, _ = scaling_statistics([left, right], "auto")
    model, config = our_step_model(left.shape[1], xla, mean, variance)
    return fit_rate(model, left, right, labels, config.batch_size_for(len(labels)), seconds)


def our_rate(left, right, labels, seconds: float, **settings) -> float:
    """Pairs/s of `train` at default settings but `settings` (early stopping off) in its fastest epoch from
    the third on, epochs run until `seconds` are up (at least four)."""
    from siamese_core.config import TrainConfig
    from siamese_core.pairs import PairSet
    from siamese_core.training import train

    pairs = PairSet(left, right, labels, [f"f{i}" for i in range(left.shape[1])])
    start = time.perf_counter()
    ends: list[float] = []

    def on_progress(progress):  # whole epochs only: stops at an epoch's end once time is up
        if progress.stage == "epoch":
            ends.append(time.perf_counter())
            return len(ends) < 4 or ends[-1] - start < seconds
        return None

    config = TrainConfig(early_stopping_patience=0, **settings)
    result = train(pairs, None, config, on_progress=on_progress)
    return result.steps_per_epoch * result.config.batch_size / float(np.diff(ends)[1:].min())


def first_layer_free_flops(n_features: int, hidden, embedding_dim: int | None) -> float:
    """Training FLOPs per pair of an MLP tower, without the first layer's input gradient."""
    full = mlp_flops_per_pair(n_features, hidden, embedding_dim)
    return full - 2 * 2 * n_features * hidden[0]


def our_flops(n_features: int) -> float:
    from siamese_core.config import TrainConfig

    config = TrainConfig()
    return first_layer_free_flops(n_features, config.hidden, config.embedding_dim)


def textbook_flops(n_features: int) -> float:
    return first_layer_free_flops(n_features, (128, 128, 128), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", default="32,64,512,1024,2048", help="input widths, comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="turns per width, fastest of each kept")
    parser.add_argument("--seconds", type=float, default=3.0, help="training time per contender and turn")
    args = parser.parse_args()
    tf = quiet_tensorflow()
    widths = [int(width) for width in args.features.split(",")]
    runs = {
        "textbook": lambda *data: textbook_rate(*data, args.seconds),
        "ours": lambda *data: our_rate(*data, args.seconds),
        "ours, textbook's model": lambda *data: our_rate(*data, args.seconds, **TEXTBOOK_LAYERS),
        "fit + our step, XLA": lambda *data: our_step_rate(*data, args.seconds, xla=True),
        "fit + our step, no XLA": lambda *data: our_step_rate(*data, args.seconds, xla=False),
    }
    matmul = matmul_flops(tf)
    rates = {width: {name: [] for name in CONTENDERS} for width in widths}
    for round_index in range(args.rounds):
        for width in widths:
            data = random_pairs(pairs_for(width), width)
            turn = round_index % len(CONTENDERS)
            for name in CONTENDERS[turn:] + CONTENDERS[:turn]:
                rates[width][name].append(runs[name](*data))
                print(f"  round {round_index + 1}, {width} features, {name}: {rates[width][name][-1]:,.0f}")
            matmul = max(matmul, matmul_flops(tf))  # between the cells too, the fastest kept
    print(f"machine: float32 matmul 1024x1024, fastest of the run: {matmul / 1e9:,.1f} GFLOP/s")
    print(f"pairs/s, fastest epoch of {args.rounds} rounds ({' / '.join(CONTENDERS)})")
    print(
        "then ours / best other; the engines on the same work: ours / best fit, ours on the textbook's model / textbook"
    )
    worst = {"best other": float("inf"), "fit": float("inf"), "same layers": float("inf")}
    for width in widths:
        best = {name: max(values) for name, values in rates[width].items()}
        ratios = {
            "best other": best["ours"]
            / max(best[name] for name in CONTENDERS if not name.startswith("ours")),
            "fit": best["ours"] / max(best[name] for name in FIT_ENGINES),
            "same layers": best["ours, textbook's model"] / best["textbook"],
        }
        worst = {name: min(worst[name], ratio) for name, ratio in ratios.items()}
        share = f", ours {best['ours'] * our_flops(width) / matmul:.1%} of matmul" if width >= 512 else ""
        work = (
            f"; GFLOP/s textbook {best['textbook'] * textbook_flops(width) / 1e9:,.1f}, "
            f"ours {best['ours'] * our_flops(width) / 1e9:,.1f} (the textbook's model does "
            f"{textbook_flops(width) / our_flops(width):.2f}x our work per pair)"
        )
        figures = " / ".join(f"{best[name]:,.0f}" for name in CONTENDERS)
        print(
            f"  {width:>5} features ({pairs_for(width):,} pairs): {figures}; "
            f"{' / '.join(f'{ratio:.2f}' for ratio in ratios.values())}{share}{work}"
        )
    print(f"RATIO pairs/s ours / best other, lowest over widths: {worst['best other']:.2f}")
    print(f"RATIO pairs/s ours / best Keras fit with our step (same model), lowest: {worst['fit']:.2f}")
    print(f"RATIO pairs/s ours / textbook, both the textbook's model, lowest: {worst['same layers']:.2f}")


if __name__ == "__main__":
    main()
