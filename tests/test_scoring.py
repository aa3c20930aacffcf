import io
import shutil
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from siamese_core.bundle import load_model
from siamese_core.errors import ConfigError, DataError
from siamese_core.inference import EVAL_BATCH
from siamese_core.scoring import (
    ScoreColumns,
    csv_bytes,
    neutralise_formulas,
    pair_features,
    score_file,
    score_frame,
    write_csv,
)
from tests.conftest import numpy_distances


def test_scores_match_the_model_and_columns_may_be_reordered(tiny_outcome, pair_csv):
    bundle = tiny_outcome.bundle
    frame = pd.read_csv(pair_csv).head(20)
    shuffled = frame[list(reversed(frame.columns))]
    scored = score_frame(bundle, shuffled, threshold=bundle.threshold, name="pairs.csv")
    left = frame[[f"a_f{i}" for i in range(6)]].to_numpy(np.float32)
    right = frame[[f"b_f{i}" for i in range(6)]].to_numpy(np.float32)
    np.testing.assert_allclose(scored["distance"], bundle.distances(left, right), rtol=1e-5)
    assert (scored["similar"] == (scored["distance"] <= bundle.threshold)).all()


def test_missing_values_fail_unless_dropped(tiny_outcome, pair_csv):
    frame = pd.read_csv(pair_csv).head(5)
    frame.loc[2, "b_f3"] = np.nan
    with pytest.raises(DataError, match=r"1 rows have missing feature values \(the first is row 3\)"):
        score_frame(tiny_outcome.bundle, frame, threshold=0.5, name="p.csv")
    scored = score_frame(tiny_outcome.bundle, frame, threshold=0.5, drop_missing=True, name="p.csv")
    assert scored["distance"].isna().tolist() == [False, False, True, False, False]
    assert scored["similar"].isna().tolist() == [False, False, True, False, False]


@pytest.mark.parametrize("threshold", [float("nan"), float("inf"), "abc"])
def test_a_threshold_that_is_not_a_finite_number_is_refused(threshold, tiny_outcome, pair_csv, tmp_path):
    """`distance <= nan` is false: every pair would be called dissimilar, without a word."""
    expected = (
        "threshold must be a number. Received: threshold='abc'"
        if threshold == "abc"
        else f"threshold must be finite. Received: threshold={threshold}"
    )
    frame = pd.read_csv(pair_csv).head(5)
    with pytest.raises(ConfigError) as caught:
        score_frame(tiny_outcome.bundle, frame, threshold=threshold, name="p.csv")
    assert str(caught.value) == expected
    with pytest.raises(ConfigError) as caught:
        score_file(tiny_outcome.bundle, pair_csv, tmp_path / "scores.csv", threshold=threshold)
    assert str(caught.value) == expected
    assert not (tmp_path / "scores.csv").exists()


def test_score_file_refuses_to_write_over_its_source(tiny_outcome, pair_csv, tmp_path):
    source = tmp_path / "pairs.csv"
    shutil.copy(pair_csv, source)
    (tmp_path / "same.csv").hardlink_to(source)
    before = source.read_bytes()
    for output in (source, tmp_path / "same.csv"):
        with pytest.raises(ConfigError) as caught:
            score_file(tiny_outcome.bundle, source, output, threshold=0.5)
        assert str(caught.value) == (
            f"output {output} would overwrite the source file {source}; choose another path for output"
        )
    assert source.read_bytes() == before


def test_text_in_a_feature_is_named(tiny_outcome, pair_csv):
    frame = pd.read_csv(pair_csv).head(5).astype({"a_f1": object})
    frame.loc[3, "a_f1"] = "n/a?"
    with pytest.raises(DataError) as error:
        score_frame(tiny_outcome.bundle, frame, threshold=0.5, name="p.csv")
    assert "p.csv, column 'a_f1', row 4 (line 5)" in str(error.value)
    assert "'n/a?' is not a number" in str(error.value)


def test_formula_cells_are_neutralised_but_numbers_are_not():
    frame = pd.DataFrame({"text": ["=1+1", "ok", "@SUM(A1)", "-x"], "number": [-1.5, 2.0, 3.0, -4.0]})
    safe = neutralise_formulas(frame)
    assert safe["text"].tolist() == ["'=1+1", "ok", "'@SUM(A1)", "'-x"]
    assert safe["number"].tolist() == [-1.5, 2.0, 3.0, -4.0]


