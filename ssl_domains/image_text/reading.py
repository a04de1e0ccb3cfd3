"""Reading image-caption pairs: manifests that list them, and images beside captions.

Two layouts:
- a CSV or JSONL manifest with an image path and a caption per row (the field names
  are the domain's options `image_field` and `caption_field`), paths relative to the
  manifest;
- a folder in which `x.png` sits beside `x.txt`, its caption (any image format of
  `ssl_domains.image.reading`).

A pair that cannot be used is a `BadRecord` with a reason that names its kind, so the
corpus report counts them by reason: `missing image`, `corrupt image`, `empty
caption`, `missing caption`, `caption without image`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ssl_domains.data.records import BadFile, BadRecord
from ssl_domains.image.reading import IMAGE_SUFFIXES, MAX_PIXELS, read_image

MANIFEST_SUFFIXES = (".csv", ".jsonl")
CAPTION_SUFFIX = ".txt"


class Pair(NamedTuple):
    """One image (uint8 `(height, width, channels)`) and its caption."""

    image: np.ndarray
    caption: str


def manifest_pairs(path: Path, image_field: str, caption_field: str) -> list[tuple[Path, str]]:
    """(image path resolved against the manifest, caption) of each row."""
    try:
        if path.suffix.lower() == ".jsonl":
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        else:
            with path.open(newline="") as handle:
                rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadFile(f"unreadable manifest: {error}") from None
    if not rows:
        raise BadFile("an empty manifest")
    missing = [f for f in (image_field, caption_field) if f not in rows[0]]
    if missing:
        fields = ", ".join(map(repr, rows[0]))
        raise BadFile(
            f"a manifest needs the fields {image_field!r} and {caption_field!r} (found "
            f"{fields}); set domain.image_field / domain.caption_field"
        )
    return [
        (path.parent / str(row.get(image_field) or ""), str(row.get(caption_field) or ""))
        for row in rows
    ]


def read_pair(image_path: Path, caption: str, channels: int, max_pixels: int) -> Pair | BadRecord:
    """A `Pair`, or a `BadRecord` saying why not."""
    if not caption.strip():
        return BadRecord("empty caption")
    if not image_path.is_file():
        return BadRecord("missing image")
    try:
        return Pair(read_image(image_path, channels, max_pixels), caption.strip())
    except ValueError:
        return BadRecord("corrupt image")


def read_pair_records(
    path: Path,
    image_field: str = "path",
    caption_field: str = "caption",
    channels: int = 3,
    max_pixels: int = MAX_PIXELS,
) -> Iterator[Pair | BadRecord]:
    """The pairs of one corpus file: every row of a manifest; an image file with its
    `.txt` caption beside it; nothing for a caption file beside its image (its image
    reads it)."""
    suffix = path.suffix.lower()
    if suffix in MANIFEST_SUFFIXES:
        for image_path, caption in manifest_pairs(path, image_field, caption_field):
            yield read_pair(image_path, caption, channels, max_pixels)
    elif suffix in IMAGE_SUFFIXES:
        caption_path = path.with_suffix(CAPTION_SUFFIX)
        if not caption_path.is_file():
            yield BadRecord("missing caption")
            return
        try:
            caption = caption_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            yield BadRecord("unreadable caption")
            return
        yield read_pair(path, caption, channels, max_pixels)
    elif suffix == CAPTION_SUFFIX:
        if not any(path.with_suffix(s).is_file() for s in (*IMAGE_SUFFIXES, ".PNG", ".JPG")):
            yield BadRecord("caption without image")
    else:
        raise BadFile(f"unsupported format {suffix or '(no suffix)'!r}")
