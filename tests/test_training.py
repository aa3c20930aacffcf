import numpy as np
import pytest

from siamese_core.errors import ConfigError, DataError, TrainingError
from siamese_core.evaluation import roc_auc
from siamese_core.inference import predict_distances
from siamese_core.pairs import PairSet
from siamese_core.training import TrainConfig, TrainProgress, train
from tests.conftest import FEATURES, clustered_samples, numpy_distances, numpy_embeddings


def _pairs(n=160, seed=0):
    from siamese_core.pairing import make_pairs
    from siamese_core.pairs import SampleSet

    features, classes = clustered_samples(seed=seed)
    return make_pairs(SampleSet(features, classes, FEATURES), seed=seed).subset(np.arange(n))


SMALL = dict(hidden=(8,), embedding_dim=3, epochs=3, batch_size=32, dropout=0.0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("margin", -1, "margin must be > 0. Received: margin=-1"),
        ("epochs", 0, "epochs must be >= 1. Received: epochs=0"),
        ("dropout", 1.0, "dropout must be in [0, 1). Received: dropout=1.0"),
        ("activation", "nope", "activation must be one of"),
        ("hidden", (0,), "hidden sizes must each be >= 1"),
        ("learning_rate", 0.0, "learning_rate must be > 0"),
        ("batch_size", 0, "batch_size must be a whole number >= 1 or 'auto'. Received: batch_size=0"),
        ("batch_size", 2.5, "batch_size must be a whole number >= 1 or 'auto'. Received: batch_size=2.5"),
        ("batch_size", "big", "batch_size must be a whole number >= 1 or 'auto'. Received: batch_size='big'"),
    ],
)
def test_config_validates_early(field, value, message):
    with pytest.raises(ConfigError) as error:
        TrainConfig(**{field: value})
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("n_pairs", "expected"),
    [
        (1_000_000, 512),
        (16_384, 512),  # 512 x 32 steps: the smallest set that keeps 512
        (16_383, 256),
        (9_790, 256),  # the digits pairs: 38 steps of 256 (19 of 512)
        (8_192, 256),
        (4_964, 128),  # 38 steps of 128
        (2_048, 64),
        (1_000, 32),  # never below 32, even with fewer than 32 steps
        (10, 32),
    ],
)
def test_auto_batch_size_keeps_32_steps_per_epoch(n_pairs, expected):
    assert TrainConfig().batch_size == "auto"
    assert TrainConfig().batch_size_for(n_pairs) == expected


def test_a_batch_size_given_is_used_whatever_the_data_size():
    assert TrainConfig(batch_size=100).batch_size_for(10) == 100
    assert TrainConfig(batch_size=np.int64(64)).batch_size_for(10**6) == 64


def test_auto_batch_size_is_resolved_in_the_result():
    pairs = _pairs(n=200)  # 200 pairs: the auto size is 32, 6 steps per epoch
    events: list[TrainProgress] = []
    config = TrainConfig(**{**SMALL, "batch_size": "auto", "epochs": 1})
    result = train(pairs, None, config, on_progress=events.append)
    assert result.config.batch_size == 32
    assert config.batch_size == "auto"  # the caller's settings are left as they were
    assert [(e.batch, e.batches) for e in events if e.stage == "epoch"] == [(6, 6)]
    small = train(pairs.subset(np.arange(40)), None, TrainConfig(**{**SMALL, "batch_size": 64, "epochs": 1}))
    assert small.config.batch_size == 40  # one step of all 40 pairs: the size used is recorded


def test_config_round_trips_through_a_dict():
    config = TrainConfig(hidden=(64, 32), margin=2.0)
    assert TrainConfig.from_dict({**config.to_dict(), "unknown": 1}) == config


def test_same_seed_same_losses():
    pairs = _pairs()
    first = train(pairs, pairs.subset(np.arange(40)), TrainConfig(**SMALL, seed=5))
    second = train(pairs, pairs.subset(np.arange(40)), TrainConfig(**SMALL, seed=5))
    assert first.history["loss"] == second.history["loss"]
    assert first.history["val_loss"] == second.history["val_loss"]


def test_training_lowers_the_loss_and_reports_progress():
    pairs = _pairs()
    events: list[TrainProgress] = []
    result = train(pairs, None, TrainConfig(**{**SMALL, "epochs": 6}), on_progress=events.append)
    assert result.history["loss"][-1] < result.history["loss"][0]
    epochs = [e for e in events if e.stage == "epoch"]
    batches = [e for e in events if e.stage == "batch"]
    assert [e.epoch for e in epochs] == [1, 2, 3, 4, 5, 6]
    assert [(e.batch, e.batches) for e in batches] == [(5, 5)] * 6  # 160 pairs / 32: one report of 5 steps
    assert epochs[-1].fraction == 1.0
    assert epochs[-1].history["loss"] == result.history["loss"]


