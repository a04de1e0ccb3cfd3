"""Finding corpus files and opening them, whatever their modality.

`--corpus` takes files, folders (searched recursively), globs and TFDS splits
(`tfds:NAME[/CONFIG][:SPLIT]`, `ssl_domains.data.tfds_source`). A file that cannot
be opened is skipped with a reason (`BadFile`); the modality's reader decodes its
records.
"""

from __future__ import annotations

import csv
import glob
import gzip
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from ssl_domains.data.records import BadFile, BadRecord, ReadOptions
from ssl_domains.data.tfds_source import TfdsSlice, is_tfds_spec, read_slice, tfds_slices
from ssl_domains.errors import UserError

# What a corpus is read item by item from: a file, or a slice of a TFDS split.
CorpusItem = Path | TfdsSlice


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


def read_item(domain, item: CorpusItem, options: ReadOptions) -> Iterator:
    """The records of one corpus item, as `domain.read` yields them for a file."""
    if isinstance(item, TfdsSlice):
        return read_slice(item, domain)
    return domain.read(item, options)


def item_size(item: CorpusItem) -> int:
    """Bytes of one corpus item, for progress bars (0 for a file that is gone)."""
    if isinstance(item, TfdsSlice):
        return item.nbytes
    return item.stat().st_size if item.exists() else 0


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def format_of(path: Path) -> str:
    """The lower-case format suffix of `path` (`.csv` for `x.csv.gz`), or ''."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    # `Apache-2.0` or `GPL-2.0-or-later` name a version, not a format.
    return suffixes[-1] if suffixes and suffixes[-1][1:].isalpha() else ""


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


def manifest_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV/JSONL manifest; each has a `path`, resolved against the manifest."""
    try:
        if path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        else:
            with path.open(newline="") as handle:
                rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadFile(f"unreadable manifest: {error}") from None
    if not rows or "path" not in rows[0]:
        raise BadFile("a manifest needs a 'path' column")
    for row in rows:
        row["path"] = str((path.parent / row["path"]).resolve())
    return rows


MANIFEST_SUFFIXES = (".csv", ".jsonl")


def read_files_or_manifest(path: Path, suffixes: Sequence[str], read_one) -> Iterator:
    """`read_one(file)` for a file with one of `suffixes`, or for every file a CSV/JSONL
    manifest lists. `read_one` raises `ValueError(reason)` on a file it cannot read:
    a `BadFile` on its own, a `BadRecord` (the rest of the manifest goes on) if listed."""
    suffix = path.suffix.lower()
    if suffix in MANIFEST_SUFFIXES:
        sources = [Path(row["path"]) for row in manifest_rows(path)]
    elif suffix in suffixes:
        sources = [path]
    else:
        raise BadFile(f"unsupported format {suffix or '(no suffix)'!r}")
    for source in sources:
        try:
            yield read_one(source)
        except ValueError as error:
            if suffix in suffixes:
                raise BadFile(str(error)) from None
            yield BadRecord(f"{source.name}: {error}")
