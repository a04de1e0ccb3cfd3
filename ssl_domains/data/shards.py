"""Shards: the TFRecord files a prepared corpus is stored in, one `tf.train.Example`
per cleaned record, in the schema of its modality (`Modality.features`)."""

from __future__ import annotations

from pathlib import Path

SHARD_BYTES = 256 * 2**20


class ShardWriter:
    """Writes records to `<split>-NNNNN.tfrecord` files of at most SHARD_BYTES each."""

    def __init__(self, directory: Path, split: str):
        self.directory, self.split = directory, split
        self.paths: list[str] = []
        self._writer = None
        self._size = 0

    def write(self, data: bytes) -> None:
        import tensorflow as tf

        if self._writer is None or self._size >= SHARD_BYTES:
            self.close()
            path = self.directory / f"{self.split}-{len(self.paths):05d}.tfrecord"
            self._writer = tf.io.TFRecordWriter(str(path))
            self.paths.append(path.name)
            self._size = 0
        self._writer.write(data)
        self._size += len(data)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def read_records(paths: list[str | Path], modality, shuffle: int = 0, seed: int = 0):
    """The records of shards `paths` as a tf.data stream, decoded by `modality` (strings
    for text, float32 waveforms for audio); shuffled in a `shuffle`-record buffer."""
    import tensorflow as tf

    paths = [str(p) for p in paths]
    records = tf.data.TFRecordDataset(paths, num_parallel_reads=min(len(paths), 8) or None)
    if shuffle:
        records = records.shuffle(shuffle, seed=seed)
    return records.map(modality.decode, num_parallel_calls=tf.data.AUTOTUNE)
