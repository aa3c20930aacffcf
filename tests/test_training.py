import numpy as np
import pytest

from siamese_core.errors import ConfigError, DataError, TrainingError
from siamese_core.evaluation import roc_auc
from siamese_core.pairs import PairSet
from siamese_core.training import TrainConfig, TrainProgress, predict_distances, train
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
    ("n_pairs", "epoch", "epochs", "expected"),
    [
        (9_790, 1, 40, False),  # digits: 391,600 pair-steps in all, under 500,000: never
        (100_000, 1, 6, False),  # 600,000 in all, but the first epoch of a small set runs plain
        (100_000, 2, 6, True),  # 5 epochs x 100,000 left = 500,000: compile from here
        (100_000, 3, 6, False),  # (a run only gets here with XLA already on)
        (500_000, 1, 1, True),  # one epoch of a large set repays compiling at once
    ],
)
def test_xla_is_used_when_the_work_left_repays_it(n_pairs, epoch, epochs, expected):
    from siamese_core.training import _xla_pays

    assert _xla_pays(n_pairs, epoch, epochs) is expected


def test_switching_to_xla_between_epochs_keeps_training(monkeypatch):
    import siamese_core.training as training

    pairs = _pairs()
    plain = train(pairs, None, TrainConfig(**{**SMALL, "epochs": 4}))
    monkeypatch.setattr(training, "XLA_MIN_PAIR_STEPS", 3 * pairs.n_pairs)  # XLA from epoch 2 of 4
    used = []
    original = training._Trainer._function

    def spy(self):
        used.append(self.xla)
        return original(self)

    monkeypatch.setattr(training._Trainer, "_function", spy)
    switched = train(pairs, None, TrainConfig(**{**SMALL, "epochs": 4}))
    assert used == [False, True, True, True]  # one call of 5 steps per epoch
    events: list[TrainProgress] = []
    train(pairs, None, TrainConfig(**{**SMALL, "epochs": 4, "batch_size": 1}), on_progress=events.append)
    # 160 steps an epoch: calls of 32 steps without XLA, then of 64 with it
    assert [(e.epoch, e.batch) for e in events if e.stage == "batch" and e.epoch <= 2] == [
        *((1, steps) for steps in (32, 64, 96, 128, 160)),
        *((2, steps) for steps in (64, 128, 160)),
    ]
    # The same steps, compiled two ways: the first epoch is identical, later ones agree closely.
    assert switched.history["loss"][0] == plain.history["loss"][0]
    np.testing.assert_allclose(switched.history["loss"], plain.history["loss"], rtol=1e-3)
    assert switched.history["loss"][-1] < switched.history["loss"][0]


def _keras_adam_reference(model, pairs, order, margin):
    """The same steps as `_Trainer`, with Keras' own `Adam.apply_gradients` (eager)."""
    import tensorflow as tf

    from siamese_core.losses import contrastive_loss_per_pair
    from siamese_core.model import DISTANCE_NAME, encoder_of

    encoder, distance = encoder_of(model), model.get_layer(DISTANCE_NAME)
    for rows in order:
        with tf.GradientTape() as tape:
            embeddings = encoder(np.concatenate([pairs.left[rows], pairs.right[rows]]), training=True)
            distances = distance([embeddings[: len(rows)], embeddings[len(rows) :]])
            loss = tf.reduce_mean(contrastive_loss_per_pair(pairs.labels[rows], distances, margin))
        gradients = tape.gradient(loss, encoder.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, encoder.trainable_variables, strict=True))


@pytest.mark.parametrize("xla", [False, True])
def test_fused_adam_steps_match_keras_adam(xla):
    import keras

    from siamese_core.model import scaling_statistics
    from siamese_core.training import _epoch_order, _Trainer, build_compiled_model

    pairs, config = _pairs(), TrainConfig(**SMALL, learning_rate=0.01)
    mean, variance, _ = scaling_statistics([pairs.left, pairs.right], "per_feature")
    order = _epoch_order(np.random.default_rng(1), pairs.n_pairs, config.batch_size)  # 5 steps of 32
    models = []
    for _ in range(2):
        keras.utils.set_random_seed(3)
        models.append(build_compiled_model(pairs.n_features, config, mean, variance))
    fused, reference = models
    before = fused.get_weights()
    trainer = _Trainer(fused, pairs, config.margin)
    trainer.xla = xla
    assert trainer.fused_adam
    list(trainer.run_blocks([order]))
    _keras_adam_reference(reference, pairs, order, config.margin)

    assert int(fused.optimizer.iterations.numpy()) == int(reference.optimizer.iterations.numpy()) == 5
    # The embedding layer's bias cancels in the distance (a - b), so its gradient is rounding noise that
    # Adam amplifies differently in any two orders of summation: it is left out. Everything else agrees.
    names = [variable.path for variable in fused.weights]
    assert names[-1] == "encoder/embedding/bias"
    compared = zip(
        names[:-1], before[:-1], fused.get_weights()[:-1], reference.get_weights()[:-1], strict=True
    )
    for name, start, ours, theirs in compared:
        assert np.abs(ours - start).max() > 1e-3, name  # trained
        np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-5, err_msg=name)  # steps move ~1e-2
    slots = zip(fused.optimizer.variables, reference.optimizer.variables, strict=True)
    for ours, theirs in slots:
        if "embedding_bias" in ours.path:
            continue
        theirs = np.asarray(theirs)  # moments near zero: compared at the scale of their variable
        np.testing.assert_allclose(
            np.asarray(ours), theirs, rtol=1e-3, atol=1e-3 * np.abs(theirs).max(), err_msg=ours.path
        )


