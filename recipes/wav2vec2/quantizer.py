"""Gumbel-softmax product quantization, as in wav2vec 2.0.

Paper: Baevski et al., 2020, arXiv:2006.11477, section 2 ("Quantization module"); the
Gumbel-softmax is Jang et al., 2016, arXiv:1611.01144.

Each frame picks one entry from each of G codebooks of V entries (G = 2, V = 320 in
BASE) and the chosen entries, of dim `codevector_dim / G` each, are concatenated. The
choice is made from logits `l = W x`. In training it is a straight-through Gumbel
softmax: the forward pass uses the hard one-hot argmax of `(l + g) / tau` with Gumbel
noise `g`, the backward pass the gradient of the soft probabilities. At inference it is
the plain argmax of `l`. The temperature `tau` starts at 2 and is multiplied by
0.999995 every training step down to 0.5; it is a non-trainable variable updated in
`call(training=True)`, like BatchNormalization's moving statistics, so it is saved
with the model and updated inside compiled train steps on every backend.

Initialization follows fairseq: logit weights N(0, 1), codebook entries U(0, 1).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops, random

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor


@keras.saving.register_keras_serializable(package="ssl_domains")
class GumbelVectorQuantizer(keras.layers.Layer):
    """Product quantizer with G Gumbel-softmax codebooks of V entries.

    Call it on `(batch, frames, dim)` features. It returns a dict:
        `"quantized"`: `(batch, frames, codevector_dim)`, the concatenated entries.
        `"codes"`: `(batch, frames, G)` int32, the chosen entry of each codebook.
        `"probs"`: `(batch, frames, G, V)`, softmax of the logits without noise or
            temperature; its mean over frames gives the diversity loss.

    Args:
        num_groups: G, the number of codebooks.
        num_vars: V, the entries per codebook.
        codevector_dim: dim of the quantized vector; each entry has
            `codevector_dim // num_groups`.
        max_temperature: initial Gumbel-softmax temperature.
        min_temperature: the temperature's floor.
        temperature_decay: factor applied to the temperature every training call.
        seed: seed of the Gumbel noise.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.wav2vec2.quantizer import GumbelVectorQuantizer

    quantizer = GumbelVectorQuantizer(num_groups=2, num_vars=32, codevector_dim=64)
    features = np.random.randn(2, 49, 96).astype("float32")
    out = quantizer(features, training=True)  # and the temperature decays once
    out["quantized"].shape, out["codes"].shape  # (2, 49, 64), (2, 49, 2)
    ```
    """

    def __init__(
        self,
        num_groups: int = 2,
        num_vars: int = 320,
        codevector_dim: int = 256,
        max_temperature: float = 2.0,
        min_temperature: float = 0.5,
        temperature_decay: float = 0.999995,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if codevector_dim % num_groups:
            raise ValueError(f"num_groups={num_groups} must divide codevector_dim")
        self.num_groups = num_groups
        self.num_vars = num_vars
        self.codevector_dim = codevector_dim
        self.max_temperature = max_temperature
        self.min_temperature = min_temperature
        self.temperature_decay = temperature_decay
        self.seed = seed
        self.seed_generator = random.SeedGenerator(seed)
        self.logits_dense = keras.layers.Dense(
            num_groups * num_vars,
            kernel_initializer=keras.initializers.RandomNormal(stddev=1.0),
            dtype=self.dtype_policy,
            name="logits",
        )

    def build(self, input_shape: tuple) -> None:
        self.logits_dense.build(input_shape)
        self.codebook = self.add_weight(
            shape=(self.num_groups, self.num_vars, self.codevector_dim // self.num_groups),
            initializer=keras.initializers.RandomUniform(0.0, 1.0),
            name="codebook",
        )
        self.temperature = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(self.max_temperature),
            trainable=False,
            autocast=False,  # float32 under mixed precision, or the decay would round away
            name="temperature",
        )
        self.built = True

    def call(self, inputs: Tensor, training: bool | None = None) -> dict[str, Tensor]:
        logits = self.logits_dense(inputs)
        shape = ops.shape(logits)
        logits = ops.reshape(
            ops.cast(logits, "float32"),
            (shape[0], shape[1], self.num_groups, self.num_vars),
        )
        probs = ops.softmax(logits, axis=-1)
        if training:
            uniform = random.uniform(ops.shape(logits), 1e-10, 1.0, seed=self.seed_generator)
            gumbel = -ops.log(-ops.log(uniform))
            # A copy: PyTorch's autograd needs the value used here after the update below.
            temperature = ops.copy(ops.convert_to_tensor(self.temperature))
            soft = ops.softmax((logits + gumbel) / temperature, axis=-1)
            codes = ops.argmax(soft, axis=-1)
            hard = ops.one_hot(codes, self.num_vars, dtype=soft.dtype)
            # Straight-through: hard one-hot forward, soft gradient backward.
            weights = hard + soft - ops.stop_gradient(soft)
            self.temperature.assign(
                ops.maximum(temperature * self.temperature_decay, self.min_temperature)
            )
        else:
            codes = ops.argmax(logits, axis=-1)
            weights = ops.one_hot(codes, self.num_vars, dtype=logits.dtype)
        quantized = ops.einsum("btgv,gvd->btgd", weights, ops.cast(self.codebook, weights.dtype))
        quantized = ops.reshape(quantized, (shape[0], shape[1], self.codevector_dim))
        return {
            "quantized": ops.cast(quantized, self.compute_dtype),
            "codes": ops.cast(codes, "int32"),
            "probs": probs,
        }

    def compute_output_spec(self, inputs: keras.KerasTensor, training: Any = None) -> dict:
        batch, frames = inputs.shape[0], inputs.shape[1]
        return {
            "quantized": keras.KerasTensor(
                (batch, frames, self.codevector_dim), dtype=self.compute_dtype
            ),
            "codes": keras.KerasTensor((batch, frames, self.num_groups), dtype="int32"),
            "probs": keras.KerasTensor(
                (batch, frames, self.num_groups, self.num_vars), dtype="float32"
            ),
        }

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            num_groups=self.num_groups,
            num_vars=self.num_vars,
            codevector_dim=self.codevector_dim,
            max_temperature=self.max_temperature,
            min_temperature=self.min_temperature,
            temperature_decay=self.temperature_decay,
            seed=self.seed,
        )
        return config
