"""BYOL: the loss against numpy, the stop-gradient, the EMA target moving in training,
collapse caught when the predictor and stop-gradient are ablated, and BYOL and
Barlow Twins learning on TensorFlow, JAX and PyTorch (one process per backend)."""

import inspect
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from ssl_domains.recipes.byol import BYOL, BYOLConfig
from test_simclr import encoder, gratings

from ssl_domains.objectives.losses.negative_cosine import symmetrised_negative_cosine


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_the_loss_is_two_minus_two_cosine_summed_over_both_view_orders():
    rng = np.random.default_rng(0)
    p1, p2, z1, z2 = (rng.normal(size=(6, 5)).astype("float32") for _ in range(4))
    expected = np.mean(2 - 2 * np.sum(unit(p1) * unit(z2), 1)) + np.mean(
        2 - 2 * np.sum(unit(p2) * unit(z1), 1)
    )
    got = float(symmetrised_negative_cosine(p1, p2, z1, z2))
    assert got == pytest.approx(expected, rel=1e-5)
    assert float(symmetrised_negative_cosine(z2, z1, z1, z2)) == pytest.approx(0, abs=1e-5)
    assert float(symmetrised_negative_cosine(-z2, -z1, z1, z2)) == pytest.approx(8, rel=1e-5)


@pytest.mark.parametrize("stop", [True, False])
def test_the_stop_gradient_keeps_every_gradient_from_the_target(stop):
    rng = np.random.default_rng(1)
    p1, p2, z1, z2 = (tf.Variable(rng.normal(size=(4, 3)).astype("float32")) for _ in range(4))
    with tf.GradientTape() as tape:
        loss = symmetrised_negative_cosine(p1, p2, z1, z2, stop_gradient=stop)
    grads = tape.gradient(loss, [p1, p2, z1, z2], unconnected_gradients="zero")
    assert all(np.abs(g.numpy()).sum() > 0 for g in grads[:2])
    assert all((np.abs(g.numpy()).sum() == 0) == stop for g in grads[2:])


def fit(config: BYOLConfig, steps: int, seed: int = 0, learning_rate: float = 1e-3):
    """A short run at 32 pixels, batch 16; the collapse warnings it printed."""
    keras.utils.set_random_seed(seed)
    recipe, enc = BYOL(config), encoder()
    model = recipe.build_model(enc)
    (monitor,) = recipe.callbacks(model, steps)
    warnings = []
    monitor.say = warnings.append
    monitor.every = 5
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate))
    records = tf.data.Dataset.from_tensor_slices(gratings(128))
    batches = recipe.batches(records, enc, 16, training=True)
    history = model.fit(batches, steps_per_epoch=steps, callbacks=[monitor], verbose=0)
    return model, warnings, history.history


def test_a_training_step_moves_the_target_and_evaluation_does_not():
    model, _, _ = fit(BYOLConfig(), steps=1)
    target_backbone, target_projection = model.teacher.networks
    assert float(ops.convert_to_numpy(model.teacher.step)) == 1.0
    online = [ops.convert_to_numpy(w) for w in model.projection.weights]
    target = [ops.convert_to_numpy(w) for w in target_projection.weights]
    # The online head moved by a full optimizer step, the target by 1 - m of the way.
    assert any(not np.array_equal(a, b) for a, b in zip(online, target, strict=True))
    assert not target_projection.trainable_weights and not target_backbone.trainable_weights
    images = gratings(16, seed=2)[:, :32, :32].astype("float32") / 255
    model.evaluate(images, verbose=0)
    assert float(ops.convert_to_numpy(model.teacher.step)) == 1.0
    # (The target normalises with batch statistics, so its moving ones are unused.)
    again = [ops.convert_to_numpy(w) for w in target_projection.weights]
    paths = [w.path for w in target_projection.weights]
    kept = [a is b or np.array_equal(a, b) for a, b in zip(target, again, strict=True)]
    assert all(same for same, path in zip(kept, paths, strict=True) if "moving" not in path)


