"""The BYOL model: an online network predicts an EMA target's projection of the other view.

Paper: Grill et al., 2020, "Bootstrap your own latent", arXiv:2006.07733 (figure 2,
section 3.2). One step, on a batch of `n` images in [0, 1]:

1. Two views of each image go through the backbone as one batch of `2n`
   (`TwoViewModel`, shared with SimCLR and Barlow Twins).
2. Online network: the projection head maps the pooled features to `z`, the
   predictor (the same MLP, `ProjectionHead`) maps `z` to `p`.
3. Target network: the EMA copies of the backbone and projection head
   (`EMATeacher`) map the same `2n` views to `z'`, their BatchNorms normalising
   with the batch's statistics as in the paper's code (their weights frozen).
4. Loss: `2 - 2 cos(p1, sg(z2')) + 2 - 2 cos(p2, sg(z1'))`
   (`symmetrised_negative_cosine`); then, in training only, the target moves
   toward the online network: `target <- m target + (1 - m) online`.

The ablation flags, for demonstrating collapse (SimSiam, Chen & He, 2021, figure 2
and table 1): `predictor=False` drops the predictor (`p = z`); `stop_gradient=False`
takes the targets from the online network itself, gradient and all, in place of the
EMA target, whose weights no gradient could reach anyway. With both off the loss is
satisfied by mapping every image to one vector, and it is, within tens of steps.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from ssl_domains.recipes.two_views_model import TwoViewModel, mismatched, split

from ssl_domains.api import EMATeacher, embedding_std, symmetrised_negative_cosine

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor


def mean_cosine(first: Tensor, second: Tensor) -> Tensor:
    """The mean over rows of `cos(first_i, second_i)`; `[n, d]` each."""
    products = ops.normalize(first, axis=-1) * ops.normalize(second, axis=-1)
    return ops.mean(ops.sum(products, axis=-1))


@keras.saving.register_keras_serializable(package="ssl_domains")
class BYOLModel(TwoViewModel):
    """BYOL pretraining around an image backbone.

    Inputs: images `(n, S, S, C)` float32 in [0, 1], no labels.

    Outputs of `call`, a dict of `(2n, d)` tensors, first views' rows first:
    `"projections"` (online `z`), `"predictions"` (`p`) and `"targets"` (`z'`).

    Metrics, besides `loss`: `byol_loss` (the symmetrised loss, 0 to 8, without
    regularisers); `mismatched_loss` (the same against another image's targets, the
    baseline of a network that tells images apart by nothing); `view_cosine` and
    `mismatched_cosine` (mean cosine of the online projections of the two views of
    an image, and of two different images); `embedding_std` (SimSiam's collapse
    measure on `z`: about `1/sqrt(d)` spread, 0 collapsed).

    Args:
        backbone, converter, views: as `TwoViewModel`.
        projection_dim: output width of the projector and predictor (BYOL: 256).
        projection_hidden_dim: their hidden width (BYOL: 4096); 0 for the
            backbone's feature width.
        base_momentum: of the target's EMA at the first step, rising to 1 on a
            cosine (BYOL: 0.996).
        predictor: False to drop the predictor (collapse ablation).
        stop_gradient: False to take the targets from the online network, with
            gradient (collapse ablation).
        second_views: the second view's augmentation where it differs from `views`
            (BYOL's blur and solarisation odds: `asymmetric_views`).
        **kwargs: `keras.Model` arguments (`name`, ...).

    Examples:

    ```python
    import keras
    import numpy as np
    from ssl_domains.image.backbones import build_image_backbone
    from ssl_domains.image.pixels import fresh_converter
    from ssl_domains.image.views import standard_views
    from ssl_domains.recipes.byol_model import BYOLModel

    model = BYOLModel(
        build_image_backbone("resnet-nano", 32), fresh_converter(32), standard_views(32)
    )
    model.teacher.set_total_steps(4)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3))
    images = np.random.default_rng(0).uniform(0, 1, (64, 32, 32, 3)).astype("float32")
    model.fit(images, batch_size=16, epochs=1)  # logs loss, byol_loss, embedding_std, ...
    ```
    """

    def __init__(
        self,
        backbone: keras.Model,
        converter: keras.layers.Layer,
        views: keras.layers.Layer,
        projection_dim: int = 256,
        projection_hidden_dim: int = 0,
        base_momentum: float = 0.996,
        predictor: bool = True,
        stop_gradient: bool = True,
        second_views: keras.layers.Layer | None = None,
        **kwargs: Any,
    ) -> None:
        metric_names = (
            "byol_loss",
            "mismatched_loss",
            "view_cosine",
            "mismatched_cosine",
            "embedding_std",
        )
        super().__init__(backbone, converter, views, metric_names, second_views, **kwargs)
        self.projection_dim = projection_dim
        self.projection_hidden_dim = projection_hidden_dim
        self.base_momentum = base_momentum
        self.use_predictor = predictor
        self.stop_gradient = stop_gradient
        self.projection = self.head(projection_hidden_dim, projection_dim, 2, "projection")
        self.predictor = None
        if predictor:
            self.predictor = self.head(
                projection_hidden_dim, projection_dim, 2, "predictor", inputs=projection_dim
            )
        # The target normalises with the batch's statistics, as the paper's code does.
        self.teacher = EMATeacher(
            [self.backbone, self.projection], base_momentum, batch_statistics=True, name="target"
        )

    def call(self, images: Tensor, training: bool = False) -> dict[str, Tensor]:
        pair = self.draw_views(images)
        projections = self.projection(self.encode(self.backbone, pair, training), training=training)
        predictions = projections
        if self.predictor is not None:
            predictions = self.predictor(projections, training=training)
        if self.stop_gradient:
            target_backbone, target_projection = self.teacher.networks
            batchwise = self.teacher.batch_statistics
            features = self.encode(target_backbone, pair, batchwise)
            targets = target_projection(features, training=batchwise)
        else:  # the ablation: the online network is its own target, gradient and all
            targets = projections
        return {"projections": projections, "predictions": predictions, "targets": targets}

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: dict[str, Tensor] | None = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        first, second = split(ops.cast(y_pred["predictions"], "float32"))
        first_target, second_target = split(ops.cast(y_pred["targets"], "float32"))
        cut = {"stop_gradient": self.stop_gradient}
        loss = symmetrised_negative_cosine(first, second, first_target, second_target, **cut)
        if training and self.stop_gradient:
            self.teacher.update([self.backbone, self.projection])
        z1, z2 = split(ops.stop_gradient(ops.cast(y_pred["projections"], "float32")))
        first, second = ops.stop_gradient(first), ops.stop_gradient(second)
        unrelated = symmetrised_negative_cosine(
            first, second, mismatched(first_target), mismatched(second_target)
        )
        values = {
            "byol_loss": loss,
            "mismatched_loss": unrelated,
            "view_cosine": mean_cosine(z1, z2),
            "mismatched_cosine": mean_cosine(z1, mismatched(z2)),
            "embedding_std": embedding_std(z1),
        }
        self.track(values, z1)
        return self.with_regularizers(loss)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            projection_dim=self.projection_dim,
            projection_hidden_dim=self.projection_hidden_dim,
            base_momentum=self.base_momentum,
            predictor=self.use_predictor,
            stop_gradient=self.stop_gradient,
        )
        return config
