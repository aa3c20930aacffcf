"""The commands that use a saved model: evaluate, report, score, compare-models, embed, duplicates, export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from siamese_core.cli.common import (
    import_tensorflow_quietly,
    labeled_pairs,
    no_calibration_note,
    print_metrics,
)
from siamese_core.errors import ConfigError
from siamese_core.outputs import check_outputs


def run_export(args) -> int:
    from siamese_core.export import check_export_folder

    check_export_folder(args.folder, model_path=args.model, what="DIR")
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.export import export_saved_model

    bundle = load_model(args.model)
    exported = export_saved_model(bundle, args.folder, model_path=args.model, what="DIR")
    print(
        f"exported {Path(args.model).name} as a TensorFlow SavedModel to {args.folder}: signatures "
        f"distance(a, b) (the default) and embed(x), each row {exported.n_features} float32 features in the "
        f"order {exported.metadata_path} lists; serve the folder as version 1 of a model "
        "(docs/serving.md)"
    )
    return 0


def _evaluate(args):
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.evaluation import evaluate_distances
    from siamese_core.intervals import pair_sample_ids
    from siamese_core.pipeline import score_pairs

    bundle = load_model(args.model)
    pairs = labeled_pairs(args)
    distances = score_pairs(bundle, pairs)
    if bundle.calibration is None:
        print(no_calibration_note(Path(args.model).name), file=sys.stderr)
    threshold = bundle.threshold if args.threshold is None else args.threshold
    if args.threshold_at is not None:
        threshold = args.threshold_at.threshold(distances, pairs.labels)
        print(
            f"threshold {threshold!r} chosen for {args.threshold_at.describe()} on the {pairs.n_pairs:,} "
            f"pairs of {Path(args.data).name}; chosen on the pairs it is measured on, it flatters the model",
            file=sys.stderr,
        )
    return (
        bundle,
        pairs,
        distances,
        # Bootstrap intervals resampling the samples (equal feature vectors), not the pairs alone.
        evaluate_distances(
            distances,
            pairs.labels,
            threshold=threshold,
            margin=bundle.margin,
            intervals=True,
            sample_ids=pair_sample_ids(pairs.left, pairs.right),
            calibration=bundle.calibration,
        ),
    )


def run_evaluate(args) -> int:
    _, _, _, result = _evaluate(args)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print_metrics(result)
    return 0


def run_report(args) -> int:
    from siamese_core.report import model_info, render_report, write_report

    check_outputs({"-o": args.output}, {"model": args.model, "data": args.data, "samples": args.samples})
    bundle, pairs, distances, result = _evaluate(args)
    html = render_report(
        result,
        distances,
        pairs.labels,
        title=f"Siamese model report: {Path(args.model).name} on {Path(args.data).name}",
        model_info=model_info(bundle) | _threshold_used(args, result.threshold),
        history=bundle.history,
        calibration=bundle.calibration,
        rows=pairs.rows,
        data_file=Path(args.data).name,
        split=bundle.metrics.get("split") if isinstance(bundle.metrics.get("split"), str) else None,
    )
    write_report(args.output, html)
    print(f"report written to {args.output}")
    return 0


def _threshold_used(args, threshold: float) -> dict:
    """The report's line on a threshold chosen by --threshold-at; nothing otherwise."""
    if args.threshold_at is None:
        return {}
    return {
        "threshold used": f"{threshold:.6g}, chosen for {args.threshold_at.describe()} on the pairs of this "
        "report (chosen on the pairs it is measured on, it flatters the model)"
    }


def _labelled_to_choose_on(args, bundle):
    """Score's DATA read whole with its labels, to choose --threshold-at on: (distances, pairs).

    Scoring reads no labels and may stream a folder or a Parquet file; choosing a threshold needs the
    labels of one pair CSV, so anything else is refused with the way to choose it on labelled pairs.
    """
    from siamese_core import data
    from siamese_core.pipeline import score_pairs
    from siamese_core.sources import PARQUET_SUFFIXES

    target, path = args.threshold_at, Path(args.data)
    advice = (
        f"choose the threshold on labelled pairs with `siamese evaluate MODEL LABELLED.csv --threshold-at "
        f"{target.kind}={target.value:g}`, then score with the threshold it prints as --threshold"
    )
    if path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES:
        kind = "a folder" if path.is_dir() else "a Parquet file"
        raise ConfigError(
            f"--threshold-at on score chooses the threshold on the labels of one pair CSV, read whole; "
            f"{path.name} is {kind}: {advice}"
        )
    if args.label_column is None and data.detect_label_column(data.read_header(args.data)) is None:
        raise ConfigError(
            f"--threshold-at chooses the threshold on labelled pairs, and {path.name} has no label column "
            f"(such as label, y or same; name another with --label-column): {advice}"
        )
    pairs = data.load_pair_csv(
        args.data,
        label_column=args.label_column,
        similar_label=args.similar_label,
        drop_missing=args.drop_missing,
    )
    return score_pairs(bundle, pairs), pairs


