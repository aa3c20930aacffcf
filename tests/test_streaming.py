"""Tests for siamese_core.streaming (and siamese_core.sources): pairs read a chunk at a time.

The reference is `load_pair_csv`: whatever the chunk size, the format (CSV in byte ranges, CSV read in
order, Parquet) or the sharding, the stream must give its pairs bit for bit, its label mapping and LoadInfo,
and its error messages.
"""

from __future__ import annotations

import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from siamese_core.data import load_pair_csv
from siamese_core.errors import ConfigError, DataError, LabelError
from siamese_core.pairs import PairSet
from siamese_core.sources import CsvFile
from siamese_core.splits import SPLIT_CODES, pair_splits, sample_fractions, sample_splits, split_pairs
from siamese_core.streaming import ColumnStatistics, PairStream

SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def pair_text(
    n_rows: int = 300,
    *,
    delimiter: str = ",",
    eol: str = "\n",
    decimal: str = ".",
    labels: tuple[str, str] = ("0", "1"),
    same_sides_every: int = 0,
    seed: int = 0,
) -> str:
    """A pair file: floats at full precision, integers (zeros, and beyond 2**24), an ignored text column.

    Every row's a_f is a distinct random float: it identifies the row. With `same_sides_every`, every such
    row has its two sides equal.
    """
    rng = np.random.default_rng(seed)
    floats = rng.normal(scale=1e3, size=(n_rows, 4))
    integers = rng.integers(-(2**40), 2**40, size=(n_rows, 2))
    integers[::7] = 0
    kinds = rng.integers(0, 2, size=n_rows)
    kinds[:4] = [0, 1, 0, 1]
    header = ["label", "a_f", "a_g", "a_i", "note", "b_f", "b_g", "b_i"]
    lines = [delimiter.join(header)]
    for row in range(n_rows):
        a_f, a_g, b_f, b_g = (f"{value:.17g}".replace(".", decimal) for value in floats[row])
        a_i, b_i = (str(value) for value in integers[row])
        if same_sides_every and row % same_sides_every == 0:
            b_f, b_g, b_i = a_f, a_g, a_i
        lines.append(delimiter.join([labels[kinds[row]], a_f, a_g, a_i, f"n{row}", b_f, b_g, b_i]))
    return eol.join(lines) + eol


def streamed(stream: PairStream, split: str = "train", **options) -> PairSet:
    """Every chunk of `stream.chunks(split, ...)` concatenated, checking each chunk's shape on the way."""
    parts = list(stream.chunks(split, **options))
    for left, right, labels in parts:
        assert 1 <= len(labels) <= stream.chunk_rows
        assert left.dtype == right.dtype == labels.dtype == np.float32
        assert left.shape == right.shape == (len(labels), len(stream.scan().feature_names))
    if not parts:
        width = len(stream.scan().feature_names)
        return PairSet(
            np.zeros((0, width), np.float32), np.zeros((0, width), np.float32), np.zeros(0, np.float32), []
        )
    left, right, labels = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    return PairSet(left, right, labels, stream.scan().feature_names)


