"""`inspect_corpus`: what pretraining would make of a corpus, without training.

The corpus goes through the same reading, redaction, quality checks and duplicate
removal as in `pretrain`; then its modality adds what it measures: for text, the
domain's WordPiece vocabulary is trained on it and its fertility (tokens per word)
measured, next to a pretrained tokenizer's before and after `--extend-vocab`, if one
is given (`ssl_domains.text.modality`).
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
    # Other modalities' histograms, by title: bin -> records (image resolutions, channels).
    histograms: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def mostly_short(self) -> bool:
        """Most records far shorter than a training sequence: each is a fragment (one
        line of a hard-wrapped file?) more than a document."""
        return self.short_share > 0.5


def inspect_corpus(
    domain, files: list[Path], config: RunConfig, tokenizer_source: str = "", extend: int = 0
) -> Inspection:
    """Prepare `files` in a scratch directory and measure the corpus (and, for text, its
    tokenizers: the domain's own, and `tokenizer_source`'s before and after extension)."""
    from ssl_domains.data.deduplicator import deduplicator_for
    from ssl_domains.data.shards import read_records
    from ssl_domains.plugin.modality import modality_of

    options = ReadOptions(config.data.text_field, config.data.text_column, config.data.txt_mode)
    with tempfile.TemporaryDirectory() as scratch:
        report = prepare_corpus(
            domain,
            files,
            Path(scratch),
            options,
            config.data.validation_fraction,
            dedup=deduplicator_for(config.data.deduplicate, config.data.near_duplicates),
        )
        paths = [str(Path(scratch) / f) for f in report.train_files + report.validation_files]
        kind = modality_of(domain)
        records = read_records(paths, kind)
        result = Inspection(report)
        kind.inspect(domain, records, config, result, tokenizer_source, extend)
    return result
