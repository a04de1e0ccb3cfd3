"""The convolutional relative positional embedding of wav2vec 2.0's context network.

Paper: Baevski et al., 2020, arXiv:2006.11477, section 2 ("Contextualized
representations with Transformers"), after Mohamed et al., 2019, arXiv:1904.11660.

Instead of absolute position embeddings, a wide grouped convolution over the frames
(kernel 128, 16 groups in the paper) followed by GELU is added to the Transformer input.
The padding keeps the length: `kernel // 2` frames before and `kernel - 1 - kernel // 2`
after, which for an even kernel is fairseq's symmetric padding with the last output
dropped.

Departure: fairseq wraps this convolution in weight normalization; we use a plain
convolution with fairseq's initial scale, since weight normalization has no Keras layer
on all three backends and only changes the optimization path.

The grouped convolution is `keras.layers.Conv1D(groups=...)`, which runs on TensorFlow
CPU (through XLA), JAX and PyTorch alike, gradients included.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor


@keras.saving.register_keras_serializable(package="ssl_domains")
class PositionalConvEmbedding(keras.layers.Layer):
    """Grouped Conv1D + GELU over `(batch, frames, dim)`; returns the embedding to add.

    Zero the padded frames of the input first: the convolution looks up to
    `kernel_size // 2` frames to either side.

    Args:
        kernel_size: frames the convolution sees (128 in the paper).
        groups: channel groups of the convolution (16 in the paper); must divide `dim`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.positional_embedding import PositionalConvEmbedding

    embedding = PositionalConvEmbedding(kernel_size=32, groups=4)
    x = np.random.rand(2, 50, 96).astype("float32")
    x = x + embedding(x)  # same shape, (2, 50, 96)
    ```
    """

    def __init__(self, kernel_size: int = 128, groups: int = 16, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_size = kernel_size
        self.groups = groups

    def build(self, input_shape: tuple) -> None:
        dim = input_shape[-1]
        if dim % self.groups:
            raise ValueError(f"groups={self.groups} must divide the model width {dim}")
        self.conv = keras.layers.Conv1D(
            dim,
            self.kernel_size,
            groups=self.groups,
            # fairseq's initial scale: std = sqrt(4 / (kernel_size * dim)).
            kernel_initializer=keras.initializers.RandomNormal(
                stddev=math.sqrt(4.0 / (self.kernel_size * dim))
            ),
            dtype=self.dtype_policy,
            name="conv",
        )
        self.conv.build((None, None, dim))
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        before = self.kernel_size // 2
        after = self.kernel_size - 1 - before
        padded = ops.pad(inputs, ((0, 0), (before, after), (0, 0)))
        return keras.activations.gelu(self.conv(padded), approximate=False)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(kernel_size=self.kernel_size, groups=self.groups)
        return config