def assert_same_bits(got: PairSet, want: PairSet) -> None:
    """Equal to the bit (-0.0 is not 0.0)."""
    for name in ("left", "right", "labels"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype == np.float32 and a.shape == b.shape, name
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


def row_keys(pairs: PairSet) -> np.ndarray:
    """The a_f value of each pair: distinct per row of `pair_text`."""
    return pairs.left[:, 0]


def error_text(call, kind=DataError) -> str:
    with pytest.raises(kind) as caught:
        call()
    return str(caught.value)


# --------------------------------------------------------------------------------------------------
# The same pairs as load_pair_csv
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_rows", [1, 7, 64, 299, 300, 5000])
def test_chunks_equal_load_pair_csv_bit_for_bit(tmp_path, chunk_rows):
    """7, 64 and 299 do not divide the 300 rows; 1 makes a byte range per line or two."""
    path = tmp_path / "pairs.csv"
    path.write_text(pair_text(300, labels=("same", "different")))
    expected = load_pair_csv(path)
    stream = PairStream(path, chunk_rows=chunk_rows)
    scan = stream.scan()
    assert_same_bits(streamed(stream), expected)
    assert scan.info == expected.info  # mapping, counts, columns, ignored "note", warnings
    assert scan.label_mapping == expected.info.label_mapping
    assert scan.feature_names == expected.feature_names == ["f", "g", "i"]
    assert (scan.n_pairs, scan.split_counts["train"]) == (300, 300)
    assert scan.files == [path] and scan.format == "csv"
    in_memory = stream.load_split("train")
    assert_same_bits(in_memory, expected)
    np.testing.assert_array_equal(in_memory.rows, expected.rows)


def test_unusual_csv_layouts_stream_as_they_load(tmp_path):
    """Semicolons, decimal commas, CRLF line ends, a byte order mark and blank lines."""
    text = pair_text(200, delimiter=";", eol="\r\n", decimal=",").replace("\r\nn", "\r\n\r\nn")
    lines = text.split("\r\n")
    lines[50:50] = ["", ""]
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode())
    expected = load_pair_csv(path)
    for chunk_rows in (9, 64):
        stream = PairStream(path, chunk_rows=chunk_rows)
        assert_same_bits(streamed(stream), expected)
        assert stream.scan().info == expected.info
        np.testing.assert_array_equal(stream.load_split("train").rows, expected.rows)
    assert any("decimal mark" in warning for warning in expected.info.warnings)


def test_a_quoted_file_is_read_in_order_with_the_same_pairs(tmp_path, monkeypatch):
    """A quote may hide a line break inside a value: such a file is not cut into byte ranges."""
    lines = pair_text(120).split("\n")
    lines[60] = lines[60].replace(",n59,", ',"note\nover two lines",')
    path = tmp_path / "quoted.csv"
    path.write_text("\n".join(lines))
    expected = load_pair_csv(path)
    stream = PairStream(path, chunk_rows=16)
    assert_same_bits(streamed(stream), expected)
    assert stream.scan().info == expected.info
    read = []
    original = CsvFile.blocks
    monkeypatch.setattr(
        CsvFile, "blocks", lambda file, piece, *args: read.append(piece) or original(file, piece, *args)
    )
    stream.load_split("all")
    monkeypatch.undo()
    assert read and {piece.kind for piece in read} == {"file"}  # the whole file, read in order
    assert stream.scan().n_units == 8  # ceil(120 / 16) chunks, each a unit
    shards = [row_keys(streamed(stream, shard_index=i, shard_count=3)) for i in range(3)]
    assert sorted(np.concatenate(shards).tolist()) == sorted(row_keys(expected).tolist())


@pytest.fixture
def parquet_folder(tmp_path):
    """The 300 rows of `pair_text` as a CSV, and as three Parquet files with row groups of 45 rows."""
    csv_path = tmp_path / "pairs.csv"
    csv_path.write_text(pair_text(300))
    frame = pd.read_csv(csv_path)
    folder = tmp_path / "parquet"
    folder.mkdir()
    for index, rows in enumerate(np.array_split(np.arange(300), 3)):
        frame.iloc[rows].to_parquet(folder / f"part-{index}.parquet", row_group_size=45, index=False)
    (folder / "_SUCCESS").write_text("")  # what Spark leaves: skipped
    return csv_path, folder


def test_a_parquet_folder_equals_the_csv(parquet_folder):
    csv_path, folder = parquet_folder
    expected = load_pair_csv(csv_path)
    stream = PairStream(folder, chunk_rows=20)
    scan = stream.scan()
    assert_same_bits(streamed(stream), expected)
    assert scan.label_mapping == expected.info.label_mapping
    assert scan.format == "parquet" and [p.name for p in scan.files] == [
        f"part-{i}.parquet" for i in range(3)
    ]
    assert scan.info.source == "parquet" and scan.info.ignored_columns == ["note"]
    # Row groups of 45, 45, 10 rows per file: units of 20, 20, 5 / 20, 20, 5 / 10 rows.
    assert scan.n_units == 3 * 7
    pairs = stream.load_split("train")
    np.testing.assert_array_equal(pairs.rows, np.concatenate([np.arange(1, 101)] * 3))


