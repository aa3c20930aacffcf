import numpy as np
import pandas as pd
import pytest

from siamese_core.errors import DataError
from siamese_core.scoring import neutralise_formulas, score_frame, write_csv


def test_scores_match_the_model_and_columns_may_be_reordered(tiny_outcome, pair_csv):
    bundle = tiny_outcome.bundle
    frame = pd.read_csv(pair_csv).head(20)
    shuffled = frame[list(reversed(frame.columns))]
    scored = score_frame(bundle, shuffled, threshold=bundle.threshold, name="pairs.csv")
    left = frame[[f"a_f{i}" for i in range(6)]].to_numpy(np.float32)
    right = frame[[f"b_f{i}" for i in range(6)]].to_numpy(np.float32)
    np.testing.assert_allclose(scored["distance"], bundle.distances(left, right), rtol=1e-5)
    assert (scored["similar"] == (scored["distance"] <= bundle.threshold)).all()


def test_missing_values_fail_unless_dropped(tiny_outcome, pair_csv):
    frame = pd.read_csv(pair_csv).head(5)
    frame.loc[2, "b_f3"] = np.nan
    with pytest.raises(DataError, match=r"1 rows have missing feature values \(the first is row 3\)"):
        score_frame(tiny_outcome.bundle, frame, threshold=0.5, name="p.csv")
    scored = score_frame(tiny_outcome.bundle, frame, threshold=0.5, drop_missing=True, name="p.csv")
    assert scored["distance"].isna().tolist() == [False, False, True, False, False]
    assert scored["similar"].isna().tolist() == [False, False, True, False, False]


def test_text_in_a_feature_is_named(tiny_outcome, pair_csv):
    frame = pd.read_csv(pair_csv).head(5).astype({"a_f1": object})
    frame.loc[3, "a_f1"] = "n/a?"
    with pytest.raises(DataError) as error:
        score_frame(tiny_outcome.bundle, frame, threshold=0.5, name="p.csv")
    assert "p.csv, column 'a_f1', row 4 (line 5)" in str(error.value)
    assert "'n/a?' is not a number" in str(error.value)


def test_formula_cells_are_neutralised_but_numbers_are_not():
    frame = pd.DataFrame({"text": ["=1+1", "ok", "@SUM(A1)", "-x"], "number": [-1.5, 2.0, 3.0, -4.0]})
    safe = neutralise_formulas(frame)
    assert safe["text"].tolist() == ["'=1+1", "ok", "'@SUM(A1)", "'-x"]
    assert safe["number"].tolist() == [-1.5, 2.0, 3.0, -4.0]


def test_write_csv_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "scores.csv"
    target.write_text("old\n")

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        write_csv(pd.DataFrame({"a": [1]}), target)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]
