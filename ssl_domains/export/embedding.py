"""An embedding SavedModel of a pretraining run: raw input -> an L2-normalised vector.

A pretrained encoder is a serving artefact without fine-tuning: for retrieval,
clustering or deduplication a client needs one vector per text, recording or image.
The SavedModel's `serving_default` takes the modality's raw inputs (strings, padded
waveforms, encoded images), runs the same preprocessing and pooling that probes and
fine-tuning heads use (`Task.embed_batch`), and returns `embedding`, unit length.
It is reloaded and compared with the Keras encoder on a few of the run's held-out
records, as fine-tuned exports are.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_COUNT = 8


def is_pretraining_run(source: str | Path) -> bool:
    from ssl_domains.data.prepare_corpus import REPORT_FILE

    source = Path(source)
    return (source / "preset" / "config.json").is_file() and (
        source / "data" / REPORT_FILE
    ).is_file()


def pretraining_export(source: str | Path, out: Path, plugins) -> tuple[float, int]:
    """The SavedModel of a pretraining run, as the modality of its domain writes it
    (`Modality.export_pretraining`); returns (max |SavedModel - Keras|, samples)."""
    from ssl_domains.plugin.modality import modality_of
    from ssl_domains.presets.sources import source_info

    name = source_info(str(Path(source) / "preset")).get("domain", "")
    domain = plugins.domain(name) if name else None
    written = modality_of(domain).export_pretraining(source, out, plugins)
    return written if written is not None else write_embedding_model(source, out, plugins)


def embedding_parts(source: str | Path, plugins):
    """(the embedding task of the run's encoder, its modality, raw sample inputs)."""
    from ssl_domains.data.prepare_corpus import CorpusReport
    from ssl_domains.data.shards import read_records
    from ssl_domains.plugin.modality import modality_of
    from ssl_domains.presets.encoder import Encoder

    source = Path(source)
    encoder = Encoder.load(str(source / "preset"), trusted=plugins.trusted_packages)
    domain = plugins.domain(encoder.info["domain"])
    modality = modality_of(domain)
    modality.adopt_domain(encoder, domain(), replace=False)
    report = CorpusReport.load(source / "data")
    files = [source / "data" / name for name in report.validation_files or report.train_files]
    records = list(read_records(files, modality).take(SAMPLE_COUNT).as_numpy_iterator())
    return modality.embedding_task(encoder), modality, modality.serving_inputs(records)


def embeddings(task, inputs):
    """Unit-length embeddings of a batch of raw inputs (TensorFlow ops)."""
    import tensorflow as tf

    pooled = tf.cast(task.embed_batch(task.serving_features(inputs)), tf.float32)
    return tf.math.l2_normalize(pooled, axis=-1)


def write_embedding_model(source: str | Path, out: Path, plugins) -> tuple[float, int]:
    """Write the run's embedding SavedModel to `out`; return (max |SavedModel - Keras|,
    samples compared). Raises if they differ by more than the export tolerance."""
    import keras
    import tensorflow as tf

    from ssl_domains.export.parity import check_parity

    task, modality, samples = embedding_parts(source, plugins)
    expected = embeddings(task, tf.constant(samples)).numpy()  # also builds every layer
    archive = keras.export.ExportArchive()
    archive.track(task.encoder.backbone)
    for layer in (task.encoder.tokenizer, task.encoder.normalizer, task.encoder.converter):
        if layer is not None:
            archive.track(layer)
    if getattr(task, "preprocessor", None) is not None:
        archive.track(task.preprocessor)
    archive.add_endpoint(
        "serving_default",
        lambda inputs: {"embedding": embeddings(task, inputs)},
        modality.signature(),
    )
    archive.write_out(str(out), verbose=False)
    serving = tf.saved_model.load(str(out)).signatures["serving_default"]
    name = modality.signature()[0].name
    exported = serving(**{name: tf.constant(samples)})["embedding"].numpy()
    return check_parity(exported, expected, out, "embeddings"), len(expected)
