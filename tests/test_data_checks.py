"""Tests for siamese_core.data.checks: empty cells and infinite values, checked once for every reader.

`check_rows` checks a block, `Findings` adds blocks up and reports a file's first problem, `checked_rows`
does both for a file read in one piece. The stream (`PairStream`) reads a file block by block and must report
what `load_pair_csv` reports, whatever comes after the first problem.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siamese_core import streaming
from siamese_core.data import load_pair_csv
from siamese_core.data.checks import Findings, RowCheck, check_rows, checked_rows
from siamese_core.data.reader import read_table
from siamese_core.data.sniffing import open_source, sniff
from siamese_core.errors import DataError
from siamese_core.pairs import LoadInfo
from siamese_core.streaming import PairStream

NAN, INF = np.nan, np.inf


def csv_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def pair_lines(n_rows: int, *, label=lambda row: row % 2, first_row: int = 0) -> list[str]:
    """Data rows `label,a_x,a_y,b_x,b_y` with distinct finite values; row i holds i in a_x."""
    return [
        f"{label(row)},{row},{row + 0.5},{-row},{row * 2}" for row in range(first_row, first_row + n_rows)
    ]


HEADER = "label,a_x,a_y,b_x,b_y"


def raised(call, kind=DataError) -> str:
    with pytest.raises(kind) as caught:
        call()
    return str(caught.value)


def no_text(position: int, column: str) -> str:
    raise AssertionError(f"no value is quoted here (asked for {column} at {position})")


# --------------------------------------------------------------------------------------------------
# check_rows: one block
# --------------------------------------------------------------------------------------------------


def test_check_rows_of_a_block_without_problems_finds_none():
    labels = np.array([False, False, False])
    values = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32)
    check = check_rows([("label", labels)], [(["a_x", "a_y"], values)], {"label": 0, "a_x": 1, "a_y": 2})
    assert check.keep.tolist() == [True, True, True]
    assert check.n_missing == 0
    assert check.first_missing is None
    assert check.first_infinite is None


def test_check_rows_of_number_columns_only_counts_rows_from_the_numbers():
    values = np.array([[1.0, 2.0], [3.0, NAN], [NAN, NAN], [INF, 8.0]], dtype=np.float32)
    check = check_rows([], [(["a_x", "a_y"], values)], {"a_x": 0, "a_y": 1})
    assert check.keep.tolist() == [True, False, False, True]
    assert check.n_missing == 2
    assert check.first_missing == (1, "a_y")
    assert check.first_infinite == (3, "a_x")


def test_check_rows_of_a_block_without_rows_finds_nothing():
    check = check_rows(
        [("label", np.zeros(0, dtype=bool))],
        [(["a_x"], np.empty((0, 1), dtype=np.float32)), (["b_x"], np.empty((0, 1), dtype=np.float32))],
        {"label": 0, "a_x": 1, "b_x": 2},
    )
    assert check.keep.tolist() == []
    assert check.n_missing == 0
    assert check.first_missing is None
    assert check.first_infinite is None


def test_check_rows_with_a_group_of_no_columns_checks_the_others():
    values = np.array([[1.0], [NAN]], dtype=np.float32)
    check = check_rows(
        [("label", np.array([False, False]))],
        [([], np.empty((2, 0), dtype=np.float32)), (["b_x"], values)],
        {"label": 0, "b_x": 1},
    )
    assert check.keep.tolist() == [True, False]
    assert check.first_missing == (1, "b_x")


# --------------------------------------------------------------------------------------------------
# checked_rows: a file read in one piece
# --------------------------------------------------------------------------------------------------


def checked(text: str, *, drop_missing: bool):
    inp = open_source(text.encode(), "p.csv")
    layout = sniff(inp, "pairs")
    frame = read_table(inp, layout, numeric=["a_x", "a_y", "b_x", "b_y"], text=["label"])
    info = LoadInfo(source="p.csv", kind="pairs")
    numbers = [
        (["a_x", "a_y"], frame[["a_x", "a_y"]].to_numpy(dtype=np.float32)),
        (["b_x", "b_y"], frame[["b_x", "b_y"]].to_numpy(dtype=np.float32)),
    ]
    keep = checked_rows(inp, layout, frame.index, [("label", frame["label"])], numbers, info, drop_missing)
    return keep, info


def test_checked_rows_keeps_every_row_as_a_slice_when_no_cell_is_empty():
    keep, info = checked(csv_text(HEADER, *pair_lines(4)), drop_missing=True)
    assert keep == slice(None)
    assert info.dropped_rows == 0
    assert info.warnings == []


def test_checked_rows_keeps_a_mask_when_rows_are_dropped():
    lines = pair_lines(4)
    lines[2] = "0,2,,-2,4"
    keep, info = checked(csv_text(HEADER, *lines), drop_missing=True)
    assert keep.tolist() == [True, True, False, True]
    assert info.dropped_rows == 1
    assert info.warnings == [
        "p.csv: dropped 1 of 4 rows with missing values (the first: row 3, column 'a_y')"
    ]


# --------------------------------------------------------------------------------------------------
# Findings: blocks added up
# --------------------------------------------------------------------------------------------------


def test_findings_of_no_rows_report_a_file_without_data_rows():
    info = LoadInfo(source="e.csv", kind="pairs")
    assert (
        raised(lambda: Findings().report("e.csv", ".", False, info)) == "e.csv: has a header but no data rows"
    )


def test_findings_add_refuses_the_blocks_of_a_file_that_has_failed():
    clean = RowCheck(np.array([True, True]), 0, None, None)
    missing = RowCheck(np.array([False, True]), 1, (0, "a_x"), None)
    infinite = RowCheck(np.array([True, True]), 0, None, (1, "b_x"))

    refusing = Findings()
    assert refusing.add(np.array([0, 1]), missing, no_text, drop_missing=False) is False
    assert refusing.add(np.array([2, 3]), clean, no_text, drop_missing=False) is False
    assert (refusing.n_rows, refusing.n_missing, refusing.first_missing) == (4, 1, (0, "a_x"))

    dropping = Findings()
    assert dropping.add(np.array([0, 1]), missing, no_text, drop_missing=True) is True
    assert (
        dropping.add(np.array([2, 3]), infinite, lambda position, column: "1e39", drop_missing=True) is False
    )
    assert dropping.infinite == (3, "b_x", "1e39")
    assert dropping.add(np.array([4, 5]), clean, no_text, drop_missing=True) is False
    assert (
        dropping.add(np.array([6, 7]), infinite, lambda position, column: "inf", drop_missing=True) is False
    )
    assert dropping.infinite == (3, "b_x", "1e39")  # the first one stays the one reported
    assert (dropping.n_rows, dropping.n_missing) == (8, 1)


def test_findings_report_adds_the_dropped_rows_to_those_counted_before():
    findings = Findings()
    findings.add(
        np.array([0, 1, 2]), RowCheck(np.array([True, False, True]), 1, (1, "a_y"), None), no_text, True
    )
    info = LoadInfo(source="p.csv", kind="pairs", dropped_rows=5)
    findings.report("p.csv", ".", True, info)
    assert info.dropped_rows == 6
    assert info.warnings == [
        "p.csv: dropped 1 of 3 rows with missing values (the first: row 2, column 'a_y')"
    ]


# --------------------------------------------------------------------------------------------------
# The stream, block by block: the first problem of a file is the one reported
# --------------------------------------------------------------------------------------------------


def test_stream_reports_the_first_infinite_value_of_a_file_read_in_blocks(tmp_path):
    lines = pair_lines(12)
    lines[2] = "0,2,inf,-2,4"  # row 3, in the second block of two rows
    lines[9] = "1,9,9.5,1e39,18"  # row 10, in the fifth
    path = tmp_path / "p.csv"
    path.write_text(csv_text(HEADER, *lines))
    expected = "p.csv, column 'a_y', row 3 (line 4): value inf is infinite; replace it with a finite number or remove the row"
    assert raised(lambda: load_pair_csv(path)) == expected
    assert raised(lambda: PairStream(path, chunk_rows=2).scan()) == expected


@pytest.mark.parametrize("chunk_rows", [2, 100])
def test_stream_reports_an_empty_cell_before_counting_labels(tmp_path, monkeypatch, chunk_rows):
    monkeypatch.setattr(streaming, "MAX_LABEL_VALUES", 3)
    lines = pair_lines(8, label=lambda row: f"kind{row}")  # 8 distinct labels: too many to count
    lines[0] = "kind0,0,,0,0"
    path = tmp_path / "p.csv"
    path.write_text(csv_text(HEADER, *lines))
    expected = (
        "p.csv, column 'a_y', row 1 (line 2): 1 of 8 rows has missing values (empty cells), the first here; "
        "fill them in, or drop those rows (pass drop_missing=True)"
    )
    assert raised(lambda: load_pair_csv(path)) == expected
    assert raised(lambda: PairStream(path, chunk_rows=chunk_rows).scan()) == expected


@pytest.mark.parametrize("chunk_rows", [2, 100])
def test_stream_reports_an_infinite_value_before_counting_labels(tmp_path, monkeypatch, chunk_rows):
    monkeypatch.setattr(streaming, "MAX_LABEL_VALUES", 3)
    lines = pair_lines(8, label=lambda row: f"kind{row}")
    lines[1] = "kind1,1,1.5,-1,-inf"
    path = tmp_path / "p.csv"
    path.write_text(csv_text(HEADER, *lines))
    expected = "p.csv, column 'b_y', row 2 (line 3): value -inf is infinite; replace it with a finite number or remove the row"
    assert raised(lambda: load_pair_csv(path)) == expected
    assert raised(lambda: PairStream(path, chunk_rows=chunk_rows).scan()) == expected


def test_stream_counts_the_dropped_rows_of_every_file_in_a_folder(tmp_path):
    folder = tmp_path / "pairs"
    folder.mkdir()
    first = pair_lines(10)
    first[3] = "1,3,,-3,6"
    second = pair_lines(10, first_row=10)
    second[0] = "0,10,10.5,,20"
    second[6] = ",16,16.5,-16,32"
    (folder / "a.csv").write_text(csv_text(HEADER, *first))
    (folder / "b.csv").write_text(csv_text(HEADER, *second))
    info = PairStream(folder, chunk_rows=4, drop_missing=True).scan().info
    assert info.n_rows == 20
    assert info.dropped_rows == 3
    assert info.warnings == [
        "pairs/a.csv: dropped 1 of 10 rows with missing values (the first: row 4, column 'a_y')",
        "pairs/b.csv: dropped 2 of 10 rows with missing values (the first: row 1, column 'b_x')",
    ]


def test_a_padded_text_cell_too_large_for_float32_reads_alike_in_csv_and_parquet(tmp_path):
    lines = pair_lines(6)
    lines[1] = "1,1, 1e39 ,-1,2"  # row 2: a number beyond float32, with spaces around it
    csv_path = tmp_path / "p.csv"
    csv_path.write_text(csv_text(HEADER, *lines))
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "p.parquet", index=False)  # every column text, the cell as written
    too_large = (
        "column 'a_y', row 2 (line 3): value 1e39 is too large for 32-bit floats (largest about 3.4e38); "
        "rescale this column"
    )
    assert raised(lambda: load_pair_csv(csv_path)) == f"p.csv, {too_large}"
    assert raised(lambda: PairStream(csv_path, chunk_rows=2).scan()) == f"p.csv, {too_large}"
    assert (
        raised(lambda: PairStream(tmp_path / "p.parquet", chunk_rows=2).scan()) == f"p.parquet, {too_large}"
    )