def test_progress_is_reported_every_few_batches():
    """160 pairs in batches of 2 are 80 steps; compiled calls of 32 steps report at 32, 64 and 80."""
    events: list[TrainProgress] = []
    train(_pairs(), None, TrainConfig(**{**SMALL, "epochs": 1, "batch_size": 2}), on_progress=events.append)
    assert [(e.stage, e.batch) for e in events] == [
        ("batch", 32),
        ("batch", 64),
        ("batch", 80),
        ("epoch", 80),
    ]
    assert 0 < events[0].fraction < events[1].fraction < events[2].fraction == 1.0


def test_progress_callback_can_stop_training():
    pairs = _pairs()
    result = train(pairs, None, TrainConfig(**{**SMALL, "epochs": 50}), on_progress=lambda p: p.epoch < 2)
    assert result.stopped_by_user
    # Asked to stop at epoch 2's first report: that epoch is closed early and no more run.
    assert result.epochs_run == 2


def test_training_refuses_one_class():
    pairs = _pairs()
    similar_only = pairs.subset(pairs.labels == 0)
    with pytest.raises(DataError, match="training needs both similar and dissimilar pairs"):
        train(similar_only, None, TrainConfig(**SMALL))


def test_identical_pairs_and_constant_features_stay_finite():
    """D = 0 for every similar pair and a constant column: no NaN in losses or distances."""
    rng = np.random.default_rng(0)
    left = rng.normal(size=(64, 4)).astype(np.float32)
    left[:, 2] = 7.0
    right = left.copy()
    right[32:] = rng.normal(size=(32, 4))
    right[:, 2] = 7.0
    labels = np.r_[np.zeros(32), np.ones(32)].astype(np.float32)
    result = train(PairSet(left, right, labels, list("abcd")), None, TrainConfig(**SMALL))
    assert np.isfinite(result.history["loss"]).all()


@pytest.mark.parametrize(
    ("n_pairs", "epoch", "epochs", "widest", "expected"),
    [
        (9_790, 1, 40, 128, False),  # digits: 391,600 pair-steps in all, under 500,000: never
        (100_000, 1, 6, 128, False),  # 600,000 in all, but the first epoch of a small set runs plain
        (100_000, 2, 6, 128, True),  # 5 epochs x 100,000 left = 500,000: compile from here
        (100_000, 3, 6, 128, False),  # (a run only gets here with XLA already on)
        (500_000, 1, 1, 128, True),  # one epoch of a large set repays compiling at once
        (500_000, 1, 1, 512, True),  # our default layers (256) on inputs up to 512 features
        (500_000, 1, 1, 513, False),  # a matrix side over 512: never
        (100_000, 2, 6, 2048, False),  # nor on wide inputs
    ],
)
def test_xla_is_used_when_the_work_left_repays_it_and_the_matrices_are_small(
    n_pairs, epoch, epochs, widest, expected
):
    from siamese_core.training import xla_pays

    assert xla_pays(n_pairs, epoch, epochs, widest) is expected


def test_layers_over_512_wide_train_without_xla(monkeypatch):
    """A layer of 640 keeps TensorFlow's own kernels however much work is left: the calls stay 32 steps
    long (64 with XLA)."""
    import siamese_core.training as training

    monkeypatch.setattr(training, "XLA_MIN_PAIR_STEPS", 1)  # the work would repay XLA at once
    events: list[TrainProgress] = []
    config = TrainConfig(**{**SMALL, "hidden": (640,), "epochs": 1, "batch_size": 2})
    train(_pairs(), None, config, on_progress=events.append)
    assert [e.batch for e in events if e.stage == "batch"] == [32, 64, 80]


def test_default_layers_on_narrow_inputs_train_with_xla(monkeypatch):
    """Our default layers (256 wide) on a few features compile with XLA once the work repays it: calls of
    64 steps."""
    import siamese_core.training as training

    monkeypatch.setattr(training, "XLA_MIN_PAIR_STEPS", 1)
    events: list[TrainProgress] = []
    config = TrainConfig(**{**SMALL, "hidden": (256,), "epochs": 1, "batch_size": 2})
    train(_pairs(), None, config, on_progress=events.append)
    assert [e.batch for e in events if e.stage == "batch"] == [64, 80]


