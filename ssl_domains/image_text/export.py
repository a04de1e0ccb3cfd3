"""The SavedModel of an image-text run: two signatures into one embedding space.

`embed_image` takes encoded image files (`image_bytes`: PNG or JPEG strings) and
`embed_text` raw strings (`text`); each returns `embedding`, L2-normalised, so a
client ranks captions for an image (or images for a query) by dot products. Decoding,
the square crop, the converter's scale, the domain's caption normalisation and
redaction, tokenisation and packing all run inside the graph, as in training. Both
signatures are reloaded with plain `tf.saved_model.load` and compared with the Keras
model on held-out pairs of the run (`export.parity.TOLERANCE`). The domain's prompt
templates go to `assets/prompts.txt` and the learned logit scale (CLIP's inverse
temperature) to `assets/logit_scale.txt`, for zero-shot classification by `predict`.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_COUNT = 8
PROMPTS_FILE = "prompts.txt"
SCALE_FILE = "logit_scale.txt"
DEFAULT_SCALE = 100.0  # CLIP's zero-shot multiplier, for a SavedModel without the file


def dual_parts(source: str | Path, plugins):
    """(the run's encoder with its domain adopted, the domain, sample images as PNG
    bytes, sample captions)."""
    from ssl_domains.data.prepare_corpus import CorpusReport
    from ssl_domains.data.shards import read_records
    from ssl_domains.plugin.modality import modality_of
    from ssl_domains.presets.encoder import Encoder

    source = Path(source)
    encoder = Encoder.load(str(source / "preset"), trusted=plugins.trusted_packages)
    domain = plugins.domain(encoder.info["domain"])()
    modality = modality_of(domain)
    modality.adopt_domain(encoder, domain, replace=False)
    report = CorpusReport.load(source / "data")
    files = [source / "data" / name for name in report.validation_files or report.train_files]
    records = list(read_records(files, modality).take(SAMPLE_COUNT).as_numpy_iterator())
    images, captions = modality.serving_inputs(records)
    return encoder, domain, images, captions


def embed_image_fn(encoder):
    from ssl_domains.image.pixels import decode_bytes
    from ssl_domains.image_text.towers import image_embeddings

    size, channels = int(encoder.info["image_size"]), int(encoder.info["channels"])
    return lambda image_bytes: {
        "embedding": image_embeddings(encoder, decode_bytes(image_bytes, channels, size))
    }


def embed_text_fn(encoder):
    from ssl_domains.image_text.towers import caption_ids, text_embeddings

    return lambda text: {"embedding": text_embeddings(encoder, caption_ids(encoder, text))}


def write_dual_embedding_model(source: str | Path, out: Path, plugins) -> tuple[float, int]:
    """Write the run's two-signature SavedModel to `out`; return (max |SavedModel -
    Keras| over both signatures, pairs compared). Raises above the tolerance."""
    import keras
    import tensorflow as tf

    from ssl_domains.export.parity import check_parity
    from ssl_domains.image_text.dual_encoder import logit_scale_multiplier

    encoder, domain, images, captions = dual_parts(source, plugins)
    embed_image, embed_text = embed_image_fn(encoder), embed_text_fn(encoder)
    expected_images = embed_image(tf.constant(images))["embedding"].numpy()  # builds the layers
    expected_texts = embed_text(tf.constant(captions))["embedding"].numpy()
    archive = keras.export.ExportArchive()
    archive.track(encoder.backbone)
    for layer in (encoder.tokenizer, encoder.normalizer, encoder.converter):
        if layer is not None:
            archive.track(layer)
    archive.add_endpoint(
        "embed_image", embed_image, [tf.TensorSpec([None], tf.string, name="image_bytes")]
    )
    archive.add_endpoint("embed_text", embed_text, [tf.TensorSpec([None], tf.string, name="text")])
    archive.write_out(str(out), verbose=False)
    prompts = list(getattr(domain, "prompts", None) or ("a photo of {}", "{}"))
    (Path(out) / "assets").mkdir(exist_ok=True)
    (Path(out) / "assets" / PROMPTS_FILE).write_text("\n".join(prompts) + "\n")
    scale = logit_scale_multiplier(encoder.backbone.clip_head.logit_scale)
    (Path(out) / "assets" / SCALE_FILE).write_text(f"{float(keras.ops.convert_to_numpy(scale))}\n")
    loaded = tf.saved_model.load(str(out))
    got_images = loaded.signatures["embed_image"](image_bytes=tf.constant(images))["embedding"]
    got_texts = loaded.signatures["embed_text"](text=tf.constant(captions))["embedding"]
    difference = max(
        check_parity(got_images.numpy(), expected_images, out, "image embeddings"),
        check_parity(got_texts.numpy(), expected_texts, out, "text embeddings"),
    )
    return difference, len(images)


def zero_shot_predict(loaded, saved_model: Path, files: list[str], classes: list[str]):
    """Zero-shot classification of image files by a two-signature SavedModel: each
    class name in the saved prompts, embedded and averaged; the softmax of the cosines
    times the run's learned logit scale. -> one row per file."""
    import numpy as np
    import tensorflow as tf

    from ssl_domains.errors import UserError

    if len(classes) < 2:
        raise UserError("zero-shot classification needs --labels with two or more class names")
    path = Path(saved_model) / "assets" / PROMPTS_FILE
    prompts = path.read_text().splitlines() if path.is_file() else ["{}"]
    texts = [prompt.format(name) for name in classes for prompt in prompts]
    vectors = loaded.signatures["embed_text"](text=tf.constant(texts))["embedding"].numpy()
    vectors = vectors.reshape(len(classes), len(prompts), -1).mean(axis=1)
    vectors /= np.linalg.norm(vectors, axis=-1, keepdims=True)
    encoded = []
    for file in files:
        try:
            encoded.append(Path(file).read_bytes())
        except OSError as error:
            raise UserError(f"cannot read {file}: {error.strerror or error}") from None
    images = loaded.signatures["embed_image"](image_bytes=tf.constant(encoded))["embedding"]
    scale_file = Path(saved_model) / "assets" / SCALE_FILE
    scale = float(scale_file.read_text()) if scale_file.is_file() else DEFAULT_SCALE
    logits = scale * images.numpy() @ vectors.T
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return [
        {
            "input": file,
            "label": classes[int(np.argmax(p))],
            "probabilities": dict(zip(classes, map(float, p), strict=True)),
        }
        for file, p in zip(files, probabilities, strict=True)
    ]
