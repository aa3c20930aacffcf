"""Tests for siamese_core.data.reader: pandas' parser failures worded as DataErrors, and the row-shape check
that runs before pandas reads a file (its csv module pass: decoding, field limit)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from siamese_core.data import lines as data_lines
from siamese_core.data import load_pair_csv, pandas_errors, read_csv
from siamese_core.errors import DataError

# --------------------------------------------------------------------------------------------------
# pandas_errors: pandas' own parser messages, for a read whose rows were not checked first
# --------------------------------------------------------------------------------------------------


def test_pandas_errors_words_a_row_of_too_many_fields_with_its_line_and_counts():
    # pandas: "Error tokenizing data. C error: Expected 2 fields in line 4, saw 5"
    with pytest.raises(DataError) as caught:
        with pandas_errors("wide.csv"):
            pd.read_csv(io.BytesIO(b"a,b\n1,2\n3,4\n5,6,7,8,9\n"), engine="c")
    error = caught.value
    assert str(error) == (
        "wide.csv, row 3 (line 4): line 4 has 5 fields but the header has 2; look for an unquoted delimiter "
        "inside a value or an extra one at the end of the line"
    )
    assert error.source == "wide.csv"
    assert error.row == 3


def test_pandas_errors_words_any_other_parser_failure_without_pandas_prefix():
    # pandas: "Error tokenizing data. C error: EOF following escape character"
    with pytest.raises(DataError) as caught:
        with pandas_errors("escaped.csv"):
            pd.read_csv(io.BytesIO(b"a,b\n1,2\n3,4\\"), engine="c", escapechar="\\")
    assert str(caught.value) == "escaped.csv: cannot be parsed as CSV: EOF following escape character"
    assert caught.value.source == "escaped.csv"


# --------------------------------------------------------------------------------------------------
# The row-shape check's csv module pass (from the first line that is not plain on)
# --------------------------------------------------------------------------------------------------


def test_a_quoted_header_after_a_byte_order_mark_keeps_its_delimiter_inside_the_name():
    """The byte order mark is not part of the first name: the quote after it opens a quoted name, whose comma
    does not split it, so the header has 2 fields, as in every row."""
    frame = read_csv(b'\xef\xbb\xbf"a,x",b\n1,2\n3,4\n', name="bom.csv")
    assert list(frame.columns) == ["a,x", "b"]
    assert frame.to_numpy().tolist() == [[1, 2], [3, 4]]


def test_a_quote_opened_on_the_last_line_before_a_lone_carriage_return_is_reported_as_never_closed():
    """The last line is a quote then a carriage return, which the csv module keeps as it is written (no
    newline translation): a value holding a quote is no blank line, so the row-shape check names the quote
    left open, with its row and line."""
    with pytest.raises(DataError) as caught:
        load_pair_csv(b'label,a_x,b_x\n0,1,2\n1,3,4\n"\r', name="q.csv")
    assert (
        str(caught.value)
        == 'q.csv, row 3 (line 4): a quote (") opened on line 4 is never closed; close or remove it'
    )
    assert caught.value.row == 3


@pytest.mark.parametrize("blank", ['""', '" "', '"\r"'])
def test_a_line_of_one_quoted_blank_value_is_a_row_of_one_field_not_a_blank_line(blank):
    """pandas skips a blank line but reads a quoted blank value as a row of one field, padded with empty
    cells: the row-shape check refuses it for its shape, as it refuses any row of too few fields, rather than
    letting it read (or be dropped) as a row of empty cells."""
    text = f"label,a_x,b_x\n0,1,2\n{blank}\n1,3,4\n0,5,6\n1,7,8\n"
    expected = (
        "q.csv, row 2 (line 3): line 3 has 1 field but the header has 3; a value or a ',' is missing: write 3 "
        "fields separated by ',' on every line (an empty cell is a field too), or remove the line"
    )
    for load in (read_csv, lambda data, name: load_pair_csv(data, name=name, drop_missing=True)):
        with pytest.raises(DataError) as caught:
            load(text.encode(), name="q.csv")
        assert str(caught.value) == expected


def test_a_line_of_spaces_is_blank_to_pandas_and_to_the_row_shape_check():
    frame = read_csv(b"label,a_x,b_x\n0,1,2\n   \n1,3,4\n", name="q.csv")
    assert frame.to_numpy().tolist() == [[0, 1, 2], [1, 3, 4]]


@pytest.fixture
def capped_csv_field_limit(monkeypatch):
    """The csv module's field limit can be raised to no more than 50 characters, as a value of more than
    2 GB (the most a C long holds) is beyond any limit; the limit is put back afterwards."""
    real = csv.field_size_limit
    before = real()
    monkeypatch.setattr(csv, "field_size_limit", lambda *limit: real(*(min(value, 50) for value in limit)))
    yield
    real(before)


def test_a_value_beyond_the_largest_csv_field_limit_names_the_row_it_starts_on(
    monkeypatch, capped_csv_field_limit
):
    # One line a read: lines 1-4 are plain, the csv module splits from line 5 (a quote) on; line 7 holds a
    # quoted value of 60 characters.
    monkeypatch.setattr(data_lines, "READ_BYTES", 1)
    rows = ["0,1,2", "1,3,4", "0,5,6", '1,"7",8', "0,9,10", f'1,"{"x" * 60}",12', "0,1,2"]
    data = ("\n".join(["label,a_x,b_x", *rows]) + "\n").encode()
    with pytest.raises(DataError) as caught:
        load_pair_csv(data, name="long.csv")
    error = caught.value
    assert str(error) == (
        "long.csv, row 6 (line 7): the row starting on line 7 cannot be split into fields (field larger than "
        "field limit (50)); check the quotes on that line"
    )
    assert error.source == "long.csv"
    assert error.row == 6
