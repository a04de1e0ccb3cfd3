"""Corpus preparation as an Apache Beam pipeline, for corpora beyond one machine.

The same per-item work as the in-process pass (`prepare_item`: read, clean, check,
fingerprint, split and serialize one file or TFDS slice) writes the same
prepared-corpus directory (`train-NNNNN.tfrecord`, `validation-NNNNN.tfrecord` and
`corpus.json`), but as Beam transforms, so any runner runs it: DirectRunner on this
machine, Dataflow, Flink or Spark with the user's pipeline options. Beam is an
optional extra (`pip install 'ssl-domains[beam]'`); the in-process path does not
need it.

Duplicates are removed without any one worker holding every document:

- exact duplicates are grouped by their `Fingerprint.exact` digest and the one of
  smallest ordinal (item index, candidate index) is kept, as the sequential pass
  keeps the first;
- near duplicates by MinHash LSH with the `Deduplicator`'s own parameters: each
  document's signature is cut into the bands of its `MinHashLSH`, documents are
  grouped by band, and each bucket's pairs are confirmed by estimated Jaccard
  similarity. Images' perceptual hashes are banded as `HammingIndex` bands them.
  Which documents go is then decided on one worker from the confirmed pairs alone
  (two ordinals each, as many as there are near duplicates), in input order: a
  document goes when one it duplicates was kept. So chains come out as in the
  sequential pass: with A ~ B and B ~ C but not A ~ C, A and C are kept (the simpler
  rule "drop a document similar to any earlier one" would drop C too).

Every document is therefore kept or dropped exactly as `prepare_corpus` keeps or
drops it, on any runner and any number of workers; only the shards' order and number
differ.

Workers rebuild the domain from its registered name and config
(`registry().domain(name)(config)`) rather than unpickling an instance, so a remote
worker needs ssl-domains and the domain's plugin package installed, nothing else.
"""

from __future__ import annotations

import dataclasses
import itertools
import pickle
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ssl_domains.data.corpus_files import file_of
from ssl_domains.data.deduplicator import (
    Deduplicator,
    Fingerprint,
    HammingIndex,
    band_keys,
    deduplicator_for,
    signature_similarity,
)
from ssl_domains.data.file_ranges import FileRange
from ssl_domains.data.item_preparation import ItemContext, prepare_item, unstage_piece
from ssl_domains.data.prepare_corpus import (
    CorpusReport,
    cut_large_files,
    length_bin,
    require_usable,
    require_working_plugin,
    sorted_bins,
    split_pieces,
)
from ssl_domains.data.records import ReadOptions
from ssl_domains.errors import UserError
from ssl_domains.plugin.modality import modality_of

try:
    import apache_beam as beam
except ImportError as error:  # an optional extra: say how to get it
    raise UserError(
        "preparing with Beam needs Apache Beam: pip install 'ssl-domains[beam]'"
    ) from error

SPLITS = ("train", "validation")
STATS = "stats"  # tagged output of (report field, key) -> value
UNKEYED = "unkeyed"  # documents without a fingerprint: never deduplicated
PAIRS = "pairs"  # confirmed (earlier, later) near-duplicate pairs of ordinals
FIRST_PIECE = "first_piece"  # for `split_pieces` when a corpus is one piece
SUMMARY = "_summary.pickles"  # the pipeline's stats and first piece, read back once
# `ItemResult`'s counts of plugin hook runs: checked, not part of the report.
HOOK_STATS = ("hook_calls", "hook_failures", "hook_errors")


class Document(NamedTuple):
    """A candidate document of `prepare_item`, with its serialized pieces; `ordinal`
    orders it as the sequential pass meets it, so 'keep the first' is deterministic."""

    ordinal: tuple[int, int]
    fingerprint: Fingerprint | None
    validation: bool
    size: float
    pieces: list[bytes]


def _stat(field: str, value: float | str, key: str = "") -> beam.pvalue.TaggedOutput:
    return beam.pvalue.TaggedOutput(STATS, ((field, key), value))


def _stats(field: str, counts: dict[str, float]) -> Iterable[beam.pvalue.TaggedOutput]:
    for key, value in counts.items():
        yield _stat(field, value, key=key)


