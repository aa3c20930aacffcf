"""Training on pair streams with tf.distribute strategies, and the cluster description (TF_CONFIG)."""

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from siamese_core.cluster import WorkerRole, worker_role
from siamese_core.errors import ConfigError, DataError
from tests.conftest import FEATURES, clustered_samples

ROOT = Path(__file__).resolve().parents[1]
DIGITS_PAIRS = ROOT / "examples" / "digits_pairs.csv"


def _tf_config(workers, task_type="worker", index=0, chief=None):
    cluster = {"worker": workers}
    if chief:
        cluster["chief"] = chief
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})}


# --------------------------------------------------------------------------------------------------
# TF_CONFIG
# --------------------------------------------------------------------------------------------------


def test_one_process_strategies_need_no_cluster():
    assert worker_role("default", {}) == WorkerRole(index=0, count=1, is_chief=True)
    assert worker_role("mirrored", {"TF_CONFIG": "not even json"}) == WorkerRole()


def test_workers_are_numbered_with_the_chief_first():
    workers = ["127.0.0.1:1111", "127.0.0.1:2222"]
    assert worker_role("multi-worker", _tf_config(workers, index=0)) == WorkerRole(0, 2, True)
    assert worker_role("multi-worker", _tf_config(workers, index=1)) == WorkerRole(1, 2, False)
    # With a chief, the chief is number 0 and writes the model; worker 0 is then the second of three.
    chief = ["127.0.0.1:3333"]
    assert worker_role("multi-worker", _tf_config(workers, "chief", 0, chief)) == WorkerRole(0, 3, True)
    assert worker_role("multi-worker", _tf_config(workers, "worker", 0, chief)) == WorkerRole(1, 3, False)
    assert WorkerRole(1, 3, False).describe() == "worker 2 of 3 (not the chief)"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "the multi-worker strategy needs the TF_CONFIG environment variable on every machine"),
        ({"TF_CONFIG": "{'cluster': 1}"}, "TF_CONFIG is not valid JSON (Expecting property name"),
        (
            {"TF_CONFIG": '{"task": {"type": "worker", "index": 0}}'},
            "TF_CONFIG needs a 'cluster' and a 'task'",
        ),
        (
            _tf_config(["127.0.0.1:1111"], index=3),
            "TF_CONFIG task {'type': 'worker', 'index': 3} is not in the cluster, which has 0 chief and 1 workers",
        ),
        (_tf_config(["localhost"]), "TF_CONFIG cluster.worker must be a list of 'host:port' addresses"),
        (_tf_config(["a:1"], "chief", 0, ["b:1", "c:1"]), "TF_CONFIG may name one chief at most"),
    ],
)
def test_a_wrong_cluster_description_is_one_clear_message(environ, message):
    with pytest.raises(ConfigError) as error:
        worker_role("multi-worker", environ)
    assert message in str(error.value)


def test_an_unknown_strategy_is_refused():
    with pytest.raises(
        ConfigError, match=r"strategy must be one of default, mirrored, multi-worker\. Received"
    ):
        worker_role("parameter-server", {})


# --------------------------------------------------------------------------------------------------
# In-memory pairs served as a stream
# --------------------------------------------------------------------------------------------------


def _pairs(n=400, seed=0):
    from siamese_core.pairing import make_pairs
    from siamese_core.pairs import SampleSet

    features, classes = clustered_samples(seed=seed)
    return make_pairs(SampleSet(features, classes, FEATURES), seed=seed).subset(np.arange(n))


@pytest.mark.parametrize("shards", [1, 2, 3, 7])
def test_memory_stream_shards_are_disjoint_and_cover_every_pair(shards):
    from siamese_core.distributed import MemoryPairStream

    pairs = _pairs(100)
    stream = MemoryPairStream(pairs, chunk_rows=16)
    seen = []
    for shard in range(shards):
        rows = [left for left, _, _ in stream.chunks(shard_index=shard, shard_count=shards, shuffle_seed=4)]
        assert rows, f"shard {shard} of {shards} is empty"
        seen.append(np.concatenate(rows))
    together = np.concatenate(seen)
    assert len(together) == 100
    # Every pair exactly once: the rows sorted match the original rows sorted.
    np.testing.assert_array_equal(np.unique(together, axis=0), np.unique(pairs.left, axis=0))


