"""Prepare a corpus once: read, clean, split, and write TFRecord shards.

Reading every record through the domain's reader and hygiene once, in Python, gives
exact counts (records, skips, redactions) and a fixed train/validation split; then
training streams the shards with tf.data on any backend, as many passes as needed.
The split hashes the cleaned text, so duplicate documents never straddle it.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ssl_domains.data.deduplicator import Deduplicator
from ssl_domains.data.records import BadFile, BadRecord, ReadOptions
from ssl_domains.data.shards import ShardWriter
from ssl_domains.errors import UserError
from ssl_domains.plugin.domain_adapter import DomainAdapter

REPORT_FILE = "corpus.json"


@dataclass
class CorpusReport:
    """What preparing a corpus found; saved as `data/corpus.json` in the run."""

    files: int = 0
    records: int = 0
    train_records: int = 0
    validation_records: int = 0
    bytes: int = 0
    unit: str = "words"
    total: float = 0.0
    dropped: dict[str, int] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)
    skipped_records: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    skipped_files: dict[str, str] = field(default_factory=dict)
    redactions: dict[str, int] = field(default_factory=dict)
    train_files: list[str] = field(default_factory=list)
    validation_files: list[str] = field(default_factory=list)
    layouts: dict[str, int] = field(default_factory=dict)
    split_note: str = ""

    def save(self, directory: Path) -> None:
        (directory / REPORT_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> CorpusReport:
        return cls(**json.loads((directory / REPORT_FILE).read_text()))

    @property
    def kept(self) -> int:
        return self.train_records + self.validation_records

    @property
    def documents(self) -> int:
        return self.records - sum(self.dropped.values())


def length_bin(size: float) -> str:
    """Power-of-two bins of a record's size: '<1', '1', '2-3', '4-7', ..."""
    if size < 1:
        return "<1"
    low = 1 << (int(size).bit_length() - 1)
    return str(low) if low == 1 else f"{low}-{2 * low - 1}"


def sorted_bins(counts: dict[str, int]) -> dict[str, int]:
    """`length_bin` counts in the order of their bins."""
    order = {name: i for i, name in enumerate(["<1"] + [length_bin(2**k) for k in range(40)])}
    return dict(sorted(counts.items(), key=lambda kv: order[kv[0]]))


def is_validation(data: bytes, fraction: float) -> bool:
    return zlib.crc32(data) % 10_000 < round(fraction * 10_000)


