"""Tests of siamese_core.data.ranges: how many threads and ranges parse a large pair file, and what one byte
range of it reads as (`PairRanges`) or the whole file (`read_pairs_in_ranges`), on small files given as
bytes (the size threshold is set to the file's own size where the whole file is read)."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from siamese_core.data import load_pair_csv
from siamese_core.data import ranges as data_ranges
from siamese_core.data.ranges import PairRanges, read_pairs_in_ranges, worker_count
from siamese_core.data.sniffing import CsvInput, CsvLayout, open_source, sniff
from siamese_core.errors import DataError
from siamese_core.streaming import PairStream


def pair_file(text: str, bom: bool = False) -> tuple[CsvInput, CsvLayout]:
    """A pair file given as bytes, with its sniffed layout."""
    inp = open_source(b"\xef\xbb\xbf" * bom + text.encode(), "pairs.csv")
    return inp, sniff(inp, "pairs")


def line_start(text: str, line: int) -> int:
    """The offset of the 0-based `line` of `text` (ASCII)."""
    return sum(len(part) + 1 for part in text.split("\n")[:line])


def assert_bits(values: np.ndarray, expected: list[list[float]]) -> None:
    """float32 values equal to `expected` to the bit (-0.0 is not 0.0)."""
    want = np.array(expected, dtype=np.float32)
    assert values.dtype == np.float32 and values.shape == want.shape
    np.testing.assert_array_equal(values.view(np.uint32), want.view(np.uint32))


# --------------------------------------------------------------------------------------------------
# Threads: the cores this process may use, at most MAX_WORKERS
# --------------------------------------------------------------------------------------------------


def test_worker_count_is_the_cores_this_process_may_use_at_most_eight(monkeypatch):
    """On a machine of 64 CPUs where this process may run on 3 (its affinity), 3 threads parse; allowed 12
    cores, 8 (MAX_WORKERS)."""
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 5, 9}, raising=False)
    assert worker_count() == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(12)), raising=False)
    assert worker_count() == data_ranges.MAX_WORKERS == 8


def test_worker_count_without_an_affinity_counts_the_cpus_or_takes_one(monkeypatch):
    """Where the system has no CPU affinity, the CPUs count (3), at most 8; when their number is unknown
    (os.cpu_count() is None), one thread parses."""
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert worker_count() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: 20)
    assert worker_count() == 8
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert worker_count() == 1


# --------------------------------------------------------------------------------------------------
# The whole file: read_pairs_in_ranges
# --------------------------------------------------------------------------------------------------


def test_a_file_of_exactly_the_threshold_size_is_read_in_ranges(monkeypatch):
    """PARALLEL_MIN_BYTES is the first size read in ranges: a file of exactly that size is; a byte smaller,
    it is left to the careful read (None)."""
    text = "label,a,b\n0,1.5,2\n1,3.5,4\n"
    inp, layout = pair_file(text)
    monkeypatch.setattr(data_ranges, "PARALLEL_MIN_BYTES", len(text))
    left, right, labels = read_pairs_in_ranges(inp, layout, "label", ["a"], ["b"])
    assert_bits(left, [[1.5], [3.5]])
    assert_bits(right, [[2.0], [4.0]])
    assert labels.tolist() == [0, 1]
    monkeypatch.setattr(data_ranges, "PARALLEL_MIN_BYTES", len(text) + 1)
    assert read_pairs_in_ranges(inp, layout, "label", ["a"], ["b"]) is None


def test_the_number_of_ranges_counts_the_data_rows_bytes_not_the_header(monkeypatch):
    """With ranges of 32 bytes (MIN_RANGE_BYTES, above 3 columns of 1 byte), the 32 bytes of data rows are one
    range, [44, 76): the 44 bytes of the long header are not data (with them, 76 bytes would make 2 ranges)."""
    header = "label,first_feature_column,second_feature_c\n"
    text = header + "0,1.5,2\n1,3.5,4\n0,5.5,6\n1,7.5,8\n"
    assert (len(header), len(text)) == (44, 76)
    inp, layout = pair_file(text)
    monkeypatch.setattr(data_ranges, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(data_ranges, "RANGE_BYTES_PER_COLUMN", 1)
    monkeypatch.setattr(data_ranges, "MIN_RANGE_BYTES", 32)
    read, ranges = PairRanges.read, []

    def spy(self, start, stop, *args, **kwargs):
        ranges.append((start, stop))
        return read(self, start, stop, *args, **kwargs)

    monkeypatch.setattr(PairRanges, "read", spy)
    left, right, labels = read_pairs_in_ranges(
        inp, layout, "label", ["first_feature_column"], ["second_feature_c"]
    )
    assert ranges == [(44, 76)]
    assert_bits(left, [[1.5], [3.5], [5.5], [7.5]])
    assert_bits(right, [[2.0], [4.0], [6.0], [8.0]])
    assert labels.tolist() == [0, 1, 0, 1]


def test_at_most_worker_count_threads_parse_the_ranges(monkeypatch):
    """Each parsing thread holds a range's float64 values: 8 ranges on 2 workers are parsed on 2 threads at
    most, however long each takes; the rows still come back in the file's order."""
    text = "label,a,b\n" + "".join(f"{row % 2},{row}.5,{row}\n" for row in range(16))
    inp, layout = pair_file(text)
    monkeypatch.setattr(data_ranges, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(data_ranges, "RANGE_BYTES_PER_COLUMN", 7)  # 3 columns: ranges of 21 bytes, 2 rows
    monkeypatch.setattr(data_ranges, "MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(data_ranges, "worker_count", lambda: 2)
    read, threads, starts = PairRanges.read, set(), []

    def spy(self, start, *args, **kwargs):
        threads.add(threading.get_ident())
        starts.append(start)
        time.sleep(0.02)  # long enough for more threads, had the pool more
        return read(self, start, *args, **kwargs)

    monkeypatch.setattr(PairRanges, "read", spy)
    left, right, labels = read_pairs_in_ranges(inp, layout, "label", ["a"], ["b"])
    assert len(starts) == 8 and 1 <= len(threads) <= 2
    assert_bits(left, [[row + 0.5] for row in range(16)])
    assert_bits(right, [[row] for row in range(16)])
    assert labels.tolist() == [row % 2 for row in range(16)]


def test_float_labels_below_2_to_the_53_read_in_ranges(monkeypatch):
    """float64 holds every integer below 2**53 exactly, so such float labels read as their text: the file is
    read in ranges (2**53 and beyond go to the careful read, tests/test_data.py)."""
    text = "label,a,b\n9007199254740991.0,1,2\n-106.5,3,4\n0.5,5,6\n"
    inp, layout = pair_file(text)
    monkeypatch.setattr(data_ranges, "PARALLEL_MIN_BYTES", 0)
    left, right, labels = read_pairs_in_ranges(inp, layout, "label", ["a"], ["b"])
    assert labels.tolist() == [2.0**53 - 1, -106.5, 0.5]
    assert_bits(left, [[1.0], [3.0], [5.0]])
    assert_bits(right, [[2.0], [4.0], [6.0]])


# --------------------------------------------------------------------------------------------------
# One range: PairRanges
# --------------------------------------------------------------------------------------------------


def test_the_header_is_kept_without_its_byte_order_mark():
    """The header parsed before each range has no byte order mark; the data start past it and the header."""
    text = "label,a,b\n0,1.5,2\n1,3.5,4\n"
    reader = PairRanges.open(*pair_file(text, bom=True))
    assert reader.header == b"label,a,b\n"
    assert reader.first_row == b"0,1.5,2\n"
    assert reader.data_start == 3 + 10


def test_a_later_range_is_parsed_after_the_first_data_row():
    """Every range but the first is parsed after the file's first data row, dropped again: its 0.5 makes
    column a float in every range, as in the whole file, so the -0 of row 2 is the float -0.0. Parsed alone,
    the range's a would be integers, where -0 is 0 (then the careful read is needed)."""
    text = "label,a,b\n0,0.5,1.5\n1,1,2\n0,-0,3\n"
    inp, layout = pair_file(text)
    reader = PairRanges.open(inp, layout)
    values, labels = reader.read(line_start(text, 2), len(text), "label", ["a", "b"])
    assert_bits(values, [[1.0, 2.0], [-0.0, 3.0]])
    assert labels.tolist() == [1, 0]
    values, labels = reader.read(reader.data_start, len(text), "label", ["a", "b"])
    assert_bits(values, [[0.5, 1.5], [1.0, 2.0], [-0.0, 3.0]])
    assert labels.tolist() == [0, 1, 0]


def test_a_float_minus_zero_beside_integer_columns_is_kept():
    """Column a holds integers (none of them 0), b floats with a -0: the -0 is read as written, -0.0; only a
    0 in an integer column makes the text worth searching for a -0."""
    text = "label,a,b\n0,1,0.5\n1,2,-0\n"
    inp, layout = pair_file(text)
    values, labels = PairRanges.open(inp, layout).read(line_start(text, 1), len(text), "label", ["a", "b"])
    assert_bits(values, [[1.0, 0.5], [2.0, -0.0]])
    assert labels.tolist() == [0, 1]


def test_a_minus_zero_with_an_exponent_is_a_float_not_an_integer_minus_zero():
    """Column a holds integers with a 0; "-0e5" and "-0E5" in b are floats (-0.0), not the integer -0 that
    pandas would read as 0: the range reads."""
    text = "label,a,b\n0,0,0.5\n1,2,-0e5\n0,3,-0E5\n"
    inp, layout = pair_file(text)
    values, labels = PairRanges.open(inp, layout).read(line_start(text, 1), len(text), "label", ["a", "b"])
    assert_bits(values, [[0.0, 0.5], [2.0, -0.0], [3.0, -0.0]])
    assert labels.tolist() == [0, 1, 0]


def test_only_the_ranges_own_bytes_are_searched_for_a_minus_zero():
    """The first range, rows 0 and 1, has a 0 in its integer column a and no -0: it reads, whatever comes
    after it (a -0 in row 2, a float there). Its stop is the start of row 2."""
    text = "label,a,b\n0,0,0.5\n1,1,1.5\n0,2,-0\n"
    inp, layout = pair_file(text)
    reader = PairRanges.open(inp, layout)
    values, labels = reader.read(reader.data_start, line_start(text, 3), "label", ["a", "b"])
    assert_bits(values, [[0.0, 0.5], [1.0, 1.5]])
    assert labels.tolist() == [0, 1]
    assert reader.read(reader.data_start, len(text), "label", ["a", "b"]) is None  # a is integers with -0


@pytest.mark.parametrize("drop_missing", [False, True])
def test_a_streamed_row_of_too_few_fields_is_refused_as_in_memory_not_taken_for_empty_cells(
    tmp_path, drop_missing
):
    """Every column is read (no ignored column), so the streamed ranges keep empty feature cells as NaN:
    a row with a field less must still be refused for its shape, not dropped or reported as empty cells."""
    rows = [f"{row % 2},{row}.5,{row}" for row in range(400)]
    rows[300] = "1,300.5"  # row 301, line 302: two fields
    path = tmp_path / "short.csv"
    path.write_text("label,a_x,b_x\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError) as in_memory:
        load_pair_csv(path, drop_missing=drop_missing)
    with pytest.raises(DataError) as streamed:
        PairStream(path, chunk_rows=16, drop_missing=drop_missing).load_split("all")
    assert str(in_memory.value).startswith(
        "short.csv, row 301 (line 302): line 302 has 2 fields but the header has 3"
    )
    assert str(streamed.value) == str(in_memory.value)
