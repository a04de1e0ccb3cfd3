"""CLIP on image-caption pairs: the loss against numpy, the clipped temperature,
reading pairs (broken ones counted by reason), learning on TensorFlow, JAX and
PyTorch, a real CLIP preset continued, zero-shot and retrieval above chance and above
a random-init dual encoder, and the two-signature SavedModel checked against Keras."""

import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from ssl_domains.data.prepare_corpus import prepare_corpus
from ssl_domains.data.records import ReadOptions
from ssl_domains.image_text.batches import chance_recall, recall_at_k
from ssl_domains.image_text.domain import ImageTextDomain
from ssl_domains.image_text.dual_encoder import LogitScale, logit_scale_multiplier
from ssl_domains.objectives.losses.info_nce import info_nce
from ssl_domains.text.rules import Rule


def reference_info_nce(images, texts, scale):
    images = images / np.linalg.norm(images, axis=1, keepdims=True)
    texts = texts / np.linalg.norm(texts, axis=1, keepdims=True)
    logits = scale * images @ texts.T

    def cross_entropy(rows):
        rows = rows - rows.max(axis=1, keepdims=True)
        log_softmax = rows - np.log(np.exp(rows).sum(axis=1, keepdims=True))
        return -np.mean(np.diag(log_softmax))

    return (cross_entropy(logits) + cross_entropy(logits.T)) / 2


def test_the_symmetric_info_nce_matches_a_numpy_reference():
    rng = np.random.default_rng(0)
    images, texts = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    got = float(info_nce(images.astype("float32"), texts.astype("float32"), 14.3))
    assert got == pytest.approx(reference_info_nce(images, texts, 14.3), rel=1e-5)
    # Matching pairs far apart from the rest: the loss is near zero; all alike: log n.
    assert float(info_nce(np.eye(6, dtype="float32"), np.eye(6, dtype="float32"), 100.0)) < 1e-3
    same = np.ones((6, 5), "float32")
    assert float(info_nce(same, same, 10.0)) == pytest.approx(math.log(6), rel=1e-5)


def test_the_logit_scale_starts_at_one_over_0_07_and_is_clipped_at_100():
    layer = LogitScale()
    layer.build()
    assert float(keras.ops.exp(layer.logit_scale)) == pytest.approx(1 / 0.07, rel=1e-5)
    assert float(logit_scale_multiplier(math.log(1 / 0.07))) == pytest.approx(1 / 0.07, rel=1e-5)
    assert float(logit_scale_multiplier(8.0)) == 100.0  # exp(8) = 2981, clipped
    image_logits, text_logits = layer(np.eye(2, dtype="float32"), np.eye(2, dtype="float32"))
    assert np.allclose(keras.ops.convert_to_numpy(image_logits), np.eye(2) / 0.07, rtol=1e-5)
    assert np.allclose(
        keras.ops.convert_to_numpy(text_logits).T, keras.ops.convert_to_numpy(image_logits)
    )


def test_recall_at_k_counts_a_relevant_item_among_the_k_best_and_chance_is_exact():
    similarity = np.array([[0.9, 0.1, 0.5], [0.8, 0.2, 0.1], [0.1, 0.3, 0.2]])
    relevant = np.eye(3, dtype=bool)
    assert recall_at_k(similarity, relevant, (1, 2)) == {1: 1 / 3, 2: 1.0}
    assert chance_recall(relevant, (1, 2, 3)) == pytest.approx({1: 1 / 3, 2: 2 / 3, 3: 1.0})


class Pairs(ImageTextDomain):
    name = "pairs"
    description = "test pairs"
    image_size = 32

    def redactions(self):
        return [Rule("case", r"\bCASE-\d{4}\b", "[CASE]")]


