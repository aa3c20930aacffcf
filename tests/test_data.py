"""Tests for siamese_core.data: reading user CSVs into validated pairs and samples."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from siamese_core import data
from siamese_core.data import (
    detect_label_column,
    detect_sides,
    load_pair_csv,
    load_pairs_by_reference,
    load_samples_csv,
    map_labels,
    read_csv,
    read_header,
)
from siamese_core.data import lines as data_lines
from siamese_core.data import ranges as data_ranges
from siamese_core.errors import DataError, LabelError, SiameseError
from siamese_core.pairs import PairSet, SampleSet
from siamese_core.streaming import PairStream

# Four pairs, two of each kind: the smallest file that trains.
PAIRS = b"label,a_x,a_y,b_x,b_y\n0,1,2,3,4\n1,5,6,7,8\n0,9,10,11,12\n1,13,14,15,16\n"


def pair_csv(header: str, rows: list[str], delimiter: str = ",") -> bytes:
    return ("\n".join([header, *rows]) + "\n").replace(",", delimiter).encode()


def error_of(call, *args, kind=DataError, **kwargs) -> str:
    with pytest.raises(kind) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# --------------------------------------------------------------------------------------------------
# Sources and reading
# --------------------------------------------------------------------------------------------------


def test_loads_bytes_and_checks_values():
    pairs = load_pair_csv(PAIRS)
    assert isinstance(pairs, PairSet)
    assert pairs.left.dtype == np.float32 and pairs.right.dtype == np.float32
    np.testing.assert_array_equal(pairs.left, [[1, 2], [5, 6], [9, 10], [13, 14]])
    np.testing.assert_array_equal(pairs.right, [[3, 4], [7, 8], [11, 12], [15, 16]])
    np.testing.assert_array_equal(pairs.labels, [0, 1, 0, 1])
    assert pairs.labels.dtype == np.float32
    assert pairs.feature_names == ["x", "y"]
    np.testing.assert_array_equal(pairs.rows, [1, 2, 3, 4])
    assert pairs.info.kind == "pairs"
    assert pairs.info.n_rows == 4
    assert pairs.info.label_column == "label"
    assert pairs.info.left_columns == ["a_x", "a_y"] and pairs.info.right_columns == ["b_x", "b_y"]
    assert pairs.info.source == "the uploaded file"
    assert pairs.info.label_mapping.n_similar == 2 and pairs.info.label_mapping.n_dissimilar == 2


def test_bytesio_with_name_is_read_from_its_start_and_named_after_it():
    upload = io.BytesIO(PAIRS)
    upload.name = "folder/upload.csv"
    upload.read(10)  # an uploaded file may have been read before
    pairs = load_pair_csv(upload)
    assert pairs.n_pairs == 4
    assert pairs.info.source == "upload.csv"
    message = error_of(load_pair_csv, _named_stream(b"label,a_x,b_x\n", "empty.csv"))
    assert message.startswith("empty.csv: ")


def _named_stream(data: bytes, name: str) -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def test_path_source_uses_file_name_and_name_overrides(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_bytes(PAIRS)
    assert load_pair_csv(path).info.source == "pairs.csv"
    assert load_pair_csv(str(path), name="my data").info.source == "my data"


def test_missing_file_and_folder(tmp_path):
    assert "file not found" in error_of(load_pair_csv, tmp_path / "nope.csv")
    assert "is a folder" in error_of(load_pair_csv, tmp_path)


def test_bom_is_ignored():
    pairs = load_pair_csv(b"\xef\xbb\xbf" + PAIRS)
    assert pairs.info.label_column == "label"
    np.testing.assert_array_equal(pairs.labels, [0, 1, 0, 1])


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files(delimiter):
    data = PAIRS.replace(b",", delimiter.encode())
    pairs = load_pair_csv(data)
    np.testing.assert_array_equal(pairs.left, [[1, 2], [5, 6], [9, 10], [13, 14]])
    np.testing.assert_array_equal(pairs.right[:, 1], [4, 8, 12, 16])


def test_semicolon_file_with_decimal_commas():
    data = b"label;a_x;b_x\n0;1,5;2,25\n1;3,5;4\n0;1;2\n1;3;4\n"
    pairs = load_pair_csv(data)
    np.testing.assert_allclose(pairs.left[:, 0], [1.5, 3.5, 1, 3])
    np.testing.assert_allclose(pairs.right[:, 0], [2.25, 4, 2, 4])
    assert any("decimal" in warning for warning in pairs.info.warnings)


def test_read_csv_returns_every_column_with_stripped_names():
    frame = read_csv(b"id , name,value\n1,ann,0.5\n2,bob,1.5\n")
    assert list(frame.columns) == ["id", "name", "value"]
    assert frame["name"].tolist() == ["ann", "bob"]
    assert frame["value"].tolist() == [0.5, 1.5]


def test_empty_and_whitespace_files():
    assert "is empty" in error_of(load_pair_csv, b"")
    assert "is empty" in error_of(read_csv, b"  \n\n \n")


def test_header_without_rows():
    message = error_of(load_pair_csv, b"label,a_x,b_x\n", name="head.csv")
    assert message == "head.csv: has a header but no data rows"


def test_binary_junk():
    message = error_of(load_pair_csv, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="x.png")
    assert "x.png" in message and "looks like a binary file, not a CSV" in message


def test_excel_workbook_is_named():
    message = error_of(load_pair_csv, b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 20)
    assert "Excel workbook" in message and "CSV UTF-8" in message


def test_latin1_bytes_are_not_utf8():
    data = b"label,a_x,b_x\n0,1,2\n1,caf\xe9,3\n"
    message = error_of(load_pair_csv, data, name="latin.csv")
    # "label,a_x,b_x\n0,1,2\n1,caf" is 25 bytes, so the bad byte 0xe9 sits at byte 25, on line 3.
    assert "latin.csv" in message
    assert "is not UTF-8 text (invalid byte 0xe9 at byte 25" in message
    assert "line 3" in message and "CSV UTF-8" in message


def test_utf16_is_named():
    data = "label,a_x,b_x\n0,1,2\n".encode("utf-16")
    assert "UTF-16" in error_of(load_pair_csv, data)


def test_mixed_delimiters():
    message = error_of(load_pair_csv, b"label,a_x,b_x\n0;1;2\n1;3;4\n", name="m.csv")
    assert "m.csv" in message and "mixed delimiters" in message
    assert "','" in message and "';'" in message


def test_one_column_mentions_the_delimiter_seen():
    message = error_of(load_pair_csv, b"label|a_x|b_x\n0|1|2\n")
    assert "only one column" in message and "'|'" in message
    assert "needs at least a label column and feature columns" in message
    assert "no comma, semicolon or tab" in error_of(load_pair_csv, b"label\n0\n1\n")


def test_duplicate_column_names_with_positions():
    message = error_of(load_pair_csv, b"label,a_x,b_x,a_x\n0,1,2,3\n")
    assert "duplicate column names" in message
    assert "'a_x' (columns 2, 4)" in message


def test_empty_column_name():
    message = error_of(load_pair_csv, b",label,a_x,b_x\n0,0,1,2\n")
    assert "column 1 of the header has no name" in message and "index=False" in message


def test_no_header():
    message = error_of(load_pair_csv, b"0,1.5,2,3,4\n1,5,6,7,8\n")
    assert "looks like data, not column names" in message
    assert "add a header row such as label,a_f0,a_f1,b_f0,b_f1" in message


def test_extra_field_in_a_row():
    message = error_of(load_pair_csv, b"label,a_x,b_x\n0,1,2\n1,3,4,5\n", name="r.csv")
    assert "r.csv, row 2 (line 3)" in message
    assert "line 3 has 4 fields but the header has 3" in message


def test_extra_field_after_the_sniffed_bytes():
    rows = [f"{i % 2},{i},{i + 1}" for i in range(8000)]  # about 100 KB, beyond the 64 KB sniffed
    data = pair_csv("label,a_x,b_x", [*rows, "1,2,3,4"])
    message = error_of(load_pair_csv, data)
    assert "line 8002 has 4 fields but the header has 3" in message
    assert "row 8001 (line 8002)" in message


def test_unclosed_quote():
    message = error_of(load_pair_csv, b'label,a_x,b_x\n0,1,2\n1,"3,4\n0,1,2\n', name="q.csv")
    assert (
        message == 'q.csv, row 2 (line 3): a quote (") opened on line 3 is never closed; close or remove it'
    )


def test_a_value_longer_than_the_csv_modules_limit_loads_and_the_limit_is_put_back():
    """A quoted value of 140,000 characters (the csv module refuses those over 131,072) is valid: the rows
    after it are checked and read, and the limit is as before once the file is read."""
    before = csv.field_size_limit()
    rows = [f"{i % 2},n,{i},{i}.5" for i in range(300)]
    rows[100] = f'0,"{"n" * 140_000}",100,100.5'
    pairs = load_pair_csv(pair_csv("label,note,a_x,b_x", rows))
    assert pairs.n_pairs == 300
    np.testing.assert_array_equal(pairs.left[[100, 299], 0], [100, 299])
    np.testing.assert_array_equal(pairs.right[[100, 299], 0], [100.5, 299.5])
    assert csv.field_size_limit() == before


def late_rows(header: str, row: str, late: str) -> bytes:
    """300 rows (`row` formatted with the row `i`, a class `c` and a label `y`), more than sniffing reads,
    then `late`."""
    rows = [row.format(i=i, c="ab"[i % 2], y=i % 2) for i in range(300)]
    return pair_csv(header, [*rows, late])


SAMPLES_OK = pair_csv("id,f0,f1", [f"s{i},{i},{i}" for i in range(5)])
PAIRS_OK = pair_csv("id_a,id_b,label", ["s0,s1,0", "s1,s2,0", "s2,s3,1", "s3,s4,1"])


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (
            lambda: load_samples_csv(
                late_rows("class,note,f0,f1", "{c},n,{i},{i}", "a,n,1,2,3"), name="x.csv"
            ),
            "line 302 has 5 fields but the header has 4; look for an unquoted ',' inside a value or an extra "
            "one at the end of the line",
        ),
        (
            lambda: load_samples_csv(late_rows("class,note,f0,f1", "{c},n,{i},{i}", "a;n;1;2"), name="x.csv"),
            "mixed delimiters: the header is separated by ',' (4 columns) but line 302 is separated by ';' "
            "(4 fields); use the same delimiter on every line",
        ),
        (
            lambda: load_pairs_by_reference(
                PAIRS_OK, late_rows("id,note,f0,f1", "s{i},n,{i},{i}", "s300,n,1,2,3"), samples_name="x.csv"
            ),
            "line 302 has 5 fields but the header has 4; look for an unquoted ',' inside a value or an extra "
            "one at the end of the line",
        ),
        (
            lambda: load_pairs_by_reference(
                late_rows("id_a,id_b,label,note", "s{y},s2,{y},n", "s1,s2,1"), SAMPLES_OK, pairs_name="x.csv"
            ),
            "line 302 has 3 fields but the header has 4; a value or a ',' is missing: write 4 fields "
            "separated by ',' on every line (an empty cell is a field too), or remove the line",
        ),
        (
            lambda: read_csv(late_rows("label,a_x,b_x", "0,{i},{i}", "1,2"), name="x.csv"),
            "line 302 has 2 fields but the header has 3; a value or a ',' is missing: write 3 fields "
            "separated by ',' on every line (an empty cell is a field too), or remove the line",
        ),
    ],
    ids=["samples", "samples, semicolons", "samples by id", "pairs by id", "read_csv"],
)
def test_every_reader_refuses_a_late_row_of_another_shape(read, message):
    """pandas would read the extra field's values one column to the left, the missing ones as empty cells."""
    assert error_of(read) == f"x.csv, row 301 (line 302): {message}"


