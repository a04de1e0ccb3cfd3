"""`ImageTextDomain`: the base of domains whose records are images with captions."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ssl_domains.data.records import ReadOptions
from ssl_domains.errors import UserError
from ssl_domains.plugin.domain_adapter import DomainAdapter
from ssl_domains.text.rules import Rule, apply_rules_counting

PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_]*\]")


@dataclass
class ImageTextOptions:
    """Options of every image-text domain (its `[domain]` section); a domain with
    options of its own subclasses this dataclass.

    Args:
        image_field: the manifest field (CSV column or JSONL key) holding the image's
            path, relative to the manifest.
        caption_field: the manifest field holding the caption.
    """

    image_field: str = "path"
    caption_field: str = "caption"

    def validate(self) -> None:
        if not self.image_field or not self.caption_field:
            raise UserError("domain.image_field and domain.caption_field must not be empty")


class ImageTextDomain(DomainAdapter):
    """A domain whose records are pairs of an image and its caption.

    Reads CSV/JSONL manifests (an image path and a caption per row; field names
    `domain.image_field` and `domain.caption_field`) and folders where `x.png` sits
    beside `x.txt`. Broken pairs (a missing or corrupt image, an empty caption) are
    skipped and counted by reason in the corpus report. Captions go through the text
    hooks a `TextDomain` has: `redactions()` while the corpus is read (counted),
    `redactions()` and `normalizations()` again in the graph, in training and in the
    exported SavedModel, and `units()` kept whole by the tokenizer.

    Class attributes:
        channels: 3 (RGB) or 1 (grayscale); images are converted to it.
        image_size: the side of the square images the image tower takes.
        min_size: pairs whose image has a shorter side are dropped.
        max_pixels: images whose header claims more pixels are skipped undecoded.
        lowercase: whether the caption vocabulary is case-folded.

    Examples:

    ```python
    from pathlib import Path
    from ssl_domains.api import ImageTextDomain, Rule

    class RadiologyDomain(ImageTextDomain):
        name = "radiology"
        description = "Chest X-rays with their report's findings."
        default_recipe = "clip"
        channels = 1
        image_size = 64

        def sample_corpus(self):
            return [Path(__file__).parent / "data" / "pairs.jsonl"]

        def redactions(self):
            return [Rule("mrn", r"\\bMRN:? ?\\d{6,}\\b", "[MRN]")]
    ```
    """

    modality: ClassVar[str] = "image-text"
    unit: ClassVar[str] = "pairs"
    default_recipe: ClassVar[str] = "clip"
    channels: ClassVar[int] = 3
    image_size: ClassVar[int] = 64
    min_size: ClassVar[int] = 8
    max_pixels: ClassVar[int] = 40_000_000
    lowercase: ClassVar[bool] = True
    Config: ClassVar[type] = ImageTextOptions

    # -- captions, as a TextDomain's text ---------------------------------------------

    def redactions(self) -> list[Rule]:
        return []

    def normalizations(self) -> list[Rule]:
        return []

    def units(self) -> list[str]:
        return []

    def placeholders(self) -> list[str]:
        """Bracketed upper-case tokens the rules write: kept whole, never split."""
        rules = self.redactions() + self.normalizations()
        return sorted({m for r in rules for m in PLACEHOLDER.findall(r.replacement)})

    # -- pairs ------------------------------------------------------------------------

    def read(self, path: Path, options: ReadOptions) -> Iterator:
        from ssl_domains.image_text.reading import read_pair_records

        yield from read_pair_records(
            path,
            getattr(self.config, "image_field", "path"),
            getattr(self.config, "caption_field", "caption"),
            self.channels,
            self.max_pixels,
        )

    def clean(self, record, counts: Counter[str]):
        """Redact the caption (counted by kind); None if nothing of it is left."""
        if not hasattr(self, "_redaction_rules"):
            self._redaction_rules = self.redactions()
        caption = apply_rules_counting(self._redaction_rules, record.caption, counts).strip()
        return record._replace(caption=" ".join(caption.split())) if caption else None

    def quality(self, record) -> str | None:
        return "too_small" if min(record.image.shape[:2]) < self.min_size else None

    def dedup_key(self, record):
        """Exact duplicates: the same pixels with the same caption."""
        from ssl_domains.data.deduplicator import HashKey  # datasketch: not on plugin import

        digest = hashlib.blake2b(str(record.image.shape).encode(), digest_size=16)
        digest.update(record.image.tobytes())
        digest.update(record.caption.encode("utf-8"))
        return HashKey(digest.hexdigest())

    def measure(self, record) -> float:
        return 1.0
