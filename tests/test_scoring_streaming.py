"""`score_file` reads, scores and writes a chunk at a time: the same output as scoring the table in memory,
folders of CSV or Parquet files into one CSV, errors that name the file and the row, and the old output
kept when anything fails."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siamese_core import scoring
from siamese_core.cli import main
from siamese_core.data import load_pair_csv, read_csv
from siamese_core.errors import DataError
from siamese_core.pipeline import score_pairs
from siamese_core.scoring import neutralise_formulas, score_file, score_frame, write_csv


@pytest.fixture
def small_chunks(monkeypatch):
    """Score 7 rows at a time: 300 rows make 43 chunks, the last of 6."""
    monkeypatch.setattr(scoring, "SCORE_CHUNK_ROWS", 7)


@pytest.fixture
def noted_pairs(pair_csv, tmp_path):
    """The tiny model's pair file with a text column first, some of it formulas a spreadsheet would run."""
    frame = pd.read_csv(pair_csv)
    notes = np.array(["plain", "=1+1", "-x", "@SUM(A1)", "+1"], dtype=object)
    frame.insert(0, "note", notes[np.arange(len(frame)) % len(notes)])
    path = tmp_path / "noted.csv"
    frame.to_csv(path, index=False)
    return path


def in_memory_output(bundle, source, path, threshold: float) -> bytes:
    """What score_file wrote before it streamed: the whole table scored at once."""
    scored = score_frame(bundle, read_csv(source), threshold=threshold, name="x")
    write_csv(neutralise_formulas(scored), path)
    return path.read_bytes()