def test_switching_to_xla_between_epochs_keeps_training(monkeypatch):
    import siamese_core.training as training

    pairs = _pairs()
    plain = train(pairs, None, TrainConfig(**{**SMALL, "epochs": 4}))
    monkeypatch.setattr(training, "XLA_MIN_PAIR_STEPS", 3 * pairs.n_pairs)  # XLA from epoch 2 of 4
    switched = train(pairs, None, TrainConfig(**{**SMALL, "epochs": 4}))
    events: list[TrainProgress] = []
    train(pairs, None, TrainConfig(**{**SMALL, "epochs": 4, "batch_size": 1}), on_progress=events.append)
    # 160 steps an epoch: calls of 32 steps without XLA (epoch 1), then of 64 with it (epochs 2 to 4)
    assert [(e.epoch, e.batch) for e in events if e.stage == "batch"] == [
        *((1, steps) for steps in (32, 64, 96, 128, 160)),
        *((epoch, steps) for epoch in (2, 3, 4) for steps in (64, 128, 160)),
    ]
    # The same steps, compiled two ways: the first epoch is identical, later ones agree closely.
    assert switched.history["loss"][0] == plain.history["loss"][0]
    np.testing.assert_allclose(switched.history["loss"], plain.history["loss"], rtol=1e-3)
    assert switched.history["loss"][-1] < switched.history["loss"][0]


@pytest.mark.parametrize("xla", [False, True])
def test_training_steps_are_keras_adam_steps(monkeypatch, xla):
    """Five full-batch steps of `train` (with and without XLA) move the weights and Adam's slots as
    Keras' own `Adam.apply_gradients` does, run eagerly on the same model from the same start: a step is
    the contrastive loss of both sides encoded by the shared encoder, and the optimizer's update."""
    import keras
    import tensorflow as tf

    import siamese_core.training as training
    from siamese_core.losses import contrastive_loss_per_pair
    from siamese_core.model import DISTANCE_NAME, encoder_of, scaling_statistics

    pairs = _pairs()
    config = TrainConfig(**{**SMALL, "batch_size": pairs.n_pairs, "learning_rate": 0.01}, seed=3)
    if xla:
        monkeypatch.setattr(training, "XLA_MIN_PAIR_STEPS", 1)  # every epoch compiled with XLA
    ours = train(pairs, None, config, steps=5).model
    keras.utils.set_random_seed(3)  # as `train` does, then the same scaling and model
    mean, variance, _ = scaling_statistics([pairs.left, pairs.right], config.scaling, pairs.feature_names)
    reference = training.build_compiled_model(pairs.n_features, config, mean, variance)
    before = reference.get_weights()
    encoder, distance = encoder_of(reference), reference.get_layer(DISTANCE_NAME)
    for _ in range(5):  # each step sees every pair (their order within the batch does not matter)
        with tf.GradientTape() as tape:
            embeddings = encoder(np.concatenate([pairs.left, pairs.right]), training=True)
            distances = distance([embeddings[: pairs.n_pairs], embeddings[pairs.n_pairs :]])
            loss = tf.reduce_mean(contrastive_loss_per_pair(pairs.labels, distances, config.margin))
        gradients = tape.gradient(loss, encoder.trainable_variables)
        reference.optimizer.apply_gradients(zip(gradients, encoder.trainable_variables, strict=True))

    assert int(ours.optimizer.iterations.numpy()) == int(reference.optimizer.iterations.numpy()) == 5
    # The embedding layer's bias cancels in the distance (a - b), so its gradient is rounding noise that
    # Adam amplifies differently in any two orders of summation: it is left out. Everything else agrees.
    names = [variable.path for variable in ours.weights]
    assert names[-1] == "encoder/embedding/bias"
    compared = zip(
        names[:-1], before[:-1], ours.get_weights()[:-1], reference.get_weights()[:-1], strict=True
    )
    for name, start, trained, theirs in compared:
        assert np.abs(trained - start).max() > 1e-3, name  # trained
        np.testing.assert_allclose(trained, theirs, rtol=1e-3, atol=1e-5, err_msg=name)  # steps move ~1e-2
    slots = zip(ours.optimizer.variables, reference.optimizer.variables, strict=True)
    for slot, theirs in slots:
        if "embedding_bias" in slot.path:
            continue
        theirs = np.asarray(theirs)  # moments near zero: compared at the scale of their variable
        np.testing.assert_allclose(
            np.asarray(slot), theirs, rtol=1e-3, atol=1e-3 * np.abs(theirs).max(), err_msg=slot.path
        )


def test_an_error_in_the_progress_callback_leaves_no_gathering_thread():
    import threading

    def broken(progress):
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed") as caught:
        train(_pairs(), None, TrainConfig(**{**SMALL, "batch_size": 2}), on_progress=broken)
    assert caught.value is not None  # the traceback is still alive, as a dashboard keeps it
    assert [t.name for t in threading.enumerate() if t.name.startswith("siamese-batches")] == []


