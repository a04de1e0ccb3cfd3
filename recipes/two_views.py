"""What the two-view image recipes share: backbones, views, batches, saving.

SimCLR, BYOL and Barlow Twins (`simclr.py`, `byol.py`, `barlow_twins.py`) train a
keras-hub image backbone on two augmented views of each image, drawn inside the
model (`TwoViewModel`, `two_views_model.py`). They take the same batches, the same
optimizer settings and save the same way, the backbone alone: the heads on top of
it serve the loss only (SimCLR section 4.2; BYOL and Barlow Twins also keep the
backbone's pooled features as the representation). Each recipe adds its model, its
hyperparameters and its held-out scores. DINO (`dino/recipe.py`) builds on it too,
with multi-crop views in place of two.
"""

from __future__ import annotations

from typing import Any

from ssl_domains.api import IMAGE_SIZES, Recipe


class TwoViewRecipe(Recipe):
    """Base of the two-view image recipes; subclasses set `name`, `Config` and
    `build_model`, and call `model_inputs` for the backbone, converter and views.

    Examples:

    ```python
    from ssl_domains.recipes.byol import BYOL

    recipe = BYOL()  # a TwoViewRecipe
    backbone = recipe.build_backbone("resnet-nano", image_size=64)
    ```
    """

    modalities = ("image",)
    sizes = IMAGE_SIZES
    # About two minutes on a 2-core CPU at 64 pixels (biomedical-imaging).
    defaults = {"model.size": "resnet-nano", "train.steps": 300, "train.batch_size": 64}

    def build_backbone(self, size: str, image_size: int = 224, channels: int = 3, **dims: Any):
        from ssl_domains.api import build_image_backbone

        return build_image_backbone(size, image_size, channels)

    def views(self, encoder):
        """The domain's view augmentation, or SimCLR's own at the encoder's image size
        (BYOL's and Barlow Twins' differ from it only in blur and solarisation odds)."""
        from ssl_domains.api import standard_views

        if encoder.views is not None:
            return encoder.views
        return standard_views(encoder.info["image_size"], color=encoder.info["channels"] == 3)

    def model_inputs(self, encoder, source=None) -> tuple[Any, Any, Any]:
        """`(backbone, converter, views)` for the model; marks the heads fresh when the
        encoder is pretrained, since they are never saved."""
        self.fresh_head = source is not None
        return encoder.backbone, encoder.converter, self.views(encoder)

    def default_learning_rate(self, backbone, pretrained: bool = False) -> float:
        """Peak AdamW rates at small batches (32 to 64 images).

        The papers' LARS peaks (SimCLR 0.3 x batch/256, Barlow Twins 0.2) mean
        nothing to Adam (nor does DINO's 5e-4 x batch/256: 6e-5 at 32 images). Fresh:
        1e-3, measured for SimCLR on `resnet-nano` and `vit-nano` at 32 pixels (see
        `tests/test_simclr.py`'s module docstring) and checked for BYOL, Barlow Twins
        and DINO (their modules' docstrings). Pretrained:
        1e-4, a tenth, so a preset's features are refined rather than overwritten.
        """
        return 1e-4 if pretrained else 1e-3

    def optimizer_args(self, model):
        """Biases and normalisation weights are not decayed, as in the papers' LARS."""
        return {"exclude_from_weight_decay": ["bias", "gamma", "beta"]}

    def units(self, encoder, batch_size):
        return ("images", float(batch_size))

    def batches(self, records, encoder, batch_size, training, seed=0):
        """`[b, S, S, C]` float32 in [0, 1]; the views are drawn inside the model."""

        from ssl_domains.api import square_batches

        size, channels = int(encoder.info["image_size"]), int(encoder.info["channels"])
        limit = self.config.validation_batches
        return square_batches(records, size, batch_size, training, seed, channels, limit)

    def epoch_steps(self, records, encoder, batch_size):
        from ssl_domains.api import image_epoch_steps

        return image_epoch_steps(records, batch_size)

    def scores(self, model, batches) -> tuple[dict[str, float], list[int]]:
        """The model's held-out metrics (averaged over images), and the batch sizes."""
        scores = model.evaluate(batches, return_dict=True, verbose=0)
        return scores, [int(batch.shape[0]) for batch in batches]

    def compared(self, scores: dict[str, float], **baselines: float) -> dict[str, float]:
        """The metrics and baselines `comparisons` names, from `scores` or `baselines`."""
        names = [name for pair in self.comparisons.values() for name in pair]
        return {name: float({**scores, **baselines}[name]) for name in names}

    def save(self, model, encoder, preset_dir):
        """The encoder alone: the heads are dropped, as in the papers, whose
        representation is the backbone's pooled features."""
        encoder.save(preset_dir)
