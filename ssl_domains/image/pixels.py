"""From stored images to what a backbone takes, in TensorFlow ops for tf.data and
serving alike, so training, probes and a SavedModel see the same pixels.

An image becomes a square of side `size` (the shorter side resized to `size`, then
the centre cropped), float32 in [0, 1]: the range views work in. The encoder's
keras-hub `ImageConverter` then maps it to what the backbone was trained on
(`to_backbone`): for a fresh backbone a plain [0, 1] scale, for a preset its own
rescaling and normalisation.
"""

from __future__ import annotations


def square(image, size: int, channels: int | None = None):
    """uint8 `[h, w, c]` (or a batch `[b, h, w, c]`) -> float32 `[.., size, size, c]`
    in [0, 1]: shorter side resized to `size` (antialiased), centre crop. `channels`:
    convert to that many (1 or 3), and fix the shape statically (records decoded from
    shards carry their channel count as data)."""
    import tensorflow as tf

    if channels is not None:
        image = with_channels(image, channels)
    shape = tf.shape(image)
    height, width = tf.cast(shape[-3], tf.float32), tf.cast(shape[-2], tf.float32)
    factor = float(size) / tf.minimum(height, width)
    new_height = tf.maximum(size, tf.cast(tf.round(height * factor), tf.int32))
    new_width = tf.maximum(size, tf.cast(tf.round(width * factor), tf.int32))
    pixels = tf.image.resize(
        tf.cast(image, tf.float32) / 255.0, [new_height, new_width], antialias=True
    )
    top, left = (new_height - size) // 2, (new_width - size) // 2
    cropped = pixels[..., top : top + size, left : left + size, :]
    shape = [*cropped.shape[:-3], size, size, channels]
    return tf.clip_by_value(tf.ensure_shape(cropped, shape), 0, 1)


def with_channels(image, channels: int):
    """An image of 1 or 3 channels as `channels` channels (grey to RGB, or luma)."""
    import tensorflow as tf

    def convert(image):
        if channels == 3:
            return tf.concat([image] * 3, axis=-1)
        return tf.image.rgb_to_grayscale(image)

    known = image.shape[-1]
    if known is not None:
        return image if known == channels else convert(image)
    return tf.cond(tf.shape(image)[-1] == channels, lambda: image, lambda: convert(image))


def square_batches(
    records,
    size: int,
    batch_size: int,
    training: bool,
    seed: int = 0,
    channels: int = 3,
    limit: int = 0,
):
    """Batches `[b, size, size, channels]` in [0, 1] of a dataset of uint8 images.

    Training batches are shuffled, endless and full, so a small corpus still fills
    them; evaluation batches are one pass (at most `limit` batches, if given), cached,
    with a known length."""
    import tensorflow as tf

    images = records.map(
        lambda image: square(image, size, channels), num_parallel_calls=tf.data.AUTOTUNE
    )
    if training:
        images = images.repeat().shuffle(1024, seed=seed)
        return images.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    batches = images.batch(batch_size)
    batches = (batches.take(limit) if limit else batches).cache()
    count = sum(1 for _ in batches)
    return batches.apply(tf.data.experimental.assert_cardinality(count)).prefetch(tf.data.AUTOTUNE)


def image_epoch_steps(records, batch_size: int) -> int:
    """Full batches in one pass over `records`, for `--epochs` (training batches of
    `square_batches` are endless, so they cannot be counted)."""
    count = int(records.cardinality())
    if count < 0:  # unknown: count the records
        count = sum(1 for _ in records)
    return max(1, count // batch_size)


def decode_bytes(encoded, channels: int, size: int):
    """A batch of encoded images (PNG, JPEG, WebP, BMP, GIF strings) -> `[b, size,
    size, channels]` in [0, 1]; what a SavedModel's `serving_default` runs."""
    import tensorflow as tf

    def one(data):
        image = tf.io.decode_image(data, channels=channels, expand_animations=False)
        return square(image, size, channels)

    return tf.map_fn(
        one, encoded, fn_output_signature=tf.TensorSpec([size, size, channels], tf.float32)
    )


def fresh_converter(size: int):
    """The `ImageConverter` of a fresh backbone: [0, 255] pixels to [0, 1], `size`
    square (images arrive that size already; a preset's converter may differ)."""
    import keras_hub

    return keras_hub.layers.ImageConverter(image_size=(size, size), scale=1.0 / 255.0)


def to_backbone(converter, images):
    """Images in [0, 1] -> the backbone's input: the encoder's converter's resize,
    scale and offset, in `keras.ops`. (Calling the converter itself would run it on
    the CPU under TensorFlow, as keras-hub places preprocessing; this stays on the
    device that trains.)"""
    import numpy as np
    from keras import ops

    pixels = images * 255.0
    size = tuple(converter.image_size or ())
    if size and tuple(pixels.shape[1:3]) != size:
        pixels = ops.image.resize(pixels, size)
    if converter.scale is not None:
        pixels = pixels * np.asarray(converter.scale, "float32")  # a number, or per channel
    if converter.offset is not None:
        pixels = pixels + np.asarray(converter.offset, "float32")
    return pixels
