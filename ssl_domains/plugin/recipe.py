"""The recipe API: how to make supervision from unlabeled data.

One recipe per self-supervised objective. A recipe knows nothing of any domain: it
gets records of a modality it declared, an `Encoder` (backbone plus tokenizer or
feature extractor), and returns a Keras model whose loss trains the backbone. Where
a keras-hub task already is the objective (MLM), the recipe uses it; otherwise it
subclasses `keras.Model` and overrides `compute_loss`, which keeps a single code
path on TensorFlow, JAX and PyTorch.

Keep recipe modules light at import: import Keras and TensorFlow inside methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ssl_domains.plugin.domain_adapter import NoOptions
from ssl_domains.version import PLUGIN_API_VERSION

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

    from ssl_domains.presets.encoder import Encoder


class Recipe:
    """Base class of every self-supervised objective.

    Class attributes:
        name: the `--recipe` name.
        description: one line for `ssl-domains recipes list`.
        paper: the paper the recipe follows; the module docstring says where it
            departs from it and why.
        modalities: the domain modalities it trains on, e.g. `("text",)`.
        sizes: backbone sizes by name (`"tiny"`, `"small"`, `"base"`, ...).
        defaults: config overrides this recipe wants, as dotted keys.
        Config: dataclass of the recipe's hyperparameters (the `[recipe]` section).
        comparisons: `evaluate` metrics to print next to their baselines, as
            `{"label": ("metric", "baseline metric")}`.
        api_version: the `ssl_domains.PLUGIN_API_VERSION` it targets.

    The core calls, in order: `build_backbone` (or loads one from `--from`),
    `build_model`, `batches` for the train and validation records, Keras `fit`
    with `compile_args()`, then `evaluate` and `save`.

    Examples:

    A contrastive image recipe fits the same hooks; its model overrides
    `compute_loss`, and its views come from augmentation inside `batches`:

    ```python
    import keras
    from ssl_domains.api import Recipe

    class SimCLR(Recipe):
        name = "simclr"
        description = "Contrastive learning of two augmented views (NT-Xent)."
        paper = "Chen et al., 2020, arXiv:2002.05709"
        modalities = ("image",)

        def build_backbone(self, size, **dims):
            return keras_hub.models.ResNetBackbone(**RESNET_SIZES[size])

        def build_model(self, encoder, source=None):
            return ContrastiveModel(encoder.backbone, temperature=self.config.temperature)

        def batches(self, records, encoder, batch_size, training, seed=0):
            augment = keras.Sequential([keras.layers.RandomCrop(96, 96),
                                        keras.layers.RandomFlip()])
            return records.batch(batch_size).map(lambda x: (augment(x), augment(x)))

    class ContrastiveModel(keras.Model):
        def compute_loss(self, x, y=None, y_pred=None, sample_weight=None, training=True):
            z1, z2 = y_pred
            return nt_xent(z1, z2, self.temperature)
    ```
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    paper: ClassVar[str] = ""
    modalities: ClassVar[tuple[str, ...]] = ()
    sizes: ClassVar[dict[str, dict[str, int]]] = {}
    defaults: ClassVar[dict[str, Any]] = {}
    Config: ClassVar[type] = NoOptions
    api_version: ClassVar[int] = PLUGIN_API_VERSION
    # How to print `evaluate`'s metrics: a label -> (metric, baseline metric).
    comparisons: ClassVar[dict[str, tuple[str, str]]] = {}
    # Set by `build_model`: true when it put a randomly initialised head on a
    # pretrained encoder (the source had none to restore). The trainer then warms the
    # head up alone, encoder frozen, so its first random gradients cannot wreck what
    # the encoder knew.
    fresh_head: bool = False
    fresh_head_learning_rate: ClassVar[float] = 1e-3

    def __init__(self, config: Any = None):
        self.config = config if config is not None else self.Config()

    def build_backbone(self, size: str, **dims: Any) -> keras.Model:
        """A freshly initialised backbone of a named size (`dims`: vocabulary etc.)."""
        raise NotImplementedError

    def build_model(self, encoder: Encoder, source: str | None = None) -> keras.Model:
        """The trainable model around `encoder.backbone`.

        `source` is the preset the encoder came from, if any: a recipe may restore
        its own heads from it when continuing a run, and sets `self.fresh_head` when
        it could not.
        """
        raise NotImplementedError

    def compile_args(self) -> dict[str, Any]:
        """`loss`, `metrics` etc. for `model.compile`; empty if `compute_loss` is custom."""
        return {}

    def batches(
        self,
        records: tf.data.Dataset,
        encoder: Encoder,
        batch_size: int,
        training: bool,
        seed: int = 0,
    ) -> tf.data.Dataset:
        """Turn a dataset of single records into batches the model trains on."""
        raise NotImplementedError

    def epoch_steps(self, records: tf.data.Dataset, encoder: Encoder, batch_size: int) -> int:
        """Optimizer steps in one pass over `records`, for `--epochs` (training batches
        may be endless)."""
        return max(1, sum(1 for _ in self.batches(records, encoder, batch_size, training=True)))

    def evaluate(
        self,
        model: keras.Model,
        batches: tf.data.Dataset,
        encoder: Encoder,
        train_records: tf.data.Dataset | None = None,
    ) -> dict[str, float]:
        """Held-out metrics of the objective, with a trivial baseline to compare to.

        `batches` are the validation batches `batches(..., training=False)` made;
        `train_records` lets a recipe fit its baseline (e.g. unigram counts).
        """
        return {}

    def default_learning_rate(self, backbone: keras.Model, pretrained: bool = False) -> float:
        """Peak learning rate when the config leaves `train.learning_rate` at 0.

        `pretrained` is true when the backbone came `--from` a checkpoint: continuing
        one takes far smaller steps than training from scratch, or it forgets.
        """
        return 5e-5 if pretrained else 1e-4

    def callbacks(self, model: keras.Model, total_steps: int) -> list[keras.callbacks.Callback]:
        """Keras callbacks the objective needs while it trains, e.g. an EMA teacher's
        momentum or a temperature schedule over `total_steps`. They run after the
        core's step counter and logging, before its checkpoint."""
        return []

    def optimizer_args(self, model: keras.Model) -> dict[str, Any]:
        """Arguments for the run's AdamW over the trainer's own: any of its constructor
        (`beta_2=0.95`, `epsilon`), and `exclude_from_weight_decay`, a list of variable
        name parts left undecayed (e.g. `["bias", "norm"]`)."""
        return {}

    def units(self, encoder: Encoder, batch_size: int) -> tuple[str, float]:
        """What one training step processes, for throughput: e.g. `("tokens", 4096)`."""
        return ("examples", float(batch_size))

    def save(self, model: keras.Model, encoder: Encoder, preset_dir: str) -> None:
        """Write the trained backbone (and any heads worth keeping) as a preset."""
        encoder.save(preset_dir)
