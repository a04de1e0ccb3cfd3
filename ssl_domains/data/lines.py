"""Reading untrusted line-based files (text corpora, CSV/JSONL manifests) a line at a
time, in bounded memory, where a bad line is one skipped record, never the end.

A line longer than `MAX_RECORD_BYTES` is passed over a chunk at a time, never held;
a line that is not UTF-8 or holds NUL bytes is a `BadRecord`; a gzip stream cut
short or corrupt (and a failing disk) ends the file with one `BadRecord`, the lines
before the damage kept. The csv module parses lines decoded here, so the same holds
for CSV rows, and a row the parser rejects is one `BadRecord` too.
"""

from __future__ import annotations

import csv
import gzip
import zlib
from collections.abc import Iterable, Iterator
from typing import IO

from ssl_domains.data.records import BadFile, BadRecord

# The longest record (a line, a JSONL line, a CSV line, a whole `.txt` read as one
# document) read: four times a long book, far below what a worker's memory or the
# quality checks mind.
MAX_RECORD_BYTES = 4 * 2**20
TOO_LONG = f"record over {MAX_RECORD_BYTES // 2**20} MiB"
DAMAGED_GZIP = "truncated or corrupt gzip (the records before it kept)"
HAS_NUL = "contains NUL bytes"
NOT_UTF8 = "not UTF-8"
READ_CHUNK = 2**20
# Errors a damaged gzip stream raises while it is read: cut short (EOFError), not
# gzip at all or a failed CRC (BadGzipFile), corrupt deflate data (zlib.error).
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def raw_lines(handle: IO[bytes]) -> Iterator[bytes | BadRecord]:
    """The lines of `handle` as bytes, each at most `MAX_RECORD_BYTES`; a longer line,
    a damaged gzip stream or a read error is a `BadRecord` (the last two end it)."""
    try:
        while raw := handle.readline(MAX_RECORD_BYTES + 1):
            if len(raw) <= MAX_RECORD_BYTES:
                yield raw
                continue
            while not raw.endswith(b"\n") and (raw := handle.readline(READ_CHUNK)):
                pass
            yield BadRecord(TOO_LONG)
    except GZIP_ERRORS:
        yield BadRecord(DAMAGED_GZIP)
    except OSError as error:
        yield BadRecord(f"read error ({error.strerror or type(error).__name__})")


def decoded_lines(handle: IO[bytes]) -> Iterator[str | BadRecord]:
    """`raw_lines`, decoded; a line with NUL bytes or invalid UTF-8 is a `BadRecord`."""
    for raw in raw_lines(handle):
        if isinstance(raw, BadRecord):
            yield raw
        elif b"\x00" in raw:
            yield BadRecord(HAS_NUL)
        else:
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                yield BadRecord(NOT_UTF8)


def csv_rows(
    lines: Iterable[str | BadRecord], delimiter: str = ","
) -> tuple[list[str], Iterator[dict[str, str] | BadRecord]]:
    """(the header, the rows) of CSV `lines`; `BadFile` for a header the parser
    rejects. A bad line reaches the parser as a blank line (which it skips) and comes
    out as its `BadRecord`; a row the parser rejects is a `BadRecord` and the parser
    goes on at the next line."""
    bad_lines: list[BadRecord] = []

    def text() -> Iterator[str]:
        for line in lines:
            if isinstance(line, BadRecord):
                bad_lines.append(line)
                yield "\n"
            else:
                yield line

    reader = csv.DictReader(text(), delimiter=delimiter)
    try:
        header = list(reader.fieldnames or [])
    except csv.Error as error:
        raise BadFile(f"malformed CSV header: {error}") from error

    def rows() -> Iterator[dict[str, str] | BadRecord]:
        each = iter(reader)
        while True:
            try:
                row = next(each)
            except StopIteration:
                break
            except csv.Error as error:
                row = BadRecord(f"malformed CSV row ({error})")
            yield from bad_lines
            bad_lines.clear()
            yield row
        yield from bad_lines

    return header, rows()