# --------------------------------------------------------------------------------------------------
# Values: text, missing, infinite
# --------------------------------------------------------------------------------------------------


def test_text_in_a_feature_column():
    data = pair_csv("label,a_x,b_x", ["0,1,2", "1,3,4", "0,1,2", "1,oops,4"])
    with pytest.raises(DataError) as caught:
        load_pair_csv(data, name="t.csv")
    error = caught.value
    assert (error.source, error.column, error.row, error.value) == ("t.csv", "a_x", 4, "oops")
    assert "t.csv, column 'a_x', row 4 (line 5)" in str(error)
    assert "'oops' is not a number" in str(error) and "fix or remove that value" in str(error)


def test_first_text_value_is_found_in_a_large_file():
    rows = [f"{i % 2},{i},{i + 1}" for i in range(120_000)]
    rows[100_500] = "1,2,x"
    data = pair_csv("label,a_x,b_x", rows)
    with pytest.raises(DataError) as caught:
        load_pair_csv(data)
    assert (caught.value.column, caught.value.row, caught.value.value) == ("b_x", 100_501, "x")


def test_missing_values_are_an_error_by_default():
    data = pair_csv("label,a_x,b_x", ["0,1,2", "1,,4", "0,1,2", ",3,4", "1,5,6"])
    with pytest.raises(DataError) as caught:
        load_pair_csv(data, name="gaps.csv")
    error = caught.value
    assert (error.column, error.row) == ("a_x", 2)
    assert "2 of 5 rows have missing values" in str(error)
    assert str(error).endswith("the first here; fill them in, or drop those rows (pass drop_missing=True)")
    assert error.settings == (("drop_missing", "True"),)


def test_drop_missing_drops_and_records():
    data = pair_csv("label,a_x,b_x", ["0,1,2", "1,,4", "0,5,6", ",3,4", "1,7,8", "1,9,10", "0,11,12"])
    pairs = load_pair_csv(data, drop_missing=True)
    np.testing.assert_array_equal(pairs.rows, [1, 3, 5, 6, 7])
    np.testing.assert_array_equal(pairs.left[:, 0], [1, 5, 7, 9, 11])
    np.testing.assert_array_equal(pairs.labels, [0, 0, 1, 1, 0])
    assert pairs.info.n_rows == 7 and pairs.info.dropped_rows == 2
    assert any("dropped 2 of 7 rows" in warning for warning in pairs.info.warnings)


def test_nan_text_counts_as_missing():
    data = pair_csv("label,a_x,b_x", ["0,1,2", "1,NaN,4"])
    assert "missing values" in error_of(load_pair_csv, data)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("inf", "is infinite"), ("-inf", "is infinite"), ("1e308", "too large for 32-bit floats")],
)
def test_infinite_and_too_large_values(value, fragment):
    data = pair_csv("label,a_x,b_x", ["0,1,2", "1,3,4", "0,1,2", f"1,3,{value}"])
    with pytest.raises(DataError) as caught:
        load_pair_csv(data)
    assert (caught.value.column, caught.value.row, caught.value.value) == ("b_x", 4, value)
    assert fragment in str(caught.value)


def test_negative_zero_and_spaces_are_numbers():
    data = pair_csv("label,a_x,b_x", ["0,-0.0, 2 ", "1,3e-3,4", "0,1,2", "1,3,4"])
    pairs = load_pair_csv(data)
    assert np.all(np.isfinite(pairs.left)) and pairs.left[0, 0] == 0
    np.testing.assert_allclose(pairs.left[1, 0], 0.003)
    assert pairs.right[0, 0] == 2


def test_text_in_ignored_column_is_fine():
    data = pair_csv("pair,label,a_x,b_x,note", ["p1,0,1,2,hi", "p2,1,3,4,", "p3,0,5,6,x", "p4,1,7,8,y"])
    pairs = load_pair_csv(data)
    assert pairs.info.ignored_columns == ["pair", "note"]
    np.testing.assert_array_equal(pairs.left[:, 0], [1, 3, 5, 7])


def test_too_few_pairs():
    data = pair_csv("label,a_x,b_x", ["0,1,2", "1,3,4", "0,1,2"])
    message = error_of(load_pair_csv, data)
    assert "only 3 pairs (2 similar, 1 dissimilar)" in message
    assert "at least 2 similar and 2 dissimilar pairs" in message


def test_one_class_only():
    data = pair_csv("label,a_x,b_x", ["0,1,2", "0,3,4", "0,1,2", "0,5,6"])
    message = error_of(load_pair_csv, data)
    assert "all 4 pairs are labelled similar" in message
    assert "training and evaluation need both similar and dissimilar pairs" in message


# --------------------------------------------------------------------------------------------------
# Columns: label and sides
# --------------------------------------------------------------------------------------------------


def test_detect_label_column_priority_and_case():
    assert detect_label_column(["a_x", " Label ", "b_x"]) == " Label "
    assert detect_label_column(["is_duplicate", "y"]) == "y"
    assert detect_label_column(["IS_SAME", "a_x"]) == "IS_SAME"
    assert detect_label_column(["a_x", "b_x"]) is None


def test_no_label_column():
    message = error_of(load_pair_csv, pair_csv("kind,a_x,b_x", ["0,1,2"]))
    assert "no label column" in message and "kind, a_x, b_x" in message
    assert message.endswith("; name the label column (pass label_column=...)")


def test_shuffled_columns_pair_by_name():
    data = pair_csv(
        "b_height,a_weight,label,a_height,b_weight",
        ["180,60,0,170,65", "150,90,1,200,50", "181,61,0,171,66", "151,91,1,201,51"],
    )
    pairs = load_pair_csv(data)
    assert pairs.feature_names == ["weight", "height"]  # the order of the left columns in the file
    assert pairs.info.left_columns == ["a_weight", "a_height"]
    assert pairs.info.right_columns == ["b_weight", "b_height"]
    np.testing.assert_array_equal(pairs.left[0], [60, 170])
    np.testing.assert_array_equal(pairs.right[0], [65, 180])
    np.testing.assert_array_equal(pairs.right[1], [50, 150])


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (["a_p", "a_q"], ["b_p", "b_q"]),
        (["left_p", "left_q"], ["right_p", "right_q"]),
        (["x1_p", "x1_q"], ["x2_p", "x2_q"]),
        (["First_p", "First_q"], ["Second_p", "Second_q"]),
        (["p_a", "q_a"], ["p_b", "q_b"]),
        (["p_1", "q_1"], ["p_2", "q_2"]),
        (["p_left", "q_left"], ["p_right", "q_right"]),
    ],
)
def test_every_side_pattern(left, right):
    assert detect_sides(["label", *left, *right]) == (left, right, ["p", "q"])
    data = pair_csv(",".join(["label", *right, *left]), ["0,3,4,1,2", "1,7,8,5,6", "0,3,4,1,2", "1,7,8,5,6"])
    pairs = load_pair_csv(data)
    np.testing.assert_array_equal(pairs.left[1], [5, 6])
    np.testing.assert_array_equal(pairs.right[1], [7, 8])
    assert pairs.feature_names == ["p", "q"]


def test_detect_sides_picks_the_pattern_with_most_features():
    # a_1 fits prefix a_ (feature "1") and suffix _1 (feature "a"); suffixes pair two features here.
    # Both fit two features here; the earlier pattern in SIDE_PATTERNS (prefix a_/b_) wins the tie.
    assert detect_sides(["a_1", "b_1", "a_2", "b_2"]) == (["a_1", "a_2"], ["b_1", "b_2"], ["1", "2"])
    columns = ["f_1", "g_1", "h_1", "f_2", "g_2", "h_2", "a_f", "b_f"]
    assert detect_sides(columns) == (["f_1", "g_1", "h_1"], ["f_2", "g_2", "h_2"], ["f", "g", "h"])


def test_detect_sides_none_when_no_pattern():
    assert detect_sides(["label", "height", "weight"]) is None


def test_sides_of_unequal_width():
    data = pair_csv("label,a_x,a_y,a_z,b_x,b_y", ["0,1,2,3,4,5"])
    message = error_of(load_pair_csv, data)
    assert "sides of unequal width: left has 3 columns, right has 2" in message
    assert "unmatched: a_z" in message
    with pytest.raises(DataError, match="unmatched: a_z"):
        detect_sides(["a_x", "a_z", "b_x"])


def test_no_sides():
    message = error_of(load_pair_csv, pair_csv("label,height,weight", ["0,1,2"]))
    assert "label, height, weight" in message and "left_columns" in message and "right_columns" in message


def test_id_like_side_columns_are_ignored_not_features():
    data = pair_csv("a_id,b_id,label,a_x,b_x", ["p,q,0,1,2", "r,s,1,3,4", "p,q,0,1,2", "r,s,1,3,4"])
    pairs = load_pair_csv(data)
    assert pairs.feature_names == ["x"]
    assert pairs.info.ignored_columns == ["a_id", "b_id"]


def test_override_columns():
    data = pair_csv("kind,u,v,w,z", ["same,1,2,3,4", "diff,5,6,7,8", "same,1,2,3,4", "diff,5,6,7,8"])
    pairs = load_pair_csv(data, label_column="kind", left_columns=["u", "v"], right_columns=["z", "w"])
    np.testing.assert_array_equal(pairs.left[1], [5, 6])
    np.testing.assert_array_equal(pairs.right[1], [8, 7])
    assert pairs.feature_names == ["f0", "f1"]
    np.testing.assert_array_equal(pairs.labels, [0, 1, 0, 1])


def test_override_sides_strip_a_shared_prefix():
    data = pair_csv("label,s_x,t_x,s_y,t_y", ["0,1,2,3,4", "1,5,6,7,8", "0,1,2,3,4", "1,5,6,7,8"])
    pairs = load_pair_csv(data, left_columns=["s_x", "s_y"], right_columns=["t_x", "t_y"])
    assert pairs.feature_names == ["f0", "f1"]
    data = pair_csv("label,left_x,right_x", ["0,1,2", "1,5,6", "0,1,2", "1,5,6"])
    pairs = load_pair_csv(data, left_columns=["left_x"], right_columns=["right_x"])
    assert pairs.feature_names == ["x"]


def test_override_errors():
    data = pair_csv("label,u,v,w", ["0,1,2,3"])
    assert "no column named 'nope'" in error_of(
        load_pair_csv, data, left_columns=["nope"], right_columns=["u"]
    )
    assert "left_columns has 2 columns but right_columns has 1" in error_of(
        load_pair_csv, data, left_columns=["u", "v"], right_columns=["w"]
    )
    assert error_of(load_pair_csv, data, left_columns=["u"]).endswith(
        "give the feature columns of both samples, or of neither "
        "(pass left_columns=[...] and pass right_columns=[...])"
    )
    assert "no column named 'kind'" in error_of(load_pair_csv, data, label_column="kind")