def test_formulas_are_neutralised_in_names_categories_and_bytes_too():
    """Whatever the input type: a column name, pandas text, categories, and bytes (a Parquet binary
    column), which become text; bytes that are not UTF-8 are written as \\x escapes."""
    frame = pd.DataFrame(
        {
            '=HYPERLINK("http://evil/")': pd.array(["=1", "a"], dtype="str"),
            "kind": pd.Categorical(["+c", "b"]),
            "blob": [b"=1+1", b"\xff@"],
            "-x": [-1, 2],
        }
    )
    safe = neutralise_formulas(frame)
    assert list(safe.columns) == ['\'=HYPERLINK("http://evil/")', "kind", "blob", "'-x"]
    assert safe.iloc[:, 0].tolist() == ["'=1", "a"]
    assert safe["kind"].tolist() == ["'+c", "b"]
    assert safe["blob"].tolist() == ["'=1+1", "\\xff@"]
    assert safe["'-x"].tolist() == [-1, 2]
    assert frame.columns[0] == '=HYPERLINK("http://evil/")'  # the input is left as it was


@pytest.mark.parametrize(
    "dtype",
    [
        pd.ArrowDtype(pa.string()),
        pd.ArrowDtype(pa.large_string()),
        pd.StringDtype("pyarrow"),
        pd.StringDtype("python"),
        pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string())),
    ],
    ids=str,
)
def test_formulas_are_neutralised_in_text_of_every_dtype(dtype):
    """Text from the Python API may come in Arrow's or pandas' string dtypes; dates are left as they are."""
    frame = pd.DataFrame(
        {
            "note": pd.Series(["=1+1", "ok", None], dtype=dtype),
            "when": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "flag": [True, False, True],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["note"].tolist()[:2] == ["'=1+1", "ok"] and pd.isna(safe["note"].iloc[2])
    assert safe["when"].dtype == frame["when"].dtype and safe["flag"].tolist() == [True, False, True]
    assert csv_bytes(safe).decode().splitlines()[1].startswith("'=1+1,2024-01-01,")


def test_the_inputs_own_distance_and_similar_columns_are_kept(tiny_outcome, pair_csv):
    frame = pd.read_csv(pair_csv).head(3)
    frame.insert(0, "similar", ["yes", "no", "yes"])
    frame.insert(0, "distance", [7.0, 8.0, 9.0])
    scored = score_frame(tiny_outcome.bundle, frame, threshold=0.5, name="p.csv")
    assert list(scored.columns) == [*frame.columns, "distance_2", "similar_2", "p_similar"]
    assert scored["similar"].tolist() == ["yes", "no", "yes"]
    assert scored["distance"].tolist() == [7.0, 8.0, 9.0]
    assert (scored["similar_2"] == (scored["distance_2"] <= 0.5)).all()
    columns = ScoreColumns.for_table(frame.columns)
    assert (columns.distance, columns.similar) == ("distance_2", "similar_2")
    assert columns.renamed() == (
        "the input has columns named distance, similar already, kept as they are: the added columns are "
        "distance_2, similar_2"
    )
    assert ScoreColumns.for_table(["a_x", "b_x"]).renamed() == ""


def test_write_csv_is_atomic(tmp_path, monkeypatch):
    import pyarrow.csv

    target = tmp_path / "scores.csv"
    target.write_text("old\n")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pyarrow.csv, "write_csv", broken)
    with pytest.raises(ConfigError) as caught:
        write_csv(pd.DataFrame({"a": [1], "b": [2.5]}), target)
    assert str(caught.value) == (
        f"cannot write {target}: disk full; scores.csv is left as it was. Free some space or choose another path"
    )
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_csv_bytes_read_back_to_the_same_values():
    """Arrow's writer: every float back to the same bits, text with commas, quotes, new lines and accents,
    empty text kept apart from missing text, booleans and missing values; the header as pandas writes it."""
    values = [1e-5, 1e16, -0.0, np.inf, -np.inf, np.nan, 0.1, 1 / 3, 5e-324, 123456.0, 2.5e-7, -7.0]
    frame = pd.DataFrame(
        {
            "x,y": values,
            "single": np.array(values, dtype=np.float32),
            "count": np.arange(12, dtype=np.int64) - 3,
            "similar": pd.array([True, False, None] * 4, dtype="boolean"),
            'say "hi"': ["a", "b,c", 'q"x', "", None, "'=1", "é", "x\ny", "z", "z", "z", "z"],
        }
    )
    written = csv_bytes(frame)
    assert written.splitlines()[0] == b'"x,y",single,count,similar,"say ""hi"""'
    assert written.splitlines()[1] == b'0.00001,0.00001,-3,true,"a"'
    back = pd.read_csv(io.BytesIO(written), keep_default_na=False, na_values=[""])
    assert list(back.columns) == list(frame.columns)
    np.testing.assert_array_equal(back["x,y"].to_numpy(), frame["x,y"].to_numpy())  # NaN equal to NaN
    assert np.signbit(back["x,y"][2])  # -0.0 stays negative
    np.testing.assert_array_equal(back["single"].astype(np.float32).to_numpy(), frame["single"].to_numpy())
    assert back["count"].tolist() == list(range(-3, 9))
    assert back["similar"].tolist()[:2] == [True, False]
    assert back["similar"].isna().tolist() == [False, False, True] * 4
    text = pd.read_csv(io.BytesIO(written), keep_default_na=False)['say "hi"'].tolist()
    assert text == ["a", "b,c", 'q"x', "", "", "'=1", "é", "x\ny", "z", "z", "z", "z"]
    assert written.split(b"\n")[4].endswith(b',""') and written.split(b"\n")[5].endswith(
        b","
    )  # "" vs missing


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        # Arrow cannot convert a column mixing numbers and text
        (pd.DataFrame({"mixed": [1, "a", 2.5], "n": [1.0, 2.0, 3.0]}), b"mixed,n\n1,1.0\na,2.0\n2.5,3.0\n"),
        # Arrow would write a duration as a bare count of its unit
        (pd.DataFrame({"wait": pd.to_timedelta(["1 day", "90 min"]), "n": [1.0, 2.0]}),
         b"wait,n\n1 days 00:00:00,1.0\n0 days 01:30:00,2.0\n"),
        # alone in its row, a missing value would be a blank line, which readers skip
        (pd.DataFrame({"s": ["a", None, "b"]}), b's\na\n""\nb\n'),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), b"a,a\n1,2\n"),  # Arrow refuses repeated names
        (pd.DataFrame({"h": np.array([0.1], np.float16), "n": [1]}), b"h,n\n0.1,1\n"),  # Arrow expands it
    ],
)  # fmt: skip
def test_csv_bytes_leaves_to_pandas_what_arrow_would_write_otherwise(frame, expected):
    assert csv_bytes(frame) == expected == frame.to_csv(index=False, lineterminator="\n").encode()
    assert csv_bytes(frame, header=False) == expected.split(b"\n", 1)[1]


