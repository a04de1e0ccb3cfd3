"""The convolutional feature encoder of wav2vec 2.0: raw waveform to latent frames.

Paper: Baevski et al., 2020, "wav2vec 2.0: A Framework for Self-Supervised Learning of
Speech Representations", arXiv:2006.11477, sections 2 and 4.2.

Seven temporal convolutions with kernels (10, 3, 3, 3, 3, 2, 2) and strides
(5, 2, 2, 2, 2, 2, 2) turn 16 kHz audio into one frame every 320 samples (20 ms), each
seeing 400 samples (25 ms). Each block is convolution, then (first block only) group
normalization with one group per channel, then GELU, as in the BASE "group norm"
variant; the convolutions have no bias, as in fairseq's BASE configuration.

Departure: in fairseq the group norm statistics include the zero padding of shorter
utterances in a batch; here they are taken over the valid frames only, so a padded
utterance gets exactly the features it would get alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor

CONV_KERNELS = (10, 3, 3, 3, 3, 2, 2)
CONV_STRIDES = (5, 2, 2, 2, 2, 2, 2)


def feature_lengths(
    num_samples: int | np.ndarray | Tensor,
    kernels: Sequence[int] = CONV_KERNELS,
    strides: Sequence[int] = CONV_STRIDES,
) -> int | np.ndarray | Tensor:
    """Number of frames the feature encoder makes of `num_samples` waveform samples.

    Each convolution is unpadded, so it maps `L` steps to `floor((L - k) / s) + 1`;
    waveforms shorter than the 400-sample receptive field give no frame.

    Args:
        num_samples: a length, or an array/tensor of lengths.
        kernels: kernel size of each convolution.
        strides: stride of each convolution.

    Returns:
        The frame count(s), of the same kind as `num_samples`.

    Examples:

    ```python
    from ssl_domains.recipes.wav2vec2.feature_encoder import feature_lengths

    feature_lengths(16000)  # 49: one second of 16 kHz audio
    feature_lengths(400)  # 1: exactly one receptive field
    ```
    """
    length = num_samples
    for kernel, stride in zip(kernels, strides, strict=True):
        length = (length - kernel) // stride + 1
    if isinstance(length, int | np.integer):
        return max(int(length), 0)
    if isinstance(length, np.ndarray):
        return np.maximum(length, 0)
    return ops.maximum(length, 0)


def lengths_to_mask(lengths: Tensor, max_length: int | Tensor) -> Tensor:
    """Boolean `(batch, max_length)` mask, true for the first `lengths[i]` steps of row i."""
    return ops.arange(max_length)[None, :] < ops.expand_dims(lengths, 1)


@keras.saving.register_keras_serializable(package="ssl_domains")
class MaskedGroupNormalization(keras.layers.GroupNormalization):
    """`keras.layers.GroupNormalization` over time whose statistics skip padded steps.

    Inputs are `(batch, time, channels)`; with `mask` (`(batch, time)` bool) the mean
    and variance of each group are taken over the valid time steps only. Without a
    mask it is exactly `keras.layers.GroupNormalization`.

    Args:
        groups: number of channel groups; wav2vec 2.0 uses one group per channel.
        **kwargs: the other arguments of `keras.layers.GroupNormalization`.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.feature_encoder import MaskedGroupNormalization

    norm = MaskedGroupNormalization(groups=4)
    x = np.random.rand(2, 10, 4).astype("float32")
    mask = np.arange(10)[None] < np.array([[10], [6]])
    y = norm(x, mask=mask)  # row 1 is normalized over its first 6 steps
    ```
    """

    def call(self, inputs: Tensor, mask: Tensor | None = None) -> Tensor:
        if mask is None:
            return super().call(inputs)
        channels = inputs.shape[-1]
        grouped = ops.reshape(
            ops.cast(inputs, "float32"),
            (-1, ops.shape(inputs)[1], self.groups, channels // self.groups),
        )
        weights = ops.cast(mask, "float32")[:, :, None, None]
        count = ops.sum(weights, axis=(1, 3), keepdims=True) * (channels // self.groups)
        count = ops.maximum(count, 1.0)
        mean = ops.sum(grouped * weights, axis=(1, 3), keepdims=True) / count
        variance = ops.sum(ops.square(grouped - mean) * weights, axis=(1, 3), keepdims=True)
        normalized = (grouped - mean) * ops.rsqrt(variance / count + self.epsilon)
        outputs = ops.reshape(normalized, ops.shape(inputs))
        if self.scale:
            outputs = outputs * ops.cast(self.gamma, outputs.dtype)
        if self.center:
            outputs = outputs + ops.cast(self.beta, outputs.dtype)
        return ops.cast(outputs, self.compute_dtype)


@keras.saving.register_keras_serializable(package="ssl_domains")
class FeatureEncoder(keras.layers.Layer):
    """wav2vec 2.0's stack of temporal convolutions over the raw waveform.

    Call it on `waveform` (`(batch, samples)` float) and an optional `padding_mask`
    (`(batch, samples)` bool, true for real samples, padding at the end). It returns
    `(features, frame_mask)`: `(batch, frames, conv_dim)` features, zero on padded
    frames, and the `(batch, frames)` bool mask of frames that see only real samples,
    with `frames = feature_lengths(samples)`.

    Args:
        conv_dim: channels of every convolution (512 in the paper).
        kernels: kernel size of each convolution.
        strides: stride of each convolution.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.feature_encoder import FeatureEncoder

    encoder = FeatureEncoder(conv_dim=32)
    waveform = np.random.randn(2, 16000).astype("float32")
    padding_mask = np.arange(16000)[None] < np.array([[16000], [8000]])
    features, frame_mask = encoder(waveform, padding_mask)
    # features: (2, 49, 32); frame_mask.sum(axis=1) == [49, 24]
    ```
    """

    def __init__(
        self,
        conv_dim: int = 512,
        kernels: Sequence[int] = CONV_KERNELS,
        strides: Sequence[int] = CONV_STRIDES,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conv_dim = conv_dim
        self.kernels = tuple(kernels)
        self.strides = tuple(strides)
        self.conv_layers = [
            keras.layers.Conv1D(
                conv_dim,
                kernel,
                strides=stride,
                use_bias=False,
                kernel_initializer="he_normal",
                dtype=self.dtype_policy,
                name=f"conv_{i}",
            )
            for i, (kernel, stride) in enumerate(zip(self.kernels, self.strides, strict=True))
        ]
        self.group_norm = MaskedGroupNormalization(
            groups=conv_dim, epsilon=1e-5, dtype=self.dtype_policy, name="group_norm"
        )

    def build(self, waveform_shape: tuple, padding_mask_shape: tuple | None = None) -> None:
        shape = (waveform_shape[0], None, 1)
        for conv in self.conv_layers:
            conv.build(shape)
            shape = (waveform_shape[0], None, self.conv_dim)
        self.group_norm.build(shape)
        self.built = True

    def call(self, waveform: Tensor, padding_mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if padding_mask is None:
            lengths = ops.full((ops.shape(waveform)[0],), ops.shape(waveform)[1], "int32")
        else:
            lengths = ops.sum(ops.cast(padding_mask, "int32"), axis=1)
        x = ops.expand_dims(ops.cast(waveform, self.compute_dtype), -1)
        for i, conv in enumerate(self.conv_layers):
            x = conv(x)
            lengths = feature_lengths(lengths, self.kernels[i : i + 1], self.strides[i : i + 1])
            if i == 0:
                x = self.group_norm(x, mask=lengths_to_mask(lengths, ops.shape(x)[1]))
            x = keras.activations.gelu(x, approximate=False)
        frame_mask = lengths_to_mask(lengths, ops.shape(x)[1])
        return x * ops.cast(frame_mask, x.dtype)[..., None], frame_mask

    def compute_output_spec(
        self, waveform: keras.KerasTensor, padding_mask: keras.KerasTensor | None = None
    ) -> tuple[keras.KerasTensor, keras.KerasTensor]:
        batch, samples = waveform.shape
        frames = None if samples is None else feature_lengths(samples, self.kernels, self.strides)
        return (
            keras.KerasTensor((batch, frames, self.conv_dim), dtype=self.compute_dtype),
            keras.KerasTensor((batch, frames), dtype="bool"),
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(conv_dim=self.conv_dim, kernels=self.kernels, strides=self.strides)
        return config
