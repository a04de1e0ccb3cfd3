"""Training on several devices through the engines' own distribution APIs.

`run.distribute` picks how, `run.devices` on how many (0: all there are):

- JAX: `data` is `keras.distribution.DataParallel`; `model` is `ModelParallel` with
  `bert_layout_map` (BERT-family encoders). Hosts join through
  `keras.distribution.initialize`, from the environment it reads. Keras shards the
  input per process (`DataParallel.distribute_dataset`), and a step is one program
  over the global batch, so losses see every replica's rows.
- TensorFlow: `data` is `tf.distribute.MirroredStrategy` on one host,
  `MultiWorkerMirroredStrategy` when `TF_CONFIG` names several workers, and
  `TPUStrategy` when `TPU_NAME` is set. Keras distributes the tf.data input; models are
  built and compiled inside the strategy's scope.
- PyTorch: Keras 3.15 has no distribution for torch; a run there is refused.

On a host with no accelerator, `--devices N` splits the CPU into N virtual devices
(`make_virtual_devices`, before the backend is imported), so every path runs on a
laptop.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from ssl_domains.errors import UserError

# A flag of XLA's host platform: CPU devices JAX shows (real accelerators unaffected).
HOST_DEVICE_FLAG = "--xla_force_host_platform_device_count"


def make_virtual_devices(backend: str, devices: int) -> None:
    """Before `backend` (and TensorFlow) is imported: let a CPU-only host show
    `devices` devices. JAX reads an XLA flag at import; TensorFlow is configured in
    `split_cpu` once imported, before it initialises its devices."""
    if devices > 1 and backend == "jax" and HOST_DEVICE_FLAG not in os.environ.get("XLA_FLAGS", ""):
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} {HOST_DEVICE_FLAG}={devices}".strip()


def split_cpu(tf, devices: int) -> None:
    """Split the CPU into `devices` logical TensorFlow devices if there is no GPU or
    TPU to use (must run before TensorFlow initialises its devices)."""
    if devices > 1 and not tf.config.list_physical_devices("GPU"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * devices
        )


def distribution_scope(backend: str, distribute: str, devices: int):
    """A context in which to build, compile and fit the run's model, placing it as
    `distribute` says (no-op for ""). Refuses what the backend cannot do."""
    if not distribute:
        return contextlib.nullcontext()
    if backend == "jax":
        return _keras_distribution(distribute, devices).scope()
    if backend == "tensorflow":
        if distribute == "model":
            raise UserError(
                "--distribute model shards weights with keras.distribution, which runs on "
                "JAX: add --backend jax (TensorFlow distributes data only)"
            )
        return _tf_strategy(devices).scope()
    raise UserError(
        f"--distribute needs --backend jax or tensorflow: Keras has no distribution "
        f"for {backend}; run on one device without --distribute"
    )


def tf_multi_worker() -> bool:
    """Whether `TF_CONFIG` names several TensorFlow workers (a chief counts as one)."""
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster") or {}
    return len(cluster.get("chief", [])) + len(cluster.get("worker", [])) > 1


def is_chief(backend: str) -> bool:
    """Whether this process writes the run directory (the others train alongside)."""
    if backend == "jax" and "jax" in sys.modules:
        import jax

        return jax.process_index() == 0
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task, cluster = config.get("task") or {}, config.get("cluster") or {}
    if not task:
        return True
    if "chief" in cluster:
        return task.get("type") == "chief"
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0


def place_run(resume, run_config):
    """The run this process resumes (`resume`, or None for a new run), once
    `run_config.dir` says where this process writes. The chief writes the real run.
    Each other process writes a scratch directory, removed at exit: a new run's copy,
    or, when resuming, a copy of the run (`RunDirectory.scratch_copy`) from which it
    reads the checkpoint, so that it neither locks the chief's run nor writes to it."""
    if is_chief(run_config.backend):
        return resume
    if resume:
        resume = resume.scratch_copy(Path(_scratch()) / resume.path.name)
        run_config.dir = str(resume.path)
    else:
        run_config.dir = _scratch()
    return resume