def test_memory_stream_reshuffles_with_each_seed():
    from siamese_core.distributed import MemoryPairStream

    stream = MemoryPairStream(_pairs(64), chunk_rows=64)
    first = next(stream.chunks(shuffle_seed=1))[2]
    second = next(stream.chunks(shuffle_seed=2))[2]
    plain = next(stream.chunks())[2]
    assert sorted(first) == sorted(second) == sorted(plain)
    assert not np.array_equal(first, second)


SMALL = dict(hidden=(16,), embedding_dim=4, epochs=4, batch_size=32, early_stopping_patience=0)


def test_streamed_training_learns_and_mirrored_gives_the_same_losses():
    from siamese_core.config import TrainConfig
    from siamese_core.distributed import MemoryPairStream, make_strategy, train_stream

    pairs = _pairs()
    validation = _pairs(100, seed=1)
    stream = MemoryPairStream(pairs, validation, chunk_rows=100)
    default = train_stream(stream, validation, TrainConfig(**SMALL), strategy=make_strategy("default"))
    mirrored = train_stream(stream, validation, TrainConfig(**SMALL), strategy=make_strategy("mirrored"))
    assert default.history["loss"][-1] < default.history["loss"][0]
    assert default.history["val_loss"][-1] < default.history["val_loss"][0]
    # One CPU replica under MirroredStrategy does the same arithmetic as no strategy.
    np.testing.assert_allclose(mirrored.history["loss"], default.history["loss"], rtol=1e-5)
    assert default.model.get_layer("distance") is not None


def test_a_reading_error_during_training_reaches_the_caller_as_itself():
    from siamese_core.config import TrainConfig
    from siamese_core.distributed import MemoryPairStream, train_stream

    class Failing(MemoryPairStream):
        def chunks(self, *args, **kwargs):
            yield from super().chunks(*args, **kwargs)
            raise DataError("pairs.csv changed while training: row 7 now holds 'x'")

    pairs = _pairs(64)
    with pytest.raises(DataError, match=r"pairs\.csv changed while training: row 7 now holds 'x'"):
        train_stream(Failing(pairs, chunk_rows=64), None, TrainConfig(**{**SMALL, "batch_size": 48}))


def test_an_empty_shard_is_a_clear_error():
    from siamese_core.config import TrainConfig
    from siamese_core.distributed import MemoryPairStream, train_stream

    class Empty(MemoryPairStream):
        def chunks(self, *args, **kwargs):
            return iter(())

    with pytest.raises(DataError, match="worker 1 of 1 received no training pairs"):
        train_stream(Empty(_pairs(64)), None, TrainConfig(**SMALL))


def test_workers_are_counted_from_the_strategy_cluster():
    """Each worker of the strategy's cluster (its chief included) needs parts of the data of its own: a
    cluster of a chief and two workers is 3 workers; a strategy without a cluster is 1."""
    from types import SimpleNamespace

    from siamese_core.config import TrainConfig
    from siamese_core.distributed import MemoryPairStream, train_stream

    class Resolver:
        def cluster_spec(self):
            class Spec:
                def as_dict(self):
                    return {"chief": ["a:1"], "worker": ["b:1", "c:1"]}

            return Spec()

    class Cluster:
        cluster_resolver = Resolver()

    def read_in(parts):
        class Parts(MemoryPairStream):
            def scan(self):
                return SimpleNamespace(**vars(super().scan()), n_units=parts)

        return Parts(_pairs(64))

    with pytest.raises(DataError, match=r"the data is read in 2 parts but there are 3 workers, and each"):
        train_stream(read_in(2), None, TrainConfig(**SMALL), strategy=Cluster())
    with pytest.raises(DataError, match=r"the data is read in 0 parts but there are 1 workers, and each"):
        train_stream(read_in(0), None, TrainConfig(**SMALL), strategy=object())


