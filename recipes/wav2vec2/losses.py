"""The wav2vec 2.0 objective: contrastive loss, diversity loss, feature penalty.

Paper: Baevski et al., 2020, arXiv:2006.11477, section 3.2. With B utterances of T
frames, K distractors, G codebooks of V entries:

    L = L_m + alpha * L_d + beta * mean(features ** 2)

- Contrastive `L_m`: for each masked frame t, cross-entropy of picking the true
  quantized target q_t among {q_t} + K distractors, with logits cos(c_t, q) / kappa,
  kappa = 0.1. As in fairseq, a distractor that has the very same codes as q_t (so the
  same vector) is left out, since no model could tell them apart.
- Diversity `L_d = (GV - sum_g exp(H(p_g))) / GV`, with p_g the codebook's softmax
  averaged over the valid frames of the batch; alpha = 0.1.
- Feature penalty: mean square of the feature encoder's output over valid frames,
  beta = 10 (fairseq BASE); the paper mentions it for stability.

Pure functions, `keras.ops` only; every mean is over valid (or masked) frames only.
"""

from __future__ import annotations

from typing import Any

from keras import ops

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor

_NEG_INF = -1e9  # a finite "minus infinity": keeps softmax gradients NaN-free


def cosine_similarities(context: Tensor, targets: Tensor, negative_indices: Tensor) -> Tensor:
    """Cosine similarity of each context vector to its own target and to its distractors.

    Args:
        context: `(B, T, D)`, the projected context network outputs c.
        targets: `(B, T, D)`, the projected quantized targets q.
        negative_indices: `(B, T, K)` int, frames of the same utterance whose targets
            are the distractors of frame t.

    Returns:
        `(B, T, 1 + K)`: `cos(c_t, q_t)` first, then `cos(c_t, q_s)` per distractor s.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.losses import cosine_similarities

    c = np.random.randn(1, 6, 8).astype("float32")
    idx = np.array([[[1, 2], [0, 2], [0, 1], [4, 5], [3, 5], [3, 4]]])
    sims = cosine_similarities(c, c, idx)  # sims[..., 0] == 1
    ```
    """
    context = _l2_normalize(context)
    targets = _l2_normalize(targets)
    positive = ops.sum(context * targets, axis=-1, keepdims=True)
    # (B, T, T) similarities are far smaller than (B, T, K, D) gathered targets.
    all_pairs = ops.einsum("btd,bsd->bts", context, targets)
    negative = ops.take_along_axis(all_pairs, ops.cast(negative_indices, "int32"), axis=2)
    return ops.concatenate([positive, negative], axis=-1)


def _l2_normalize(x: Tensor) -> Tensor:
    x = ops.cast(x, "float32")
    # rsqrt of a clamped square norm: a sqrt at 0 (padded frames are zero) has a NaN gradient.
    return x * ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axis=-1, keepdims=True), 1e-16))


def contrastive_logits(
    similarities: Tensor, negative_mask: Tensor, temperature: float = 0.1
) -> Tensor:
    """`(B, T, 1 + K)` logits: similarities over kappa, left-out distractors at -inf."""
    logits = similarities / temperature
    negatives = ops.where(negative_mask, logits[..., 1:], _NEG_INF)
    return ops.concatenate([logits[..., :1], negatives], axis=-1)


def contrastive_loss(
    similarities: Tensor, mask: Tensor, negative_mask: Tensor, temperature: float = 0.1
) -> Tensor:
    """Mean over masked frames of the cross-entropy of finding the true target.

    Args:
        similarities: `(B, T, 1 + K)` from `cosine_similarities`; index 0 is the target.
        mask: `(B, T)` bool, the masked valid frames the loss is taken over.
        negative_mask: `(B, T, K)` bool, false for distractors to leave out.
        temperature: kappa.

    Returns:
        Scalar.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.losses import contrastive_loss

    sims = np.array([[[0.9, 0.1, 0.2], [0.1, 0.8, 0.0]]], "float32")
    mask = np.array([[True, True]])
    contrastive_loss(sims, mask, np.ones((1, 2, 2), bool))  # low for frame 0, high for 1
    ```
    """
    logits = contrastive_logits(similarities, negative_mask, temperature)
    per_frame = -ops.log_softmax(logits, axis=-1)[..., 0]
    return masked_mean(per_frame, mask)


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of `values` (`(B, T, ...)`) over the frames where `mask` (`(B, T)`) is true.

    Reduces the first two axes only, so `(B, T, G, V)` probabilities give `(G, V)`.
    """
    values = ops.cast(values, "float32")
    weights = ops.cast(mask, "float32")
    weights = ops.reshape(weights, ops.shape(weights) + (1,) * (len(values.shape) - 2))
    total = ops.sum(values * weights, axis=(0, 1))
    return total / ops.maximum(ops.sum(weights, axis=(0, 1)), 1.0)


def perplexity(avg_probs: Tensor) -> Tensor:
    """`sum_g exp(H(p_g))` of `(G, V)` average code distributions; between G and G*V.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.losses import perplexity

    perplexity(np.full((2, 16), 1 / 16, "float32"))  # 32.0: every entry used equally
    ```
    """
    avg_probs = ops.cast(avg_probs, "float32")
    entropy = -ops.sum(avg_probs * ops.log(avg_probs + 1e-7), axis=-1)
    return ops.sum(ops.exp(entropy))


def diversity_loss(avg_probs: Tensor) -> Tensor:
    """`(GV - perplexity) / GV` of the `(G, V)` batch-averaged softmax; 0 when uniform.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.losses import diversity_loss

    diversity_loss(np.full((2, 16), 1 / 16, "float32"))  # 0.0
    ```
    """
    num_entries = avg_probs.shape[0] * avg_probs.shape[1]
    return (num_entries - perplexity(avg_probs)) / num_entries


def feature_penalty(features: Tensor, frame_mask: Tensor) -> Tensor:
    """Mean of squared `(B, T, C)` features over valid frames and channels."""
    return ops.mean(masked_mean(ops.square(ops.cast(features, "float32")), frame_mask))
