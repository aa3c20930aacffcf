"""Tests of siamese_core.sources: finding a folder's files and checking their headers.

(Reading the files in chunks is tested through `PairStream` in tests/test_streaming.py.)
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from siamese_core.errors import DataError
from siamese_core.sources import open_files, open_table

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