def test_without_predictor_and_stop_gradient_the_run_collapses_and_warns():
    """SimSiam's ablation (no stop-gradient, here no predictor either) maps every image
    to one vector within tens of steps; the default configuration does not, over the
    same steps and data."""
    broken = BYOLConfig(predictor=False, stop_gradient=False)
    _, warnings, history = fit(broken, steps=20, learning_rate=3e-3)
    for line in warnings:
        print("collapse warning:", line)
    assert len(warnings) == 1 and warnings[0].startswith("collapse at step ")
    assert "embedding_std" in warnings[0]
    _, warnings, history = fit(BYOLConfig(), steps=20, learning_rate=3e-3)
    assert warnings == [], warnings
    assert min(history["embedding_std"]) > 0.2 / np.sqrt(BYOLConfig.projection_dim)


def test_evaluate_compares_with_mismatched_images_and_a_spread_embedding():
    recipe, enc = BYOL(), encoder()
    model = recipe.build_model(enc)
    model.compile(optimizer="adam")
    records = tf.data.Dataset.from_tensor_slices(gratings(20, seed=1))
    scores = recipe.evaluate(model, recipe.batches(records, enc, 8, training=False), enc)
    for label, (metric, baseline) in recipe.comparisons.items():
        assert np.isfinite(scores[metric]) and np.isfinite(scores[baseline]), label
    assert scores["spread_std"] == pytest.approx(1 / np.sqrt(128))
    assert abs(scores["byol_loss"] - scores["mismatched_loss"]) < 0.1  # untrained; seen <= 0.014


LEARN = """
import keras, tensorflow as tf
from ssl_domains.image.pixels import fresh_converter
from ssl_domains.presets.encoder import Encoder
from ssl_domains.recipes.barlow_twins import BarlowTwins
from ssl_domains.recipes.byol import BYOL

records = tf.data.Dataset.from_tensor_slices(gratings(128))
for recipe in (BYOL(), BarlowTwins()):
    keras.utils.set_random_seed(0)
    backbone = recipe.build_backbone('resnet-nano', image_size=32)
    info = {'image_size': 32, 'channels': 3}
    encoder = Encoder(backbone, converter=fresh_converter(32), sequence_length=0, info=info)
    model = recipe.build_model(encoder)
    callbacks = recipe.callbacks(model, 24)
    model.compile(optimizer=keras.optimizers.AdamW(recipe.default_learning_rate(backbone)))
    batches = recipe.batches(records, encoder, 16, training=True, seed=0)
    history = model.fit(batches, steps_per_epoch=8, epochs=3, callbacks=callbacks, verbose=0)
    losses = history.history['loss']
    print(recipe.name, 'losses', losses)
    assert all(np.isfinite(losses)) and losses[-1] < 0.9 * losses[0], losses
print('ok')
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_byol_and_barlow_twins_learn_on_every_backend(backend):
    code = "import numpy as np\n" + inspect.getsource(gratings) + LEARN
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    print(done.stdout)
    assert done.returncode == 0 and "ok" in done.stdout, done.stdout[-2000:] + done.stderr[-3000:]


def test_the_two_views_have_byols_odds_and_survive_the_models_config():
    from ssl_domains.recipes.byol_model import BYOLModel

    def odds(view):
        names = {type(layer).__name__: layer for layer in view.layers}
        rate = names["RandomSolarization"].rate if "RandomSolarization" in names else 0.0
        return names["RandomGaussianBlur"].factor, rate

    model = BYOL(BYOLConfig()).build_model(encoder())
    assert (odds(model.views), odds(model.second_views)) == (((1.0, 1.0), 0.0), ((0.1, 0.1), 0.2))
    again = BYOLModel.from_config(model.get_config())
    assert odds(again.second_views) == ((0.1, 0.1), 0.2)
    alike = BYOL(BYOLConfig(asymmetric_views=False)).build_model(encoder())
    assert alike.second_views is None
