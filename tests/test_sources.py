"""Tests of siamese_core.sources: finding a folder's files, checking their headers, and reading whole tables
a chunk at a time.

(Reading pairs in chunks is tested through `PairStream` in tests/test_streaming.py.)
"""

from __future__ import annotations

import datetime
import decimal
import io
import os
import re
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from siamese_core.errors import DataError
from siamese_core.sources import (
    CsvFile,
    PairColumns,
    ParquetFile,
    Piece,
    RangeTrouble,
    check_unchanged,
    open_files,
    open_table,
)

HEADER = "label,a_x,b_x\n"


def test_a_folder_reads_its_data_files_by_name_and_says_what_it_skipped(tmp_path):
    """Hidden files and names starting with "_" are skipped silently; subfolders and other kinds of file
    are named in a warning; the suffix is read case-insensitively; files come in the order of their names."""
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "b.csv").write_text(HEADER + "0,1,2\n")
    (folder / "a.CSV").write_text(HEADER + "1,3,4\n")
    (folder / ".hidden.csv").write_text("junk")
    (folder / "_SUCCESS").write_text("")
    (folder / "notes.md").write_text("hi")
    (folder / "z.json").write_text("{}")
    (folder / "sub").mkdir()
    (folder / "sub2").mkdir()
    files = open_files(folder)
    assert [file.name for file in files.files] == ["parts/a.CSV", "parts/b.csv"]
    assert (files.name, files.format, files.is_folder) == ("parts", "csv", True)
    assert files.warnings == [
        "parts: skipped subfolders (they are not read): sub, sub2",
        "parts: skipped files that are neither CSV nor Parquet: notes.md, z.json",
    ]


def test_a_folder_without_skipped_entries_has_no_warnings(tmp_path):
    (tmp_path / "a.csv").write_text(HEADER + "0,1,2\n")
    files = open_files(tmp_path)
    assert files.warnings == [] and len(files.files) == 1


def test_a_folder_without_data_files_is_refused(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "readme.md").write_text("x")
    (folder / "inner").mkdir()
    (folder / "inner" / "a.csv").write_text(HEADER)
    with pytest.raises(DataError) as caught:
        open_files(folder)
    assert caught.value.source == "empty"
    assert str(caught.value) == (
        "empty: has no CSV or Parquet files (looked for .csv, .tsv, .txt, .parquet, .pq); put the pair "
        "files in it or pass one file"
    )


def test_files_of_a_folder_need_the_same_columns(tmp_path):
    folder = tmp_path / "diff"
    folder.mkdir()
    (folder / "a.csv").write_text(HEADER + "0,1,2\n")
    (folder / "b.csv").write_text("label,a_x,c_x,d\n0,1,2,3\n")
    with pytest.raises(DataError) as caught:
        open_files(folder)
    assert caught.value.source == "diff/b.csv"
    assert str(caught.value) == (
        "diff/b.csv: has other columns than diff/a.csv (missing b_x; extra c_x, d); every file of a folder "
        "needs the same columns (in any order)"
    )
    (folder / "b.csv").write_text("b_x,label,a_x\n2,0,1\n")  # the same columns in another order
    assert len(open_files(folder).files) == 2
    (folder / "b.csv").write_text("label,a_x\n0,1\n")
    with pytest.raises(DataError, match=r"\(missing b_x\); every file"):
        open_files(folder)


def test_unnamed_parquet_columns_are_named_by_position(tmp_path):
    """Columns 2 to 13 have no name: the first ten positions are given."""
    path = tmp_path / "noname.parquet"
    pq.write_table(pa.table([[0], *[[float(i)] for i in range(12)]], names=["label", *[""] * 12]), path)
    with pytest.raises(DataError) as caught:
        open_table(str(path))
    assert (
        str(caught.value)
        == "noname.parquet: column 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 has no name; name it or drop it"
    )


