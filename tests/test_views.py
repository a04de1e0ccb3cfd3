"""Image views: the random resized crop's bounds, shapes and ranges, on every backend."""

import os
import subprocess
import sys

import numpy as np
import pytest
from keras import ops

from ssl_domains.image.views import RandomResizedCrop


@pytest.mark.parametrize("height, width", [(64, 64), (40, 90)])
def test_boxes_keep_to_their_scale_and_ratio_and_stay_inside(height, width):
    crop = RandomResizedCrop(32, 32, scale=(0.2, 0.9), ratio=(0.5, 2.0), seed=0)
    top, left, h, w = ops.convert_to_numpy(crop.boxes(4000, height, width)).T
    share = h * w / (height * width)
    assert share.min() >= 0.2 * (1 - 1e-5) and share.max() <= 0.9 * (1 + 1e-5)
    assert (w / h).min() >= 0.5 * (1 - 1e-5) and (w / h).max() <= 2.0 * (1 + 1e-5)
    assert (top >= 0).all() and (left >= 0).all()
    assert (top + h <= height + 1e-3).all() and (left + w <= width + 1e-3).all()
    assert share.std() > 0.1 and np.log(w / h).std() > 0.2  # drawn, not constant


def test_a_crop_is_the_box_resized():
    # An image whose value is its column index: a crop of columns [left, left + w)
    # resized to 8 columns spans those values, left to right.
    image = np.tile(np.arange(64, dtype="float32"), (64, 1))[None, :, :, None]
    crop = RandomResizedCrop(8, 8, scale=(0.25, 0.25), ratio=(1.0, 1.0), seed=1)
    out = ops.convert_to_numpy(crop(image))[0, 0, :, 0]
    assert np.all(np.diff(out) > 0) and out[-1] - out[0] == pytest.approx(28, abs=2)


def test_outputs_have_the_size_asked_and_the_inputs_range():
    images = np.random.default_rng(0).uniform(0, 255, (5, 48, 36, 3)).astype("float32")
    crop = RandomResizedCrop(24, 20, seed=0)
    out = ops.convert_to_numpy(crop(images))
    assert out.shape == (5, 24, 20, 3)
    assert out.min() >= 0 and out.max() <= 255
    assert not np.allclose(out[0], out[1])
    whole = ops.convert_to_numpy(crop(images, training=False))
    np.testing.assert_allclose(whole, ops.convert_to_numpy(ops.image.resize(images, (24, 20))))


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_crops_and_views_run_on_jax_and_torch(backend):
    code = (
        "import numpy as np\n"
        "from keras import ops\n"
        "from ssl_domains.image.views import RandomResizedCrop\n"
        "x = np.random.default_rng(0).uniform(0, 255, (4, 48, 36, 3)).astype('float32')\n"
        "out = ops.convert_to_numpy(RandomResizedCrop(24, 20, seed=0)(x))\n"
        "assert out.shape == (4, 24, 20, 3) and 0 <= out.min() and out.max() <= 255\n"
        "assert not np.allclose(out[0], out[1])\n"
        "from ssl_domains.api import ImageDomain\n"
        "view = ImageDomain().views(24)(x / 255, training=True)\n"
        "assert ops.convert_to_numpy(view).shape == (4, 24, 24, 3)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-3000:]


def test_a_view_is_an_augmented_image_of_the_size_asked_in_range():
    from ssl_domains.api import ImageDomain

    images = np.random.default_rng(0).uniform(0, 1, (6, 48, 48, 3)).astype("float32")
    view = ImageDomain().views(32)
    first, second = (ops.convert_to_numpy(view(images, training=True)) for _ in range(2))
    assert first.shape == (6, 32, 32, 3)
    assert first.min() >= -1e-5 and first.max() <= 1 + 1e-5
    assert not np.allclose(first, second)  # two draws, two views


def test_a_grayscale_domain_drops_colour_and_an_oriented_one_drops_flips():
    from ssl_domains.api import ImageDomain
    from ssl_domains.image.views import standard_views

    class Scans(ImageDomain):
        channels = 1

    names = {type(layer).__name__ for layer in Scans().views(32).layers}
    assert "RandomColorJitter" not in names and "RandomGrayscale" not in names
    assert "RandomFlip" not in {type(x).__name__ for x in standard_views(32, flips=False).layers}
    scans = np.random.default_rng(0).uniform(0, 1, (2, 40, 40, 1)).astype("float32")
    assert ops.convert_to_numpy(Scans().views(32)(scans, training=True)).shape == (2, 32, 32, 1)


def test_view_odds_blur_and_solarise_the_shares_asked():
    # BYOL's and DINO's per-view odds: a share of images blurred, another solarised.
    import keras

    from ssl_domains.image.views import asymmetric_views, with_odds

    images = np.random.default_rng(0).uniform(0, 1, (600, 12, 12, 3)).astype("float32")
    blur = keras.layers.RandomGaussianBlur(1.0, 3, sigma=(1.0, 2.0), value_range=(0, 1))

    def changed(layers) -> np.ndarray:
        out = images
        for layer in layers:
            out = layer(out, training=True)
        return np.abs(ops.convert_to_numpy(out) - images).max(axis=(1, 2, 3)) > 1e-4

    assert changed(with_odds([blur], 1.0)).all()
    assert not changed(with_odds([blur], 0.0)).any()
    assert 0.05 < changed(with_odds([blur], 0.1)).mean() < 0.16
    solarised = with_odds([blur], 0.0, solarize=0.2)
    assert 0.14 < changed(solarised).mean() < 0.27
    out = ops.convert_to_numpy(solarised[-1](images, training=True))
    flipped = ~np.isclose(out, images).all(axis=(1, 2, 3))
    np.testing.assert_allclose(out[flipped], np.where(images < 0.5, images, 1 - images)[flipped])
    # BYOL's two views: copies of one view with their own odds, and their own seeds.
    seeded = keras.Sequential([RandomResizedCrop(8, 8, seed=3), blur])
    first, second = asymmetric_views(seeded)
    assert [type(x).__name__ for x in second.layers][-1] == "RandomSolarization"
    a, b = (ops.convert_to_numpy(v.layers[0](images[:4])) for v in (first, second))
    assert not np.allclose(a, b)


def test_multi_crop_odds_survive_its_config():
    from ssl_domains.image.views import DINO_ODDS, MultiCrop, multi_crop_views

    crops = multi_crop_views(16, local_crops=1, odds=DINO_ODDS)
    again = MultiCrop.from_config(crops.get_config())
    assert again.odds == [tuple(pair) for pair in DINO_ODDS]
    kinds = [again.first_augment, again.second_augment, again.local_augment]
    factors = [[x.factor for x in kind if hasattr(x, "sigma")][0] for kind in kinds]
    assert factors == [(1.0, 1.0), (0.1, 0.1), (0.5, 0.5)]
    assert type(again.second_augment[-1]).__name__ == "RandomSolarization"
    images = np.random.default_rng(0).uniform(0, 1, (4, 16, 16, 3)).astype("float32")
    assert [tuple(v.shape) for v in again(images)] == [(4, 16, 16, 3)] * 3
