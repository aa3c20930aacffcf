"""Tests for siamese_core.data: the values of a file, cell by cell, and the messages that point at one.

Missing, infinite and non-numeric values, sample ids and classes, and the ids of pairs by reference: every
message is asserted in full with the file, column, row and value it names, worked out from the rows below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siamese_core.data import (
    as_numbers,
    first_non_number,
    load_pair_csv,
    load_pairs_by_reference,
    load_samples_csv,
    row_number,
)
from siamese_core.errors import DataError

NOT_A_NUMBER = "feature values must be numbers; fix or remove that value"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def raised(call, *args, **kwargs) -> DataError:
    with pytest.raises(DataError) as caught:
        call(*args, **kwargs)
    return caught.value


# --------------------------------------------------------------------------------------------------
# Missing values
# --------------------------------------------------------------------------------------------------


def test_one_missing_value_is_named_in_the_singular():
    error = raised(load_pair_csv, csv_bytes("label,a_x,b_x", "0,1,2", "1,,4", "0,5,6", "1,7,8"), name="p.csv")
    assert (error.source, error.column, error.row) == ("p.csv", "a_x", 2)
    assert str(error) == (
        "p.csv, column 'a_x', row 2 (line 3): 1 of 4 rows has missing values (empty cells), the first here; fill "
        "them in, or drop those rows (pass drop_missing=True)"
    )


def test_the_first_missing_cell_of_a_row_is_the_leftmost():
    error = raised(load_pair_csv, csv_bytes("label,a_x,b_x", "0,1,2", ",,4", "0,5,", "1,7,8"))
    assert (error.column, error.row) == ("label", 2)
    assert "2 of 4 rows have missing values" in str(error)


def test_dropping_missing_values_warns_with_the_first_one():
    data = csv_bytes("label,a_x,b_x", "0,1,2", "1,,4", "0,5,6", ",3,4", "1,7,8", "1,9,10", "0,11,12")
    pairs = load_pair_csv(data, name="p.csv", drop_missing=True)
    assert pairs.info.warnings == [
        "p.csv: dropped 2 of 7 rows with missing values (the first: row 2, column 'a_x')"
    ]


def test_dropping_every_row_is_refused():
    error = raised(load_pair_csv, csv_bytes("label,a_x,b_x", "0,,2", "1,3,"), name="p.csv", drop_missing=True)
    assert (error.source, error.column, error.row) == ("p.csv", None, None)
    assert str(error) == "p.csv: every row has a missing value (the first: row 1, column 'a_x')"


def test_samples_dropped_for_missing_values_are_recorded():
    data = csv_bytes("class,p,q", "a,1,2", "a,,3", "b,4,5", "b,6,7")
    samples = load_samples_csv(data, name="s.csv", drop_missing=True)
    np.testing.assert_array_equal(samples.rows, [1, 3, 4])
    assert (samples.info.n_rows, samples.info.dropped_rows) == (4, 1)
    assert samples.info.warnings == [
        "s.csv: dropped 1 of 4 rows with missing values (the first: row 2, column 'p')"
    ]


# --------------------------------------------------------------------------------------------------
# Infinite values and values too large for float32
# --------------------------------------------------------------------------------------------------


def test_a_value_too_large_for_float32_in_a_decimal_comma_file_is_named_as_written():
    """3,5e39 is 3.5e39 with the file's decimal comma: finite, but beyond float32's 3.4e38."""
    data = b"label;a_x;b_x\n0;1,5;2\n1;3,5e39;4\n0;1;2\n1;3;4\n"
    error = raised(load_pair_csv, data, name="p.csv")
    assert (error.source, error.column, error.row, error.value) == ("p.csv", "a_x", 2, "3,5e39")
    assert str(error) == (
        "p.csv, column 'a_x', row 2 (line 3): value 3,5e39 is too large for 32-bit floats (largest about 3.4e38); "
        "rescale this column"
    )


def test_a_value_too_large_for_float32_with_a_decimal_point_is_named_as_written():
    """3.5e38 is beyond float32's 3.4028e38 (and written with the file's own decimal mark, '.')."""
    error = raised(load_pair_csv, csv_bytes("label,a_x,b_x", "0,1,2", "1,3.5e38,4", "0,1,2", "1,3,4"))
    assert str(error) == (
        "the uploaded file, column 'a_x', row 2 (line 3): value 3.5e38 is too large for 32-bit floats (largest "
        "about 3.4e38); rescale this column"
    )


def test_an_infinite_value_is_named_as_written():
    error = raised(load_pair_csv, csv_bytes("label,a_x,b_x", "0,1,2", "1,3,-Infinity", "0,1,2", "1,3,4"))
    assert (error.column, error.row, error.value) == ("b_x", 2, "-Infinity")
    assert str(error) == (
        "the uploaded file, column 'b_x', row 2 (line 3): value -Infinity is infinite; replace it with a finite "
        "number or remove the row"
    )


def test_a_single_infinite_value_is_found():
    """One row, one feature a side: the check of the smallest and largest value sees a single value."""
    error = raised(load_pair_csv, csv_bytes("label,a_x,b_x", "0,inf,2"), name="o.csv")
    assert str(error) == (
        "o.csv, column 'a_x', row 1 (line 2): value inf is infinite; replace it with a finite number or remove the "
        "row"
    )


def test_the_first_infinite_value_of_a_row_is_the_leftmost_in_the_file():
    """b_x comes before a_x in this file: on the row where both are infinite, b_x is named."""
    error = raised(load_pair_csv, csv_bytes("label,b_x,a_x", "0,1,2", "1,inf,-inf", "0,1,2", "1,3,4"))
    assert (error.column, error.row, error.value) == ("b_x", 2, "inf")


def test_an_infinite_value_at_the_start_of_a_later_chunk_is_quoted_from_the_file():
    """The value is read back a chunk of 50,000 rows at a time: row 50,001 is the first of the second chunk."""
    rows = [f"{i % 2},{i},{i}" for i in range(50_010)]
    rows[50_000] = "0,50000,1e39"
    error = raised(load_pair_csv, csv_bytes("label,a_x,b_x", *rows))
    assert (error.column, error.row, error.value) == ("b_x", 50_001, "1e39")


def test_samples_and_reference_samples_check_their_values_are_finite():
    error = raised(load_samples_csv, csv_bytes("class,p,q", "a,1,2", "a,3,inf", "b,4,5"), name="s.csv")
    assert (error.source, error.column, error.row, error.value) == ("s.csv", "q", 2, "inf")
    samples = csv_bytes("id,f0", "7,1", "8,1e39", "9,5", "x,7")
    error = raised(load_pairs_by_reference, b"id_a,id_b,label\n7,8,0\n", samples, samples_name="s.csv")
    assert (error.source, error.column, error.row, error.value) == ("s.csv", "f0", 2, "1e39")


# --------------------------------------------------------------------------------------------------
# Values that are not numbers
# --------------------------------------------------------------------------------------------------


def test_a_decimal_comma_in_a_comma_separated_file_is_explained():
    data = b'label,a_x,b_x\n0,1,2\n1,"1,5",4\n0,1,2\n1,3,4\n'
    error = raised(load_pair_csv, data, name="p.csv")
    assert (error.source, error.column, error.row, error.value) == ("p.csv", "a_x", 2, "1,5")
    assert str(error) == (
        "p.csv, column 'a_x', row 2 (line 3): value '1,5' is not a number (write 1.5: in a comma-separated file "
        f"the decimal mark is '.'); {NOT_A_NUMBER}"
    )


def test_a_decimal_point_in_a_decimal_comma_file_is_explained():
    """The first 250 rows write decimal commas, so the file's mark is ','; row 251 writes 2.5."""
    rows = [f"{i % 2};{i},5;{i}" for i in range(250)]
    error = raised(load_pair_csv, csv_bytes("label;a_x;b_x", *rows, "1;2.5;3"), name="p.csv")
    assert (error.column, error.row, error.value) == ("a_x", 251, "2.5")
    assert str(error) == (
        "p.csv, column 'a_x', row 251 (line 252): value '2.5' is not a number (write 2,5: this file's decimal "
        f"mark is ',', as in its first rows); {NOT_A_NUMBER}"
    )


