"""Tests of siamese_core.data.sniffing: the first bytes of a CSV source, what sniffing them finds (delimiter,
header, decimal mark) and the layout's column helpers."""

from __future__ import annotations

import io

import pytest

from siamese_core.data.sniffing import (
    SNIFF_BYTES,
    CsvInput,
    CsvLayout,
    check_unique_columns,
    open_source,
    sniff,
)
from siamese_core.errors import DataError


def test_head_of_bytes_stops_growing_once_it_holds_two_line_feeds():
    # Exactly two line feeds in the first SNIFF_BYTES: enough for a header and a row, so no more is read.
    data = b"a,b\n" + b"1,2\n" + b"3" * SNIFF_BYTES
    head, whole = CsvInput("x.csv", data=data).head()
    assert head == data[:SNIFF_BYTES]
    assert whole is False


def test_head_of_bytes_grows_past_a_first_line_longer_than_the_sniffed_bytes():
    data = b"a" * SNIFF_BYTES + b",b\n1,2\n3,4\n"
    head, whole = CsvInput("x.csv", data=data).head()
    assert head == data
    assert whole is True


def test_head_of_bytes_doubles_until_it_holds_two_line_feeds():
    data = b"a" * SNIFF_BYTES + b",b\n1,2\n" + b"3" * (2 * SNIFF_BYTES)
    head, whole = CsvInput("x.csv", data=data).head()
    assert head == data[: 2 * SNIFF_BYTES]
    assert whole is False


def test_head_of_bytes_stops_at_16_mib_without_two_line_feeds():
    limit = 16 * 1024 * 1024  # the longest header sniffed
    data = b"a" * (limit + 1)
    head, whole = CsvInput("x.csv", data=data).head()
    assert len(head) == limit
    assert whole is False


def test_head_of_a_file_reads_one_byte_more_then_as_much_again_past_a_long_first_line(tmp_path):
    data = b"a" * SNIFF_BYTES + b",b\n1,2\n" + b"3" * (3 * SNIFF_BYTES) + b"\n"
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    head, whole = open_source(path, None).head()
    assert head == data[: 2 * SNIFF_BYTES + 1]
    assert whole is False


def test_head_of_a_file_keeps_doubling_past_a_first_line_longer_than_twice_the_sniffed_bytes(tmp_path):
    data = b"a" * (3 * SNIFF_BYTES) + b",b\n1,2\n" + b"3" * (8 * SNIFF_BYTES) + b"\n"
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    head, whole = open_source(path, None).head()
    assert head == data[: 4 * SNIFF_BYTES + 3]
    assert whole is False


def test_head_of_a_short_file_is_the_whole_file(tmp_path):
    data = b"a" * SNIFF_BYTES + b",b\n1,2\n"
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert open_source(path, None).head() == (data, True)


def test_a_row_of_empty_fields_counts_as_a_data_row():
    layout = sniff(open_source(b"a,b\n,\n", "x.csv"), "pairs")
    assert (layout.delimiter, layout.columns) == (",", ["a", "b"])


def test_a_line_break_inside_a_quoted_header_name_is_kept_as_written():
    layout = sniff(open_source(b'"a\r\nb",c\n1,2\n', "x.csv"), "pairs")
    assert layout.raw_columns == ["a\r\nb", "c"]
    assert layout.columns == ["a\r\nb", "c"]


def test_decimal_comma_seen_on_the_last_of_the_sniffed_records():
    # The header and 200 data rows are sniffed: a decimal comma on data row 200 is seen.
    data = b"a;b\n" + b"1;2\n" * 199 + b"1,5;2\n"
    layout = sniff(open_source(data, "x.csv"), "pairs")
    assert layout.delimiter == ";"
    assert layout.decimal == ","
    assert layout.warnings == ["read ',' as the decimal mark (numbers such as '1,5')"]


def test_decimal_comma_past_the_sniffed_records_is_not_seen():
    data = b"a;b\n" + b"1;2\n" * 200 + b"1,5;2\n"
    layout = sniff(open_source(data, "x.csv"), "pairs")
    assert layout.delimiter == ";"
    assert (layout.decimal, layout.warnings) == (".", [])


def test_a_row_cut_off_by_the_sniffed_bytes_after_the_header_is_not_used():
    # A blank line then a row longer than the sniffed bytes: the row's start is only a part of it.
    data = b"a;b\n\n1,5;" + b"2" * SNIFF_BYTES + b"\n"
    inp = open_source(data, "x.csv")
    assert inp.head() == (data[:SNIFF_BYTES], False)
    layout = sniff(inp, "pairs")
    assert (layout.delimiter, layout.columns) == (";", ["a", "b"])
    assert (layout.decimal, layout.warnings) == (".", [])