def test_training_many_times_in_one_process_does_not_warn_about_retracing():
    """TensorFlow warns when one Python function is traced again and again; each run traces its own
    loop once, so a dashboard or a sweep that trains many times must not see that warning. TensorFlow
    warns at most twice per function in a process, so this runs in a fresh one, where the trainings of
    earlier tests cannot have used the warnings up already."""
    import subprocess
    import sys
    from pathlib import Path

    script = """
import logging
import numpy as np
from siamese_core.training import TrainConfig, train
from tests.test_training import SMALL, _pairs

messages = []
handler = logging.Handler()
handler.emit = lambda record: messages.append(record.getMessage())
logging.getLogger("tensorflow").addHandler(handler)
pairs = _pairs(n=64)
for seed in range(7):
    train(pairs, pairs.subset(np.arange(16)), TrainConfig(**{**SMALL, "epochs": 1, "seed": seed}))
print("retracing warnings:", sum("retracing" in message for message in messages))
"""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "retracing warnings: 0"
    assert "retracing" not in done.stderr


def test_steps_run_exactly_that_many_steps_and_keep_the_last_weights():
    """160 pairs at batch 32: 5 steps per epoch, so 12 steps are epochs of 5, 5 and 2."""
    pairs = _pairs()
    events: list[TrainProgress] = []
    result = train(pairs, None, TrainConfig(**{**SMALL, "epochs": 40}), on_progress=events.append, steps=12)
    assert result.steps_run == 12 and result.steps_per_epoch == 5
    assert int(result.model.optimizer.iterations.numpy()) == 12
    assert result.epochs_run == result.best_epoch == 3 and result.config.epochs == 3
    assert [(e.epoch, e.batch) for e in events if e.stage == "batch"] == [(1, 5), (2, 5), (3, 2)]
    with pytest.raises(TrainingError, match=r"steps must be a whole number >= 1\. Received: steps=0"):
        train(pairs, None, TrainConfig(**SMALL), steps=0)


def test_early_stopping_keeps_the_epoch_of_the_best_validation_auc():
    """The kept epoch is the one whose validation AUC is highest (ties: lowest validation loss)."""
    pairs = _pairs()
    validation = _pairs(n=60, seed=3)
    validation.labels[:12] = 1 - validation.labels[:12]  # 12 wrong labels: no epoch can rank perfectly
    result = train(pairs, validation, TrainConfig(**{**SMALL, "epochs": 6, "early_stopping_patience": 0}))
    aucs, losses = result.history["val_auc"], result.history["val_loss"]
    assert len(aucs) == len(losses) == 6 and max(aucs) < 1
    best = min(range(6), key=lambda epoch: (1 - aucs[epoch], losses[epoch]))
    assert result.best_epoch == best + 1
    distances = predict_distances(result.model, validation.left, validation.right)
    assert roc_auc(distances, validation.labels) == pytest.approx(aucs[best], abs=1e-6)


@pytest.mark.parametrize(("epochs", "stopped_early"), [(2, False), (3, True)])
def test_stopped_early_only_when_patience_cut_the_run_short(epochs, stopped_early):
    """Validation pairs of a sample with itself: every distance 0, so the AUC (0.5, all tied) and the loss
    never improve after epoch 1, and a patience of 1 runs out at epoch 2: the last epoch of 2 (training
    ended anyway) or short of 3."""
    pairs = _pairs()
    same = PairSet(
        left=pairs.left[:40], right=pairs.left[:40], labels=pairs.labels[:40], feature_names=FEATURES
    )
    config = TrainConfig(**{**SMALL, "epochs": epochs, "early_stopping_patience": 1})
    result = train(pairs, same, config)
    assert result.history["val_auc"] == [0.5, 0.5]
    assert (result.epochs_run, result.best_epoch, result.stopped_early) == (2, 1, stopped_early)


@pytest.mark.parametrize("n_pairs", [16, 24, 13, 5, 1])
def test_distances_and_embeddings_match_a_numpy_forward_pass_of_the_saved_weights(model_file, n_pairs):
    """Batches of 8: 16 and 24 pairs fill whole batches; 13 end on a batch of 5 and 5 are one batch of 5,
    each padded to 8 rows; 1 is padded to 8. Every row must be its own pair's result (not a padding
    row's), as the float64 NumPy forward pass of the saved weights computes it."""
    from siamese_core.bundle import load_model
    from siamese_core.inference import embed

    model = load_model(model_file).model
    features, _ = clustered_samples(seed=3)
    left, right = features[:n_pairs], features[-n_pairs:]
    expected = numpy_distances(model, left, right)
    assert expected.min() > 0.1  # a padding row's distance (zeros against zeros) would be 1e-6
    np.testing.assert_allclose(predict_distances(model, left, right, batch_size=8), expected, rtol=1e-5)
    np.testing.assert_allclose(predict_distances(model, left, right), expected, rtol=1e-5)
    np.testing.assert_allclose(
        embed(model, left, batch_size=8), numpy_embeddings(model, left), rtol=1e-5, atol=1e-5
    )
