"""Prepare a corpus once: read, clean, split, and write TFRecord shards.

Reading every record through the domain's reader and hygiene once, in Python, gives
exact counts (records, skips, redactions) and a fixed train/validation split; then
training streams the shards with tf.data on any backend, as many passes as needed.
The split hashes the cleaned text, so duplicate documents never straddle it.

Files can be read on several processes (`workers`): each prepares whole files, or
ranges of lines of a large one (`ssl_domains.data.file_ranges`), into staging files
(`ssl_domains.data.item_preparation`), and this process merges them in input order,
deciding duplicates and writing the shards, so the output does not depend on the
number of workers. `ssl_domains.data.prepared_corpus` keeps the
result as a directory any number of runs reuse.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import multiprocessing
import os
import shutil
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ssl_domains.data import file_ranges
from ssl_domains.data.corpus_files import item_size
from ssl_domains.data.deduplicator import Deduplicator
from ssl_domains.data.file_ranges import FileRange
from ssl_domains.data.item_preparation import (
    Candidate,
    ItemContext,
    ItemResult,
    prepare_item,
    prepare_item_in_worker,
    skip_pieces,
    start_worker,
    unstage_piece,
)
from ssl_domains.data.records import ReadOptions
from ssl_domains.data.shards import ShardWriter
from ssl_domains.data.shared_digests import SharedDigests
from ssl_domains.errors import UserError
from ssl_domains.plugin.domain_adapter import DomainAdapter

REPORT_FILE = "corpus.json"


@dataclass
class CorpusReport:
    """What preparing a corpus found; saved as `corpus.json` in the prepared corpus
    and in the run's `data/`."""

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


def require_usable(report: CorpusReport) -> None:
    """Refuse a corpus of which nothing was kept, saying why each record went."""
    if report.kept == 0:
        reasons = {**report.dropped, **report.skip_reasons}
        why = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(reasons.items()))
        raise UserError(
            f"no usable records in the corpus ({report.files} files read, "
            f"{len(report.skipped_files)} skipped; records dropped: {why or 'none'})"
        )


def require_working_plugin(
    domain_name: str,
    calls: dict[str, int],
    failures: dict[str, int],
    errors: dict[str, str],
    at_least: int = 1,
) -> None:
    """Stop a run whose plugin raised on every run of one of its hooks, once it ran
    `at_least` times.

    A hook that raises now and then met junk, and the records it raised on are
    skipped and counted; one that raised every time it ran is broken, and a corpus
    prepared without it would be empty or silently different. `calls`, `failures`
    and `errors` are `ItemResult`'s hook counts, summed over the corpus so far.
    """
    for hook, failed in sorted(failures.items()):
        if failed >= max(calls.get(hook, 0), at_least):
            what = "file" if hook == "read" else "record"
            raise UserError(
                f"plugin {domain_name}: {hook} raised on every {what} ({failed} of "
                f"{failed}), first {errors.get(hook, 'an error')}; fix the plugin's "
                f"{hook}"
            )


# Runs of a hook, all raising, after which a plugin is judged broken before the end.
EARLY_VERDICT = 1000


def hook_counts(totals: ItemResult) -> tuple[dict, dict, dict]:
    return totals.hook_calls, totals.hook_failures, totals.hook_errors


