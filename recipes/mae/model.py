"""The masked autoencoder: a ViT that sees a quarter of the patches, a small decoder
that paints the rest.

Paper: He et al., 2021, "Masked Autoencoders Are Scalable Vision Learners",
arXiv:2111.06377; reference implementation `facebookresearch/mae`, `models_mae.py`.

One training step, on a batch of images `[b, S, S, C]` in [0, 1]:

1. The encoder's converter maps them to the backbone's input; the backbone's own
   `vit_patching_and_embedding` layer embeds every patch and adds its position
   embedding (and prepends the class token).
2. A random 75% of each image's patch tokens are dropped (`random_patch_mask`: the
   argsort of uniform noise, as the reference); the class token and the visible 25%
   go through the backbone's `vit_encoder` layer. The encoder never sees a mask token.
3. `MAEDecoder` embeds the encoded tokens to its own width, puts a learned mask token
   at every dropped position, unshuffles, adds fixed 2D sine-cosine position
   embeddings (as the reference) and predicts each patch's `p * p * C` pixels.
4. The loss is the mean squared error on per-patch normalised pixels, over the masked
   patches only (`masked_patch_loss`).

The random draw is in `call`, from the model's `SeedGenerator`, and the loss in
`compute_loss`, so `fit` takes one code path on TensorFlow, JAX and PyTorch.

Departures from the paper: the encoder keeps the keras-hub ViT's learned position
embeddings (the paper fixes them to sine-cosine), so the trained backbone is a plain
`ViTBackbone` that any keras-hub ViT preset can replace or continue; and the target
pixels are the [0, 1] images, not ImageNet-standardised ones, which per-patch
normalisation makes nearly the same.
"""

from __future__ import annotations

from typing import Any

import keras
import keras_hub
import numpy as np
from keras import ops

from ssl_domains.api import (
    gather_patches,
    masked_patch_loss,
    mean_patch_prediction,
    patchify,
    random_patch_mask,
    replica_share,
    to_backbone,
    visible_count,
)

Tensor = Any  # a tensor of the active backend: tf.Tensor, jax.Array or torch.Tensor


