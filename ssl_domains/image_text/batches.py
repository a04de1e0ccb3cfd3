"""Training and evaluation batches of image-caption pairs, and held-out retrieval recall."""

from __future__ import annotations

import numpy as np


def pair_batches(records, encoder, batch_size: int, training: bool, seed: int = 0, limit: int = 0):
    """`{"images": [b, S, S, C] float32 in [0, 1], "token_ids": [b, seq_len] int32}`
    from a dataset of `(uint8 image, caption)`.

    Training batches are shuffled, endless and full; evaluation batches are one pass
    (at most `limit` batches), cached, with a known length."""
    import tensorflow as tf

    from ssl_domains.image_text.towers import caption_ids, image_pixels

    pairs = records.map(
        lambda image, caption: (image_pixels(encoder, image), caption),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    if training:
        pairs = pairs.repeat().shuffle(1024, seed=seed)
    batches = pairs.batch(batch_size, drop_remainder=training)
    batches = batches.map(
        lambda images, captions: {"images": images, "token_ids": caption_ids(encoder, captions)},
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    if training:
        return batches.prefetch(tf.data.AUTOTUNE)
    batches = (batches.take(limit) if limit else batches).cache()
    count = sum(1 for _ in batches)
    return batches.apply(tf.data.experimental.assert_cardinality(count)).prefetch(tf.data.AUTOTUNE)


def recall_at_k(similarity: np.ndarray, relevant: np.ndarray, ks=(1, 5, 10)) -> dict[int, float]:
    """Share of queries (rows of `similarity`) with a relevant item among their `k` most
    similar, for each `k`; `relevant[i, j]` is true where item `j` answers query `i`."""
    order = np.argsort(-similarity, axis=1, kind="stable")
    hits = np.take_along_axis(relevant, order, axis=1)
    return {k: float(hits[:, :k].any(axis=1).mean()) for k in ks}


def chance_recall(relevant: np.ndarray, ks=(1, 5, 10)) -> dict[int, float]:
    """Expected recall@k of a random ranking: per query, 1 - C(m - r, k) / C(m, k)."""
    from math import comb

    items = relevant.shape[1]
    counts = relevant.sum(axis=1)
    return {
        k: float(
            np.mean(
                [1 - comb(items - r, min(k, items)) / comb(items, min(k, items)) for r in counts]
            )
        )
        for k in ks
    }


def pair_recall(encoder, batches, ks=(1, 5)) -> dict[str, float]:
    """Image->text and text->image recall@k over the pairs of `batches` (evaluation
    batches of `pair_batches`), next to chance. A caption answers an image when its
    tokens equal the image's own caption's (a repeated caption is not a miss)."""
    from keras import ops

    from ssl_domains.image_text.towers import embed_pixels, text_embeddings

    images, ids = [], []
    for batch in batches:
        images.append(np.asarray(batch["images"]))
        ids.append(np.asarray(batch["token_ids"]))
    images, ids = np.concatenate(images), np.concatenate(ids)
    image_vectors = embed_pixels(encoder, images)
    text_vectors = np.concatenate(
        [
            ops.convert_to_numpy(text_embeddings(encoder, ids[i : i + 256]))
            for i in range(0, len(ids), 256)
        ]
    )
    _, caption_of = np.unique(ids, axis=0, return_inverse=True)
    caption_of = caption_of.reshape(-1)
    relevant = caption_of[:, None] == caption_of[None, :]
    return recall_metrics(image_vectors, text_vectors, relevant, ks)


def recall_metrics(image_vectors, text_vectors, relevant, ks=(1, 5, 10)) -> dict[str, float]:
    """Recall@k both ways from unit vectors and the relevance of text `j` to image `i`."""
    similarity = image_vectors @ text_vectors.T
    out = {}
    for k, value in recall_at_k(similarity, relevant, ks).items():
        out[f"image_to_text_recall_at_{k}"] = value
    for k, value in recall_at_k(similarity.T, relevant.T, ks).items():
        out[f"text_to_image_recall_at_{k}"] = value
    for k, value in chance_recall(relevant, ks).items():
        out[f"chance_recall_at_{k}"] = value
    return out
