"""An exponential-moving-average teacher: BYOL's target network, DINO's teacher.

The teacher is a copy of the student networks whose weights are never trained by
gradient: after each step they move toward the student's,

    teacher <- m * teacher + (1 - m) * student,

with the momentum `m` following a cosine schedule from `base_momentum` (0.996 in
BYOL and DINO) to 1 over the run (BYOL, Grill et al. 2020, section 3.2; DINO, Caron
et al. 2021, section 3.1; the same schedule as lightly's `cosine_schedule` and
solo-learn's `MomentumUpdater`).

The copy's weights are non-trainable variables of the model, updated with
`keras.ops` inside the training step (`update`, called from `compute_loss`), so one
code path runs on every backend: Keras's JAX trainer returns the non-trainable
variables `compute_loss` assigned, TensorFlow and PyTorch assign in place. The step
counter and the run's length are variables too, so checkpoints carry the teacher
and its place in the schedule, and a resumed run continues both.

Every weight is averaged, BatchNorm's moving statistics included (as timm's
`ModelEmaV2` averages the whole state; lightly and solo-learn average parameters
only). A frozen Keras BatchNorm normalises with its moving statistics; BYOL's target
normalises with the batch's (its code applies the target network in training
mode), which `batch_statistics=True` gives: the copy's BatchNorm layers run in
training mode, their scale and offset still frozen. With moving statistics a
short run's target hardly tells images apart (measured on biomedical-imaging: held-
out BYOL loss equal for matched and mismatched images).
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops


def copy_of(layer: keras.layers.Layer) -> keras.layers.Layer:
    """A new layer of the same config, built to the same shapes, with the same weights."""
    clone = type(layer).from_config(layer.get_config())
    if not clone.built:
        clone.build_from_config(layer.get_build_config())
    if len(clone.weights) != len(layer.weights):
        raise ValueError(f"cannot copy {layer.name}: its config rebuilds other weights")
    for target, source in zip(clone.weights, layer.weights, strict=True):
        # A copy of the values: on JAX an assigned array would share its buffer with
        # the student's, and a compiled step donates each buffer once.
        target.assign(ops.convert_to_numpy(source))
    return clone


def cosine_momentum(step, total_steps, base: float = 0.996, final: float = 1.0):
    """`final - (final - base) * (cos(pi * step / total_steps) + 1) / 2`: `base` at
    step 0, `final` at `total_steps` and after."""
    progress = ops.minimum(step / ops.maximum(total_steps, 1.0), 1.0)
    return final - (final - base) * (ops.cos(math.pi * progress) + 1.0) / 2.0


class EMATeacher(keras.layers.Layer):
    """Frozen copies of student networks, moved toward them after every step.

    Args:
        students: the networks to follow, e.g. `[backbone, projection_head]`; each
            must be built. `networks[i]` is the copy of `students[i]`.
        base_momentum: `m` at the first step (BYOL and DINO: 0.996).
        final_momentum: `m` at the last step (1: the teacher freezes as the run ends).
        batch_statistics: normalise the copies' BatchNorm layers with the batch's
            statistics, as BYOL's target network does, rather than moving ones.
        copy_statistics: take the student's BatchNorm moving statistics as they are
            instead of averaging them at the teacher's slow momentum, which lags far
            behind the data in a short run (DINO's teacher, in inference mode).
        **kwargs: `keras.layers.Layer` arguments (`name`, ...).

    Not serialised on its own: the model that owns it makes it anew from its
    students, and checkpoints restore its weights.

    Call `set_total_steps` before training (a recipe's `callbacks` hook gets the
    run's length), `update(students)` once per training step, and the copies in
    `networks` for the teacher's forward pass.

    Examples:

    ```python
    import keras
    from ssl_domains.objectives.ema_teacher import EMATeacher

    student = keras.layers.Dense(4)
    student.build((None, 8))
    teacher = EMATeacher([student])
    teacher.set_total_steps(1000)
    teacher.update([student])  # inside the training step
    targets = teacher.networks[0](keras.ops.ones((2, 8)))
    ```
    """

    def __init__(
        self,
        students: list[keras.layers.Layer],
        base_momentum: float = 0.996,
        final_momentum: float = 1.0,
        batch_statistics: bool = False,
        copy_statistics: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= base_momentum <= final_momentum <= 1.0:
            raise ValueError(
                "EMA teacher: need 0 <= base_momentum <= final_momentum <= 1, "
                f"not {base_momentum} and {final_momentum}"
            )
        self.base_momentum = base_momentum
        self.final_momentum = final_momentum
        self.batch_statistics = batch_statistics
        self.networks = [copy_of(student) for student in students]
        # Variables taken from the student as they are, not averaged.
        self.copied = set()
        if copy_statistics:
            for network in self.networks:
                for layer in network._flatten_layers():
                    if isinstance(layer, keras.layers.BatchNormalization):
                        self.copied |= {id(layer.moving_mean), id(layer.moving_variance)}
        for network in self.networks:
            network.trainable = False  # its trainable_weights are now empty
            if batch_statistics:
                for layer in network._flatten_layers():
                    if isinstance(layer, keras.layers.BatchNormalization):
                        # In training mode a Keras BatchNorm needs `trainable`; its
                        # own variables stay out of training.
                        layer.trainable = True
                        for variable in layer.weights:
                            variable.trainable = False
        self.step = self.add_weight(
            shape=(), initializer="zeros", trainable=False, autocast=False, name="step"
        )
        self.total_steps = self.add_weight(
            shape=(), initializer="ones", trainable=False, autocast=False, name="total_steps"
        )
        self.built = True

    def set_total_steps(self, total_steps: int) -> None:
        """The run's length in optimizer steps, where the momentum reaches its final value."""
        self.total_steps.assign(float(total_steps))

    def momentum(self):
        """The momentum of the next update, from the step counter."""
        return cosine_momentum(
            ops.convert_to_tensor(self.step),
            ops.convert_to_tensor(self.total_steps),
            self.base_momentum,
            self.final_momentum,
        )

    def update(self, students: list[keras.layers.Layer]) -> None:
        """`teacher <- m * teacher + (1 - m) * student` for every weight, then step + 1.

        Call it inside the training step only (from `compute_loss` when `training`),
        with the students in the order the teacher was made from."""
        m = self.momentum()
        for network, student in zip(self.networks, students, strict=True):
            for target, source in zip(network.weights, student.weights, strict=True):
                value = ops.stop_gradient(ops.convert_to_tensor(source))
                # Counters, and statistics asked for as they are: taken, not averaged.
                if "float" not in str(target.dtype) or id(target) in self.copied:
                    target.assign(value)
                    continue
                current = ops.convert_to_tensor(target)
                mixed = ops.cast(m, current.dtype) * current + ops.cast(1.0 - m, current.dtype) * (
                    ops.cast(value, current.dtype)
                )
                target.assign(mixed)
        self.step.assign(self.step + 1.0)

    def call(self, inputs, index: int = 0):
        """The copy `networks[index]`: in inference mode (the teacher is never trained),
        or with batch statistics where `batch_statistics` asks for them."""
        return self.networks[index](inputs, training=self.batch_statistics)
