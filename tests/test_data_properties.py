"""Property tests for siamese_core.data: whatever comes in, a loader returns valid values or a user error.

tests/test_data.py already feeds random bytes and CSV-like text with a random header to `load_pair_csv`.
These add what it leaves out: valid pair, samples and pairs-by-reference files with a few hostile cells
planted (so the value checks, not only the header checks, are exercised), exact round trips of valid
float32 values in every delimiter, `map_labels` on mixed Python values, and `load_samples_csv` on any input.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from siamese_core.data import load_pair_csv, load_pairs_by_reference, load_samples_csv, map_labels
from siamese_core.errors import SiameseError
from siamese_core.pairs import DISSIMILAR, SIMILAR

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Cells that a spreadsheet or a careless export writes: numbers at float32's edges, non-finite spellings,
# formulas, quotes, delimiters, line breaks and text.
HOSTILE_CELLS = st.one_of(
    st.sampled_from(
        [
            "0", "1", "-0.0", "+1", ".5", "5.", "1e-50", "1e38", "3.4028235e38", "3.5e38", "1e308", "1e309",
            "-1e308", "nan", "NaN", "NA", "null", "inf", "-inf", "Infinity", "-Infinity", "0x10", "1_000",
            "1,5", "1.5.5", " 2 ", "", " ", '"', '""', '"a,b"', '"x\ny"', "=1+1", '=HYPERLINK("http://x")',
            "@SUM(A1)", "same", "different", "true", "2", "\u00a0", "١",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=5),
)  # fmt: skip
DELIMITERS = st.sampled_from([",", ";", "\t"])


def assert_pairs_or_user_error(load) -> None:
    """`load()` returns a valid PairSet or raises a SiameseError; anything else fails the test."""
    try:
        pairs = load()
    except SiameseError:
        event("user error")
        return
    event("loaded")  # --hypothesis-show-statistics: how often each path is taken
    assert pairs.left.dtype == np.float32 and pairs.right.dtype == np.float32
    assert pairs.left.ndim == 2 and pairs.left.shape == pairs.right.shape
    assert pairs.left.shape == (pairs.n_pairs, len(pairs.feature_names))
    assert np.isfinite(pairs.left).all() and np.isfinite(pairs.right).all()
    assert pairs.labels.dtype == np.float32 and set(np.unique(pairs.labels).tolist()) <= {0.0, 1.0}
    mapping = pairs.info.label_mapping
    assert mapping.n_similar == int((pairs.labels == SIMILAR).sum()) >= 2
    assert mapping.n_dissimilar == int((pairs.labels == DISSIMILAR).sum()) >= 2
    assert len(pairs.rows) == pairs.n_pairs


def _write(rows: list[list[str]], delimiter: str, line_end: str = "\n", bom: bool = False) -> bytes:
    text = line_end.join(delimiter.join(row) for row in rows) + line_end
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


# --------------------------------------------------------------------------------------------------
# (a) load_pair_csv
# --------------------------------------------------------------------------------------------------


def _plant(rows: list[list[str]], plants: list[tuple[int, int, str]]) -> list[list[str]]:
    """`rows` with a few cells replaced: (row, column, value), positions taken modulo the table's size."""
    rows = [list(row) for row in rows]
    for row, column, value in plants:
        rows[row % len(rows)][column % len(rows[0])] = value
    return rows


PLANTS = st.lists(st.tuples(st.integers(0, 20), st.integers(0, 10), HOSTILE_CELLS), max_size=3)


@SETTINGS
@given(
    st.integers(1, 3),
    st.lists(st.sampled_from(["0", "1"]), max_size=6),
    PLANTS,
    DELIMITERS,
    st.booleans(),
    st.sampled_from(["\n", "\r\n"]),
)
def test_hostile_cells_in_a_valid_pair_file_give_pairs_or_a_user_error(
    width, labels, plants, delimiter, bom, eol
):
    """A valid file (labels, both sides, an ignored note) with up to three cells replaced by hostile ones."""
    header = ["label"] + [f"a_{i}" for i in range(width)] + [f"b_{i}" for i in range(width)] + ["note"]
    labels = ["0", "1", "0", "1", *labels]
    body = [[y] + [f"{r}.{c}" for c in range(2 * width)] + ["text"] for r, y in enumerate(labels)]
    data = _write([header, *_plant(body, plants)], delimiter, eol, bom)
    assert_pairs_or_user_error(lambda: load_pair_csv(data, name="hostile.csv"))


