"""MAE: masked autoencoders for images.

Paper: He et al., 2021, "Masked Autoencoders Are Scalable Vision Learners",
arXiv:2111.06377.

A ViT encodes a random quarter of each image's patches; a lightweight decoder, given
mask tokens for the rest, predicts their normalised pixels. `MaskedAutoencoder` is the
recipe (`recipe.py`), `MAEPretrainer` the pretraining model and `MAEDecoder` its
decoder (`model.py`). Patch masking and the loss are in the core, reached through
`ssl_domains.api` (`random_patch_mask`, `masked_patch_loss`).

The public names resolve lazily (PEP 562), so that importing this package, as the
plugin registry does, loads neither Keras nor TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "MaskedAutoencoder": "recipe",
    "MAEConfig": "recipe",
    "DECODER_SIZES": "recipe",
    "MAEPretrainer": "model",
    "MAEDecoder": "model",
    "sincos_position_embedding": "model",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
    return getattr(module, name)