def test_csv_bytes_quotes_text_only_in_tables_that_need_it():
    plain = pd.DataFrame({"id": ["a", "b", None], "n": [1.5, 2.0, np.nan]})
    assert csv_bytes(plain) == b"id,n\na,1.5\nb,2\n,\n"
    needs = pd.DataFrame({"id": ["a", "b,c"], "n": [1.5, 2.0]})
    assert csv_bytes(needs) == b'id,n\n"a",1.5\n"b,c",2\n'
    assert pd.read_csv(io.BytesIO(csv_bytes(needs)))["id"].tolist() == ["a", "b,c"]


@pytest.mark.parametrize("n_pairs", [EVAL_BATCH, EVAL_BATCH + 5, 300])
def test_scores_match_a_numpy_forward_pass_of_the_saved_weights(model_file, n_pairs):
    """`SiameseBundle.distances` and `score_frame` against the float64 NumPy forward pass of the saved
    weights, for a whole batch of 16,384 pairs, one more batch of 5 (padded to 8 rows) and one batch of
    300 (padded to 512): each row must be its own pair's distance, never a padding row's."""
    bundle = load_model(model_file)
    rng = np.random.default_rng(4)
    left, right = (rng.normal(0, 4, size=(n_pairs, 6)).astype(np.float32) for _ in range(2))
    expected = numpy_distances(bundle.model, left, right)
    assert expected.min() > 1e-3  # a padding row's distance (zeros against zeros) would be 1e-6
    np.testing.assert_allclose(bundle.distances(left, right), expected, rtol=1e-5)
    frame = pd.DataFrame(
        np.concatenate([left, right], axis=1), columns=[f"{side}_f{i}" for side in "ab" for i in range(6)]
    )
    scored = score_frame(bundle, frame, threshold=bundle.threshold, name="pairs.csv")
    np.testing.assert_allclose(scored["distance"], expected, rtol=1e-5)


