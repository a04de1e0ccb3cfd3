"""Reading text records from `.txt`, `.jsonl` and `.csv` files, tolerant of bad input.

A record that cannot be decoded is skipped and counted (`BadRecord`); nothing here
loads a whole file into memory.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from ssl_domains.data.corpus_files import format_of, open_binary
from ssl_domains.data.records import BadFile, BadRecord, ReadOptions

# Extension-less files (LICENSE, COPYING, README) are text too, unless they are binary.
TEXT_SUFFIXES = (".txt", ".text", ".md", ".rst", "")


def read_text_records(path: Path, options: ReadOptions) -> Iterator[str | BadRecord]:
    """Yield the documents of a `.txt`, `.jsonl` or `.csv` file (optionally `.gz`).

    `.txt` (`txt_mode`): `"line"`, a record per non-blank line; `"paragraph"`, hard-wrapped
    prose, unwrapped, a file's paragraphs making one document; `"file"`, the file as
    it is; `"auto"` (the default), paragraphs when the file's first lines are
    hard-wrapped (`is_hard_wrapped`), else lines. `.jsonl` a JSON object per line with the text in
    `text_field`; `.csv` a header and the text in `text_column`.
    """
    fmt = format_of(path)
    with open_binary(path) as handle:
        if fmt in TEXT_SUFFIXES:
            yield from _read_txt(handle, options)
        elif fmt == ".jsonl":
            yield from _read_jsonl(handle, options.text_field)
        elif fmt in (".csv", ".tsv"):
            yield from _read_csv(handle, options.text_column, "\t" if fmt == ".tsv" else ",")
        else:
            raise BadFile(f"unsupported format {fmt or '(no suffix)'!r}")


def _decoded_lines(handle: IO[bytes]) -> Iterator[str | BadRecord]:
    for raw in handle:
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield BadRecord("not UTF-8")


# A line break inside a sentence: no sentence-final punctuation before it, a lower-case
# letter after it. Prose wrapped at a fixed width is full of them; a file of one record
# per line (headlines, sentences, documents) has almost none.
_SENTENCE_END = re.compile(r"""[.!?:;…]["'”’)\]]*$""")
WRAPPED_BREAKS = 0.15
SNIFF_LINES = 400
MAX_DOCUMENT_CHARS = 1_000_000


def is_hard_wrapped(lines: Sequence[str]) -> bool:
    """Whether the lines are prose broken at a fixed width rather than one record each.

    True when at least 15% of the breaks between two non-blank lines fall inside a
    sentence (see `_SENTENCE_END`).
    """
    breaks = inside = 0
    for line, following in zip(lines, lines[1:], strict=False):
        line, following = line.strip(), following.strip()
        if not line or not following:
            continue
        breaks += 1
        if not _SENTENCE_END.search(line) and following[0].islower():
            inside += 1
    return breaks > 0 and inside / breaks >= WRAPPED_BREAKS


def paragraphs_to_documents(lines: Iterable[str]) -> Iterator[str]:
    """Hard-wrapped lines -> documents: each paragraph (lines between blank lines) is
    unwrapped into one line, and a file's paragraphs make one document, cut at a
    paragraph boundary past `MAX_DOCUMENT_CHARS` so memory stays bounded."""
    paragraph: list[str] = []
    document: list[str] = []
    size = 0
    for line in itertools.chain(lines, [""]):
        if line.strip():
            paragraph.append(line.strip())
            continue
        if paragraph:
            text = " ".join(paragraph)
            document.append(text)
            size += len(text)
            paragraph = []
        if size >= MAX_DOCUMENT_CHARS:
            yield "\n\n".join(document)
            document, size = [], 0
    if document:
        yield "\n\n".join(document)


def _read_txt(handle: IO[bytes], options: ReadOptions) -> Iterator[str | BadRecord]:
    mode = options.txt_mode
    if mode == "file":
        try:
            yield handle.read().decode("utf-8")
        except UnicodeDecodeError:
            yield BadRecord("not UTF-8")
        return
    lines = _decoded_lines(handle)
    if mode == "auto":
        head = list(itertools.islice(lines, SNIFF_LINES))
        text_lines = [line for line in head if isinstance(line, str)]
        mode = "paragraph" if is_hard_wrapped(text_lines) else "line"
        options.layouts[f".txt read by {'paragraphs' if mode == 'paragraph' else 'lines'}"] += 1
        lines = itertools.chain(head, lines)
    if mode == "paragraph":
        try:
            yield from paragraphs_to_documents(_strict(lines))
        except UnicodeDecodeError:
            yield BadRecord("not UTF-8")
        return
    for line in lines:
        if isinstance(line, BadRecord) or line.strip():
            yield line


def _strict(lines: Iterable[str | BadRecord]) -> Iterator[str]:
    """Lines of a document read as a whole: one undecodable line spoils the document."""
    for line in lines:
        if isinstance(line, BadRecord):
            raise UnicodeDecodeError("utf-8", b"", 0, 1, line.reason)
        yield line


def _read_jsonl(handle: IO[bytes], field: str) -> Iterator[str | BadRecord]:
    for line in _decoded_lines(handle):
        if isinstance(line, BadRecord):
            yield line
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)[field]
        except (json.JSONDecodeError, TypeError):
            yield BadRecord("invalid JSON")
            continue
        except KeyError:
            yield BadRecord(f"no field {field!r}")
            continue
        yield value if isinstance(value, str) else BadRecord(f"field {field!r} is not text")


def _read_csv(handle: IO[bytes], column: str, delimiter: str) -> Iterator[str | BadRecord]:
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    try:
        reader = csv.DictReader(text, delimiter=delimiter)
        if reader.fieldnames is None or column not in reader.fieldnames:
            columns = ", ".join(reader.fieldnames or [])
            raise BadFile(f"no column {column!r} (columns: {columns or 'none'})")
        for row in reader:
            value = row.get(column)
            if value:
                yield value
    except UnicodeDecodeError as error:
        raise BadFile("not UTF-8") from error
    except csv.Error as error:
        raise BadFile(f"malformed CSV: {error}") from error