def test_text_in_a_decimal_comma_file_is_found_past_the_numbers_with_commas():
    error = raised(load_pair_csv, b"label;a_x;b_x\n0;1,5;2\n1;oops;4\n0;1;2\n1;3;4\n", name="p.csv")
    assert (error.column, error.row, error.value) == ("a_x", 2, "oops")
    assert str(error) == f"p.csv, column 'a_x', row 2 (line 3): value 'oops' is not a number; {NOT_A_NUMBER}"


def test_first_non_number_finds_the_earliest_row_then_the_leftmost_column():
    """q's "y" (row 2) comes before p's "x" (row 3); on row 3, p and q are both text and p is to the left."""
    frame = pd.DataFrame({"p": ["1", "2", "x"], "q": ["1", "y", "z"]})
    error = first_non_number(frame, name="f.csv")
    assert (error.source, error.column, error.row, error.value) == ("f.csv", "q", 2, "y")
    frame = pd.DataFrame({"p": ["1", "2", "x"], "q": ["1", "2", "z"]}, index=[10, 11, 12])
    assert (first_non_number(frame).column, first_non_number(frame).row) == ("p", 13)
    assert first_non_number(pd.DataFrame({"p": ["1", None, " 2 "]})) is None


def test_rows_are_numbered_by_an_integer_index_else_by_position():
    """An index of integers is a file's 0-based rows (row = index + 1); any other index counts positions."""
    assert row_number(pd.Series([1, 2], index=[10, 11]), 1) == 12
    assert row_number(pd.Series([1, 2], index=["a", "b"]), 1) == 2
    error = first_non_number(pd.DataFrame({"p": ["1", "x"]}, index=["a", "b"]))
    assert (error.row, error.value) == (2, "x")