def test_missing_features_error_names_the_table(tiny_outcome, pair_csv):
    frame = pd.read_csv(pair_csv).head(3)
    frame.loc[1, "a_f0"] = np.nan
    with pytest.raises(DataError) as caught:
        score_frame(tiny_outcome.bundle, frame, threshold=0.5, name="p.csv")
    assert caught.value.source == "p.csv"
    assert str(caught.value) == (
        "p.csv: 1 rows have missing feature values (the first is row 2); fill them in, or leave those rows "
        "unscored (pass drop_missing=True)"
    )


def test_a_decimal_comma_in_a_comma_separated_file_gets_the_hint(tiny_outcome, pair_csv, tmp_path):
    """Scoring a file passes its delimiter on: '"1,5"' in a comma-separated file is explained."""
    from pathlib import Path

    from siamese_core.scoring import score_file

    header, first, *rest = Path(pair_csv).read_text().splitlines()
    cells = first.split(",")
    cells[1] = '"1,5"'
    source = tmp_path / "comma.csv"
    source.write_text("\n".join([header, ",".join(cells), *rest]) + "\n")
    with pytest.raises(
        DataError, match=r"\(write 1\.5: in a comma-separated file the decimal mark is '\.'\)"
    ):
        score_file(tiny_outcome.bundle, source, tmp_path / "out.csv", threshold=0.5)


def test_p_similar_is_the_calibrated_probability_of_each_distance(tiny_outcome, pair_csv):
    """The column is the bundle's calibration applied to the distance column: np.interp over its corner
    points, checked here against the points themselves; an unscored row's probability is empty."""
    bundle = tiny_outcome.bundle
    calibration = bundle.calibration
    frame = pd.read_csv(pair_csv).head(40)
    frame.loc[5, "a_f1"] = np.nan
    scored = score_frame(bundle, frame, threshold=bundle.threshold, drop_missing=True, name="p.csv")
    assert list(scored.columns)[-3:] == ["distance", "similar", "p_similar"]
    expected = np.interp(scored["distance"], calibration.distances, calibration.probabilities)
    np.testing.assert_array_equal(scored["p_similar"], expected)
    assert scored["p_similar"].isna().tolist() == [row == 5 for row in range(40)]
    assert scored["p_similar"].between(0, 1).sum() == 39
    # Nearer pairs are no less likely similar.
    order = np.argsort(scored["distance"].to_numpy())[:39]
    assert (np.diff(scored["p_similar"].to_numpy()[order]) <= 0).all()


def test_a_model_without_a_calibration_writes_no_p_similar(tiny_outcome, pair_csv, tmp_path):
    from dataclasses import replace

    bundle = replace(tiny_outcome.bundle, calibration=None)
    out = tmp_path / "scores.csv"
    written = score_file(bundle, pair_csv, out, threshold=0.5)
    assert written.columns.p_similar is None
    assert list(pd.read_csv(out).columns)[-2:] == ["distance", "similar"]


def test_an_inputs_own_p_similar_column_is_kept_and_ours_renamed(tiny_outcome, pair_csv):
    frame = pd.read_csv(pair_csv).head(3)
    frame.insert(0, "p_similar", ["high", "low", "high"])
    scored = score_frame(tiny_outcome.bundle, frame, threshold=0.5, name="p.csv")
    assert list(scored.columns) == [*frame.columns, "distance", "similar", "p_similar_2"]
    assert scored["p_similar"].tolist() == ["high", "low", "high"]
    columns = ScoreColumns.for_table(frame.columns, calibrated=True)
    assert columns.renamed() == (
        "the input has columns named p_similar already, kept as they are: the added columns are p_similar_2"
    )
    assert ScoreColumns.for_table(frame.columns).p_similar is None  # no calibration, no column


def _pair_table(n_rows: int = 2, prefix: tuple[str, str] = ("a_", "b_")) -> pd.DataFrame:
    """Two rows of the six features f0..f5 on each side, the right side 10 more than the left."""
    values = np.arange(n_rows * 6, dtype=np.float64).reshape(n_rows, 6)
    return pd.DataFrame(
        {f"{prefix[0]}f{i}": values[:, i] for i in range(6)}
        | {f"{prefix[1]}f{i}": values[:, i] + 10 for i in range(6)}
    )


