"""The projection head of SimCLR (Chen et al., 2020), an MLP from features to the loss's space.

SimCLR v1 (arXiv:2002.05709, section 2.1) puts `Dense -> ReLU -> Dense` after the
pooled backbone features and takes the loss on its output; the representation kept
for downstream tasks is the head's *input* (section 4.2: it is better than the
output, which discards what the augmentations vary). SimCLR v2 (Chen et al., 2020,
arXiv:2006.10029) and the v1 code put a BatchNorm after each hidden Dense, which is
what this layer does. BYOL's projector and predictor (Grill et al., 2020, section
3.3: the same MLP twice) and Barlow Twins' projector (Zbontar et al., 2021, three
layers) are the same MLP with other sizes. DINO's head (Caron et al., 2021)
starts with the same MLP, with GELU and no BatchNorm (`activation="gelu",
batch_norm=False`; see `ssl_domains.objectives.dino_head`).
"""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="ssl_domains")
class ProjectionHead(keras.layers.Layer):
    """An MLP: `num_layers - 1` times `Dense -> BatchNorm -> ReLU`, then a `Dense`.

    The hidden Dense layers have no bias (the BatchNorm after each adds its own);
    the last one has one, and no normalisation or activation. With
    `batch_norm=False` the hidden layers are `Dense -> activation`, with biases.

    Input: `[batch, features]`. Output: `[batch, output_dim]`, float in the layer's
    compute dtype.

    Args:
        hidden_dim: width of the hidden layers (SimCLR: the backbone's feature
            width, 2048 for a ResNet-50; BYOL 4096; Barlow Twins 8192).
        output_dim: width of the output (SimCLR 128, BYOL 256).
        num_layers: Dense layers in all, at least 1 (SimCLR v1 and BYOL 2, SimCLR v2
            and Barlow Twins 3). With 1, the head is a single linear layer.
        momentum: of the BatchNorm's moving statistics (0.9 as SimCLR's code).
        activation: of the hidden layers, a `keras.activations` name (DINO: "gelu").
        batch_norm: a BatchNorm after each hidden Dense (DINO: none).
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Examples:

    ```python
    import numpy as np
    from ssl_domains.objectives.projection_head import ProjectionHead

    head = ProjectionHead(hidden_dim=512, output_dim=128)
    z = head(np.random.randn(8, 512).astype("float32"), training=True)  # (8, 128)
    ```
    """

    def __init__(
        self,
        hidden_dim: int,
        output_dim: int,
        num_layers: int = 2,
        momentum: float = 0.9,
        activation: str = "relu",
        batch_norm: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"a projection head needs num_layers >= 1, not {num_layers}")
        self.hidden_dim = int(hidden_dim)
        self.output_dim = int(output_dim)
        self.num_layers = int(num_layers)
        self.momentum = momentum
        self.activation = activation
        self.batch_norm = bool(batch_norm)
        self.hidden_activation = keras.activations.get(activation)
        self.hidden_dense = [
            keras.layers.Dense(
                hidden_dim,
                use_bias=not self.batch_norm,
                dtype=self.dtype_policy,
                name=f"dense_{index}",
            )
            for index in range(num_layers - 1)
        ]
        self.hidden_norm = [
            keras.layers.BatchNormalization(
                momentum=momentum, dtype=self.dtype_policy, name=f"norm_{index}"
            )
            if self.batch_norm
            else keras.layers.Identity(dtype=self.dtype_policy, name=f"identity_{index}")
            for index in range(num_layers - 1)
        ]
        self.output_dense = keras.layers.Dense(
            output_dim, dtype=self.dtype_policy, name=f"dense_{num_layers - 1}"
        )

    def build(self, input_shape):
        shape = tuple(input_shape)
        for dense, norm in zip(self.hidden_dense, self.hidden_norm, strict=True):
            dense.build(shape)
            shape = dense.compute_output_shape(shape)
            norm.build(shape)
        self.output_dense.build(shape)

    def call(self, features, training=False):
        x = features
        for dense, norm in zip(self.hidden_dense, self.hidden_norm, strict=True):
            x = self.hidden_activation(norm(dense(x), training=training))
        return self.output_dense(x)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.output_dim)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "hidden_dim": self.hidden_dim,
            "output_dim": self.output_dim,
            "num_layers": self.num_layers,
            "momentum": self.momentum,
            "activation": self.activation,
            "batch_norm": self.batch_norm,
        }
