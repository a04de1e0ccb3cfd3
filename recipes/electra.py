"""Replaced-token detection, as in ELECTRA.

Paper: Clark et al., 2020, "ELECTRA: Pre-training Text Encoders as Discriminators
Rather Than Generators", arXiv:2003.10555; details the paper leaves open are taken
from its official code (github.com/google-research/electra).

A small generator (a masked LM) fills in masked tokens by sampling from its softmax;
the discriminator, the backbone that is kept, learns to tell for every token whether
it is the original or a replacement. Loss = generator MLM loss + 50 * discriminator
loss, both networks trained jointly from scratch. The model is `ElectraPretrainer`
(`electra_model.py`), which says how the two networks share their embeddings.

Follows the paper and its code:
- 15% of tokens selected (`mask_rate`), dynamically; of these 85% become `[MASK]` and
  15% stay as they are (`mask_token_rate=0.85`, `random_token_rate=0`, the official
  code's `mask()`; the paper only says "[MASK]"). The generator is scored on all
  selected tokens; each of them is then replaced by a generator sample.
- Generator width `generator_size_ratio` of the discriminator's (1/4 as ELECTRA-Small
  and -Large; the paper used 1/3 for Base: `--set recipe.generator_size_ratio=0.333`),
  one head per 64 dims, feed-forward 4x its width, as many layers as the discriminator.
- Token, position and segment embeddings (and their layer norm) shared by both
  networks; the generator's output layer tied to the token embeddings.
- Discriminator loss over every real token (`[CLS]` and `[SEP]` included, as the
  code); a sampled token equal to the original counts as original.
- Sizes: `small` is ELECTRA-Small (12 layers, hidden 256, embeddings 128, 4 heads,
  feed-forward 1024), `base` ELECTRA-Base; `nano` and `tiny` are scaled down for CPU.
  Peak learning rate 5e-4 (Small and below) or 2e-4 (Base), as the paper.

Departures: masking reuses the `mlm` recipe's batches, so whole-word and span masking
(`masking`) are available too, and documents are cut into consecutive `seq_len`
chunks rather than packed; the trainer's AdamW, warm-up and cosine schedule replace
the paper's linear decay. The discriminator head and the generator are not part of
the preset's backbone (as in the paper, the discriminator alone is fine-tuned); they
are saved in `preset/electra/` so that `--from` a previous ELECTRA run continues with
a trained generator instead of a random one, which would first feed the discriminator
trivially easy replacements.

Held-out evaluation: the discriminator's accuracy, and replaced-token precision,
recall and F1, next to the "all tokens original" baseline; its log-loss next to that of
the base rate (see `Electra.evaluate`); the generator's masked-token accuracy.

`--from` a BERT preset works too: the generator then shares the BERT embeddings and
the kept, fine-tunable model is that BERT. Other families stop with a one-line error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssl_domains.recipes.mlm import MaskedLanguageModeling, MLMConfig

from ssl_domains.api import Recipe

# ELECTRA-Small and -Base of the paper (Table 6), plus `nano` and `tiny` for tests and
# CPU runs; embeddings narrower than the hidden size, as ELECTRA-Small.
ELECTRA_SIZES = {
    "nano": dict(num_layers=1, num_heads=2, hidden_dim=64, embedding_dim=32, intermediate_dim=128),
    "tiny": dict(num_layers=2, num_heads=2, hidden_dim=128, embedding_dim=64, intermediate_dim=512),
    "small": dict(
        num_layers=12, num_heads=4, hidden_dim=256, embedding_dim=128, intermediate_dim=1024
    ),
    "base": dict(
        num_layers=12, num_heads=12, hidden_dim=768, embedding_dim=768, intermediate_dim=3072
    ),
}
HEADS_DIR = "electra"  # the generator and detection head, inside the preset


@dataclass
class ElectraConfig:
    """Hyperparameters of `electra` (the `[recipe]` config section)."""

    mask_rate: float = 0.15
    mask_token_rate: float = 0.85
    random_token_rate: float = 0.0
    masking: str = "token"
    mean_span_words: float = 3.0
    packing: str = "stream"
    generator_size_ratio: float = 0.25
    discriminator_weight: float = 50.0
    temperature: float = 1.0
    validation_batches: int = 50

    def validate(self) -> None:
        from ssl_domains.api import UserError

        self.masking_config().validate()
        if not 0 < self.generator_size_ratio <= 1:
            raise UserError("recipe.generator_size_ratio must be in (0, 1]")
        if self.discriminator_weight <= 0 or self.temperature <= 0:
            raise UserError("recipe: need discriminator_weight > 0 and temperature > 0")

    def masking_config(self) -> MLMConfig:
        """The `mlm` recipe's masking, as the generator's input."""
        return MLMConfig(
            mask_rate=self.mask_rate,
            mask_token_rate=self.mask_token_rate,
            random_token_rate=self.random_token_rate,
            masking=self.masking,
            mean_span_words=self.mean_span_words,
            packing=self.packing,
            validation_batches=self.validation_batches,
        )


class Electra(Recipe):
    """ELECTRA: a generator fills in masked tokens, the backbone detects which were replaced.

    Examples:

    ```python
    from ssl_domains.recipes.electra import Electra, ElectraConfig

    recipe = Electra(ElectraConfig(masking="whole_word"))
    backbone = recipe.build_backbone("tiny", vocabulary_size=8000, sequence_length=128)
    ```

    From the command line: `ssl-domains pretrain --domain finance --recipe electra`.
    """

    name = "electra"
    description = "Replaced-token detection (ELECTRA): spot tokens a small generator swapped."
    paper = "Clark et al., 2020, arXiv:2003.10555"
    modalities = ("text",)
    sizes = ELECTRA_SIZES
    Config = ElectraConfig
    comparisons = {
        "discriminator accuracy": ("discriminator_accuracy", "all_original_accuracy"),
        "discriminator loss (nats)": ("discriminator_loss", "base_rate_loss"),
    }

    def build_backbone(self, size: str, **dims: Any):
        import keras_hub

        return keras_hub.models.ElectraBackbone(
            vocab_size=dims["vocabulary_size"],
            max_sequence_length=max(512, dims.get("sequence_length", 0)),
            **self.sizes[size],
        )

    def build_model(self, encoder, source=None):
        from ssl_domains.recipes.electra_model import (
            ElectraPretrainer,
            generator_dims,
            shares_embeddings,
        )

        from ssl_domains.api import UserError

        backbone, cfg = encoder.backbone, self.config
        if not shares_embeddings(backbone):
            raise UserError(
                f"the electra recipe needs an ELECTRA or BERT backbone, whose embeddings "
                f"its generator shares; {type(backbone).__name__} is neither (try --recipe mlm)"
            )
        for layer in backbone.layers:
            if layer.name == "pooled_dense":
                layer.trainable = False  # feeds no ELECTRA output; fine-tuning trains it
        model = ElectraPretrainer(
            backbone,
            **generator_dims(backbone.hidden_dim, backbone.num_layers, cfg.generator_size_ratio),
            discriminator_weight=cfg.discriminator_weight,
            temperature=cfg.temperature,
        )
        self.fresh_head = source is not None and not model.load_heads(Path(source) / HEADS_DIR)
        return model

    def default_learning_rate(self, backbone, pretrained: bool = False) -> float:
        """The paper's 5e-4 for ELECTRA-Small (and smaller), 2e-4 for Base; a tenth of
        that when continuing a pretrained discriminator.

        Larger steps train the generator faster than the discriminator can follow: on
        the finance sample (tiny, 300 steps) the discriminator's held-out loss beat the
        base rate's by 0.014 at 5e-4, by 0.005 at 1e-3 and not at all at 3e-3.
        """
        width = getattr(backbone, "hidden_dim", 768)
        rate = 5e-4 if width <= 256 else 2e-4
        return rate / 10 if pretrained else rate

    def batches(self, records, encoder, batch_size, training, seed=0):
        """The `mlm` recipe's batches, with the masking slots' weights also in `x`."""
        import tensorflow as tf

        batches = self._masking().batches(records, encoder, batch_size, training, seed)
        batches = batches.map(
            lambda x, y, w: ({**x, "mask_weights": w}, y, w), num_parallel_calls=tf.data.AUTOTUNE
        )
        return batches.prefetch(tf.data.AUTOTUNE)

    def epoch_steps(self, records, encoder, batch_size):
        return self._masking().epoch_steps(records, encoder, batch_size)

    def units(self, encoder, batch_size):
        return ("tokens", float(batch_size * encoder.sequence_length))

    def evaluate(self, model, batches, encoder, train_records=None):
        """Replaced-token detection on held-out batches, next to "all tokens original".

        The baseline labels every token original: its accuracy is 1 - the replaced
        fraction, its recall and F1 are 0. Its log-loss would be infinite, so the
        discriminator's (`discriminator_loss`) is set next to `base_rate_loss`, that of
        the best constant guess (every token replaced with probability = the replaced
        fraction). Early in training the discriminator ranks replaced tokens above
        original ones well before it is sure enough (p > 0.5) to flag any: it beats the
        base rate in log-loss long before it beats "all original" in accuracy.

        Scores are over real (non-padding) tokens; `generator_accuracy` and
        `generator_loss` are over the masked ones. The masks are the fixed validation
        masks, the replacements fresh samples of the generator.
        """
        import numpy as np

        hits = nll = masked = 0.0
        true_pos = false_pos = false_neg = correct = detection_nll = real = 0.0
        for x, y, weights in batches.as_numpy_iterator():
            # Not `predict_on_batch`: under a tf.distribute strategy Keras 3.15 runs the
            # whole batch on every replica and returns the copies end to end.
            out = model.predict(x, batch_size=len(y), verbose=0)
            logits = out["generator_logits"].astype(np.float64)
            top = logits.max(-1, keepdims=True)
            log_z = top[..., 0] + np.log(np.exp(logits - top).sum(-1))
            target = np.take_along_axis(logits, y[..., None].astype(np.int64), -1)[..., 0]
            nll += float(((log_z - target) * weights).sum())
            hits += float(((logits.argmax(-1) == y) * weights).sum())
            masked += float(weights.sum())

            # The labels of `model.discriminator_labels`, in NumPy: replaced = differs
            # from the masked input with the targets put back.
            original = x["token_ids"].copy()
            rows, slots = np.nonzero(weights > 0)
            original[rows, x["mask_positions"][rows, slots]] = y[rows, slots]
            mask = x["padding_mask"].astype(bool)
            labels = (out["corrupted_ids"] != original)[mask]
            scores = out["discriminator_logits"].astype(np.float64)[mask]
            detected = scores > 0
            true_pos += float((detected & labels).sum())
            false_pos += float((detected & ~labels).sum())
            false_neg += float((~detected & labels).sum())
            correct += float((detected == labels).sum())
            detection_nll += float(
                (np.maximum(scores, 0) - scores * labels + np.log1p(np.exp(-np.abs(scores)))).sum()
            )
            real += float(mask.sum())

        real, masked = max(real, 1.0), max(masked, 1.0)
        replaced = (true_pos + false_neg) / real
        precision = true_pos / max(true_pos + false_pos, 1.0)
        recall = true_pos / max(true_pos + false_neg, 1.0)
        f1 = 2 * precision * recall / max(precision + recall, 1e-12)
        rate = min(max(replaced, 1e-12), 1 - 1e-12)
        return {
            "discriminator_accuracy": correct / real,
            "all_original_accuracy": 1.0 - replaced,
            "replaced_f1": f1,
            "replaced_recall": recall,
            "replaced_precision": precision,
            "replaced_fraction": replaced,
            "discriminator_loss": detection_nll / real,
            "base_rate_loss": float(-rate * np.log(rate) - (1 - rate) * np.log(1 - rate)),
            "generator_accuracy": hits / masked,
            "generator_loss": nll / masked,
        }

    def save(self, model, encoder, preset_dir):
        """The discriminator backbone and tokenizer as the preset; the heads in `electra/`."""
        encoder.save(preset_dir)
        model.save_heads(Path(preset_dir) / HEADS_DIR)

    def _masking(self) -> MaskedLanguageModeling:
        return _GeneratorInputs(self.config.masking_config())


class _GeneratorInputs(MaskedLanguageModeling):
    """The `mlm` recipe's batching and masking, for any WordPiece (BERT-style) tokenizer.

    keras-hub has no masked-LM task for ELECTRA, hence no preprocessor to look up by
    family; BERT's packs and masks the same `[CLS] ... [SEP]` sequences.
    """

    def preprocessor(self, encoder):
        import keras_hub

        cfg = self.config
        preprocessor = keras_hub.models.BertMaskedLMPreprocessor(
            tokenizer=encoder.tokenizer,
            sequence_length=encoder.sequence_length,
            mask_selection_rate=cfg.mask_rate,
            mask_selection_length=self._selections(encoder),
            mask_token_rate=cfg.mask_token_rate,
            random_token_rate=cfg.random_token_rate,
        )
        preprocessor.build(None)
        return preprocessor
