"""DINO's projection head (Caron et al., 2021, arXiv:2104.14294, section 3.1 and
appendix): an MLP to a bottleneck, L2 normalisation, then a weight-normalised linear
layer without bias to `K` prototypes, whose outputs the loss softmaxes.

The MLP is `ProjectionHead` with GELU and no BatchNorm (DINO: 3 layers, hidden
2048, bottleneck 256, "the absence of BN makes the head entirely BN-free"). The last
layer is `WeightNormalizedDense` with its gain fixed to 1 (`norm_last_layer=True` in
the paper's code, its default for ViTs): every prototype is a unit vector, so a
logit is the cosine between the bottleneck and a prototype, in [-1, 1], and the
temperatures alone set how sharp the softmax is.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from ssl_domains.objectives.projection_head import ProjectionHead


@keras.saving.register_keras_serializable(package="ssl_domains")
class WeightNormalizedDense(keras.layers.Layer):
    """`x @ (V / ||V||)`: a Dense layer without bias whose kernel's columns are scaled
    to unit norm at every call (weight normalisation, Salimans & Kingma 2016, with
    the gain `g` fixed to 1).

    Input `[batch, d]`; output `[batch, units]`.

    Args:
        units: output width (DINO: the number of prototypes `K`).
        **kwargs: `keras.layers.Layer` arguments.
    """

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = int(units)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(int(input_shape[-1]), self.units),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            name="kernel",
        )

    def normalized_kernel(self):
        """The kernel with unit-norm columns, one per output unit."""
        kernel = ops.convert_to_tensor(self.kernel)
        return kernel / ops.sqrt(ops.maximum(ops.sum(kernel**2, axis=0, keepdims=True), 1e-12))

    def call(self, inputs, frozen=None):
        """`frozen`: a float, 1.0 to pass no gradient to the kernel (DINO freezes the
        last layer early in training), 0.0 or None to train it."""
        kernel = self.normalized_kernel()
        if frozen is not None:
            frozen = ops.cast(frozen, kernel.dtype)
            kernel = frozen * ops.stop_gradient(kernel) + (1.0 - frozen) * kernel
        return ops.matmul(inputs, ops.cast(kernel, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="ssl_domains")
class DINOHead(keras.layers.Layer):
    """DINO's head: MLP -> bottleneck -> L2 normalise -> weight-normalised Dense to `K`.

    Input: `[batch, features]`. Output: `[batch, out_dim]` logits (cosines to the
    prototypes, before any temperature). `bottleneck(x)` gives the L2-normalised
    bottleneck, which collapse monitoring watches.

    Args:
        out_dim: `K`, the number of prototypes (DINO: 65536).
        hidden_dim: width of the MLP's hidden layers (DINO: 2048).
        bottleneck_dim: width of its output (DINO: 256).
        num_layers: Dense layers of the MLP (DINO: 3).
        batch_norm: BatchNorm after the MLP's hidden layers (DINO: off for ViTs, on
            for ResNets, `use_bn_in_head`).
        **kwargs: `keras.layers.Layer` arguments.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.objectives.dino_head import DINOHead

    head = DINOHead(out_dim=1024, hidden_dim=256, bottleneck_dim=64)
    logits = head(np.random.randn(8, 128).astype("float32"))  # (8, 1024), in [-1, 1]
    ```
    """

    def __init__(
        self,
        out_dim: int,
        hidden_dim: int = 2048,
        bottleneck_dim: int = 256,
        num_layers: int = 3,
        batch_norm: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.batch_norm = bool(batch_norm)
        self.out_dim, self.hidden_dim = int(out_dim), int(hidden_dim)
        self.bottleneck_dim, self.num_layers = int(bottleneck_dim), int(num_layers)
        self.mlp = ProjectionHead(
            hidden_dim,
            bottleneck_dim,
            num_layers,
            activation="gelu",
            batch_norm=self.batch_norm,
            dtype=self.dtype_policy,
            name="mlp",
        )
        self.last_layer = WeightNormalizedDense(out_dim, dtype=self.dtype_policy, name="prototypes")

    def build(self, input_shape):
        self.mlp.build(input_shape)
        self.last_layer.build((*tuple(input_shape)[:-1], self.bottleneck_dim))

    def bottleneck(self, features, training=False):
        """The MLP's output, L2-normalised: `[batch, bottleneck_dim]`."""
        return ops.normalize(self.mlp(features, training=training), axis=-1)

    def call(self, features, training=False):
        return self.last_layer(self.bottleneck(features, training=training))

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.out_dim)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "out_dim": self.out_dim,
            "hidden_dim": self.hidden_dim,
            "bottleneck_dim": self.bottleneck_dim,
            "num_layers": self.num_layers,
            "batch_norm": self.batch_norm,
        }
