"""Finding corpus files and opening them, whatever their modality.

`--corpus` takes files, folders (searched recursively), globs and TFDS splits
(`tfds:NAME[/CONFIG][:SPLIT]`, `ssl_domains.data.tfds_source`). A file that cannot
be opened is skipped with a reason (`BadFile`); the modality's reader decodes its
records.

Everything a folder holds is listed, not only regular files, so that a named pipe or
a socket is counted as a skipped file rather than silently missing; `check_regular`
then refuses it by `stat` alone, before any reader opens it (opening a named pipe
blocks until something writes to it: forever). Symlink loops and broken links are
not listed: a prepared corpus's hash stats every input (`input_identity`), which
they fail. Handed over in a list of files, they are refused and counted too.
"""

from __future__ import annotations

import errno
import glob
import gzip
import json
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from ssl_domains.data.file_ranges import FileRange, open_range
from ssl_domains.data.lines import GZIP_ERRORS, csv_rows, decoded_lines
from ssl_domains.data.records import BadFile, BadRecord, ReadOptions
from ssl_domains.data.tfds_source import TfdsSlice, is_tfds_spec, read_slice, tfds_slices
from ssl_domains.errors import UserError

# What a corpus is read item by item from: a file, a range of lines of a large file,
# or a slice of a TFDS split.
CorpusItem = Path | FileRange | TfdsSlice


def find_files(
    specs: Sequence[str | Path], tfds_dir: str = "", tfds_field: str = ""
) -> list[CorpusItem]:
    """Expand files, folders and glob patterns into a sorted, de-duplicated file list;
    a `tfds:` spec into the slices of its split, read from the data_dir `tfds_dir`
    (`data.tfds_dir`) with the feature `tfds_field` (`data.tfds_field`)."""
    found: dict[CorpusItem, None] = {}
    for spec in specs:
        path = Path(spec).expanduser()
        if is_tfds_spec(spec):
            matches = tfds_slices(spec, tfds_dir, tfds_field)
        elif path.is_file():
            matches = [path]
        elif path.is_dir():
            matches = sorted(p for p in path.rglob("*") if _listed(p) and not _hidden(p, path))
        else:
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            matches = [p for p in matches if _listed(p)]
            if not matches:
                raise UserError(f"corpus path not found: {spec}")
        found.update(dict.fromkeys(matches))
    if not found:
        raise UserError(f"no files in corpus: {', '.join(map(str, specs))}")
    return list(found)


def _listed(path: Path) -> bool:
    """Whether a folder or glob entry is a corpus item: anything but a folder (or a
    link to one), so that a named pipe, a symlink loop or a broken link among the
    files is reported, not ignored (`is_dir` is False for those)."""
    return not path.is_dir()


def read_item(domain, item: CorpusItem, options: ReadOptions) -> Iterator:
    """The records of one corpus item, as `domain.read` yields them for a file; a
    `BadFile` for a path that is not a readable regular file (never handed to the
    domain, whose reader might block on a named pipe)."""
    if isinstance(item, TfdsSlice):
        return read_slice(item, domain)
    check_regular(file_of(item))
    return domain.read(file_of(item), options)  # a range's lines: `options.byte_range`


def file_of(item: Path | FileRange) -> Path:
    """The file a file item reads: the item itself, or a range's file."""
    return item.path if isinstance(item, FileRange) else item


def item_size(item: CorpusItem) -> int:
    """Bytes of one corpus item, for progress bars (0 for a file that is gone, a
    symlink loop, or anything else `stat` cannot see)."""
    if isinstance(item, TfdsSlice):
        return item.nbytes
    if isinstance(item, FileRange):
        return item.end - item.start
    try:
        return os.stat(item).st_size
    except (OSError, ValueError):
        return 0


_NOT_REGULAR = {
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a folder",
}


def check_regular(path: Path) -> None:
    """`BadFile` unless `path` is a regular file this process may read.

    Decided by `stat` and a non-blocking open, so nothing waits on a named pipe or a
    device; a symlink loop, a broken link and a file that vanished are reasons too.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise BadFile(_os_reason(error)) from None
    except ValueError:  # an embedded NUL in the name
        raise BadFile("not a valid file name") from None
    if not stat.S_ISREG(mode):
        raise BadFile(f"not a regular file ({_NOT_REGULAR.get(stat.S_IFMT(mode), 'special')})")
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    except OSError as error:
        raise BadFile(_os_reason(error)) from None


def refuse_special(path: Path) -> None:
    """`BadFile` if `path` exists and is not a regular file (a named pipe, a device);
    a missing or unreadable one is left to its reader, which says why."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return
    if not stat.S_ISREG(mode):
        raise BadFile(f"not a regular file ({_NOT_REGULAR.get(stat.S_IFMT(mode), 'special')})")


