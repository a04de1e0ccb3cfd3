"""wav2vec 2.0: self-supervised speech representations from raw audio.

Paper: Baevski et al., 2020, "wav2vec 2.0: A Framework for Self-Supervised Learning of
Speech Representations", arXiv:2006.11477.

A convolutional encoder turns 16 kHz audio into latent frames; spans of them are masked
and a Transformer must pick the true quantized latent of each masked frame among
distractors. `Wav2Vec2Backbone` is the encoder (reusable for fine-tuning),
`Wav2Vec2Pretrainer` the pretraining model, and `sizes.py` the model sizes.

The public names resolve lazily (PEP 562), so that importing this package, as the
plugin registry does, loads neither Keras nor TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Wav2Vec2Backbone": "backbone",
    "Wav2Vec2Pretrainer": "pretraining_model",
    "GumbelVectorQuantizer": "quantizer",
    "FeatureEncoder": "feature_encoder",
    "PositionalConvEmbedding": "positional_embedding",
    "feature_lengths": "feature_encoder",
    "sample_span_mask": "masking",
    "sample_negatives": "masking",
    "contrastive_loss": "losses",
    "diversity_loss": "losses",
    "perplexity": "losses",
    "BACKBONE_SIZES": "sizes",
    "PRETRAINER_SIZES": "sizes",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
    return getattr(module, name)
