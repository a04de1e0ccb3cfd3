"""Several devices through keras.distribution (JAX) and tf.distribute (TensorFlow),
on virtual CPU devices: the same global batch and seed follow the single-device loss
trajectory, and model parallelism shards BERT's weights as its layout map says."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ssl_domains.errors import UserError

# Runs MLM for a few steps per placement ("distribute:devices", ":" is one device) in
# one process, and prints each loss trajectory. Virtual devices are fixed when the
# backend starts, and TensorFlow's collectives keep one group size per process.
TRAJECTORIES = """
import json, sys
from ssl_domains.backend import select_backend
from ssl_domains.config import resolve_config
from ssl_domains.pipelines.pretraining import pretrain
from ssl_domains.plugin.registry import registry

backend, corpus, root, placements = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
select_backend(backend, devices=4)
losses = {}
for placement in placements:
    distribute, _, devices = placement.partition(":")
    flags = {
        "run.domain": "finance", "run.backend": backend, "run.distribute": distribute,
        "run.devices": int(devices or 0), "data.corpus": [corpus], "model.size": "nano",
        "model.vocabulary_size": 600, "train.steps": 6, "train.batch_size": 8,
        "train.log_every": 1, "train.checkpoint_every": 6, "run.dir": f"{root}/{placement}",
    }
    config = resolve_config(registry(), flags=flags, sets=["recipe.dropout=0.0"])
    run = pretrain(config, progress=False).run
    metrics = [m for m in run.read_metrics() if "loss" in m and not m.get("final")]
    losses[placement] = [m["loss"] for m in metrics]
print("LOSSES " + json.dumps(losses))
"""


def trajectories(backend, placements, corpus, tmp_path):
    # A fixed hash seed: a run's first loss still depends on Python's string-hash seed
    # (6.1937 with PYTHONHASHSEED=2, 6.1967 with 1; cause not found yet).
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-c", TRAJECTORIES, backend, str(corpus), str(tmp_path), *placements],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("LOSSES "))
    return json.loads(line.removeprefix("LOSSES "))


@pytest.fixture(scope="module")
def prepared_corpus(tmp_path_factory):
    """A slice of the finance sample, prepared once: every run reads the same shards."""
    from ssl_domains.cli.main import app
    from ssl_domains.plugins.finance import FinanceDomain
    from typer.testing import CliRunner

    root = tmp_path_factory.mktemp("corpus")
    (root / "filings.txt").write_text(FinanceDomain().sample_corpus()[0].read_text()[:60_000])
    out = root / "prepared"
    args = ["corpus", "prepare", str(root / "filings.txt"), "--domain", "finance"]
    done = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert done.exit_code == 0, done.output
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend, groups",
    [
        ("jax", [[":", "data:2", "data:4", "model:2"]]),
        ("tensorflow", [[":"], ["data:2"], ["data:4"]]),
    ],
)
def test_several_devices_follow_the_single_device_trajectory(
    backend, groups, prepared_corpus, tmp_path
):
    losses = {}
    for placements in groups:
        losses.update(trajectories(backend, placements, prepared_corpus, tmp_path))
    single = losses.pop(":")
    assert len(single) == 6 and single[-1] < single[0]
    for placement, trajectory in losses.items():
        # Adam turns summation noise in near-zero gradients into full-size updates, so
        # later steps drift from one device's (up to 0.7% by step 6 on 4 devices).
        assert trajectory == pytest.approx(single, rel=1.5e-2), placement
    if backend == "jax":
        # The first loss is the same batch through the same weights: equal up to the
        # order of float sums, on any number of devices.
        for placement in ("data:2", "data:4"):
            assert losses[placement][0] == pytest.approx(single[0], rel=1e-5), placement
    else:
        # tf.distribute re-traces the input pipeline, so the MLM masker's stateful random
        # ops draw other masks than on one device; 2 and 4 replicas draw the same ones.
        assert losses["data:4"][0] == pytest.approx(losses["data:2"][0], rel=1e-5)


LAYOUT = """
from ssl_domains.backend import select_backend
select_backend("jax", devices=2)
import keras_hub
from ssl_domains.training.distribution import distribution_scope

with distribution_scope("jax", "model", 2):
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=101, num_layers=1, num_heads=2, hidden_dim=8,
        intermediate_dim=16, max_sequence_length=16,
    )
for variable in backbone.weights:
    print(variable.path, tuple(variable.value.sharding.spec))
"""


def test_model_parallel_shards_bert_as_its_layout_map_says():
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run([sys.executable, "-c", LAYOUT], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    specs = {}
    for line in done.stdout.splitlines():
        path, _, spec = line.partition(" ")
        specs[path] = spec
    block = "transformer_layer_0/"
    assert specs[block + "self_attention_layer/query/kernel"] == "(None, 'model', None)"
    assert specs[block + "self_attention_layer/attention_output/kernel"] == "('model', None, None)"
    assert specs[block + "feedforward_intermediate_dense/kernel"] == "(None, 'model')"
    assert specs[block + "feedforward_output_dense/kernel"] == "('model', None)"
    # Small variables stay whole; so does a vocabulary of 101 rows on 2 devices.
    assert specs[block + "self_attention_layer_norm/gamma"] in ("()", "(None,)")
    assert specs["token_embedding/embeddings"] in ("()", "(None, None)")


def test_what_a_backend_cannot_distribute_is_refused_plainly():
    from ssl_domains.training.distribution import distribution_scope

    with pytest.raises(UserError, match="JAX"):
        distribution_scope("tensorflow", "model", 2)
    with pytest.raises(UserError, match="no distribution for torch"):
        distribution_scope("torch", "data", 2)


def test_the_chief_is_read_from_tf_config(monkeypatch):
    from ssl_domains.training.distribution import is_chief

    cluster = {"worker": ["a:1", "b:1"]}
    for index, chief in ((0, True), (1, False)):
        task = {"type": "worker", "index": index}
        monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": task}))
        assert is_chief("tensorflow") is chief
    with_chief = {"cluster": {**cluster, "chief": ["c:1"]}, "task": {"type": "worker", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(with_chief))
    assert not is_chief("tensorflow")
