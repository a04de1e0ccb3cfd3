"""Image classification: few-shot fine-tuning, a SavedModel on image bytes, predict.

In process on TensorFlow, from a fresh nano ResNet saved as a preset, with a registry
that holds a small image domain of the test's own: the task, export and predict are
what is under test here; the pretraining recipes have their own tests.
"""

import csv
import io
import json

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from rich.console import Console

from ssl_domains.api import ImageDomain
from ssl_domains.config import FinetuneConfig
from ssl_domains.export.predict import predict
from ssl_domains.export.saved_model import export
from ssl_domains.image.backbones import build_image_backbone
from ssl_domains.image.pixels import fresh_converter
from ssl_domains.pipelines.finetuning import finetune
from ssl_domains.plugin.registry import Plugin, Registry
from ssl_domains.presets.encoder import Encoder


class Tiles(ImageDomain):
    name = "test-tiles"
    description = "Stripes one way or the other."
    image_size = 32


def stripes(rng, vertical: bool) -> np.ndarray:
    """A 40x48 tile of stripes of a random colour and period: the class is the
    direction, not the colour."""
    tile = np.zeros((40, 48, 3), np.float32) + rng.uniform(0, 120, 3)
    period = int(rng.integers(4, 8))
    stripe = (np.arange(48 if vertical else 40) % period) < period // 2
    if vertical:
        tile[:, stripe] += rng.uniform(80, 130, 3)
    else:
        tile[stripe, :] += rng.uniform(80, 130, 3)
    return np.clip(tile + rng.normal(0, 8, tile.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def labeled(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiles")
    rng = np.random.default_rng(0)
    (root / "images").mkdir()
    with (root / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label"])
        for i in range(40):
            label = "vertical" if i % 2 else "horizontal"
            Image.fromarray(stripes(rng, i % 2 == 1)).save(root / "images" / f"t{i:02d}.png")
            writer.writerow([f"images/t{i:02d}.png", label])
    return root


@pytest.fixture(scope="module")
def plugins():
    tiles = Plugin(Tiles.name, "domain", "tests:Tiles", "tests", "0", obj=Tiles)
    return Registry([*Registry.discover().plugins, tiles])


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory, labeled, plugins):
    preset = tmp_path_factory.mktemp("preset")
    backbone = build_image_backbone("resnet-nano", 32, 3)
    info = {"domain": Tiles.name, "image_size": 32, "channels": 3}
    Encoder(backbone, converter=fresh_converter(32), sequence_length=0, info=info).save(preset)
    config = FinetuneConfig()
    config.run.source = str(preset)
    config.run.dir = str(tmp_path_factory.mktemp("runs") / "tuned")
    config.data.data = str(labeled / "labels.csv")
    config.data.shots = 5
    config.train.epochs = 6
    result = finetune(config, console=Console(quiet=True), progress=False, plugins=plugins)
    return result


def test_few_shot_fine_tuning_trains_on_five_images_per_class(finetuned):
    assert finetuned.task == "image-classification"
    assert finetuned.train_rows == 10 and finetuned.validation_rows == 30
    assert set(finetuned.report["per_class"]) == {"horizontal", "vertical"}
    assert (finetuned.run.path / "samples.npz").is_file()


def test_the_saved_model_takes_png_and_jpeg_bytes_and_matches_keras(finetuned, labeled, tmp_path):
    out = tmp_path / "serving"
    result = export(finetuned.run.path, "saved_model", out)
    assert result.max_difference <= 1e-5 and result.samples == 8
    serving = tf.saved_model.load(str(out)).signatures["serving_default"]
    pixels = np.asarray(Image.open(labeled / "images" / "t01.png"))
    encoded = {}
    for fmt in ("PNG", "JPEG"):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, fmt, quality=95)
        encoded[fmt] = buffer.getvalue()
    outputs = serving(image_bytes=tf.constant([encoded["PNG"], encoded["JPEG"]]))
    probabilities = outputs["probabilities"].numpy()
    assert probabilities.shape == (2, 2)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(probabilities[0], probabilities[1], atol=0.05)  # lossy JPEG
    assert {label.decode() for label in outputs["label"].numpy()} <= {"horizontal", "vertical"}


def test_predict_on_image_files_agrees_between_the_run_and_its_export(finetuned, labeled, tmp_path):
    out = tmp_path / "serving"
    export(finetuned.run.path, "saved_model", out)
    files = [str(labeled / "images" / f"t{i:02d}.png") for i in range(4)]
    from_run = predict(finetuned.run.path, files)
    from_export = predict(out, files)
    assert [row["label"] for row in from_run] == [row["label"] for row in from_export]
    for a, b in zip(from_run, from_export, strict=True):
        for name in ("horizontal", "vertical"):
            assert a["probabilities"][name] == pytest.approx(b["probabilities"][name], abs=1e-5)
    task = json.loads((finetuned.run.path / "task.json").read_text())
    assert task["task"] == "image-classification"