def test_folder_warnings_and_column_lists_are_cut_at_their_limits(tmp_path):
    """Skipped entries are listed up to 3, missing and extra columns up to 6, then counted."""
    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "a.csv").write_text("label," + ",".join(f"c{i}" for i in range(7)) + "\n0" + ",1" * 7 + "\n")
    (folder / "b.csv").write_text("label," + ",".join(f"x{i}" for i in range(7)) + "\n0" + ",1" * 7 + "\n")
    for name in ("s1", "s2", "s3", "s4"):
        (folder / name).mkdir()
        (folder / f"{name}.md").write_text("")
    with pytest.raises(DataError) as caught:
        open_files(folder)
    assert str(caught.value) == (
        "many/b.csv: has other columns than many/a.csv (missing c0, c1, c2, c3, c4, c5, ... (7 in all); "
        "extra x0, x1, x2, x3, x4, x5, ... (7 in all)); every file of a folder needs the same columns (in any "
        "order)"
    )
    (folder / "b.csv").unlink()
    assert open_files(folder).warnings == [
        "many: skipped subfolders (they are not read): s1, s2, s3, ... (4 in all)",
        "many: skipped files that are neither CSV nor Parquet: s1.md, s2.md, s3.md, ... (4 in all)",
    ]


def test_every_file_of_a_folder_is_compared_with_the_first(tmp_path):
    """b matches a; c, after it, has an extra column only."""
    for name, header in (("a", HEADER), ("b", HEADER), ("c", "label,a_x,b_x,d\n")):
        (tmp_path / f"{name}.csv").write_text(header + "0,1,2" + ",3" * (name == "c") + "\n")
    with pytest.raises(DataError) as caught:
        open_files(tmp_path)
    assert f"{tmp_path.name}/c.csv: has other columns than {tmp_path.name}/a.csv (extra d);" in str(
        caught.value
    )


def test_column_limit_and_duplicate_names_name_the_file(tmp_path):
    """A Parquet file of 10,000 columns is allowed, of 10,001 refused; duplicate names are refused,
    naming the file."""
    at_limit = tmp_path / "wide.parquet"
    pq.write_table(pa.table([[0.0]] * 10_000, names=[f"c{i}" for i in range(10_000)]), at_limit)
    assert len(open_table(str(at_limit)).files[0].columns) == 10_000
    over = tmp_path / "wider.parquet"
    pq.write_table(pa.table([[0.0]] * 10_001, names=[f"c{i}" for i in range(10_001)]), over)
    with pytest.raises(DataError) as caught:
        open_table(str(over))
    assert str(caught.value) == (
        "wider.parquet: has 10,001 columns, more than the limit of 10,000; keep only the columns you need"
    )
    duplicated = tmp_path / "dup.parquet"
    pq.write_table(pa.table([[0], [1.0], [2.0]], names=["label", "x", "x"]), duplicated)
    with pytest.raises(DataError) as caught:
        open_table(str(duplicated))
    assert caught.value.source == "dup.parquet"


# --------------------------------------------------------------------------------------------------
# Whole tables, a chunk at a time (what scoring reads)
# --------------------------------------------------------------------------------------------------

TABLE = "id , label,a_x,b_x\n7,same,1.5,2\n8,different,3,4\n9,same,5,6.25\n"


def test_a_csv_table_comes_in_chunks_with_its_file_rows_as_index(tmp_path):
    """Three rows in chunks of two: rows 0-1, then row 2; names stripped; each chunk's own dtypes (the
    second chunk's b_x holds 6.25 only, a float, the first's the integers 2 and 4)."""
    path = tmp_path / "t.csv"
    path.write_text(TABLE)
    table = open_table(str(path))
    assert (table.name, table.format, table.is_folder, table.warnings) == ("t.csv", "csv", False, [])
    chunks = list(table.table_chunks(2))
    assert [file.name for file, _ in chunks] == ["t.csv", "t.csv"]
    first, second = (frame for _, frame in chunks)
    assert list(first.columns) == ["id", "label", "a_x", "b_x"] and list(first.index) == [0, 1]
    assert first["label"].tolist() == ["same", "different"] and first["b_x"].tolist() == [2, 4]
    assert first["b_x"].dtype == np.int64 and second["b_x"].dtype == np.float64
    assert list(second.index) == [2] and second["a_x"].tolist() == [5.0]


