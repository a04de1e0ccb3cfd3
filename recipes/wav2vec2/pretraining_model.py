"""The wav2vec 2.0 pretraining model: masked frames, quantized targets, contrastive loss.

Paper: Baevski et al., 2020, "wav2vec 2.0: A Framework for Self-Supervised Learning of
Speech Representations", arXiv:2006.11477.

One training step, on a batch of `{"waveform", "padding_mask"}`:

1. The backbone's feature encoder gives latent frames z (and the valid-frame mask).
2. The quantizer turns the LayerNorm of z (before masking, with dropout 0.1 as
   fairseq's `dropout_features`) into targets q, projected to `final_dim`.
3. Span-masked frames of the projected z are replaced by one learned mask embedding
   and the context network gives c, projected to `final_dim`.
4. Loss = contrastive (K distractors from other masked frames of the same utterance,
   kappa = 0.1) + 0.1 * diversity + 10 * feature penalty; see `losses.py`.

The loss is in `compute_loss`, and all randomness (masks, distractors, Gumbel noise) in
`call` through seed generators, so `fit` takes the same code path on TensorFlow, JAX
and PyTorch. The Gumbel temperature decays once per `call(training=True)`, i.e. once
per training step under `fit`.

Departures from the paper and fairseq: masks follow the paper's per-frame Bernoulli
span starts (see `masking.py`); distractors are drawn without replacement when there
are enough; the codebook diversity and perplexity average over every valid frame of
the batch (fairseq: the masked frames); no LayerDrop or positional weight norm (see
`backbone.py`).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from ssl_domains.recipes.wav2vec2.backbone import Wav2Vec2Backbone
from ssl_domains.recipes.wav2vec2.losses import (
    contrastive_logits,
    contrastive_loss,
    cosine_similarities,
    diversity_loss,
    feature_penalty,
    masked_mean,
    perplexity,
)
from ssl_domains.recipes.wav2vec2.masking import sample_negatives, sample_span_mask
from ssl_domains.recipes.wav2vec2.quantizer import GumbelVectorQuantizer

from ssl_domains.api import replica_share

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor


@keras.saving.register_keras_serializable(package="ssl_domains")
class Wav2Vec2Pretrainer(keras.Model):
    """Self-supervised wav2vec 2.0 pretraining around a `Wav2Vec2Backbone`.

    Inputs: the backbone's dict, `{"waveform": (B, samples) float32,
    "padding_mask": (B, samples) bool or 0/1}`; no labels.

    Outputs of `call`, a dict (T frames, K distractors, G codebooks of V entries):
        `"similarities"`: `(B, T, 1 + K)` cosine similarities of each context vector to
            its target (index 0) and to its distractors.
        `"negative_mask"`: `(B, T, K)` bool, false for distractors left out (none
            available, or the same codes as the target).
        `"mask"`: `(B, T)` bool, the masked valid frames (where the loss is taken).
        `"frame_mask"`: `(B, T)` bool, the valid frames.
        `"features"`: `(B, T, conv_dim)`, the feature encoder's output.
        `"codes"`: `(B, T, G)` int32 and `"probs"`: `(B, T, G, V)` from the quantizer.

    Metrics, besides `loss`: `contrastive_loss`, `diversity_loss`, `perplexity` (code
    perplexity of the hard choices, `sum_g exp(H)` of their batch frequencies, between
    G and G*V), `temperature` (the Gumbel temperature after the step) and `accuracy`
    (share of masked frames whose target scores above every distractor).

    Args:
        backbone: a `Wav2Vec2Backbone`.
        final_dim: dim of the space where context and targets are compared.
        codevector_dim: dim of the quantized vectors; defaults to `final_dim`.
        num_groups: G, codebooks of the quantizer.
        num_vars: V, entries per codebook.
        num_negatives: K, distractors per masked frame.
        mask_prob: probability p that a frame starts a masked span.
        mask_length: M, frames per masked span.
        min_masks: fewest masked frames per utterance.
        contrastive_temperature: kappa of the contrastive loss.
        diversity_weight: alpha, weight of the diversity loss.
        feature_penalty_weight: weight of the feature penalty.
        max_temperature: initial Gumbel-softmax temperature.
        min_temperature: its floor.
        temperature_decay: its factor per training step.
        feature_dropout: dropout on the quantizer's input.
        seed: seed of masks, distractors and Gumbel noise.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Examples:

    ```python
    import keras
    import numpy as np
    from ssl_domains.recipes.wav2vec2.backbone import Wav2Vec2Backbone
    from ssl_domains.recipes.wav2vec2.pretraining_model import Wav2Vec2Pretrainer
    from ssl_domains.recipes.wav2vec2.sizes import BACKBONE_SIZES, PRETRAINER_SIZES

    backbone = Wav2Vec2Backbone(**BACKBONE_SIZES["nano"])
    model = Wav2Vec2Pretrainer(backbone, **PRETRAINER_SIZES["nano"], seed=0)
    model.compile(optimizer=keras.optimizers.Adam(5e-4))
    batch = {
        "waveform": np.random.randn(8, 16000).astype("float32"),
        "padding_mask": np.ones((8, 16000), bool),
    }
    model.fit(batch, epochs=2, batch_size=4)  # logs loss, contrastive_loss, perplexity, ...
    ```
    """

    def __init__(
        self,
        backbone: Wav2Vec2Backbone,
        final_dim: int = 256,
        codevector_dim: int | None = None,
        num_groups: int = 2,
        num_vars: int = 320,
        num_negatives: int = 100,
        mask_prob: float = 0.065,
        mask_length: int = 10,
        min_masks: int = 2,
        contrastive_temperature: float = 0.1,
        diversity_weight: float = 0.1,
        feature_penalty_weight: float = 10.0,
        max_temperature: float = 2.0,
        min_temperature: float = 0.5,
        temperature_decay: float = 0.999995,
        feature_dropout: float = 0.1,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        codevector_dim = codevector_dim or final_dim
        self.backbone = backbone
        self.final_dim = final_dim
        self.codevector_dim = codevector_dim
        self.num_groups = num_groups
        self.num_vars = num_vars
        self.num_negatives = num_negatives
        self.mask_prob = mask_prob
        self.mask_length = mask_length
        self.min_masks = min_masks
        self.contrastive_temperature = contrastive_temperature
        self.diversity_weight = diversity_weight
        self.feature_penalty_weight = feature_penalty_weight
        self.max_temperature = max_temperature
        self.min_temperature = min_temperature
        self.temperature_decay = temperature_decay
        self.feature_dropout_rate = feature_dropout
        self.seed = seed

        self.seed_generator = keras.random.SeedGenerator(seed)
        self.quantizer = GumbelVectorQuantizer(
            num_groups,
            num_vars,
            codevector_dim,
            max_temperature,
            min_temperature,
            temperature_decay,
            seed=None if seed is None else seed + 1,
            name="quantizer",
        )
        self.feature_dropout = keras.layers.Dropout(feature_dropout, name="feature_dropout")
        self.context_projection = keras.layers.Dense(final_dim, name="context_projection")
        self.target_projection = keras.layers.Dense(final_dim, name="target_projection")
        # Every shape is known from the backbone, so build now rather than trace `call`.
        self.quantizer.build((None, None, backbone.conv_dim))
        self.context_projection.build((None, None, backbone.hidden_dim))
        self.target_projection.build((None, None, codevector_dim))
        self.mask_embedding = self.add_weight(
            shape=(backbone.hidden_dim,),
            initializer=keras.initializers.RandomUniform(0.0, 1.0),  # as fairseq
            name="mask_embedding",
        )

        self.contrastive_loss_tracker = keras.metrics.Mean(name="contrastive_loss")
        self.diversity_loss_tracker = keras.metrics.Mean(name="diversity_loss")
        self.perplexity_tracker = keras.metrics.Mean(name="perplexity")
        self.temperature_tracker = keras.metrics.Mean(name="temperature")
        self.accuracy_tracker = keras.metrics.Mean(name="accuracy")

    def call(self, inputs: dict[str, Tensor], training: bool = False) -> dict[str, Tensor]:
        padding_mask = inputs.get("padding_mask")
        if padding_mask is not None:  # bool, or 0/1 (under a TF strategy: `replica_safe`)
            padding_mask = ops.cast(padding_mask, "bool")
        features, frame_mask = self.backbone.extract_features(inputs["waveform"], padding_mask)
        batch_size, num_frames = ops.shape(frame_mask)[0], ops.shape(frame_mask)[1]
        lengths = ops.sum(ops.cast(frame_mask, "int32"), axis=1)

        # Targets: quantized from the unmasked features.
        targets = self.feature_dropout(self.backbone.normalize(features), training=training)
        quantized = self.quantizer(targets, training=training)
        targets = self.target_projection(quantized["quantized"])

        # Context: the same frames with masked spans swapped for the mask embedding.
        mask = sample_span_mask(
            batch_size,
            num_frames,
            lengths,
            self.mask_prob,
            self.mask_length,
            self.min_masks,
            seed=self.seed_generator,
        )
        projected = self.backbone.project(features, training=training)
        embedding = ops.cast(self.mask_embedding, projected.dtype)
        projected = ops.where(mask[..., None], embedding, projected)
        context = self.context_projection(
            self.backbone.encode(projected, frame_mask, training=training)
        )

        negatives, negative_mask = sample_negatives(mask, self.num_negatives, self.seed_generator)
        return {
            "similarities": cosine_similarities(context, targets, negatives),
            "negative_mask": negative_mask & ~self._same_codes(quantized["codes"], negatives),
            "mask": mask,
            "frame_mask": frame_mask,
            "features": features,
            "codes": quantized["codes"],
            "probs": quantized["probs"],
        }

    def _same_codes(self, codes: Tensor, negatives: Tensor) -> Tensor:
        """`(B, T, K)` bool: distractor s has exactly the codes of frame t."""
        # One integer per code combination; V**G stays far below 2**31 for G <= 3.
        code_ids = ops.zeros_like(codes[..., 0])
        for group in range(self.num_groups):
            code_ids = code_ids * self.num_vars + codes[..., group]
        shape = ops.shape(negatives)
        flat = ops.reshape(negatives, (shape[0], -1))
        negative_ids = ops.reshape(ops.take_along_axis(code_ids, flat, axis=1), shape)
        return negative_ids == code_ids[..., None]

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: dict[str, Tensor] | None = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        mask, frame_mask = y_pred["mask"], y_pred["frame_mask"]
        contrastive = contrastive_loss(
            y_pred["similarities"], mask, y_pred["negative_mask"], self.contrastive_temperature
        )
        diversity = diversity_loss(masked_mean(y_pred["probs"], frame_mask))
        penalty = feature_penalty(y_pred["features"], frame_mask)
        loss = (
            contrastive + self.diversity_weight * diversity + self.feature_penalty_weight * penalty
        )
        for extra in self.losses:  # regularizers, if a user adds any
            loss = loss + ops.cast(extra, loss.dtype)

        hard = ops.one_hot(y_pred["codes"], self.num_vars, dtype="float32")
        logits = contrastive_logits(
            y_pred["similarities"], y_pred["negative_mask"], self.contrastive_temperature
        )
        correct = ops.argmax(logits, axis=-1) == 0
        self.contrastive_loss_tracker.update_state(contrastive)
        self.diversity_loss_tracker.update_state(diversity)
        self.perplexity_tracker.update_state(perplexity(masked_mean(hard, frame_mask)))
        self.temperature_tracker.update_state(self.quantizer.temperature)
        self.accuracy_tracker.update_state(masked_mean(correct, mask))
        return replica_share(loss)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            backbone=keras.layers.serialize(self.backbone),
            final_dim=self.final_dim,
            codevector_dim=self.codevector_dim,
            num_groups=self.num_groups,
            num_vars=self.num_vars,
            num_negatives=self.num_negatives,
            mask_prob=self.mask_prob,
            mask_length=self.mask_length,
            min_masks=self.min_masks,
            contrastive_temperature=self.contrastive_temperature,
            diversity_weight=self.diversity_weight,
            feature_penalty_weight=self.feature_penalty_weight,
            max_temperature=self.max_temperature,
            min_temperature=self.min_temperature,
            temperature_decay=self.temperature_decay,
            feature_dropout=self.feature_dropout_rate,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Wav2Vec2Pretrainer:
        config = dict(config)
        config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)
