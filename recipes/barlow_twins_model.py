"""The Barlow Twins model: two views' projections, cross-correlated, pushed to identity.

Paper: Zbontar et al., 2021, "Barlow Twins: Self-Supervised Learning via Redundancy
Reduction", arXiv:2103.03230 (figure 1, algorithm 1). One step, on a batch of `n`
images in [0, 1]:

1. Two views of each image go through the backbone as one batch of `2n`
   (`TwoViewModel`, shared with SimCLR and BYOL).
2. The projector (`ProjectionHead`, three layers as the paper's, BatchNorm and ReLU
   after the hidden two) maps the pooled features to `z`.
3. Each view's `z` is standardised per dimension over the batch, and the loss is
   taken on their cross-correlation `C` (`ssl_domains.objectives.losses.barlow_twins`,
   which also says how the batch is aggregated across replicas):
   `sum_i (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2`.

No target network, no predictor, no negatives: the redundancy term alone keeps the
embedding from collapsing (a constant `z` has no correlation to agree on).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from ssl_domains.recipes.two_views_model import TwoViewModel, mismatched, split

from ssl_domains.api import barlow_twins_terms, cross_correlation, embedding_std

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor


def off_diagonal_rms(correlation: Tensor) -> Tensor:
    """The root mean square of the off-diagonal entries of a `[d, d]` matrix."""
    d = ops.cast(ops.shape(correlation)[0], "float32")
    off = ops.sum(ops.square(correlation)) - ops.sum(ops.square(ops.diagonal(correlation)))
    return ops.sqrt(off / (d * (d - 1.0)))


@keras.saving.register_keras_serializable(package="ssl_domains")
class BarlowTwinsModel(TwoViewModel):
    """Barlow Twins pretraining around an image backbone.

    Inputs: images `(n, S, S, C)` float32 in [0, 1], no labels.

    Outputs of `call`, a dict: `"first"` and `"second"`, `(n, projection_dim)`, the
    projections of the two views of each image.

    Metrics, besides `loss`: `barlow_twins_loss` (without regularisers),
    `invariance` and `redundancy` (its two terms, the second before lambda);
    `on_diagonal` (mean `C_ii`: 1 when every dimension agrees across views) and
    `mismatched_on_diagonal` (the same between different images, the baseline);
    `off_diagonal` (root mean square of `C_ij`, `i != j`: 0 when decorrelated);
    `embedding_std` (SimSiam's collapse measure on `z`).

    Args:
        backbone, converter, views: as `TwoViewModel`.
        projection_dim: output width of the projector, `d` (Barlow Twins: 8192).
        projection_hidden_dim: its hidden width (8192); 0 for the backbone's.
        projection_layers: Dense layers of the projector (3).
        redundancy_weight: lambda of the off-diagonal term (5e-3 at d = 8192).
        **kwargs: `keras.Model` arguments (`name`, ...).

    Examples:

    ```python
    import keras
    import numpy as np
    from ssl_domains.image.backbones import build_image_backbone
    from ssl_domains.image.pixels import fresh_converter
    from ssl_domains.image.views import standard_views
    from ssl_domains.recipes.barlow_twins_model import BarlowTwinsModel

    model = BarlowTwinsModel(
        build_image_backbone("resnet-nano", 32), fresh_converter(32), standard_views(32)
    )
    model.compile(optimizer=keras.optimizers.AdamW(1e-3))
    images = np.random.default_rng(0).uniform(0, 1, (64, 32, 32, 3)).astype("float32")
    model.fit(images, batch_size=16, epochs=1)  # logs loss, on_diagonal, off_diagonal, ...
    ```
    """

    def __init__(
        self,
        backbone: keras.Model,
        converter: keras.layers.Layer,
        views: keras.layers.Layer,
        projection_dim: int = 512,
        projection_hidden_dim: int = 512,
        projection_layers: int = 3,
        redundancy_weight: float = 5e-3,
        **kwargs: Any,
    ) -> None:
        metric_names = (
            "barlow_twins_loss",
            "invariance",
            "redundancy",
            "on_diagonal",
            "mismatched_on_diagonal",
            "off_diagonal",
            "embedding_std",
        )
        super().__init__(backbone, converter, views, metric_names, **kwargs)
        self.projection_dim = projection_dim
        self.projection_hidden_dim = projection_hidden_dim
        self.projection_layers = projection_layers
        self.redundancy_weight = redundancy_weight
        self.projection = self.head(
            projection_hidden_dim, projection_dim, projection_layers, "projection"
        )

    def call(self, images: Tensor, training: bool = False) -> dict[str, Tensor]:
        features = self.encode(self.backbone, self.draw_views(images), training)
        first, second = split(self.projection(features, training=training))
        return {"first": first, "second": second}

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: dict[str, Tensor] | None = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        first = ops.cast(y_pred["first"], "float32")
        second = ops.cast(y_pred["second"], "float32")
        correlation = cross_correlation(first, second)
        invariance, redundancy = barlow_twins_terms(correlation)
        loss = invariance + self.redundancy_weight * redundancy
        first, second = ops.stop_gradient(first), ops.stop_gradient(second)
        unrelated = cross_correlation(first, mismatched(second))
        values = {
            "barlow_twins_loss": loss,
            "invariance": invariance,
            "redundancy": redundancy,
            "on_diagonal": ops.mean(ops.diagonal(correlation)),
            "mismatched_on_diagonal": ops.mean(ops.diagonal(unrelated)),
            "off_diagonal": off_diagonal_rms(correlation),
            "embedding_std": embedding_std(first),
        }
        self.track(values, first)
        return self.with_regularizers(loss)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            projection_dim=self.projection_dim,
            projection_hidden_dim=self.projection_hidden_dim,
            projection_layers=self.projection_layers,
            redundancy_weight=self.redundancy_weight,
        )
        return config
