"""`AudioModality`: recordings as records, waveform encoders, frame pooling, serving."""

from __future__ import annotations

from typing import ClassVar

from ssl_domains.errors import UserError
from ssl_domains.plugin.modality import Modality


class AudioModality(Modality):
    """Records are cleaned float32 waveforms at the domain's sample rate (`waveform`:
    little-endian float32 bytes, `samples`: their count); encoders take waveforms with
    a padding mask; a served model takes zero-padded waveforms `[batch, samples]`."""

    name: ClassVar[str] = "audio"
    default_task: ClassVar[str] = "audio-classification"
    label_roles: ClassVar[dict[str, str]] = {"audio": "path", "label": "label"}

    def tfds_converter(self, domain, features, field, where):
        from ssl_domains.audio.signal import SAMPLE_RATE, samples_to_wave
        from ssl_domains.data.records import BadRecord
        from ssl_domains.data.tfds_source import feature_value, features_by_name, pick_feature

        name = pick_feature(features, "Audio", field, where)
        rate = getattr(features_by_name(features)[name], "sample_rate", None)
        if not rate:
            raise UserError(f"{where}: the audio feature {name!r} declares no sample_rate")
        target = getattr(domain, "sample_rate", SAMPLE_RATE)

        def to_wave(example):
            try:
                return samples_to_wave(feature_value(example, name), rate, target)
            except ValueError as error:
                return BadRecord(str(error))

        return to_wave

    def features(self):
        import tensorflow as tf

        return {
            "waveform": tf.io.FixedLenFeature([], tf.string),
            "samples": tf.io.FixedLenFeature([], tf.int64),
        }

    def payload(self, record) -> bytes:
        return record.astype("<f4").tobytes()

    def example(self, record):
        import tensorflow as tf

        return {
            "waveform": tf.train.Feature(
                bytes_list=tf.train.BytesList(value=[self.payload(record)])
            ),
            "samples": tf.train.Feature(int64_list=tf.train.Int64List(value=[len(record)])),
        }

    def decode(self, serialized):
        import tensorflow as tf

        return tf.io.decode_raw(self.parse(serialized)["waveform"], tf.float32, little_endian=True)

    def build_encoder(self, domain, recipe, config, train_records, trusted):
        from ssl_domains.presets.encoder import Encoder
        from ssl_domains.presets.sources import resolve_source

        if config.model.source:
            encoder = Encoder.load(resolve_source(config.model.source), trusted=trusted)
        else:
            encoder = Encoder(recipe.build_backbone(config.model.size), sequence_length=0)
        self.adopt_domain(encoder, domain, replace=True)
        return encoder

    def adopt_domain(self, encoder, domain, replace: bool) -> None:
        if replace or "sample_rate" not in encoder.info:
            encoder.info["sample_rate"] = domain.sample_rate

    def embedding_task(self, encoder):
        from ssl_domains.audio.tasks import AudioClassification

        return AudioClassification(encoder, ["_"])

    def raw_features(self, encoder, data):
        """The mean and standard deviation over time of each recording's log-mel
        spectrogram (40 bands, 25 ms windows every 10 ms), read as fine-tuning reads it."""
        import numpy as np
        import tensorflow as tf

        rate = encoder.info.get("sample_rate", 16_000)
        matrix = tf.signal.linear_to_mel_weight_matrix(40, 257, rate, 20.0, rate / 2)
        rows = []
        for wave in self.embedding_task(encoder).waves(data):
            stft = tf.signal.stft(wave, int(0.025 * rate), int(0.010 * rate), 512, pad_end=True)
            mel = tf.math.log(tf.matmul(tf.abs(stft) ** 2, matrix) + 1e-6).numpy()
            rows.append(np.concatenate([mel.mean(0), mel.std(0)]))
        return np.stack(rows)

    def signature(self):
        import tensorflow as tf

        return [tf.TensorSpec([None, None], tf.float32, name="waveform")]

    def serving_inputs(self, records):
        from ssl_domains.audio.signal import padded_batch

        return padded_batch(records)

    def predict_inputs(self, inputs: list[str]):
        """Audio files -> one zero-padded float32 batch, as the SavedModel expects."""
        import numpy as np

        from ssl_domains.audio.signal import padded_batch, read_audio

        waves = []
        for path in inputs:
            try:
                waves.append(np.trim_zeros(read_audio(path), "b"))
            except ValueError as error:
                raise UserError(f"{path}: {error}") from None
        return padded_batch(waves)
