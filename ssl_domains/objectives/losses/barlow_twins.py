"""Barlow Twins' loss: the cross-correlation of two views' projections, pushed to identity.

Zbontar et al., 2021, "Barlow Twins: Self-Supervised Learning via Redundancy
Reduction", arXiv:2103.03230, equations 1 and 2. Each view's projections `[N, d]`
are normalised per dimension over the batch (zero mean, unit standard deviation:
BatchNorm without affine parameters, as the paper's code); then

    C_ij = sum_b z1[b, i] z2[b, j] / N                          (d x d)
    loss = sum_i (1 - C_ii)^2  +  lambda * sum_{i != j} C_ij^2

The first term, invariance, makes each dimension agree across the two views; the
second, redundancy reduction, decorrelates the dimensions. The paper's lambda is
5e-3 for d = 8192 (see `ssl_domains.recipes.barlow_twins` for ours at smaller d).

Across replicas. The paper all-reduces the batch statistics and the sum behind `C`
over its 32 GPUs, so `N` is the global batch. Here, the same:
- under `keras.distribution` on JAX, a step is one program over the global batch
  (XLA shards it), so the statistics and `C` already span every replica's rows;
- under `tf.distribute`, each replica gathers every replica's projections
  (`gather_rows`, without gradient) and puts its own rows back in their place with
  their gradient, then takes the statistics and `C` over the global batch. Each
  replica's gradient is then that of the global loss through its own rows, and the
  sum Keras takes over replicas is the gradient of the global loss (up to the
  constant scale Keras gives every loss under a strategy), as with the all-reduce.
The BatchNorms inside the projector are Keras's own, per replica under
`tf.distribute` (the paper's are synchronised); on JAX they see the global batch.

Shapes: `[n, d]` per replica in, a scalar out. Computed in float32.
"""

from __future__ import annotations

from keras import ops

from ssl_domains.objectives.replicas import gather_rows


def with_own_rows(local, gather=gather_rows):
    """`[N, d]`: the rows of every replica, this replica's own carrying their gradient."""
    gathered, offset = gather(local)
    if gathered is local:  # one replica: nothing was gathered
        return local
    rows = ops.arange(ops.shape(gathered)[0]) - offset
    n = ops.shape(local)[0]
    mine = ops.logical_and(rows >= 0, rows < n)
    own = ops.take(local, ops.clip(rows, 0, n - 1), axis=0)
    return ops.where(mine[:, None], own, gathered)


def standardized(z, epsilon: float = 1e-5):
    """`z` with each column at zero mean and unit (biased) standard deviation over
    the rows, as a BatchNorm without affine parameters in training mode."""
    mean = ops.mean(z, axis=0, keepdims=True)
    variance = ops.mean(ops.square(z - mean), axis=0, keepdims=True)
    return (z - mean) / ops.sqrt(variance + epsilon)


def cross_correlation(first, second, gather=gather_rows):
    """`C`, `[d, d]`: the correlation over the global batch of dimension `i` of the
    first view's projections with dimension `j` of the second's.

    Args:
        first, second: `[n, d]` projections of two views; row `i` of each is the
            same image.
        gather: `x -> (x of every replica, the offset of ours in it)`
            (`ssl_domains.objectives.replicas.gather_rows`).
    """
    first = standardized(with_own_rows(ops.cast(first, "float32"), gather))
    second = standardized(with_own_rows(ops.cast(second, "float32"), gather))
    return ops.matmul(ops.transpose(first), second) / ops.cast(ops.shape(first)[0], "float32")


def barlow_twins_terms(correlation):
    """`(invariance, redundancy)`: `sum_i (1 - C_ii)^2` and `sum_{i != j} C_ij^2`."""
    diagonal = ops.diagonal(correlation)
    invariance = ops.sum(ops.square(1.0 - diagonal))
    redundancy = ops.sum(ops.square(correlation)) - ops.sum(ops.square(diagonal))
    return invariance, redundancy


def barlow_twins(first, second, redundancy_weight: float = 5e-3, gather=gather_rows):
    """The Barlow Twins loss, `invariance + lambda * redundancy`.

    Args:
        first, second: `[n, d]` projections of two views; row `i` of each is the
            same image.
        redundancy_weight: lambda (the paper: 5e-3 at d = 8192).
        gather: as `cross_correlation`.

    Returns:
        A scalar, the same on every replica.
    """
    invariance, redundancy = barlow_twins_terms(cross_correlation(first, second, gather))
    return invariance + redundancy_weight * redundancy
