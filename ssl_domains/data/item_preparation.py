"""The per-item half of corpus preparation: what a worker process does with one input.

`prepare_item` reads one input item (a file, or a TFDS slice) with the domain, cleans
and checks each record, fingerprints its dedup key, and writes the serialized pieces
of every candidate document to a staging file. It decides nothing that depends on
other items: which candidates are duplicates of earlier documents is decided by the
one process that merges items in input order (`prepare_corpus`), which then copies
the kept documents' pieces from the staging file into the shards.

The staging file is a sequence of `<u64 little-endian length><S|P><data>`: a
serialized record (S), or a pickled piece the merger serializes (P; see
`staged_bytes`). `Candidate.pieces` says how many each candidate document owns.

A plugin's hooks run here on untrusted input, so none of them can end the run: an
exception raised by `read` skips the rest of that file, one raised by `clean`,
`quality`, `dedup_key`, `split`, `measure` or while encoding (`Modality.payload`,
serializing a piece) skips that record, each counted under `plugin NAME: HOOK raised
TYPE`. The runs and failures of each hook are counted too, for the merger to stop a
run whose plugin failed on every run of a hook (`require_working_plugin`): a bug,
not junk input. A `UserError` is the plugin saying the user must fix something,
and is let through.
"""

from __future__ import annotations

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

from ssl_domains.data.corpus_files import check_regular, file_of, item_size, read_item
from ssl_domains.data.deduplicator import Deduplicator, Fingerprint, exact_digest
from ssl_domains.data.file_ranges import FileRange
from ssl_domains.data.records import BadFile, BadRecord, ReadOptions
from ssl_domains.data.shared_digests import SharedDigests
from ssl_domains.data.tfds_source import TfdsSlice
from ssl_domains.errors import UserError

LENGTH = struct.Struct("<Q")
SERIALIZED, PICKLED = b"S", b"P"  # what follows a staged record's length


class Candidate(NamedTuple):
    """A document that passed the item's own checks; `pieces` staged records.

    `fingerprint` is None when duplicates are not looked for (or the domain gives no
    key); `repeat` marks an exact repeat of an earlier document (of this item, of an
    item already merged, or of one this worker staged before), a duplicate whatever
    else came before, so nothing of it is staged and its fingerprint holds only its
    exact digest.
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
    # Per plugin hook (`read`, `clean`, ...): how often it ran, how often it raised,
    # and the first error it raised ("ValueError: ..."), for `require_working_plugin`.
    hook_calls: Counter[str] = field(default_factory=Counter)
    hook_failures: Counter[str] = field(default_factory=Counter)
    hook_errors: dict[str, str] = field(default_factory=dict)


@dataclass
class ItemContext:
    """Everything `prepare_item` needs besides the item; sent once to each worker."""

    domain: Any
    options: ReadOptions
    validation_fraction: float
    # An empty deduplicator (`Deduplicator.blank`): `fingerprints` reads no state.
    # None: duplicates are kept.
    dedup: Deduplicator | None
    merged: SharedDigests | None = None  # exact digests of the items merged so far
    # What this process decided on text records it met (`Verdicts`), for their copies.
    verdicts: Verdicts = field(default_factory=lambda: Verdicts())


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
    `SharedDigests`, with the digests this worker staged in its earlier items). Such
    a document is a duplicate whatever else came before, so it is marked `repeat` and
    neither signed nor split nor serialized.
    """
    from ssl_domains.plugin.modality import modality_of

    domain, kind = context.domain, modality_of(context.domain)
    options = ReadOptions(
        context.options.text_field, context.options.text_column, context.options.txt_mode
    )
    if isinstance(item, FileRange):
        options.txt_mode, options.byte_range = item.txt_mode, (item.start, item.end)
    dedup = context.dedup
    result = ItemResult(size=item_size(item))
    seen_here: set[bytes] = set()
    unsigned: list[tuple[int, Any, bytes]] = []  # (candidate, its dedup key and digest)

    def repeated(digest: bytes) -> bool:
        return digest in seen_here or (known is not None and known(digest))

    with stage.open("wb") as staged:
        try:
            for record in _guarded_read(domain, item, options, result):
                if isinstance(record, BadRecord):
                    result.skipped_records += 1
                    result.skip_reasons[record.reason] += 1
                    continue
                redactions: Counter[str] = Counter()
                document = context.verdicts.recall(record, redactions, repeated)
                if document is None:
                    try:
                        document = _prepare_document(
                            domain, kind, record, result, dedup, repeated, redactions
                        )
                    except HookFailed as failed:
                        result.skipped_records += 1
                        result.skip_reasons[failed.reason] += 1
                        continue
                    context.verdicts.remember(record, document, redactions)
                result.records += 1
                if redactions:
                    result.redactions.update(redactions)
                if isinstance(document, str):  # why it was dropped
                    result.dropped[document] += 1
                    continue
                if document.repeat:
                    repeat = Candidate(Fingerprint(document.digest), False, 0, 0.0, repeat=True)
                    result.candidates.append(repeat)
                    continue
                if document.digest is not None:
                    seen_here.add(document.digest)
                # One decision per document, so its pieces never straddle the split.
                held_out = is_validation(document.payload, context.validation_fraction)
                for data in document.staged:
                    staged.write(LENGTH.pack(len(data)))
                    staged.write(data)
                if result.first_piece is None and document.pieces:
                    result.first_piece = document.pieces[0]
                if document.key is not None:
                    unsigned.append((len(result.candidates), document.key, document.digest))
                result.candidates.append(
                    Candidate(None, held_out, len(document.pieces), document.size)
                )
                if len(unsigned) >= SIGN_TOGETHER:
                    _sign(dedup, unsigned, result.candidates)
        except BadFile as error:
            result.bad_file = str(error)
    _sign(dedup, unsigned, result.candidates)
    result.layouts = options.layouts
    return result