def prepare_corpus(
    domain: DomainAdapter,
    files: Sequence[Path],
    out_dir: Path,
    options: ReadOptions,
    validation_fraction: float,
    on_file: Callable[[Path, int], None] | None = None,
    dedup: Deduplicator | None = None,
    workers: int = 1,
) -> CorpusReport:
    """Read `files` with `domain`, clean and check each record, drop duplicates, and
    write train/validation shards.

    The domain's modality (`ssl_domains.plugin.modality`) writes each cleaned record as
    a typed `tf.train.Example`.
    `on_file(path, nbytes)` is called after each file, for progress bars.
    `dedup` finds duplicates of records already kept (None: keep them all).
    `workers` > 1 reads, cleans and fingerprints files on that many processes
    (`ssl_domains.data.item_preparation`); this process decides duplicates in input
    order and writes the shards, so any number of workers writes the same shards.
    """
    from ssl_domains.plugin.modality import modality_of

    kind = modality_of(domain)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / STAGING_DIR
    staging.mkdir(exist_ok=True)
    report = CorpusReport(unit=domain.unit)
    totals = ItemResult()
    lengths: Counter[str] = Counter()
    writers = {split: ShardWriter(out_dir, split) for split in ("train", "validation")}
    first_piece = None  # all a one-piece corpus has to split, kept to divide it
    # Workers skip the work on exact repeats of merged documents they can see.
    merged = SharedDigests(SPAWN) if workers > 1 and dedup is not None else None
    blank = dedup.blank() if dedup is not None else None
    context = ItemContext(domain, options, validation_fraction, blank, merged)
    if workers > 1:
        files = cut_large_files(domain, files, options)
    try:
        known = dedup.seen.__contains__ if dedup is not None else None
        results = contextlib.closing(_item_results(context, files, staging, workers, known))
        with results as each_item:  # on an error, its pool stops before staging is removed
            for item, stage, result in each_item:
                path = item.path if isinstance(item, FileRange) else item
                report.files += not isinstance(item, FileRange) or item.start == 0
                _add_counts(totals, result)
                # A plugin broken from the start stops the run early, not after the corpus.
                require_working_plugin(domain.name, *hook_counts(totals), at_least=EARLY_VERDICT)
                if result.bad_file is not None:
                    report.skipped_files[str(path)] = result.bad_file
                first_piece = result.first_piece if first_piece is None else first_piece
                with stage.open("rb") as staged:
                    for candidate in result.candidates:
                        reason = _duplicate(candidate, dedup, merged)
                        if reason is not None:
                            skip_pieces(staged, candidate.pieces)
                            totals.dropped[reason] += 1
                            continue
                        report.total += candidate.size
                        lengths[length_bin(candidate.size)] += 1
                        split = "validation" if candidate.validation else "train"
                        for _ in range(candidate.pieces):
                            writers[split].write(unstage_piece(staged, kind))
                        written = getattr(report, f"{split}_records") + candidate.pieces
                        setattr(report, f"{split}_records", written)
                stage.unlink()
                report.bytes += result.size
                if on_file:
                    on_file(path, result.size)
    finally:
        for writer in writers.values():
            writer.close()
        shutil.rmtree(staging, ignore_errors=True)
    report.records, report.skipped_records = totals.records, totals.skipped_records
    report.skip_reasons = dict(totals.skip_reasons)
    report.redactions = dict(totals.redactions)
    report.dropped = dict(totals.dropped)
    report.lengths = sorted_bins(lengths)
    report.train_files = writers["train"].paths
    report.validation_files = writers["validation"].paths
    options.layouts.update(totals.layouts)
    report.layouts = dict(totals.layouts)
    require_working_plugin(domain.name, *hook_counts(totals))
    require_usable(report)
    if validation_fraction > 0 and 0 in (report.train_records, report.validation_records):
        report.split_note = split_pieces(
            domain, kind, out_dir, report, validation_fraction, first_piece
        )
    report.save(out_dir)
    return report


STAGING_DIR = ".staging"
# Workers are spawned: TensorFlow is loaded here, and forking a process that has
# loaded it is unsafe.
SPAWN = multiprocessing.get_context("spawn")
# Items handed out ahead of the one being merged, per worker: enough to keep every
# worker busy behind a slow item, few enough that waiting results stay small.
AHEAD_PER_WORKER = 2


def _item_results(
    context: ItemContext, items: Sequence, staging: Path, workers: int, known=None
) -> Iterator[tuple[Any, Path, ItemResult]]:
    """(item, its staging file, its `ItemResult`) for each item, in input order.

    With workers > 1, a pool of spawned processes prepares items ahead; at most
    `AHEAD_PER_WORKER` per worker are in flight, so memory holds that many results.
    In one process, each item is prepared after the earlier ones were merged, so
    `known` (see `prepare_item`) spares the work on their exact duplicates.
    """
    stages = [staging / f"{index:07d}.stage" for index in range(len(items))]
    if workers <= 1:
        for item, stage in zip(items, stages, strict=True):
            yield item, stage, prepare_item(context, item, stage, known)
        return
    upcoming = iter(zip(items, stages, strict=True))
    pending: deque = deque()
    pool = None
    try:
        while True:
            if pool is None:
                pool = _worker_pool(context, workers)
                for item, stage in itertools.islice(upcoming, workers * AHEAD_PER_WORKER):
                    pending.append((item, stage, _submit(pool, item, stage)))
            if not pending:
                return
            item, stage, future = pending.popleft()
            for following, its_stage in itertools.islice(upcoming, 1):
                pending.append((following, its_stage, _submit(pool, following, its_stage)))
            try:
                result = future.result()
            except BrokenProcessPool:
                # A worker died (a native decoder crashed, the OOM killer) and took the
                # pool with it. Each item that was in flight runs again alone, so only
                # one that kills its own process again is lost; then a new pool goes on.
                pool.shutdown(cancel_futures=True)
                pool = None
                in_flight = [(item, stage), *((i, s) for i, s, _ in pending)]
                pending.clear()
                for again, its_stage in in_flight:
                    yield again, its_stage, _prepare_alone(context, again, its_stage)
                continue
            yield item, stage, result
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _worker_pool(context: ItemContext, workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers, mp_context=SPAWN, initializer=start_worker, initargs=(context,)
    )


