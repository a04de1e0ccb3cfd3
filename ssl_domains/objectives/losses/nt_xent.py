"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al., 2020).

Each of the `2n` projections (two views of `n` images) is an anchor; its positive is
the other view of the same image, and every other projection of the (global) batch
is a negative. With cosine similarities `s`, for anchor `i` and positive `p(i)`:

    loss_i = -log( exp(s[i, p(i)] / t) / sum_{k != i} exp(s[i, k] / t) )

averaged over the anchors. SimCLR uses t = 0.1 at large batches (0.5 at small ones).
"""

from __future__ import annotations

import keras
from keras import ops

from ssl_domains.objectives.replicas import gather_rows


def nt_xent(first, second, temperature: float = 0.1, gather=gather_rows):
    """The mean NT-Xent loss of this replica's anchors.

    Args:
        first, second: `[n, dim]` projections of two views; row `i` of each is the
            same image.
        temperature: the softmax temperature `t`.
        gather: `x -> (x of every replica, the offset of ours in it)`, for negatives
            from every replica (`ssl_domains.objectives.replicas.gather_rows`).

    Returns:
        A scalar: the mean over the `2n` local anchors.
    """
    first = ops.normalize(first, axis=-1)
    second = ops.normalize(second, axis=-1)
    all_first, offset = gather(first)
    all_second, _ = gather(second)
    total = ops.shape(all_first)[0]
    candidates = ops.concatenate([all_first, all_second], axis=0)  # [2N, dim]
    anchors = ops.concatenate([first, second], axis=0)  # [2n, dim]
    logits = ops.matmul(anchors, ops.transpose(candidates)) / temperature  # [2n, 2N]
    rows = ops.arange(ops.shape(first)[0]) + offset
    own = ops.concatenate([rows, rows + total], axis=0)  # each anchor among the candidates
    positive = ops.concatenate([rows + total, rows], axis=0)
    logits = logits - 1e9 * ops.one_hot(own, 2 * total, dtype=logits.dtype)
    losses = keras.losses.sparse_categorical_crossentropy(positive, logits, from_logits=True)
    return ops.mean(losses)