class Document(NamedTuple):
    """A record that went through every hook: what staging it needs."""

    digest: bytes | None  # exact digest of its dedup key; None: no duplicates looked for
    key: Any  # its dedup key, fingerprinted with others (`_sign`), or None
    payload: bytes  # `Modality.payload`: its split is decided on these bytes
    pieces: list
    staged: list[bytes]  # each piece as `staged_bytes` writes it
    size: float
    repeat: bool = False  # an exact repeat of an earlier document: nothing else is set

    @classmethod
    def repeat_of(cls, digest: bytes) -> Document:
        """An exact repeat of the document with `digest`."""
        return cls(digest, None, b"", [], [], 0.0, repeat=True)


class HookFailed(Exception):
    """A plugin hook raised on one record; `reason` is what the report counts."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _guard(result: ItemResult, domain, hook: str, call: Callable, *args, again: bool = False):
    """`call(*args)`, counted as a run of `hook` (unless it goes `again` on the same
    record); its exception as `HookFailed`."""
    result.hook_calls[hook] += not again
    try:
        return call(*args)
    except UserError:
        raise
    except Exception as error:
        raise HookFailed(_failure(result, domain, hook, error)) from error


def _failure(result: ItemResult, domain, hook: str, error: Exception) -> str:
    """Count a failed run of `hook`; the reason the report counts it under."""
    result.hook_failures[hook] += 1
    message = " ".join(f"{type(error).__name__}: {error}".split())
    result.hook_errors.setdefault(hook, message[:300])
    return f"plugin {domain.name or type(domain).__name__}: {hook} raised {type(error).__name__}"


def _guarded_read(domain, item, options: ReadOptions, result: ItemResult) -> Iterator:
    """The records `read_records` yields; an exception it raises (other than
    `BadFile` and `UserError`) ends the file as a `BadFile` named after the plugin,
    the records before it kept. A TFDS slice is read by the core, not the plugin."""
    if isinstance(item, Path | FileRange):
        check_regular(file_of(item))  # so that `read` counts as run on real files only
        result.hook_calls["read"] += 1
    try:
        yield from read_records(domain, item, options)
    except (BadFile, UserError):
        raise
    except Exception as error:
        if isinstance(item, TfdsSlice):
            raise BadFile(f"reading the TFDS slice raised {type(error).__name__}") from error
        raise BadFile(_failure(result, domain, "read", error)) from error


def _prepare_document(
    domain,
    kind,
    record,
    result: ItemResult,
    dedup,
    repeated: Callable[[bytes], bool],
    redactions: Counter[str],
) -> Document | str:
    """One record through the plugin's hooks: a `Document`, or why it is dropped;
    what `clean` redacted is added to `redactions`.

    An exact repeat (`repeated(digest)`) is neither signed nor split nor encoded.
    The quality check comes first, so that what a record is counted as never hangs on
    which earlier documents a worker knows of yet.
    `HookFailed` if a hook raised: the caller then counts nothing of that record, its
    redactions included, and stages nothing.
    """
    cleaned = _guard(result, domain, "clean", domain.clean, record, redactions)
    document: Document | str
    if cleaned is None:
        document = "empty"
    elif (reason := _guard(result, domain, "quality", domain.quality, cleaned)) is not None:
        document = str(reason)
    else:
        document = _document(domain, kind, cleaned, result, dedup, repeated)
    return document


class Verdicts:
    """What one process decided on the text records it met: why each was dropped, or
    that it was a document with this exact digest, with what `clean` redacted.

    Real corpora repeat boilerplate word for word (two thirds of the paragraphs of a
    corpus of changelogs), and cleaning and checking a copy again was most of what it
    cost. The hooks are functions of their record, so a copy gets the verdict of the
    first. Records of up to `LONGEST` characters are kept, `BUDGET` in all, so a
    worker's memory stays bounded; the first ones are kept, as boilerplate comes early.
    """

    LONGEST, BUDGET = 4096, 2**24

    def __init__(self):
        self.known: dict[str, tuple[Document | str, Counter[str] | None]] = {}
        self.characters = 0

    def recall(self, record, redactions: Counter[str], repeated) -> Document | str | None:
        """The verdict on an earlier copy of `record`, its redactions added to
        `redactions`; None if there is none, or it was a document whose digest
        `repeated` does not know (such as one of an earlier item, under Beam)."""
        verdict = self.known.get(record) if type(record) is str else None
        if verdict is None:
            return None
        outcome, its_redactions = verdict
        if isinstance(outcome, Document) and not repeated(outcome.digest):
            return None
        if its_redactions:
            redactions.update(its_redactions)
        return outcome

    def remember(self, record, document: Document | str, redactions: Counter[str]) -> None:
        """Keep the reason `record` was dropped, or, where it is a document with an
        exact digest, that a copy of it is a repeat."""
        if type(record) is not str or len(record) > self.LONGEST:
            return
        if self.characters + len(record) > self.BUDGET:
            return
        if isinstance(document, Document):
            if document.digest is None:
                return
            document = Document.repeat_of(document.digest)
        self.known[record] = (document, redactions or None)
        self.characters += len(record)


def _document(domain, kind, cleaned, result: ItemResult, dedup, repeated) -> Document:
    key = digest = None
    if dedup is not None:
        key = _guard(result, domain, "dedup_key", domain.dedup_key, cleaned)
        if key is not None:
            digest = _guard(result, domain, "dedup_key", exact_digest, key, again=True)
            if repeated(digest):
                return Document.repeat_of(digest)
    pieces = _guard(result, domain, "split", lambda: list(domain.split(cleaned)))
    payload, data = _guard(result, domain, "encode", _encode, kind, cleaned, pieces)
    size = _guard(result, domain, "measure", lambda: float(domain.measure(cleaned)))
    return Document(digest, key, payload, pieces, data, size)


# Documents whose MinHash signatures are computed together: numpy's cost per call,
# not hashing, dominated a paragraph's signature.
SIGN_TOGETHER = 512


def _sign(dedup: Deduplicator, unsigned: list, candidates: list[Candidate]) -> None:
    """Fingerprint the `unsigned` candidates' keys, together, and empty the list.
    Their `exact_digest`s were computed one by one (where a bad key fails, as its
    plugin's), so no key left here can fail."""
    if not unsigned:
        return
    indices, keys, digests = zip(*unsigned, strict=True)
    for index, found in zip(indices, dedup.fingerprints(list(keys), list(digests)), strict=True):
        candidates[index] = candidates[index]._replace(fingerprint=found)
    unsigned.clear()


def _encode(kind, cleaned, pieces: list) -> tuple[bytes, list[bytes]]:
    """The document's payload and the staged bytes of each piece, so that a record
    the modality cannot store fails here, as the plugin's, not in the merger."""
    return kind.payload(cleaned), [staged_bytes(kind, piece) for piece in pieces]


def read_records(domain, item, options: ReadOptions) -> Iterator:
    """The records of one input item: the one place preparation reads its input."""
    return read_item(domain, item, options)


def staged_bytes(kind, piece) -> bytes:
    """One piece as it is staged: serialized (`Modality.serialize`) where TensorFlow
    is loaded already, else pickled, for the merging process to serialize (and then
    checked by `Modality.payload`, which fails where serializing it would).

    Loading TensorFlow costs a worker about 5 CPU seconds and 750 MB, while
    serializing a text record takes microseconds: a worker whose domain never loads
    it (text) stays small and starts at once. One whose reader loads it anyway
    (images decoded by TensorFlow) serializes its own records, the costly ones.
    Either way the shards hold the same bytes.
    """
    if "tensorflow" in sys.modules:
        return SERIALIZED + kind.serialize(piece)
    kind.payload(piece)
    return PICKLED + pickle.dumps(piece, protocol=pickle.HIGHEST_PROTOCOL)


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


# Exact digests of the documents this worker staged in its earlier items, at most
# `EARLIER_DIGESTS` (about 80 bytes each). A worker takes items in input order, and
# the merge puts every staged document's digest in `Deduplicator.seen` before it
# reaches a later item, so a repeat of one of these is a repeat of an earlier
# document, even before its item is merged (and `merged` knows it).
_earlier: set[bytes] = set()
EARLIER_DIGESTS = 2**20


def prepare_item_in_worker(item, stage: Path) -> ItemResult:
    merged = _context.merged  # None: duplicates are not looked for

    def known(digest: bytes) -> bool:
        return digest in _earlier or digest in merged

    result = prepare_item(_context, item, stage, known if merged is not None else None)
    for candidate in result.candidates:
        if len(_earlier) >= EARLIER_DIGESTS:
            break
        if candidate.fingerprint is not None and not candidate.repeat:
            _earlier.add(candidate.fingerprint.exact)
    return result