@SETTINGS
@given(st.lists(st.sampled_from(["0", "1"]), max_size=4), PLANTS, PLANTS, DELIMITERS, st.booleans())
def test_hostile_cells_in_pairs_by_reference_give_pairs_or_a_user_error(
    labels, in_pairs, in_samples, delimiter, drop
):
    """Valid pairs-by-reference files (ids, label; id, features) with up to three cells replaced in each."""
    labels = ["0", "1", "0", "1", *labels]
    pairs = [[f"s{i % 5}", f"s{(i + 1) % 5}", y] for i, y in enumerate(labels)]
    samples = [[f"s{i}", str(i), f"{i}.5"] for i in range(5)]
    pairs_data = _write([["id_a", "id_b", "label"], *_plant(pairs, in_pairs)], delimiter)
    samples_data = _write([["id", "f0", "f1"], *_plant(samples, in_samples)], delimiter)
    assert_pairs_or_user_error(
        lambda: load_pairs_by_reference(pairs_data, samples_data, drop_missing=drop, pairs_name="p.csv")
    )


@SETTINGS
@given(
    st.lists(st.binary(max_size=12), min_size=2, max_size=12),
    st.sampled_from([b"label,a_x,b_x\n", b"label;a_x;b_x\r\n", b"\xef\xbb\xbfsame\ta_x\tb_x\n", b""]),
)
def test_any_bytes_after_a_valid_header_give_pairs_or_a_user_error(chunks, header):
    data = header + b"\n".join(chunks)
    assert_pairs_or_user_error(lambda: load_pair_csv(data, name="bytes.csv"))


@SETTINGS
@given(
    st.lists(
        st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=4, max_size=4),
        min_size=0,
        max_size=8,
    ),
    DELIMITERS,
    st.sampled_from([repr, "{:.9g}".format, "{:.9e}".format]),
    st.booleans(),
)
def test_valid_float32_values_load_exactly(rows, delimiter, write, quote):
    """Every finite float32 (subnormals, -0.0 and the largest included) written out loads to itself."""
    labels = [0, 0, 1, 1] + [i % 2 for i in range(len(rows))]
    rows = [[1.0, 2.0, 3.0, 4.0]] * 4 + rows
    cells = [[write(float(value)) for value in row] for row in rows]
    if quote:
        cells = [[f'"{cell}"' for cell in row] for row in cells]
    header = ["label", "a_x", "a_y", "b_x", "b_y"]
    data = _write([header, *([str(y), *row] for y, row in zip(labels, cells, strict=True))], delimiter)
    pairs = load_pair_csv(data)
    expected = np.asarray(rows, dtype=np.float32)
    np.testing.assert_array_equal(pairs.left, expected[:, :2])
    np.testing.assert_array_equal(pairs.right, expected[:, 2:])
    np.testing.assert_array_equal(pairs.labels, labels)


# --------------------------------------------------------------------------------------------------
# (b) map_labels
# --------------------------------------------------------------------------------------------------

RAW_LABELS = st.one_of(
    st.integers(-2, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, -0.0, math.nan, math.inf]),
    st.booleans(),
    st.sampled_from(
        ["0", "1", " 1 ", "1.0", "true", "FALSE", "same", "Different", "yes", "no", "Y", "maybe"]
    ),
    st.text(max_size=4),
    st.none(),
)


