"""The `__NAME__` domain (__MODALITY__): what is special about its images.

Written by `ssl-domains plugins new`. `ImageDomain` reads PNG, JPEG, WebP and BMP
files and manifests, turns them upright, and drops junk, tiny and duplicate images;
override its hooks where your images differ. ssl-domains does not train on images
yet: `pretrain` says so in one line until its image encoders and recipes (MAE,
SimCLR) land. Keep this module light: no TensorFlow or Keras import at module level
and no network access at import.
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
    default_recipe = ""  # set to the image recipe you install
    channels = 3  # 1 for grayscale scans
    min_size = 8  # shorter sides are dropped (thumbnails)

    def sample_corpus(self) -> list[Path]:
        return [DATA / "images"]

    def sample_labels(self) -> Path | None:
        return DATA / "labels.csv"
