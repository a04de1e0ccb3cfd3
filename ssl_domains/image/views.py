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


@keras.saving.register_keras_serializable(package="ssl_domains")
class RandomSolarization(keras.layers.Layer):
    """Solarisation of a share `rate` of the images of a batch, each image drawn on
    its own: pixels at or above `threshold` become `1 - pixel` (images in [0, 1]).

    Keras's `Solarization` transforms every image, and draws its threshold from
    `[lower, upper * 255]` (keras 3.15: the lower end is left unscaled), so it cannot
    be asked for BYOL's fixed threshold of half the range; this is one `where`.

    Args:
        rate: the probability that an image is solarised (BYOL, DINO: 0.2).
        threshold: in [0, 1] (BYOL: 0.5).
        seed: for the draw's `SeedGenerator`.
    """

    def __init__(self, rate: float = 0.2, threshold: float = 0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.threshold, self.seed = float(rate), float(threshold), seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        if not training or self.rate <= 0:
            return images
        chosen = keras.random.uniform((ops.shape(images)[0], 1, 1, 1), seed=self.generator)
        solarised = ops.where(images < self.threshold, images, 1.0 - images)
        return ops.where(chosen < self.rate, solarised, images)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "threshold": self.threshold,
            "seed": self.seed,
        }


# (blur, solarisation) odds per view. BYOL (Grill et al., 2020, table 6): its first
# view and its second. DINO (Caron et al., 2021, appendix; its `DataAugmentationDINO`):
# the first global crop, the second, and the local crops.
BYOL_ODDS = ((1.0, 0.0), (0.1, 0.2))
DINO_ODDS = ((1.0, 0.0), (0.1, 0.2), (0.5, 0.0))


def asymmetric_views(view, odds=BYOL_ODDS) -> list:
    """One `keras.Sequential` per `(blur, solarize)` pair of `odds`: copies of `view`'s
    layers with those odds (`with_odds`), its crop, flips and colour kept."""
    layers = list(getattr(view, "layers", [view]))
    return [
        keras.Sequential(with_odds(layers, *pair, salt=i), name=f"view_{i + 1}")
        for i, pair in enumerate(odds)
    ]