class PrepareItem(beam.DoFn):
    """One numbered corpus item -> its candidate documents and its counts.

    The domain is rebuilt on each worker from its registered name."""

    def __init__(self, domain_name: str, domain_config: Any, context: ItemContext):
        self.domain_name, self.domain_config, self.context = domain_name, domain_config, context

    def setup(self):
        from ssl_domains.plugin.registry import registry

        domain = registry().domain(self.domain_name)(self.domain_config)
        self.context = dataclasses.replace(self.context, domain=domain)
        self.staging = Path(tempfile.mkdtemp(prefix="ssl-domains-beam-"))

    def teardown(self):
        shutil.rmtree(self.staging, ignore_errors=True)

    def process(self, numbered_item: tuple[int, Any]):
        index, item = numbered_item
        stage = self.staging / f"{index:07d}.stage"
        result = prepare_item(self.context, item, stage)
        kind = modality_of(self.context.domain)
        with stage.open("rb") as staged:
            for number, candidate in enumerate(result.candidates):
                pieces = [unstage_piece(staged, kind) for _ in range(candidate.pieces)]
                if candidate.repeat:  # an exact repeat within the item, not staged
                    yield _stat("dropped", 1, key="exact_duplicate")
                    continue
                document = Document(
                    (index, number),
                    candidate.fingerprint,
                    candidate.validation,
                    candidate.size,
                    pieces,
                )
                if candidate.fingerprint is None:
                    yield beam.pvalue.TaggedOutput(UNKEYED, document)
                else:
                    yield document
        stage.unlink()
        if result.bad_file is not None:
            yield _stat("skipped_files", result.bad_file, key=str(file_of(item)))
        if result.first_piece is not None:
            yield beam.pvalue.TaggedOutput(FIRST_PIECE, (index, result.first_piece))
        for field in ("records", "skipped_records"):
            yield _stat(field, getattr(result, field))
        yield _stat("files", int(not isinstance(item, FileRange) or item.start == 0))
        yield _stat("bytes", result.size)
        for field in ("skip_reasons", "redactions", "dropped", "layouts", *HOOK_STATS):
            yield from _stats(field, getattr(result, field))


class FirstAndCount(beam.CombineFn):
    """The document of smallest ordinal among exact duplicates, and how many there
    were. A combiner, so runners merge duplicates before the shuffle."""

    def create_accumulator(self):
        return None, 0

    def add_input(self, accumulator, document):
        first, count = accumulator
        if first is None or document.ordinal < first.ordinal:
            first = document
        return first, count + 1

    def merge_accumulators(self, accumulators):
        firsts, counts = zip(*accumulators, strict=True)
        present = [f for f in firsts if f is not None]
        return (min(present, key=_ordinal_of) if present else None), sum(counts)

    def extract_output(self, accumulator):
        return accumulator


def keep_first(digest_and_group):
    _, (first, count) = digest_and_group
    if count > 1:
        yield _stat("dropped", count - 1, key="exact_duplicate")
    yield first


class NearDuplicateRule:
    """The `Deduplicator`'s near-duplicate test, cut into bands a pipeline groups by.

    A text's fingerprint carries its MinHash signature: banded exactly as the
    deduplicator's `MinHashLSH` bands it, confirmed by estimated Jaccard similarity.
    An image's carries its perceptual hash: banded as `HammingIndex` bands it,
    confirmed by bit distance.
    """

    def __init__(self, settings: dict[str, Any]):
        self.dedup = Deduplicator(**settings)

    @staticmethod
    def applies(found: Fingerprint) -> bool:
        return found.signature is not None or found.bits is not None

    def bands(self, found: Fingerprint) -> list[tuple]:
        if found.bits is not None:
            index = HammingIndex(found.within)
            return [
                ("hamming", found.within, i, (found.bits >> shift) & mask)
                for i, (shift, mask) in enumerate(index.bands)
            ]
        # A band's values themselves, as bytes tagged with the band: equal exactly
        # where the LSH's band hashes are equal, so the buckets are the deduplicator's.
        lsh = self.dedup.lsh
        return [("minhash", key) for key in band_keys(found.signature, lsh.b, lsh.r)]

    def similar(self, found: Fingerprint, other: Fingerprint) -> bool:
        if found.bits is not None:
            return (found.bits ^ other.bits).bit_count() <= found.within
        return signature_similarity(found.signature, other.signature) >= self.dedup.threshold


