"""`Modality`: everything the core does differently for text, audio or images, in one object.

A domain names its modality (`DomainAdapter.modality`); the core asks `modality(name)`
for the object that owns what differs by it, and has no `if modality == ...` of its
own (a test holds it to that):

- the record schema of the shards (typed `tf.train.Example` features), writing a
  cleaned record into it and decoding it back to the tensor recipes take;
- the encoder: building a fresh one, or loading one with its keras-hub tokenizer or
  converter and putting the domain's preprocessing in front;
- pooling an encoder's outputs into one vector per labeled row, for probes;
- the default fine-tuning task, the labeled columns probes read, the serving
  signature, and what `predict` sends to a SavedModel.

Modalities are classes of the core, looked up by name: adding one is a sub-package
with its `modality.py` and a line in `MODALITY_CLASSES` (text, audio, image, and
image-text pairs in `ssl_domains.image_text`).
This module imports no TensorFlow, so the plugin API stays cheap to import.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

from ssl_domains.errors import UserError
from ssl_domains.plugin.domain_adapter import MODALITIES

MODALITY_CLASSES = {
    "text": "ssl_domains.text.modality:TextModality",
    "audio": "ssl_domains.audio.modality:AudioModality",
    "image": "ssl_domains.image.modality:ImageModality",
    "image-text": "ssl_domains.image_text.modality:ImageTextModality",
}
DEFAULT = "text"  # a source no domain describes (a Hugging Face or keras-hub preset)


class Modality:
    """Base class of the modality objects. Subclasses fill in every method.

    Class attributes:
        name: the modality's name, as domains state it (`"text"`).
        default_task: the task `finetune` runs when `--task` is not given.
        label_roles: role -> default column of a labeled file for probes, e.g.
            `{"text": "text", "label": "label"}`.
    """

    name: ClassVar[str] = ""
    default_task: ClassVar[str] = ""
    label_roles: ClassVar[dict[str, str]] = {}

    # -- shards ---------------------------------------------------------------------

    def tfds_converter(self, domain, features, field: str, where: str):
        """A function from a TFDS example (numpy) to a record of this modality, from
        `field`, or the one feature of this modality's kind (`tfds:` corpora)."""
        raise UserError(f"{where}: a {self.name} domain cannot read a tfds: corpus")

    def features(self) -> dict[str, Any]:
        """The record schema: feature name -> `tf.io.FixedLenFeature`."""
        raise NotImplementedError

    def payload(self, record: Any) -> bytes:
        """The bytes that identify a cleaned record (its split is decided on them)."""
        raise NotImplementedError

    def example(self, record: Any) -> dict[str, Any]:
        """A cleaned record as `tf.train.Feature`s, by feature name."""
        raise NotImplementedError

    def serialize(self, record: Any) -> bytes:
        """A cleaned record as the serialized `tf.train.Example` a shard stores."""
        import tensorflow as tf

        features = tf.train.Features(feature=self.example(record))
        return tf.train.Example(features=features).SerializeToString()

    def decode(self, serialized):
        """A batch-free serialized record -> the tensor a recipe's `batches` takes."""
        raise NotImplementedError

    def parse(self, serialized):
        import tensorflow as tf

        return tf.io.parse_single_example(serialized, self.features())

    # -- encoders -------------------------------------------------------------------

    def build_encoder(self, domain, recipe, config, train_records, trusted):
        """The encoder a pretraining run starts from: fresh for the domain, or `--from`."""
        raise NotImplementedError

    def adopt_domain(self, encoder, domain, replace: bool) -> None:
        """Put `domain`'s preprocessing on a loaded `encoder` (in place); `replace`:
        also where the preset brought its own (a `--domain` given explicitly)."""

    def check_encoder(self, encoder, source: str) -> None:
        """Raise a `UserError` if `encoder` cannot take this modality's inputs."""

    # -- evaluation and serving -----------------------------------------------------

    def embedding_task(self, encoder):
        """The default task on `encoder`, without labels: what featurises raw inputs
        and pools the backbone's outputs (`Task.embed_batch`) for probes and embedding
        exports."""
        raise NotImplementedError

    def embed(self, encoder, data, batch_size: int = 64):
        """One vector per row of `data` (a `LabeledSet`), pooled as fine-tuning heads
        pool (`Task.embed_batch`)."""
        from ssl_domains.evaluation.embeddings import pooled_embeddings

        return pooled_embeddings(self.embedding_task(encoder), data, batch_size)

    def raw_features(self, encoder, data):
        """Features of the raw inputs of `data`, prepared as `encoder` prepares them:
        the baseline a learned representation must beat in probes (`raw:` sources)."""
        raise NotImplementedError

    def check_finetune(self, source: str, domain: str, plugins) -> None:
        """Raise a `UserError` that says what to do if `finetune` cannot train `source`,
        a `domain` model of this modality, as it is; by default it can."""

    def own_evaluation(self):
        """How `evaluate` scores sources of this modality when probes do not fit it (a
        function like `ssl_domains.image_text.zero_shot.evaluate_sources`), or None for
        the linear and kNN probes."""
        return None

    def export_pretraining(self, source, out, plugins) -> tuple[float, int] | None:
        """Write the SavedModel of a pretraining run `source` to `out` this modality's own
        way and return (max |SavedModel - Keras|, samples compared); or None for the
        default, one `serving_default` from raw inputs to an L2-normalised embedding
        (`ssl_domains.export.embedding`)."""
        return None

    def signature(self) -> list[Any]:
        """The `tf.TensorSpec`s of a served model's raw inputs."""
        raise NotImplementedError

    def serving_inputs(self, records: list[Any]):
        """Decoded shard records (as `decode` gives them, in numpy) -> one batch of the
        raw inputs a served model takes, for checking an export."""
        raise NotImplementedError

    def predict_inputs(self, inputs: list[str]):
        """What `predict` sends for command-line inputs (texts, or files to read)."""
        raise NotImplementedError

    def inspect(self, domain, records, config, result, tokenizer_source="", extend=0) -> None:
        """Add what `corpus inspect` measures for this modality to `result`."""


def modality(name: str) -> Modality:
    """The modality object of `name` (`"text"`, `"audio"`)."""
    if name not in MODALITY_CLASSES:
        known = ", ".join(MODALITY_CLASSES)
        what = "a modality ssl-domains plans" if name in MODALITIES else "not a modality"
        raise UserError(f"{name!r} is {what} but not supported yet; supported: {known}")
    module, _, attribute = MODALITY_CLASSES[name].partition(":")
    return getattr(importlib.import_module(module), attribute)()


def modality_of(domain) -> Modality:
    """The modality of a domain (class or instance), or the default one for None."""
    return modality(domain.modality if domain is not None else DEFAULT)


def signature_modality(names: list[str]) -> Modality | None:
    """The modality whose serving signature takes the inputs `names`, if one does."""
    for name in MODALITY_CLASSES:
        found = modality(name)
        if [spec.name for spec in found.signature()] == names:
            return found
    return None


def column_modality(roles) -> Modality | None:
    """The modality whose input column is among `roles` (`--column audio=file`), if any."""
    for name in MODALITY_CLASSES:
        found = modality(name)
        if set(found.label_roles) - {"label"} <= set(roles):
            return found
    return None