def _os_reason(error: OSError) -> str:
    """A short reason for an `OSError`, without the path (reasons are counted)."""
    reasons = {
        errno.ELOOP: "symlink loop",
        errno.ENOENT: "file not found (a broken symlink?)",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENAMETOOLONG: "file name too long",
    }
    return reasons.get(error.errno, f"cannot open: {error.strerror or type(error).__name__}")


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def format_of(path: Path) -> str:
    """The lower-case format suffix of `path` (`.csv` for `x.csv.gz`), or ''."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    # `Apache-2.0` or `GPL-2.0-or-later` name a version, not a format.
    return suffixes[-1] if suffixes and suffixes[-1][1:].isalpha() else ""


# Shares of a file's first 8 KiB above which it counts as binary: of control bytes
# (NUL and the other C0 bytes but whitespace; about 10% of random or compressed
# bytes, none of text), and of invalid UTF-8 (Latin-1 prose has a few percent).
CONTROL_SHARE = 0.05
INVALID_SHARE = 0.3
CONTROL_BYTES = bytes(b for b in range(32) if chr(b) not in "\t\n\v\f\r")


def open_binary(path: Path, byte_range: tuple[int, int] | None = None) -> IO[bytes]:
    """Open a (possibly gzipped) file for reading bytes, or only its bytes
    `byte_range` (of a plain file, `ssl_domains.data.file_ranges`); `BadFile` if it is
    binary or not a regular readable file (see `check_regular`).

    A file is binary when over `CONTROL_SHARE` of its head is control bytes (NULs
    included) or over `INVALID_SHARE` is invalid UTF-8: a few NUL bytes in a text file
    do not make it binary (the reader skips the records holding them), an image or
    an archive is refused whole.
    """
    check_regular(path)
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        handle = open_range(path, *byte_range) if byte_range else opener(path, "rb")
    except OSError as error:
        raise BadFile(_os_reason(error)) from error
    try:
        head = handle.peek(8192)[:8192] if hasattr(handle, "peek") else b""
    except GZIP_ERRORS as error:
        handle.close()
        raise BadFile(f"not a readable gzip file ({type(error).__name__})") from None
    except OSError as error:
        handle.close()
        raise BadFile(_os_reason(error)) from error
    reason = _binary_reason(head)
    if reason is not None:
        handle.close()
        raise BadFile(reason)
    return handle


def _binary_reason(head: bytes) -> str | None:
    """Why the first bytes of a file say it is not text, or None."""
    if not head:
        return None  # an empty file is text: what to make of it is the reader's call
    controls = len(head) - len(head.translate(None, CONTROL_BYTES))
    text = head.decode("utf-8", errors="replace")
    if controls <= CONTROL_SHARE * len(head) and text.count("\ufffd") <= INVALID_SHARE * len(text):
        return None
    return "binary file (contains NUL bytes)" if b"\x00" in head else "binary file (not text)"


def manifest_records(path: Path) -> Iterator[dict[str, Any] | BadRecord]:
    """The rows of a CSV/JSONL manifest, read a line at a time
    (`ssl_domains.data.lines`): a row that is not UTF-8, not a JSON object or not
    CSV is a `BadRecord`, and the rows after it are read."""
    with path.open("rb") as handle:
        lines = decoded_lines(handle)
        if path.suffix.lower() != ".jsonl":
            yield from csv_rows(lines)[1]
            return
        for line in lines:
            if isinstance(line, BadRecord):
                yield line
            elif line.strip():
                yield _json_object(line)


def _json_object(line: str) -> dict[str, Any] | BadRecord:
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):  # bad JSON, a huge integer, "[[[[..."
        row = None
    return row if isinstance(row, dict) else BadRecord("invalid JSON manifest row")


def manifest_rows(path: Path) -> list[dict[str, str] | BadRecord]:
    """Rows of a CSV/JSONL manifest, each with a `path` resolved against the
    manifest, or a `BadRecord` for a row that cannot be read (`manifest_records`)."""
    try:
        rows = list(manifest_records(path))
    except OSError as error:
        raise BadFile(f"unreadable manifest: {error.strerror or error}") from None
    good = [row for row in rows if not isinstance(row, BadRecord)]
    if not good or "path" not in good[0]:
        raise BadFile("a manifest needs a 'path' column")
    for index, row in enumerate(rows):
        if isinstance(row, BadRecord):
            continue
        try:
            row["path"] = str((path.parent / str(row.get("path") or "")).resolve())
        except (OSError, ValueError):  # a NUL in the name, a loop in its folders
            rows[index] = BadRecord("invalid path in manifest")
    return rows


MANIFEST_SUFFIXES = (".csv", ".jsonl")


def read_files_or_manifest(path: Path, suffixes: Sequence[str], read_one) -> Iterator:
    """`read_one(file)` for a file with one of `suffixes`, or for every file a CSV/JSONL
    manifest lists. `read_one` raises `ValueError(reason)` on a file it cannot read:
    a `BadFile` on its own, a `BadRecord` (the rest of the manifest goes on) if listed."""
    suffix = path.suffix.lower()
    if suffix in MANIFEST_SUFFIXES:
        sources = [r if isinstance(r, BadRecord) else Path(r["path"]) for r in manifest_rows(path)]
    elif suffix in suffixes:
        sources = [path]
    else:
        raise BadFile(f"unsupported format {suffix or '(no suffix)'!r}")
    for source in sources:
        if isinstance(source, BadRecord):
            yield source
            continue
        try:
            refuse_special(source)  # a listed named pipe must not block the reader
            yield read_one(source)
        except (ValueError, BadFile) as error:
            if suffix in suffixes:
                raise BadFile(str(error)) from None
            yield BadRecord(f"{source.name}: {error}")
