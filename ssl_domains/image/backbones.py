"""Image backbones in named sizes: keras-hub's `ViTBackbone` and `ResNetBackbone`.

The recipes take their `sizes` from here (`--size`). ViT sizes follow Dosovitskiy
et al., 2020 (Base) and Touvron et al., 2021 (DeiT-Tiny, DeiT-Small); ResNet sizes
He et al., 2016. `nano` sizes are ours: small enough for a laptop CPU and for tests.
The patch size of a ViT is part of its size; the image side (the domain's
`image_size`) must be a multiple of it.
"""

from __future__ import annotations

from typing import Any

VIT_SIZES: dict[str, dict[str, int]] = {
    "vit-nano": dict(patch_size=8, num_layers=2, num_heads=2, hidden_dim=64, mlp_dim=128),
    "vit-tiny": dict(patch_size=16, num_layers=12, num_heads=3, hidden_dim=192, mlp_dim=768),
    "vit-small": dict(patch_size=16, num_layers=12, num_heads=6, hidden_dim=384, mlp_dim=1536),
    "vit-base": dict(patch_size=16, num_layers=12, num_heads=12, hidden_dim=768, mlp_dim=3072),
}
RESNET_SIZES: dict[str, dict[str, Any]] = {
    "resnet-nano": dict(
        stackwise_num_filters=[64, 128],  # keras-hub requires 64 first
        stackwise_num_blocks=[1, 1],
        stackwise_num_strides=[1, 2],
        block_type="basic_block",
    ),
    "resnet-18": dict(
        stackwise_num_filters=[64, 128, 256, 512],
        stackwise_num_blocks=[2, 2, 2, 2],
        stackwise_num_strides=[1, 2, 2, 2],
        block_type="basic_block",
    ),
    "resnet-50": dict(
        stackwise_num_filters=[64, 128, 256, 512],
        stackwise_num_blocks=[3, 4, 6, 3],
        stackwise_num_strides=[1, 2, 2, 2],
        block_type="bottleneck_block",
    ),
}
IMAGE_SIZES = {**VIT_SIZES, **RESNET_SIZES}


def build_image_backbone(size: str, image_size: int, channels: int = 3):
    """A freshly initialised keras-hub backbone of a named size for square images of
    side `image_size` with `channels` channels."""
    import keras_hub

    from ssl_domains.errors import UserError

    shape = (image_size, image_size, channels)
    if size in VIT_SIZES:
        dims = VIT_SIZES[size]
        if image_size % dims["patch_size"]:
            raise UserError(
                f"{size} cuts images into {dims['patch_size']}-pixel patches; the domain's "
                f"image_size {image_size} is not a multiple of it"
            )
        return keras_hub.models.ViTBackbone(image_shape=shape, **dims)
    if size in RESNET_SIZES:
        return keras_hub.models.ResNetBackbone(
            input_conv_filters=[64],
            input_conv_kernel_sizes=[7],
            image_shape=shape,
            **RESNET_SIZES[size],
        )
    raise UserError(f"unknown image backbone size {size!r}; sizes: {', '.join(IMAGE_SIZES)}")


def image_shape(backbone) -> tuple[int, int, int]:
    """`(height, width, channels)` a backbone takes (channels last)."""
    return tuple(backbone.input.shape[1:])


def pooled_features(outputs):
    """One vector per image from a backbone's output: the mean over a ResNet's feature
    map `[b, h, w, c]`, or over a ViT's tokens `[b, tokens, dim]` (class token included,
    which MAE's linear probes also average over)."""
    from keras import ops

    axes = (1, 2) if len(outputs.shape) == 4 else (1,)
    return ops.mean(outputs, axis=axes)


def pooling_layer(backbone, name: str = "mean_pool"):
    """The Keras layer that pools as `pooled_features` does, for saved models."""
    import keras

    rank = len(backbone.output.shape)
    pool = keras.layers.GlobalAveragePooling2D if rank == 4 else keras.layers.GlobalAveragePooling1D
    return pool(name=name)