def test_the_200th_record_cut_off_by_the_sniffed_bytes_is_not_used():
    data = b"a;b\n" + b"1;2\n" * 198 + b"1,5;" + b"2" * SNIFF_BYTES + b"\n"
    inp = open_source(data, "x.csv")
    assert inp.head() == (data[:SNIFF_BYTES], False)
    layout = sniff(inp, "pairs")
    assert layout.delimiter == ";"
    assert (layout.decimal, layout.warnings) == (".", [])


def test_the_200th_complete_record_is_used():
    # Same file, but the 200th record ends inside the sniffed bytes and a 201st is cut off.
    data = b"a;b\n" + b"1;2\n" * 198 + b"1,5;2\n" + b"3;" + b"4" * SNIFF_BYTES + b"\n"
    layout = sniff(open_source(data, "x.csv"), "pairs")
    assert (layout.decimal, layout.warnings) == (
        ",",
        ["read ',' as the decimal mark (numbers such as '1,5')"],
    )


def test_column_pairs_gives_each_name_as_written_with_its_stripped_name():
    layout = CsvLayout(",", [" a", "b "], ["a", "b"])
    assert layout.column_pairs() == [(" a", "a"), ("b ", "b")]


def test_column_pairs_refuses_a_layout_with_more_names_as_written_than_stripped():
    layout = CsvLayout(",", [" a", "b ", "c"], ["a", "b"])
    with pytest.raises(ValueError, match="zip"):
        layout.column_pairs()


def test_usecols_is_none_when_every_column_is_needed():
    layout = CsvLayout(",", [" a", "b"], ["a", "b"])
    assert layout.usecols({"a", "b"}) is None
    assert layout.usecols({"a"}) == [" a"]


def test_in_file_order_puts_columns_in_the_files_order_without_repeats():
    layout = CsvLayout(",", ["z", "a", "m"], ["z", "a", "m"])
    assert layout.in_file_order(["m", "z", "m"]) == ["z", "m"]
    assert layout.in_file_order([]) == []


def test_open_source_of_bytes_keeps_them_with_the_name_given_or_a_default():
    inp = open_source(bytearray(b"a,b\n1,2\n"), None)
    assert (inp.name, inp.data, inp.path) == ("the uploaded file", b"a,b\n1,2\n", None)
    assert isinstance(inp.data, bytes)
    assert open_source(b"a,b\n", "mine.csv").name == "mine.csv"


