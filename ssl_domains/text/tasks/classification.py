"""Single-text and text-pair classification."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ssl_domains.data.labeled_set import LabeledSet, class_names
from ssl_domains.errors import UserError
from ssl_domains.tasks.base import Task, pooled_head


def label_ids(labels: list[str], names: list[str], path: str) -> np.ndarray:
    index = {name: i for i, name in enumerate(names)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        raise UserError(f"{path}: labels not seen in training: {', '.join(unknown[:5])}")
    return np.array([index[label] for label in labels], "int32")


def classification_report(truth: np.ndarray, predicted: np.ndarray, names: list[str]):
    """Accuracy, macro-F1, per-class precision/recall/F1/support, confusion matrix."""
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    ids = list(range(len(names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=ids, zero_division=0
    )
    return {
        "accuracy": float(np.mean(truth == predicted)),
        "macro_f1": float(f1_score(truth, predicted, labels=ids, average="macro", zero_division=0)),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
        },
        "confusion": confusion_matrix(truth, predicted, labels=ids).tolist(),
    }


class Classification(Task):
    """One text -> one of a few classes (`text,label` rows)."""

    name = "classification"
    roles = ("text", "label")
    monitor = ("val_macro_f1", "max")

    @classmethod
    def label_names(cls, data: LabeledSet) -> list[str]:
        return class_names(data.columns["label"], data.path)

    @classmethod
    def stratify_by(cls, data: LabeledSet) -> list[Any]:
        return data.columns["label"]

    @cached_property
    def preprocessor(self):
        """keras-hub's text-classifier preprocessor of the backbone's family."""
        import keras_hub

        from ssl_domains.presets.families import class_for

        try:
            cls = class_for(keras_hub.models.TextClassifierPreprocessor, self.encoder.backbone)
        except UserError:
            # Families without one (ELECTRA) pack WordPiece ids exactly as BERT does.
            if not isinstance(self.encoder.tokenizer, keras_hub.models.BertTokenizer):
                raise
            cls = keras_hub.models.BertTextClassifierPreprocessor
        return cls(tokenizer=self.encoder.tokenizer, sequence_length=self.encoder.sequence_length)

    def features(self, data: LabeledSet) -> tf.data.Dataset:
        return tf.data.Dataset.from_tensor_slices(data.columns["text"])

    def featurize(self, texts):
        return self.preprocessor(self.encoder.normalize(texts))

    def targets(self, data: LabeledSet):
        ids = label_ids(data.columns["label"], self.labels, data.path)
        return np.eye(len(self.labels), dtype="float32")[ids], None

    def build_model(self, dropout: float = 0.1) -> keras.Model:
        return pooled_head(self.encoder, len(self.labels), dropout, "classifier")

    def compile_args(self) -> dict[str, Any]:
        return dict(
            loss=keras.losses.CategoricalCrossentropy(from_logits=True),
            weighted_metrics=[
                keras.metrics.CategoricalAccuracy("accuracy"),
                keras.metrics.F1Score(average="macro", name="macro_f1"),
            ],
        )

    def decode(self, outputs):
        probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(outputs, axis=-1))
        ids = probabilities.argmax(-1)
        return {
            "probabilities": probabilities,
            "label_id": ids,
            "label": np.array(self.labels)[ids],
        }

    def report(self, data, predictions):
        truth = label_ids(data.columns["label"], self.labels, data.path)
        return classification_report(truth, predictions["label_id"], self.labels)

    def serving_features(self, *texts):
        """Raw serving inputs -> the backbone's inputs (TF ops)."""
        return self.featurize(texts[0] if len(texts) == 1 else texts)

    def serve(self, model, *inputs):
        logits = model(self.serving_features(*inputs), training=False)
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)
        ids = tf.argmax(probabilities, axis=-1)
        return {
            "probabilities": probabilities,
            "label_id": ids,
            "label": self.label_of(ids),
        }

    def sample_inputs(self, data, count=8):
        return [data.columns["text"][:count]]

    def synthetic_samples(self, count=8):
        from ssl_domains.text.tasks.synthetic import synthetic_texts

        return {"text": synthetic_texts(self.encoder, count)}


class PairClassification(Classification):
    """Two texts -> one of a few classes (`text_a,text_b,label` rows): entailment,
    duplicate detection, whether a clause matches a policy."""

    name = "pair-classification"
    roles = ("text_a", "text_b", "label")

    def features(self, data):
        return tf.data.Dataset.from_tensor_slices((data.columns["text_a"], data.columns["text_b"]))

    def featurize(self, pair):
        first, second = pair
        # Keyword `x`: a positional pair would be taken for `(x, y)`.
        return self.preprocessor(x=(self.encoder.normalize(first), self.encoder.normalize(second)))

    def signature(self):
        return [
            tf.TensorSpec([None], tf.string, name="text_a"),
            tf.TensorSpec([None], tf.string, name="text_b"),
        ]

    def sample_inputs(self, data, count=8):
        return [data.columns["text_a"][:count], data.columns["text_b"][:count]]

    def synthetic_samples(self, count=8):
        from ssl_domains.text.tasks.synthetic import synthetic_texts

        return {
            "text_a": synthetic_texts(self.encoder, count, seed=0),
            "text_b": synthetic_texts(self.encoder, count, seed=1)[::-1],  # long with short
        }
