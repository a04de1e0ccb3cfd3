"""Reading corpora: every format, and bad input skipped, counted and reported."""

import gzip
import json
from collections import Counter

import pytest
from ssl_domains.plugins.finance import FinanceDomain

from ssl_domains.corpus import BadFile, BadRecord, find_files, read_text_records
from ssl_domains.domain import ReadOptions
from ssl_domains.errors import UserError
from ssl_domains.prepare import CorpusReport, prepare_corpus


def records(path, **options):
    return list(read_text_records(path, ReadOptions(**options)))


def test_txt_is_a_document_per_line_or_per_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("first doc\n\nsecond doc\n")
    assert [r.strip() for r in records(path)] == ["first doc", "second doc"]
    assert records(path, txt_mode="file") == ["first doc\n\nsecond doc\n"]


def test_jsonl_reads_the_named_field_and_flags_bad_lines(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"body": "ok"}) + "\n{broken\n" + json.dumps({"x": 1}) + "\n")
    got = records(path, text_field="body")
    assert got[0] == "ok"
    assert got[1:] == [BadRecord("invalid JSON"), BadRecord("no field 'body'")]


def test_csv_reads_the_named_column_and_rejects_a_missing_one(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,note\n1,"hello, world"\n2,bye\n')
    assert records(path, text_column="note") == ["hello, world", "bye"]
    with pytest.raises(BadFile, match="no column 'text'"):
        records(path)


def test_gzip_files_are_read_transparently(tmp_path):
    path = tmp_path / "a.txt.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("zipped doc\n")
    assert [r.strip() for r in records(path)] == ["zipped doc"]


def test_folders_and_globs_expand_recursively_and_missing_paths_are_user_errors(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b\n")
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / ".hidden.txt").write_text("h\n")
    assert [p.name for p in find_files([tmp_path])] == ["a.txt", "b.txt"]
    assert [p.name for p in find_files([str(tmp_path / "**" / "*.txt")])] == ["a.txt", "b.txt"]
    with pytest.raises(UserError, match="corpus path not found"):
        find_files([tmp_path / "missing"])


def test_preparing_a_corpus_skips_bad_files_and_records_and_counts_them(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = [f"Revenue rose {i}% to ${i}.5bn in Q{1 + i % 4} 2024." for i in range(60)]
    (corpus / "good.txt").write_text("\n".join(good) + "\n")
    (corpus / "binary.txt").write_bytes(b"\x89PNG\x00\x00\x01garbage")
    (corpus / "latin1.txt").write_bytes("ok line\nna\xefve caf\xe9\n".encode("latin-1"))
    (corpus / "notes.pdf").write_text("not a format we read")
    report = prepare_corpus(
        FinanceDomain(), find_files([corpus]), tmp_path / "data", ReadOptions(), 0.2
    )
    assert report.files == 4
    assert report.train_records + report.validation_records == 61
    assert report.validation_records > 0
    assert report.skipped_records == 1 and report.skip_reasons == {"not UTF-8": 1}
    assert set(report.skipped_files.values()) == {
        "binary file (contains NUL bytes)",
        "unsupported format '.pdf'",
    }
    assert CorpusReport.load(tmp_path / "data") == report


def test_the_split_keeps_duplicates_on_one_side(tmp_path):
    path = tmp_path / "dups.txt"
    path.write_text("\n".join(["the same filing text"] * 50 + [f"doc {i}" for i in range(200)]))
    report = prepare_corpus(FinanceDomain(), [path], tmp_path / "data", ReadOptions(), 0.3)
    import tensorflow as tf

    splits = {}
    for split in ("train", "validation"):
        files = [str(tmp_path / "data" / f) for f in getattr(report, f"{split}_files")]
        splits[split] = Counter(r.numpy() for r in tf.data.TFRecordDataset(files))
    inside = [s for s, c in splits.items() if c[b"the same filing text"]]
    assert len(inside) == 1 and splits[inside[0]][b"the same filing text"] == 50


@pytest.mark.parametrize("name", ["finance", "biomedical", "legal", "code", "speech"])
def test_each_embedded_sample_corpus_splits_under_its_domains_defaults(name, tmp_path):
    # The embedded default must pretrain: records on both sides of the split.
    from ssl_domains.config import resolve_config
    from ssl_domains.pretraining import deduplicator
    from ssl_domains.registry import registry

    config = resolve_config(registry(), flags={"run.domain": name})
    domain = registry().domain(name)(config.domain)
    options = ReadOptions(config.data.text_field, config.data.text_column, config.data.txt_mode)
    report = prepare_corpus(
        domain,
        find_files(domain.sample_corpus()),
        tmp_path,
        options,
        config.data.validation_fraction,
        dedup=deduplicator(config),
    )
    assert report.validation_records > 0
    assert report.train_records > 5 * report.validation_records


def test_an_empty_validation_split_is_explained_per_document(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("Acme Corp reported revenue of $4.2bn for the quarter.\n")
    with pytest.raises(UserError, match="none of the corpus's 1 documents"):
        prepare_corpus(FinanceDomain(), [corpus], tmp_path / "data", ReadOptions(), 0.01)
