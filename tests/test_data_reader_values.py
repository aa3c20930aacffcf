"""Tests for siamese_core.data.reader: the careful pandas read of a sniffed CSV and the errors it words.

A header that pandas reads otherwise than sniffing did, a feature value that is not a number (found again
by reading the columns as text, or pandas' own reason when none is at fault), the text of one cell as
written, and what the read leaves to the caller (warnings other than float32 overflow).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siamese_core.data import as_numbers, load_pair_csv, read_csv
from siamese_core.data.reader import non_number_error, pandas_read, raw_value, renamed_frame
from siamese_core.data.sniffing import open_source, sniff
from siamese_core.errors import DataError

BOM = "\ufeff".encode()


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def sniffed(data: bytes, name: str, kind: str = "pairs"):
    inp = open_source(data, name)
    return inp, sniff(inp, kind)


# --------------------------------------------------------------------------------------------------
# Column names pandas reads otherwise than sniffing
# --------------------------------------------------------------------------------------------------


def test_a_header_pandas_reads_otherwise_is_named_with_what_pandas_saw():
    """Two byte order marks: sniffing drops one, so the first name it sees is "\\ufefflabel"; pandas drops
    both and sees "label", a name sniffing does not have."""
    data = BOM * 2 + csv_bytes("label,a_x,b_x", "0,1,2", "1,3,4")
    with pytest.raises(DataError) as caught:
        read_csv(data, name="f.csv")
    assert str(caught.value) == (
        "f.csv: its header could not be read consistently (pandas saw label); check the quotes in the first line"
    )
    assert caught.value.source == "f.csv"


def test_renamed_frame_names_at_most_five_of_the_columns_pandas_saw():
    """A frame of seven columns that the sniffed header does not have: five are named, then how many."""
    _, layout = sniffed(csv_bytes("label,a_x,b_x", "0,1,2"), "f.csv")
    other, other_layout = sniffed(csv_bytes("c1,c2,c3,c4,c5,c6,c7", "1,2,3,4,5,6,7"), "g.csv", "generic")
    frame = pandas_read(other, other_layout)
    with pytest.raises(DataError) as caught:
        renamed_frame(frame, layout, "f.csv")
    assert str(caught.value) == (
        "f.csv: its header could not be read consistently (pandas saw c1, c2, c3, c4, c5, ... (7 in all)); "
        "check the quotes in the first line"
    )
    assert caught.value.source == "f.csv"


def test_renamed_frame_gives_the_columns_their_stripped_names():
    inp, layout = sniffed(csv_bytes("label , a_x,b_x", "0,1,2"), "f.csv")
    frame = renamed_frame(pandas_read(inp, layout), layout, "f.csv")
    assert list(frame.columns) == ["label", "a_x", "b_x"]
    assert frame.iloc[0].tolist() == [0, 1, 2]


# --------------------------------------------------------------------------------------------------
# pandas_read
# --------------------------------------------------------------------------------------------------


def test_pandas_read_marks_the_source_as_checked_for_row_shapes():
    inp, layout = sniffed(csv_bytes("label,a_x,b_x", "0,1,2", "1,3,4"), "f.csv")
    assert inp.rows_checked is False
    frame = pandas_read(inp, layout)
    assert frame.shape == (2, 3)
    assert inp.rows_checked is True


def test_read_csv_passes_pandas_warnings_other_than_overflow_on():
    """Only float32 overflow (a RuntimeWarning) is silenced: pandas' warning that a column has mixed types
    (numbers in its first 262,144 rows, then text) still reaches the caller."""
    data = b"a,b\n" + b"0,1\n" * 262_144 + b"0,x\n"
    with pytest.warns(pd.errors.DtypeWarning, match=r"Columns \(1: b\) have mixed types"):
        frame = read_csv(data, name="m.csv")
    assert frame.shape == (262_145, 2)
    assert frame["b"].iloc[-1] == "x"


# --------------------------------------------------------------------------------------------------
# A feature value that is not a number
# --------------------------------------------------------------------------------------------------


def test_a_column_of_true_and_false_is_searched_as_text():
    """The columns are read again as text: "True" is no number, though pandas would read a column of only
    True and False as booleans."""
    data = csv_bytes("label,a_x,b_x", "0,1,True", "1,2,False")
    inp, layout = sniffed(data, "f.csv")
    error = non_number_error(inp, layout, ["a_x", "b_x"], ValueError("could not convert"))
    assert str(error) == (
        "f.csv, column 'b_x', row 1 (line 2): value 'True' is not a number; feature values must be numbers; "
        "fix or remove that value"
    )


def test_a_true_in_a_feature_column_is_named_before_a_later_word():
    """b_x holds only True and False, a_x a word on row 2: the first value that is not a number is the True
    on row 1."""
    data = csv_bytes("label,a_x,b_x", "0,1,True", "1,abc,False", "0,3,True", "1,5,False")
    with pytest.raises(DataError) as caught:
        load_pair_csv(data, name="f.csv")
    assert str(caught.value) == (
        "f.csv, column 'b_x', row 1 (line 2): value 'True' is not a number; feature values must be numbers; "
        "fix or remove that value"
    )


def test_non_number_error_with_no_value_at_fault_gives_pandas_reason():
    inp, layout = sniffed(csv_bytes("label,a_x,b_x", "0,1,2", "1,3,4"), "f.csv")
    error = non_number_error(inp, layout, ["a_x", "b_x"], ValueError("pandas' own words"))
    assert isinstance(error, DataError)
    assert str(error) == "f.csv: has a feature value that cannot be read as a number (pandas' own words)"
    assert error.source == "f.csv"


def test_a_usecols_mismatch_is_reported_with_pandas_reason():
    """Two byte order marks and an unused column: pandas is asked for "\\ufefflabel", which it reads as
    "label", and refuses; no value is at fault, so the error carries pandas' words."""
    data = BOM * 2 + csv_bytes("label,a_x,b_x,note", "0,1,2,n", "1,3,4,m")
    with pytest.raises(DataError) as caught:
        load_pair_csv(data, name="f.csv", label_column="\ufefflabel")
    assert str(caught.value) == (
        "f.csv: has a feature value that cannot be read as a number (Usecols do not match columns, columns "
        "expected but not found: ['\\ufefflabel'])"
    )