# --------------------------------------------------------------------------------------------------
# Label mapping
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [[0, 1, 1, 0], [0.0, 1.0, 1.0, 0.0], ["0", "1", "1", "0"], ["0", "1.0", " 1 ", "0.0"]],
)
def test_numbers_follow_the_loss_convention(values):
    labels, mapping = map_labels(pd.Series(values), column="label")
    assert labels.dtype == np.float32
    np.testing.assert_array_equal(labels, [0, 1, 1, 0])
    assert mapping.reason == "numbers follow the loss convention: 0 = similar, 1 = dissimilar"
    assert (mapping.n_similar, mapping.n_dissimilar) == (2, 2)
    assert mapping.similar_values[0] == "0"


def test_mapping_display_values():
    _, mapping = map_labels(pd.Series([0.0, 1.0, 1.0]), column="label")
    assert (mapping.similar_values, mapping.dissimilar_values) == (["0"], ["1"])
    assert mapping.describe() == "similar: label = 0 (1 pair); dissimilar: label = 1 (2 pairs)"
    _, mapping = map_labels(pd.Series(["nan", "inf", "inf"]), column="label", similar_label="nan")
    assert mapping.describe() == "similar: label = 'nan' (1 pair); dissimilar: label = 'inf' (2 pairs)"


def test_labels_written_in_other_forms_are_one_value():
    """Numbers and true/false are shown and counted in one form however written (so a label column reads
    the same whether pandas parsed it as text or as numbers); other text as written, stripped."""
    labels, mapping = map_labels(pd.Series(["01", "1", "1.0", " 0", "+0", 1, 0.0, "1e0"]), column="label")
    np.testing.assert_array_equal(labels, [1, 1, 1, 0, 0, 1, 0, 1])
    assert mapping.describe() == "similar: label = 0 (3 pairs); dissimilar: label = 1 (5 pairs)"
    _, mapping = map_labels(pd.Series(["TRUE", "false", True, "False "]), column="label")
    assert (mapping.similar_values, mapping.dissimilar_values) == (["false"], ["true"])
    with pytest.raises(LabelError) as caught:
        map_labels(pd.Series(["0", "1", "02", "2.0", "Same", "same "]), column="label", similar_label="x")
    assert "its values are: '0' (1 row), '1' (1 row), '2' (2 rows), 'Same' (1 row), 'same' (1 row)" in str(
        caught.value
    )
    too_long = "9" * 5000  # more digits than Python turns into an int: shown as written, not a crash
    with pytest.raises(LabelError) as caught:
        map_labels(pd.Series(["0", "1", too_long]), column="label")
    assert caught.value.value == too_long and "means neither similar nor dissimilar" in str(caught.value)


@pytest.mark.parametrize("values", [[True, False, False], ["true", "FALSE", "False"]])
def test_booleans_follow_the_loss_convention(values):
    labels, mapping = map_labels(pd.Series(values), column="label")
    np.testing.assert_array_equal(labels, [1, 0, 0])
    assert "false = similar" in mapping.reason


@pytest.mark.parametrize("column", ["is_duplicate", "Is_Same", "match", "similar", "duplicate"])
def test_column_named_for_similarity_means_one_is_similar(column):
    labels, mapping = map_labels(pd.Series([1, 0, 1]), column=column)
    np.testing.assert_array_equal(labels, [0, 1, 0])
    assert mapping.reason.startswith(f"column name '{column}' says 1/true = similar")
    labels, _ = map_labels(pd.Series([True, False]), column=column)
    np.testing.assert_array_equal(labels, [0, 1])


def test_dissimilarity_name_keeps_the_convention():
    labels, _ = map_labels(pd.Series([1, 0]), column="is_dissimilar")
    np.testing.assert_array_equal(labels, [1, 0])


def test_words_map_by_meaning():
    values = pd.Series(
        ["Same", "different", " genuine ", "Impostor", "non-match", "no_match", "MATCH", "neg"]
    )
    labels, mapping = map_labels(values, column="label")
    np.testing.assert_array_equal(labels, [0, 1, 0, 1, 1, 1, 0, 1])
    assert "by meaning" in mapping.reason
    assert "Same" in mapping.similar_values and "Impostor" in mapping.dissimilar_values


def test_yes_no_depend_on_the_column_name():
    labels, _ = map_labels(pd.Series(["yes", "no", "Y"]), column="label")
    np.testing.assert_array_equal(labels, [0, 1, 0])
    labels, mapping = map_labels(pd.Series(["yes", "no"]), column="different")
    np.testing.assert_array_equal(labels, [1, 0])
    assert "yes = dissimilar" in mapping.reason


def test_similar_label_matches_numbers_and_text():
    labels, mapping = map_labels(pd.Series([1.0, 0.0, 1.0]), column="label", similar_label="1")
    np.testing.assert_array_equal(labels, [0, 1, 0])
    assert "similar_label='1'" in mapping.reason and "'0'" in mapping.reason
    labels, _ = map_labels(pd.Series(["A", "b", "a"]), column="kind", similar_label="a")
    np.testing.assert_array_equal(labels, [0, 1, 0])


def test_similar_label_with_several_other_values():
    labels, mapping = map_labels(pd.Series(["cat", "dog", "fox", "cat"]), column="kind", similar_label="cat")
    np.testing.assert_array_equal(labels, [0, 1, 1, 0])
    assert "every other value" in mapping.reason and "'dog'" in mapping.reason and "'fox'" in mapping.reason


def test_similar_label_absent():
    with pytest.raises(LabelError) as caught:
        map_labels(pd.Series([0, 1, 1]), column="label", similar_label="same", source="f.csv")
    message = str(caught.value)
    assert message.startswith("f.csv, column 'label': ")
    assert "similar_label='same' does not occur" in message
    assert "'0' (1 row), '1' (2 rows)" in message


def test_unknown_value_names_value_count_and_first_row():
    with pytest.raises(LabelError) as caught:
        map_labels(pd.Series([0, 1, 2, 0, 2, 2]), column="label", source="f.csv")
    error = caught.value
    assert (error.column, error.row, error.value) == ("label", 3, "2")
    assert "label value '2' (3 rows, the first here)" in str(error)
    assert str(error).endswith("say which value means similar (pass similar_label=...)")
    assert error.settings == (("similar_label", "..."),)
    assert "maybe" in error_of(map_labels, pd.Series(["same", "maybe"]), column="label", kind=LabelError)


def test_mixed_numbers_and_words():
    message = error_of(map_labels, pd.Series([0, "same", 1]).astype(str), column="label", kind=LabelError)
    assert "mix numbers" in message and "same" in message


def test_unknown_label_in_a_file_reports_the_file_row():
    data = pair_csv("label,a_x,b_x", ["0,1,2", "1,3,4", "maybe,1,2"])
    with pytest.raises(LabelError) as caught:
        load_pair_csv(data, name="p.csv")
    assert (caught.value.source, caught.value.row) == ("p.csv", 3)


def test_similar_label_through_the_loader():
    data = pair_csv("kind,a_x,b_x", ["A,1,2", "B,3,4", "A,1,2", "B,3,4"])
    pairs = load_pair_csv(data, label_column="kind", similar_label="b")
    np.testing.assert_array_equal(pairs.labels, [1, 0, 1, 0])


def test_quora_style_file():
    data = pair_csv("id,is_duplicate,a_x,b_x", ["1,1,1,2", "2,0,3,4", "3,1,1,2", "4,0,3,4"])
    pairs = load_pair_csv(data)
    np.testing.assert_array_equal(pairs.labels, [0, 1, 0, 1])
    assert pairs.info.ignored_columns == ["id"]
    assert "is_duplicate" in pairs.info.label_mapping.reason


# --------------------------------------------------------------------------------------------------
# Labeled samples
# --------------------------------------------------------------------------------------------------

SAMPLES = b"id,species,petal,sepal,note\ns1,setosa,1.4,5.1,x\ns2,setosa,1.3,4.9,\ns3,virginica,6.0,6.3,y\n"


def test_samples_loader():
    samples = load_samples_csv(SAMPLES, name="iris.csv")
    assert isinstance(samples, SampleSet)
    assert samples.feature_names == ["petal", "sepal"]
    np.testing.assert_allclose(samples.features, [[1.4, 5.1], [1.3, 4.9], [6.0, 6.3]], rtol=1e-6)
    assert samples.features.dtype == np.float32
    assert samples.classes.tolist() == ["setosa", "setosa", "virginica"]
    assert samples.ids.tolist() == ["s1", "s2", "s3"]
    assert samples.info.kind == "samples" and samples.info.class_column == "species"
    assert samples.info.id_column == "id" and samples.info.ignored_columns == ["note"]


def test_samples_numeric_classes_are_text_and_feature_override():
    data = b"digit,p0,p1,p2\n3,0,1,2\n3,1,1,1\n7,2,2,2\n"
    samples = load_samples_csv(data, feature_columns=["p2", "p0"])
    assert samples.classes.tolist() == ["3", "3", "7"] and samples.ids is None
    np.testing.assert_array_equal(samples.features[:, 0], [2, 1, 2])
    assert samples.feature_names == ["p2", "p0"]


def test_samples_class_override_and_no_class():
    data = b"kind,p0,p1\na,0,1\na,1,1\nb,2,2\n"
    assert load_samples_csv(data, class_column="kind").classes.tolist() == ["a", "a", "b"]
    assert error_of(load_samples_csv, data).endswith("; name it (pass class_column=...)")


def test_samples_text_in_a_mostly_numeric_column():
    data = b"class,p0,p1\na,0,1\na,1,oops\nb,2,2\nb,3,3\n"
    with pytest.raises(DataError) as caught:
        load_samples_csv(data)
    assert (caught.value.column, caught.value.row, caught.value.value) == ("p1", 2, "oops")


def test_samples_duplicate_ids():
    data = b"id,class,p0\nx,a,1\ny,a,2\nx,b,3\n"
    with pytest.raises(DataError) as caught:
        load_samples_csv(data)
    assert "id 'x' appears 2 times (rows 1, 3)" in str(caught.value)
    assert caught.value.column == "id"


def test_samples_too_few_classes_or_samples():
    assert "only one class ('a', 2 samples)" in error_of(load_samples_csv, b"class,p\na,1\na,2\n")
    assert "single sample" in error_of(load_samples_csv, b"class,p\na,1\nb,2\n")


def test_samples_missing_and_infinite():
    data = b"class,p,q\na,1,2\na,,3\nb,4,5\nb,6,7\n"
    assert "drop_missing=True" in error_of(load_samples_csv, data)
    samples = load_samples_csv(data, drop_missing=True)
    np.testing.assert_array_equal(samples.rows, [1, 3, 4])
    assert samples.info.dropped_rows == 1
    with pytest.raises(DataError) as caught:
        load_samples_csv(b"class,p\na,1\na,-inf\nb,2\n")
    assert (caught.value.column, caught.value.row) == ("p", 2)


# --------------------------------------------------------------------------------------------------
# Pairs by reference
# --------------------------------------------------------------------------------------------------

SAMPLE_FEATURES = b"id,class,f0,f1\n7,a,1,2\n8,a,3,4\n9,b,5,6\nx,b,7,8\n"
REFERENCE_PAIRS = b"id_a,id_b,label\n7,8,0\n8, 9,1\n9,x,0\n7,x,1\n"


