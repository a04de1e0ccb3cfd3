"""`ImageModality`: images as shard records, image backbones, pooling and serving.

A cleaned image (uint8 `(height, width, channels)`) is stored as PNG with its shape
and decodes back to the same pixels. Encoders are keras-hub image backbones (ViT or
ResNet) behind an `ImageConverter`, trained on squares of the domain's `image_size`;
a served model takes encoded image files (PNG or JPEG strings).
"""

from __future__ import annotations

from typing import ClassVar

from ssl_domains.errors import UserError
from ssl_domains.plugin.modality import Modality


class ImageModality(Modality):
    """Records are PNG bytes (`image`) with `height`, `width` and `channels`."""

    name: ClassVar[str] = "image"
    default_task: ClassVar[str] = "image-classification"
    label_roles: ClassVar[dict[str, str]] = {"image": "path", "label": "label"}

    def tfds_converter(self, domain, features, field, where):
        from ssl_domains.data.tfds_source import feature_value, pick_feature, to_image

        name = pick_feature(features, "Image", field, where)
        channels = getattr(domain, "channels", 3)
        return lambda example: to_image(feature_value(example, name), channels)

    def features(self):
        import tensorflow as tf

        return {
            "image": tf.io.FixedLenFeature([], tf.string),
            **{k: tf.io.FixedLenFeature([], tf.int64) for k in ("height", "width", "channels")},
        }

    def payload(self, record) -> bytes:
        return str(record.shape).encode() + record.tobytes()

    def example(self, record):
        import tensorflow as tf

        from ssl_domains.image.reading import png_bytes

        height, width = record.shape[:2]
        channels = record.shape[2] if record.ndim == 3 else 1

        def integer(value):
            return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))

        return {
            "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[png_bytes(record)])),
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
        """A fresh backbone of the recipe's `--size` for the domain's image size and
        channels, or a keras-hub image preset `--from` (its own converter kept)."""
        from ssl_domains.image.pixels import fresh_converter
        from ssl_domains.presets.encoder import Encoder
        from ssl_domains.presets.sources import resolve_source

        if config.model.source:
            encoder = Encoder.load(resolve_source(config.model.source), trusted=trusted)
            image_side(encoder)
            self.check_encoder(encoder, config.model.source)
        else:
            size, channels = domain.image_size, domain.channels
            backbone = recipe.build_backbone(config.model.size, image_size=size, channels=channels)
            encoder = Encoder(backbone, sequence_length=0, converter=fresh_converter(size))
        self.adopt_domain(encoder, domain, replace=True)
        return encoder

    def adopt_domain(self, encoder, domain, replace: bool) -> None:
        """The image size and channels the backbone takes, and the domain's views; a
        CLIP encoder's image tower in place of the dual encoder (`image_side`)."""
        from ssl_domains.image.backbones import image_shape
        from ssl_domains.image.pixels import fresh_converter

        image_side(encoder)
        height, width, channels = image_shape(encoder.backbone)
        if height is None or height != width:  # a fully convolutional preset: the domain's
            height = encoder.info.get("image_size") if not replace else None
            height = height or domain.image_size
        encoder.info["image_size"], encoder.info["channels"] = int(height), int(channels or 3)
        if encoder.converter is None:
            encoder.converter = fresh_converter(int(height))
        from ssl_domains.training.precision import global_policy

        with global_policy("float32"):  # augmentation needs no mixed precision (fp16 fails)
            encoder.views = domain.views(int(height))

    def check_encoder(self, encoder, source: str) -> None:
        shape = getattr(encoder.backbone, "image_shape", None)
        if shape is None:
            kind = type(encoder.backbone).__name__
            raise UserError(f"{source} holds a {kind}, not an image backbone")

    def embedding_task(self, encoder):
        from ssl_domains.image.tasks import ImageClassification

        return ImageClassification(encoder, ["_"])

    def raw_features(self, encoder, data):
        """The pixels of each image as the backbone would see them: the encoder's
        square of `image_size`, in [0, 1], flattened."""
        import tensorflow as tf

        from ssl_domains.image.pixels import decode_bytes

        task = self.embedding_task(encoder)
        pixels = decode_bytes(tf.constant(task.encoded(data)), task.channels, task.size)
        return pixels.numpy().reshape(len(data), -1)

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

    def serving_inputs(self, records):
        from ssl_domains.image.reading import png_bytes

        return [png_bytes(record) for record in records]

    def predict_inputs(self, inputs: list[str]):
        """Image files -> their bytes, as a client sends them to the SavedModel."""
        batch = []
        for path in inputs:
            try:
                batch.append(open(path, "rb").read())
            except OSError as error:
                raise UserError(f"cannot read {path}: {error.strerror or error}") from None
        return batch


def image_side(encoder) -> None:
    """Make a CLIP run or preset (`DualEncoderBackbone`, keras-hub's `CLIPBackbone`) an
    image encoder, in place: its image tower as the backbone, its image converter kept,
    its text tower and tokenizer dropped. So an image domain's `finetune`, `evaluate`
    and `pretrain --from` take a CLIP run's image tower as they take any image preset.
    Other encoders are left as they are."""
    from ssl_domains.image_text.dual_encoder import image_tower, is_dual_encoder

    if is_dual_encoder(encoder.backbone):
        encoder.backbone = image_tower(encoder.backbone)
        encoder.tokenizer, encoder.normalizer = None, None
