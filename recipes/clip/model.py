"""The CLIP model: a dual encoder trained with a symmetric InfoNCE loss.

Paper: Radford et al., 2021, "Learning Transferable Visual Models From Natural
Language Supervision", arXiv:2103.00020 (figure 3). In the style of keras.io's Keras
3 dual-encoder example ("Natural language image search with a Dual Encoder"): a
`keras.Model` subclass whose `call` embeds both sides and whose `compute_loss`, in
`keras.ops` only, is the contrastive loss, so one code path trains on TensorFlow, JAX
and PyTorch. One step, on `n` pairs:

1. Images in [0, 1] go through the encoder's converter and the image tower, pooled
   and projected (`get_vision_embeddings`); token ids through the text tower, pooled
   and projected (`get_text_embeddings`).
2. Both are L2-normalised; their `n x n` cosine similarities times the learned scale
   `min(exp(t), 100)` are the logits, and the loss is the mean of the image->text and
   text->image cross-entropies with the pairs on the diagonal
   (`ssl_domains.objectives.losses.info_nce`), negatives gathered across replicas.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from ssl_domains.api import info_nce, logit_scale_multiplier, replica_share, to_backbone

Tensor = Any


def retrieval_accuracy(image_embeddings: Tensor, text_embeddings: Tensor) -> Tensor:
    """Share of the `n` images whose own caption is the most similar of the batch's."""
    images = ops.normalize(image_embeddings, axis=-1)
    texts = ops.normalize(text_embeddings, axis=-1)
    best = ops.argmax(ops.matmul(images, ops.transpose(texts)), axis=-1)
    hits = ops.cast(best, "int32") == ops.cast(ops.arange(ops.shape(images)[0]), "int32")
    return ops.mean(ops.cast(hits, "float32"))


@keras.saving.register_keras_serializable(package="ssl_domains")
class CLIPModel(keras.Model):
    """CLIP pretraining around a dual encoder.

    Inputs: `{"images": (n, S, S, C) float32 in [0, 1], "token_ids": (n, t) int32}`.

    Outputs of `call`, a dict: `"image"` and `"text"`, `(n, projection_dim)`, the
    projected (not yet normalised) embeddings.

    Metrics, besides `loss`: `contrastive_loss` (the InfoNCE alone), `accuracy` (share
    of images whose caption ranks first among the batch's `n`; chance `1 / n`), and
    `logit_scale` (the multiplier, `min(exp(t), 100)`).

    Args:
        backbone: a `DualEncoderBackbone` or keras-hub `CLIPBackbone`.
        converter: the image converter, [0, 255] to the image tower's input.
        **kwargs: `keras.Model` arguments.

    Examples:

    ```python
    import keras, keras_hub, numpy as np
    from ssl_domains.image.backbones import build_image_backbone
    from ssl_domains.image.pixels import fresh_converter
    from ssl_domains.image_text.dual_encoder import DualEncoderBackbone
    from ssl_domains.recipes.clip.model import CLIPModel

    text = keras_hub.models.BertBackbone(
        vocabulary_size=50, num_layers=1, num_heads=2, hidden_dim=32, intermediate_dim=64
    )
    dual = DualEncoderBackbone(build_image_backbone("vit-nano", 32), text, projection_dim=16)
    model = CLIPModel(dual, fresh_converter(32))
    model.compile(optimizer=keras.optimizers.AdamW(1e-3))
    rng = np.random.default_rng(0)
    x = {"images": rng.uniform(0, 1, (32, 32, 32, 3)).astype("float32"),
         "token_ids": rng.integers(1, 50, (32, 8)).astype("int32")}
    model.fit(x, batch_size=16, epochs=1)
    ```
    """

    def __init__(self, backbone: keras.Model, converter: keras.layers.Layer, **kwargs: Any):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.converter = converter
        self.contrastive_loss_tracker = keras.metrics.Mean(name="contrastive_loss")
        self.accuracy_tracker = keras.metrics.Mean(name="accuracy")
        self.scale_tracker = keras.metrics.Mean(name="logit_scale")

    def call(self, inputs: dict[str, Tensor], training: bool = False) -> dict[str, Tensor]:
        pixels = to_backbone(self.converter, inputs["images"])
        return {
            # `training` reaches the towers through Keras's call context.
            "image": self.backbone.get_vision_embeddings(pixels),
            "text": self.backbone.get_text_embeddings(inputs["token_ids"]),
        }

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: dict[str, Tensor] | None = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        images = ops.cast(y_pred["image"], "float32")
        texts = ops.cast(y_pred["text"], "float32")
        scale = logit_scale_multiplier(self.backbone.clip_head.logit_scale)
        contrastive = info_nce(images, texts, scale)
        loss = contrastive
        for extra in self.losses:
            loss = loss + ops.cast(extra, loss.dtype)
        pairs = ops.cast(ops.shape(images)[0], "float32")
        self.contrastive_loss_tracker.update_state(contrastive, sample_weight=pairs)
        self.accuracy_tracker.update_state(retrieval_accuracy(images, texts), sample_weight=pairs)
        self.scale_tracker.update_state(scale)
        return replica_share(loss)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            backbone=keras.layers.serialize(self.backbone),
            converter=keras.layers.serialize(self.converter),
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CLIPModel:
        config = dict(config)
        for key in ("backbone", "converter"):
            config[key] = keras.layers.deserialize(config[key])
        return cls(**config)
