"""Model sizes of wav2vec 2.0, as keyword arguments of the backbone and the pretrainer.

`base` is the paper's BASE model (Baevski et al., 2020, arXiv:2006.11477, section 4.2:
7 convolutions of 512 channels, 12 Transformer blocks of width 768 with 12 heads and an
inner dimension of 3072, a relative positional convolution of kernel 128 in 16 groups,
G=2 codebooks of V=320 entries, final dimension 256, K=100 distractors). `small`,
`tiny` and `nano` shrink it for short runs, smoke tests and unit tests; their
positional convolution shrinks with them, since a 128-frame kernel (2.56 s) would be
mostly padding on the short clips they are meant for.

Plain dictionaries, so that importing this module loads neither Keras nor TensorFlow.

Examples:

```python
from ssl_domains.recipes.wav2vec2.backbone import Wav2Vec2Backbone
from ssl_domains.recipes.wav2vec2.pretraining_model import Wav2Vec2Pretrainer
from ssl_domains.recipes.wav2vec2.sizes import BACKBONE_SIZES, PRETRAINER_SIZES

backbone = Wav2Vec2Backbone(**BACKBONE_SIZES["tiny"])
pretrainer = Wav2Vec2Pretrainer(backbone, **PRETRAINER_SIZES["tiny"])
```
"""

from __future__ import annotations

from typing import Any

# Keyword arguments of `Wav2Vec2Backbone`.
BACKBONE_SIZES: dict[str, dict[str, Any]] = {
    "nano": dict(
        conv_dim=32,
        hidden_dim=32,
        num_layers=1,
        num_heads=2,
        intermediate_dim=64,
        pos_conv_kernel=16,
        pos_conv_groups=4,
    ),
    "tiny": dict(
        conv_dim=64,
        hidden_dim=96,
        num_layers=2,
        num_heads=2,
        intermediate_dim=192,
        pos_conv_kernel=32,
        pos_conv_groups=4,
    ),
    "small": dict(
        conv_dim=256,
        hidden_dim=384,
        num_layers=4,
        num_heads=6,
        intermediate_dim=1536,
        pos_conv_kernel=64,
        pos_conv_groups=8,
    ),
    "base": dict(
        conv_dim=512,
        hidden_dim=768,
        num_layers=12,
        num_heads=12,
        intermediate_dim=3072,
        pos_conv_kernel=128,
        pos_conv_groups=16,
    ),
}

# Keyword arguments of `Wav2Vec2Pretrainer` (quantizer, heads and loss).
PRETRAINER_SIZES: dict[str, dict[str, Any]] = {
    "nano": dict(final_dim=32, num_groups=2, num_vars=16, num_negatives=10),
    "tiny": dict(final_dim=64, num_groups=2, num_vars=32, num_negatives=20),
    "small": dict(final_dim=128, num_groups=2, num_vars=160, num_negatives=100),
    "base": dict(final_dim=256, num_groups=2, num_vars=320, num_negatives=100),
}
