"""The `wav2vec2` recipe: wav2vec 2.0 pretraining on a domain's recordings.

Paper: Baevski et al., 2020, arXiv:2006.11477. The model is in this package
(`backbone.py`, `pretraining_model.py`); this module connects it to the core: sizes,
batches of random crops, held-out scores, and a codebook-collapse warning.

Batches: each recording is cropped to `crop_seconds` at a random offset (the paper
crops to 250k samples, 15.6 s; short crops suit short utterances and small CPUs),
padded within the batch, and given a padding mask so padded samples take no part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ssl_domains.recipes.wav2vec2.sizes import BACKBONE_SIZES, PRETRAINER_SIZES

from ssl_domains.api import Recipe


@dataclass
class Wav2Vec2Config:
    """Hyperparameters of `wav2vec2` (the `[recipe]` section); 0 means the size's default."""

    crop_seconds: float = 2.0
    mask_prob: float = 0.065
    mask_length: int = 10
    num_negatives: int = 0
    contrastive_temperature: float = 0.1
    diversity_weight: float = 0.1
    feature_penalty_weight: float = 10.0
    validation_batches: int = 20

    def validate(self) -> None:
        from ssl_domains.api import UserError

        if self.crop_seconds <= 0.1 or not 0 < self.mask_prob < 1 or self.mask_length < 1:
            raise UserError("recipe: need crop_seconds > 0.1, 0 < mask_prob < 1, mask_length >= 1")


class Wav2Vec2(Recipe):
    """wav2vec 2.0: contrastive prediction of quantized latents of masked frames.

    Examples:

    ```python
    from ssl_domains.recipes.wav2vec2.recipe import Wav2Vec2

    backbone = Wav2Vec2().build_backbone("tiny")
    ```

    From the command line: `ssl-domains pretrain --domain speech --recipe wav2vec2`.
    """

    name = "wav2vec2"
    description = "wav2vec 2.0: pick the quantized latent of masked audio frames."
    paper = "Baevski et al., 2020, arXiv:2006.11477"
    modalities = ("audio",)
    sizes = BACKBONE_SIZES
    Config = Wav2Vec2Config
    comparisons = {"contrastive accuracy": ("contrastive_accuracy", "chance_accuracy")}

    def build_backbone(self, size: str, **dims: Any):
        from ssl_domains.recipes.wav2vec2.backbone import Wav2Vec2Backbone

        return Wav2Vec2Backbone(**self.sizes[size])

    def _size_of(self, backbone) -> str:
        """The named size a backbone matches (for the pretrainer's own dimensions)."""
        for name, dims in self.sizes.items():
            if all(getattr(backbone, key, None) == value for key, value in dims.items()):
                return name
        return "base"

    def build_model(self, encoder, source=None):
        from ssl_domains.recipes.wav2vec2.backbone import Wav2Vec2Backbone
        from ssl_domains.recipes.wav2vec2.pretraining_model import Wav2Vec2Pretrainer

        from ssl_domains.api import UserError

        if not isinstance(encoder.backbone, Wav2Vec2Backbone):
            raise UserError(
                f"wav2vec2 trains a Wav2Vec2Backbone, not {type(encoder.backbone).__name__}"
            )
        cfg = self.config
        options = dict(PRETRAINER_SIZES[self._size_of(encoder.backbone)])
        if cfg.num_negatives:
            options["num_negatives"] = cfg.num_negatives
        return Wav2Vec2Pretrainer(
            encoder.backbone,
            mask_prob=cfg.mask_prob,
            mask_length=cfg.mask_length,
            contrastive_temperature=cfg.contrastive_temperature,
            diversity_weight=cfg.diversity_weight,
            feature_penalty_weight=cfg.feature_penalty_weight,
            **options,
        )

    def default_learning_rate(self, backbone, pretrained: bool = False) -> float:
        # The paper's BASE peak, which also suits the tiny sizes here; continuing a
        # pretrained model takes a tenth, near the paper's fine-tuning rates.
        return 5e-5 if pretrained else 5e-4

    def crop_samples(self, encoder) -> int:
        return int(self.config.crop_seconds * encoder.info.get("sample_rate", 16_000))

    def units(self, encoder, batch_size):
        from ssl_domains.recipes.wav2vec2.feature_encoder import feature_lengths

        return ("frames", float(batch_size * int(feature_lengths(self.crop_samples(encoder)))))

    def batches(self, records, encoder, batch_size, training, seed=0):
        import tensorflow as tf

        crop = self.crop_samples(encoder)

        def random_crop(index, wave):
            room = tf.maximum(tf.shape(wave)[0] - crop, 0)
            # Stateless, from the example's place in the stream: the same crops in
            # every run with this seed, and after a resume (see data_position.py).
            where = tf.stack([tf.cast(seed, tf.int64), index])
            start = tf.random.stateless_uniform([], where, 0, room + 1, tf.int32)
            return wave[start : start + crop] if training else wave[:crop]

        def with_mask(waves):
            # Always `crop` samples wide: one static shape, so XLA (JAX, TPU) compiles once.
            # (Under a TensorFlow strategy the trainer makes bool masks 0/1 int32, as
            # TensorFlow cannot sum bools: `replica_safe`.)
            return {
                "waveform": waves.to_tensor(shape=[None, crop]),
                "padding_mask": tf.sequence_mask(waves.row_lengths(), crop),
            }

        crops = records.enumerate().map(random_crop, num_parallel_calls=tf.data.AUTOTUNE)
        if training:
            crops = crops.shuffle(512, seed=seed)
        batches = crops.ragged_batch(batch_size, drop_remainder=training).map(with_mask)
        if not training:
            batches = batches.take(self.config.validation_batches).cache()
            count = sum(1 for _ in batches)
            batches = batches.apply(tf.data.experimental.assert_cardinality(count))
        return batches.prefetch(tf.data.AUTOTUNE)

    def evaluate(self, model, batches, encoder, train_records=None):
        """Held-out contrastive accuracy (target above all K distractors) next to chance,
        1/(K+1), and the codebook perplexity, with a warning if the codebook collapsed."""
        import warnings

        scores = model.evaluate(batches, return_dict=True, verbose=0)
        result = {
            "contrastive_accuracy": scores["accuracy"],
            "chance_accuracy": 1.0 / (model.num_negatives + 1),
            "contrastive_loss": scores["contrastive_loss"],
            "perplexity": scores["perplexity"],
            "codebook_entries": float(model.num_groups * model.num_vars),
        }
        if scores["perplexity"] <= 2.0 * model.num_groups:
            warnings.warn(
                f"codebook collapse: perplexity {scores['perplexity']:.2f} of "
                f"{model.num_groups * model.num_vars} entries; raise recipe.diversity_weight "
                "or lower train.learning_rate",
                stacklevel=2,
            )
        return result

    def save(self, model, encoder, preset_dir):
        encoder.info.setdefault("size", self._size_of(encoder.backbone))
        encoder.save(preset_dir)
