"""The EMA teacher: after one training step, teacher = m * teacher + (1 - m) * student
on TensorFlow, JAX and PyTorch, with m on the cosine schedule; checkpoints carry it."""

import os
import subprocess
import sys

import numpy as np
import pytest
from keras import ops

from ssl_domains.objectives.ema_teacher import cosine_momentum

STEP = """
import keras, numpy as np
from keras import ops
from ssl_domains.objectives.ema_teacher import EMATeacher

class Student(keras.Model):
    def __init__(self, batch_statistics=False):
        super().__init__()
        self.body = keras.Sequential([keras.layers.Dense(8), keras.layers.BatchNormalization(),
                                      keras.layers.Dense(3)])
        self.body.build((None, 5))
        self.teacher = EMATeacher([self.body], batch_statistics=batch_statistics)

    def call(self, x, training=False):
        return self.body(x, training=training), self.teacher(x)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if training:
            self.teacher.update([self.body])
        student, target = y_pred
        return ops.mean((student - ops.stop_gradient(target) - 1.0) ** 2)

keras.utils.set_random_seed(0)
model = Student()
model.compile(optimizer=keras.optimizers.SGD(0.5))
x = np.random.default_rng(0).normal(size=(16, 5)).astype('float32')
# A teacher fresh from its student trains (on JAX, copies that shared the student's
# buffers would be donated twice by the compiled step).
fresh = Student()
fresh.compile(optimizer='sgd')
fresh.fit(x, batch_size=16, epochs=1, verbose=0)
# With batch statistics the teacher's BatchNorm normalises each batch: its outputs
# have zero mean over the batch, and none of its weights train.
batchwise = Student(batch_statistics=True)
assert not batchwise.teacher.trainable_weights
norm = batchwise.teacher.networks[0].layers[1]
hidden = batchwise.teacher.networks[0].layers[0](x)
centred = ops.convert_to_numpy(ops.mean(norm(hidden, training=True), 0))
np.testing.assert_allclose(centred, 0, atol=1e-5)
batchwise.compile(optimizer='sgd')
batchwise.fit(x, batch_size=16, epochs=1, verbose=0)
assert len(batchwise.trainable_weights) == len(fresh.trainable_weights)
before = [ops.convert_to_numpy(w).copy() for w in model.body.weights]
# The teacher starts as an exact copy, but must not be the same variables.
teacher = [ops.convert_to_numpy(w).copy() for w in model.teacher.networks[0].weights]
assert all(np.array_equal(a, b) for a, b in zip(before, teacher))
for w in model.teacher.networks[0].weights:  # move it off the student, to tell them apart
    w.assign(ops.convert_to_numpy(w) + 0.25)
teacher = [ops.convert_to_numpy(w).copy() for w in model.teacher.networks[0].weights]
model.teacher.set_total_steps(10)
model.fit(x, batch_size=16, epochs=1, verbose=0)
m = 0.996
after = [ops.convert_to_numpy(w) for w in model.teacher.networks[0].weights]
student = [ops.convert_to_numpy(w) for w in model.body.weights]
trainable = [w.trainable for w in model.body.weights]
# Weights as they were before the optimizer moved them; BatchNorm's moving statistics
# as the step's forward pass left them (no optimizer moves those).
for t0, s0, s1, t1, grad in zip(teacher, before, student, after, trainable):
    np.testing.assert_allclose(t1, m * t0 + (1 - m) * (s0 if grad else s1), rtol=1e-6, atol=1e-6)
assert any(not np.allclose(a, b) for a, b in zip(before, student))  # the student trained
assert not model.teacher.networks[0].trainable_weights
assert float(ops.convert_to_numpy(model.teacher.step)) == 1.0
# Evaluation leaves the teacher alone.
model.evaluate(x, verbose=0)
assert all(np.array_equal(a, ops.convert_to_numpy(b))
           for a, b in zip(after, model.teacher.networks[0].weights))
# A checkpoint carries the teacher and its step.
model.save_weights('ema.weights.h5')
again = Student()
again(x)
again.load_weights('ema.weights.h5')
for a, b in zip(after, again.teacher.networks[0].weights):
    np.testing.assert_array_equal(a, ops.convert_to_numpy(b))
assert float(ops.convert_to_numpy(again.teacher.step)) == 1.0
assert float(ops.convert_to_numpy(again.teacher.total_steps)) == 10.0
print('ok')
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_one_step_moves_the_teacher_by_the_momentum(backend, tmp_path):
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, "-c", STEP],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0 and "ok" in done.stdout, done.stdout[-2000:] + done.stderr[-3000:]


def test_the_momentum_rises_from_base_to_one_on_a_cosine():
    steps = np.array([0.0, 250.0, 500.0, 1000.0, 2000.0], dtype="float32")
    momentum = ops.convert_to_numpy(cosine_momentum(steps, 1000.0))
    expected = 1 - 0.004 * (np.cos(np.pi * np.minimum(steps / 1000, 1)) + 1) / 2
    np.testing.assert_allclose(momentum, expected, rtol=1e-6)
    assert momentum[0] == pytest.approx(0.996) and momentum[-1] == pytest.approx(1.0)
    assert np.all(np.diff(momentum) >= 0)


def test_copied_statistics_are_the_students_while_weights_are_averaged():
    import keras

    from ssl_domains.objectives.ema_teacher import EMATeacher

    student = keras.Sequential([keras.layers.Dense(4), keras.layers.BatchNormalization()])
    student.build((None, 3))
    teacher = EMATeacher([student], base_momentum=0.5, copy_statistics=True)
    for weight in student.weights:
        weight.assign(ops.convert_to_numpy(weight) + 1.0)
    old = [ops.convert_to_numpy(w).copy() for w in teacher.networks[0].weights]
    teacher.update([student])
    for w, s, t0 in zip(teacher.networks[0].weights, student.weights, old, strict=True):
        s = ops.convert_to_numpy(s)
        expected = s if "moving" in w.path else 0.5 * t0 + 0.5 * s
        np.testing.assert_allclose(ops.convert_to_numpy(w), expected, rtol=1e-6)
