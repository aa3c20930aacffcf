"""Tests of siamese_core.data.lines: where the lines of a file start (`line_starts`), whether its first two
lines are plain (`plain_first_lines`), and `RangeStream`, the stream of a byte range that pandas parses: what
its reads hand over and when it says its bytes are not plain (a quote, bytes that are not UTF-8, a line of
other fields than the header)."""

from __future__ import annotations

import io

import pytest

from siamese_core.data import lines as data_lines
from siamese_core.data.lines import RangeStream, line_starts, plain_first_lines
from siamese_core.data.sniffing import CsvInput, CsvLayout, open_source, sniff

HEADER = b"label,a_x,b_x\n"


def pair_file(data: bytes) -> tuple[CsvInput, CsvLayout]:
    """A pair file given as bytes, with its sniffed layout."""
    inp = open_source(data, "pairs.csv")
    return inp, sniff(inp, "pairs")


def all_reads(stream: RangeStream) -> list[bytes]:
    """What each read of `stream` hands over, up to and with the first empty read."""
    reads = [stream.read()]
    while reads[-1]:
        reads.append(stream.read())
    return reads


def rows_stream(rows: bytes, stop: int | None = None, check_fields: bool = True) -> RangeStream:
    """The stream of a pair file's data rows (the header as its prefix), up to the offset `stop`."""
    _, layout = pair_file(HEADER + b"0,1,2\n1,3,4\n")
    inp = open_source(HEADER + rows, "pairs.csv")
    return RangeStream(inp, layout, HEADER, len(HEADER), inp.size if stop is None else stop, check_fields)


# --------------------------------------------------------------------------------------------------
# line_starts
# --------------------------------------------------------------------------------------------------


def test_line_starts_give_each_line_start_once_when_cuts_fall_in_one_line():
    # Cuts at 11 and 22 both fall in the first line (31 bytes with its line feed): one start for both.
    text = b"x" * 30 + b"\n" + b"ab\n"
    assert line_starts(io.BytesIO(text), 0, len(text), 3) == [0, 31, 34]


def test_line_starts_give_no_start_at_the_end_when_a_cut_falls_in_the_last_line():
    # The cut at 17 falls in the last line, which ends at the end: the end is the stop, given once.
    text = b"ab\n" + b"x" * 30 + b"\n"
    assert line_starts(io.BytesIO(text), 0, len(text), 2) == [0, 34]


# --------------------------------------------------------------------------------------------------
# plain_first_lines
# --------------------------------------------------------------------------------------------------


def test_plain_first_lines_are_whole_lines_of_the_sniffed_fields():
    _, layout = pair_file(HEADER + b"0,1,2\n1,3,4\n")
    assert plain_first_lines(HEADER, b"0,1,2\n", layout) is True
    assert plain_first_lines(b"label,a_x,b_x\r\n", b"0,1,2\r\n", layout) is True
    # The first data row as the file's last line, without a line feed.
    assert plain_first_lines(HEADER, b"0,1,2", layout) is False


def test_first_lines_with_a_bare_carriage_return_are_not_plain():
    """pandas ends a line at a bare carriage return: the first data row would be two lines to it."""
    _, layout = pair_file(HEADER + b"0,1,2\n1,3,4\n")
    assert plain_first_lines(HEADER, b"0,1\r,2\n", layout) is False
    # A header whose second name holds a carriage return, quoted in the file the layout was sniffed from.
    _, quoted_layout = pair_file(b'label,"a\rx",b_x\n0,1,2\n1,3,4\n')
    assert quoted_layout.raw_columns == ["label", "a\rx", "b_x"]
    assert plain_first_lines(b"label,a\rx,b_x\n", b"0,1,2\n", quoted_layout) is False


def test_a_first_data_row_that_is_not_utf8_is_not_plain():
    _, layout = pair_file(HEADER + b"0,1,2\n1,3,4\n")
    assert plain_first_lines(HEADER, b"0,\xff,2\n", layout) is False


# --------------------------------------------------------------------------------------------------
# RangeStream: what its reads hand over
# --------------------------------------------------------------------------------------------------


def test_range_stream_reads_as_text():
    with rows_stream(b"0,1,2\n1,3,4\n") as stream, io.TextIOWrapper(stream, encoding="utf-8") as text:
        assert list(text) == ["label,a_x,b_x\n", "0,1,2\n", "1,3,4\n"]


def test_range_stream_reads_read_bytes_then_the_rest_of_the_line(monkeypatch):
    # 6 bytes a read: the first row is exactly that, the second one byte more, the third one byte less.
    monkeypatch.setattr(data_lines, "READ_BYTES", 6)
    stream = rows_stream(b"0,1,2\n1,3,45\n0,6\n")
    assert all_reads(stream) == [HEADER, b"0,1,2\n", b"1,3,45\n", b"0,6\n", b""]


def test_range_stream_hands_over_its_range_alone_even_when_it_ends_inside_a_line(monkeypatch):
    monkeypatch.setattr(data_lines, "READ_BYTES", 1)
    stream = rows_stream(b"0,1,2\n1,3,4\n", stop=len(HEADER) + 9)
    assert all_reads(stream) == [HEADER, b"0,1,2\n", b"1,3", b""]


def test_range_stream_stays_at_its_end_after_it(monkeypatch):
    monkeypatch.setattr(data_lines, "READ_BYTES", 1)
    stream = rows_stream(b"0,1,2\n1,3,4\n", stop=len(HEADER) + 6)
    assert all_reads(stream) == [HEADER, b"0,1,2\n", b""]
    assert [stream.read(), stream.read()] == [b"", b""]


# --------------------------------------------------------------------------------------------------
# RangeStream: plain or not
# --------------------------------------------------------------------------------------------------


def test_a_range_with_a_quote_is_not_plain():
    stream = rows_stream(b'0,1,2\n1,"3",4\n')
    all_reads(stream)
    assert stream.plain is False


def test_a_range_ending_inside_a_utf8_character_is_not_plain():
    # The range ends after the first of the two bytes of é, in a row of the header's three fields.
    rows = "0,1,2\n1,3,é\n".encode()
    stream = rows_stream(rows, stop=len(HEADER) + rows.index(b"\xc3") + 1)
    assert all_reads(stream) == [HEADER, b"0,1,2\n1,3,\xc3", b""]
    assert stream.plain is False
    # The whole file: the same character read whole.
    stream = rows_stream(rows)
    all_reads(stream)
    assert stream.plain is True


def test_a_file_that_ends_inside_a_utf8_character_before_the_range_stop_is_not_plain():
    """A file shorter than the range it was cut into (cut, then truncated): its last character is cut."""
    stream = rows_stream(b"0,1,2\n1,3,\xc3", stop=len(HEADER) + 20)
    assert all_reads(stream) == [HEADER, b"0,1,2\n1,3,\xc3", b""]
    assert stream.plain is False


@pytest.mark.parametrize("check_fields", [True, False])
def test_rows_of_other_fields_than_the_header_are_counted_only_when_asked(check_fields):
    stream = rows_stream(b"0,1,2\n1,3\n", check_fields=check_fields)
    all_reads(stream)
    assert stream.plain is (not check_fields)


def test_a_row_beginning_with_an_empty_cell_has_the_header_fields():
    stream = rows_stream(b",1,2\n1,3,4\n")
    all_reads(stream)
    assert stream.plain is True


def test_a_last_line_of_one_byte_without_a_line_feed_is_a_row_of_one_field():
    stream = rows_stream(b"0,1,2\n7")
    assert all_reads(stream) == [HEADER, b"0,1,2\n7", b""]
    assert stream.plain is False
