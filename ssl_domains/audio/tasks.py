"""Audio tasks: utterance classification (keywords, intents, speakers) and CTC
character recognition, on a manifest of `path,label` or `path,text` rows.

Training reads each file as pretraining does (16 kHz mono, the domain's silence
trimming and loudness normalisation). The SavedModel takes float32 waveforms at
16 kHz, `[batch, samples]`, shorter ones padded with trailing zeros; it derives each
waveform's length from its last non-zero sample and normalises loudness in the
graph, so a client sends raw audio.
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ssl_domains.data.labeled_set import LabeledSet
from ssl_domains.tasks.base import SAMPLES_FILE, all_rows, indexed_batches
from ssl_domains.text.tasks.classification import Classification

MAX_SECONDS = 10.0


def waveform_inputs(waves: tf.RaggedTensor) -> dict[str, tf.Tensor]:
    """Ragged waveforms -> the backbone's padded `waveform` and `padding_mask`."""
    dense = waves.to_tensor()
    return {
        "waveform": dense,
        "padding_mask": tf.sequence_mask(waves.row_lengths(), tf.shape(dense)[1]),
    }


def served_waveforms(waveform: tf.Tensor, target_dbfs: float) -> dict[str, tf.Tensor]:
    """Zero-padded raw waveforms -> loudness-normalised backbone inputs (TF ops)."""
    nonzero = tf.cast(tf.not_equal(waveform, 0.0), tf.int32)
    length = tf.shape(waveform)[1] - tf.argmax(
        tf.reverse(nonzero, [1]), axis=1, output_type=tf.int32
    )
    length = tf.where(tf.reduce_any(nonzero > 0, axis=1), length, 0)
    mask = tf.sequence_mask(length, tf.shape(waveform)[1])
    valid = tf.cast(mask, tf.float32)
    power = tf.reduce_sum(tf.square(waveform) * valid, 1) / tf.maximum(tf.reduce_sum(valid, 1), 1.0)
    rms_db = 20.0 * tf.math.log(tf.sqrt(power) + 1e-12) / tf.math.log(10.0)
    gain = tf.pow(10.0, (target_dbfs - rms_db) / 20.0)
    peak = tf.reduce_max(tf.abs(waveform), axis=1) * gain
    gain = tf.where(peak > 1.0, gain / peak, gain)
    return {"waveform": waveform * gain[:, None] * valid, "padding_mask": mask}


class AudioClassification(Classification):
    """A recording -> one of a few classes (`path,label` rows; paths relative to the file).

    Labels, loss, metrics, report and outputs are `Classification`'s; what differs is
    how inputs are read and served.
    """

    name = "audio-classification"
    modality = "audio"
    roles = ("audio", "label")

    @cached_property
    def domain(self):
        from ssl_domains.plugin.registry import registry

        return registry().domain(self.encoder.info.get("domain", "speech"))()

    @cached_property
    def preprocessor(self):
        return None  # waveforms go to the backbone as they are

    def waves(self, data: LabeledSet) -> list[np.ndarray]:
        from ssl_domains.audio.signal import read_audio
        from ssl_domains.errors import UserError

        waves = []
        root = Path(data.path).parent
        limit = int(MAX_SECONDS * self.domain.sample_rate)
        for path in data.columns["audio"]:
            if isinstance(path, np.ndarray):  # already decoded and cleaned (saved samples)
                waves.append(path)
                continue
            try:
                wave = read_audio(root / path, self.domain.sample_rate)
            except ValueError as error:
                raise UserError(f"{data.path}: {path}: {error}") from None
            cleaned = self.domain.clean(wave, Counter())
            waves.append((cleaned if cleaned is not None else wave)[:limit])
        return waves

    def features(self, data: LabeledSet) -> tf.data.Dataset:
        waves = self.waves(data)
        ragged = tf.RaggedTensor.from_row_lengths(np.concatenate(waves), [len(w) for w in waves])
        return tf.data.Dataset.from_tensor_slices(ragged)

    def featurize(self, waves):
        return waveform_inputs(waves)

    def serving_features(self, waveform):
        return served_waveforms(waveform, self.domain.loudness_dbfs)

    def sample_inputs(self, data, count=8):
        from ssl_domains.audio.signal import padded_batch

        return [padded_batch(self.waves(data.subset(range(min(count, len(data))))))]

    def synthetic_samples(self, count=8):
        """Tones in noise from half a second to two, cleaned as recordings are (trimmed,
        loudness-normalised), so the Keras and the served paths see the same audio."""
        rate = self.domain.sample_rate
        rng = np.random.default_rng(0)
        waves = []
        for seconds in np.linspace(0.5, 2.0, count):
            t = np.arange(int(seconds * rate)) / rate
            tone = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 1000) * t)
            wave = (tone + rng.normal(0, 0.05, t.size)).astype("float32")
            cleaned = self.domain.clean(wave, Counter())
            waves.append(cleaned if cleaned is not None else wave)
        return {"audio": waves}

    def keep_samples(self, directory):
        """The synthetic waveforms go to `SAMPLES_FILE`; `task.json` records none."""
        np.savez(directory / SAMPLES_FILE, *self.synthetic_samples()["audio"])
        return {}