def test_pairs_by_reference_values():
    pairs = load_pairs_by_reference(
        REFERENCE_PAIRS, SAMPLE_FEATURES, pairs_name="pairs.csv", samples_name="s.csv"
    )
    np.testing.assert_array_equal(pairs.left, [[1, 2], [3, 4], [5, 6], [1, 2]])
    np.testing.assert_array_equal(pairs.right, [[3, 4], [5, 6], [7, 8], [7, 8]])
    np.testing.assert_array_equal(pairs.labels, [0, 1, 0, 1])
    assert pairs.feature_names == ["f0", "f1"]  # the numeric class-like column is not a feature
    assert pairs.info.kind == "reference" and pairs.info.source == "pairs.csv + s.csv"
    assert pairs.info.id_column == "id" and "class" in pairs.info.ignored_columns
    np.testing.assert_array_equal(pairs.rows, [1, 2, 3, 4])
    # Each pair names its two samples by id (" 9" stripped, as matched), and keeps them when subset.
    assert pairs.sample_ids.tolist() == [["7", "8"], ["8", "9"], ["9", "x"], ["7", "x"]]
    assert pairs.subset(np.array([3, 1])).sample_ids.tolist() == [["7", "x"], ["8", "9"]]


def test_pairs_by_reference_overrides():
    pairs_csv = b"p,q,same\n7,8,1\n8,9,0\n9,x,1\n7,x,0\n"
    samples_csv = b"key2,f0\n7,1\n8,3\n9,5\nx,7\n"
    pairs = load_pairs_by_reference(pairs_csv, samples_csv, id_columns=("p", "q"), id_column="key2")
    np.testing.assert_array_equal(pairs.left[:, 0], [1, 3, 5, 1])
    np.testing.assert_array_equal(pairs.labels, [0, 1, 0, 1])  # "same" = 1 means similar


def test_pairs_by_reference_unknown_id():
    pairs_csv = b"id_a,id_b,label\n7,8,0\n8,99,1\n9,x,0\n7,98,1\n"
    with pytest.raises(DataError) as caught:
        load_pairs_by_reference(pairs_csv, SAMPLE_FEATURES, pairs_name="pairs.csv", samples_name="s.csv")
    error = caught.value
    assert (error.source, error.column, error.row, error.value) == ("pairs.csv", "id_b", 2, "99")
    assert "id '99' is not in s.csv" in str(error) and "2 rows of pairs.csv refer to unknown ids" in str(
        error
    )


def test_pairs_by_reference_duplicate_sample_ids_and_missing_columns():
    samples_csv = b"id,f0\n7,1\n7,2\n8,3\n"
    assert "id '7' appears 2 times" in error_of(load_pairs_by_reference, REFERENCE_PAIRS, samples_csv)
    assert "id_columns=(..., ...)" in error_of(
        load_pairs_by_reference, b"u,v,label\n1,2,0\n", SAMPLE_FEATURES
    )
    assert "id_column=..." in error_of(load_pairs_by_reference, REFERENCE_PAIRS, b"name,f0\n7,1\n")


def test_pairs_by_reference_drop_missing_drops_pairs_of_dropped_samples():
    samples_csv = b"id,f0\n7,1\n8,\n9,5\nx,7\ny,9\n"
    pairs_csv = REFERENCE_PAIRS + b"9,y,0\ny,7,1\n"
    assert "missing values" in error_of(load_pairs_by_reference, pairs_csv, samples_csv)
    pairs = load_pairs_by_reference(pairs_csv, samples_csv, drop_missing=True)
    np.testing.assert_array_equal(pairs.rows, [3, 4, 5, 6])  # pairs 1 and 2 use sample 8
    assert pairs.info.dropped_rows == 2


# --------------------------------------------------------------------------------------------------
# Properties: any input gives valid pairs or a user error, never a crash
# --------------------------------------------------------------------------------------------------


def _check_pairs_or_user_error(data: bytes) -> None:
    try:
        pairs = load_pair_csv(data)
    except SiameseError:
        return
    assert pairs.left.dtype == np.float32 and pairs.right.dtype == np.float32
    assert pairs.left.shape == pairs.right.shape and pairs.left.shape[0] == pairs.labels.shape[0]
    assert np.all(np.isfinite(pairs.left)) and np.all(np.isfinite(pairs.right))
    assert set(np.unique(pairs.labels).tolist()) <= {0.0, 1.0}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_any_bytes_give_pairs_or_a_user_error(data):
    _check_pairs_or_user_error(data)


CELLS = st.one_of(
    st.sampled_from(["0", "1", "", "nan", "inf", "1e308", "-0.0", "same", "x", '"', "a,b", " ", "2"]),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=4),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(["label", "a_x", "b_x", "a_y", "b_y", "y", "", "a_x", "note"]), min_size=1, max_size=6
    ),
    st.lists(st.lists(CELLS, min_size=0, max_size=7), max_size=8),
    st.sampled_from([",", ";", "\t"]),
)
def test_csv_like_text_gives_pairs_or_a_user_error(header, rows, delimiter):
    text = "\n".join(delimiter.join(line) for line in [header, *rows])
    _check_pairs_or_user_error(text.encode("utf-8"))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([0, 1]), min_size=4, max_size=30), st.integers(1, 3))
def test_valid_files_load_with_their_labels(labels, width):
    labels = [0, 0, 1, 1, *labels]
    header = ",".join(["label"] + [f"a_{i}" for i in range(width)] + [f"b_{i}" for i in range(width)])
    rows = [",".join([str(y)] + [str(r * 10 + i) for i in range(2 * width)]) for r, y in enumerate(labels)]
    pairs = load_pair_csv(pair_csv(header, rows))
    np.testing.assert_array_equal(pairs.labels, labels)
    np.testing.assert_array_equal(pairs.left[:, 0], [r * 10 for r in range(len(labels))])
    np.testing.assert_array_equal(pairs.right[:, -1], [r * 10 + 2 * width - 1 for r in range(len(labels))])


# --------------------------------------------------------------------------------------------------
# Large pair files: parsed in byte ranges on every core
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def small_ranges(monkeypatch) -> list[bool]:
    """Send every pair file to the range reader, in ranges of ~16 KB read ~1 KB at a time.

    Returns:
        One entry per load: whether the range reader read the values (False: the careful read did).
    """
    monkeypatch.setattr(data_ranges, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(data_ranges, "RANGE_BYTES_PER_COLUMN", 2048)
    monkeypatch.setattr(data_ranges, "MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(data_lines, "READ_BYTES", 1000)
    taken = []
    read = data_ranges.read_pairs_in_ranges

    def spy(*args):
        try:
            values = read(*args)
        except DataError:
            taken.append(True)  # it read the values and reported one
            raise
        taken.append(values is not None)
        return values

    monkeypatch.setattr(data_ranges, "read_pairs_in_ranges", spy)
    return taken


IN_SMALL_RANGES = [
    (data_ranges, "PARALLEL_MIN_BYTES", 0),
    (data_ranges, "RANGE_BYTES_PER_COLUMN", 512),
    (data_ranges, "MIN_RANGE_BYTES", 1),
    (data_lines, "READ_BYTES", 700),
]
CAREFULLY = [
    (data_ranges, "PARALLEL_MIN_BYTES", 2**62),
    (data_ranges, "read_pairs_in_ranges", lambda *args: None),
]


def outcome(read, patches=()) -> PairSet | SiameseError:
    """What `read()` returns, or the user error it raises, with (module, name, value) `patches` applied."""
    with pytest.MonkeyPatch.context() as patch:
        for module, name, value in patches:
            patch.setattr(module, name, value)
        try:
            return read()
        except SiameseError as error:
            return error


def assert_same_outcome(got: PairSet | SiameseError, expected: PairSet | SiameseError) -> None:
    if isinstance(expected, SiameseError):
        assert type(got) is type(expected) and str(got) == str(expected)
    else:
        assert_same_pairs(got, expected)


def careful_read(monkeypatch, source, **kwargs) -> PairSet:
    """`load_pair_csv` without the range reader."""
    with monkeypatch.context() as patch:
        patch.setattr(data_ranges, "PARALLEL_MIN_BYTES", 2**62)
        patch.setattr(data_ranges, "read_pairs_in_ranges", lambda *args: None)
        return load_pair_csv(source, **kwargs)


def assert_same_pairs(pairs: PairSet, expected: PairSet) -> None:
    """Equal to the bit (-0.0 is not 0.0), with the same rows, labels and LoadInfo."""
    for name in ("left", "right", "labels"):
        got, want = getattr(pairs, name), getattr(expected, name)
        assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    np.testing.assert_array_equal(pairs.rows, expected.rows)
    assert pairs.feature_names == expected.feature_names
    assert pairs.info == expected.info


def big_pair_csv(
    n_rows: int = 3000,
    delimiter: str = ",",
    eol: str = "\n",
    decimal: str = ".",
    labels: tuple[str, str] = ("same", "different"),
    note: bool = True,
) -> str:
    """A pair file with floats at full precision, integers (0 and beyond 2**53) and an ignored text column."""
    rng = np.random.default_rng(7)
    floats = rng.normal(scale=1e3, size=(n_rows, 2))
    integers = rng.integers(-(2**60), 2**60, size=(n_rows, 2))
    integers[::7] = 0
    lines = [delimiter.join(["label", "a_f", "a_i", *(["note"] if note else []), "b_f", "b_i"])]
    for row in range(n_rows):
        a_f, b_f = (f"{value:.17g}".replace(".", decimal) for value in floats[row])
        cells = [labels[row % 2], a_f, str(integers[row, 0]), *([f"n{row}"] if note else [])]
        lines.append(delimiter.join([*cells, b_f, str(integers[row, 1])]))
    return eol.join(lines) + eol


@pytest.mark.parametrize(
    ("delimiter", "eol", "decimal", "bom"), [(",", "\n", ".", False), (";", "\r\n", ",", True)]
)
def test_ranges_give_exactly_the_careful_read(
    tmp_path, monkeypatch, small_ranges, delimiter, eol, decimal, bom
):
    path = tmp_path / "big.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" * bom + big_pair_csv(delimiter=delimiter, eol=eol, decimal=decimal).encode()
    )
    pairs = load_pair_csv(path)
    assert small_ranges == [True]
    assert_same_pairs(pairs, careful_read(monkeypatch, path))
    assert pairs.n_pairs == 3000 and pairs.rows[-1] == 3000
    assert pairs.left.flags.c_contiguous and pairs.right.flags.c_contiguous
    assert pairs.info.ignored_columns == ["note"]


def test_ranges_start_at_lines():
    text = big_pair_csv().encode()
    offsets = data_lines.line_starts(io.BytesIO(text), 0, len(text), 10)
    assert len(offsets) == 11 and offsets[0] == 0 and offsets[-1] == len(text)
    assert all(text[offset - 1 : offset] == b"\n" for offset in offsets[1:-1])
    assert max(np.diff(offsets)) < len(text) / 10 + 100  # even, within a line of about 75 bytes


def test_ranges_read_bytes_too(monkeypatch, small_ranges):
    source = big_pair_csv(labels=("égal", "différent")).encode()
    pairs = load_pair_csv(source, similar_label="égal")
    assert_same_pairs(pairs, careful_read(monkeypatch, source, similar_label="égal"))
    assert pairs.info.label_mapping.dissimilar_values == ["différent"]
    assert small_ranges == [True]


def _quote_a_note(lines: list[str]) -> None:
    lines[1500] = lines[1500].replace(",n1499,", ',"n,1499",')
    assert '"' in lines[1500]


def _integer_negative_zero(lines: list[str]) -> None:
    lines[8] = lines[8].replace(",0,n7,", ",-0,n7,")  # every 7th row has integer zeros
    assert ",-0," in lines[8]


def _blank_lines(lines: list[str]) -> None:
    lines[100:100] = ["", "", ""]


@pytest.mark.parametrize(
    ("change", "range_reader"),
    [(_quote_a_note, False), (_integer_negative_zero, False), (_blank_lines, True)],
)
def test_unusual_large_files_load_as_with_the_careful_read(monkeypatch, small_ranges, change, range_reader):
    """A quote (a line break may be inside a value) and "-0" as an integer (int64 has no -0, the float32
    read keeps it) send the file to the careful read; blank lines do not."""
    lines = big_pair_csv().split("\n")
    change(lines)
    source = "\n".join(lines).encode()
    assert_same_pairs(load_pair_csv(source), careful_read(monkeypatch, source))
    assert small_ranges == [range_reader]


TOO_MANY = "look for an unquoted ',' inside a value or an extra one at the end of the line"
TOO_FEW = (
    "a value or a ',' is missing: write 6 fields separated by ',' on every line (an empty cell is a field "
    "too), or remove the line"
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda line: line + ",9", f"line 3000 has 7 fields but the header has 6; {TOO_MANY}"),
        (lambda line: line + ",", f"line 3000 has 7 fields but the header has 6; {TOO_MANY}"),
        (lambda line: line.rsplit(",", 1)[0], f"line 3000 has 5 fields but the header has 6; {TOO_FEW}"),
        (
            lambda line: line.replace(",n2998,", ","),
            f"line 3000 has 5 fields but the header has 6; {TOO_FEW}",
        ),
        (
            lambda line: line.replace(",", ";"),
            "mixed delimiters: the header is separated by ',' (6 columns) but line 3000 is separated by ';' "
            "(6 fields); use the same delimiter on every line",
        ),
        (
            lambda line: line.replace(",", "\t"),
            "mixed delimiters: the header is separated by ',' (6 columns) but line 3000 is separated by tab "
            "(6 fields); use the same delimiter on every line",
        ),
        (
            lambda line: '"' + line.replace(",", '",', 1) + ",9",  # a quote late in the file, a field more
            f"line 3000 has 7 fields but the header has 6; {TOO_MANY}",
        ),
    ],
)
@pytest.mark.parametrize("drop_missing", [False, True])
def test_a_late_row_of_another_shape_is_refused_by_every_reader(
    tmp_path, monkeypatch, small_ranges, change, message, drop_missing
):
    """pandas pads a row of too few fields (a row split by another delimiter has one) with empty cells and,
    as the note column is not read, drops the fields a row has too many: values would shift, or a row
    would be taken for empty cells and dropped. Far beyond the rows sniffed, in a later range, the range
    reader, the careful read and the stream all refuse the row, with or without drop_missing."""
    lines = big_pair_csv().split("\n")
    lines[2999] = change(lines[2999])
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines))
    expected = f"big.csv, row 2999 (line 3000): {message}"
    assert error_of(load_pair_csv, path, drop_missing=drop_missing) == expected
    assert small_ranges == [False]
    assert error_of(careful_read, monkeypatch, path, drop_missing=drop_missing) == expected
    assert error_of(PairStream(path, chunk_rows=64, drop_missing=drop_missing).scan) == expected


