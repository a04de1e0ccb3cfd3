"""One pixel path for training, probes and serving: square crops, decoded bytes, and the
converter's arithmetic on the training device."""

import io

import keras_hub
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ssl_domains.image.pixels import decode_bytes, square, to_backbone


def test_a_wide_image_keeps_its_centre_at_the_square_size():
    image = np.zeros((40, 80, 3), np.uint8)
    image[:, 20:60] = 255  # the centre half is white, the sides black
    pixels = square(tf.constant(image), 32).numpy()
    assert pixels.shape == (32, 32, 3) and pixels.dtype == np.float32
    assert pixels.min() >= 0 and pixels.max() <= 1
    assert pixels[:, 2:-2].min() > 0.99  # the centre crop is the white band


def test_decoded_png_bytes_give_the_same_pixels_as_the_array():
    image = np.random.default_rng(0).integers(0, 256, (50, 30, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    decoded = decode_bytes(tf.constant([buffer.getvalue()]), 3, 24).numpy()[0]
    np.testing.assert_array_equal(decoded, square(tf.constant(image), 24).numpy())


@pytest.mark.parametrize(
    "converter",
    [
        dict(image_size=(32, 32), scale=1 / 255),
        dict(image_size=(32, 32), scale=[1 / 58.4, 1 / 57.1, 1 / 57.4], offset=[-2.1, -2.0, -1.8]),
        dict(image_size=(16, 16), scale=1 / 127.5, offset=-1),
    ],
)
def test_to_backbone_computes_what_the_keras_hub_converter_computes(converter):
    layer = keras_hub.layers.ImageConverter(**converter)
    images = np.random.default_rng(1).uniform(0, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(to_backbone(layer, images)), np.asarray(layer(images * 255.0)), atol=1e-5
    )