def test_open_source_of_a_path_keeps_the_path_with_the_name_given_or_the_files_name(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_bytes(b"a,b\n1,2\n")
    inp = open_source(str(path), None)
    assert (inp.name, inp.path, inp.data) == ("pairs.csv", path, None)
    assert open_source(path, "shown.csv").name == "shown.csv"


def test_open_source_of_a_stream_reads_it_with_the_name_given_or_the_streams_name(tmp_path):
    inp = open_source(io.BytesIO(b"a,b\n1,2\n"), None)
    assert (inp.name, inp.data, inp.path) == ("the uploaded file", b"a,b\n1,2\n", None)
    assert open_source(io.BytesIO(b"a,b\n"), "mine.csv").name == "mine.csv"
    path = tmp_path / "upload.csv"
    path.write_bytes(b"a,b\n1,2\n")
    with open(path, "rb") as stream:
        stream.read(2)
        inp = open_source(stream, None)
    assert (inp.name, inp.data) == ("upload.csv", b"a,b\n1,2\n")


def test_open_source_refuses_anything_else_naming_its_type():
    with pytest.raises(
        TypeError,
        match=r"^source must be a path, bytes or a binary file-like object\. Received: <class 'int'>$",
    ):
        open_source(12, None)


def test_check_unique_columns_names_each_repeated_column_with_its_first_ten_positions():
    columns = ["x", "a", "y", "a"] + ["b"] * 11
    with pytest.raises(DataError) as caught:
        check_unique_columns(columns, "x.csv")
    assert str(caught.value) == (
        "x.csv: has duplicate column names: 'a' (columns 2, 4); "
        "'b' (columns 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, ... (11 in all)); give every column a unique name"
    )
    assert caught.value.source == "x.csv"


def test_check_unique_columns_accepts_distinct_names():
    assert check_unique_columns(["a", "b", "A"], "x.csv") is None


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (b"  \n\n", "pairs", "is empty; it needs a header row and data rows"),
        (b'""\n', "pairs", "is empty; it needs a header row and data rows"),
        (b"a,b\n", "pairs", "has a header but no data rows"),
        (
            b"a,b\n1,\xc3",
            "pairs",
            "is not UTF-8 text (invalid byte 0xc3 at byte 6, line 2); save it as UTF-8 (CSV UTF-8 in Excel)",
        ),
        (
            b"1;2;3\n4;5;6\n",
            "samples",
            "the first line looks like data, not column names (1;2;3); add a header row such as class;f0;f1",
        ),
        (
            b"abc\n1\n",
            "samples",
            "has only one column ('abc'); it needs at least a class column and feature columns; "
            "no comma, semicolon or tab was found in the header",
        ),
        (
            b"a|b\n1|2\n",
            "ids",
            "has only one column ('a|b'); it needs at least an id column and feature columns; "
            "it seems to be separated by '|'; save it with commas, semicolons or tabs",
        ),
        (b"\xff\xfea\x00,\x00", "pairs", "is UTF-16 text; save it as UTF-8 (CSV UTF-8 in Excel)"),
        (b"\xfe\xff\x00a\x00,", "pairs", "is UTF-16 text; save it as UTF-8 (CSV UTF-8 in Excel)"),
        (
            b"PK\x03\x04xx",
            "pairs",
            "looks like an Excel workbook (.xlsx) or a zip archive, not a CSV; in Excel use File > Save As > CSV UTF-8",
        ),
        (
            b"\xd0\xcf\x11\xe0xx",
            "pairs",
            "looks like an old Excel workbook (.xls), not a CSV; in Excel use File > Save As > CSV UTF-8",
        ),
        (b"\x1f\x8bxx", "pairs", "is gzip-compressed; decompress it and pass the CSV inside"),
        (
            b"a,b\n1,\x002\n",
            "pairs",
            "looks like a binary file, not a CSV (it contains NUL bytes); pass a comma, semicolon or "
            "tab separated text file saved as UTF-8",
        ),
        (
            ",".join(f"c{i}" for i in range(10_001)).encode() + b"\n",
            "pairs",
            "has 10,001 columns, more than the limit of 10,000; keep only the columns you need "
            "(fewer features, e.g. after PCA) and save it again",
        ),
    ],
)
def test_sniff_refuses_a_file_it_cannot_split_saying_why(data, kind, message):
    with pytest.raises(DataError) as caught:
        sniff(open_source(data, "x.csv"), kind)
    assert str(caught.value) == f"x.csv: {message}"
    assert caught.value.source == "x.csv"


def test_sniff_names_the_line_of_another_delimiter():
    with pytest.raises(DataError) as caught:
        sniff(open_source(b"a,b\n1;2;3\n", "x.csv"), "pairs")
    assert str(caught.value) == (
        "x.csv, row 1 (line 2): mixed delimiters: the header is separated by ',' (2 columns) but line 2 is "
        "separated by ';' (3 fields); use the same delimiter on every line"
    )
    assert (caught.value.source, caught.value.row) == ("x.csv", 1)


UTF16_WITHOUT_BOM = (
    "x.csv: looks like UTF-16 text without a byte order mark (every other byte is NUL); "
    "save it as UTF-8 (CSV UTF-8 in Excel)"
)


@pytest.mark.parametrize(
    "data",
    [
        b"a\x00,\x00",  # little-endian, the shortest sample checked (4 bytes)
        b"a\x00,\x00b\x00\n\x00",
        b"\x00a\x00,",  # big-endian
        b"\x00a\x00,\x00b\x00\n",
        b"a\x00" * 256 + b"\x00",  # only the first 512 bytes are checked
    ],
)
def test_sniff_refuses_utf16_text_without_a_byte_order_mark(data):
    with pytest.raises(DataError) as caught:
        sniff(open_source(data, "x.csv"), "pairs")
    assert str(caught.value) == UTF16_WITHOUT_BOM


def test_sniff_calls_three_bytes_with_a_nul_a_binary_file():
    with pytest.raises(
        DataError, match=r"^x\.csv: looks like a binary file, not a CSV \(it contains NUL bytes\)"
    ):
        sniff(open_source(b"a\x00,", "x.csv"), "pairs")


def test_sniff_accepts_exactly_the_most_columns():
    header = ",".join(f"c{i}" for i in range(10_000)).encode()
    row = ",".join(["1"] * 10_000).encode()
    layout = sniff(open_source(header + b"\n" + row + b"\n", "x.csv"), "pairs")
    assert len(layout.columns) == 10_000
    assert layout.columns[-1] == "c9999"