def _submit(pool: ProcessPoolExecutor, item, stage: Path) -> Future:
    """`item` handed to `pool`. A pool a dead worker broke refuses new work; the refusal
    comes back as the future's error, so the item is rerun with those in flight."""
    try:
        return pool.submit(prepare_item_in_worker, item, stage)
    except BrokenProcessPool as error:
        refused: Future = Future()
        refused.set_exception(error)
        return refused


def _prepare_alone(context: ItemContext, item, stage: Path) -> ItemResult:
    """`item` prepared in a process of its own; skipped if that process dies too."""
    with _worker_pool(context, 1) as alone:
        try:
            return alone.submit(prepare_item_in_worker, item, stage).result()
        except BrokenProcessPool:
            stage.write_bytes(b"")
            return ItemResult(size=item_size(item), bad_file=WORKER_DIED)


WORKER_DIED = "the process reading it died (a crash in native code, or out of memory)"


def _duplicate(candidate: Candidate, dedup: Deduplicator | None, merged) -> str | None:
    """Why `candidate` is a duplicate of an earlier document, or None (it is kept)."""
    found = candidate.fingerprint
    if dedup is None or found is None:
        return None
    if candidate.repeat:
        # Never, unless a worker's table of digests was torn (~2**-64) or wrong.
        if found.exact not in dedup.seen:
            raise RuntimeError("a worker took a document for a repeat of an unseen one")
        return "exact_duplicate"
    reason = dedup.check_fingerprint(found)
    if merged is not None and reason != "exact_duplicate":  # a repeat is there already
        merged.add(found.exact)
    return reason


def _add_counts(totals: ItemResult, result: ItemResult) -> None:
    totals.records += result.records
    totals.skipped_records += result.skipped_records
    for name in ("skip_reasons", "redactions", "dropped", "layouts", "hook_calls", "hook_failures"):
        getattr(totals, name).update(getattr(result, name))
    for hook, error in result.hook_errors.items():
        totals.hook_errors.setdefault(hook, error)


def worker_count(requested: int, items: Sequence, total_bytes: int) -> int:
    """Processes to prepare `items` on: `requested`, or for 0 the machine's cores, at
    most one per item or per `RANGE_BYTES` of input (a large file may be cut in
    ranges); for 0 also at most one per `WORKER_BYTES`, since starting a worker (it
    may load TensorFlow) costs seconds a small corpus would not win back."""
    pieces = max(len(items), -(-total_bytes // file_ranges.RANGE_BYTES))
    if requested > 0:
        return max(1, min(requested, pieces))
    return max(1, min(os.cpu_count() or 1, pieces, -(-total_bytes // WORKER_BYTES)))


WORKER_BYTES = 16 * 2**20  # as much input as one more worker is worth starting for


def cut_large_files(domain: DomainAdapter, items: Sequence, options: ReadOptions) -> list:
    """`items` with each file over `RANGE_BYTES` that the domain can read in ranges
    (`DomainAdapter.byte_ranges`) replaced by its ranges, in order."""
    cut: list = []
    for item in items:
        ranges = None
        if isinstance(item, Path) and item_size(item) > file_ranges.RANGE_BYTES:
            ranges = domain.byte_ranges(item, options, file_ranges.RANGE_BYTES)
        cut.extend(ranges or [item])
    return cut


def _divided(domain: DomainAdapter, kind, piece, fraction: float) -> tuple[bytes, bytes] | str:
    """The serialized parts `domain.divide` cuts `piece` into; or, if it cannot, why
    not ('' when it says so, the plugin's error when it raised: never fatal)."""
    try:
        parts = domain.divide(piece, fraction)
        return "" if parts is None else (kind.serialize(parts[0]), kind.serialize(parts[1]))
    except UserError:
        raise
    except Exception as error:
        return f"not divided (plugin {domain.name}: divide raised {type(error).__name__})"


def split_pieces(
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
    elif isinstance(parts := _divided(domain, kind, only_piece, fraction), tuple):
        splits = {"train": [parts[0]], "validation": [parts[1]]}
        note = f"one document: held out its last {fraction:.0%} for validation"
    else:
        splits = {"train": pieces, "validation": pieces}
        note = (
            f"one record, {parts or 'too short to divide'}: validating on the training "
            "record itself (validation measures fit, not generalisation)"
        )
    for split, data in splits.items():
        writer = ShardWriter(out_dir, split)
        for item in data:
            writer.write(item)
        writer.close()
        setattr(report, f"{split}_files", writer.paths)
        setattr(report, f"{split}_records", len(data))
    return note
