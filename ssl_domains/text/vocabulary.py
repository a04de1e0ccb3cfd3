"""Domain vocabularies: train one from the corpus, or extend a pretrained one.

Training uses keras-hub's WordPiece trainer on words split by the domain's own
pre-tokeniser (units whole). Extension appends the corpus words that a pretrained
tokenizer shreds the most and grows the embedding matrix; existing rows are never
touched, and each new row starts as the mean of the pieces the word used to be.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from ssl_domains.errors import UserError

RESERVED = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"]


def train_vocabulary(
    texts: tf.data.Dataset,
    split_words: Callable[[tf.Tensor], tf.RaggedTensor],
    vocabulary_size: int,
    reserved: list[str],
) -> list[str]:
    """Train a WordPiece vocabulary on a dataset of strings.

    Args:
        texts: a dataset of single strings (the training split).
        split_words: strings -> ragged words: normalisation and pre-tokenisation.
        vocabulary_size: the most tokens to keep, reserved tokens included.
        reserved: tokens placed first, in order (`[PAD]` must be id 0).
    """
    import keras_hub

    words = texts.batch(512).map(split_words, num_parallel_calls=tf.data.AUTOTUNE)
    return keras_hub.tokenizers.compute_word_piece_vocabulary(
        words,
        vocabulary_size,
        lowercase=False,
        strip_accents=False,
        split=False,
        reserved_tokens=reserved,
    )


def count_words(
    texts: tf.data.Dataset,
    split_words: Callable[[tf.Tensor], tf.RaggedTensor],
    max_documents: int = 200_000,
) -> Counter[str]:
    """Word frequencies over (a sample of) a dataset of strings."""
    counts: Counter[str] = Counter()
    for words in texts.take(max_documents).batch(512).map(split_words):
        counts.update(w.decode("utf-8") for w in words.flat_values.numpy())
    return counts


def mine_domain_tokens(
    counts: Counter[str],
    tokenize: Callable[[list[str]], list[list[int]]],
    vocabulary: list[str],
    limit: int,
    min_count: int = 5,
) -> list[str]:
    """The `limit` words whose own token would save the most tokens on the corpus.

    A word seen `c` times that the current tokenizer splits into `p` pieces saves
    `c * (p - 1)` tokens once it is a token of its own.
    """
    known = set(vocabulary)
    candidates = [w for w, c in counts.items() if c >= min_count and w not in known]
    if not candidates or limit <= 0:
        return []
    pieces = tokenize(candidates)
    scored = [
        (counts[w] * (len(p) - 1), w) for w, p in zip(candidates, pieces, strict=True) if len(p) > 1
    ]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [w for _, w in scored[:limit]]


def literal_units(tokens: list[str]) -> str | None:
    """A pattern that keeps exactly these tokens whole (those with punctuation)."""
    needing = [t for t in tokens if re.search(r"[^\w]", t)]
    return "|".join(re.escape(t) for t in sorted(needing, key=len, reverse=True)) or None


def copy_weights_growing(
    pairs: list[tuple[keras.Variable, keras.Variable]],
    new_rows: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> None:
    """Copy each `(source, target)` variable pair, growing along the first axis.

    Where a target is longer along its first axis (a grown vocabulary), the old rows
    are copied unchanged and the extra rows come from `new_rows(old, fresh)`, or
    stay as the target's initializer made them.
    """
    for old_var, new_var in pairs:
        old = keras.ops.convert_to_numpy(old_var)
        if tuple(old.shape) == tuple(new_var.shape):
            new_var.assign(old)
            continue
        fresh = keras.ops.convert_to_numpy(new_var)
        if old.shape[1:] != fresh.shape[1:] or fresh.shape[0] < old.shape[0]:
            raise ValueError(f"cannot grow {old_var.path} from {old.shape} to {fresh.shape}")
        extra = fresh[old.shape[0] :]
        if new_rows is not None:
            extra = new_rows(old, extra)
        new_var.assign(np.concatenate([old, extra.astype(old.dtype)], axis=0))


def grow_backbone(
    backbone: keras.Model, vocabulary_size: int, piece_ids: list[list[int]]
) -> keras.Model:
    """A copy of `backbone` with a larger vocabulary; old embedding rows unchanged.

    `piece_ids[i]` lists the old token ids that new token `i` used to be split into;
    its embedding starts as their mean, a better start than noise.
    """
    config = backbone.get_config()
    key = next((k for k in ("vocabulary_size", "vocab_size") if k in config), None)
    if key is None:
        raise UserError(f"{type(backbone).__name__} has no vocabulary to extend")
    config[key] = vocabulary_size
    grown = type(backbone).from_config(config)

    def mean_of_pieces(old: np.ndarray, fresh: np.ndarray) -> np.ndarray:
        if old.ndim != 2 or len(piece_ids) != len(fresh):
            return fresh
        rows = zip(piece_ids, fresh, strict=True)
        return np.stack([old[ids].mean(axis=0) if ids else row for ids, row in rows])

    copy_weights_growing(list(zip(backbone.weights, grown.weights, strict=True)), mean_of_pieces)
    return grown
