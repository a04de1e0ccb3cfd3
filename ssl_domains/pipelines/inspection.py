"""`inspect_corpus`: what pretraining would make of a corpus, without training.

The corpus goes through the same reading, redaction, quality checks and duplicate
removal as in `pretrain`; then the domain's WordPiece vocabulary is trained on it
and its fertility (tokens per word) measured, next to a pretrained tokenizer's
before and after `--extend-vocab`, if one is given.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ssl_domains.config import RunConfig
from ssl_domains.data.prepare_corpus import CorpusReport, prepare_corpus
from ssl_domains.data.records import ReadOptions


@dataclass
class Inspection:
    report: CorpusReport
    fertility: dict[str, float] = field(default_factory=dict)
    vocabulary_sizes: dict[str, int] = field(default_factory=dict)
    added_tokens: list[str] = field(default_factory=list)
    # Records' lengths in tokens of the tokenizer pretraining would use, against seq_len.
    token_lengths: dict[str, int] = field(default_factory=dict)
    sequence_length: int = 0
    short_share: float = 0.0

    @property
    def mostly_short(self) -> bool:
        """Most records far shorter than a training sequence: each is a fragment (one
        line of a hard-wrapped file?) more than a document."""
        return self.short_share > 0.5


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


def inspect_corpus(
    domain, files: list[Path], config: RunConfig, tokenizer_source: str = "", extend: int = 0
) -> Inspection:
    """Prepare `files` in a scratch directory and measure the corpus and its tokenizers."""
    import tensorflow as tf

    from ssl_domains.pipelines.pretraining import deduplicator
    from ssl_domains.presets.encoder import Encoder
    from ssl_domains.presets.sources import resolve_source
    from ssl_domains.text import encoder as text

    options = ReadOptions(config.data.text_field, config.data.text_column, config.data.txt_mode)
    with tempfile.TemporaryDirectory() as scratch:
        report = prepare_corpus(
            domain,
            files,
            Path(scratch),
            options,
            config.data.validation_fraction,
            dedup=deduplicator(config),
        )
        paths = [str(Path(scratch) / f) for f in report.train_files + report.validation_files]
        records = tf.data.TFRecordDataset(paths)
        result = Inspection(report)
        if domain.modality != "text":
            return result
        normalizer = text.domain_normalizer(domain)
        own = text.fresh_vocabulary(domain, config, records)
        result.fertility["domain vocabulary"] = fertility(records, own, normalizer)
        result.vocabulary_sizes["domain vocabulary"] = own.vocabulary_size()
        used = own
        if tokenizer_source:
            encoder = Encoder.load(resolve_source(tokenizer_source))
            used = encoder.tokenizer
            name = tokenizer_source
            result.fertility[name] = fertility(records, encoder.tokenizer, normalizer)
            result.vocabulary_sizes[name] = encoder.tokenizer.vocabulary_size()
            if extend:
                extended, result.added_tokens, _ = text.extended_tokenizer(
                    encoder.tokenizer, domain, records, normalizer, extend
                )
                if extended is not None:
                    name = f"{tokenizer_source} + {len(result.added_tokens)} domain tokens"
                    result.fertility[name] = fertility(records, extended, normalizer)
                    result.vocabulary_sizes[name] = extended.vocabulary_size()
        result.sequence_length = config.data.seq_len
        result.token_lengths, result.short_share = token_lengths(
            records, used, normalizer, config.data.seq_len
        )
    return result