def sincos_position_embedding(dim: int, rows: int, cols: int, class_token: bool) -> np.ndarray:
    """Fixed 2D sine-cosine position embeddings `[rows * cols (+1), dim]`, as the MAE
    reference's `get_2d_sincos_pos_embed`: half the channels encode the column, half
    the row, each as sines and cosines of geometrically spaced frequencies. A class
    token's row is zeros. `dim` must be a multiple of 4."""
    if dim % 4:
        raise ValueError(f"sine-cosine position embeddings need a width divisible by 4, not {dim}")
    omega = 1.0 / 10000 ** (np.arange(dim // 4, dtype=np.float64) / (dim / 4))

    def one_axis(positions: np.ndarray) -> np.ndarray:
        angles = np.outer(positions.reshape(-1), omega)
        return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)

    grid_cols, grid_rows = np.meshgrid(np.arange(cols), np.arange(rows))  # row-major
    table = np.concatenate([one_axis(grid_cols), one_axis(grid_rows)], axis=1)
    if class_token:
        table = np.concatenate([np.zeros((1, dim)), table], axis=0)
    return table.astype("float32")


@keras.saving.register_keras_serializable(package="ssl_domains")
class MAEDecoder(keras.layers.Layer):
    """MAE's lightweight decoder: encoded visible tokens -> pixels of every patch.

    Inputs: `latent` `[b, t + k, hidden_dim]` (the encoder's output on `t` class tokens,
    0 or 1, then the `k` visible patches, in shuffled order) and `ids_restore` `[b, n]`
    (`random_patch_mask`). Output: `[b, n, patch_pixels]`, patches in image order.

    Blocks are keras-hub's pre-norm `TransformerEncoder` (GELU, LayerNorm eps 1e-6,
    as a ViT block); position embeddings are fixed 2D sine-cosine (not trained).

    Args:
        grid: `(rows, cols)` of patches.
        patch_pixels: `p * q * channels`, pixels predicted per patch.
        class_token: whether `latent` starts with a class token.
        dim: the decoder's width (paper: 512).
        num_layers: its Transformer blocks (paper: 8).
        num_heads: attention heads (paper: 16).
        mlp_dim: the blocks' inner width; defaults to `4 * dim` (paper).
        **kwargs: `keras.layers.Layer` arguments.

    Examples:

    ```python
    import numpy as np
    from ssl_domains.recipes.mae.model import MAEDecoder

    decoder = MAEDecoder(grid=(4, 4), patch_pixels=192, dim=64, num_layers=1, num_heads=2)
    ids_restore = np.tile(np.arange(16, dtype="int32"), (2, 1))
    pixels = decoder(np.zeros((2, 1 + 4, 64), "float32"), ids_restore)  # (2, 16, 192)
    ```
    """

    def __init__(
        self,
        grid: tuple[int, int],
        patch_pixels: int,
        class_token: bool = True,
        dim: int = 512,
        num_layers: int = 8,
        num_heads: int = 16,
        mlp_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.grid = tuple(grid)
        self.patch_pixels = patch_pixels
        self.class_token = class_token
        self.dim = dim
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.mlp_dim = mlp_dim or 4 * dim
        self.num_patches = self.grid[0] * self.grid[1]

        self.embed = keras.layers.Dense(dim, name="decoder_embed")
        self.blocks = [
            keras_hub.layers.TransformerEncoder(
                intermediate_dim=self.mlp_dim,
                num_heads=num_heads,
                activation="gelu",
                layer_norm_epsilon=1e-6,
                normalize_first=True,
                name=f"decoder_block_{i + 1}",
            )
            for i in range(num_layers)
        ]
        self.norm = keras.layers.LayerNormalization(epsilon=1e-6, name="decoder_norm")
        self.head = keras.layers.Dense(patch_pixels, name="decoder_pred")

    def build(self, latent_shape, ids_restore_shape=None) -> None:
        self.embed.build(latent_shape)
        for block in self.blocks:
            block.build((None, None, self.dim))
        self.norm.build((None, None, self.dim))
        self.head.build((None, None, self.dim))
        self.mask_token = self.add_weight(
            shape=(1, 1, self.dim),
            initializer=keras.initializers.RandomNormal(stddev=0.02),  # as the reference
            name="mask_token",
        )
        table = sincos_position_embedding(self.dim, *self.grid, self.class_token)
        self.position_embedding = self.add_weight(
            shape=(1, *table.shape),
            initializer=keras.initializers.Constant(table),
            trainable=False,
            name="position_embedding",
        )
        self.built = True

    def call(self, latent: Tensor, ids_restore: Tensor, training: bool = False) -> Tensor:
        x = self.embed(latent)
        first = 1 if self.class_token else 0
        visible = x[:, first:]
        missing = self.num_patches - visible.shape[1]
        mask_tokens = ops.tile(ops.cast(self.mask_token, x.dtype), (ops.shape(x)[0], missing, 1))
        x_patches = gather_patches(ops.concatenate([visible, mask_tokens], axis=1), ids_restore)
        if self.class_token:
            x_patches = ops.concatenate([x[:, :1], x_patches], axis=1)
        x = x_patches + ops.cast(self.position_embedding, x.dtype)
        for block in self.blocks:
            x = block(x, training=training)
        pixels = self.head(self.norm(x))
        return pixels[:, first:]

    def compute_output_shape(self, latent_shape, ids_restore_shape=None):
        return (latent_shape[0], self.num_patches, self.patch_pixels)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            grid=self.grid,
            patch_pixels=self.patch_pixels,
            class_token=self.class_token,
            dim=self.dim,
            num_layers=self.num_layers,
            num_heads=self.num_heads,
            mlp_dim=self.mlp_dim,
        )
        return config


@keras.saving.register_keras_serializable(package="ssl_domains")
class MAEPretrainer(keras.Model):
    """Masked-autoencoder pretraining around a keras-hub `ViTBackbone`.

    Inputs: images `[b, S, S, C]` in [0, 1] (`square_batches`); no labels.

    Outputs of `call`, a dict (`n` patches of `m = p * p * C` pixels):
        `"predictions"`: `[b, n, m]`, the decoder's (normalised) pixels of every patch.
        `"mask"`: `[b, n]` float, 1 for the patches the encoder did not see.

    Metrics, besides `loss`: `mean_patch_loss`, the loss of predicting each masked
    patch's mean on the same masks (near 1 with `norm_pix`; the floor to beat).

    Args:
        backbone: a keras-hub `ViTBackbone`; its patch embedding and encoder layers are
            the MAE encoder (shared, so training it trains the backbone).
        converter: the encoder's keras-hub `ImageConverter` ([0, 1] images -> the
            backbone's input), or None to feed the [0, 1] images as they are.
        mask_ratio: share of patches masked (paper: 0.75).
        decoder_dim, decoder_layers, decoder_heads, decoder_mlp_dim: the decoder's size
            (paper: 512, 8, 16, 2048).
        norm_pix: targets are per-patch normalised pixels (paper's `norm_pix_loss`).
        seed: seed of the masks.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Examples:

    ```python
    import keras
    import numpy as np
    from ssl_domains.api import build_image_backbone
    from ssl_domains.recipes.mae.model import MAEPretrainer

    backbone = build_image_backbone("vit-nano", image_size=32)
    model = MAEPretrainer(backbone, decoder_dim=64, decoder_layers=1, decoder_heads=2, seed=0)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3, beta_2=0.95, weight_decay=0.05))
    images = np.random.rand(16, 32, 32, 3).astype("float32")
    model.fit(images, epochs=2, batch_size=8)  # logs loss and mean_patch_loss
    ```
    """

    def __init__(
        self,
        backbone: keras.Model,
        converter: keras.layers.Layer | None = None,
        mask_ratio: float = 0.75,
        decoder_dim: int = 512,
        decoder_layers: int = 8,
        decoder_heads: int = 16,
        decoder_mlp_dim: int | None = None,
        norm_pix: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.backbone = backbone
        self.converter = converter
        self.mask_ratio = mask_ratio
        self.norm_pix = norm_pix
        self.seed = seed
        embedding = backbone.get_layer("vit_patching_and_embedding")
        self.class_token = bool(embedding.use_class_token)
        self.patch_size = tuple(embedding.patch_size)
        self.num_patches = int(embedding.num_patches)
        self.num_visible = visible_count(self.num_patches, mask_ratio)
        height, width = embedding.image_size
        grid = (height // self.patch_size[0], width // self.patch_size[1])
        channels = int(embedding.num_channels)

        self.seed_generator = keras.random.SeedGenerator(seed)
        self.decoder = MAEDecoder(
            grid,
            self.patch_size[0] * self.patch_size[1] * channels,
            class_token=self.class_token,
            dim=decoder_dim,
            num_layers=decoder_layers,
            num_heads=decoder_heads,
            mlp_dim=decoder_mlp_dim,
            name="mae_decoder",
        )
        self.decoder.build((None, None, backbone.hidden_dim), (None, self.num_patches))
        self.baseline_tracker = keras.metrics.Mean(name="mean_patch_loss")

    def encode(
        self, images: Tensor, seed: Any = None, training: bool = False
    ) -> tuple[Tensor, Tensor, Tensor]:
        """The MAE encoder on [0, 1] images: `(latent, ids_restore, mask)`.

        `latent` is `[b, t + k, hidden_dim]`: the `vit_encoder` output on the class
        token (`t` = 1, if the ViT has one) and the `k` visible patches only.
        `seed`: the masks' seed (an int for a fixed held-out draw); the model's own
        generator if None."""
        inputs = images if self.converter is None else to_backbone(self.converter, images)
        tokens = self.backbone.get_layer("vit_patching_and_embedding")(inputs)
        first = 1 if self.class_token else 0
        ids_keep, ids_restore, mask = random_patch_mask(
            ops.shape(tokens)[0],
            self.num_patches,
            self.mask_ratio,
            seed=self.seed_generator if seed is None else seed,
        )
        visible = gather_patches(tokens[:, first:], ids_keep)
        if self.class_token:
            visible = ops.concatenate([tokens[:, :1], visible], axis=1)
        latent = self.backbone.get_layer("vit_encoder")(visible, training=training)
        return latent, ids_restore, mask

    def reconstruct(self, images: Tensor, seed: Any = None, training: bool = False):
        """`call`, with the masks' seed exposed: `{"predictions", "mask"}`."""
        latent, ids_restore, mask = self.encode(images, seed, training)
        predictions = self.decoder(latent, ids_restore, training=training)
        return {"predictions": predictions, "mask": mask}

    def call(self, images: Tensor, training: bool = False) -> dict[str, Tensor]:
        return self.reconstruct(images, training=training)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: dict[str, Tensor] | None = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        patches = patchify(ops.cast(x, "float32"), self.patch_size)
        mask = y_pred["mask"]
        loss = masked_patch_loss(y_pred["predictions"], patches, mask, self.norm_pix)
        for extra in self.losses:  # regularizers, if a user adds any
            loss = loss + ops.cast(extra, loss.dtype)
        baseline = masked_patch_loss(
            mean_patch_prediction(patches, self.norm_pix), patches, mask, self.norm_pix
        )
        self.baseline_tracker.update_state(baseline)
        return replica_share(loss)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            backbone=keras.layers.serialize(self.backbone),
            converter=None if self.converter is None else keras.layers.serialize(self.converter),
            mask_ratio=self.mask_ratio,
            decoder_dim=self.decoder.dim,
            decoder_layers=self.decoder.num_layers,
            decoder_heads=self.decoder.num_heads,
            decoder_mlp_dim=self.decoder.mlp_dim,
            norm_pix=self.norm_pix,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MAEPretrainer:
        config = dict(config)
        config["backbone"] = keras.layers.deserialize(config["backbone"])
        if config.get("converter") is not None:
            config["converter"] = keras.layers.deserialize(config["converter"])
        return cls(**config)
