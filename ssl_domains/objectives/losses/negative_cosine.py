"""BYOL's loss: the squared distance of L2-normalised predictions and targets.

Grill et al., 2020, "Bootstrap your own latent", arXiv:2006.07733, section 3.2: with
the online network's prediction `p` of one view and the target network's projection
`z'` of the other, both L2-normalised,

    L(p, z') = || p/|p| - z'/|z'| ||^2 = 2 - 2 cos(p, z'),

and the loss symmetrises it over the two view orders, `L(p1, z2') + L(p2, z1')`
(equation 2), so it lies in [0, 8]: 4 for unrelated directions, 0 when every
prediction points at its target. The target gets no gradient (the `sg` of the
paper's equation 2); `stop_gradient=False` lets it through, for SimSiam's ablation
(Chen & He, 2021, figure 2), which collapses.

Shapes: `[n, d]` in, a scalar out (the mean over the `n` rows of each order). Row
`i` of every input is image `i`; nothing crosses rows, so on several replicas each
one's loss is already that of its own rows and no gathering is needed.
"""

from __future__ import annotations

from keras import ops


def negative_cosine(predictions, targets, stop_gradient: bool = True):
    """The mean of `2 - 2 cos(predictions_i, targets_i)` over the rows `i`.

    Args:
        predictions, targets: `[n, d]`; row `i` of each is the same image.
        stop_gradient: no gradient reaches `targets` (BYOL); False for the ablation.
    """
    if stop_gradient:
        targets = ops.stop_gradient(targets)
    cosine = ops.sum(ops.normalize(predictions, axis=-1) * ops.normalize(targets, axis=-1), -1)
    return ops.mean(2.0 - 2.0 * cosine)


def symmetrised_negative_cosine(first, second, first_target, second_target, **kwargs):
    """BYOL's loss, both view orders: `L(first, second_target) + L(second, first_target)`.

    Args:
        first, second: `[n, d]` predictions of the online network for the two views.
        first_target, second_target: `[n, d]` target projections of the same views.
        **kwargs: `stop_gradient`, as `negative_cosine`.
    """
    return negative_cosine(first, second_target, **kwargs) + negative_cosine(
        second, first_target, **kwargs
    )
