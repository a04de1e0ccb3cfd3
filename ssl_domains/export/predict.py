"""`predict`: predictions on raw inputs, from a fine-tuning run or a SavedModel.

An exported SavedModel is called as a server would call it (its `serving_default`
on strings, or on waveforms read from audio files); a run is loaded as Keras and
served through the same task function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ssl_domains.backend import select_backend
from ssl_domains.errors import UserError


def _waveforms(paths: list[str]) -> np.ndarray:
    """Audio files -> one zero-padded float32 batch, as the SavedModel expects."""
    from ssl_domains.audio.signal import read_audio

    waves = []
    for path in paths:
        try:
            waves.append(np.trim_zeros(read_audio(path), "b"))
        except ValueError as error:
            raise UserError(f"{path}: {error}") from None
    batch = np.zeros((len(waves), max(len(w) for w in waves)), np.float32)
    for row, wave in enumerate(waves):
        batch[row, : len(wave)] = wave
    return batch


def predict(source: str | Path, inputs: list[str]) -> list[dict[str, Any]]:
    """One row of readable outputs per input (a text, or an audio file's path)."""
    select_backend("tensorflow")
    import tensorflow as tf

    source = Path(source)
    if (source / "saved_model.pb").is_file():
        serving = tf.saved_model.load(str(source)).signatures["serving_default"]
        names = list(serving.structured_input_signature[1])
        if len(names) != 1:
            raise UserError(f"{source} takes {', '.join(names)}; predict sends one input per row")
        batch = _waveforms(inputs) if names == ["waveform"] else tf.constant(inputs)
        outputs = {k: v.numpy() for k, v in serving(**{names[0]: batch}).items()}
        labels = _labels(source)
    else:
        from ssl_domains.plugin.registry import registry
        from ssl_domains.tasks.base import load_finetuned

        task, model = load_finetuned(source, registry().trusted_packages)
        if len(task.signature()) != 1:
            raise UserError(f"{task.name} takes pairs of texts; use the SavedModel for pairs")
        batch = _waveforms(inputs) if task.modality == "audio" else tf.constant(inputs)
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
