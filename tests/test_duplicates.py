"""Duplicate candidates (`siamese_core.duplicates`) and table embeddings (`siamese_core.embedding`).

The reference for every search is brute force through the model itself: `bundle.distances` of every pair
of rows (TensorFlow's distance layer, no FAISS), compared with what the search reports.
"""

import numpy as np
import pandas as pd
import pytest

from siamese_core.duplicates import find_duplicates, write_duplicates
from siamese_core.embedding import table_embeddings, write_embeddings
from siamese_core.errors import ConfigError, DataError
from tests.conftest import FEATURES, clustered_samples

# Rows planted as near-copies of others: (copy, original). Row 7 has two copies, so three of its pairs
# are duplicates (7-160, 7-161, 160-161).
PLANTED = [(160, 7), (161, 7), (162, 50), (163, 120)]


def samples_table(seed: int = 0) -> pd.DataFrame:
    """160 clustered samples plus the planted near-copies (noise of 1e-4), with ids s0, s1, ..."""
    features, _ = clustered_samples(seed=seed)
    rng = np.random.default_rng(seed)
    copies = [features[original] + rng.normal(0, 1e-4, len(FEATURES)) for _, original in PLANTED]
    features = np.vstack([features, np.array(copies, dtype=np.float32)])
    frame = pd.DataFrame(features, columns=FEATURES)
    frame.insert(0, "id", [f"s{i}" for i in range(len(frame))])
    return frame


def brute_force(bundle, first: np.ndarray, second: np.ndarray | None = None):
    """Every pair's distance by the model: (row_a, row_b) 0-based and distances; within one table
    (`second` None) each unordered pair once, first row before the second."""
    if second is None:
        rows_a, rows_b = np.triu_indices(len(first), 1)
        second = first
    else:
        rows_a, rows_b = (grid.ravel() for grid in np.meshgrid(np.arange(len(first)), np.arange(len(second))))
    return rows_a, rows_b, bundle.distances(first[rows_a], second[rows_b])


def gap_threshold(distances: np.ndarray, n_close: int) -> float:
    """A threshold between the `n_close` smallest distances and the rest, far from both (no tie decides)."""
    ordered = np.sort(distances)
    low, high = ordered[n_close - 1], ordered[n_close]
    assert high > 10 * low, "the planted pairs are not apart from the rest"
    return float(np.sqrt(low * high))


def pairs_of(candidates: pd.DataFrame) -> list[tuple[int, int]]:
    return list(zip(candidates["row_a"], candidates["row_b"], strict=True))


@pytest.fixture(scope="module")
def bundle(tiny_outcome):
    return tiny_outcome.bundle


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return samples_table()


@pytest.fixture(scope="module")
def reference(bundle, table):
    """Brute force over the table, and a threshold that keeps exactly the planted pairs."""
    features = table[FEATURES].to_numpy(np.float32)
    rows_a, rows_b, distances = brute_force(bundle, features)
    return rows_a, rows_b, distances, gap_threshold(distances, 5)  # 7-160, 7-161, 160-161, 50-162, 120-163


def test_every_planted_duplicate_is_found_once_with_its_ids_closest_first(bundle, table, reference):
    rows_a, rows_b, distances, threshold = reference
    found = find_duplicates(bundle, table, threshold=threshold, id_column="id")
    candidates = found.candidates
    expected = {(7, 160), (7, 161), (160, 161), (50, 162), (120, 163)}
    assert {(a - 1, b - 1) for a, b in pairs_of(candidates)} == expected
    assert len(candidates) == len(expected)  # no pair twice, no row with itself
    assert (candidates["row_a"] < candidates["row_b"]).all()
    assert candidates["id_a"].tolist() == [f"s{row - 1}" for row in candidates["row_a"]]
    assert candidates["id_b"].tolist() == [f"s{row - 1}" for row in candidates["row_b"]]
    assert candidates["distance"].is_monotonic_increasing
    by_pair = dict(zip(zip(rows_a + 1, rows_b + 1, strict=True), distances, strict=True))
    model_distances = [by_pair[pair] for pair in pairs_of(candidates)]
    np.testing.assert_allclose(candidates["distance"], model_distances, rtol=1e-4, atol=1e-6)
    assert found.search.method == "exact" and found.search.recall == 1.0
    assert found.threshold == threshold and found.top is None
    assert list(candidates.columns[:4]) == ["row_a", "id_a", "row_b", "id_b"]
    assert ("p_similar" in candidates) == (bundle.calibration is not None)


