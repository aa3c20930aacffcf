"""Compare two samples: distance, verdict, where it falls on the histograms, feature contributions,
and each sample's nearest neighbours."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import state
from dashboard.text import plain
from siamese_core import data as core_data
from siamese_core.errors import DataError, SiameseError
from siamese_core.figures import distance_histogram
from siamese_core.pairs import SampleSet

MODES = {
    "rows": "Pick rows of the data",
    "type": "Type or paste two vectors",
    "upload": "Upload a CSV of samples",
}
TOP_FEATURES = 15


def reference_samples() -> tuple[np.ndarray, list[str]]:
    """The distinct samples of the loaded data, with a description of each (for picking and neighbours)."""
    loaded = state.dataset()
    if loaded is None:
        return np.empty((0, state.bundle().n_features), dtype=np.float32), []
    if isinstance(loaded, SampleSet):
        names = [
            f"sample at row {row} (class {cls})" for row, cls in zip(loaded.rows, loaded.classes, strict=True)
        ]
        return loaded.features, names
    features = np.concatenate([loaded.left, loaded.right])
    names = [f"row {row}, first sample" for row in loaded.rows] + [
        f"row {row}, second sample" for row in loaded.rows
    ]
    return features, names


def parse_vector(text: str, n_features: int, what: str) -> np.ndarray:
    """Numbers separated by commas, semicolons, tabs or spaces; exactly `n_features` of them."""
    parts = [part for part in re.split(r"[,\s;]+", text.strip()) if part]
    if not parts:
        raise DataError(f"{what} is empty; type or paste {n_features} numbers")
    values = []
    for position, part in enumerate(parts, start=1):
        try:
            values.append(float(part))
        except ValueError:
            raise DataError(f"{what}: value {position} ('{part[:30]}') is not a number") from None
    if len(values) != n_features:
        raise DataError(f"{what} has {len(values)} numbers; the model expects {n_features}")
    vector = np.asarray(values, dtype=np.float64)
    if not np.isfinite(vector.astype(np.float32)).all():
        raise DataError(f"{what} has an infinite value or one too large for float32")
    return vector.astype(np.float32)


def pick_from_rows(features: np.ndarray, names: list[str], key: str, partner_of_first: int | None = None):
    """Two samples picked by number; B starts as A's partner in its pair when there is one."""
    if len(names) == 0:
        st.info("Load data on **Data & training** to pick rows from it, or type two vectors.")
        return None, None
    left, right = st.columns(2)
    picked = []
    default_b = partner_of_first if partner_of_first is not None else min(2, len(names))
    for column, label, default in ((left, "A", 1), (right, "B", default_b)):
        number = column.number_input(
            f"Sample {label} (1 to {len(names):,})", 1, len(names), default, key=f"{key}_{label}"
        )
        column.caption(plain(names[number - 1]))
        picked.append(features[number - 1])
    return picked[0], picked[1]


def typed_vectors(bundle):
    example = ", ".join(["0"] * min(bundle.n_features, 4)) + (", ..." if bundle.n_features > 4 else "")
    st.caption(
        f"{bundle.n_features} numbers each, in this order: {', '.join(bundle.feature_names[:8])}"
        f"{', ...' if bundle.n_features > 8 else ''} (e.g. {example})."
    )
    left, right = st.columns(2)
    text_a = left.text_area("Sample A", key="typed_a", height=100)
    text_b = right.text_area("Sample B", key="typed_b", height=100)
    if not (text_a.strip() and text_b.strip()):
        return None, None
    return parse_vector(text_a, bundle.n_features, "Sample A"), parse_vector(
        text_b, bundle.n_features, "Sample B"
    )


