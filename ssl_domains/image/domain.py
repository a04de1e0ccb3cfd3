"""`ImageDomain`: the base of domains whose records are images."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ssl_domains.data.records import ReadOptions
from ssl_domains.errors import UserError
from ssl_domains.plugin.domain_adapter import DomainAdapter

if TYPE_CHECKING:
    from ssl_domains.data.deduplicator import HashKey

MAX_HAMMING = 16  # beyond it, different photographs start to pass for copies


@dataclass
class ImageOptions:
    """Options of every image domain (its `[domain]` section); a domain with options of
    its own subclasses this dataclass to keep them.

    Args:
        near_duplicates: also drop near duplicates of images already kept: the same
            picture resized, re-encoded or a little brighter, found by a perceptual hash
            (`ssl_domains.image.perceptual_hash.dhash`). Off by default: a corpus of
            tiles or frames can hold distinct images that hash alike (flat tiles, a
            static scene), and which images are copies is for the user to decide.
            `data.near_duplicates = false` turns it off as it does for text.
        hamming: images whose 64-bit hashes differ in this many bits or fewer are near
            duplicates (0 to 16); copies differ in a few, different pictures in about 32.
    """

    near_duplicates: bool = False
    hamming: int = 6

    def validate(self) -> None:
        if not 0 <= self.hamming <= MAX_HAMMING:
            raise UserError(f"domain.hamming must be 0 to {MAX_HAMMING} bits, got {self.hamming}")


class ImageDomain(DomainAdapter):
    """A domain whose records are images: uint8 `(height, width, channels)` arrays.

    The core reads PNG, JPEG, WebP and BMP files (folders are searched recursively,
    so class sub-folders are simply more images) and CSV/JSONL manifests with a
    `path` column; exact duplicates (same pixels) are dropped, and near duplicates too
    with the option `near_duplicates` (`ImageOptions`).

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
    Config: ClassVar[type] = ImageOptions

    def read(self, path: Path, options: ReadOptions) -> Iterator[Any]:
        from ssl_domains.image.reading import read_image_records

        yield from read_image_records(path, self.channels, self.max_pixels)

    def quality(self, record) -> str | None:
        return "too_small" if min(record.shape[:2]) < self.min_size else None

    def dedup_key(self, record) -> HashKey:
        """The digest of the shape and pixels, for exact duplicates; with the option
        `near_duplicates`, the image's dHash too, for near duplicates."""
        from ssl_domains.data.deduplicator import HashKey  # datasketch: not on plugin import

        digest = hashlib.blake2b(str(record.shape).encode(), digest_size=16)
        digest.update(record.tobytes())
        if not getattr(self.config, "near_duplicates", False):
            return HashKey(digest.hexdigest())
        from ssl_domains.image.perceptual_hash import dhash

        return HashKey(digest.hexdigest(), dhash(record), self.config.hamming)

    def measure(self, record) -> float:
        return 1.0

    def views(self, size: int):
        """The augmentation of one view for contrastive recipes, as a Keras model on
        images in [0, 1]: `ssl_domains.image.views.standard_views`, without colour
        layers for grayscale domains. Override to drop what your images must keep
        (`flips=False` where orientation means something)."""
        from ssl_domains.image.views import standard_views

        return standard_views(size, color=self.channels == 3)