def test_the_models_threshold_is_the_default(bundle, table, reference):
    rows_a, rows_b, distances, _ = reference
    found = find_duplicates(bundle, table)
    assert found.threshold == bundle.threshold
    expected = {
        (a + 1, b + 1) for a, b, d in zip(rows_a, rows_b, distances, strict=True) if d <= bundle.threshold
    }
    near_threshold = np.abs(distances - bundle.threshold) < 1e-5
    assert not near_threshold.any(), "a pair at the threshold would depend on rounding"
    assert set(pairs_of(found.candidates)) == expected
    assert "id_a" not in found.candidates  # rows alone without an id column


def test_streamed_and_in_memory_paths_give_the_same_candidates(bundle, table, reference, tmp_path):
    threshold = reference[3] * 50  # natural near neighbours too, not only the planted pairs
    path = tmp_path / "samples.csv"
    table.to_csv(path, index=False)
    in_memory = find_duplicates(bundle, table, threshold=threshold, id_column="id").candidates
    streamed = find_duplicates(bundle, path, threshold=threshold, id_column="id", chunk_rows=7).candidates
    assert len(in_memory) > 5
    assert pairs_of(streamed) == pairs_of(in_memory)
    assert streamed["id_a"].tolist() == in_memory["id_a"].tolist()
    np.testing.assert_allclose(streamed["distance"], in_memory["distance"], rtol=1e-5, atol=1e-7)
    folder = tmp_path / "parts"  # a folder of Parquet files, read in name order
    folder.mkdir()
    table.iloc[:100].to_parquet(folder / "a.parquet")
    table.iloc[100:].to_parquet(folder / "b.parquet")
    from_parquet = find_duplicates(bundle, folder, threshold=threshold, id_column="id", chunk_rows=7)
    assert pairs_of(from_parquet.candidates) == pairs_of(in_memory)


def test_rows_with_more_than_k_rows_within_the_threshold_lose_none(bundle):
    """Twelve near-copies of one sample: 66 pairs within the threshold, each row has 11 rows within it;
    with k = 2 all of them must still come out, each once."""
    features, _ = clustered_samples()
    rng = np.random.default_rng(1)
    crowd = features[0] + rng.normal(0, 1e-4, (12, len(FEATURES)))
    table = pd.DataFrame(np.vstack([crowd, features[40:]]), columns=FEATURES)
    _, _, distances = brute_force(bundle, table.to_numpy(np.float32))
    threshold = gap_threshold(distances, 66)
    found = find_duplicates(bundle, table, threshold=threshold, k=2)
    expected = {(a, b) for a in range(1, 13) for b in range(a + 1, 13)}
    assert set(pairs_of(found.candidates)) == expected
    assert len(found.candidates) == 66
    assert found.search.n_searched_by_radius >= 12


def test_top_n_are_the_n_closest_pairs(bundle, table, reference):
    rows_a, rows_b, distances, _ = reference
    found = find_duplicates(bundle, table, top=9, k=1)
    closest = np.argsort(distances, kind="stable")[:9]
    assert set(pairs_of(found.candidates)) == set(zip(rows_a[closest] + 1, rows_b[closest] + 1, strict=True))
    assert found.candidates["distance"].is_monotonic_increasing
    assert found.top == 9 and found.threshold is None
    assert found.search.radius == pytest.approx(found.candidates["distance"].iloc[-1])


def test_top_n_larger_than_every_pair_gives_every_pair(bundle):
    table = pd.DataFrame(clustered_samples()[0][:6], columns=FEATURES)
    found = find_duplicates(bundle, table, top=100, k=1)
    assert len(found.candidates) == 15  # 6 rows: 15 pairs