def with_odds(layers, blur: float, solarize: float = 0.0, salt: int = 0) -> list:
    """Fresh copies of a view's `layers`, its Gaussian blur applied to a share `blur` of
    images and a solarisation (threshold 0.5, BYOL's) to a share `solarize` after it.

    BYOL's two views and DINO's crops differ only in these odds (BYOL, Grill et al.,
    2020, table 6: blur 1.0 and 0.1, solarisation 0 and 0.2; DINO, Caron et al., 2021:
    the same for its global crops, blur 0.5 for its local ones). Copies, not the
    layers themselves, so that each view draws from its own seeds and a model rebuilt
    from its config has the same variables; a fixed seed is offset by `salt`, which
    each view's copies should have their own of.
    """
    out = []
    for layer in layers:
        config = layer.get_config()
        if config.get("seed") is not None:
            config["seed"] += salt
        if isinstance(layer, keras.layers.RandomGaussianBlur):
            config["factor"] = (blur, blur)  # Keras draws each image's odds in this range
        out.append(layer.__class__.from_config(config))
    if solarize > 0:
        out.append(RandomSolarization(solarize, seed=None, dtype="float32"))
    return out


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
    the blur, applied to half of the images as in the paper (Keras draws each image's
    odds uniformly from `[0, factor]`), has one strength per batch, not per image.
    """
    # Augmenting pixels in float32 under any precision policy: Keras's blur has no
    # float16 kernel, and reduced precision buys nothing here.
    f32 = {"dtype": "float32"}
    layers = [RandomResizedCrop(size, size, scale=scale, seed=seed, **f32)]
    if flips:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed, **f32))
    if color:
        layers += [
            keras.layers.RandomColorJitter(
                value_range=(0, 1),
                brightness_factor=0.4,
                contrast_factor=0.4,
                saturation_factor=0.4,
                hue_factor=0.1,
                seed=seed,
                **f32,
            ),
            keras.layers.RandomGrayscale(factor=0.2, seed=seed, **f32),
        ]
    kernel = max(3, (size // 10) | 1)  # odd, about a tenth of the image, as in the paper
    layers.append(
        keras.layers.RandomGaussianBlur(
            factor=1.0,
            kernel_size=kernel,
            sigma=(0.1, 2.0),
            value_range=(0, 1),
            seed=seed,
            **f32,
        )
    )
    return keras.Sequential(layers, name="view")


@keras.saving.register_keras_serializable(package="ssl_domains")
class MultiCrop(keras.layers.Layer):
    """DINO's multi-crop (Caron et al., 2021, section 3.1; SwAV's, Caron et al., 2020):
    two global crops and `local_crops` local ones of each image, each then augmented.

    Input: `[batch, h, w, channels]` in [0, 1]. Output: a list of `2 + local_crops`
    tensors, the two global views `[batch, global_size, global_size, channels]` first,
    then the local ones `[batch, local_size, local_size, channels]`.

    Args:
        global_size, local_size: sides of the global and local crops.
        local_crops: how many local crops (DINO: 6 to 10; 0 for two views only).
        global_scale, local_scale: bounds of each crop's share of the image's area.
        augment: layers applied to every crop after it is cut (flips, colour, blur),
            one by one, so they take crops of either size.
        odds: `None` to augment every crop alike, or `(blur, solarize)` odds for the
            first global crop, the second, and the local ones (`with_odds`; DINO's:
            `DINO_ODDS`).
        seed: for the crops' `SeedGenerator`s.
    """

    def __init__(
        self,
        global_size,
        local_size,
        local_crops=2,
        global_scale=(0.4, 1.0),
        local_scale=(0.05, 0.4),
        augment=(),
        odds=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.global_size, self.local_size = int(global_size), int(local_size)
        self.local_crops = int(local_crops)
        self.global_scale, self.local_scale = tuple(global_scale), tuple(local_scale)
        self.seed = seed
        crop = {"seed": seed, "dtype": "float32"}  # as `standard_views` augments
        self.global_crop = RandomResizedCrop(global_size, global_size, global_scale, **crop)
        self.local_crop = RandomResizedCrop(local_size, local_size, local_scale, **crop)
        self.augment = [
            keras.layers.deserialize(layer) if isinstance(layer, dict) else layer
            for layer in augment
        ]
        self.odds = None if odds is None else [tuple(map(float, pair)) for pair in odds]
        # Per crop kind: the first global crop, the second, the local ones.
        self.first_augment = self.second_augment = self.local_augment = self.augment
        if self.odds is not None:
            kinds = [with_odds(self.augment, *pair, salt=i) for i, pair in enumerate(self.odds)]
            self.first_augment, self.second_augment, self.local_augment = kinds

    def call(self, images, training=True):
        crops = [self.global_crop(images, training=training) for _ in range(2)]
        crops += [self.local_crop(images, training=training) for _ in range(self.local_crops)]
        kinds = [self.first_augment, self.second_augment]
        out = []
        for i, crop in enumerate(crops):
            for layer in kinds[i] if i < 2 else self.local_augment:
                crop = layer(crop, training=training)
            out.append(crop)
        return out

    def compute_output_shape(self, input_shape):
        batch, channels = input_shape[0], input_shape[-1]
        sizes = [self.global_size] * 2 + [self.local_size] * self.local_crops
        return [(batch, size, size, channels) for size in sizes]

    def get_config(self):
        return {
            **super().get_config(),
            "global_size": self.global_size,
            "local_size": self.local_size,
            "local_crops": self.local_crops,
            "global_scale": self.global_scale,
            "local_scale": self.local_scale,
            "augment": [keras.layers.serialize(layer) for layer in self.augment],
            "odds": self.odds,
            "seed": self.seed,
        }


def multi_crop_views(
    global_size: int,
    local_size: int | None = None,
    local_crops: int = 2,
    global_scale=(0.4, 1.0),
    local_scale=(0.05, 0.4),
    view=None,
    color: bool = True,
    flips: bool = True,
    seed=None,
    odds=None,
) -> MultiCrop:
    """DINO's multi-crop views: 2 global crops (DINO: 224 px, 40-100% of the image) and
    `local_crops` local ones (DINO: 96 px, 5-40%), each augmented as a view.

    A domain's own views combine with it through `view` (its `ImageDomain.views`):
    its random resized crop is replaced by the global and local crops, and its other
    layers (flips, colour, blur) augment every crop. The lower bound of its crop's
    scale is a floor for every crop: a domain that says a crop keeps at least 30% of
    the image, because size carries meaning there (biomedical-imaging's fixed
    magnification), gets local crops of 30-40% rather than 5-40%, so no view
    magnifies more than the domain allows. Without `view`, SimCLR's augmentations
    (`standard_views` at `global_size`, with `color` and `flips`) are used.

    Backbones of a fixed input size. keras-hub's `ViTBackbone` and `ResNetBackbone`
    are functional models with a fixed `image_shape`; both raise on any other size
    (measured, keras-hub 0.32: a 64-px ResNet or ViT called on 32-px images), and a
    ViT's position embeddings are sized for its patch count. A model feeding these
    crops to such a backbone resizes local crops to the backbone's size (the
    `to_backbone` conversion does it). Resizing a small crop up only interpolates, so
    recipes for fixed-size backbones draw local crops at the global size
    (`local_size=global_size`, the default): the same pixels, detail kept, and the
    same cost per crop as a global one. A backbone that accepts other sizes can take
    `local_size` smaller, as DINO's 96 px, for cheaper local crops.

    `odds` sets the blur and solarisation odds per crop kind (`MultiCrop`); DINO's are
    `DINO_ODDS`. `None` augments every crop as `view` does.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.image.views import multi_crop_views

    crops = multi_crop_views(64, 32, local_crops=4)
    views = crops(np.random.rand(8, 64, 64, 3).astype("float32"))
    [tuple(v.shape) for v in views]  # 2 x (8, 64, 64, 3), then 4 x (8, 32, 32, 3)
    ```
    """
    floor = 0.0
    if view is None:
        view = standard_views(global_size, color=color, flips=flips, seed=seed)
    else:
        layers = list(getattr(view, "layers", [view]))
        crops = [layer.scale[0] for layer in layers if isinstance(layer, RandomResizedCrop)]
        floor = max(crops, default=0.0)
    layers = list(getattr(view, "layers", [view]))
    global_scale = (max(global_scale[0], floor), max(global_scale[1], floor))
    local_scale = (max(local_scale[0], floor), max(local_scale[1], floor))
    augment = [layer for layer in layers if not isinstance(layer, RandomResizedCrop)]
    return MultiCrop(
        global_size,
        local_size or global_size,
        local_crops,
        global_scale,
        local_scale,
        augment,
        odds=odds,
        seed=seed,
        name="multi_crop",
    )
