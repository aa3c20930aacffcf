"""How well distances separate similar from dissimilar pairs, drawn the same way on every page that shows it:
Evaluate (the loaded data) and Model files & scoring (a scored file with labels)."""

from __future__ import annotations

import math

import streamlit as st

from dashboard.text import plain
from siamese_core.error_budget import dissimilar_pairs_needed
from siamese_core.evaluation import EvalResult, ThresholdMetrics
from siamese_core.figures import confusion_figure, distance_histogram, reliability_figure, roc_figure

NO_CALIBRATION = (
    "This model has no calibration, so no probability of similar (p_similar): it was made before models "
    "kept one, or trained without held-out pairs of both classes. Retrain it to get one."
)


def render_metrics(metrics: ThresholdMetrics, result: EvalResult, intervals=None) -> None:
    """AUC and equal error rate, then accuracy, precision, recall and F1 at the threshold, then the true
    acceptance rates at the common false-match rates (`render_tar_metrics`).

    `intervals` (a `siamese_core.intervals.MetricIntervals` at `metrics.threshold`, or None) puts each
    metric's bootstrap interval under it, and how they were made under the row.
    """
    cells = st.columns(6)
    cells[0].metric("ROC AUC", f"{result.auc:.4f}")
    cells[1].metric("Equal error rate", f"{result.eer:.2%}")
    cells[2].metric("Accuracy", f"{metrics.accuracy:.2%}")
    cells[3].metric(
        "Precision", f"{metrics.precision:.2%}", help="Of the pairs called similar, the share that are."
    )
    cells[4].metric("Recall", f"{metrics.recall:.2%}", help="Of the similar pairs, the share called similar.")
    cells[5].metric("F1", f"{metrics.f1:.4f}")
    if intervals is not None:
        render_intervals(cells, intervals)
    render_tar_metrics(result)


# Each metric's interval, written as the metric is: (attribute of `MetricIntervals`, format).
_INTERVAL_FORMATS = (
    ("auc", ".4f"),
    ("eer", ".2%"),
    ("accuracy", ".2%"),
    ("precision", ".2%"),
    ("recall", ".2%"),
)


def render_intervals(cells, intervals) -> None:
    """Under each metric cell (the first five of `render_metrics`), "95% CI low to high"; then one line
    on how the intervals were made."""
    level = f"{intervals.confidence:.0%}"
    for cell, (name, form) in zip(cells, _INTERVAL_FORMATS, strict=False):
        interval = getattr(intervals, name)
        if interval is not None:
            low, high = (
                "n/a" if math.isnan(end) else format(end, form) for end in (interval.low, interval.high)
            )
            cell.caption(f"{level} CI {low} to {high}")
    st.caption(plain(intervals.describe()))


def render_tar_metrics(result: EvalResult) -> None:
    """The true acceptance rate at each common false-match rate (`EvalResult.tar_at_far`), "n/a" where the
    pairs have too few dissimilar ones to measure that rate."""
    cells = st.columns(6)
    for cell, (far, tar) in zip(cells, result.tar_at_far.items(), strict=False):
        rate = f"{far * 100:g}%"
        if tar is None:
            needed = dissimilar_pairs_needed(far)
            cell.metric(
                f"TAR at FAR {rate}",
                "n/a",
                help=f"Not measured: a false-match rate of {rate} needs at least {needed:,} dissimilar pairs "
                f"(one false match in {needed:,}); these pairs have {result.n_dissimilar:,}.",
            )
        else:
            cell.metric(
                f"TAR at FAR {rate}",
                f"{tar:.2%}",
                help=f"True acceptance rate: the share of similar pairs called similar at the threshold that "
                f"calls at most {rate} of the dissimilar pairs similar. That threshold is chosen on these "
                "pairs, so this flatters the model.",
            )


def render_charts(
    distances, labels, result: EvalResult, metrics: ThresholdMetrics, *, margin: float, key: str = ""
) -> None:
    """The distance histograms with the margin and the threshold, the confusion matrix and the ROC curve.

    Args:
        distances: (n,) distances.
        labels: (n,) 0 similar, 1 dissimilar.
        result: Their evaluation.
        metrics: The metrics at the threshold drawn.
        margin: The model's margin.
        key: A prefix for the charts' keys, unique on the page.
    """
    st.plotly_chart(
        distance_histogram(distances, labels, margin=margin, threshold=metrics.threshold),
        key=f"{key}histogram",
    )
    if result.dissimilar_inside_margin is not None:
        st.caption(f"{result.dissimilar_inside_margin:.1%} of dissimilar pairs are still inside the margin.")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(confusion_figure(metrics), key=f"{key}confusion")
    with right:
        st.plotly_chart(roc_figure(result), key=f"{key}roc")


def render_calibration(result: EvalResult, calibration, *, key: str = "") -> None:
    """How well the model's probability of similar (p_similar) is calibrated on these pairs: the Brier
    score and the expected calibration error (`EvalResult.calibration`), where the calibration comes from,
    and the reliability diagram; a note when the model has no calibration.

    Args:
        result: The evaluation, made with the model's calibration (`evaluate_distances(calibration=...)`).
        calibration: The model's `siamese_core.calibration.Calibration`, or None.
        key: A prefix for the chart's key, unique on the page.
    """
    st.subheader("Calibration of p_similar")
    metrics = result.calibration
    if calibration is None or metrics is None:
        st.info(NO_CALIBRATION, icon=":material/info:")
        return
    cells = st.columns(6)
    cells[0].metric(
        "Brier score",
        f"{metrics.brier:.4f}",
        help="Mean of (p_similar - outcome)², the outcome 1 for a similar pair and 0 for a dissimilar one: "
        "0 is perfect, 0.25 what always saying 0.5 scores.",
    )
    cells[1].metric(
        "Expected calibration error",
        f"{metrics.ece:.4f}",
        help=f"Over {metrics.bins} equal-width bins of p_similar, the mean gap between the mean prediction "
        "and the share of similar pairs, each bin weighted by its pairs: 0 is perfect.",
    )
    st.caption(plain(f"p_similar: {calibration.describe()}."))
    st.plotly_chart(reliability_figure(metrics), key=f"{key}reliability")
