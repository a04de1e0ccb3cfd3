"""`DualEncoderBackbone`: an image tower and a text tower projected into one space.

The backbone of image-text encoders (CLIP, Radford et al., 2021): any keras-hub image
backbone (`ViTBackbone`, `ResNetBackbone`) and any keras-hub text backbone (`BertBackbone`,
...), each pooled to one vector (the mean over a feature map or ViT tokens; the
masked mean over tokens), then a linear projection without bias into a shared space
of `projection_dim`, and a learnable logit scale (`clip_head.logit_scale`, stored as
a log, as CLIP does). It has the interface of keras-hub's own `CLIPBackbone`
(`get_vision_embeddings`, `get_text_embeddings`, `clip_head.logit_scale`), so
recipes, evaluation and export treat both alike, and a real CLIP preset continues
where this one would start fresh.

It saves and loads as a keras-hub preset (`save_to_preset`, `Backbone.from_preset`),
towers included, with the tokenizer and image converter beside it.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import keras_hub
from keras import ops

INITIAL_TEMPERATURE = 0.07  # CLIP: logit scale starts at log(1 / 0.07)
MAX_LOGIT_SCALE = 100.0  # CLIP: the scale exp(s) is clipped at 100


@keras.saving.register_keras_serializable(package="ssl_domains")
class LogitScale(keras.layers.Layer):
    """CLIP's learnable temperature: `logit_scale` (a log), used as `min(exp(s), 100)`.

    Called on `(image_embeddings, text_embeddings)`, it returns the scaled cosine
    similarities `(image_logits [n, m], text_logits [m, n])`, as keras-hub's
    `CLIPHead` does, with CLIP's clip at 100.
    """

    def build(self, input_shape=None):
        self.logit_scale = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(math.log(1 / INITIAL_TEMPERATURE)),
            trainable=True,
            dtype=self.variable_dtype,
            name="logit_scale",
        )
        self.built = True

    def call(self, image_embeddings, text_embeddings):
        scale = logit_scale_multiplier(self.logit_scale)
        images = ops.normalize(image_embeddings, axis=-1)
        texts = ops.normalize(text_embeddings, axis=-1)
        image_logits = ops.matmul(images, ops.transpose(texts)) * ops.cast(scale, images.dtype)
        return image_logits, ops.transpose(image_logits)

    def compute_output_shape(self, image_embeddings_shape, text_embeddings_shape):
        images, texts = image_embeddings_shape[0], text_embeddings_shape[0]
        return (images, texts), (texts, images)


def logit_scale_multiplier(logit_scale):
    """`min(exp(logit_scale), 100)`: the multiplier of cosine similarities."""
    return ops.minimum(ops.exp(ops.cast(logit_scale, "float32")), MAX_LOGIT_SCALE)


def masked_mean(sequence, padding_mask):
    """The mean of `sequence` `[b, t, d]` over positions where `padding_mask` is true."""
    mask = ops.cast(ops.expand_dims(padding_mask, -1), sequence.dtype)
    return ops.sum(sequence * mask, axis=1) / ops.maximum(ops.sum(mask, axis=1), 1.0)


def _pool_image(outputs):
    axes = (1, 2) if len(outputs.shape) == 4 else (1,)
    return ops.mean(outputs, axis=axes)


@keras.saving.register_keras_serializable(package="ssl_domains")
class DualEncoderBackbone(keras_hub.models.Backbone):
    """An image backbone and a text backbone, pooled and projected into one space.

    Inputs: `{"images": [b, H, W, C] as the image backbone takes them, "token_ids":
    [b, t] int}`. Outputs: `{"vision_logits": [b, b], "text_logits": [b, b]}`, the
    scaled cosine similarities of every image with every text (keras-hub's
    `CLIPBackbone` outputs the same).

    Args:
        image_encoder: a keras-hub image backbone (output `[b, h, w, c]` or `[b, t, d]`).
        text_encoder: a keras-hub text backbone taking `token_ids` (and `padding_mask`,
            `segment_ids` if it has those inputs); its sequence output is mean-pooled
            over the tokens that are not padding.
        projection_dim: the width of the shared space.
        pad_token_id: the tokenizer's padding id (what `padding_mask` is derived from).
        **kwargs: `keras_hub.models.Backbone` arguments (`name`, `dtype`).

    Examples:

    ```python
    import keras_hub, numpy as np
    from ssl_domains.image.backbones import build_image_backbone
    from ssl_domains.image_text.dual_encoder import DualEncoderBackbone

    text = keras_hub.models.BertBackbone(
        vocabulary_size=100, num_layers=1, num_heads=2, hidden_dim=32, intermediate_dim=64
    )
    dual = DualEncoderBackbone(build_image_backbone("vit-nano", 32), text, projection_dim=16)
    images = np.zeros((2, 32, 32, 3), "float32")
    tokens = np.array([[2, 5, 6, 3], [2, 7, 3, 0]])
    dual.get_vision_embeddings(images).shape, dual.get_text_embeddings(tokens).shape  # (2, 16)
    ```
    """

    def __init__(
        self,
        image_encoder: keras.Model,
        text_encoder: keras.Model,
        projection_dim: int = 64,
        pad_token_id: int = 0,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder
        self.vision_projection = keras.layers.Dense(
            projection_dim, use_bias=False, dtype=dtype, name="vision_projection"
        )
        self.text_projection = keras.layers.Dense(
            projection_dim, use_bias=False, dtype=dtype, name="text_projection"
        )
        self.clip_head = LogitScale(dtype=dtype, name="clip_head")
        self.pad_token_id = int(pad_token_id)
        inputs = text_encoder.input
        self._text_inputs = set(inputs) if isinstance(inputs, dict) else {"token_ids"}

        images = keras.Input(shape=tuple(image_encoder.input.shape[1:]), name="images")
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        vision_logits, text_logits = self.clip_head(
            self.get_vision_embeddings(images), self.get_text_embeddings(token_ids)
        )
        super().__init__(
            inputs={"images": images, "token_ids": token_ids},
            outputs={"vision_logits": vision_logits, "text_logits": text_logits},
            dtype=dtype,
            **kwargs,
        )
        self.projection_dim = int(projection_dim)

    @property
    def image_shape(self):
        """`(H, W, C)` of the image tower, as keras-hub image backbones say it."""
        return tuple(self.image_encoder.input.shape[1:])

    def get_vision_embeddings(self, images, training=None):
        """`[b, H, W, C]` backbone-ready pixels -> `[b, projection_dim]` (not normalised)."""
        features = _pool_image(self.image_encoder(images, training=training))
        return self.vision_projection(features)

    def get_text_embeddings(self, token_ids, training=None):
        """`[b, t]` token ids -> `[b, projection_dim]` (not normalised); padding is where
        `token_ids == pad_token_id` (packed captions start with a start token)."""
        padding_mask = ops.not_equal(token_ids, self.pad_token_id)
        inputs = {"token_ids": token_ids}
        if "padding_mask" in self._text_inputs:
            inputs["padding_mask"] = padding_mask
        if "segment_ids" in self._text_inputs:
            inputs["segment_ids"] = ops.zeros_like(token_ids)
        outputs = self.text_encoder(inputs, training=training)
        if isinstance(outputs, dict):
            outputs = outputs["sequence_output"]
        return self.text_projection(masked_mean(outputs, padding_mask))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            image_encoder=keras.layers.serialize(self.image_encoder),
            text_encoder=keras.layers.serialize(self.text_encoder),
            projection_dim=self.projection_dim,
            pad_token_id=self.pad_token_id,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects=None):
        config = dict(config)
        for key in ("image_encoder", "text_encoder"):
            config[key] = keras.layers.deserialize(config[key], custom_objects=custom_objects)
        return cls(**config)


def is_dual_encoder(backbone) -> bool:
    """True for a backbone with both towers (ours, or keras-hub's `CLIPBackbone`)."""
    return all(
        hasattr(backbone, name)
        for name in ("get_vision_embeddings", "get_text_embeddings", "clip_head")
    )


def image_tower(backbone):
    """The image backbone inside a dual encoder (ours, or `CLIPBackbone`'s vision encoder)."""
    return getattr(backbone, "image_encoder", None) or backbone.vision_encoder


def image_size_of(backbone) -> tuple[int, int]:
    """`(side, channels)` of the images a dual encoder's image tower takes."""
    shape = tuple(image_tower(backbone).image_shape)
    return int(shape[0] or 224), int(shape[-1] or 3)


# keras-hub finds a preset's tokenizer and image converter through a subclass whose
# `backbone_cls` is the preset's backbone class; these two let `Tokenizer.from_preset`
# and `ImageConverter.from_preset` load what a dual-encoder preset holds (the saved
# config names the real class, a `DomainTokenizer` for instance, and that is built).
@keras.saving.register_keras_serializable(package="ssl_domains")
class DualEncoderTokenizer(keras_hub.tokenizers.Tokenizer):
    backbone_cls = DualEncoderBackbone


@keras.saving.register_keras_serializable(package="ssl_domains")
class DualEncoderImageConverter(keras_hub.layers.ImageConverter):
    backbone_cls = DualEncoderBackbone
