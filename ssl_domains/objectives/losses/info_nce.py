"""Symmetric InfoNCE, the contrastive loss of CLIP (Radford et al., 2021, arXiv:2103.00020).

`n` images and their `n` captions are embedded and L2-normalised; the logits are
their cosine similarities times a learned scale `s` (CLIP: `exp(t)` with `t`
learned, clipped at 100). Image `i`'s positive is caption `i`, every other caption
of the (global) batch a negative, and the same for captions:

    loss = ( CE(s * I T^T, diag) + CE(s * T I^T, diag) ) / 2

with `CE` the mean softmax cross-entropy over rows (figure 3 of the paper). Under
`tf.distribute` the other replicas' rows join as negatives (without gradient, as
`ssl_domains.objectives.replicas.gather_rows` gathers them).
"""

from __future__ import annotations

import keras
from keras import ops

from ssl_domains.objectives.replicas import gather_rows


def info_nce(image_embeddings, text_embeddings, scale, gather=gather_rows):
    """The mean symmetric InfoNCE of this replica's pairs.

    Args:
        image_embeddings, text_embeddings: `[n, dim]`; row `i` of each is one pair.
            Normalised here.
        scale: the multiplier of cosine similarities (CLIP's `min(exp(t), 100)`), a
            scalar tensor.
        gather: `x -> (x of every replica, the offset of ours in it)`.

    Returns:
        A scalar: the mean of the image->text and text->image cross-entropies.
    """
    images = ops.normalize(image_embeddings, axis=-1)
    texts = ops.normalize(text_embeddings, axis=-1)
    all_images, offset = gather(images)
    all_texts, _ = gather(texts)
    scale = ops.cast(scale, images.dtype)
    image_logits = ops.matmul(images, ops.transpose(all_texts)) * scale  # [n, N]
    text_logits = ops.matmul(texts, ops.transpose(all_images)) * scale  # [n, N]
    positive = ops.arange(ops.shape(images)[0]) + offset
    image_loss = keras.losses.sparse_categorical_crossentropy(
        positive, image_logits, from_logits=True
    )
    text_loss = keras.losses.sparse_categorical_crossentropy(
        positive, text_logits, from_logits=True
    )
    return (ops.mean(image_loss) + ops.mean(text_loss)) / 2
