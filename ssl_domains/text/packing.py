"""Token streams into training rows: chunking long documents, packing short ones."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def chunk_tokens(tokens: tf.RaggedTensor, size: int) -> tf.RaggedTensor:
    """Cut each row of `tokens` into consecutive chunks of at most `size` tokens.

    `[[1, 2, 3, 4, 5]]` with size 2 -> `[[1, 2], [3, 4], [5]]`.
    """
    lengths = tokens.row_lengths()
    index = tf.ragged.range((lengths + size - 1) // size)
    doc_length = tf.gather(lengths, index.value_rowids())
    chunk_lengths = tf.minimum(tf.cast(size, lengths.dtype), doc_length - index.flat_values * size)
    return tf.RaggedTensor.from_row_lengths(tokens.flat_values, chunk_lengths)


def pack_tokens(
    documents: tf.data.Dataset, length: int, separator: int | list[int]
) -> tf.data.Dataset:
    """Pack tokenised documents into rows of exactly `length` tokens.

    `documents` yields ragged batches `[docs, (tokens)]`. Each document is followed by
    `separator` (one id, or a few: a packer's `end_value`) and the stream is cut every
    `length` tokens, so a row holds the end of one document, a separator and the start
    of the next, as RoBERTa's FULL-SENTENCES inputs do, and no row is padded: only the
    stream's last row is shorter. A long document spans consecutive rows, in order.

    `[[1, 2, 3], [4, 5]]` with length 4 and separator 9 -> `[1, 2, 3, 9]`, `[4, 5, 9]`.
    """
    empty = tf.zeros([0], tf.int64)
    end = tf.constant(np.atleast_1d(separator), tf.int64)

    def flatten(tokens):
        tokens = tf.cast(tokens, tf.int64)
        ends = tf.tile(end[None], [tokens.nrows(), 1])
        return tf.concat([tokens, ends], axis=1).flat_values, False

    def cut(leftover, element):
        flat, last = element
        stream = tf.concat([leftover, flat], axis=0)
        size = tf.size(stream, tf.int64)
        full = size // length
        taken = tf.where(last, size, full * length)
        lengths = tf.fill([full], tf.constant(length, tf.int64))
        lengths = tf.cond(
            last & (size % length > 0),
            lambda: tf.concat([lengths, [size % length]], 0),
            lambda: lengths,
        )
        return stream[taken:], (stream[:taken], lengths)

    flush = tf.data.Dataset.from_tensors((empty, True))
    streams = documents.map(flatten).concatenate(flush).scan(empty, cut)
    return streams.flat_map(
        lambda values, lengths: tf.data.Dataset.from_tensor_slices(
            tf.RaggedTensor.from_row_lengths(values, lengths)
        )
    )