def test_non_number_error_names_a_quote_left_open_after_the_values():
    """No value is at fault; reading the columns as text runs into the quote left open on data row 2."""
    inp, layout = sniffed(b'label,a_x,b_x\n0,1,2\n1,2,"3\n', "q.csv")
    error = non_number_error(inp, layout, ["a_x", "b_x"], ValueError("could not convert"))
    assert str(error) == 'q.csv: a quote (") opened near data row 2 is never closed; close or remove it'
    assert error.source == "q.csv"


def test_non_number_error_names_a_byte_that_is_not_utf8_after_the_values():
    """About 400 KB of numbers, then 0xff: the text read fails on it past its first chunk."""
    rows = "".join(f"{i % 2},{i},{i}\n" for i in range(30_000))
    data = ("label,a_x,b_x\n" + rows).encode() + b"1,2,\xff\n"
    inp, layout = sniffed(data, "f.csv")
    error = non_number_error(inp, layout, ["a_x", "b_x"], ValueError("could not convert"))
    assert str(error) == (
        "f.csv: is not UTF-8 text (invalid byte 0xff after the first 64 KB); save it as UTF-8 (CSV UTF-8 in Excel)"
    )
    assert error.source == "f.csv"


def test_as_numbers_keeps_numbers_as_they_are_with_either_decimal_mark():
    values = pd.Series([1.5, np.nan, -2.25], dtype=np.float32)
    for decimal in (".", ","):
        numbers = as_numbers(values, decimal)
        assert numbers.dtype == np.float32
        np.testing.assert_array_equal(numbers.to_numpy(), values.to_numpy())


# --------------------------------------------------------------------------------------------------
# The text of one cell as written
# --------------------------------------------------------------------------------------------------


def test_raw_value_reads_no_further_than_the_row_asked_for():
    """Row 1's a_x is " 1.50 " as written; the quote left open on row 2 is never read."""
    inp, layout = sniffed(b'label,a_x,b_x\n0, 1.50 ,2\n1,2,"3\n', "q.csv")
    assert raw_value(inp, layout, "a_x", 0) == "1.50"


def test_raw_value_of_a_row_the_file_does_not_have_is_a_bug():
    inp, layout = sniffed(csv_bytes("label,a_x,b_x", "0,1,2", "1,3,4"), "f.csv")
    assert raw_value(inp, layout, "b_x", 1) == "4"
    with pytest.raises(AssertionError, match=r"^row 3 of f\.csv was read before but is not there now$"):
        raw_value(inp, layout, "b_x", 2)