@keras.saving.register_keras_serializable(package="ssl_domains")
class BlankPadding(keras.layers.Layer):
    """Make padded frames certain blanks, so CTC over all frames equals CTC over the
    valid ones, and greedy decoding ignores padding."""

    def call(self, logits, frame_mask):
        blank = keras.ops.one_hot(keras.ops.zeros_like(frame_mask, "int32"), logits.shape[-1]) * 1e4
        return keras.ops.where(keras.ops.expand_dims(frame_mask, -1), logits, blank)


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


class CTCRecognition(AudioClassification):
    """A recording -> its transcript, character by character (`path,text` rows), with
    CTC loss (Graves et al., 2006) and greedy decoding; reports character error rate."""

    name = "ctc"
    roles = ("audio", "text")
    monitor = ("val_loss", "min")
    parity_key = "probabilities"

    @classmethod
    def label_names(cls, data):
        return sorted({ch for text in data.columns["text"] for ch in text.lower()})

    @classmethod
    def stratify_by(cls, data):
        return None

    def targets(self, data):
        index = {ch: i + 1 for i, ch in enumerate(self.labels)}  # 0 is the CTC blank
        encoded = [
            [index[ch] for ch in text.lower() if ch in index] for text in data.columns["text"]
        ]
        width = max(len(e) for e in encoded)
        return np.array([e + [0] * (width - len(e)) for e in encoded], "int32"), None

    def build_model(self, dropout: float = 0.1) -> keras.Model:
        backbone = self.encoder.backbone
        inputs = {
            k: keras.Input(shape=v.shape[1:], dtype=v.dtype, name=k)
            for k, v in backbone.input.items()
        }
        outputs = backbone(inputs)
        hidden = keras.layers.Dropout(dropout)(outputs["sequence_output"])
        logits = keras.layers.Dense(len(self.labels) + 1, name="head")(hidden)
        logits = BlankPadding(name="blank_padding")(logits, outputs["frame_mask"])
        return keras.Model(inputs, logits, name="ctc_recognizer")

    def compile_args(self):
        return dict(loss=keras.losses.CTC())

    def dataset(self, data, batch_size, training=False, seed=0, class_weights=None):
        targets, _ = self.targets(data)
        table = (all_rows(self.features(data), len(data)), targets)

        def to_batch(waves, y):
            return self.featurize(waves), y

        return indexed_batches(table, len(data), batch_size, training, seed, to_batch)

    def greedy(self, probabilities: np.ndarray) -> list[str]:
        texts = []
        for row in probabilities.argmax(-1):
            ids = [i for k, i in enumerate(row) if i and (k == 0 or i != row[k - 1])]
            texts.append("".join(self.labels[i - 1] for i in ids))
        return texts

    def decode(self, outputs):
        probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(outputs, axis=-1))
        return {"probabilities": probabilities, "text": np.array(self.greedy(probabilities))}

    def report(self, data, predictions):
        references = [t.lower() for t in data.columns["text"]]
        errors = sum(
            edit_distance(p, r) for p, r in zip(predictions["text"], references, strict=True)
        )
        return {
            "cer": errors / max(sum(len(r) for r in references), 1),
            "exact_match": float(
                np.mean([p == r for p, r in zip(predictions["text"], references, strict=True)])
            ),
        }

    def serve(self, model, waveform):
        x = served_waveforms(waveform, self.domain.loudness_dbfs)
        probabilities = tf.nn.softmax(tf.cast(model(x, training=False), tf.float32), axis=-1)
        ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        previous = tf.pad(ids[:, :-1], [[0, 0], [1, 0]], constant_values=-1)
        keep = tf.logical_and(ids > 0, tf.not_equal(ids, previous))
        chars = tf.ragged.boolean_mask(ids, keep)
        alphabet = tf.constant(["", *self.labels])
        text = tf.strings.reduce_join(tf.gather(alphabet, chars), axis=-1)
        return {"text": text, "probabilities": probabilities}
