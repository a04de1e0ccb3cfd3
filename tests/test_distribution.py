"""Several devices through keras.distribution (JAX) and tf.distribute (TensorFlow),
on virtual CPU devices: steps on the same global batches give one device's losses, and
model parallelism shards BERT's weights as its layout map says."""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Result, metrics, run_cli

from ssl_domains.errors import UserError

# Three optimizer steps of keras-hub's BERT masked LM with the recipe's loss and the
# trainer's AdamW, from the same weights on the same fixed global batches, once per
# placement ("distribute:devices"; ":" is one device); prints the losses. Fixed
# batches keep the input pipeline's own randomness out of the comparison.
STEPS = """
import json, sys
import numpy as np
from ssl_domains.backend import select_backend

backend, placements = sys.argv[1], sys.argv[2:]
select_backend(backend, devices=4)
import keras, keras_hub
from ssl_domains.config import TrainSection
from ssl_domains.recipes.mlm import MaskedLanguageModeling
from ssl_domains.training.distribution import distribution_scope
from ssl_domains.training.trainer import Trainer

rng = np.random.default_rng(0)
batches = [
    ({"token_ids": rng.integers(5, 96, (8, 16)).astype("int32"),
      "segment_ids": np.zeros((8, 16), "int32"),
      "padding_mask": np.ones((8, 16), "int32"),
      "mask_positions": rng.integers(0, 16, (8, 3)).astype("int32")},
     rng.integers(5, 96, (8, 3)).astype("int32"),
     (rng.random((8, 3)) < 0.8).astype("float32"))
    for _ in range(3)
]
losses, weights = {}, None
for placement in placements:
    distribute, _, devices = placement.partition(":")
    with distribution_scope(backend, distribute, int(devices or 0)):
        keras.utils.set_random_seed(0)
        backbone = keras_hub.models.BertBackbone(
            vocabulary_size=96, num_layers=1, num_heads=2, hidden_dim=16,
            intermediate_dim=32, max_sequence_length=16, dropout=0.0,
        )
        model = keras_hub.models.BertMaskedLM(backbone, preprocessor=None)
        model(batches[0][0])
        weights = weights or model.get_weights()
        model.set_weights(weights)
        trainer = Trainer(None, TrainSection(learning_rate=1e-3, warmup_fraction=0.0))
        recipe = MaskedLanguageModeling()
        model.compile(optimizer=trainer.optimizer(3), **recipe.compile_args())
        losses[placement] = [
            float(model.train_on_batch(x, y, w, return_dict=True)["loss"]) for x, y, w in batches
        ]
print("LOSSES " + json.dumps(losses))
"""


def step_losses(backend, placements):
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, "-c", STEPS, backend, *placements], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("LOSSES "))
    return json.loads(line.removeprefix("LOSSES "))


def test_jax_data_and_model_parallel_steps_equal_one_device_s():
    losses = step_losses("jax", [":", "data:2", "data:4", "model:2"])
    single = losses.pop(":")
    assert single[-1] < single[0]
    for placement, trajectory in losses.items():
        # One program over the global batch: the same numbers up to float summation order.
        assert trajectory == pytest.approx(single, rel=1e-4), placement


@pytest.mark.slow
def test_tensorflow_mirrored_steps_equal_one_device_s():
    # One process per placement: TensorFlow's collectives keep one group size a process.
    single, two, four = (step_losses("tensorflow", [p])[p] for p in (":", "data:2", "data:4"))
    assert single[-1] < single[0]
    # Each replica's share of the loss and the summed gradients make the same step.
    assert two == pytest.approx(single, rel=1e-4)
    assert four == pytest.approx(single, rel=1e-4)


