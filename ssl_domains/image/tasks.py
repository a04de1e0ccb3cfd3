"""Image classification: a labeled manifest of `path,label` rows (paths relative to it).

Training reads each file as pretraining does (Pillow, EXIF-upright, the domain's
channels) and stores it as PNG bytes; from there training, probes and the SavedModel
run the same TensorFlow ops: decode, shorter side to the encoder's `image_size`, centre
crop, the encoder's `ImageConverter`. A SavedModel therefore takes encoded image
files (PNG or JPEG strings) and returns probabilities and label names.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_domains.data.labeled_set import LabeledSet
from ssl_domains.tasks.base import SAMPLES_FILE
from ssl_domains.text.tasks.classification import Classification


def image_head(encoder, units: int, dropout: float, name: str) -> keras.Model:
    """Backbone -> pooled features (`pooled_features`, as probes pool) -> dropout ->
    dense `units`."""
    from ssl_domains.image.backbones import image_shape, pooling_layer

    backbone = encoder.backbone
    images = keras.Input(shape=image_shape(backbone), name="images")
    pooled = pooling_layer(backbone)(backbone(images))
    pooled = keras.layers.Dropout(dropout)(pooled)
    return keras.Model(images, keras.layers.Dense(units, name="head")(pooled), name=name)


class ImageClassification(Classification):
    """An image -> one of a few classes (`path,label` rows).

    Labels, loss, metrics, report and outputs are `Classification`'s; what differs is
    how images are read, pooled and served.

    Examples:

    ```python
    from ssl_domains.data.labeled_set import read_labeled
    from ssl_domains.image.tasks import ImageClassification
    from ssl_domains.presets.encoder import Encoder

    encoder = Encoder.load("runs/biomedical-imaging-simclr-20261206-101500")
    rows = read_labeled("tiles/labels.csv", {"image": "path", "label": "label"})
    task = ImageClassification(encoder, ImageClassification.label_names(rows))
    model = task.build_model()
    ```
    """

    name = "image-classification"
    modality = "image"
    roles = ("image", "label")

    @cached_property
    def preprocessor(self):
        return None  # images go through the encoder's converter, in `featurize`

    @property
    def size(self) -> int:
        return int(self.encoder.info["image_size"])

    @property
    def channels(self) -> int:
        return int(self.encoder.info.get("channels", 3))

    def encoded(self, data: LabeledSet) -> list[bytes]:
        """Each row's image as PNG bytes: files read as pretraining reads them."""
        from ssl_domains.errors import UserError
        from ssl_domains.image.reading import png_bytes, read_image

        encoded = []
        root = Path(data.path).parent
        for path in data.columns["image"]:
            if isinstance(path, bytes | np.ndarray):  # already encoded (saved samples)
                encoded.append(bytes(path))
                continue
            try:
                encoded.append(png_bytes(read_image(root / path, self.channels)))
            except ValueError as error:
                raise UserError(f"{data.path}: {path}: {error}") from None
        return encoded

    def features(self, data: LabeledSet) -> tf.data.Dataset:
        return tf.data.Dataset.from_tensor_slices(self.encoded(data))

    def featurize(self, encoded):
        from ssl_domains.image.pixels import decode_bytes, to_backbone

        return to_backbone(self.encoder.converter, decode_bytes(encoded, self.channels, self.size))

    def build_model(self, dropout: float = 0.1) -> keras.Model:
        return image_head(self.encoder, len(self.labels), dropout, "image_classifier")

    def embed_batch(self, inputs):
        from ssl_domains.image.backbones import pooled_features

        return pooled_features(self.encoder.backbone(inputs, training=False))

    def sample_inputs(self, data, count=8):
        return [self.encoded(data.subset(range(min(count, len(data)))))]

    def synthetic_samples(self, count=8):
        """Random PNG images, square and not, smaller and larger than `image_size`, so
        resizing and cropping are checked too."""
        from ssl_domains.image.reading import png_bytes

        rng = np.random.default_rng(0)
        images = []
        for i in range(count):
            height, width = (self.size // 2 + 3 * i, self.size + 5 * (count - i))
            pixels = rng.integers(0, 256, (height, width, self.channels), dtype=np.uint8)
            images.append(png_bytes(pixels))
        return {"image": images}

    def keep_samples(self, directory):
        """The synthetic images go to `SAMPLES_FILE` as PNG bytes; `task.json` records none."""
        encoded = [np.frombuffer(b, np.uint8) for b in self.synthetic_samples()["image"]]
        np.savez(directory / SAMPLES_FILE, *encoded)
        return {}
