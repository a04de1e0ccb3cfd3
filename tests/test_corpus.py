"""Reading corpora: every format, and bad input skipped, counted and reported."""

import gzip
import json
from collections import Counter

import pytest
from ssl_domains.plugins.finance import FinanceDomain

from ssl_domains.data.corpus_files import find_files
from ssl_domains.data.prepare_corpus import CorpusReport, prepare_corpus
from ssl_domains.data.records import BadFile, BadRecord, ReadOptions
from ssl_domains.errors import UserError
from ssl_domains.text.reading import read_text_records


def records(path, **options):
    return list(read_text_records(path, ReadOptions(**options)))


def test_txt_is_a_document_per_line_or_per_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("First doc.\n\nSecond doc.\n")
    assert [r.strip() for r in records(path)] == ["First doc.", "Second doc."]
    assert [r.strip() for r in records(path, txt_mode="line")] == ["First doc.", "Second doc."]
    assert records(path, txt_mode="file") == ["First doc.\n\nSecond doc.\n"]


GPL_NOTICE = """This program is free software; you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by
the Free Software Foundation; either version 2 of the License, or
(at your option) any later version.

This program is distributed in the hope that it will be useful,
but WITHOUT ANY WARRANTY; without even the implied warranty of
MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.
"""


def test_hard_wrapped_files_become_multi_line_documents(tmp_path):
    path = tmp_path / "COPYING"  # no suffix: read as text
    path.write_text(GPL_NOTICE)
    options = ReadOptions()
    (document,) = list(read_text_records(path, options))
    first, second = document.split("\n\n")
    assert first.startswith("This program is free software") and first.endswith("later version.")
    assert second.endswith("PARTICULAR PURPOSE.") and "\n" not in first + second
    assert options.layouts == {".txt read by paragraphs": 1}
    # The explicit per-line mode still reads one record per line.
    assert len(records(path, txt_mode="line")) == 7


def test_a_file_of_one_sentence_per_line_is_read_by_lines():
    from ssl_domains.plugins.finance import FinanceDomain

    from ssl_domains.text.reading import is_hard_wrapped

    (corpus,) = FinanceDomain().sample_corpus()
    assert not is_hard_wrapped(corpus.read_text().splitlines()[:400])
    assert is_hard_wrapped(GPL_NOTICE.splitlines())


def test_real_license_texts_on_this_machine_are_read_as_whole_documents():
    from pathlib import Path

    licenses = [p for p in Path("/usr/share/common-licenses").glob("*") if p.is_file()]
    if not licenses:
        pytest.skip("this machine has no /usr/share/common-licenses")
    for path in licenses:
        documents = records(path)
        words = [len(d.split()) for d in documents]
        assert len(documents) <= 3 and min(words) > 100, (path, words)


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
    options = ReadOptions(txt_mode="line")
    report = prepare_corpus(FinanceDomain(), [path], tmp_path / "data", options, 0.3)
    splits = {
        split: Counter(map(str.encode, texts))
        for split, texts in _split_texts(report, tmp_path / "data").items()
    }
    inside = [s for s, c in splits.items() if c[b"the same filing text"]]
    assert len(inside) == 1 and splits[inside[0]][b"the same filing text"] == 50


@pytest.mark.parametrize("name", ["finance", "biomedical", "legal", "code", "speech"])
def test_each_embedded_sample_corpus_splits_under_its_domains_defaults(name, tmp_path):
    # The embedded default must pretrain: records on both sides of the split.
    from ssl_domains.config import resolve_config
    from ssl_domains.data.deduplicator import deduplicator_for
    from ssl_domains.plugin.registry import registry

    config = resolve_config(registry(), flags={"run.domain": name})
    domain = registry().domain(name)(config.domain)
    options = ReadOptions(config.data.text_field, config.data.text_column, config.data.txt_mode)
    report = prepare_corpus(
        domain,
        find_files(domain.sample_corpus()),
        tmp_path,
        options,
        config.data.validation_fraction,
        dedup=deduplicator_for(config.data.deduplicate, config.data.near_duplicates),
    )
    assert report.validation_records > 0
    assert report.train_records > 5 * report.validation_records


def _split_texts(report, directory):
    from ssl_domains.data.shards import read_records
    from ssl_domains.plugin.modality import modality

    return {
        split: [
            r.decode()
            for r in read_records(
                [directory / f for f in getattr(report, f"{split}_files")], modality("text")
            ).as_numpy_iterator()
        ]
        for split in ("train", "validation")
    }


def test_a_one_document_corpus_holds_out_its_end_and_says_so(tmp_path):
    (sample,) = FinanceDomain().sample_corpus()
    words = " ".join(sample.read_text().splitlines()[:3]).split()[:100]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(" ".join(words) + "\n")
    report = prepare_corpus(FinanceDomain(), [corpus], tmp_path / "data", ReadOptions(), 0.1)
    texts = _split_texts(report, tmp_path / "data")
    assert texts == {"train": [" ".join(words[:90])], "validation": [" ".join(words[90:])]}
    assert report.split_note == "one document: held out its last 10% for validation"
    assert CorpusReport.load(tmp_path / "data").split_note == report.split_note


def test_few_documents_hold_out_pieces_and_neither_split_is_empty(tmp_path):
    from ssl_domains.plugins.legal import LegalDomain

    (sample,) = LegalDomain().sample_corpus()
    corpus = tmp_path / "two.txt"
    corpus.write_text("\n".join(sample.read_text().splitlines()[:2]) + "\n")
    report = prepare_corpus(LegalDomain(), [corpus], tmp_path / "data", ReadOptions(), 0.01)
    texts = _split_texts(report, tmp_path / "data")
    assert texts["train"] and texts["validation"]
    assert not set(texts["train"]) & set(texts["validation"])
    assert "pieces for validation" in report.split_note


def test_a_corpus_with_nothing_usable_says_why(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(("lorem ipsum dolor sit amet " * 5 + "\n") * 3)
    with pytest.raises(UserError, match="no usable records.*wrong language 1"):
        prepare_corpus(FinanceDomain(), [corpus], tmp_path / "data", ReadOptions(), 0.5)


def test_a_text_record_is_stored_as_the_example_its_modality_describes():
    """Text records are serialized in place, only for speed: the bytes equal the
    `tf.train.Example` built from `example`, and parse back to the text."""
    import argparse
    from pathlib import Path

    from ssl_domains.plugin.modality import Modality
    from ssl_domains.text.modality import TextModality

    text = TextModality()
    for paragraph in Path(argparse.__file__).read_text().split("\n\n")[:50] + ["é \u2028 ok"]:
        stored = text.serialize(paragraph)
        assert stored == Modality.serialize(text, paragraph)
        assert text.decode(stored).numpy().decode() == paragraph
