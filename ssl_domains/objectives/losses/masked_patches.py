"""MAE's reconstruction loss: mean squared error on the masked patches' pixels.

He et al., 2021, "Masked Autoencoders Are Scalable Vision Learners", arXiv:2111.06377,
section 3 ("Reconstruction target") and the reference `forward_loss`. With the paper's
`norm_pix_loss`, which improves its representations, each target patch is normalised by
its own mean and standard deviation:

    target = (patch - mean(patch)) / sqrt(var(patch) + eps)
    loss   = sum_i mask_i * mean_pixels((prediction_i - target_i)^2) / sum_i mask_i

so only the masked patches count (the paper: "computing the loss only on masked
patches"), each patch equally. One departure: `var` here is the population variance
(the reference takes torch's unbiased `var`, a factor `(m - 1) / m` from it, 191/192 for
8x8 RGB patches). Then predicting a patch's own mean, 0 after normalisation, scores
`var / (var + eps)`: 1 for any textured patch and 0 for a flat one, the baseline
`evaluate` reports (`mean_patch_prediction`).

Shapes: `b` images, `n` patches, `m = p * p * c` pixels per patch.
"""

from __future__ import annotations

from typing import Any

from keras import ops

Tensor = Any  # a tensor of the active backend


def normalize_patches(patches: Tensor, eps: float = 1e-6) -> Tensor:
    """`[b, n, m]` -> the same, each patch to zero mean and unit variance (`norm_pix`)."""
    mean = ops.mean(patches, axis=-1, keepdims=True)
    var = ops.var(patches, axis=-1, keepdims=True)
    return (patches - mean) / ops.sqrt(var + eps)


def masked_patch_loss(
    predictions: Tensor,
    patches: Tensor,
    mask: Tensor,
    norm_pix: bool = True,
    eps: float = 1e-6,
) -> Tensor:
    """The mean squared error over masked patches only.

    Args:
        predictions: `[b, n, m]`, the decoder's pixels for every patch (the visible
            patches' predictions are ignored).
        patches: `[b, n, m]`, the image's own pixels (`patchify`).
        mask: `[b, n]`, 1 where a patch was masked, 0 where the encoder saw it.
        norm_pix: compare with per-patch normalised pixels (the paper's best target)
            rather than the raw ones.
        eps: added to each patch's variance before its square root.

    Returns:
        A scalar: the squared error per pixel, averaged over each masked patch, then
        over the masked patches of the batch.
    """
    targets = normalize_patches(patches, eps) if norm_pix else patches
    predictions = ops.cast(predictions, "float32")
    targets = ops.cast(targets, "float32")
    mask = ops.cast(mask, "float32")
    per_patch = ops.mean(ops.square(predictions - targets), axis=-1)  # [b, n]
    return ops.sum(per_patch * mask) / ops.maximum(ops.sum(mask), 1.0)


def mean_patch_prediction(patches: Tensor, norm_pix: bool = True) -> Tensor:
    """The trivial prediction: each patch's own mean pixel, as `masked_patch_loss` reads
    predictions (0 in normalised space). `[b, n, m]` -> `[b, n, m]`."""
    if norm_pix:
        return ops.zeros_like(patches)
    return ops.zeros_like(patches) + ops.mean(patches, axis=-1, keepdims=True)