def prepare_corpus(
    domain: DomainAdapter,
    files: Sequence[Path],
    out_dir: Path,
    options: ReadOptions,
    validation_fraction: float,
    on_file: Callable[[Path, int], None] | None = None,
    dedup: Deduplicator | None = None,
) -> CorpusReport:
    """Read `files` with `domain`, clean and check each record, drop duplicates, and
    write train/validation shards.

    The domain's modality (`ssl_domains.plugin.modality`) writes each cleaned record as
    a typed `tf.train.Example`.
    `on_file(path, nbytes)` is called after each file, for progress bars.
    `dedup` finds duplicates of records already kept (None: keep them all).
    """
    from ssl_domains.plugin.modality import modality_of

    kind = modality_of(domain)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = CorpusReport(unit=domain.unit)
    skip_reasons: Counter[str] = Counter()
    redactions: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    lengths: Counter[str] = Counter()
    writers = {split: ShardWriter(out_dir, split) for split in ("train", "validation")}
    first_piece = None  # all a one-piece corpus has to split, kept to divide it
    try:
        for path in files:
            report.files += 1
            try:
                for record in domain.read(path, options):
                    if isinstance(record, BadRecord):
                        report.skipped_records += 1
                        skip_reasons[record.reason] += 1
                        continue
                    report.records += 1
                    cleaned = domain.clean(record, redactions)
                    reason = "empty" if cleaned is None else domain.quality(cleaned)
                    key = domain.dedup_key(cleaned) if reason is None else None
                    if reason is None and dedup is not None and key is not None:
                        reason = dedup.check(key)
                    if reason is not None:
                        dropped[reason] += 1
                        continue
                    size = domain.measure(cleaned)
                    report.total += size
                    lengths[length_bin(size)] += 1
                    # One decision per document, so its pieces never straddle the split.
                    held_out = is_validation(kind.payload(cleaned), validation_fraction)
                    split = "validation" if held_out else "train"
                    for piece in domain.split(cleaned):
                        first_piece = piece if first_piece is None else first_piece
                        writers[split].write(kind.serialize(piece))
                        setattr(report, f"{split}_records", getattr(report, f"{split}_records") + 1)
            except BadFile as error:
                report.skipped_files[str(path)] = str(error)
            size = path.stat().st_size if path.exists() else 0
            report.bytes += size
            if on_file:
                on_file(path, size)
    finally:
        for writer in writers.values():
            writer.close()
    report.skip_reasons = dict(skip_reasons)
    report.redactions = dict(redactions)
    report.dropped = dict(dropped)
    report.lengths = sorted_bins(lengths)
    report.train_files = writers["train"].paths
    report.validation_files = writers["validation"].paths
    report.layouts = dict(options.layouts)
    if report.kept == 0:
        reasons = {**report.dropped, **report.skip_reasons}
        why = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(reasons.items()))
        raise UserError(
            f"no usable records in the corpus ({report.files} files read, "
            f"{len(report.skipped_files)} skipped; records dropped: {why or 'none'})"
        )
    if validation_fraction > 0 and 0 in (report.train_records, report.validation_records):
        report.split_note = _split_pieces(
            domain, kind, out_dir, report, validation_fraction, first_piece
        )
    report.save(out_dir)
    return report


def _split_pieces(
    domain: DomainAdapter, kind, out_dir: Path, report: CorpusReport, fraction: float, only_piece
) -> str:
    """Too few documents for a per-document split: split the pieces instead.

    Holds out the `fraction` of pieces (windows, chunks) with the lowest hashes, at
    least one; a corpus of one piece is divided by the domain (`DomainAdapter.divide`),
    and one that cannot be divided validates on its training record. Rewrites the
    shards and says what it did, in one line. Pieces are read back from the shards,
    so memory holds one split's pieces: this only runs when a split came out empty.
    """
    import tensorflow as tf

    names = report.train_files + report.validation_files
    pieces = [
        bytes(r)
        for r in tf.data.TFRecordDataset([str(out_dir / n) for n in names]).as_numpy_iterator()
    ]
    for name in names:
        (out_dir / name).unlink()
    documents = report.documents
    if len(pieces) >= 2:
        count = min(max(1, round(fraction * len(pieces))), len(pieces) - 1)
        held = set(sorted(range(len(pieces)), key=lambda i: zlib.crc32(pieces[i]))[:count])
        splits = {
            "train": [p for i, p in enumerate(pieces) if i not in held],
            "validation": [p for i, p in enumerate(pieces) if i in held],
        }
        note = (
            f"{documents} document(s) are too few for a per-document split: held out "
            f"{count} of their {len(pieces)} pieces for validation"
        )
    elif (parts := domain.divide(only_piece, fraction)) is not None:
        splits = {"train": [kind.serialize(parts[0])], "validation": [kind.serialize(parts[1])]}
        note = f"one document: held out its last {fraction:.0%} for validation"
    else:
        splits = {"train": pieces, "validation": pieces}
        note = (
            "one record, too short to divide: validating on the training record itself "
            "(validation measures fit, not generalisation)"
        )
    for split, data in splits.items():
        writer = ShardWriter(out_dir, split)
        for item in data:
            writer.write(item)
        writer.close()
        setattr(report, f"{split}_files", writer.paths)
        setattr(report, f"{split}_records", len(data))
    return note
