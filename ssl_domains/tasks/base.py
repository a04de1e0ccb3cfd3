"""`Task`: the parts of fine-tuning that depend on what is predicted.

A task turns labeled rows into batches through the encoder's own preprocessing,
builds a head on the backbone, names its loss and metrics, reports its scores, and
defines the SavedModel signature that serves raw inputs. The same TensorFlow
preprocessing feeds training and serving, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf

from ssl_domains.data.labeled_set import LabeledSet
from ssl_domains.presets.encoder import Encoder
from ssl_domains.training.data_position import Positioned

TASK_FILE = "task.json"
MODEL_FILE = "model.keras"
SAMPLES_FILE = "samples.npz"  # sample inputs a task keeps decoded (waveforms, encoded images)


class Task:
    """Base class of fine-tuning tasks.

    Args:
        encoder: the pretrained encoder (backbone, tokenizer, normaliser).
        labels: class or tag names, in id order; None for regression.

    Class attributes:
        name: the `--task` name.
        roles: the columns a labeled row needs, e.g. `("text", "label")`.
        monitor: the validation metric early stopping follows, and its direction.
        parity_key: the numeric output that must match between the Keras model and
            its SavedModel (both in `decode` and in `serve`).
    """

    name: ClassVar[str] = ""
    modality: ClassVar[str] = "text"
    roles: ClassVar[tuple[str, ...]] = ()
    monitor: ClassVar[tuple[str, str]] = ("val_loss", "min")
    parity_key: ClassVar[str] = "probabilities"  # the output an export is checked on

    def __init__(self, encoder: Encoder, labels: list[str] | None = None):
        self.encoder = encoder
        self.labels = labels

    @classmethod
    def label_names(cls, data: LabeledSet) -> list[str] | None:
        """Class names found in the training data (None for regression)."""
        return None

    @classmethod
    def stratify_by(cls, data: LabeledSet) -> list[Any] | None:
        return None

    # -- data -----------------------------------------------------------------------

    def features(self, data: LabeledSet) -> tf.data.Dataset:
        """Raw inputs of each row, as a dataset of single elements."""
        raise NotImplementedError

    def targets(self, data: LabeledSet) -> tuple[np.ndarray, np.ndarray | None]:
        """Training targets and per-row weights (None: all rows weigh the same)."""
        raise NotImplementedError

    def class_counts(self, data: LabeledSet) -> np.ndarray:
        """How often each class occurs in `data`, in label-id order: what `--class-weights`
        balances. A row counts once here; a tagger counts every tag (it weighs tokens)."""
        return self.targets(data)[0].sum(axis=0)

    def featurize(self, inputs):
        """Batched raw inputs -> the backbone's input dict, in TensorFlow ops."""
        raise NotImplementedError

    def dataset(
        self,
        data: LabeledSet,
        batch_size: int,
        training: bool = False,
        seed: int = 0,
        class_weights: dict[int, float] | None = None,
    ) -> tf.data.Dataset | Positioned:
        """`(inputs, targets, weights)` batches of `data`: for training, endless and
        `Positioned` (see `indexed_batches`); else one pass, as a dataset."""
        targets, weights = self.targets(data)
        if class_weights:
            per_row = np.array([class_weights[int(np.argmax(t))] for t in targets], "float32")
            weights = per_row if weights is None else weights * per_row[:, None]
        if weights is None:
            weights = np.ones(len(data), "float32")
        table = (all_rows(self.features(data), len(data)), targets, weights)
        return indexed_batches(
            table, len(data), batch_size, training, seed, lambda x, y, w: (self.featurize(x), y, w)
        )

    def inputs_only(self, data: LabeledSet, batch_size: int = 64) -> tf.data.Dataset:
        # tf.data unpacks tuple elements (text pairs) into separate arguments.
        batches = self.features(data).batch(batch_size)
        return batches.map(lambda *x: self.featurize(x[0] if len(x) == 1 else x))

    # -- model ----------------------------------------------------------------------

    def build_model(self, dropout: float = 0.1) -> keras.Model:
        raise NotImplementedError

    def compile_args(self) -> dict[str, Any]:
        raise NotImplementedError

    def predict(self, model: keras.Model, data: LabeledSet) -> dict[str, np.ndarray]:
        """Model outputs for `data` and their decoded form (on as many devices as the
        current distribution has)."""
        from ssl_domains.training.distribution import predict_padded

        return self.decode(predict_padded(model, self.inputs_only(data), len(data)))

    def decode(self, outputs: np.ndarray) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def embed_batch(self, inputs):
        """The frozen representation of featurised `inputs`, one vector per row: the
        backbone's sequence output averaged over real positions (tokens, or audio
        frames), as `pooled_head` pools. Probes and embedding exports use it."""
        outputs = self.encoder.backbone(inputs, training=False)
        pool = keras.layers.GlobalAveragePooling1D()
        return pool(outputs["sequence_output"], mask=real_positions(inputs, outputs))

    def report(self, data: LabeledSet, predictions: dict[str, np.ndarray]) -> dict[str, Any]:
        raise NotImplementedError

    # -- serving --------------------------------------------------------------------

    def signature(self) -> list[tf.TensorSpec]:
        """The raw inputs `serve` takes: by default, those of the task's modality."""
        from ssl_domains.plugin.modality import modality

        return modality(self.modality).signature()

    label_table = None  # set by export: a lookup table read from the SavedModel's assets

    def label_of(self, ids: tf.Tensor) -> tf.Tensor:
        """Class or tag names of `ids`, from the exported asset when there is one."""
        if self.label_table is not None:
            return self.label_table.lookup(tf.cast(ids, tf.int64))
        return tf.gather(tf.constant(self.labels), ids)

    def serve(self, model: keras.Model, *inputs) -> dict[str, tf.Tensor]:
        """Raw inputs -> named outputs, in TensorFlow ops (the SavedModel endpoint)."""
        raise NotImplementedError

    def sample_inputs(self, data: LabeledSet, count: int = 8) -> list[Any]:
        """A few raw inputs to check an export against the Keras model."""
        raise NotImplementedError

    def synthetic_samples(self, count: int = 8) -> dict[str, list[Any]]:
        """`count` made-up inputs, by role (`{"text": [...]}`), for the parity check of
        an export. Never rows of the labeled set: a run directory and every export
        keep these, and labeled rows (patient notes, code with secrets) must not
        outlive the run that trained on them."""
        raise NotImplementedError

    def keep_samples(self, directory: Path) -> dict[str, list[Any]]:
        """Store the synthetic samples an export is checked on; return what `task.json`
        records of them. Tasks whose inputs are not JSON (waveforms, images) write
        them to `SAMPLES_FILE` in `directory` and record nothing."""
        return self.synthetic_samples()

    # -- saving ---------------------------------------------------------------------

    def save(self, directory: Path, model: keras.Model, info: dict[str, Any]) -> None:
        """Write the model, its encoder preset and what the task needs to serve."""
        from ssl_domains.training.trainer import without_optimizer

        with without_optimizer(model):
            model.save(directory / MODEL_FILE)
        self.encoder.save(directory / "preset")
        meta = {"task": self.name, "labels": self.labels, **info}
        meta["samples"] = self.keep_samples(directory)  # synthetic: no labeled row is kept
        (directory / TASK_FILE).write_text(json.dumps(meta, indent=2) + "\n")