def test_a_single_parquet_file_with_big_row_groups_is_cut_into_units(tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(pair_text(100)))
    path = tmp_path / "pairs.parquet"
    frame.to_parquet(path, index=False)  # one row group
    stream = PairStream(path, chunk_rows=30)
    assert stream.scan().n_units == 4
    shards = [streamed(stream, shard_index=i, shard_count=4) for i in range(4)]
    assert [s.n_pairs for s in shards] == [30, 30, 30, 10]


# --------------------------------------------------------------------------------------------------
# Shards and shuffling
# --------------------------------------------------------------------------------------------------


@pytest.fixture(params=["csv", "quoted csv", "parquet"])
def any_source(request, tmp_path):
    text = pair_text(250, seed=3)
    path = tmp_path / "pairs.csv"
    if request.param == "quoted csv":
        text = text.replace(",n7,", ',"n,7",')
    path.write_text(text)
    if request.param == "parquet":
        parquet = tmp_path / "pairs.parquet"
        pd.read_csv(path).to_parquet(parquet, row_group_size=60, index=False)
        return parquet, load_pair_csv(path)
    return path, load_pair_csv(path)


@pytest.mark.parametrize("shard_count", [1, 2, 3])
def test_shards_are_disjoint_and_cover_everything(any_source, shard_count):
    source, expected = any_source
    stream = PairStream(source, chunk_rows=17)
    shards = [streamed(stream, shard_index=i, shard_count=shard_count) for i in range(shard_count)]
    keys = np.concatenate([row_keys(shard) for shard in shards])
    assert len(keys) == expected.n_pairs and len(set(keys.tolist())) == expected.n_pairs
    assert set(keys.tolist()) == set(row_keys(expected).tolist())
    if shard_count > 1:
        assert all(shard.n_pairs > 0 for shard in shards)
    # Each shard's pairs are the rows of the file, with their own labels and right sides.
    position = {key: index for index, key in enumerate(row_keys(expected).tolist())}
    for shard in shards:
        at = np.array([position[key] for key in row_keys(shard).tolist()])
        np.testing.assert_array_equal(shard.right, expected.right[at])
        np.testing.assert_array_equal(shard.labels, expected.labels[at])


def _shard_keys(stream: PairStream, shard_index: int, shard_count: int) -> list[float]:
    return row_keys(streamed(stream, "validation", shard_index=shard_index, shard_count=shard_count)).tolist()


def test_worker_processes_agree_on_shards_and_splits(tmp_path):
    """A scanned stream sent to fresh processes (spawned: nothing inherited) reads the same pairs there."""
    path = tmp_path / "pairs.csv"
    path.write_text(pair_text(300))
    stream = PairStream(path, chunk_rows=16, validation_fraction=0.3, test_fraction=0.1, seed=4)
    stream.scan()
    here = [_shard_keys(stream, index, 2) for index in range(2)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        there = list(pool.map(_shard_keys, [stream, stream], [0, 1], [2, 2]))
    assert there == here and all(here)


def test_a_shuffle_seed_changes_the_order_not_the_pairs(any_source):
    source, _ = any_source
    stream = PairStream(source, chunk_rows=17)
    plain = row_keys(streamed(stream, shard_index=1, shard_count=2))
    first = row_keys(streamed(stream, shard_index=1, shard_count=2, shuffle_seed=1))
    again = row_keys(streamed(stream, shard_index=1, shard_count=2, shuffle_seed=1))
    other = row_keys(streamed(stream, shard_index=1, shard_count=2, shuffle_seed=2))
    assert sorted(first.tolist()) == sorted(plain.tolist()) == sorted(other.tolist())
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, plain) and not np.array_equal(first, other)