def _same_value(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


@SETTINGS
@given(
    st.lists(RAW_LABELS, max_size=20),
    st.sampled_from(["label", "is_duplicate", "different", "y", "weird name"]),
    st.one_of(
        st.none(), st.integers(0, 19).map(lambda i: ("pick", i)), RAW_LABELS.map(lambda v: ("given", v))
    ),
    st.booleans(),
)
def test_map_labels_gives_consistent_zero_one_labels_or_a_user_error(values, column, similar, string_index):
    series = pd.Series(values, dtype=object)
    if string_index:
        series.index = [f"r{i}" for i in range(len(values))]
    similar_label = None
    if similar is not None:  # ("pick", i): one of the values, so that it occurs; ("given", v): any value
        kind, choice = similar
        similar_label = (values[choice % len(values)] if values else None) if kind == "pick" else choice
    try:
        labels, mapping = map_labels(series, column=column, similar_label=similar_label, source="f.csv")
    except SiameseError as error:
        assert "f.csv" in str(error)
        event("user error")
        return
    event("mapped")
    assert labels.dtype == np.float32 and labels.shape == (len(values),)
    assert set(np.unique(labels).tolist()) <= {SIMILAR, DISSIMILAR}
    assert mapping.n_similar == int((labels == SIMILAR).sum())
    assert mapping.n_dissimilar == int((labels == DISSIMILAR).sum())
    assert mapping.column == column and mapping.reason
    assert not set(mapping.similar_values) & set(mapping.dissimilar_values)
    assert bool(mapping.similar_values) == (mapping.n_similar > 0)
    assert bool(mapping.dissimilar_values) == (mapping.n_dissimilar > 0)
    assert not any(value is None or (isinstance(value, float) and math.isnan(value)) for value in values)
    for i, a in enumerate(values):  # one value, one label
        for j in range(i):
            if _same_value(a, values[j]):
                assert labels[i] == labels[j], (a, values[j])
    if similar_label is not None:
        for value, label in zip(values, labels, strict=True):
            if _same_value(value, similar_label):
                assert label == SIMILAR


# --------------------------------------------------------------------------------------------------
# (c) load_samples_csv
# --------------------------------------------------------------------------------------------------


def assert_samples_or_user_error(load) -> None:
    try:
        samples = load()
    except SiameseError:
        event("user error")
        return
    event("loaded")
    n = len(samples.classes)
    assert samples.features.dtype == np.float32
    assert samples.features.shape == (n, len(samples.feature_names)) and samples.feature_names
    assert np.isfinite(samples.features).all()
    classes, counts = np.unique(samples.classes, return_counts=True)
    assert len(classes) >= 2 and counts.max() >= 2
    assert len(samples.rows) == n
    if samples.ids is not None:
        assert len(samples.ids) == n and len(set(samples.ids.tolist())) == n


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_give_samples_or_a_user_error(data):
    assert_samples_or_user_error(lambda: load_samples_csv(data))


@SETTINGS
@given(
    st.lists(
        st.sampled_from(["class", "id", "f0", "f1", "note", "label", "", "f0 "]), min_size=1, max_size=5
    ),
    st.lists(
        st.lists(st.one_of(st.sampled_from(["a", "b", "s1", "s2"]), HOSTILE_CELLS), min_size=0, max_size=6),
        max_size=8,
    ),
    DELIMITERS,
)
def test_csv_like_text_gives_samples_or_a_user_error(header, rows, delimiter):
    data = _write([header, *rows], delimiter)
    assert_samples_or_user_error(lambda: load_samples_csv(data))


@SETTINGS
@given(st.lists(st.sampled_from(["a", "b", "c"]), max_size=6), PLANTS, DELIMITERS, st.booleans())
def test_hostile_cells_in_a_valid_samples_file_give_samples_or_a_user_error(classes, plants, delimiter, drop):
    """A valid samples file (id, class, two features, a note) with up to three cells replaced."""
    classes = ["a", "a", "b", *classes]
    body = [[f"s{i}", c, str(i), f"{i}.5", "text"] for i, c in enumerate(classes)]
    data = _write([["id", "class", "f0", "f1", "note"], *_plant(body, plants)], delimiter)
    assert_samples_or_user_error(lambda: load_samples_csv(data, drop_missing=drop))


@SETTINGS
@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=12))
def test_samples_load_exactly_when_the_classes_allow_pairs(classes):
    """Valid numbers always load; only the class counts decide between a SampleSet and an error."""
    rows = [[f"s{i}", c, str(i), str(-i / 4)] for i, c in enumerate(classes)]
    data = _write([["id", "class", "f0", "f1"], *rows], ",")
    distinct, counts = np.unique(classes, return_counts=True)
    if len(distinct) < 2 or counts.max() < 2:
        try:
            load_samples_csv(data)
        except SiameseError as error:
            assert "class" in str(error)
            return
        raise AssertionError("too few classes or samples per class must be refused")
    samples = load_samples_csv(data)
    assert samples.classes.tolist() == classes
    np.testing.assert_array_equal(samples.features[:, 0], np.arange(len(classes)))
    np.testing.assert_array_equal(samples.features[:, 1], -np.arange(len(classes)) / 4)
