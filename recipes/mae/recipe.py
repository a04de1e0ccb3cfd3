"""The `mae` recipe: masked-autoencoder pretraining of a ViT on a domain's images.

Paper: He et al., 2021, "Masked Autoencoders Are Scalable Vision Learners",
arXiv:2111.06377. The model is in this package (`model.py`); this module connects it
to the core: sizes, batches, the optimiser's settings, held-out scores and saving.

The paper's pretraining, and what this recipe does with it:

- 75% of patches masked at random, per image and per step (`mask_ratio`, kept).
- Loss on per-patch normalised pixels of the masked patches (`norm_pix`, kept).
- Decoder of 8 blocks, width 512, 16 heads for ViT-B/L/H. Kept for `vit-base`; the
  smaller ViTs here get narrower, shallower decoders (`DECODER_SIZES`), keeping the
  paper's point that the decoder is light next to the encoder (its ablation finds one
  block enough for fine-tuning).
- AdamW, betas (0.9, 0.95), weight decay 0.05, biases and norms undecayed, base rate
  1.5e-4 x batch / 256 at batch 4096, 40 warm-up epochs of 800 with cosine decay.
  Kept: the betas, decay and exclusions (`optimizer_args`, `defaults`); the rate is
  rescaled for the small batches of a CPU or one GPU (`default_learning_rate`).
- Augmentation: random resized crops (scale 0.2-1) and horizontal flips. Here: the
  core's square centre crop plus a horizontal flip (`flip`); MAE depends little on
  augmentation (the paper's Table 1e: 84.0 without any crop, 84.9 with).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ssl_domains.api import VIT_SIZES, Recipe

# Decoder sizes per encoder size. `vit-base` has the paper's decoder; the smaller
# ones keep roughly its ratio of decoder to encoder width (512 : 768 for ViT-B) at a
# fraction of its depth, so the decoder stays a small share of each step's work.
DECODER_SIZES: dict[str, dict[str, int]] = {
    "vit-nano": dict(decoder_dim=64, decoder_layers=1, decoder_heads=2),
    "vit-tiny": dict(decoder_dim=128, decoder_layers=2, decoder_heads=4),
    "vit-small": dict(decoder_dim=256, decoder_layers=4, decoder_heads=8),
    "vit-base": dict(decoder_dim=512, decoder_layers=8, decoder_heads=16),
}


@dataclass
class MAEConfig:
    """Hyperparameters of `mae` (the `[recipe]` section); 0 means the size's default."""

    mask_ratio: float = 0.75
    norm_pix: bool = True
    decoder_dim: int = 0
    decoder_layers: int = 0
    decoder_heads: int = 0
    flip: bool = True
    validation_batches: int = 20

    def validate(self) -> None:
        from ssl_domains.api import UserError

        if not 0 < self.mask_ratio < 1:
            raise UserError("recipe.mask_ratio must be between 0 and 1 (MAE: 0.75)")
        if self.decoder_dim % 4 or self.decoder_dim < 0:
            raise UserError("recipe.decoder_dim must be a multiple of 4 (sine-cosine positions)")
        if self.decoder_heads and self.decoder_dim and self.decoder_dim % self.decoder_heads:
            raise UserError("recipe.decoder_dim must be a multiple of recipe.decoder_heads")
        if self.decoder_layers < 0 or self.validation_batches < 1:
            raise UserError("recipe: need decoder_layers >= 0 and validation_batches >= 1")


