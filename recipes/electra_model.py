"""The ELECTRA pretraining model: a small generator and the discriminator that is kept.

Paper: Clark et al., 2020, "ELECTRA: Pre-training Text Encoders as Discriminators
Rather Than Generators", arXiv:2003.10555; details from the official code
(github.com/google-research/electra, `run_pretraining.py`, `pretrain_helpers.py`).

One training step, on a batch of MLM-masked sequences (B sequences of T tokens, N
masking slots each):

1. The generator (a small masked LM) reads the masked sequence and gives logits over
   the vocabulary at the N masked positions.
2. One replacement per masked position is *sampled* from its softmax (temperature 1;
   no gradient flows through the sample) and written into the sequence: the
   corrupted input. Unmasked positions keep their token.
3. The discriminator (the backbone) reads the corrupted sequence, and a small head
   scores every token: replaced or original. A sampled token equal to the original
   counts as original.
4. Loss = generator MLM loss (mean over masked tokens) + lambda * discriminator loss
   (sigmoid cross-entropy, mean over the real, non-padding tokens), lambda = 50.

Embedding sharing, as the paper and its code: the generator embeds its input with the
discriminator backbone's own layers (`token_embedding`, `position_embedding`,
`segment_embedding`, and the embedding layer norm that follows them), and its
masked-LM head (keras-hub's `MaskedLMHead`) projects back onto the vocabulary with the
same `token_embedding` (tied output weights). These are the very same variables, not
copies: both losses put gradients on them. The generator is narrower than the
embeddings, so it projects them to its own width with a dense layer (the
discriminator's backbone does the same when `hidden_dim != embedding_dim`).

Sampling uses `keras.random` with a `SeedGenerator`, and the loss lives in
`compute_loss`, so `fit` runs one code path on TensorFlow, JAX and PyTorch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import keras_hub
import numpy as np
from keras import ops

from ssl_domains.api import replica_share

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor

# The backbone layers the generator shares (token, position and segment embeddings
# and the layer norm after them), plus the dropout that follows: both BERT and ELECTRA
# backbones of keras-hub have them under these names.
SHARED_LAYERS = (
    "token_embedding",
    "position_embedding",
    "segment_embedding",
    "embeddings_add",
    "embeddings_layer_norm",
    "embeddings_dropout",
)
HEADS_CONFIG = "heads.json"
HEADS_WEIGHTS = "heads.weights.npz"


def gelu(x: Tensor) -> Tensor:
    """GELU, tanh approximation, as BERT's and ELECTRA's code (and keras-hub's backbones)."""
    return keras.activations.gelu(x, approximate=True)


def shares_embeddings(backbone: Any) -> bool:
    """Whether a generator can share `backbone`'s embedding layers (BERT and ELECTRA can)."""
    return all(hasattr(backbone, name) for name in SHARED_LAYERS) and hasattr(
        backbone.token_embedding, "embeddings"
    )


def generator_dims(hidden_dim: int, num_layers: int, size_ratio: float) -> dict[str, int]:
    """The generator's sizes, as ELECTRA's `get_generator_config`.

    Width `round(hidden_dim * size_ratio)`, one attention head per 64 dims, a feed-
    forward 4x as wide, as many layers as the discriminator.
    """
    hidden = max(1, round(hidden_dim * size_ratio))
    heads = max(1, hidden // 64)
    while hidden % heads:
        heads -= 1
    return dict(
        generator_hidden_dim=hidden,
        generator_num_layers=num_layers,
        generator_num_heads=heads,
        generator_intermediate_dim=4 * hidden,
    )


def _slots(mask_positions: Tensor, mask_weights: Tensor, length: Any) -> Tensor:
    """`(B, N, T)` int32: 1 where masking slot n points at token t (real slots only)."""
    real = ops.cast(ops.greater(mask_weights, 0), "int32")
    return ops.one_hot(mask_positions, length, dtype="int32") * real[:, :, None]


def _scatter(token_ids: Tensor, slots: Tensor, values: Tensor) -> Tensor:
    """`token_ids` with `values[b, n]` written where `slots[b, n]` points; the rest kept."""
    hit = ops.greater(ops.max(slots, axis=1), 0)
    spread = ops.sum(slots * ops.cast(values, "int32")[:, :, None], axis=1)
    return ops.where(hit, spread, token_ids)


def _mean(values: Tensor, weights: Tensor) -> Tensor:
    weights = ops.cast(weights, "float32")
    return ops.sum(ops.cast(values, "float32") * weights) / ops.maximum(ops.sum(weights), 1.0)


@keras.saving.register_keras_serializable(package="ssl_domains")
class ElectraPretrainer(keras.Model):
    """Replaced-token detection (ELECTRA) around a keras-hub BERT or ELECTRA backbone.

    Inputs: a dict of the backbone's `token_ids` (the MLM-masked sequence, `(B, T)`),
    `segment_ids` and `padding_mask`, plus `mask_positions` `(B, N)` int (where the
    masking slots point) and `mask_weights` `(B, N)` (0 for unused slots). Targets `y`:
    the original tokens at the masked positions, `(B, N)`; sample weights: the same
    `mask_weights`. This is what the `mlm` recipe's batches hold.

    Outputs of `call`, a dict:
        `"generator_logits"`: `(B, N, vocabulary)` float32, the generator's logits at
            the masked positions.
        `"sampled_ids"`: `(B, N)` int32, the replacement drawn at each masked position.
        `"corrupted_ids"`: `(B, T)` int32, the discriminator's input.
        `"discriminator_logits"`: `(B, T)` float32, "this token was replaced".

    Metrics, besides `loss`: `generator_loss`, `discriminator_loss`,
    `generator_accuracy` (argmax at masked positions), `discriminator_accuracy` (over
    the real tokens) and `replaced_fraction` (share of real tokens replaced).

    Args:
        backbone: the discriminator, a keras-hub `ElectraBackbone` or `BertBackbone`.
        generator_hidden_dim: width of the generator's transformer.
        generator_num_layers: its number of layers.
        generator_num_heads: its attention heads.
        generator_intermediate_dim: its feed-forward width.
        discriminator_weight: lambda, weight of the discriminator loss.
        temperature: softmax temperature of the sampling.
        seed: seed of the sampling.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Examples:

    ```python
    import keras
    import keras_hub
    import numpy as np
    from ssl_domains.recipes.electra_model import ElectraPretrainer, generator_dims

    backbone = keras_hub.models.ElectraBackbone(
        vocab_size=100, num_layers=1, num_heads=2, hidden_dim=32, embedding_dim=16,
        intermediate_dim=64, max_sequence_length=16,
    )
    model = ElectraPretrainer(backbone, **generator_dims(32, 1, 0.25), seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    ids = np.random.randint(5, 100, (4, 16)).astype("int32")
    x = {
        "token_ids": np.where(np.arange(16) % 5 == 3, 4, ids),  # 4 is [MASK]
        "segment_ids": np.zeros((4, 16), "int32"),
        "padding_mask": np.ones((4, 16), bool),
        "mask_positions": np.tile([3, 8, 13], (4, 1)),
        "mask_weights": np.ones((4, 3), "float32"),
    }
    y = ids[:, [3, 8, 13]]
    model.fit(x, y, sample_weight=x["mask_weights"], epochs=2)  # loss, generator_loss, ...
    ```
    """

    def __init__(
        self,
        backbone: keras.Model,
        generator_hidden_dim: int,
        generator_num_layers: int,
        generator_num_heads: int,
        generator_intermediate_dim: int,
        discriminator_weight: float = 50.0,
        temperature: float = 1.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not shares_embeddings(backbone):
            raise ValueError(f"{type(backbone).__name__} has no embedding layers to share")
        self.backbone = backbone
        self.generator_hidden_dim = generator_hidden_dim
        self.generator_num_layers = generator_num_layers
        self.generator_num_heads = generator_num_heads
        self.generator_intermediate_dim = generator_intermediate_dim
        self.discriminator_weight = discriminator_weight
        self.temperature = temperature
        self.seed = seed

        embedding_dim = backbone.token_embedding.output_dim
        hidden_dim = backbone.hidden_dim
        dropout = getattr(backbone, "dropout", 0.1)

        def init() -> keras.initializers.Initializer:
            return keras.initializers.TruncatedNormal(stddev=0.02)

        # Generator: the shared embeddings, its own projection and transformer layers,
        # and a masked-LM head whose output weights are the shared token embedding.
        self.generator_projection = None
        if embedding_dim != generator_hidden_dim:
            self.generator_projection = keras.layers.Dense(
                generator_hidden_dim, kernel_initializer=init(), name="generator_projection"
            )
            self.generator_projection.build((None, None, embedding_dim))
        self.generator_layers = []
        for i in range(generator_num_layers):
            layer = keras_hub.layers.TransformerEncoder(
                num_heads=generator_num_heads,
                intermediate_dim=generator_intermediate_dim,
                activation=gelu,
                dropout=dropout,
                layer_norm_epsilon=1e-12,
                kernel_initializer=init(),
                name=f"generator_layer_{i}",
            )
            layer.build((None, None, generator_hidden_dim))
            self.generator_layers.append(layer)
        self.generator_head = keras_hub.layers.MaskedLMHead(
            token_embedding=backbone.token_embedding,
            intermediate_activation=gelu,
            layer_norm_epsilon=1e-12,
            kernel_initializer=init(),
            name="generator_head",
        )
        self.generator_head.build((None, None, generator_hidden_dim))

        # Discriminator head: dense + GELU, then one logit per token (as the paper's code).
        self.discriminator_dense = keras.layers.Dense(
            hidden_dim, activation=gelu, kernel_initializer=init(), name="discriminator_dense"
        )
        self.discriminator_dense.build((None, None, hidden_dim))
        self.discriminator_logit = keras.layers.Dense(
            1, kernel_initializer=init(), name="discriminator_logit"
        )
        self.discriminator_logit.build((None, None, hidden_dim))
        # Every layer is built, so weights load (e.g. on `--resume`) before any call.
        self.built = True

        self.seed_generator = keras.random.SeedGenerator(seed)
        self.generator_loss_tracker = keras.metrics.Mean(name="generator_loss")
        self.discriminator_loss_tracker = keras.metrics.Mean(name="discriminator_loss")
        self.generator_accuracy_tracker = keras.metrics.Mean(name="generator_accuracy")
        self.discriminator_accuracy_tracker = keras.metrics.Mean(name="discriminator_accuracy")
        self.replaced_fraction_tracker = keras.metrics.Mean(name="replaced_fraction")

    # -- the forward pass ------------------------------------------------------------

    def call(self, inputs: dict[str, Tensor], training: bool = False) -> dict[str, Tensor]:
        token_ids = ops.cast(inputs["token_ids"], "int32")
        segment_ids = ops.cast(inputs["segment_ids"], "int32")
        padding_mask = inputs["padding_mask"]
        positions = ops.cast(inputs["mask_positions"], "int32")

        logits = self.generate(token_ids, segment_ids, padding_mask, positions, training)
        sampled = self.sample(logits)
        corrupted = self.corrupt(token_ids, positions, inputs["mask_weights"], sampled)
        features = self.backbone(
            {"token_ids": corrupted, "segment_ids": segment_ids, "padding_mask": padding_mask},
            training=training,
        )["sequence_output"]
        scores = self.discriminator_logit(self.discriminator_dense(features))
        return {
            "generator_logits": logits,
            "sampled_ids": sampled,
            "corrupted_ids": corrupted,
            "discriminator_logits": ops.cast(ops.squeeze(scores, axis=-1), "float32"),
        }

    def generate(
        self,
        token_ids: Tensor,
        segment_ids: Tensor,
        padding_mask: Tensor,
        mask_positions: Tensor,
        training: bool = False,
    ) -> Tensor:
        """The generator's `(B, N, vocabulary)` logits at the masked positions."""
        b = self.backbone
        tokens = b.token_embedding(token_ids)
        x = b.embeddings_add(
            (tokens, b.position_embedding(tokens), b.segment_embedding(segment_ids))
        )
        x = b.embeddings_dropout(b.embeddings_layer_norm(x), training=training)
        if self.generator_projection is not None:
            x = self.generator_projection(x)
        for layer in self.generator_layers:
            x = layer(x, padding_mask=padding_mask, training=training)
        return ops.cast(self.generator_head(x, mask_positions=mask_positions), "float32")

    def sample(self, logits: Tensor) -> Tensor:
        """One token per position from `softmax(logits / temperature)`; no gradient."""
        logits = ops.stop_gradient(logits) / self.temperature
        shape = ops.shape(logits)
        flat = ops.reshape(logits, (-1, shape[-1]))
        ids = keras.random.categorical(flat, 1, seed=self.seed_generator, dtype="int32")
        return ops.reshape(ids, (shape[0], shape[1]))

    def corrupt(
        self, token_ids: Tensor, mask_positions: Tensor, mask_weights: Tensor, sampled: Tensor
    ) -> Tensor:
        """`token_ids` with the samples written at the masked positions; the rest kept."""
        slots = _slots(mask_positions, mask_weights, ops.shape(token_ids)[1])
        return _scatter(ops.cast(token_ids, "int32"), slots, sampled)

    # -- the objective ----------------------------------------------------------------

    def discriminator_labels(self, x: dict[str, Tensor], y: Tensor, y_pred: dict[str, Tensor]):
        """`(B, T)` bool: true where the corrupted token differs from the original.

        The original sequence is the masked input with the targets `y` put back at
        the masked positions; padding is never labelled replaced.
        """
        slots = _slots(
            ops.cast(x["mask_positions"], "int32"),
            x["mask_weights"],
            ops.shape(y_pred["corrupted_ids"])[1],
        )
        original = _scatter(ops.cast(x["token_ids"], "int32"), slots, y)
        replaced = ops.not_equal(ops.cast(y_pred["corrupted_ids"], "int32"), original)
        return ops.logical_and(replaced, ops.cast(x["padding_mask"], "bool"))

    def objective(
        self,
        x: dict[str, Tensor],
        y: Tensor,
        y_pred: dict[str, Tensor],
        sample_weight: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """The loss and its parts: `loss`, `generator_loss`, `discriminator_loss`, ...

        `generator_loss`: cross-entropy at the masked positions (mean over them);
        `discriminator_loss`: sigmoid cross-entropy of replaced-vs-original (mean over
        the real tokens); `loss = generator_loss + discriminator_weight *
        discriminator_loss`. Also `generator_accuracy`, `discriminator_accuracy` and
        `replaced_fraction`, as scalars.
        """
        weights = x["mask_weights"] if sample_weight is None else sample_weight
        y = ops.cast(y, "int32")
        # float32 whatever the compute dtype: a bfloat16 softmax over the vocabulary is coarse.
        logits = ops.cast(y_pred["generator_logits"], "float32")
        generator_nll = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        predicted = ops.cast(ops.argmax(logits, axis=-1), "int32")

        labels = ops.cast(self.discriminator_labels(x, y, y_pred), "float32")
        real = x["padding_mask"]
        scores = ops.cast(y_pred["discriminator_logits"], "float32")
        detection_nll = ops.binary_crossentropy(labels, scores, from_logits=True)
        detected = ops.cast(ops.greater(scores, 0.0), "float32")

        generator_loss = _mean(generator_nll, weights)
        discriminator_loss = _mean(detection_nll, real)
        return {
            "loss": generator_loss + self.discriminator_weight * discriminator_loss,
            "generator_loss": generator_loss,
            "discriminator_loss": discriminator_loss,
            "generator_accuracy": _mean(ops.equal(predicted, y), weights),
            "discriminator_accuracy": _mean(ops.equal(detected, labels), real),
            "replaced_fraction": _mean(labels, real),
        }

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: dict[str, Tensor] | None = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        terms = self.objective(x, y, y_pred, sample_weight)
        loss = terms["loss"]
        for extra in self.losses:  # regularizers, if a user adds any
            loss = loss + ops.cast(extra, loss.dtype)
        self.generator_loss_tracker.update_state(terms["generator_loss"])
        self.discriminator_loss_tracker.update_state(terms["discriminator_loss"])
        self.generator_accuracy_tracker.update_state(terms["generator_accuracy"])
        self.discriminator_accuracy_tracker.update_state(terms["discriminator_accuracy"])
        self.replaced_fraction_tracker.update_state(terms["replaced_fraction"])
        return replica_share(loss)

    # -- the heads, saved next to the backbone ---------------------------------------

    def head_variables(self) -> list[keras.Variable]:
        """Trainable variables outside the backbone: the generator and the detection head."""
        shared = {id(v) for v in self.backbone.weights}
        return [v for v in self.trainable_weights if id(v) not in shared]

    def head_config(self) -> dict[str, Any]:
        return dict(
            generator_hidden_dim=self.generator_hidden_dim,
            generator_num_layers=self.generator_num_layers,
            generator_num_heads=self.generator_num_heads,
            generator_intermediate_dim=self.generator_intermediate_dim,
        )

    def save_heads(self, directory: str | Path) -> None:
        """Write the generator and detection head (`heads.json`, `heads.weights.npz`)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        variables = self.head_variables()
        meta = {**self.head_config(), "variables": [v.path for v in variables]}
        (directory / HEADS_CONFIG).write_text(json.dumps(meta, indent=2) + "\n")
        arrays = {f"{i:04d}": ops.convert_to_numpy(v) for i, v in enumerate(variables)}
        np.savez(directory / HEADS_WEIGHTS, **arrays)

    def load_heads(self, directory: str | Path) -> bool:
        """Restore heads `save_heads` wrote, if they have this model's sizes.

        The generator's output bias grows with an extended vocabulary (new rows
        start at zero). Returns whether anything was restored.
        """
        from ssl_domains.api import copy_weights_growing

        directory = Path(directory)
        if not (directory / HEADS_CONFIG).is_file():
            return False
        meta = json.loads((directory / HEADS_CONFIG).read_text())
        variables = self.head_variables()
        if any(meta.get(k) != v for k, v in self.head_config().items()) or len(
            meta["variables"]
        ) != len(variables):
            return False
        with np.load(directory / HEADS_WEIGHTS) as saved:
            arrays = [saved[f"{i:04d}"] for i in range(len(variables))]
        copy_weights_growing(list(zip(arrays, variables, strict=True)))
        return True

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            backbone=keras.layers.serialize(self.backbone),
            **self.head_config(),
            discriminator_weight=self.discriminator_weight,
            temperature=self.temperature,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ElectraPretrainer:
        config = dict(config)
        config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)