def test_pair_features_reads_each_side_in_the_models_order_as_float64(tiny_outcome):
    """Columns in another order, names in capitals, integers: each side comes back (rows, 6) in f0..f5
    order, as float64."""
    frame = _pair_table(prefix=("A_", "B_")).astype(np.int64)
    frame = frame[list(reversed(frame.columns))]
    left, right = pair_features(frame, tiny_outcome.bundle, name="t.csv")
    assert left.dtype == right.dtype == np.float64
    np.testing.assert_array_equal(left, [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    np.testing.assert_array_equal(right, left + 10)


def test_pair_features_reads_decimal_commas_on_either_side(tiny_outcome):
    frame = _pair_table().astype(object)
    frame["a_f1"] = ["1,5", "2"]
    frame["b_f4"] = ["0,25", "-3,5"]
    left, right = pair_features(frame, tiny_outcome.bundle, name="t.csv", decimal=",")
    assert left[:, 1].tolist() == [1.5, 2.0]
    assert right[:, 4].tolist() == [0.25, -3.5]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (
            ["x", "y"],
            "t.csv: no two sides of feature columns found (such as a_x / b_x); the model expects 6 features per "
            "side: f0, f1, f2, f3, ... (6 in all)",
        ),
        (
            [f"{side}_f{i}" for side in "ab" for i in range(4)],
            "t.csv: the file's features do not match the model's: missing f4, f5 (the model expects 6 features "
            "per side)",
        ),
        (
            [f"{side}_g{i}" for side in "ab" for i in range(6)],
            "t.csv: the file's features do not match the model's: missing f0, f1, f2, f3, f4, ... (6 in all) "
            "(the model expects 6 features per side)",
        ),
    ],
    ids=["no sides", "two features missing", "every feature missing"],
)
def test_pair_features_names_the_file_and_the_missing_features(tiny_outcome, columns, message):
    frame = pd.DataFrame({column: [1.0] for column in columns})
    with pytest.raises(DataError) as caught:
        pair_features(frame, tiny_outcome.bundle, name="t.csv")
    assert str(caught.value) == message
    assert caught.value.source == "t.csv"


@pytest.mark.parametrize("side", ["a", "b"])
def test_pair_features_refuses_dates_naming_the_column(tiny_outcome, side):
    """A date would be scored as its count of nanoseconds."""
    frame = _pair_table()
    frame[f"{side}_f2"] = pd.to_datetime(["2020-01-01", "2020-01-02"])
    with pytest.raises(DataError) as caught:
        pair_features(frame, tiny_outcome.bundle, name="t.csv")
    assert str(caught.value) == (
        f"t.csv, column '{side}_f2': holds values of type datetime64[us], not numbers; feature columns must be "
        "numbers"
    )
    assert (caught.value.source, caught.value.column) == ("t.csv", f"{side}_f2")


@pytest.mark.parametrize(
    ("values", "shown", "row"),
    [
        ([1.0, 1e39, 2e39], "1e+39", 12),  # fits float64 but not float32; the first such row is named
        ([np.inf, 1.0, 1.0], "inf", 11),
        ([1.0, 1.0, -np.inf], "-inf", 13),
    ],
)
def test_pair_features_refuses_values_too_large_for_float32_naming_row_and_column(
    tiny_outcome, values, shown, row
):
    """The frame is a chunk of a file whose rows 11 to 13 it holds (its index counts from 0 over the file's
    rows); row numbers count the file's data rows from 1, the header being line 1."""
    frame = _pair_table(3).set_axis([10, 11, 12])
    frame["b_f3"] = values
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the float32 overflow is looked for, not warned about
        with pytest.raises(DataError) as caught:
            pair_features(frame, tiny_outcome.bundle, name="t.csv")
    assert str(caught.value) == (
        f"t.csv, column 'b_f3', row {row} (line {row + 1}): {shown} is infinite or too large for float32; "
        "use finite values"
    )
    assert (caught.value.source, caught.value.column, caught.value.row) == ("t.csv", "b_f3", row)


def test_text_on_the_right_side_is_named_with_the_delimiter_hint(tiny_outcome):
    frame = _pair_table().astype(object)
    frame["b_f1"] = ["2", "1,5"]
    with pytest.raises(DataError) as caught:
        pair_features(frame, tiny_outcome.bundle, name="t.csv", delimiter=",")
    assert str(caught.value) == (
        "t.csv, column 'b_f1', row 2 (line 3): value '1,5' is not a number (write 1.5: in a comma-separated file "
        "the decimal mark is '.'); feature values must be numbers; fix or remove that value"
    )


