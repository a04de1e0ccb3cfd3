"""Reading images: files of PNG, JPEG, WebP or BMP, and manifests that list them.

An image is decoded with Pillow, turned upright by its EXIF orientation, and
converted to RGB or grayscale. What cannot be read is a reason, never a crash: a
0-byte, corrupt or truncated file, and one whose header claims more pixels than
`max_pixels` (a 50000x50000 PNG header is refused before anything is decoded).
Only the four formats are opened, whatever Pillow could identify: a file named
`.png` that holds an EPS or a TIFF is refused, not handed to a riskier decoder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ssl_domains.data.corpus_files import read_files_or_manifest
from ssl_domains.data.records import BadRecord

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "BMP")  # Pillow's names; MPO opens as JPEG
MAX_PIXELS = 40_000_000  # about 6300 x 6300: far above any tile, far below a bomb


def read_image(path: str | Path, channels: int = 3, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """uint8 `(height, width, channels)`, upright; `ValueError(reason)` if unreadable."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ValueError("empty file")
        with Image.open(path, formats=IMAGE_FORMATS) as image:  # reads the header only
            width, height = image.size
            if width * height > max_pixels:
                raise ValueError(f"claims {width}x{height} pixels, over the {max_pixels} limit")
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = np.asarray(upright.convert("RGB" if channels == 3 else "L"))
    except Image.DecompressionBombError:  # Pillow's own limit, above ours, hit at open
        raise ValueError(f"claims over {max_pixels} pixels (a decompression bomb?)") from None
    except UnidentifiedImageError:  # its message names the file: reasons are counted
        raise ValueError("not a readable image") from None
    except OSError as error:  # truncated data, a missing file
        raise ValueError(f"cannot decode: {error.strerror or error}") from None
    except ValueError:
        raise
    # A damaged file makes decoders raise almost anything (SyntaxError for a broken
    # PNG chunk, struct.error, EOFError, IndexError in EXIF): all mean "corrupt".
    except Exception as error:
        raise ValueError(f"cannot decode: {type(error).__name__}") from None
    return pixels if pixels.ndim == 3 else pixels[..., None]


def png_bytes(pixels: np.ndarray) -> bytes:
    """uint8 `(height, width[, channels])` pixels as a PNG file's bytes (one channel
    stored as grayscale)."""
    import io

    from PIL import Image

    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def read_image_records(
    path: Path, channels: int = 3, max_pixels: int = MAX_PIXELS
) -> Iterator[np.ndarray | BadRecord]:
    """One image per image file; every listed file of a CSV/JSONL manifest (`path`
    column, relative to the manifest). A bad listed image is a `BadRecord`; a bad
    image file on its own, a `BadFile`."""
    yield from read_files_or_manifest(
        path, IMAGE_SUFFIXES, lambda source: read_image(source, channels, max_pixels)
    )