class _RuleDoFn(beam.DoFn):
    def __init__(self, settings: dict[str, Any]):
        self.settings = settings

    def setup(self):
        self.rule = NearDuplicateRule(self.settings)


def split_by_sketch(document: Document):
    """Document -> (ordinal, document) if it has a near-duplicate sketch, else passes."""
    if NearDuplicateRule.applies(document.fingerprint):
        yield document.ordinal, document
    else:
        yield beam.pvalue.TaggedOutput(UNKEYED, document)


class Bands(_RuleDoFn):
    def process(self, keyed):
        ordinal, document = keyed
        for band in self.rule.bands(document.fingerprint):
            yield band, ordinal


def candidate_pairs(band_and_ordinals):
    """Every pair in one band bucket, keyed by its smaller ordinal. Quadratic in the
    bucket, which only many near duplicates of one document make large."""
    _, ordinals = band_and_ordinals
    return itertools.combinations(sorted(set(ordinals)), 2)  # (smaller, larger)


def fingerprint_to_later(ordinal_and_group):
    """(smaller, {fingerprint, later}) -> (larger, (smaller, its fingerprint)), once each."""
    smaller, group = ordinal_and_group
    (found,) = group["fingerprint"]
    for larger in set(group["later"]):
        yield larger, (smaller, found)


class ConfirmPairs(_RuleDoFn):
    """A document and its earlier candidates -> the document, and the confirmed
    (earlier, later) near-duplicate pairs it is the later of."""

    def process(self, ordinal_and_group):
        ordinal, group = ordinal_and_group
        (document,) = group["document"]
        for smaller, found in group["earlier"]:
            if self.rule.similar(document.fingerprint, found):
                yield beam.pvalue.TaggedOutput(PAIRS, (smaller, ordinal))
        yield document


def sequential_drops(pairs: Iterable[tuple]) -> set:
    """The documents the sequential pass drops as near duplicates, from the confirmed
    (earlier, later) pairs: in input order, a document is dropped when one it
    duplicates was kept. (Dropping every document that duplicates any earlier one
    would differ in chains: of A ~ B ~ C with A and C apart, the sequential pass keeps
    A and C.)"""
    earlier = defaultdict(list)
    for smaller, larger in pairs:
        earlier[larger].append(smaller)
    dropped = set()
    for larger in sorted(earlier):  # every earlier document is decided before it
        if any(smaller not in dropped for smaller in earlier[larger]):
            dropped.add(larger)
    return dropped


def drop_listed(document: Document, dropped: set):
    if document.ordinal in dropped:
        yield _stat("dropped", 1, key="near_duplicate")
    else:
        yield document


def remove_near_duplicates(documents, settings: dict[str, Any]):
    """Documents -> (those the sequential pass keeps, those without a sketch, the
    counts of what was dropped).

    Signatures are only ever grouped by band; the one step on one worker decides
    which documents go from the confirmed near-duplicate pairs, a pair of ordinals
    each, as many as there are near duplicates."""
    sketched = documents | "BySketch" >> beam.FlatMap(split_by_sketch).with_outputs(
        UNKEYED, main="sketched"
    )
    candidates = (
        sketched.sketched
        | "Bands" >> beam.ParDo(Bands(settings))
        | "GroupByBand" >> beam.GroupByKey()
        | "CandidatePairs" >> beam.FlatMap(candidate_pairs)
    )
    fingerprints = sketched.sketched | "FingerprintOnly" >> beam.MapTuple(
        lambda ordinal, document: (ordinal, document.fingerprint)
    )
    earlier = (
        {"fingerprint": fingerprints, "later": candidates}
        | "JoinSmaller" >> beam.CoGroupByKey()
        | "FingerprintToLater" >> beam.FlatMap(fingerprint_to_later)
    )
    judged = (
        {"document": sketched.sketched, "earlier": earlier}
        | "JoinLarger" >> beam.CoGroupByKey()
        | "ConfirmPairs" >> beam.ParDo(ConfirmPairs(settings)).with_outputs(PAIRS, main="all")
    )
    dropped = (
        judged[PAIRS]
        | "AllPairs" >> beam.combiners.ToList()
        | "SequentialDrops" >> beam.Map(sequential_drops)
    )
    kept = judged.all | "DropNear" >> beam.FlatMap(
        drop_listed, dropped=beam.pvalue.AsSingleton(dropped)
    ).with_outputs(STATS, main="kept")
    return kept.kept, sketched[UNKEYED], kept[STATS]