def test_other_optimizers_keep_their_own_update():
    import keras

    from siamese_core.model import scaling_statistics
    from siamese_core.training import _epoch_order, _Trainer, build_compiled_model

    pairs, config = _pairs(), TrainConfig(**SMALL)
    mean, variance, _ = scaling_statistics([pairs.left, pairs.right], "per_feature")
    order = _epoch_order(np.random.default_rng(1), pairs.n_pairs, config.batch_size)
    models = []
    for _ in range(2):
        keras.utils.set_random_seed(3)
        model = build_compiled_model(pairs.n_features, config, mean, variance)
        model.compile(optimizer=keras.optimizers.Adam(0.01, amsgrad=True), loss=model.loss)
        models.append(model)
    trainer = _Trainer(models[0], pairs, config.margin)
    assert not trainer.fused_adam  # AMSGrad is not what ResourceApplyAdam computes
    list(trainer.run_blocks([order]))
    _keras_adam_reference(models[1], pairs, order, config.margin)
    for ours, theirs in zip(models[0].get_weights()[:-1], models[1].get_weights()[:-1], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)  # embedding bias left out, as above


def test_an_error_in_the_progress_callback_leaves_no_gathering_thread():
    import threading

    def broken(progress):
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed") as caught:
        train(_pairs(), None, TrainConfig(**{**SMALL, "batch_size": 2}), on_progress=broken)
    assert caught.value is not None  # the traceback is still alive, as a dashboard keeps it
    assert [t.name for t in threading.enumerate() if t.name.startswith("siamese-batches")] == []


def _rewrites_disabled() -> bool:
    from tensorflow.core.protobuf import config_pb2
    from tensorflow.python.eager import context

    serialized = context.context().function_call_options.config_proto_serialized
    return config_pb2.ConfigProto.FromString(serialized).graph_options.rewrite_options.disable_meta_optimizer


def test_graph_rewrites_are_off_only_inside_and_only_on_this_thread():
    import threading

    from siamese_core.training import _graph_rewrites_off

    assert not _rewrites_disabled()
    seen = []
    with _graph_rewrites_off():
        assert _rewrites_disabled()
        other = threading.Thread(target=lambda: seen.append(_rewrites_disabled()))
        other.start()
        other.join()
        with _graph_rewrites_off(False):  # XLA functions keep the options they had
            assert _rewrites_disabled()
    assert seen == [False]  # another thread never saw the change
    assert not _rewrites_disabled()
    with pytest.raises(RuntimeError, match="inside"), _graph_rewrites_off():
        raise RuntimeError("inside")
    assert not _rewrites_disabled()  # restored after an error too


def test_tensorflow_runs_the_training_loop_without_graph_rewrites(monkeypatch):
    """The options in effect when TensorFlow runs each compiled function: the training loop's have
    Grappler off, the distance function's (validation, the margin check) keep it."""
    from tensorflow.core.protobuf import config_pb2
    from tensorflow.python.eager import context

    seen: dict[bytes, set[bool]] = {}
    original = context.Context.call_function

    def spy(self, name, tensor_inputs, num_outputs):
        config = config_pb2.ConfigProto.FromString(self.function_call_options.config_proto_serialized)
        seen.setdefault(name, set()).add(config.graph_options.rewrite_options.disable_meta_optimizer)
        return original(self, name, tensor_inputs, num_outputs)

    monkeypatch.setattr(context.Context, "call_function", spy)
    pairs = _pairs()
    train(pairs, pairs.subset(np.arange(40)), TrainConfig(**SMALL))
    loops = {value for name, values in seen.items() if b"_steps" in name for value in values}
    distances = {value for name, values in seen.items() if b"distances" in name for value in values}
    assert loops == {True}
    assert distances == {False}


def test_training_without_graph_rewrites_learns_the_same(monkeypatch):
    import contextlib

    import siamese_core.training as training

    pairs = _pairs()
    calls = []
    original = training._graph_rewrites_off

    def spy(off=True):
        calls.append(off)
        return original(off)

    monkeypatch.setattr(training, "_graph_rewrites_off", spy)
    without = train(pairs, pairs.subset(np.arange(40)), TrainConfig(**SMALL, seed=5))
    assert calls and all(calls)  # every training call ran without rewrites (nothing here uses XLA)
    assert not _rewrites_disabled()
    monkeypatch.setattr(training, "_graph_rewrites_off", lambda off=True: contextlib.nullcontext())
    rewritten = train(pairs, pairs.subset(np.arange(40)), TrainConfig(**SMALL, seed=5))
    # Grappler may fuse or reorder float operations, so the two agree to rounding, not bit for bit.
    np.testing.assert_allclose(without.history["loss"], rewritten.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(without.history["val_loss"], rewritten.history["val_loss"], rtol=1e-4)


def test_training_many_times_in_one_process_does_not_warn_about_retracing(caplog, monkeypatch):
    """TensorFlow warns when one Python function is traced again and again; each run traces its own
    loop once, so a dashboard or a sweep that trains many times must not see that warning."""
    import logging

    from tensorflow.python.eager.polymorphic_function import polymorphic_function

    # TensorFlow warns at most twice per function in a process: start from a fresh count, so that the
    # trainings of earlier tests cannot have used the warnings up already.
    fresh = polymorphic_function._FrequentTracingDetectorManager()
    monkeypatch.setattr(polymorphic_function, "_frequent_tracing_detector_manager", fresh)
    pairs = _pairs(n=64)
    with caplog.at_level(logging.WARNING):
        for seed in range(7):
            train(pairs, pairs.subset(np.arange(16)), TrainConfig(**{**SMALL, "epochs": 1, "seed": seed}))
    assert not [record for record in caplog.records if "retracing" in record.getMessage()]


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
    from siamese_core.training import embed

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
