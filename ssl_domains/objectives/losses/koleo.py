"""The KoLeo regulariser: spread a batch's embeddings by pushing each from its nearest
neighbour.

Paper: Sablayrolles et al., 2019, "Spreading vectors for similarity search",
arXiv:1806.03198, section 3 (the Kozachenko-Leonenko entropy estimator); used by
DINOv2 (Oquab et al., 2023, arXiv:2304.07193, section 4) on the student's class token
of each global crop, weight 0.1. For `n` L2-normalised vectors `x_i`,

    L = -(1/n) sum_i log(min_{j != i} ||x_i - x_j||)

which is, up to constants, minus the differential entropy of the batch: it grows
without bound as two images approach one point, so a batch cannot collapse.
"""

from __future__ import annotations

from keras import ops


def koleo_loss(embeddings, epsilon=1e-8):
    """`-mean log(distance to the nearest other row)` of the L2-normalised `[n, d]`
    `embeddings`; a scalar, float32. Gradients flow through the distances; the choice
    of neighbour is a constant, as in DINOv2's code."""
    x = ops.normalize(ops.cast(embeddings, "float32"), axis=-1)
    n = ops.shape(x)[0]
    similarity = ops.matmul(x, ops.transpose(x)) - 3.0 * ops.eye(n, dtype="float32")
    neighbour = ops.stop_gradient(ops.argmax(similarity, axis=-1))
    distance = ops.sqrt(ops.sum((x - ops.take(x, neighbour, axis=0)) ** 2, axis=-1) + epsilon)
    return -ops.mean(ops.log(distance + epsilon))