def test_streamed_scores_equal_the_in_memory_result(tiny_outcome, noted_pairs, tmp_path, small_chunks):
    bundle = tiny_outcome.bundle
    out = tmp_path / "scores.csv"
    assert score_file(bundle, noted_pairs, out, threshold=bundle.threshold).n_scored == 300
    streamed = pd.read_csv(out, keep_default_na=False)
    expected = pd.read_csv(
        pd.io.common.BytesIO(in_memory_output(bundle, noted_pairs, tmp_path / "ref.csv", bundle.threshold)),
        keep_default_na=False,
    )
    assert (
        list(streamed.columns)
        == list(expected.columns)
        == [*pd.read_csv(noted_pairs).columns, "distance", "similar", "p_similar"]
    )
    numbers = ["distance", "p_similar"]
    pd.testing.assert_frame_equal(streamed.drop(columns=numbers), expected.drop(columns=numbers))
    # Equal to the bit on this machine; a tolerance, as oneDNN may choose kernels by batch size elsewhere.
    np.testing.assert_allclose(streamed[numbers], expected[numbers], rtol=1e-6)
    assert streamed["note"].tolist()[:5] == ["plain", "'=1+1", "'-x", "'@SUM(A1)", "'+1"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # Both outputs above come from the same CSV writer; the numbers are also checked without it: the
    # distances the model gives the pairs loaded as a training set, and "similar" as D <= threshold.
    reference = score_pairs(bundle, load_pair_csv(noted_pairs))
    np.testing.assert_allclose(streamed["distance"], reference, rtol=1e-6)
    assert streamed["similar"].tolist() == (reference <= bundle.threshold).tolist()
    assert 0 < streamed["similar"].sum() < 300


@pytest.fixture
def pair_folder(pair_csv, tmp_path):
    """The 300 pairs as two CSV files (the second with its columns in another order), and as two Parquet
    files."""
    frame = pd.read_csv(pair_csv)
    csv_folder, parquet_folder = tmp_path / "csv", tmp_path / "parquet"
    csv_folder.mkdir()
    parquet_folder.mkdir()
    first, second = frame.iloc[:120], frame.iloc[120:]
    first.to_csv(csv_folder / "a.csv", index=False)
    second[list(reversed(frame.columns))].to_csv(csv_folder / "b.csv", index=False)
    first.to_parquet(parquet_folder / "a.parquet", row_group_size=50, index=False)
    second.to_parquet(parquet_folder / "b.parquet", row_group_size=50, index=False)
    return csv_folder, parquet_folder


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_folder_is_scored_into_one_csv_naming_each_rows_file(
    tiny_outcome, pair_csv, pair_folder, tmp_path, small_chunks, kind
):
    bundle = tiny_outcome.bundle
    folder = pair_folder[0] if kind == "csv" else pair_folder[1]
    out = tmp_path / "scores.csv"
    assert score_file(bundle, folder, out, threshold=0.5).n_scored == 300
    scored = pd.read_csv(out)
    original = pd.read_csv(pair_csv)
    assert list(scored.columns) == ["source_file", *original.columns, "distance", "similar", "p_similar"]
    assert scored["source_file"].tolist() == [f"a.{kind}"] * 120 + [f"b.{kind}"] * 180
    pd.testing.assert_frame_equal(scored[list(original.columns)], original, check_dtype=False)
    whole = score_frame(bundle, original, threshold=0.5, name="pairs.csv")
    np.testing.assert_allclose(scored["distance"], whole["distance"], rtol=1e-6)
    assert (scored["similar"] == (scored["distance"] <= 0.5)).all()


def test_a_parquet_files_formulas_are_neutralised_in_its_names_text_categories_and_bytes(
    tiny_outcome, pair_csv, tmp_path, small_chunks
):
    """Parquet keeps types a CSV has not: dictionary-encoded text (categories in pandas) and binary."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(pd.read_csv(pair_csv).head(4), preserve_index=False)
    table = table.append_column('=HYPERLINK("http://evil/")', pa.array(["a", "=1+1", None, "ok"]))
    table = table.append_column("blob", pa.array([b"=1+1", b"-2", b"ok", b"@x"], pa.binary()))
    table = table.append_column("kind", pa.array(["=A1", "b", "=A1", "+c"]).dictionary_encode())
    source = tmp_path / "notes.parquet"
    pq.write_table(table, source)
    out = tmp_path / "scores.csv"
    assert score_file(tiny_outcome.bundle, source, out, threshold=0.5).n_scored == 4
    header, *rows = out.read_text().splitlines()
    assert header.split(",")[-6:] == [
        '"\'=HYPERLINK(""http://evil/"")"',
        "blob",
        "kind",
        "distance",
        "similar",
        "p_similar",
    ]
    assert [row.split(",")[-6:-3] for row in rows] == [
        ["a", "'=1+1", "'=A1"],
        ["'=1+1", "'-2", "b"],
        ["", "ok", "'=A1"],
        ["ok", "'@x", "'+c"],
    ]


def test_an_error_in_a_late_chunk_names_the_file_and_row_and_keeps_the_old_output(
    tiny_outcome, pair_folder, tmp_path, small_chunks
):
    folder = pair_folder[0]
    frame = pd.read_csv(folder / "b.csv").astype({"a_f1": object})
    frame.loc[39, "a_f1"] = "n/a?"
    frame.to_csv(folder / "b.csv", index=False)
    out = tmp_path / "scores.csv"
    out.write_text("old\n")
    with pytest.raises(DataError) as caught:
        score_file(tiny_outcome.bundle, folder, out, threshold=0.5)
    assert str(caught.value).startswith(
        "csv/b.csv, column 'a_f1', row 40 (line 41): value 'n/a?' is not a number; feature values must be numbers"
    )
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["scores.csv"]


def test_a_late_decimal_point_in_a_file_of_decimal_commas_is_named_as_training_names_it(
    tiny_outcome, pair_csv, tmp_path
):
    """In a ';' file whose first rows write 0,5, pandas reads '2.5' as no number, and with it keeps the
    whole column as text: the value named is the '2.5' (row 250), not row 1's '0,5'."""
    lines = pd.read_csv(pair_csv).to_csv(sep=";", decimal=",", index=False).splitlines()
    cells = lines[250].split(";")
    cells[2] = "2.5"  # label;a_f0;a_f1;...
    lines[250] = ";".join(cells)
    path = tmp_path / "comma.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as caught:
        score_file(tiny_outcome.bundle, path, tmp_path / "scores.csv", threshold=0.5)
    assert str(caught.value) == (
        "comma.csv, column 'a_f1', row 250 (line 251): value '2.5' is not a number (write 2,5: this file's "
        "decimal mark is ',', as in its first rows); feature values must be numbers; fix or remove that value"
    )
    assert (caught.value.column, caught.value.row, caught.value.value) == ("a_f1", 250, "2.5")


def test_missing_values_are_counted_over_every_chunk(tiny_outcome, pair_csv, tmp_path, small_chunks):
    frame = pd.read_csv(pair_csv)
    frame.loc[[8, 100, 250], "b_f3"] = np.nan
    source = tmp_path / "gaps.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "scores.csv"
    with pytest.raises(DataError) as caught:
        score_file(tiny_outcome.bundle, source, out, threshold=0.5)
    assert str(caught.value) == (
        "gaps.csv: 3 rows have missing feature values (the first is row 9); fill them in, or leave those rows "
        "unscored (pass drop_missing=True)"
    )
    assert not out.exists()
    assert score_file(tiny_outcome.bundle, source, out, threshold=0.5, drop_missing=True).n_scored == 297
    scored = pd.read_csv(out)
    assert scored.index[scored["distance"].isna()].tolist() == [8, 100, 250]
    assert scored.index[scored["similar"].isna()].tolist() == [8, 100, 250]


def test_the_cli_scores_a_folder(model_file, pair_folder, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    assert main(["score", model_file, str(pair_folder[1]), "-o", str(out), "--threshold", "0.5"]) == 0
    assert "scored 300 pairs" in capsys.readouterr().out
    assert len(pd.read_csv(out)) == 300