def _png(path: Path, value: int, size=(40, 48)) -> None:
    pixels = np.full((*size, 3), value, np.uint8)
    pixels[:, : size[1] // 2] = 255 - value
    Image.fromarray(pixels).save(path)


def test_manifests_and_folder_pairs_are_read_and_broken_pairs_are_counted_by_reason(tmp_path):
    from sklearn.datasets import load_sample_images

    folder = tmp_path / "folder"
    folder.mkdir()
    for i in range(3):
        _png(folder / f"x{i}.png", 40 * i)
        (folder / f"x{i}.txt").write_text(f"panel {i} of CASE-{1000 + i}\n")
    _png(folder / "nocaption.png", 90)
    (folder / "orphan.txt").write_text("a caption without its image")
    (folder / "empty.png").write_bytes(b"")  # corrupt
    (folder / "empty.txt").write_text("an unreadable image")
    # Real photographs that ship with scikit-learn, listed in a JSONL manifest with other
    # field names, relative to the manifest.
    images = tmp_path / "photos"
    images.mkdir()
    lines = []
    for name, photo in zip(("china", "flower"), load_sample_images().images, strict=True):
        Image.fromarray(photo).save(images / f"{name}.jpg")
        lines.append({"file": f"photos/{name}.jpg", "text": f"a photograph of a {name}"})
    lines += [
        {"file": "photos/missing.jpg", "text": "gone"},
        {"file": "photos/china.jpg", "text": "  "},
    ]
    manifest = tmp_path / "pairs.jsonl"
    manifest.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    csv_manifest = tmp_path / "more.csv"
    csv_manifest.write_text("file,text\nfolder/x0.png,the first panel again\n")

    domain = Pairs(Pairs.Config(image_field="file", caption_field="text"))
    files = sorted([*folder.iterdir(), manifest, csv_manifest])
    report = prepare_corpus(domain, files, tmp_path / "out", ReadOptions(), 0.0)
    assert report.kept == 3 + 2 + 1
    assert report.skip_reasons == {
        "missing caption": 1,
        "caption without image": 1,
        "corrupt image": 1,
        "missing image": 1,
        "empty caption": 1,
    }
    assert report.redactions == {"case": 3} and not report.skipped_files

    from ssl_domains.data.shards import read_records
    from ssl_domains.image_text.modality import ImageTextModality

    records = list(
        read_records(
            [tmp_path / "out" / f for f in report.train_files], ImageTextModality()
        ).as_numpy_iterator()
    )
    captions = sorted(caption.decode() for _, caption in records)
    assert "panel 0 of [CASE]" in captions and "a photograph of a flower" in captions
    shapes = Counter(image.shape for image, _ in records)
    assert shapes[(427, 640, 3)] == 2 and shapes[(40, 48, 3)] == 4  # pixels as read


LEARN = """
import keras, numpy as np, tensorflow as tf
from ssl_domains.image.pixels import fresh_converter
from ssl_domains.presets.encoder import Encoder
from ssl_domains.recipes.clip.recipe import CLIP, CLIPConfig
from ssl_domains.text.tokenizer import DomainTokenizer

keras.utils.set_random_seed(0)
words = ["red", "green", "blue", "left", "right"]
vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
tokenizer = DomainTokenizer(vocab, lowercase=True)
recipe = CLIP(CLIPConfig(projection_dim=32))
backbone = recipe.build_backbone(
    "vit-nano", image_size=32, vocabulary_size=len(vocab), sequence_length=8
)
info = {"image_size": 32, "channels": 3}
encoder = Encoder(backbone, tokenizer, None, 8, info=info, converter=fresh_converter(32))
rng = np.random.default_rng(0)
colours = {"red": (220, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 220)}
images, captions = [], []
for i in range(96):
    colour, side = list(colours)[i % 3], ["left", "right"][(i // 3) % 2]
    image = np.full((32, 32, 3), 128, np.uint8) + rng.integers(0, 20, (32, 32, 3)).astype(np.uint8)
    columns = slice(0, 16) if side == "left" else slice(16, 32)
    image[:, columns] = colours[colour]
    images.append(image)
    captions.append(f"{colour} {side}")
records = tf.data.Dataset.from_tensor_slices((np.stack(images), captions))
batches = recipe.batches(records, encoder, 16, training=True, seed=0)
model = recipe.build_model(encoder)
args = recipe.optimizer_args(model)
args.pop("exclude_from_weight_decay")
model.compile(optimizer=keras.optimizers.AdamW(2e-3, **args))
history = model.fit(batches, steps_per_epoch=8, epochs=3, verbose=0).history
losses, accuracy = history["loss"], history["accuracy"]
print("losses", losses, "accuracy", accuracy)
assert all(np.isfinite(losses)) and losses[-1] < losses[0] - 0.3, losses
assert accuracy[-1] > 2 / 16, accuracy  # six captions in all: best possible 6/16 in a batch of 16
print("ok")
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_clip_learns_on_every_backend(backend):
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, "-c", LEARN], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0 and "ok" in done.stdout, done.stdout[-2000:] + done.stderr[-3000:]


@pytest.fixture(scope="module")
def figures_run(tmp_path_factory):
    """A short CLIP run on the biomedical-figures sample (about half a minute)."""
    from rich.console import Console

    from ssl_domains.config import resolve_config
    from ssl_domains.pipelines.pretraining import pretrain
    from ssl_domains.plugin.registry import registry

    run_dir = tmp_path_factory.mktemp("clip") / "run"
    flags = {"run.domain": "biomedical-figures", "run.dir": str(run_dir), "train.steps": 120}
    config = resolve_config(registry(), flags=flags, sets=["train.batch_size=32"])
    result = pretrain(config, console=Console(quiet=True), progress=False)
    return run_dir, result


def test_a_short_run_beats_chance_and_a_random_init_dual_encoder_zero_shot_and_at_retrieval(
    figures_run,
):
    from ssl_domains.plugins.biomedical.figures import BiomedicalFiguresDomain

    from ssl_domains.image_text.zero_shot import evaluate_sources

    run_dir, result = figures_run
    assert result.metrics["contrastive_accuracy"] > 3 * result.metrics["chance_accuracy"]
    labels = BiomedicalFiguresDomain().sample_labels()
    trained, random = evaluate_sources([str(run_dir), f"random:{run_dir}"], labels)
    t, r = trained.scores, random.scores
    print(json.dumps({"trained": t, "random": r}, indent=1))
    assert t["zero_shot_accuracy"] > t["chance_accuracy"] + 0.08
    assert t["zero_shot_accuracy"] > r["zero_shot_accuracy"] + 0.05
    assert t["image_to_text_recall_at_5"] > 2 * t["chance_recall_at_5"]
    assert t["image_to_text_recall_at_5"] > r["image_to_text_recall_at_5"] + 0.1


def test_the_export_has_two_unit_length_signatures_that_match_keras_and_predict_classifies(
    figures_run, tmp_path
):
    import tensorflow as tf
    from ssl_domains.plugins.biomedical.figures import BiomedicalFiguresDomain

    from ssl_domains.export.predict import predict
    from ssl_domains.export.saved_model import export

    run_dir, _ = figures_run
    done = export(run_dir, "saved_model", tmp_path / "serve")
    assert done.max_difference <= 1e-5 and done.samples == 8
    loaded = tf.saved_model.load(str(tmp_path / "serve"))
    assert {"embed_image", "embed_text"} <= set(loaded.signatures)
    texts = loaded.signatures["embed_text"](text=tf.constant(["two pink round cells in a row"]))
    assert np.linalg.norm(texts["embedding"].numpy(), axis=-1) == pytest.approx(1.0, abs=1e-5)
    labels = BiomedicalFiguresDomain().sample_labels()
    first = labels.parent / "labeled" / "panel-0000.png"
    rows = predict(
        tmp_path / "serve", [str(first)], ["round cells", "square cells", "triangular cells"]
    )
    assert rows[0]["label"] in {"round cells", "square cells", "triangular cells"}
    assert sum(rows[0]["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    # predict's softmax uses the run's learned temperature, saved beside the prompts.
    from ssl_domains.image_text.dual_encoder import logit_scale_multiplier
    from ssl_domains.presets.encoder import Encoder

    learned = Encoder.load(str(run_dir / "preset")).backbone.clip_head.logit_scale
    saved = float((tmp_path / "serve" / "assets" / "logit_scale.txt").read_text())
    assert saved == pytest.approx(float(logit_scale_multiplier(learned)), rel=1e-6)


def tiny_clip_preset(path, image_size=32):
    """A keras-hub `CLIPBackbone` with a CLIP tokenizer and image converter, tiny."""
    import keras_hub

    vocab = {}
    for ch in "abcdefghijklmnopqrstuvwxyz":
        vocab[ch] = len(vocab)
        vocab[ch + "</w>"] = len(vocab)
    merges = ["c e", "ce l", "cel l</w>", "r o", "ro u", "rou n", "roun d</w>"]
    for merge in merges:
        vocab.setdefault(merge.replace(" ", ""), len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)  # the highest id: CLIP pools at argmax(token_ids)
    tokenizer = keras_hub.models.CLIPTokenizer(vocabulary=vocab, merges=merges)
    vision = keras_hub.models.CLIPVisionEncoder(
        patch_size=8,
        hidden_dim=32,
        num_layers=1,
        num_heads=2,
        intermediate_dim=64,
        image_shape=(image_size, image_size, 3),
    )
    text = keras_hub.models.CLIPTextEncoder(
        vocabulary_size=len(vocab),
        embedding_dim=32,
        hidden_dim=32,
        num_layers=1,
        num_heads=2,
        intermediate_dim=64,
        max_sequence_length=32,
    )
    backbone = keras_hub.models.CLIPBackbone(
        vision_encoder=vision, text_encoder=text, projection_dim=16
    )
    converter = keras_hub.layers.CLIPImageConverter(
        image_size=(image_size, image_size), scale=1 / 255
    )
    for part in (backbone, tokenizer, converter):
        part.save_to_preset(str(path))
    return path


def test_a_keras_hub_clip_preset_continues_with_its_own_tokenizer_and_pooling(tmp_path):
    from rich.console import Console

    from ssl_domains.config import resolve_config
    from ssl_domains.pipelines.pretraining import pretrain
    from ssl_domains.plugin.registry import registry
    from ssl_domains.presets.encoder import Encoder

    preset = tiny_clip_preset(tmp_path / "clip")
    flags = {
        "run.domain": "biomedical-figures",
        "run.dir": str(tmp_path / "run"),
        "train.steps": 4,
        "model.source": str(preset),
    }
    config = resolve_config(registry(), flags=flags, sets=["train.batch_size=16"])
    result = pretrain(config, console=Console(quiet=True), progress=False)
    assert config.train.learning_rate == 1e-5  # a real CLIP: small steps
    assert math.isfinite(result.metrics["contrastive_loss"])
    saved = Encoder.load(str(tmp_path / "run" / "preset"))
    assert type(saved.backbone).__name__ == "CLIPBackbone"
    assert type(saved.tokenizer).__name__ == "CLIPTokenizer"


def test_a_dual_encoder_preset_round_trips_with_its_tokenizer_and_converter(figures_run):
    from ssl_domains.image_text.towers import embed_texts
    from ssl_domains.presets.encoder import Encoder

    run_dir, _ = figures_run
    encoder = Encoder.load(str(run_dir / "preset"))
    assert type(encoder.backbone).__name__ == "DualEncoderBackbone"
    assert type(encoder.tokenizer).__name__ == "DomainTokenizer"
    assert encoder.converter is not None and encoder.normalizer is not None
    vectors = embed_texts(
        encoder, ["case MRN 1234567: two round cells", "case MRN [MRN]: two round cells"]
    )
    assert np.allclose(vectors[0], vectors[1], atol=1e-6)  # redacted inside the graph too


def test_a_scaffolded_image_text_plugin_pretrains_with_clip_out_of_the_box(tmp_path, monkeypatch):
    import importlib

    from rich.console import Console

    from ssl_domains.config import resolve_config
    from ssl_domains.pipelines.pretraining import pretrain
    from ssl_domains.plugin.registry import Plugin, Registry
    from ssl_domains.scaffold import new_plugin

    root = new_plugin("captions", "image-text", tmp_path)
    monkeypatch.syspath_prepend(str(root / "src"))
    cls = importlib.import_module("ssl_domains_captions").CaptionsDomain
    plugins = Registry(
        [*Registry.discover().plugins, Plugin("captions", "domain", "x", "d", "0", obj=cls)]
    )
    flags = {"run.domain": "captions", "run.dir": str(tmp_path / "run"), "train.steps": 4}
    config = resolve_config(plugins, flags=flags, sets=["train.batch_size=8"])
    assert config.run.recipe == "clip"
    result = pretrain(config, console=Console(quiet=True), progress=False, plugins=plugins)
    assert result.report.kept == 80 and math.isfinite(result.metrics["contrastive_loss"])


def test_a_text_preset_and_an_image_preset_start_the_two_towers(tmp_path):
    import keras_hub
    from rich.console import Console

    from ssl_domains.config import resolve_config
    from ssl_domains.image.backbones import build_image_backbone
    from ssl_domains.image.pixels import fresh_converter
    from ssl_domains.pipelines.pretraining import pretrain
    from ssl_domains.plugin.registry import registry
    from ssl_domains.presets.encoder import Encoder

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "round", "cells", "pink", "two"]
    text = keras_hub.models.BertBackbone(
        vocabulary_size=len(words),
        num_layers=1,
        num_heads=2,
        hidden_dim=32,
        intermediate_dim=64,
        max_sequence_length=64,
    )
    text.save_to_preset(str(tmp_path / "text"))
    keras_hub.models.BertTokenizer(vocabulary=words).save_to_preset(str(tmp_path / "text"))
    image = build_image_backbone("vit-nano", 64)
    image.save_to_preset(str(tmp_path / "image"))
    fresh_converter(64).save_to_preset(str(tmp_path / "image"))
    flags = {
        "run.domain": "biomedical-figures",
        "run.dir": str(tmp_path / "run"),
        "train.steps": 2,
        "model.source": str(tmp_path / "text"),
    }
    sets = [
        f"model.image_source={tmp_path / 'image'}",
        "train.batch_size=8",
        "train.head_warmup_steps=0",
    ]
    config = resolve_config(registry(), flags=flags, sets=sets)
    pretrain(config, console=Console(quiet=True), progress=False)
    assert config.train.learning_rate == 1e-4  # pretrained towers: small steps
    saved = Encoder.load(str(tmp_path / "run" / "preset")).backbone
    assert saved.text_encoder.vocabulary_size == len(words)  # the preset's, not a new one
    for tower, original in ((saved.image_encoder, image), (saved.text_encoder, text)):
        start, now = original.weights[0].numpy(), tower.weights[0].numpy()
        assert start.shape == now.shape and np.abs(start - now).max() < 0.01


def test_an_image_domain_takes_a_clip_runs_image_tower_with_its_trained_weights(
    figures_run, tmp_path
):
    # evaluate, finetune and `pretrain --from` on an image domain see the tower only.
    from keras import ops

    from ssl_domains.evaluation.probes import load_encoder
    from ssl_domains.image.backbones import pooled_features
    from ssl_domains.image.pixels import to_backbone
    from ssl_domains.image_text.towers import image_embeddings
    from ssl_domains.presets.encoder import Encoder

    run_dir, _ = figures_run
    tower = load_encoder(str(run_dir), "biomedical-imaging")
    clip = Encoder.load(str(run_dir))
    assert tower.backbone is not clip.backbone and tower.tokenizer is None
    assert tuple(tower.backbone.image_shape) == tuple(clip.backbone.image_shape)
    side = int(tower.info["image_size"])
    pixels = np.random.default_rng(0).uniform(0, 1, (4, side, side, 3)).astype("float32")
    features = pooled_features(tower.backbone(to_backbone(tower.converter, pixels)))
    projected = ops.normalize(clip.backbone.vision_projection(features), axis=-1)
    clip.info.update(image_size=side, channels=3)
    expected = image_embeddings(clip, pixels)
    np.testing.assert_allclose(ops.convert_to_numpy(projected), expected, atol=1e-5)


def test_finetune_trains_a_clip_runs_image_tower_and_says_how_without_an_image_domain(
    figures_run, tmp_path, monkeypatch, capsys
):
    from ssl_domains.cli.main import main
    from ssl_domains.plugins.biomedical.figures import BiomedicalFiguresDomain

    def ssl_domains(*args) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["ssl-domains", *args])
        code = 0
        try:
            main()
        except SystemExit as exited:
            code = exited.code
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    run_dir, _ = figures_run
    labels = str(BiomedicalFiguresDomain().sample_labels())  # path,label,caption
    code, output = ssl_domains("finetune", str(run_dir), "--data", labels)
    assert code == 2 and "pass --domain biomedical-imaging" in output, output
    out = tmp_path / "tuned"
    args = ["--domain", "biomedical-imaging", "--data", labels, "--epochs", "2"]
    code, output = ssl_domains("finetune", str(run_dir), *args, "--run-dir", str(out))
    assert code == 0, output
    report = json.loads((out / "report.json").read_text())
    assert len(report["per_class"]) == 3 and 0 <= report["accuracy"] <= 1
