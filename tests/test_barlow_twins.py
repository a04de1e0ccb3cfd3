"""Barlow Twins: the loss against numpy, the batch aggregated across replicas with
gradients through this replica's rows, and held-out scores next to their baselines.
Training on each backend is in `tests/test_byol.py` (one process trains both)."""

import numpy as np
import pytest
import tensorflow as tf
from ssl_domains.recipes.barlow_twins import BarlowTwins
from test_simclr import encoder, gratings

from ssl_domains.objectives.collapse import CollapseMonitor
from ssl_domains.objectives.losses.barlow_twins import barlow_twins, cross_correlation


def reference(first, second, lam):
    """Algorithm 1 of the paper, in numpy."""
    z1 = (first - first.mean(0)) / np.sqrt(first.var(0) + 1e-5)
    z2 = (second - second.mean(0)) / np.sqrt(second.var(0) + 1e-5)
    c = z1.T @ z2 / len(first)
    on = ((1 - np.diag(c)) ** 2).sum()
    off = (c**2).sum() - (np.diag(c) ** 2).sum()
    return c, on + lam * off


def test_the_loss_is_invariance_plus_lambda_times_redundancy():
    rng = np.random.default_rng(0)
    first = rng.normal(size=(12, 5)).astype("float32")
    second = (first + 0.5 * rng.normal(size=(12, 5))).astype("float32")
    c, expected = reference(first, second, 0.1)
    np.testing.assert_allclose(cross_correlation(first, second), c, rtol=1e-4, atol=1e-5)
    assert float(barlow_twins(first, second, 0.1)) == pytest.approx(expected, rel=1e-4)
    # Decorrelated dimensions that agree across the views: C is the identity.
    orthogonal = np.linalg.qr(rng.normal(size=(12, 4)))[0] * np.sqrt(12)
    orthogonal -= orthogonal.mean(0)
    assert float(barlow_twins(orthogonal, orthogonal, 1.0)) < 0.5


def test_on_two_replicas_each_takes_the_global_batch_and_grads_its_own_rows():
    rng = np.random.default_rng(1)
    first, second = (rng.normal(size=(8, 3)).astype("float32") for _ in range(2))
    _, expected = reference(first, second, 5e-3)
    for replica in (0, 1):
        rows = slice(4 * replica, 4 * replica + 4)
        own1, own2 = tf.Variable(first[rows]), tf.Variable(second[rows])
        # What `gather_rows` gives under tf.distribute, first view then second: every
        # replica's rows without gradient, and where this replica's start.
        stacked = [tf.constant(first), tf.constant(second)]

        def gather(x, stacked=stacked, replica=replica):
            return stacked.pop(0), 4 * replica

        with tf.GradientTape() as tape:
            loss = barlow_twins(own1 * 1.0, own2 * 1.0, 5e-3, gather=gather)
        assert float(loss) == pytest.approx(expected, rel=1e-4)
        grads = tape.gradient(loss, [own1, own2])
        # The gradient of the global loss through this replica's rows.
        whole1, whole2 = tf.Variable(first), tf.Variable(second)
        with tf.GradientTape() as tape:
            full = barlow_twins(whole1, whole2, 5e-3)
        expected_grads = [g.numpy()[rows] for g in tape.gradient(full, [whole1, whole2])]
        for got, want in zip(grads, expected_grads, strict=True):
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-6)


def test_evaluate_compares_correlations_with_their_baselines_and_callbacks_watch_collapse():
    recipe, enc = BarlowTwins(), encoder()
    model = recipe.build_model(enc)
    model.compile(optimizer="adam")
    records = tf.data.Dataset.from_tensor_slices(gratings(20, seed=1))
    scores = recipe.evaluate(model, recipe.batches(records, enc, 8, training=False), enc)
    for label, (metric, baseline) in recipe.comparisons.items():
        assert np.isfinite(scores[metric]) and np.isfinite(scores[baseline]), label
    # Batches of 8, 8 and 4 images, weighted by images.
    expected = (16 / np.sqrt(8) + 4 / np.sqrt(4)) / 20
    assert scores["chance_off_diagonal"] == pytest.approx(expected)
    assert scores["spread_std"] == pytest.approx(1 / np.sqrt(512))
    (monitor,) = recipe.callbacks(model, 10)
    assert isinstance(monitor, CollapseMonitor)