# --------------------------------------------------------------------------------------------------
# Splits
# --------------------------------------------------------------------------------------------------


def split_of_rows(stream: PairStream) -> dict[float, str]:
    """Row key -> split, from the chunks of every split."""
    found = {}
    for split in ("train", "validation", "test"):
        for key in row_keys(streamed(stream, split)).tolist():
            assert key not in found
            found[key] = split
    return found


def test_splits_do_not_depend_on_chunking_and_leave_no_sample_in_two_splits(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text(pair_text(400, same_sides_every=3))
    options = {"validation_fraction": 0.2, "test_fraction": 0.2, "seed": 5}
    streams = [PairStream(path, chunk_rows=chunk_rows, **options) for chunk_rows in (5, 64, 1000)]
    splits = [split_of_rows(stream) for stream in streams]
    assert splits[0] == splits[1] == splits[2]
    counts = streams[0].scan().split_counts
    assert counts == streams[1].scan().split_counts == streams[2].scan().split_counts
    for name in ("train", "validation", "test"):
        assert counts[name] == sum(1 for split in splits[0].values() if split == name) > 0
    assert sum(counts.values()) == 400 and counts["dropped"] > 0
    # No feature vector in two splits.
    vectors = {}
    for name in ("train", "validation", "test"):
        pairs = streams[0].load_split(name)
        for side in (pairs.left, pairs.right):
            for vector in map(bytes, side):
                assert vectors.setdefault(vector, name) == name
    # A pair whose two sides are one vector is never dropped.
    expected = load_pair_csv(path)
    same = row_keys(expected)[::3]
    assert all(key in splits[0] for key in same.tolist())


def test_a_sample_goes_to_the_split_its_hash_falls_in():
    """Shares 0.6 / 0.2 / 0.2 give samples the probabilities sqrt(share) / sum: 0.4641, 0.2680, 0.2680,
    so a sample whose hash fraction u is below 0.4641 trains, below 0.7321 validates, and else tests."""
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(2000, 3)).astype(np.float32)
    u = sample_fractions(samples, seed=9)
    assert ((u >= 0) & (u < 1)).all()
    codes = sample_splits(samples, validation_fraction=0.2, test_fraction=0.2, seed=9)
    expected = np.where(u < 0.46410, 0, np.where(u < 0.73205, 1, 2))
    near_a_bound = (np.abs(u - 0.46410) < 1e-4) | (np.abs(u - 0.73205) < 1e-4)
    np.testing.assert_array_equal(codes[~near_a_bound], expected[~near_a_bound])
    # Pairs of two independent samples stay together with probability 0.4641^2 + 2 * 0.2680^2 = 0.359,
    # and the kept pairs are split 0.6 / 0.2 / 0.2.
    left, right = samples[:1000], samples[1000:]
    pairs = pair_splits(left, right, validation_fraction=0.2, test_fraction=0.2, seed=9)
    counts = np.bincount(pairs, minlength=4)
    assert abs(counts[:3].sum() / 1000 - 0.359) < 0.05
    assert abs(counts[0] / counts[:3].sum() - 0.6) < 0.07
    # Without validation and test, everything trains.
    assert not pair_splits(left, right, validation_fraction=0, test_fraction=0).any()
    assert SPLIT_CODES == ("train", "validation", "test", "dropped")


PINNED_FRACTIONS = [0.6922909977712626, 0.6922909977712626, 0.2104907268774815]


def test_the_sample_hash_is_stable():
    """Pinned values: changing the hash would move samples between splits of models already trained.
    -0.0 is 0.0 (one sample, as in siamese_core.splits)."""
    samples = np.array([[0.0, 1.0], [-0.0, 1.0], [1.5, -2.25]], dtype=np.float32)
    u = sample_fractions(samples, seed=0)
    assert u[0] == u[1]
    np.testing.assert_allclose(u, PINNED_FRACTIONS, rtol=0, atol=0)
    assert sample_fractions(samples, seed=1)[2] != u[2]