def _scratch() -> str:
    path = tempfile.mkdtemp(prefix="ssl-domains-worker-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def check_batch_size(backend: str, distribute: str, batch_size: int) -> str:
    """Where the current scope places a run, in words (see `placement`), once
    `batch_size` is known to split evenly over its devices."""
    devices = batch_devices(backend, distribute)
    if batch_size % devices:
        raise UserError(f"--batch-size {batch_size} does not split evenly over {devices} devices")
    return placement(backend, distribute)


def placement(backend: str, distribute: str) -> str:
    """Where the current scope places a run, in words, e.g. 'DataParallel over mesh
    {batch: 2}' (empty without distribution)."""
    if not distribute:
        return ""
    if backend == "jax":
        from keras import distribution

        current = distribution.distribution()
        mesh = current.device_mesh
        axes = ", ".join(f"{n}: {k}" for n, k in zip(mesh.axis_names, mesh.shape, strict=True))
        kind = {"data": "DataParallel", "model": "ModelParallel"}[distribute]
        if spans_processes(backend, distribute):
            import jax

            return f"{kind} over mesh {{{axes}}} in {jax.process_count()} processes"
        return f"{kind} over mesh {{{axes}}}"
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    return f"{type(strategy).__name__} over {strategy.num_replicas_in_sync} replicas"


def batch_devices(backend: str, distribute: str) -> int:
    """How many devices each global batch is split over (1 without distribution)."""
    if not distribute:
        return 1
    if backend == "jax":
        from keras import distribution

        mesh = distribution.distribution().device_mesh
        return mesh.shape[mesh.axis_names.index("batch")]
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def even_batches(batches, backend: str, distribute: str, batch_size: int):
    """`batches` (tf.data, any nest of tensors with rows first) with each batch cut to a
    multiple of the devices it is split over, and emptied ones dropped. A corpus's last
    batch is usually short: XLA shards only even splits, and Keras's tf.distribute
    steps fail on a replica left with no rows. Loses fewer rows than there are devices.

    When the devices span several processes (multi-host JAX), only whole batches of
    `batch_size` rows are kept, with that size in their static shape. Keras splits
    each global batch among the processes (`DataParallel.distribute_dataset`), which
    needs the batch size known before reading, and every process must run as many
    steps, on parts of one shape, or the collectives wait forever. Loses less than one
    batch per pass.

    Without distribution, `batches` as they are.
    """
    if not distribute:
        return batches
    import tensorflow as tf

    devices = batch_devices(backend, distribute)
    whole = spans_processes(backend, distribute)
    least = batch_size if whole else 1  # rows a kept batch has at least

    def usable(*batch):
        return tf.shape(tf.nest.flatten(batch)[0])[0] // devices * devices

    def cut(*batch):
        rows = usable(*batch)
        cut_batch = tf.nest.map_structure(lambda t: t[:rows], batch)
        if whole:
            for tensor in tf.nest.flatten(cut_batch):
                tensor.set_shape([batch_size, *tensor.shape[1:]])
        return cut_batch if len(batch) > 1 else cut_batch[0]

    # The same ops on one device or several, in one process or several: the stream's
    # saved position (a tf.data iterator checkpoint, which finds ops by name) then
    # resumes on another count of processes.
    return batches.filter(lambda *b: usable(*b) >= least).map(cut)


def check_validation_batches(batches, backend: str, distribute: str, batch_size: int) -> None:
    """`UserError` if several processes would have no validation batch: they keep only
    whole ones (`even_batches`), and a split smaller than one global batch has none."""
    if spans_processes(backend, distribute) and not any(True for _ in batches.take(1)):
        raise UserError(
            f"the validation split holds less than one global batch ({batch_size} rows), "
            f"and several processes evaluate whole batches only: lower --batch-size or "
            f"raise data.validation_fraction"
        )


@contextlib.contextmanager
def uncounted_batches():
    """A context for fits and evaluations of batches cut by `even_batches`: filtered,
    they have no known length, and Keras warns at their end that the input ran out
    (`EpochIterator.catch_stop_iteration`), which here is not a fault."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Your input ran out of data")
        yield


def spans_processes(backend: str, distribute: str) -> bool:
    """Whether the run's devices belong to several processes (JAX hosts joined by
    `keras.distribution.initialize`)."""
    if backend != "jax" or not distribute or "jax" not in sys.modules:
        return False
    import jax

    return jax.process_count() > 1


def replica_safe(batches):
    """`batches` (tf.data, or None) with bool tensors as int32 under a TensorFlow
    strategy, else as they are. Before each fit, Keras 3.15's TensorFlow trainer
    averages the first distributed batch across replicas to build the model
    (`_maybe_symbolic_build`), and TensorFlow cannot sum bools: a keras-hub padding
    mask would stop the fit. Masks read as 0/1 the same."""
    import keras

    if batches is None or keras.backend.backend() != "tensorflow":
        return batches
    import tensorflow as tf

    if not tf.distribute.has_strategy():
        return batches

    def as_ints(*batch):
        ints = tf.nest.map_structure(
            lambda t: tf.cast(t, "int32") if t.dtype == tf.bool else t, batch
        )
        return ints if len(batch) > 1 else ints[0]

    return batches.map(as_ints)


def predict_padded(model, batches, rows: int):
    """`model.predict` on `batches` (a one-pass tf.data dataset of `rows` rows) under
    whatever distribution is current: a short batch is padded with copies of its last
    row to a multiple of the devices (XLA shards only even splits), and the
    predictions of the padding are dropped."""
    import keras
    import tensorflow as tf

    devices = _current_batch_devices()
    if devices > 1:

        def pad(batch):
            short = -tf.shape(tf.nest.flatten(batch)[0])[0] % devices
            return tf.nest.map_structure(
                lambda t: tf.concat([t, tf.repeat(t[-1:], short, axis=0)], 0), batch
            )

        batches = batches.map(pad)
    outputs = model.predict(batches, verbose=0)
    return keras.tree.map_structure(lambda output: output[:rows], outputs)


def _current_batch_devices() -> int:
    """How many devices the current distribution splits a batch over (1: none)."""
    import keras

    if keras.backend.backend() == "jax":
        from keras import distribution

        return batch_devices("jax", "data") if distribution.distribution() else 1
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.distribute.get_strategy().num_replicas_in_sync
    return 1


def _devices(available: list, wanted: int, what: str) -> list:
    if wanted > len(available):
        raise UserError(
            f"--devices {wanted}, but this host has {len(available)} {what} (on a CPU, "
            f"virtual devices are made when the backend starts: call "
            f"ssl_domains.backend.select_backend(backend, devices) before importing Keras)"
        )
    return available[: wanted or len(available)]


def _keras_distribution(distribute: str, devices: int):
    from keras import distribution

    if os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES"):  # several hosts
        distribution.initialize()
    chosen = _devices(distribution.list_devices(), devices, "JAX devices")
    if distribute == "data":
        return distribution.DataParallel(devices=chosen)
    mesh = distribution.DeviceMesh((1, len(chosen)), ("batch", "model"), chosen)
    return _whole_if_uneven(distribution.ModelParallel)(
        layout_map=bert_layout_map(mesh), batch_dim_name="batch"
    )


def _whole_if_uneven(model_parallel):
    """`ModelParallel` that keeps a variable whole when the mesh does not divide a
    dimension its layout splits (XLA needs even shards): e.g. a domain vocabulary of
    7,919 tokens on 2 devices stays replicated, and the rest is still sharded."""

    class WholeIfUneven(model_parallel):
        def get_variable_layout(self, variable):
            layout = super().get_variable_layout(variable)
            mesh = dict(zip(self.device_mesh.axis_names, self.device_mesh.shape, strict=True))
            if all(
                axis is None or size % mesh[axis] == 0
                for axis, size in zip(layout.axes, variable.shape, strict=True)
            ):
                return layout
            return type(layout)([None] * len(variable.shape), self.device_mesh)

    return WholeIfUneven


def _tf_strategy(devices: int):
    import tensorflow as tf

    if os.environ.get("TPU_NAME"):
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(os.environ["TPU_NAME"])
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    if tf_multi_worker():
        return tf.distribute.MultiWorkerMirroredStrategy()
    local = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    chosen = _devices(local, devices, "devices")
    return tf.distribute.MirroredStrategy([device.name for device in chosen])


def bert_layout_map(mesh):
    """How to shard a BERT-family keras-hub encoder (BERT, RoBERTa, ELECTRA: the
    `TransformerEncoder` layer names) over the mesh's "model" axis, Megatron-style
    (Shoeybi et al. 2019): each matmul pair is split so a block needs one all-reduce
    after attention and one after the feed-forward, and activations between the
    pair never move. (Keys are regexes matched against whole variable paths.)

    Variables no rule matches (layer norms, position and segment embeddings, the
    pooler, task heads) are small and stay replicated.
    """
    from keras.distribution import LayoutMap

    layout = LayoutMap(mesh)
    # The vocabulary is the largest matrix, and the MLM head reuses it for its logits:
    # split by rows (tokens), so each device holds a slice of the vocabulary.
    layout[".*token_embedding/embeddings"] = ("model", None)
    # Attention: split by heads (q/k/v kernels are [hidden, heads, head_dim]), so each
    # device computes whole heads and the softmax never crosses devices.
    layout[r".*self_attention_layer/(query|key|value)/kernel"] = (None, "model", None)
    layout[r".*self_attention_layer/(query|key|value)/bias"] = ("model", None)
    # ...and the output projection [heads, head_dim, hidden] by the same heads: its
    # partial sums meet in the block's first all-reduce.
    layout[".*self_attention_layer/attention_output/kernel"] = ("model", None, None)
    # Feed-forward: the first dense by columns, the second by rows (the second
    # all-reduce); the GELU between them runs on each device's own columns.
    layout[".*feedforward_intermediate_dense/kernel"] = (None, "model")
    layout[".*feedforward_intermediate_dense/bias"] = ("model",)
    layout[".*feedforward_output_dense/kernel"] = ("model", None)
    return layout
