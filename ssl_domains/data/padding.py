"""How much of a batch is padding: the waste that packing removes."""

from __future__ import annotations


def padding_share(batches, max_batches: int = 20) -> float | None:
    """Share of padding positions over the first batches, where inputs carry a
    `padding_mask` (None otherwise)."""
    real = total = 0
    for x, *_ in batches.take(max_batches):
        if not isinstance(x, dict) or "padding_mask" not in x:
            return None
        mask = x["padding_mask"].numpy()
        real, total = real + int(mask.sum()), total + mask.size
    return 1.0 - real / total if total else None
