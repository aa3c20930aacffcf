"""Compare two samples: distance, verdict, where it falls on the histograms, feature contributions,
and each sample's nearest neighbours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.evaluation_panel import NO_CALIBRATION
from dashboard.text import plain
from siamese_core import data as core_data
from siamese_core.embedding import complete_samples, parse_vector
from siamese_core.errors import DataError, SiameseError, shown
from siamese_core.figures import contributions_figure, distance_histogram
from siamese_core.pairs import SampleSet, align_features

MODES = {
    "rows": "Pick samples of the loaded data",
    "type": "Type or paste two vectors",
    "upload": "Upload a CSV of samples",
}
TOP_FEATURES = 15
SIDES = ("first", "second")
PICK_BY = {"row": "Row", "id": "Id"}


def loaded_samples():
    """The loaded data (PairSet or SampleSet) with its features in the model's order, or None.

    Raises:
        DataError: The data's features are not the model's (`align_features` says which differ).
    """
    loaded = state.dataset()
    return None if loaded is None else align_features(state.bundle(), loaded)


def reference_samples() -> tuple[np.ndarray, list[str]] | None:
    """The samples of the loaded data, with a description of each (for the nearest neighbours): each
    sample once when the data name their samples (labeled samples, pairs by reference). None when there
    are no data, or their features are not the model's."""
    try:
        loaded = loaded_samples()
    except DataError:
        return None
    if loaded is None:
        return None
    if isinstance(loaded, SampleSet):
        return loaded.features, [_sample_name(loaded, index) for index in range(loaded.n_samples)]
    features = np.stack((loaded.left, loaded.right), axis=1).reshape(-1, loaded.n_features)
    if loaded.sample_ids is not None:
        ids, first = np.unique(loaded.sample_ids.reshape(-1).astype(str), return_index=True)
        return features[first], [f"id {ident}" for ident in ids]
    return features, [f"row {row}, {side} sample" for row in loaded.rows for side in SIDES]


def _sample_name(samples: SampleSet, index: int) -> str:
    ident = "" if samples.ids is None else f"id {samples.ids[index]}, "
    return f"{ident}row {samples.rows[index]} (class {samples.classes[index]})"


def _pick_by(column, label: str, ids) -> str:
    """How the user picks sample `label`: by "row", or by "id" when the samples have ids."""
    if ids is None:
        return "row"
    return column.radio(
        f"Pick sample {label} by",
        list(PICK_BY),
        format_func=PICK_BY.get,
        key=f"pick_{label}_by",
        horizontal=True,
    )


def _pick_row(column, label: str, what: str, rows: np.ndarray, default: int, key: str = "pick") -> int | None:
    """The position in `rows` of the data row the user typed; None (with a message) if it is not there."""
    first, last = int(rows.min()), int(rows.max())
    row = column.number_input(
        f"Sample {label}: {what} ({first:,} to {last:,})",
        first,
        last,
        int(rows[default]),
        key=f"{key}_{label}_row",
    )
    found = np.flatnonzero(rows == row)
    if found.size == 0:
        column.error(
            f"Row {row:,} is not among the samples (it was left out for missing values): choose another in "
            f"**Sample {label}: {what}**.",
            icon=":material/error:",
        )
        return None
    return int(found[0])


def _pick_id(column, label: str, ids: np.ndarray) -> int | None:
    """The position in `ids` of the id the user typed (its first); None (with a message) if none matches."""
    typed = column.text_input(f"Sample {label}: id", key=f"pick_{label}_id", placeholder=f"such as {ids[0]}")
    typed = (typed or "").strip()  # ids are matched as text without surrounding spaces, as when loading
    if not typed:
        column.caption(f"Type the id of sample {label}.")
        return None
    found = np.flatnonzero(ids.astype(str) == typed)
    if found.size == 0:
        column.error(
            f"No sample has the id '{plain(shown(typed))}': check **Sample {label}: id**.",
            icon=":material/error:",
        )
        return None
    return int(found[0])


def _pick_in_samples(column, samples: SampleSet, label: str, default: int):
    """A sample of a labeled samples file, by its row or its id."""
    if _pick_by(column, label, samples.ids) == "id":
        index = _pick_id(column, label, samples.ids)
    else:
        index = _pick_row(column, label, "row of the samples file", samples.rows, default)
    if index is None:
        return None
    column.caption(plain(_sample_name(samples, index)))
    return samples.features[index]


