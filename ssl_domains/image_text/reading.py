"""Reading image-caption pairs: manifests that list them, and images beside captions.

Two layouts:
- a CSV or JSONL manifest with an image path and a caption per row (the field names
  are the domain's options `image_field` and `caption_field`), paths relative to the
  manifest;
- a folder in which `x.png` sits beside `x.txt`, its caption (any image format of
  `ssl_domains.image.reading`).

A pair that cannot be used is a `BadRecord` with a reason that names its kind, so the
corpus report counts them by reason: `missing image`, `corrupt image`, `empty
caption`, `missing caption`, `caption without image`, `caption over 64 KiB`. A
manifest row that cannot be read (not UTF-8, not JSON) is one too, and the rows after
it are read (`ssl_domains.data.corpus_files.manifest_records`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ssl_domains.data.corpus_files import manifest_records
from ssl_domains.data.records import BadFile, BadRecord
from ssl_domains.image.reading import IMAGE_SUFFIXES, MAX_PIXELS, read_image

MANIFEST_SUFFIXES = (".csv", ".jsonl")
CAPTION_SUFFIX = ".txt"
MAX_CAPTION_BYTES = 64 * 2**10  # a caption, not a document: longer is junk


class Pair(NamedTuple):
    """One image (uint8 `(height, width, channels)`) and its caption."""

    image: np.ndarray
    caption: str


def manifest_pairs(
    path: Path, image_field: str, caption_field: str
) -> list[tuple[Path, str] | BadRecord]:
    """(image path resolved against the manifest, caption) of each row, or the
    `BadRecord` of a row that cannot be read."""
    try:
        rows = list(manifest_records(path))
    except OSError as error:
        raise BadFile(f"unreadable manifest: {error.strerror or error}") from None
    if not rows:
        raise BadFile("an empty manifest")
    good = [row for row in rows if not isinstance(row, BadRecord)]
    missing = [f for f in (image_field, caption_field) if good and f not in good[0]]
    if missing:
        fields = ", ".join(map(repr, good[0]))
        raise BadFile(
            f"a manifest needs the fields {image_field!r} and {caption_field!r} (found "
            f"{fields}); set domain.image_field / domain.caption_field"
        )
    return [
        row
        if isinstance(row, BadRecord)
        else (path.parent / str(row.get(image_field) or ""), str(row.get(caption_field) or ""))
        for row in rows
    ]


def read_pair(image_path: Path, caption: str, channels: int, max_pixels: int) -> Pair | BadRecord:
    """A `Pair`, or a `BadRecord` saying why not."""
    if not caption.strip():
        return BadRecord("empty caption")
    try:
        if not image_path.is_file():  # False for a named pipe or a symlink loop too
            return BadRecord("missing image")
    except ValueError:  # a NUL in the manifest's path
        return BadRecord("missing image")
    try:
        return Pair(read_image(image_path, channels, max_pixels), caption.strip())
    except ValueError:
        return BadRecord("corrupt image")


def read_caption(path: Path) -> str | BadRecord:
    """The caption file beside an image, at most `MAX_CAPTION_BYTES` of UTF-8 text."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CAPTION_BYTES + 1)
        if len(data) > MAX_CAPTION_BYTES:
            return BadRecord(f"caption over {MAX_CAPTION_BYTES // 2**10} KiB")
        if b"\x00" in data:
            return BadRecord("unreadable caption")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return BadRecord("unreadable caption")


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
        for pair in manifest_pairs(path, image_field, caption_field):
            yield pair if isinstance(pair, BadRecord) else read_pair(*pair, channels, max_pixels)
    elif suffix in IMAGE_SUFFIXES:
        caption_path = path.with_suffix(CAPTION_SUFFIX)
        if not caption_path.is_file():
            yield BadRecord("missing caption")
            return
        caption = read_caption(caption_path)
        yield (
            caption
            if isinstance(caption, BadRecord)
            else read_pair(path, caption, channels, max_pixels)
        )
    elif suffix == CAPTION_SUFFIX:
        if not any(path.with_suffix(s).is_file() for s in (*IMAGE_SUFFIXES, ".PNG", ".JPG")):
            yield BadRecord("caption without image")
    else:
        raise BadFile(f"unsupported format {suffix or '(no suffix)'!r}")
