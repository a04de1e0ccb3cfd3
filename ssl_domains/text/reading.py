"""Reading text records from `.txt`, `.jsonl` and `.csv` files, tolerant of bad input.

A record that cannot be decoded is skipped and counted (`BadRecord`); nothing here
loads a whole file into memory. Junk never ends a file early
(`ssl_domains.data.lines`): an undecodable line, one holding NUL bytes, one longer
than `MAX_RECORD_BYTES` or a malformed CSV row is one skipped record and the next is
read; a gzip stream cut short ends the file with one, the records before it kept.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from ssl_domains.data.corpus_files import format_of, open_binary
from ssl_domains.data.file_ranges import FileRange, line_ranges
from ssl_domains.data.lines import (
    DAMAGED_GZIP,
    GZIP_ERRORS,
    HAS_NUL,
    MAX_RECORD_BYTES,
    NOT_UTF8,
    TOO_LONG,
    csv_rows,
    decoded_lines,
)
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
    with open_binary(path, options.byte_range) as handle:
        if not handle.peek(1):
            raise BadFile("empty file")
        if fmt in TEXT_SUFFIXES:
            yield from _read_txt(handle, options)
        elif fmt == ".jsonl":
            yield from _read_jsonl(handle, options.text_field)
        elif fmt in (".csv", ".tsv"):
            yield from _read_csv(handle, options.text_column, "\t" if fmt == ".tsv" else ",")
        else:
            raise BadFile(f"unsupported format {fmt or '(no suffix)'!r}")


def line_ranges_of(path: Path, options: ReadOptions, size: int) -> list[FileRange] | None:
    """`path` in ranges of about `size` bytes of whole lines when its records are its
    lines (`.jsonl`; `.txt` read by lines, by `txt_mode` or by the sniff of `auto`);
    None for the rest: a gzip stream cannot seek, a CSV field may hold a newline, and a
    `.txt` read whole or by paragraphs has records that span lines."""
    if path.suffix.lower() == ".gz":
        return None
    fmt = format_of(path)
    if fmt == ".jsonl":
        return line_ranges(path, size=size)
    if fmt not in TEXT_SUFFIXES or options.txt_mode not in ("line", "auto"):
        return None
    if options.txt_mode == "auto":
        try:
            with open_binary(path) as handle:
                head = [line for line in _head(decoded_lines(handle)) if isinstance(line, str)]
        except (BadFile, OSError):
            return None  # read whole, to be reported as reading it says
        if is_hard_wrapped(head):
            return None
    return line_ranges(path, options.txt_mode, size)


# A line break inside a sentence: no sentence-final punctuation before it, a lower-case
# letter after it. Prose wrapped at a fixed width is full of them; a file of one record
# per line (headlines, sentences, documents) has almost none.
_SENTENCE_END = re.compile(r"""[.!?:;…]["'”’)\]]*$""")
WRAPPED_BREAKS = 0.15
SNIFF_LINES = 400
SNIFF_CHARS = 1_000_000  # the sniffed head is held in memory: bounded in size too
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


def paragraphs_to_documents(lines: Iterable[str | BadRecord]) -> Iterator[str | BadRecord]:
    """Hard-wrapped lines -> documents: each paragraph (lines between blank lines) is
    unwrapped into one line, and a file's paragraphs make one document, cut at a
    paragraph boundary past `MAX_DOCUMENT_CHARS` so memory stays bounded (and at a
    line boundary inside a paragraph longer than that: a file without blank lines).

    A bad line (`BadRecord`) spoils the document it falls in: that document is
    dropped, the `BadRecord` yielded in its place, and the next one starts after it.
    """
    paragraph: list[str] = []
    document: list[str] = []
    size = held = 0
    for line in itertools.chain(lines, [""]):
        if isinstance(line, BadRecord):
            yield line
            paragraph, document, size, held = [], [], 0, 0
            continue
        if stripped := line.strip():
            paragraph.append(stripped)
            held += len(stripped)
            if size + held < MAX_DOCUMENT_CHARS:
                continue
        if paragraph:
            text = " ".join(paragraph)
            document.append(text)
            size += len(text)
            paragraph, held = [], 0
        if size >= MAX_DOCUMENT_CHARS:
            yield "\n\n".join(document)
            document, size = [], 0
    if document:
        yield "\n\n".join(document)


def _read_txt(handle: IO[bytes], options: ReadOptions) -> Iterator[str | BadRecord]:
    mode = options.txt_mode
    if mode == "file":
        yield _whole_file(handle)
        return
    lines = decoded_lines(handle)
    if mode == "auto":
        head = _head(lines)
        text_lines = [line for line in head if isinstance(line, str)]
        mode = "paragraph" if is_hard_wrapped(text_lines) else "line"
        options.layouts[f".txt read by {'paragraphs' if mode == 'paragraph' else 'lines'}"] += 1
        lines = itertools.chain(head, lines)
    if mode == "paragraph":
        yield from paragraphs_to_documents(lines)
        return
    for line in lines:
        if isinstance(line, BadRecord) or line.strip():
            yield line


def _whole_file(handle: IO[bytes]) -> str | BadRecord:
    """A `.txt` read as one record, if it is at most `MAX_RECORD_BYTES` and text."""
    try:
        data = handle.read(MAX_RECORD_BYTES + 1)
    except GZIP_ERRORS:
        return BadRecord(DAMAGED_GZIP)
    except OSError as error:
        return BadRecord(f"read error ({error.strerror or type(error).__name__})")
    if len(data) > MAX_RECORD_BYTES:
        return BadRecord(TOO_LONG)
    if b"\x00" in data:
        return BadRecord(HAS_NUL)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return BadRecord(NOT_UTF8)


def _head(lines: Iterator[str | BadRecord]) -> list[str | BadRecord]:
    """The first `SNIFF_LINES` lines, or fewer that make `SNIFF_CHARS`."""
    head: list[str | BadRecord] = []
    size = 0
    for line in lines:
        head.append(line)
        size += len(line) if isinstance(line, str) else 0
        if len(head) >= SNIFF_LINES or size >= SNIFF_CHARS:
            break
    return head


def _read_jsonl(handle: IO[bytes], field: str) -> Iterator[str | BadRecord]:
    for line in decoded_lines(handle):
        if isinstance(line, BadRecord):
            yield line
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)[field]
        # ValueError: bad JSON, or an integer of over 4300 digits; RecursionError: a
        # line of "[[[[...".
        except (ValueError, TypeError, RecursionError):
            yield BadRecord("invalid JSON")
            continue
        except KeyError:
            yield BadRecord(f"no field {field!r}")
            continue
        yield (
            _checked(value) if isinstance(value, str) else BadRecord(f"field {field!r} is not text")
        )


def _read_csv(handle: IO[bytes], column: str, delimiter: str) -> Iterator[str | BadRecord]:
    """The `column` of each row; a bad line or row is one `BadRecord` (`csv_rows`)."""
    header, rows = csv_rows(decoded_lines(handle), delimiter)
    if column not in header:
        raise BadFile(f"no column {column!r} (columns: {', '.join(header) or 'none'})")
    for row in rows:
        value = row if isinstance(row, BadRecord) else row.get(column)
        if value:
            yield value if isinstance(value, BadRecord) else _checked(value)


def _checked(value: str) -> str | BadRecord:
    """A decoded value, or why it cannot be a record: a NUL character (`\\u0000` in
    JSON), or a lone surrogate (`\\ud800`), which no UTF-8 shard can hold."""
    if "\x00" in value:
        return BadRecord(HAS_NUL)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return BadRecord(NOT_UTF8)
    return value
