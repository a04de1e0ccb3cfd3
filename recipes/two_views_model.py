"""The part every two-view image objective shares: views drawn in the step, one backbone.

SimCLR, BYOL and Barlow Twins differ in their heads and losses, not in how they see
an image. One step, on a batch of `n` images in [0, 1]:

1. Two independent draws of the view augmentation give `2n` views. The augmentation
   is a stack of Keras layers inside the model, so it runs on the accelerator, under
   `jit` on JAX and under `tf.function` on TensorFlow; its `SeedGenerator`s are
   variables of the model, so every call and every step draws anew (on JAX their
   state goes in and out of the compiled step like the BatchNorm statistics).
2. The encoder's converter maps the views to the backbone's input; both views go
   through the backbone as one batch of `2n`, so BatchNorm normalises over both (on
   one device, the papers' global BatchNorm); its output is pooled to one vector per
   view (`pooled_features`).

Views are drawn in evaluation too: the held-out task is the same as in training,
only the networks run in inference mode. Subclasses add their heads, `call` and
`compute_loss`, and log through `track`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from ssl_domains.api import ProjectionHead, pooled_features, replica_share, to_backbone

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor


@keras.saving.register_keras_serializable(package="ssl_domains")
class TwoViewModel(keras.Model):
    """Base of the two-view models: draws both views and encodes them in one batch.

    Args:
        backbone: a keras-hub image backbone taking `(S, S, C)` (ResNet, ViT, ...).
        converter: the encoder's keras-hub `ImageConverter`, [0, 255] to the backbone's
            input (see `ssl_domains.image.pixels.to_backbone`).
        views: a Keras layer or model drawing one view of images in [0, 1], e.g.
            `ssl_domains.image.views.standard_views(S)`.
        metric_names: the `keras.metrics.Mean` trackers that `track` updates.
        second_views: draws the second view, where the two differ (BYOL's blur and
            solarisation odds, `asymmetric_views`); `None`: `views` draws both.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Examples:

    ```python
    import numpy as np
    from ssl_domains.image.backbones import build_image_backbone
    from ssl_domains.image.pixels import fresh_converter
    from ssl_domains.image.views import standard_views
    from ssl_domains.recipes.two_views_model import TwoViewModel

    model = TwoViewModel(
        build_image_backbone("resnet-nano", 32), fresh_converter(32), standard_views(32)
    )
    images = np.random.default_rng(0).uniform(0, 1, (4, 32, 32, 3)).astype("float32")
    first, second = model.view_features(images)  # (4, 128) each
    ```
    """

    def __init__(
        self,
        backbone: keras.Model,
        converter: keras.layers.Layer,
        views: keras.layers.Layer,
        metric_names: tuple[str, ...] = (),
        second_views: keras.layers.Layer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.backbone = backbone
        self.converter = converter
        self.views = views
        self.second_views = second_views
        self.width = int(backbone.output.shape[-1])
        self.trackers = {name: keras.metrics.Mean(name=name) for name in metric_names}

    def head(self, hidden_dim: int, output_dim: int, num_layers: int, name: str, inputs: int = 0):
        """A built `ProjectionHead` on `inputs` features (0: the backbone's width); a
        `hidden_dim` of 0 is the backbone's width too, as SimCLR's."""
        head = ProjectionHead(hidden_dim or self.width, output_dim, num_layers, name=name)
        head.build((None, inputs or self.width))
        return head

    def draw_views(self, images: Tensor) -> Tensor:
        """`[2n, S, S, C]`: two independent views of each image, first views first."""
        # Views are the task, not a regulariser: drawn in evaluation as in training.
        first = self.views(images, training=True)
        second_views = self.views if self.second_views is None else self.second_views
        second = second_views(images, training=True)
        return ops.concatenate([first, second], axis=0)

    def encode(self, backbone: keras.layers.Layer, pair: Tensor, training: bool) -> Tensor:
        """`[2n, width]`: pooled features of `backbone` (ours, or a teacher's copy)."""
        return pooled_features(backbone(to_backbone(self.converter, pair), training=training))

    def view_features(self, images: Tensor, training: bool = False) -> tuple[Tensor, Tensor]:
        """`([n, width], [n, width])`: the backbone's pooled features of both views."""
        features = self.encode(self.backbone, self.draw_views(images), training)
        return split(features)

    def track(self, values: dict[str, Tensor], images: Tensor) -> None:
        """Update the named trackers, weighted by images as Keras weights `loss`, so
        averages over uneven evaluation batches agree."""
        weight = ops.cast(ops.shape(images)[0], "float32")
        for name, value in values.items():
            self.trackers[name].update_state(value, sample_weight=weight)

    def with_regularizers(self, loss: Tensor) -> Tensor:
        """`loss` plus the model's added losses (regularizers, if a user adds any), as
        this replica's share (`replica_share`)."""
        for extra in self.losses:
            loss = loss + ops.cast(extra, loss.dtype)
        return replica_share(loss)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            backbone=keras.layers.serialize(self.backbone),
            converter=keras.layers.serialize(self.converter),
            views=keras.layers.serialize(self.views),
        )
        if self.second_views is not None:
            config["second_views"] = keras.layers.serialize(self.second_views)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TwoViewModel:
        config = dict(config)
        for key in ("backbone", "converter", "views", "second_views"):
            if key in config:
                config[key] = keras.layers.deserialize(config[key])
        return cls(**config)


def split(pair: Tensor) -> tuple[Tensor, Tensor]:
    """The first and second halves of a `[2n, ...]` batch: the two views' rows."""
    n = ops.shape(pair)[0] // 2
    return pair[:n], pair[n:]


def mismatched(x: Tensor) -> Tensor:
    """Rows rolled by one: row `i` is image `i + 1`'s, the baseline of unrelated images."""
    return ops.roll(x, 1, axis=0)