def test_first_non_number_reads_decimal_commas_when_told():
    frame = pd.DataFrame({"p": ["1,5", "2.5", "x"]})
    error = first_non_number(frame, decimal=",", delimiter=";")
    assert (error.row, error.value) == (2, "2.5")
    assert str(error) == (
        f"column 'p', row 2 (line 3): value '2.5' is not a number (write 2,5: this file's decimal mark is ',', as in its first "
        f"rows); {NOT_A_NUMBER}"
    )
    error = first_non_number(frame)  # a decimal point, and no delimiter: no hint
    assert (error.row, error.value) == (1, "1,5")
    assert str(error) == f"column 'p', row 1 (line 2): value '1,5' is not a number; {NOT_A_NUMBER}"


def test_as_numbers_reads_numbers_with_either_decimal_mark():
    """With a decimal comma the marks swap: "1,5" is 1.5 and "2.5" is no number; numbers stay numbers."""
    values = pd.Series(["1,5", "2.5", None, "3"])
    np.testing.assert_array_equal(as_numbers(values, ","), [1.5, np.nan, np.nan, 3.0])
    np.testing.assert_array_equal(as_numbers(values), [np.nan, 2.5, np.nan, 3.0])
    np.testing.assert_array_equal(as_numbers(pd.Series([1.5, 2.0]), ","), [1.5, 2.0])


# --------------------------------------------------------------------------------------------------
# Sample ids and classes
# --------------------------------------------------------------------------------------------------


def test_a_repeated_sample_id_names_its_rows_and_its_second_row():
    error = raised(
        load_samples_csv, csv_bytes("id,class,p", "a,c,1", "x,c,2", "b,d,3", "x,d,4"), name="s.csv"
    )
    assert (error.source, error.column, error.row, error.value) == ("s.csv", "id", 4, "x")
    assert str(error) == (
        "s.csv, column 'id', row 4 (line 5): id 'x' appears 2 times (rows 2, 4); every sample needs a unique id"
    )
    rows = ["a,c,1"] + [f"x,{'cd'[i % 2]},{i}" for i in range(6)]
    error = raised(load_samples_csv, csv_bytes("id,class,p", *rows), name="s.csv")
    assert str(error) == (
        "s.csv, column 'id', row 3 (line 4): id 'x' appears 6 times (rows 2, 3, 4, 5, 6, ... (6 in all)); every "
        "sample needs a unique id"
    )


def test_a_repeated_reference_sample_id_is_named_in_the_samples_file():
    samples = csv_bytes("id,f0", "7,1", "8,2", "7,3")
    error = raised(load_pairs_by_reference, b"id_a,id_b,label\n7,8,0\n", samples, samples_name="s.csv")
    assert (error.source, error.column, error.row, error.value) == ("s.csv", "id", 3, "7")
    assert str(error) == (
        "s.csv, column 'id', row 3 (line 4): id '7' appears 2 times (rows 1, 3); every sample needs a unique id"
    )


def test_samples_need_two_classes_and_a_class_of_two():
    error = raised(load_samples_csv, b"class,p\na,1\na,2\n", name="s.csv")
    assert (error.source, error.column) == ("s.csv", "class")
    assert (
        str(error)
        == "s.csv, column 'class': has only one class ('a', 2 samples); pairs need at least 2 classes"
    )
    error = raised(load_samples_csv, b"class,p\na,1\nb,2\n", name="s.csv")
    assert (error.source, error.column) == ("s.csv", "class")
    assert str(error) == (
        "s.csv, column 'class': every one of the 2 classes has a single sample; similar pairs need at least one "
        "class with 2 or more samples"
    )


