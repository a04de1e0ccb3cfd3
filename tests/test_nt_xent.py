"""NT-Xent: the SimCLR loss, against a direct computation, on every backend."""

import os
import subprocess
import sys

import numpy as np
import pytest

from ssl_domains.objectives.losses.nt_xent import nt_xent


def direct_nt_xent(a: np.ndarray, b: np.ndarray, t: float) -> float:
    """One anchor at a time, as the paper writes it."""
    z = np.concatenate([a, b]).astype("float64")
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    n = len(a)
    losses = []
    for i in range(2 * n):
        positive = (i + n) % (2 * n)
        scores = np.exp(z @ z[i] / t)
        losses.append(-np.log(scores[positive] / (scores.sum() - scores[i])))
    return float(np.mean(losses))


def views(n=6, dim=8, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, dim)).astype("float32")
    return a, (a + noise * rng.normal(size=(n, dim))).astype("float32")


def test_it_matches_the_direct_computation():
    a, b = views()
    for t in (0.1, 0.5):
        assert float(nt_xent(a, b, t)) == pytest.approx(direct_nt_xent(a, b, t), rel=1e-5)


def test_positives_score_above_negatives():
    a, b = views(noise=0.05)
    matched = float(nt_xent(a, b, 0.5))
    shuffled = float(nt_xent(a, b[np.roll(np.arange(len(b)), 1)], 0.5))
    chance = np.log(2 * len(a) - 1)  # every candidate alike
    assert matched < 0.5 * chance < shuffled


def test_replicas_that_gather_each_others_rows_give_the_one_device_loss():
    a, b = views(n=8)
    halves = [(a[:4], b[:4]), (a[4:], b[4:])]

    def gather_as(replica):
        # What tf.distribute's all_gather hands replica `replica`: every replica's
        # normalised rows; nt_xent gathers the first views, then the second.
        wholes = iter([_normal(a), _normal(b)])
        return lambda x: (next(wholes), 4 * replica)

    per_replica = [float(nt_xent(x, y, 0.2, gather_as(r))) for r, (x, y) in enumerate(halves)]
    assert np.mean(per_replica) == pytest.approx(float(nt_xent(a, b, 0.2)), rel=1e-5)


def _normal(x):
    x = np.asarray(x, "float64")
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype("float32")


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_it_is_the_same_loss_on_jax_and_torch(backend):
    a, b = views()
    code = (
        "import numpy as np\n"
        "from ssl_domains.objectives.losses.nt_xent import nt_xent\n"
        f"a = np.array({a.tolist()}, 'float32'); b = np.array({b.tolist()}, 'float32')\n"
        "print(float(nt_xent(a, b, 0.1)))\n"
    )
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    value = float(done.stdout.strip().splitlines()[-1])
    assert value == pytest.approx(direct_nt_xent(a, b, 0.1), rel=1e-5)


def test_under_tf_distribute_each_replica_takes_negatives_from_all():
    a, b = views(n=8)
    code = (
        "import numpy as np, tensorflow as tf\n"
        "cpu = tf.config.list_physical_devices('CPU')[0]\n"
        "two = [tf.config.LogicalDeviceConfiguration()] * 2\n"
        "tf.config.set_logical_device_configuration(cpu, two)\n"
        "from ssl_domains.objectives.losses.nt_xent import nt_xent\n"
        f"a = np.array({a.tolist()}, 'float32'); b = np.array({b.tolist()}, 'float32')\n"
        "strategy = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])\n"
        "def half(ctx):\n"
        "    start = 4 * ctx.replica_id_in_sync_group\n"
        "    return a[start : start + 4], b[start : start + 4]\n"
        "halves = strategy.experimental_distribute_values_from_function(half)\n"
        "losses = strategy.run(tf.function(lambda x: nt_xent(x[0], x[1], 0.2)), args=(halves,))\n"
        "print(np.mean([float(v) for v in strategy.experimental_local_results(losses)]))\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    value = float(done.stdout.strip().splitlines()[-1])
    assert value == pytest.approx(direct_nt_xent(a, b, 0.2), rel=1e-5)
