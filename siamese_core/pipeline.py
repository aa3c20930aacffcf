"""From loaded data to a trained, evaluated model bundle in one call (used by the CLI and the dashboard)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from siamese_core.bundle import SiameseBundle, current_versions
from siamese_core.calibration import Calibration, fit_calibration
from siamese_core.errors import ConfigError, DataError
from siamese_core.evaluation import EvalResult, best_accuracy_threshold, evaluate_distances
from siamese_core.inference import predict_distances
from siamese_core.pairing import make_pairs
from siamese_core.pairs import SIMILAR, PairSet, SampleSet, align_features
from siamese_core.splits import (
    CROSS_VALIDATION_PAIRS,
    LENGTH_FOLDS,
    Splits,
    describe_counts,
    make_splits,
    pair_samples_seen,
    sample_folds,
    sample_fractions,
)
from siamese_core.training import ProgressCallback, TrainConfig, TrainResult, train


@dataclass
class FitOutcome:
    """Everything one training run produced, in memory or streamed.

    Attributes:
        bundle: The final model with its metadata, ready to save.
        result: The final model's training (history, epochs, stop reason).
        test: Metrics on held-out pairs (see `measured`) at the bundle's threshold; None without any.
        test_distances: The measured model's distances for `test_pairs`.
        test_pairs: The held-out pairs measured: the test split, or the test file's pairs whose samples
            the final model never saw.
        threshold_source: Which pairs the threshold was chosen on.
        calibration: P(similar | distance) fitted on the validation pairs with the model that chose the
            threshold (`held_out_calibration`), kept in the bundle; None without validation pairs of both
            classes (then a note says so).
        split_text: The sample-disjoint split that chose the length and the threshold, in words.
        selection: The selection model's training, when the final model was refit on all pairs; None
            when the final model is the one trained on the training split.
        final_pairs: How many pairs trained the final model.
        measured: Which model `test` measures, on which pairs, in words.
        notes: What the user should know about the pairs used (test-file pairs left out, a refit cut).
        splits: The train / validation / test pairs (in-memory training; None when streamed).
        scan: What the validating pass over a stream found (streamed training; None in memory).
    """

    bundle: SiameseBundle
    result: TrainResult
    test: EvalResult | None
    test_distances: np.ndarray | None
    test_pairs: PairSet | None
    threshold_source: str
    split_text: str
    calibration: Calibration | None = None
    selection: TrainResult | None = None
    final_pairs: int = 0
    measured: str = ""
    notes: list[str] = field(default_factory=list)
    splits: Splits | None = None
    scan: object = None

    def describe_splits(self) -> str:
        """How the pairs were used: the split, the refit, and which model the metrics measure."""
        final = self.result
        if self.selection is not None:
            epochs = final.steps_run / max(final.steps_per_epoch, 1)
            training = (
                f"selection model kept epoch {self.selection.best_epoch} of {self.selection.epochs_run}; final "
                f"model refit on all {self.final_pairs:,} pairs for {final.steps_run:,} steps ({epochs:.1f} epochs)"
            )
        else:
            training = (
                f"final model trained on {self.final_pairs:,} pairs (kept epoch {final.best_epoch} of "
                f"{final.epochs_run})"
            )
        measured = [f"held-out metrics: {self.measured}"] if self.measured else []
        return "; ".join([self.split_text, training, *measured, *self.notes])


def refit_steps(selection: TrainResult, selection_samples: int, all_samples: int) -> int:
    """How many steps the final model trains on all pairs: the selection model's steps up to its kept
    epoch, times how many more distinct samples all pairs hold than its training split.

    Over-fitting here is memorising samples, so the refit gives each sample about as many passes as the
    kept selection model gave its samples. Measured against matching the selection's steps (shorter) and
    its epochs or more (longer) with `bench/bench_quality.py`: see bench/README.md.
    """
    factor = all_samples / max(selection_samples, 1)
    return max(1, round(selection.best_steps * factor))


def fit(
    data: PairSet | SampleSet,
    config: TrainConfig | None = None,
    *,
    test_fraction: float = 0.15,
    test: PairSet | None = None,
    refit: bool = True,
    leakage_aware: bool = True,
    pairs_per_sample: int = 8,
    hard_negatives: bool = False,
    on_progress: ProgressCallback | None = None,
    splits: Splits | None = None,
) -> FitOutcome:
    """Choose the length and the threshold on a sample-disjoint split, then refit on every pair.

    As scikit-learn's `refit=True`: a selection model trains on the training split with early stopping
    on the validation split (no sample is in two splits); the threshold is its best-accuracy threshold
    on the validation pairs (the training pairs when there are none with both classes), never on test
    pairs; then the final model trains on all pairs, with the same settings and batch size, for as many
    passes over each sample as the selection model's kept epoch gave (`refit_steps`), and keeps that
    threshold (both models are trained with the same margin, which sets the scale of the distances).
    The probability of "similar" (`FitOutcome.calibration`, kept in the bundle) is fitted the same way, on
    held-out pairs only, by isotonic regression or a sigmoid, whichever cross-validates better on them
    (`held_out_calibration`).

    The held-out metrics are honest: without `test` they are the selection model's on the test split,
    whose samples it never saw; with `test` (a separate file) no test split is made and they are the
    final model's on the test pairs, leaving out any pair with a sample that is also in `data`.

    Args:
        data: Loaded pairs, or labeled samples to make pairs from.
        config: Training settings; `TrainConfig()` when None.
        test_fraction: Share held out for the metrics; ignored (0) when `test` is given.
        test: Pairs of a separate test file (features in the same order as `data`'s).
        refit: Refit the final model on all pairs (the default); False keeps the selection model.
        leakage_aware: Keep every sample in one split (see `split_pairs`).
        pairs_per_sample: For labeled samples: pairs per anchor sample.
        hard_negatives: For labeled samples: dissimilar pairs from the nearest samples of other classes.
        on_progress: Progress callback (see `train`); `TrainProgress.phase` says which training it is.
        splits: Ready-made splits, made with the split arguments given here.

    Returns:
        A `FitOutcome`.

    Raises:
        DataError: Bad data, or a test file none of whose pairs is new to the model, or of one class.
    """
    config = config or TrainConfig()
    if test is not None and splits is not None and splits.test is not None:
        raise ConfigError(
            "a test file was given and the splits given hold test pairs: make them without a test share"
        )
    if test is not None:
        test_fraction = 0.0
    split_options = {
        "validation_fraction": config.validation_fraction,
        "test_fraction": test_fraction,
        "seed": config.seed,
        "leakage_aware": leakage_aware,
        "pairs_per_sample": pairs_per_sample,
        "hard_negatives": hard_negatives,
    }
    if splits is None:
        splits = make_splits(data, **split_options)
    if isinstance(data, PairSet):
        all_pairs = data
    else:  # labeled samples: the final model's pairs are made from every sample
        all_pairs = make_pairs(
            data, pairs_per_sample=pairs_per_sample, hard_negatives=hard_negatives, seed=config.seed
        )
    fold_held_out = []  # (distances, labels) of each cross-validation fold's model on its validation pairs
    selection, refitted, notes = _select_and_refit(
        config,
        refit and splits.held_out,
        select=lambda progress: train(splits.train, splits.validation, config, on_progress=progress),
        refit=lambda settings, steps, progress: train(
            all_pairs, None, settings, on_progress=progress, steps=steps
        ),
        length=lambda selection, progress, seconds_left: _length_in_memory(
            selection, splits, all_pairs, config, progress, seconds_left, fold_held_out
        ),
        on_progress=on_progress,
    )
    threshold, threshold_source = choose_threshold(selection.model, splits.train, splits.validation)
    calibration, note = held_out_calibration(
        selection.model, splits.validation, refitted is not None, folds=fold_held_out if refitted else ()
    )
    notes += [note] if note else []
    final = refitted or selection
    measured_model, held_out_pairs, measured = selection.model, splits.test, ""
    if splits.test is not None:
        measured = _measured_text(
            "selection model" if refitted else "model", splits.test.n_pairs, splits.strategy
        )
    if test is not None:
        held_out_pairs, measured, note = _new_to_model(test, [(all_pairs.left, all_pairs.right)])
        measured_model = final.model
        notes += [note] if note else []
    return _outcome(
        config,
        selection=selection,
        refitted=refitted,
        final_pairs=all_pairs.n_pairs if refitted else splits.train.n_pairs,
        threshold=(threshold, threshold_source),
        calibration=calibration,
        measured=(measured_model, held_out_pairs, measured),
        notes=notes,
        split_text=splits.describe(),
        info=splits.train.info,
        feature_names=splits.train.feature_names,
        splits=splits,
    )


def _measured_text(which: str, n_pairs: int, strategy: str) -> str:
    if strategy == "random":
        return (
            f"the {which} on {n_pairs:,} test-split pairs (split at random: their samples may also be in its "
            "training pairs, so the metrics flatter it)"
        )
    return f"the {which} on {n_pairs:,} test-split pairs, whose samples it never saw"


def _select_and_refit(config: TrainConfig, refitting: bool, *, select, refit, length, on_progress):
    """Train the selection model; when `refitting`, then the final model on all pairs.

    Args:
        config: The settings.
        refitting: Whether to refit.
        select: `select(progress)` trains the selection model.
        refit: `refit(settings, steps, progress)` trains the final model on all pairs.
        length: `length(selection, progress, seconds_left)` is `(refit steps, notes)`; steps None when
            a training it ran was stopped (a note says why). `seconds_left()` is the time limit left.
        on_progress: The caller's progress callback.

    Returns:
        (selection result, refit result or None, notes). A refit stopped by the user or the time limit
        is dropped (the selection model, whose metrics were measured, stays the model), with a note.
    """
    started = time.monotonic()
    selection = select(_in_phase(on_progress, "selection" if refitting else "training"))
    if not refitting or selection.stopped_by_user or selection.stopped_by_time:
        return selection, None, []
    steps, notes = length(selection, _in_phase(on_progress, "selection"), lambda: _time_left(config, started))
    if steps is None:  # an extra selection was stopped; its note says why
        return selection, None, notes
    settings = dataclasses.replace(
        config, batch_size=selection.config.batch_size, max_seconds=_time_left(config, started)
    )
    refitted = refit(settings, steps, _in_phase(on_progress, "refit"))
    if refitted.stopped_by_user or refitted.stopped_by_time:
        notes = [*notes, _stopped_note("the refit on all pairs", refitted)]
        return selection, None, notes
    return selection, refitted, notes


def _stopped_note(what: str, result: TrainResult) -> str:
    why = "at the time limit" if result.stopped_by_time else "by you"
    return f"{what} was stopped {why}, so the model is the selection model"


def _length_in_memory(
    selection, splits, all_pairs, config, progress, seconds_left, fold_held_out
) -> tuple[int | None, list[str]]:
    """The refit's steps and a note on how they were chosen.

    From files of `CROSS_VALIDATION_PAIRS` pairs or more, the selection's kept epoch (`refit_steps`).
    Smaller files hold too few pairs for one validation split to say how long all of them can train (a
    selection on a quarter of the pairs may keep its first epoch while the whole file improves for
    twenty), so the length comes from `LENGTH_FOLDS`-fold cross-validation by sample over all pairs
    (`sample_folds`): the epoch of the best mean validation ROC AUC over the folds, as many passes over
    each sample (`refit_steps`' rule, from the folds' training samples); ties go to the lower mean
    validation loss, as in early stopping. Only the length is taken from
    the folds: the threshold and the held-out metrics stay the selection's, so no test pair of its split
    helped choose what it is measured with.
    """
    all_samples = count_samples([(all_pairs.left, all_pairs.right)])
    if all_pairs.n_pairs >= CROSS_VALIDATION_PAIRS:
        return refit_steps(
            selection, count_samples([(splits.train.left, splits.train.right)]), all_samples
        ), []
    curves, losses, pairs_per_epoch = [], [], []
    for fold, (train_pairs, validation_pairs) in enumerate(
        sample_folds(all_pairs, LENGTH_FOLDS, config.seed)
    ):
        if not (_has_both_classes(train_pairs) and _has_both_classes(validation_pairs)):
            continue
        settings = dataclasses.replace(config, seed=config.seed + fold + 1, max_seconds=seconds_left())
        result = train(train_pairs, validation_pairs, settings, on_progress=progress)
        if result.stopped_by_user or result.stopped_by_time:
            return None, [_stopped_note("choosing the refit length", result)]
        fold_held_out.append(_fold_held_out(result.model, validation_pairs, splits.test))
        curves.append(result.history["val_auc"])
        losses.append(result.history["val_loss"])
        factor = all_samples / count_samples([(train_pairs.left, train_pairs.right)])
        pairs_per_epoch.append(result.steps_per_epoch * result.config.batch_size * factor)
    if len(curves) < 2:  # too few folds with both classes to cross-validate
        note = (
            f"the refit length is the selection's: only {len(curves)} of {LENGTH_FOLDS} folds by sample held "
            "similar and dissimilar pairs to validate on"
        )
        return refit_steps(
            selection, count_samples([(splits.train.left, splits.train.right)]), all_samples
        ), [note]
    epochs = min(len(curve) for curve in curves)
    mean_auc = np.mean([curve[:epochs] for curve in curves], axis=0)
    mean_loss = np.mean([loss[:epochs] for loss in losses], axis=0)
    best_epoch = int(np.lexsort((mean_loss, -mean_auc))[0]) + 1  # highest AUC, then lowest loss
    steps = max(1, round(best_epoch * float(np.mean(pairs_per_epoch)) / selection.config.batch_size))
    note = (
        f"the refit length is epoch {best_epoch} of {len(curves)}-fold cross-validation by sample (best mean "
        f"validation ROC AUC {mean_auc[best_epoch - 1]:.4f}), as the file holds under "
        f"{CROSS_VALIDATION_PAIRS:,} pairs"
    )
    return steps, [note]


def _outcome(
    config: TrainConfig,
    *,
    selection: TrainResult,
    refitted: TrainResult | None,
    final_pairs: int,
    threshold: tuple[float, str],
    calibration: Calibration | None,
    measured: tuple,
    notes: list[str],
    split_text: str,
    info,
    feature_names: list[str],
    splits: Splits | None = None,
    scan=None,
) -> FitOutcome:
    """The held-out metrics of the measured model at the threshold, and the final model's bundle."""
    model, pairs, measured_text = measured
    evaluated = _evaluate(model, pairs, threshold[0], config.margin, calibration)
    test, distances = evaluated if evaluated is not None else (None, None)
    final = refitted or selection
    outcome = FitOutcome(
        bundle=None,
        result=final,
        test=test,
        test_distances=distances,
        test_pairs=pairs if test is not None else None,
        threshold_source=threshold[1],
        split_text=split_text,
        calibration=calibration,
        selection=selection if refitted is not None else None,
        final_pairs=final_pairs,
        measured=measured_text if test is not None else "",
        notes=notes,
        splits=splits,
        scan=scan,
    )
    metrics = test.to_dict() if test is not None else {}
    metrics.update({"threshold_source": threshold[1], "split": outcome.describe_splits()})
    outcome.bundle = SiameseBundle(
        model=final.model,
        feature_names=list(feature_names),
        margin=config.margin,
        threshold=float(threshold[0]),
        calibration=calibration,
        label_mapping=_mapping_dict(info),
        # The settings asked for, with the batch size used; a refit's length is in metrics["split"].
        train_config=dataclasses.replace(config, batch_size=final.config.batch_size).to_dict(),
        metrics=metrics,
        history=final.history,
        versions=current_versions(),
    )
    return outcome


MAX_HELD_OUT_PAIRS = 200_000  # validation / test pairs of a stream held in memory, at most


def fit_stream(
    stream,
    config: TrainConfig | None = None,
    *,
    test: PairSet | None = None,
    refit: bool = True,
    strategy=None,
    on_progress: ProgressCallback | None = None,
    max_held_out: int = MAX_HELD_OUT_PAIRS,
) -> FitOutcome:
    """`fit` for a pair stream (data larger than memory, or several workers): the same selection, refit
    and honest metrics, with the stream's split (the same rule as in memory, see `siamese_core.splits`).

    Up to `max_held_out` validation and test pairs are held in memory for early stopping, the threshold
    and the metrics; the refit reads every pair of the stream (`chunks("all")`), with the feature scaling
    of the training split's samples (the scan gathers no other), after two passes that count the samples
    (`count_samples`). Streams are large, so the length always comes from the one selection (in memory,
    files under `CROSS_VALIDATION_PAIRS` pairs cross-validate it), and the calibration of the probability
    of "similar" from the selection model's validation pairs (`held_out_calibration`).

    Args:
        stream: A `siamese_core.streaming.PairStream` or `siamese_core.distributed.MemoryPairStream`,
            made with a test fraction of 0 when `test` is given.
        config: Training settings; `TrainConfig()` when None.
        test: Pairs of a separate test file; the metrics are then the final model's on them.
        refit: Refit the final model on all pairs (the default).
        strategy: A `tf.distribute.Strategy` (see `siamese_core.distributed.make_strategy`).
        on_progress: Progress callback (see `train`).
        max_held_out: Most validation (and test) pairs held in memory.

    Returns:
        A `FitOutcome` (`scan` set, `splits` None).
    """
    from siamese_core.distributed import train_stream

    config = config or TrainConfig()
    scan = stream.scan()
    counts = scan.split_counts
    held = stream.load_splits([s for s in ("validation", "test") if counts.get(s)], max_held_out)
    validation, test_split = held.get("validation"), held.get("test")  # read in one pass over the files

    def length(selection, progress, seconds_left):
        return refit_steps(
            selection, count_samples(stream.chunks("train")), count_samples(stream.chunks("all"))
        ), []

    selection, refitted, notes = _select_and_refit(
        config,
        refit and any(counts.get(s) for s in ("validation", "test", "dropped")),
        select=lambda progress: train_stream(
            stream, validation, config, strategy=strategy, on_progress=progress
        ),
        refit=lambda settings, steps, progress: train_stream(
            stream, None, settings, strategy=strategy, on_progress=progress, split="all", steps=steps
        ),
        length=length,
        on_progress=on_progress,
    )
    training_sample = None
    if validation is None or not _has_both_classes(validation):
        training_sample = stream.load_split("train", max_held_out)
    threshold, threshold_source = choose_threshold(selection.model, training_sample, validation)
    calibration, note = held_out_calibration(selection.model, validation, refitted is not None)
    notes += [note] if note else []
    final = refitted or selection
    measured = (selection.model, test_split, "")
    strategy_name = "samples" if getattr(stream, "leakage_aware", True) else "random"
    if test_split is not None:
        which = "selection model" if refitted else "model"
        measured = (selection.model, test_split, _measured_text(which, test_split.n_pairs, strategy_name))
    if test is not None:
        pairs, text, note = _new_to_model(test, stream.chunks("all"))
        measured = (final.model, pairs, text)
        notes += [note] if note else []
    return _outcome(
        config,
        selection=selection,
        refitted=refitted,
        final_pairs=scan.n_pairs if refitted else counts["train"],
        threshold=(threshold, threshold_source),
        calibration=calibration,
        measured=measured,
        notes=notes,
        split_text=describe_counts(
            counts, strategy_name, test_split.n_pairs if test_split is not None else None
        ),
        info=getattr(scan, "info", None),
        feature_names=scan.feature_names,
        scan=scan,
    )


def _in_phase(on_progress: ProgressCallback | None, phase: str) -> ProgressCallback | None:
    if on_progress is None:
        return None
    return lambda progress: on_progress(dataclasses.replace(progress, phase=phase))


def _time_left(config: TrainConfig, started: float) -> float | None:
    if config.max_seconds is None:
        return None
    return max(config.max_seconds - (time.monotonic() - started), 1e-3)


SAMPLE_SKETCH = 4096  # distinct samples counted exactly up to this many, estimated beyond (about 1.6%)
COUNT_HASH_SEED = 2**63 + 1  # outside the seeds of splits ([0, 2**32)), so a split is no sample of its hash


def count_samples(chunks) -> int:
    """How many distinct samples (feature vectors) pairs hold, from `(left, right, ...)` chunks.

    Exact up to `SAMPLE_SKETCH` distinct samples; beyond, the k-minimum-values estimate over the samples'
    64-bit hashes (`sample_fractions`: equal vectors hash equal), so a stream is counted in one pass
    with memory for `SAMPLE_SKETCH` numbers. Relative error about 1 / sqrt(SAMPLE_SKETCH). The hash is
    one no split uses (`COUNT_HASH_SEED`): a split keeps the samples of a range of its own hash, and
    counted with that hash its part would hold the same smallest values as the whole.
    """
    smallest = np.empty(0)
    for left, right, *_ in chunks:
        fractions = sample_fractions(np.concatenate([left, right]), COUNT_HASH_SEED)
        smallest = np.unique(np.concatenate([smallest, fractions]))[:SAMPLE_SKETCH]
    if len(smallest) < SAMPLE_SKETCH:
        return len(smallest)
    return round((SAMPLE_SKETCH - 1) / smallest[-1])


def choose_threshold(model, train_pairs: PairSet | None, validation: PairSet | None) -> tuple[float, str]:
    """The best-accuracy threshold of `model` on the validation pairs, else on the training pairs."""
    pairs, source = train_pairs, "training pairs"
    if validation is not None and _has_both_classes(validation):
        pairs, source = validation, "validation pairs"
    _, threshold = best_accuracy_threshold(predict_distances(model, pairs.left, pairs.right), pairs.labels)
    return float(threshold), source


NO_CALIBRATION_NOTE = (
    "no calibrated probability of similar: the held-out pairs do not hold both similar and dissimilar "
    "pairs to fit it on"
)


def held_out_calibration(
    model, validation: PairSet | None, refitted: bool, *, folds=()
) -> tuple[Calibration | None, str]:
    """P(similar | distance) fitted on held-out pairs (`fit_calibration`), and a note when there is none.

    The pairs are those the model choosing the threshold (the selection model) validated on, and, on
    files small enough for the refit's length to come from cross-validation, each fold model's
    validation pairs (`folds`: out-of-fold distances, less any pair with a sample of the test split, so
    that no test pair's label is fitted on; the fold models did train on the test split's samples, as for
    the length they choose). None of the pairs was trained on by the model giving its distance; on its own
    training pairs a model is surer than it should be, so they are never used.

    After a refit, the final model uses it as it uses the threshold, as scikit-learn's
    `CalibratedClassifierCV(ensemble=False)` calibrates a classifier refit on all data with the
    out-of-fold predictions of its folds. On small files the fold models give most of the pairs (three
    to four times the validation pairs): with them the expected calibration error on separate test files
    was lower than with the validation pairs alone on each of the five cross-validated rows measured both
    ways (bench/bench_calibration.py; bench/README.md). The method, isotonic regression or a sigmoid, is
    the one with the lower cross-validated Brier score on these pairs (`fit_calibration`'s default,
    `siamese_core.calibration.choose_method`): a sigmoid on small files, whose few hundred pairs
    isotonic regression's steps over-fit. Carried over to a model trained on more samples it is only
    close: on the 300,000-pair row its expected calibration error is 0.031 to 0.041 with the final
    model's distances against 0.006 to 0.008 with the selection model's; rescaling the final model's
    distances by statistics of pairs both models trained on did not close the gap on every row, and the
    test pairs are never used to fit anything (bench/README.md).

    Args:
        model: The model that chose the threshold (the selection model).
        validation: Its validation pairs, or None.
        refitted: Whether the final model was refit on all pairs.
        folds: (distances, labels) of each cross-validation fold model on its validation pairs.

    Returns:
        (the calibration, "") or (None, a note saying why there is none).
    """
    parts, sources = list(folds), []
    if validation is not None and validation.n_pairs:
        parts.insert(0, (predict_distances(model, validation.left, validation.right), validation.labels))
        sources.append(f"{'the selection model' if refitted else 'the model'}'s validation pairs")
    if folds:
        sources.append(f"the out-of-fold pairs of its {len(folds)} cross-validation folds")
    labels = np.concatenate([part_labels for _, part_labels in parts]) if parts else np.zeros(0)
    if not 0 < int((labels == SIMILAR).sum()) < labels.size:
        return None, NO_CALIBRATION_NOTE
    distances = np.concatenate([part_distances for part_distances, _ in parts])
    return fit_calibration(distances, labels, pairs="held-out pairs: " + " and ".join(sources)), ""


def _fold_held_out(model, validation: PairSet, test: PairSet | None) -> tuple[np.ndarray, np.ndarray]:
    """A fold model's distances and labels for its validation pairs, less any pair with a sample of the
    test split."""
    if test is not None:
        validation = validation.subset(np.flatnonzero(~pair_samples_seen(validation, test)))
    return predict_distances(model, validation.left, validation.right), validation.labels


def _new_to_model(test: PairSet, seen) -> tuple[PairSet, str, str]:
    """The test pairs none of whose samples is in `seen`, how they are measured, and a note on the rest."""
    source = test.info.source if test.info else "the test file"
    shared = pair_samples_seen(test, seen)
    kept = test.subset(np.flatnonzero(~shared))
    note = ""
    if shared.any():
        note = (
            f"{int(shared.sum()):,} of {test.n_pairs:,} pairs of {source} share a sample with the training data "
            "and are left out of the metrics"
        )
    if kept.n_pairs == 0 or not _has_both_classes(kept):
        raise DataError(
            f"after leaving out the {int(shared.sum()):,} pairs that share a sample with the training data, "
            f"{kept.n_pairs:,} test pairs are left, not both similar and dissimilar ones: give a test file "
            "built from other samples",
            source=source,
        )
    return kept, f"the final model on {kept.n_pairs:,} pairs of {source}, whose samples it never saw", note


def _evaluate(model, pairs: PairSet | None, threshold: float, margin: float, calibration):
    if pairs is None or not _has_both_classes(pairs):
        return None
    distances = predict_distances(model, pairs.left, pairs.right)
    result = evaluate_distances(
        distances, pairs.labels, threshold=threshold, margin=margin, calibration=calibration
    )
    return result, distances


def score_pairs(bundle: SiameseBundle, pairs: PairSet) -> np.ndarray:
    """The model's distances for pairs from a file, features aligned by name."""
    pairs = align_features(bundle, pairs)
    return bundle.distances(pairs.left, pairs.right)


def _has_both_classes(pairs: PairSet) -> bool:
    n_similar = int(pairs.similar_mask.sum())
    return 0 < n_similar < pairs.n_pairs


def _mapping_dict(info) -> dict | None:
    if info is None or info.label_mapping is None:
        if info is not None and info.class_column:
            return {"column": info.class_column, "rule": "pairs of the same class are similar"}
        return None
    mapping = info.label_mapping
    return {
        "column": mapping.column,
        "similar_values": list(mapping.similar_values),
        "dissimilar_values": list(mapping.dissimilar_values),
        "reason": mapping.reason,
    }
