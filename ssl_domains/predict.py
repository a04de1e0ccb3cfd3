"""`predict`: predictions on raw inputs, from a fine-tuning run or a SavedModel.

An exported SavedModel is called as a server would call it (its `serving_default`
on strings); a run is loaded as Keras and served through the same task function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ssl_domains.backend import select_backend
from ssl_domains.errors import UserError


def predict(source: str | Path, texts: list[str]) -> list[dict[str, Any]]:
    """One row of readable outputs per input text."""
    select_backend("tensorflow")
    import tensorflow as tf

    source = Path(source)
    if (source / "saved_model.pb").is_file():
        serving = tf.saved_model.load(str(source)).signatures["serving_default"]
        names = list(serving.structured_input_signature[1])
        if len(names) != 1:
            raise UserError(f"{source} takes {', '.join(names)}; predict sends one text per row")
        outputs = {k: v.numpy() for k, v in serving(**{names[0]: tf.constant(texts)}).items()}
        labels = _labels(source)
    else:
        from ssl_domains.tasks.base import load_finetuned

        task, model = load_finetuned(source)
        if len(task.signature()) != 1:
            raise UserError(f"{task.name} takes pairs of texts; use the SavedModel for pairs")
        outputs = {k: v.numpy() for k, v in task.serve(model, tf.constant(texts)).items()}
        labels = task.labels
    return [_row(text, outputs, i, labels) for i, text in enumerate(texts)]


def _labels(saved_model: Path) -> list[str] | None:
    path = saved_model / "assets" / "labels.txt"
    return path.read_text().splitlines() if path.is_file() else None


def _row(text: str, outputs: dict[str, Any], i: int, labels: list[str] | None) -> dict[str, Any]:
    row: dict[str, Any] = {"input": text}
    if "tags" in outputs:
        words = [w.decode() for w in outputs["tokens"][i] if w]
        tags = [t.decode() for t in outputs["tags"][i][: len(words)]]
        row["tags"] = " ".join(f"{w}/{t}" for w, t in zip(words, tags, strict=True))
    elif "score" in outputs:
        row["score"] = float(outputs["score"][i])
    else:
        row["label"] = outputs["label"][i].decode()
        row["probabilities"] = dict(
            zip(labels, map(float, outputs["probabilities"][i]), strict=True)
        )
    return row