@pytest.mark.slow
def test_a_distributed_pretraining_run_records_its_placement(tmp_path):
    """Through the CLI, as a user runs it: JAX data parallel on 2 virtual devices."""
    import tomllib

    command = [
        sys.executable, "-m", "ssl_domains.cli.main", "pretrain", "--domain", "finance",
        "--backend", "jax", "--distribute", "data", "--devices", "2", "--steps", "4",
        "--batch-size", "8", "--set", "model.size=nano", "--run-dir", str(tmp_path / "run"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "DataParallel over mesh {batch: 2}" in done.stderr + done.stdout
    run = tomllib.loads((tmp_path / "run" / "run.toml").read_text())["run"]
    assert (run["distribute"], run["devices"]) == ("data", 2)
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    metrics = [json.loads(line) for line in lines]
    assert all(m["loss"] == m["loss"] for m in metrics if "loss" in m)  # no NaN


def jax_processes(*args: str, logs: Path, count: int = 2) -> list[Result]:
    """`ssl-domains ARGS` as `count` JAX processes on this host, one CPU device each,
    joined into one run by `keras.distribution.initialize` (as on several hosts)."""
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    started = []
    for index in range(count):
        env = {
            **os.environ,
            "KERAS_BACKEND": "jax",
            "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"localhost:{port}",
            "KERAS_DISTRIBUTION_NUM_PROCESSES": str(count),
            "KERAS_DISTRIBUTION_PROCESS_ID": str(index),
        }
        out, err = (open(logs / f"process-{index}.{n}", "w+") for n in ("out", "err"))
        command = [sys.executable, "-m", "ssl_domains.cli.main", *args]
        started.append((subprocess.Popen(command, stdout=out, stderr=err, env=env), out, err))
    results = []
    try:
        for process, out, err in started:
            process.wait(timeout=900)
            out.seek(0), err.seek(0)
            results.append(Result(process.returncode, out.read(), err.read()))
    finally:  # one process left alone waits in its collectives for ever
        for process, out, err in started:
            process.kill()
            process.wait()
            out.close(), err.close()
    return results


@pytest.mark.slow
def test_two_jax_processes_train_and_resume_as_one_process_does(tmp_path):
    """Two processes, as on two hosts: the input is split between them, the chief alone
    writes the run, and a resume on every process (the others read a copy of the
    chief's checkpoint) ends on the losses of one uninterrupted process. Stopped in
    mid-epoch, the resume runs two fits, each with its own input pipeline. The same
    checkpoint resumed by one process ends on those losses too."""
    common = [
        "--domain", "finance", "--backend", "jax", "--steps", "6", "--batch-size", "8",
        "--set", "model.size=nano", "--set", "train.log_every=1",
        "--set", "train.checkpoint_every=2",
    ]  # fmt: skip
    one = run_cli("pretrain", *common, "--run-dir", str(tmp_path / "one"), backend="jax")
    assert one.returncode == 0, one.stderr[-3000:]

    run = tmp_path / "two"
    two = ["--distribute", "data", "--devices", "0", "--run-dir", str(run)]
    cut = jax_processes("pretrain", *common, *two, "--set", "train.stop_at=3", logs=tmp_path)
    assert all(p.returncode == 0 for p in cut), cut[1].output[-3000:] + cut[0].output[-3000:]
    assert "DataParallel over mesh {batch: 2} in 2 processes" in cut[0].output
    assert run_steps(run) == [1, 2, 3]
    shutil.copytree(run, tmp_path / "elastic")
    resumed = jax_processes("pretrain", "--resume", str(run), logs=tmp_path)
    assert all(p.returncode == 0 for p in resumed), resumed[1].output[-3000:]
    assert "ssl-domains-worker-" in resumed[1].output  # the other process wrote a copy

    def losses(path):
        return [m["loss"] for m in metrics(path) if "loss" in m]

    assert run_steps(run) == [1, 2, 3, 4, 5, 6]
    assert losses(run) == pytest.approx(losses(tmp_path / "one"), rel=1e-5)
    assert not list(run.glob("*.partial*")) and not list(run.glob("checkpoints/.*"))

    # The position saved is the global stream's, so the run goes on in one process too.
    alone = run_cli("pretrain", "--resume", str(tmp_path / "elastic"), backend="jax")
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert losses(tmp_path / "elastic") == pytest.approx(losses(tmp_path / "one"), rel=1e-5)


def run_steps(run: Path) -> list[int]:
    return [m["step"] for m in metrics(run) if "loss" in m]


@pytest.mark.parametrize("recipe, domain", [("electra", "finance"), ("wav2vec2", "speech")])
def test_recipes_keras_distributes_oddly_on_tensorflow_train_mirrored(recipe, domain, tmp_path):
    """ELECTRA's evaluation predicts batches (Keras's `predict_on_batch` returns every
    replica's copy of the batch under a strategy); wav2vec 2.0's batches carry a
    padding mask (Keras averages a batch across replicas to build the model, and
    TensorFlow cannot add bools). Both failed under `--distribute data` before."""
    command = [
        sys.executable, "-m", "ssl_domains.cli.main", "pretrain", "--domain", domain,
        "--recipe", recipe, "--backend", "tensorflow", "--distribute", "data",
        "--devices", "2", "--steps", "2", "--batch-size", "8", "--set", "model.size=nano",
        "--run-dir", str(tmp_path / "run"),
    ]  # fmt: skip
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    final = [json.loads(line) for line in lines if '"final"' in line][-1]
    assert len(final) > 3 and all(math.isfinite(v) for v in final.values() if v is not True)


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


def test_several_processes_refuse_a_validation_split_without_a_whole_batch(monkeypatch):
    """Evaluating no batch failed deep inside Keras (a variable with no initializer)."""
    import tensorflow as tf

    from ssl_domains.training import distribution

    monkeypatch.setattr(distribution, "spans_processes", lambda *placement: True)
    monkeypatch.setattr(distribution, "batch_devices", lambda *placement: 2)

    def whole(rows):  # cut by `even_batches`, in global batches of 8
        return distribution.even_batches(tf.data.Dataset.range(rows).batch(8), "jax", "data", 8)

    distribution.check_validation_batches(whole(8), "jax", "data", 8)
    with pytest.raises(UserError, match="less than one global batch"):
        distribution.check_validation_batches(whole(7), "jax", "data", 8)


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


# One TensorFlow worker of two (TF_CONFIG), set up as `pretrain` sets it up. Its
# variable, made in the strategy's scope, starts as worker 0's (1.0) on both; a
# value of its own (1.0 or 2.0) is summed across both workers.
WORKER = """
import sys
from ssl_domains.backend import select_backend

select_backend("tensorflow")
import tensorflow as tf
from ssl_domains.training.distribution import distribution_scope

own = float(sys.argv[1]) + 1.0
with distribution_scope("tensorflow", "data", 1):
    strategy = tf.distribute.get_strategy()
    weight = tf.Variable(own)
weights = strategy.reduce("SUM", strategy.run(lambda: tf.identity(weight)), axis=None)
values = strategy.reduce("SUM", strategy.run(lambda: tf.constant(own)), axis=None)
print("SUMS", strategy.num_replicas_in_sync, float(weights), float(values))
"""


@pytest.mark.slow
def test_two_tensorflow_workers_form_one_strategy_and_reduce_across_it():
    """Two processes on this host stand for two hosts. TensorFlow configures collective
    ops only before it initialises its devices, which `select_backend` did at once
    until this ran ("Collective ops must be configured at program startup")."""
    import socket

    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("localhost", 0))
            ports.append(probe.getsockname()[1])
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(index)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "KERAS_BACKEND": "tensorflow",
                "TF_CONFIG": json.dumps(
                    {"cluster": cluster, "task": {"type": "worker", "index": index}}
                ),
            },
        )
        for index in range(2)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-3000:]
        assert "SUMS 2 2.0 3.0" in out


