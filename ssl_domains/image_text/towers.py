"""From raw captions and images to what the two towers of a dual encoder take, and to
their unit-length embeddings: the one path of training batches, zero-shot
evaluation and the SavedModel's `embed_image` and `embed_text` signatures.

Captions: the domain's normaliser (redactions, normalisations), the encoder's
tokenizer, then a start token, an end token and padding to `sequence_length` (BERT's
`[CLS]`/`[SEP]`/`[PAD]`, or CLIP's `<|startoftext|>`/`<|endoftext|>`). Images: the square
of `image_size` in [0, 1] (`ssl_domains.image.pixels`), then the converter's scale.
"""

from __future__ import annotations


def text_packer(tokenizer, sequence_length: int):
    """keras-hub's `StartEndPacker` with the tokenizer's start, end and padding ids."""
    import keras_hub

    start = getattr(tokenizer, "cls_token_id", None)
    end = getattr(tokenizer, "sep_token_id", None)
    if start is None:
        start = getattr(tokenizer, "start_token_id", None)
        end = getattr(tokenizer, "end_token_id", None)
    return keras_hub.layers.StartEndPacker(
        sequence_length=sequence_length,
        start_value=start,
        end_value=end,
        pad_value=getattr(tokenizer, "pad_token_id", 0) or 0,
        return_padding_mask=False,
    )


def caption_ids(encoder, texts):
    """Strings `[b]` -> int32 token ids `[b, sequence_length]` (TensorFlow ops)."""
    import tensorflow as tf

    packer = text_packer(encoder.tokenizer, encoder.sequence_length)
    tokens = encoder.tokenizer(encoder.normalize(texts))
    return tf.cast(packer(tokens), tf.int32)


def image_pixels(encoder, images_uint8):
    """uint8 images (one `[h, w, c]` or a batch) -> the square in [0, 1] of the
    encoder's `image_size` (TensorFlow ops)."""
    from ssl_domains.image.pixels import square

    return square(images_uint8, int(encoder.info["image_size"]), int(encoder.info["channels"]))


def image_embeddings(encoder, pixels, training=False):
    """Squares in [0, 1] `[b, S, S, C]` -> unit vectors `[b, dim]` (`keras.ops`)."""
    from keras import ops

    from ssl_domains.image.pixels import to_backbone

    backbone = encoder.backbone
    pixels = ops.convert_to_tensor(pixels, "float32")
    vectors = backbone.get_vision_embeddings(to_backbone(encoder.converter, pixels))
    return ops.normalize(ops.cast(vectors, "float32"), axis=-1)


def text_embeddings(encoder, token_ids):
    """Token ids `[b, t]` -> unit vectors `[b, dim]` (`keras.ops`)."""
    from keras import ops

    vectors = encoder.backbone.get_text_embeddings(ops.convert_to_tensor(token_ids, "int32"))
    return ops.normalize(ops.cast(vectors, "float32"), axis=-1)


def embed_texts(encoder, texts: list[str], batch_size: int = 256):
    """Unit vectors of raw strings, as numpy, on any backend."""
    import numpy as np
    import tensorflow as tf
    from keras import ops

    out = []
    for start in range(0, len(texts), batch_size):
        ids = caption_ids(encoder, tf.constant(texts[start : start + batch_size])).numpy()
        out.append(ops.convert_to_numpy(text_embeddings(encoder, ids)))
    return np.concatenate(out) if out else np.zeros((0, 0), "float32")


def embed_pixels(encoder, pixels, batch_size: int = 128):
    """Unit vectors of squares in [0, 1] (numpy `[n, S, S, C]`), as numpy."""
    import numpy as np
    from keras import ops

    out = []
    for start in range(0, len(pixels), batch_size):
        batch = np.asarray(pixels[start : start + batch_size], "float32")
        out.append(ops.convert_to_numpy(image_embeddings(encoder, batch)))
    return np.concatenate(out)


def encoded_to_pixels(encoder, encoded: list[bytes]):
    """Encoded image files (PNG, JPEG, ...) -> numpy squares in [0, 1]."""
    import tensorflow as tf

    from ssl_domains.image.pixels import decode_bytes

    size, channels = int(encoder.info["image_size"]), int(encoder.info["channels"])
    return decode_bytes(tf.constant(encoded), channels, size).numpy()
