"""Continuing an image model `--from` a keras-hub preset directory: its converter is
kept (not replaced by a fresh one), the recipe's head warms up alone first, and the
result is again a keras-hub preset."""

import keras_hub
import numpy as np
import pytest
from PIL import Image
from rich.console import Console

from ssl_domains.api import ImageDomain
from ssl_domains.config import resolve_config
from ssl_domains.pipelines.pretraining import pretrain
from ssl_domains.plugin.registry import Plugin, Registry


class Tiles(ImageDomain):
    name = "preset-tiles"
    description = "Noise tiles."
    image_size = 48  # the preset's 32 wins: a ViT takes one size


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    """A keras-hub ViT preset as keras-hub writes one, with its own ImageConverter
    (ImageNet-style [-1, 1] scaling)."""
    path = tmp_path_factory.mktemp("vit-preset")
    backbone = keras_hub.models.ViTBackbone(
        image_shape=(32, 32, 3), patch_size=8, num_layers=1, num_heads=2, hidden_dim=32, mlp_dim=64
    )
    backbone.save_to_preset(str(path))
    converter = keras_hub.layers.ViTImageConverter(
        image_size=(32, 32), scale=1 / 127.5, offset=-1.0
    )
    converter.save_to_preset(str(path))
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiles")
    rng = np.random.default_rng(0)
    for i in range(24):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), np.uint8)).save(root / f"{i}.png")
    return root


@pytest.mark.parametrize("recipe", ["simclr", "mae"])
def test_an_image_preset_continues_with_its_own_converter(tmp_path, preset, corpus, recipe):
    tiles = Plugin(Tiles.name, "domain", "tests:Tiles", "tests", "0", obj=Tiles)
    plugins = Registry([*Registry.discover().plugins, tiles])
    flags = {
        "run.domain": Tiles.name,
        "run.recipe": recipe,
        "run.dir": str(tmp_path / "run"),
        "data.corpus": [str(corpus)],
        "model.source": str(preset),
        "train.steps": 3,
        "train.batch_size": 8,
        "train.head_warmup_steps": 2,
    }
    config = resolve_config(plugins, flags=flags)
    result = pretrain(config, console=Console(quiet=True), plugins=plugins, progress=False)
    assert result.step == 3 and "head_warmup_loss_first" in result.metrics
    continued = keras_hub.layers.ImageConverter.from_preset(str(result.run.preset))
    assert continued.scale == pytest.approx(1 / 127.5) and continued.offset == pytest.approx(-1)
    backbone = keras_hub.models.Backbone.from_preset(str(result.run.preset))
    assert isinstance(backbone, keras_hub.models.ViTBackbone)
    assert tuple(backbone.image_shape) == (32, 32, 3)
