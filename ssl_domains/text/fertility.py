"""How a tokenizer cuts a corpus: tokens per word, and records' lengths in tokens."""

from __future__ import annotations


def fertility(texts, tokenizer, normalizer, max_documents: int = 5000) -> float:
    """Tokens per whitespace-separated word, over (a sample of) the texts."""
    import tensorflow as tf

    def count(batch):
        normalized = normalizer(batch) if normalizer is not None else batch
        return (
            tf.reduce_sum(tokenizer(normalized).row_lengths()),
            tf.reduce_sum(tf.strings.split(normalized).row_lengths()),
        )

    tokens = words = 0
    for batch_tokens, batch_words in texts.take(max_documents).batch(256).map(count):
        tokens, words = tokens + int(batch_tokens), words + int(batch_words)
    return tokens / max(words, 1)


SHORT = 0.25  # a record under a quarter of seq_len tokens counts as far shorter


def token_lengths(texts, tokenizer, normalizer, sequence_length: int, max_documents=20_000):
    """(power-of-two histogram of tokens per record, share under SHORT * seq_len)."""
    from collections import Counter

    from ssl_domains.data.prepare_corpus import length_bin, sorted_bins

    counts: Counter[str] = Counter()
    short = total = 0

    def count(batch):  # in a tf.data map, where keras-hub tokenizers return ragged tensors
        normalized = normalizer(batch) if normalizer is not None else batch
        return tokenizer(normalized).row_lengths()

    for lengths in texts.take(max_documents).batch(256).map(count).as_numpy_iterator():
        counts.update(length_bin(int(n)) for n in lengths)
        short += int((lengths < SHORT * sequence_length).sum())
        total += len(lengths)
    return sorted_bins(counts), short / max(total, 1)
