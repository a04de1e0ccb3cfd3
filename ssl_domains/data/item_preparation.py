"""The per-item half of corpus preparation: what a worker process does with one input.

`prepare_item` reads one input item (a file, or a TFDS slice) with the domain, cleans
and checks each record, fingerprints its dedup key, and writes the serialized pieces
of every candidate document to a staging file. It decides nothing that depends on
other items: which candidates are duplicates of earlier documents is decided by the
one process that merges items in input order (`prepare_corpus`), which then copies
the kept documents' pieces from the staging file into the shards.

The staging file is a sequence of `<u64 little-endian length><S|P><data>`: a
serialized record (S), or a pickled piece the merger serializes (P; see
`stage_piece`). `Candidate.pieces` says how many each candidate document owns.
"""

from __future__ import annotations

import functools
import io
import pickle
import struct
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

from ssl_domains.data.corpus_files import item_size, read_item
from ssl_domains.data.deduplicator import Deduplicator, Fingerprint, exact_digest
from ssl_domains.data.records import BadFile, BadRecord, ReadOptions
from ssl_domains.data.shared_digests import SharedDigests

LENGTH = struct.Struct("<Q")
SERIALIZED, PICKLED = b"S", b"P"  # what follows a staged record's length


class Candidate(NamedTuple):
    """A document that passed the item's own checks; `pieces` staged records.

    `fingerprint` is None when duplicates are not looked for (or the domain gives no
    key); `repeat` marks an exact repeat of an earlier document (of this item, or of
    an item already merged), a duplicate whatever else came before, so nothing of it
    is staged and its fingerprint holds only its exact digest.
    """

    fingerprint: Fingerprint | None
    validation: bool
    pieces: int
    size: float
    repeat: bool = False


@dataclass
class ItemResult:
    """What one item held, apart from the staged pieces; merged in input order."""

    size: int = 0
    records: int = 0
    skipped_records: int = 0
    bad_file: str | None = None
    skip_reasons: Counter[str] = field(default_factory=Counter)
    redactions: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    layouts: Counter[str] = field(default_factory=Counter)
    candidates: list[Candidate] = field(default_factory=list)
    first_piece: Any = None  # of the first candidate, for a corpus of one piece


@dataclass
class ItemContext:
    """Everything `prepare_item` needs besides the item; sent once to each worker."""

    domain: Any
    options: ReadOptions
    validation_fraction: float
    dedup: dict[str, Any] | None  # `Deduplicator.settings()`, or None: keep duplicates
    merged: SharedDigests | None = None  # exact digests of the items merged so far


def is_validation(data: bytes, fraction: float) -> bool:
    """Whether a document is held out: by a hash of its bytes, so its copies and pieces
    always land on the same side."""
    return zlib.crc32(data) % 10_000 < round(fraction * 10_000)


def prepare_item(
    context: ItemContext, item, stage: Path, known: Callable[[bytes], bool] | None = None
) -> ItemResult:
    """Read, clean, check and fingerprint the records of `item`; stage candidates.

    `known(digest)`: whether a document of an earlier item had this exact digest (the
    merging process's own `Deduplicator.seen`, or a worker's view of it,
    `SharedDigests`). Such a document is a duplicate whatever else came before, so it
    is marked `repeat` and neither signed nor split nor serialized.
    """
    from ssl_domains.plugin.modality import modality_of

    domain, kind = context.domain, modality_of(context.domain)
    options = ReadOptions(
        context.options.text_field, context.options.text_column, context.options.txt_mode
    )
    dedup = fingerprinter(**context.dedup) if context.dedup is not None else None
    result = ItemResult(size=item_size(item))
    seen_here: set[bytes] = set()
    with stage.open("wb") as staged:
        try:
            for record in read_records(domain, item, options):
                if isinstance(record, BadRecord):
                    result.skipped_records += 1
                    result.skip_reasons[record.reason] += 1
                    continue
                result.records += 1
                cleaned = domain.clean(record, result.redactions)
                reason = "empty" if cleaned is None else domain.quality(cleaned)
                if reason is not None:
                    result.dropped[reason] += 1
                    continue
                key = domain.dedup_key(cleaned) if dedup is not None else None
                found = None
                if key is not None:
                    digest = exact_digest(key)
                    if digest in seen_here or (known is not None and known(digest)):
                        repeat = Candidate(Fingerprint(digest), False, 0, 0.0, repeat=True)
                        result.candidates.append(repeat)
                        continue
                    seen_here.add(digest)
                    found = dedup.fingerprint(key)
                # One decision per document, so its pieces never straddle the split.
                held_out = is_validation(kind.payload(cleaned), context.validation_fraction)
                pieces = domain.split(cleaned)
                for piece in pieces:
                    stage_piece(staged, kind, piece)
                if result.first_piece is None and pieces:
                    result.first_piece = pieces[0]
                size = domain.measure(cleaned)
                result.candidates.append(Candidate(found, held_out, len(pieces), size))
        except BadFile as error:
            result.bad_file = str(error)
    result.layouts = options.layouts
    return result


@functools.cache
def fingerprinter(**settings) -> Deduplicator:
    """One deduplicator per process and settings, used for `fingerprint` only (which
    reads no state): its MinHash permutations are drawn once, not once per item."""
    return Deduplicator(**settings)


def read_records(domain, item, options: ReadOptions) -> Iterator:
    """The records of one input item: the one place preparation reads its input."""
    return read_item(domain, item, options)


def stage_piece(handle: IO[bytes], kind, piece) -> None:
    """Stage one piece: serialized (`Modality.serialize`) where TensorFlow is loaded
    already, else pickled, for the merging process to serialize.

    Loading TensorFlow costs a worker about 5 CPU seconds and 750 MB, while
    serializing a text record takes microseconds: a worker whose domain never loads
    it (text) stays small and starts at once. One whose reader loads it anyway
    (images decoded by TensorFlow) serializes its own records, the costly ones.
    Either way the shards hold the same bytes.
    """
    if "tensorflow" in sys.modules:
        data = SERIALIZED + kind.serialize(piece)
    else:
        data = PICKLED + pickle.dumps(piece, protocol=pickle.HIGHEST_PROTOCOL)
    handle.write(LENGTH.pack(len(data)))
    handle.write(data)


def skip_pieces(handle: IO[bytes], count: int) -> None:
    """Pass over `count` staged pieces (of a duplicate) without decoding them."""
    for _ in range(count):
        (length,) = LENGTH.unpack(handle.read(LENGTH.size))
        handle.seek(length, io.SEEK_CUR)


def unstage_piece(handle: IO[bytes], kind) -> bytes:
    """The next staged piece of `handle`, serialized."""
    (length,) = LENGTH.unpack(handle.read(LENGTH.size))
    data = handle.read(length)
    if data[:1] == SERIALIZED:
        return data[1:]
    return kind.serialize(pickle.loads(data[1:]))  # staged by our own worker


# A worker process's context, set once by `start_worker` (the pool's initializer).
_context: ItemContext | None = None


def start_worker(context: ItemContext) -> None:
    global _context
    _context = context


def prepare_item_in_worker(item, stage: Path) -> ItemResult:
    merged = _context.merged
    return prepare_item(_context, item, stage, merged.__contains__ if merged else None)