def test_against_gives_pairs_across_the_two_tables_only(bundle, table, reference):
    first, second = table.iloc[:100], table.iloc[100:]  # the copies of rows 7 and 50 are in `second`
    a, b, distances = brute_force(
        bundle, first[FEATURES].to_numpy(np.float32), second[FEATURES].to_numpy(np.float32)
    )
    threshold = reference[3]
    found = find_duplicates(bundle, first, against=second, threshold=threshold, id_column="id")
    candidates = found.candidates
    expected = {(int(x) + 1, int(y) + 1) for x, y, d in zip(a, b, distances, strict=True) if d <= threshold}
    assert set(pairs_of(candidates)) == expected
    assert {(row_a - 1, row_b + 99) for row_a, row_b in expected} == {(7, 160), (7, 161), (50, 162)}
    assert candidates["id_b"].tolist() == [f"s{row + 99}" for row in candidates["row_b"]]
    assert found.search.n_other == 64


def test_the_approximate_index_finds_the_exact_candidates_and_measures_its_recall(bundle, table, reference):
    threshold = reference[3] * 50
    exact = find_duplicates(bundle, table, threshold=threshold)
    approximate = find_duplicates(bundle, table, threshold=threshold, method="ivf")
    search = approximate.search
    assert search.method == "ivf" and search.n_lists >= 2 and 1 <= search.n_probe <= search.n_lists
    assert search.recall_rows > 0 and search.recall >= 0.98
    assert pairs_of(approximate.candidates) == pairs_of(exact.candidates)
    assert "IVF-Flat" in approximate.describe()


@pytest.mark.parametrize("method", ["exact", "ivf"])
def test_nearest_rows_are_the_k_nearest_by_brute_force(bundle, table, reference, method):
    rows_a, rows_b, distances, threshold = reference
    asked = np.array([161, 8, 100])  # 1-based; the copy of row 8 is row 161
    found = find_duplicates(bundle, table, threshold=threshold, k=3, method=method, nearest_of=asked)
    nearest = found.nearest
    assert nearest.rows.tolist() == asked.tolist()
    for row, neighbours, near in zip(asked, nearest.neighbours, nearest.distances, strict=True):
        mine = (rows_a == row - 1) | (rows_b == row - 1)
        others = np.where(rows_a[mine] == row - 1, rows_b[mine], rows_a[mine]) + 1
        closest = np.argsort(distances[mine], kind="stable")[:3]
        assert neighbours.tolist() == others[closest].tolist()
        np.testing.assert_allclose(near, distances[mine][closest], rtol=1e-4, atol=1e-6)
    assert set(nearest.neighbours[:2, :2].ravel()) == {
        8,
        161,
        162,
    }  # row 8's two copies, each other's nearest


def test_write_duplicates_writes_the_candidates_and_neutralises_formula_ids(
    bundle, table, reference, tmp_path
):
    marked = table.assign(id=["=cmd()" if i == 7 else f"s{i}" for i in range(len(table))])
    source = tmp_path / "samples.csv"
    marked.to_csv(source, index=False)
    out = tmp_path / "candidates.csv"
    written = write_duplicates(bundle, source, out, threshold=reference[3], id_column="id")
    read = pd.read_csv(out)
    assert len(read) == len(written.candidates) == 5
    assert "'=cmd()" in set(read["id_a"])
    with pytest.raises(ConfigError, match="would overwrite"):
        write_duplicates(bundle, source, source)


