"""Corpus preparation as a Beam pipeline writes what the in-process pass writes."""

import dataclasses
from collections import Counter

import pytest

pytest.importorskip("apache_beam")

from ssl_domains.plugins.finance import FinanceDomain  # noqa: E402

from ssl_domains.data import beam_pipeline, file_ranges  # noqa: E402
from ssl_domains.data.beam_pipeline import NearDuplicateRule, prepare_with_beam  # noqa: E402
from ssl_domains.data.deduplicator import Deduplicator, HashKey  # noqa: E402
from ssl_domains.data.prepare_corpus import (  # noqa: E402
    CorpusReport,
    cut_large_files,
    prepare_corpus,
)
from ssl_domains.data.records import ReadOptions  # noqa: E402


def sample_lines(count: int) -> list[str]:
    (corpus,) = FinanceDomain().sample_corpus()
    return corpus.read_text().splitlines()[:count]


def edited(line: str) -> str:
    """A near duplicate: one word of a long line replaced (Jaccard about 0.9)."""
    words = line.split()
    words[len(words) // 2] = "notably"
    return " ".join(words)


def shard_records(directory, report: CorpusReport) -> dict[str, Counter]:
    import tensorflow as tf

    return {
        split: Counter(
            bytes(r)
            for r in tf.data.TFRecordDataset(
                [str(directory / n) for n in getattr(report, f"{split}_files")]
            ).as_numpy_iterator()
        )
        for split in ("train", "validation")
    }


def both_ways(files, tmp_path, fraction=0.2):
    options = ReadOptions(txt_mode="line")
    expected = prepare_corpus(
        FinanceDomain(), files, tmp_path / "in-process", options, fraction, dedup=Deduplicator()
    )
    got = prepare_with_beam(
        "finance",
        FinanceDomain.Config(),
        files,
        tmp_path / "beam",
        ReadOptions(txt_mode="line"),
        fraction,
        deduplicate=True,
        near_duplicates=True,
        pipeline_args=["--direct_num_workers=1"],
    )
    return expected, got


def test_beam_keeps_the_same_records_and_counts_as_the_in_process_pass(tmp_path):
    lines = sample_lines(160)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n".join(lines[:100]) + "\n")
    copies = [line.upper() if i % 2 else f"  {line} " for i, line in enumerate(lines[:12])]
    near = [edited(line) for line in lines[20:28]]
    extra = ["Payment went to account number 12345678 on Friday, the bank said today."]
    (corpus / "b.txt").write_text("\n".join(copies + near + lines[100:] + extra) + "\n")
    (corpus / "c.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    (corpus / "d.pdf").write_text("not a format we read")
    files = sorted(corpus.iterdir())

    expected, got = both_ways(files, tmp_path)

    assert expected.dropped["exact_duplicate"] == 12
    assert expected.dropped["near_duplicate"] == 8
    assert got.skip_reasons == {"not UTF-8": 1} and got.redactions
    assert dataclasses.replace(got, train_files=[], validation_files=[]) == dataclasses.replace(
        expected, train_files=[], validation_files=[]
    )
    assert shard_records(tmp_path / "beam", got) == shard_records(tmp_path / "in-process", expected)
    assert CorpusReport.load(tmp_path / "beam") == got
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no work dir left


def test_a_large_file_read_in_ranges_gives_what_the_in_process_pass_gives_reading_it_whole(
    tmp_path, monkeypatch
):
    """The pipeline cuts a large line-per-record file into ranges, so a runner spreads
    it over workers; exact and near duplicates across ranges are still found."""
    lines = sample_lines(160)
    repeats = [line.upper() for line in lines[:20]] + [edited(line) for line in lines[40:48]]
    corpus = tmp_path / "one.txt"
    corpus.write_text("\n".join(lines + repeats) + "\n")
    monkeypatch.setattr(file_ranges, "RANGE_BYTES", 2_000)
    items = []

    def cut_and_seen(*args):
        items.extend(cut_large_files(*args))
        return items

    monkeypatch.setattr(beam_pipeline, "cut_large_files", cut_and_seen)

    expected, got = both_ways([corpus], tmp_path)  # in process: one worker reads it whole

    assert len(items) >= 5  # the pipeline read ranges
    assert expected.dropped["exact_duplicate"] == 20 and got.files == 1
    assert dataclasses.replace(got, train_files=[], validation_files=[]) == dataclasses.replace(
        expected, train_files=[], validation_files=[]
    )
    assert shard_records(tmp_path / "beam", got) == shard_records(tmp_path / "in-process", expected)


def test_a_near_duplicate_pair_shares_a_band_bucket_and_the_later_one_is_dropped(tmp_path):
    original, *others = sample_lines(30)
    copy = edited(original)
    rule = NearDuplicateRule(Deduplicator().settings())
    first, second = rule.dedup.fingerprint(original), rule.dedup.fingerprint(copy)
    assert set(rule.bands(first)) & set(rule.bands(second))
    assert rule.similar(first, second)

    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(others[:10] + [original] + others[10:] + [copy]) + "\n")
    expected, got = both_ways([path], tmp_path, fraction=0.0)
    assert got.dropped == {"near_duplicate": 1} == expected.dropped
    kept = shard_records(tmp_path / "beam", got)["train"]
    assert kept == shard_records(tmp_path / "in-process", expected)["train"]
    assert len(kept) == len(others) + 1


def changed(text: str, count: int, offset: int) -> str:
    words = text.split()
    for j in range(count):
        words[offset + j * (len(words) // count)] = f"changed{offset}x{j}"
    return " ".join(words)


def test_a_chain_of_near_duplicates_keeps_its_ends_as_the_in_process_pass_does(tmp_path):
    lines = sample_lines(40)
    first = f"{lines[2]} {lines[3]}"
    second = changed(first, 4, 1)
    third = changed(second, 4, 3)
    rule = NearDuplicateRule(Deduplicator().settings())
    a, b, c = (rule.dedup.fingerprint(text) for text in (first, second, third))
    assert rule.similar(a, b) and rule.similar(b, c) and not rule.similar(a, c)  # a chain

    path = tmp_path / "corpus.txt"
    path.write_text("\n".join([first, *lines[10:30], second, third]) + "\n")
    expected, got = both_ways([path], tmp_path, fraction=0.0)
    assert got.dropped == {"near_duplicate": 1} == expected.dropped  # only the middle
    kept = shard_records(tmp_path / "beam", got)["train"]
    assert kept == shard_records(tmp_path / "in-process", expected)["train"]


def test_perceptual_hashes_band_as_the_hamming_index_does():
    rule = NearDuplicateRule(Deduplicator().settings())
    near = rule.dedup.fingerprint(HashKey("a", bits=0x8F3C_0012_77AA_5B01, within=6))
    other = rule.dedup.fingerprint(HashKey("b", bits=0x8F3C_0012_77AA_5B03, within=6))
    assert set(rule.bands(near)) & set(rule.bands(other)) and rule.similar(near, other)
    assert not rule.applies(rule.dedup.fingerprint(HashKey("c")))  # exact digest only


def test_corpus_prepare_with_a_runner_writes_the_prepared_corpus_the_in_process_pass_does(
    tmp_path,
):
    from ssl_domains.cli.main import app
    from typer.testing import CliRunner

    from ssl_domains.data.prepared_corpus import load_prepared

    lines = sample_lines(60)
    (tmp_path / "a.txt").write_text("\n".join(lines + [edited(lines[3]), lines[5]]) + "\n")
    base = ["corpus", "prepare", str(tmp_path / "a.txt"), "--domain", "finance"]
    base += ["--set", "data.txt_mode=line"]
    ways = {
        "beam": ["--runner", "DirectRunner", "--beam-arg=--direct_num_workers=1"],
        "in-process": ["--workers", "1"],
    }
    prepared = {}
    for name, extra in ways.items():
        done = CliRunner().invoke(app, [*base, "--out", str(tmp_path / name), *extra])
        assert done.exit_code == 0, done.output
        prepared[name] = load_prepared(tmp_path / name)
    beam, local = prepared["beam"], prepared["in-process"]
    assert beam.hash == local.hash  # the engine is not part of what was prepared
    duplicates = {"exact_duplicate": 1, "near_duplicate": 1}
    assert beam.report.dropped == local.report.dropped == duplicates
    assert shard_records(beam.path, beam.report) == shard_records(local.path, local.report)