def test_a_table_given_as_bytes_is_named_as_asked():
    table = open_table(TABLE.encode(), name="upload.csv")
    assert (table.name, table.format, [file.name for file in table.files]) == (
        "upload.csv",
        "csv",
        ["upload.csv"],
    )
    frames = [frame for _, frame in table.table_chunks(10)]
    assert len(frames) == 1 and frames[0]["id"].tolist() == [7, 8, 9]
    assert open_table(io.BytesIO(TABLE.encode())).name == "the uploaded file"


def test_a_folder_table_gives_every_file_in_the_first_files_column_order(tmp_path):
    (tmp_path / "a.csv").write_text("label,a_x,b_x\nsame,1,2\n")
    (tmp_path / "b.csv").write_text("b_x,label,a_x\n4,different,3\n6,same,5\n")
    table = open_table(tmp_path)
    assert table.is_folder and table.name == tmp_path.name
    chunks = list(table.table_chunks(1))
    assert [file.name.split("/")[-1] for file, _ in chunks] == ["a.csv", "b.csv", "b.csv"]
    assert all(list(frame.columns) == ["label", "a_x", "b_x"] for _, frame in chunks)
    assert [frame.iloc[0].tolist() for _, frame in chunks] == [
        ["same", 1, 2],
        ["different", 3, 4],
        ["same", 5, 6],
    ]
    assert [list(frame.index) for _, frame in chunks] == [[0], [0], [1]]


def test_a_csv_table_with_a_quote_left_open_names_it(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('label,a_x,b_x\nsame,1,2\ndifferent,2,"3\n')
    with pytest.raises(DataError) as caught:
        list(open_table(str(path)).table_chunks(1))
    assert (
        str(caught.value) == 'q.csv: a quote (") opened near data row 2 is never closed; close or remove it'
    )


def test_a_parquet_table_comes_in_batches_with_values_not_categories(tmp_path):
    """Row groups of 2 read in batches of 2: rows 0-1 and 2; the dictionary-encoded label comes back as its
    values; the names are stripped."""
    path = tmp_path / "t.parquet"
    labels = pa.array(["same", "different", "same"]).dictionary_encode()
    pq.write_table(pa.table({"label": labels, " a_x ": [1.5, 3.0, 5.0]}), path, row_group_size=2)
    table = open_table(str(path))
    assert (table.name, table.format) == ("t.parquet", "parquet")
    assert table.files[0].group_rows == [2, 1]
    frames = [frame for _, frame in table.table_chunks(2)]
    assert [list(frame.index) for frame in frames] == [[0, 1], [2]]
    assert all(list(frame.columns) == ["label", "a_x"] for frame in frames)
    assert frames[0]["label"].tolist() == ["same", "different"] and frames[1]["label"].tolist() == ["same"]
    assert not isinstance(frames[0]["label"].dtype, pd.CategoricalDtype)
    assert frames[1]["a_x"].tolist() == [5.0]


def test_a_parquet_row_group_is_read_in_batches_of_the_chunk_size(tmp_path):
    """One row group of 5 rows in chunks of 2: rows 0-1, 2-3 and 4, numbered on across the batches."""
    path = tmp_path / "one.parquet"
    pq.write_table(pa.table({"label": ["0", "1", "0", "1", "0"], "a_x": [0.5, 1.5, 2.5, 3.5, 4.5]}), path)
    frames = [frame for _, frame in open_table(str(path)).table_chunks(2)]
    assert [list(frame.index) for frame in frames] == [[0, 1], [2, 3], [4]]
    assert [frame["a_x"].tolist() for frame in frames] == [[0.5, 1.5], [2.5, 3.5], [4.5]]


def test_a_parquet_table_with_a_nested_column_is_refused(tmp_path):
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({"label": ["same"], "tags": [[1, 2]]}), path)
    with pytest.raises(DataError) as caught:
        list(open_table(str(path)).table_chunks(10))
    assert (caught.value.source, caught.value.column) == ("n.parquet", "tags")
    assert str(caught.value) == (
        "n.parquet, column 'tags': holds values of type list<element: int64>, which a CSV cell cannot hold "
        "(scores are written as CSV); drop that column or flatten it into columns of plain values"
    )


