"""Where a run is in its training stream, saved with each checkpoint.

A resumed run must see the batches an uninterrupted one would have seen next, in the
same order, without replaying the ones before (Hugging Face Trainer skips batches by
drawing them again: transformers issue 11284 took 28 hours for 660k batches).

`ResumableBatches` owns the tf.data iterator of the training batches and hands its
batches to `Model.fit` as a generator. Its position is saved with tf.data's own
iterator checkpointing (`tf.train.Checkpoint(iterator=...)`), which stores the read
offsets and the shuffle buffers, not the data before them: restoring costs the same
at step 10 and at step 10 million. Keras reads a few batches ahead of the one it
trains on (a prefetch buffer), so the iterator is always a little further than the
model; the batches read but not yet trained on are saved beside it and handed out
first after a restore. For the same reason, each new reader (a fit's input pipeline;
Keras also opens one to peek at a batch when it builds a model's metrics, and drops
it) starts at the first batch not trained on, so no batch is lost to a dropped
read-ahead. Processes training one model together then stay on the same batches.

Random draws in the input pipeline (MLM masks, audio crops) are stateless functions
of a per-example seed (see `ssl_domains.training.data_seeds`), so they are part of
the position too; random draws in the model's step (image views, dropout) come from
Keras `SeedGenerator`s, whose state the checkpoint saves (`checkpoints.RANDOM_STATE`).
"""

from __future__ import annotations

import collections
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

PENDING = "pending.npz"
POSITION = "position.json"


class Positioned(NamedTuple):
    """Training batches made by `lookup` from a stream of small `positions` (batches of
    row numbers). `ResumableBatches` then saves positions, never the batches: a
    fine-tuning checkpoint holds no labeled row. Iterating it iterates the batches."""

    positions: Any  # a tf.data dataset
    lookup: Callable  # a batch of positions -> the batch trained on

    def dataset(self, positions=None):
        """The batches (of `positions`, by default the stream's own)."""
        import tensorflow as tf

        positions = self.positions if positions is None else positions
        return positions.map(self.lookup, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)

    def __iter__(self):
        return iter(self.dataset())