# --------------------------------------------------------------------------------------------------
# Two worker processes on 127.0.0.1
# --------------------------------------------------------------------------------------------------


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _train_command(out, *options):
    return [
        sys.executable, "-m", "siamese_core", "train", str(DIGITS_PAIRS), "--out", str(out),
        "--epochs", "6", "--batch-size", "256", "--chunk-rows", "1000", "--seed", "3", *options,
    ]  # fmt: skip


def _held_out_auc(model_path):
    from siamese_core.bundle import load_model
    from siamese_core.evaluation import evaluate_distances
    from siamese_core.streaming import PairStream

    bundle = load_model(model_path)
    test = PairStream(DIGITS_PAIRS, validation_fraction=0.15, test_fraction=0.15, seed=3).load_split("test")
    return evaluate_distances(bundle.distances(test.left, test.right), test.labels).auc


def _start_workers(tmp_path, *options, count=2):
    """`count` training processes of one cluster on 127.0.0.1, each with its own TF_CONFIG."""
    workers = [f"127.0.0.1:{port}" for port in _free_ports(count)]
    env = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    return [
        subprocess.Popen(
            _train_command(tmp_path / f"worker{index}.keras", "--strategy", "multi-worker", *options),
            env={**env, **_tf_config(workers, index=index)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for index in range(count)
    ]


def _stop(processes):
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_two_workers_train_one_valid_model_as_good_as_one_process(tmp_path):
    """Two processes with their own TF_CONFIG train together (MultiWorkerMirroredStrategy over
    127.0.0.1); the chief alone writes the model, which loads safely and scores the held-out pairs
    about as well as a single process trained on the same data."""
    processes = _start_workers(tmp_path, "--stream")
    try:
        outputs = [process.communicate(timeout=600) for process in processes]
    finally:
        _stop(processes)
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-2000:]
    assert "saved" in outputs[0][0] and (tmp_path / "worker0.keras").is_file()
    chief_says = next(line for line in outputs[0][0].splitlines() if line.startswith("selection kept epoch"))
    trained = chief_says.removesuffix(f"; saved {tmp_path / 'worker0.keras'}")
    assert trained.endswith(" steps") and "then refit on all 11,304 pairs" in trained
    assert f"worker 2 of 2 (not the chief): {trained}; the chief writes the model" in outputs[1][0]
    assert not (tmp_path / "worker1.keras").exists()
    # Both workers logged the same agreed losses, epoch by epoch: 6 of the selection, then the refit's.
    epochs = [[line for line in err.splitlines() if line.startswith("epoch ")] for _, err in outputs]
    assert [line.split()[1] for line in epochs[0][:6]] == [f"{k}/6" for k in range(1, 7)]
    assert len(epochs[0]) > 6 and epochs[0] == epochs[1]

    env = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    single = subprocess.run(
        _train_command(tmp_path / "single.keras", "--stream"),
        env=env, capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert single.returncode == 0, single.stderr[-2000:]
    # Both final models were refit on every pair, these included: this compares them, it is not a
    # held-out measure.
    together, alone = _held_out_auc(tmp_path / "worker0.keras"), _held_out_auc(tmp_path / "single.keras")
    assert together > 0.98 and alone > 0.98
    assert abs(together - alone) < 0.01


@pytest.mark.slow
def test_when_a_worker_dies_the_other_stops_with_a_clear_message(tmp_path):
    processes = _start_workers(tmp_path, "--stream", "--epochs", "500", "--patience", "0")
    try:
        for line in processes[1].stderr:  # once worker 2 is training, it dies
            if line.startswith("epoch 2/500"):
                processes[1].kill()
                break
        _, err = processes[0].communicate(timeout=300)
    finally:
        _stop(processes)
    assert processes[0].returncode == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("siamese: error: training stopped: the workers lost touch with each other")
    # TensorFlow's own words for the cause depend on which of its checks notices first (the peer's
    # heartbeat, "unhealthy", or a collective's broken connection): its error class and text are named.
    assert re.search(r"lost touch with each other \(\w+Error: \S.*\)\. A worker stopped", last), last
    assert last.endswith("A worker stopped or cannot be reached: restart all of them")
    assert "Traceback" not in err
    assert not (tmp_path / "worker0.keras").exists()
