"""Augmented views of images for contrastive and self-distillation recipes.

Keras 3 has the colour, blur, flip and crop layers; it has no random resized crop
(keras issue 21822), the one augmentation SimCLR calls essential, so it is here, on
`keras.ops`, for TensorFlow, JAX and PyTorch alike.
"""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ssl_domains")
class RandomResizedCrop(keras.layers.Layer):
    """Crop a random box of each image and resize it to `(height, width)`.

    The box covers a share of the image's area drawn uniformly from `scale`, with an
    aspect ratio (box width / height, in pixels) drawn log-uniformly from `ratio`, at
    a uniform position. Where a box of that area and ratio would not fit, its area is
    lowered until it does (on a square image with the default bounds, only shares
    above 75% are): one draw per image, no retries as torchvision's has, so it runs
    batched under XLA. Outside training,
    the whole image is resized.

    Args:
        height, width: the output size.
        scale: bounds of the box's share of the image area (Inception's 0.08 to 1).
        ratio: bounds of the box's aspect ratio.
        seed: for the layer's `SeedGenerator`.

    Input: `[batch, h, w, channels]` floats, channels last. Output: `[batch, height,
    width, channels]`, bilinear, within the input's value range.
    """

    def __init__(self, height, width, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def boxes(self, batch: int, image_height, image_width):
        """`[batch, 4]` boxes as `(top, left, box_height, box_width)` in pixels."""
        image_height = ops.cast(image_height, "float32")
        image_width = ops.cast(image_width, "float32")

        def uniform(low, high):
            return keras.random.uniform((batch,), low, high, seed=self.seed_generator)

        share = uniform(*self.scale)
        ratio = ops.exp(uniform(math.log(self.ratio[0]), math.log(self.ratio[1])))
        # The largest share a box of this ratio can have and still fit.
        share = ops.minimum(
            share,
            ops.minimum(image_width / (image_height * ratio), image_height * ratio / image_width),
        )
        area = share * image_height * image_width
        box_width = ops.sqrt(area * ratio)
        box_height = ops.sqrt(area / ratio)
        top = uniform(0.0, 1.0) * ops.maximum(image_height - box_height, 0.0)
        left = uniform(0.0, 1.0) * ops.maximum(image_width - box_width, 0.0)
        return ops.stack([top, left, box_height, box_width], axis=1)

    def call(self, images, training=True):
        images = ops.convert_to_tensor(images, "float32")
        if training:
            shape = ops.shape(images)
            top, left, box_height, box_width = ops.unstack(
                self.boxes(shape[0], shape[1], shape[2]), axis=1
            )
            x_step = box_width / ops.cast(shape[2], "float32")
            y_step = box_height / ops.cast(shape[1], "float32")
            # Output pixel (x, y) samples input (left + x * x_step, top + y * y_step), at
            # the input's resolution; the resize below brings it to the output's.
            zeros = ops.zeros_like(top)
            transform = ops.stack([x_step, zeros, left, zeros, y_step, top, zeros, zeros], axis=1)
            images = ops.image.affine_transform(images, transform, fill_mode="nearest")
        return ops.image.resize(images, (self.height, self.width))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, input_shape[-1])

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "scale": self.scale,
            "ratio": self.ratio,
            "seed": self.seed,
        }


def standard_views(size: int, color: bool = True, flips: bool = True, seed=None, scale=(0.08, 1.0)):
    """The augmentations of one SimCLR view (Chen et al., 2020, appendix A), as Keras
    layers on images valued in [0, 1]: a random resized crop to `size`, a horizontal
    flip, colour jitter of strength 0.5 (brightness, contrast and saturation 0.4, hue
    0.1) and a random grayscale with probability 0.2, then a Gaussian blur.

    `color=False` leaves out the colour layers (grayscale scans), `flips=False` the
    flip (images whose orientation means something); `scale` bounds the crop's share
    of the image (raise its lower end where scale carries meaning, as at a
    microscope's fixed magnification). Where this departs from the
    paper: Keras's colour jitter applies to every image (the paper: 80% of them), and
    the blur's strength is drawn per image rather than applied to half of them.
    """
    layers = [RandomResizedCrop(size, size, scale=scale, seed=seed)]
    if flips:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if color:
        layers += [
            keras.layers.RandomColorJitter(
                value_range=(0, 1),
                brightness_factor=0.4,
                contrast_factor=0.4,
                saturation_factor=0.4,
                hue_factor=0.1,
                seed=seed,
            ),
            keras.layers.RandomGrayscale(factor=0.2, seed=seed),
        ]
    kernel = max(3, (size // 10) | 1)  # odd, about a tenth of the image, as in the paper
    layers.append(
        keras.layers.RandomGaussianBlur(
            factor=1.0, kernel_size=kernel, sigma=(0.1, 2.0), value_range=(0, 1), seed=seed
        )
    )
    return keras.Sequential(layers, name="view")
