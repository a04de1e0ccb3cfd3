"""wav2vec 2.0 backbone: feature encoder, feature projection and context network.

Paper: Baevski et al., 2020, "wav2vec 2.0: A Framework for Self-Supervised Learning of
Speech Representations", arXiv:2006.11477.

The backbone maps a raw 16 kHz waveform to contextual frame vectors (one per 20 ms)
and knows nothing of pretraining: span masking, quantization and the contrastive loss
live in `Wav2Vec2Pretrainer`, which calls the three stages below one at a time so that
it can swap masked frames for its mask embedding between them. Fine-tuning and feature
extraction use the backbone as it is.

1. `extract_features`: the 7-layer convolutional `FeatureEncoder`.
2. `project`: LayerNorm, Dense to the model width, dropout.
3. `encode`: `x + PositionalConvEmbedding(x)`, LayerNorm, dropout, then Transformer
   blocks (`keras_hub.layers.TransformerEncoder`, post-LayerNorm as in BASE) that
   attend to valid frames only.

Departures: no LayerDrop (fairseq drops whole Transformer blocks with probability
0.05 in BASE; Keras has no layer for it on all backends); no weight normalization on the
positional convolution (see `positional_embedding.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import keras_hub
from keras import ops
from ssl_domains.recipes.wav2vec2.feature_encoder import (
    CONV_KERNELS,
    CONV_STRIDES,
    FeatureEncoder,
    feature_lengths,
)
from ssl_domains.recipes.wav2vec2.positional_embedding import PositionalConvEmbedding

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor

__all__ = ["Wav2Vec2Backbone", "feature_lengths"]


def _zero_padded_frames(x: Tensor, frame_mask: Tensor) -> Tensor:
    return x * ops.cast(frame_mask, x.dtype)[..., None]


@keras.saving.register_keras_serializable(package="ssl_domains")
class Wav2Vec2Backbone(keras_hub.models.Backbone):
    """wav2vec 2.0 encoder from raw waveform to contextual frame representations.

    Inputs, a dict:
        `"waveform"`: `(batch, samples)` float32, 16 kHz audio.
        `"padding_mask"`: `(batch, samples)` bool, true for real samples; padding goes
            at the end.

    Outputs, a dict (`frames = feature_lengths(samples)`):
        `"sequence_output"`: `(batch, frames, hidden_dim)`, zero on padded frames.
        `"frame_mask"`: `(batch, frames)` bool, true for frames that see only real
            samples.
        `"features"`: `(batch, frames, conv_dim)`, the feature encoder's output.

    Args:
        conv_dim: channels of the feature encoder's convolutions.
        hidden_dim: width of the Transformer.
        num_layers: number of Transformer blocks.
        num_heads: attention heads per block.
        intermediate_dim: inner width of the feed-forward networks.
        pos_conv_kernel: kernel size of the positional convolution.
        pos_conv_groups: groups of the positional convolution.
        conv_kernels: kernel size of each feature encoder convolution.
        conv_strides: stride of each feature encoder convolution.
        dropout: dropout in the Transformer and after the feature projection.
        layer_norm_epsilon: epsilon of every LayerNorm.
        dtype: dtype policy of the layers.
        **kwargs: `keras_hub.models.Backbone` arguments (`name`, ...).

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.backbone import Wav2Vec2Backbone
    from ssl_domains.recipes.wav2vec2.sizes import BACKBONE_SIZES

    backbone = Wav2Vec2Backbone(**BACKBONE_SIZES["nano"])
    outputs = backbone({
        "waveform": np.random.randn(2, 16000).astype("float32"),
        "padding_mask": np.arange(16000)[None] < np.array([[16000], [12000]]),
    })
    outputs["sequence_output"].shape  # (2, 49, 32)

    backbone.save_to_preset("wav2vec2_nano")
    import keras_hub
    restored = keras_hub.models.Backbone.from_preset("wav2vec2_nano")
    ```
    """

    def __init__(
        self,
        conv_dim: int = 512,
        hidden_dim: int = 768,
        num_layers: int = 12,
        num_heads: int = 12,
        intermediate_dim: int = 3072,
        pos_conv_kernel: int = 128,
        pos_conv_groups: int = 16,
        conv_kernels: Sequence[int] = CONV_KERNELS,
        conv_strides: Sequence[int] = CONV_STRIDES,
        dropout: float = 0.1,
        layer_norm_epsilon: float = 1e-5,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        # === Layers ===
        self.feature_encoder = FeatureEncoder(
            conv_dim, conv_kernels, conv_strides, dtype=dtype, name="feature_encoder"
        )
        self.feature_layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=dtype, name="feature_layer_norm"
        )
        self.feature_projection = keras.layers.Dense(
            hidden_dim,
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.02),
            dtype=dtype,
            name="feature_projection",
        )
        self.feature_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="feature_dropout")
        self.positional_embedding = PositionalConvEmbedding(
            pos_conv_kernel, pos_conv_groups, dtype=dtype, name="positional_embedding"
        )
        self.encoder_layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=dtype, name="encoder_layer_norm"
        )
        self.encoder_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="encoder_dropout")
        self.transformer_layers = [
            keras_hub.layers.TransformerEncoder(
                intermediate_dim=intermediate_dim,
                num_heads=num_heads,
                dropout=dropout,
                activation="gelu",
                layer_norm_epsilon=layer_norm_epsilon,
                kernel_initializer=keras.initializers.RandomNormal(stddev=0.02),
                dtype=dtype,
                name=f"transformer_layer_{i}",
            )
            for i in range(num_layers)
        ]

        # === Functional model ===
        waveform = keras.Input(shape=(None,), dtype="float32", name="waveform")
        padding_mask = keras.Input(shape=(None,), dtype="bool", name="padding_mask")
        features, frame_mask = self.extract_features(waveform, padding_mask)
        sequence_output = self.encode(self.project(features), frame_mask)
        super().__init__(
            inputs={"waveform": waveform, "padding_mask": padding_mask},
            outputs={
                "sequence_output": sequence_output,
                "frame_mask": frame_mask,
                "features": features,
            },
            dtype=dtype,
            **kwargs,
        )

        # === Config ===
        self.conv_dim = conv_dim
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.pos_conv_kernel = pos_conv_kernel
        self.pos_conv_groups = pos_conv_groups
        self.conv_kernels = tuple(conv_kernels)
        self.conv_strides = tuple(conv_strides)
        self.dropout = dropout
        self.layer_norm_epsilon = layer_norm_epsilon

    def extract_features(
        self, waveform: Tensor, padding_mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """Run the feature encoder.

        Returns `(features, frame_mask)`: `(batch, frames, conv_dim)` and
        `(batch, frames)` bool.
        """
        return self.feature_encoder(waveform, padding_mask)

    def normalize(self, features: Tensor) -> Tensor:
        """LayerNorm of the features: the input of the projection and of the quantizer."""
        return self.feature_layer_norm(features)

    def project(self, features: Tensor, training: bool | None = None) -> Tensor:
        """Features to the model width: LayerNorm, Dense, dropout."""
        x = self.feature_projection(self.normalize(features))
        return self.feature_dropout(x, training=training)

    def encode(self, projected: Tensor, frame_mask: Tensor, training: bool | None = None) -> Tensor:
        """The context network over projected (possibly masked) frames.

        Args:
            projected: `(batch, frames, hidden_dim)`.
            frame_mask: `(batch, frames)` bool, true for valid frames.
            training: whether dropout is on.

        Returns:
            `(batch, frames, hidden_dim)`, zero on padded frames.
        """
        # Padded frames must not reach valid ones through the positional convolution.
        x = _zero_padded_frames(projected, frame_mask)
        x = x + self.positional_embedding(x)
        x = self.encoder_layer_norm(x)
        x = self.encoder_dropout(x, training=training)
        for layer in self.transformer_layers:
            x = layer(x, padding_mask=frame_mask, training=training)
        return _zero_padded_frames(x, frame_mask)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            conv_dim=self.conv_dim,
            hidden_dim=self.hidden_dim,
            num_layers=self.num_layers,
            num_heads=self.num_heads,
            intermediate_dim=self.intermediate_dim,
            pos_conv_kernel=self.pos_conv_kernel,
            pos_conv_groups=self.pos_conv_groups,
            conv_kernels=list(self.conv_kernels),
            conv_strides=list(self.conv_strides),
            dropout=self.dropout,
            layer_norm_epsilon=self.layer_norm_epsilon,
        )
        return config
