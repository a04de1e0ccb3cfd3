"""Finding corpus files and reading their records, tolerant of bad input.

`--corpus` takes files, folders (searched recursively) and globs. A file that cannot
be read is skipped with a reason; a record that cannot be decoded is skipped and
counted. Nothing here loads a whole corpus into memory.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from ssl_domains.domain import ReadOptions
from ssl_domains.errors import UserError

TEXT_SUFFIXES = (".txt", ".text", ".md")


class BadRecord(NamedTuple):
    """Yielded by a reader in place of a record it could not decode."""

    reason: str


class BadFile(Exception):
    """Raised by a reader for a file it cannot read at all; the file is skipped."""


def find_files(specs: Sequence[str | Path]) -> list[Path]:
    """Expand files, folders and glob patterns into a sorted, de-duplicated file list."""
    found: dict[Path, None] = {}
    for spec in specs:
        path = Path(spec).expanduser()
        if path.is_file():
            matches = [path]
        elif path.is_dir():
            matches = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
        else:
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            matches = [p for p in matches if p.is_file()]
            if not matches:
                raise UserError(f"corpus path not found: {spec}")
        found.update(dict.fromkeys(matches))
    if not found:
        raise UserError(f"no files in corpus: {', '.join(map(str, specs))}")
    return list(found)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _format_of(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def open_binary(path: Path) -> IO[bytes]:
    """Open a (possibly gzipped) file for reading bytes; `BadFile` if it is binary."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        handle = opener(path, "rb")
        head = handle.peek(8192)[:8192] if hasattr(handle, "peek") else b""
    except OSError as error:
        raise BadFile(f"cannot open: {error.strerror or error}") from error
    if b"\x00" in head:
        handle.close()
        raise BadFile("binary file (contains NUL bytes)")
    return handle


def read_text_records(path: Path, options: ReadOptions) -> Iterator[str | BadRecord]:
    """Yield the documents of a `.txt`, `.jsonl` or `.csv` file (optionally `.gz`).

    `.txt` holds a document per line (`txt_mode="line"`) or per file
    (`txt_mode="file"`); `.jsonl` a JSON object per line with the text in
    `text_field`; `.csv` a header and the text in `text_column`.
    """
    fmt = _format_of(path)
    with open_binary(path) as handle:
        if fmt in TEXT_SUFFIXES:
            yield from _read_txt(handle, options.txt_mode)
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


def _read_txt(handle: IO[bytes], mode: str) -> Iterator[str | BadRecord]:
    if mode == "file":
        try:
            yield handle.read().decode("utf-8")
        except UnicodeDecodeError:
            yield BadRecord("not UTF-8")
        return
    for line in _decoded_lines(handle):
        if isinstance(line, BadRecord) or line.strip():
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