def by_split(document: Document):
    """A kept document -> its pieces, tagged by split, and its counts."""
    split = "validation" if document.validation else "train"
    for piece in document.pieces:
        yield beam.pvalue.TaggedOutput(split, piece)
    yield _stat(f"{split}_records", len(document.pieces))
    yield _stat("total", document.size)
    yield _stat("lengths", 1, key=length_bin(document.size))


def merge_stat(values: Iterable[float | str]) -> float | str:
    """Counts add up; a skipped file's reason is the same wherever it was read."""
    values = list(values)
    return values[0] if values and isinstance(values[0], str) else sum(values)


def _ordinal_of(item):
    return item[0]


def build_pipeline(
    pipeline: beam.Pipeline,
    domain_name: str,
    domain_config: Any,
    files: Sequence[Any],
    work_dir: Path,
    options: ReadOptions,
    validation_fraction: float,
    dedup_settings: dict[str, Any] | None,
) -> None:
    """The transforms, from the numbered items to the shards and the summary.
    `dedup_settings`: `Deduplicator.settings()`, or None to keep duplicates."""
    blank = Deduplicator(**dedup_settings).blank() if dedup_settings is not None else None
    context = ItemContext(None, options, validation_fraction, blank)
    read = (
        pipeline
        | "Items" >> beam.Create(list(enumerate(files)))
        | "SpreadItems" >> beam.Reshuffle()
        | "PrepareItems"
        >> beam.ParDo(PrepareItem(domain_name, domain_config, context)).with_outputs(
            STATS, UNKEYED, FIRST_PIECE, main="keyed"
        )
    )
    stats, unkeyed, documents = [read[STATS]], [read[UNKEYED]], read.keyed
    firsts = (
        documents
        | "ByDigest" >> beam.WithKeys(lambda document: document.fingerprint.exact)
        | "FirstOfEach" >> beam.CombinePerKey(FirstAndCount())
        | "KeepFirst" >> beam.FlatMap(keep_first).with_outputs(STATS, main="kept")
    )
    stats.append(firsts[STATS])
    documents = firsts.kept
    if dedup_settings is not None and dedup_settings["near"]:
        documents, without_sketch, near_stats = remove_near_duplicates(documents, dedup_settings)
        unkeyed.append(without_sketch)
        stats.append(near_stats)
    written = (
        (documents, *unkeyed)
        | "AllKept" >> beam.Flatten()
        | "BySplit" >> beam.FlatMap(by_split).with_outputs(STATS, *SPLITS)
    )
    stats.append(written[STATS])
    for split in SPLITS:
        _ = written[split] | f"Write{split.title()}" >> beam.io.WriteToTFRecord(
            str(work_dir / split), file_name_suffix=".tfrecord", shard_name_template="-SSSSS"
        )
    totals = tuple(stats) | "AllStats" >> beam.Flatten() | beam.CombinePerKey(merge_stat)
    first = (
        read[FIRST_PIECE]
        | beam.combiners.Top.Smallest(1, key=_ordinal_of)
        | beam.FlatMap(lambda smallest: [(FIRST_PIECE, piece) for _, piece in smallest])
    )
    _ = (
        (totals, first)
        | "Summary" >> beam.Flatten()
        | "WriteSummary"
        >> beam.io.WriteToTFRecord(
            str(work_dir / SUMMARY), coder=beam.coders.PickleCoder(), shard_name_template=""
        )
    )


