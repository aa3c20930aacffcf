"""A standalone HTML report of an evaluation, readable offline.

The page carries plotly.js inline once, in its head, and every figure after that is a bare `<div>`
drawing with it. Everything that comes from user files (model info, file names, rows) is escaped.
"""

from __future__ import annotations

import html
import math

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from siamese_core.calibration import Calibration
from siamese_core.evaluation import EvalResult, hardest_pairs
from siamese_core.figures import (
    distance_histogram,
    histogram_comparison_figure,
    loss_figure,
    reliability_figure,
    roc_comparison_figure,
    roc_figure,
)
from siamese_core.outputs import atomic_write
from siamese_core.pairs import LabelMapping

FIGURE_HEIGHT = "460px"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.7rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.warnings { background: #fff4e5; border-left: 4px solid #ff9800; padding: 0.5rem 1rem; margin: 1rem 0; }
.figure { margin: 1rem 0 2rem; }
.note { color: #555; font-size: 0.9rem; margin-top: -1rem; }
"""


def _number(value, *, percent: bool = False) -> str:
    """A metric as text: "n/a" for None or NaN, thousands separators for counts, 4 decimals otherwise."""
    if value is None:
        return "n/a"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return f"{value:,}"
    value = float(value)
    if math.isnan(value):
        return "n/a"
    return f"{value:.1%}" if percent else f"{value:.4f}"


def _table(header: list[str] | None, rows: list[list[str]], *, numeric_columns: tuple[int, ...] = ()) -> str:
    """An HTML table (no header row when `header` is None); every cell is escaped here, so callers pass raw
    text, or `_Markup` for a cell that is HTML already."""
    head = (
        ""
        if header is None
        else "<thead><tr>" + "".join(f"<th>{_escaped(c)}</th>" for c in header) + "</tr></thead>"
    )
    body = []
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            css = ' class="number"' if index in numeric_columns else ""
            cells.append(f"<td{css}>{_escaped(cell)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table>{head}<tbody>{''.join(body)}</tbody></table>"


class _Markup(str):
    """HTML built here from escaped parts, which `_table` puts in a cell as it is."""


def _escaped(cell) -> str:
    return cell if isinstance(cell, _Markup) else html.escape(str(cell))


def _metrics_table(result: EvalResult) -> str:
    metrics = result.at_threshold
    rows = [
        ["pairs", _number(result.n_pairs)],
        ["similar pairs (label 0)", _number(result.n_similar)],
        ["dissimilar pairs (label 1)", _number(result.n_dissimilar)],
        ["ROC AUC", _number(result.auc), "auc"],
        ["equal error rate (EER)", _number(result.eer), "eer"],
        ["threshold at the EER", _number(result.eer_threshold)],
        ["best accuracy", _number(result.best_accuracy)],
        ["threshold of best accuracy", _number(result.best_threshold)],
        ["threshold used below", _number(result.threshold)],
        ["accuracy at the threshold", _number(metrics.accuracy), "accuracy"],
        ["precision at the threshold (similar = positive)", _number(metrics.precision), "precision"],
        ["recall at the threshold", _number(metrics.recall), "recall"],
        ["F1 at the threshold", _number(metrics.f1)],
        *(
            [
                f"true acceptance rate at {far:.1%} false matches (threshold chosen on these pairs)",
                "n/a (too few dissimilar pairs)" if tar is None else _number(tar),
            ]
            for far, tar in result.tar_at_far.items()
        ),
        *_calibration_rows(result),
        ["mean distance, similar pairs", _number(result.mean_distance_similar)],
        ["mean distance, dissimilar pairs", _number(result.mean_distance_dissimilar)],
        ["margin m", _number(result.margin)],
        [
            "dissimilar pairs inside the margin (D < m)",
            _number(result.dissimilar_inside_margin, percent=True),
        ],
    ]
    intervals = result.intervals
    if intervals is None:
        return _table(["metric", "value"], [row[:2] for row in rows], numeric_columns=(1,))
    # A third column: the bootstrap interval of the metrics that have one (`siamese_core.intervals`).
    cells = [[*row[:2], _interval(getattr(intervals, row[2])) if len(row) > 2 else ""] for row in rows]
    table = _table(["metric", "value", f"{intervals.confidence:.0%} interval"], cells, numeric_columns=(1, 2))
    return table + f'<p class="note">{html.escape(intervals.describe())}</p>'


def _calibration_rows(result: EvalResult) -> list[list[str]]:
    """The Brier score and the expected calibration error of p_similar, "n/a" without a calibration."""
    metrics = result.calibration
    if metrics is None:
        return [["Brier score of p_similar", "n/a (no calibration)"]]
    return [
        ["Brier score of p_similar", _number(metrics.brier)],
        [f"expected calibration error of p_similar ({metrics.bins} bins)", _number(metrics.ece)],
    ]


def _calibration_section(result: EvalResult, calibration: Calibration | None) -> list[str]:
    """The reliability diagram and table of p_similar on these pairs, and where the calibration comes from;
    a line saying there is none when there is none."""
    metrics = result.calibration
    if metrics is None:
        why = (
            "the model has no calibration (made before models kept one, or trained without held-out pairs "
            "of both classes)"
            if calibration is None
            else "it was not measured on these pairs"
        )
        return [f"<p>No calibrated probability of similar (p_similar): {html.escape(why)}.</p>"]
    sections = [
        "<p>p_similar is the model's calibrated probability that a pair is similar"
        + (f" ({html.escape(calibration.describe())})" if calibration is not None else "")
        + ". Each point is one bin of predicted probability: its mean prediction against the share of its "
        "pairs that are similar; on the diagonal, predictions are right on average. The expected "
        f"calibration error is the mean gap over the {metrics.bins} equal-width bins, each weighted by its "
        "pairs.</p>"
    ]
    sections.append(_figure_div(reliability_figure(metrics)))
    sections.append(
        _table(
            ["predicted probability", "mean predicted", "observed share similar", "pairs"],
            [
                [f"{low:.1f} to {high:.1f}", f"{predicted:.4f}", f"{observed:.4f}", f"{pairs:,}"]
                for low, high, predicted, observed, pairs in metrics.reliability.itertuples(index=False)
            ],
            numeric_columns=(1, 2, 3),
        )
    )
    return sections


def _interval(interval) -> str:
    """An interval as "0.9912 to 0.9981" ("n/a" for an end no resample measured)."""
    if interval is None:
        return ""
    return f"{_number(interval.low)} to {_number(interval.high)}"


def _confusion_table(result: EvalResult) -> str:
    (tp, fn), (fp, tn) = result.at_threshold.confusion_matrix().tolist()
    rows = [
        ["actually similar", _number(tp), _number(fn)],
        ["actually dissimilar", _number(fp), _number(tn)],
    ]
    return _table(
        [f"threshold {_number(result.threshold)}", "predicted similar", "predicted dissimilar"],
        rows,
        numeric_columns=(1, 2),
    )


def _info_value(value) -> str | _Markup:
    """A model fact for the Model table: a label mapping as a list of its two sides and how it was decided,
    other mappings (settings, versions) as a table of their own, lists as comma-separated values."""
    if isinstance(value, dict):
        if "similar_values" in value or "rule" in value:
            items = "".join(f"<li>{html.escape(line)}</li>" for line in _mapping_lines(value))
            return _Markup(f"<ul>{items}</ul>")
        return _Markup(
            _table(None, [[str(key).replace("_", " "), _plain(item)] for key, item in value.items()])
        )
    return _plain(value)


def _plain(value) -> str:
    """A setting's value as a person writes it: 256, 256 for a list; 0.003 for a float; none for None."""
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_plain(item)}" for key, item in value.items())
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _mapping_lines(mapping: dict) -> list[str]:
    """A model file's label mapping (see `SiameseBundle.label_mapping`) in words, one line per fact."""
    if "similar_values" not in mapping:
        return [f"class column {mapping.get('column', '')}: {mapping.get('rule', '')}"]

    def values(key: str) -> list[str]:  # a model file may come from anywhere: any JSON may be here
        found = mapping.get(key)
        return [str(value) for value in found] if isinstance(found, list) else [_plain(found)]

    described = LabelMapping(
        column=str(mapping.get("column", "")),
        similar_values=values("similar_values"),
        dissimilar_values=values("dissimilar_values"),
    )
    reason = mapping.get("reason")
    return [*described.sides(counts=False), *([f"decided by: {reason}"] if reason else [])]


def _data_table(result: EvalResult, data_file: str | None, split: str | None) -> str:
    """The data evaluated, and how the model's training data were split (pairs dropped included)."""
    rows = []
    if data_file:
        rows.append(["data file", data_file])
    rows.append(
        [
            "pairs evaluated",
            f"{result.n_pairs:,} ({result.n_similar:,} similar, {result.n_dissimilar:,} dissimilar)",
        ]
    )
    if isinstance(split, str) and split:
        # The split's parts, joined with "; " by `FitOutcome.describe_splits`: the counts per split, the
        # pairs dropped because their two samples fell into different splits, the refit, the measure.
        items = "".join(f"<li>{html.escape(part)}</li>" for part in split.split("; ") if part)
        rows.append(["training (as the model file records it)", _Markup(f"<ul>{items}</ul>")])
    return _table(None, rows)


def _figure_div(figure: go.Figure) -> str:
    body = figure.to_html(include_plotlyjs=False, full_html=False, default_height=FIGURE_HEIGHT)
    return f'<div class="figure">{body}</div>'


def model_info(bundle) -> dict:
    """What a report says of a model (`render_report`'s `model_info`): its features, margin, threshold, label
    mapping, training settings, versions and date; the CLI and the dashboard add how it was evaluated."""
    return {
        "features": f"{bundle.n_features} ({', '.join(bundle.feature_names[:6])}"
        f"{', ...' if bundle.n_features > 6 else ''})",
        "margin": bundle.margin,
        "threshold": round(bundle.threshold, 6),
        "label mapping": bundle.label_mapping,
        "training settings": bundle.train_config,
        "versions": bundle.versions,
        "created": bundle.created,
    }


def render_report(
    result: EvalResult,
    distances,
    labels,
    *,
    title: str = "Siamese model report",
    model_info: dict | None = None,
    history: dict | None = None,
    rows=None,
    data_file: str | None = None,
    split: str | None = None,
    calibration: Calibration | None = None,
) -> str:
    """A standalone HTML page of an evaluation.

    Args:
        result: The evaluation, from `evaluate_distances`; with `intervals=True` the metrics table gets a
            column of bootstrap intervals and a line on how they were made.
        distances: (n,) the distances it was computed from (for the histogram and the hardest pairs).
        labels: (n,) their labels, 0 similar and 1 dissimilar.
        title: The page's title.
        model_info: Key/value facts about the model (margin, threshold, settings...); shown escaped, a
            label mapping dict as a list, other dicts as tables.
        history: A training history ("loss", optionally "val_loss") for the loss curve.
        rows: (n,) the data row of each pair, for the hardest pairs table.
        data_file: The name of the file the pairs come from.
        split: How the model's training data were split and used (`FitOutcome.describe_splits`, kept in
            the model file's metrics as "split"), shown as a list.
        calibration: The model's calibration (`SiameseBundle.calibration`), said where it comes from; the
            Brier score, expected calibration error and reliability diagram are `result.calibration`'s
            (evaluate with `calibration=`), "n/a" without one.

    Returns:
        The page as one string, plotly.js included once.

    Raises:
        DataError: Distances and labels that do not fit together (see `hardest_pairs`).
    """
    sections = [f"<h1>{html.escape(title)}</h1>"]
    sections.append(
        f"<p>{_number(result.n_pairs)} pairs; a pair is predicted similar when its distance is at or "
        f"below the threshold ({_number(result.threshold)}).</p>"
    )
    if result.warnings:
        items = "".join(f"<li>{html.escape(warning)}</li>" for warning in result.warnings)
        sections.append(f'<div class="warnings"><strong>Warnings</strong><ul>{items}</ul></div>')

    sections.append("<h2>Data</h2>")
    sections.append(_data_table(result, data_file, split))

    sections.append("<h2>Metrics</h2>")
    sections.append(_metrics_table(result))
    sections.append("<h3>Confusion matrix</h3>")
    sections.append(_confusion_table(result))

    if model_info:
        sections.append("<h2>Model</h2>")
        sections.append(_table(None, [[key, _info_value(value)] for key, value in model_info.items()]))

    sections.append("<h2>Distances</h2>")
    sections.append(
        _figure_div(
            distance_histogram(
                distances,
                labels,
                margin=result.margin,
                threshold=result.threshold,
                title="Distances of similar and dissimilar pairs",
            )
        )
    )
    sections.append("<h2>ROC curve</h2>")
    sections.append(_figure_div(roc_figure(result)))
    sections.append("<h2>Calibration of p_similar</h2>")
    sections.extend(_calibration_section(result, calibration))
    if history and history.get("loss"):
        sections.append("<h2>Training</h2>")
        sections.append(_figure_div(loss_figure(history)))

    hardest = hardest_pairs(distances, labels, k=10, rows=rows)
    sections.append("<h2>Hardest pairs</h2>")
    sections.append(
        "<p>Similar pairs the model puts farthest apart, then dissimilar pairs it puts closest.</p>"
    )
    sections.append(
        _table(
            ["kind", "row", "distance", "label"],
            [
                [kind, row, f"{distance:.4f}", label]
                for kind, row, distance, label in hardest.itertuples(index=False)
            ],
            numeric_columns=(1, 2, 3),
        )
    )

    return _page(title, sections)


def render_comparison_report(comparison, *, data_file: str | None = None) -> str:
    """A standalone HTML page comparing two models on the same pairs (`comparison.compare_models`).

    Args:
        comparison: The `ModelComparison`.
        data_file: The name of the file the pairs come from.

    Returns:
        The page as one string, plotly.js included once: the verdict, the table of both AUCs with their
        intervals and the paired interval of the difference (`ModelComparison.summary`), how the intervals
        were made, the overlaid ROC curves and each model's distance histograms.
    """
    names = [f"{letter}: {name}" for letter, name in zip("AB", comparison.names, strict=True)]
    first = comparison.results[0]
    title = f"{comparison.names[0]} against {comparison.names[1]}"
    pairs = (
        f"{_number(first.n_pairs)} pairs{f' of {data_file}' if data_file else ''} ({_number(first.n_similar)} "
        f"similar, {_number(first.n_dissimilar)} dissimilar), the same for both models, each at its own saved "
        "threshold"
    )
    rows = [[f"model {letter}", name] for letter, name in zip("AB", comparison.names, strict=True)]
    rows += [[what, value] for what, value in comparison.summary()]
    warnings = [
        f"model {letter}: {warning}"
        for letter, result in zip("AB", comparison.results, strict=True)
        for warning in result.warnings
    ]
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(pairs)}.</p>",
        f"<p><strong>Verdict: {html.escape(comparison.auc.verdict())}.</strong></p>",
    ]
    if warnings:
        items = "".join(f"<li>{html.escape(warning)}</li>" for warning in warnings)
        sections.append(f'<div class="warnings"><strong>Warnings</strong><ul>{items}</ul></div>')
    sections += [
        "<h2>Metrics</h2>",
        _table(None, rows),
        f'<p class="note">{html.escape(comparison.auc.describe())}</p>',
        "<h2>ROC curves</h2>",
        _figure_div(roc_comparison_figure(comparison.results, names=names)),
        "<h2>Distances</h2>",
        _figure_div(
            histogram_comparison_figure(
                comparison.distances,
                comparison.labels,
                thresholds=tuple(result.threshold for result in comparison.results),
                names=names,
            )
        ),
    ]
    return _page(title, sections)


def _page(title: str, sections: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
        "</head>\n<body>\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )


def write_report(path, html: str) -> None:
    """Write the page atomically (see `siamese_core.outputs.atomic_write`).

    A reader never sees half a page, and if writing fails an existing report stays as it was.

    Args:
        path: Where the report goes.
        html: The page, from `render_report`.

    Raises:
        ConfigError: The path is a folder, or its folder does not exist or cannot be written.
    """
    with atomic_write(path) as temporary:
        temporary.write_text(html, encoding="utf-8")
