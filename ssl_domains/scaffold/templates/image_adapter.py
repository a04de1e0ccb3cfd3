"""The `__NAME__` domain (__MODALITY__): what is special about its images.

Written by `ssl-domains plugins new`. ssl-domains does not train on images yet:
`pretrain` says so in one line until its image modality and recipes (MAE, SimCLR)
land. Keep this module light: no TensorFlow or Keras import at module level and no
network access at import.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ssl_domains.api import BadFile, DomainAdapter, ReadOptions

DATA = Path(__file__).parent / "data"
SUFFIXES = (".png", ".jpg", ".jpeg")


class __CLASS__(DomainAdapter):
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
    unit = "images"

    def sample_corpus(self) -> list[Path]:
        return [DATA / "images"]

    def sample_labels(self) -> Path | None:
        return DATA / "labels.csv"

    def read(self, path: Path, options: ReadOptions) -> Iterator[np.ndarray]:
        """One RGB image per file, as uint8 `(height, width, 3)`."""
        from PIL import Image, UnidentifiedImageError

        if path.suffix.lower() not in SUFFIXES:
            raise BadFile(f"unsupported format {path.suffix!r}")
        try:
            with Image.open(path) as image:
                yield np.asarray(image.convert("RGB"))
        except (UnidentifiedImageError, OSError) as error:
            raise BadFile(f"cannot decode image: {error}") from None

    def clean(self, record: np.ndarray, counts: Counter[str]) -> np.ndarray | None:
        return record if min(record.shape[:2]) >= 8 else None  # drop thumbnails

    def measure(self, record: np.ndarray) -> float:
        return 1.0
