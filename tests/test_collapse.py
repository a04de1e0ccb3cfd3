"""Collapse monitoring: SimSiam's spread of normalised embeddings, and the one-line
warning when a logged sign of collapse falls under its bound."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from ssl_domains.objectives.collapse import (
    CollapseMonitor,
    CollapseSign,
    collapsed_embeddings,
    embedding_std,
)


def test_spread_embeddings_score_near_one_over_sqrt_d_and_a_point_scores_zero():
    rng = np.random.default_rng(0)
    spread = rng.normal(size=(4096, 64)).astype("float32")
    assert float(embedding_std(spread)) == pytest.approx(1 / math.sqrt(64), rel=0.02)
    point = np.tile(rng.normal(size=(1, 64)), (256, 1)).astype("float32")
    point += 1e-4 * rng.normal(size=point.shape).astype("float32")
    assert float(embedding_std(point)) < 1e-3
    # Scale does not matter: the embeddings are normalised first.
    assert float(embedding_std(100 * spread)) == pytest.approx(float(embedding_std(spread)))


class Replay(keras.Model):
    """Logs a scripted `embedding_std` per step, as a recipe's tracker would."""

    def __init__(self, values):
        super().__init__()
        self.values = ops.convert_to_tensor(np.asarray(values, "float32"))
        self.dense = keras.layers.Dense(1)
        self.tracker = keras.metrics.Mean(name="embedding_std")
        self.seen = keras.Variable(0, dtype="int32", trainable=False)

    def call(self, x):
        return self.dense(x)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        self.tracker.update_state(ops.take(self.values, self.seen))
        self.seen.assign(self.seen + 1)
        return ops.mean(y_pred**2)


def fit(values, every=5):
    lines = []
    sign = collapsed_embeddings(16)
    model = Replay(values)
    model.compile(optimizer="sgd")
    monitor = CollapseMonitor([sign], every=every, say=lines.append)
    model.fit(np.ones((len(values), 3), "float32"), batch_size=1, verbose=0, callbacks=[monitor])
    return lines, sign


def test_the_warning_comes_once_from_the_window_that_collapsed():
    healthy, collapsed = 1 / math.sqrt(16), 0.001
    lines, sign = fit([healthy] * 20 + [collapsed] * 20)
    # A running mean since the epoch began would stay above the bound until step ~36;
    # the window mean crosses it at the first check after the collapse.
    assert len(lines) == 1 and lines[0].startswith("collapse at step 25: embedding_std 0.001")
    assert "\n" not in lines[0] and sign.meaning in lines[0]
    print(lines[0])


def test_a_healthy_run_and_an_unlogged_sign_say_nothing():
    assert fit([1 / math.sqrt(16)] * 30)[0] == []
    monitor = CollapseMonitor([CollapseSign("teacher_student_kl", 1e-3, "x")], say=print)
    model = Replay([0.0] * 10)
    model.compile(optimizer="sgd")
    model.fit(np.ones((10, 3), "float32"), batch_size=1, verbose=0, callbacks=[monitor])
    assert monitor.warned == set()