@pytest.mark.parametrize(
    ("row", "cell", "range_reader"),
    [
        (2500, "oops", False),  # text in a feature column
        (2500, "", False),  # missing value
        (2500, "NaN", False),
        (2500, "inf", True),  # parsed, then reported by the finite-value check
        (2500, "1e308", True),
        (2900, "1e39", True),
    ],
)
def test_errors_in_a_large_file_are_the_careful_reads(monkeypatch, small_ranges, row, cell, range_reader):
    lines = big_pair_csv().split("\n")
    fields = lines[row].split(",")
    fields[4] = cell
    lines[row] = ",".join(fields)
    source = "\n".join(lines).encode()
    with pytest.raises(DataError) as caught:
        load_pair_csv(source, name="big.csv")
    with pytest.raises(DataError) as expected:
        careful_read(monkeypatch, source, name="big.csv")
    assert str(caught.value) == str(expected.value)
    assert (caught.value.column, caught.value.row) == ("b_f", row)
    assert small_ranges == [range_reader]


@pytest.mark.parametrize(
    ("line", "range_reader"),
    [
        (b"maybe,1,2,n,3,4", True),  # a label that means nothing: reported by map_labels
        (b",1,2,n,3,4", False),  # an empty label
        (b"same,1,2,n,3", False),  # a field less than the header
        (b"same,1,2,\xff,3,4", False),  # not UTF-8 (in a column that is not read)
    ],
)
def test_line_errors_in_a_large_file_are_the_careful_reads(monkeypatch, small_ranges, line, range_reader):
    lines = big_pair_csv().encode().split(b"\n")
    lines[2000] = line
    source = b"\n".join(lines)
    with pytest.raises(SiameseError) as caught:
        load_pair_csv(source, name="big.csv")
    with pytest.raises(SiameseError) as expected:
        careful_read(monkeypatch, source, name="big.csv")
    assert type(caught.value) is type(expected.value) and str(caught.value) == str(expected.value)
    assert small_ranges == [range_reader]


def test_rows_of_too_many_fields_from_the_start_of_a_range_are_an_error(monkeypatch, small_ranges):
    """Every range is read after the file's first data row. pandas takes the first column as the index when
    the first row has a field more than the header: a range starting with such rows would be misread."""
    text = big_pair_csv(note=False).encode()
    header = text.index(b"\n") + 1
    n_ranges = data_ranges.range_count(len(text) - header, 5, data_ranges.worker_count())
    start = data_lines.line_starts(io.BytesIO(text), header, len(text), n_ranges)[3]
    # From there on every row gets a sixth field, in place of label characters: the same ranges.
    rest = text[start:].replace(b"same,", b"sa,9,").replace(b"different,", b"differe,9,")
    source = text[:start] + rest
    assert len(source) == len(text) and source[start - 1 : start] == b"\n"
    with pytest.raises(DataError) as caught:
        load_pair_csv(source)
    with pytest.raises(DataError) as expected:
        careful_read(monkeypatch, source)
    assert str(caught.value) == str(expected.value)
    assert "has 6 fields but the header has 5" in str(caught.value)
    assert small_ranges == [False]


def test_lines_starting_with_spaces_read_as_in_the_careful_read(monkeypatch, small_ranges):
    """pandas drops the spaces that begin a line when one of its reads ends among them: the ranges are read
    in whole lines. " same" is the label same, counted with the others, as in the careful read; a label
    column that mixes numbers and words is left to the careful read, which names the mix."""
    monkeypatch.setattr(data_lines, "READ_BYTES", 1)
    lines = big_pair_csv().split("\n")
    lines[10] = " " + lines[10]
    source = "\n".join(lines).encode()
    pairs = load_pair_csv(source)
    assert small_ranges == [True]
    assert_same_pairs(pairs, careful_read(monkeypatch, source))
    assert pairs.info.label_mapping.similar_values == ["same"] and pairs.info.label_mapping.n_similar == 1500
    lines = big_pair_csv(labels=("0", "1")).split("\n")
    lines[20] = "same" + lines[20][1:]
    with pytest.raises(LabelError) as caught:
        load_pair_csv("\n".join(lines).encode())
    assert small_ranges == [True, False]
    assert "labels mix numbers or true/false (0, 1) with words (same)" in str(caught.value)


def _with_labels(texts: list[str], n_rows: int = 3000, decimal_comma: bool = False) -> bytes:
    """big_pair_csv with the label of row r set to texts[r % len(texts)], `;` and "," as the decimal mark
    with `decimal_comma`."""
    options = {"delimiter": ";", "decimal": ","} if decimal_comma else {}
    lines = big_pair_csv(n_rows=n_rows, labels=("x", "x"), **options).split("\n")
    for row in range(1, n_rows + 1):
        lines[row] = texts[(row - 1) % len(texts)] + lines[row][1:]
    return "\n".join(lines).encode()


def test_numeric_labels_written_any_way_read_in_ranges_as_one_value(monkeypatch, small_ranges):
    """The range reader lets pandas parse labels as numbers (no Python call per row); "01", "+1", "1.0" and
    "1" are then one value, as the careful read's text is counted (`_display`)."""
    source = _with_labels(["0", "1", "01", "+1", "1.0", "0", "+0", "0.0", "1"])
    pairs = load_pair_csv(source)
    assert small_ranges == [True]
    assert_same_pairs(pairs, careful_read(monkeypatch, source))
    mapping = pairs.info.label_mapping
    assert (mapping.similar_values, mapping.dissimilar_values) == (["0"], ["1"])
    assert (mapping.n_similar, mapping.n_dissimilar) == (4 * 3000 // 9, 5 * 3000 // 9 + 1)
    np.testing.assert_array_equal(pairs.labels[:9], [0, 1, 1, 1, 1, 0, 0, 0, 1])


def test_true_false_labels_read_in_ranges_as_in_the_careful_read(monkeypatch, small_ranges):
    source = _with_labels(["TRUE", "false", "True", "False", "true"])
    pairs = load_pair_csv(source)
    assert small_ranges == [True]
    assert_same_pairs(pairs, careful_read(monkeypatch, source))
    mapping = pairs.info.label_mapping
    assert (mapping.similar_values, mapping.dissimilar_values) == (["false"], ["true"])
    assert mapping.reason == "true/false follow the loss convention: false = similar, true = dissimilar"


def test_long_integer_labels_that_pandas_rounds_go_to_the_careful_read(monkeypatch, small_ranges):
    """1e20 and 123456789012345678901 parse as float64 in a range, where the second loses digits: the careful
    read names it in full. So does 12345678901234567890 (uint64 in its own range), once joined to ranges of
    int64 labels (as float64)."""
    source = _with_labels(["0", "1", "1e20", "123456789012345678901"])
    with pytest.raises(LabelError) as caught:
        load_pair_csv(source)
    assert small_ranges == [False]
    assert "label value '100000000000000000000' (750 rows, the first here) means neither" in str(caught.value)
    source = _with_labels(["0", "1", "123456789012345678901"])
    with pytest.raises(LabelError) as caught:
        load_pair_csv(source)
    assert "label value '123456789012345678901' (1,000 rows" in str(caught.value)
    source = _with_labels(["0", "1"] * 1200 + ["0", "12345678901234567890"] * 300)
    pairs = load_pair_csv(source, similar_label="0")
    assert small_ranges == [False, False, False]
    assert pairs.info.label_mapping.dissimilar_values == ["1", "12345678901234567890"]


def test_decimal_comma_labels_read_as_their_text(monkeypatch, small_ranges):
    """In a file with a decimal comma, pandas reads the label "1,0" as 1.0; the careful read keeps the text,
    which is no number, and so no label: the range reader leaves such a file to it."""
    source = _with_labels(["0,0", "1,0"], decimal_comma=True)
    with pytest.raises(LabelError) as caught:
        load_pair_csv(source)
    assert small_ranges == [False]
    assert "label value '0,0' (1,500 rows, the first here) means neither" in str(caught.value)
    pairs = load_pair_csv(_with_labels(["0", "1"], decimal_comma=True))
    assert small_ranges[-1] is True and pairs.info.label_mapping.similar_values == ["0"]


def test_missing_words_among_too_long_integers_go_to_the_careful_read(monkeypatch, small_ranges):
    """pandas leaves "" and NA as written in a column that also holds an integer too large for int64 (its
    issue 14983); the careful read finds them missing, and so the range reader leaves such a file to it."""
    source = _with_labels(["99999999999999999999", "0.0", "", "NA"])
    with pytest.raises(DataError) as caught:
        load_pair_csv(source)
    assert small_ranges == [False]
    assert "1,500 of 3,000 rows have missing values (empty cells)" in str(caught.value)


def test_pandas_missing_words_are_what_pandas_reads_as_missing():
    words = sorted(data.PANDAS_MISSING_WORDS - {""})
    frame = pd.read_csv(io.StringIO("x\n" + "\n".join(words) + "\n\nnot missing\n"), skip_blank_lines=False)
    assert frame["x"].isna().tolist() == [True] * (len(words) + 1) + [False]
    assert pd.read_csv(io.StringIO("x,y\nmaybe,1\n,2\n"))["x"].isna().tolist() == [False, True]
    from pandas._libs.parsers import STR_NA_VALUES  # pandas' own list, private: none missing, none more

    assert data.PANDAS_MISSING_WORDS == STR_NA_VALUES


LABEL_TEXTS = ["0", "1", "01", "+1", "-0", "1.0", "0.0", "1e0", " 1", "true", "TRUE", "False", "same",
               "different", "Same", "2", "0.5", "0,5", "1,0", "", "NA", "12345678901234567890",
               "99999999999999999999", "9007199254740993", "1e20", "1_0", "yes", "n"]  # fmt: skip


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(LABEL_TEXTS), min_size=1, max_size=6),
    st.integers(0, 2**32 - 1),
    st.sampled_from([None, "1", "same", "TRUE", "01", "0,5"]),
    st.booleans(),
)
def test_any_labels_read_in_ranges_as_in_the_careful_read(texts, seed, similar_label, decimal_comma):
    """Whatever mix of labels each range holds (numbers in another form, true/false, words, empty, too long
    for float64 or int64, a decimal comma), the pairs, the mapping and any error are the careful read's.
    Each block of 50 rows (about a range) draws from its own few of `texts`, so ranges differ in dtype."""
    rng = np.random.default_rng(seed)
    if not decimal_comma:  # a comma in a label would be a field more
        texts = [text.replace(",", ".") for text in texts]
    per_row = []
    for _ in range(8):
        block = rng.choice(texts, size=rng.integers(1, len(texts) + 1), replace=False)
        per_row += rng.choice(block, size=50).tolist()
    source = _with_labels(per_row, n_rows=400, decimal_comma=decimal_comma)
    read = lambda: load_pair_csv(source, similar_label=similar_label)  # noqa: E731
    assert_same_outcome(outcome(read, IN_SMALL_RANGES), outcome(read, CAREFULLY))


