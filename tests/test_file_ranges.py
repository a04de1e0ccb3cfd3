"""One large line-per-record file cut into ranges that several workers read apart."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import pytest
from ssl_domains.plugins.finance import FinanceDomain
from test_prepared_corpus import prepared_by_workers

from ssl_domains.data import file_ranges
from ssl_domains.data.file_ranges import FileRange, line_ranges, open_range
from ssl_domains.data.prepare_corpus import cut_large_files
from ssl_domains.data.records import ReadOptions


def test_ranges_hold_every_line_once_in_order(tmp_path):
    lines = [b"short\n", b"crlf line\r\n", b"x" * 500 + b"\n", b"\n", b"last, no newline"]
    path = tmp_path / "lines.txt"
    path.write_bytes(b"".join(lines * 20))
    ranges = line_ranges(path, "auto", size=64)
    assert len(ranges) > 10
    assert [r.txt_mode for r in ranges[:2]] == ["auto", "line"]
    assert ranges[0].start == 0 and ranges[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in zip(ranges, ranges[1:], strict=False))
    read = []
    for r in ranges:
        with open_range(r.path, r.start, r.end) as handle:
            assert handle.peek(1)  # no range is empty
            read += handle.readlines()
    whole = path.read_bytes().splitlines(keepends=True)
    assert read == whole  # each range starts on a line start: no line cut or repeated


STDLIB = "argparse collections csv decimal email json logging pathlib random re sqlite3"
STDLIB += " statistics subprocess threading typing"


def stdlib_documents() -> list[str]:
    """Real prose no one on the team wrote: the docstrings of standard-library modules
    and of their public functions and classes."""
    documents = []
    for module in map(importlib.import_module, STDLIB.split()):
        members = [module, *(m for n, m in vars(module).items() if not n.startswith("_"))]
        for member in members:
            doc = inspect.getdoc(member) if callable(member) or member is module else None
            if doc and len(doc) > 200 and doc not in documents:
                documents.append(doc)
    return documents


def test_a_large_file_is_prepared_in_ranges_as_it_is_whole(tmp_path, monkeypatch):
    """Two workers on one `.jsonl` cut in ranges write the shards one process writes
    reading it whole, duplicates across ranges included; a hard-wrapped `.txt`, whose
    records span lines, is never cut."""
    documents = stdlib_documents()
    assert len(documents) > 100
    corpus = tmp_path / "stdlib.jsonl"
    repeated = documents + documents[::7]  # exact duplicates in later ranges
    corpus.write_text("".join(json.dumps({"text": d}) + "\n" for d in repeated))
    files = [corpus]
    licence = Path("/usr/share/common-licenses/GPL-3")  # 35 KB of prose wrapped at 80
    if licence.is_file():
        files.append(tmp_path / "licence.txt")
        files[-1].write_bytes(licence.read_bytes())
    monkeypatch.setattr(file_ranges, "RANGE_BYTES", 20_000)
    cut = cut_large_files(FinanceDomain(), files, ReadOptions())
    assert sum(isinstance(item, FileRange) for item in cut) >= 5
    if len(files) == 2:
        assert cut[-1] == files[-1]  # the licence, whole
    outputs = prepared_by_workers(files, tmp_path, (1, 2))
    assert outputs[1] == outputs[2]
    report = outputs[2][0]
    assert report["files"] == len(files)
    assert report["dropped"]["exact_duplicate"] >= len(documents[::7])


@pytest.mark.parametrize("name", ["notes.csv", "notes.jsonl.gz"])
def test_files_whose_records_may_span_lines_are_not_cut(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"text\n" + b"a line of text\n" * 100)
    assert FinanceDomain().byte_ranges(path, ReadOptions(), 64) is None
