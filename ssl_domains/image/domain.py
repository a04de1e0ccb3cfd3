"""`ImageDomain`: the base of domains whose records are images."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ssl_domains.data.records import ReadOptions
from ssl_domains.plugin.domain_adapter import DomainAdapter


class ImageDomain(DomainAdapter):
    """A domain whose records are images: uint8 `(height, width, channels)` arrays.

    The core reads PNG, JPEG, WebP and BMP files (folders are searched recursively,
    so class sub-folders are simply more images) and CSV/JSONL manifests with a
    `path` column; exact duplicates (same pixels) are dropped.

    Class attributes:
        channels: 3 (RGB) or 1 (grayscale); images are converted to it.
        min_size: images with a shorter side are dropped (thumbnails, icons).
        max_pixels: images whose header claims more pixels are skipped undecoded.
        image_size: the side of the square images recipes train on (the shorter side
            is resized to it, then the centre cropped); a ViT's patch size must
            divide it.

    Examples:

    ```python
    from ssl_domains.api import ImageDomain

    class HistologyDomain(ImageDomain):
        name = "histology"
        description = "Stained tissue slides, as tiles."
        channels = 3

        def sample_corpus(self):
            return [Path(__file__).parent / "data" / "tiles"]
    ```
    """

    modality: ClassVar[str] = "image"
    unit: ClassVar[str] = "images"
    channels: ClassVar[int] = 3
    min_size: ClassVar[int] = 8
    max_pixels: ClassVar[int] = 40_000_000
    image_size: ClassVar[int] = 224

    def read(self, path: Path, options: ReadOptions) -> Iterator[Any]:
        from ssl_domains.image.reading import read_image_records

        yield from read_image_records(path, self.channels, self.max_pixels)

    def quality(self, record) -> str | None:
        return "too_small" if min(record.shape[:2]) < self.min_size else None

    def dedup_key(self, record) -> str:
        """Exact duplicates only: the digest of the shape and pixels (one "word")."""
        digest = hashlib.blake2b(str(record.shape).encode(), digest_size=16)
        digest.update(record.tobytes())
        return digest.hexdigest()

    def measure(self, record) -> float:
        return 1.0

    def views(self, size: int):
        """The augmentation of one view for contrastive recipes, as a Keras model on
        images in [0, 1]: `ssl_domains.image.views.standard_views`, without colour
        layers for grayscale domains. Override to drop what your images must keep
        (`flips=False` where orientation means something)."""
        from ssl_domains.image.views import standard_views

        return standard_views(size, color=self.channels == 3)
