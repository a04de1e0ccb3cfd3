"""Barlow Twins: make the cross-correlation of two views' projections the identity.

Paper: Zbontar et al., 2021, "Barlow Twins: Self-Supervised Learning via Redundancy
Reduction", arXiv:2103.03230. The model is `BarlowTwinsModel`
(`barlow_twins_model.py`): two views drawn inside the step (as SimCLR's,
`two_views.py`), one backbone, a three-layer projector, and the loss of
`ssl_domains.objectives.losses.barlow_twins` (whose docstring says how the batch
is aggregated across replicas: over the global batch, as the paper's all-reduce).

Follows the paper:
- Projector of three Dense layers, BatchNorm and ReLU after the first two
  (section 2, "Implementation details"; `ProjectionHead`).
- Loss: each view's projections standardised over the batch, their
  cross-correlation `C`, `sum_i (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2`
  (equations 1 and 2), in float32.
- The representation kept is the backbone's pooled features; `save` drops the
  projector.

Departures, and why:
- Projector widths 512-512-512 (paper: 8192-8192-8192 after a ResNet-50's 2048
  features), for `resnet-nano`'s 128 features on a CPU. The paper's figure 4
  finds wider projectors better; `recipe.projection_dim` raises it.
- lambda kept at the paper's 5e-3 for d = 512 and batches of 64, not rescaled
  with d. The redundancy term sums `d(d - 1)` squares, each at least about `1/N`
  from sampling noise over a batch of `N` (independent dimensions still correlate
  by about `1/sqrt(N)`), so its floor next to the invariance term's `d` entries is
  `lambda d / N`: 0.02 in the paper (d = 8192, N = 2048), 0.04 here. Rescaling by
  `8192 / d` (lambda = 0.08) would keep the *count* of terms balanced but make that
  noise floor 0.64 of the invariance term, so the loss would mostly chase noise.
  Raise lambda with the batch (`recipe.redundancy_weight`).
- AdamW at 1e-3 on the core's warmup-and-cosine schedule, not LARS at 0.2 (0.0048
  for biases and norms) with batch 2048 (as SimCLR here, `two_views.py`); biases
  and normalisation weights undecayed, as the paper's LARS. Adam is indifferent
  to the loss's scale, which the paper's code rescales for LARS.
- Views: the domain's, or SimCLR's (`standard_views`); the paper's are BYOL's,
  with solarisation and asymmetric blur, which Keras's layers do not offer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ssl_domains.recipes.two_views import TwoViewRecipe


@dataclass
class BarlowTwinsConfig:
    """Hyperparameters of `barlow-twins` (the `[recipe]` section)."""

    projection_dim: int = 512
    projection_hidden_dim: int = 512  # 0: the backbone's feature width
    projection_layers: int = 3
    redundancy_weight: float = 5e-3  # lambda
    validation_batches: int = 20

    def validate(self) -> None:
        from ssl_domains.api import UserError

        if self.redundancy_weight < 0:
            raise UserError("recipe.redundancy_weight must be >= 0 (Barlow Twins: 5e-3)")
        if self.projection_dim < 2 or self.projection_hidden_dim < 0:
            raise UserError("recipe: need projection_dim >= 2 and projection_hidden_dim >= 0")
        if self.projection_layers < 1 or self.validation_batches < 1:
            raise UserError("recipe: need projection_layers >= 1 and validation_batches >= 1")


class BarlowTwins(TwoViewRecipe):
    """Barlow Twins: two views' projections correlate per dimension, and only there.

    Examples:

    ```python
    from ssl_domains.recipes.barlow_twins import BarlowTwins, BarlowTwinsConfig

    recipe = BarlowTwins(BarlowTwinsConfig(redundancy_weight=5e-3))
    backbone = recipe.build_backbone("resnet-nano", image_size=64)
    ```

    From the command line: `ssl-domains pretrain --domain <images> --recipe barlow-twins`.
    """

    name = "barlow-twins"
    description = "Barlow Twins: cross-correlation of two views' projections to identity."
    paper = "Zbontar et al., 2021, arXiv:2103.03230"
    Config = BarlowTwinsConfig
    comparisons = {
        "on-diagonal correlation (vs of two images)": ("on_diagonal", "mismatched_on_diagonal"),
        "off-diagonal correlation, rms (vs 1/sqrt(n))": ("off_diagonal", "chance_off_diagonal"),
        "embedding std (vs 1/sqrt(d), spread)": ("embedding_std", "spread_std"),
    }

    def build_model(self, encoder, source=None):
        from ssl_domains.recipes.barlow_twins_model import BarlowTwinsModel

        cfg = self.config
        return BarlowTwinsModel(
            *self.model_inputs(encoder, source),
            projection_dim=cfg.projection_dim,
            projection_hidden_dim=cfg.projection_hidden_dim,
            projection_layers=cfg.projection_layers,
            redundancy_weight=cfg.redundancy_weight,
        )

    def callbacks(self, model, total_steps):
        """A collapse warns in one line."""
        from ssl_domains.api import CollapseMonitor, collapsed_embeddings

        return [CollapseMonitor([collapsed_embeddings(self.config.projection_dim)])]

    def evaluate(self, model, batches, encoder, train_records=None):
        """Held-out mean on-diagonal correlation of two views (1 at best) next to that
        of two different images; the rms off-diagonal correlation (0 at best) next to
        `1/sqrt(n)`, that of independent dimensions over a batch of `n`; and
        `embedding_std` next to `1/sqrt(d)`, its value for spread projections.
        Averaged over images."""
        scores, sizes = self.scores(model, batches)
        chance = sum(math.sqrt(n) for n in sizes) / sum(sizes)  # mean of 1/sqrt(n) by images
        spread = 1 / math.sqrt(self.config.projection_dim)
        return self.compared(scores, chance_off_diagonal=chance, spread_std=spread)