def _with_note(line: str, note: str) -> str:
    """A row of big_pair_csv with its note "n<row>" written as `note` with the row for {}."""
    fields = line.split(",")
    fields[3] = note.format(fields[3][1:])
    return ",".join(fields)


# A row changed into lines: (the lines, the message for its line number when the row's number of fields is
# not the header's, else None). The rows are big_pair_csv's: label,a_f,a_i,note,b_f,b_i.
MIXED = "mixed delimiters: the header is separated by ',' (6 columns) but line {} is separated by"
ROW_SHAPES = {
    "a field more": lambda line: ([line + ",9"], f"line {{}} has 7 fields but the header has 6; {TOO_MANY}"),
    "an empty field more": lambda line: (
        [line + ","],
        f"line {{}} has 7 fields but the header has 6; {TOO_MANY}",
    ),
    "a field less": lambda line: (
        [line.rsplit(",", 1)[0]],
        f"line {{}} has 5 fields but the header has 6; {TOO_FEW}",
    ),
    "one field": lambda line: (
        [line.split(",", 1)[0]],
        f"line {{}} has 1 field but the header has 6; {TOO_FEW}",
    ),
    "semicolons": lambda line: (
        [line.replace(",", ";")],
        f"{MIXED} ';' (6 fields); use the same delimiter on every line",
    ),
    "tabs": lambda line: (
        [line.replace(",", "\t")],
        f"{MIXED} tab (6 fields); use the same delimiter on every line",
    ),
    "a quote, a field more": lambda line: (
        ['"' + line.replace(",", '",', 1) + ",9"],
        f"line {{}} has 7 fields but the header has 6; {TOO_MANY}",
    ),
    "a blank line before": lambda line: (["", line], None),
    "spaces before": lambda line: ([" \t ", line], None),
    "a quoted label": lambda line: (['"' + line.replace(",", '",', 1)], None),
    "a comma in a quoted note": lambda line: ([_with_note(line, '"n,{}"')], None),
    "a line break in a quoted note": lambda line: ([_with_note(line, '"n\n{}"')], None),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.integers(1, 400), st.sampled_from(sorted(ROW_SHAPES)), min_size=1, max_size=3),
    st.booleans(),
)
def test_rows_of_any_shape_anywhere_read_in_ranges_as_in_the_careful_read(changes, drop_missing):
    """Rows with a field more or less, split by another delimiter, quoted (from a late row on), or after a
    blank line, near the top or far beyond the rows sniffed: the range reader, the careful read and the
    stream (in ranges of 16 rows, or in order from a quote on) all refuse the first row whose number of
    fields is not the header's, naming its line as an editor counts it, or all read the same pairs."""
    records, first_bad = [], None
    for row, line in enumerate(big_pair_csv(n_rows=400).split("\n")):
        new_lines, problem = ROW_SHAPES[changes[row]](line) if row in changes else ([line], None)
        if problem and first_bad is None:
            number = sum(record.count("\n") + 1 for record in records) + len(new_lines)  # as an editor counts
            first_bad = f"big.csv, row {number - 1} (line {number}): {problem.format(number)}"
        records += new_lines
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        path.write_text("\n".join(records))
        read = lambda: load_pair_csv(path, drop_missing=drop_missing)  # noqa: E731
        careful = outcome(read, CAREFULLY)
        assert_same_outcome(outcome(read, IN_SMALL_RANGES), careful)
        stream = PairStream(path, chunk_rows=16, drop_missing=drop_missing)
        streamed = outcome(lambda: stream.load_split("all"))
        event("refused" if first_bad else "read")  # --hypothesis-show-statistics: how often each
        if first_bad is not None:
            assert str(careful) == first_bad and str(streamed) == first_bad
        else:
            assert isinstance(careful, PairSet) and careful.n_pairs == 400
            for name in ("left", "right", "labels", "rows"):
                np.testing.assert_array_equal(getattr(streamed, name), getattr(careful, name))


def test_range_count():
    """A range holds 128 KiB a column (1 to 64 MiB), at least one per worker while each keeps 1 MiB, and a
    whole number per worker: 129 columns make ranges of 16.1 MiB, so 224 MiB make round(13.9) = 14 ranges,
    already 7 per worker of 2; 5 MiB on 64 workers stop at 5 ranges of 1 MiB; 3 columns make 1 MiB ranges,
    so 10 MiB on 4 workers make 10, rounded up to 12; 1 KiB is one range."""
    assert data_ranges.range_count(224 * 2**20, 129, 2) == 14
    assert data_ranges.range_count(5 * 2**20, 129, 64) == 5
    assert data_ranges.range_count(10 * 2**20, 3, 4) == 12
    assert data_ranges.range_count(1024, 129, 8) == 1


# --------------------------------------------------------------------------------------------------
# Sources, sniffing and the header: each message in full
# --------------------------------------------------------------------------------------------------


class _Pipe:
    """A readable stream that can neither seek nor give its value, with no name (as a socket's file)."""

    def __init__(self, data: bytes):
        self._data = data

    def read(self) -> bytes:
        return self._data


class _Upload(_Pipe):
    """A stream that gives its whole value, cannot seek, and whose reads have gone past its first line."""

    def getvalue(self) -> bytes:
        return self._data

    def read(self) -> bytes:
        return self._data[self._data.index(b"\n") + 1 :]


def test_streams_are_read_whole_and_named_after_their_file(tmp_path):
    """A text stream's value is encoded as UTF-8; a file object read from before is rewound; a stream that
    cannot seek is read from where it is, unless it gives its value; only a non-empty text name names the
    file."""
    pairs = load_pair_csv(io.StringIO(PAIRS.decode().replace("label", "étiquette")), label_column="étiquette")
    assert pairs.info.label_column == "étiquette" and pairs.info.source == "the uploaded file"
    path = tmp_path / "pairs.csv"
    path.write_bytes(PAIRS)
    with open(path, "rb") as stream:
        stream.read(10)
        pairs = load_pair_csv(stream)
    assert pairs.n_pairs == 4 and pairs.info.source == "pairs.csv"
    assert load_pair_csv(_Pipe(PAIRS)).info.source == "the uploaded file"
    assert load_pair_csv(_Upload(PAIRS)).n_pairs == 4  # its value, though its reads went past the header
    for name in ("", 3):
        assert load_pair_csv(_named_stream(PAIRS, name)).info.source == "the uploaded file"


def test_sources_that_are_not_files_are_refused(tmp_path):
    missing, folder, pipe = tmp_path / "nope.csv", tmp_path / "dir", tmp_path / "pipe.csv"
    folder.mkdir()
    os.mkfifo(pipe)
    assert error_of(load_pair_csv, missing) == f"nope.csv: file not found: {missing}"
    assert error_of(load_pair_csv, folder) == f"dir: is a folder, not a file: {folder}"
    assert error_of(load_pair_csv, pipe) == (
        f"pipe.csv: is not a regular file (a pipe, a device or a socket, which could keep the reader waiting "
        f"forever): {pipe}; pass a file"
    )
    assert error_of(load_pair_csv, "label,a_x\n0,1") == (
        "is not a file path (it contains a line break); pass CSV text as bytes instead"
    )
    with pytest.raises(
        TypeError,
        match=r"^source must be a path, bytes or a binary file-like object\. Received: <class 'int'>$",
    ):
        load_pair_csv(123)


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"\xff\xfel\x00", "is UTF-16 text; save it as UTF-8 (CSV UTF-8 in Excel)"),
        (
            b"PK\x03\x04rest",
            "looks like an Excel workbook (.xlsx) or a zip archive, not a CSV; in Excel use File > Save As > CSV "
            "UTF-8",
        ),
        (
            b"\xd0\xcf\x11\xe0rest",
            "looks like an old Excel workbook (.xls), not a CSV; in Excel use File > Save As > CSV UTF-8",
        ),
        (b"\x1f\x8brest", "is gzip-compressed; decompress it and pass the CSV inside"),
        (
            b"a\x00b\x00",  # four bytes, every other one NUL: ASCII written as UTF-16
            "looks like UTF-16 text without a byte order mark (every other byte is NUL); save it as UTF-8 (CSV "
            "UTF-8 in Excel)",
        ),
        (
            "label,a\n".encode("utf-16-le"),
            "looks like UTF-16 text without a byte order mark (every other byte is NUL); save it as UTF-8 (CSV "
            "UTF-8 in Excel)",
        ),
        (
            b"a\x00" * 256 + b"\x00\x00",  # only the first 512 bytes are looked at
            "looks like UTF-16 text without a byte order mark (every other byte is NUL); save it as UTF-8 (CSV "
            "UTF-8 in Excel)",
        ),
        (
            "label,a\n".encode("utf-16-be"),
            "looks like UTF-16 text without a byte order mark (every other byte is NUL); save it as UTF-8 (CSV "
            "UTF-8 in Excel)",
        ),
        (
            b"aXb\x00c\x00",  # one odd byte is not NUL: not UTF-16
            "looks like a binary file, not a CSV (it contains NUL bytes); pass a comma, semicolon or tab "
            "separated text file saved as UTF-8",
        ),
        (
            b"\x00\x00\x00\x00",  # NUL everywhere: no text half
            "looks like a binary file, not a CSV (it contains NUL bytes); pass a comma, semicolon or tab "
            "separated text file saved as UTF-8",
        ),
        (
            b"a\x00b",  # three bytes are too few to call UTF-16
            "looks like a binary file, not a CSV (it contains NUL bytes); pass a comma, semicolon or tab "
            "separated text file saved as UTF-8",
        ),
    ],
)
def test_files_that_are_not_csv_text_are_named(head, message):
    assert error_of(load_pair_csv, head, name="f.csv") == f"f.csv: {message}"


