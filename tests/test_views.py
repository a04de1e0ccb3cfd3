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
def test_it_crops_on_jax_and_torch(backend):
    code = (
        "import numpy as np\n"
        "from keras import ops\n"
        "from ssl_domains.image.views import RandomResizedCrop\n"
        "x = np.random.default_rng(0).uniform(0, 255, (4, 48, 36, 3)).astype('float32')\n"
        "out = ops.convert_to_numpy(RandomResizedCrop(24, 20, seed=0)(x))\n"
        "assert out.shape == (4, 24, 20, 3) and 0 <= out.min() and out.max() <= 255\n"
        "assert not np.allclose(out[0], out[1])\n"
        "print('ok')\n"
    )
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-3000:]
