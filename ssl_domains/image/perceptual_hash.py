"""A perceptual hash of images, to find near duplicates: the difference hash (dHash).

Exact duplicates have the same pixels; near duplicates are the same picture saved
again: resized, re-encoded as JPEG, a little brighter or darker. dHash (Krawetz, "Kind
of Like That", 2013) sees what those leave alone, the picture's coarse gradients:
the image in grayscale, shrunk to 9x8 pixels, and one bit per pair of horizontal
neighbours, set where the left one is brighter. Copies differ in a few of the 64 bits,
different pictures in about half of them; `hamming` counts the differing bits.

What it cannot see: colour (a picture and its recoloured copy hash alike), and flat
images (every plain image hashes to zero, whatever its colour). It is not robust to
crops, rotations or mirroring, which change the gradients.
"""

from __future__ import annotations

import numpy as np

HASH_BITS = 64


def dhash(image: np.ndarray) -> int:
    """The 64-bit difference hash of a uint8 `(height, width, channels)` image.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.image.perceptual_hash import dhash, hamming

    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    brighter = np.clip(image.astype(int) + 20, 0, 255).astype(np.uint8)
    hamming(dhash(image), dhash(brighter))  # a few bits at most
    ```
    """
    from PIL import Image

    pixels = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
    gray = Image.fromarray(np.ascontiguousarray(pixels)).convert("L")
    # Antialiased down to 9x8; `reducing_gap` first shrinks large images by whole
    # factors, which keeps a photograph's hash to a millisecond or two.
    small = gray.resize((9, 8), Image.Resampling.LANCZOS, reducing_gap=3.0)
    cells = np.asarray(small, dtype=np.int16)
    bits = cells[:, :-1] > cells[:, 1:]
    return int.from_bytes(np.packbits(bits.ravel()).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    """The number of bits in which two hashes differ."""
    return (a ^ b).bit_count()