def test_invalid_utf8_is_located_after_a_byte_order_mark():
    """3 bytes of BOM, 14 of header and 4 of "0,1,": the byte 0xff is byte 21, on line 2."""
    assert error_of(load_pair_csv, b"\xef\xbb\xbflabel,a_x,b_x\n0,1,\xff\n", name="f.csv") == (
        "f.csv: is not UTF-8 text (invalid byte 0xff at byte 21, line 2); save it as UTF-8 (CSV UTF-8 in Excel)"
    )


def test_a_file_ending_inside_a_character_is_not_utf8():
    """The file ends with 0xc3, the first byte of a two-byte character: 14 bytes of header and 4 of "0,1,"
    before it."""
    assert error_of(load_pair_csv, b"label,a_x,b_x\n0,1,\xc3", name="c.csv") == (
        "c.csv: is not UTF-8 text (invalid byte 0xc3 at byte 18, line 2); save it as UTF-8 (CSV UTF-8 in Excel)"
    )


def test_a_character_cut_by_the_end_of_the_sniffed_bytes_is_not_an_error():
    """The 64 KiB sniffed end in the middle of "é" (2 bytes): the rest of the file completes it."""
    header = b"label,a_x,b_x,note\n"
    row = b"0,1,2,n\n"
    rows = row * ((64 * 1024 - len(header) - 64) // len(row))
    padding = 64 * 1024 - 1 - len(header) - len(rows) - len(b"1,3,4,")
    data = header + rows + b"1,3,4," + b"x" * padding + "é\n".encode() + b"1,5,6,n\n"
    assert data.index("é".encode()) == 64 * 1024 - 1
    pairs = load_pair_csv(data)
    assert pairs.n_pairs == len(rows) // len(row) + 2


def test_invalid_utf8_after_the_sniffed_bytes_is_named_by_its_byte(tmp_path):
    rows = [f"{i % 2},{i},{i}" for i in range(8000)]  # about 100 KB, beyond the 64 KB sniffed
    data = pair_csv("label,a_x,b_x", rows) + b"1,2,\xff\n"
    message = "f.csv: is not UTF-8 text (invalid byte 0xff after the first 64 KB); save it as UTF-8 (CSV UTF-8 in Excel)"
    assert error_of(read_csv, data, name="f.csv") == message
    assert error_of(load_pair_csv, data, name="f.csv") == message
    path = tmp_path / "f.csv"  # from a file, too, only the first 64 KB are sniffed
    path.write_bytes(data)
    assert error_of(load_pair_csv, path) == message


def test_a_quote_left_open_in_the_last_value_is_reported():
    """The last row has the header's three fields (the third runs to the end of the file), so the row check
    passes it and pandas reports the open quote, on data row 2."""
    data = b'label,a_x,b_x\n0,1,2\n1,2,"3\n'
    assert error_of(read_csv, data, name="q.csv") == (
        'q.csv: a quote (") opened near data row 2 is never closed; close or remove it'
    )


def test_a_header_longer_than_the_sniffed_bytes_is_read_whole(tmp_path):
    """8,000 columns of about 10 bytes: the header alone is beyond 64 KiB, read as bytes or from a path."""
    names = [f"a_feat{i:04d}" for i in range(4000)] + [f"b_feat{i:04d}" for i in range(4000)]
    data = pair_csv(",".join(["label", *names]), [f"{y}" + ",1" * 8000 for y in (0, 1, 0, 1)])
    assert data.index(b"\n") > 64 * 1024
    path = tmp_path / "wide.csv"
    path.write_bytes(data)
    for source in (data, path):
        pairs = load_pair_csv(source)
        assert pairs.left.shape == (4, 4000) and pairs.feature_names[-1] == "feat3999"


def test_a_header_of_more_than_ten_thousand_columns_is_refused():
    header = ",".join(f"c{i}" for i in range(10_001))
    assert error_of(read_csv, (header + "\n" + ",1" * 10_000 + "\n").encode(), name="w.csv") == (
        "w.csv: has 10,001 columns, more than the limit of 10,000; keep only the columns you need (fewer features, "
        "e.g. after PCA) and save it again"
    )
    assert read_csv((header[: header.rindex(",")] + "\n" + ",1" * 9_999 + "\n").encode()).shape == (1, 10_000)


@pytest.mark.parametrize(
    ("read", "needs"),
    [
        (load_pair_csv, "a label column and feature columns"),
        (load_samples_csv, "a class column and feature columns"),
        (
            lambda source, name: load_pairs_by_reference(source, b"id,f\n1,2\n", pairs_name=name),
            "two id columns and a label column",
        ),
        (
            lambda source, name: load_pairs_by_reference(
                b"id_a,id_b,label\n1,2,0\n", source, samples_name=name
            ),
            "an id column and feature columns",
        ),
        (read_header, "a label column and feature columns"),
    ],
    ids=["pairs", "samples", "reference pairs", "reference samples", "read_header"],
)
def test_a_file_of_one_column_says_what_it_needs(read, needs):
    assert error_of(read, b"kind\n1\n", name="o.csv") == (
        f"o.csv: has only one column ('kind'); it needs at least {needs}; no comma, semicolon or tab was found in "
        "the header"
    )


@pytest.mark.parametrize(
    ("header", "seen"), [(b"a|b", "'|'"), (b"a:b", "':'"), (b"a b", "' '")], ids=["pipe", "colon", "space"]
)
def test_a_file_of_one_column_names_the_separator_it_seems_to_use(header, seen):
    """One separator in the header is enough to name it; | is looked for first, then :, then a space."""
    assert error_of(load_pair_csv, header + b"\n1\n", name="o.csv") == (
        f"o.csv: has only one column ('{header.decode()}'); it needs at least a label column and feature columns; "
        f"it seems to be separated by {seen}; save it with commas, semicolons or tabs"
    )


def test_mixed_delimiters_name_the_header_and_the_line():
    assert error_of(read_csv, b"label\n0;1;2\n", name="m.csv") == (
        "m.csv, row 1 (line 2): mixed delimiters: the header has no comma, semicolon or tab (1 column) but line 2 "
        "is separated by ';' (3 fields); use the same delimiter on every line"
    )
    assert error_of(read_csv, b"a,b\n0;1;2\n", name="m.csv") == (
        "m.csv, row 1 (line 2): mixed delimiters: the header is separated by ',' (2 columns) but line 2 is "
        "separated by ';' (3 fields); use the same delimiter on every line"
    )


@pytest.mark.parametrize(
    ("read", "first_line", "example"),
    [
        (load_samples_csv, "0,1", "class,f0"),
        (load_samples_csv, "0,1,2,3,4,5,6", "class,f0,f1,f2,f3,f4,f5"),
        (load_samples_csv, "0,1,2,3,4,5,6,7", "class,f0,f1,...,f5,f6"),
        (load_pair_csv, "0,1", "label,a_f0,b_f0"),
        (load_pair_csv, "0,1,2,3,4,5,6,7,8", "label,a_f0,a_f1,...,b_f2,b_f3"),
        (load_pair_csv, "0;1,5;2", "label;a_f0;b_f0"),
        (load_pair_csv, "0,,1", "label,a_f0,b_f0"),
    ],
    ids=["2 samples", "7 samples", "8 samples", "2 pairs", "9 pairs", "decimal comma", "an empty name"],
)
def test_a_first_line_of_numbers_asks_for_a_header_like_the_file_needs(read, first_line, example):
    """The example has the file's number of fields and its delimiter (a pair file: a label, then one feature
    per side at least); beyond seven names it shows the first three and the last two."""
    data = (first_line + "\n" + first_line + "\n").encode()
    assert error_of(read, data, name="d.csv") == (
        f"d.csv: the first line looks like data, not column names ({first_line}); add a header row such as {example}"
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "a,b,c,",
            "column 4 of the header has no name (an extra ',' at the end of the lines adds an unnamed column)",
        ),
        (
            "a\tb\t",
            "column 3 of the header has no name (an extra tab at the end of the lines adds an unnamed column)",
        ),
        (
            ",b,c,",
            "column 1, 4 of the header has no name (files written by pandas' to_csv without index=False start "
            "with an unnamed index column; an extra ',' at the end of the lines adds an unnamed column)",
        ),
        ("a,,c", "column 2 of the header has no name"),
        (
            "," * 11 + "a,b",  # eleven unnamed columns: the first ten are named
            "column 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 of the header has no name (files written by pandas' to_csv "
            "without index=False start with an unnamed index column)",
        ),
    ],
)
def test_unnamed_columns_are_named_by_position_with_the_likely_cause(header, message):
    delimiter = "\t" if "\t" in header else ","
    data = (header + "\n" + delimiter.join(["1"] * (header.count(delimiter) + 1)) + "\n").encode()
    assert error_of(load_pair_csv, data, name="u.csv") == f"u.csv: {message}; name it or delete that column"


def test_duplicate_column_names_are_all_named_with_their_positions():
    assert error_of(load_pair_csv, b"label,a_x,b_x,a_x,b_x,label\n0,1,2,3,4,5\n", name="d.csv") == (
        "d.csv: has duplicate column names: 'label' (columns 1, 6); 'a_x' (columns 2, 4); 'b_x' (columns 3, 5); "
        "give every column a unique name"
    )
    header = ",".join(["label", *["x"] * 11])
    assert error_of(read_csv, (header + "\n" + "1," * 11 + "1\n").encode()) == (
        "the uploaded file: has duplicate column names: 'x' (columns 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ... (11 in "
        "all)); give every column a unique name"
    )


def test_a_late_row_split_in_two_by_another_delimiter_is_a_mixed_delimiter():
    """ "1;2" is one field for ',' and two for ';': the row is named as a line of mixed delimiters."""
    data = late_rows("a_x,b_x,label", "{i},{i},{y}", "1;2")
    assert error_of(load_pair_csv, data, name="m.csv") == (
        "m.csv, row 301 (line 302): mixed delimiters: the header is separated by ',' (3 columns) but line 302 is "
        "separated by ';' (2 fields); use the same delimiter on every line"
    )


@pytest.mark.parametrize("read", [read_csv, load_pair_csv, load_samples_csv])
def test_a_header_followed_by_blank_lines_only_has_no_data_rows(read):
    """70,000 blank lines: the sniffed 64 KiB end before the file does, so the read finds no row."""
    data = b"label,a_x,b_x\n" + b"\n" * 70_000
    assert error_of(read, data, name="e.csv") == "e.csv: has a header but no data rows"


def test_a_folder_named_by_a_path_without_a_name_is_named_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert error_of(load_pair_csv, ".") == ".: is a folder, not a file: ."