class ResumableBatches:
    """An endless stream of training batches from `dataset` whose position can be saved.

    Args:
        dataset: a tf.data dataset of batches (`(x, y)` / `(x, y, w)` tuples or a
            single structure); it is repeated, so it may be finite. Or `Positioned`
            batches, of which the positions are what is read ahead and saved.
        lookahead: the most batches the consumer may read ahead of the one it trains
            on (Keras's prefetch); saving with more pending is an error.

    The consumer says what it trained on (`mark_trained`, after each batch): a new
    generator starts there.

    Examples:

    ```python
    import tensorflow as tf
    from ssl_domains.training.data_position import ResumableBatches

    stream = ResumableBatches(tf.data.Dataset.range(100).shuffle(10, seed=0).batch(4))
    batches = stream.generator()
    first = [next(batches) for _ in range(3)]
    stream.save("position", trained=2)   # the model trained on 2 of the 3 read
    again = ResumableBatches(tf.data.Dataset.range(100).shuffle(10, seed=0).batch(4))
    again.restore("position")
    next(again.generator())               # == first[2]
    ```
    """

    def __init__(self, dataset, lookahead: int = 256):
        import tensorflow as tf

        options = tf.data.Options()
        # A stateful op left in a third-party pipeline must not stop checkpoints; its
        # draws then restart from their seed after a resume (the data order does not).
        options.experimental_external_state_policy = tf.data.experimental.ExternalStatePolicy.WARN
        self._batches = dataset if isinstance(dataset, Positioned) else None
        if self._batches is not None:
            dataset = dataset.positions
        self.dataset = dataset.repeat().with_options(options)
        self._iterator = iter(self.dataset)
        self.lookahead = lookahead
        self._recent: collections.deque = collections.deque()  # (index, batch), not trained
        self._replay: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self.read = 0  # batches handed out since the start of the run
        self.trained = 0  # of those, the ones the consumer said it trained on
        self._generation = 0

    def as_dataset(self):
        """The stream as a tf.data dataset (what `Model.fit` and keras-hub's tasks take
        on every backend); its batches come from `generator`, a few read ahead."""
        import tensorflow as tf

        spec = self.dataset.element_spec
        read = tf.data.Dataset.from_generator(self.generator, output_signature=spec)
        return self._batches.dataset(read) if self._batches else read.prefetch(2)

    def generator(self):
        """The batches, as numpy structures, from the first one not trained on. A
        generator made before the newest one stops: what it had read ahead is handed
        out again by the new one."""
        with self._lock:
            self._rewind()
            generation = self._generation
        while True:
            with self._lock:
                if generation != self._generation:
                    return
                if self._replay:
                    batch = self._replay.popleft()
                else:
                    batch = as_numpy(next(self._iterator))
                self._recent.append((self.read, batch))
                self.read += 1
                if len(self._recent) > self.lookahead:
                    self._recent.popleft()  # nobody said it was trained: keep memory bounded
            yield batch

    def _rewind(self) -> None:
        """The batches read past `trained` go back to the front of the stream, and
        older generators stop (the lock is held)."""
        self._replay.extendleft(reversed(self._read_ahead(self.trained)))
        self._recent.clear()
        self.read = self.trained
        self._generation += 1

    def _read_ahead(self, trained: int) -> list:
        """The batches handed out past the first `trained` (the lock is held)."""
        ahead = [batch for index, batch in self._recent if index >= trained]
        if len(ahead) != self.read - trained:
            raise RuntimeError(
                f"the data position is lost: {self.read} batches read, {trained} trained, "
                f"{len(ahead)} of those between kept (lookahead {self.lookahead})"
            )
        return ahead

    def mark_trained(self, trained: int) -> None:
        """The consumer has trained on the first `trained` batches: forget them."""
        with self._lock:
            self.trained = trained
            while self._recent and self._recent[0][0] < trained:
                self._recent.popleft()

    def save(self, directory: str | Path, trained: int) -> None:
        """Save the position after `trained` batches (counted from the start of the run)."""
        import tensorflow as tf

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            pending = self._read_ahead(trained) + list(self._replay)
            tf.train.Checkpoint(iterator=self._iterator).write(str(directory / "iterator"))
            save_batches(directory / PENDING, pending)
            (directory / POSITION).write_text(json.dumps({"batches": trained}) + "\n")

    def restore(self, directory: str | Path) -> int:
        """Continue from a saved position; returns the batches trained before it."""
        import tensorflow as tf

        directory = Path(directory)
        tf.train.Checkpoint(iterator=self._iterator).read(str(directory / "iterator"))
        with self._lock:
            self._replay = collections.deque(load_batches(directory / PENDING))
            self._recent.clear()
            self.read = self.trained = json.loads((directory / POSITION).read_text())["batches"]
        return self.read


def as_numpy(batch):
    import keras

    return keras.tree.map_structure(lambda t: t.numpy(), batch)


def save_batches(path: Path, batches: list) -> None:
    """Batches of nested numpy structures, flattened into one .npz (structure in JSON)."""
    import keras

    arrays, structures = {}, []
    for i, batch in enumerate(batches):
        leaves = keras.tree.flatten(batch)
        structures.append(keras.tree.map_structure(lambda _: 0, batch))
        arrays.update({f"{i}/{j}": leaf for j, leaf in enumerate(leaves)})
    layout = json.dumps(structures)
    with path.open("wb") as handle:
        np.savez(handle, _layout=np.array(layout), **arrays)


def load_batches(path: Path) -> list:
    import keras

    with np.load(path) as saved:
        structures = json.loads(str(saved["_layout"]))
        batches = []
        for i, structure in enumerate(structures):
            structure = tuple(structure) if isinstance(structure, list) else structure  # JSON
            leaves = keras.tree.flatten(structure)
            values = [saved[f"{i}/{j}"] for j in range(len(leaves))]
            batches.append(keras.tree.pack_sequence_as(structure, values))
    return batches