def uploaded_vectors(bundle):
    upload = st.file_uploader(
        "Samples CSV with the model's feature columns",
        type=["csv", "tsv", "txt"],
        key="compare_file",
        max_upload_size=state.MAX_UPLOAD_MB,
    )
    if upload is None:
        return None, None
    frame = core_data.read_csv(upload.getvalue(), name=upload.name)
    missing = [name for name in bundle.feature_names if name not in frame.columns]
    if missing:
        raise DataError(f"has no column {', '.join(missing[:5])} (the model's features)", source=upload.name)
    values = frame[bundle.feature_names].apply(pd.to_numeric, errors="coerce")
    complete = values.notna().all(axis=1).to_numpy()
    if not complete.any():
        raise DataError("has no row with all the model's features as numbers", source=upload.name)
    rows = np.flatnonzero(complete)
    features = values.to_numpy(np.float32)
    return pick_from_rows(features[rows], [f"row {row + 1}" for row in rows], "uploaded")


def render_comparison(bundle, sample_a, sample_b) -> None:
    comparison = bundle.compare(sample_a, sample_b)  # at the model's threshold, as set on Evaluate
    verdict = "similar" if comparison.similar else "dissimilar"
    left, middle, right = st.columns(3)
    left.metric("Distance", f"{comparison.distance:.4f}")
    middle.metric(
        "Verdict",
        verdict,
        help=f"Similar when the distance is at most the threshold {comparison.threshold:.4f}.",
    )
    right.metric("Threshold", f"{comparison.threshold:.4f}")

    evaluation = state.evaluation()
    if evaluation is not None:
        figure = distance_histogram(
            evaluation.distances,
            evaluation.pairs.labels,
            margin=bundle.margin,
            threshold=comparison.threshold,
            marker=comparison.distance,
            title=f"Where this pair falls: {evaluation.title}",
        )
        st.plotly_chart(figure, key="compare_histogram")

    st.subheader("What makes them different")
    st.caption(
        "Each feature's share of the distance (integrated gradients); the shares add up to the distance."
    )
    top = comparison.contributions.head(TOP_FEATURES)
    bars = go.Figure(go.Bar(x=top["contribution"][::-1], y=top["feature"][::-1].astype(str), orientation="h"))
    bars.update_layout(
        xaxis_title="contribution to the distance",
        height=60 + 24 * len(top),
        margin=dict(l=10, r=10, t=10, b=40),
    )
    st.plotly_chart(bars, key="contributions_chart")
    st.dataframe(comparison.contributions, hide_index=True, key="contributions")


def render_neighbours(bundle, sample_a, sample_b) -> None:
    features, names = reference_samples()
    if len(names) == 0:
        return
    st.subheader("Nearest neighbours in the data")
    if len(names) > state.REFERENCE_LIMIT:
        rows = np.random.default_rng(0).choice(len(names), state.REFERENCE_LIMIT, replace=False)
        features, names = features[rows], [names[i] for i in rows]
        st.caption(f"Searched a random {state.REFERENCE_LIMIT:,} of the data's samples.")
    for column, (label, sample) in zip(st.columns(2), (("A", sample_a), ("B", sample_b)), strict=True):
        indices, distances = bundle.nearest_neighbours(sample, features, k=5)
        column.markdown(f"**Sample {label}**")
        column.dataframe(
            pd.DataFrame({"sample": [names[i] for i in indices], "distance": distances}),
            hide_index=True,
            key=f"neighbours_{label}",
        )


def main() -> None:
    st.title("Compare two samples")
    if not state.require_model():
        return
    bundle = state.bundle()
    mode = st.radio("Samples", list(MODES), format_func=MODES.get, key="compare_mode", horizontal=True)
    try:
        if mode == "rows":
            features, names = reference_samples()
            partner = len(names) // 2 + 1 if not isinstance(state.dataset(), SampleSet) and names else None
            sample_a, sample_b = pick_from_rows(features, names, "pick", partner)
        elif mode == "type":
            sample_a, sample_b = typed_vectors(bundle)
        else:
            sample_a, sample_b = uploaded_vectors(bundle)
        if sample_a is None:
            return
        render_comparison(bundle, sample_a, sample_b)
        render_neighbours(bundle, sample_a, sample_b)
    except SiameseError as error:
        st.error(plain(error), icon=":material/error:")


main()
