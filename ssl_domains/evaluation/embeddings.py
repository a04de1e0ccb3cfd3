"""Frozen embeddings: one vector per labeled row, pooled as fine-tuning heads pool."""

from __future__ import annotations


def pooled_embeddings(task, data, batch_size: int = 64):
    """`task.embed_batch` of each batch of `data`, through `task`'s own featurisation:
    for text and audio the masked mean of the sequence output over real positions, for
    images the mean over a feature map or tokens."""
    import keras
    import numpy as np

    batches = task.inputs_only(data, batch_size)
    return np.concatenate([keras.ops.convert_to_numpy(task.embed_batch(x)) for x in batches])