def _pick_in_pairs(column, pairs, label: str, default_side: int):
    """One side of a pair: by the pair's row and the side, or by a sample's id (pairs by reference)."""
    if _pick_by(column, label, pairs.sample_ids) == "id":
        found = _pick_id(column, label, pairs.sample_ids.reshape(-1))
        if found is None:
            return None
        index, side = divmod(found, 2)
    else:
        index = _pick_row(column, label, "pair row", pairs.rows, 0)
        side = column.radio(
            f"Sample {label}: side",
            [0, 1],
            index=default_side,
            format_func=lambda side: f"{SIDES[side]} sample",
            key=f"pick_{label}_side",
            horizontal=True,
        )
        if index is None:
            return None
    ident = "" if pairs.sample_ids is None else f"id {pairs.sample_ids[index, side]}, "
    column.caption(plain(f"{ident}row {pairs.rows[index]}, {SIDES[side]} sample"))
    return (pairs.left, pairs.right)[side][index]


def pick_from_data():
    """Two samples of the loaded data: A is the first pair's first sample and B its second, to begin with
    (for labeled samples, the first two samples)."""
    try:
        loaded = loaded_samples()
    except DataError as error:
        st.error(
            f"{plain(error)}. Load data with the model's features on **Data & training**, or choose "
            "**Type or paste two vectors** above.",
            icon=":material/error:",
        )
        return None, None
    if loaded is None:
        st.info("Load data on **Data & training** to pick samples from it, or type two vectors.")
        return None, None
    left, right = st.columns(2)
    if isinstance(loaded, SampleSet):
        return (
            _pick_in_samples(left, loaded, "A", 0),
            _pick_in_samples(right, loaded, "B", min(1, loaded.n_samples - 1)),
        )
    return _pick_in_pairs(left, loaded, "A", 0), _pick_in_pairs(right, loaded, "B", 1)


def typed_vectors(bundle):
    st.caption(
        f"{bundle.n_features} numbers each, separated by commas, spaces or tabs, in the model's feature order:"
    )
    st.code(", ".join(bundle.feature_names), language=None, wrap_lines=True)
    samples = []
    for column, label in zip(st.columns(2), ("A", "B"), strict=True):
        text = column.text_area(f"Sample {label}", key=f"typed_{label.lower()}", height=100)
        vector = None
        if text.strip():
            try:
                vector = parse_vector(text, bundle.n_features, f"Sample {label}")
            except DataError as error:
                column.error(plain(error), icon=":material/error:")
            else:
                column.caption(f"Sample {label}: {bundle.n_features} numbers read.")
        samples.append(vector)
    ready = [label for label, vector in zip("AB", samples, strict=True) if vector is not None]
    if len(ready) == 1:
        other = "B" if ready == ["A"] else "A"
        st.info(f"Sample {ready[0]} is read. Type or paste sample {other} to compare them.")
    return tuple(samples) if len(ready) == 2 else (None, None)


def uploaded_vectors(bundle):
    upload = state.uploaded("Samples CSV with the model's feature columns", "compare_file")
    if upload is None:
        return None, None
    frame = core_data.read_csv(upload.getvalue(), name=upload.name)
    features, file_rows = complete_samples(frame, bundle, name=upload.name)
    left, right = st.columns(2)
    picked = []
    for column, label, default in ((left, "A", 0), (right, "B", min(1, file_rows.size - 1))):
        index = _pick_row(column, label, "row of the file", file_rows, default, "uploaded")
        picked.append(None if index is None else features[index])
    return tuple(picked) if all(sample is not None for sample in picked) else (None, None)


def render_comparison(bundle, sample_a, sample_b) -> None:
    comparison = bundle.compare(sample_a, sample_b)  # at the model's threshold, as set on Evaluate
    verdict = "similar" if comparison.similar else "dissimilar"
    distance, probability, decided, threshold = st.columns(4)
    distance.metric("Distance", f"{comparison.distance:.4f}")
    if comparison.p_similar is None:
        probability.metric("P(similar)", "n/a", help=NO_CALIBRATION)
    else:
        probability.metric(
            "P(similar)",
            f"{comparison.p_similar:.3f}",
            help=plain(
                "p_similar: the calibrated probability that a pair at this distance is similar, by "
                f"{bundle.calibration.describe()}."
            ),
        )
    decided.metric(
        "Verdict",
        verdict,
        help=f"Similar when the distance is at most the threshold {comparison.threshold:.4f}.",
    )
    threshold.metric("Threshold", f"{comparison.threshold:.4f}")

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
    st.plotly_chart(contributions_figure(comparison.contributions, TOP_FEATURES), key="contributions_chart")
    st.dataframe(comparison.contributions, hide_index=True, key="contributions")


def render_neighbours(bundle, sample_a, sample_b) -> None:
    reference = reference_samples()
    if reference is None:
        return
    features, names = reference
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
            sample_a, sample_b = pick_from_data()
        elif mode == "type":
            sample_a, sample_b = typed_vectors(bundle)
        else:
            sample_a, sample_b = uploaded_vectors(bundle)
        if sample_a is None or sample_b is None:
            return
        render_comparison(bundle, sample_a, sample_b)
        render_neighbours(bundle, sample_a, sample_b)
    except SiameseError as error:
        st.error(plain(error), icon=":material/error:")


main()