@given(
    samples=hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=st.floats(width=32, allow_nan=False, allow_infinity=False),
    ),
    cut=st.integers(0, 12),
    seed=st.integers(0, 2**64 - 1),
)
@SETTINGS
def test_the_hash_is_a_function_of_the_vector_alone(samples, cut, seed):
    """Hashing in two pieces gives the hashes of the whole; equal vectors (0.0 and -0.0 alike) hash equal."""
    whole = sample_fractions(samples, seed)
    pieces = np.concatenate([sample_fractions(samples[:cut], seed), sample_fractions(samples[cut:], seed)])
    np.testing.assert_array_equal(whole, pieces)
    keys = [bytes(row) for row in (samples + np.float32(0))]
    for i in range(len(keys)):
        for j in range(len(keys)):
            if keys[i] == keys[j]:
                assert whole[i] == whole[j]


# --------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------


def test_statistics_equal_scaling_statistics_on_the_train_split_in_memory(tmp_path):
    from siamese_core.model import scaling_statistics

    path = tmp_path / "pairs.csv"
    text = pair_text(500, seed=4)
    path.write_text(text)
    stream = PairStream(path, chunk_rows=37, validation_fraction=0.1, test_fraction=0.1, seed=2)
    train = stream.load_split("train")
    assert train.n_pairs == stream.scan().split_counts["train"] > 0
    statistics = stream.scan().statistics
    both = np.concatenate([train.left, train.right]).astype(np.float64)
    assert statistics.count == len(both)
    np.testing.assert_allclose(statistics.mean, both.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(statistics.variance, both.var(axis=0), rtol=1e-9)
    np.testing.assert_array_equal(statistics.highest, both.max(axis=0))
    np.testing.assert_array_equal(statistics.lowest, both.min(axis=0))
    for mode in ("auto", "per_feature", "global", "none"):
        mean, variance, used = stream.scaling_statistics(mode)
        want_mean, want_variance, want_used = scaling_statistics([train.left, train.right], mode)
        assert used == want_used
        np.testing.assert_allclose(mean, want_mean, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(variance, want_variance, rtol=1e-9)


@given(
    blocks=st.lists(
        hnp.arrays(np.float64, st.tuples(st.integers(1, 20), st.just(2)), elements=st.floats(-1e3, 1e3)),
        min_size=1,
        max_size=5,
    ),
    offset=st.sampled_from([0.0, 1e6]),
)
@SETTINGS
def test_merged_statistics_equal_numpy_on_the_whole(blocks, offset):
    statistics = ColumnStatistics.empty(2)
    for block in blocks:
        statistics.add(block + offset)
    whole = np.concatenate(blocks) + offset
    assert statistics.count == len(whole)
    np.testing.assert_allclose(statistics.mean, whole.mean(axis=0), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(statistics.variance, whole.var(axis=0), rtol=1e-7, atol=1e-6)
    np.testing.assert_array_equal(statistics.highest, whole.max(axis=0))


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "cell", "fragment"),
    [
        (250, "oops", "value 'oops' is not a number"),
        (250, "", "1 of 300 rows has missing values"),
        (250, "inf", "value inf is infinite"),
        (290, "1e39", "value 1e39 is too large for 32-bit floats"),
    ],
)
def test_a_bad_value_in_a_late_chunk_is_reported_as_load_pair_csv_reports_it(tmp_path, row, cell, fragment):
    lines = pair_text(300).split("\n")
    fields = lines[row].split(",")
    fields[6] = cell  # b_g
    lines[row] = ",".join(fields)
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines))
    message = error_text(lambda: PairStream(path, chunk_rows=16).scan())
    assert message == error_text(lambda: load_pair_csv(path))
    assert message.startswith(f"big.csv, column 'b_g', row {row} (line {row + 1}): ")
    assert fragment in message


