"""CLIP: contrastive pretraining of an image encoder and a text encoder on image-caption pairs.

Paper: Radford et al., 2021, "Learning Transferable Visual Models From Natural
Language Supervision", arXiv:2103.00020. The model is `CLIPModel` (`model.py`) around
a dual encoder (`ssl_domains.image_text.dual_encoder.DualEncoderBackbone`, or
keras-hub's `CLIPBackbone` `--from` a CLIP preset); the loss is the symmetric
InfoNCE of `ssl_domains.objectives.losses.info_nce`.

Follows the paper:
- Image and text towers, each pooled and linearly projected (no bias, no MLP head:
  section 2.4 found a non-linear projection made no difference) into one space, where
  both embeddings are L2-normalised; the loss is the mean of the image->text and
  text->image cross-entropies over the batch (figure 3). Negatives come from every
  replica (`gather_rows`).
- A learned temperature: the logit scale is a weight `t` initialised at log(1/0.07),
  used as `exp(t)` and clipped at 100 (section 2.5), trained with no weight decay.
- AdamW with decoupled weight decay 0.2, beta2 0.98, epsilon 1e-6, and no decay on
  biases, gains and the logit scale (section 2.5 and appendix F); warm-up then cosine.
- Tower sizes: both are named sizes of keras-hub backbones, the image tower with
  `model.size` (ViT or ResNet of `ssl_domains.image.backbones`, as the paper's two
  families) and the text tower with `recipe.text_size` (a BERT of the MLM recipe's
  sizes, in place of the paper's GPT-style Transformer).

Departures, and why:
- Scale: the paper trains on 400M pairs with batches of 32,768 for 32 epochs; a
  domain's corpus is thousands of pairs on one machine. Defaults are `vit-nano` and a
  `nano` BERT (one layer, width 64), projection width 64 and batches of 64: two
  minutes on a 2-core CPU for the 500 figures of `biomedical-figures`.
- Text pooling: the masked mean over the caption's tokens, as this project's text
  heads pool, rather than the activation at the end-of-text token (kept for a real
  `CLIPBackbone`, whose own pooling is used as it is).
- Text: the domain's WordPiece vocabulary trained on the captions (with its
  normalisation and redactions), not a 49,152-token byte-pair vocabulary, and at
  most `data.seq_len` tokens (32 by default; the paper: 76).
- Augmentation: none beyond the core's square centre crop (the paper: a random square
  crop from resized images only); small corpora of made-up figures keep their layout,
  which their captions describe.
- Learning rate 1e-3 fresh (the paper: 5e-4 at batch 32,768 for the ViTs), measured
  on `biomedical-figures` (`benchmarks/clip.py`); 1e-5 from a full CLIP preset and
  1e-4 when one tower is pretrained.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ssl_domains.recipes.mlm import BERT_SIZES

from ssl_domains.api import IMAGE_SIZES, Recipe

# The text tower's sizes are the MLM recipe's BERTs (Turc et al., 2019).
TEXT_SIZES = BERT_SIZES


@dataclass
class CLIPConfig:
    """Hyperparameters of `clip` (the `[recipe]` section)."""

    text_size: str = "nano"
    projection_dim: int = 64
    validation_batches: int = 20

    def validate(self) -> None:
        from ssl_domains.api import UserError

        if self.text_size not in TEXT_SIZES:
            raise UserError(f"recipe.text_size must be one of {', '.join(TEXT_SIZES)}")
        if self.projection_dim < 1 or self.validation_batches < 1:
            raise UserError("recipe: need projection_dim >= 1 and validation_batches >= 1")


class CLIP(Recipe):
    """CLIP: pull each image and its caption together, push the batch's others apart.

    Examples:

    ```python
    from ssl_domains.recipes.clip.recipe import CLIP, CLIPConfig

    recipe = CLIP(CLIPConfig(projection_dim=32))
    dual = recipe.build_backbone("vit-nano", image_size=32, vocabulary_size=500)
    ```

    From the command line: `ssl-domains pretrain --domain biomedical-figures` (CLIP is
    its default recipe), then `ssl-domains evaluate RUN` for zero-shot accuracy and
    retrieval recall.
    """

    name = "clip"
    description = "CLIP: match images with their captions (symmetric InfoNCE)."
    paper = "Radford et al., 2021, arXiv:2103.00020"
    modalities = ("image-text",)
    sizes = IMAGE_SIZES
    defaults = {
        "model.size": "vit-nano",
        "train.steps": 400,
        "train.batch_size": 64,
        "train.weight_decay": 0.2,
        "data.seq_len": 32,
    }
    Config = CLIPConfig
    comparisons = {
        "in-batch image->text accuracy": ("contrastive_accuracy", "chance_accuracy"),
        "contrastive loss (nats)": ("contrastive_loss", "chance_loss"),
        "image->text recall@1": ("image_to_text_recall_at_1", "chance_recall_at_1"),
        "image->text recall@5": ("image_to_text_recall_at_5", "chance_recall_at_5"),
    }

    def build_backbone(
        self,
        size: str,
        image_size: int = 224,
        channels: int = 3,
        vocabulary_size: int = 0,
        sequence_length: int = 32,
        pad_token_id: int = 0,
        image_encoder=None,
        text_encoder=None,
        **dims: Any,
    ):
        """A `DualEncoderBackbone`: a fresh image tower of `size` (or `image_encoder`)
        and a fresh BERT of `recipe.text_size` over `vocabulary_size` tokens (or
        `text_encoder`)."""
        import keras_hub

        from ssl_domains.api import DualEncoderBackbone, build_image_backbone

        if image_encoder is None:
            image_encoder = build_image_backbone(size, image_size, channels)
        if text_encoder is None:
            text_encoder = keras_hub.models.BertBackbone(
                vocabulary_size=vocabulary_size,
                max_sequence_length=max(64, sequence_length),
                **TEXT_SIZES[self.config.text_size],
            )
        return DualEncoderBackbone(
            image_encoder, text_encoder, self.config.projection_dim, pad_token_id=pad_token_id
        )

    def build_model(self, encoder, source=None):
        from ssl_domains.recipes.clip.model import CLIPModel

        for layer in getattr(encoder.backbone, "text_encoder", encoder.backbone).layers:
            if layer.name == "pooled_dense":
                layer.trainable = False  # BERT's [CLS] pooler feeds nothing here
        return CLIPModel(encoder.backbone, encoder.converter)

    def default_learning_rate(self, backbone, pretrained: bool = False) -> float:
        """1e-3 fresh (see the module docstring); 1e-5 to continue keras-hub's
        `CLIPBackbone` (a real CLIP: small steps, or it forgets), 1e-4 for a dual
        encoder of ours (a CLIP run, or one pretrained tower and fresh projections)."""
        if not pretrained:
            return 1e-3
        return 1e-5 if type(backbone).__name__ == "CLIPBackbone" else 1e-4

    def optimizer_args(self, model):
        """CLIP's AdamW: beta2 0.98, epsilon 1e-6; no decay on biases, gains, the
        logit scale."""
        return {
            "beta_2": 0.98,
            "epsilon": 1e-6,
            "exclude_from_weight_decay": ["bias", "gamma", "beta", "logit_scale", "norm"],
        }

    def units(self, encoder, batch_size):
        return ("pairs", float(batch_size))

    def batches(self, records, encoder, batch_size, training, seed=0):
        """`{"images": [b, S, S, C] in [0, 1], "token_ids": [b, seq_len]}`."""
        from ssl_domains.api import pair_batches

        limit = self.config.validation_batches
        return pair_batches(records, encoder, batch_size, training, seed, limit)

    def epoch_steps(self, records, encoder, batch_size):
        from ssl_domains.api import image_epoch_steps

        return image_epoch_steps(records, batch_size)

    def evaluate(self, model, batches, encoder, train_records=None):
        """Held-out in-batch image->text accuracy next to chance `1/n`, InfoNCE next to
        `log n` (embeddings that tell nothing apart), and image->text recall@1 and @5
        over all held-out pairs (`ssl_domains.image_text.zero_shot.recall_at_k`: a
        caption counts when its text is the image's own) next to chance."""
        from ssl_domains.api import pair_recall

        scores = model.evaluate(batches, return_dict=True, verbose=0)
        sizes = [int(batch["images"].shape[0]) for batch in batches]
        pairs = sum(sizes)
        metrics = {
            "contrastive_accuracy": scores["accuracy"],
            "chance_accuracy": sum(1.0 for _ in sizes) / pairs,
            "contrastive_loss": scores["contrastive_loss"],
            "chance_loss": sum(n * math.log(n) for n in sizes) / pairs,
            "logit_scale": scores["logit_scale"],
        }
        metrics.update(pair_recall(encoder, batches, ks=(1, 5)))
        return metrics

    def save(self, model, encoder, preset_dir):
        """The whole dual encoder (both towers, projections, logit scale) with the
        caption tokenizer, normaliser and image converter: `--from` continues it and
        `export` serves it."""
        encoder.save(preset_dir)
