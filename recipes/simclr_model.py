"""The SimCLR model: two augmented views, one encoder, a projection head, NT-Xent.

Paper: Chen et al., 2020, "A Simple Framework for Contrastive Learning of Visual
Representations", arXiv:2002.05709 (figure 2). One step, on a batch of `n` images in
[0, 1]:

1. Two independent draws of the view augmentation give `2n` views. The augmentation
   is a stack of Keras layers inside the model, so it runs on the accelerator, under
   `jit` on JAX and under `tf.function` on TensorFlow; its `SeedGenerator`s are
   variables of the model, so every call and every step draws anew (on JAX their
   state goes in and out of the compiled step like the BatchNorm statistics).
2. The encoder's converter maps the views to the backbone's input; the backbone's
   output is pooled to one vector per view (`pooled_features`).
3. The projection head (`ProjectionHead`) maps it to the space of the loss.
4. NT-Xent over the `2n` projections, with temperature `t`.

Both views go through the backbone as one batch of `2n`, so BatchNorm normalises over
both (on one device this is the paper's global BatchNorm). Views are drawn in
evaluation too: the held-out task is the same discrimination as in training, only
the backbone and head run in inference mode.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from ssl_domains.api import ProjectionHead, nt_xent, pooled_features, to_backbone

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor


def contrastive_accuracy(first: Tensor, second: Tensor) -> Tensor:
    """Share of the `2n` anchors whose positive (the other view of the same image) has
    the highest cosine similarity among the `2n - 1` other projections; `[n, dim]` each."""
    anchors = ops.normalize(ops.concatenate([first, second], axis=0), axis=-1)
    similarities = ops.matmul(anchors, ops.transpose(anchors))
    total = ops.shape(anchors)[0]
    similarities = similarities - 1e9 * ops.eye(total, dtype=similarities.dtype)
    rows = ops.arange(total)
    half = total // 2
    positive = ops.where(rows < half, rows + half, rows - half)
    hits = ops.cast(ops.argmax(similarities, axis=-1), "int32") == ops.cast(positive, "int32")
    return ops.mean(ops.cast(hits, "float32"))


@keras.saving.register_keras_serializable(package="ssl_domains")
class SimCLRModel(keras.Model):
    """SimCLR pretraining around an image backbone.

    Inputs: images `(n, S, S, C)` float32 in [0, 1], no labels.

    Outputs of `call`, a dict: `"first"` and `"second"`, `(n, projection_dim)`, the
    projections of the two views of each image.

    Metrics, besides `loss`: `contrastive_loss` (NT-Xent alone, without regularisers)
    and `accuracy` (share of anchors whose positive ranks first of the `2n - 1`
    candidates; chance is `1 / (2n - 1)`).

    Args:
        backbone: a keras-hub image backbone taking `(S, S, C)` (ResNet, ViT, ...).
        converter: the encoder's keras-hub `ImageConverter`, [0, 255] to the backbone's
            input (see `ssl_domains.image.pixels.to_backbone`).
        views: a Keras layer or model drawing one view of images in [0, 1], e.g.
            `ssl_domains.image.views.standard_views(S)`.
        projection_dim: output width of the projection head (SimCLR: 128).
        projection_hidden_dim: its hidden width; 0 for the backbone's feature width,
            as the paper.
        projection_layers: Dense layers of the head (SimCLR v1: 2, v2: 3).
        temperature: `t` of NT-Xent.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Examples:

    ```python
    import keras
    import numpy as np
    from ssl_domains.image.backbones import build_image_backbone
    from ssl_domains.image.pixels import fresh_converter
    from ssl_domains.image.views import standard_views
    from ssl_domains.recipes.simclr_model import SimCLRModel

    model = SimCLRModel(
        build_image_backbone("resnet-nano", 32), fresh_converter(32), standard_views(32)
    )
    model.compile(optimizer=keras.optimizers.AdamW(1e-3))
    images = np.random.default_rng(0).uniform(0, 1, (64, 32, 32, 3)).astype("float32")
    model.fit(images, batch_size=16, epochs=1)  # logs loss, contrastive_loss, accuracy
    ```
    """

    def __init__(
        self,
        backbone: keras.Model,
        converter: keras.layers.Layer,
        views: keras.layers.Layer,
        projection_dim: int = 128,
        projection_hidden_dim: int = 0,
        projection_layers: int = 2,
        temperature: float = 0.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.backbone = backbone
        self.converter = converter
        self.views = views
        self.projection_dim = projection_dim
        self.projection_hidden_dim = projection_hidden_dim
        self.projection_layers = projection_layers
        self.temperature = temperature
        width = int(backbone.output.shape[-1])
        self.projection = ProjectionHead(
            projection_hidden_dim or width, projection_dim, projection_layers, name="projection"
        )
        self.projection.build((None, width))
        self.contrastive_loss_tracker = keras.metrics.Mean(name="contrastive_loss")
        self.accuracy_tracker = keras.metrics.Mean(name="accuracy")

    def call(self, images: Tensor, training: bool = False) -> dict[str, Tensor]:
        # Views are the task, not a regulariser: drawn in evaluation as in training.
        first = self.views(images, training=True)
        second = self.views(images, training=True)
        pair = ops.concatenate([first, second], axis=0)
        features = pooled_features(
            self.backbone(to_backbone(self.converter, pair), training=training)
        )
        projections = self.projection(features, training=training)
        n = ops.shape(images)[0]
        return {"first": projections[:n], "second": projections[n:]}

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: dict[str, Tensor] | None = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        # float32 whatever the compute dtype: NT-Xent masks with -1e9.
        first = ops.cast(y_pred["first"], "float32")
        second = ops.cast(y_pred["second"], "float32")
        contrastive = nt_xent(first, second, self.temperature)
        loss = contrastive
        for extra in self.losses:  # regularizers, if a user adds any
            loss = loss + ops.cast(extra, loss.dtype)
        # Weighted by images, as Keras weights `loss`, so averages over uneven
        # evaluation batches agree.
        images = ops.cast(ops.shape(first)[0], "float32")
        self.contrastive_loss_tracker.update_state(contrastive, sample_weight=images)
        self.accuracy_tracker.update_state(
            contrastive_accuracy(first, second), sample_weight=images
        )
        return loss

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            backbone=keras.layers.serialize(self.backbone),
            converter=keras.layers.serialize(self.converter),
            views=keras.layers.serialize(self.views),
            projection_dim=self.projection_dim,
            projection_hidden_dim=self.projection_hidden_dim,
            projection_layers=self.projection_layers,
            temperature=self.temperature,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SimCLRModel:
        config = dict(config)
        for key in ("backbone", "converter", "views"):
            config[key] = keras.layers.deserialize(config[key])
        return cls(**config)
