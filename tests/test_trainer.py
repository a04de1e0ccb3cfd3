"""The trainer: schedule, checkpoints, exact resume and the NaN guard (in-process)."""

import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from rich.console import Console

from ssl_domains.config import TrainSection
from ssl_domains.errors import TrainingDiverged
from ssl_domains.training.run_directory import RunDirectory
from ssl_domains.training.trainer import Trainer


def regression(n=64, nan_after=None):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], "float32"))[:, None]
    if nan_after is not None:
        y[nan_after * 8 :] = np.nan
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(8)


def model(dropout=0.0):
    keras.utils.set_random_seed(0)
    layers = [keras.layers.Dropout(dropout)] if dropout else []
    return keras.Sequential([keras.Input((4,)), *layers, keras.layers.Dense(1)])


def trainer(tmp_path, **train):
    settings = dict(learning_rate=0.5, warmup_fraction=0.1, checkpoint_every=5, log_every=1)
    return Trainer(
        RunDirectory(tmp_path), TrainSection(**{**settings, **train}), Console(quiet=True)
    )


def test_learning_rate_warms_up_linearly_then_decays():
    t = Trainer(RunDirectory("."), TrainSection(learning_rate=1.0, warmup_fraction=0.1))
    lr = t.schedule(100)
    values = [float(lr(step)) for step in (0, 5, 10, 55, 100)]
    assert values[0] == 0.0 and values[1] == pytest.approx(0.5) and values[2] == pytest.approx(1.0)
    assert 0.1 < values[3] < 1.0 and values[4] == pytest.approx(0.1)


def test_fit_reaches_the_step_count_checkpoints_and_lowers_the_loss(tmp_path):
    t = trainer(tmp_path)
    result = t.fit(model(), regression(), None, 43, {"loss": "mse"}, progress=False)
    assert result.step == 43
    assert t.run.checkpoint_steps() == [35, 40, 43]  # the newest three are kept
    losses = [m["loss"] for m in t.run.read_metrics() if "loss" in m]
    assert np.mean(losses[-8:]) < np.mean(losses[:8]) / 10


