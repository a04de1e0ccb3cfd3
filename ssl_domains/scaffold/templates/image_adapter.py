"""The `__NAME__` domain (__MODALITY__): what is special about its images.

Written by `ssl-domains plugins new`. `ImageDomain` reads PNG, JPEG, WebP and BMP
files and manifests, turns them upright, and drops junk, tiny and duplicate images;
override its hooks where your images differ. As generated it pretrains with SimCLR
(`ssl-domains pretrain --domain __NAME__`), fine-tunes on `data/labels.csv` and
exports a SavedModel that takes image bytes; `--recipe mae` trains a masked
autoencoder instead. Keep this module light: no TensorFlow or Keras import at module
level and no network access at import.
"""

from __future__ import annotations

from pathlib import Path

from ssl_domains.api import ImageDomain

DATA = Path(__file__).parent / "data"


class __CLASS__(ImageDomain):
    """The `__NAME__` domain.

    Examples:

    ```python
    from __PACKAGE__ import __CLASS__

    domain = __CLASS__()
    next(domain.read(domain.sample_corpus()[0] / "tile-00.png", None)).shape  # (32, 32, 3)
    ```
    """

    name = "__NAME__"
    modality = "__MODALITY__"
    description = "Describe your images in one line."
    api_version = __API__  # the plugin-API version this adapter was written for
    default_recipe = "simclr"  # or "mae" (a ViT size: --set model.size=vit-nano)
    # A few minutes on a laptop CPU; raise steps, size and image_size for real data.
    defaults = {"model.size": "resnet-nano", "train.steps": 200, "train.batch_size": 32}
    channels = 3  # 1 for grayscale scans
    min_size = 8  # shorter sides are dropped (thumbnails)
    image_size = 32  # images are resized (shorter side) and centre-cropped to this square

    def views(self, size: int):
        """The augmentations contrastive recipes compare; drop flips here
        (`standard_views(size, flips=False)`) if your images have an orientation."""
        from ssl_domains.api import standard_views

        return standard_views(size, color=self.channels == 3)

    def sample_corpus(self) -> list[Path]:
        return [DATA / "images"]

    def sample_labels(self) -> Path | None:
        return DATA / "labels.csv"
