"""`siamese train`: in memory, streamed a chunk at a time, or with a distribution strategy."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from siamese_core.cli.common import (
    describe_loaded,
    import_tensorflow_quietly,
    load_labeled,
    pair_options,
    print_metrics,
)
from siamese_core.errors import ConfigError
from siamese_core.outputs import check_outputs
from siamese_core.pairs import PairSet, SampleSet


class _ProgressPrinter:
    """A progress line on stderr: redrawn per batch on a terminal, one line per epoch otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr  # looked up now: a redirected stderr (tests, embedding) is used
        self.live = self.stream.isatty()

    def __call__(self, progress):
        width = 30
        done = int(width * progress.fraction)
        bar = "#" * done + "-" * (width - done)
        text = f"epoch {progress.epoch}/{progress.epochs} [{bar}] loss {progress.loss:.4f}"
        if progress.val_loss is not None:
            text += f" val_loss {progress.val_loss:.4f}"
        if self.live:
            self.stream.write("\r" + text + ("\n" if progress.stage == "epoch" else ""))
        elif progress.stage == "epoch":
            self.stream.write(text + "\n")
        self.stream.flush()


def run_train(args) -> int:
    out = Path(args.out)
    if out.suffix != ".keras":
        raise ConfigError(f"--out must end in .keras. Received: {args.out}")
    from siamese_core.config import TrainConfig

    settings = {
        "hidden": args.hidden,
        "embedding_dim": args.embedding_dim,
        "dropout": args.dropout,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "margin": args.margin,
        "seed": args.seed,
        "validation_fraction": args.validation_fraction,
        "early_stopping_patience": args.patience,
    }
    config = TrainConfig(**{key: value for key, value in settings.items() if value is not None})
    from siamese_core.cluster import worker_role

    role = worker_role(args.strategy)  # a wrong TF_CONFIG is reported before anything else
    if role.is_chief:  # the only worker that writes: the others may not even have the output folder
        check_outputs(
            {"--out": args.out, "--report": args.report},
            {"data": args.data, "samples": args.samples, "test": args.test},
        )
    log = _training_log(args) if role.is_chief else None  # the only worker that writes
    on_progress, samples = _with_log(_ProgressPrinter(), log), None
    if _streams(args):
        outcome = _fit_streamed(args, config, on_progress)
    elif args.strategy != "default":
        outcome = _fit_distributed(args, config, on_progress)
    else:
        data = load_labeled(args)  # bad settings and data are reported before TensorFlow's slow import
        test = _load_test(args, data)
        describe_loaded(data)
        splits = _splits(args, config, data, test)
        n_pairs = data.n_pairs if isinstance(data, PairSet) else None
        _print_plan(args, splits.describe(), n_pairs, splits.held_out)
        import_tensorflow_quietly()
        from siamese_core.pipeline import fit

        outcome = fit(
            data,
            config,
            test=test,
            test_fraction=0.0 if test is not None else args.test_fraction,
            leakage_aware=not args.no_leakage_check,
            refit=not args.no_refit,
            pairs_per_sample=args.pairs_per_sample,
            hard_negatives=args.hard_negatives,
            on_progress=on_progress,
            splits=splits,
        )
        samples = data if isinstance(data, SampleSet) and test is None else None
    print(outcome.describe_splits(), file=sys.stderr)
    if outcome.calibration is not None:
        print(f"p_similar: {outcome.calibration.describe()}", file=sys.stderr)
    for warning in outcome.result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    result = outcome.result
    if not role.is_chief:
        print(f"{role.describe()}: {_trained(outcome)}; the chief writes the model")
        return 0
    outcome.bundle.save(out)
    print(f"{_trained(outcome)}; saved {out}")
    if log is not None:
        _write_log_end(args, log, outcome, samples)
    if outcome.test is None:
        print("no test pairs with both classes: no test metrics (raise --test-fraction, or give --test)")
    else:
        print(f"held-out metrics of {outcome.measured} (threshold chosen on {outcome.threshold_source}):")
        print_metrics(outcome.test)
        if args.report:
            from siamese_core.report import model_info, render_report, write_report

            html = render_report(
                outcome.test,
                outcome.test_distances,
                outcome.test_pairs.labels,
                title=f"Held-out metrics of {outcome.measured}",
                model_info=model_info(outcome.bundle),
                history=(outcome.selection or result).history,  # the training whose metrics these are
                calibration=outcome.bundle.calibration,
                rows=outcome.test_pairs.rows
                if (outcome.test_pairs.rows >= 0).all()
                else None,  # -1: made pairs
                data_file=Path(args.test or args.data).name,
                split=outcome.describe_splits(),
            )
            write_report(args.report, html)
            print(f"report written to {args.report}")
    return 0


def _training_log(args):
    """The TensorBoard log of --log-dir (`siamese_core.tensorboard.TrainingLog`), checked before any work;
    None without it."""
    if not args.log_dir:
        return None
    from siamese_core.tensorboard import TrainingLog

    log_dir = Path(args.log_dir).absolute()
    for flag, path in (("--out", args.out), ("--report", args.report)):
        if path and Path(path).absolute() == log_dir:
            raise ConfigError(
                f"--log-dir {args.log_dir} is also the path of {flag}; give each output its own path"
            )
    for role, path in (("data", args.data), ("samples", args.samples), ("test", args.test)):
        if path and Path(path).is_dir() and Path(path).resolve() in log_dir.resolve().parents:
            raise ConfigError(
                f"--log-dir {args.log_dir} is inside the {role} folder {path}, whose files are read; choose a "
                "folder outside it for --log-dir"
            )
    return TrainingLog(args.log_dir, what="--log-dir")