@pytest.mark.parametrize("chunk_rows", [16, 1000])
def test_an_earlier_missing_value_wins_over_a_later_infinite_one_as_in_load_pair_csv(tmp_path, chunk_rows):
    """Rows 20 and 279 have an empty cell, row 280 an infinite value: the empty cells are reported, and
    once their rows are dropped, the infinite value (after a dropped row of the same chunk)."""
    lines = pair_text(300).split("\n")
    for row, column, cell in ((20, 1, ""), (279, 3, ""), (280, 2, "-inf")):
        fields = lines[row].split(",")
        fields[column] = cell
        lines[row] = ",".join(fields)
    path = tmp_path / "two.csv"
    path.write_text("\n".join(lines))
    message = error_text(lambda: PairStream(path, chunk_rows=chunk_rows).scan())
    assert message == error_text(lambda: load_pair_csv(path))
    assert "column 'a_f', row 20 " in message and "2 of 300 rows have missing values" in message
    dropped = PairStream(path, chunk_rows=chunk_rows, drop_missing=True)
    message = error_text(dropped.scan)
    assert message == error_text(lambda: load_pair_csv(path, drop_missing=True))
    assert "column 'a_g', row 280 " in message and "-inf is infinite" in message


def test_drop_missing_drops_the_rows_load_pair_csv_drops(tmp_path):
    lines = pair_text(300).split("\n")
    for row in (3, 150, 299):
        fields = lines[row].split(",")
        fields[5] = ""
        lines[row] = ",".join(fields)
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines))
    expected = load_pair_csv(path, drop_missing=True)
    stream = PairStream(path, chunk_rows=16, drop_missing=True)
    assert_same_bits(streamed(stream), expected)
    assert stream.scan().info == expected.info
    assert stream.scan().info.dropped_rows == 3 and stream.scan().n_pairs == 297
    np.testing.assert_array_equal(stream.load_split("train").rows, expected.rows)


def test_an_unknown_label_late_names_its_row_and_the_mapping_so_far(tmp_path):
    lines = pair_text(300).split("\n")
    lines[251] = "maybe" + lines[251][1:]
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(LabelError) as caught:
        PairStream(path, chunk_rows=16).scan()
    error = caught.value
    assert (error.source, error.column, error.row, error.value) == ("labels.csv", "label", 251, "maybe")
    message = str(error)
    assert "label value 'maybe' (1 row, the first here) means neither similar nor dissimilar" in message
    assert "the label values before it map as: 0 = similar, 1 = dissimilar" in message
    # Within the first chunk, the message is load_pair_csv's.
    lines = pair_text(300).split("\n")
    lines[5] = "maybe" + lines[5][1:]
    path.write_text("\n".join(lines))
    assert error_text(lambda: PairStream(path, chunk_rows=16).scan(), LabelError) == error_text(
        lambda: load_pair_csv(path), LabelError
    )


def test_a_label_in_a_later_file_is_mapped_with_all_the_others(tmp_path):
    """The mapping is decided once on every distinct value: words in one file, 'yes' in another."""
    folder = tmp_path / "pairs"
    folder.mkdir()
    (folder / "a.csv").write_text(pair_text(40, labels=("same", "different")))
    (folder / "b.csv").write_text(pair_text(40, labels=("same", "maybe"), seed=1))
    with pytest.raises(LabelError) as caught:
        PairStream(folder, chunk_rows=16).scan()
    assert caught.value.source == "pairs/b.csv" and caught.value.value == "maybe"
    assert "before it map as: same = similar, different = dissimilar" in str(caught.value)
    stream = PairStream(folder, chunk_rows=16, similar_label="same")
    mapping = stream.scan().label_mapping
    assert mapping.similar_values == ["same"] and mapping.dissimilar_values == ["different", "maybe"]
    assert mapping.n_similar + mapping.n_dissimilar == 80


