"""`ImageModality`: images as shard records.

Only the storage half exists yet: a cleaned image (uint8 `(height, width, channels)`)
is stored as PNG with its shape, and decodes back to the same pixels, so an image
domain's corpus prepares, deduplicates and splits like any other. Encoders, pooling,
serving and `predict` for images arrive with the image recipes (MAE, SimCLR); until
then they raise a one-line `UserError`, before a run writes anything.
"""

from __future__ import annotations

from typing import ClassVar

from ssl_domains.errors import UserError
from ssl_domains.plugin.modality import Modality

NOT_YET = "ssl-domains has no image encoders yet (they come with the MAE and SimCLR recipes)"


class ImageModality(Modality):
    """Records are PNG bytes (`image`) with `height`, `width` and `channels`."""

    name: ClassVar[str] = "image"
    default_task: ClassVar[str] = "image-classification"
    label_roles: ClassVar[dict[str, str]] = {"image": "path", "label": "label"}

    def features(self):
        import tensorflow as tf

        return {
            "image": tf.io.FixedLenFeature([], tf.string),
            **{k: tf.io.FixedLenFeature([], tf.int64) for k in ("height", "width", "channels")},
        }

    def payload(self, record) -> bytes:
        return str(record.shape).encode() + record.tobytes()

    def example(self, record):
        import io

        import tensorflow as tf
        from PIL import Image

        pixels = record[..., 0] if record.ndim == 3 and record.shape[-1] == 1 else record
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG")
        height, width = record.shape[:2]
        channels = record.shape[2] if record.ndim == 3 else 1

        def integer(value):
            return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))

        return {
            "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[buffer.getvalue()])),
            "height": integer(height),
            "width": integer(width),
            "channels": integer(channels),
        }

    def decode(self, serialized):
        """-> uint8 `(height, width, channels)`, as the domain read it."""
        import tensorflow as tf

        parsed = self.parse(serialized)
        image = tf.io.decode_png(parsed["image"])
        shape = tf.stack([parsed["height"], parsed["width"], parsed["channels"]])
        return tf.reshape(image, tf.cast(shape, tf.int32))

    def build_encoder(self, domain, recipe, config, train_records, trusted):
        raise UserError(f"cannot pretrain {domain.name}: {NOT_YET}")

    def embed(self, encoder, data, batch_size: int = 64):
        raise UserError(f"cannot embed images: {NOT_YET}")

    def signature(self):
        import tensorflow as tf

        return [tf.TensorSpec([None], tf.string, name="image_bytes")]

    def inspect(self, domain, records, config, result, tokenizer_source="", extend=0) -> None:
        """Histograms of the kept images: pixels, shorter side, resolution, channels."""
        from collections import Counter

        import tensorflow as tf

        from ssl_domains.data.prepare_corpus import length_bin, sorted_bins

        pixels, sides, sizes, channels = Counter(), Counter(), Counter(), Counter()
        for shape in records.map(tf.shape).as_numpy_iterator():
            height, width, depth = map(int, shape)
            pixels[length_bin(height * width)] += 1
            sides[length_bin(min(height, width))] += 1
            sizes[f"{height}x{width}"] += 1
            channels[str(depth)] += 1
        result.histograms["pixels per image"] = sorted_bins(pixels)
        result.histograms["shorter side (pixels)"] = sorted_bins(sides)
        result.histograms["resolution (height x width), most common"] = dict(sizes.most_common(10))
        result.histograms["channels, as stored"] = dict(sorted(channels.items()))

    def predict_inputs(self, inputs: list[str]):
        raise UserError(f"cannot predict on images: {NOT_YET}")