def all_rows(features: tf.data.Dataset, count: int):
    """Every element of `features` as one batch: a tensor, ragged where rows differ in
    length, or a tuple of them (text pairs)."""
    return features.ragged_batch(count).get_single_element()


def indexed_batches(table, count: int, batch_size: int, training: bool, seed: int, to_batch):
    """Batches `to_batch(*columns)` of `table`'s rows (a tuple of columns, each a
    tensor or a structure of them, a row per index of axis 0), gathered by a batch of
    row numbers.

    Training batches are endless and full (`min(batch_size, count)` rows), reshuffled
    each pass, as pretraining's are: every step weighs its rows alike, so the logged
    window means are exact, and shapes stay static (one compilation on JAX). A pass
    ends inside a batch when `batch_size` does not divide `count`. They come as
    `Positioned`: the batches of row numbers are the data position a checkpoint saves,
    so no checkpoint ever holds labeled rows; evaluation batches as a dataset.
    """
    order = tf.data.Dataset.range(count)
    if training:
        order = order.shuffle(count, seed=seed).repeat()
        ids = order.batch(min(batch_size, count), drop_remainder=True)
    else:
        ids = order.batch(batch_size)

    def lookup(rows):
        return to_batch(*tf.nest.map_structure(lambda column: tf.gather(column, rows), table))

    batches = Positioned(ids, lookup)
    return batches if training else batches.dataset()


def real_positions(inputs, outputs):
    """The mask of the sequence output's real positions: audio backbones say which
    frames are real (`frame_mask`); text ones mask by token (`padding_mask`)."""
    return outputs["frame_mask"] if "frame_mask" in outputs else inputs["padding_mask"]


def pooled_head(encoder: Encoder, units: int, dropout: float, name: str) -> keras.Model:
    """Backbone -> masked mean over the sequence -> dropout -> dense `units`.

    Mean pooling, not the `[CLS]` pooler: it needs no pretrained pooler (MLM does not
    train one) and it is the same representation the probes of `evaluate` use.
    """
    backbone = encoder.backbone
    for layer in backbone.layers:
        if layer.name == "pooled_dense":
            layer.trainable = False  # the [CLS] pooler feeds nothing here
    inputs = {
        k: keras.Input(shape=v.shape[1:], dtype=v.dtype, name=k) for k, v in backbone.input.items()
    }
    outputs = backbone(inputs)
    pooled = keras.layers.GlobalAveragePooling1D(name="mean_pool")(
        outputs["sequence_output"], mask=real_positions(inputs, outputs)
    )
    pooled = keras.layers.Dropout(dropout)(pooled)
    outputs = keras.layers.Dense(units, name="head")(pooled)
    return keras.Model(inputs, outputs, name=name)


def load_finetuned(
    path: str | Path, trusted: Collection[str] = ("ssl_domains",)
) -> tuple[Task, keras.Model]:
    """A fine-tuning run (or its export in Keras format) as its task and Keras model."""
    from ssl_domains.errors import UserError
    from ssl_domains.tasks import task_class

    path = Path(path)
    if not (path / TASK_FILE).is_file():
        raise UserError(f"not a fine-tuned model (no {TASK_FILE}): {path}")
    meta = json.loads((path / TASK_FILE).read_text())
    cls = task_class(meta["task"])  # importing the tasks registers their layers
    encoder = Encoder.load(str(path / "preset"), meta.get("sequence_length"), trusted)
    model = keras.saving.load_model(path / MODEL_FILE, compile=False)
    return cls(encoder, meta.get("labels")), model