class MaskedAutoencoder(Recipe):
    """MAE: reconstruct the pixels of 75% masked patches from the visible 25%.

    Examples:

    ```python
    from ssl_domains.recipes.mae.recipe import MaskedAutoencoder, MAEConfig

    recipe = MaskedAutoencoder(MAEConfig(mask_ratio=0.75))
    backbone = recipe.build_backbone("vit-nano", image_size=32)
    ```

    From the command line: `ssl-domains pretrain --domain histology --recipe mae`.
    """

    name = "mae"
    description = "Masked autoencoder (MAE): repaint 75% masked image patches."
    paper = "He et al., 2021, arXiv:2111.06377"
    modalities = ("image",)
    sizes = VIT_SIZES
    Config = MAEConfig
    defaults = {
        "model.size": "vit-nano",
        # About 2.5 minutes on a 2-core CPU at 64 pixels; below ~1000 steps the features
        # of vit-nano probe no better than a random ViT's (measured on biomedical-imaging).
        "train.batch_size": 64,
        "train.steps": 1500,
        "train.weight_decay": 0.05,  # the paper's
        "train.warmup_fraction": 0.05,  # the paper: 40 of 800 epochs
    }
    comparisons = {"masked-patch loss (normalised pixels)": ("masked_loss", "mean_patch_loss")}

    def build_backbone(self, size: str, image_size: int = 224, channels: int = 3, **dims: Any):
        from ssl_domains.api import UserError, build_image_backbone

        if size not in self.sizes:
            raise UserError(f"mae trains a ViT; sizes: {', '.join(self.sizes)}")
        return build_image_backbone(size, image_size, channels)

    def _size_of(self, backbone) -> str:
        """The named ViT size a backbone matches, for its decoder; `vit-base` (the
        paper's decoder) for any other."""
        for name, dims in self.sizes.items():
            patch = getattr(backbone, "patch_size", None)
            if tuple(patch or ()) != (dims["patch_size"],) * 2:
                continue
            if all(getattr(backbone, k, None) == v for k, v in dims.items() if k != "patch_size"):
                return name
        return "vit-base"

    def build_model(self, encoder, source=None):
        import keras_hub
        from ssl_domains.recipes.mae.model import MAEPretrainer

        from ssl_domains.api import UserError

        if not isinstance(encoder.backbone, keras_hub.models.ViTBackbone):
            raise UserError(f"mae trains a ViTBackbone, not {type(encoder.backbone).__name__}")
        cfg = self.config
        decoder = dict(DECODER_SIZES[self._size_of(encoder.backbone)])
        for key in ("decoder_dim", "decoder_layers", "decoder_heads"):
            if getattr(cfg, key):
                decoder[key] = getattr(cfg, key)
        # The decoder is not saved with the preset, so a run `--from` any checkpoint
        # starts it fresh and the trainer warms it up first, the encoder frozen.
        self.fresh_head = source is not None
        return MAEPretrainer(
            encoder.backbone,
            converter=encoder.converter,
            mask_ratio=cfg.mask_ratio,
            norm_pix=cfg.norm_pix,
            **decoder,
        )

    def default_learning_rate(self, backbone, pretrained: bool = False) -> float:
        """Peak learning rates for the default batch of 32 images.

        The paper's rate is 1.5e-4 x batch / 256, 2.4e-3 at its batch of 4096. Its
        linear rule gives 1.9e-5 at 32 images, far too slow for a run of a few
        thousand steps; Adam's square-root rule gives 2.4e-3 x sqrt(32 / 4096) =
        2.1e-4, the rate here for `vit-tiny` and wider. `vit-nano` takes 1e-3: on
        striped images as in `tests/test_mae.py`, 200 steps reach a held-out loss of 0.07
        at 1e-3, against 0.62 at 2.1e-4 and 0.59 at 3e-3. Continuing a pretrained ViT
        takes a quarter of these, so it does not forget what it knew.
        """
        width = getattr(backbone, "hidden_dim", 768)
        rate = 1e-3 if width <= 128 else 2.1e-4
        return rate / 4 if pretrained else rate

    def optimizer_args(self, model) -> dict[str, Any]:
        """The paper's AdamW: beta_2 = 0.95; biases and LayerNorm scales and offsets
        (Keras names them `gamma` and `beta`) are not decayed."""
        return {"beta_2": 0.95, "exclude_from_weight_decay": ["bias", "gamma", "beta"]}

    def units(self, encoder, batch_size):
        return ("images", float(batch_size))

    def batches(self, records, encoder, batch_size, training, seed=0):
        """Square `[b, S, S, C]` images in [0, 1]; training ones flipped at random."""
        import tensorflow as tf

        from ssl_domains.api import square_batches

        size, channels = int(encoder.info["image_size"]), int(encoder.info["channels"])
        limit = self.config.validation_batches
        batches = square_batches(records, size, batch_size, training, seed, channels, limit)
        if training and self.config.flip:
            batches = batches.map(lambda x: tf.image.random_flip_left_right(x, seed=seed))
        return batches

    def epoch_steps(self, records, encoder, batch_size):
        from ssl_domains.api import image_epoch_steps

        return image_epoch_steps(records, batch_size)

    def evaluate(self, model, batches, encoder, train_records=None):
        """Held-out masked-patch loss next to predicting each masked patch's mean.

        Both on the same masks, drawn from a fixed seed per batch, so evaluations
        of one run compare. On normalised pixels the baseline is
        `var / (var + eps)` per patch: 1 for a textured patch, 0 for a flat one;
        computed, not assumed. Also `visible_loss`, the error on the patches the
        encoder saw (untrained; far above `masked_loss` means it copies nothing)."""
        from keras import ops

        from ssl_domains.api import masked_patch_loss, mean_patch_prediction, patchify

        totals = {"masked_loss": 0.0, "mean_patch_loss": 0.0, "visible_loss": 0.0}
        masked = visible = 0.0
        for index, images in enumerate(batches.as_numpy_iterator()):
            out = model.reconstruct(images, seed=10_000 + index, training=False)
            patches = patchify(ops.convert_to_tensor(images), model.patch_size)
            mask = out["mask"]
            count = float(ops.convert_to_numpy(ops.sum(mask)))
            mean = mean_patch_prediction(patches, model.norm_pix)
            for key, prediction, weights, n in (
                ("masked_loss", out["predictions"], mask, count),
                ("mean_patch_loss", mean, mask, count),
                ("visible_loss", out["predictions"], 1.0 - mask, None),
            ):
                loss = masked_patch_loss(prediction, patches, weights, model.norm_pix)
                n = n if n is not None else float(ops.convert_to_numpy(ops.sum(weights)))
                totals[key] += float(ops.convert_to_numpy(loss)) * n
            masked += count
            visible += float(ops.convert_to_numpy(ops.sum(1.0 - mask)))
        return {
            "masked_loss": totals["masked_loss"] / max(masked, 1.0),
            "mean_patch_loss": totals["mean_patch_loss"] / max(masked, 1.0),
            "visible_loss": totals["visible_loss"] / max(visible, 1.0),
            "masked_patches": masked,
        }

    def save(self, model, encoder, preset_dir):
        """Write the encoder (the ViT backbone and its image converter) as a preset.

        The decoder is left out: it only serves pretraining, and downstream tasks,
        probes and export use the backbone alone (as the paper's fine-tuning does).
        A run continued `--from` this preset trains a fresh decoder."""
        encoder.info.setdefault("size", self._size_of(encoder.backbone))
        encoder.save(preset_dir)