def test_embed_writes_rows_ids_and_the_models_embeddings(bundle, table, tmp_path):
    source = tmp_path / "samples.csv"
    table.to_csv(source, index=False)
    out = tmp_path / "embeddings.parquet"
    written = write_embeddings(bundle, source, out, id_column="id", chunk_rows=50)
    read = pd.read_parquet(out)
    width = bundle.embed(table[FEATURES].to_numpy(np.float32)[:1]).shape[1]
    assert list(read.columns) == ["row", "id", *[f"embedding_{i}" for i in range(width)]]
    assert written.n_rows == len(read) == len(table)
    assert read["row"].tolist() == list(range(1, len(table) + 1))
    assert read["id"].tolist() == table["id"].tolist()
    # The CSV holds the float32 features as text; read back, they are the same float32 values.
    np.testing.assert_allclose(
        read.filter(like="embedding_").to_numpy(),
        bundle.embed(table[FEATURES].to_numpy(np.float32)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_embed_finds_features_by_name_in_any_order_and_case(bundle, table):
    shuffled = table[["id", *reversed(FEATURES)]].rename(columns=str.upper)
    blocks = list(table_embeddings(bundle, shuffled, chunk_rows=1000))
    np.testing.assert_allclose(
        blocks[0].embeddings, bundle.embed(table[FEATURES].to_numpy(np.float32)), atol=1e-6
    )
    assert blocks[0].ids is None and blocks[0].rows[0] == 1


def test_embed_refuses_an_output_that_is_not_parquet_or_is_the_input(bundle, tmp_path):
    source = tmp_path / "samples.parquet"
    samples_table().to_parquet(source)
    with pytest.raises(ConfigError, match=r"ending in \.parquet"):
        write_embeddings(bundle, source, tmp_path / "out.csv")
    with pytest.raises(ConfigError, match="would overwrite"):
        write_embeddings(bundle, source, source)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.drop(columns=["f2", "f4"]),
            r"samples\.csv: has no column for 2 of the model's 6 features: missing f2, f4",
        ),
        (
            lambda t: t.assign(f3=t["f3"].astype(object).where(t.index != 4, "abc")),
            r"samples\.csv, column 'f3', row 5 \(line 6\): value 'abc' is not a number",
        ),
        (
            lambda t: t.assign(f1=t["f1"].where(t.index != 9)),
            r"samples\.csv: 1 row has missing feature values \(the first is row 10, column 'f1'\)",
        ),
        (
            lambda t: t.assign(f0=t["f0"].astype(np.float64).where(t.index != 2, 1e39)),
            r"samples\.csv, column 'f0', row 3 \(line 4\): 1e\+39 is infinite or too large for float32",
        ),
        (lambda t: t.iloc[:0], r"samples\.csv: has a header but no data rows"),
        (
            lambda t: pd.concat([t.add_prefix("a_"), t.add_prefix("b_")], axis=1),
            r"it looks like a pair table",
        ),
    ],
    ids=["missing features", "text", "missing value", "too large", "empty", "pair table"],
)
def test_bad_tables_get_one_line_errors_naming_file_column_and_row(bundle, tmp_path, edit, message):
    source = tmp_path / "samples.csv"
    edit(samples_table()).to_csv(source, index=False)
    for call in (
        lambda: find_duplicates(bundle, source),
        lambda: write_embeddings(bundle, source, tmp_path / "out.parquet"),
    ):
        with pytest.raises(DataError, match=message) as caught:
            call()
        assert "\n" not in str(caught.value)
    assert not (tmp_path / "out.parquet").exists()


def test_a_missing_id_column_names_the_setting(bundle, table):
    with pytest.raises(DataError, match=r"has no column named 'key' to read ids from.*pass id_column=\.\.\."):
        find_duplicates(bundle, table, id_column="key")


def test_an_empty_dataframe_is_refused_by_name(bundle, table):
    with pytest.raises(DataError, match=r"^upload\.csv: has no data rows"):
        find_duplicates(bundle, table.iloc[:0], name="upload.csv")


def test_settings_are_checked(bundle, table):
    with pytest.raises(ConfigError, match="not both"):
        find_duplicates(bundle, table, threshold=0.1, top=3)
    with pytest.raises(ConfigError, match=r"k must be a whole number >= 1\. Received: k=0"):
        find_duplicates(bundle, table, k=0)
    with pytest.raises(ConfigError, match="method must be one of"):
        find_duplicates(bundle, table, method="hnsw")
