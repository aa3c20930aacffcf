"""The Find duplicates page through Streamlit's AppTest (no browser): the candidates shown are
`siamese_core.duplicates.find_duplicates`' on the same table, a mark is kept and downloaded, bad tables get
one message.

The model is the shared tiny one (tests/conftest.py, features f0..f5), made the session's on Model files &
scoring. The table is 40 clustered samples with ids s00..s39 and two planted exact copies: row 41 (id
copy3) repeats row 4 (s03), and row 42 (id =copy17, which a spreadsheet would run as a formula) row 18
(s17). Rows are numbered from 1, the first data row.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import FEATURES, clustered_samples
from tests.test_dashboard import new_app, texts

PAGE = "views/duplicates.py"
NAME = "samples.csv"
COPIES = {(4, 41): ("s03", "copy3"), (18, 42): ("s17", "=copy17")}


def samples_frame() -> pd.DataFrame:
    features, _ = clustered_samples(n_per_class=10)
    frame = pd.DataFrame(features, columns=FEATURES)
    frame.insert(0, "id", [f"s{row:02d}" for row in range(len(frame))])
    copies = frame.iloc[[3, 17]].assign(id=["copy3", "=copy17"])
    return pd.concat([frame, copies], ignore_index=True)


def samples_csv() -> bytes:
    return samples_frame().to_csv(index=False).encode()


def _with_model(model_file) -> object:
    """A new visitor whose model is the tiny one, on the Find duplicates page."""
    at = new_app()
    at.switch_page("views/model.py").run()
    at.file_uploader(key="model_file").set_value(
        ("model.keras", Path(model_file).read_bytes(), "application/zip")
    ).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _upload(at, content: bytes, name: str = NAME, key: str = "duplicates_file", id_column: str | None = "id"):
    at.file_uploader(key=key).set_value((name, content, "text/csv")).run()
    assert not at.exception
    if id_column is not None and not at.error:
        at.selectbox(key="duplicates_id_column").set_value(id_column).run()
        assert not at.exception
    return at


def _expected(model_file, content: bytes | None = None, **options):
    from siamese_core.bundle import load_model
    from siamese_core.duplicates import find_duplicates

    content = samples_csv() if content is None else content
    return find_duplicates(load_model(model_file), content, id_column="id", name=NAME, **options)


def _shown(at) -> pd.DataFrame:
    """The candidates table as the page gives it to the editor (its ticks are the session's marks)."""
    [editor] = at.data_editor
    return editor.value


def _editor_key(at) -> str:
    [editor] = at.data_editor
    assert editor.key.startswith("duplicates_editor_")
    return editor.key


def test_without_a_model_the_page_says_where_to_get_one():
    at = new_app()
    at.switch_page(PAGE).run()
    assert at.title[0].value == "Find duplicates"
    assert texts(at.info) == [
        "No model yet. Train one on **Data & training**, or upload a model file on **Model files & scoring**."
    ]
    assert not at.file_uploader and not at.data_editor


def test_the_candidates_shown_are_the_cores_and_the_planted_copies_come_first(model_file):
    """At the model's threshold, every pair the core finds, in its order, with its ids, distance and
    p_similar; the two exact copies first at distance ~0; their features side by side, equal."""
    at = _with_model(model_file)
    assert texts(at.info) == ["Upload a samples table to search for duplicates."]
    _upload(at, samples_csv())
    assert not at.error
    expected = _expected(model_file)
    assert len(expected.candidates) > 2
    shown = _shown(at)
    assert list(shown.columns) == ["row_a", "id_a", "row_b", "id_b", "distance", "p_similar", "duplicate"]
    pd.testing.assert_frame_equal(
        shown.drop(columns="duplicate").reset_index(drop=True),
        expected.candidates.reset_index(drop=True),
        check_dtype=False,
    )
    assert not shown["duplicate"].any()
    first_two = shown.head(2)
    assert {(a, b): (x, y) for a, b, x, y in first_two[["row_a", "row_b", "id_a", "id_b"]].values} == COPIES
    assert (first_two["distance"] < 1e-3).all() and (shown["distance"].iloc[2:] > 1e-3).all()
    assert f"{expected.describe()}." in texts(at.caption)
    assert "42 rows of samples.csv." in texts(at.caption)

    # The first candidate side by side: both rows' features, equal, differences 0.
    frame = samples_frame()
    [features] = [table.value for table in at.dataframe if "feature" in table.value.columns]
    row_a, row_b = int(shown["row_a"].iloc[0]), int(shown["row_b"].iloc[0])
    assert features["feature"].tolist() == FEATURES
    np.testing.assert_allclose(features["value A"], frame.loc[row_a - 1, FEATURES].astype(np.float32))
    np.testing.assert_allclose(features["value B"], frame.loc[row_b - 1, FEATURES].astype(np.float32))
    assert (features["difference A − B"] == 0).all()

    # The third: two different samples, their differences as the file's values give them.
    [pick] = [box for box in at.selectbox if box.key.startswith("duplicates_pick_")]
    pick.set_value(2).run()
    [features] = [table.value for table in at.dataframe if "feature" in table.value.columns]
    a = frame.loc[int(shown["row_a"].iloc[2]) - 1, FEATURES].to_numpy(np.float32).astype(np.float64)
    b = frame.loc[int(shown["row_b"].iloc[2]) - 1, FEATURES].to_numpy(np.float32).astype(np.float64)
    np.testing.assert_allclose(features["difference A − B"], a - b)
    assert np.abs(a - b).max() > 0

    # The N closest instead: the core's three closest.
    at.radio(key="duplicates_mode").set_value("top").run()
    at.number_input(key="duplicates_top").set_value(3).run()
    top = _expected(model_file, top=3).candidates
    pd.testing.assert_frame_equal(
        _shown(at).drop(columns="duplicate").reset_index(drop=True), top, check_dtype=False
    )


def test_a_mark_is_kept_in_the_session_and_is_in_the_download(model_file, monkeypatch):
    """Tick the second candidate (the copy with a formula-like id): the caption counts it, the download has
    it marked and the id quoted; after a visit to another page and the same file uploaded again, it is
    still ticked."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    downloads = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def recorded(self, path_or_data, mimetype, kind, filename=None):
        downloads[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recorded)
    at = _with_model(model_file)
    _upload(at, samples_csv())
    n = len(_shown(at))
    at.session_state[_editor_key(at)] = {
        "edited_rows": {1: {"duplicate": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert f"1 of {n:,} pairs marked as duplicates; the download has a `duplicate` column." in texts(
        at.caption
    )
    downloaded = pd.read_csv(io.BytesIO(downloads["duplicate_candidates.csv"]))
    assert len(downloaded) == n
    assert downloaded["duplicate"].tolist() == [False, True] + [False] * (n - 2)
    assert downloaded.loc[1, ["row_a", "id_a", "row_b", "id_b"]].tolist() == [18, "s17", 42, "'=copy17"]
    np.testing.assert_allclose(downloaded["distance"], _expected(model_file).candidates["distance"])

    at.switch_page("views/evaluate.py").run()
    at.switch_page(PAGE).run()
    _upload(at, samples_csv())
    assert _shown(at)["duplicate"].tolist() == [False, True] + [False] * (n - 2)
    assert f"1 of {n:,} pairs marked as duplicates; the download has a `duplicate` column." in texts(
        at.caption
    )


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            _csv(samples_frame().drop(columns="f2")),
            "samples.csv: has no column for 1 of the model's 6 features: missing f2; a samples table has a "
            "column per feature, named as in training",
        ),
        (
            _csv(
                samples_frame().astype({"f3": object}).assign(f3=lambda f: f["f3"].where(f.index != 4, "abc"))
            ),
            "samples.csv, column 'f3', row 5 (line 6): value 'abc' is not a number; feature values must be "
            "numbers; fix or remove that value",
        ),
        (b"", "samples.csv: is empty; it needs a header row and data rows"),
    ],
    ids=["missing feature", "text in a feature", "empty file"],
)
def test_a_bad_table_gets_one_message_in_the_dashboards_words(model_file, content, message):
    at = _with_model(model_file)
    _upload(at, content, id_column=None)
    if not at.error:  # the table was read: the search finds what is wrong
        at.selectbox(key="duplicates_id_column").set_value("id").run()
    assert not at.exception
    assert texts(at.error) == [message]
    assert not at.data_editor


def test_the_loaded_pairs_distinct_samples_are_searched(model_file):
    """Pairs loaded on Data & training: each distinct sample of both sides once, named by where it first
    appears; the top candidate's distance is the model's distance between those two samples."""
    from siamese_core.bundle import load_model
    from siamese_core.data import load_pair_csv
    from tests.conftest import noisy_pair_csv_text

    csv = noisy_pair_csv_text().encode()
    at = new_app()
    at.radio(key="source").set_value("pairs").run()
    at.file_uploader(key="pair_file").set_value(("noisy.csv", csv, "text/csv")).run()
    at.switch_page("views/model.py").run()
    at.file_uploader(key="model_file").set_value(
        ("model.keras", Path(model_file).read_bytes(), "application/zip")
    ).run()
    at.switch_page(PAGE).run()
    at.radio(key="duplicates_source").set_value("training").run()
    assert not at.exception and not at.error

    pairs = load_pair_csv(csv, name="noisy.csv")
    both = np.concatenate([pairs.left, pairs.right])
    n_distinct = len(np.unique(both, axis=0))
    assert f"{n_distinct:,} distinct samples of both sides of the pairs of noisy.csv." in texts(at.caption)
    shown = _shown(at)
    assert len(shown) > 0 and shown["distance"].is_monotonic_increasing

    def sample(name: str) -> np.ndarray:  # "pair 12 b": the right side of the pair on data row 12
        _, row, side = name.split()
        return (pairs.left if side == "a" else pairs.right)[list(pairs.rows).index(int(row))]

    first = shown.iloc[0]
    distance = load_model(model_file).distances(sample(first["id_a"])[None], sample(first["id_b"])[None])
    np.testing.assert_allclose(first["distance"], distance[0], rtol=1e-5)