def test_a_quote_left_open_in_a_file_of_carriage_returns_is_reported():
    """Lines end with \r alone: the open quote's value runs to the end of the file, holding \r, not \n."""
    assert error_of(load_pair_csv, b'label,a_x,b_x\r0,1,2\r1,"3,4\r0,1,2\r', name="q.csv") == (
        'q.csv, row 2 (line 3): a quote (") opened on line 3 is never closed; close or remove it'
    )


def test_read_header_gives_the_stripped_names_from_the_first_bytes():
    assert read_header(b" id ,name,\tvalue\n1,ann,0.5\n") == ["id", "name", "value"]
    assert read_header(io.BytesIO(b"a;b\n1;2\n")) == ["a", "b"]


def test_a_label_just_beyond_2_to_the_53_in_a_float_range_goes_to_the_careful_read(monkeypatch, small_ranges):
    """With "1.0" among them, a range parses its labels as float64, where 9007199254740993 (2**53 + 1) becomes
    9007199254740992: the careful read keeps its text."""
    source = _with_labels(["0.0", "1.0", "9007199254740993"], n_rows=300)
    pairs = load_pair_csv(source, similar_label="0")
    assert small_ranges == [False]
    assert pairs.info.label_mapping.dissimilar_values == ["1", "9007199254740993"]


def test_integers_round_to_float32_as_in_the_careful_read(monkeypatch, small_ranges):
    """2**60 + 2**36 + 1 is just above the midpoint of the float32 values 2**60 and 2**60 + 2**37, but
    float64 rounds it onto the midpoint, and float32 then to the even 2**60: the careful read goes through
    float64, and so must every range of a file whose features are all integers."""
    rows = [f"{i % 2},{i},{i}" for i in range(3000)]
    rows[5] = f"1,{2**60 + 2**36 + 1},7"
    source = pair_csv("label,a_x,b_x", rows)
    pairs = load_pair_csv(source)
    assert small_ranges == [True]
    assert pairs.left[5, 0] == np.float32(2**60)
    assert_same_pairs(pairs, careful_read(monkeypatch, source))


def test_a_float_beyond_float32_in_a_range_is_reported_without_a_warning(small_ranges):
    """Features all floats: the range reader casts them to float32 itself, 1e39 to inf, quietly, and reports
    it as the careful read does."""
    rows = [f"{i % 2},{i}.5,{i}.25" for i in range(3000)]
    rows[2500] = "1,1e39,2.5"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message = error_of(load_pair_csv, pair_csv("label,a_x,b_x", rows), name="f.csv")
    assert small_ranges == [True]
    assert message == (
        "f.csv, column 'a_x', row 2501 (line 2502): value 1e39 is too large for 32-bit floats (largest about "
        "3.4e38); rescale this column"
    )


def test_range_count_is_a_whole_number():
    """5 MiB on 64 workers: five ranges of 1 MiB, an int that range() accepts."""
    n_ranges = data_ranges.range_count(5 * 2**20, 129, 64)
    assert n_ranges == 5 and isinstance(n_ranges, int)


def _with_a_stray_line(line: str, delimiter: str = ",") -> bytes:
    """300 rows of label, a_x, note, b_x (more than the sniffed rows), with `line` before row 251."""
    rows = [delimiter.join([str(i % 2), str(i), "n", str(i)]) for i in range(300)]
    rows[250:250] = [line]
    return pair_csv(delimiter.join(["label", "a_x", "note", "b_x"]), rows, delimiter=",")


@pytest.mark.parametrize(
    ("line", "delimiter", "n_fields"),
    [
        ("x", ",", "1 field"),  # one visible character
        ("X", ",", "1 field"),
        ("\x0c", ",", "1 field"),  # a form feed is no blank (pandas reads it as a value)
        ("0,1,n\r,2", ",", "3 fields"),  # a carriage return alone ends a line for pandas
        ("\t", "\t", "2 fields"),  # nothing visible but one delimiter
    ],
    ids=["x", "X", "form feed", "carriage return", "tab"],
)
def test_a_stray_line_late_in_a_file_is_refused_as_a_row_of_another_shape(line, delimiter, n_fields):
    """pandas would read such a line as a row of empty cells (or two rows), then report missing values or,
    with drop_missing, drop it quietly: the row check names it."""
    separator = "tab" if delimiter == "\t" else "','"
    assert error_of(load_pair_csv, _with_a_stray_line(line, delimiter), name="s.csv", drop_missing=True) == (
        f"s.csv, row 251 (line 252): line 252 has {n_fields} but the header has 4; a value or a {separator} is "
        f"missing: write 4 fields separated by {separator} on every line (an empty cell is a field too), or "
        "remove the line"
    )


def test_a_file_whose_lines_end_with_carriage_returns_loads():
    """Classic Mac OS line ends: every line, the last included, ends with \\r alone."""
    pairs = load_pair_csv(b"label,a_x,b_x\r0,1,2\r1,3,4\r0,5,6\r1,7,8\r")
    np.testing.assert_array_equal(pairs.left[:, 0], [1, 3, 5, 7])
    np.testing.assert_array_equal(pairs.right[:, 0], [2, 4, 6, 8])


def test_a_quoted_value_late_in_a_semicolon_file_loads():
    """From the quote on, rows are split by the csv module, with the file's delimiter."""
    rows = [f"{i % 2};{i};n{i};{i}" for i in range(300)]
    rows[250] = '1;250;"n;250";250'
    pairs = load_pair_csv(pair_csv("label;a_x;note;b_x", rows, delimiter=","))
    assert pairs.n_pairs == 300 and pairs.left[250, 0] == 250


def _mixed_note_pairs() -> bytes:
    """300,000 pairs whose ignored note column holds numbers for 200,000 rows, then words; row 6 quotes its
    label (so the careful read reads the file)."""
    rows = [f"{i % 2},{i},{i if i < 200_000 else 'w'},{i}" for i in range(300_000)]
    rows[5] = '"1",5,5,5'
    return pair_csv("label,a_x,note,b_x", rows)


def test_an_ignored_column_is_not_read():
    """pandas warns of a column of mixed types (DtypeWarning) when it reads one; the loader reads only the
    columns it uses, so the note column gives no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pairs = load_pair_csv(_mixed_note_pairs())
    assert pairs.n_pairs == 300_000 and pairs.info.ignored_columns == ["note"]
    np.testing.assert_array_equal(pairs.right[[0, 299_999], 0], [0, 299_999])


def test_a_file_that_cannot_be_read_is_named(tmp_path, monkeypatch):
    """Permission is simulated (the tests may run as root, who may read anything)."""
    path = tmp_path / "secret.csv"
    path.write_bytes(PAIRS)
    monkeypatch.setattr(os, "access", lambda where, mode: Path(where) != path)
    with pytest.raises(DataError) as caught:
        load_pair_csv(path)
    assert caught.value.source == "secret.csv"
    assert str(caught.value) == f"secret.csv: cannot be read (permission denied): {path}"


def test_a_header_longer_than_the_csv_modules_field_limit_is_sniffed():
    """9,001 names make a header of 144,005 characters: split by ';' or tab it would be one field of more
    than the csv module's 131,072, which sniffing counts as one field; split by ',' it is the header."""
    names = [f"a_feature_{i:05d}" for i in range(4500)] + [f"b_feature_{i:05d}" for i in range(4500)]
    header = ",".join(["label", *names])
    assert len(header) == 144_005
    pairs = load_pair_csv(pair_csv(header, [str(y) + ",1" * 9000 for y in (0, 1, 0, 1)]))
    assert pairs.left.shape == (4, 4500) and pairs.feature_names[0] == "feature_00000"


def test_a_one_column_header_longer_than_the_field_limit_is_shown_cut():
    """140,001 characters and no delimiter: the message shows the first 60 of the first line and its length."""
    data = ("x" * 70_000 + " " + "y" * 70_000 + "\n1\n").encode()
    assert error_of(read_csv, data, name="o.csv") == (
        f"o.csv: has only one column ('{'x' * 60}... (140,001 characters)'); it needs at least a label column "
        "and feature columns; it seems to be separated by ' '; save it with commas, semicolons or tabs"
    )


def test_the_delimiter_that_splits_every_line_alike_wins():
    """';' splits the header into 5 fields and the rows into 1; ',' splits every line into 3."""
    pairs = load_pair_csv(b"label,a_x;cm;kg,b_x;cm;kg\n0,1,2\n1,3,4\n0,5,6\n1,7,8\n")
    assert pairs.feature_names == ["x;cm;kg"]
    np.testing.assert_array_equal(pairs.left[:, 0], [1, 3, 5, 7])


def test_a_semicolon_file_of_integers_has_no_decimal_mark_to_warn_of():
    pairs = load_pair_csv(b"label;a_x;b_x\n0;1;2\n1;3;4\n0;5;6\n1;7;8\n")
    assert pairs.info.warnings == []


@pytest.mark.parametrize(
    ("data", "columns"),
    [
        (b"label,a_x,b_x,note;n\n0,1,2,n;n\n1,3,4,n;n\n", ["label", "a_x", "b_x", "note;n"]),  # ',' 4, ';' 2
        (b"a;x;y,b\n1,2\n3,4\n", ["a;x;y", "b"]),  # ',' splits every line in 2; ';' the header in 3
    ],
)
def test_of_the_delimiters_that_split_every_line_alike_the_one_of_most_fields_wins(data, columns):
    assert list(read_csv(data).columns) == columns


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"label\n0\t1\t2\n",
            "mixed delimiters: the header has no comma, semicolon or tab (1 column) but line 2 is separated by tab "
            "(3 fields); use the same delimiter on every line",
        ),
        (
            b"label\n0;1\n",
            "mixed delimiters: the header has no comma, semicolon or tab (1 column) but line 2 is separated by ';' "
            "(2 fields); use the same delimiter on every line",
        ),
        (b"a,b\n1,2,3\n", f"line 2 has 3 fields but the header has 2; {TOO_MANY}"),
        (
            b"a;b\nx\n",
            "line 2 has 1 field but the header has 2; a value or a ';' is missing: write 2 fields separated by ';' "
            "on every line (an empty cell is a field too), or remove the line",
        ),
        (
            b"a,b,c\n1,2;3;4;5\n",
            "line 2 has 2 fields but the header has 3; a value or a ',' is missing: write 3 fields separated by ',' "
            "on every line (an empty cell is a field too), or remove the line",
        ),
    ],
    ids=["tab under one column", "two fields under one column", "a field more", "one field", "two of three"],
)
def test_a_first_row_that_the_header_s_delimiter_does_not_split_alike(data, message):
    """The header's delimiter wins when it splits the header (a row of another shape is then named as such);
    a header of one column with a row another delimiter splits is a line of mixed delimiters."""
    assert error_of(read_csv, data, name="d.csv") == f"d.csv, row 1 (line 2): {message}"


def test_mixed_delimiters_on_the_first_row_are_named_before_the_columns_are_looked_for():
    """The header has no label column, but the first row's semicolons are the problem to fix first."""
    assert error_of(load_pair_csv, b"kind,a_x,b_x\n0;1;2\n", name="m.csv") == (
        "m.csv, row 1 (line 2): mixed delimiters: the header is separated by ',' (3 columns) but line 2 is "
        "separated by ';' (3 fields); use the same delimiter on every line"
    )


@pytest.mark.parametrize(
    "source", [b"", b"  \n\n \n", b'""\n'], ids=["nothing", "blanks", "an empty quoted value"]
)
def test_an_empty_file_is_named(source):
    assert (
        error_of(load_pair_csv, source, name="e.csv")
        == "e.csv: is empty; it needs a header row and data rows"
    )