# Predictions of 7 rows in batches of 4 under data parallelism on 2 devices, against
# the same weights on one device: the short batch is padded, and the padding dropped.
PREDICT = """
import sys
import numpy as np
from ssl_domains.backend import select_backend

backend = sys.argv[1]
select_backend(backend, devices=2)
import keras, tensorflow as tf
from ssl_domains.training.distribution import distribution_scope, predict_padded

rows = np.random.default_rng(0).normal(size=(7, 3)).astype("float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
alone = model.predict(rows, verbose=0)
with distribution_scope(backend, "data", 2):
    spread = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    spread.set_weights(model.get_weights())
    predicted = predict_padded(spread, tf.data.Dataset.from_tensor_slices(rows).batch(4), 7)
print(predicted.shape, float(np.abs(predicted - alone).max()))
"""


@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_distributed_predictions_are_the_rows_one_device_predicts(backend):
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, "-c", PREDICT, backend], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    shape, difference = done.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    assert shape == "(7, 2)"
    assert float(difference) < 1e-5


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend, distribute", [("jax", "data"), ("tensorflow", "data"), ("jax", "model")]
)
def test_a_distributed_fine_tuning_run_reports_on_every_validation_row(
    backend, distribute, tmp_path, pretrained_run, labeled_files
):
    """`finetune --distribute data|model --devices 2`, as a user runs it, on a
    validation file of 7 rows: an odd batch for 2 devices (and keras-hub's bool
    padding masks, which Keras's TensorFlow trainer cannot average across replicas
    unless cast)."""
    import tomllib

    from conftest import run_cli

    rows = labeled_files["classification"].read_text().splitlines()
    train, validation = tmp_path / "train.csv", tmp_path / "validation.csv"
    train.write_text("\n".join(rows[:-7]) + "\n")
    validation.write_text("\n".join([rows[0], *rows[-7:]]) + "\n")
    result = run_cli(
        "finetune", str(pretrained_run), "--data", str(train), "--eval-data", str(validation),
        "--distribute", distribute, "--devices", "2", "--steps", "6", "--batch-size", "8",
        "--backend", backend, "--run-dir", str(tmp_path / "run"),
        backend=backend,
    )  # fmt: skip
    assert result.returncode == 0, result.output[-3000:]
    placed = {"data": ["over mesh {batch: 2}", "over 2 replicas"], "model": ["ModelParallel"]}
    assert any(words in result.output for words in placed[distribute]), result.output[-3000:]
    config = tomllib.loads((tmp_path / "run" / "run.toml").read_text())["run"]
    assert (config["distribute"], config["devices"]) == (distribute, 2)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert sum(row["support"] for row in report["per_class"].values()) == 7