def _read_summary(path: Path) -> tuple[dict[tuple[str, str], Any], Any]:
    import tensorflow as tf

    stats, first_piece = {}, None
    for data in tf.data.TFRecordDataset(str(path)).as_numpy_iterator():
        key, value = pickle.loads(data)  # written by this pipeline, just now
        if key == FIRST_PIECE:
            first_piece = value
        else:
            stats[key] = value
    path.unlink()
    return stats, first_piece


def _shards(work_dir: Path, split: str) -> list[str]:
    """The split's shard names; a runner may leave an empty shard where the sequential
    pass writes none, and it is removed so both list the same files."""
    names = []
    for path in sorted(work_dir.glob(f"{split}-*.tfrecord")):
        if path.stat().st_size == 0:
            path.unlink()
        else:
            names.append(path.name)
    return names


def assemble_report(
    stats: dict[tuple[str, str], Any], unit: str, work_dir: Path, layouts: Counter[str]
) -> CorpusReport:
    """The `CorpusReport` the sequential pass would have written, from the totals."""
    report = CorpusReport(unit=unit)
    for (field, key), value in sorted(stats.items()):
        current = getattr(report, field)
        if isinstance(current, dict):
            current[key] = value
        else:
            setattr(report, field, type(current)(value))
    report.lengths = sorted_bins(report.lengths)
    layouts.update(report.layouts)  # as the sequential pass counts into `options`
    report.train_files = _shards(work_dir, "train")
    report.validation_files = _shards(work_dir, "validation")
    return report


def pipeline_options(runner: str, pipeline_args: Sequence[str]):
    from apache_beam.options.pipeline_options import PipelineOptions

    args = list(pipeline_args)
    if not any(a == "--runner" or a.startswith("--runner=") for a in args):
        args.append(f"--runner={runner}")
    return PipelineOptions(args)


def prepare_with_beam(
    domain_name: str,
    domain_config: Any,
    files: Sequence[Path],
    out_dir: Path,
    options: ReadOptions,
    validation_fraction: float,
    deduplicate: bool,
    near_duplicates: bool,
    runner: str = "DirectRunner",
    pipeline_args: Sequence[str] = (),
) -> CorpusReport:
    """`prepare_corpus` as a Beam pipeline on `runner`, with `pipeline_args` (Beam's
    own flags, e.g. `--direct_num_workers=4` or Dataflow's `--project`).

    `out_dir` is a local or mounted path the launcher can write in, and may exist only
    if empty. The shards and the report are written into it; if the pipeline fails,
    what it wrote is removed (and `out_dir` too, when this made it). Atomicity is the
    caller's: `write_prepared` prepares into a staging folder it renames when the
    corpus is whole.
    """
    from ssl_domains.plugin.registry import registry

    domain = registry().domain(domain_name)(domain_config)
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UserError(f"{out_dir} already exists and is not empty")
    dedup = deduplicator_for(deduplicate, near_duplicates)
    files = cut_large_files(domain, files, options)  # so a runner spreads a large file too
    made = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with beam.Pipeline(options=pipeline_options(runner, pipeline_args)) as pipeline:
            build_pipeline(
                pipeline,
                domain_name,
                domain_config,
                files,
                out_dir,
                options,
                validation_fraction,
                dedup.settings() if dedup else None,
            )
        stats, first_piece = _read_summary(out_dir / SUMMARY)
        hooks = [{k: v for (f, k), v in stats.items() if f == name} for name in HOOK_STATS]
        stats = {key: value for key, value in stats.items() if key[0] not in HOOK_STATS}
        report = assemble_report(stats, domain.unit, out_dir, options.layouts)
        require_working_plugin(domain.name, *hooks)
        require_usable(report)
        if validation_fraction > 0 and 0 in (report.train_records, report.validation_records):
            report.split_note = split_pieces(
                domain, modality_of(domain), out_dir, report, validation_fraction, first_piece
            )
        report.save(out_dir)
    except BaseException:
        if made:
            shutil.rmtree(out_dir, ignore_errors=True)
        else:  # empty when given: empty again
            for path in out_dir.iterdir():
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        raise
    return report
