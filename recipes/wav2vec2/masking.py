"""Span masking of latent frames and sampling of distractors, for wav2vec 2.0.

Paper: Baevski et al., 2020, arXiv:2006.11477, sections 3.1 ("Masking") and 3.2
("Contrastive loss").

Masking: every valid frame starts a span with probability p = 0.065, and a span masks
the M = 10 frames from its start (spans may overlap, and are cut at the end of the
utterance), so in expectation a share of 1 - (1 - p)^M ≈ 49% of the frames is masked.
This is the paper's description; fairseq instead draws a fixed number of spans per
utterance, `p * length / M` rounded at random, which gives the same share on average.
An utterance that draws too few masked frames gets one span at a random position, so
the contrastive task always has distractors.

Distractors: for each masked frame, K = 100 other masked frames of the same utterance,
uniformly and without repetition (random keys, top-K). When the utterance has fewer
than K other masked frames, the remaining slots are filled by sampling those frames
again with replacement; the frame itself is never a distractor. fairseq always samples
with replacement.

Everything is `keras.ops` / `keras.random`, so it runs inside a compiled train step on
TensorFlow, JAX and PyTorch.
"""

from __future__ import annotations

from typing import Any

from keras import ops, random

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor
Seed = Any  # an int, or a keras.random.SeedGenerator (required inside jit)


def _two_seeds(seed: Seed) -> tuple[Seed, Seed]:
    # A generator advances between draws; an int must be split, or both draws correlate.
    return (seed, seed + 1) if isinstance(seed, int) else (seed, seed)


def sample_span_mask(
    batch_size: int | Tensor,
    num_frames: int | Tensor,
    lengths: Tensor,
    mask_prob: float = 0.065,
    mask_length: int = 10,
    min_masks: int = 2,
    seed: Seed = None,
) -> Tensor:
    """Sample wav2vec 2.0's span mask over latent frames.

    Args:
        batch_size: number of utterances B.
        num_frames: frames per utterance T, padding included.
        lengths: `(B,)` int, valid frames of each utterance; later frames are never
            masked.
        mask_prob: probability p that a valid frame starts a span.
        mask_length: span length M.
        min_masks: an utterance with fewer masked frames gets one extra span at a
            random position (which masks `min(M, length)` frames).
        seed: seed or `keras.random.SeedGenerator`.

    Returns:
        `(B, T)` bool, true for masked frames.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.masking import sample_span_mask

    mask = sample_span_mask(4, 500, np.array([500, 500, 300, 20]), seed=0)
    # about 49% of the valid frames are masked; row 2 has no mask past frame 300
    ```
    """
    start_seed, extra_seed = _two_seeds(seed)
    lengths = ops.cast(lengths, "int32")
    positions = ops.arange(num_frames, dtype="int32")[None, :]
    valid = positions < lengths[:, None]
    starts = (random.uniform((batch_size, num_frames), seed=start_seed) < mask_prob) & valid
    mask = _spans_from_starts(starts, mask_length) & valid

    # A random start whose span fits in the utterance where possible.
    last_start = ops.maximum(lengths - mask_length, 0)
    extra_start = ops.cast(
        ops.floor(
            random.uniform((batch_size,), seed=extra_seed) * ops.cast(last_start + 1, "float32")
        ),
        "int32",
    )
    extra_start = ops.minimum(extra_start, last_start)[:, None]
    extra = (positions >= extra_start) & (positions < extra_start + mask_length) & valid
    too_few = ops.sum(ops.cast(mask, "int32"), axis=1, keepdims=True) < min_masks
    return mask | (extra & too_few)


def _spans_from_starts(starts: Tensor, mask_length: int) -> Tensor:
    # Frame t is masked iff a span starts in (t - M, t]: a difference of running counts.
    counts = ops.cumsum(ops.cast(starts, "int32"), axis=1)
    counts_before = ops.pad(counts, ((0, 0), (mask_length, 0)))[:, :-mask_length]
    return (counts - counts_before) > 0


def sample_negatives(
    mask: Tensor, num_negatives: int = 100, seed: Seed = None
) -> tuple[Tensor, Tensor]:
    """For each frame, sample distractor frames among the masked frames of its utterance.

    Args:
        mask: `(B, T)` bool, the masked (valid) frames.
        num_negatives: K, distractors per frame.
        seed: seed or `keras.random.SeedGenerator`.

    Returns:
        `(indices, valid)`: `(B, T, K)` int32 frame indices into the same utterance,
        never the frame itself and always masked frames; and `(B, T, K)` bool, false
        where the utterance has no other masked frame to offer (then the index is 0
        and must be ignored). Rows of unmasked frames are filled too but meaningless.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.masking import sample_negatives

    mask = np.zeros((1, 50), bool)
    mask[0, 10:30] = True
    indices, valid = sample_negatives(mask, num_negatives=5, seed=0)
    # indices[0, 12] holds 5 distinct frames of 10..29, none of them 12
    ```
    """
    key_seed, redraw_seed = _two_seeds(seed)
    batch_size, num_frames = ops.shape(mask)[0], ops.shape(mask)[1]
    mask = ops.cast(mask, "bool")
    positions = ops.arange(num_frames, dtype="int32")
    not_self = positions[:, None] != positions[None, :]
    candidates = mask[:, None, :] & not_self[None]  # (B, T, T): distractor s of frame t
    # Top-K of random keys is a uniform draw without replacement among the candidates;
    # K columns of non-candidates keep top-K defined when T < K.
    keys = random.uniform((batch_size, num_frames, num_frames), seed=key_seed)
    keys = ops.where(candidates, keys, -1.0)
    keys = ops.pad(keys, ((0, 0), (0, 0), (0, num_negatives)), constant_values=-1.0)
    _, indices = ops.top_k(keys, num_negatives, sorted=True)
    indices = ops.cast(indices, "int32")

    # Sorted keys put the n other masked frames in the first n slots; slots past n
    # draw again among those with replacement.
    num_others = ops.sum(ops.cast(mask, "int32"), axis=1) - 1
    num_others = ops.maximum(num_others, 0)[:, None, None]
    draws = random.uniform((batch_size, num_frames, num_negatives), seed=redraw_seed)
    # Redraws are only used when n < K; the bound keeps the unused ones in range too.
    pool = ops.clip(num_others, 1, num_negatives)
    redraw = ops.minimum(ops.cast(draws * ops.cast(pool, "float32"), "int32"), pool - 1)
    slots = ops.arange(num_negatives, dtype="int32")[None, None, :]
    indices = ops.where(slots < num_others, indices, ops.take_along_axis(indices, redraw, axis=2))
    valid = ops.broadcast_to(num_others > 0, ops.shape(indices))
    return ops.where(valid, indices, 0), valid