def run_score(args) -> int:
    if args.threshold_at is None and (args.label_column or args.similar_label):
        raise ConfigError(
            "--label-column and --similar-label serve --threshold-at only: score reads no labels otherwise"
        )
    check_outputs({"-o": args.output}, {"model": args.model, "data": args.data})
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.scoring import score_file

    bundle = load_model(args.model)
    threshold = bundle.threshold if args.threshold is None else args.threshold
    chosen = ""
    if args.threshold_at is not None:
        distances, pairs = _labelled_to_choose_on(args, bundle)
        threshold = args.threshold_at.threshold(distances, pairs.labels)
        chosen = (
            f" (chosen for {args.threshold_at.describe()} on the {pairs.n_pairs:,} labelled pairs of "
            f"{Path(args.data).name}: its verdicts on those very pairs flatter the model)"
        )
    written = score_file(bundle, args.data, args.output, threshold=threshold, drop_missing=args.drop_missing)
    if written.columns.p_similar is None:
        print(no_calibration_note(Path(args.model).name), file=sys.stderr)
    renamed = written.columns.renamed()
    print(
        f"scored {written.n_scored:,} pairs at threshold {threshold:.4f}{chosen}; wrote {args.output}"
        + (f" ({renamed})" if renamed else "")
    )
    return 0


def run_compare_models(args) -> int:
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.comparison import compare_models

    if args.report:
        check_outputs(
            {"--report": args.report},
            {"A.keras": args.model_a, "B.keras": args.model_b, "data": args.data, "samples": args.samples},
        )
    bundles = [load_model(path) for path in (args.model_a, args.model_b)]
    names = (Path(args.model_a).name, Path(args.model_b).name)
    comparison = compare_models(*bundles, labeled_pairs(args), names=names)
    if args.json:
        print(json.dumps(comparison.to_dict()))
    else:
        _print_comparison(comparison, Path(args.data).name)
    if args.report:
        from siamese_core.report import render_comparison_report, write_report

        write_report(args.report, render_comparison_report(comparison, data_file=Path(args.data).name))
        print(f"report written to {args.report}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _print_comparison(comparison, data_name: str, stream=None) -> None:
    """Both models' AUCs with their intervals, the difference with its paired interval, and the verdict."""
    stream = stream or sys.stdout
    auc, first = comparison.auc, comparison.results[0]
    for letter, name, result in zip("AB", comparison.names, comparison.results, strict=True):
        print(f"model {letter}: {name} (threshold {result.threshold:.4f})", file=stream)
    print(
        f"pairs: {first.n_pairs:,} of {data_name} ({first.n_similar:,} similar, {first.n_dissimilar:,} "
        "dissimilar), the same for both models",
        file=stream,
    )
    for label, value in comparison.summary():
        print(f"  {label:<24} {value}", file=stream)
    print(f"  intervals: {auc.describe()}", file=stream)
    for letter, result in zip("AB", comparison.results, strict=True):
        for warning in result.warnings:
            print(f"  warning (model {letter}): {warning}", file=stream)
    print(f"verdict: {auc.verdict()}", file=stream)


def run_embed(args) -> int:
    from siamese_core.embedding import check_parquet_output

    check_parquet_output(args.output, flag="-o")
    check_outputs({"-o": args.output}, {"model": args.model, "data": args.data})
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.embedding import write_embeddings

    bundle = load_model(args.model)
    written = write_embeddings(bundle, args.data, args.output, id_column=args.id_column)
    width = len(written.columns) - 1 - (args.id_column is not None)
    print(f"embedded {written.n_rows:,} rows ({width} dimensions); wrote {args.output}")
    return 0


def run_duplicates(args) -> int:
    check_outputs({"-o": args.output}, {"model": args.model, "data": args.data, "other table": args.against})
    import_tensorflow_quietly()
    from siamese_core.bundle import load_model
    from siamese_core.duplicates import write_duplicates

    bundle = load_model(args.model)
    found = write_duplicates(
        bundle,
        args.data,
        args.output,
        against=args.against,
        threshold=args.threshold,
        top=args.top,
        k=args.k,
        id_column=args.id_column,
    )
    if bundle.calibration is None:
        print(no_calibration_note(Path(args.model).name), file=sys.stderr)
    if args.threshold is None and args.top is None:
        print(
            f"note: pairs kept at the model's threshold, {bundle.threshold:.6g} (set one with --threshold, or "
            "keep the N closest pairs with --top N)",
            file=sys.stderr,
        )
    print(f"{found.describe()}; wrote {args.output}")
    return 0
