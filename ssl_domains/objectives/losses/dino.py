"""DINO's self-distillation loss: a student matches a centred, sharpened teacher.

Paper: Caron et al., 2021, "Emerging Properties in Self-Supervised Vision
Transformers", arXiv:2104.14294, section 3.1 and algorithm 1. Shapes:

- `student`: `[Vs, n, K]` logits of `Vs` views of `n` images (the 2 global views
  first, then the local ones), `K` prototypes;
- `teacher`: `[Vt, n, K]` logits of the global views only (`Vt = 2`), which are the
  student's first `Vt` views;
- `center`: `[K]`, an EMA of the teacher's logits.

The teacher's distribution is `softmax((teacher - center) / t_teacher)` (centering
against collapse to one prototype, a low `t_teacher` against collapse to the uniform
distribution); the student's is `softmax(student / t_student)`. The loss is the mean
cross-entropy `H(P_teacher[i], P_student[j])` over every pair of views with `i != j`,
each averaged over the batch, as in the paper's code. No global state: the center
and the temperature come in, the new center goes out (`updated_center`).
"""

from __future__ import annotations

from keras import ops


def teacher_probabilities(teacher, center, teacher_temperature):
    """`softmax((teacher - center) / t)`, without gradient; same shape as `teacher`."""
    logits = (ops.cast(teacher, "float32") - ops.cast(center, "float32")) / teacher_temperature
    return ops.stop_gradient(ops.softmax(logits, axis=-1))


def pair_mask(student_views: int, teacher_views: int = 2):
    """`[Vt, Vs]` float32: 1 where teacher view `i` and student view `j` differ."""
    return 1.0 - ops.eye(teacher_views, student_views, dtype="float32")


def dino_loss(student, teacher, center, student_temperature=0.1, teacher_temperature=0.04):
    """Mean cross-entropy over the `Vt * Vs - Vt` teacher-student pairs of different
    views; a scalar. Gradient flows into `student` only."""
    probabilities = teacher_probabilities(teacher, center, teacher_temperature)
    log_student = ops.log_softmax(ops.cast(student, "float32") / student_temperature, axis=-1)
    # cross[i, j] = mean over images of -sum_k P_teacher[i] log P_student[j]
    cross = -ops.einsum("ink,jnk->ij", probabilities, log_student) / ops.cast(
        ops.shape(student)[1], "float32"
    )
    mask = pair_mask(ops.shape(student)[0], ops.shape(teacher)[0])
    return ops.sum(cross * mask) / ops.sum(mask)


def teacher_entropy(teacher, center, teacher_temperature):
    """Mean entropy (nats) of the centred, sharpened teacher distributions: `log K` when
    uniform (collapse by centering alone), 0 when one-hot (by sharpening alone)."""
    probabilities = teacher_probabilities(teacher, center, teacher_temperature)
    return -ops.mean(ops.sum(probabilities * ops.log(ops.maximum(probabilities, 1e-12)), axis=-1))


def teacher_student_kl(student, teacher, center, student_temperature, teacher_temperature):
    """Mean `KL(P_teacher[i] || P_student[j])` (nats) over the loss's pairs: the loss
    less the teacher's entropy. It falls to 0 on collapse (DINO, figure 7), when the
    student can match a teacher that says the same thing of every image."""
    loss = dino_loss(student, teacher, center, student_temperature, teacher_temperature)
    return loss - teacher_entropy(teacher, center, teacher_temperature)


def updated_center(center, teacher, momentum=0.9):
    """`m * center + (1 - m) * mean(teacher)`, the mean over the global batch's images
    and teacher views. Under `tf.distribute` each replica's mean is averaged across
    replicas (`mean_over_replicas`), as the paper's code all-reduces the batch sum;
    under `keras.distribution` on JAX the step already sees the global batch."""
    from ssl_domains.objectives.replicas import mean_over_replicas

    teacher = ops.stop_gradient(ops.cast(teacher, "float32"))
    batch_mean = mean_over_replicas(ops.mean(ops.reshape(teacher, (-1, ops.shape(teacher)[-1])), 0))
    return momentum * ops.cast(center, "float32") + (1.0 - momentum) * batch_mean


def teacher_temperature(step, warmup_steps, start=0.04, end=0.07):
    """Linear from `start` at step 0 to `end` at `warmup_steps`, then `end` (DINO:
    0.04 to 0.07 over the first 30 epochs)."""
    progress = ops.minimum(
        ops.cast(step, "float32") / ops.maximum(ops.cast(warmup_steps, "float32"), 1.0), 1.0
    )
    return start + (end - start) * progress