# --------------------------------------------------------------------------------------------------
# Pairs by reference: ids that are not samples, and pairs dropped with their samples
# --------------------------------------------------------------------------------------------------

SAMPLES = csv_bytes("key,f0", "7,1", "8,3", "9,5", "x,7")


@pytest.mark.parametrize(
    ("rows", "column", "row", "value", "count"),
    [
        (["99,8,0", "8,9,1"], "id_a", 1, "99", "1 row of p.csv refers"),  # the first id unknown
        (
            ["7,99,0", "8,9,1"],
            "id_b",
            1,
            "99",
            "1 row of p.csv refers",
        ),  # the first sample, then an unknown id
        (["8,9,0", "98,99,1", "7,97,1"], "id_a", 2, "98", "2 rows of p.csv refer"),  # both unknown: the first
    ],
)
def test_an_unknown_id_names_the_pair_and_the_samples_file(rows, column, row, value, count):
    error = raised(
        load_pairs_by_reference,
        csv_bytes("id_a,id_b,label", *rows),
        SAMPLES,
        pairs_name="p.csv",
        samples_name="s.csv",
    )
    assert (error.source, error.column, error.row, error.value) == ("p.csv", column, row, value)
    assert str(error) == (
        f"p.csv, column '{column}', row {row} (line {row + 1}): id '{value}' is not in s.csv (column 'key'); "
        f"{count} to unknown ids; add those samples or remove those pairs"
    )


REF_SAMPLES_WITH_GAP = csv_bytes("id,f0", "7,1", "8,", "9,5", "x,7", "y,9")


def test_pairs_of_dropped_samples_are_dropped_and_counted_with_the_pairs_missing_values():
    """Sample 8 has no f0: dropped with pairs 3 and 7; pair 4 has no first id. Pairs 1, 2, 5, 6 remain."""
    pairs_csv = csv_bytes("id_a,id_b,label", "7,9,0", "9,x,1", "7,8,0", ",x,1", "x,y,0", "9,y,1", "8,y,1")
    pairs = load_pairs_by_reference(
        pairs_csv, REF_SAMPLES_WITH_GAP, drop_missing=True, pairs_name="p.csv", samples_name="s.csv"
    )
    np.testing.assert_array_equal(pairs.rows, [1, 2, 5, 6])
    np.testing.assert_array_equal(pairs.labels, [0, 1, 0, 1])
    assert (pairs.info.n_rows, pairs.info.dropped_rows) == (7, 3)
    assert pairs.info.warnings == [
        "s.csv: dropped 1 of 5 rows with missing values (the first: row 2, column 'f0')",
        "p.csv: dropped 1 of 7 rows with missing values (the first: row 4, column 'id_a')",
        "dropped 2 pairs whose samples were dropped for missing values",
    ]


def test_pairs_are_not_all_dropped_with_their_samples():
    """When every pair uses a dropped sample, the first is reported as an unknown id rather than dropped."""
    error = raised(
        load_pairs_by_reference,
        b"id_a,id_b,label\n8,7,0\n",
        REF_SAMPLES_WITH_GAP,
        drop_missing=True,
        pairs_name="p.csv",
        samples_name="s.csv",
    )
    assert str(error) == (
        "p.csv, column 'id_a', row 1 (line 2): id '8' is not in s.csv (column 'id'); 1 row of p.csv refers to "
        "unknown ids; add those samples or remove those pairs"
    )


def test_drop_missing_without_anything_to_drop_warns_of_nothing():
    pairs_csv = b"id_a,id_b,label\n7,9,0\n9,x,1\nx,y,0\n9,y,1\n"
    pairs = load_pairs_by_reference(
        pairs_csv, csv_bytes("id,f0", "7,1", "9,5", "x,7", "y,9"), drop_missing=True
    )
    assert (pairs.info.dropped_rows, pairs.info.warnings) == (0, [])


def test_reference_missing_values_are_refused_in_either_file():
    error = raised(
        load_pairs_by_reference, b"id_a,id_b,label\n7,9,0\n", REF_SAMPLES_WITH_GAP, samples_name="s.csv"
    )
    assert (error.source, error.column, error.row) == ("s.csv", "f0", 2)
    error = raised(
        load_pairs_by_reference,
        b"id_a,id_b,label\n7,9,0\n9,,1\n",
        csv_bytes("id,f0", "7,1", "9,5"),
        pairs_name="p.csv",
    )
    assert (error.source, error.column, error.row) == ("p.csv", "id_b", 2)
    assert str(error).endswith(
        "1 of 2 rows has missing values (empty cells), the first here; fill them in, or drop those rows (pass drop_missing=True)"
    )