def _with_log(printer, log):
    """The progress callback: the progress line, and the TensorBoard log when there is one."""
    if log is None:
        return printer

    def report(progress):
        printer(progress)
        log(progress)

    return report


def _write_log_end(args, log, outcome, samples) -> None:
    """The held-out embeddings for the Embedding Projector, then the log closed and where it is."""
    projector = log.write_held_out(outcome, separate_test=bool(args.test), samples=samples)
    log.close()
    projected = f"; Embedding Projector: {projector.describe()}" if projector is not None else ""
    print(
        f"TensorBoard logs in {args.log_dir} (runs: {', '.join(log.runs) or 'none'}){projected}; view them "
        f"with: tensorboard --logdir {args.log_dir}"
    )


def _trained(outcome) -> str:
    """How long the saved model trained, in words."""
    result = outcome.result
    if outcome.selection is not None:
        return (
            f"selection kept epoch {outcome.selection.best_epoch} of {outcome.selection.epochs_run}, then refit "
            f"on all {outcome.final_pairs:,} pairs for {result.steps_run:,} steps"
        )
    return f"trained {result.epochs_run} epochs (kept epoch {result.best_epoch})"


def _load_test(args, data):
    """The pairs of `--test` (read with the same options as DATA.csv), features in DATA.csv's order; None
    without it. Labeled samples are paired as the training samples are."""
    if not args.test:
        return None
    from siamese_core.pairing import prepare_test_pairs
    from siamese_core.pairs import SampleSet

    test = load_labeled(argparse.Namespace(**{**vars(args), "data": args.test}))
    if isinstance(test, SampleSet) != isinstance(data, SampleSet):
        kind = "labeled samples" if isinstance(data, SampleSet) else "pairs"
        raise ConfigError(f"--test {args.test} must hold {kind}, as {args.data} does")
    return prepare_test_pairs(
        test,
        data.feature_names,
        pairs_per_sample=args.pairs_per_sample,
        hard_negatives=args.hard_negatives,
        seed=args.seed or 0,
        what=f"the training data ({Path(args.data).name})",
    )


def _splits(args, config, data, test):
    from siamese_core.splits import make_splits

    return make_splits(
        data,
        validation_fraction=config.validation_fraction,
        test_fraction=0.0 if test is not None else args.test_fraction,
        seed=config.seed,
        leakage_aware=not args.no_leakage_check,
        pairs_per_sample=args.pairs_per_sample,
        hard_negatives=args.hard_negatives,
    )


def _print_plan(args, split_text: str, n_pairs: int | None, held_out) -> None:
    """How the pairs will be used, on stderr, before training starts."""
    from siamese_core.splits import plan_text

    text = plan_text(
        split_text,
        n_pairs,
        refit=not args.no_refit,
        held_out=bool(held_out),
        test_source=Path(args.test).name if args.test else None,
    )
    print(f"plan: {text}", file=sys.stderr)


def _streams(args) -> bool:
    """Whether `train` streams its data: asked for, or a folder or a Parquet file."""
    from siamese_core.sources import PARQUET_SUFFIXES

    path = Path(args.data)
    streamed = args.stream or path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES
    if streamed and (args.samples or args.class_column or args.id_columns):
        raise ConfigError(
            "streaming (--stream, a folder or a Parquet file) reads wide pair files, one pair per row; "
            "labeled samples and pairs by reference are paired in memory: drop --stream, or write the pairs "
            "out as a wide pair file"
        )
    return streamed


def _fit_streamed(args, config, on_progress):
    """Train on a file or folder read a chunk at a time (`siamese_core.streaming.PairStream`)."""
    from siamese_core.streaming import PairStream

    stream = PairStream(
        args.data,
        **pair_options(args),
        chunk_rows=args.chunk_rows,
        validation_fraction=config.validation_fraction,
        test_fraction=0.0 if args.test else args.test_fraction,
        seed=config.seed,
        leakage_aware=not args.no_leakage_check,
    )
    scan = stream.scan()  # every chunk validated before TensorFlow starts
    test = _load_test(args, scan)
    describe_loaded(scan)
    from siamese_core.splits import describe_counts

    held_out = any(scan.split_counts.get(name) for name in ("validation", "test", "dropped"))
    strategy = "samples" if stream.leakage_aware else "random"
    _print_plan(args, describe_counts(scan.split_counts, strategy), scan.n_pairs, held_out)
    return _fit_with_strategy(args, config, stream, test, on_progress)


def _fit_distributed(args, config, on_progress):
    """Train loaded data with a distribution strategy: the usual splits, served as a stream."""
    data = load_labeled(args)
    test = _load_test(args, data)
    describe_loaded(data)
    splits = _splits(args, config, data, test)
    if isinstance(data, PairSet):
        all_pairs = data
    else:
        from siamese_core.pairing import make_pairs

        all_pairs = make_pairs(
            data, pairs_per_sample=args.pairs_per_sample, hard_negatives=args.hard_negatives, seed=config.seed
        )
    _print_plan(args, splits.describe(), all_pairs.n_pairs, splits.held_out)
    import_tensorflow_quietly()
    from siamese_core.distributed import MemoryPairStream

    stream = MemoryPairStream(
        splits.train,
        splits.validation,
        splits.test,
        chunk_rows=args.chunk_rows,
        all_pairs=all_pairs,
        dropped=splits.dropped_pairs,
        leakage_aware=not args.no_leakage_check,
    )
    return _fit_with_strategy(args, config, stream, test, on_progress)


def _fit_with_strategy(args, config, stream, test, on_progress):
    import_tensorflow_quietly()
    from siamese_core.distributed import make_strategy
    from siamese_core.pipeline import fit_stream

    strategy = make_strategy(args.strategy)
    return fit_stream(
        stream, config, test=test, refit=not args.no_refit, strategy=strategy, on_progress=on_progress
    )
