"""Token classification: a tag for every word (BIO entities, say), `tokens,tags` rows.

Words are tokenised one by one; the tag of a word is predicted at its first
WordPiece, the usual choice since BERT. Normalisation runs per word, so a rule can
never merge two tagged words into one.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ssl_domains.data.labeled_set import LabeledSet, class_names
from ssl_domains.tasks.base import Task, all_rows, indexed_batches
from ssl_domains.text.tasks.classification import label_ids


@keras.saving.register_keras_serializable(package="ssl_domains")
class GatherPositions(keras.layers.Layer):
    """`[batch, seq, dim]` at `[batch, words]` positions -> `[batch, words, dim]`."""

    def call(self, sequence, positions):
        index = keras.ops.expand_dims(keras.ops.cast(positions, "int32"), -1)
        return keras.ops.take_along_axis(sequence, index, axis=1)


def bio_spans(tags: list[str]) -> set[tuple[int, int, str]]:
    """Entity spans `(start, end, type)` of a BIO tag sequence (I- without B- opens one)."""
    spans, start, kind = set(), None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        if start is not None and (prefix != "I" or label != kind):
            spans.add((start, i, kind))
            start = None
        if prefix == "B" or (prefix == "I" and start is None):
            start, kind = i, label
    return spans


class TokenClassification(Task):
    """Words -> one tag each (`tokens,tags`: space-separated in CSV, lists in JSONL)."""

    name = "token-classification"
    roles = ("tokens", "tags")
    monitor = ("val_accuracy", "max")

    @classmethod
    def label_names(cls, data: LabeledSet) -> list[str]:
        return class_names([t for tags in data.columns["tags"] for t in tags], data.path)

    @property
    def max_words(self) -> int:
        return self.encoder.sequence_length - 2

    def features(self, data):
        return tf.data.Dataset.from_tensor_slices(tf.ragged.constant(data.columns["tokens"]))

    def featurize(self, words: tf.RaggedTensor):
        """Ragged words -> backbone inputs plus the position of each word's first piece."""
        tokenizer, length = self.encoder.tokenizer, self.encoder.sequence_length
        words = words.with_flat_values(self.encoder.normalize(words.flat_values))
        pieces = tokenizer(words)  # [batch, words, pieces]
        if isinstance(pieces, list):  # keras-hub hands eager callers (export, predict) lists
            pieces = tf.ragged.constant(pieces, dtype=tf.int32, ragged_rank=2)
        if isinstance(pieces, tf.Tensor):
            pieces = tf.RaggedTensor.from_tensor(pieces)
        per_word = pieces.row_lengths(axis=2)
        flat = pieces.merge_dims(1, 2)[:, : length - 2]
        starts = 1 + tf.math.cumsum(per_word, axis=1, exclusive=True)
        visible = (starts < flat.row_lengths()[:, None] + 1) & (per_word > 0)
        positions = tf.where(visible, starts, tf.zeros_like(starts))
        batch = tf.shape(flat.row_lengths())[0]
        start = tf.fill([batch, 1], tf.cast(tokenizer.start_token_id, flat.dtype))
        end = tf.fill([batch, 1], tf.cast(tokenizer.end_token_id, flat.dtype))
        token_ids = tf.concat([start, flat, end], axis=1).to_tensor(
            tokenizer.pad_token_id, shape=[None, length]
        )
        x = {
            "token_ids": token_ids,
            "padding_mask": token_ids != tokenizer.pad_token_id,
            "segment_ids": tf.zeros_like(token_ids),
            "word_positions": positions[:, : self.max_words].to_tensor(
                0, shape=[None, self.max_words]
            ),
        }
        visible = visible[:, : self.max_words].to_tensor(False, shape=[None, self.max_words])
        return {
            k: v for k, v in x.items() if k in self.encoder.backbone.input or k == "word_positions"
        }, visible

    def class_counts(self, data):
        """Every tag a word the model sees carries (the first `max_words` of a row)."""
        ids = [label_ids(t[: self.max_words], self.labels, data.path) for t in data.columns["tags"]]
        flat = np.concatenate(ids) if ids else np.zeros(0, "int32")
        return np.bincount(flat, minlength=len(self.labels)).astype("float32")

    def dataset(self, data, batch_size, training=False, seed=0, class_weights=None):
        """Batches `(inputs, tag ids, weights)`: a word's weight is its tag's class weight
        (1 without `class_weights`), and 0 where no word is (padding, words cut off by
        the sequence length, words with no piece), so those never count."""
        tags = tf.ragged.constant(
            [label_ids(t, self.labels, data.path).tolist() for t in data.columns["tags"]]
        )
        table = (all_rows(self.features(data), len(data)), tags)
        per_tag = [
            class_weights.get(i, 0.0) if class_weights else 1.0 for i in range(len(self.labels))
        ]
        tag_weights = tf.constant(per_tag, tf.float32)

        def to_batch(words, tag_ids):
            x, visible = self.featurize(words)
            y = tag_ids[:, : self.max_words].to_tensor(0, shape=[None, self.max_words])
            return x, y, tf.cast(visible, tf.float32) * tf.gather(tag_weights, y)

        return indexed_batches(table, len(data), batch_size, training, seed, to_batch)

    def inputs_only(self, data, batch_size=64):
        return self.features(data).batch(batch_size).map(lambda w: self.featurize(w)[0])

    def build_model(self, dropout: float = 0.1) -> keras.Model:
        backbone = self.encoder.backbone
        inputs = {
            k: keras.Input(shape=v.shape[1:], dtype=v.dtype, name=k)
            for k, v in backbone.input.items()
        }
        inputs["word_positions"] = keras.Input(
            shape=(self.max_words,), dtype="int32", name="word_positions"
        )
        sequence = backbone({k: v for k, v in inputs.items() if k != "word_positions"})
        hidden = keras.layers.Dropout(dropout)(sequence["sequence_output"])
        logits = keras.layers.Dense(len(self.labels), name="head")(hidden)
        outputs = GatherPositions(name="first_pieces")(logits, inputs["word_positions"])
        return keras.Model(inputs, outputs, name="tagger")

    def compile_args(self) -> dict[str, Any]:
        return dict(
            loss=keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, reduction="mean_with_sample_weight"
            ),
            weighted_metrics=[keras.metrics.SparseCategoricalAccuracy("accuracy")],
        )

    def decode(self, outputs):
        probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(outputs, axis=-1))
        ids = probabilities.argmax(-1)
        return {"probabilities": probabilities, "tag_id": ids, "tag": np.array(self.labels)[ids]}

    def report(self, data, predictions):
        from sklearn.metrics import f1_score

        truth, guess, gold_spans, found_spans = [], [], set(), set()
        for row, tags in enumerate(data.columns["tags"]):
            n = min(len(tags), self.max_words)
            predicted = [str(t) for t in predictions["tag"][row][:n]]
            truth += tags[:n]
            guess += predicted
            gold_spans |= {(row, *s) for s in bio_spans(tags[:n])}
            found_spans |= {(row, *s) for s in bio_spans(predicted)}
        hits = len(gold_spans & found_spans)
        precision = hits / max(len(found_spans), 1)
        recall = hits / max(len(gold_spans), 1)
        return {
            "accuracy": float(np.mean(np.array(truth) == np.array(guess))),
            "macro_f1": float(
                f1_score(truth, guess, labels=self.labels, average="macro", zero_division=0)
            ),
            "entity_precision": precision,
            "entity_recall": recall,
            "entity_f1": 2 * precision * recall / max(precision + recall, 1e-9),
        }

    def serve(self, model, text):
        words = tf.strings.split(text)
        x, visible = self.featurize(words)
        probabilities = tf.nn.softmax(tf.cast(model(x, training=False), tf.float32), axis=-1)
        ids = tf.argmax(probabilities, axis=-1)
        tags = tf.where(visible, self.label_of(ids), "")
        return {
            "tokens": words[:, : self.max_words].to_tensor("", shape=[None, self.max_words]),
            "tags": tags,
            "probabilities": probabilities,
        }

    def sample_inputs(self, data, count=8):
        return [[" ".join(words) for words in data.columns["tokens"][:count]]]

    def synthetic_samples(self, count=8):
        from ssl_domains.text.tasks.synthetic import synthetic_sentences

        return {"tokens": synthetic_sentences(self.encoder, count)}