def test_parquet_files_that_cannot_be_used_are_refused(tmp_path):
    empty, junk, no_rows = tmp_path / "e.parquet", tmp_path / "j.parquet", tmp_path / "z.parquet"
    empty.write_bytes(b"")
    junk.write_bytes(b"not Parquet")  # named .parquet: read as Parquet, whatever its first bytes
    pq.write_table(pa.table({"label": pa.array([], pa.string()), "a_x": pa.array([], pa.float64())}), no_rows)
    with pytest.raises(DataError) as caught:
        open_table(str(empty))
    assert str(caught.value) == "e.parquet: is empty; it needs columns and data rows"
    with pytest.raises(DataError) as caught:
        open_table(str(junk))
    assert str(caught.value).startswith("j.parquet: cannot be read as Parquet (")
    assert str(caught.value).endswith(
        "); pass a Parquet file written by pandas, pyarrow, Spark or DuckDB, or a CSV file"
    )
    with pytest.raises(DataError) as caught:
        open_table(str(no_rows))
    assert str(caught.value) == "z.parquet: has no data rows"


def test_a_file_is_parquet_by_its_suffix_or_its_first_bytes(tmp_path):
    """A Parquet file named .bin is read as Parquet (it starts with PAR1); a .PQ file too."""
    table = pa.table({"label": ["same"], "a_x": [1.0]})
    pq.write_table(table, tmp_path / "data.bin")
    pq.write_table(table, tmp_path / "data.PQ")
    assert open_files(tmp_path / "data.bin").format == "parquet"
    assert open_files(tmp_path / "data.PQ").format == "parquet"
    (tmp_path / "short.bin").write_bytes(b"PA")
    with pytest.raises(DataError) as caught:
        open_files(tmp_path / "short.bin")  # two bytes, not PAR1: read as CSV
    assert str(caught.value) == (
        "short.bin: has only one column ('PA'); it needs at least a label column and feature columns; no comma, "
        "semicolon or tab was found in the header"
    )


