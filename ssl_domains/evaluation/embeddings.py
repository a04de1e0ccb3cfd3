"""Frozen embeddings: one vector per labeled row, pooled as fine-tuning heads pool."""

from __future__ import annotations


def pooled_embeddings(task, data, batch_size: int = 64):
    """The masked mean of the backbone's sequence output over each row's real positions
    (tokens, or audio frames where the backbone returns a `frame_mask`), batched through
    `task`'s own featurisation."""
    import keras
    import numpy as np

    from ssl_domains.tasks.base import real_positions

    pool = keras.layers.GlobalAveragePooling1D()
    vectors = []
    for x in task.inputs_only(data, batch_size):
        outputs = task.encoder.backbone(x, training=False)
        pooled = pool(outputs["sequence_output"], mask=real_positions(x, outputs))
        vectors.append(keras.ops.convert_to_numpy(pooled))
    return np.concatenate(vectors)
