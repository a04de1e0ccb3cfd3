"""The whole batch for losses whose negatives are the other examples (NT-Xent, CLIP),
and for statistics of the global batch (DINO's center).

Under `keras.distribution` on JAX, a training step is one program over the global
batch (XLA shards it), so a loss already sees every replica's rows: nothing to do.
Under `tf.distribute`, each replica runs the step on its own rows; its loss needs the
other replicas' rows as negatives, gathered (without gradient through them, as
SimCLR's TPU implementation does), and where its own rows sit among them.
"""

from __future__ import annotations


def gather_rows(x):
    """(`x` of every replica stacked in replica order, the index of this replica's
    first row in it). One replica, or outside `tf.distribute`: `(x, 0)`."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return x, 0
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return x, 0
    gathered = tf.stop_gradient(context.all_gather(x, axis=0))
    return gathered, context.replica_id_in_sync_group * tf.shape(x)[0]


def mean_over_replicas(x):
    """The mean of `x` over replicas (all-reduced, without gradient), for statistics of
    the global batch such as DINO's center: each replica passes the mean of its own
    rows, and every replica gets the global mean (replicas hold equal batches). One
    replica, outside `tf.distribute`, or on JAX (whose step sees the global batch):
    `x` itself."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return x
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return x
    return tf.stop_gradient(context.all_reduce(tf.distribute.ReduceOp.MEAN, x))


def replica_share(loss):
    """`loss` as one replica's share of the step's loss: divided by the number of
    replicas under `tf.distribute`, which sums the replicas' gradients. Keras's own
    losses do this (`reduce_values`); a model that computes its loss itself returns
    this from `compute_loss`. Elsewhere (JAX's global step, one replica): `loss`."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return loss
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss / replicas