def test_check_unchanged_names_a_file_changed_or_gone(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(HEADER + "0,1,2\n")
    file = open_files(path).files[0]
    check_unchanged(file)  # as it was
    path.write_text(HEADER + "0,1,2\n1,3,4\n")
    message = "p.csv: has changed (or gone) since it was scanned; make a new PairStream to scan it again"
    with pytest.raises(DataError, match=re.escape(message)):
        check_unchanged(file)
    path.unlink()
    with pytest.raises(DataError, match=re.escape(message)):
        check_unchanged(file)
    check_unchanged(open_table(b"label,a_x\n0,1\n").files[0])  # bytes: nothing to compare


# --------------------------------------------------------------------------------------------------
# A CSV file's pairs in byte ranges (the pieces that `PairStream` shares out)
# --------------------------------------------------------------------------------------------------

COLUMNS = PairColumns("label", ["a_x"], ["b_x"])
RANGE_HEADER = "label,a_x,note,b_x\n"  # 19 bytes


def range_rows(n: int = 100) -> list[str]:
    """Rows of 17 bytes each with their line feed: row i has a_x = i + 0.5 and b_x = i."""
    return [f"{i % 2},{i:03d}.5,n{i:03d},{i:03d}" for i in range(n)]


def write_rows(path, rows: list[str], header: str = RANGE_HEADER, prefix: bytes = b"") -> None:
    path.write_bytes(prefix + (header + "\n".join(rows) + "\n").encode())


def all_blocks(file, pieces: list[Piece], chunk_rows: int) -> list:
    """The blocks of every piece, each piece starting at the data row after the last one's (as PairStream
    numbers them)."""
    blocks = []
    for piece in pieces:
        first_row = sum(len(block.rows) for block in blocks)
        blocks += list(file.blocks(replace(piece, first_row=first_row), COLUMNS, chunk_rows))
    return blocks


def test_a_plain_csv_file_is_cut_into_ranges_at_line_starts(tmp_path):
    """1,700 bytes of rows after a 19-byte header, 17 bytes a row, 10 rows a chunk: round(1700 / 170) = 10
    ranges. Each cut, at 19 + 170 k, falls on a line start, and the range begins after that line, at
    36 + 170 k; the file ends at byte 1,719."""
    path = tmp_path / "r.csv"
    write_rows(path, range_rows())
    file = open_files(path).files[0]
    starts = [19] + [36 + 170 * k for k in range(1, 10)]
    assert file.range_plan(3, 10) == [
        Piece(3, "range", start, stop) for start, stop in zip(starts, [*starts[1:], 1719], strict=True)
    ]
    assert len(file.range_plan(0, 2)) == 50  # round(1700 / 34), the header not counted


def test_a_small_file_is_one_range(tmp_path):
    """Three rows, 51 bytes, in chunks of 10 rows (170 bytes): round(0.3) = 0 ranges, so one."""
    path = tmp_path / "r.csv"
    write_rows(path, range_rows(3))
    assert open_files(path).files[0].range_plan(0, 10) == [Piece(0, "range", 19, 70)]


def test_the_row_length_is_judged_on_the_first_64_kib(tmp_path):
    """4,000 rows of 17 bytes, then 1,000 of 117: the 64 KiB after the first row hold 3,855 whole short rows
    and a byte, so a row is 65,553 / 3,856 = 17.0 bytes, and 185,000 bytes in chunks of 1,000 rows make
    round(10.88) = 11 ranges (rows of 37 bytes on average over the whole file would make 5)."""
    rows = [f"{i % 2},001.5,n001,001" for i in range(4000)] + [
        f"{i % 2},1.5,{'n' * 108},2" for i in range(1000)
    ]
    path = tmp_path / "r.csv"
    write_rows(path, rows)
    assert path.stat().st_size == 19 + 4000 * 17 + 1000 * 117
    assert len(open_files(path).files[0].range_plan(0, 1000)) == 11


def test_the_ranges_give_every_row_with_its_number_and_label(tmp_path):
    """Every range after the first is parsed after the header and the first row, dropped again; a block
    holds at most a chunk of rows; labels are read as pandas infers them (integers here), as `load_pair_csv`
    reads the ranges of a large file; a value's text is read back from the file. With a byte order mark,
    too."""
    for prefix in (b"", b"\xef\xbb\xbf"):
        path = tmp_path / "r.csv"
        write_rows(path, range_rows(), prefix=prefix)
        file = open_files(path).files[0]
        blocks = all_blocks(file, file.range_plan(0, 10), 10)
        assert all(1 <= len(block.rows) <= 10 and block.unit == 0 for block in blocks)
        rows = np.concatenate([block.rows for block in blocks])
        np.testing.assert_array_equal(rows, np.arange(100))
        assert rows.dtype == np.int64
        left = np.concatenate([block.left for block in blocks])
        np.testing.assert_array_equal(left[:, 0], np.arange(100) + 0.5)
        assert left.dtype == np.float32
        np.testing.assert_array_equal(np.concatenate([block.right for block in blocks])[:, 0], np.arange(100))
        assert [label for block in blocks for label in block.labels.tolist()] == [i % 2 for i in range(100)]
        assert blocks[-1].value_text(len(blocks[-1].rows) - 1, "a_x") == "099.5"


def test_a_range_with_a_quote_or_a_word_is_left_to_the_read_in_order(tmp_path):
    """Row 50 has a quoted note (a line break could be inside it), row 70 a word in a_x: the ranges holding
    them (the fifth, rows 41 to 50, and the eighth, rows 70 to 79: the quotes lengthen row 50) raise
    RangeTrouble; the others read."""
    rows = range_rows()
    rows[50] = rows[50].replace(",n050,", ',"n,050",')
    rows[70] = rows[70].replace("070.5", "oops")
    path = tmp_path / "q.csv"
    write_rows(path, rows)
    file = open_files(path).files[0]
    troubles = []
    for index, piece in enumerate(file.range_plan(0, 10)):
        try:
            list(file.blocks(piece, COLUMNS, 10))
        except RangeTrouble as trouble:
            troubles.append((index, str(trouble)))
    why = "a quote, bytes that are not UTF-8, an empty label or a value that is not a number"
    assert troubles == [(4, why), (7, why)]


def test_a_range_with_an_empty_feature_cell_still_reads_in_ranges(tmp_path):
    """An empty a_x in row 33 and a b_x that pandas reads as missing ("NA") in row 77 stay in their ranges as
    NaN, for the block checks to drop or refuse (the stream's `drop_missing`), instead of sending the whole
    file to the read in order: every piece is still a range and every row comes back once, in order."""
    rows = range_rows()
    rows[33] = rows[33].replace("033.5", "")
    rows[77] = rows[77].rsplit(",", 1)[0] + ",NA"
    path = tmp_path / "gaps.csv"
    write_rows(path, rows)
    file = open_files(path).files[0]
    pieces = file.range_plan(0, 10)
    assert {piece.kind for piece in pieces} == {"range"}
    blocks = all_blocks(file, pieces, 10)
    left = np.concatenate([block.left[:, 0] for block in blocks])
    right = np.concatenate([block.right[:, 0] for block in blocks])
    assert np.concatenate([block.rows for block in blocks]).tolist() == list(range(100))
    assert np.flatnonzero(np.isnan(left)).tolist() == [33]
    assert np.flatnonzero(np.isnan(right)).tolist() == [77]
    assert left[32] == np.float32(32.5) and right[76] == np.float32(76.0)


def test_files_with_unusual_first_lines_or_given_as_bytes_are_read_in_order(tmp_path):
    path = tmp_path / "q.csv"
    rows = range_rows(20)
    rows[0] = rows[0].replace(",n000,", ',"n000",')
    write_rows(path, rows)
    file = open_files(path).files[0]
    assert file.range_plan(0, 10) is None
    blocks = list(file.blocks(Piece(0, "file"), COLUMNS, 8))
    assert [block.unit for block in blocks] == [0, 1, 2]
    assert [block.rows.tolist() for block in blocks] == [
        list(range(8)),
        list(range(8, 16)),
        list(range(16, 20)),
    ]
    np.testing.assert_array_equal(blocks[2].left[:, 0], [16.5, 17.5, 18.5, 19.5])
    assert open_table(path.read_bytes()).files[0].range_plan(0, 10) is None


def test_a_csv_file_keeps_its_sniffed_layout(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("label;a_x;b_x\n0;1,5;2\n1;3,5;4\n")
    file = open_files(path).files[0]
    assert (file.delimiter, file.decimal, file.columns) == (";", ",", ["label", "a_x", "b_x"])
    assert file.positions == {"label": 0, "a_x": 1, "b_x": 2}
    assert file.warnings == ["read ',' as the decimal mark (numbers such as '1,5')"]
    blocks = all_blocks(file, file.range_plan(0, 10), 10)
    np.testing.assert_array_equal(blocks[0].left[:, 0], np.float32([1.5, 3.5]))


# --------------------------------------------------------------------------------------------------
# A Parquet file's pairs, a row group at a time
# --------------------------------------------------------------------------------------------------


def parquet(path, columns: dict, **options):
    pq.write_table(pa.table(columns), path, **options)
    return open_files(path).files[0]


def test_parquet_pieces_are_the_row_groups_that_have_rows(tmp_path):
    """Row groups of 2, 0 and 3 rows, in chunks of 2: the empty group has no piece; the last starts at data
    row 2 and has ceil(3 / 2) = 2 units."""
    path = tmp_path / "g.parquet"
    schema = pa.schema([("label", pa.string()), ("a_x", pa.float64()), ("b_x", pa.float64())])
    with pq.ParquetWriter(path, schema) as writer:
        for labels in (["0", "1"], [], ["0", "1", "0"]):
            n = len(labels)
            writer.write_table(pa.table({"label": labels, "a_x": [1.0] * n, "b_x": [2.0] * n}, schema=schema))
    file = open_files(path).files[0]
    assert file.group_rows == [2, 0, 3]
    assert file.pieces(4, 2) == [Piece(4, "group", 0, 0, 0, 2, 1), Piece(4, "group", 2, 0, 2, 3, 2)]


def test_parquet_blocks_cut_a_row_group_into_units_of_chunk_rows(tmp_path):
    """A row group of 45 rows in chunks of 20: units 0, 1, 2 of 20, 20 and 5 rows, numbered from the
    piece's first row."""
    file = parquet(
        tmp_path / "p.parquet",
        {"label": ["0", "1"] * 45, "a_x": np.arange(90.0), "b_x": -np.arange(90.0)},
        row_group_size=45,
    )
    piece = file.pieces(0, 20)[1]
    blocks = list(file.blocks(replace(piece, first_row=45), COLUMNS, 20))
    assert [block.unit for block in blocks] == [0, 1, 2]
    assert [(block.rows[0], block.rows[-1]) for block in blocks] == [(45, 64), (65, 84), (85, 89)]
    assert all(block.rows.dtype == np.int64 for block in blocks)
    np.testing.assert_array_equal(blocks[2].left[:, 0], [85, 86, 87, 88, 89])
    np.testing.assert_array_equal(blocks[2].right[:, 0], [-85, -86, -87, -88, -89])
    assert blocks[2].labels.tolist() == ["1", "0", "1", "0", "1"]


def test_parquet_feature_values_of_every_kind_become_float32(tmp_path):
    """Integers (2**53 + 1 rounds to 2**53), booleans, a column of nulls, decimals, dictionary-encoded text,
    text with pandas' missing words; empty cells are NaN."""
    columns = {
        "label": pa.array(["0", "1", "0"]).dictionary_encode(),
        "a_i": pa.array([2**53 + 1, -3, None], pa.int64()),
        "a_b": pa.array([True, False, None]),
        "a_n": pa.array([None, None, None], pa.null()),
        "b_i": pa.array([decimal.Decimal("1.25"), decimal.Decimal("-2"), None], pa.decimal128(5, 2)),
        "b_b": pa.array(["1.5", "NA", None]).dictionary_encode(),
        "b_n": pa.array(["", " 2", "-inf"]),
    }
    file = parquet(tmp_path / "k.parquet", columns)
    block = next(
        file.blocks(
            file.pieces(0, 10)[0], PairColumns("label", ["a_i", "a_b", "a_n"], ["b_i", "b_b", "b_n"]), 10
        )
    )
    np.testing.assert_array_equal(block.left, np.float32([[2**53, 1, np.nan], [-3, 0, np.nan], [np.nan] * 3]))
    np.testing.assert_array_equal(
        block.right, np.float32([[1.25, 1.5, np.nan], [-2, np.nan, 2], [np.nan, np.nan, -np.inf]])
    )
    assert block.labels.tolist() == ["0", "1", "0"]


def test_parquet_values_too_large_for_float32_become_infinite_quietly_and_read_as_written(tmp_path):
    file = parquet(tmp_path / "big.parquet", {"label": ["0"], "a_x": [1e39], "b_x": ["1e39"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        block = next(file.blocks(file.pieces(0, 10)[0], COLUMNS, 10))
    np.testing.assert_array_equal(block.left, [[np.inf]])
    np.testing.assert_array_equal(block.right, [[np.inf]])
    assert (block.value_text(0, "a_x"), block.value_text(0, "b_x")) == ("1e+39", "1e39")


@pytest.mark.parametrize(
    ("a_x", "b_x", "column", "row", "value"),
    [
        (["1", "2", "zzz"], ["1", "yyy", "2"], "b_x", 2, "yyy"),  # the earlier row, whichever column
        (["1", "aaa"], ["1", "zzz"], "b_x", 2, "zzz"),  # the same row: the column first in the file
    ],
)
def test_parquet_text_that_is_not_a_number_is_named_at_its_first_place(
    tmp_path, a_x, b_x, column, row, value
):
    """b_x is before a_x in the file."""
    file = parquet(tmp_path / "t.parquet", {"label": ["0"] * len(a_x), "b_x": b_x, "a_x": a_x})
    with pytest.raises(DataError) as caught:
        list(file.blocks(file.pieces(0, 10)[0], COLUMNS, 10))
    error = caught.value
    assert (error.source, error.column, error.row, error.value) == ("t.parquet", column, row, value)
    assert str(error) == (
        f"t.parquet, column '{column}', row {row} (line {row + 1}): value '{value}' is not a number; feature "
        "values must be numbers; fix or remove that value"
    )


def test_a_parquet_feature_of_another_type_is_refused(tmp_path):
    file = parquet(tmp_path / "d.parquet", {"label": ["0"], "a_x": [datetime.date(2026, 1, 1)], "b_x": [1.0]})
    with pytest.raises(DataError) as caught:
        list(file.blocks(file.pieces(0, 10)[0], COLUMNS, 10))
    assert (caught.value.source, caught.value.column) == ("d.parquet", "a_x")
    assert str(caught.value) == (
        "d.parquet, column 'a_x': holds values of type date32[day], not numbers; feature columns must be numbers"
    )


def test_a_damaged_parquet_file_is_named_when_its_pages_are_read(tmp_path):
    """The footer is intact, so the file opens; the first column's data page is not."""
    path = tmp_path / "c.parquet"
    pq.write_table(
        pa.table({"label": ["0", "1"] * 50, "a_x": np.arange(100.0), "b_x": np.arange(100.0)}),
        path,
        compression="snappy",
    )
    data = bytearray(path.read_bytes())
    data[60:100] = b"\xff" * 40
    path.write_bytes(bytes(data))
    file = open_files(path).files[0]
    with pytest.raises(DataError) as caught:
        list(file.blocks(file.pieces(0, 10)[0], COLUMNS, 10))
    assert caught.value.source == "c.parquet"
    assert str(caught.value).startswith("c.parquet: cannot be read as Parquet (")
    assert "pass a Parquet file" not in str(caught.value)


def test_pipes_are_refused_by_name_alone_or_in_a_folder(tmp_path):
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    for source, name in ((pipe, "pipe.csv"), (tmp_path, f"{tmp_path.name}/pipe.csv")):
        with pytest.raises(DataError) as caught:
            open_files(source)
        assert caught.value.source == name
        assert str(caught.value).startswith(f"{name}: is not a regular file (a pipe, a device or a socket")


def test_the_current_folder_is_named_as_given(tmp_path, monkeypatch):
    (tmp_path / "a.csv").write_text(HEADER + "0,1,2\n")
    monkeypatch.chdir(tmp_path)
    files = open_files(".")
    assert files.name == "." and [file.name for file in files.files] == ["./a.csv"]


def test_a_folder_mixing_csv_and_parquet_lists_three_of_each(tmp_path):
    for i in range(4):
        (tmp_path / f"c{i}.csv").write_text(HEADER + "0,1,2\n")
        pq.write_table(pa.table({"label": [0]}), tmp_path / f"p{i}.parquet")
    with pytest.raises(DataError) as caught:
        open_files(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path.name}: mixes CSV files (c0.csv, c1.csv, c2.csv, ... (4 in all)) and Parquet files (p0.parquet, "
        "p1.parquet, p2.parquet, ... (4 in all)); keep one kind of file in the folder"
    )


def test_the_kind_of_file_words_what_a_one_column_file_needs(tmp_path):
    """open_files passes its kind on to every CSV file it opens, alone or in a folder."""
    (tmp_path / "one.csv").write_text("kind\n1\n")
    needs = "it needs at least a class column and feature columns"
    for source in (tmp_path / "one.csv", tmp_path):
        with pytest.raises(DataError, match=needs):
            open_files(source, kind="samples")
    with pytest.raises(DataError, match=needs):
        CsvFile(b"kind\n1\n", "one.csv", kind="samples")


def test_columns_not_needed_are_not_read(tmp_path):
    """The note column, numbers for 200,000 rows then words, would make pandas warn of mixed types (in a
    chunk of 300,000 rows) if it were read."""
    rows = [f"{i % 2},{i},{i if i < 200_000 else 'w'},{i}" for i in range(300_000)]
    path = tmp_path / "m.csv"
    write_rows(path, rows)
    file = open_files(path).files[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        blocks = list(file.blocks(Piece(0, "file"), COLUMNS, 300_000))
    assert [len(block.rows) for block in blocks] == [300_000]
    np.testing.assert_array_equal(blocks[0].left[[0, -1], 0], [0, 299_999])


def test_a_parquet_file_that_cannot_be_read_is_named(tmp_path, monkeypatch):
    """Permission is simulated (the tests may run as root, who may read anything)."""
    path = tmp_path / "secret.parquet"
    pq.write_table(pa.table({"label": ["0"], "a_x": [1.0]}), path)
    monkeypatch.setattr(os, "access", lambda where, mode: Path(where) != path)
    with pytest.raises(DataError) as caught:
        ParquetFile(path, "folder/secret.parquet")
    assert caught.value.source == "folder/secret.parquet"
    assert str(caught.value) == f"folder/secret.parquet: cannot be read (permission denied): {path}"
