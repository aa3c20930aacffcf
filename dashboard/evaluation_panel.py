"""How well distances separate similar from dissimilar pairs, drawn the same way on every page that shows it:
Evaluate (the loaded data) and Model files & scoring (a scored file with labels)."""

from __future__ import annotations

import streamlit as st

from siamese_core.evaluation import EvalResult, ThresholdMetrics
from siamese_core.figures import confusion_figure, distance_histogram, roc_figure


def render_metrics(metrics: ThresholdMetrics, result: EvalResult) -> None:
    """AUC and equal error rate, then accuracy, precision, recall and F1 at the threshold."""
    cells = st.columns(6)
    cells[0].metric("ROC AUC", f"{result.auc:.4f}")
    cells[1].metric("Equal error rate", f"{result.eer:.2%}")
    cells[2].metric("Accuracy", f"{metrics.accuracy:.2%}")
    cells[3].metric(
        "Precision", f"{metrics.precision:.2%}", help="Of the pairs called similar, the share that are."
    )
    cells[4].metric("Recall", f"{metrics.recall:.2%}", help="Of the similar pairs, the share called similar.")
    cells[5].metric("F1", f"{metrics.f1:.4f}")


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
