"""The SimCLR model: two augmented views, one encoder, a projection head, NT-Xent.

Paper: Chen et al., 2020, "A Simple Framework for Contrastive Learning of Visual
Representations", arXiv:2002.05709 (figure 2). One step, on a batch of `n` images in
[0, 1]:

1. Two independent draws of the view augmentation give `2n` views, which go through
   the encoder's converter and backbone as one batch and are pooled to one vector
   per view (`TwoViewModel`, shared with BYOL and Barlow Twins: on the accelerator,
   fresh draws every step, BatchNorm over both views as the paper's global one).
2. The projection head (`ProjectionHead`) maps them to the space of the loss.
3. NT-Xent over the `2n` projections, with temperature `t`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from ssl_domains.recipes.two_views_model import TwoViewModel

from ssl_domains.api import nt_xent

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
class SimCLRModel(TwoViewModel):
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
        metric_names = ("contrastive_loss", "accuracy")
        super().__init__(backbone, converter, views, metric_names, **kwargs)
        self.projection_dim = projection_dim
        self.projection_hidden_dim = projection_hidden_dim
        self.projection_layers = projection_layers
        self.temperature = temperature
        self.projection = self.head(
            projection_hidden_dim, projection_dim, projection_layers, "projection"
        )

    def call(self, images: Tensor, training: bool = False) -> dict[str, Tensor]:
        features = self.encode(self.backbone, self.draw_views(images), training)
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
        accuracy = contrastive_accuracy(first, second)
        self.track({"contrastive_loss": contrastive, "accuracy": accuracy}, first)
        return self.with_regularizers(contrastive)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            projection_dim=self.projection_dim,
            projection_hidden_dim=self.projection_hidden_dim,
            projection_layers=self.projection_layers,
            temperature=self.temperature,
        )
        return config
