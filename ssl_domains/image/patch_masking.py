"""Images as sequences of patches, and MAE's random patch masking, in `keras.ops`.

He et al., 2021, "Masked Autoencoders Are Scalable Vision Learners", arXiv:2111.06377.
The functions follow the paper's reference implementation (`models_mae.py`): patches
in row-major order, each flattened as `(row, column, channel)`, which is also the
order of a ViT's patch-embedding tokens; masks from the argsort of uniform noise, so
every image keeps exactly the same number of patches and a batch stays one tensor.

Shapes: `b` images, `n` patches of `p * p * c` pixels, `k` kept (visible) patches.

```python
import numpy as np
from ssl_domains.image.patch_masking import gather_patches, patchify, random_patch_mask

images = np.random.rand(2, 32, 32, 3).astype("float32")
patches = patchify(images, 8)  # (2, 16, 192)
ids_keep, ids_restore, mask = random_patch_mask(2, 16, mask_ratio=0.75, seed=0)
visible = gather_patches(patches, ids_keep)  # (2, 4, 192)
```
"""

from __future__ import annotations

from typing import Any

from keras import ops, random

Tensor = Any  # a tensor of the active backend


def patchify(images: Tensor, patch_size: int | tuple[int, int]) -> Tensor:
    """`[b, h, w, c]` -> `[b, (h / p) * (w / q), p * q * c]`, patches row by row.

    `patch_size` is `p` or `(p, q)` (height, width); `h` and `w` must be multiples."""
    p, q = _pair(patch_size)
    height, width, channels = images.shape[1], images.shape[2], images.shape[3]
    rows, cols = height // p, width // q
    x = ops.reshape(images, (-1, rows, p, cols, q, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))  # [b, rows, cols, p, q, c]
    return ops.reshape(x, (-1, rows * cols, p * q * channels))


def unpatchify(
    patches: Tensor, patch_size: int | tuple[int, int], height: int, width: int
) -> Tensor:
    """The inverse of `patchify`: `[b, n, p * q * c]` -> `[b, h, w, c]`."""
    p, q = _pair(patch_size)
    rows, cols = height // p, width // q
    channels = patches.shape[-1] // (p * q)
    x = ops.reshape(patches, (-1, rows, cols, p, q, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))  # [b, rows, p, cols, q, c]
    return ops.reshape(x, (-1, height, width, channels))


def _pair(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def visible_count(num_patches: int, mask_ratio: float) -> int:
    """Patches each image keeps: `round(n * (1 - mask_ratio))`, at least one."""
    return max(1, int(round(num_patches * (1.0 - mask_ratio))))


def random_patch_mask(
    batch_size: Tensor | int, num_patches: int, mask_ratio: float = 0.75, seed: Any = None
) -> tuple[Tensor, Tensor, Tensor]:
    """A fresh random subset of patches to keep, per image.

    Each image's patches are shuffled by the argsort of uniform noise; the first
    `visible_count(n, mask_ratio)` of the shuffle are kept, the rest masked.

    Args:
        batch_size: `b` (a Python int or a scalar tensor, e.g. `ops.shape(x)[0]`).
        num_patches: `n`.
        mask_ratio: share of patches masked (MAE: 0.75).
        seed: a `keras.random.SeedGenerator` (as a model owns), an int, or None.

    Returns:
        `ids_keep`: `[b, k]` int32, the kept patches' indices (in shuffled order).
        `ids_restore`: `[b, n]` int32, where each patch went in the shuffle:
            `take_along_axis(shuffled, ids_restore)` puts a shuffled sequence back in
            patch order.
        `mask`: `[b, n]` float32, 1 for a masked patch and 0 for a kept one, in patch
            order.
    """
    keep = visible_count(num_patches, mask_ratio)
    noise = random.uniform((batch_size, num_patches), seed=seed)
    ids_shuffle = ops.cast(ops.argsort(noise, axis=1), "int32")
    ids_restore = ops.cast(ops.argsort(ids_shuffle, axis=1), "int32")
    ids_keep = ids_shuffle[:, :keep]
    shuffled_mask = ops.cast(ops.arange(num_patches) >= keep, "float32")  # [n]
    shuffled_mask = ops.zeros_like(noise) + shuffled_mask[None, :]
    mask = ops.take_along_axis(shuffled_mask, ids_restore, axis=1)
    return ids_keep, ids_restore, mask


def gather_patches(tokens: Tensor, ids: Tensor) -> Tensor:
    """`[b, n, d]` tokens, `[b, m]` indices -> `[b, m, d]`: row `i` keeps `tokens[i, ids[i]]`."""
    index = ops.expand_dims(ids, -1) + ops.zeros((1, 1, tokens.shape[-1]), dtype=ids.dtype)
    return ops.take_along_axis(tokens, index, axis=1)
