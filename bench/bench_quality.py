"""Time to quality on digits pairs: seconds of training until the held-out AUC reaches 0.99, ours
(defaults) vs the textbook recipe (MLP 128-128-128, Lambda distance, RMSprop, batch 128, 20 epochs),
with the final AUC and accuracy of both. Held-out = pairs of digits no model saw in training.

Both clocks run from the start of building the model (ours: the call to `train`, which builds it; the
textbook: building and compiling its model, then `model.fit`) to the end of the first epoch after which
the held-out AUC is at least the target; the time spent measuring that AUC is left out of both.

    python bench/bench_quality.py [--target 0.99] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import build_textbook_model, digits_splits, quiet_tensorflow, report, textbook_scale


def held_out_scores(distances, labels, threshold: float | None = None):
    from siamese_core.evaluation import best_accuracy_threshold, evaluate_distances

    result = evaluate_distances(distances, labels)
    accuracy = result.best_accuracy if threshold is None else result.at_threshold.accuracy
    if threshold is not None:
        from siamese_core.evaluation import metrics_at_threshold

        accuracy = metrics_at_threshold(distances, labels, threshold).accuracy
    del best_accuracy_threshold
    return result.auc, accuracy, result.best_accuracy


def run_textbook(splits, target: float, epochs: int = 20):
    import keras

    train, test = splits.train, splits.test
    left, right, test_left, test_right = textbook_scale(train.left, train.right, test.left, test.right)
    state = {"training": 0.0, "reached": None, "last": time.perf_counter()}
    model = build_textbook_model(train.n_features)

    class Clock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            state["training"] += time.perf_counter() - state["last"]
            distances = np.asarray(self.model.predict([test_left, test_right], verbose=0)).reshape(-1)
            auc, _, _ = held_out_scores(distances, test.labels)
            if state["reached"] is None and auc >= target:
                state["reached"] = state["training"]
            state["last"] = time.perf_counter()

    model.fit([left, right], train.labels, batch_size=128, epochs=epochs, verbose=0, callbacks=[Clock()])
    distances = np.asarray(model.predict([test_left, test_right], verbose=0)).reshape(-1)
    auc, fixed, best = held_out_scores(distances, test.labels, threshold=0.5)  # the recipe's threshold
    return state, auc, fixed, best


def run_ours(splits, target: float, config=None):
    from siamese_core.config import TrainConfig
    from siamese_core.evaluation import best_accuracy_threshold
    from siamese_core.training import predict_distances, train

    test = splits.test
    state = {"training": 0.0, "reached": None, "last": None}
    models = []

    def on_progress(progress):
        now = time.perf_counter()
        if progress.stage != "epoch":
            return
        state["training"] += now - state["last"]
        if models:
            auc, _, _ = held_out_scores(predict_distances(models[0], test.left, test.right), test.labels)
            if state["reached"] is None and auc >= target:
                state["reached"] = state["training"]
        state["last"] = time.perf_counter()

    # `train` builds the model before the first step; catch it through the encoder building hook.
    import siamese_core.training as training

    original = training.build_siamese_model

    def keep(*args, **kwargs):
        model = original(*args, **kwargs)
        models.append(model)
        return model

    training.build_siamese_model = keep
    try:
        state["last"] = time.perf_counter()
        result = train(splits.train, splits.validation, config or TrainConfig(), on_progress=on_progress)
    finally:
        training.build_siamese_model = original
    validation = splits.validation
    _, threshold = best_accuracy_threshold(
        predict_distances(result.model, validation.left, validation.right), validation.labels
    )
    distances = predict_distances(result.model, test.left, test.right)
    auc, fixed, best = held_out_scores(distances, test.labels, threshold=threshold)
    return state, auc, fixed, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    quiet_tensorflow()
    splits = digits_splits(args.seed)
    book, book_auc, book_accuracy, book_best = run_textbook(splits, args.target)
    ours, our_auc, our_accuracy, our_best = run_ours(splits, args.target)

    def seconds(state):
        return f"{state['reached']:.2f} s" if state["reached"] is not None else "never"

    both = book["reached"] is not None and ours["reached"] is not None
    report(
        f"time to held-out AUC >= {args.target} on digits pairs ({splits.describe()})",
        [
            ("textbook: seconds to target (build, compile, fit)", seconds(book)),
            ("ours: seconds to target (train: build, trace, fit)", seconds(ours)),
            (
                "textbook: final AUC / accuracy at 0.5 / best accuracy",
                f"{book_auc:.4f} / {book_accuracy:.2%} / {book_best:.2%}",
            ),
            (
                "ours: final AUC / accuracy at validation threshold / best",
                f"{our_auc:.4f} / {our_accuracy:.2%} / {our_best:.2%}",
            ),
            ("textbook: total training seconds (20 epochs)", f"{book['training']:.1f} s"),
            ("ours: total training seconds (defaults, early stopping)", f"{ours['training']:.1f} s"),
        ],
        "seconds to target, ours / textbook",
        ours["reached"] / book["reached"] if both else float("nan"),
    )


if __name__ == "__main__":
    main()
