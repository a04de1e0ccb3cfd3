"""One large file read by several workers: byte ranges that start on line starts.

Corpus preparation hands workers whole items. A corpus that is one 50 GB `.jsonl`
would then run on one core, so a large file whose records are its lines is cut into
`FileRange`s of about `RANGE_BYTES`, each starting where a line starts: every line
lies in exactly one range, and the ranges read in order yield the file's records in
the file's order. The merge is in input order too, so the shards are the same bytes
however the file was cut. Which files can be cut is the domain's call
(`DomainAdapter.byte_ranges`): only a reader that honours `ReadOptions.byte_range`
may be handed one.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO, NamedTuple

# Small enough that the merge starts soon after the workers and no worker is left with
# much more than the others at the end; large enough that an item's own costs vanish.
RANGE_BYTES = 4 * 2**20
SCAN_CHUNK = 2**20  # bytes read at a time to find the end of a very long line


class FileRange(NamedTuple):
    """Bytes `[start, end)` of `path`, whole lines; `txt_mode` is how a `.txt` range is
    read: the first range sniffs the file's head as a whole file would ("auto"), the
    others read the lines that sniff chose."""

    path: Path
    start: int
    end: int
    txt_mode: str = "line"


def line_ranges(path: Path, txt_mode: str = "line", size: int = RANGE_BYTES) -> list[FileRange]:
    """`path` cut into ranges of about `size` bytes, each ending after a newline (the
    last at the end of the file). A line longer than `size` is one range's."""
    total = os.stat(path).st_size
    starts = [0]
    with open(path, "rb") as handle:
        while starts[-1] + size < total:
            handle.seek(starts[-1] + size - 1)  # the line holding this byte ends the range
            while (piece := handle.readline(SCAN_CHUNK)) and not piece.endswith(b"\n"):
                pass
            if handle.tell() >= total:
                break
            starts.append(handle.tell())
    ends = [*starts[1:], total]
    modes = [txt_mode] + ["line"] * (len(starts) - 1)
    return [FileRange(path, *bounds) for bounds in zip(starts, ends, modes, strict=True)]


def open_range(path: Path, start: int, end: int) -> IO[bytes]:
    """A buffered reader of `path`'s bytes `[start, end)`: it ends where the range
    does, and peeks and reads lines as a file opened with `open(path, "rb")` does."""
    raw = open(path, "rb", buffering=0)  # noqa: SIM115 (the reader returned owns it)
    raw.seek(start)
    return io.BufferedReader(_Bounded(raw, end))


class _Bounded(io.RawIOBase):
    """A raw file that ends at byte `end`."""

    def __init__(self, raw, end: int):
        self.raw, self.end = raw, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wanted = min(len(buffer), self.end - self.raw.tell())
        return self.raw.readinto(memoryview(buffer)[:wanted]) if wanted > 0 else 0

    def close(self) -> None:
        self.raw.close()
        super().close()