def test_pair_features_reads_numbers_written_as_text_with_a_decimal_point_by_default(tiny_outcome):
    frame = _pair_table().astype(object)
    frame["b_f2"] = ["1.5", "-0.25"]
    _, right = pair_features(frame, tiny_outcome.bundle, name="t.csv")
    assert right[:, 2].tolist() == [1.5, -0.25]


def test_pair_features_names_the_file_when_the_sides_are_of_unequal_width(tiny_outcome):
    frame = _pair_table().drop(columns=["b_f5"])
    with pytest.raises(DataError) as caught:
        pair_features(frame, tiny_outcome.bundle, name="t.csv")
    assert str(caught.value) == (
        "t.csv: sides of unequal width: left has 6 columns, right has 5; unmatched: a_f5; give each feature a "
        "column on both sides"
    )


def test_a_pair_exactly_at_the_threshold_is_similar(tiny_outcome, pair_csv):
    bundle = tiny_outcome.bundle
    frame = pd.read_csv(pair_csv).head(6)
    distances = score_frame(bundle, frame, threshold=bundle.threshold, name="p.csv")["distance"]
    at = float(distances.iloc[3])
    scored = score_frame(bundle, frame, threshold=at, name="p.csv")
    assert scored["similar"].dtype == "boolean"
    assert scored["similar"].tolist() == (distances <= at).tolist()
    assert bool(scored["similar"].iloc[3]) is True


def test_score_columns_for_a_table_add_no_source_file_or_p_similar_unless_asked():
    assert ScoreColumns.for_table(["a_x", "distance"]) == ScoreColumns("distance_2", "similar", None, None)
    assert ScoreColumns.for_table(["source_file"], folder=True, calibrated=True) == ScoreColumns(
        "distance", "similar", "source_file_2", "p_similar"
    )


def test_score_file_reads_bytes_and_streams(tiny_outcome, pair_csv, tmp_path):
    data = open(pair_csv, "rb").read()
    bundle = tiny_outcome.bundle
    expected = score_frame(bundle, pd.read_csv(pair_csv), threshold=0.5, name="p.csv")["distance"]
    for source, output in ((data, "bytes.csv"), (io.BytesIO(data), "stream.csv")):
        score_file(bundle, source, tmp_path / output, threshold=0.5)
        np.testing.assert_allclose(pd.read_csv(tmp_path / output)["distance"], expected, rtol=1e-6)


def test_neutralise_formulas_keeps_numbers_booleans_dates_and_durations():
    frame = pd.DataFrame(
        {
            "n": [-3, 4],
            "flag": [True, False],
            "when": pd.to_datetime(["2020-01-01", "2020-01-02"]),
            "took": pd.to_timedelta([1, 2], unit="s"),
            "text": ["=1+1", "-x"],
        }
    )
    safe = neutralise_formulas(frame)
    assert list(safe.dtypes) == list(frame.dtypes)
    for column in ("n", "flag", "when", "took"):
        pd.testing.assert_series_equal(safe[column], frame[column])
    assert safe["text"].tolist() == ["'=1+1", "'-x"]


def test_csv_bytes_never_writes_the_index():
    """The frame's index (10, 20) is not a column of the file, through Arrow and through pandas alike."""
    arrow = pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y,z"]}, index=[10, 20])
    assert csv_bytes(arrow) == b'a,b\n1.5,"x"\n2,"y,z"\n'
    assert csv_bytes(arrow[["a"]]) == b"a\n1.5\n2.0\n"  # one column: written by pandas


def test_score_file_writes_p_similar_for_a_calibrated_model(tiny_outcome, pair_csv, tmp_path):
    bundle = tiny_outcome.bundle
    assert bundle.calibration is not None
    out = tmp_path / "scores.csv"
    written = score_file(bundle, pair_csv, out, threshold=bundle.threshold)
    assert written.columns.p_similar == "p_similar"
    scored = pd.read_csv(out)
    assert list(scored.columns)[-3:] == ["distance", "similar", "p_similar"]
    np.testing.assert_allclose(
        scored["p_similar"], bundle.p_similar(scored["distance"].to_numpy()), atol=1e-7
    )