def test_folder_problems_are_clear(tmp_path, parquet_folder):
    csv_path, parquet = parquet_folder
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(csv_path, mixed / "a.csv")
    shutil.copy(parquet / "part-0.parquet", mixed / "b.parquet")
    message = error_text(lambda: PairStream(mixed).scan())
    assert message == (
        "mixed: mixes CSV files (a.csv) and Parquet files (b.parquet); keep one kind of file in the folder"
    )

    columns = tmp_path / "columns"
    columns.mkdir()
    shutil.copy(csv_path, columns / "a.csv")
    pd.read_csv(csv_path).rename(columns={"b_i": "b_j"}).to_csv(columns / "b.csv", index=False)
    message = error_text(lambda: PairStream(columns).scan())
    assert message.startswith("columns/b.csv: has other columns than columns/a.csv (missing b_i; extra b_j)")

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.md").write_text("x")
    assert "empty: has no CSV or Parquet files" in error_text(lambda: PairStream(empty).scan())

    with_empty_file = tmp_path / "with_empty"
    with_empty_file.mkdir()
    shutil.copy(csv_path, with_empty_file / "a.csv")
    (with_empty_file / "b.csv").write_text("")
    assert error_text(lambda: PairStream(with_empty_file).scan()) == (
        "with_empty/b.csv: is empty; it needs a header row and data rows"
    )
    (with_empty_file / "b.csv").write_text("label,a_f,a_g,a_i,note,b_f,b_g,b_i\n")
    assert "with_empty/b.csv: has a header but no data rows" in error_text(
        lambda: PairStream(with_empty_file).scan()
    )

    assert "nowhere: file or folder not found" in error_text(lambda: PairStream(tmp_path / "nowhere").scan())


def test_parquet_values_are_checked_as_csv_values_are(tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(pair_text(100)))
    frame["b_g"] = frame["b_g"].astype(str)
    frame.loc[70, "b_g"] = "oops"
    path = tmp_path / "text.parquet"
    frame.to_parquet(path, row_group_size=30, index=False)
    assert error_text(lambda: PairStream(path, chunk_rows=16).scan()) == (
        "text.parquet, column 'b_g', row 71 (line 72): value 'oops' is not a number; feature values must be "
        "numbers; fix or remove that value"
    )
    frame.loc[70, "b_g"] = "NA"
    frame["a_f"] = frame["a_f"].astype(np.float64)
    frame.loc[90, "a_f"] = 1e39
    frame.to_parquet(path, row_group_size=30, index=False)
    message = error_text(lambda: PairStream(path, chunk_rows=16).scan())
    assert message.startswith(
        "text.parquet, column 'b_g', row 71 (line 72): 1 of 100 rows has missing values"
    )
    message = error_text(lambda: PairStream(path, chunk_rows=16, drop_missing=True).scan())
    assert message.startswith("text.parquet, column 'a_f', row 91 (line 92): value 1e+39 is too large")


