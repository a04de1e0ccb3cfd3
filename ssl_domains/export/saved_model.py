"""`export`: a fine-tuned model as a SavedModel that serves raw inputs, or as Keras
files, or as a keras-hub preset; a pretraining run as an embedding SavedModel
(`ssl_domains.export.embedding`).

A SavedModel is TensorFlow, so export always runs on the TensorFlow backend; the
weights a JAX or PyTorch run saved load there unchanged. Its `serving_default`
takes raw strings and runs the domain's normalisation, the tokenizer and the model
in one graph. After writing, the SavedModel is reloaded with plain
`tf.saved_model.load` and its outputs compared with the Keras model's.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ssl_domains.backend import select_backend
from ssl_domains.errors import UserError
from ssl_domains.export.parity import check_parity

FORMATS = ("saved_model", "keras", "preset")


@dataclass
class ExportResult:
    path: Path
    format: str
    seconds: float
    max_difference: float | None = None
    samples: int = 0


def export(source: str | Path, fmt: str, out: str | Path) -> ExportResult:
    """Export the fine-tuned run `source` to `out` in format `fmt`.

    Examples:

    ```python
    from ssl_domains.export.saved_model import export

    result = export("runs/finance-classification-20261128-103000", "saved_model", "serving/1")
    print(result.max_difference)  # <= 1e-5, or export raised
    ```
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists() and any(out.iterdir()) if out.is_dir() else out.exists():
        raise UserError(f"{out} exists and is not empty; choose another --out")
    select_backend("tensorflow")
    from ssl_domains.export.embedding import is_pretraining_run, pretraining_export
    from ssl_domains.plugin.registry import registry
    from ssl_domains.tasks.base import MODEL_FILE, TASK_FILE, load_finetuned
    from ssl_domains.training.precision import FLOAT32, set_precision, with_policy

    set_precision("fp32")  # presets load in float32 whatever the run trained in

    started = time.perf_counter()
    if is_pretraining_run(source):
        if fmt != "saved_model":
            raise UserError(f"{source} is a pretraining run: export its preset/ as it is")
        difference, samples = pretraining_export(source, out, registry())
        return ExportResult(out, fmt, time.perf_counter() - started, difference, samples)
    task, model = load_finetuned(source, registry().trusted_packages)
    if fmt == "preset":
        task.encoder.save(out)
        return ExportResult(out, fmt, time.perf_counter() - started)
    if fmt == "keras":
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(source) / MODEL_FILE, out / MODEL_FILE)
        shutil.copytree(Path(source) / "preset", out / "preset")
        # Samples are made up anew: a run fine-tuned before they were synthetic kept
        # labeled rows in its task.json, and an export must not carry them on.
        meta = json.loads((Path(source) / TASK_FILE).read_text())
        meta["samples"] = task.keep_samples(out)
        (out / TASK_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        return ExportResult(out, fmt, time.perf_counter() - started)
    model = with_policy(model, FLOAT32)  # model.keras records the run's policy
    data = sample_rows(task, source)
    write_saved_model(task, model, out, data)
    difference = check_saved_model(task, model, out, data)
    return ExportResult(out, fmt, time.perf_counter() - started, difference, len(data))


def write_saved_model(task, model, out: Path, data) -> None:
    import keras
    import tensorflow as tf

    task.serve(model, *map(tf.constant, task.sample_inputs(data)))  # builds every layer
    archive = keras.export.ExportArchive()
    archive.track(model)
    preprocessing = (
        task.encoder.tokenizer,
        task.encoder.normalizer,
        getattr(task, "preprocessor", None),
    )
    for layer in preprocessing:
        if layer is not None:
            archive.track(layer)
    with tempfile.TemporaryDirectory() as tmp:
        if task.labels:
            # The names live in assets/labels.txt and the graph reads them from there.
            labels = Path(tmp) / "labels.txt"
            labels.write_text("\n".join(task.labels) + "\n")
            task.label_table = tf.lookup.StaticHashTable(
                tf.lookup.TextFileInitializer(
                    str(labels),
                    tf.int64,
                    tf.lookup.TextFileIndex.LINE_NUMBER,
                    tf.string,
                    tf.lookup.TextFileIndex.WHOLE_LINE,
                ),
                default_value="",
            )
            archive.track(task.label_table)
        archive.add_endpoint(
            "serving_default", lambda *inputs: task.serve(model, *inputs), task.signature()
        )
        archive.write_out(str(out), verbose=False)


def sample_rows(task, source):
    """The synthetic inputs fine-tuning kept (`Task.keep_samples`), to compare the two
    models on (a run from before they were synthetic kept validation rows)."""
    from ssl_domains.data.labeled_set import LabeledSet
    from ssl_domains.tasks.base import SAMPLES_FILE, TASK_FILE

    meta = json.loads((Path(source) / TASK_FILE).read_text())
    columns = meta["samples"]
    saved_inputs = Path(source) / SAMPLES_FILE
    if saved_inputs.is_file():  # audio waveforms or encoded images that fine-tuning kept
        with np.load(saved_inputs) as saved:
            columns[task.roles[0]] = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    return LabeledSet("samples", columns)


def check_saved_model(task, model, out: Path, data) -> float:
    """Max |SavedModel - Keras| on `data`; raises if above the tolerance."""
    import tensorflow as tf

    serving = tf.saved_model.load(str(out)).signatures["serving_default"]
    names = [spec.name for spec in task.signature()]
    samples = task.sample_inputs(data)
    inputs = {name: tf.constant(values) for name, values in zip(names, samples, strict=True)}
    exported = serving(**inputs)[task.parity_key].numpy()
    return check_parity(exported, task.predict(model, data)[task.parity_key], out)
