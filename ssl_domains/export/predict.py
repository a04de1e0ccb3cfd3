"""`predict`: predictions on raw inputs, from a fine-tuning run or a SavedModel.

An exported SavedModel is called as a server would call it: the modality whose
serving signature matches its inputs turns the command line's arguments into them
(strings, or waveforms read from audio files). A run is loaded as Keras and served
through the same task function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ssl_domains.backend import select_backend
from ssl_domains.errors import UserError


def predict(
    source: str | Path, inputs: list[str], labels: list[str] | None = None
) -> list[dict[str, Any]]:
    """One row of readable outputs per input (a text, or an audio file's path): the
    modality of the model's inputs says how to read them. An image-text SavedModel
    (signatures `embed_image` and `embed_text`) classifies image files zero-shot
    among the class names `labels`."""
    select_backend("tensorflow")
    import tensorflow as tf

    from ssl_domains.plugin.modality import modality, signature_modality

    source = Path(source)
    if (source / "saved_model.pb").is_file():
        loaded = tf.saved_model.load(str(source))
        if "embed_image" in loaded.signatures and "embed_text" in loaded.signatures:
            from ssl_domains.image_text.export import zero_shot_predict

            return zero_shot_predict(loaded, source, inputs, list(labels or []))
        serving = loaded.signatures["serving_default"]
        names = list(serving.structured_input_signature[1])
        if len(names) != 1:
            raise UserError(f"{source} takes {', '.join(names)}; predict sends one input per row")
        # One input of another name (a third-party task's) is taken for strings.
        batch = (signature_modality(names) or modality("text")).predict_inputs(inputs)
        outputs = {k: v.numpy() for k, v in serving(**{names[0]: batch}).items()}
        labels = _labels(source)
    else:
        from ssl_domains.plugin.registry import registry
        from ssl_domains.tasks.base import load_finetuned

        task, model = load_finetuned(source, registry().trusted_packages)
        if len(task.signature()) != 1:
            raise UserError(f"{task.name} takes pairs of texts; use the SavedModel for pairs")
        batch = modality(task.modality).predict_inputs(inputs)
        outputs = {k: v.numpy() for k, v in task.serve(model, tf.constant(batch)).items()}
        labels = task.labels
    return [_row(item, outputs, i, labels) for i, item in enumerate(inputs)]


def _labels(saved_model: Path) -> list[str] | None:
    path = saved_model / "assets" / "labels.txt"
    return path.read_text().splitlines() if path.is_file() else None


def _row(item: str, outputs: dict[str, Any], i: int, labels: list[str] | None) -> dict[str, Any]:
    row: dict[str, Any] = {"input": item}
    if "tags" in outputs:
        words = [w.decode() for w in outputs["tokens"][i] if w]
        tags = [t.decode() for t in outputs["tags"][i][: len(words)]]
        row["tags"] = " ".join(f"{w}/{t}" for w, t in zip(words, tags, strict=True))
    elif "text" in outputs:
        row["transcript"] = outputs["text"][i].decode()
    elif "score" in outputs:
        row["score"] = float(outputs["score"][i])
    else:
        row["label"] = outputs["label"][i].decode()
        row["probabilities"] = dict(
            zip(labels, map(float, outputs["probabilities"][i]), strict=True)
        )
    return row