def test_a_file_changed_since_the_scan_is_reported(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text(pair_text(100))
    stream = PairStream(path, chunk_rows=16)
    stream.scan()
    path.write_text(pair_text(101))
    assert "pairs.csv: has changed (or gone) since it was scanned" in error_text(
        lambda: list(stream.chunks())
    )


def test_too_few_pairs_and_bad_settings(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("label,a_x,b_x\n0,1,2\n1,3,4\n0,5,6\n")
    assert error_text(lambda: PairStream(path).scan()) == error_text(lambda: load_pair_csv(path))
    with pytest.raises(ConfigError, match=r"chunk_rows must be a positive integer\. Received: chunk_rows=0"):
        PairStream(path, chunk_rows=0)
    with pytest.raises(ConfigError, match="validation_fraction must be in"):
        PairStream(path, validation_fraction=1.5)
    path.write_text(pair_text(20))
    stream = PairStream(path)
    with pytest.raises(ConfigError, match="split must be one of train, validation, test or all"):
        stream.chunks("dev")
    with pytest.raises(ConfigError, match=r"shard_index must be in \[0, shard_count\)"):
        stream.chunks(shard_index=3, shard_count=3)


def test_a_file_gets_the_same_held_out_pairs_streamed_and_in_memory(pair_csv):
    """Samples recur across the pairs of this file, so pairs are dropped; both paths use one rule."""
    pairs = load_pair_csv(pair_csv)
    in_memory = split_pairs(pairs, validation_fraction=0.15, test_fraction=0.15, seed=3)
    stream = PairStream(pair_csv, chunk_rows=37, validation_fraction=0.15, test_fraction=0.15, seed=3)
    for name in ("train", "validation", "test"):
        assert_same_bits(stream.load_split(name), getattr(in_memory, name))
    assert stream.scan().split_counts["dropped"] == in_memory.dropped_pairs > 0


# --------------------------------------------------------------------------------------------------
# load_split
# --------------------------------------------------------------------------------------------------


def test_load_split_gathers_a_split_in_file_order_with_rows(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text(pair_text(300))
    expected = load_pair_csv(path)
    stream = PairStream(path, chunk_rows=23, validation_fraction=0.2, test_fraction=0.1, seed=1)
    validation = stream.load_split("validation")
    assert validation.n_pairs == stream.scan().split_counts["validation"] > 0
    at = validation.rows - 1
    assert (np.diff(at) > 0).all()
    np.testing.assert_array_equal(validation.left, expected.left[at])
    np.testing.assert_array_equal(validation.labels, expected.labels[at])
    assert_same_bits(validation, streamed(stream, "validation"))
    first = stream.load_split("validation", max_pairs=5)
    np.testing.assert_array_equal(first.rows, validation.rows[:5])
    assert first.info.warnings[-1] == (
        f"kept the first 5 of {validation.n_pairs:,} validation pairs (max_pairs=5)"
    )
    everything = stream.load_split("all")
    assert_same_bits(everything, expected)


def test_load_splits_reads_the_files_once_for_several_splits(tmp_path, monkeypatch):
    path = tmp_path / "pairs.csv"
    path.write_text(pair_text(300))
    stream = PairStream(path, chunk_rows=23, validation_fraction=0.2, test_fraction=0.1, seed=1)
    stream.scan()
    one_by_one = {split: stream.load_split(split, max_pairs=40) for split in ("validation", "test", "all")}
    reads = []
    original = CsvFile.blocks

    def counted(self, piece, columns, chunk_rows):
        reads.append(piece)
        return original(self, piece, columns, chunk_rows)

    monkeypatch.setattr(CsvFile, "blocks", counted)
    stream.load_split("all")
    pieces = list(reads)  # every piece, in order
    assert len(pieces) > 1 and len(set(pieces)) == len(pieces)
    reads.clear()
    together = stream.load_splits(["validation", "test", "all"], max_pairs=40)
    assert reads == pieces[: len(reads)]  # each piece once, in order, until all three are full
    alone = []
    for split in ("validation", "test"):
        reads.clear()
        stream.load_split(split)
        alone.append(len(reads))  # up to the piece holding the split's last pair
    reads.clear()
    held_out = stream.load_splits(["validation", "test"])
    assert reads == pieces[: max(alone)]  # one pass for both, not one per split
    assert sum(alone) > max(alone)
    assert held_out["test"].n_pairs == stream.scan().split_counts["test"]
    reads.clear()
    assert list(together) == ["validation", "test", "all"]
    for split, pairs in together.items():
        assert_same_bits(pairs, one_by_one[split])
        np.testing.assert_array_equal(pairs.rows, one_by_one[split].rows)
        assert pairs.info.warnings == one_by_one[split].info.warnings
    assert together["all"].n_pairs == 40 and 0 < together["test"].n_pairs < 40
    reads.clear()
    assert stream.load_splits(["validation"], max_pairs=0)["validation"].n_pairs == 0
    assert reads == []  # nothing to gather, nothing read
