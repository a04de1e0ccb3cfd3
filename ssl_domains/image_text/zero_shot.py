"""How an image-text model is evaluated: zero-shot classification from class names, and
retrieval both ways on held-out pairs (Radford et al., 2021, sections 3.1 and 3.3).

Zero-shot: each class name is put into prompt templates (`"a figure of {}"`), the
prompts are embedded by the text tower and averaged per class (CLIP's prompt
ensembling, renormalised), and each labeled image takes the class whose vector is the
most similar to its own. Nothing is trained on the labels. Retrieval: the held-out
pairs (a labeled file's `caption` column, else the run's validation shards) ranked
image->text and text->image; a caption answers an image when its text is the image's
own caption's (a repeated caption is not a miss). Each score comes with chance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ssl_domains.errors import UserError

DEFAULT_PROMPTS = ("a photo of {}", "{}")


@dataclass
class ZeroShotResult:
    source: str
    scores: dict[str, float] = field(default_factory=dict)


def class_vectors(encoder, classes: list[str], prompts) -> np.ndarray:
    """One unit vector per class: the mean of its prompts' text embeddings."""
    from ssl_domains.image_text.towers import embed_texts

    texts = [prompt.format(name) for name in classes for prompt in prompts]
    vectors = embed_texts(encoder, texts).reshape(len(classes), len(prompts), -1).mean(axis=1)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def zero_shot_predictions(encoder, image_vectors, classes: list[str], prompts) -> np.ndarray:
    """The index of the predicted class of each image (rows of unit vectors)."""
    return np.argmax(image_vectors @ class_vectors(encoder, classes, prompts).T, axis=1)


def read_images(rows, channels: int) -> list[bytes]:
    """Each row's image (a path relative to the labeled file) as PNG bytes, read as
    pretraining reads images (upright, in the domain's channels)."""
    from ssl_domains.image.reading import png_bytes, read_image

    encoded, root = [], Path(rows.path).parent
    for path in rows.columns["image"]:
        try:
            encoded.append(png_bytes(read_image(root / path, channels)))
        except ValueError as error:
            raise UserError(f"{rows.path}: {path}: {error}") from None
    return encoded


def score_encoder(encoder, rows, prompts, held_out=None) -> dict[str, float]:
    """Zero-shot accuracy and macro-F1 on `rows` (a `LabeledSet` with `image` and
    `label` columns, and `caption` if it has one), next to chance and the majority
    class; recall@1/5/10 both ways on its captions or on `held_out` (uint8 images,
    captions) pairs."""
    from sklearn.metrics import f1_score

    from ssl_domains.image_text.batches import recall_metrics
    from ssl_domains.image_text.towers import embed_pixels, embed_texts, encoded_to_pixels

    labels = [str(label) for label in rows.columns["label"]]
    classes = sorted(set(labels))
    truth = np.array([classes.index(label) for label in labels])
    image_vectors = embed_pixels(
        encoder, encoded_to_pixels(encoder, read_images(rows, int(encoder.info["channels"])))
    )
    predicted = zero_shot_predictions(encoder, image_vectors, classes, prompts)
    counts = np.bincount(truth, minlength=len(classes))
    scores = {
        "zero_shot_accuracy": float((predicted == truth).mean()),
        "zero_shot_macro_f1": float(f1_score(truth, predicted, average="macro")),
        "chance_accuracy": 1.0 / len(classes),
        "majority_accuracy": float(counts.max() / counts.sum()),
        "classes": float(len(classes)),
        "images": float(len(labels)),
    }
    captions = rows.columns.get("caption")
    if captions is not None:
        pair_images, pair_texts = image_vectors, [str(c) for c in captions]
    elif held_out:
        from ssl_domains.image_text.towers import image_pixels

        pixels = np.stack([image_pixels(encoder, image).numpy() for image, _ in held_out])
        pair_images = embed_pixels(encoder, pixels)
        pair_texts = [
            caption.decode() if isinstance(caption, bytes) else caption for _, caption in held_out
        ]
    else:
        return scores
    text_vectors = embed_texts(encoder, pair_texts)
    keys = np.array(pair_texts, dtype=object)
    relevant = keys[:, None] == keys[None, :]
    scores.update(recall_metrics(pair_images, text_vectors, relevant, (1, 5, 10)))
    scores["pairs"] = float(len(pair_texts))
    return scores


def run_held_out(location: str, modality, limit: int = 1000):
    """The validation pairs of the run a preset belongs to, if any: (image, caption)."""
    from ssl_domains.data.prepare_corpus import REPORT_FILE, CorpusReport
    from ssl_domains.data.shards import read_records

    run = Path(location).parent
    if not (run / "data" / REPORT_FILE).is_file():
        return None
    report = CorpusReport.load(run / "data")
    files = [run / "data" / name for name in report.validation_files]
    return list(read_records(files, modality).take(limit).as_numpy_iterator())


def evaluate_sources(
    sources: list[str],
    labels: Path,
    domain: str = "",
    prompts: list[str] | None = None,
    plugins=None,
    on_source=None,
) -> list[ZeroShotResult]:
    """Zero-shot and retrieval scores of each source (a run or preset of a dual
    encoder; `random:SOURCE` for the same architecture freshly initialised), with
    `domain`'s caption normalisation (default: the one each preset records) and its
    `prompts` (default: the domain's, else `DEFAULT_PROMPTS`).

    Examples:

    ```python
    from pathlib import Path
    from ssl_domains.image_text.zero_shot import evaluate_sources

    run = "runs/biomedical-figures-clip-20261128-101500"
    for result in evaluate_sources([run, f"random:{run}"], Path("labels.csv")):
        print(result.source, result.scores["zero_shot_accuracy"], result.scores["chance_accuracy"])
    ```
    """
    from ssl_domains.data.labeled_set import read_labeled
    from ssl_domains.evaluation.probes import load_encoder, source_location
    from ssl_domains.image_text.dual_encoder import is_dual_encoder
    from ssl_domains.plugin.modality import modality_of
    from ssl_domains.plugin.registry import registry
    from ssl_domains.presets.sources import resolve_source

    plugins = plugins or registry()
    roles = {"image": "path", "label": "label"}
    try:  # captions too, when the file has them: held-out pairs for retrieval
        rows = read_labeled(labels, {**roles, "caption": "caption"})
    except UserError:
        rows = read_labeled(labels, roles)
    results = []
    for source in sources:
        encoder = load_encoder(source, domain, None, plugins)
        if not is_dual_encoder(encoder.backbone) or encoder.tokenizer is None:
            kind = type(encoder.backbone).__name__
            raise UserError(f"{source} holds a {kind}, not an image-text dual encoder")
        adapter = plugins.domain(encoder.info["domain"]) if encoder.info.get("domain") else None
        templates = prompts or list(getattr(adapter, "prompts", None) or DEFAULT_PROMPTS)
        location = resolve_source(source_location(source))
        held_out = None
        if "caption" not in rows.columns:
            held_out = run_held_out(location, modality_of(adapter))
        result = ZeroShotResult(source, score_encoder(encoder, rows, templates, held_out))
        results.append(result)
        if on_source:
            on_source(result)
    return results


def as_dict(results: list[ZeroShotResult]) -> list[dict[str, Any]]:
    return [{"source": r.source, **r.scores} for r in results]
