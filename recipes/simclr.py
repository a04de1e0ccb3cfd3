"""SimCLR: contrastive learning of two augmented views of each image.

Paper: Chen et al., 2020, "A Simple Framework for Contrastive Learning of Visual
Representations", arXiv:2002.05709. The model is `SimCLRModel` (`simclr_model.py`):
two independent draws of the domain's views (`ImageDomain.views`; for SimCLR's own,
`standard_views`) run on the accelerator inside the step, through the encoder's
converter and backbone, mean-pooled, then a projection head and NT-Xent.

Follows the paper:
- Views: random resized crop, flip, colour jitter and grayscale, blur (appendix A;
  see `ssl_domains.image.views` for where Keras's layers depart from it).
- Projection head `Dense -> BatchNorm -> ReLU -> Dense` to 128 dims, hidden width the
  backbone's feature width (section 2.1 and the v1/v2 code); the loss is taken on its
  output, and the head is dropped afterwards: `save` writes the backbone alone, whose
  pooled features are the representation (section 4.2: better than the head's output).
- NT-Xent over the `2N - 1` other views of the batch; BatchNorm over both views of
  the whole batch (the paper's global BatchNorm, on one device).

Departures, and why:
- Temperature 0.2, between the 0.1 of the ImageNet runs (4096 images a batch) and
  the 0.5 of the paper's CIFAR-10 runs (appendix B.9; its code's CIFAR-10 command,
  batch 512). Measured on biomedical-imaging (300 steps, batch 64, one run each),
  linear probes of pretrained vs random-init features, 5 shots / all labels: 0.55 vs
  0.44 / 0.60 vs 0.52 at 0.2; 0.59 vs 0.49 / 0.55 vs 0.54 at 0.5. Set
  `recipe.temperature=0.1` for large batches.
- AdamW on the core's warmup-and-cosine schedule instead of LARS at 0.3 x batch/256:
  LARS exists for batches of thousands; at small batches Adam-family optimizers are
  the usual choice (SimCLR's CIFAR code and most reimplementations). Biases and
  normalisation weights are not decayed, as in the paper's LARS.
- Backbones are keras-hub ResNets and ViTs of `ssl_domains.image.backbones` (the
  paper: ResNet-50 and wider); `resnet-nano` is the default, small enough to train
  on two CPU cores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ssl_domains.recipes.two_views import TwoViewRecipe


@dataclass
class SimCLRConfig:
    """Hyperparameters of `simclr` (the `[recipe]` section)."""

    temperature: float = 0.2
    projection_dim: int = 128
    projection_hidden_dim: int = 0  # 0: the backbone's feature width, as the paper
    projection_layers: int = 2
    validation_batches: int = 20

    def validate(self) -> None:
        from ssl_domains.api import UserError

        if self.temperature <= 0:
            raise UserError("recipe.temperature must be above 0 (SimCLR: 0.1 to 0.5)")
        if self.projection_dim < 1 or self.projection_hidden_dim < 0:
            raise UserError("recipe: need projection_dim >= 1 and projection_hidden_dim >= 0")
        if self.projection_layers < 1 or self.validation_batches < 1:
            raise UserError("recipe: need projection_layers >= 1 and validation_batches >= 1")


class SimCLR(TwoViewRecipe):
    """SimCLR: pull two augmented views of an image together, push the batch apart.

    Examples:

    ```python
    from ssl_domains.recipes.simclr import SimCLR, SimCLRConfig

    recipe = SimCLR(SimCLRConfig(temperature=0.2))
    backbone = recipe.build_backbone("resnet-nano", image_size=64)
    ```

    From the command line: `ssl-domains pretrain --domain <images> --recipe simclr`.
    """

    name = "simclr"
    description = "SimCLR: agree on two augmented views of an image (NT-Xent)."
    paper = "Chen et al., 2020, arXiv:2002.05709"
    Config = SimCLRConfig
    comparisons = {
        "contrastive accuracy": ("contrastive_accuracy", "chance_accuracy"),
        "contrastive loss (nats)": ("contrastive_loss", "chance_loss"),
    }

    def build_model(self, encoder, source=None):
        from ssl_domains.recipes.simclr_model import SimCLRModel

        cfg = self.config
        return SimCLRModel(
            *self.model_inputs(encoder, source),
            projection_dim=cfg.projection_dim,
            projection_hidden_dim=cfg.projection_hidden_dim,
            projection_layers=cfg.projection_layers,
            temperature=cfg.temperature,
        )

    def evaluate(self, model, batches, encoder, train_records=None):
        """Held-out contrastive accuracy (the positive ranks first of the `2n - 1` other
        views) next to chance, `1 / (2n - 1)`, and NT-Xent next to `log(2n - 1)`, the
        loss of projections that tell nothing apart; both averaged over images as
        Keras averages the loss."""
        scores, sizes = self.scores(model, batches)
        images = sum(sizes)
        return {
            "contrastive_accuracy": scores["accuracy"],
            "chance_accuracy": sum(n / (2 * n - 1) for n in sizes) / images,
            "contrastive_loss": scores["contrastive_loss"],
            "chance_loss": sum(n * math.log(2 * n - 1) for n in sizes) / images,
        }