@pytest.mark.parametrize("stop_at", [10, 7])  # on a checkpoint interval, and within one
def test_resume_continues_from_last_step_with_optimizer_data_and_random_state(tmp_path, stop_at):
    def data():  # each process builds its pipeline anew: 7 batches a pass, reshuffled
        return regression(n=56).shuffle(7, seed=1)

    validation = regression(n=16)
    straight = trainer(tmp_path / "a")
    m1 = model(dropout=0.3)
    straight.fit(m1, data(), validation, 20, {"loss": "mse"}, progress=False)

    interrupted = trainer(tmp_path / "b", stop_at=stop_at)
    interrupted.fit(model(dropout=0.3), data(), validation, 20, {"loss": "mse"}, progress=False)
    assert interrupted.run.checkpoint_steps()[-1] == stop_at
    resumed = trainer(tmp_path / "b")
    m2 = model(dropout=0.3)
    result = resumed.fit(m2, data(), validation, 20, {"loss": "mse"}, resume=True, progress=False)
    assert result.resumed_from == stop_at and result.step == 20
    assert int(m2.optimizer.iterations) == 20
    steps = [m["step"] for m in resumed.run.read_metrics() if "loss" in m]
    assert steps == list(range(1, 21))
    assert tensorboard_steps(resumed.run.logs / "train", "loss") == list(range(1, 21))
    # Validation and checkpoints on the uninterrupted fit's steps, whatever the cut.
    validated = [m["step"] for m in resumed.run.read_metrics() if "val_loss" in m]
    assert [s for s in validated if s % 5 == 0] == [5, 10, 15, 20]
    assert resumed.run.checkpoint_steps() == [10, 15, 20]
    # Same batches and dropout masks in the same order, and Adam's moments came back:
    # the same weights.
    for a, b in zip(m1.get_weights(), m2.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def tensorboard_steps(directory, tag):
    """The steps TensorBoard shows for `tag` (it drops a killed process's later events)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(directory), size_guidance={"tensors": 0})
    events.Reload()
    return [event.step for event in events.Tensors(tag)]


def test_nan_guard_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    t = trainer(tmp_path, checkpoint_every=2)
    with pytest.raises(TrainingDiverged, match=r"NaN/inf at step 5; last good checkpoint: step 4"):
        t.fit(model(), regression(nan_after=4), None, 20, {"loss": "mse"}, progress=False)
    assert t.run.checkpoint_steps() == [2, 4]


def test_layerwise_learning_rates_scale_each_variables_update(tmp_path):
    from ssl_domains.training.trainer import LayerwiseAdamW

    keras.utils.set_random_seed(0)
    net = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="low"), keras.layers.Dense(1, name="high")]
    )
    before = [np.array(w) for w in net.get_weights()]
    multipliers = {v.path: 0.0 for v in net.get_layer("low").weights}
    net.compile(LayerwiseAdamW(multipliers, learning_rate=0.1, weight_decay=0.0), "mse")
    net.fit(regression(), epochs=1, verbose=0)
    after = net.get_weights()
    np.testing.assert_array_equal(before[0], after[0])  # frozen by a zero multiplier
    assert not np.allclose(before[2], after[2])


def test_a_fresh_head_warms_up_alone_and_the_encoder_is_left_exactly_as_it_was(tmp_path):
    keras.utils.set_random_seed(0)
    encoder = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(8)])
    encoder.layers[1].trainable = False  # a layer the recipe froze on purpose stays frozen
    full = keras.Sequential([encoder, keras.layers.Dense(1)])
    before = [w.copy() for w in encoder.get_weights()]
    head_before = full.layers[-1].get_weights()[0].copy()

    losses = trainer(tmp_path).warm_up_head(
        full, encoder, regression(), steps=30, learning_rate=0.05, compile_args={"loss": "mse"}
    )

    for old, new in zip(before, encoder.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert not np.allclose(head_before, full.layers[-1].get_weights()[0])
    assert losses["last"] < 0.5 * losses["first"]
    assert encoder.trainable and encoder.layers[0].trainable and not encoder.layers[1].trainable


def no_gradient(y, y_pred):
    return 0.0 * keras.ops.sum(y_pred)


def test_optimizer_args_reach_adamw_and_named_variables_skip_weight_decay(tmp_path):
    """With zero gradients only weight decay moves a weight: the kernel shrinks, the
    bias named in `exclude_from_weight_decay` stays where it was."""
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, bias_initializer="ones")])
    t = trainer(tmp_path, learning_rate=0.1, weight_decay=0.5, warmup_fraction=0.0)
    kernel = keras.ops.convert_to_numpy(net.layers[0].kernel).copy()
    args = {"beta_2": 0.95, "exclude_from_weight_decay": ["bias"]}
    t.fit(net, regression(), None, 5, {"loss": no_gradient}, progress=False, optimizer_args=args)
    assert float(net.optimizer.beta_2) == pytest.approx(0.95)
    after = keras.ops.convert_to_numpy(net.layers[0].kernel)
    assert np.all(np.abs(after) < np.abs(kernel))
    assert keras.ops.convert_to_numpy(net.layers[0].bias) == pytest.approx([1.0])


def test_accumulating_n_batches_is_one_step_on_an_n_times_larger_batch(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], "float32") + rng.normal(size=96))[:, None]
    data = tf.data.Dataset.from_tensor_slices((x, y.astype("float32")))
    settings = dict(learning_rate=0.1, weight_decay=0.01, clip_norm=1.0, checkpoint_every=2)
    small = trainer(tmp_path / "small", accumulate=4, **settings)
    accumulated = model()
    result = small.fit(accumulated, data.batch(8), None, 3, {"loss": "mse"}, progress=False)
    large = trainer(tmp_path / "large", **settings)
    plain = model()
    large.fit(plain, data.batch(32), None, 3, {"loss": "mse"}, progress=False)
    for a, b in zip(accumulated.weights, plain.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    # Steps count optimizer steps, not batches: logs, checkpoints and the result.
    assert result.step == 3 and int(accumulated.optimizer.iterations.numpy()) == 3
    assert small.run.checkpoint_steps() == [2, 3]
    assert [m["step"] for m in small.run.read_metrics() if "loss" in m] == [1, 2, 3]
    assert abs(plain.weights[0].numpy()).sum() > 0.1  # it did train


COSINE_DECAY = """
import numpy as np, keras
from ssl_domains.training.trainer import CosineDecayAdamW
net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, use_bias=False)])
net.compile(CosineDecayAdamW(0.4, 4, learning_rate=0.1, weight_decay=0.04),
            loss=lambda y, p: 0.0 * keras.ops.sum(p))  # no gradient: only decay moves it
x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
shrink = []
for _ in range(5):  # through fit: JAX's compiled step reads the schedule statelessly
    before = keras.ops.convert_to_numpy(net.weights[0])[0, 0]
    net.fit(x, y, batch_size=8, epochs=1, verbose=0)
    shrink.append((before - keras.ops.convert_to_numpy(net.weights[0])[0, 0]) / before / 0.1)
print("decay", " ".join(f"{x:.5f}" for x in shrink))
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_weight_decay_follows_its_cosine_from_start_to_final_on_every_backend(backend):
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, "-c", COSINE_DECAY], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = [float(x) for x in done.stdout.split("decay")[-1].split()]
    # wd(step) = 0.4 + (0.04 - 0.4) * (1 + cos(pi * step / 4)) / 2, held at 0.4 after step 4
    expected = [0.4 - 0.18 * (1 + math.cos(math.pi * min(s, 4) / 4)) for s in range(5)]
    np.testing.assert_allclose(seen, expected, atol=1e-4)


def test_a_recipes_final_weight_decay_reaches_the_optimizer(tmp_path):
    from ssl_domains.training.trainer import CosineDecayAdamW

    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    t = trainer(tmp_path, learning_rate=0.1, weight_decay=0.04, warmup_fraction=0.0)
    args = {"final_weight_decay": 0.4}
    t.fit(net, regression(), None, 4, {"loss": no_gradient}, progress=False, optimizer_args=args)
    assert isinstance(net.optimizer, CosineDecayAdamW)
    assert float(keras.ops.convert_to_numpy(net.optimizer.weight_decay)) == pytest.approx(0.4)
    assert net.optimizer.get_config()["weight_decay"] == pytest.approx(0.04)
