"""Frozen embeddings: one vector per labeled row, pooled as fine-tuning heads pool."""

from __future__ import annotations


def pooled_embeddings(task, data, batch_size: int = 64):
    """The masked mean of the backbone's sequence output over each row's real positions
    (tokens, or audio frames where the backbone returns a `frame_mask`), batched through
    `task`'s own featurisation."""
    import keras
    import numpy as np

    pool = keras.layers.GlobalAveragePooling1D()
    vectors = []
    for x in task.inputs_only(data, batch_size):
        outputs = task.encoder.backbone(x, training=False)
        mask = outputs["frame_mask"] if "frame_mask" in outputs else x["padding_mask"]
        vectors.append(keras.ops.convert_to_numpy(pool(outputs["sequence_output"], mask=mask)))
    return np.concatenate(vectors)
